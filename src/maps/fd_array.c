// SPDX-License-Identifier: MIT
/*
 * Arrays of objects, after the kernel's fd_array maps: PROG_ARRAY (tail call
 * targets) and ARRAY_OF_MAPS. In the kernel user space stores fds; here the
 * filesystem or loader resolves its names/ids to objects and stores the
 * object pointers through bpffs_prog_array_update / bpffs_map_in_map_update.
 * Each slot holds a reference; a replaced or deleted object is released only
 * after a grace period, so a program that read the slot (tail call, inner
 * map lookup) keeps using it safely until the end of its run. Syscall-side
 * lookup returns the object's id (u32). Also the map-in-map compatibility
 * check shared with HASH_OF_MAPS.
 */
#include <stdlib.h>

#include "internal.h"
#include "../core/core.h"

struct bpffs_obj_array {
	struct bpffs_map map;
	bool progs;			/* PROG_ARRAY, else ARRAY_OF_MAPS */
	_Atomic(void *) *slots;
};

struct obj_release {
	struct bpffs_rcu_head rcu;
	void *obj;
	bool prog;
};

static struct bpffs_obj_array *to_oa(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_obj_array, map);
}

static void obj_put(void *obj, bool prog)
{
	if (!obj)
		return;
	if (prog)
		bpffs_prog_put(obj);
	else
		bpffs_map_put(obj);
}

static void obj_release_rcu(struct bpffs_rcu_head *head)
{
	struct obj_release *r = container_of(head, struct obj_release, rcu);

	obj_put(r->obj, r->prog);
	free(r);
}

/* Called from: load/FUSE thread. */
static int oa_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	bool progs = attr->map_type == BPF_MAP_TYPE_PROG_ARRAY;
	int err = bpffs_map_check_attr(attr, progs ? 0 : BPF_F_INNER_MAP, log);

	if (err)
		return err;
	if (attr->key_size != 4 || attr->value_size != 4 || !attr->max_entries) {
		bpffs_vlog_printf(log, "map '%s': %s needs key_size 4, value_size 4 and max_entries > 0\n",
				  attr->name, bpffs_map_type_name(attr->map_type));
		return -EINVAL;
	}
	if (attr->max_entries > (1U << 24)) {
		bpffs_vlog_printf(log, "map '%s': %u entries are too many\n", attr->name,
				  attr->max_entries);
		return -E2BIG;
	}
	if (!progs && !attr->inner_map) {
		bpffs_vlog_printf(log, "map '%s': array_of_maps needs an inner map template\n",
				  attr->name);
		return -EINVAL;
	}
	return 0;
}

static int oa_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_obj_array *oa = calloc(1, sizeof(*oa));

	if (!oa)
		return -ENOMEM;
	bpffs_map_init_from_attr(&oa->map, attr);
	oa->progs = attr->map_type == BPF_MAP_TYPE_PROG_ARRAY;
	oa->slots = calloc(attr->max_entries, sizeof(*oa->slots));
	if (!oa->slots) {
		free(oa);
		return -ENOMEM;
	}
	if (attr->inner_map) {
		oa->map.inner_map_meta = attr->inner_map;
		bpffs_map_get(attr->inner_map);
	}
	*out = &oa->map;
	return 0;
}

static void oa_free(struct bpffs_map *map)
{
	struct bpffs_obj_array *oa = to_oa(map);

	for (u32 i = 0; i < map->max_entries; i++)
		obj_put(atomic_load(&oa->slots[i]), oa->progs);
	free(oa->slots);
	free(oa);
}

/* Called from: program run. ARRAY_OF_MAPS returns the inner map itself. */
static void *oa_lookup(struct bpffs_map *map, const void *key)
{
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries)
		return NULL;
	return atomic_load_explicit(&to_oa(map)->slots[idx], memory_order_acquire);
}

static int oa_copy_value(struct bpffs_map *map, const void *key, void *value)
{
	struct bpffs_obj_array *oa = to_oa(map);
	void *obj = oa_lookup(map, key);

	if (!obj)
		return -ENOENT;
	*(u32 *)value = oa->progs ? ((struct bpffs_prog *)obj)->id : ((struct bpffs_map *)obj)->id;
	return 0;
}

