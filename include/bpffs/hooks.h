/* SPDX-License-Identifier: MIT */
/*
 * bpffs-user's header for BPF programs: the context structs of this
 * project's own hook types. Include it from BPF C next to libbpf's
 * <bpf/bpf_helpers.h>; programs go in SEC("timer") or SEC("inotify").
 * The ELF loader applies CO-RE field relocations against these layouts.
 * (Created by the ELF loader work; extended by the hooks work. Layouts only
 * ever grow at the end.)
 *
 * Where programs attach (see docs/hooks.md):
 *   SEC("timer")        hooks/timer/PERIOD       struct bpffs_timer_ctx
 *   SEC("perf_event")   hooks/timer/PERIOD       the kernel's struct bpf_perf_event_data
 *                                                (regs zero, sample_period = period in ns)
 *   SEC("inotify")      hooks/inotify/PATH       struct bpffs_inotify_ctx
 *   SEC("socket")       hooks/socket/IFNAME      the uapi struct __sk_buff: len, protocol,
 *                                                pkt_type, ifindex, ingress_ifindex, tstamp,
 *                                                vlan_present/vlan_tci/vlan_proto;
 *                                                LD_ABS/LD_IND and bpf_skb_load_bytes read
 *                                                the frame from its Ethernet header; the
 *                                                return value is the number of bytes to
 *                                                keep in hooks/socket/IFNAME/capture
 *   SEC("xdp")          hooks/socket/IFNAME      the uapi struct xdp_md: data/data_end
 *                                                (direct access), ingress_ifindex;
 *                                                bpf_xdp_adjust_head/tail, XDP_PASS/DROP/
 *                                                ABORTED counted, XDP_TX sends back out,
 *                                                XDP_REDIRECT via bpf_redirect or a DEVMAP
 *
 * Current-task helpers (bpf_get_current_pid_tgid, _uid_gid, _comm) describe
 * the bpffs-user worker thread running the program, never the process that
 * caused the event: pid = the daemon's pid, tid = the worker's, comm e.g.
 * "bpffs-timer", "bpffs-inotify", "bpffs-eth0".
 */
#ifndef BPFFS_HOOKS_BPF_H
#define BPFFS_HOOKS_BPF_H

#include <linux/types.h>

/* SEC("timer"): one run per expiration of hooks/timer/PERIOD */
struct bpffs_timer_ctx {
	__u64 now_ns;		/* CLOCK_MONOTONIC at the run */
	__u64 period_ns;
	__u64 expirations;	/* expirations since the previous run (> 1: ticks were missed) */
};

/* SEC("inotify"): one run per event of hooks/inotify/PATH */
struct bpffs_inotify_ctx {
	__u32 mask;		/* IN_* bits; IN_Q_OVERFLOW when the kernel's queue overflowed */
	__u32 cookie;		/* pairs IN_MOVED_FROM with IN_MOVED_TO */
	__u32 name_len;		/* bytes of name used, without the NUL */
	char name[256];		/* entry name inside a watched directory, NUL-padded */
};

/* inotify mask bits, for programs that cannot include <sys/inotify.h> */
#ifndef IN_ACCESS
#define IN_ACCESS        0x00000001
#define IN_MODIFY        0x00000002
#define IN_ATTRIB        0x00000004
#define IN_CLOSE_WRITE   0x00000008
#define IN_CLOSE_NOWRITE 0x00000010
#define IN_OPEN          0x00000020
#define IN_MOVED_FROM    0x00000040
#define IN_MOVED_TO      0x00000080
#define IN_CREATE        0x00000100
#define IN_DELETE        0x00000200
#define IN_DELETE_SELF   0x00000400
#define IN_MOVE_SELF     0x00000800
#define IN_Q_OVERFLOW    0x00004000
#define IN_IGNORED       0x00008000
#define IN_ISDIR         0x40000000
#endif

#endif /* BPFFS_HOOKS_BPF_H */
