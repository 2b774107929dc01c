// SPDX-License-Identifier: MIT
/*
 * Differential run of our JIT and interpreter against the running kernel
 * (root only): random verifier-friendly programs as socket filters, run
 * once with BPF_PROG_TEST_RUN each; reports differences and how many the
 * kernel's verifier refused.
 *
 *   jit_kernel_diff [--count N] [--seed S] [--size N] [--dump SEED]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_kernel.h"

int main(int argc, char **argv)
{
	u64 count = 10000, seed = 1, diffs = 0, rejected = 0, bad = 0;
	u32 size = 60;
	char why[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = (u32)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
			static struct gen g;
			char buf[128];

			gen_program_mode(&g, strtoull(argv[++i], NULL, 0), size, true);
			for (u32 k = 0; k < g.cnt; k++) {
				bpffs_disasm_insn(&g.insns[k], buf, sizeof(buf));
				printf("%4u: %s\n", k, buf);
			}
			return 0;
		} else {
			fprintf(stderr, "usage: jit_kernel_diff [--count N] [--seed S] [--size N] "
				"[--dump SEED]\n");
			return 2;
		}
	}
	if (!jitk_available()) {
		printf("kernel BPF unavailable (need root and BPF_PROG_TEST_RUN): skipped\n");
		return 0;
	}
	for (u64 k = 0; k < count; k++) {
		int r = jitk_diff_one(seed + k, 1 + (u32)((seed + k) % size), why, sizeof(why));

		if (r == 1 && diffs++ < 20)
			printf("DIFF %s\n", why);
		if (r == 2 && rejected++ < 5)
			printf("REJECTED %s\n", why);
		if (r < 0 && bad++ < 5)
			printf("SETUP %s\n", why);
	}
	printf("%llu programs (seeds %llu..%llu): %llu differences, %llu rejected by the kernel, "
	       "%llu setup failures\n", (unsigned long long)count, (unsigned long long)seed,
	       (unsigned long long)(seed + count - 1), (unsigned long long)diffs,
	       (unsigned long long)rejected, (unsigned long long)bad);
	return diffs || bad ? 1 : 0;
}
