// SPDX-License-Identifier: MIT
/*
 * ARRAY and PERCPU_ARRAY, after the kernel's arraymap.c: max_entries
 * preallocated, zero-filled values indexed by a u32 key. Elements always
 * exist, so BPF_NOEXIST fails with -EEXIST and delete with -EINVAL. Lookups
 * are plain pointer arithmetic (no lock, no RCU needed: values never move).
 * Global data (.data/.bss/.rodata) is a one-element array reached through
 * direct_value_addr; .rodata is created with BPF_F_RDONLY_PROG and frozen by
 * the loader once filled. BPF_F_MMAPABLE values are page-aligned and
 * page-granular so the filesystem may map them; with a backing directory
 * set (the state directory) they live in a file there, mapped MAP_SHARED,
 * so their values outlive a crash of the daemon.
 * Per-CPU values hold bpffs_nr_cpus() slots of round_up(value_size, 8) bytes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct bpffs_array {
	struct bpffs_map map;
	u32 elem_size;		/* bytes between two elements */
	u32 slot_size;		/* per-CPU: bytes per slot; else elem_size */
	bool percpu;
	size_t alloc_size;
	u8 *values;		/* mmap'd when BPF_F_MMAPABLE, else calloc'd */
	int backing_fd;		/* MMAPABLE in a file: its descriptor, else -1 */
};

/* bpffs_array_set_backing_dir: where MMAPABLE values go, -1 for memory. */
static int backing_dirfd = -1;

#define ARRAY_MAX_BYTES (1ULL << 34)

static struct bpffs_array *to_array(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_array, map);
}

/* Called from: load/FUSE thread. */
static int array_alloc_check_common(const struct bpffs_map_attr *attr, u32 flags,
				    u64 elem_size, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, flags, log);

	if (err)
		return err;
	if (attr->key_size != 4 || !attr->value_size || !attr->max_entries) {
		bpffs_vlog_printf(log, "map '%s': array needs key_size 4, value_size > 0 and max_entries > 0 (got %u, %u, %u)\n",
				  attr->name, attr->key_size, attr->value_size,
				  attr->max_entries);
		return -EINVAL;
	}
	if (attr->value_size > (1U << 24) ||
	    elem_size * attr->max_entries > ARRAY_MAX_BYTES) {
		bpffs_vlog_printf(log, "map '%s': %u entries of %u bytes are too large\n",
				  attr->name, attr->max_entries, attr->value_size);
		return -E2BIG;
	}
	return 0;
}

static int array_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	return array_alloc_check_common(attr, BPF_F_MMAPABLE | BPF_F_INNER_MAP,
					BPFFS_ROUND_UP(attr->value_size, 8), log);
}

static int percpu_array_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	if (attr->has_spin_lock) {
		bpffs_vlog_printf(log, "map '%s': per-CPU values cannot hold a bpf_spin_lock\n",
				  attr->name);
		return -EINVAL;
	}
	return array_alloc_check_common(attr, BPF_F_INNER_MAP,
					(u64)BPFFS_ROUND_UP(attr->value_size, 8) * bpffs_nr_cpus(),
					log);
}

void bpffs_array_set_backing_dir(int dirfd)
{
	__atomic_store_n(&backing_dirfd, dirfd, __ATOMIC_RELEASE);
}

/* An unnamed file of @size bytes in the backing directory, or -1 (use memory). */
static int backing_file(const char *name, size_t size)
{
	int dirfd = __atomic_load_n(&backing_dirfd, __ATOMIC_ACQUIRE), fd, err;

	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_warn("map '%s': no backing file (%s); its values stay in memory", name,
			strerror(errno));
		return -1;
	}
	/* reserved now: a store through the mapping must never meet a full disk (SIGBUS) */
	err = posix_fallocate(fd, 0, (off_t)size);
	if (err) {
		pr_warn("map '%s': cannot reserve %zu bytes for its backing file (%s); its values stay in memory",
			name, size, strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

static int array_alloc_common(const struct bpffs_map_attr *attr, bool percpu,
			      struct bpffs_map **out)
{
	struct bpffs_array *a = calloc(1, sizeof(*a));
	size_t size;

	if (!a)
		return -ENOMEM;
	bpffs_map_init_from_attr(&a->map, attr);
	a->percpu = percpu;
	a->backing_fd = -1;
	a->slot_size = BPFFS_ROUND_UP(attr->value_size, 8);
	a->elem_size = percpu ? a->slot_size * bpffs_nr_cpus() : a->slot_size;
	if (percpu)
		a->map.user_value_size = a->elem_size;
	size = (size_t)a->elem_size * attr->max_entries;
	if (attr->map_flags & BPF_F_MMAPABLE) {
		size = BPFFS_ROUND_UP(size, 4096);
		a->backing_fd = backing_file(attr->name, size);
		a->values = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 a->backing_fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS,
				 a->backing_fd, 0);
		if (a->values == MAP_FAILED)
			a->values = NULL;
	} else {
		a->values = bpffs_map_area_alloc(size);
	}
	if (!a->values) {
		if (a->backing_fd >= 0)
			close(a->backing_fd);
		free(a);
		return -ENOMEM;
	}
	a->alloc_size = size;
	*out = &a->map;
	return 0;
}

static int array_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return array_alloc_common(attr, false, out);
}

static int percpu_array_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return array_alloc_common(attr, true, out);
}

