// SPDX-License-Identifier: MIT
/*
 * Tail-call dispatcher: a socket program that jumps through a PROG_ARRAY to
 * a per-protocol handler (slot = IP protocol, statically initialised for
 * ICMP and UDP); each handler counts in its own array slot.
 *
 *   cp tail_dispatch.bpf.o MNT/progs/
 *   echo handle_udp > MNT/maps/jmp_table/6     (send TCP to the UDP handler)
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);	/* 0 dispatched to nobody, 1 icmp, 2 udp */
} dispatch_count SEC(".maps");

static __always_inline int count(__u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(&dispatch_count, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

SEC("socket")
int handle_icmp(struct __sk_buff *skb)
{
	return count(1);
}

SEC("socket")
int handle_udp(struct __sk_buff *skb)
{
	return count(2);
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__array(values, int(void *));
} jmp_table SEC(".maps") = {
	.values = {
		[1] = (void *)&handle_icmp,
		[17] = (void *)&handle_udp,
	},
};

SEC("socket")
int dispatch(struct __sk_buff *skb)
{
	__u8 proto = 0;

	bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1);
	bpf_tail_call(skb, &jmp_table, proto);
	return count(0);
}

char LICENSE[] SEC("license") = "GPL";
