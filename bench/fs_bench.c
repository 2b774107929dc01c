// SPDX-License-Identifier: MIT
/*
 * Filesystem benchmark (issue 7): mounts BUILD/bpffs-user and the minimal
 * one-file FUSE program (BUILD/bench/fuse_minimal, the FUSE limit of this
 * machine) on temporary directories and measures, from C:
 *   - map entry reads per second (open+read+close of one entry file), 1 and
 *     2 threads, next to the same loop on the minimal FUSE file (ratio): at
 *     the same path depth with default_permissions (bpffs-user always has
 *     it), so the kernel sends the same requests and the ratio is the cost
 *     of the daemon itself; and on a flat MNT/f without default_permissions
 *     (fewer requests per open: the raw FUSE floor);
 *   - entry writes per second (open+write+close), same comparison;
 *   - a full readdir of a 1,000,000-entry array map: time and the daemon's
 *     peak RSS (VmHWM);
 *   - load time of a ~10K-instruction object copied into MNT/progs/ (the
 *     close of the copy, which parses, verifies and JITs).
 * Writes open with O_CREAT|O_TRUNC, as the shell's `echo 7 > KEY` does.
 * Figures are medians of several trials (the three loops interleaved, the
 * ratio the median of the per-round ratios); prints one markdown table, then
 * unmounts and removes everything it created.
 *
 *   fs_bench BUILD [scale]      scale < 1 shortens the timed loops
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIALS		5
#define MAX_THREADS	2
#define BIG_ENTRIES	1000000
#define LOAD_STEPS	4990	/* 2 insns each: ~10K instructions */

static double scale = 1.0;
static char tmpdir[] = "/tmp/fs_bench.XXXXXX";

struct daemon {
	const char *bin;
	char mnt[256];
	pid_t pid;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int is_mounted(const char *mnt)
{
	char parent[300];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", mnt);
	return !stat(mnt, &a) && !stat(parent, &b) && a.st_dev != b.st_dev;
}

/* Starts BIN MNT -f in the background and waits until MNT is mounted. */
static int daemon_start(struct daemon *d, const char *bin, const char *name,
			const char *opts)
{
	double end = now() + 10;
	int status;

	d->bin = bin;
	snprintf(d->mnt, sizeof(d->mnt), "%s/%s", tmpdir, name);
	if (mkdir(d->mnt, 0755))
		return -errno;
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (!d->pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (opts)
			execl(bin, bin, d->mnt, "-f", "-o", opts, (char *)NULL);
		else
			execl(bin, bin, d->mnt, "-f", (char *)NULL);
		_exit(127);
	}
	while (!is_mounted(d->mnt)) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid || now() > end) {
			fprintf(stderr, "fs_bench: %s did not mount %s\n", bin, d->mnt);
			if (d->pid > 0 && now() > end)
				kill(d->pid, SIGTERM);
			d->pid = 0;
			return -EIO;
		}
		usleep(10000);
	}
	return 0;
}

static void daemon_stop(struct daemon *d)
{
	char cmd[400];

	if (d->pid > 0) {
		snprintf(cmd, sizeof(cmd), "fusermount3 -u '%s' 2>/dev/null", d->mnt);
		if (system(cmd))
			kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	rmdir(d->mnt);
}

static long vm_hwm_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return kb;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), ret = 0;
	ssize_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* ---- timed open/read/close and open/write/close loops ---- */

struct loop {
	char path[MAX_THREADS][300];
	int write;
	int nthreads;
	atomic_int stop;
	atomic_int errors;
	pthread_barrier_t start;
	long ops[MAX_THREADS];
};

struct worker {
	struct loop *l;
	int idx;
};

