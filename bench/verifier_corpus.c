// SPDX-License-Identifier: MIT
/*
 * Verifier on the real-object corpus, against the kernel's numbers.
 *
 *   verifier_corpus record DIR LIST > COUNTS   (root: needs the kernel)
 *       LIST: `verify_corpus -s` output; every STAT line names an object,
 *       a program and its type. Each program is loaded into the running
 *       kernel (maps created, nothing pinned, everything closed again) with
 *       BPF_LOG_STATS, and one line "object program type verdict processed
 *       usec" is printed: the kernel's verdict, processed-instruction count
 *       and verification time.
 *   verifier_corpus run DIR COUNTS
 *       Verifies every program of COUNTS with our verifier (each in a child
 *       process, for its own peak RSS) and prints the largest programs with
 *       our processed count beside the kernel's, then totals: time (total,
 *       median, max), programs over 100 ms, processed-count ratios over the
 *       programs both accept.
 * Maps are described to our verifier from the object's definitions only,
 * except frozen global data (.rodata), made as the loader makes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "core/core.h"
#include "core/object.h"
#include "maps/maps.h"
#include "verifier/verifier.h"
#include "../tests/tools/corpus_kernel.h"

struct row {
	char obj[256], prog[64];
	u32 type;
	int kverdict;		/* 1 accepted, 0 rejected, -1 not loaded */
	long kproc, kusec;
	/* ours */
	int err;
	u32 proc, peak_states, total_states;
	double ms, wall_ms;	/* CPU and wall-clock time of our verifier */
	double state_kib;	/* explored + pending states at their peak */
	long rss_kib;
};

static struct row *rows;
static int nrows;

static struct row *add_row(void)
{
	rows = realloc(rows, (nrows + 1) * sizeof(*rows));
	memset(&rows[nrows], 0, sizeof(rows[0]));
	return &rows[nrows++];
}

static struct bpffs_object *open_obj(const char *dir, const char *rel, u32 type)
{
	struct bpffs_open_opts oo = { .default_prog_type = type };
	struct bpffs_object *obj = NULL;
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (bpffs_object_open_file(path, &oo, NULL, &obj))
		return NULL;
	return obj;
}

static int find_prog(const struct bpffs_object *obj, const char *name)
{
	u32 i;

	for (i = 0; i < obj->prog_cnt; i++)
		if (!strcmp(obj->progs[i].name, name))
			return (int)i;
	return -1;
}

/* ---- record: the kernel's numbers ---- */

