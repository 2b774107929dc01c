// SPDX-License-Identifier: MIT
/*
 * Opens every object of the real-world corpus (../shared/ebpf-samples, or
 * $BPFFS_SAMPLES) with the ELF loader. Each object either opens, with its
 * programs and instruction count matching the corpus INVENTORY.md (which
 * was made with llvm-objdump) and every relocated call, function pointer
 * and map reference in range, or fails with the reason listed for it in
 * expected_failures[] below. Ends with a tally grouped by reason. Skips
 * when the corpus is absent. `make check-asan` runs it under ASan.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "core/core.h"
#include "core/object.h"
#include "core/vlog.h"
#include "maps/maps.h"
#include <bpf/btf.h>

/* Objects that must not open, with the reason the loader has to give. */
static const struct {
	const char *path;
	const char *reason;
} expected_failures[] = {
	{ "build/badrelo.o", "call to extern function" },
	{ "build/externalfunction.o", "call to extern function" },
	{ "falco/probe.o", "call to extern function" },
	{ "cilium-examples/tcprtt_bpf_bpfel.o", "CO-RE relocation against kernel type" },
	{ "cilium-examples/tcprtt_sockops_bpf_bpfel.o", "CO-RE relocation against kernel type" },
	{ "invalid/806cc077e56f0ec32236c99055714f63649e7a38", "section header" },
	{ "invalid/badsymsize.o", "bad symtab link" },
	/* function symbols pointing at section 38 of a 30-section file */
	{ "invalid/58087ea4ff41695f3186d628a3250b26dc8d237a", "refers to section" },
	{ "invalid/ab3408afd06d68dd7e73bf21bde38350d9751a78", "refers to section" },
};

struct inv_row {
	char path[160];
	int progs, sub, insns;
	int legacy_maps, btf_maps;	/* -1 if not given */
};

static struct inv_row *inv;
static int inv_cnt;

struct tally {
	char reason[160];
	int n;
};

static struct tally tallies[64];
static int tally_cnt, objs, opened, progs_total, unknown_type, maps_total;

static void inventory_load(const char *dir)
{
	char path[512], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/INVENTORY.md", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		struct inv_row r = { 0 };
		char *cols[8], *p = line;
		int n = 0;

		if (strncmp(line, "| ", 2) || !strchr(line + 2, '/'))
			continue;
		for (char *tok; n < 8 && (tok = strsep(&p, "|"));)
			cols[n++] = tok;
		if (n < 8 || sscanf(cols[1], " %159s", r.path) != 1)
			continue;
		r.progs = atoi(cols[2]);
		r.sub = atoi(cols[3]);
		r.insns = strstr(cols[5], "-") ? -1 : atoi(cols[5]);
		if (sscanf(cols[6], " %d/%d", &r.legacy_maps, &r.btf_maps) != 2)
			r.legacy_maps = r.btf_maps = -1;
		inv = realloc(inv, (inv_cnt + 1) * sizeof(*inv));
		inv[inv_cnt++] = r;
	}
	if (f)
		fclose(f);
}

static const struct inv_row *inventory_find(const char *rel)
{
	for (int i = 0; i < inv_cnt; i++)
		if (!strcmp(inv[i].path, rel))
			return &inv[i];
	return NULL;
}

/* Group reasons: drop quoted names and numbers. */
static void tally_into(struct tally *t, int *cnt, const char *msg)
{
	char r[160];
	size_t n = 0;
	bool quoted = false;

	for (const char *p = msg; *p && *p != '\n' && n < sizeof(r) - 4; p++) {
		if (*p == '\'') {
			quoted = !quoted;
			if (quoted)
				r[n++] = 'X';
			continue;
		}
		if (quoted || ((*p >= '0' && *p <= '9') && n && r[n - 1] == 'N'))
			continue;
		r[n++] = (*p >= '0' && *p <= '9') ? 'N' : *p;
	}
	r[n] = '\0';
	for (int i = 0; i < *cnt; i++) {
		if (!strcmp(t[i].reason, r)) {
			t[i].n++;
			return;
		}
	}
	if (*cnt < 64) {
		snprintf(t[*cnt].reason, sizeof(t[0].reason), "%s", r);
		t[(*cnt)++].n = 1;
	}
}

static void tally_add(const char *msg)
{
	tally_into(tallies, &tally_cnt, msg);
}

static const char *expected_reason(const char *rel)
{
	for (size_t i = 0; i < sizeof(expected_failures) / sizeof(expected_failures[0]); i++)
		if (!strcmp(expected_failures[i].path, rel))
			return expected_failures[i].reason;
	return NULL;
}

