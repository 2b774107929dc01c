// SPDX-License-Identifier: MIT
/*
 * BTF of a BPF object: .BTF is parsed with libbpf's btf.h API (which works
 * without the kernel); .BTF.ext is parsed here, bounds-checked record by
 * record: func info and line info are attached to their sections (then
 * carried into each linked program), and CO-RE relocations are applied to
 * the section bytecode against this runtime's context types (struct
 * __sk_buff, struct xdp_md and the project's own hook contexts). CO-RE
 * against kernel types fails with a message naming the type.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "elf_internal.h"
#include "log.h"
#include "bpffs/hooks.h"

static int btf_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[256];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	pr_debug("libbpf: %s", buf);
	return 0;
}

static void btf_quiet_libbpf(void)
{
	libbpf_set_print(btf_libbpf_print);
}

u32 bpffs_btf_skip_mods(const struct btf *btf, u32 id)
{
	const struct btf_type *t;

	for (int depth = 0; depth < 32; depth++) {
		t = btf__type_by_id(btf, id);
		if (!t || !(btf_is_mod(t) || btf_is_typedef(t)))
			return t ? id : 0;
		id = t->type;
	}
	return 0;
}

/* ---- DATASEC fix-up --------------------------------------------------------- */

/*
 * clang leaves the DATASECs of global data for the linker: size 0, and every
 * non-static variable at offset 0 (static ones are right). libbpf fixes them
 * at open from the ELF (btf_fixup_datasec); so do we, for the data sections
 * that become maps, so that their values can be shown by variable. The types
 * are libbpf's private copy of .BTF (btf__new copies), which libbpf itself
 * patches the same way: writing through the const pointer is safe.
 */
