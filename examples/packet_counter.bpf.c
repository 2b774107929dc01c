// SPDX-License-Identifier: MIT
/*
 * Packet counter: a socket filter that counts frames and bytes per IP
 * protocol (ICMP 1, TCP 6, UDP 17, ...; 0 for non-IP) in a hash map, and
 * keeps ICMP frames for the capture stream (returns their length).
 *
 *   cp packet_counter.bpf.o MNT/progs/
 *   ln -s MNT/progs/count_packets MNT/hooks/socket/lo/
 *   ping -c3 127.0.0.1; cat MNT/maps/pkt_count/1
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct proto_stats);
	__uint(max_entries, 256);
} pkt_count SEC(".maps");

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	struct proto_stats *st, init = {};
	__u32 proto = 0;
	__u16 eth_proto;
	__u8 ip_proto;

	if (bpf_skb_load_bytes(skb, 12, &eth_proto, sizeof(eth_proto)) == 0 &&
	    eth_proto == __builtin_bswap16(ETH_P_IP) &&
	    bpf_skb_load_bytes(skb, ETH_HLEN + 9, &ip_proto, sizeof(ip_proto)) == 0)
		proto = ip_proto;
	st = bpf_map_lookup_elem(&pkt_count, &proto);
	if (!st) {
		bpf_map_update_elem(&pkt_count, &proto, &init, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&pkt_count, &proto);
		if (!st)
			return 0;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, skb->len);
	return proto == 1 ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
