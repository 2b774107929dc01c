// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: several programs in one section (socket), a
 * second section (xdp), .text subprograms (static and global) shared by
 * programs, a bpf_loop callback (function pointer), global data in .data,
 * .rodata and .bss, a BTF-defined hash map pinned by name.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counts SEC(".maps");

__u64 hits = 7;			/* .data */
const volatile __u32 scale = 3;	/* .rodata */
__u64 zeroed;			/* .bss */

static __noinline __u64 bump(__u32 key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		return __sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 0;
}

__noinline int twice(int x)
{
	return x * 2 + (int)scale;
}

static int loop_cb(__u32 idx, void *ctx)
{
	zeroed += idx;
	return 0;
}

SEC("socket")
int sock_a(struct __sk_buff *skb)
{
	hits++;
	return bump(1) + twice(skb->len);
}

SEC("socket")
int sock_b(struct __sk_buff *skb)
{
	bpf_loop(4, loop_cb, NULL, 0);
	return twice(1);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	bump(2);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
