// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: BTF map-in-map with an inner definition and
 * static initial slots, and a prog array statically filled with tail-call
 * programs (`.values = { [i] = &prog }`).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 2);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [3] = &inner_b },
};

int tail_one(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [5] = (void *)&tail_one },
};

SEC("socket")
int tail_one(struct __sk_buff *skb)
{
	return 1;
}

SEC("socket")
int entry(struct __sk_buff *skb)
{
	__u32 k = 3, *inner;
	void *m = bpf_map_lookup_elem(&outer, &k);

	if (m) {
		k = 0;
		inner = bpf_map_lookup_elem(m, &k);
		if (inner)
			return *inner;
	}
	bpf_tail_call(skb, &jumps, 5);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* a value with a spin lock, and a bloom filter with map_extra */
struct locked {
	__u64 a;
	struct bpf_spin_lock lock;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct locked);
	__uint(max_entries, 1);
} lockmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
} bloom SEC(".maps");