static int secinfo_cmp(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/* Global and weak data symbols by name, and sections by name (idx = shndx). */
static int btf_fixup_index(struct elf_ctx *ctx, struct elf_sym_key **syms, u32 *nsyms,
			   struct elf_sym_key **secs, u32 *nsecs)
{
	const char *name;
	GElf_Sym sym;
	GElf_Shdr shdr;
	u8 bind;

	for (u32 i = 1; i < ctx->sym_cnt; i++) {
		if (elf_sym(ctx, i, &sym, &name) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
			continue;
		bind = GELF_ST_BIND(sym.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK)
			continue;
		if (elf_vec_grow(syms, *nsyms, sizeof(**syms)))
			return -ENOMEM;
		(*syms)[(*nsyms)++] = (struct elf_sym_key){
			.name = name, .idx = i, .value = sym.st_value, .size = sym.st_size };
	}
	for (size_t i = 1; i < ctx->shnum; i++) {
		name = elf_sec_name(ctx, i);
		if (!elf_sec(ctx, i, &shdr) || !elf_is_data_sec(name))
			continue;
		if (elf_vec_grow(secs, *nsecs, sizeof(**secs)))
			return -ENOMEM;
		(*secs)[(*nsecs)++] = (struct elf_sym_key){ .name = name, .idx = i,
							    .size = shdr.sh_size };
	}
	if (*nsyms)
		qsort(*syms, *nsyms, sizeof(**syms), elf_key_cmp);
	if (*nsecs)
		qsort(*secs, *nsecs, sizeof(**secs), elf_key_cmp);
	return 0;
}

/* The offset of variable @name in data section @sec, from its symbol. */
static bool btf_var_sym_off(struct elf_ctx *ctx, const struct elf_sym_key *syms, u32 nsyms,
			    const char *name, const struct elf_sym_key *sec, u32 *off)
{
	const struct elf_sym_key *k = elf_key_find(syms, nsyms, name);
	GElf_Sym sym;

	for (; k && k < syms + nsyms && !strcmp(k->name, name); k++) {
		if (!elf_sym(ctx, k->idx, &sym, NULL) && sym.st_shndx == sec->idx &&
		    k->value < sec->size) {
			*off = (u32)k->value;
			return true;
		}
	}
	return false;
}

static void btf_fixup_one(struct elf_ctx *ctx, struct btf *btf, struct btf_type *t,
			  const struct elf_sym_key *sec, const struct elf_sym_key *syms, u32 nsyms)
{
	struct btf_var_secinfo *vs = btf_var_secinfos(t);
	const struct btf_type *var;
	const char *name;
	u16 n = btf_vlen(t);

	if (!t->size && sec->size <= UINT32_MAX)
		t->size = (u32)sec->size;
	for (u16 i = 0; i < n; i++) {
		var = btf__type_by_id(btf, vs[i].type);
		if (!var || !btf_is_var(var) || btf_var(var)->linkage == BTF_VAR_STATIC ||
		    btf_var(var)->linkage == BTF_VAR_GLOBAL_EXTERN)
			continue;	/* static: clang got it right; extern: not here */
		name = btf__name_by_offset(btf, var->name_off);
		if (name)
			btf_var_sym_off(ctx, syms, nsyms, name, sec, &vs[i].offset);
	}
	qsort(vs, n, sizeof(*vs), secinfo_cmp);
}

static int btf_fixup_datasecs(struct elf_ctx *ctx, struct btf *btf)
{
	struct elf_sym_key *syms = NULL, *secs = NULL;
	const struct elf_sym_key *sec;
	u32 nsyms = 0, nsecs = 0, types = btf__type_cnt(btf);
	struct btf_type *t;
	const char *name;
	int err;

	err = btf_fixup_index(ctx, &syms, &nsyms, &secs, &nsecs);
	for (u32 id = 1; !err && nsecs && id < types; id++) {
		t = (struct btf_type *)btf__type_by_id(btf, id);
		if (!t || !btf_is_datasec(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		sec = name ? elf_key_find(secs, nsecs, name) : NULL;
		if (sec)
			btf_fixup_one(ctx, btf, t, sec, syms, nsyms);
	}
	free(syms);
	free(secs);
	return err;
}

int elf_btf_load(struct elf_ctx *ctx)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct btf *btf;

	if (!ctx->btf_data)
		return 0;
	pthread_once(&once, btf_quiet_libbpf);
	btf = btf__new(ctx->btf_data->d_buf, ctx->btf_data->d_size);
	if (!btf || libbpf_get_error(btf)) {
		/* optional, as in libbpf: go on without it (.maps will need it) */
		pr_debug("object '%s': malformed .BTF section ignored\n", ctx->obj->name);
		return 0;
	}
	ctx->obj->btf = btf;
	return btf_fixup_datasecs(ctx, btf);
}

/* ---- .BTF.ext ------------------------------------------------------------ */

struct btf_ext_hdr {
	u16 magic;
	u8 version;
	u8 flags;
	u32 hdr_len;
	u32 func_info_off;
	u32 func_info_len;
	u32 line_info_off;
	u32 line_info_len;
	u32 core_relo_off;	/* present if hdr_len >= 32 */
	u32 core_relo_len;
};

struct ext_rec {	/* common prefix of every record */
	u32 insn_off;	/* bytes from the start of the section */
	u32 a, b, c;
};

enum ext_kind { EXT_FUNC, EXT_LINE, EXT_CORE };

static const char *const ext_names[] = { "func info", "line info", "CO-RE relocations" };
static const u32 ext_min_rec[] = { 8, 16, 16 };

static int ext_func(struct elf_ctx *ctx, struct elf_code *code, const struct ext_rec *r)
{
	if (elf_vec_grow(&code->func_info, code->func_info_cnt, sizeof(*code->func_info)))
		return -ENOMEM;
	code->func_info[code->func_info_cnt++] = (struct bpffs_func_info){ .insn_off = r->insn_off / 8,
							      .type_id = r->a };
	return 0;
}

static int ext_line(struct elf_ctx *ctx, struct elf_code *code, const struct ext_rec *r)
{
	const struct btf *btf = ctx->obj->btf;
	const char *file = btf__name_by_offset(btf, r->a);
	const char *line = btf__name_by_offset(btf, r->b);

	if (elf_vec_grow(&code->line_info, code->line_info_cnt, sizeof(*code->line_info)))
		return -ENOMEM;
	code->line_info[code->line_info_cnt++] = (struct bpffs_line_info){
		.insn_off = r->insn_off / 8, .file = file ? file : "", .line = line ? line : "",
		.line_num = r->c >> 10, .line_col = r->c & 0x3ff };
	return 0;
}

static int core_apply(struct elf_ctx *ctx, struct elf_code *code, const struct ext_rec *r);

static int ext_record(struct elf_ctx *ctx, enum ext_kind kind, struct elf_code *code,
		      const struct ext_rec *r)
{
	if (r->insn_off % 8 || r->insn_off / 8 >= code->cnt) {
		if (kind == EXT_CORE)
			return elf_err(ctx, -EINVAL, ".BTF.ext: %s offset %u outside section '%s'",
				       ext_names[kind], r->insn_off, code->name);
		/* debug info only: drop the record, as the program is still valid */
		pr_debug("object '%s': %s offset %u outside section '%s' ignored\n",
			 ctx->obj->name, ext_names[kind], r->insn_off, code->name);
		return 0;
	}
	if (kind == EXT_FUNC)
		return ext_func(ctx, code, r);
	if (kind == EXT_LINE)
		return ext_line(ctx, code, r);
	return core_apply(ctx, code, r);
}

/* One subsection: u32 rec_size, then { sec_name_off, num_info, records }... */
static int ext_section(struct elf_ctx *ctx, enum ext_kind kind, const u8 *p, u32 len)
{
	const struct btf *btf = ctx->obj->btf;
	u32 rec_size, name_off, num;
	const struct elf_sym_key *key;
	struct elf_code *code;
	struct ext_rec r = { 0 };
	const char *sec;
	int err;

	if (!len)
		return 0;
	if (len < 4 || (memcpy(&rec_size, p, 4), rec_size < ext_min_rec[kind]) || rec_size % 4)
		return elf_err(ctx, -EINVAL, ".BTF.ext: bad %s record size", ext_names[kind]);
	for (u32 off = 4; off < len;) {
		if (len - off < 8)
			return elf_err(ctx, -EINVAL, ".BTF.ext: truncated %s", ext_names[kind]);
		memcpy(&name_off, p + off, 4);
		memcpy(&num, p + off + 4, 4);
		off += 8;
		if (num > (len - off) / rec_size)
			return elf_err(ctx, -EINVAL, ".BTF.ext: %s records overrun the section",
				       ext_names[kind]);
		sec = btf__name_by_offset(btf, name_off);
		key = sec ? elf_key_find(ctx->code_names, ctx->code_cnt, sec) : NULL;
		code = key ? &ctx->code[key->idx] : NULL;
		if (!code)
			return elf_err(ctx, -EINVAL, ".BTF.ext: %s for unknown section '%s'",
				       ext_names[kind], sec ? sec : "?");
		for (u32 i = 0; i < num; i++, off += rec_size) {
			memset(&r, 0, sizeof(r));
			memcpy(&r, p + off, sizeof(r) < rec_size ? sizeof(r) : rec_size);
			err = ext_record(ctx, kind, code, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

static int ext_part(struct elf_ctx *ctx, enum ext_kind kind, const u8 *base, size_t avail,
		    u32 off, u32 len)
{
	if (off > avail || len > avail - off)
		return elf_err(ctx, -EINVAL, ".BTF.ext: %s out of bounds", ext_names[kind]);
	return ext_section(ctx, kind, base + off, len);
}

int elf_btf_ext_load(struct elf_ctx *ctx)
{
	struct btf_ext_hdr h = { 0 };
	const u8 *p;
	size_t size;
	int err;

	if (!ctx->btf_ext_data || !ctx->obj->btf)
		return 0;
	p = ctx->btf_ext_data->d_buf;
	size = ctx->btf_ext_data->d_size;
	if (size < 24)
		return elf_err(ctx, -EINVAL, ".BTF.ext: truncated header");
	memcpy(&h, p, size < sizeof(h) ? size : sizeof(h));
	if (h.magic != 0xeB9F || h.version != 1 || h.hdr_len < 24 || h.hdr_len > size)
		return elf_err(ctx, -EINVAL, ".BTF.ext: bad header (magic 0x%x, version %u)",
			       h.magic, h.version);
	if (h.hdr_len < 32)
		h.core_relo_off = h.core_relo_len = 0;
	/* code sections by name, for the subsections' section names */
	ctx->code_names = malloc((ctx->code_cnt ? ctx->code_cnt : 1) * sizeof(*ctx->code_names));
	if (!ctx->code_names)
		return -ENOMEM;
	for (u32 i = 0; i < ctx->code_cnt; i++)
		ctx->code_names[i] = (struct elf_sym_key){ .name = ctx->code[i].name, .idx = i };
	if (ctx->code_cnt)
		qsort(ctx->code_names, ctx->code_cnt, sizeof(*ctx->code_names), elf_key_cmp);
	p += h.hdr_len;
	size -= h.hdr_len;
	err = ext_part(ctx, EXT_FUNC, p, size, h.func_info_off, h.func_info_len);
	if (!err)
		err = ext_part(ctx, EXT_LINE, p, size, h.line_info_off, h.line_info_len);
	if (!err)
		err = ext_part(ctx, EXT_CORE, p, size, h.core_relo_off, h.core_relo_len);
	return err;
}

/* ---- CO-RE against this runtime's context types ---------------------------- */

struct core_field {
	const char *name;
	u32 off, size;
};

struct core_type {
	const char *name;
	u32 size;
	const struct core_field *fields;
};

#define F(T, m) { #m, offsetof(struct T, m), sizeof(((struct T *)0)->m) }

static const struct core_field sk_buff_fields[] = {
	F(__sk_buff, len), F(__sk_buff, pkt_type), F(__sk_buff, mark),
	F(__sk_buff, queue_mapping), F(__sk_buff, protocol), F(__sk_buff, vlan_present),
	F(__sk_buff, vlan_tci), F(__sk_buff, vlan_proto), F(__sk_buff, priority),
	F(__sk_buff, ingress_ifindex), F(__sk_buff, ifindex), F(__sk_buff, tc_index),
	F(__sk_buff, cb), F(__sk_buff, hash), F(__sk_buff, tc_classid), F(__sk_buff, data),
	F(__sk_buff, data_end), F(__sk_buff, napi_id), F(__sk_buff, family),
	F(__sk_buff, remote_ip4), F(__sk_buff, local_ip4), F(__sk_buff, remote_ip6),
	F(__sk_buff, local_ip6), F(__sk_buff, remote_port), F(__sk_buff, local_port),
	F(__sk_buff, data_meta), F(__sk_buff, flow_keys), F(__sk_buff, tstamp),
	F(__sk_buff, wire_len), F(__sk_buff, gso_segs), F(__sk_buff, sk),
	F(__sk_buff, gso_size), F(__sk_buff, hwtstamp), { NULL, 0, 0 },
};

static const struct core_field xdp_md_fields[] = {
	F(xdp_md, data), F(xdp_md, data_end), F(xdp_md, data_meta),
	F(xdp_md, ingress_ifindex), F(xdp_md, rx_queue_index), F(xdp_md, egress_ifindex),
	{ NULL, 0, 0 },
};

static const struct core_field timer_fields[] = {
	F(bpffs_timer_ctx, now_ns), F(bpffs_timer_ctx, period_ns),
	F(bpffs_timer_ctx, expirations), { NULL, 0, 0 },
};

static const struct core_field inotify_fields[] = {
	F(bpffs_inotify_ctx, mask), F(bpffs_inotify_ctx, cookie),
	F(bpffs_inotify_ctx, name_len), F(bpffs_inotify_ctx, name), { NULL, 0, 0 },
};

#undef F

static const struct core_type core_types[] = {
	{ "__sk_buff", sizeof(struct __sk_buff), sk_buff_fields },
	{ "xdp_md", sizeof(struct xdp_md), xdp_md_fields },
	{ "bpffs_timer_ctx", sizeof(struct bpffs_timer_ctx), timer_fields },
	{ "bpffs_inotify_ctx", sizeof(struct bpffs_inotify_ctx), inotify_fields },
};

/* CO-RE relocation kinds (enum bpf_core_relo_kind) */
enum {
	CORE_FIELD_BYTE_OFFSET = 0,
	CORE_FIELD_BYTE_SIZE = 1,
	CORE_FIELD_EXISTS = 2,
	CORE_TYPE_EXISTS = 8,
	CORE_TYPE_SIZE = 9,
	CORE_TYPE_MATCHES = 12,
};

struct core_walk {
	const struct btf *btf;
	const struct core_type *ct;
	const char *spec;	/* access string, "0:3:1" */
	u32 off, size;		/* target offset and size so far */
	bool exists;
};

static int core_next_index(const char **s, u32 *idx)
{
	char *end;
	unsigned long v;

	if (!**s)
		return 0;
	v = strtoul(*s, &end, 10);
	if (end == *s || v > 0xffff || (*end && *end != ':'))
		return -EINVAL;
	*idx = v;
	*s = *end ? end + 1 : end;
	return 1;
}

/* Step into member @idx of the local struct @id; sets *id to the member's type. */
static int core_member(struct core_walk *w, u32 *id, u32 idx, bool top)
{
	const struct btf_type *t = btf__type_by_id(w->btf, *id);
	const struct btf_member *m;
	const struct core_field *f;
	const char *name;
	u32 next;

	if (!t || !btf_is_composite(t) || idx >= btf_vlen(t))
		return -EINVAL;
	m = btf_members(t) + idx;
	name = btf__name_by_offset(w->btf, m->name_off);
	*id = bpffs_btf_skip_mods(w->btf, m->type);
	if (!top || !name || !*name) {
		/* below the context struct the layout is the uapi's, as compiled */
		if (!top)
			w->off += btf_member_bit_offset(t, idx) / 8;
		if (top && core_next_index(&w->spec, &next) == 1)
			return core_member(w, id, next, true);	/* anonymous union */
		return 0;
	}
	for (f = w->ct->fields; f->name; f++)
		if (!strcmp(f->name, name))
			break;
	if (!f->name) {
		w->exists = false;
		return 0;
	}
	w->off += f->off;
	w->size = f->size;
	return 0;
}

static int core_walk_spec(struct core_walk *w, u32 id)
{
	const struct btf_type *t;
	u32 idx;
	s64 sz;
	int more = 0, top = 1;

	if (core_next_index(&w->spec, &idx) != 1)
		return -EINVAL;
	w->off = idx * w->ct->size;
	w->size = w->ct->size;
	while (w->exists && (more = core_next_index(&w->spec, &idx)) == 1) {
		t = btf__type_by_id(w->btf, id);
		if (t && btf_is_array(t)) {
			id = bpffs_btf_skip_mods(w->btf, btf_array(t)->type);
			sz = btf__resolve_size(w->btf, id);
			if (sz < 0 || idx >= btf_array(t)->nelems)
				return -EINVAL;
			w->off += idx * sz;
			w->size = sz;
			continue;
		}
		if (core_member(w, &id, idx, top))
			return -EINVAL;
		if (!top) {
			sz = btf__resolve_size(w->btf, id);
			w->size = sz > 0 ? sz : 0;
		}
		top = 0;
	}
	return w->exists && more < 0 ? -EINVAL : 0;
}

static int core_patch(struct elf_ctx *ctx, struct elf_code *code, u32 idx, u32 val)
{
	struct bpf_insn *insn = &code->insns[idx];
	u8 cls = BPF_CLASS(insn->code);

	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(insn->code) == BPF_K) {
		insn->imm = val;
	} else if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
		if (val > INT16_MAX)
			return elf_err(ctx, -EINVAL, "CO-RE: offset %u does not fit insn %u", val, idx);
		insn->off = val;
	} else if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && idx + 1 < code->cnt) {
		insn[0].imm = val;
		insn[1].imm = 0;
	} else {
		return elf_err(ctx, -EINVAL, "CO-RE: cannot patch insn %u of '%s' (opcode 0x%02x)",
			       idx, code->name, insn->code);
	}
	return 0;
}

static int core_apply(struct elf_ctx *ctx, struct elf_code *code, const struct ext_rec *r)
{
	const struct btf *btf = ctx->obj->btf;
	u32 root = bpffs_btf_skip_mods(btf, r->a), idx = r->insn_off / 8, kind = r->c, val;
	const struct btf_type *t = btf__type_by_id(btf, root);
	const char *tname = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	const char *spec = btf__name_by_offset(btf, r->b);
	struct core_walk w = { .btf = btf, .spec = spec, .exists = true };

	/* "__sk_buff___local" is a flavour of __sk_buff, as in libbpf */
	const char *flavour = tname ? strstr(tname, "___") : NULL;
	size_t tlen = tname ? (flavour ? (size_t)(flavour - tname) : strlen(tname)) : 0;

	for (size_t i = 0; tname && i < BPFFS_ARRAY_SIZE(core_types); i++)
		if (strlen(core_types[i].name) == tlen && !strncmp(core_types[i].name, tname, tlen))
			w.ct = &core_types[i];
	if (!w.ct)
		return elf_err(ctx, -EOPNOTSUPP,
			       "section '%s' insn %u: CO-RE relocation against kernel type '%s' is "
			       "not supported (only __sk_buff, xdp_md and bpffs hook contexts)",
			       code->name, idx, tname && *tname ? tname : "(anonymous)");
	if (kind == CORE_TYPE_EXISTS || kind == CORE_TYPE_MATCHES)
		return core_patch(ctx, code, idx, 1);
	if (kind == CORE_TYPE_SIZE)
		return core_patch(ctx, code, idx, w.ct->size);
	if (kind > CORE_FIELD_EXISTS)
		return elf_err(ctx, -EOPNOTSUPP, "section '%s' insn %u: CO-RE relocation kind %u "
			       "on '%s' is not supported", code->name, idx, kind, tname);
	if (!spec || core_walk_spec(&w, root))
		return elf_err(ctx, -EINVAL, "section '%s' insn %u: malformed CO-RE access '%s'",
			       code->name, idx, spec ? spec : "?");
	if (kind == CORE_FIELD_EXISTS)
		return core_patch(ctx, code, idx, w.exists);
	if (!w.exists)
		return elf_err(ctx, -EINVAL, "section '%s' insn %u: CO-RE field '%s' does not "
			       "exist in this runtime's struct %s", code->name, idx, spec, tname);
	val = kind == CORE_FIELD_BYTE_OFFSET ? w.off : w.size;
	return core_patch(ctx, code, idx, val);
}
