// SPDX-License-Identifier: MIT
/*
 * verify_corpus: run the verifier on every program of the real-object corpus
 * (../shared/ebpf-samples or the directory given) and compare, object by
 * object, the number of accepted programs with the kernel's verdicts listed
 * in INVENTORY.md. Prints one line per object, the first log line of every
 * rejection, and a tally (programs, objects agreeing, time, processed
 * instructions). Maps are described to the verifier from the object's map
 * definitions only (no map is created). Options:
 *   -z   the runtime zeroes the stack (uninitialised stack reads allowed)
 *   -v   print the whole log of rejected programs
 *   -f S only objects whose path contains S
 *   -t P full trace of the program named P
 *   -p   no precision tracking (every scalar compared when pruning)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/object.h"
#include "maps/maps.h"
#include "verifier/verifier.h"

struct inv_row {
	char path[512];
	char types[512];
	int ka, kr, ke;
};

static struct inv_row *inv;
static int inv_cnt;
static bool zeroed, verbose_log, all_precise;
static const char *filter, *trace_prog;

static void trim(char *s)
{
	char *e;

	while (*s == ' ')
		memmove(s, s + 1, strlen(s));
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '`'))
		*--e = 0;
}

static void inventory_load(const char *dir)
{
	char path[512], line[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/INVENTORY.md", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *col[20];
		int n = 0;
		char *p = line, *bar;
		struct inv_row r;

		if (strncmp(line, "| ", 2) || strstr(line, "| object |") || strstr(line, "|---"))
			continue;
		p++;
		while (n < 20 && (bar = strchr(p, '|'))) {
			*bar = 0;
			col[n++] = p;
			p = bar + 1;
		}
		if (n < 14)
			continue;
		memset(&r, 0, sizeof(r));
		trim(col[0]);
		snprintf(r.path, sizeof(r.path), "%s", col[0]);
		trim(col[3]);
		snprintf(r.types, sizeof(r.types), "%s", col[3]);
		if (sscanf(col[12], " %d/%d/%d", &r.ka, &r.kr, &r.ke) != 3)
			continue;
		inv = realloc(inv, (inv_cnt + 1) * sizeof(*inv));
		inv[inv_cnt++] = r;
	}
	fclose(f);
}

static const struct {
	const char *name;
	u32 type;
} type_names[] = {
	{ "SOCKET_FILTER", BPF_PROG_TYPE_SOCKET_FILTER }, { "SCHED_CLS", BPF_PROG_TYPE_SCHED_CLS },
	{ "SCHED_ACT", BPF_PROG_TYPE_SCHED_ACT }, { "XDP", BPF_PROG_TYPE_XDP },
	{ "KPROBE", BPF_PROG_TYPE_KPROBE }, { "TRACEPOINT", BPF_PROG_TYPE_TRACEPOINT },
	{ "RAW_TRACEPOINT", BPF_PROG_TYPE_RAW_TRACEPOINT },
	{ "PERF_EVENT", BPF_PROG_TYPE_PERF_EVENT }, { "CGROUP_SKB", BPF_PROG_TYPE_CGROUP_SKB },
	{ "SOCK_OPS", BPF_PROG_TYPE_SOCK_OPS }, { "CGROUP_SOCK", BPF_PROG_TYPE_CGROUP_SOCK },
	{ "CGROUP_SOCK_ADDR", BPF_PROG_TYPE_CGROUP_SOCK_ADDR }, { "TRACING", BPF_PROG_TYPE_TRACING },
	{ "LWT_XMIT", BPF_PROG_TYPE_LWT_XMIT },
};

/* The single type of an inventory row ("XDP×2" -> XDP), 0 if mixed or none. */
static u32 row_type(const struct inv_row *r)
{
	char name[64];
	size_t i;

	if (!strcmp(r->types, "-"))
		return BPF_PROG_TYPE_SOCKET_FILTER;
	if (strchr(r->types, ','))
		return 0;
	snprintf(name, sizeof(name), "%.63s", r->types);
	name[strcspn(name, "\xc3\x97 ")] = 0;	/* cut at "×" */
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(type_names[i].name, name))
			return type_names[i].type;
	return 0;
}