/* Every relocated reference must land inside the program. */
static void check_prog(const struct bpffs_object *obj, const struct bpffs_obj_prog *p)
{
	for (u32 i = 0; i < p->insn_cnt; i++) {
		const struct bpf_insn *insn = &p->insns[i];
		s64 t = (s64)i + insn->imm + 1;

		if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL)
			CHECK(t >= 0 && t < p->insn_cnt);
		if (insn->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_VALUE ||
		    insn->src_reg == BPF_PSEUDO_FUNC)
			CHECK(i + 1 < p->insn_cnt);
		if (insn->src_reg == BPF_PSEUDO_FUNC)
			CHECK(t >= 0 && t < p->insn_cnt);
		if (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
			CHECK((u32)insn->imm < p->map_cnt);
			if ((u32)insn->imm < p->map_cnt)
				CHECK(p->map_idx[insn->imm] < obj->map_cnt);
		}
		i++;
	}
}

/*
 * Create the object's maps and programs as the load pipeline would (no
 * verifier): unsupported map types and such are tallied, not failed, as
 * they are the maps' business; everything created must be released.
 */
static struct tally create_tallies[64];
static int create_tally_cnt, created_objs;

static void create_all(const struct bpffs_object *obj)
{
	struct bpffs_vlog log;
	struct bpffs_map **maps = NULL;
	struct bpffs_prog *prog;
	int err;

	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	err = bpffs_object_create_maps(obj, NULL, NULL, &log, &maps);
	for (u32 i = 0; !err && i < obj->prog_cnt; i++) {
		err = bpffs_object_prog_instantiate(obj, i, maps, &log, &prog);
		if (!err)
			CHECK_EQ(prog->map_cnt, obj->progs[i].map_cnt);
		bpffs_prog_put(prog);
	}
	if (err)
		tally_into(create_tallies, &create_tally_cnt, bpffs_vlog_text(&log));
	else
		created_objs++;
	bpffs_object_put_maps(obj, maps);
	bpffs_vlog_free(&log);
}

/*
 * Cross-check relocations with llvm-readelf (an independent ELF reader):
 * every relocated LD_IMM64 in an entry function names the map of the
 * relocation's symbol, and every relocated call or function pointer lands
 * on the function the symbol names (by the BTF func info of the target).
 */
static int relocs_checked;

static const char *func_at(const struct bpffs_object *obj, const struct bpffs_obj_prog *p,
			   s64 pos)
{
	for (u32 i = 0; obj->btf && i < p->func_info_cnt; i++) {
		if (p->func_info[i].insn_off == pos) {
			const struct btf_type *t = btf__type_by_id(obj->btf, p->func_info[i].type_id);

			return t ? btf__name_by_offset(obj->btf, t->name_off) : NULL;
		}
	}
	return NULL;
}

static void check_reloc(const struct bpffs_object *obj, const char *sec, u64 off,
			const char *type, const char *sym)
{
	for (u32 i = 0; i < obj->prog_cnt; i++) {
		const struct bpffs_obj_prog *p = &obj->progs[i];
		const struct bpf_insn *insn;
		s64 idx = (s64)(off / 8) - p->sec_insn_off, target;
		const char *fn;

		if (strcmp(p->section, sec) || idx < 0 || idx >= p->main_insn_cnt)
			continue;
		insn = &p->insns[idx];
		target = idx + insn->imm + 1;
		if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && insn->src_reg == BPF_PSEUDO_MAP_FD) {
			CHECK((u32)insn->imm < p->map_cnt &&
			      !strcmp(obj->maps[p->map_idx[insn->imm]].attr.name, sym));
		} else if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
			   insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
			CHECK((u32)insn->imm < p->map_cnt &&
			      obj->maps[p->map_idx[insn->imm]].kind == BPFFS_OBJ_MAP_DATA);
		} else if ((insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL) ||
			   (insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
			    insn->src_reg == BPF_PSEUDO_FUNC)) {
			fn = func_at(obj, p, target);
			CHECK(target >= 0 && target < p->insn_cnt);
			if (fn && sym[0] != '.')
				CHECK(!strcmp(fn, sym));
		} else {
			printf("# %s+%llu: %s %s left unrelocated\n", sec, (unsigned long long)off, type,
			       sym);
			CHECK(0);
		}
		relocs_checked++;
	}
}

static bool has_section(const struct bpffs_object *obj, const char *sec)
{
	for (u32 i = 0; i < obj->prog_cnt; i++)
		if (!strcmp(obj->progs[i].section, sec))
			return true;
	return false;
}

