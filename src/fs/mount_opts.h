/* SPDX-License-Identifier: MIT */
/*
 * bpffs-user's own mount options (mount_opts.c): resource limits given as
 * -o map_mem=...,max_progs=... and --state DIR, removed from the FUSE
 * arguments before libfuse parses them. Needs fuse_glue.h first.
 */
#ifndef BPFFS_FS_MOUNT_OPTS_H
#define BPFFS_FS_MOUNT_OPTS_H

#include "../core/registry.h"

struct bpffs_mount_opts {
	struct bpffs_limits limits;	/* zero: no limits */
	char *state_dir;		/* NULL: no state directory */
	unsigned int state_flush_ms;	/* -o state_flush_ms=N, 0: default (100) */
	int timer_sched;		/* -o timer_sched=auto|fifo|other */
};

/* -o timer_sched values: the timer thread's scheduling (docs/hooks.md) */
enum { BPFFS_TIMER_SCHED_AUTO, BPFFS_TIMER_SCHED_FIFO, BPFFS_TIMER_SCHED_OTHER };

/* Take our options out of @args. 0, or -EINVAL after a message on stderr. */
int bpffs_mount_opts_parse(struct fuse_args *args, struct bpffs_mount_opts *mo);
void bpffs_mount_opts_fini(struct bpffs_mount_opts *mo);

#endif /* BPFFS_FS_MOUNT_OPTS_H */
