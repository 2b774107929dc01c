// SPDX-License-Identifier: MIT
/*
 * BPF_MAP_TYPE_CPUMAP: XDP_REDIRECT to another worker. The key is the "CPU"
 * (a worker index below max_entries), the value a queue size (u32) or
 * struct bpf_cpumap_val { qsize, bpf_prog }. Setting an entry starts a worker
 * thread with a bounded queue of qsize frame slots; a qsize of 0 deletes, like
 * the kernel. Unlike the kernel's cpumap kthread the worker is not pinned to
 * CPU "key": it runs no program, and on a shared machine the scheduler places
 * it better than a fixed CPU would. The socket hook copies a redirected frame into the
 * queue (a full queue drops the frame and counts it); the worker takes frames
 * in batches and hands them back through the enqueuer's done callback, which
 * is where "XDP_PASS on that CPU" ends in user space: the kernel has already
 * delivered its own copy.
 *
 * The queue is a bounded multi-producer, single-consumer ring with a
 * sequence number per cell (D. Vyukov's bounded queue), so several interface
 * workers may redirect to one entry without a lock. Cell i of lap k is free
 * for position p = k*cap + i when seq == 2p and holds a frame when seq ==
 * 2p + 1 (the doubling keeps the two states apart even for a 1-frame queue). Producers defer the
 * wakeup of a sleeping worker to bpffs_cpumap_flush() (end of a ring block),
 * or do it at once when the queue is half full. Entries are replaced and
 * deleted by pointer exchange and retired through RCU: the worker is stopped
 * (after draining) once no producer can still see the entry.
 * Not here: programs on entries (bpf_cpumap_val.bpf_prog: EOPNOTSUPP).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "cpumap.h"
#include "internal.h"

#define DRAIN_BATCH 64
#define WAKE_LIST 8

struct cell {
	_Atomic u64 seq;
	u8 *big;			/* malloc'd copy of a frame > BPFFS_CPUMAP_SLOT */
	bpffs_cpumap_done_fn done;
	void *owner;
};

struct cpumap_entry {
	struct bpffs_rcu_head rcu;
	struct bpf_cpumap_val val;	/* what lookups return */
	u32 cap;
	u32 cpu;
	struct cell *cells;
	u8 *slots;			/* cap * BPFFS_CPUMAP_SLOT bytes, mmap'd lazily */
	int evfd;			/* wakes the worker */
	pthread_t thread;
	atomic_bool stop;
	_Atomic u32 sleeping;		/* worker is (about to be) blocked on evfd */
	_Alignas(64) _Atomic u64 enq_pos;	/* producers */
	_Alignas(64) u64 deq_pos;		/* the worker only */
	_Atomic u64 deq_pub;		/* deq_pos, published per batch */
	_Atomic u64 queued, drops, passed;
};

struct bpffs_cpumap {
	struct bpffs_map map;
	_Atomic(struct cpumap_entry *) *entries;
};

/* Entries this thread queued to while their worker slept: woken at flush. */
static __thread struct {
	u32 n;
	struct cpumap_entry *e[WAKE_LIST];
} pending_wake;

static struct bpffs_cpumap *to_cm(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_cpumap, map);
}

/* ---- the worker --------------------------------------------------------------- */

static void entry_wake(struct cpumap_entry *e)
{
	u64 one = 1;

	if (atomic_load(&e->sleeping) && atomic_exchange(&e->sleeping, 0) &&
	    write(e->evfd, &one, sizeof(one)) != sizeof(one))
		pr_warn("cpumap: cannot wake worker %u", e->cpu);
}

