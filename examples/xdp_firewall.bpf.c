// SPDX-License-Identifier: MIT
/*
 * XDP firewall: drops IPv4 frames whose source address matches a prefix in
 * an LPM trie filled from the shell, counts passes and drops per verdict.
 *
 *   cp xdp_firewall.bpf.o MNT/progs/
 *   echo 1 > MNT/maps/blocked/080000000a000000   (key: prefixlen 8 as a little-endian
 *                                                 u32, then 10.0.0.0; value: any u32)
 *   cat MNT/maps/verdicts/1                       (drops)
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct lpm_v4_key {
	__u32 prefixlen;
	__u32 addr;		/* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);	/* indexed by XDP_ABORTED..XDP_TX */
} verdicts SEC(".maps");

static __always_inline int verdict(int v)
{
	__u32 key = v;
	__u64 *cnt = bpf_map_lookup_elem(&verdicts, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return v;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct lpm_v4_key key;

	if ((void *)(ip + 1) > data_end)
		return verdict(XDP_PASS);
	if (eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return verdict(XDP_PASS);
	key.prefixlen = 32;
	key.addr = ip->saddr;
	if (bpf_map_lookup_elem(&blocked, &key))
		return verdict(XDP_DROP);
	return verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