static long log_number(const char *log, const char *key)
{
	const char *p = strstr(log, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void patch_maps(const struct bpffs_obj_prog *op, const struct kobj *k,
		       struct bpf_insn *insns, bool *ok)
{
	u32 i;

	for (i = 0; i < op->insn_cnt; i++) {
		struct bpf_insn *in = &insns[i];
		u32 mi;

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE) {
			mi = (u32)in->imm < op->map_cnt ? op->map_idx[in->imm] : (u32)-1;
			if (mi >= k->map_cnt || k->map_fds[mi] < 0)
				*ok = false;
			else
				in->imm = k->map_fds[mi];
		}
		i++;
	}
}

static u32 klog_level = 4;	/* BPF_LOG_STATS: the statistics lines only */
static char *klog_buf;
static u32 klog_size = 1 << 16;

static void kernel_stats(const struct bpffs_object *obj, const struct kobj *k, int pi,
			 struct row *r)
{
	const struct bpffs_obj_prog *op = &obj->progs[pi];
	char *log = klog_buf ? klog_buf : (klog_buf = malloc(klog_size));
	struct bpf_insn *insns = malloc(op->insn_cnt * sizeof(*insns));
	struct bpf_func_info *fi = NULL;
	bool ok = true;
	union bpf_attr a;
	int fd, attempt;

	memcpy(insns, op->insns, op->insn_cnt * sizeof(*insns));
	patch_maps(op, k, insns, &ok);
	r->kverdict = -1;
	for (attempt = 0; ok && attempt < 2; attempt++) {
		bool btf = attempt == 0 && k->btf_fd >= 0 && op->func_info_cnt;

		if (attempt == 1 && !(k->btf_fd >= 0 && op->func_info_cnt))
			break;
		memset(&a, 0, sizeof(a));
		a.prog_type = r->type;
		a.expected_attach_type = op->expected_attach_type;
		a.insns = (u64)(uintptr_t)insns;
		a.insn_cnt = op->insn_cnt;
		a.license = (u64)(uintptr_t)(obj->license[0] ? obj->license : "GPL");
		a.kern_version = obj->kern_version;
		a.log_buf = (u64)(uintptr_t)log;
		a.log_size = klog_size;
		a.log_level = klog_level;
		if (btf)
			fi = kattr_func_info(&a, k, op);
		log[0] = 0;
		fd = (int)ksys_bpf(BPF_PROG_LOAD, &a);
		free(fi);
		fi = NULL;
		if (fd >= 0)
			close(fd);
		r->kproc = log_number(log, "processed ");
		r->kusec = log_number(log, "verification time ");
		if (fd >= 0 || r->kproc >= 0) {
			r->kverdict = fd >= 0;
			break;
		}
	}
	free(insns);
}

static int record(const char *dir, const char *list)
{
	char line[2048], obj[256], prog[64], verdict[16], path[1024];
	FILE *f = fopen(list, "r");
	struct bpffs_object *o = NULL;
	struct kobj ko = { 0 };
	char cur[256] = "";
	int i;

	(void)kernel_verdict;
	if (!f) {
		perror(list);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned proc, tot, peak, type;
		double ms;

		if (sscanf(line, "STAT %255s %63s %15s %u %lf %u %u %u", obj, prog, verdict, &proc,
			   &ms, &tot, &peak, &type) == 8) {
			struct row *r = add_row();

			snprintf(r->obj, sizeof(r->obj), "%s", obj);
			snprintf(r->prog, sizeof(r->prog), "%s", prog);
			r->type = type;
		}
	}
	fclose(f);
	printf("# object program type verdict(1 accepted, 0 rejected, -1 not loaded) processed usec\n");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		int pi;

		if (strcmp(cur, r->obj)) {
			if (o) {
				kobj_close(&ko);
				bpffs_object_free(o);
			}
			memset(&ko, 0, sizeof(ko));
			snprintf(cur, sizeof(cur), "%s", r->obj);
			o = open_obj(dir, r->obj, r->type);
			snprintf(path, sizeof(path), "%s/%s", dir, r->obj);
			if (o)
				kobj_open(&ko, o, path);
		}
		pi = o ? find_prog(o, r->prog) : -1;
		r->kverdict = -1;
		r->kproc = r->kusec = -1;
		if (pi >= 0)
			kernel_stats(o, &ko, pi, r);
		printf("%s %s %u %d %ld %ld\n", r->obj, r->prog, r->type, r->kverdict, r->kproc,
		       r->kusec);
		fflush(stdout);
	}
	if (o) {
		kobj_close(&ko);
		bpffs_object_free(o);
	}
	return 0;
}

/* ---- run: ours ---- */

struct child_out {
	int err;
	struct bpffs_verifier_stats st;
};

