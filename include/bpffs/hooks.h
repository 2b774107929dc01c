/* SPDX-License-Identifier: MIT */
/*
 * bpffs-user's header for BPF programs: the context structs of this
 * project's own hook types. Include it from BPF C next to libbpf's
 * <bpf/bpf_helpers.h>; programs go in SEC("timer") or SEC("inotify").
 * The ELF loader applies CO-RE field relocations against these layouts.
 * (Created by the ELF loader work; the hooks owner extends it.)
 */
#ifndef BPFFS_HOOKS_BPF_H
#define BPFFS_HOOKS_BPF_H

#include <linux/types.h>

/* SEC("timer"): one run per expiration of hooks/timer/PERIOD */
struct bpffs_timer_ctx {
	__u64 now_ns;		/* CLOCK_MONOTONIC at the run */
	__u64 period_ns;
	__u64 expirations;	/* expirations since the previous run */
};

/* SEC("inotify"): one run per event of hooks/inotify/PATH */
struct bpffs_inotify_ctx {
	__u32 mask;		/* IN_* bits */
	__u32 cookie;
	__u32 name_len;		/* bytes of name used, without the NUL */
	char name[256];
};

#endif /* BPFFS_HOOKS_BPF_H */
