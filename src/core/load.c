// SPDX-License-Identifier: MIT
/*
 * The load pipeline behind `cp prog.o MNT/progs/` (see registry.h):
 * parse (ELF loader) → create maps (shared pinned ones looked up) →
 * instantiate programs → write static slots → verify every program →
 * prepare (interpreter decode, JIT) → publish, all or nothing. Everything is
 * built privately and only the last step, under the registry's write lock,
 * makes it visible; any failure before that frees what was built.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "object.h"
#include "registry_internal.h"
#include "../maps/maps.h"
#include "../verifier/verifier.h"

#include <bpf/btf.h>

#define PROG_LOG_SIZE (256u << 10)

struct load_ctx {
	struct bpffs_registry *reg;
	const struct bpffs_load_opts *opts;
	struct bpffs_vlog *log;
	struct bpffs_object *obj;
	char base[64];			/* object name without ".o" */
	struct bpffs_map **maps;	/* like obj->maps; references */
	bool *shared;			/* maps[i] is a live pinned map we joined */
	struct bpffs_map **joined;	/* live maps the pinned lookup returned */
	u32 joined_cnt;
	struct bpffs_prog **progs;	/* like obj->progs; references */
	const char *file_name;		/* as copied ("prog.o") */
	struct bpffs_btf *btf;		/* the object's BTF, kept for its maps */
	struct bpffs_limits lim;	/* the mount's limits (limits.c) */
	u32 new_maps;			/* maps created so far, and their charge */
	u64 new_bytes;
};

static void publish_name(struct load_ctx *lc, const struct bpffs_obj_map *om, char *out,
			 size_t size)
{
	/* global data is named after its object, as libbpf does ("prog.bss") */
	if (om->kind == BPFFS_OBJ_MAP_DATA && om->attr.name[0] == '.')
		snprintf(out, size, "%.*s%.*s", (int)(size / 2), lc->base, (int)(size / 2 - 1),
			 om->attr.name);
	else
		snprintf(out, size, "%s", om->attr.name);
}

/*
 * Pinned-map lookup for bpffs_object_create_maps: a live map of that name
 * is joined; remember it so publishing counts a user instead of a new map.
 */
static struct bpffs_map *lookup_pinned(const char *name, void *arg)
{
	struct load_ctx *lc = arg;
	struct bpffs_map *live = bpffs_registry_get_map(lc->reg, name);

	if (live && lc->joined_cnt < lc->obj->map_cnt)
		lc->joined[lc->joined_cnt++] = live;
	return live;
}

static int create_maps(struct load_ctx *lc)
{
	u32 i, j;
	int err;

	lc->joined = calloc(lc->obj->map_cnt + 1, sizeof(*lc->joined));
	if (!lc->joined)
		return -ENOMEM;
	err = bpffs_object_create_maps(lc->obj, lookup_pinned, lc, lc->log, &lc->maps);
	if (err)
		return err;
	for (i = 0; i < lc->obj->map_cnt; i++)
		for (j = 0; j < lc->joined_cnt; j++)
			if (lc->maps[i] == lc->joined[j])
				lc->shared[i] = true;
	for (i = 0; i < lc->obj->map_cnt; i++)
		if (lc->obj->maps[i].frozen)
			lc->maps[i]->frozen = true;	/* read-only to programs too */
	return 0;
}

static int copy_lines(struct bpffs_prog *prog, const struct bpffs_obj_prog *op)
{
	u32 i;

	if (!op->line_info_cnt)
		return 0;
	prog->lines = calloc(op->line_info_cnt, sizeof(*prog->lines));
	if (!prog->lines)
		return -ENOMEM;
	for (i = 0; i < op->line_info_cnt; i++) {
		const struct bpffs_line_info *li = &op->line_info[i];
		struct bpffs_prog_line *pl = &prog->lines[prog->line_cnt++];

		pl->insn_off = li->insn_off;
		pl->line_num = li->line_num;
		pl->file = strdup(li->file ? li->file : "");
		pl->text = strdup(li->line ? li->line : "");
		if (!pl->file || !pl->text)
			return -ENOMEM;
	}
	return 0;
}

