// SPDX-License-Identifier: MIT
/*
 * Map definitions of a BPF object, as libbpf reads them: the legacy `maps`
 * section (struct bpf_map_def, the samples' 28-byte variant with
 * inner_map_idx, iproute2's bpf_elf_map), BTF-defined maps in `.maps`
 * (__uint/__type/__array, pinning, inner maps, static initial slots), and
 * global data sections that become single-entry arrays. Only descriptions:
 * nothing is created here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "elf_internal.h"

#define ELF_DATA_MAX_SIZE (64u << 20)	/* largest global data section */

/* iproute2 pinning values */
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

static int elf_add_map(struct elf_ctx *ctx, const char *name, enum bpffs_obj_map_kind kind,
		       struct bpffs_obj_map **out)
{
	struct bpffs_object *obj = ctx->obj;
	struct bpffs_obj_map *m;

	if (obj->map_cnt >= 4096)
		return elf_err(ctx, -E2BIG, "more than 4096 maps");
	if (elf_vec_grow(&obj->maps, obj->map_cnt, sizeof(*m)))
		return -ENOMEM;
	m = &obj->maps[obj->map_cnt++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->attr.inner_map_idx = (u32)-1;
	snprintf(m->attr.name, sizeof(m->attr.name), "%s", name);
	*out = m;
	return 0;
}

/*
 * What loaders do to definitions before creating maps: perf event arrays
 * with max_entries 0 get one slot per CPU (libbpf), here the user-space
 * CPU slots programs run on (bpffs_nr_cpus); perf event arrays have
 * 4-byte keys and values and ring buffers none whatever type the program
 * declared for its records (cilium/ebpf's `__type(value, struct event)`,
 * whose BTF type id is kept as the records' type);
 * map-in-map and prog-array values are 4-byte ids (samples/bpf leaves 0).
 */
static void elf_fix_attr(struct bpffs_map_attr *attr)
{
	switch (attr->map_type) {
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		if (!attr->max_entries)
			attr->max_entries = bpffs_nr_cpus();
		if (attr->key_size != 4 || attr->value_size != 4) {
			attr->key_size = attr->value_size = 4;
			attr->btf_key_type_id = attr->btf_value_type_id = 0;
		}
		break;
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		/* a declared value type stays: the records' (maps/NAME/stream shows them typed) */
		attr->key_size = attr->value_size = 0;
		attr->btf_key_type_id = 0;
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
	case BPF_MAP_TYPE_PROG_ARRAY:
		if (!attr->value_size)
			attr->value_size = 4;
		break;
	}
}

static int map_key_cmp(const void *a, const void *b)
{
	const struct elf_map_key *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Once maps are final: lookups by (section, offset) for relocations. */
static int elf_index_maps(struct elf_ctx *ctx)
{
	const struct bpffs_obj_map *m;

	ctx->data_map_of_shndx = calloc(ctx->shnum, sizeof(u32));
	ctx->map_keys = malloc((ctx->obj->map_cnt ? ctx->obj->map_cnt : 1) * sizeof(*ctx->map_keys));
	if (!ctx->data_map_of_shndx || !ctx->map_keys)
		return -ENOMEM;
	for (u32 i = 0; i < ctx->obj->map_cnt; i++) {
		m = &ctx->obj->maps[i];
		if (m->kind == BPFFS_OBJ_MAP_DATA && m->sec_idx < ctx->shnum &&
		    !ctx->data_map_of_shndx[m->sec_idx])
			ctx->data_map_of_shndx[m->sec_idx] = i + 1;
		else if (m->kind != BPFFS_OBJ_MAP_DATA && m->kind != BPFFS_OBJ_MAP_INNER)
			ctx->map_keys[ctx->map_key_cnt++] = (struct elf_map_key){
				.shndx = m->sec_idx, .off = m->sec_off, .idx = i };
	}
	if (ctx->map_key_cnt)
		qsort(ctx->map_keys, ctx->map_key_cnt, sizeof(*ctx->map_keys), map_key_cmp);
	return 0;
}

static int map_by_key(const struct elf_ctx *ctx, u32 shndx, u64 off)
{
	struct elf_map_key key = { .shndx = shndx, .off = off, .idx = 0 };
	u32 lo = 0, hi = ctx->map_key_cnt;

	while (lo < hi) {	/* leftmost (shndx, off): the lowest map index */
		u32 mid = (lo + hi) / 2;

		if (map_key_cmp(&ctx->map_keys[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ctx->map_key_cnt && ctx->map_keys[lo].shndx == shndx &&
	    ctx->map_keys[lo].off == off)
		return ctx->map_keys[lo].idx;
	if (shndx < ctx->shnum && ctx->data_map_of_shndx[shndx])
		return ctx->data_map_of_shndx[shndx] - 1;
	return -ENOENT;
}

int elf_map_by_sec_off(struct elf_ctx *ctx, u32 shndx, u64 off)
{
	const struct bpffs_obj_map *m;

	if (ctx->map_keys)
		return map_by_key(ctx, shndx, off);
	for (u32 i = 0; i < ctx->obj->map_cnt; i++) {
		m = &ctx->obj->maps[i];
		if (m->kind == BPFFS_OBJ_MAP_INNER || m->sec_idx != shndx)
			continue;
		if (m->kind == BPFFS_OBJ_MAP_DATA || m->sec_off == off)
			return i;
	}
	return -ENOENT;
}

/* ---- legacy `maps` section ------------------------------------------------ */

struct legacy_sym {
	u32 shndx;
	u64 off;
	const char *name;
};

static int legacy_sym_cmp(const void *a, const void *b)
{
	const struct legacy_sym *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static u32 get_u32(const u8 *p, size_t def_sz, size_t off)
{
	u32 v = 0;

	if (off + 4 <= def_sz)
		memcpy(&v, p + off, 4);
	return v;
}

static int legacy_parse_def(struct elf_ctx *ctx, const u8 *p, size_t def_sz,
			    struct bpffs_obj_map *m, u32 *ids, u32 *inner_ids, u32 cnt)
{
	struct bpffs_map_attr *a = &m->attr;
	u32 pin;

	a->map_type = get_u32(p, def_sz, 0);
	a->key_size = get_u32(p, def_sz, 4);
	a->value_size = get_u32(p, def_sz, 8);
	a->max_entries = get_u32(p, def_sz, 12);
	a->map_flags = get_u32(p, def_sz, 16);
	if (def_sz == 28) {
		/*
		 * Two layouts share this size: samples/bpf's bpf_load.h
		 * (inner_map_idx, numa_node) and older iproute2/Cilium
		 * bpf_elf_map (id, pinning). Map-in-map types only make sense
		 * in the first; a pinning value only in the second.
		 */
		u32 inner = get_u32(p, def_sz, 20);

		pin = get_u32(p, def_sz, 24);
		/* an index among all legacy maps; checked once all are known */
		if (a->map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
		    a->map_type == BPF_MAP_TYPE_HASH_OF_MAPS)
			a->inner_map_idx = inner;
		else if (!(a->map_flags & BPF_F_NUMA_NODE) &&
			 (pin == PIN_OBJECT_NS || pin == PIN_GLOBAL_NS))
			m->pinning = BPFFS_PIN_BY_NAME;
	} else if (def_sz >= 36) {
		/* iproute2 struct bpf_elf_map: id, pinning, inner_id, inner_idx */
		*ids = get_u32(p, def_sz, 20);
		pin = get_u32(p, def_sz, 24);
		*inner_ids = get_u32(p, def_sz, 28);
		if (pin == PIN_OBJECT_NS || pin == PIN_GLOBAL_NS)
			m->pinning = BPFFS_PIN_BY_NAME;
	}
	elf_fix_attr(a);
	return 0;
}

/* iproute2 map-in-map: the outer map names its template by id */
static int legacy_link_inner(struct elf_ctx *ctx, u32 first, u32 cnt, const u32 *ids,
			     const u32 *inner_ids)
{
	struct bpffs_obj_map *maps = ctx->obj->maps + first;

	for (u32 i = 0; i < cnt; i++) {
		if (!inner_ids[i])
			continue;
		for (u32 j = 0; j < cnt; j++)
			if (j != i && ids[j] == inner_ids[i])
				maps[i].attr.inner_map_idx = first + j;
		if (maps[i].attr.inner_map_idx == (u32)-1)
			return elf_err(ctx, -EINVAL, "map '%s': inner map id %u not found",
				       maps[i].attr.name, inner_ids[i]);
	}
	return 0;
}

bool elf_is_legacy_maps_sec(const char *name)
{
	return !strcmp(name, "maps") || !strncmp(name, "maps/", 5);
}

/*
 * The symbols of all legacy map sections in one pass, sorted by (section,
 * offset): *out and *cnt. One pass, as a hostile file may have thousands
 * of such sections and millions of symbols.
 */
static int legacy_all_syms(struct elf_ctx *ctx, struct legacy_sym **out, u32 *cnt)
{
	struct legacy_sym *syms = NULL;
	bool *legacy = calloc(ctx->shnum, sizeof(bool));
	const char *name;
	GElf_Sym sym;
	u32 n = 0;

	if (!legacy)
		return -ENOMEM;
	for (size_t i = 1; i < ctx->shnum; i++)
		legacy[i] = elf_is_legacy_maps_sec(elf_sec_name(ctx, i));
	for (u32 i = 1; i < ctx->sym_cnt; i++) {
		if (elf_sym(ctx, i, &sym, &name) || sym.st_shndx >= ctx->shnum ||
		    !legacy[sym.st_shndx] || GELF_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		if (elf_vec_grow(&syms, n, sizeof(*syms))) {
			free(syms);
			free(legacy);
			return -ENOMEM;
		}
		syms[n++] = (struct legacy_sym){ .shndx = sym.st_shndx, .off = sym.st_value,
						 .name = name };
	}
	free(legacy);
	if (n)
		qsort(syms, n, sizeof(*syms), legacy_sym_cmp);
	*out = syms;
	*cnt = n;
	return 0;
}

/* A copy of the symbols of section @shndx, sorted by offset. */
static int legacy_collect_syms(struct elf_ctx *ctx, size_t shndx, struct legacy_sym **out,
			       u32 *cnt)
{
	u32 lo = 0, hi = ctx->legacy_sym_cnt, end;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (ctx->legacy_syms[mid].shndx < shndx)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < ctx->legacy_sym_cnt && ctx->legacy_syms[end].shndx == shndx; end++)
		;
	*cnt = end - lo;
	*out = malloc((*cnt ? *cnt : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (*cnt)
		memcpy(*out, ctx->legacy_syms + lo, *cnt * sizeof(**out));
	return 0;
}

static int elf_legacy_maps(struct elf_ctx *ctx, size_t shndx)
{
	Elf_Data *data = elf_sec_data(ctx, shndx);
	struct legacy_sym *syms;
	struct bpffs_obj_map *m;
	u32 cnt, first = ctx->obj->map_cnt, *ids = NULL, *inner_ids = NULL;
	const char *sec = elf_sec_name(ctx, shndx);
	size_t def_sz;
	int err;

	if (!data)
		return elf_err(ctx, -EINVAL, "legacy map section '%s' unreadable", sec);
	err = legacy_collect_syms(ctx, shndx, &syms, &cnt);
	if (err)
		return err;
	if (!cnt) {
		free(syms);
		return data->d_size ? elf_err(ctx, -EINVAL, "legacy map section '%s' has no symbols",
					      sec) : 0;
	}
	def_sz = data->d_size / cnt;
	err = -ENOMEM;
	ids = calloc(cnt, sizeof(*ids));
	inner_ids = calloc(cnt, sizeof(*inner_ids));
	if (!ids || !inner_ids)
		goto out;
	if (def_sz < 16) {
		err = elf_err(ctx, -EINVAL, "legacy map definitions of %zu bytes are too small",
			      def_sz);
		goto out;
	}
	for (u32 i = 0; i < cnt; i++) {
		if (syms[i].off > data->d_size || data->d_size - syms[i].off < def_sz) {
			err = elf_err(ctx, -EINVAL, "legacy map '%s' lies outside section '%s'",
				      syms[i].name, sec);
			goto out;
		}
		err = elf_add_map(ctx, syms[i].name, BPFFS_OBJ_MAP_LEGACY, &m);
		if (!err)
			err = legacy_parse_def(ctx, (u8 *)data->d_buf + syms[i].off, def_sz, m,
					       &ids[i], &inner_ids[i], cnt);
		if (err)
			goto out;
		if (m->attr.inner_map_idx != (u32)-1)
			m->attr.inner_map_idx += ctx->legacy_first;
		if (m->attr.inner_map_idx < ctx->legacy_first)
			m->attr.inner_map_idx = (u32)-2;	/* wrapped: out of range */
		m->sec_idx = shndx;
		m->sec_off = syms[i].off;
	}
	err = legacy_link_inner(ctx, first, cnt, ids, inner_ids);
out:
	free(syms);
	free(ids);
	free(inner_ids);
	return err;
}

/* ---- BTF-defined maps ---------------------------------------------------- */

/* __uint(name, N) is `int (*name)[N]` */
static int btf_uint(const struct btf *btf, const struct btf_member *m, u32 *val)
{
	const struct btf_type *t = btf__type_by_id(btf, m->type);

	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_array(t))
		return -EINVAL;
	*val = btf_array(t)->nelems;
	return 0;
}

/* __type(name, T) is `T *name`: the type id of T and its size */
static int btf_pointee(const struct btf *btf, const struct btf_member *m, u32 *id, u32 *size)
{
	const struct btf_type *t = btf__type_by_id(btf, m->type);
	s64 sz;

	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	sz = btf__resolve_size(btf, t->type);
	if (sz < 0 || sz > UINT32_MAX)
		return -EINVAL;
	*id = t->type;
	*size = sz;
	return 0;
}

/* A struct bpf_spin_lock at the top level of the value, as the kernel looks for it. */
static void btf_find_spin_lock(const struct btf *btf, struct bpffs_map_attr *a)
{
	const struct btf_type *t = btf__type_by_id(btf, bpffs_btf_skip_mods(btf, a->btf_value_type_id));
	const struct btf_type *mt;
	const char *name;

	if (!a->btf_value_type_id || !t || !btf_is_struct(t))
		return;
	for (u16 i = 0; i < btf_vlen(t); i++) {
		mt = btf__type_by_id(btf, bpffs_btf_skip_mods(btf, btf_members(t)[i].type));
		name = mt ? btf__name_by_offset(btf, mt->name_off) : NULL;
		if (mt && btf_is_struct(mt) && name && !strcmp(name, "bpf_spin_lock")) {
			a->has_spin_lock = true;
			a->spin_lock_off = btf_member_bit_offset(t, i) / 8;
			return;
		}
	}
}

struct btf_map_def {
	u32 key_size, value_size;	/* explicit key_size/value_size */
	u32 inner_struct;		/* values = array of pointers to this struct */
	bool has_values;
	u64 values_off;
};

static int btf_map_values(struct elf_ctx *ctx, const struct btf *btf, const struct btf_member *m,
			  struct bpffs_obj_map *map, struct btf_map_def *def)
{
	const struct btf_type *t = btf__type_by_id(btf, m->type);

	if (!t || !btf_is_array(t))
		return elf_err(ctx, -EINVAL, "map '%s': 'values' is not an array", map->attr.name);
	t = btf__type_by_id(btf, bpffs_btf_skip_mods(btf, btf_array(t)->type));
	if (!t || !btf_is_ptr(t))
		return elf_err(ctx, -EINVAL, "map '%s': 'values' is not an array of pointers",
			       map->attr.name);
	def->inner_struct = bpffs_btf_skip_mods(btf, t->type);
	def->has_values = true;
	return 0;
}

static int btf_map_member(struct elf_ctx *ctx, const struct btf *btf, const struct btf_type *st,
			  const struct btf_member *m, struct bpffs_obj_map *map,
			  struct btf_map_def *def)
{
	struct bpffs_map_attr *a = &map->attr;
	const char *name = btf__name_by_offset(btf, m->name_off);
	u32 dummy, extra;
	int err = 0;

	if (!name)
		return elf_err(ctx, -EINVAL, "map '%s': member without a name", a->name);
	if (!strcmp(name, "type"))
		err = btf_uint(btf, m, &a->map_type);
	else if (!strcmp(name, "max_entries"))
		err = btf_uint(btf, m, &a->max_entries);
	else if (!strcmp(name, "map_flags"))
		err = btf_uint(btf, m, &a->map_flags);
	else if (!strcmp(name, "key_size"))
		err = btf_uint(btf, m, &def->key_size);
	else if (!strcmp(name, "value_size"))
		err = btf_uint(btf, m, &def->value_size);
	else if (!strcmp(name, "pinning"))
		err = btf_uint(btf, m, &map->pinning);
	else if (!strcmp(name, "numa_node"))
		err = btf_uint(btf, m, &dummy);
	else if (!strcmp(name, "map_extra") && !(err = btf_uint(btf, m, &extra)))
		a->map_extra = extra;
	else if (!strcmp(name, "key"))
		err = btf_pointee(btf, m, &a->btf_key_type_id, &a->key_size);
	else if (!strcmp(name, "value"))
		err = btf_pointee(btf, m, &a->btf_value_type_id, &a->value_size);
	else if (!strcmp(name, "values")) {
		def->values_off = btf_member_bit_offset(st, m - btf_members(st)) / 8;
		return btf_map_values(ctx, btf, m, map, def);
	} else
		return elf_err(ctx, -EOPNOTSUPP, "map '%s': unknown attribute '%s'", a->name, name);
	if (err)
		return elf_err(ctx, -EINVAL, "map '%s': malformed attribute '%s'", a->name, name);
	return 0;
}

static int btf_map_parse(struct elf_ctx *ctx, u32 struct_id, struct bpffs_obj_map *map,
			 struct btf_map_def *def, bool inner)
{
	const struct btf *btf = ctx->obj->btf;
	const struct btf_type *st = btf__type_by_id(btf, struct_id);
	struct bpffs_map_attr *a = &map->attr;
	int err;

	if (!st || !btf_is_struct(st))
		return elf_err(ctx, -EINVAL, "map '%s': definition is not a struct", a->name);
	for (u16 i = 0; i < btf_vlen(st); i++) {
		err = btf_map_member(ctx, btf, st, btf_members(st) + i, map, def);
		if (err)
			return err;
	}
	if (def->key_size) {
		if (a->btf_key_type_id && a->key_size != def->key_size)
			return elf_err(ctx, -EINVAL, "map '%s': key_size %u and key type of %u bytes",
				       a->name, def->key_size, a->key_size);
		a->key_size = def->key_size;
	}
	if (def->value_size) {
		if (a->btf_value_type_id && a->value_size != def->value_size)
			return elf_err(ctx, -EINVAL,
				       "map '%s': value_size %u and value type of %u bytes",
				       a->name, def->value_size, a->value_size);
		a->value_size = def->value_size;
	}
	if (def->has_values) {
		if (inner)
			return elf_err(ctx, -EINVAL, "map '%s': nested map-in-map", a->name);
		a->value_size = 4;	/* fd or prog */
		a->btf_value_type_id = 0;
	}
	btf_find_spin_lock(btf, a);
	elf_fix_attr(a);
	return 0;
}

static int btf_map_add_inner(struct elf_ctx *ctx, u32 outer_idx, u32 struct_id)
{
	struct btf_map_def def = { 0 };
	struct bpffs_obj_map *m;
	char name[BPFFS_OBJ_NAME_LEN];
	int err;

	snprintf(name, sizeof(name), "%.57s.inner", ctx->obj->maps[outer_idx].attr.name);
	err = elf_add_map(ctx, name, BPFFS_OBJ_MAP_INNER, &m);
	if (err)
		return err;
	err = btf_map_parse(ctx, struct_id, m, &def, true);
	if (err)
		return err;
	ctx->obj->maps[outer_idx].attr.inner_map_idx = ctx->obj->map_cnt - 1;
	return 0;
}

/* The symbols of .maps, sorted by name (once). */
static int maps_syms_index(struct elf_ctx *ctx)
{
	const char *name;
	GElf_Sym sym;

	for (u32 i = 1; i < ctx->sym_cnt; i++) {
		if (elf_sym(ctx, i, &sym, &name) || sym.st_shndx != (u32)ctx->btf_maps_shndx)
			continue;
		if (elf_vec_grow(&ctx->maps_syms, ctx->maps_sym_cnt, sizeof(*ctx->maps_syms)))
			return -ENOMEM;
		ctx->maps_syms[ctx->maps_sym_cnt++] = (struct elf_sym_key){
			.name = name, .idx = i, .value = sym.st_value, .size = sym.st_size };
	}
	if (ctx->maps_sym_cnt)
		qsort(ctx->maps_syms, ctx->maps_sym_cnt, sizeof(*ctx->maps_syms), elf_key_cmp);
	return 0;
}

static int btf_map_offset(struct elf_ctx *ctx, const char *name, u64 *off, u64 *size)
{
	/* clang leaves DATASEC offsets to the linker: use the ELF symbol */
	const struct elf_sym_key *k = elf_key_find(ctx->maps_syms, ctx->maps_sym_cnt, name);

	if (k) {
		*off = k->value;
		*size = k->size;
		return 0;
	}
	return elf_err(ctx, -EINVAL, "map '%s': no symbol in .maps", name);
}

static int btf_map_one(struct elf_ctx *ctx, const struct btf_var_secinfo *vi)
{
	const struct btf *btf = ctx->obj->btf;
	const struct btf_type *var = btf__type_by_id(btf, vi->type);
	struct btf_map_def def = { 0 };
	struct elf_btf_map *bm;
	struct bpffs_obj_map *m;
	const char *name;
	u32 idx;
	u64 sym_size = 0;
	s64 sz;
	int err;

	if (!var || !btf_is_var(var))
		return elf_err(ctx, -EINVAL, ".maps: entry %u is not a variable", vi->type);
	name = btf__name_by_offset(btf, var->name_off);
	if (!name || !*name)
		return elf_err(ctx, -EINVAL, ".maps: variable without a name");
	err = elf_add_map(ctx, name, BPFFS_OBJ_MAP_BTF, &m);
	if (err)
		return err;
	idx = ctx->obj->map_cnt - 1;
	m->sec_idx = ctx->btf_maps_shndx;
	err = btf_map_offset(ctx, name, &m->sec_off, &sym_size);
	if (!err)
		err = btf_map_parse(ctx, bpffs_btf_skip_mods(btf, var->type), m, &def, false);
	if (err)
		return err;
	/* a `values` initializer extends past the struct: the symbol covers it */
	sz = btf__resolve_size(btf, var->type);
	if (sz < 0 || (u64)sz < sym_size)
		sz = sym_size;
	if (elf_vec_grow(&ctx->btf_maps, ctx->btf_map_cnt, sizeof(*bm)))
		return -ENOMEM;
	ctx->btf_maps[ctx->btf_map_cnt++] = (struct elf_btf_map){
		.map_idx = idx, .off = ctx->obj->maps[idx].sec_off, .size = sz > 0 ? sz : 0,
		.values_off = def.values_off, .has_values = def.has_values };
	if (def.has_values && (m->attr.map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
			       m->attr.map_type == BPF_MAP_TYPE_HASH_OF_MAPS))
		return btf_map_add_inner(ctx, idx, def.inner_struct);
	return 0;
}

static int elf_btf_maps(struct elf_ctx *ctx)
{
	const struct btf *btf = ctx->obj->btf;
	const struct btf_type *sec;
	s32 id;
	int err;

	if (!btf)
		return elf_err(ctx, -EINVAL, ".maps section without BTF");
	err = maps_syms_index(ctx);
	if (err)
		return err;
	id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	if (id < 0)
		return elf_err(ctx, -EINVAL, ".maps section without a BTF DATASEC");
	sec = btf__type_by_id(btf, id);
	for (u16 i = 0; i < btf_vlen(sec); i++) {
		err = btf_map_one(ctx, btf_var_secinfos(sec) + i);
		if (err)
			return err;
	}
	return 0;
}

/* ---- global data ------------------------------------------------------ */

/* The DATASEC types of the BTF by name, in one pass over the types. */
static int datasec_index(struct elf_ctx *ctx, struct elf_sym_key **out, u32 *cnt)
{
	const struct btf *btf = ctx->obj->btf;
	const struct btf_type *t;
	u32 n = 0, types = btf ? btf__type_cnt(btf) : 0;

	*out = NULL;
	for (u32 id = 1; id < types; id++) {
		t = btf__type_by_id(btf, id);
		if (!t || !btf_is_datasec(t))
			continue;
		if (elf_vec_grow(out, n, sizeof(**out)))
			return -ENOMEM;
		(*out)[n++] = (struct elf_sym_key){ .name = btf__name_by_offset(btf, t->name_off),
						    .idx = id };
		if (!(*out)[n - 1].name)
			n--;
	}
	if (n)
		qsort(*out, n, sizeof(**out), elf_key_cmp);
	*cnt = n;
	return 0;
}

static int elf_data_map(struct elf_ctx *ctx, size_t shndx, const char *sec,
			const GElf_Shdr *shdr, const struct elf_sym_key *datasecs, u32 ndatasecs)
{
	const struct elf_sym_key *ds;
	struct bpffs_obj_map *m;
	Elf_Data *data = NULL;
	char name[BPFFS_OBJ_NAME_LEN];
	int err;

	/* the total, as many .bss.* sections would each pass a per-section limit */
	ctx->data_bytes += shdr->sh_size;
	if (shdr->sh_size > ELF_DATA_MAX_SIZE || ctx->data_bytes > ELF_DATA_MAX_SIZE)
		return elf_err(ctx, -E2BIG, "section '%s' of %llu bytes is too large for global data",
			       sec, (unsigned long long)shdr->sh_size);
	if (shdr->sh_type != SHT_NOBITS && !(data = elf_sec_data(ctx, shndx)))
		return elf_err(ctx, -EINVAL, "section '%s': contents out of bounds", sec);
	/* "<object><section>" ("prog.rodata"), libbpf's naming without its 8-char cut */
	snprintf(name, sizeof(name), "%.*s%s", (int)(sizeof(name) - 1 - strnlen(sec, 31)),
		 ctx->obj->name, sec);
	err = elf_add_map(ctx, name, BPFFS_OBJ_MAP_DATA, &m);
	if (err)
		return err;
	m->attr.map_type = BPF_MAP_TYPE_ARRAY;
	m->attr.key_size = 4;
	m->attr.value_size = shdr->sh_size;
	m->attr.max_entries = 1;
	m->sec_idx = shndx;
	if (!strncmp(sec, ".rodata", 7)) {
		m->attr.map_flags = BPF_F_RDONLY_PROG;
		m->frozen = true;
	}
	ds = elf_key_find(datasecs, ndatasecs, sec);
	m->attr.btf_value_type_id = ds ? ds->idx : 0;
	if (data) {
		m->init_data = malloc(shdr->sh_size);
		if (!m->init_data)
			return -ENOMEM;
		memcpy(m->init_data, data->d_buf, shdr->sh_size);
	}
	return 0;
}

static int elf_data_maps(struct elf_ctx *ctx)
{
	struct elf_sym_key *datasecs;
	GElf_Shdr shdr;
	const char *name;
	u32 ndatasecs = 0;
	int err;

	err = datasec_index(ctx, &datasecs, &ndatasecs);
	for (size_t i = 1; !err && i < ctx->shnum; i++) {
		if (!elf_sec(ctx, i, &shdr) || !shdr.sh_size || (shdr.sh_flags & SHF_EXECINSTR))
			continue;
		if (shdr.sh_type != SHT_PROGBITS && shdr.sh_type != SHT_NOBITS)
			continue;
		name = elf_sec_name(ctx, i);
		if (elf_is_data_sec(name))
			err = elf_data_map(ctx, i, name, &shdr, datasecs, ndatasecs);
	}
	free(datasecs);
	return err;
}

static int btf_map_cmp(const void *a, const void *b)
{
	const struct elf_btf_map *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->map_idx < y->map_idx ? -1 : x->map_idx > y->map_idx;
}

static bool map_is_template(const struct bpffs_object *obj, u32 i)
{
	for (u32 j = 0; j < obj->map_cnt; j++)
		if (obj->maps[j].attr.inner_map_idx == i)
			return true;
	return false;
}

/*
 * Put inner-map templates before every other map (stable), so that creating
 * maps in index order always finds a map-in-map's template already made.
 * Runs before anything else records map indices, except inner_map_idx and
 * ctx->btf_maps, which are renumbered.
 */
static int elf_order_maps(struct elf_ctx *ctx)
{
	struct bpffs_object *obj = ctx->obj;
	struct bpffs_obj_map *sorted;
	u32 *new_idx, n = 0;

	if (!obj->map_cnt)
		return 0;
	sorted = malloc(obj->map_cnt * sizeof(*sorted));
	new_idx = malloc(obj->map_cnt * sizeof(*new_idx));
	if (!sorted || !new_idx) {
		free(sorted);
		free(new_idx);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 2; pass++)
		for (u32 i = 0; i < obj->map_cnt; i++)
			if (map_is_template(obj, i) == (pass == 0)) {
				new_idx[i] = n;
				sorted[n++] = obj->maps[i];
			}
	for (u32 i = 0; i < obj->map_cnt; i++)
		if (sorted[i].attr.inner_map_idx < obj->map_cnt)	/* validated: else -1 */
			sorted[i].attr.inner_map_idx = new_idx[sorted[i].attr.inner_map_idx];
	for (u32 i = 0; i < ctx->btf_map_cnt; i++)
		ctx->btf_maps[i].map_idx = new_idx[ctx->btf_maps[i].map_idx];
	memcpy(obj->maps, sorted, obj->map_cnt * sizeof(*sorted));
	free(sorted);
	free(new_idx);
	return 0;
}

int elf_collect_maps(struct elf_ctx *ctx)
{
	GElf_Shdr shdr;
	int err = 0;

	ctx->legacy_first = ctx->obj->map_cnt;
	err = legacy_all_syms(ctx, &ctx->legacy_syms, &ctx->legacy_sym_cnt);
	for (size_t i = 1; !err && i < ctx->shnum; i++)
		if (elf_sec(ctx, i, &shdr) && elf_is_legacy_maps_sec(elf_sec_name(ctx, i)))
			err = elf_legacy_maps(ctx, i);
	for (u32 i = ctx->legacy_first; !err && i < ctx->obj->map_cnt; i++) {
		const struct bpffs_map_attr *a = &ctx->obj->maps[i].attr;

		if (a->inner_map_idx != (u32)-1 &&
		    (a->inner_map_idx >= ctx->obj->map_cnt || a->inner_map_idx == i))
			err = elf_err(ctx, -EINVAL, "map '%s': inner map index %d out of range",
				      a->name, (int)(a->inner_map_idx - ctx->legacy_first));
	}
	if (!err && ctx->btf_maps_shndx >= 0)
		err = elf_btf_maps(ctx);
	if (!err)
		err = elf_data_maps(ctx);
	if (!err)
		err = elf_order_maps(ctx);
	if (!err)
		err = elf_index_maps(ctx);
	if (!err && ctx->btf_map_cnt)
		qsort(ctx->btf_maps, ctx->btf_map_cnt, sizeof(*ctx->btf_maps), btf_map_cmp);
	return err;
}

/* ---- static initial slots (relocations of .maps) ---------------------------- */

static int slot_target(struct elf_ctx *ctx, const struct bpffs_obj_map *outer, u32 symi,
		       u32 *target)
{
	const char *name;
	GElf_Sym sym;
	int idx;

	if (elf_sym(ctx, symi, &sym, &name))
		return elf_err(ctx, -EINVAL, "map '%s': relocation symbol %u out of range",
			       outer->attr.name, symi);
	if (outer->attr.map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct elf_code *code = elf_code_by_shndx(ctx, sym.st_shndx);
		struct elf_func *f = code && sym.st_value % 8 == 0 && sym.st_value / 8 < code->cnt ?
					     elf_func_at(ctx, code - ctx->code, sym.st_value / 8) : NULL;

		if (f && f->entry) {
			*target = f->prog_idx;
			return 0;
		}
		return elf_err(ctx, -EINVAL, "map '%s': initial slot names '%s', not a program",
			       outer->attr.name, name);
	}
	idx = elf_map_by_sec_off(ctx, sym.st_shndx, sym.st_value);
	if (sym.st_shndx != (u32)ctx->btf_maps_shndx || idx < 0)
		return elf_err(ctx, -EINVAL, "map '%s': initial slot names '%s', not a map",
			       outer->attr.name, name);
	*target = idx;
	return 0;
}

static int slot_add(struct elf_ctx *ctx, u64 off, u32 symi)
{
	struct bpffs_obj_map *m;
	struct elf_btf_map *bm = NULL;
	u32 target, key;
	int err;

	u32 lo = 0, hi = ctx->btf_map_cnt;

	while (lo < hi) {	/* the last definition starting at or before off */
		u32 mid = (lo + hi) / 2;

		if (ctx->btf_maps[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && off - ctx->btf_maps[lo - 1].off < ctx->btf_maps[lo - 1].size)
		bm = &ctx->btf_maps[lo - 1];
	if (!bm || !bm->has_values || off - bm->off < bm->values_off ||
	    (off - bm->off - bm->values_off) % 8)
		return elf_err(ctx, -EINVAL, ".maps: relocation at offset %llu is not in a 'values' array",
			       (unsigned long long)off);
	m = &ctx->obj->maps[bm->map_idx];
	key = (off - bm->off - bm->values_off) / 8;
	if (key >= m->attr.max_entries)
		return elf_err(ctx, -E2BIG, "map '%s': initial slot %u beyond max_entries %u",
			       m->attr.name, key, m->attr.max_entries);
	err = slot_target(ctx, m, symi, &target);
	if (err)
		return err;
	if (elf_vec_grow(&m->init_slots, m->init_slot_cnt, sizeof(*m->init_slots)))
		return -ENOMEM;
	m->init_slots[m->init_slot_cnt++] = (struct bpffs_map_init_slot){ .key = key, .target = target };
	return 0;
}

int elf_init_map_slots(struct elf_ctx *ctx)
{
	GElf_Shdr shdr;
	u64 off;
	u32 type, sym;
	int err;

	if (ctx->btf_maps_shndx < 0)
		return 0;
	for (size_t i = 1; i < ctx->shnum; i++) {
		if (!elf_sec(ctx, i, &shdr) || (shdr.sh_type != SHT_REL && shdr.sh_type != SHT_RELA))
			continue;
		if (shdr.sh_info != (u32)ctx->btf_maps_shndx)
			continue;
		for (u32 r = 0, n = elf_reloc_cnt(ctx, i); r < n; r++) {
			err = elf_reloc_get(ctx, i, r, &off, &type, &sym);
			if (!err)
				err = slot_add(ctx, off, sym);
			if (err)
				return err;
		}
	}
	return 0;
}
