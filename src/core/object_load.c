// SPDX-License-Identifier: MIT
/*
 * From a described object (bpffs_object_open) to live maps and programs:
 * create the maps an object asks for, with their initial contents, and
 * instantiate programs with maps[] filled. Verification, JIT and
 * publication belong to the load pipeline (src/core/prog.c, src/fs); this
 * file only joins the ELF loader to src/maps and struct bpffs_prog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "object.h"
#include "../maps/maps.h"

int bpffs_object_prog_instantiate(const struct bpffs_object *obj, u32 idx,
				  struct bpffs_map *const *maps, struct bpffs_vlog *log,
				  struct bpffs_prog **out)
{
	const struct bpffs_obj_prog *p;
	struct bpffs_prog *prog;
	int err;

	*out = NULL;
	if (idx >= obj->prog_cnt)
		return -ENOENT;
	p = &obj->progs[idx];
	err = bpffs_prog_alloc(p->name, p->type, p->insns, p->insn_cnt, &prog);
	if (err)
		return err;
	prog->expected_attach_type = p->expected_attach_type;
	snprintf(prog->section, sizeof(prog->section), "%s", p->section);
	snprintf(prog->license, sizeof(prog->license), "%s", obj->license);
	prog->maps = calloc(p->map_cnt ? p->map_cnt : 1, sizeof(*prog->maps));
	if (!prog->maps) {
		bpffs_prog_put(prog);
		return -ENOMEM;
	}
	for (u32 i = 0; i < p->map_cnt; i++) {
		struct bpffs_map *m = maps ? maps[p->map_idx[i]] : NULL;

		if (!m) {
			bpffs_vlog_printf(log, "program '%s': map '%s' was not created\n", p->name,
					  obj->maps[p->map_idx[i]].attr.name);
			bpffs_prog_put(prog);
			return -EINVAL;
		}
		bpffs_map_get(m);
		prog->maps[prog->map_cnt++] = m;
	}
	*out = prog;
	return 0;
}

void bpffs_object_put_maps(const struct bpffs_object *obj, struct bpffs_map **maps)
{
	if (!maps)
		return;
	for (u32 i = 0; i < obj->map_cnt; i++)
		if (maps[i])
			bpffs_map_put(maps[i]);
	free(maps);
}

static int create_one(const struct bpffs_object *obj, u32 i, struct bpffs_map **maps,
		      struct bpffs_vlog *log)
{
	const struct bpffs_obj_map *m = &obj->maps[i];
	struct bpffs_map_attr attr = m->attr;
	u32 zero = 0;
	int err;

	if (attr.inner_map_idx != (u32)-1)
		attr.inner_map = maps[attr.inner_map_idx];
	err = bpffs_map_create(&attr, log, &maps[i]);
	if (err)
		return err;
	if (m->init_data) {
		err = bpffs_map_update_elem(maps[i], &zero, m->init_data, BPF_ANY);
		if (err) {
			bpffs_vlog_printf(log, "map '%s': cannot write its initial data (%d)\n",
					  attr.name, err);
			return err;
		}
	}
	if (m->frozen)
		err = bpffs_map_freeze(maps[i]);
	return err;
}

int bpffs_obj_map_compatible(const struct bpffs_obj_map *m, const struct bpffs_map *map,
			     struct bpffs_vlog *log)
{
	const struct bpffs_map_attr *a = &m->attr;

	if (a->map_type == map->map_type && a->key_size == map->key_size &&
	    a->value_size == map->value_size && a->max_entries == map->max_entries &&
	    a->map_flags == map->map_flags)
		return 0;
	bpffs_vlog_printf(log,
			  "map '%s': pinned map of the same name is incompatible (type %u/%u, "
			  "key %u/%u, value %u/%u, max_entries %u/%u, flags 0x%x/0x%x)\n",
			  a->name, a->map_type, map->map_type, a->key_size, map->key_size,
			  a->value_size, map->value_size, a->max_entries, map->max_entries,
			  a->map_flags, map->map_flags);
	return -EINVAL;
}

static int reuse_one(const struct bpffs_object *obj, u32 i, bpffs_pinned_lookup_fn lookup,
		     void *arg, struct bpffs_map **maps, struct bpffs_vlog *log, bool *reused)
{
	const struct bpffs_obj_map *m = &obj->maps[i];
	struct bpffs_map *old;

	*reused = false;
	if (!lookup || m->pinning != BPFFS_PIN_BY_NAME || !(old = lookup(m->attr.name, arg)))
		return 0;
	if (bpffs_obj_map_compatible(m, old, log)) {
		bpffs_map_put(old);
		return -EINVAL;
	}
	maps[i] = old;
	*reused = true;
	return 0;
}

static int fill_map_slots(const struct bpffs_object *obj, struct bpffs_map **maps,
			  const bool *reused, struct bpffs_vlog *log)
{
	for (u32 i = 0; i < obj->map_cnt; i++) {
		const struct bpffs_obj_map *m = &obj->maps[i];
		int err;

		if (m->attr.map_type == BPF_MAP_TYPE_PROG_ARRAY || reused[i])
			continue;
		for (u32 s = 0; s < m->init_slot_cnt; s++) {
			err = bpffs_map_in_map_update(maps[i], &m->init_slots[s].key,
						      maps[m->init_slots[s].target], BPF_ANY, log);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Templates first: a map-in-map needs its inner map to exist. */
