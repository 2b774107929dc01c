// SPDX-License-Identifier: MIT
/*
 * Resource-limit test object (tests/unit/test_limits.c): one program that
 * returns what bpf_loop(100, ...) returned, and a 1024-entry array map
 * (charged 1024 * (4 + 8) = 12288 bytes against map_mem).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} limit_big SEC(".maps");

static long step(__u32 i, void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&limit_big, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("socket")
int loop100(struct __sk_buff *skb)
{
	return bpf_loop(100, step, NULL, 0);
}

char LICENSE[] SEC("license") = "GPL";
