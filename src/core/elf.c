// SPDX-License-Identifier: MIT
/*
 * The ELF side of the BPF object loader (libelf): checks the header,
 * finds the symbol table, the executable sections and the functions in
 * them, the license and version, then runs the pipeline
 * BTF → maps → .BTF.ext (CO-RE, line info) → relocations → linking.
 * It reads a private copy of the file and creates no global state; map
 * definitions are in elf_maps.c, relocation and linking in elf_reloc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "elf_internal.h"
#include "log.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

Elf_Scn *elf_sec(struct elf_ctx *ctx, size_t idx, GElf_Shdr *shdr)
{
	Elf_Scn *scn;

	if (idx == 0 || idx >= ctx->shnum)
		return NULL;
	scn = elf_getscn(ctx->elf, idx);
	if (!scn || !gelf_getshdr(scn, shdr))
		return NULL;
	return scn;
}

const char *elf_sec_name(struct elf_ctx *ctx, size_t idx)
{
	GElf_Shdr shdr;
	const char *name;

	if (!elf_sec(ctx, idx, &shdr))
		return "?";
	name = elf_strptr(ctx->elf, ctx->shstrndx, shdr.sh_name);
	return name ? name : "?";
}

/* Section contents; NULL for NOBITS, empty or unreadable sections. */
Elf_Data *elf_sec_data(struct elf_ctx *ctx, size_t idx)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = elf_sec(ctx, idx, &shdr);
	Elf_Data *data;

	if (!scn || shdr.sh_type == SHT_NOBITS)
		return NULL;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_size != shdr.sh_size)
		return NULL;
	return data;
}

int elf_sym(struct elf_ctx *ctx, u32 idx, GElf_Sym *sym, const char **name)
{
	const char *n;

	if (!ctx->symbols || idx >= ctx->sym_cnt || !gelf_getsym(ctx->symbols, idx, sym))
		return -EINVAL;
	if (name) {
		n = elf_strptr(ctx->elf, ctx->strtab_idx, sym->st_name);
		if (!n || !*n)
			n = GELF_ST_TYPE(sym->st_info) == STT_SECTION ?
				    elf_sec_name(ctx, sym->st_shndx) : "";
		*name = n;
	}
	return 0;
}

struct elf_code *elf_code_by_shndx(struct elf_ctx *ctx, u32 shndx)
{
	if (ctx->code_of_shndx)
		return shndx < ctx->shnum && ctx->code_of_shndx[shndx] ?
			       &ctx->code[ctx->code_of_shndx[shndx] - 1] : NULL;
	for (u32 i = 0; i < ctx->code_cnt; i++)
		if (ctx->code[i].shndx == shndx)
			return &ctx->code[i];
	return NULL;
}