static void array_free(struct bpffs_map *map)
{
	struct bpffs_array *a = to_array(map);

	if (map->map_flags & BPF_F_MMAPABLE) {
		munmap(a->values, a->alloc_size);
		if (a->backing_fd >= 0)
			close(a->backing_fd);
	} else
		bpffs_map_area_free(a->values, a->alloc_size);
	free(a);
}

int bpffs_array_values(const struct bpffs_map *map, struct bpffs_array_values *out)
{
	const struct bpffs_array *a = to_array(map);

	if (map->map_type != BPF_MAP_TYPE_ARRAY || !(map->map_flags & BPF_F_MMAPABLE))
		return -EINVAL;
	out->values = a->values;
	out->size = a->alloc_size;
	out->fd = a->backing_fd;
	return 0;
}

static u8 *array_elem(struct bpffs_array *a, u32 idx)
{
	return a->values + (size_t)a->elem_size * idx;
}

/* Called from: program run (any thread, must not block) or FUSE thread. */
static void *array_lookup(struct bpffs_map *map, const void *key)
{
	struct bpffs_array *a = to_array(map);
	u32 idx = bpffs_map_key_u32(key);

	if (unlikely(idx >= map->max_entries))
		return NULL;
	if (a->percpu)
		return array_elem(a, idx) + (size_t)a->slot_size * bpffs_cpu_slot();
	return array_elem(a, idx);
}

static void *percpu_array_lookup_cpu(struct bpffs_map *map, const void *key, u32 cpu)
{
	struct bpffs_array *a = to_array(map);
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries || cpu >= bpffs_nr_cpus())
		return NULL;
	return array_elem(a, idx) + (size_t)a->slot_size * cpu;
}

static int array_check_update(struct bpffs_map *map, const void *key, u64 flags)
{
	int err = bpffs_map_check_update_flags(map, flags);

	if (err)
		return err;
	if (bpffs_map_key_u32(key) >= map->max_entries)
		return -E2BIG;	/* all elements are preallocated */
	if ((flags & ~(u64)BPF_F_LOCK) == BPF_NOEXIST)
		return -EEXIST;	/* all elements always exist */
	return 0;
}

/* Called from: program run or FUSE thread. Per-CPU: the caller's slot only. */
static int array_update(struct bpffs_map *map, const void *key, const void *value, u64 flags)
{
	int err = array_check_update(map, key, flags);
	void *dst;

	if (err)
		return err;
	dst = array_lookup(map, key);
	if (flags & BPF_F_LOCK) {
		_Atomic u32 *lock = bpffs_value_lock(map, dst);

		bpffs_spin_lock(lock);
		bpffs_copy_value(map, dst, value);
		bpffs_spin_unlock(lock);
	} else {
		bpffs_copy_value(map, dst, value);
	}
	return 0;
}

/* Called from: FUSE thread. @value holds every CPU slot. */
static int percpu_array_update_all(struct bpffs_map *map, const void *key, const void *value,
				   u64 flags)
{
	struct bpffs_array *a = to_array(map);
	int err = array_check_update(map, key, flags);

	if (err)
		return err;
	memcpy(array_elem(a, bpffs_map_key_u32(key)), value, a->elem_size);
	return 0;
}

static int percpu_array_copy_value(struct bpffs_map *map, const void *key, void *value)
{
	struct bpffs_array *a = to_array(map);
	u32 idx = bpffs_map_key_u32(key);

	if (idx >= map->max_entries)
		return -ENOENT;
	memcpy(value, array_elem(a, idx), a->elem_size);
	return 0;
}

static int array_delete(struct bpffs_map *map, const void *key)
{
	return -EINVAL;	/* elements cannot be removed, as in the kernel */
}

/* Linear: each call is O(1), so listing the whole array is O(max_entries). */
static int array_next_key(struct bpffs_map *map, const void *key, void *next_key)
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

/* As the kernel's: checks @off, returns the value's base address (callers add @off). */
static int array_direct_value_addr(struct bpffs_map *map, u64 *addr, u32 off)
{
	if (map->max_entries != 1 || off >= map->value_size)
		return -EINVAL;
	*addr = (u64)(uintptr_t)to_array(map)->values;
	return 0;
}

/* Called from: program run (bpf_for_each_map_elem). */
static long array_for_each(struct bpffs_map *map, bpffs_map_elem_cb cb, void *arg)
{
	u32 idx;

	for (idx = 0; idx < map->max_entries; idx++) {
		u32 key = idx;

		if (cb(map, &key, array_lookup(map, &key), arg))
			return idx + 1;
	}
	return map->max_entries;
}

static size_t array_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_array) + to_array(map)->alloc_size;
}

const struct bpffs_map_ops bpffs_array_map_ops = {
	.alloc_check = array_alloc_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.update_locked = array_update,
	.delete = array_delete,
	.next_key = array_next_key,
	.direct_value_addr = array_direct_value_addr,
	.for_each = array_for_each,
	.mem_usage = array_mem_usage,
};

const struct bpffs_map_ops bpffs_percpu_array_map_ops = {
	.alloc_check = percpu_array_alloc_check,
	.alloc = percpu_array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.update_percpu = percpu_array_update_all,
	.copy_value = percpu_array_copy_value,
	.lookup_percpu = percpu_array_lookup_cpu,
	.delete = array_delete,
	.next_key = array_next_key,
	.for_each = array_for_each,
	.mem_usage = array_mem_usage,
};
