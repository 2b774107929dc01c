// SPDX-License-Identifier: MIT
/*
 * verify_corpus: run the verifier on every program of the real-object corpus
 * (../shared/ebpf-samples or the directory given) and compare, object by
 * object, the number of accepted programs with the kernel's verdicts listed
 * in INVENTORY.md. Prints one line per object, the first log line of every
 * rejection, and a tally (programs, objects agreeing, time, processed
 * instructions). Maps are described to the verifier from the object's map
 * definitions only (no map is created). Options:
 *   -Z   verify as if the runtime did not zero stacks (uninitialised stack
 *        reads rejected); by default, as the loader does, such reads are
 *        allowed and the program flagged for zeroing (-z: the same)
 *   -v   print the whole log of rejected programs
 *   -f S only objects whose path contains S
 *   -t P full trace of the program named P
 *   -p   no precision tracking (every scalar compared when pruning)
 *   -s   one "STAT" line per program: object, name, verdict, processed
 *        insns, time (ms), total and peak states, program type
 *   -k   also load every program into the running kernel (root) and list
 *        each program whose verdict differs from ours, with both reasons
 *   -K   as -k, printing the kernel's whole log of each disagreement
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
#include "corpus_kernel.h"

struct inv_row {
	char path[512];
	char types[512];
	int ka, kr, ke;
};

static struct inv_row *inv;
static int inv_cnt;
static bool zeroed = true, verbose_log, all_precise, per_prog, kmode, kmode_log;
static const char *filter, *trace_prog;
/* the object's frozen .rodata maps, created for real (their bytes are known
 * constants to the verifier, as in the load pipeline); NULL elsewhere */
static struct bpffs_map **rodata_maps;

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
	int objs, objs_agree, objs_differ, objs_unopened, objs_untyped, objs_loaderr;
	int progs, accepted, rejected, unsupported;
	int kernel_accepted;
	int k_progs, k_agree, k_we_accept_only, k_we_reject_only, k_loaderr;
	int k_objs, k_objs_agree;	/* objects with every program typed */
	int zero_stack;			/* accepted, reading stack they did not write */
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
		mp[i] = rodata_maps[op->map_idx[i]] ? rodata_maps[op->map_idx[i]]
						     : &fake[op->map_idx[i]];
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
	else
		tot.zero_stack += prog.zero_stack;
	if (per_prog)
		printf("STAT %s %s %s %u %.3f %u %u %u\n", rel, op->name, err ? "rejected" : "accepted",
		       st.insn_processed, st.time_ns / 1e6, st.total_states, st.peak_states, type);
	if ((err && verbose_log) || tr)
		printf("%s\n", bpffs_vlog_text(&log));
	bpffs_vlog_free(&log);
	free(mp);
	return err;
}

/*
 * Would the loader create the object's maps? -EINVAL (with the reason in
 * @why) for a definition it refuses, as the kernel does (e.g. an array with
 * an 8-byte key): none of the object's programs is then loaded. Sizes are
 * capped so that checking allocates little; a ring buffer keeps its size.
 */
static int maps_creatable(const struct bpffs_object *obj, char *why, size_t whysz)
{
	struct bpffs_map **m = calloc(obj->map_cnt + 1, sizeof(*m));
	char lbuf[512] = "";
	struct bpffs_vlog log = { .level = 1, .buf = lbuf, .size = sizeof(lbuf) };
	int err = 0;
	u32 i;

	for (i = 0; i < obj->map_cnt && !err; i++) {
		struct bpffs_map_attr a = obj->maps[i].attr;

		if (obj->maps[i].kind == BPFFS_OBJ_MAP_INNER && a.inner_map_idx == (u32)-1 &&
		    a.max_entries == 0)
			continue;
		if (a.map_type != BPF_MAP_TYPE_RINGBUF && a.max_entries > 64)
			a.max_entries = 64;
		if (a.inner_map_idx < i)
			a.inner_map = m[a.inner_map_idx];
		err = bpffs_map_create(&a, &log, &m[i]);
		if (err != -EINVAL)
			err = 0;	/* types the runtime lacks are another matter */
	}
	if (err)
		snprintf(why, whysz, "%.*s", (int)strcspn(lbuf, "\n"), lbuf);
	for (i = 0; i < obj->map_cnt; i++)
		if (m[i])
			bpffs_map_put(m[i]);
	free(m);
	return err;
}