static void ours_child(const struct bpffs_object *obj, int pi, u32 type, int wfd)
{
	const struct bpffs_obj_prog *op = &obj->progs[pi];
	struct bpffs_verifier_opts opts = { .allow_unprovided_helpers = true,
					    .stack_zeroed = true };	/* as the loader */
	struct bpffs_map *fake = calloc(obj->map_cnt + 1, sizeof(*fake));
	struct bpffs_map **mp = calloc(op->map_cnt + 1, sizeof(*mp));
	struct child_out out = { 0 };
	struct bpffs_prog prog;
	u32 i;

	for (i = 0; i < obj->map_cnt; i++) {
		const struct bpffs_map_attr *a = &obj->maps[i].attr;

		fake[i].map_type = a->map_type;
		fake[i].key_size = a->key_size;
		fake[i].value_size = a->value_size;
		fake[i].max_entries = a->max_entries;
		fake[i].map_flags = a->map_flags | (obj->maps[i].frozen ? BPF_F_RDONLY_PROG : 0);
		if (a->inner_map_idx < obj->map_cnt)
			fake[i].inner_map_meta = &fake[a->inner_map_idx];
	}
	for (i = 0; i < op->map_cnt; i++) {
		mp[i] = corpus_frozen_data_map(&obj->maps[op->map_idx[i]]);
		if (!mp[i])
			mp[i] = &fake[op->map_idx[i]];
	}
	memset(&prog, 0, sizeof(prog));
	prog.type = type;
	prog.expected_attach_type = op->expected_attach_type;
	prog.insns = op->insns;
	prog.insn_cnt = op->insn_cnt;
	prog.maps = mp;
	prog.map_cnt = op->map_cnt;
	out.err = bpffs_verify_stats(&prog, &opts, NULL, &out.st);
	if (write(wfd, &out, sizeof(out)) != sizeof(out))
		_exit(2);
	_exit(0);
}

static void ours(const struct bpffs_object *obj, int pi, struct row *r)
{
	struct child_out out = { .err = -ECHILD };
	struct rusage ru;
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		ours_child(obj, pi, r->type, p[1]);
	}
	close(p[1]);
	if (read(p[0], &out, sizeof(out)) != sizeof(out))
		out.err = -ECHILD;
	close(p[0]);
	wait4(pid, &status, 0, &ru);
	r->err = out.err;
	r->proc = out.st.insn_processed;
	r->peak_states = out.st.peak_states;
	r->total_states = out.st.total_states;
	r->ms = out.st.cpu_ns / 1e6;
	r->wall_ms = out.st.time_ns / 1e6;
	r->state_kib = out.st.peak_state_bytes / 1024.0;
	r->rss_kib = ru.ru_maxrss;
}

