/* SPDX-License-Identifier: MIT */
/*
 * Shared state of the ELF loader's files (elf.c, elf_maps.c, elf_reloc.c,
 * btf.c, object.c) while one object is being opened. Nothing outside the
 * loader includes this header.
 */
#ifndef BPFFS_ELF_INTERNAL_H
#define BPFFS_ELF_INTERNAL_H

#include <errno.h>
#include <stdlib.h>
#include <gelf.h>
#include <libelf.h>
#include "object.h"
#include "vlog.h"

/* One relocation of an executable section, with its symbol resolved. */
struct elf_reloc {
	u32 insn_idx;		/* instruction index within the section */
	u32 type;		/* R_BPF_* */
	u32 sym_shndx;
	u64 sym_value;
	u8 sym_type;		/* STT_* */
	u8 sym_bind;
	const char *sym_name;
};

/* A function (entry program or subprogram) inside an executable section. */
struct elf_func {
	u32 sec;		/* index into ctx->code */
	u32 start;		/* first instruction, within the section */
	u32 cnt;
	const char *name;
	bool global;
	bool entry;		/* becomes an obj->progs entry */
	u32 prog_idx;
};

/* An executable section, with private copies of its bytecode and relocations. */
struct elf_code {
	u32 shndx;
	const char *name;
	struct bpf_insn *insns;
	u32 cnt;
	struct elf_reloc *relocs;	/* sorted by insn_idx */
	u32 reloc_cnt;
	/* .BTF.ext records for this section, offsets in instructions */
	struct bpffs_func_info *func_info;
	u32 func_info_cnt;
	struct bpffs_line_info *line_info;
	u32 line_info_cnt;
};

/* Extent of a BTF-defined map in .maps (for static slot relocations). */
struct elf_btf_map {
	u32 map_idx;
	u64 off;		/* of the definition in .maps */
	u64 size;
	u64 values_off;		/* of the `values` array in the definition, or 0 */
	bool has_values;
};

/* Lookup keys, so that hostile files with many sections, symbols or maps cost n log n. */
struct elf_map_key {
	u32 shndx;
	u64 off;
	u32 idx;		/* into obj->maps */
};

struct elf_sym_key {
	const char *name;
	u32 idx;		/* symbol index, for a stable order */
	u64 value, size;
};

struct legacy_sym;

struct elf_ctx {
	struct bpffs_object *obj;
	const struct bpffs_open_opts *opts;
	struct bpffs_vlog *log;
	Elf *elf;
	char *image;		/* private copy of the file */
	size_t size;
	size_t shnum;
	size_t shstrndx;
	Elf_Data *symbols;
	u32 sym_cnt;
	u32 strtab_idx;
	u32 text_shndx;		/* 0 if none */
	u32 legacy_first;	/* index of the first legacy map */
	int btf_maps_shndx;	/* ".maps", or -1 */
	Elf_Data *btf_data, *btf_ext_data;
	struct elf_code *code;
	u32 code_cnt;
	struct elf_func *funcs;
	u32 func_cnt;
	u32 entry_cnt;
	u64 linked_insns;	/* over all programs, bounded */
	u64 linked_info;	/* func/line info records copied into programs */
	u64 data_bytes;		/* global data sections */
	struct elf_btf_map *btf_maps;	/* sorted by off once all are known */
	u32 btf_map_cnt;
	u32 *code_of_shndx;		/* per section: index into code + 1, or 0 */
	struct elf_map_key *map_keys;	/* non-data maps by (shndx, off) */
	u32 map_key_cnt;
	u32 *data_map_of_shndx;		/* per section: global data map + 1, or 0 */
	struct elf_sym_key *maps_syms;	/* symbols of .maps by name */
	u32 maps_sym_cnt;
	struct elf_sym_key *code_names;	/* code sections by name (idx: into code) */
	struct legacy_sym *legacy_syms;	/* symbols of legacy map sections (elf_maps.c) */
	u32 legacy_sym_cnt;
};

/*
 * Make room for element @cnt of the array *@p of @elem-byte elements,
 * which holds @cnt now: capacity doubles (implied by @cnt: 4, 8, 16, ...),
 * so appending n elements costs O(n). Returns 0 or -ENOMEM (*@p intact).
 */
static inline int elf_vec_grow(void *p, u32 cnt, size_t elem)
{
	void **pp = p, *tmp;
	size_t cap;

	if (cnt && (cnt < 4 || (cnt & (cnt - 1))))
		return 0;
	cap = cnt < 4 ? 4 : (size_t)cnt * 2;
	tmp = realloc(*pp, cap * elem);
	if (!tmp)
		return -ENOMEM;
	*pp = tmp;
	return 0;
}

/* Log a reason and return @err. */
#define elf_err(ctx, err, fmt, ...)                                        \
	({                                                                 \
		bpffs_vlog_printf((ctx)->log, fmt "\n", ##__VA_ARGS__);    \
		(err);                                                     \
	})

/* elf.c */
Elf_Scn *elf_sec(struct elf_ctx *ctx, size_t idx, GElf_Shdr *shdr);
const char *elf_sec_name(struct elf_ctx *ctx, size_t idx);
int elf_sym(struct elf_ctx *ctx, u32 idx, GElf_Sym *sym, const char **name);
Elf_Data *elf_sec_data(struct elf_ctx *ctx, size_t idx);
struct elf_code *elf_code_by_shndx(struct elf_ctx *ctx, u32 shndx);
/* Name keys: sort with elf_key_cmp, then elf_key_find gives the first of a name. */
int elf_key_cmp(const void *a, const void *b);
const struct elf_sym_key *elf_key_find(const struct elf_sym_key *keys, u32 cnt, const char *name);
/* The function starting at instruction @start of code section @sec, or NULL. */
struct elf_func *elf_func_at(struct elf_ctx *ctx, u32 sec, u32 start);
bool elf_is_data_sec(const char *name);

/* elf_maps.c: legacy maps, BTF maps, global data; static slots of .maps */
int elf_collect_maps(struct elf_ctx *ctx);
bool elf_is_legacy_maps_sec(const char *name);
int elf_map_by_sec_off(struct elf_ctx *ctx, u32 shndx, u64 off);
int elf_init_map_slots(struct elf_ctx *ctx);

/* elf_reloc.c: relocate and link every program */
int elf_reloc_get(struct elf_ctx *ctx, size_t rel_shndx, u32 i, u64 *off, u32 *type, u32 *sym);
u32 elf_reloc_cnt(struct elf_ctx *ctx, size_t rel_shndx);
int elf_collect_relocs(struct elf_ctx *ctx);
int elf_link_progs(struct elf_ctx *ctx);

/* btf.c */
int elf_btf_load(struct elf_ctx *ctx);
int elf_btf_ext_load(struct elf_ctx *ctx);
/* Type id after typedef/const/volatile/restrict; 0 if none. */
u32 bpffs_btf_skip_mods(const struct btf *btf, u32 id);

#endif /* BPFFS_ELF_INTERNAL_H */
