// SPDX-License-Identifier: MIT
/*
 * Typed map values through the filesystem (tests/bats/maps-btf.bats): a
 * per-CPU array and a hash under a signed key, both of a struct with a
 * signed int, a char array, bit fields and a _Bool, so their BTF drives
 * the JSON text of each entry.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct typed_rec {
	__s32 delta;
	char name[8];
	__u32 flags : 3, mode : 5;
	_Bool on;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct typed_rec);
	__uint(max_entries, 2);
} typed_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __s32);
	__type(value, struct typed_rec);
	__uint(max_entries, 8);
} typed_kv SEC(".maps");

SEC("socket")
int typed_touch(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct typed_rec *r = bpf_map_lookup_elem(&typed_pcpu, &k);

	if (r)
		r->delta--;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
