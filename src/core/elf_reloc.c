// SPDX-License-Identifier: MIT
/*
 * Relocation and linking of a BPF object's programs, as libbpf does it:
 * each entry function gets a private copy of its instructions followed by
 * every subprogram it reaches (BPF-to-BPF calls, by relocation or by
 * offset within a section, and function pointers for callbacks), with call
 * offsets fixed; LD_IMM64 map references become BPF_PSEUDO_MAP_FD with imm
 * = index into the program's own map list, global data references become
 * BPF_PSEUDO_MAP_VALUE (imm = map index, next imm = offset), function
 * pointers BPF_PSEUDO_FUNC. Any other relocation fails with its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_internal.h"

/* R_BPF_* from the ELF psABI for BPF */
#define R_BPF_NONE 0		/* very old LLVM used 0 for map references */
#define R_BPF_64_64 1
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_NODYLD32 4
#define R_BPF_64_32 10

#define LINK_MAX_INSNS BPFFS_MAX_INSNS
#define LINK_MAX_TOTAL_INSNS (4 * BPFFS_MAX_INSNS)
#define LINK_MAX_TOTAL_INFO (4 * BPFFS_MAX_INSNS)

u32 elf_reloc_cnt(struct elf_ctx *ctx, size_t rel_shndx)
{
	GElf_Shdr shdr;
	size_t ent;

	if (!elf_sec(ctx, rel_shndx, &shdr) || !elf_sec_data(ctx, rel_shndx))
		return 0;
	ent = shdr.sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
	return shdr.sh_size / ent;
}

int elf_reloc_get(struct elf_ctx *ctx, size_t rel_shndx, u32 i, u64 *off, u32 *type, u32 *sym)
{
	Elf_Data *data = elf_sec_data(ctx, rel_shndx);
	GElf_Shdr shdr;
	GElf_Rela rela;
	GElf_Rel rel;

	if (!data || !elf_sec(ctx, rel_shndx, &shdr))
		return elf_err(ctx, -EINVAL, "relocation section %zu unreadable", rel_shndx);
	if (shdr.sh_type == SHT_RELA) {
		if (!gelf_getrela(data, i, &rela))
			return elf_err(ctx, -EINVAL, "relocation %u of section %zu unreadable", i,
				       rel_shndx);
		rel.r_offset = rela.r_offset;
		rel.r_info = rela.r_info;
	} else if (!gelf_getrel(data, i, &rel)) {
		return elf_err(ctx, -EINVAL, "relocation %u of section %zu unreadable", i, rel_shndx);
	}
	*off = rel.r_offset;
	*type = GELF_R_TYPE(rel.r_info);
	*sym = GELF_R_SYM(rel.r_info);
	return 0;
}

static int reloc_cmp(const void *a, const void *b)
{
	const struct elf_reloc *x = a, *y = b;

	return x->insn_idx < y->insn_idx ? -1 : x->insn_idx > y->insn_idx;
}

