// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: legacy SEC("maps") definitions (struct
 * bpf_map_def, as samples/bpf and old libbpf wrote them), a perf event
 * array with max_entries 0 (one per CPU), and no BTF-defined maps.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

struct bpf_map_def SEC("maps") legacy_events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(__u32),
	.max_entries = 0,
};

SEC("socket1")
int legacy_prog(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_array, &key);

	if (v)
		*v += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