static int one_op(const char *path, int wr)
{
	char buf[64];
	int fd = wr ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) :
		     open(path, O_RDONLY);
	int ok;

	if (fd < 0)
		return -1;
	if (wr)
		ok = write(fd, "7\n", 2) == 2;
	else
		ok = read(fd, buf, sizeof(buf)) > 0;
	if (close(fd))
		ok = 0;
	return ok ? 0 : -1;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct loop *l = w->l;
	long n = 0;

	pthread_barrier_wait(&l->start);
	while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
		if (one_op(l->path[w->idx], l->write))
			atomic_fetch_add(&l->errors, 1);
		n++;
	}
	l->ops[w->idx] = n;
	return NULL;
}

/* Operations per second (all threads together) over one timed trial. */
static double loop_trial(struct loop *l, double secs)
{
	struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	double t0, t1;
	long total = 0;
	int i;

	atomic_store(&l->stop, 0);
	pthread_barrier_init(&l->start, NULL, l->nthreads + 1);
	for (i = 0; i < l->nthreads; i++) {
		w[i].l = l;
		w[i].idx = i;
		pthread_create(&th[i], NULL, worker_fn, &w[i]);
	}
	pthread_barrier_wait(&l->start);
	t0 = now();
	usleep(secs * 1e6);
	atomic_store(&l->stop, 1);
	for (i = 0; i < l->nthreads; i++) {
		pthread_join(th[i], NULL);
		total += l->ops[i];
	}
	t1 = now();
	pthread_barrier_destroy(&l->start);
	return total / (t1 - t0);
}

/*
 * Medians of TRIALS trials of the three loops, interleaved so that load from
 * other processes on this shared machine hits all three alike; *ratio is the
 * median of the per-round ratios l[0] / l[1].
 */
static void loop_rates(struct loop *l, double *rate, double *ratio)
{
	double v[3][TRIALS], r[TRIALS];
	int i, j;

	for (i = 0; i < TRIALS; i++) {
		for (j = 0; j < 3; j++)
			v[j][i] = loop_trial(&l[j], 0.6 * scale);
		r[i] = v[0][i] / v[1][i];
	}
	for (j = 0; j < 3; j++)
		rate[j] = median(v[j], TRIALS);
	*ratio = median(r, TRIALS);
}

static void row(const char *what, const double *rate, double ratio)
{
	printf("| %s | %.0f /s | %.0f /s | %.0f%% | %.0f /s |\n", what, rate[0],
	       rate[1], 100.0 * ratio, rate[2]);
}

static int bench_entries(struct daemon *fs, struct daemon *mini,
			 struct daemon *flat)
{
	char path[300];
	int wr, nt, i, err;

	snprintf(path, sizeof(path), "%s/maps/b", fs->mnt);
	if (mkdir(path, 0755))
		return -errno;
	strcat(path, "/.info");
	err = write_file(path, "type=hash key=u32 value=u64 max_entries=1024\n");
	for (i = 1; !err && i <= MAX_THREADS; i++) {
		snprintf(path, sizeof(path), "%s/maps/b/%d", fs->mnt, i);
		err = write_file(path, "5\n");
	}
	if (err) {
		fprintf(stderr, "fs_bench: creating map b: %s\n", strerror(-err));
		return err;
	}
	for (wr = 0; wr <= 1; wr++)
		for (nt = 1; nt <= MAX_THREADS; nt++) {
			struct loop l[3] = {
				{ .write = wr, .nthreads = nt },
				{ .write = wr, .nthreads = nt },
				{ .write = wr, .nthreads = nt },
			};
			struct loop *fl = &l[0], *ml = &l[1], *pl = &l[2];
			double rate[3], ratio;
			char what[80];

			for (i = 0; i < nt; i++) {
				/* one entry per thread for writes, a shared one for reads */
				snprintf(fl->path[i], sizeof(fl->path[i]), "%s/maps/b/%d",
					 fs->mnt, wr ? i + 1 : 1);
				snprintf(ml->path[i], sizeof(ml->path[i]), "%s/maps/b/%d",
					 mini->mnt, wr ? i + 1 : 1);
				snprintf(pl->path[i], sizeof(pl->path[i]), "%s/f", flat->mnt);
			}
			loop_rates(l, rate, &ratio);
			snprintf(what, sizeof(what), "entry %s (open+%s+close), %d thread%s",
				 wr ? "writes" : "reads", wr ? "write" : "read", nt,
				 nt > 1 ? "s" : "");
			row(what, rate, ratio);
			if (fl->errors || ml->errors || pl->errors)
				printf("| (errors: bpffs %d, minimal %d, flat %d) | | | | |\n",
				       fl->errors, ml->errors, pl->errors);
		}
	return 0;
}