static void check_relocs_readelf(const struct bpffs_object *obj, const char *path)
{
	char cmd[1200], line[512], sec[256] = "", type[64], sym[256], *target = sec;
	unsigned long long off, info, val;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "llvm-readelf -r '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Relocation section '%255[^']'", sec) == 1) {
			target = sec + (strncmp(sec, ".rel", 4) ? 0 : 4);
			/* ".relaX" is X for RELA, or "aX" for REL */
			if (!strncmp(sec, ".rela", 5) && has_section(obj, sec + 5))
				target = sec + 5;
			continue;
		}
		if (sscanf(line, "%llx %llx %63s %llx %255s", &off, &info, type, &val, sym) != 5)
			continue;
		check_reloc(obj, target, off, type, sym);
	}
	if (f)
		pclose(f);
}

static void check_inventory(const struct bpffs_object *obj, const char *rel)
{
	const struct inv_row *r = inventory_find(rel);
	u32 main_sum = 0, globals = 0, legacy = 0, btf = 0;

	CHECK(r != NULL);
	if (!r || r->insns < 0)	/* not parsed by the inventory's tool */
		return;
	CHECK_EQ(obj->insn_total, r->insns);
	for (u32 i = 0; i < obj->prog_cnt; i++) {
		main_sum += obj->progs[i].main_insn_cnt;
		globals += !obj->progs[i].is_static;
	}
	/* the inventory counts global entry functions; static ones are extra */
	if (r->progs)
		CHECK_EQ(globals, r->progs);
	else
		CHECK(obj->prog_cnt >= 1 && obj->prog_cnt <= (u32)r->sub);
	CHECK(main_sum <= obj->insn_total);
	for (u32 i = 0; i < obj->map_cnt; i++) {
		/* templates come first, so maps can be created in index order */
		if (obj->maps[i].attr.inner_map_idx != (u32)-1)
			CHECK(obj->maps[i].attr.inner_map_idx < i);
		legacy += obj->maps[i].kind == BPFFS_OBJ_MAP_LEGACY;
		btf += obj->maps[i].kind == BPFFS_OBJ_MAP_BTF;
	}
	if (r->legacy_maps >= 0) {
		CHECK_EQ(legacy, r->legacy_maps);
		CHECK_EQ(btf, r->btf_maps);
	}
	maps_total += obj->map_cnt;
}

static char names[2][512];

static void open_one(const char *dir, const char *rel)
{
	char path[1024];
	struct bpffs_vlog log;
	struct bpffs_object *obj = NULL;
	const char *want = expected_reason(rel);
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	err = bpffs_object_open_file(path, NULL, &log, &obj);
	/* the harness prints the name when the next test starts: keep it */
	snprintf(names[objs % 2], sizeof(names[0]), "%s", rel);
	objs++;
	TEST(names[(objs - 1) % 2]) {
		if (err) {
			printf("# %s: %d: %s", rel, err, bpffs_vlog_text(&log));
			tally_add(bpffs_vlog_text(&log));
			CHECK(want != NULL);
			if (want)
				CHECK_STR_CONTAINS(bpffs_vlog_text(&log), want);
		} else {
			opened++;
			progs_total += obj->prog_cnt;
			CHECK(want == NULL);
			check_inventory(obj, rel);
			for (u32 i = 0; i < obj->prog_cnt; i++) {
				check_prog(obj, &obj->progs[i]);
				unknown_type += obj->progs[i].type == 0;
			}
			create_all(obj);
			check_relocs_readelf(obj, path);
		}
	}
	bpffs_object_free(obj);
	bpffs_vlog_free(&log);
}

static struct bpffs_object *open_rel(const char *dir, const char *rel)
{
	char path[1024];
	struct bpffs_object *obj = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	bpffs_object_open_file(path, NULL, NULL, &obj);
	return obj;
}

static u32 count_src(const struct bpffs_obj_prog *p, u8 src)
{
	u32 n = 0;

	for (u32 i = 0; i < p->insn_cnt; i++)
		n += p->insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && p->insns[i].src_reg == src;
	return n;
}