int elf_key_cmp(const void *a, const void *b)
{
	const struct elf_sym_key *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

const struct elf_sym_key *elf_key_find(const struct elf_sym_key *keys, u32 cnt, const char *name)
{
	u32 lo = 0, hi = cnt;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (strcmp(keys[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cnt && !strcmp(keys[lo].name, name) ? &keys[lo] : NULL;
}

struct elf_func *elf_func_at(struct elf_ctx *ctx, u32 sec, u32 start)
{
	u32 lo = 0, hi = ctx->func_cnt;

	while (lo < hi) {	/* funcs are sorted by (sec, start), without duplicates */
		u32 mid = (lo + hi) / 2;
		const struct elf_func *f = &ctx->funcs[mid];

		if (f->sec < sec || (f->sec == sec && f->start < start))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ctx->func_cnt && ctx->funcs[lo].sec == sec && ctx->funcs[lo].start == start)
		return &ctx->funcs[lo];
	return NULL;
}

static int elf_index_code(struct elf_ctx *ctx)
{
	ctx->code_of_shndx = calloc(ctx->shnum, sizeof(u32));
	if (!ctx->code_of_shndx)
		return -ENOMEM;
	for (u32 i = 0; i < ctx->code_cnt; i++)
		ctx->code_of_shndx[ctx->code[i].shndx] = i + 1;
	return 0;
}

static bool str_has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Global data sections that become single-entry array maps, as in libbpf. */
bool elf_is_data_sec(const char *name)
{
	return !strcmp(name, ".data") || str_has_prefix(name, ".data.") ||
	       !strcmp(name, ".rodata") || str_has_prefix(name, ".rodata.") ||
	       !strcmp(name, ".bss") || str_has_prefix(name, ".bss.");
}

static int elf_check_header(struct elf_ctx *ctx)
{
	GElf_Ehdr ehdr;
	const unsigned char *id;

	if (ctx->size < EI_NIDENT || memcmp(ctx->image, ELFMAG, SELFMAG))
		return elf_err(ctx, -EINVAL, "not an ELF file (bad magic)");
	id = (const unsigned char *)ctx->image;
	if (id[EI_CLASS] != ELFCLASS64)
		return elf_err(ctx, -EINVAL, "ELF class %u is not supported: BPF objects are ELF64",
			       id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return elf_err(ctx, -EINVAL,
			       "big-endian or unknown byte order (%u): this runtime is little-endian",
			       id[EI_DATA]);
	if (elf_kind(ctx->elf) != ELF_K_ELF || !gelf_getehdr(ctx->elf, &ehdr))
		return elf_err(ctx, -EINVAL, "malformed or truncated ELF header");
	if (ehdr.e_type != ET_REL)
		return elf_err(ctx, -EINVAL, "ELF type %u is not a relocatable object (ET_REL)",
			       ehdr.e_type);
	/* e_machine 0 comes from very old LLVM; the kernel's loaders accept it */
	if (ehdr.e_machine != EM_BPF && ehdr.e_machine != EM_NONE)
		return elf_err(ctx, -EINVAL, "ELF machine %u is not BPF (247)", ehdr.e_machine);
	/* libelf trusts e_shentsize: a wrong one shifts every section header read */
	if (ehdr.e_shnum && ehdr.e_shentsize != sizeof(Elf64_Shdr))
		return elf_err(ctx, -EINVAL, "section header entry size %u, expected %zu",
			       ehdr.e_shentsize, sizeof(Elf64_Shdr));
	if (elf_getshdrnum(ctx->elf, &ctx->shnum) || elf_getshdrstrndx(ctx->elf, &ctx->shstrndx))
		return elf_err(ctx, -EINVAL, "section header table out of bounds: %s",
			       elf_errmsg(-1));
	if (ctx->shnum == 0 || ctx->shstrndx >= ctx->shnum)
		return elf_err(ctx, -EINVAL, "no section headers or bad section name table");
	return 0;
}

static int elf_take_symtab(struct elf_ctx *ctx, size_t idx, const GElf_Shdr *shdr)
{
	GElf_Shdr strs;

	if (ctx->symbols)
		return elf_err(ctx, -EINVAL, "more than one symbol table");
	if (!elf_sec(ctx, shdr->sh_link, &strs) || strs.sh_type != SHT_STRTAB)
		return elf_err(ctx, -EINVAL, "bad symtab link: section %u is not a string table",
			       (u32)shdr->sh_link);
	if (shdr->sh_entsize != sizeof(Elf64_Sym))
		return elf_err(ctx, -EINVAL, "symbol table entry size %u is not %zu",
			       (u32)shdr->sh_entsize, sizeof(Elf64_Sym));
	ctx->symbols = elf_sec_data(ctx, idx);
	if (!ctx->symbols && shdr->sh_size)
		return elf_err(ctx, -EINVAL, "symbol table out of bounds: %s", elf_errmsg(-1));
	ctx->sym_cnt = shdr->sh_size / sizeof(Elf64_Sym);
	ctx->strtab_idx = shdr->sh_link;
	return 0;
}

static int elf_take_code(struct elf_ctx *ctx, size_t idx, const char *name,
			 const GElf_Shdr *shdr)
{
	Elf_Data *data = elf_sec_data(ctx, idx);
	struct elf_code *code;

	if (!data)
		return elf_err(ctx, -EINVAL, "section '%s': contents out of bounds", name);
	if (shdr->sh_size % sizeof(struct bpf_insn))
		return elf_err(ctx, -EINVAL, "section '%s': size %zu is not a multiple of 8", name,
			       (size_t)shdr->sh_size);
	if (shdr->sh_size / sizeof(struct bpf_insn) > BPFFS_MAX_INSNS)
		return elf_err(ctx, -E2BIG, "section '%s': more than %u instructions", name,
			       BPFFS_MAX_INSNS);
	if (elf_vec_grow(&ctx->code, ctx->code_cnt, sizeof(*code)))
		return -ENOMEM;
	code = &ctx->code[ctx->code_cnt];
	memset(code, 0, sizeof(*code));
	code->shndx = idx;
	code->name = name;
	code->cnt = shdr->sh_size / sizeof(struct bpf_insn);
	code->insns = malloc(shdr->sh_size);
	if (!code->insns)
		return -ENOMEM;
	memcpy(code->insns, data->d_buf, shdr->sh_size);
	ctx->code_cnt++;
	ctx->obj->insn_total += code->cnt;
	if (!strcmp(name, ".text"))
		ctx->text_shndx = idx;
	return 0;
}

static void elf_take_license(struct elf_ctx *ctx, size_t idx)
{
	Elf_Data *data = elf_sec_data(ctx, idx);
	size_t n;

	if (!data)
		return;
	n = strnlen(data->d_buf, data->d_size);
	if (n >= sizeof(ctx->obj->license))
		n = sizeof(ctx->obj->license) - 1;
	memcpy(ctx->obj->license, data->d_buf, n);
	ctx->obj->license[n] = '\0';
}

/*
 * Sections of a real object never overlap, so their sizes add up to at most
 * the file's. Refusing twice that (plus slack) bounds what parsing may copy
 * (each section read can be duplicated by libelf and by us) to a small
 * multiple of the input, whatever overlapping headers claim.
 */
static int elf_check_extent(struct elf_ctx *ctx)
{
	GElf_Shdr shdr;
	u64 total = 0;

	for (size_t i = 1; i < ctx->shnum; i++) {
		if (!elf_sec(ctx, i, &shdr))
			return elf_err(ctx, -EINVAL, "section %zu: bad header: %s", i,
				       elf_errmsg(-1));
		if (shdr.sh_type != SHT_NOBITS)
			total += shdr.sh_size;
		if (total > 2 * (u64)ctx->size + 65536)
			return elf_err(ctx, -EINVAL,
				       "section '%s': sections claim more bytes than the file has (%zu)",
				       elf_sec_name(ctx, i), ctx->size);
	}
	return 0;
}

static int elf_collect_sections(struct elf_ctx *ctx)
{
	GElf_Shdr shdr;
	const char *name;
	Elf_Data *data;
	int err;

	err = elf_check_extent(ctx);
	if (err)
		return err;

	for (size_t i = 1; i < ctx->shnum; i++) {
		if (!elf_sec(ctx, i, &shdr))
			return elf_err(ctx, -EINVAL, "section %zu: bad header: %s", i,
				       elf_errmsg(-1));
		/* a bad name makes a section unrecognisable, not the object invalid */
		name = elf_strptr(ctx->elf, ctx->shstrndx, shdr.sh_name);
		if (!name)
			name = "";
		err = 0;
		if (shdr.sh_type == SHT_SYMTAB) {
			err = elf_take_symtab(ctx, i, &shdr);
		} else if (shdr.sh_type == SHT_PROGBITS && (shdr.sh_flags & SHF_EXECINSTR)) {
			if (shdr.sh_size)
				err = elf_take_code(ctx, i, name, &shdr);
		} else if (!strcmp(name, "license")) {
			elf_take_license(ctx, i);
		} else if (!strcmp(name, "version")) {
			data = elf_sec_data(ctx, i);
			if (data && data->d_size == sizeof(u32))
				memcpy(&ctx->obj->kern_version, data->d_buf, sizeof(u32));
		} else if (!strcmp(name, ".maps")) {
			ctx->btf_maps_shndx = i;
		} else if (!strcmp(name, ".BTF")) {
			ctx->btf_data = elf_sec_data(ctx, i);
		} else if (!strcmp(name, ".BTF.ext")) {
			ctx->btf_ext_data = elf_sec_data(ctx, i);
		}
		if (err)
			return err;
	}
	if (!ctx->symbols)
		return elf_err(ctx, -EINVAL, "no symbol table");
	return elf_index_code(ctx);
}

/* ---- functions ---------------------------------------------------------- */

static int func_cmp(const void *a, const void *b)
{
	const struct elf_func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int elf_add_func(struct elf_ctx *ctx, u32 sec, u32 start, u32 cnt, const char *name,
			bool global)
{
	if (elf_vec_grow(&ctx->funcs, ctx->func_cnt, sizeof(*ctx->funcs)))
		return -ENOMEM;
	ctx->funcs[ctx->func_cnt++] = (struct elf_func){ .sec = sec, .start = start, .cnt = cnt,
						  .name = name, .global = global };
	return 0;
}

/*
 * Functions are STT_FUNC symbols (or global STT_NOTYPE ones from old LLVM).
 * A size of 0 (old LLVM) extends to the next function; a section without
 * function symbols is one function named after the section.
 */
static int elf_func_symbols(struct elf_ctx *ctx)
{
	const char *name;
	struct elf_code *code;
	GElf_Sym sym;
	u8 type;
	int err;

	for (u32 i = 1; i < ctx->sym_cnt; i++) {
		if (elf_sym(ctx, i, &sym, &name))
			return elf_err(ctx, -EINVAL, "symbol %u unreadable", i);
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && !(type == STT_NOTYPE &&
					  GELF_ST_BIND(sym.st_info) == STB_GLOBAL))
			continue;
		if (sym.st_shndx >= ctx->shnum && sym.st_shndx < SHN_LORESERVE)
			return elf_err(ctx, -EINVAL, "function symbol %u refers to section %u of %zu",
				       i, sym.st_shndx, ctx->shnum);
		code = elf_code_by_shndx(ctx, sym.st_shndx);
		if (!code)
			continue;
		if (!*name)	/* st_name outside the string table, or empty */
			return elf_err(ctx, -EINVAL, "function symbol %u has no name (st_name %u)",
				       i, sym.st_name);
		if (sym.st_value % 8 || sym.st_value / 8 >= code->cnt || sym.st_size % 8 ||
		    sym.st_size / 8 > code->cnt - sym.st_value / 8)
			return elf_err(ctx, -EINVAL,
				       "function '%s' lies outside section '%s' (value %llu size %llu)",
				       name, code->name, (unsigned long long)sym.st_value,
				       (unsigned long long)sym.st_size);
		err = elf_add_func(ctx, code - ctx->code, sym.st_value / 8, sym.st_size / 8, name,
				   GELF_ST_BIND(sym.st_info) != STB_LOCAL);
		if (err)
			return err;
	}
	return 0;
}

static int elf_fix_funcs(struct elf_ctx *ctx)
{
	struct elf_func *f, *next;
	u32 n = 0;

	if (ctx->func_cnt)
		qsort(ctx->funcs, ctx->func_cnt, sizeof(*ctx->funcs), func_cmp);
	for (u32 i = 0; i < ctx->func_cnt; i++) {
		f = &ctx->funcs[i];
		if (n && ctx->funcs[n - 1].sec == f->sec && ctx->funcs[n - 1].start == f->start)
			continue;	/* alias of the previous symbol */
		ctx->funcs[n++] = *f;
	}
	ctx->func_cnt = n;
	for (u32 i = 0; i < n; i++) {
		f = &ctx->funcs[i];
		next = i + 1 < n && ctx->funcs[i + 1].sec == f->sec ? &ctx->funcs[i + 1] : NULL;
		if (!f->cnt)
			f->cnt = (next ? next->start : ctx->code[f->sec].cnt) - f->start;
		if (next && f->start + f->cnt > next->start)
			return elf_err(ctx, -EINVAL, "functions '%s' and '%s' overlap", f->name,
				       next->name);
	}
	return 0;
}

static int elf_collect_funcs(struct elf_ctx *ctx)
{
	bool any_entry = false, *has;
	int err;

	err = elf_func_symbols(ctx);
	if (err)
		return err;
	has = calloc(ctx->code_cnt ? ctx->code_cnt : 1, sizeof(*has));
	if (!has)
		return -ENOMEM;
	for (u32 i = 0; i < ctx->func_cnt; i++)
		has[ctx->funcs[i].sec] = true;
	for (u32 s = 0; s < ctx->code_cnt && !err; s++)
		if (!has[s])	/* no function symbols: the whole section */
			err = elf_add_func(ctx, s, 0, ctx->code[s].cnt, ctx->code[s].name, true);
	free(has);
	if (err)
		return err;
	err = elf_fix_funcs(ctx);
	if (err)
		return err;
	for (u32 i = 0; i < ctx->func_cnt; i++) {
		struct elf_func *f = &ctx->funcs[i];

		f->entry = ctx->code[f->sec].shndx != ctx->text_shndx;
		any_entry |= f->entry;
		if (!f->entry)
			ctx->obj->subprog_cnt++;
	}
	/* an object with only .text: each global function is a program */
	for (u32 i = 0; !any_entry && i < ctx->func_cnt; i++)
		ctx->funcs[i].entry = ctx->funcs[i].global;
	for (u32 i = 0; i < ctx->func_cnt; i++)
		if (ctx->funcs[i].entry)
			ctx->funcs[i].prog_idx = ctx->entry_cnt++;
	return 0;
}

/* ---- open ------------------------------------------------------------- */

static void elf_ctx_fini(struct elf_ctx *ctx)
{
	for (u32 i = 0; i < ctx->code_cnt; i++) {
		free(ctx->code[i].insns);
		free(ctx->code[i].relocs);
		free(ctx->code[i].func_info);
		free(ctx->code[i].line_info);
	}
	free(ctx->code);
	free(ctx->funcs);
	free(ctx->btf_maps);
	free(ctx->code_of_shndx);
	free(ctx->map_keys);
	free(ctx->data_map_of_shndx);
	free(ctx->maps_syms);
	free(ctx->legacy_syms);
	free(ctx->code_names);
	if (ctx->elf)
		elf_end(ctx->elf);
	free(ctx->image);
}

static void object_set_name(struct bpffs_object *obj, const char *name)
{
	const char *base = name ? strrchr(name, '/') : NULL;
	size_t n;

	base = base ? base + 1 : (name ? name : "obj");
	/* like libbpf: "prog.bpf.o" is object "prog" */
	n = strchrnul(base, '.') - base;
	if (!n)
		n = strlen(base);
	if (n >= sizeof(obj->name))
		n = sizeof(obj->name) - 1;
	memcpy(obj->name, base, n);
	obj->name[n] = '\0';
}

static int elf_pipeline(struct elf_ctx *ctx)
{
	int err;

	err = elf_check_header(ctx);
	if (!err)
		err = elf_collect_sections(ctx);
	if (!err)
		err = elf_collect_funcs(ctx);
	if (!err)
		err = elf_btf_load(ctx);
	if (!err)
		err = elf_collect_maps(ctx);
	if (!err)
		err = elf_btf_ext_load(ctx);
	if (!err)
		err = elf_collect_relocs(ctx);
	if (!err)
		err = elf_init_map_slots(ctx);
	if (!err)
		err = elf_link_progs(ctx);
	return err;
}

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;

static void elf_lib_init(void)
{
	elf_version(EV_CURRENT);
}

int bpffs_object_open(const void *buf, size_t size, const char *name,
		      const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
		      struct bpffs_object **out)
{
	static const struct bpffs_open_opts no_opts;
	struct elf_ctx ctx = { .opts = opts ? opts : &no_opts, .log = log, .btf_maps_shndx = -1, .size = size };
	int err;

	*out = NULL;
	if (!size)
		return elf_err(&ctx, -EINVAL, "empty file: not a BPF object");
	if (size > BPFFS_OBJECT_MAX_SIZE)
		return elf_err(&ctx, -E2BIG, "object of %zu bytes exceeds the %u-byte limit", size,
			       BPFFS_OBJECT_MAX_SIZE);
	ctx.obj = calloc(1, sizeof(*ctx.obj));
	/* libelf may write to the image it parses: give it a private copy */
	ctx.image = malloc(size);
	if (!ctx.obj || !ctx.image) {
		err = -ENOMEM;
		goto err_free;
	}
	memcpy(ctx.image, buf, size);
	object_set_name(ctx.obj, name);
	pthread_once(&elf_once, elf_lib_init);
	ctx.elf = elf_memory(ctx.image, size);
	if (!ctx.elf) {
		err = elf_err(&ctx, -EINVAL, "not an ELF file: %s", elf_errmsg(-1));
		goto err_free;
	}
	err = elf_pipeline(&ctx);
	if (err)
		goto err_free;
	elf_ctx_fini(&ctx);
	*out = ctx.obj;
	return 0;

err_free:
	elf_ctx_fini(&ctx);
	bpffs_object_free(ctx.obj);
	return err;
}

int bpffs_object_open_file(const char *path, const struct bpffs_open_opts *opts,
			   struct bpffs_vlog *log, struct bpffs_object **out)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *buf;
	int fd, err = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		bpffs_vlog_printf(log, "%s: %s\n", path, strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		bpffs_vlog_printf(log, "%s: not a regular file\n", path);
		err = -EINVAL;
		goto err_close;
	}
	if ((u64)st.st_size > BPFFS_OBJECT_MAX_SIZE) {
		bpffs_vlog_printf(log, "object of %llu bytes exceeds the %u-byte limit\n",
				  (unsigned long long)st.st_size, BPFFS_OBJECT_MAX_SIZE);
		err = -E2BIG;
		goto err_close;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto err_close;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, st.st_size - got)) > 0)
		got += n;
	err = bpffs_object_open(buf, got, path, opts, log, out);
	free(buf);
err_close:
	if (fd >= 0)
		close(fd);
	return err;
}
