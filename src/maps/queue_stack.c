// SPDX-License-Identifier: MIT
/*
 * QUEUE (FIFO) and STACK (LIFO), after the kernel's queue_stack_maps.c:
 * key_size 0, values pushed and popped whole. A full map fails a push with
 * -E2BIG, or with BPF_EXIST drops the oldest value to make room; pop and
 * peek on an empty map fail with -ENOENT. A ring of max_entries + 1 slots
 * under one short spin lock; values are copied in and out under it, so no
 * pointer into the map ever escapes (lookup/update/delete are not supported).
 */
#include <stdlib.h>

#include "internal.h"

struct bpffs_qs {
	struct bpffs_map map;
	_Atomic u32 lock;
	u32 size;		/* max_entries + 1 */
	u32 head;		/* next slot to write; protected by lock */
	u32 tail;		/* oldest value; protected by lock */
	bool stack;
	u8 *elems;
};

static struct bpffs_qs *to_qs(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_qs, map);
}

/* Called from: load/FUSE thread. */
static int qs_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, 0, log);

	if (err)
		return err;
	if (attr->key_size || !attr->value_size || !attr->max_entries) {
		bpffs_vlog_printf(log, "map '%s': %s needs key_size 0, value_size > 0 and max_entries > 0\n",
				  attr->name, bpffs_map_type_name(attr->map_type));
		return -EINVAL;
	}
	if (attr->value_size > (1U << 20) ||
	    (u64)attr->value_size * attr->max_entries > (1ULL << 32)) {
		bpffs_vlog_printf(log, "map '%s': %u values of %u bytes are too large\n",
				  attr->name, attr->max_entries, attr->value_size);
		return -E2BIG;
	}
	return 0;
}

static int qs_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_qs *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	bpffs_map_init_from_attr(&q->map, attr);
	q->size = attr->max_entries + 1;
	q->stack = attr->map_type == BPF_MAP_TYPE_STACK;
	q->elems = calloc(q->size, attr->value_size);
	if (!q->elems) {
		free(q);
		return -ENOMEM;
	}
	*out = &q->map;
	return 0;
}

static void qs_free(struct bpffs_map *map)
{
	struct bpffs_qs *q = to_qs(map);

	free(q->elems);
	free(q);
}

static u8 *qs_slot(struct bpffs_qs *q, u32 idx)
{
	return q->elems + (size_t)idx * q->map.value_size;
}

/* Called from: program run or FUSE thread; never blocks for long. */
static int qs_push(struct bpffs_map *map, const void *value, u64 flags)
{
	struct bpffs_qs *q = to_qs(map);
	int err = 0;

	if (flags & ~(u64)BPF_EXIST)
		return -EINVAL;
	bpffs_spin_lock(&q->lock);
	if ((q->head + 1) % q->size == q->tail) {
		if (!(flags & BPF_EXIST)) {
			err = -E2BIG;
			goto out;
		}
		q->tail = (q->tail + 1) % q->size;	/* drop the oldest */
	}
	memcpy(qs_slot(q, q->head), value, map->value_size);
	q->head = (q->head + 1) % q->size;
out:
	bpffs_spin_unlock(&q->lock);
	return err;
}

static int qs_get(struct bpffs_map *map, void *value, bool remove)
{
	struct bpffs_qs *q = to_qs(map);
	u32 idx;

	bpffs_spin_lock(&q->lock);
	if (q->head == q->tail) {
		bpffs_spin_unlock(&q->lock);
		return -ENOENT;
	}
	if (q->stack) {
		idx = (q->head + q->size - 1) % q->size;
		if (remove)
			q->head = idx;
	} else {
		idx = q->tail;
		if (remove)
			q->tail = (q->tail + 1) % q->size;
	}
	memcpy(value, qs_slot(q, idx), map->value_size);
	bpffs_spin_unlock(&q->lock);
	return 0;
}

static int qs_pop(struct bpffs_map *map, void *value)
{
	return qs_get(map, value, true);
}

static int qs_peek(struct bpffs_map *map, void *value)
{
	return qs_get(map, value, false);
}

static size_t qs_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_qs) + (size_t)to_qs(map)->size * map->value_size;
}

/*
 * Copy up to @max values, oldest first, into @buf (the state directory
 * saves them; pushing them back in this order rebuilds the same queue or
 * stack). Returns the count, or -EINVAL if @map is not a queue or stack.
 * Called from: any thread; holds the map's lock while copying.
 */
long bpffs_qs_copy(struct bpffs_map *map, void *buf, u32 max)
{
	struct bpffs_qs *q;
	u32 n, i;

	if (map->map_type != BPF_MAP_TYPE_QUEUE && map->map_type != BPF_MAP_TYPE_STACK)
		return -EINVAL;
	q = to_qs(map);
	bpffs_spin_lock(&q->lock);
	n = (q->head + q->size - q->tail) % q->size;
	n = n < max ? n : max;
	for (i = 0; i < n; i++)
		memcpy((u8 *)buf + (size_t)i * map->value_size, qs_slot(q, (q->tail + i) % q->size),
		       map->value_size);
	bpffs_spin_unlock(&q->lock);
	return n;
}

const struct bpffs_map_ops bpffs_queue_map_ops = {
	.alloc_check = qs_alloc_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.push = qs_push,
	.pop = qs_pop,
	.peek = qs_peek,
	.mem_usage = qs_mem_usage,
};

const struct bpffs_map_ops bpffs_stack_map_ops = {
	.alloc_check = qs_alloc_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.push = qs_push,
	.pop = qs_pop,
	.peek = qs_peek,
	.mem_usage = qs_mem_usage,
};