/* Take up to DRAIN_BATCH frames; report them to their owners, grouped. Worker only. */
static u32 entry_drain(struct cpumap_entry *e)
{
	bpffs_cpumap_done_fn done[DRAIN_BATCH];
	void *owner[DRAIN_BATCH];
	u32 n = 0, i, run;

	while (n < DRAIN_BATCH) {
		struct cell *c = &e->cells[e->deq_pos % e->cap];

		if (atomic_load_explicit(&c->seq, memory_order_acquire) != 2 * e->deq_pos + 1)
			break;
		/* the frame's bytes are the worker's now; nothing more is done with them */
		free(c->big);
		c->big = NULL;
		done[n] = c->done;
		owner[n] = c->owner;
		atomic_store_explicit(&c->seq, 2 * (e->deq_pos + e->cap), memory_order_release);
		e->deq_pos++;
		n++;
	}
	if (!n)
		return 0;
	atomic_store_explicit(&e->deq_pub, e->deq_pos, memory_order_release);
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && done[i + run] == done[i] &&
			      owner[i + run] == owner[i]; run++)
			;
		if (done[i])
			done[i](owner[i], run);
	}
	atomic_fetch_add_explicit(&e->passed, n, memory_order_relaxed);
	return n;
}

static bool entry_empty(struct cpumap_entry *e)
{
	struct cell *c = &e->cells[e->deq_pos % e->cap];

	return atomic_load_explicit(&c->seq, memory_order_acquire) != 2 * e->deq_pos + 1;
}

static void *entry_thread(void *arg)
{
	struct cpumap_entry *e = arg;
	char name[16];
	u64 v;

	snprintf(name, sizeof(name), "bpffs-cpumap%u", e->cpu);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		if (entry_drain(e))
			continue;
		if (atomic_load(&e->stop))
			break;		/* no producer can reach a stopped entry */
		atomic_store(&e->sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (!entry_empty(e) || atomic_load(&e->stop)) {
			atomic_store(&e->sleeping, 0);
			continue;
		}
		if (read(e->evfd, &v, sizeof(v)) < 0 && errno != EINTR)
			break;
		atomic_store(&e->sleeping, 0);
	}
	return NULL;
}

/* ---- entries -------------------------------------------------------------------- */

static void entry_free(struct cpumap_entry *e)
{
	if (e->slots)
		munmap(e->slots, (size_t)e->cap * BPFFS_CPUMAP_SLOT);
	free(e->cells);
	if (e->evfd >= 0)
		close(e->evfd);
	free(e);
}

/* Stop the worker once it drained its queue, then free. Reclaimer or FUSE thread. */
static void entry_destroy(struct cpumap_entry *e)
{
	u64 one = 1;

	atomic_store(&e->stop, true);
	if (write(e->evfd, &one, sizeof(one)) != sizeof(one))
		pr_warn("cpumap: cannot stop worker %u", e->cpu);
	pthread_join(e->thread, NULL);
	entry_free(e);
}

static void entry_destroy_rcu(struct bpffs_rcu_head *head)
{
	entry_destroy(container_of(head, struct cpumap_entry, rcu));
}

static int entry_create(u32 cpu, const struct bpf_cpumap_val *val, struct cpumap_entry **out)
{
	struct cpumap_entry *e = calloc(1, sizeof(*e));
	void *slots;
	int err;

	if (!e)
		return -ENOMEM;
	e->evfd = -1;
	e->val = *val;
	e->cap = val->qsize;
	e->cpu = cpu;
	e->cells = calloc(e->cap, sizeof(*e->cells));
	slots = mmap(NULL, (size_t)e->cap * BPFFS_CPUMAP_SLOT, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e->slots = slots == MAP_FAILED ? NULL : slots;
	e->evfd = eventfd(0, EFD_CLOEXEC);
	if (!e->cells || !e->slots || e->evfd < 0) {
		entry_free(e);
		return -ENOMEM;
	}
	for (u32 i = 0; i < e->cap; i++)
		atomic_init(&e->cells[i].seq, 2 * (u64)i);
	err = -pthread_create(&e->thread, NULL, entry_thread, e);
	if (err) {
		entry_free(e);
		return err;
	}
	*out = e;
	return 0;
}

/* ---- map ops -------------------------------------------------------------------- */

/* Called from: load/FUSE thread. */
static int cm_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, 0, log);

	if (err)
		return err;
	if (attr->key_size != 4 || (attr->value_size != 4 && attr->value_size != 8)) {
		bpffs_vlog_printf(log, "map '%s': cpumap needs key_size 4 and value_size 4 (qsize) or 8 (struct bpf_cpumap_val)\n",
				  attr->name);
		return -EINVAL;
	}
	if (attr->max_entries > bpffs_nr_cpus()) {
		bpffs_vlog_printf(log, "map '%s': %u entries are too many (one per CPU slot: at most %u)\n",
				  attr->name, attr->max_entries, bpffs_nr_cpus());
		return -E2BIG;
	}
	return 0;
}

