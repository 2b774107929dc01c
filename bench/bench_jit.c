// SPDX-License-Identifier: MIT
/*
 * JIT compile time (issue 6: proportional to program size, no fixed cost):
 * median wall time of bpffs_jit_compile + bpffs_jit_free for synthetic
 * programs of 100, 1,000 and 4,096 instructions (ALU mix, stack loads and
 * stores, forward jumps near and far), plus the image size. Then two
 * call-heavy programs, interpreter against JIT: a map-lookup loop (1,000
 * bpf_map_lookup_elem on an array) and a chain of 33 tail calls.
 *
 *   bench_jit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "jit/jit.h"
#include "maps/maps.h"

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

/* Median ns per run of @prog in its current runtime (@reps runs per sample). */
static double run_ns(const struct bpffs_prog *prog, u64 r1, u64 reps, u64 *result)
{
	u64 t[31], start;

	for (int k = 0; k < 31; k++) {
		start = now_ns();
		for (u64 r = 0; r < reps; r++)
			*result = bpffs_prog_run(prog, r1, 0, NULL);
		t[k] = now_ns() - start;
	}
	qsort(t, 31, sizeof(t[0]), cmp_u64);
	return (double)t[15] / (double)reps;
}

/* @state (may be NULL) is zeroed before the one run whose result is compared. */
static void bench_row(const char *name, struct bpffs_prog *prog, u64 r1, u64 reps, u64 *state)
{
	u64 ri = 0, rj = 0;
	double ti, tj;

	prog->runtime = BPFFS_RUNTIME_INTERP;
	ti = run_ns(prog, r1, reps, &ri);
	if (state)
		*state = 0;
	ri = bpffs_prog_run(prog, r1, 0, NULL);
	prog->runtime = BPFFS_RUNTIME_JIT;
	tj = prog->jited ? run_ns(prog, r1, reps, &rj) : 0;
	if (state)
		*state = 0;
	rj = bpffs_prog_run(prog, r1, 0, NULL);
	printf("| %s | %.0f | %.0f | %.1fx |%s\n", name, ti, tj, tj ? ti / tj : 0,
	       ri == rj ? "" : " RESULT MISMATCH");
}

static struct bpffs_prog *load(const struct bpf_insn *insns, u32 cnt, struct bpffs_map *map)
{
	struct bpffs_prog *prog;

	if (bpffs_prog_alloc("bench", 0, insns, cnt, &prog))
		return NULL;
	prog->maps = calloc(1, sizeof(*prog->maps));
	bpffs_map_get(map);
	prog->maps[0] = map;
	prog->map_cnt = 1;
	if (bpffs_prog_prepare(prog, NULL) || !prog->jited) {
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

static void bench_calls(void)
{
	struct bpffs_map_attr aa = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				     .value_size = 8, .max_entries = 16, .name = "arr" };
	struct bpffs_map_attr pa = { .map_type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
				     .value_size = 4, .max_entries = 1, .name = "jmp" };
	/* for (i = 0; i < 1000; i++) sum += *lookup(arr, i & 15) */
	const struct bpf_insn lookup_loop[] = {
		BPFFS_MOV64_IMM(BPF_REG_6, 0), BPFFS_MOV64_IMM(BPF_REG_7, 0),
		BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_6), BPFFS_ALU64_IMM(BPF_AND, BPF_REG_1, 15),
		BPFFS_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_1, -4),
		BPFFS_LD_IMM64_RAW(BPF_REG_1, BPF_PSEUDO_MAP_IDX, 0),
		BPFFS_MOV64_REG(BPF_REG_2, BPF_REG_10), BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
		BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		BPFFS_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_0, 0),
		BPFFS_ALU64_REG(BPF_ADD, BPF_REG_7, BPF_REG_0),
		BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_6, 1),
		BPFFS_JMP_IMM(BPF_JLT, BPF_REG_6, 1000, -13),
		BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_7), BPFFS_EXIT(),
	};
	/* *(u64 *)ctx += 1; tail_call(ctx, jmp, 0) (itself); return *ctx */
	const struct bpf_insn chain[] = {
		BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1), BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_6, 0),
		BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_0, 1), BPFFS_STX_MEM(BPF_DW, BPF_REG_6, BPF_REG_0, 0),
		BPFFS_LD_IMM64_RAW(BPF_REG_2, BPF_PSEUDO_MAP_IDX, 0), BPFFS_MOV64_IMM(BPF_REG_3, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_tail_call), BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_6, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_map *arr = NULL, *jmp = NULL;
	struct bpffs_prog *p;
	u64 ctx = 0;

	if (bpffs_map_create(&aa, NULL, &arr) || bpffs_map_create(&pa, NULL, &jmp))
		return;
	for (u32 k = 0; k < 16; k++) {
		u64 v = k * 3;

		bpffs_map_update_elem(arr, &k, &v, 0);
	}
	printf("\n## Call-heavy programs (median ns per run)\n\n");
	printf("| program | interp ns | JIT ns | interp/JIT |\n|---|---|---|---|\n");
	p = load(lookup_loop, BPFFS_ARRAY_SIZE(lookup_loop), arr);
	if (p) {
		bench_row("map-lookup loop (1000 lookups)", p, 0, 200, NULL);
		bpffs_prog_put(p);
	}
	p = load(chain, BPFFS_ARRAY_SIZE(chain), jmp);
	if (p) {
		u32 key = 0;

		bpffs_prog_array_update(jmp, key, p);
		bench_row("tail-call chain (1 + 33 programs)", p, (u64)(uintptr_t)&ctx, 2000, &ctx);
		bpffs_prog_array_update(jmp, key, NULL);
		bpffs_prog_put(p);
	}
	bpffs_map_put(arr);
	bpffs_map_put(jmp);
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
	bench_calls();
	return 0;
}
