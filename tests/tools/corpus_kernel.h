/* SPDX-License-Identifier: MIT */
/*
 * verify_corpus -k: the running kernel as the oracle, program by program.
 * The object's maps are created in the kernel (global data filled in, .rodata
 * frozen), map references patched to their fds, the object's BTF loaded with
 * the program's func_info when the kernel takes it (so global functions are
 * verified as the kernel verifies them), then BPF_PROG_LOAD with a log.
 * Nothing is pinned; every fd is closed before the next object.
 * VC_KERNEL_NO_BTF=1 loads without BTF (all subprograms static), as a loader
 * that does not pass BTF would.
 */
#ifndef CORPUS_KERNEL_H
#define CORPUS_KERNEL_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/syscall.h>

#define KVERDICT_ACCEPT 1
#define KVERDICT_REJECT 0	/* the verifier said no (EACCES/EINVAL/E2BIG...) */
#define KVERDICT_LOADERR -1	/* maps or BTF could not be set up */

struct kobj {
	int *map_fds;		/* per obj->maps, -1 if not created */
	u32 map_cnt;
	int btf_fd;		/* -1 if none or refused */
	struct btf *btf;	/* the object's BTF, fixed up, loaded as btf_fd */
};

static long ksys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int kmap_create(const struct bpffs_obj_map *m, int inner_fd)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = m->attr.map_type;
	a.key_size = m->attr.key_size;
	a.value_size = m->attr.value_size;
	a.max_entries = m->attr.max_entries;
	a.map_flags = m->attr.map_flags;
	a.map_extra = m->attr.map_extra;
	a.inner_map_fd = inner_fd >= 0 ? (u32)inner_fd : 0;
	snprintf(a.map_name, sizeof(a.map_name), "%.15s", m->attr.name);
	fd = (int)ksys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0) {	/* names the kernel refuses are not the point */
		a.map_name[0] = 0;
		fd = (int)ksys_bpf(BPF_MAP_CREATE, &a);
	}
	if (fd < 0 || m->kind != BPFFS_OBJ_MAP_DATA)
		return fd;
	if (m->init_data) {
		u32 key = 0;

		memset(&a, 0, sizeof(a));
		a.map_fd = (u32)fd;
		a.key = (u64)(uintptr_t)&key;
		a.value = (u64)(uintptr_t)m->init_data;
		ksys_bpf(BPF_MAP_UPDATE_ELEM, &a);
	}
	if (m->frozen) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (u32)fd;
		ksys_bpf(BPF_MAP_FREEZE, &a);
	}
	return fd;
}

/* Size of section @name and value of symbol @sym of the ELF file @e. */
static bool elf_sec_size(Elf *e, const char *name, u64 *size)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*size = sh.sh_size;
			return true;
		}
	}
	return false;
}

static bool elf_sym_value(Elf *e, const char *name, u64 *value)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			n = elf_strptr(e, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name)) {
				*value = sym.st_value;
				return true;
			}
		}
	}
	return false;
}

/*
 * The object's BTF as the kernel takes it: what libbpf's open does to it,
 * DATASEC sizes and variable offsets (left 0 by the compiler) from the ELF
 * section and symbol tables. Type ids are unchanged, so our func_info applies.
 */
static void kobj_load_btf(struct kobj *k, const char *path)
{
	struct btf *b = btf__parse_elf(path, NULL);
	int fd = open(path, O_RDONLY);
	Elf *e = NULL;
	u32 id, n;

	if (libbpf_get_error(b) || fd < 0)
		goto out;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	n = btf__type_cnt(b);
	for (id = 1; e && id < n; id++) {
		struct btf_type *t = (struct btf_type *)btf__type_by_id(b, id);
		struct btf_var_secinfo *v;
		u64 sz, val;
		u16 j;

		if (!btf_is_datasec(t))
			continue;
		if (!t->size && elf_sec_size(e, btf__name_by_offset(b, t->name_off), &sz))
			t->size = (u32)sz;
		v = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, v++) {
			const struct btf_type *var = btf__type_by_id(b, v->type);

			if (elf_sym_value(e, btf__name_by_offset(b, var->name_off), &val))
				v->offset = (u32)val;
		}
	}
	if (!btf__load_into_kernel(b)) {
		k->btf = b;
		k->btf_fd = btf__fd(b);
		b = NULL;
	}
out:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	if (!libbpf_get_error(b))
		btf__free(b);
}

static void kobj_open(struct kobj *k, const struct bpffs_object *obj, const char *path)
{
	u32 i;

	k->map_cnt = obj->map_cnt;
	k->map_fds = calloc(obj->map_cnt + 1, sizeof(int));
	for (i = 0; i < obj->map_cnt; i++) {
		u32 in = obj->maps[i].attr.inner_map_idx;

		k->map_fds[i] = kmap_create(&obj->maps[i], in < i ? k->map_fds[in] : -1);
	}
	k->btf_fd = -1;
	if (!getenv("VC_KERNEL_NO_BTF"))	/* as a loader without BTF would */
		kobj_load_btf(k, path);
}

static void kobj_close(struct kobj *k)
{
	u32 i;

	for (i = 0; i < k->map_cnt; i++)
		if (k->map_fds[i] >= 0)
			close(k->map_fds[i]);
	free(k->map_fds);
	/* the BTF fd belongs to its struct btf and is closed with it */
	btf__free(k->btf);
}