static int code_relocs(struct elf_ctx *ctx, size_t shndx, struct elf_code *code)
{
	u32 n = elf_reloc_cnt(ctx, shndx), type, symi;
	struct elf_reloc *r;
	GElf_Sym sym;
	u64 off;
	int err;

	if (!n)
		return 0;
	r = realloc(code->relocs, (code->reloc_cnt + (size_t)n) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	code->relocs = r;
	for (u32 i = 0; i < n; i++) {
		r = &code->relocs[code->reloc_cnt];
		err = elf_reloc_get(ctx, shndx, i, &off, &type, &symi);
		if (err)
			return err;
		if (off % 8 || off / 8 >= code->cnt)
			return elf_err(ctx, -EINVAL,
				       "section '%s': relocation offset %llu out of range",
				       code->name, (unsigned long long)off);
		if (elf_sym(ctx, symi, &sym, &r->sym_name))
			return elf_err(ctx, -EINVAL,
				       "section '%s': relocation symbol %u out of range (%u symbols)",
				       code->name, symi, ctx->sym_cnt);
		r->insn_idx = off / 8;
		r->type = type;
		r->sym_shndx = sym.st_shndx;
		r->sym_value = sym.st_value;
		r->sym_type = GELF_ST_TYPE(sym.st_info);
		r->sym_bind = GELF_ST_BIND(sym.st_info);
		code->reloc_cnt++;
	}
	qsort(code->relocs, code->reloc_cnt, sizeof(*code->relocs), reloc_cmp);
	return 0;
}

int elf_collect_relocs(struct elf_ctx *ctx)
{
	struct elf_code *code;
	GElf_Shdr shdr;
	int err;

	for (size_t i = 1; i < ctx->shnum; i++) {
		if (!elf_sec(ctx, i, &shdr) || (shdr.sh_type != SHT_REL && shdr.sh_type != SHT_RELA))
			continue;
		code = elf_code_by_shndx(ctx, shdr.sh_info);
		if (!code)
			continue;	/* .BTF, .maps, debug info: not code */
		if (shdr.sh_size && !elf_sec_data(ctx, i))
			return elf_err(ctx, -EINVAL, "relocation section '%s' out of bounds",
				       elf_sec_name(ctx, i));
		err = code_relocs(ctx, i, code);
		if (err)
			return err;
	}
	return 0;
}

static const struct elf_reloc *find_reloc(const struct elf_code *code, u32 idx)
{
	u32 lo = 0, hi = code->reloc_cnt;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (code->relocs[mid].insn_idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < code->reloc_cnt && code->relocs[lo].insn_idx == idx ? &code->relocs[lo] : NULL;
}

/* ---- linking one program ------------------------------------------------ */

struct link_unit {
	u32 func;		/* index into ctx->funcs */
	u32 base;		/* first instruction in the linked program */
};

struct link {
	struct elf_ctx *ctx;
	struct bpffs_obj_prog *prog;
	struct link_unit *units;
	u32 unit_cnt;
	/*
	 * Shared by all programs, reset after each (only the entries it set):
	 * per ctx->funcs the base in the program or U32_MAX, per obj->maps the
	 * slot in the program's map list or U32_MAX.
	 */
	u32 *func_base;
	u32 *map_slot;
};

static int grow(void *p, u32 cnt, size_t elem)
{
	return elf_vec_grow(p, cnt, elem);
}

static int link_copy_info(struct link *l, const struct elf_func *f, u32 base)
{
	const struct elf_code *code = &l->ctx->code[f->sec];
	struct bpffs_obj_prog *p = l->prog;

	l->ctx->linked_info += code->func_info_cnt + code->line_info_cnt;
	if (l->ctx->linked_info > LINK_MAX_TOTAL_INFO)
		return elf_err(l->ctx, -E2BIG, "object: more than %u line/func info records once "
			       "linked", LINK_MAX_TOTAL_INFO);

	for (u32 i = 0; i < code->func_info_cnt; i++) {
		struct bpffs_func_info fi = code->func_info[i];

		if (fi.insn_off < f->start || fi.insn_off >= f->start + f->cnt)
			continue;
		if (grow(&p->func_info, p->func_info_cnt, sizeof(fi)))
			return -ENOMEM;
		fi.insn_off = fi.insn_off - f->start + base;
		p->func_info[p->func_info_cnt++] = fi;
	}
	for (u32 i = 0; i < code->line_info_cnt; i++) {
		struct bpffs_line_info li = code->line_info[i];

		if (li.insn_off < f->start || li.insn_off >= f->start + f->cnt)
			continue;
		if (grow(&p->line_info, p->line_info_cnt, sizeof(li)))
			return -ENOMEM;
		li.insn_off = li.insn_off - f->start + base;
		p->line_info[p->line_info_cnt++] = li;
	}
	return 0;
}

/* Append function @fi at the end of the program; returns its base. */
static int link_append(struct link *l, u32 fi, u32 *base)
{
	const struct elf_func *f = &l->ctx->funcs[fi];
	struct bpffs_obj_prog *p = l->prog;
	struct bpf_insn *tmp;

	if (l->func_base[fi] != UINT32_MAX) {
		*base = l->func_base[fi];
		return 0;
	}
	if (p->insn_cnt + f->cnt > LINK_MAX_INSNS)
		return elf_err(l->ctx, -E2BIG, "program '%s': more than %u instructions once linked",
			       p->name, LINK_MAX_INSNS);
	/* bounded memory: many programs sharing big subprograms add up */
	if (l->ctx->linked_insns + f->cnt > LINK_MAX_TOTAL_INSNS)
		return elf_err(l->ctx, -E2BIG, "object: more than %u instructions once linked",
			       LINK_MAX_TOTAL_INSNS);
	l->ctx->linked_insns += f->cnt;
	tmp = realloc(p->insns, ((size_t)p->insn_cnt + f->cnt) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	p->insns = tmp;
	if (grow(&l->units, l->unit_cnt, sizeof(*l->units)))
		return -ENOMEM;
	memcpy(p->insns + p->insn_cnt, l->ctx->code[f->sec].insns + f->start,
	       f->cnt * sizeof(*tmp));
	*base = p->insn_cnt;
	l->func_base[fi] = *base;
	l->units[l->unit_cnt++] = (struct link_unit){ .func = fi, .base = *base };
	p->insn_cnt += f->cnt;
	return link_copy_info(l, f, *base);
}

/* Resolve instruction @target of section @sec to a linked position. */
static int link_target(struct link *l, u32 sec, s64 target, u32 from, u32 *pos)
{
	struct elf_ctx *ctx = l->ctx;
	u32 lo = 0, hi = ctx->func_cnt, base;
	const struct elf_func *f;
	int err;

	/* funcs are sorted by (section, start) and do not overlap */
	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		f = &ctx->funcs[mid];
		if (f->sec < sec || (f->sec == sec && f->start + f->cnt <= target))
			lo = mid + 1;
		else
			hi = mid;
	}
	f = lo < ctx->func_cnt ? &ctx->funcs[lo] : NULL;
	if (f && f->sec == sec && target >= f->start && target < f->start + f->cnt) {
		err = link_append(l, lo, &base);
		if (err)
			return err;
		*pos = base + (target - f->start);
		return 0;
	}
	return elf_err(ctx, -EINVAL,
		       "program '%s': insn %u: call or function pointer to instruction %lld of "
		       "section '%s', outside any function",
		       l->prog->name, from, (long long)target, ctx->code[sec].name);
}

static int link_map_slot(struct link *l, u32 map)
{
	struct bpffs_obj_prog *p = l->prog;

	if (l->map_slot[map] != UINT32_MAX)
		return l->map_slot[map];
	if (grow(&p->map_idx, p->map_cnt, sizeof(u32)))
		return -ENOMEM;
	p->map_idx[p->map_cnt] = map;
	l->map_slot[map] = p->map_cnt;
	return p->map_cnt++;
}

static int reloc_call(struct link *l, const struct elf_reloc *r, u32 pos)
{
	struct bpf_insn *insn = &l->prog->insns[pos];
	struct elf_code *code;
	u32 target;
	int err;

	if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL || r->sym_shndx == SHN_UNDEF)
		return elf_err(l->ctx, -EOPNOTSUPP,
			       "program '%s': insn %u: call to extern function '%s' is not supported",
			       l->prog->name, pos, r->sym_name);
	code = elf_code_by_shndx(l->ctx, r->sym_shndx);
	if (!code || insn->src_reg != BPF_PSEUDO_CALL)
		return elf_err(l->ctx, -EINVAL,
			       "program '%s': insn %u: call relocation against '%s', not a function",
			       l->prog->name, pos, r->sym_name);
	err = link_target(l, code - l->ctx->code, (s64)(r->sym_value / 8) + insn->imm + 1, pos,
			  &target);
	if (err)
		return err;
	insn = &l->prog->insns[pos];	/* may have moved */
	insn->imm = (s32)target - (s32)(pos + 1);
	return 0;
}

static int reloc_func_ptr(struct link *l, const struct elf_reloc *r, u32 pos,
			  struct elf_code *code)
{
	struct bpf_insn *insn = &l->prog->insns[pos];
	s64 off = (s64)r->sym_value + insn->imm;
	u32 target;
	int err;

	if (off % 8)
		return elf_err(l->ctx, -EINVAL, "program '%s': insn %u: misaligned function pointer",
			       l->prog->name, pos);
	err = link_target(l, code - l->ctx->code, off / 8, pos, &target);
	if (err)
		return err;
	insn = &l->prog->insns[pos];
	insn[0].src_reg = BPF_PSEUDO_FUNC;
	insn[0].imm = (s32)target - (s32)(pos + 1);
	insn[1].imm = 0;
	return 0;
}

static int reloc_map(struct link *l, const struct elf_reloc *r, u32 pos)
{
	struct elf_ctx *ctx = l->ctx;
	struct bpf_insn *insn = &l->prog->insns[pos];
	u64 off = r->sym_value;
	int map, slot;

	if (r->sym_type == STT_SECTION || elf_is_data_sec(elf_sec_name(ctx, r->sym_shndx)))
		off += insn->imm;
	map = elf_map_by_sec_off(ctx, r->sym_shndx, off);
	if (map < 0)
		return elf_err(ctx, -EINVAL,
			       "program '%s': insn %u: relocation against '%s' (section '%s', "
			       "offset %llu) names no map",
			       l->prog->name, pos, r->sym_name, elf_sec_name(ctx, r->sym_shndx),
			       (unsigned long long)off);
	slot = link_map_slot(l, map);
	if (slot < 0)
		return slot;
	if (ctx->obj->maps[map].kind == BPFFS_OBJ_MAP_DATA) {
		insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
		insn[1].imm = off;
	} else {
		insn[0].src_reg = BPF_PSEUDO_MAP_FD;
		insn[1].imm = 0;
	}
	insn[0].imm = slot;
	return 0;
}

static int reloc_ld_imm64(struct link *l, const struct elf_reloc *r, u32 pos)
{
	struct elf_ctx *ctx = l->ctx;
	struct elf_code *code;
	const char *sec;

	if (r->sym_shndx == SHN_UNDEF)
		return elf_err(ctx, -EOPNOTSUPP,
			       "program '%s': insn %u: extern variable '%s' (.kconfig/.ksyms) is "
			       "not supported",
			       l->prog->name, pos, r->sym_name);
	code = elf_code_by_shndx(ctx, r->sym_shndx);
	if (code)
		return reloc_func_ptr(l, r, pos, code);
	sec = elf_sec_name(ctx, r->sym_shndx);
	if (elf_is_legacy_maps_sec(sec) || (int)r->sym_shndx == ctx->btf_maps_shndx ||
	    elf_is_data_sec(sec))
		return reloc_map(l, r, pos);
	return elf_err(ctx, -EOPNOTSUPP,
		       "program '%s': insn %u: relocation against '%s' in section '%s' is not "
		       "supported",
		       l->prog->name, pos, r->sym_name, sec);
}

static int link_reloc(struct link *l, const struct elf_reloc *r, u32 pos, u32 cnt)
{
	const struct bpf_insn *insn = &l->prog->insns[pos];

	if (r->type != R_BPF_64_64 && r->type != R_BPF_64_32 && r->type != R_BPF_NONE)
		return elf_err(l->ctx, -EOPNOTSUPP,
			       "program '%s': insn %u: unsupported relocation type %u against '%s'",
			       l->prog->name, pos, r->type, r->sym_name);
	if (insn->code == (BPF_JMP | BPF_CALL))
		return reloc_call(l, r, pos);
	if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && pos + 1 < cnt)
		return reloc_ld_imm64(l, r, pos);
	return elf_err(l->ctx, -EINVAL,
		       "program '%s': insn %u: relocation against '%s' on an instruction that is "
		       "neither a call nor a 64-bit load (opcode 0x%02x)",
		       l->prog->name, pos, r->sym_name, insn->code);
}

