// SPDX-License-Identifier: MIT
/*
 * Periodic sampler: a timer program that counts its runs and missed ticks
 * and records the time of the last run.
 *
 *   cp sampler.bpf.o MNT/progs/
 *   mkdir MNT/hooks/timer/100ms
 *   ln -s MNT/progs/sample MNT/hooks/timer/100ms/
 *   cat MNT/maps/samples/0      (runs)   MNT/maps/samples/1 (expirations)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpffs/hooks.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);	/* 0 runs, 1 expirations, 2 last run (ns) */
} samples SEC(".maps");

static __always_inline void store(__u32 key, __u64 v, int add)
{
	__u64 *slot = bpf_map_lookup_elem(&samples, &key);

	if (!slot)
		return;
	if (add)
		__sync_fetch_and_add(slot, v);
	else
		*slot = v;
}

SEC("timer")
int sample(struct bpffs_timer_ctx *ctx)
{
	store(0, 1, 1);
	store(1, ctx->expirations, 1);
	store(2, ctx->now_ns, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