/* The verifier's reason: the last log line before "processed"/"verification time". */
static void klog_reason(const char *log, char *out, size_t outsz)
{
	const char *p = log, *best = NULL, *nl;

	out[0] = 0;
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!strncmp(p, "processed ", 10) || !strncmp(p, "verification time", 17))
			break;
		if (nl > p)
			best = p;
		if (!*nl)
			break;
		p = nl + 1;
	}
	if (best)
		snprintf(out, outsz, "%.*s", (int)(strcspn(best, "\n")), best);
}

/*
 * Point @a at the program's func_info for the object's BTF (k->btf_fd).
 * Returns the array to free after BPF_PROG_LOAD.
 */
static struct bpf_func_info *kattr_func_info(union bpf_attr *a, const struct kobj *k,
					     const struct bpffs_obj_prog *op)
{
	struct bpf_func_info *fi = calloc(op->func_info_cnt, sizeof(*fi));
	u32 i;

	for (i = 0; fi && i < op->func_info_cnt; i++) {
		fi[i].insn_off = op->func_info[i].insn_off;
		fi[i].type_id = op->func_info[i].type_id;
	}
	a->prog_btf_fd = (u32)k->btf_fd;
	a->func_info = (u64)(uintptr_t)fi;
	a->func_info_cnt = fi ? op->func_info_cnt : 0;
	a->func_info_rec_size = sizeof(*fi);
	return fi;
}

/*
 * For our own verifier (both corpus tools): a frozen global-data map
 * (.rodata) as the loader makes it, filled then frozen so that the verifier
 * reads its constants (Cilium's configuration); NULL if @m is not such.
 */
static struct bpffs_map *corpus_frozen_data_map(const struct bpffs_obj_map *m)
{
	struct bpffs_map *map;
	u32 key = 0;

	if (m->kind != BPFFS_OBJ_MAP_DATA || !m->frozen || bpffs_map_create(&m->attr, NULL, &map))
		return NULL;
	if ((m->init_data && bpffs_map_update_elem(map, &key, m->init_data, BPF_ANY)) ||
	    bpffs_map_freeze(map)) {
		bpffs_map_put(map);
		return NULL;
	}
	map->frozen = true;	/* as load.c: read-only to programs too */
	return map;
}

/*
 * Load program @pi of @obj as @type into the kernel. Returns a KVERDICT_*
 * and the reason (errno and the log's last line) in @why.
 */
static int kernel_verdict(const struct bpffs_object *obj, const struct kobj *k, u32 pi, u32 type,
			  char *why, size_t whysz, bool whole_log)
{
	const struct bpffs_obj_prog *op = &obj->progs[pi];
	static char log[1 << 24];
	struct bpf_insn *insns = malloc(op->insn_cnt * sizeof(*insns));
	union bpf_attr a;
	int fd, e, attempt;
	char first[300] = "";
	u32 i;

	memcpy(insns, op->insns, op->insn_cnt * sizeof(*insns));
	for (i = 0; i < op->insn_cnt; i++) {
		struct bpf_insn *in = &insns[i];

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE) {
			u32 mi = (u32)in->imm < op->map_cnt ? op->map_idx[in->imm] : (u32)-1;

			if (mi >= k->map_cnt || k->map_fds[mi] < 0) {
				snprintf(why, whysz, "map %u not created in the kernel", mi);
				free(insns);
				return KVERDICT_LOADERR;
			}
			in->imm = k->map_fds[mi];
		}
		i++;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		bool with_btf = attempt == 0 && k->btf_fd >= 0 && op->func_info_cnt;

		if (attempt == 1 && !(k->btf_fd >= 0 && op->func_info_cnt))
			break;
		memset(&a, 0, sizeof(a));
		a.prog_type = type;
		a.expected_attach_type = op->expected_attach_type;
		a.insns = (u64)(uintptr_t)insns;
		a.insn_cnt = op->insn_cnt;
		a.license = (u64)(uintptr_t)(obj->license[0] ? obj->license : "GPL");
		a.kern_version = obj->kern_version;
		a.log_buf = (u64)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		snprintf(a.prog_name, sizeof(a.prog_name), "%.15s", op->name);
		for (char *c = a.prog_name; *c; c++)
			if (!(*c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
			      ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')))
				*c = '_';
		if (with_btf) {
			struct bpf_func_info *fi = kattr_func_info(&a, k, op);

			log[0] = 0;
			fd = (int)ksys_bpf(BPF_PROG_LOAD, &a);
			e = errno;
			free(fi);
		} else {
			log[0] = 0;
			fd = (int)ksys_bpf(BPF_PROG_LOAD, &a);
			e = errno;
		}
		if (fd >= 0) {
			close(fd);
			free(insns);
			{
				const char *pr = strstr(log, "processed ");
				unsigned long n = 0;

				if (pr)
					sscanf(pr, "processed %lu", &n);
				snprintf(why, whysz, "%s, %lu insns processed",
					 with_btf ? "with BTF" : "without BTF", n);
			}
			return KVERDICT_ACCEPT;
		}
		/* func_info the kernel refuses (not the program): retry without */
		if (with_btf && strstr(log, "func_info") && !strstr(log, "processed ")) {
			klog_reason(log, first, sizeof(first));
			continue;
		}
		break;
	}
	{
		char r[400];

		klog_reason(log, r, sizeof(r));
		snprintf(why, whysz, "%s: %s%s%s", strerror(e), r, first[0] ? " (BTF refused: " : "",
			 first[0] ? first : "");
		if (first[0])
			strncat(why, ")", whysz - strlen(why) - 1);
	}
	if (whole_log)
		printf("---- kernel log of %s ----\n%s\n", op->name, log);
	free(insns);
	return KVERDICT_REJECT;
}

#endif /* CORPUS_KERNEL_H */
