// SPDX-License-Identifier: MIT
/*
 * PERF_EVENT_ARRAY in user space: index i is a record ring (struct bpffs_rb,
 * see ringbuf.c) that a consumer opens, standing in for the perf event fd the
 * kernel expects in slot i. bpf_perf_event_output() appends one record of raw
 * sample bytes to the ring of the index in its flags (BPF_F_CURRENT_CPU: the
 * caller's per-CPU slot); an unopened index fails with -ENOENT and a full ring
 * counts a lost record and fails with -ENOSPC, as in the kernel. Deleting an
 * index closes its ring (after a grace period). Not here: perf's
 * PERF_RECORD_LOST records and sample headers; the consumer gets raw bytes.
 */
#include <stdlib.h>

#include "internal.h"

struct perf_slot {
	_Atomic(struct bpffs_rb *) rb;
	_Atomic u64 lost;
};

struct bpffs_perf_array {
	struct bpffs_map map;
	struct perf_slot *slots;
};

struct perf_rb_free {
	struct bpffs_rcu_head rcu;
	struct bpffs_rb *rb;
};

static struct bpffs_perf_array *to_pa(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_perf_array, map);
}

/* Called from: load/FUSE thread. */
static int perf_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, BPF_F_PRESERVE_ELEMS, log);

	if (err)
		return err;
	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries ||
	    attr->max_entries > 4096) {
		bpffs_vlog_printf(log, "map '%s': perf_event_array needs key_size 4, value_size 4 and 1..4096 entries\n",
				  attr->name);
		return -EINVAL;
	}
	return 0;
}

static int perf_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_perf_array *pa = calloc(1, sizeof(*pa));

	if (!pa)
		return -ENOMEM;
	bpffs_map_init_from_attr(&pa->map, attr);
	pa->slots = calloc(attr->max_entries, sizeof(*pa->slots));
	if (!pa->slots) {
		free(pa);
		return -ENOMEM;
	}
	*out = &pa->map;
	return 0;
}

static void perf_free(struct bpffs_map *map)
{
	struct bpffs_perf_array *pa = to_pa(map);

	for (u32 i = 0; i < map->max_entries; i++)
		bpffs_rb_destroy(atomic_load(&pa->slots[i].rb));
	free(pa->slots);
	free(pa);
}

static void perf_rb_free_rcu(struct bpffs_rcu_head *head)
{
	struct perf_rb_free *f = container_of(head, struct perf_rb_free, rcu);

	bpffs_rb_destroy(f->rb);
	free(f);
}

/* Close index @key's ring. Called from: FUSE thread. */
static int perf_delete(struct bpffs_map *map, const void *key)
{
	struct bpffs_perf_array *pa = to_pa(map);
	u32 idx = bpffs_map_key_u32(key);
	struct perf_rb_free *f;
	struct bpffs_rb *rb;

	if (idx >= map->max_entries)
		return -E2BIG;
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	rb = atomic_exchange(&pa->slots[idx].rb, NULL);
	if (!rb) {
		free(f);
		return -ENOENT;
	}
	f->rb = rb;
	bpffs_rcu_call(&f->rcu, perf_rb_free_rcu);
	return 0;
}

static int perf_next_key(struct bpffs_map *map, const void *key, void *next_key)
{
	u32 idx = key ? bpffs_map_key_u32(key) + 1 : 0;

	if (key && bpffs_map_key_u32(key) >= map->max_entries)
		idx = 0;
	if (idx >= map->max_entries)
		return -ENOENT;
	*(u32 *)next_key = idx;
	return 0;
}

static size_t perf_mem_usage(const struct bpffs_map *map)
{
	struct bpffs_perf_array *pa = to_pa(map);
	size_t n = sizeof(*pa) + map->max_entries * sizeof(struct perf_slot);

	for (u32 i = 0; i < map->max_entries; i++) {
		struct bpffs_rb *rb = atomic_load(&pa->slots[i].rb);

		if (rb)
			n += bpffs_rb_mem_usage(rb);
	}
	return n;
}

const struct bpffs_map_ops bpffs_perf_event_array_map_ops = {
	.alloc_check = perf_alloc_check,
	.alloc = perf_alloc,
	.free = perf_free,
	.delete = perf_delete,
	.next_key = perf_next_key,
	.mem_usage = perf_mem_usage,
};

static struct bpffs_perf_array *as_pa(struct bpffs_map *map)
{
	return map && map->ops == &bpffs_perf_event_array_map_ops ? to_pa(map) : NULL;
}

int bpffs_perf_event_array_open(struct bpffs_map *map, u32 index, u32 ring_size)
{
	struct bpffs_perf_array *pa = as_pa(map);
	struct bpffs_rb *rb, *none = NULL;
	int err;

	if (!pa || ring_size < 4096 || (ring_size & (ring_size - 1)))
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	err = bpffs_rb_create(ring_size, &rb);
	if (err)
		return err;
	if (!atomic_compare_exchange_strong(&pa->slots[index].rb, &none, rb)) {
		bpffs_rb_destroy(rb);
		return -EEXIST;
	}
	return 0;
}

/* Called from: program run, must not block. */
int bpffs_perf_event_output(struct bpffs_map *map, u64 flags, const void *data, u64 size)
{
	struct bpffs_perf_array *pa = as_pa(map);
	u64 idx = flags & BPF_F_INDEX_MASK;
	struct bpffs_rb *rb;

	if (!pa || (flags & ~(u64)BPF_F_INDEX_MASK))
		return -EINVAL;
	if (idx == BPF_F_CURRENT_CPU)
		idx = bpffs_cpu_slot();
	if (idx >= map->max_entries)
		return -E2BIG;
	rb = atomic_load_explicit(&pa->slots[idx].rb, memory_order_acquire);
	if (!rb)
		return -ENOENT;
	if (bpffs_rb_output(rb, data, size, 0)) {
		atomic_fetch_add_explicit(&pa->slots[idx].lost, 1, memory_order_relaxed);
		return -ENOSPC;
	}
	return 0;
}

long bpffs_perf_event_consume(struct bpffs_map *map, u32 index, bpffs_ringbuf_cb cb, void *arg)
{
	struct bpffs_perf_array *pa = as_pa(map);
	struct bpffs_rb *rb;
	long n;

	if (!pa)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	bpffs_rcu_read_lock();
	rb = atomic_load_explicit(&pa->slots[index].rb, memory_order_acquire);
	n = rb ? bpffs_rb_consume(rb, cb, arg) : -ENOENT;
	bpffs_rcu_read_unlock();
	return n;
}

u64 bpffs_perf_event_lost(struct bpffs_map *map, u32 index)
{
	struct bpffs_perf_array *pa = as_pa(map);

	if (!pa || index >= map->max_entries)
		return 0;
	return atomic_load_explicit(&pa->slots[index].lost, memory_order_relaxed);
}

int bpffs_perf_event_poll_fd(struct bpffs_map *map, u32 index)
{
	struct bpffs_perf_array *pa = as_pa(map);
	struct bpffs_rb *rb;

	if (!pa || index >= map->max_entries)
		return -EINVAL;
	rb = atomic_load_explicit(&pa->slots[index].rb, memory_order_acquire);
	return rb ? bpffs_rb_poll_fd(rb) : -ENOENT;
}
