// SPDX-License-Identifier: MIT
/*
 * Differential test of the ELF loader against libbpf's open phase (which
 * parses without the kernel): for every object libbpf opens, among this
 * repository's test objects and the ebpf-samples corpus, both must agree on
 * the programs (names, sections, types, own instruction counts) and the
 * maps (names, types, key/value sizes, max_entries, flags, inner maps).
 * Differences that are deliberate are listed in same_map() with their
 * reason. Objects libbpf refuses (legacy maps, static programs...) are
 * counted and skipped: they are the corpus test's business.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "core/object.h"
#include "core/vlog.h"
#include "maps/maps.h"

static int compared, skipped, refused, mismatched_objs;
static char names[2][512];

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

static int diffs;

#define DIFF(cond, ...)                                   \
	do {                                              \
		if (!(cond)) {                            \
			printf("#   " __VA_ARGS__);       \
			printf("\n");                     \
			diffs++;                          \
		}                                         \
	} while (0)

static void same_prog(const struct bpffs_object *obj, const struct bpf_program *lp)
{
	const struct bpffs_obj_prog *p = bpffs_object_find_prog(obj, bpf_program__name(lp));

	DIFF(p, "program %s missing", bpf_program__name(lp));
	if (!p)
		return;
	DIFF(!strcmp(p->section, bpf_program__section_name(lp)), "program %s section %s vs %s",
	     p->name, p->section, bpf_program__section_name(lp));
	DIFF(p->main_insn_cnt == bpf_program__insn_cnt(lp), "program %s insns %u vs %zu", p->name,
	     p->main_insn_cnt, bpf_program__insn_cnt(lp));
	/*
	 * Deliberate: we also know this project's sections (timer, inotify)
	 * and the loose legacy names libbpf 1.x dropped ("socket1", "xdp_prog",
	 * "cgroup/sock1"), where libbpf says UNSPEC.
	 */
	if (bpf_program__type(lp) != BPF_PROG_TYPE_UNSPEC)
		DIFF(p->type == (u32)bpf_program__type(lp), "program %s type %u vs %u", p->name,
		     p->type, bpf_program__type(lp));
	if (bpf_program__type(lp))
		DIFF(p->expected_attach_type == (u32)bpf_program__expected_attach_type(lp),
		     "program %s attach type %u vs %u", p->name, p->expected_attach_type,
		     bpf_program__expected_attach_type(lp));
}

/*
 * libbpf names internal maps "<object>.<section>" cut to 15 characters
 * ("cmp.rodata.str1" is .rodata.str1.1 or .rodata.str1.16), or the section
 * alone for subsections: among our data maps that fit, take the one of the
 * same size.
 */
static const struct bpffs_obj_map *find_map(const struct bpffs_object *obj,
					    const struct bpf_map *lm)
{
	const char *ln = bpf_map__name(lm);
	const struct bpffs_obj_map *best = NULL;

	if (!bpf_map__is_internal(lm))
		return bpffs_object_find_map(obj, ln);
	for (u32 i = 0; i < obj->map_cnt; i++) {
		const struct bpffs_obj_map *m = &obj->maps[i];

		size_t n = strlen(m->attr.name), l = strlen(ln);

		if (m->kind != BPFFS_OBJ_MAP_DATA)
			continue;
		/* ".rodata.config": libbpf names subsection maps by the section alone */
		if (strncmp(m->attr.name, ln, l) &&
		    !(ln[0] == '.' && n >= l && !strcmp(m->attr.name + n - l, ln)))
			continue;
		if (!best || m->attr.value_size == bpf_map__value_size(lm))
			best = m;
	}
	return best;
}