static const struct inv_row *inv_find(const char *rel)
{
	int i;

	for (i = 0; i < inv_cnt; i++)
		if (!strcmp(inv[i].path, rel))
			return &inv[i];
	return NULL;
}

struct totals {
	int objs, objs_agree, objs_differ, objs_unopened, objs_untyped;
	int progs, accepted, rejected, unsupported;
	int kernel_accepted;
	u64 time_ns, max_ns;
	char max_prog[1024];
	u64 processed, max_processed;
};

static struct totals tot;

static const char *first_error(const char *log)
{
	static char line[512];
	const char *p = log, *best = NULL, *nl;

	/* the line before the statistics line is the reason */
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!strncmp(p, "processed ", 10))
			break;
		best = p;
		p = nl + 1;
	}
	if (!best)
		return "(no log)";
	nl = strchr(best, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(nl ? nl - best : (long)strlen(best)), best);
	return line;
}

static int verify_prog(const struct bpffs_object *obj, u32 pi, u32 type, struct bpffs_map *fake,
		       const char *rel, char *why, size_t whysz)
{
	struct bpffs_obj_prog *op = &obj->progs[pi];
	struct bpffs_verifier_opts opts = { .allow_unprovided_helpers = true,
					    .stack_zeroed = zeroed, .all_precise = all_precise };
	struct bpffs_verifier_stats st;
	struct bpffs_map **mp = calloc(op->map_cnt + 1, sizeof(*mp));
	struct bpffs_prog prog;
	struct bpffs_vlog log;
	u32 i;
	int err;

	memset(&prog, 0, sizeof(prog));
	for (i = 0; i < op->map_cnt; i++)
		mp[i] = &fake[op->map_idx[i]];
	prog.type = type;
	prog.expected_attach_type = op->expected_attach_type;
	prog.insns = op->insns;
	prog.insn_cnt = op->insn_cnt;
	prog.maps = mp;
	prog.map_cnt = op->map_cnt;
	bool tr = trace_prog && !strcmp(trace_prog, op->name);

	bpffs_vlog_alloc(&log, tr ? BPFFS_LOG_TRACE : BPFFS_LOG_ERRORS, tr ? 1 << 28 : 1 << 20);
	err = bpffs_verify_stats(&prog, &opts, &log, &st);
	tot.time_ns += st.time_ns;
	tot.processed += st.insn_processed;
	if (st.insn_processed > tot.max_processed)
		tot.max_processed = st.insn_processed;
	if (st.time_ns > tot.max_ns) {
		tot.max_ns = st.time_ns;
		snprintf(tot.max_prog, sizeof(tot.max_prog), "%s:%s (%u insns processed)", rel,
			 op->name, st.insn_processed);
	}
	if (err)
		snprintf(why, whysz, "%s", first_error(bpffs_vlog_text(&log)));
	if ((err && verbose_log) || tr)
		printf("%s\n", bpffs_vlog_text(&log));
	bpffs_vlog_free(&log);
	free(mp);
	return err;
}