static int instantiate_progs(struct load_ctx *lc)
{
	struct timespec now;
	u32 i;
	int err;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < lc->obj->prog_cnt; i++) {
		struct bpffs_prog *prog;

		err = bpffs_object_prog_instantiate(lc->obj, i, lc->maps, lc->log, &lc->progs[i]);
		if (err)
			return err;
		prog = lc->progs[i];
		if (lc->lim.max_insns && prog->insn_cnt > lc->lim.max_insns) {
			bpffs_vlog_printf(lc->log, "program '%s': %u instructions, limit max_insns=%u\n",
					  prog->name, prog->insn_cnt, lc->lim.max_insns);
			return -E2BIG;
		}
		prog->max_loops = lc->lim.max_loops;
		prog->runtime = lc->opts ? lc->opts->runtime : BPFFS_RUNTIME_JIT;
		prog->load_time = (u64)now.tv_sec * 1000000000ull + (u64)now.tv_nsec;
		snprintf(prog->obj_name, sizeof(prog->obj_name), "%s", lc->obj->name);
		err = copy_lines(prog, &lc->obj->progs[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Verify one program; its log is kept on the program either way. */
static int verify_prog(struct load_ctx *lc, struct bpffs_prog *prog)
{
	struct bpffs_verifier_opts vopts = {
		/* the interpreter and the JIT zero flagged programs' frames */
		.stack_zeroed = true,
	};
	struct bpffs_vlog plog;
	u32 level = lc->opts && lc->opts->log_level ? lc->opts->log_level : BPFFS_LOG_ERRORS;
	int err;

	err = bpffs_vlog_alloc(&plog, level, PROG_LOG_SIZE);
	if (err)
		return err;
	err = bpffs_verify(prog, &vopts, &plog);
	if (err)
		bpffs_vlog_printf(lc->log, "program '%s' (section '%s') rejected by the verifier:\n%s",
				  prog->name, prog->section, bpffs_vlog_text(&plog));
	prog->verifier_log = plog.buf;	/* keep the buffer: it is the program's log */
	return err;
}

static int verify_and_prepare(struct load_ctx *lc)
{
	u32 i;
	int err;

	for (i = 0; i < lc->obj->prog_cnt; i++) {
		err = verify_prog(lc, lc->progs[i]);
		if (err)
			return err;
		err = bpffs_prog_prepare(lc->progs[i], lc->log);
		if (err)
			return err;
	}
	return 0;
}

static int check_clashes_locked(struct load_ctx *lc, const char *name)
{
	char mname[BPFFS_OBJ_NAME_LEN];
	u32 i;

	if (registry_find_obj_locked(lc->reg, name) >= 0) {
		bpffs_vlog_printf(lc->log, "object '%s' is already loaded\n", name);
		return -EEXIST;
	}
	for (i = 0; i < lc->obj->prog_cnt; i++) {
		if (registry_find_prog_locked(lc->reg, lc->progs[i]->name) >= 0) {
			bpffs_vlog_printf(lc->log, "program '%s' already exists\n", lc->progs[i]->name);
			return -EEXIST;
		}
	}
	for (i = 0; i < lc->obj->map_cnt; i++) {
		if (lc->shared[i] || lc->obj->maps[i].kind == BPFFS_OBJ_MAP_INNER)
			continue;
		publish_name(lc, &lc->obj->maps[i], mname, sizeof(mname));
		if (registry_find_map_locked(lc->reg, mname) >= 0) {
			bpffs_vlog_printf(lc->log, "map '%s' already exists\n", mname);
			return -EEXIST;
		}
	}
	return 0;
}

static int check_clashes(struct load_ctx *lc)
{
	int err;

	pthread_rwlock_rdlock(&lc->reg->lock);
	err = check_clashes_locked(lc, lc->file_name);
	pthread_rwlock_unlock(&lc->reg->lock);
	return err;
}

static int build_loaded_obj(struct load_ctx *lc, const char *name, const void *buf, size_t size,
			    struct bpffs_loaded_obj **out)
{
	struct bpffs_loaded_obj *lo = calloc(1, sizeof(*lo));
	u32 i;

	if (!lo)
		return -ENOMEM;
	lo->refcnt = 1;
	snprintf(lo->name, sizeof(lo->name), "%s", name);
	lo->elf = malloc(size ? size : 1);
	lo->progs = calloc(lc->obj->prog_cnt + 1, sizeof(*lo->progs));
	lo->maps = calloc(lc->obj->map_cnt + 1, sizeof(*lo->maps));
	if (!lo->elf || !lo->progs || !lo->maps) {
		bpffs_loaded_obj_put(lo);
		return -ENOMEM;
	}
	memcpy(lo->elf, buf, size);
	lo->elf_size = size;
	for (i = 0; i < lc->obj->prog_cnt; i++) {
		bpffs_prog_get(lc->progs[i]);
		lo->progs[lo->prog_cnt++] = lc->progs[i];
	}
	for (i = 0; i < lc->obj->map_cnt; i++) {
		if (lc->obj->maps[i].kind == BPFFS_OBJ_MAP_INNER)
			continue;
		bpffs_map_get(lc->maps[i]);
		lo->maps[lo->map_cnt++] = lc->maps[i];
	}
	lo->load_time = lc->progs[0] ? lc->progs[0]->load_time : 0;
	*out = lo;
	return 0;
}

/* What publishing adds, against the limits, with the real maps' charges. */
static int check_limits_locked(struct load_ctx *lc)
{
	u64 bytes = 0;
	u32 i, maps = 0;

	for (i = 0; i < lc->obj->map_cnt; i++) {
		if (lc->shared[i] || lc->obj->maps[i].kind == BPFFS_OBJ_MAP_INNER)
			continue;
		maps++;
		bytes += registry_map_charge(lc->maps[i]);
	}
	return registry_check_limits_locked(lc->reg, lc->obj->prog_cnt, maps, bytes, lc->log);
}

/* The only step that makes anything visible. */
static int publish(struct load_ctx *lc, struct bpffs_loaded_obj *lo)
{
	struct bpffs_registry *reg = lc->reg;
	u32 i;
	int err;

	pthread_rwlock_wrlock(&reg->lock);
	err = check_clashes_locked(lc, lo->name);
	if (!err)
		err = check_limits_locked(lc);
	if (!err)
		err = registry_reserve_locked(reg, 1, lc->obj->prog_cnt, lc->obj->map_cnt);
	if (err) {
		pthread_rwlock_unlock(&reg->lock);
		return err;
	}
	for (i = 0; i < lc->obj->map_cnt; i++) {
		const struct bpffs_obj_map *om = &lc->obj->maps[i];
		int j;

		if (om->kind == BPFFS_OBJ_MAP_INNER)
			continue;
		if (lc->shared[i]) {
			j = registry_find_map_locked(reg, lc->maps[i]->name);
			if (j >= 0)
				reg->maps[j].users++;
			continue;
		}
		publish_name(lc, om, lc->maps[i]->name, sizeof(lc->maps[i]->name));
		bpffs_map_get(lc->maps[i]);
		registry_insert_map_locked(reg, lc->maps[i], 1, om->pinning == BPFFS_PIN_BY_NAME,
					   lc->maps[i]->btf_value_type_id ? lc->btf : NULL);
	}
	for (i = 0; i < lc->obj->prog_cnt; i++) {
		bpffs_prog_get(lc->progs[i]);
		lc->progs[i]->id = ++reg->next_prog_id;
		reg->progs[reg->prog_cnt++] = lc->progs[i];
	}
	lo->id = ++reg->next_obj_id;
	__atomic_add_fetch(&lo->refcnt, 1, __ATOMIC_RELAXED);
	reg->objs[reg->obj_cnt++] = lo;
	pthread_rwlock_unlock(&reg->lock);
	return 0;
}

static void load_ctx_fini(struct load_ctx *lc)
{
	u32 i;

	for (i = 0; lc->progs && i < lc->obj->prog_cnt; i++)
		bpffs_prog_put(lc->progs[i]);
	bpffs_object_put_maps(lc->obj, lc->maps);
	free(lc->progs);
	free(lc->joined);
	free(lc->shared);
	bpffs_btf_put(lc->btf);
	bpffs_object_free(lc->obj);
}

static int load_steps(struct load_ctx *lc)
{
	int err;

	if (!lc->obj->prog_cnt) {
		bpffs_vlog_printf(lc->log, "object '%s' has no programs\n", lc->obj->name);
		return -EINVAL;
	}
	lc->shared = calloc(lc->obj->map_cnt + 1, sizeof(*lc->shared));
	lc->progs = calloc(lc->obj->prog_cnt, sizeof(*lc->progs));
	if (!lc->shared || !lc->progs)
		return -ENOMEM;
	bpffs_registry_get_limits(lc->reg, &lc->lim);
	err = registry_check_limits(lc->reg, lc->obj->prog_cnt, 0, 0, lc->log);
	if (!err)
		err = create_maps(lc);
	if (!err)
		err = instantiate_progs(lc);
	if (!err)
		err = check_clashes(lc);	/* early, for a clear -EEXIST; publish re-checks */
	if (!err)
		err = bpffs_object_fill_prog_arrays(lc->obj, lc->maps, lc->progs, lc->log);
	if (!err)
		err = verify_and_prepare(lc);
	return err;
}

int bpffs_registry_load(struct bpffs_registry *reg, const char *name, const void *buf,
			size_t size, const struct bpffs_load_opts *opts, struct bpffs_vlog *log,
			struct bpffs_loaded_obj **out)
{
	struct bpffs_open_opts oopts = { .prog_type = opts ? opts->prog_type : 0 };
	struct load_ctx lc = { .reg = reg, .opts = opts, .log = log, .file_name = name };
	struct bpffs_loaded_obj *lo = NULL;
	int err;

	err = bpffs_object_open(buf, size, name, &oopts, log, &lc.obj);
	if (err)
		return err;
	snprintf(lc.base, sizeof(lc.base), "%s", lc.obj->name);
	err = load_steps(&lc);
	if (!err && lc.obj->btf) {
		struct btf *raw = bpffs_object_take_btf(lc.obj);

		err = bpffs_btf_wrap(raw, &lc.btf);
		if (err)
			btf__free(raw);
	}
	if (!err)
		err = build_loaded_obj(&lc, name, buf, size, &lo);
	if (!err)
		err = publish(&lc, lo);
	load_ctx_fini(&lc);
	if (err) {
		bpffs_loaded_obj_put(lo);
		return err;
	}
	registry_notify(reg, name);	/* e.g. the state directory writes it before cp returns */
	if (out)
		*out = lo;
	else
		bpffs_loaded_obj_put(lo);
	return 0;
}
