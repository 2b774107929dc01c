// SPDX-License-Identifier: MIT
/*
 * The registry of one mount: published objects, programs and maps by name,
 * with ids (see registry.h). One rwlock guards the tables; lookups hand out
 * references, so nothing is used after the lock is dropped without one.
 * Tables are small arrays searched linearly: a mount holds tens of objects,
 * not millions (map entries live in the maps themselves).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "registry_internal.h"
#include "../maps/maps.h"

int bpffs_registry_create(struct bpffs_registry **out)
{
	struct bpffs_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	pthread_rwlock_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->notify_lock, NULL);
	*out = reg;
	return 0;
}

void bpffs_loaded_obj_put(struct bpffs_loaded_obj *obj)
{
	u32 i;

	if (!obj || __atomic_sub_fetch(&obj->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < obj->prog_cnt; i++)
		bpffs_prog_put(obj->progs[i]);
	for (i = 0; i < obj->map_cnt; i++)
		bpffs_map_put(obj->maps[i]);
	free(obj->progs);
	free(obj->maps);
	free(obj->elf);
	free(obj);
}

/*
 * A prog array holding a program that uses the same array is a reference
 * cycle; like the kernel when the last user reference goes, empty its slots
 * when it is unpublished.
 */
static void map_release_slots(struct bpffs_map *map)
{
	u32 k;

	if (map->map_type != BPF_MAP_TYPE_PROG_ARRAY)
		return;
	for (k = 0; k < map->max_entries; k++)
		bpffs_prog_array_update(map, k, NULL);
}

void bpffs_registry_destroy(struct bpffs_registry *reg)
{
	u32 i;

	if (!reg)
		return;
	for (i = 0; i < reg->obj_cnt; i++)
		bpffs_loaded_obj_put(reg->objs[i]);
	for (i = 0; i < reg->prog_cnt; i++)
		bpffs_prog_put(reg->progs[i]);
	for (i = 0; i < reg->map_cnt; i++) {
		map_release_slots(reg->maps[i].map);
		bpffs_map_put(reg->maps[i].map);
		bpffs_btf_put(reg->maps[i].btf);
	}
	free(reg->objs);
	free(reg->progs);
	free(reg->maps);
	pthread_rwlock_destroy(&reg->lock);
	pthread_mutex_destroy(&reg->notify_lock);
	free(reg);
}

void bpffs_registry_set_notify(struct bpffs_registry *reg,
			       void (*cb)(void *arg, const char *obj_name), void *arg)
{
	pthread_mutex_lock(&reg->notify_lock);
	reg->notify = cb;
	reg->notify_arg = arg;
	pthread_mutex_unlock(&reg->notify_lock);
}

void registry_notify(struct bpffs_registry *reg, const char *name)
{
	pthread_mutex_lock(&reg->notify_lock);
	if (reg->notify)
		reg->notify(reg->notify_arg, name);
	pthread_mutex_unlock(&reg->notify_lock);
}

/* ---- lookups (caller holds reg->lock) ---- */

int registry_find_obj_locked(struct bpffs_registry *reg, const char *name)
{
	u32 i;

	for (i = 0; i < reg->obj_cnt; i++)
		if (!strcmp(reg->objs[i]->name, name))
			return (int)i;
	return -1;
}

int registry_find_prog_locked(struct bpffs_registry *reg, const char *name)
{
	u32 i;

	for (i = 0; i < reg->prog_cnt; i++)
		if (!strcmp(reg->progs[i]->name, name))
			return (int)i;
	return -1;
}

int registry_find_map_locked(struct bpffs_registry *reg, const char *name)
{
	u32 i;

	for (i = 0; i < reg->map_cnt; i++)
		if (!strcmp(reg->maps[i].map->name, name))
			return (int)i;
	return -1;
}

struct bpffs_prog *bpffs_registry_get_prog(struct bpffs_registry *reg, const char *name)
{
	struct bpffs_prog *prog = NULL;
	int i;

	pthread_rwlock_rdlock(&reg->lock);
	i = registry_find_prog_locked(reg, name);
	if (i >= 0) {
		prog = reg->progs[i];
		bpffs_prog_get(prog);
	}
	pthread_rwlock_unlock(&reg->lock);
	return prog;
}

struct bpffs_map *bpffs_registry_get_map(struct bpffs_registry *reg, const char *name)
{
	struct bpffs_map *map = NULL;
	int i;

	pthread_rwlock_rdlock(&reg->lock);
	i = registry_find_map_locked(reg, name);
	if (i >= 0) {
		map = reg->maps[i].map;
		bpffs_map_get(map);
	}
	pthread_rwlock_unlock(&reg->lock);
	return map;
}

struct bpffs_loaded_obj *bpffs_registry_get_obj(struct bpffs_registry *reg, const char *name)
{
	struct bpffs_loaded_obj *obj = NULL;
	int i;