/* ---- ls of a 1M-entry array ---- */

static long count_dir(const char *path)
{
	struct dirent *de;
	long n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The "memory:" line of a map's .info (the map's own accounting), or -1. */
static long map_memory(const char *info)
{
	char line[256];
	long mem = -1;
	FILE *f = fopen(info, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "memory:", 7))
			mem = strtol(line + 7, NULL, 10);
	fclose(f);
	return mem;
}

static int bench_ls(struct daemon *fs)
{
	char path[300], cmd[400];
	double v[3], t0, ls_time;
	long rss0, rss1, mem, n = 0;
	int i, err;

	snprintf(path, sizeof(path), "%s/maps/big", fs->mnt);
	if (mkdir(path, 0755))
		return -errno;
	strcat(path, "/.info");
	err = write_file(path, "type=array key=u32 value=u64 max_entries=1000000\n");
	if (err) {
		fprintf(stderr, "fs_bench: creating map big: %s\n", strerror(-err));
		return err;
	}
	mem = map_memory(path);
	path[strlen(path) - strlen("/.info")] = 0;
	rss0 = vm_hwm_kb(fs->pid, "VmHWM:");
	for (i = 0; i < 3; i++) {
		t0 = now();
		n = count_dir(path);
		v[i] = now() - t0;
	}
	snprintf(cmd, sizeof(cmd), "ls '%s' >/dev/null", path);
	t0 = now();
	err = system(cmd);
	ls_time = now() - t0;
	rss1 = vm_hwm_kb(fs->pid, "VmHWM:");
	printf("| readdir of a %d-entry array map (C, median of 3) | %.3f s | %ld entries | | |\n",
	       BIG_ENTRIES, median(v, 3), n);
	printf("| `ls` of the same directory (sorts 1M names) | %.3f s | %s | | |\n",
	       ls_time, err ? "ls failed" : "");
	printf("| daemon peak RSS (VmHWM) before / after the listings | %ld KiB | %ld KiB | | |\n",
	       rss0, rss1);
	printf("| the map's memory (.info `memory:`; untouched zero pages are not resident) | %ld KiB | | | |\n",
	       mem / 1024);
	if (n != BIG_ENTRIES)
		fprintf(stderr, "fs_bench: listed %ld entries, expected %d\n", n,
			BIG_ENTRIES);
	path[strlen(path) - strlen("/big")] = 0;
	return 0;
}

/* ---- load of a ~10K-instruction object ---- */

static int gen_object(const char *src, const char *obj)
{
	char cmd[1024];
	unsigned long k = 0x9e3779b1UL;
	FILE *f = fopen(src, "w");
	int i;

	if (!f)
		return -errno;
	fprintf(f, "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\n"
		"struct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
		"\t__uint(max_entries, 1);\n\t__type(key, __u32);\n"
		"\t__type(value, __u64);\n} vals SEC(\".maps\");\n\n"
		"SEC(\"xdp\")\nint big_load(struct xdp_md *ctx)\n{\n"
		"\t__u32 k = 0;\n\t__u64 *v = bpf_map_lookup_elem(&vals, &k);\n"
		"\t__u64 x, c;\n\n\tif (!v)\n\t\treturn XDP_PASS;\n"
		"\tx = *v;\n\tc = x;\n");
	for (i = 0; i < LOAD_STEPS; i++) {
		k = k * 6364136223846793005UL + 1442695040888963407UL;
		fprintf(f, "\tc = (c ^ x) * %luU;\n", (unsigned long)((k >> 33) | 1));
	}
	fprintf(f, "\t*v = c;\n\treturn XDP_PASS;\n}\n\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	if (fclose(f))
		return -errno;
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/$(cc -dumpmachine) "
		 "-c '%s' -o '%s'", src, obj);
	return system(cmd) ? -EINVAL : 0;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

static void print_insns(const char *mnt)
{
	char path[300], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/progs/big_load/info", mnt);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "insns", 5)) {
			line[strcspn(line, "\n")] = 0;
			printf("| loaded program (progs/big_load/info) | %s | | | |\n", line);
		}
	fclose(f);
}