/* Relocate linked unit @u: its relocations and its calls by offset. */
static int link_unit(struct link *l, u32 u)
{
	const struct elf_func *f = &l->ctx->funcs[l->units[u].func];
	struct elf_code *code = &l->ctx->code[f->sec];
	u32 base = l->units[u].base, pos, target;
	const struct elf_reloc *r;
	struct bpf_insn *insn;
	int err;

	for (u32 i = 0; i < f->cnt; i++) {
		pos = base + i;
		r = find_reloc(code, f->start + i);
		insn = &l->prog->insns[pos];
		if (r) {
			err = link_reloc(l, r, pos, base + f->cnt);
		} else if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL) {
			/* call by offset within the section, no relocation */
			err = link_target(l, f->sec, (s64)f->start + i + insn->imm + 1, pos, &target);
			if (!err)
				l->prog->insns[pos].imm = (s32)target - (s32)(pos + 1);
		} else {
			err = 0;
		}
		if (err)
			return err;
		if (l->prog->insns[pos].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return 0;
}

static void prog_set_type(struct elf_ctx *ctx, struct bpffs_obj_prog *p)
{
	const struct bpffs_open_opts *o = ctx->opts;

	if (o->prog_type) {
		p->type = o->prog_type;
		p->expected_attach_type = o->expected_attach_type;
	} else if (bpffs_section_prog_type(p->section, &p->type, &p->expected_attach_type,
					   &p->attach_target)) {
		p->type = o->default_prog_type;
		p->expected_attach_type = 0;
	}
}

static int link_prog(struct elf_ctx *ctx, u32 fi, struct bpffs_obj_prog *p, u32 *func_base,
		     u32 *map_slot)
{
	const struct elf_func *f = &ctx->funcs[fi];
	struct link l = { .ctx = ctx, .prog = p, .func_base = func_base, .map_slot = map_slot };
	u32 base;
	int err;

	snprintf(p->name, sizeof(p->name), "%s", f->name);
	p->is_static = !f->global;
	snprintf(p->section, sizeof(p->section), "%s", ctx->code[f->sec].name);
	prog_set_type(ctx, p);	/* attach_target points into p->section */
	p->main_insn_cnt = f->cnt;
	p->sec_insn_off = f->start;
	err = link_append(&l, fi, &base);
	for (u32 u = 0; !err && u < l.unit_cnt; u++)
		err = link_unit(&l, u);
	for (u32 u = 0; u < l.unit_cnt; u++)
		func_base[l.units[u].func] = UINT32_MAX;
	for (u32 i = 0; i < p->map_cnt; i++)
		map_slot[p->map_idx[i]] = UINT32_MAX;
	free(l.units);
	return err;
}

int elf_link_progs(struct elf_ctx *ctx)
{
	struct bpffs_object *obj = ctx->obj;
	u32 *func_base, *map_slot;
	int err = 0;

	if (!ctx->entry_cnt)
		return elf_err(ctx, -EINVAL, "no programs: the object has no executable code");
	obj->progs = calloc(ctx->entry_cnt, sizeof(*obj->progs));
	func_base = malloc(ctx->func_cnt * sizeof(u32));
	map_slot = malloc((obj->map_cnt ? obj->map_cnt : 1) * sizeof(u32));
	if (!obj->progs || !func_base || !map_slot) {
		err = -ENOMEM;
		goto out;
	}
	memset(func_base, 0xff, ctx->func_cnt * sizeof(u32));
	memset(map_slot, 0xff, (obj->map_cnt ? obj->map_cnt : 1) * sizeof(u32));
	for (u32 i = 0; i < ctx->func_cnt && !err; i++) {
		if (!ctx->funcs[i].entry)
			continue;
		obj->prog_cnt++;
		err = link_prog(ctx, i, &obj->progs[ctx->funcs[i].prog_idx], func_base, map_slot);
	}
out:
	free(func_base);
	free(map_slot);
	return err;
}
