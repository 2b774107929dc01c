// SPDX-License-Identifier: MIT
/*
 * DEVMAP: an array of redirect targets for XDP's bpf_redirect_map. Values
 * are an ifindex (value_size 4) or struct bpf_devmap_val (8: ifindex +
 * program fd, the program part unused here). Unlike ARRAY, entries can be
 * deleted. Values are one 8-byte word stored atomically, so readers never
 * see a torn entry. The redirect itself happens in the socket hook after the
 * run (bpffs_redirect_info). CPUMAP, whose entries are workers, is cpumap.c.
 * Not here: checking that an ifindex exists, programs attached to entries,
 * broadcast.
 */
#include <stdlib.h>

#include "internal.h"

struct dev_slot {
	_Atomic u64 val;
	_Atomic u32 present;
};

struct bpffs_devmap {
	struct bpffs_map map;
	struct dev_slot *slots;
};

static struct bpffs_devmap *to_dm(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_devmap, map);
}

/* Called from: load/FUSE thread. */
static int dm_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, 0, log);

	if (err)
		return err;
	if (attr->key_size != 4 || (attr->value_size != 4 && attr->value_size != 8) ||
	    !attr->max_entries) {
		bpffs_vlog_printf(log, "map '%s': %s needs key_size 4, value_size 4 or 8 and max_entries > 0\n",
				  attr->name, bpffs_map_type_name(attr->map_type));
		return -EINVAL;
	}
	if (attr->max_entries > (1U << 20)) {
		bpffs_vlog_printf(log, "map '%s': %u entries are too many\n", attr->name,
				  attr->max_entries);
		return -E2BIG;
	}
	return 0;
}

static int dm_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_devmap *dm = calloc(1, sizeof(*dm));

	if (!dm)
		return -ENOMEM;
	bpffs_map_init_from_attr(&dm->map, attr);
	dm->slots = calloc(attr->max_entries, sizeof(*dm->slots));
	if (!dm->slots) {
		free(dm);
		return -ENOMEM;
	}
	*out = &dm->map;
	return 0;
}

static void dm_free(struct bpffs_map *map)
{
	free(to_dm(map)->slots);
	free(to_dm(map));
}

/* Called from: program run or FUSE thread. */
static void *dm_lookup(struct bpffs_map *map, const void *key)
{
	struct bpffs_devmap *dm = to_dm(map);
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries ||
	    !atomic_load_explicit(&dm->slots[idx].present, memory_order_acquire))
		return NULL;
	return (void *)&dm->slots[idx].val;
}

static int dm_update(struct bpffs_map *map, const void *key, const void *value, u64 flags)
{
	struct bpffs_devmap *dm = to_dm(map);
	u32 idx = bpffs_map_key_u32(key);
	u64 v = 0;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (idx >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;	/* array semantics, as the kernel's devmap */
	memcpy(&v, value, map->value_size);
	atomic_store_explicit(&dm->slots[idx].val, v, memory_order_relaxed);
	atomic_store_explicit(&dm->slots[idx].present, 1, memory_order_release);
	return 0;
}

static int dm_delete(struct bpffs_map *map, const void *key)
{
	struct bpffs_devmap *dm = to_dm(map);
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries)
		return -EINVAL;
	if (!atomic_exchange(&dm->slots[idx].present, 0))
		return -ENOENT;
	return 0;
}

static int dm_next_key(struct bpffs_map *map, const void *key, void *next_key)
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

static int dm_redirect(struct bpffs_map *map, u32 key, u32 *target)
{
	struct bpffs_devmap *dm = to_dm(map);

	if (key >= map->max_entries ||
	    !atomic_load_explicit(&dm->slots[key].present, memory_order_acquire))
		return -ENOENT;
	*target = (u32)atomic_load_explicit(&dm->slots[key].val, memory_order_relaxed);
	return 0;
}

static size_t dm_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_devmap) + map->max_entries * sizeof(struct dev_slot);
}

const struct bpffs_map_ops bpffs_devmap_map_ops = {
	.alloc_check = dm_alloc_check,
	.alloc = dm_alloc,
	.free = dm_free,
	.lookup = dm_lookup,
	.update = dm_update,
	.delete = dm_delete,
	.next_key = dm_next_key,
	.redirect = dm_redirect,
	.mem_usage = dm_mem_usage,
};

static __thread struct bpffs_redirect_info redirect_info;

struct bpffs_redirect_info *bpffs_redirect_info(void)
{
	return &redirect_info;
}
