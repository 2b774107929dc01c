// SPDX-License-Identifier: MIT
/*
 * A timer program counting its runs in a BPF_F_MMAPABLE array: with --state
 * the array lives in a file mapped MAP_SHARED, so every count the program
 * made survives a kill -9 of the daemon (tests/bats/state-mmap.bats).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpffs/hooks.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);	/* several pages: 8 KiB */
	__uint(map_flags, BPF_F_MMAPABLE);
} mm_counts SEC(".maps");

SEC("timer")
int mm_tick(struct bpffs_timer_ctx *ctx)
{
	__u32 key = 0, last = 1023;
	__u64 *runs = bpf_map_lookup_elem(&mm_counts, &key);
	__u64 *tail = bpf_map_lookup_elem(&mm_counts, &last);

	if (runs)
		__sync_fetch_and_add(runs, 1);
	if (tail)	/* on the last page: the whole file comes back, not the first page */
		__sync_fetch_and_add(tail, 2);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
