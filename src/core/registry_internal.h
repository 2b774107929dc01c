/* SPDX-License-Identifier: MIT */
/* Registry tables, shared by registry.c and the load pipeline (load.c). */
#ifndef BPFFS_REGISTRY_INTERNAL_H
#define BPFFS_REGISTRY_INTERNAL_H

#include <pthread.h>

#include "registry.h"

struct registry_map {
	struct bpffs_map *map;		/* the registry's reference */
	u32 users;			/* loaded objects using it */
	bool held;			/* pinned by name or made by mkdir: outlives its users */
	struct bpffs_btf *btf;		/* types of its key and value, or NULL (a reference) */
};

struct bpffs_registry {
	pthread_rwlock_t lock;		/* guards everything below */
	struct bpffs_loaded_obj **objs;
	u32 obj_cnt, obj_cap;
	struct bpffs_prog **progs;
	u32 prog_cnt, prog_cap;
	struct registry_map *maps;
	u32 map_cnt, map_cap;
	u32 next_obj_id, next_prog_id, next_map_id;
	struct bpffs_limits limits;	/* per-mount limits (limits.c), 0 = none */
	/* bpffs_registry_set_notify: held during a call, so unsubscribing waits for it */
	pthread_mutex_t notify_lock;
	void (*notify)(void *arg, const char *obj_name);
	void *notify_arg;
};

int registry_find_obj_locked(struct bpffs_registry *reg, const char *name);
int registry_find_prog_locked(struct bpffs_registry *reg, const char *name);
int registry_find_map_locked(struct bpffs_registry *reg, const char *name);
int registry_reserve_locked(struct bpffs_registry *reg, u32 objs, u32 progs, u32 maps);
void registry_insert_map_locked(struct bpffs_registry *reg, struct bpffs_map *map, u32 users,
				bool held, struct bpffs_btf *btf);
void registry_release_map_locked(struct bpffs_registry *reg, u32 i);
/* Tell the listener (bpffs_registry_set_notify) that object @name was loaded or unloaded. */
void registry_notify(struct bpffs_registry *reg, const char *name);

/* Limits (limits.c): may @new_maps maps charged @new_bytes and @new_progs join? */
u64 registry_map_attr_charge(u32 key_size, u32 value_size, u32 max_entries);
u64 registry_map_charge(const struct bpffs_map *map);
int registry_check_limits_locked(struct bpffs_registry *reg, u32 new_progs, u32 new_maps,
				 u64 new_bytes, struct bpffs_vlog *log);
int registry_check_limits(struct bpffs_registry *reg, u32 new_progs, u32 new_maps,
			  u64 new_bytes, struct bpffs_vlog *log);

#endif /* BPFFS_REGISTRY_INTERNAL_H */