static int bench_load(struct daemon *fs)
{
	char src[300], obj[300], dst[300];
	double v[TRIALS], total[TRIALS], t0, t1;
	size_t len = 0;
	char *elf;
	int i, fd, n = 0;

	snprintf(src, sizeof(src), "%s/big_load.bpf.c", tmpdir);
	snprintf(obj, sizeof(obj), "%s/big_load.bpf.o", tmpdir);
	snprintf(dst, sizeof(dst), "%s/progs/big_load.bpf.o", fs->mnt);
	if (gen_object(src, obj)) {
		fprintf(stderr, "fs_bench: cannot compile %s\n", src);
		return -EINVAL;
	}
	elf = slurp(obj, &len);
	if (!elf)
		return -EIO;
	for (i = 0; i < TRIALS; i++) {
		t0 = now();
		fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, elf, len) != (ssize_t)len)
			break;
		t1 = now();
		if (close(fd)) {
			fprintf(stderr, "fs_bench: loading %s: %s (see progs/.log)\n",
				obj, strerror(errno));
			break;
		}
		v[n] = now() - t1;
		total[n++] = now() - t0;
		if (i == 0)
			print_insns(fs->mnt);
		if (unlink(dst))
			break;
	}
	free(elf);
	unlink(src);
	unlink(obj);
	if (!n)
		return -EIO;
	printf("| load of a %zu-byte object through cp: close() (parse+verify+JIT), median of %d | %.1f ms | total open+write+close %.1f ms | | |\n",
	       len, n, median(v, n) * 1e3, median(total, n) * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon fs = { 0 }, mini = { 0 }, flat = { 0 };
	char fs_bin[300], mini_bin[300];
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s BUILD [scale]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		scale = atof(argv[2]) > 0 ? atof(argv[2]) : 1.0;
	snprintf(fs_bin, sizeof(fs_bin), "%s/bpffs-user", argv[1]);
	snprintf(mini_bin, sizeof(mini_bin), "%s/bench/fuse_minimal", argv[1]);
	if (access("/dev/fuse", R_OK | W_OK)) {
		printf("fs_bench: skipped (/dev/fuse not usable)\n");
		return 0;
	}
	if (!mkdtemp(tmpdir))
		return 1;
	err = daemon_start(&fs, fs_bin, "bpffs", NULL);
	if (!err)
		err = daemon_start(&mini, mini_bin, "minimal", "default_permissions");
	if (!err)
		err = daemon_start(&flat, mini_bin, "flat", NULL);
	if (!err) {
		double la[3] = { 0 };

		getloadavg(la, 3);
		printf("\n## Filesystem (%s, multi-threaded daemons, direct I/O, timeouts 0; load average %.2f)\n\n",
		       fs_bin, la[0]);
		printf("| measure | bpffs-user MNT/maps/b/K | minimal FUSE, same path and options | ratio (goal >= 70%%) | minimal FUSE, flat MNT/f, no default_permissions |\n");
		printf("|---|---|---|---|---|\n");
		err = bench_entries(&fs, &mini, &flat);
	}
	if (!err)
		err = bench_ls(&fs);
	if (!err)
		err = bench_load(&fs);
	daemon_stop(&flat);
	daemon_stop(&mini);
	daemon_stop(&fs);
	rmdir(tmpdir);
	return err ? 1 : 0;
}