static void same_map(const struct bpffs_object *obj, const struct bpf_map *lm)
{
	const struct bpffs_obj_map *m = find_map(obj, lm);
	const struct bpffs_map_attr *a;
	u32 type = bpf_map__type(lm), flags = bpf_map__map_flags(lm);
	const struct bpf_map *inner;

	DIFF(m, "map %s missing", bpf_map__name(lm));
	if (!m)
		return;
	a = &m->attr;
	DIFF(a->map_type == type, "map %s type %u vs %u", a->name, a->map_type, type);
	/* libbpf makes global data mmapable; we have no mmap */
	if (bpf_map__is_internal(lm))
		flags &= ~BPF_F_MMAPABLE;
	DIFF(a->map_flags == flags, "map %s flags %#x vs %#x", a->name, a->map_flags, flags);
	/* perf event arrays and ring buffers: record types do not size them (cilium/ebpf) */
	if (type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && type != BPF_MAP_TYPE_RINGBUF) {
		DIFF(a->key_size == bpf_map__key_size(lm), "map %s key %u vs %u", a->name,
		     a->key_size, bpf_map__key_size(lm));
		DIFF(a->value_size == bpf_map__value_size(lm), "map %s value %u vs %u", a->name,
		     a->value_size, bpf_map__value_size(lm));
	}
	/* libbpf sizes a perf event array with max_entries 0 at load time */
	if (!(type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !bpf_map__max_entries(lm)))
		DIFF(a->max_entries == bpf_map__max_entries(lm), "map %s max_entries %u vs %u",
		     a->name, a->max_entries, bpf_map__max_entries(lm));
	inner = bpf_map__inner_map((struct bpf_map *)lm);
	DIFF(!inner == (a->inner_map_idx == (u32)-1), "map %s inner map presence differs",
	     a->name);
	if (inner && a->inner_map_idx < obj->map_cnt) {
		const struct bpffs_map_attr *ia = &obj->maps[a->inner_map_idx].attr;

		DIFF(ia->map_type == bpf_map__type(inner) &&
		     ia->max_entries == bpf_map__max_entries(inner),
		     "map %s inner map differs", a->name);
	}
}

static void compare(const char *label, const void *buf, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, lopts, .object_name = "cmp");
	struct bpffs_object *obj = NULL;
	struct bpf_object *lobj;
	struct bpf_program *lp;
	struct bpf_map *lm;
	u32 lprogs = 0, lmaps = 0, ours_maps = 0;

	lobj = bpf_object__open_mem(buf, size, &lopts);
	if (!lobj || libbpf_get_error(lobj)) {
		skipped++;
		return;
	}
	diffs = 0;
	/* deliberate: CO-RE against kernel types is refused (libbpf resolves it at load) */
	if (bpffs_object_open(buf, size, "cmp.o", NULL, NULL, &obj) == -EOPNOTSUPP) {
		refused++;
		bpf_object__close(lobj);
		return;
	}
	compared++;
	/* the harness prints a name when the next test starts: keep two */
	snprintf(names[compared % 2], sizeof(names[0]), "%s", label);
	TEST(names[compared % 2]) {
		CHECK(obj != NULL);
		if (obj) {
			bpf_object__for_each_program(lp, lobj) {
				same_prog(obj, lp);
				lprogs++;
			}
			bpf_object__for_each_map(lm, lobj) {
				same_map(obj, lm);
				lmaps++;
			}
			for (u32 i = 0; i < obj->map_cnt; i++)
				ours_maps += obj->maps[i].kind != BPFFS_OBJ_MAP_INNER;
			/* deliberate: old objects whose functions are global STT_NOTYPE */
			if (lprogs)
				DIFF(obj->prog_cnt == lprogs, "%u programs vs %u", obj->prog_cnt,
				     lprogs);
			DIFF(ours_maps == lmaps, "%u maps vs %u", ours_maps, lmaps);
		}
		CHECK_EQ(diffs, 0);
		mismatched_objs += diffs != 0;
	}
	bpffs_object_free(obj);
	bpf_object__close(lobj);
}

static void compare_file(const char *path, const char *label)
{
	size_t size;
	void *buf = read_all(path, &size);

	if (buf)
		compare(label, buf, size);
	free(buf);
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
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (!stat(path, &st) && S_ISDIR(st.st_mode))
			walk(dir, rel);
		else if (S_ISREG(st.st_mode) && strcmp(sub, "invalid"))
			compare_file(path, rel);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const char *build = getenv("BUILD"), *dir = getenv("BPFFS_SAMPLES");
	char path[512];
	struct stat st;

	libbpf_set_print(quiet);
	snprintf(path, sizeof(path), "%s/tests/bpf", build ? build : "build");
	walk(path, "");
	snprintf(path, sizeof(path), "%s/examples", build ? build : "build");
	walk(path, "");
	if (!dir)
		dir = "../shared/ebpf-samples";
	if (!stat(dir, &st))
		walk(dir, "");
	if (!compared)
		TEST("libbpf opens some objects") SKIP("no objects built or found");
	printf("# compared %d objects with libbpf (%d differ); skipped: %d libbpf refuses, "
	       "%d we refuse (kernel CO-RE)\n", compared, mismatched_objs, skipped, refused);
	return harness_done();
}
