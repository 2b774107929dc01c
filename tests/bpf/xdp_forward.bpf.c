// SPDX-License-Identifier: MIT
/*
 * XDP forwarding for tests/bats/hooks-xdp.bats: every received frame goes
 * out of the interface in tx_ports[0] (DEVMAP), to the worker of cpus[0]
 * (CPUMAP) or nowhere, as xdp_mode[0] says: 0 devmap, 1 drop, 2 cpumap.
 *
 *   echo IFINDEX > MNT/maps/tx_ports/0; echo 64 > MNT/maps/cpus/0
 *   echo 1 > MNT/maps/xdp_mode/0                  (drop from now on)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} xdp_mode SEC(".maps");

SEC("xdp")
int xdp_forward(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *mode = bpf_map_lookup_elem(&xdp_mode, &key);

	if (!mode)
		return XDP_ABORTED;
	if (*mode == 1)
		return XDP_DROP;
	if (*mode == 2)
		return bpf_redirect_map(&cpus, 0, 0);
	return bpf_redirect_map(&tx_ports, 0, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