static int cmp_kproc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return (y->kproc > x->kproc) - (y->kproc < x->kproc);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int run(const char *dir, const char *counts, int top)
{
	char line[2048], obj[256], prog[64], cur[256] = "";
	struct bpffs_object *o = NULL;
	FILE *f = fopen(counts, "r");
	double total = 0, kernel_total = 0, max = 0, worst_ratio = 0, *ms;
	int i, over100 = 0, both = 0, over2x = 0, acc = 0, kacc = 0, accept_only_k = 0;
	int accept_only_ours = 0;
	char max_name[400] = "", worst_name[400] = "";
	long base_rss;

	if (!f) {
		perror(counts);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct row r;

		memset(&r, 0, sizeof(r));
		if (line[0] == '#' || sscanf(line, "%255s %63s %u %d %ld %ld", obj, prog, &r.type,
					     &r.kverdict, &r.kproc, &r.kusec) != 6)
			continue;
		snprintf(r.obj, sizeof(r.obj), "%s", obj);
		snprintf(r.prog, sizeof(r.prog), "%s", prog);
		*add_row() = r;
	}
	fclose(f);
	{	/* RSS of a child that verifies nothing: subtract it */
		struct rusage ru;
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		wait4(pid, NULL, 0, &ru);
		base_rss = ru.ru_maxrss;
	}
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		int pi;

		if (strcmp(cur, r->obj)) {
			if (o)
				bpffs_object_free(o);
			snprintf(cur, sizeof(cur), "%s", r->obj);
			o = open_obj(dir, r->obj, r->type);
		}
		r->err = -ENOENT;
		pi = o ? find_prog(o, r->prog) : -1;
		if (pi >= 0)
			ours(o, pi, r);
	}
	if (o)
		bpffs_object_free(o);
	ms = calloc(nrows + 1, sizeof(double));
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		double ratio;

		ms[i] = r->ms;
		total += r->ms;
		if (r->ms > max) {
			max = r->ms;
			snprintf(max_name, sizeof(max_name), "%s:%s", r->obj, r->prog);
		}
		over100 += r->ms > 100;
		acc += !r->err;
		if (r->kverdict == 1) {
			kacc++;
			kernel_total += r->kusec / 1e3;
		}
		accept_only_k += r->kverdict == 1 && r->err;
		accept_only_ours += r->kverdict == 0 && !r->err;
		if (r->err || r->kverdict != 1 || r->kproc <= 0)
			continue;
		both++;
		ratio = (double)r->proc / r->kproc;
		over2x += ratio > 2;
		if (ratio > worst_ratio) {
			worst_ratio = ratio;
			snprintf(worst_name, sizeof(worst_name), "%s:%s", r->obj, r->prog);
		}
	}
	qsort(ms, nrows, sizeof(double), cmp_double);
	qsort(rows, nrows, sizeof(*rows), cmp_kproc);
	printf("corpus: the %d programs with most kernel-processed insns; ours: CPU ms, peak states,\n"
	       "  their peak size, peak RSS of the verifying child above an idle one (%ld KiB)\n",
	       top, base_rss);
	printf("  %-34s %-30s %7s %7s %5s %8s %8s %6s %8s %8s\n", "object", "program", "kernel",
	       "ours", "ratio", "ours ms", "kern ms", "states", "st. KiB", "RSS KiB");
	for (i = 0; i < nrows && i < top; i++) {
		struct row *r = &rows[i];

		printf("  %-34.34s %-30.30s %7ld %7u %5.2f %8.2f %8.2f %6u %8.0f %8ld%s\n", r->obj,
		       r->prog, r->kproc, r->proc, r->kproc > 0 ? (double)r->proc / r->kproc : 0.0,
		       r->ms, r->kusec / 1e3, r->peak_states, r->state_kib, r->rss_kib - base_rss,
		       r->err ? " REJECTED" : "");
	}
	printf("corpus: %d programs, ours accepts %d, the kernel %d (kernel only: %d, ours only: %d)\n",
	       nrows, acc, kacc, accept_only_k, accept_only_ours);
	printf("corpus time (ours: CPU): total %.1f ms, median %.3f ms, max %.2f ms (%s), %d over 100 ms;\n"
	       "  kernel (recorded) total %.1f ms over the programs it accepts\n",
	       total, nrows ? ms[nrows / 2] : 0, max, max_name, over100, kernel_total);
	printf("corpus processed/kernel (%d accepted by both): worst %.2f (%s), %d over 2x%s\n",
	       both, worst_ratio, worst_name, over2x, over2x ? ":" : "");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];

		if (!r->err && r->kverdict == 1 && r->kproc > 0 && r->proc > 2 * r->kproc)
			printf("  %s:%s ours %u kernel %ld\n", r->obj, r->prog, r->proc, r->kproc);
	}
	free(ms);
	return 0;
}

/* The kernel's whole instruction-level log of one program (debugging). */
static int klog(const char *dir, const char *rel, const char *prog, u32 type)
{
	struct bpffs_object *o = open_obj(dir, rel, type);
	struct kobj ko = { 0 };
	struct row r = { .type = type };
	char path[1024];
	int pi;

	if (!o)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	kobj_open(&ko, o, path);
	pi = find_prog(o, prog);
	klog_level = 2;
	klog_size = 1u << 29;
	if (pi >= 0)
		kernel_stats(o, &ko, pi, &r);
	fputs(klog_buf ? klog_buf : "", stdout);
	kobj_close(&ko);
	bpffs_object_free(o);
	return pi < 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "klog"))
		return klog(argv[2], argv[3], argv[4], (u32)atoi(argv[5]));
	if (argc >= 4 && !strcmp(argv[1], "record"))
		return record(argv[2], argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 15);
	fprintf(stderr, "usage: %s record DIR STAT-LIST | run DIR COUNTS [TOP]\n", argv[0]);
	return 2;
}
