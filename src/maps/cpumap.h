/* SPDX-License-Identifier: MIT */
/*
 * CPUMAP workers (cpumap.c), for the socket hook's XDP_REDIRECT: every entry
 * of a BPF_MAP_TYPE_CPUMAP is a worker thread with a bounded queue of qsize
 * frames, created by the update that sets the entry (`echo QSIZE >
 * MNT/maps/NAME/IDX`) and stopped, after it drained its queue, when the entry
 * is replaced or deleted or the map freed.
 */
#ifndef BPFFS_CPUMAP_H
#define BPFFS_CPUMAP_H

#include "maps.h"

/* Frames longer than this are copied into a separate allocation. */
#define BPFFS_CPUMAP_SLOT 2048
/* The kernel's sanity limit on a queue's size (bpf_cpumap_val.qsize). */
#define BPFFS_CPUMAP_QSIZE_MAX 16384

/*
 * Called by the worker once it took @frames consecutive frames queued with
 * the same @done and @owner: the frames' XDP_PASS ("left to the kernel",
 * whose own copy was delivered already). Runs on the worker thread; must not
 * wait for an RCU grace period.
 */
typedef void (*bpffs_cpumap_done_fn)(void *owner, u32 frames);

/*
 * Hand a copy of @len bytes at @data to the worker of entry @key. Must be
 * called inside bpffs_rcu_read_lock, followed by bpffs_cpumap_flush() before
 * the section ends (wakeups are batched until then, as the kernel's
 * xdp_do_flush). Returns 0, -ENOENT (no entry at @key, or @map is not a
 * CPUMAP), -ENOSPC (queue full: the frame is dropped and counted on the
 * entry), -ENOMEM. Called from: hook worker, never blocks.
 */
int bpffs_cpumap_enqueue(struct bpffs_map *map, u32 key, const void *data, u32 len,
			 bpffs_cpumap_done_fn done, void *owner);

/* Wake the workers this thread queued frames to since the last flush. */
void bpffs_cpumap_flush(void);

struct bpffs_cpumap_stats {
	u32 qsize;
	u64 queued;		/* frames accepted into the queue */
	u64 drops;		/* frames refused: queue full */
	u64 passed;		/* frames the worker took (done was called for them) */
};

/* Counters of entry @key. Returns 0, or -ENOENT. Called from: any thread. */
int bpffs_cpumap_stats(struct bpffs_map *map, u32 key, struct bpffs_cpumap_stats *st);

#endif /* BPFFS_CPUMAP_H */