static void do_object(const char *path, const char *rel)
{
	const struct inv_row *row = inv_find(rel);
	struct bpffs_open_opts oo = { 0 };
	struct bpffs_object *obj = NULL;
	struct bpffs_map *fake;
	u32 def = row ? row_type(row) : 0, i;
	int acc = 0, rej = 0, uns = 0, err;
	char why[64][600];
	int nwhy = 0;

	if (filter && !strstr(rel, filter))
		return;
	tot.objs++;
	oo.default_prog_type = def;
	err = bpffs_object_open_file(path, &oo, NULL, &obj);
	if (err) {
		tot.objs_unopened++;
		printf("%-55s  not opened (%s); kernel %d/%d/%d\n", rel, strerror(-err),
		       row ? row->ka : -1, row ? row->kr : -1, row ? row->ke : -1);
		return;
	}
	fake = calloc(obj->map_cnt + 1, sizeof(*fake));
	for (i = 0; i < obj->map_cnt; i++) {
		const struct bpffs_map_attr *a = &obj->maps[i].attr;

		fake[i].map_type = a->map_type;
		fake[i].key_size = a->key_size;
		fake[i].value_size = a->value_size;
		fake[i].max_entries = a->max_entries;
		fake[i].map_flags = a->map_flags;
		if (obj->maps[i].frozen)
			fake[i].map_flags |= BPF_F_RDONLY_PROG;
		snprintf(fake[i].name, sizeof(fake[i].name), "%s", a->name);
	}
	for (i = 0; i < obj->map_cnt; i++) {
		u32 in = obj->maps[i].attr.inner_map_idx;

		if (in < obj->map_cnt)
			fake[i].inner_map_meta = &fake[in];
	}
	for (i = 0; i < obj->prog_cnt; i++) {
		u32 type = obj->progs[i].type ? obj->progs[i].type : def;
		char w[520];

		tot.progs++;
		if (!bpffs_verifier_knows_prog_type(type)) {
			uns++;
			tot.unsupported++;
			continue;
		}
		err = verify_prog(obj, i, type, fake, rel, w, sizeof(w));
		if (err) {
			rej++;
			tot.rejected++;
			if (nwhy < 64)
				snprintf(why[nwhy++], sizeof(why[0]), "%s: %s", obj->progs[i].name, w);
		} else {
			acc++;
			tot.accepted++;
		}
	}
	if (row)
		tot.kernel_accepted += row->ka;
	{
		bool agree = row && uns == 0 && acc == row->ka;
		bool comparable = row && uns == 0;

		if (comparable && agree)
			tot.objs_agree++;
		else if (comparable)
			tot.objs_differ++;
		else
			tot.objs_untyped++;
		printf("%-55s ours %d/%d (%d untyped)  kernel %d/%d/%d  %s\n", rel, acc, rej, uns,
		       row ? row->ka : -1, row ? row->kr : -1, row ? row->ke : -1,
		       !comparable ? "n/a" : agree ? "AGREE" : "DIFFER");
		if (comparable && !agree)
			for (int k = 0; k < nwhy; k++)
				printf("    %s\n", why[k]);
	}
	free(fake);
	bpffs_object_free(obj);
}

static void walk(const char *root, const char *sub)
{
	char path[1024], rel[512];
	struct dirent **ents;
	int n, i;

	snprintf(path, sizeof(path), "%s%s%s", root, *sub ? "/" : "", sub);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		struct stat sb;
		const char *nm = ents[i]->d_name;

		if (nm[0] == '.')
			goto next;
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", nm);
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (stat(path, &sb))
			goto next;
		if (S_ISDIR(sb.st_mode))
			walk(root, rel);
		else if (inv_find(rel))
			do_object(path, rel);
next:
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	const char *dir = "../shared/ebpf-samples";
	struct rusage ru;
	int opt;

	while ((opt = getopt(argc, argv, "zvpf:t:")) != -1) {
		if (opt == 't')
			trace_prog = optarg;
		else if (opt == 'p')
			all_precise = true;
		else if (opt == 'z')
			zeroed = true;
		else if (opt == 'v')
			verbose_log = true;
		else if (opt == 'f')
			filter = optarg;
	}
	if (optind < argc)
		dir = argv[optind];
	inventory_load(dir);
	if (!inv_cnt) {
		fprintf(stderr, "no INVENTORY.md under %s\n", dir);
		return 1;
	}
	walk(dir, "");
	getrusage(RUSAGE_SELF, &ru);
	printf("\nprograms: %d verified: %d accepted, %d rejected; %d of an undescribed type\n",
	       tot.progs, tot.accepted, tot.rejected, tot.unsupported);
	printf("kernel accepted (same objects): %d\n", tot.kernel_accepted);
	printf("objects: %d; agree with the kernel's accept count: %d; differ: %d; not comparable: %d; not opened: %d\n",
	       tot.objs, tot.objs_agree, tot.objs_differ, tot.objs_untyped, tot.objs_unopened);
	printf("verification time: total %.1f ms, max %.2f ms (%s)\n", tot.time_ns / 1e6,
	       tot.max_ns / 1e6, tot.max_prog);
	printf("processed insns: total %llu, max %llu; peak RSS %ld KiB; stack %s\n",
	       (unsigned long long)tot.processed, (unsigned long long)tot.max_processed,
	       ru.ru_maxrss, zeroed ? "zeroed" : "not zeroed");
	return 0;
}
