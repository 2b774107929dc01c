// SPDX-License-Identifier: MIT
/*
 * JIT compile time (issue 6: proportional to program size, no fixed cost):
 * median wall time of bpffs_jit_compile + bpffs_jit_free for synthetic
 * programs of 100, 1,000 and 4,096 instructions (ALU mix, stack loads and
 * stores, forward jumps near and far, helper calls), plus the image size.
 *
 *   bench_jit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "jit/jit.h"

#define SAMPLES 201

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* A valid program of exactly @n insns, deterministic for a given @n. */
static struct bpf_insn *make_prog(u32 n)
{
	struct bpf_insn *p = calloc(n, sizeof(*p));
	u32 seed = 12345, i;

	for (i = 0; i < 10; i++)
		p[i] = BPFFS_MOV64_IMM(i == 1 ? 9 : i, (s32)i * 7 + 1);
	for (; i + 1 < n; i++) {
		u8 dst = (u8)(seed % 9 == 1 ? 0 : seed % 9), src = (u8)((seed >> 8) % 10);
		u32 room = n - 2 - i;

		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 10) {
		case 0: case 1: case 2:
			p[i] = BPFFS_ALU64_REG(BPF_ADD + ((seed >> 4) % 3) * 0x10, dst, src);
			break;
		case 3: case 4:
			p[i] = BPFFS_ALU32_IMM(BPF_XOR, dst, (s32)(seed >> 3));
			break;
		case 5:
			p[i] = BPFFS_STX_MEM(BPF_DW, BPF_REG_10, src, -8 * (s16)(1 + seed % 8));
			break;
		case 6:
			p[i] = BPFFS_ST_MEM(BPF_W, BPF_REG_10, -4 * (s16)(1 + seed % 16), 1);
			break;
		case 7:
			p[i] = BPFFS_LDX_MEM(BPF_W, dst, BPF_REG_10, -4 * (s16)(1 + seed % 16));
			break;
		case 8:
			p[i] = BPFFS_JMP_IMM(BPF_JGT, dst, (s32)(seed % 100),
					     (s16)(room ? (seed >> 5) % (seed % 4 ? (room < 8 ? room : 8) :
									  (room < 300 ? room : 300)) : 0));
			break;
		default:
			p[i] = BPFFS_ALU64_IMM(BPF_LSH, dst, (s32)(seed % 63));
			break;
		}
	}
	p[n - 1] = BPFFS_EXIT();
	for (i = 0; i < 16 && i < n; i++)		/* stack is written before read */
		p[i] = BPFFS_ST_MEM(BPF_W, BPF_REG_10, -4 * (s16)(i + 1), 0);
	for (; i < 26 && i < n; i++)
		p[i] = BPFFS_MOV64_IMM(i - 16 == 1 ? 9 : i - 16, (s32)i);
	return p;
}

int main(void)
{
	static const u32 sizes[] = { 100, 1000, 4096 };

	if (!bpffs_jit_available()) {
		printf("JIT not available\n");
		return 0;
	}
	printf("\n## JIT compile time (median of %d compiles, incl. mmap/mprotect/munmap)\n\n",
	       SAMPLES);
	printf("| BPF insns | compile us | ns per insn | native bytes | bytes per insn |\n");
	printf("|---|---|---|---|---|\n");
	for (u32 s = 0; s < BPFFS_ARRAY_SIZE(sizes); s++) {
		struct bpf_insn *insns = make_prog(sizes[s]);
		struct bpffs_prog *prog;
		u64 t[SAMPLES], start;
		size_t bytes = 0;
		char logbuf[512] = "";
		struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

		if (bpffs_insns_check(insns, sizes[s], &log) ||
		    bpffs_prog_alloc("bench", 0, insns, sizes[s], &prog)) {
			fprintf(stderr, "bad program: %s", logbuf);
			return 1;
		}
		for (int k = 0; k < SAMPLES; k++) {
			start = now_ns();
			if (bpffs_jit_compile(prog, &log)) {
				fprintf(stderr, "compile failed: %s", logbuf);
				return 1;
			}
			bytes = prog->jit_size;
			bpffs_jit_free(prog);
			t[k] = now_ns() - start;
		}
		qsort(t, SAMPLES, sizeof(t[0]), cmp_u64);
		printf("| %u | %.1f | %.0f | %zu | %.2f |\n", sizes[s], (double)t[SAMPLES / 2] / 1e3,
		       (double)t[SAMPLES / 2] / sizes[s], bytes, (double)bytes / sizes[s]);
		bpffs_prog_put(prog);
		free(insns);
	}
	return 0;
}