static int cm_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_cpumap *cm = calloc(1, sizeof(*cm));

	if (!cm)
		return -ENOMEM;
	bpffs_map_init_from_attr(&cm->map, attr);
	cm->entries = calloc(attr->max_entries, sizeof(*cm->entries));
	if (!cm->entries) {
		free(cm);
		return -ENOMEM;
	}
	*out = &cm->map;
	return 0;
}

/* After a grace period (no producer left): stop every worker. Reclaimer thread. */
static void cm_free(struct bpffs_map *map)
{
	struct bpffs_cpumap *cm = to_cm(map);

	for (u32 i = 0; i < map->max_entries; i++) {
		struct cpumap_entry *e = atomic_load(&cm->entries[i]);

		if (e)
			entry_destroy(e);
	}
	free(cm->entries);
	free(cm);
}

/* Inside bpffs_rcu_read_lock. */
static struct cpumap_entry *cm_entry(struct bpffs_map *map, u32 key)
{
	if (key >= map->max_entries)
		return NULL;
	return atomic_load_explicit(&to_cm(map)->entries[key], memory_order_acquire);
}

/* Called from: program run or FUSE thread; the value lives until the grace period. */
static void *cm_lookup(struct bpffs_map *map, const void *key)
{
	struct cpumap_entry *e = cm_entry(map, bpffs_map_key_u32(key));

	return e ? &e->val : NULL;
}

/* Publish @e (NULL: delete) at @idx; the old entry's worker stops after a grace period. */
static void cm_replace(struct bpffs_map *map, u32 idx, struct cpumap_entry *e)
{
	struct cpumap_entry *old = atomic_exchange(&to_cm(map)->entries[idx], e);

	if (old)
		bpffs_rcu_call(&old->rcu, entry_destroy_rcu);
}

static int cm_update(struct bpffs_map *map, const void *key, const void *value, u64 flags)
{
	struct bpf_cpumap_val val = { 0 };
	struct cpumap_entry *e = NULL;
	u32 idx = bpffs_map_key_u32(key);
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (idx >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;	/* array semantics, as the kernel's cpumap */
	memcpy(&val, value, map->value_size);
	if (val.qsize > BPFFS_CPUMAP_QSIZE_MAX)
		return -EOVERFLOW;
	if (map->value_size == 8 && val.bpf_prog.fd > 0) {
		pr_info("map '%s': programs on cpumap entries are not supported", map->name);
		return -EOPNOTSUPP;
	}
	val.bpf_prog.id = 0;
	if (val.qsize) {
		err = entry_create(idx, &val, &e);
		if (err)
			return err;
	}
	cm_replace(map, idx, e);	/* qsize 0 deletes, as in the kernel */
	return 0;
}

static int cm_delete(struct bpffs_map *map, const void *key)
{
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries)
		return -EINVAL;
	if (!cm_entry(map, idx))
		return -ENOENT;
	cm_replace(map, idx, NULL);
	return 0;
}

static int cm_next_key(struct bpffs_map *map, const void *key, void *next_key)
{
	u32 idx = key ? bpffs_map_key_u32(key) : UINT32_MAX;

	if (idx >= map->max_entries) {
		*(u32 *)next_key = 0;
		return 0;
	}
	if (idx == map->max_entries - 1)
		return -ENOENT;
	*(u32 *)next_key = idx + 1;
	return 0;
}

static int cm_redirect(struct bpffs_map *map, u32 key, u32 *target)
{
	if (!cm_entry(map, key))
		return -ENOENT;
	*target = key;
	return 0;
}