/* Facts about particular objects, checked by hand against llvm-objdump/readelf. */
static void spot_checks(const char *dir)
{
	struct bpffs_object *o;
	const struct bpffs_obj_map *m;
	const struct bpffs_obj_prog *p;

	o = open_rel(dir, "ovs/datapath.o");
	TEST("ovs: e_machine 0, RELA relocations of type 0 still reference maps") {
		CHECK(o != NULL);
		p = o ? bpffs_object_find_prog(o, "tail-32") : NULL;
		CHECK(p && p->type == 0 && count_src(p, BPF_PSEUDO_MAP_FD) > 0);
	}
	bpffs_object_free(o);
	o = open_rel(dir, "cilium/bpf_lxc.o");
	TEST("old cilium: bpf_elf_map definitions with PIN_GLOBAL_NS are pinned by name") {
		m = o ? bpffs_object_find_map(o, "cilium_lxc") : NULL;
		CHECK(m && m->kind == BPFFS_OBJ_MAP_LEGACY && m->pinning == BPFFS_PIN_BY_NAME);
		CHECK(m && m->attr.key_size == 20 && m->attr.value_size == 48);
	}
	bpffs_object_free(o);
	o = open_rel(dir, "linux/test_map_in_map_kern.o");
	TEST("samples/bpf: inner_map_idx of 28-byte definitions names the template") {
		m = o ? bpffs_object_find_map(o, "a_of_port_a") : NULL;
		CHECK(m && m->attr.map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS);
		CHECK(m && m->attr.value_size == 4 &&
		      !strcmp(o->maps[m->attr.inner_map_idx].attr.name, "port_a"));
	}
	bpffs_object_free(o);
	o = open_rel(dir, "cilium-core/bpf_overlay.o");
	TEST("cilium: static tail-call programs and a callback (PSEUDO_FUNC) are linked") {
		u32 statics = 0, funcs = 0;

		for (u32 i = 0; o && i < o->prog_cnt; i++) {
			statics += o->progs[i].is_static;
			funcs += count_src(&o->progs[i], BPF_PSEUDO_FUNC);
		}
		CHECK(o && statics > 0 && funcs > 0);
	}
	bpffs_object_free(o);
	o = open_rel(dir, "build/bpf2bpf.o");
	TEST("bpf2bpf: the .text subprograms are appended after the 37-insn entry") {
		p = o ? bpffs_object_find_prog(o, "func") : NULL;
		CHECK(p && p->main_insn_cnt == 37 && p->insn_cnt == 58);
		CHECK(p && p->func_info_cnt == 3);
	}
	bpffs_object_free(o);
	o = open_rel(dir, "cilium-core/bpf_sock.o");
	TEST("cilium: .rodata.config and .rodata.cst16 are frozen global data") {
		m = o ? bpffs_object_find_map(o, "bpf_sock.rodata.config") : NULL;
		CHECK(m && m->kind == BPFFS_OBJ_MAP_DATA && m->frozen);
		CHECK(o && bpffs_object_find_map(o, "bpf_sock.rodata.cst16") != NULL);
	}
	bpffs_object_free(o);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, const char *sub)
{
	char path[1024], rel[512], **names = NULL;
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".md") ||
		    strstr(de->d_name, ".json") || strstr(de->d_name, "README"))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (!stat(path, &st) && S_ISDIR(st.st_mode))
			walk(dir, rel);
		else if (S_ISREG(st.st_mode))
			open_one(dir, rel);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const char *dir = getenv("BPFFS_SAMPLES");
	struct stat st;
	int rc;

	if (!dir)
		dir = "../shared/ebpf-samples";
	if (stat(dir, &st)) {
		TEST("ebpf-samples corpus is present") SKIP("no corpus directory");
		return harness_done();
	}
	inventory_load(dir);
	TEST("the corpus inventory lists objects") CHECK(inv_cnt > 100);
	walk(dir, "");
	spot_checks(dir);
	TEST("relocations were cross-checked with llvm-readelf") {
		printf("# %d relocations cross-checked\n", relocs_checked);
		if (system("command -v llvm-readelf >/dev/null 2>&1"))
			SKIP("no llvm-readelf");
		else
			CHECK(relocs_checked > 1000);
	}
	rc = harness_done();	/* the tally goes after the last test line */
	printf("# loaded %d/%d objects, %d programs (%d with a type the section does not say), "
	       "%d maps\n", opened, objs, progs_total, unknown_type, maps_total);
	for (int i = 0; i < tally_cnt; i++)
		printf("#   %3d  %s\n", tallies[i].n, tallies[i].reason);
	printf("# maps and programs created for %d/%d opened objects; failures:\n", created_objs,
	       opened);
	for (int i = 0; i < create_tally_cnt; i++)
		printf("#   %3d  %s\n", create_tallies[i].n, create_tallies[i].reason);
	bpffs_rcu_barrier();
	free(inv);
	return rc;
}
