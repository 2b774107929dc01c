/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared only inside src/hooks: struct bpffs_hook, the per-type
 * operations table (struct bpffs_hook_ops, after the kernel's bpf_link_ops),
 * the RCU-published array of links each hook's worker walks, and the
 * dispatcher step that runs one link and accounts for it.
 */
#ifndef BPFFS_HOOKS_INTERNAL_H
#define BPFFS_HOOKS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/bpf.h>

#include "hooks.h"
#include "../core/core.h"
#include "../maps/maps.h"

/* Links of one hook, in run order. Replaced whole on attach/detach (copy + publish). */
struct bpffs_link_array {
	struct bpffs_rcu_head rcu;
	u32 cnt;
	struct bpffs_link *links[];
};

struct bpffs_hook {
	const struct bpffs_hook_ops *ops;
	char target[256];		/* directory name, as the user wrote it */
	int refcnt;			/* atomic */
	pthread_mutex_t lock;		/* serialises attach/detach/start/stop */
	/* RCU-published; read with bpffs_hook_links() inside a read-side section */
	_Atomic(struct bpffs_link_array *) links;
	u32 link_cnt;			/* protected by lock */
	bool started;			/* protected by lock */
	bool removed;			/* protected by lock: destroyed, no new links */
	struct bpffs_hook *next;	/* protected by the registry lock */
	void *priv;			/* the type's state, ops->priv_size bytes */
};

/*
 * One hook type. Calling context above each op. A NULL op is not needed by
 * the type. Every hook type lists the program types it runs in accepts().
 */
struct bpffs_hook_ops {
	const char *name;		/* directory under hooks/ */
	size_t priv_size;
	/* Targets come from the system (socket): no mkdir/rmdir, list_system lists them. */
	bool system_targets;
	/* Program types this hook runs. Called from: FUSE thread. */
	bool (*accepts)(u32 prog_type);
	/* Fill hook->priv from the target name; no side effects. -EINVAL + log. FUSE thread. */
	int (*parse)(struct bpffs_hook *hook, const char *target, struct bpffs_vlog *log);
	/* Start delivering events (first link attached). FUSE thread, hook->lock held. */
	int (*start)(struct bpffs_hook *hook, struct bpffs_vlog *log);
	/* Stop events; no run starts afterwards. FUSE thread, hook->lock held. */
	void (*stop)(struct bpffs_hook *hook);
	/* Release priv (last reference). Any thread. */
	void (*free)(struct bpffs_hook *hook);
	/* System targets (socket: interfaces). FUSE thread. */
	int (*list_system)(bpffs_hook_list_cb cb, void *arg);
	/* Does system target @target exist? */
	bool (*system_has)(const char *target);
	/* Extra "key: value" lines for `cat links/ID`. Returns snprintf length. */
	int (*show_link)(const struct bpffs_link *link, char *buf, size_t size);
};

#define BPFFS_HOOK_TYPE(name) extern const struct bpffs_hook_ops bpffs_##name##_hook_ops;
#include "hook_types.h"
#undef BPFFS_HOOK_TYPE

/* Read side: the current link array (never NULL after create). Inside bpffs_rcu_read_lock. */
static inline struct bpffs_link_array *bpffs_hook_links(struct bpffs_hook *hook)
{
	return atomic_load_explicit(&hook->links, memory_order_acquire);
}

static inline u64 bpffs_hook_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static inline void bpffs_stat_add(u64 *counter, u64 v)
{
	__atomic_add_fetch(counter, v, __ATOMIC_RELAXED);
}

/*
 * Run @link's program on @ctx (r1) with @rc (pkt_data/pkt_len already set by
 * the caller for packet hooks) and account for it on the link. Returns r0.
 * Called from: hook worker, inside bpffs_rcu_read_lock; never blocks.
 */
static inline u64 bpffs_hook_run(struct bpffs_link *link, void *ctx, u32 ctx_size,
				 struct bpffs_run_ctx *rc)
{
	u64 t0, ret;

	rc->ctx = (u64)(uintptr_t)ctx;
	rc->tail_calls = 0;
	rc->depth = 0;
	rc->region_cnt = 0;
	rc->fault = 0;
	/* regions are only recorded in checked mode: say which mode this run is */
	rc->checked = link->prog->runtime == BPFFS_RUNTIME_CHECKED;
	bpffs_run_ctx_add_region(rc, ctx, ctx_size, true);
	if (rc->pkt_data)	/* only XDP programs may write packet bytes */
		bpffs_run_ctx_add_region(rc, rc->pkt_data, rc->pkt_len,
					 link->prog->type == BPF_PROG_TYPE_XDP);
	t0 = bpffs_hook_now_ns();
	ret = bpffs_prog_run(link->prog, (u64)(uintptr_t)ctx, 0, rc);
	bpffs_stat_add(&link->stats.run_time_ns, bpffs_hook_now_ns() - t0);
	bpffs_stat_add(&link->stats.run_cnt, 1);
	if (unlikely(rc->fault))
		bpffs_stat_add(&link->stats.faults, 1);
	return ret;
}

/*
 * Prepare a worker thread to run programs: claim a free per-CPU slot from
 * the top down (so lazily-claimed slots of other threads stay low) and
 * zero @rc. Called from: the worker thread itself, once.
 */
void bpffs_hook_worker_init(struct bpffs_run_ctx *rc, const char *thread_name);

/*
 * Packet contexts as programs see them (r1): the uapi struct first, then the
 * runtime's view of the frame that packet helpers use (container_of). The
 * uapi data/data_end fields are 32 bits wide; packet memory is mapped below
 * 4 GiB (MAP_32BIT) so they hold real addresses and a program's 32-bit
 * context load yields a usable pointer with no load rewriting.
 */
struct bpffs_skb {
	struct __sk_buff skb;
	u8 *data;			/* first byte (Ethernet header) */
	u32 caplen;			/* bytes present at data */
};

struct bpffs_xdp_buff {
	struct xdp_md md;
	u8 *hard_start;			/* start of headroom */
	u8 *data;
	u8 *data_end;
	u8 *frame_end;			/* end of tailroom */
};

#define BPFFS_XDP_HEADROOM 256
#define BPFFS_XDP_TAILROOM 256
#define BPFFS_ETH_HLEN 14

/* Update md.data/md.data_end from the pointers (after an adjust helper). */
static inline void bpffs_xdp_sync(struct bpffs_xdp_buff *x)
{
	x->md.data = (u32)(uintptr_t)x->data;
	x->md.data_meta = x->md.data;
	x->md.data_end = (u32)(uintptr_t)x->data_end;
}

/* bpf_redirect(ifindex) target chosen by the current run on this thread, 0 = none. */
extern __thread u32 bpffs_xdp_redirect_ifindex;

/* Capture rings (capture.c), owned by a socket hook. */
struct bpffs_capture;
int bpffs_capture_create(struct bpffs_capture **out);
void bpffs_capture_destroy(struct bpffs_capture *cap);
/* Producer (socket worker): append one pcap record; cheap no-op without readers. */
void bpffs_capture_write(struct bpffs_capture *cap, u64 ts_ns, const void *data, u32 caplen,
			 u32 len);
/* Producer: wake readers after a batch of writes. */
void bpffs_capture_flush(struct bpffs_capture *cap);
bool bpffs_capture_has_readers(const struct bpffs_capture *cap);
/* Mark the stream ended (hook destroyed): readers get 0 after the data. */
void bpffs_capture_end(struct bpffs_capture *cap);
/* The socket hook's capture ring (socket.c). */
struct bpffs_capture *bpffs_socket_hook_capture(struct bpffs_hook *hook);

#endif /* BPFFS_HOOKS_INTERNAL_H */
