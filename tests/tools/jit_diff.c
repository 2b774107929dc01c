// SPDX-License-Identifier: MIT
/*
 * Long differential run of the JIT against the interpreter (`make fuzz-jit`):
 * random valid programs from tests/unit/jit_gen.h, same inputs, any
 * difference in r0 or memory is reported with its seed and fails the run.
 *
 *   jit_diff [--count N] [--seed S] [--size N] [--blind] [--dump SEED]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_gen.h"

static void dump_seed(u64 seed, u32 size)
{
	static struct gen g;
	char buf[128];

	gen_program(&g, seed, size);
	for (u32 i = 0; i < g.cnt; i++) {
		bpffs_disasm_insn(&g.insns[i], buf, sizeof(buf));
		printf("%4u: %s\n", i, buf);
	}
}

int main(int argc, char **argv)
{
	u64 count = 100000, seed = 1, fails = 0, bad = 0, dump = 0;
	u32 size = 60;
	bool do_dump = false;
	char why[256];
	struct timespec t0, t1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = (u32)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--blind"))
			bpffs_jit_set_blinding(true);
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
			dump = strtoull(argv[++i], NULL, 0);
			do_dump = true;
		} else {
			fprintf(stderr, "usage: jit_diff [--count N] [--seed S] [--size N] "
				"[--blind] [--dump SEED]\n");
			return 2;
		}
	}
	if (do_dump) {
		dump_seed(dump, size);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (u64 k = 0; k < count; k++) {
		int r = gen_diff_one(seed + k, 1 + (u32)((seed + k) % size), why, sizeof(why));

		if (r > 0 && fails++ < 20)
			printf("DIFF %s\n", why);
		if (r < 0 && bad++ < 20)
			printf("SETUP %s\n", why);
		if ((k + 1) % 100000 == 0) {
			printf("# %llu programs, %llu differences\n", (unsigned long long)(k + 1),
			       (unsigned long long)fails);
			fflush(stdout);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu programs (seeds %llu..%llu), %llu differences, %llu setup failures, %.1f s\n",
	       (unsigned long long)count, (unsigned long long)seed,
	       (unsigned long long)(seed + count - 1), (unsigned long long)fails,
	       (unsigned long long)bad,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return fails || bad ? 1 : 0;
}
