// SPDX-License-Identifier: MIT
/*
 * fuzz_verifier: long soundness run of the verifier (make fuzz-verifier).
 *   fuzz_verifier [--count N] [--seed S] [--jobs J] [--progress SECS]
 *                 [--insn-limit L] [--verbose] [--trace]
 * Programs seed .. seed+N-1 (plus mutants of the accepted ones), split over
 * J forked workers on disjoint seed ranges. Prints a progress line every
 * SECS seconds and a final line with the totals and the throughput. Exits 1
 * if any accepted program faulted in the checked interpreter; a report
 * names the seed, which `--seed S --count 1 --verbose` replays.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../verifier/fuzzgen.h"

#define MAX_JOBS 64

struct opts {
	u64 count, seed;
	int jobs, progress;
	u32 insn_limit;
	bool verbose, trace;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sum(struct vfuzz_stats *t, const struct vfuzz_stats *s)
{
	const u64 *a = (const u64 *)s;
	u64 *b = (u64 *)t;

	for (size_t i = 0; i < sizeof(*s) / sizeof(u64); i++)
		b[i] += __atomic_load_n(&a[i], __ATOMIC_RELAXED);
}

static void print_line(FILE *out, const char *what, const struct vfuzz_stats *st, double secs)
{
	u64 verified = st->generated + st->mutants;

	fprintf(out, "%s: %llu programs + %llu mutants in %.0f s (%.0f programs/s, %.0f verifications/s): "
		"accepted %llu (%.1f%%) + %llu mutants; rejected EACCES %llu EINVAL %llu E2BIG %llu other %llu; "
		"not preparable %llu; checked runs %llu; faults %llu\n",
		what, (unsigned long long)st->generated, (unsigned long long)st->mutants, secs,
		secs > 0 ? (double)st->generated / secs : 0.0,
		secs > 0 ? (double)verified / secs : 0.0,
		(unsigned long long)st->accepted,
		st->generated ? 100.0 * (double)st->accepted / (double)st->generated : 0.0,
		(unsigned long long)st->mutants_accepted, (unsigned long long)st->rej_eacces,
		(unsigned long long)st->rej_einval, (unsigned long long)st->rej_e2big,
		(unsigned long long)st->rej_other, (unsigned long long)st->prep_fail,
		(unsigned long long)st->runs,
		(unsigned long long)st->faults);
	fflush(out);
}

/* One worker: seeds [from, from + count), stats updated in place (shared). */
static int work(const struct opts *o, u64 from, u64 count, struct vfuzz_stats *st)
{
	struct vfuzz f;
	int err = vf_open(&f, 20);

	if (err) {
		fprintf(stderr, "fuzz_verifier: cannot create maps: %s\n", strerror(-err));
		return 2;
	}
	f.verbose = o->verbose;
	f.trace = o->trace;
	if (o->insn_limit)
		f.insn_limit = o->insn_limit;
	for (u64 i = 0; i < count; i++)
		vf_one(&f, st, from + i);
	vf_close(&f);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .count = 100000, .seed = 1, .jobs = 1, .progress = 10 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--verbose") || !strcmp(a, "--trace")) {
			o->verbose = true;
			o->trace |= !strcmp(a, "--trace");
			continue;
		}
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--count"))
			o->count = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--jobs"))
			o->jobs = atoi(v);
		else if (!strcmp(a, "--progress"))
			o->progress = atoi(v);
		else if (!strcmp(a, "--insn-limit"))
			o->insn_limit = (u32)strtoul(v, NULL, 0);
		else
			goto usage;
	}
	if (o->jobs >= 1 && o->jobs <= MAX_JOBS && o->progress >= 1)
		return 0;
usage:
	fprintf(stderr, "usage: fuzz_verifier [--count N] [--seed S] [--jobs 1..%d] "
		"[--progress SECS] [--insn-limit L] [--verbose] [--trace]\n", MAX_JOBS);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct vfuzz_stats *shared, total;
	pid_t pids[MAX_JOBS];
	double t0 = now_s(), next;
	int j, status, running, rc = 0;
	struct opts o;

	if (parse(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	shared = mmap(NULL, sizeof(*shared) * MAX_JOBS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 2;
	memset(shared, 0, sizeof(*shared) * MAX_JOBS);
	for (j = 0; j < o.jobs; j++) {
		u64 from = o.count * (u64)j / (u64)o.jobs, to = o.count * (u64)(j + 1) / (u64)o.jobs;

		pids[j] = fork();
		if (pids[j] < 0) {
			perror("fork");
			return 2;
		}
		if (!pids[j]) {
			/* a killed parent (timeout in tests/fuzz/run.sh) takes its workers along */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(2);
			_exit(work(&o, o.seed + from, to - from, &shared[j]));
		}
	}
	running = o.jobs;
	next = t0 + o.progress;
	while (running) {
		pid_t p = waitpid(-1, &status, WNOHANG);

		if (p > 0) {
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) == 2) {
				fprintf(stderr, "fuzz_verifier: worker %d died (status %#x)\n", (int)p,
					status);
				rc = 2;
			}
			continue;
		}
		usleep(100000);
		if (now_s() >= next) {
			memset(&total, 0, sizeof(total));
			for (j = 0; j < o.jobs; j++)
				sum(&total, &shared[j]);
			print_line(stderr, "progress", &total, now_s() - t0);
			next += o.progress;
		}
	}
	memset(&total, 0, sizeof(total));
	for (j = 0; j < o.jobs; j++)
		sum(&total, &shared[j]);
	print_line(stdout, "total", &total, now_s() - t0);
	if (total.faults)
		return 1;
	return rc;
}