/* -k: our verdict on one program against the running kernel's. */
/* Returns true when the kernel's verdict is ours. */
static bool kernel_compare(const struct bpffs_object *obj, const struct kobj *ko, u32 pi, u32 type,
			   const char *rel, int our_err, const char *our_why)
{
	char kwhy[600];
	int kv = kernel_verdict(obj, ko, pi, type, kwhy, sizeof(kwhy), kmode_log);

	tot.k_progs++;
	if (kv == KVERDICT_LOADERR) {
		tot.k_loaderr++;
		printf("  KERNEL-LOADERR %s:%s: %s\n", rel, obj->progs[pi].name, kwhy);
		return false;
	}
	if (per_prog)
		printf("KSTAT %s %s %s %s\n", rel, obj->progs[pi].name,
		       kv == KVERDICT_ACCEPT ? "accepted" : "rejected", kwhy);
	if ((kv == KVERDICT_ACCEPT) == !our_err) {
		tot.k_agree++;
		return true;
	}
	if (!our_err)
		tot.k_we_accept_only++;
	else
		tot.k_we_reject_only++;
	printf("  KDIFF %s:%s: ours %s, kernel %s\n", rel, obj->progs[pi].name,
	       our_err ? "REJECT" : "accept", kv == KVERDICT_ACCEPT ? "accept" : "REJECT");
	if (our_err)
		printf("      ours:   %s\n", our_why);
	printf("      kernel: %s\n", kwhy);
	return false;
}

static void do_object(const char *path, const char *rel)
{
	const struct inv_row *row = inv_find(rel);
	struct bpffs_open_opts oo = { 0 };
	struct bpffs_object *obj = NULL;
	struct bpffs_map *fake;
	u32 def = row ? row_type(row) : 0, i;
	struct kobj ko = { 0 };
	int acc = 0, rej = 0, uns = 0, err, kdiff = 0;
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
	if (maps_creatable(obj, why[0], sizeof(why[0]))) {
		bool agree = row && row->ka == 0 && row->kr == 0;

		tot.objs_loaderr++;
		tot.objs_agree += agree;
		tot.objs_differ += row && !agree;
		printf("%-55s ours: load error (%s)  kernel %d/%d/%d  %s\n", rel, why[0],
		       row ? row->ka : -1, row ? row->kr : -1, row ? row->ke : -1,
		       agree ? "AGREE" : "DIFFER");
		bpffs_object_free(obj);
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
	rodata_maps = calloc(obj->map_cnt + 1, sizeof(*rodata_maps));
	for (i = 0; i < obj->map_cnt; i++)
		rodata_maps[i] = corpus_frozen_data_map(&obj->maps[i]);
	if (kmode)
		kobj_open(&ko, obj, path);
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
		if (kmode)
			kdiff += !kernel_compare(obj, &ko, i, type, rel, err, w);
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
	if (kmode) {
		kobj_close(&ko);
		if (!uns) {
			tot.k_objs++;
			tot.k_objs_agree += !kdiff;
		}
	}
	for (i = 0; i < obj->map_cnt; i++)
		if (rodata_maps[i])
			bpffs_map_put(rodata_maps[i]);
	free(rodata_maps);
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

	while ((opt = getopt(argc, argv, "zZvpskKf:t:")) != -1) {
		if (opt == 'k' || opt == 'K') {
			kmode = true;
			kmode_log = opt == 'K';
		}
		if (opt == 't')
			trace_prog = optarg;
		else if (opt == 'p')
			all_precise = true;
		else if (opt == 's')
			per_prog = true;
		else if (opt == 'z' || opt == 'Z')
			zeroed = opt == 'z';
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
	if (kmode)
		printf("\nkernel, program by program: %d compared, %d agree, %d accepted only by us, %d rejected only by us, %d could not be loaded\n",
		       tot.k_progs, tot.k_agree, tot.k_we_accept_only, tot.k_we_reject_only,
		       tot.k_loaderr);
	if (kmode)
		printf("kernel, object by object (every program of a described type): %d compared, %d agree on every program\n",
		       tot.k_objs, tot.k_objs_agree);
	printf("\nprograms: %d verified: %d accepted, %d rejected; %d of an undescribed type\n",
	       tot.progs, tot.accepted, tot.rejected, tot.unsupported);
	printf("accepted programs reading stack they did not write (zeroed at run time): %d\n",
	       tot.zero_stack);
	printf("kernel accepted (same objects): %d\n", tot.kernel_accepted);
	printf("objects: %d; agree with the kernel's accept count: %d; differ: %d; not comparable: %d; not opened: %d; maps refused (load error): %d\n",
	       tot.objs, tot.objs_agree, tot.objs_differ, tot.objs_untyped, tot.objs_unopened,
	       tot.objs_loaderr);
	printf("verification time: total %.1f ms, max %.2f ms (%s)\n", tot.time_ns / 1e6,
	       tot.max_ns / 1e6, tot.max_prog);
	printf("processed insns: total %llu, max %llu; peak RSS %ld KiB; stack %s\n",
	       (unsigned long long)tot.processed, (unsigned long long)tot.max_processed,
	       ru.ru_maxrss, zeroed ? "zeroed" : "not zeroed");
	return 0;
}
