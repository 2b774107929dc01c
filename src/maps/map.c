// SPDX-License-Identifier: MIT
/*
 * The generic map layer: the table of map types built from map_types.h,
 * creation (check, then allocate), reference counting, and the checked
 * syscall-side wrappers that the filesystem calls. It dispatches through each
 * type's ops table and never looks at a type's private layout; a NULL op is
 * reported as -EOPNOTSUPP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

static const struct bpffs_map_ops *const map_type_ops[] = {
#define BPFFS_MAP_TYPE(id, name) [id] = &bpffs_##name##_map_ops,
#include "map_types.h"
#undef BPFFS_MAP_TYPE
};

/* Names of every uapi map type, implemented or not, for messages and the fs. */
static const char *const map_type_names[] = {
	[BPF_MAP_TYPE_UNSPEC] = "unspec",
	[BPF_MAP_TYPE_HASH] = "hash",
	[BPF_MAP_TYPE_ARRAY] = "array",
	[BPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
	[BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
	[BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
	[BPF_MAP_TYPE_STACK_TRACE] = "stack_trace",
	[BPF_MAP_TYPE_CGROUP_ARRAY] = "cgroup_array",
	[BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
	[BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
	[BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
	[BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
	[BPF_MAP_TYPE_DEVMAP] = "devmap",
	[BPF_MAP_TYPE_SOCKMAP] = "sockmap",
	[BPF_MAP_TYPE_CPUMAP] = "cpumap",
	[BPF_MAP_TYPE_XSKMAP] = "xskmap",
	[BPF_MAP_TYPE_SOCKHASH] = "sockhash",
	[BPF_MAP_TYPE_CGROUP_STORAGE] = "cgroup_storage",
	[BPF_MAP_TYPE_REUSEPORT_SOCKARRAY] = "reuseport_sockarray",
	[BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE] = "percpu_cgroup_storage",
	[BPF_MAP_TYPE_QUEUE] = "queue",
	[BPF_MAP_TYPE_STACK] = "stack",
	[BPF_MAP_TYPE_SK_STORAGE] = "sk_storage",
	[BPF_MAP_TYPE_DEVMAP_HASH] = "devmap_hash",
	[BPF_MAP_TYPE_STRUCT_OPS] = "struct_ops",
	[BPF_MAP_TYPE_RINGBUF] = "ringbuf",
	[BPF_MAP_TYPE_INODE_STORAGE] = "inode_storage",
	[BPF_MAP_TYPE_TASK_STORAGE] = "task_storage",
	[BPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
	[BPF_MAP_TYPE_USER_RINGBUF] = "user_ringbuf",
};

const char *bpffs_map_type_name(u32 map_type)
{
	if (map_type >= BPFFS_ARRAY_SIZE(map_type_names))
		return NULL;
	return map_type_names[map_type];
}

static const struct bpffs_map_ops *map_ops_of(u32 map_type)
{
	if (map_type >= BPFFS_ARRAY_SIZE(map_type_ops))
		return NULL;
	return map_type_ops[map_type];
}

#define MAP_AREA_HUGE (2UL << 20)

void *bpffs_map_area_alloc(size_t size)
{
	void *p;

	if (size < MAP_AREA_HUGE) {
		size = BPFFS_ROUND_UP(size ? size : 1, 64);
		p = aligned_alloc(64, size);
		if (p)
			memset(p, 0, size);
		return p;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_HUGEPAGE);	/* a hint; failure is harmless */
	return p;
}

void bpffs_map_area_free(void *area, size_t size)
{
	if (!area)
		return;
	if (size < MAP_AREA_HUGE)
		free(area);
	else
		munmap(area, size);
}

void bpffs_map_init_from_attr(struct bpffs_map *map, const struct bpffs_map_attr *attr)
{
	map->map_type = attr->map_type;
	map->key_size = attr->key_size;
	map->value_size = attr->value_size;
	map->user_value_size = attr->value_size;
	map->max_entries = attr->max_entries;
	map->map_flags = attr->map_flags;
	map->map_extra = attr->map_extra;
	map->btf_key_type_id = attr->btf_key_type_id;
	map->btf_value_type_id = attr->btf_value_type_id;
	map->spin_lock_off = attr->has_spin_lock ? (s32)attr->spin_lock_off : -1;
	snprintf(map->name, sizeof(map->name), "%s", attr->name);
}

/* Flags every type accepts: access modes, which the fs and verifier enforce. */
#define MAP_COMMON_FLAGS (BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | \
			  BPF_F_WRONLY_PROG | BPF_F_NUMA_NODE)

int bpffs_map_check_attr(const struct bpffs_map_attr *attr, u32 allowed_flags,
			 struct bpffs_vlog *log)
{
	u32 bad = attr->map_flags & ~(allowed_flags | MAP_COMMON_FLAGS);
	const char *t = bpffs_map_type_name(attr->map_type);

	if (bad) {
		bpffs_vlog_printf(log, "map '%s': flags 0x%x are not valid for type %s\n",
				  attr->name, bad, t);
		return -EINVAL;
	}
	if ((attr->map_flags & BPF_F_RDONLY) && (attr->map_flags & BPF_F_WRONLY)) {
		bpffs_vlog_printf(log, "map '%s': BPF_F_RDONLY and BPF_F_WRONLY exclude each other\n",
				  attr->name);
		return -EINVAL;
	}
	if ((attr->map_flags & BPF_F_RDONLY_PROG) && (attr->map_flags & BPF_F_WRONLY_PROG)) {
		bpffs_vlog_printf(log, "map '%s': BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other\n",
				  attr->name);
		return -EINVAL;
	}
	if (attr->has_spin_lock &&
	    (attr->spin_lock_off % 4 || attr->spin_lock_off + 4 > attr->value_size)) {
		bpffs_vlog_printf(log, "map '%s': bpf_spin_lock at offset %u does not fit the value\n",
				  attr->name, attr->spin_lock_off);
		return -EINVAL;
	}
	return 0;
}

int bpffs_map_check_update_flags(const struct bpffs_map *map, u64 flags)
{
	if ((flags & ~(u64)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if ((flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return -EINVAL;
	return 0;
}

static int map_create_unsupported(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	const char *t = bpffs_map_type_name(attr->map_type);

	if (!t) {
		bpffs_vlog_printf(log, "map '%s': unknown map type %u\n", attr->name,
				  attr->map_type);
		return -EINVAL;
	}
	bpffs_vlog_printf(log, "map '%s': map type %s has no meaning in user space\n",
			  attr->name, t);
	return -EOPNOTSUPP;
}

int bpffs_map_create(const struct bpffs_map_attr *attr, struct bpffs_vlog *log,
		     struct bpffs_map **out)
{
	const struct bpffs_map_ops *ops = map_ops_of(attr->map_type);
	struct bpffs_map *map;
	int err;

	*out = NULL;
	if (!ops)
		return map_create_unsupported(attr, log);
	if (ops->alloc_check) {
		err = ops->alloc_check(attr, log);
		if (err)
			return err;
	}
	err = ops->alloc(attr, &map);
	if (err) {
		bpffs_vlog_printf(log, "map '%s': cannot allocate (%s)\n", attr->name,
				  strerror(-err));
		return err;
	}
	map->ops = ops;
	map->refcnt = 1;
	map->frozen = false;
	*out = map;
	return 0;
}

void bpffs_map_get(struct bpffs_map *map)
{
	__atomic_fetch_add(&map->refcnt, 1, __ATOMIC_RELAXED);
}

static void map_free_rcu(struct bpffs_rcu_head *head)
{
	struct bpffs_map *map = container_of(head, struct bpffs_map, rcu);

	if (map->inner_map_meta)
		bpffs_map_put(map->inner_map_meta);
	map->ops->free(map);
}

void bpffs_map_put(struct bpffs_map *map)
{
	if (!map)
		return;
	if (__atomic_sub_fetch(&map->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		bpffs_rcu_call(&map->rcu, map_free_rcu);
}

int bpffs_map_freeze(struct bpffs_map *map)
{
	__atomic_store_n(&map->frozen, true, __ATOMIC_RELEASE);
	return 0;
}

static bool map_frozen(const struct bpffs_map *map)
{
	return __atomic_load_n(&map->frozen, __ATOMIC_ACQUIRE);
}

/* Copy a value out while holding its bpf_spin_lock; the lock word reads as 0. */
static void map_copy_out_locked(struct bpffs_map *map, void *dst, void *src)
{
	_Atomic u32 *lock = bpffs_value_lock(map, src);

	bpffs_spin_lock(lock);
	bpffs_copy_value(map, dst, src);
	bpffs_spin_unlock(lock);
	memset((u8 *)dst + map->spin_lock_off, 0, 4);
}

static int map_lookup_copy(struct bpffs_map *map, const void *key, void *value, u64 flags)
{
	void *ptr;

	if (map->ops->copy_value)
		return map->ops->copy_value(map, key, value);
	if (!map->ops->lookup)
		return -EOPNOTSUPP;
	ptr = map->ops->lookup(map, key);
	if (!ptr)
		return -ENOENT;
	if (flags & BPF_F_LOCK) {
		map_copy_out_locked(map, value, ptr);
		return 0;
	}
	memcpy(value, ptr, map->value_size);
	if (map->spin_lock_off >= 0)
		memset((u8 *)value + map->spin_lock_off, 0, 4);
	return 0;
}

int bpffs_map_lookup_elem_flags(struct bpffs_map *map, const void *key, void *value,
				u64 flags)
{
	int err;

	if (flags & ~(u64)BPF_F_LOCK)
		return -EINVAL;
	if ((flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return -EINVAL;
	if (map->map_flags & BPF_F_WRONLY)
		return -EPERM;
	bpffs_rcu_read_lock();
	err = map_lookup_copy(map, key, value, flags);
	bpffs_rcu_read_unlock();
	return err;
}

int bpffs_map_lookup_elem(struct bpffs_map *map, const void *key, void *value)
{
	return bpffs_map_lookup_elem_flags(map, key, value, 0);
}

static int map_check_writable(const struct bpffs_map *map)
{
	if (map_frozen(map) || (map->map_flags & BPF_F_RDONLY))
		return -EPERM;
	return 0;
}

int bpffs_map_update_elem(struct bpffs_map *map, const void *key, const void *value,
			  u64 flags)
{
	int (*op)(struct bpffs_map *, const void *, const void *, u64);
	int err = map_check_writable(map);

	if (err)
		return err;
	err = bpffs_map_check_update_flags(map, flags);
	if (err)
		return err;
	if (map->ops->update_percpu)
		op = map->ops->update_percpu;
	else if (flags & BPF_F_LOCK)
		op = map->ops->update_locked;
	else
		op = map->ops->update;
	if (!op)
		return -EOPNOTSUPP;
	bpffs_rcu_read_lock();
	err = op(map, key, value, flags);
	bpffs_rcu_read_unlock();
	return err;
}

int bpffs_map_delete_elem(struct bpffs_map *map, const void *key)
{
	int err = map_check_writable(map);

	if (err)
		return err;
	if (!map->ops->delete)
		return -EOPNOTSUPP;
	bpffs_rcu_read_lock();
	err = map->ops->delete(map, key);
	bpffs_rcu_read_unlock();
	return err;
}

int bpffs_map_get_next_key(struct bpffs_map *map, const void *key, void *next_key)
{
	int err;

	if (!map->ops->next_key)
		return -EOPNOTSUPP;
	bpffs_rcu_read_lock();
	err = map->ops->next_key(map, key, next_key);
	bpffs_rcu_read_unlock();
	return err;
}

int bpffs_map_push_elem(struct bpffs_map *map, const void *value, u64 flags)
{
	int err = map_check_writable(map);

	if (err)
		return err;
	if (!map->ops->push)
		return -EOPNOTSUPP;
	return map->ops->push(map, value, flags);
}

int bpffs_map_pop_elem(struct bpffs_map *map, void *value)
{
	int err = map_check_writable(map);

	if (err)
		return err;
	if (!map->ops->pop)
		return -EOPNOTSUPP;
	return map->ops->pop(map, value);
}

int bpffs_map_peek_elem(struct bpffs_map *map, void *value)
{
	if (!map->ops->peek)
		return -EOPNOTSUPP;
	return map->ops->peek(map, value);
}

size_t bpffs_map_mem_usage(const struct bpffs_map *map)
{
	if (!map->ops->mem_usage)
		return 0;
	return map->ops->mem_usage(map);
}
