/* SPDX-License-Identifier: MIT */
/*
 * Maps: struct bpffs_map and the per-type operations table, after the
 * kernel's struct bpf_map_ops. Each map type is one file ending in one
 * `const struct bpffs_map_ops`, listed once in map_types.h. Generic code
 * dispatches through the table and never switches on the type; a NULL op
 * means "not supported" and the generic layer returns -EOPNOTSUPP.
 *
 * Concurrency: lookups are called from program runs on any hook thread and
 * must not block; update/delete may come concurrently from FUSE threads and
 * programs. A value pointer returned by lookup stays valid until the end of
 * the current program run (RCU read side, see bpffs_map_rcu_*).
 */
#ifndef BPFFS_MAPS_H
#define BPFFS_MAPS_H

#include "../core/types.h"

struct bpffs_vlog;
struct bpffs_map;

#define BPFFS_OBJ_NAME_LEN 64

/* What a map is asked to be; the ELF loader and `mkdir maps/NAME` fill it. */
struct bpffs_map_attr {
	u32 map_type;		/* BPF_MAP_TYPE_* */
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;		/* BPF_F_* */
	u32 inner_map_idx;	/* map-in-map: index of the inner template, or -1 */
	struct bpffs_map *inner_map; /* map-in-map template (borrowed) */
	u32 btf_key_type_id;
	u32 btf_value_type_id;
	char name[BPFFS_OBJ_NAME_LEN];
};

struct bpffs_map_ops {
	/* Called from: load/FUSE thread. No side effects; -EINVAL/-E2BIG + log. */
	int (*alloc_check)(const struct bpffs_map_attr *attr, struct bpffs_vlog *log);
	/* Called from: load/FUSE thread. Returns 0 and *out, or -errno. */
	int (*alloc)(const struct bpffs_map_attr *attr, struct bpffs_map **out);
	/* Called when the last reference is dropped. */
	void (*free)(struct bpffs_map *map);
	/* Called from: program run (any thread, must not block) or FUSE thread. */
	void *(*lookup)(struct bpffs_map *map, const void *key);
	int (*update)(struct bpffs_map *map, const void *key, const void *value, u64 flags);
	int (*delete)(struct bpffs_map *map, const void *key);
	/* key == NULL asks for the first key. -ENOENT after the last. */
	int (*next_key)(struct bpffs_map *map, const void *key, void *next_key);
	/* queue/stack/bloom: push (update flags), pop, peek */
	int (*push)(struct bpffs_map *map, const void *value, u64 flags);
	int (*pop)(struct bpffs_map *map, void *value);
	int (*peek)(struct bpffs_map *map, void *value);
	/* Direct value address for global data (LD_IMM64 map-value pseudo). */
	int (*direct_value_addr)(struct bpffs_map *map, u64 *addr, u32 off);
	/* Copy a value out / in for syscall-side access (per-CPU maps copy every slot). */
	int (*copy_value)(struct bpffs_map *map, const void *key, void *value);
	/* Memory used by the map, in bytes. */
	size_t (*mem_usage)(const struct bpffs_map *map);
};

/* Generic part, embedded first in every type's private struct. */
struct bpffs_map {
	const struct bpffs_map_ops *ops;
	u32 map_type;
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;
	u32 id;
	u32 btf_key_type_id;
	u32 btf_value_type_id;
	int refcnt;		/* atomic; bpffs_map_get/put */
	bool frozen;		/* read-only to programs and the filesystem */
	struct bpffs_map *inner_map_meta; /* map-in-map template */
	char name[BPFFS_OBJ_NAME_LEN];
};

/* Create a map of attr->map_type. Returns 0 and *out (refcount 1) or -errno + log. */
int bpffs_map_create(const struct bpffs_map_attr *attr, struct bpffs_vlog *log,
		     struct bpffs_map **out);
void bpffs_map_get(struct bpffs_map *map);
void bpffs_map_put(struct bpffs_map *map);

/* Syscall-side entry points (FUSE thread): checked wrappers around the ops. */
int bpffs_map_lookup_elem(struct bpffs_map *map, const void *key, void *value);
int bpffs_map_update_elem(struct bpffs_map *map, const void *key, const void *value,
			  u64 flags);
int bpffs_map_delete_elem(struct bpffs_map *map, const void *key);
int bpffs_map_get_next_key(struct bpffs_map *map, const void *key, void *next_key);

/* Name of a BPF_MAP_TYPE_* value ("hash", "array", ...), or NULL if unknown. */
const char *bpffs_map_type_name(u32 map_type);

#endif /* BPFFS_MAPS_H */