static size_t cm_mem_usage(const struct bpffs_map *map)
{
	struct bpffs_cpumap *cm = to_cm(map);
	size_t n = sizeof(*cm) + map->max_entries * sizeof(*cm->entries);

	bpffs_rcu_read_lock();	/* an entry replaced meanwhile stays readable */
	for (u32 i = 0; i < map->max_entries; i++) {
		struct cpumap_entry *e = atomic_load(&cm->entries[i]);

		if (e)
			n += sizeof(*e) + e->cap * (sizeof(struct cell) + BPFFS_CPUMAP_SLOT);
	}
	bpffs_rcu_read_unlock();
	return n;
}

const struct bpffs_map_ops bpffs_cpumap_map_ops = {
	.alloc_check = cm_alloc_check,
	.alloc = cm_alloc,
	.free = cm_free,
	.lookup = cm_lookup,
	.update = cm_update,
	.delete = cm_delete,
	.next_key = cm_next_key,
	.redirect = cm_redirect,
	.mem_usage = cm_mem_usage,
};

/* ---- producers (socket hook) ---------------------------------------------------- */

static void wake_later(struct cpumap_entry *e)
{
	for (u32 i = 0; i < pending_wake.n; i++)
		if (pending_wake.e[i] == e)
			return;
	if (pending_wake.n == WAKE_LIST) {
		entry_wake(e);
		return;
	}
	pending_wake.e[pending_wake.n++] = e;
}

int bpffs_cpumap_enqueue(struct bpffs_map *map, u32 key, const void *data, u32 len,
			 bpffs_cpumap_done_fn done, void *owner)
{
	struct cpumap_entry *e;
	struct cell *c;
	u64 pos;

	if (map->map_type != BPF_MAP_TYPE_CPUMAP || !(e = cm_entry(map, key)))
		return -ENOENT;
	pos = atomic_load_explicit(&e->enq_pos, memory_order_relaxed);
	for (;;) {
		s64 diff;

		c = &e->cells[pos % e->cap];
		diff = (s64)(atomic_load_explicit(&c->seq, memory_order_acquire) - 2 * pos);
		if (diff == 0 && atomic_compare_exchange_weak_explicit(
					 &e->enq_pos, &pos, pos + 1, memory_order_relaxed,
					 memory_order_relaxed))
			break;
		if (diff < 0) {
			atomic_fetch_add_explicit(&e->drops, 1, memory_order_relaxed);
			return -ENOSPC;
		}
		if (diff > 0)
			pos = atomic_load_explicit(&e->enq_pos, memory_order_relaxed);
	}
	/* the cell is ours until seq is published */
	c->big = NULL;
	if (len > BPFFS_CPUMAP_SLOT) {
		c->big = malloc(len);
		if (c->big)
			memcpy(c->big, data, len);
	} else {
		memcpy(e->slots + (size_t)(pos % e->cap) * BPFFS_CPUMAP_SLOT, data, len);
	}
	c->done = done;
	c->owner = owner;
	atomic_store_explicit(&c->seq, 2 * pos + 1, memory_order_release);
	atomic_fetch_add_explicit(&e->queued, 1, memory_order_relaxed);
	/* pairs with the worker's fence between "sleeping" and its last look */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&e->sleeping, memory_order_relaxed)) {
		if (pos + 1 - atomic_load_explicit(&e->deq_pub, memory_order_relaxed) >= e->cap / 2)
			entry_wake(e);
		else
			wake_later(e);
	}
	return 0;
}

void bpffs_cpumap_flush(void)
{
	for (u32 i = 0; i < pending_wake.n; i++)
		entry_wake(pending_wake.e[i]);
	pending_wake.n = 0;
}

int bpffs_cpumap_stats(struct bpffs_map *map, u32 key, struct bpffs_cpumap_stats *st)
{
	struct cpumap_entry *e;
	int err = -ENOENT;

	bpffs_rcu_read_lock();
	e = map->map_type == BPF_MAP_TYPE_CPUMAP ? cm_entry(map, key) : NULL;
	if (e) {
		st->qsize = e->cap;
		st->queued = atomic_load(&e->queued);
		st->drops = atomic_load(&e->drops);
		st->passed = atomic_load(&e->passed);
		err = 0;
	}
	bpffs_rcu_read_unlock();
	return err;
}