	pthread_rwlock_rdlock(&reg->lock);
	i = registry_find_obj_locked(reg, name);
	if (i >= 0) {
		obj = reg->objs[i];
		__atomic_add_fetch(&obj->refcnt, 1, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&reg->lock);
	return obj;
}

/* ---- insertion and removal (caller holds the write lock) ---- */

static int grow(void **arr, u32 cnt, u32 *cap, size_t elem)
{
	void *n;

	if (cnt < *cap)
		return 0;
	n = realloc(*arr, (*cap ? *cap * 2 : 8) * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = *cap ? *cap * 2 : 8;
	return 0;
}

int registry_reserve_locked(struct bpffs_registry *reg, u32 objs, u32 progs, u32 maps)
{
	while (reg->obj_cnt + objs > reg->obj_cap)
		if (grow((void **)&reg->objs, reg->obj_cap, &reg->obj_cap, sizeof(*reg->objs)))
			return -ENOMEM;
	while (reg->prog_cnt + progs > reg->prog_cap)
		if (grow((void **)&reg->progs, reg->prog_cap, &reg->prog_cap, sizeof(*reg->progs)))
			return -ENOMEM;
	while (reg->map_cnt + maps > reg->map_cap)
		if (grow((void **)&reg->maps, reg->map_cap, &reg->map_cap, sizeof(*reg->maps)))
			return -ENOMEM;
	return 0;
}

/* Publish @map; takes over the caller's reference. Space must be reserved. */
void registry_insert_map_locked(struct bpffs_registry *reg, struct bpffs_map *map, u32 users,
				bool held, struct bpffs_btf *btf)
{
	map->id = ++reg->next_map_id;
	bpffs_btf_get(btf);
	reg->maps[reg->map_cnt++] = (struct registry_map){ .map = map, .users = users, .held = held,
							   .btf = btf };
}

struct bpffs_btf *bpffs_registry_map_btf(struct bpffs_registry *reg, const char *name)
{
	struct bpffs_btf *btf = NULL;
	int i;

	pthread_rwlock_rdlock(&reg->lock);
	i = registry_find_map_locked(reg, name);
	if (i >= 0) {
		btf = reg->maps[i].btf;
		bpffs_btf_get(btf);
	}
	pthread_rwlock_unlock(&reg->lock);
	return btf;
}

static void registry_drop_map_locked(struct bpffs_registry *reg, u32 i)
{
	map_release_slots(reg->maps[i].map);
	bpffs_map_put(reg->maps[i].map);
	bpffs_btf_put(reg->maps[i].btf);
	reg->maps[i] = reg->maps[--reg->map_cnt];
}

/* One user of map @i is gone; unpublish it if nothing else keeps it. */
void registry_release_map_locked(struct bpffs_registry *reg, u32 i)
{
	if (--reg->maps[i].users == 0 && !reg->maps[i].held)
		registry_drop_map_locked(reg, i);
}

int bpffs_registry_add_map(struct bpffs_registry *reg, struct bpffs_map *map)
{
	int err = 0;

	pthread_rwlock_wrlock(&reg->lock);
	if (registry_find_map_locked(reg, map->name) >= 0)
		err = -EEXIST;
	else
		err = registry_check_limits_locked(reg, 0, 1, registry_map_charge(map), NULL);
	if (!err)
		err = registry_reserve_locked(reg, 0, 0, 1);
	if (!err) {
		bpffs_map_get(map);
		registry_insert_map_locked(reg, map, 0, true, NULL);
	}
	pthread_rwlock_unlock(&reg->lock);
	return err;
}

int bpffs_registry_remove_map(struct bpffs_registry *reg, const char *name)
{
	int i, err = 0;

	pthread_rwlock_wrlock(&reg->lock);
	i = registry_find_map_locked(reg, name);
	if (i < 0)
		err = -ENOENT;
	else if (reg->maps[i].users)
		err = -EBUSY;	/* a loaded object still uses it */
	else
		registry_drop_map_locked(reg, (u32)i);
	pthread_rwlock_unlock(&reg->lock);
	return err;
}

int bpffs_registry_unload(struct bpffs_registry *reg, const char *name)
{
	struct bpffs_loaded_obj *obj;
	int i, j;
	u32 k;

	pthread_rwlock_wrlock(&reg->lock);
	i = registry_find_obj_locked(reg, name);
	if (i < 0) {
		pthread_rwlock_unlock(&reg->lock);
		return -ENOENT;
	}
	obj = reg->objs[i];
	reg->objs[i] = reg->objs[--reg->obj_cnt];
	for (k = 0; k < obj->prog_cnt; k++) {
		j = registry_find_prog_locked(reg, obj->progs[k]->name);
		if (j >= 0 && reg->progs[j] == obj->progs[k]) {
			bpffs_prog_put(reg->progs[j]);
			reg->progs[j] = reg->progs[--reg->prog_cnt];
		}
	}
	for (k = 0; k < obj->map_cnt; k++) {
		j = registry_find_map_locked(reg, obj->maps[k]->name);
		if (j >= 0 && reg->maps[j].map == obj->maps[k])
			registry_release_map_locked(reg, (u32)j);
	}
	pthread_rwlock_unlock(&reg->lock);
	bpffs_loaded_obj_put(obj);
	registry_notify(reg, name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bpffs_registry_names(struct bpffs_registry *reg, enum bpffs_registry_kind kind,
			 char ***names)
{
	char **out;
	u32 i, n;

	pthread_rwlock_rdlock(&reg->lock);
	n = kind == BPFFS_REG_OBJ ? reg->obj_cnt : kind == BPFFS_REG_PROG ? reg->prog_cnt
									    : reg->map_cnt;
	out = calloc(n ? n : 1, sizeof(*out));
	for (i = 0; out && i < n; i++) {
		const char *s = kind == BPFFS_REG_OBJ ? reg->objs[i]->name
				: kind == BPFFS_REG_PROG ? reg->progs[i]->name
							 : reg->maps[i].map->name;

		out[i] = strdup(s);
		if (!out[i]) {
			bpffs_registry_names_free(out, (int)i);
			out = NULL;
		}
	}
	pthread_rwlock_unlock(&reg->lock);
	if (!out)
		return -ENOMEM;
	qsort(out, n, sizeof(*out), cmp_str);
	*names = out;
	return (int)n;
}

void bpffs_registry_names_free(char **names, int cnt)
{
	int i;

	for (i = 0; names && i < cnt; i++)
		free(names[i]);
	free(names);
}

const char *bpffs_prog_verifier_log(const struct bpffs_prog *prog)
{
	return prog->verifier_log ? prog->verifier_log : "";
}