/* Swap @obj into slot @idx and release the old one after a grace period. */
static int oa_set(struct bpffs_obj_array *oa, u32 idx, void *obj)
{
	struct obj_release *r = malloc(sizeof(*r));
	void *old;

	if (!r)
		return -ENOMEM;
	old = atomic_exchange_explicit(&oa->slots[idx], obj, memory_order_acq_rel);
	if (!old) {
		free(r);
		return 0;
	}
	r->obj = old;
	r->prog = oa->progs;
	bpffs_rcu_call(&r->rcu, obj_release_rcu);
	return 0;
}

static int oa_update_ptr(struct bpffs_map *map, const void *key, void *ptr, u64 flags)
{
	u32 idx = bpffs_map_key_u32(key);

	if (flags != BPF_ANY)
		return -EINVAL;
	if (idx >= map->max_entries)
		return -E2BIG;
	return oa_set(to_oa(map), idx, ptr);
}

static int oa_delete(struct bpffs_map *map, const void *key)
{
	struct bpffs_obj_array *oa = to_oa(map);
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries)
		return -E2BIG;
	if (!atomic_load(&oa->slots[idx]))
		return -ENOENT;
	return oa_set(oa, idx, NULL);
}

static int oa_next_key(struct bpffs_map *map, const void *key, void *next_key)
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

static size_t oa_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_obj_array) + map->max_entries * sizeof(void *);
}

const struct bpffs_map_ops bpffs_prog_array_map_ops = {
	.alloc_check = oa_alloc_check,
	.alloc = oa_alloc,
	.free = oa_free,
	.copy_value = oa_copy_value,
	.update_ptr = oa_update_ptr,
	.delete = oa_delete,
	.next_key = oa_next_key,
	.mem_usage = oa_mem_usage,
};

const struct bpffs_map_ops bpffs_array_of_maps_map_ops = {
	.alloc_check = oa_alloc_check,
	.alloc = oa_alloc,
	.free = oa_free,
	.lookup = oa_lookup,
	.copy_value = oa_copy_value,
	.update_ptr = oa_update_ptr,
	.delete = oa_delete,
	.next_key = oa_next_key,
	.mem_usage = oa_mem_usage,
};

struct bpffs_prog *bpffs_prog_array_get(struct bpffs_map *map, u32 index)
{
	if (!map || map->ops != &bpffs_prog_array_map_ops || index >= map->max_entries)
		return NULL;
	return atomic_load_explicit(&to_oa(map)->slots[index], memory_order_acquire);
}

int bpffs_prog_array_update(struct bpffs_map *map, u32 index, struct bpffs_prog *prog)
{
	int err;

	if (!map || map->ops != &bpffs_prog_array_map_ops)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	if (prog)
		bpffs_prog_get(prog);
	err = oa_set(to_oa(map), index, prog);
	if (err && prog)
		bpffs_prog_put(prog);
	return err;
}

/* The inner map must look like the template (kernel bpf_map_meta_equal). */
static int map_meta_check(const struct bpffs_map *meta, const struct bpffs_map *inner,
			  struct bpffs_vlog *log)
{
	if (inner->inner_map_meta || inner->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		bpffs_vlog_printf(log, "map '%s': %s cannot be an inner map\n", inner->name,
				  bpffs_map_type_name(inner->map_type));
		return -EOPNOTSUPP;
	}
	if (meta->map_type != inner->map_type || meta->key_size != inner->key_size ||
	    meta->value_size != inner->value_size ||
	    (meta->map_flags & ~BPF_F_INNER_MAP) != (inner->map_flags & ~BPF_F_INNER_MAP) ||
	    (!(meta->map_flags & BPF_F_INNER_MAP) && meta->max_entries != inner->max_entries)) {
		bpffs_vlog_printf(log, "map '%s': does not match the inner map template '%s' (type, key/value size, flags, max_entries)\n",
				  inner->name, meta->name);
		return -EINVAL;
	}
	return 0;
}

int bpffs_map_in_map_update(struct bpffs_map *outer, const void *key,
			    struct bpffs_map *inner, u64 flags, struct bpffs_vlog *log)
{
	int err;

	if (!outer->inner_map_meta || !outer->ops->update_ptr || !inner)
		return -EINVAL;
	err = map_meta_check(outer->inner_map_meta, inner, log);
	if (err)
		return err;
	bpffs_map_get(inner);
	bpffs_rcu_read_lock();
	err = outer->ops->update_ptr(outer, key, inner, flags);
	bpffs_rcu_read_unlock();
	if (err)
		bpffs_map_put(inner);
	return err;
}