static bool is_template(const struct bpffs_object *obj, u32 i)
{
	for (u32 j = 0; j < obj->map_cnt; j++)
		if (obj->maps[j].attr.inner_map_idx == i)
			return true;
	return false;
}

int bpffs_object_create_maps(const struct bpffs_object *obj, bpffs_pinned_lookup_fn lookup,
			     void *lookup_arg, struct bpffs_vlog *log, struct bpffs_map ***out)
{
	struct bpffs_map **maps = calloc(obj->map_cnt ? obj->map_cnt : 1, sizeof(*maps));
	bool *reused = calloc(obj->map_cnt ? obj->map_cnt : 1, sizeof(*reused));
	int err = 0;

	*out = NULL;
	if (!maps || !reused) {
		free(maps);
		free(reused);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (u32 i = 0; i < obj->map_cnt && !err; i++) {
			if (is_template(obj, i) != (pass == 0))
				continue;
			err = reuse_one(obj, i, lookup, lookup_arg, maps, log, &reused[i]);
			if (!err && !reused[i])
				err = create_one(obj, i, maps, log);
		}
	}
	if (!err)
		err = fill_map_slots(obj, maps, reused, log);
	free(reused);
	if (err) {
		bpffs_object_put_maps(obj, maps);
		return err;
	}
	*out = maps;
	return 0;
}

int bpffs_object_fill_prog_arrays(const struct bpffs_object *obj, struct bpffs_map **maps,
				  struct bpffs_prog **progs, struct bpffs_vlog *log)
{
	for (u32 i = 0; i < obj->map_cnt; i++) {
		const struct bpffs_obj_map *m = &obj->maps[i];
		int err;

		if (m->attr.map_type != BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		for (u32 s = 0; s < m->init_slot_cnt; s++) {
			err = bpffs_prog_array_update(maps[i], m->init_slots[s].key,
						      progs[m->init_slots[s].target]);
			if (err) {
				bpffs_vlog_printf(log, "map '%s': cannot set slot %u (%d)\n",
						  m->attr.name, m->init_slots[s].key, err);
				return err;
			}
		}
	}
	return 0;
}

static int load_simple(struct bpffs_object *obj, const char *path, const char *prog_name,
		       struct bpffs_vlog *log, struct bpffs_prog **out)
{
	struct bpffs_map **maps;
	u32 idx = 0;
	int err;

	if (prog_name) {
		const struct bpffs_obj_prog *p = bpffs_object_find_prog(obj, prog_name);

		if (!p) {
			bpffs_vlog_printf(log, "%s: no program '%s'\n", path, prog_name);
			bpffs_object_free(obj);
			return -ENOENT;
		}
		idx = p - obj->progs;
	}
	err = bpffs_object_create_maps(obj, NULL, NULL, log, &maps);
	if (!err) {
		err = bpffs_object_prog_instantiate(obj, idx, maps, log, out);
		bpffs_object_put_maps(obj, maps);
	}
	bpffs_object_free(obj);
	return err;
}

int bpffs_object_load_simple(const char *path, const char *prog_name,
			     const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
			     struct bpffs_prog **out)
{
	struct bpffs_object *obj;
	int err;

	*out = NULL;
	err = bpffs_object_open_file(path, opts, log, &obj);
	return err ? err : load_simple(obj, path, prog_name, log, out);
}

int bpffs_object_load_buf(const void *buf, size_t size, const char *name, const char *prog_name,
			  const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
			  struct bpffs_prog **out)
{
	struct bpffs_object *obj;
	int err;

	*out = NULL;
	err = bpffs_object_open(buf, size, name, opts, log, &obj);
	return err ? err : load_simple(obj, name, prog_name, log, out);
}
