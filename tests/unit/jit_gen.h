/* SPDX-License-Identifier: MIT */
/*
 * Random valid BPF programs for differential testing of the JIT against the
 * interpreter (header-only, shared by tests/unit/test_jit.c and the long
 * tests/tools/jit_diff.c). Programs terminate (forward jumps only), touch only
 * a 128-byte buffer at r1 and the top 64 bytes of the stack (zeroed first),
 * never write r1 or r10, and finish by dumping r0..r9 and the stack into the
 * buffer, so comparing r0 and the buffer compares the whole final state.
 * A trailing subprogram exercises BPF-to-BPF calls (callee-saved r6..r9).
 */
#ifndef BPFFS_TEST_JIT_GEN_H
#define BPFFS_TEST_JIT_GEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "jit/jit.h"

#define GEN_DATA 128		/* bytes of buffer the body may touch */
#define GEN_MEM (GEN_DATA + 80 + 64)	/* + register dump + stack dump */
#define GEN_STACK 64
#define GEN_MAX_INSNS 512

struct gen {
	u64 rng;
	struct bpf_insn insns[GEN_MAX_INSNS];
	u32 cnt;
	bool second[GEN_MAX_INSNS];	/* second slot of an LD_IMM64 */
	/* jumps to patch: insn index and chosen target (absolute) */
	u32 jmp_at[GEN_MAX_INSNS], jmp_to[GEN_MAX_INSNS], njmp;
	u32 call_at[GEN_MAX_INSNS], ncall;
	bool no_target[GEN_MAX_INSNS];	/* inside a loop: no jump may land here */
	/*
	 * Programs the Linux verifier accepts (for comparing with the kernel):
	 * stack only, aligned, no r1 (ctx) arithmetic, no unconditional jumps
	 * (no unreachable code), no local calls, no K division by 0 or shift
	 * by >= width; the final state is folded into r0.
	 */
	bool kernel;
};

static inline u64 gen_rand(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1Dull;
}

static inline u32 gen_below(struct gen *g, u32 n)
{
	return (u32)(gen_rand(g) % n);
}

static inline u64 gen_value(struct gen *g)
{
	static const u64 special[] = {
		0, 1, 2, 3, 7, 8, 31, 32, 63, 64, 0xff, 0x100, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, ~0ull, ~1ull, (u64)-10, 0xfffffffff6ull,
	};
	switch (gen_below(g, 4)) {
	case 0:
		return special[gen_below(g, BPFFS_ARRAY_SIZE(special))];
	case 1:
		return (u64)(s64)(s8)gen_rand(g);
	case 2:
		return (u64)(s64)(s32)gen_rand(g);
	default:
		return gen_rand(g);
	}
}

static inline s32 gen_imm(struct gen *g)
{
	return (s32)gen_value(g);
}

static inline void gen_emit(struct gen *g, struct bpf_insn insn)
{
	g->second[g->cnt] = false;
	g->insns[g->cnt++] = insn;
}

static inline void gen_lddw(struct gen *g, u8 dst, u64 v)
{
	struct bpf_insn two[2] = { BPFFS_LD_IMM64(dst, v) };

	gen_emit(g, two[0]);
	gen_emit(g, two[1]);
	g->second[g->cnt - 1] = true;
}

/* Registers the body may write: everything but r1 (buffer) and r10. */
static inline u8 gen_dst(struct gen *g)
{
	static const u8 regs[] = { 0, 2, 3, 4, 5, 6, 7, 8, 9 };

	return regs[gen_below(g, BPFFS_ARRAY_SIZE(regs))];
}

static inline u8 gen_src(struct gen *g)
{
	return g->kernel ? gen_dst(g) : (u8)gen_below(g, 10);
}

static inline void gen_alu(struct gen *g)
{
	static const u8 ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND,
				  BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV,
				  BPF_ARSH, BPF_END };
	u8 cls = gen_below(g, 2) ? BPF_ALU64 : BPF_ALU;
	u8 op = ops[gen_below(g, BPFFS_ARRAY_SIZE(ops))];
	u8 dst = gen_dst(g), x = gen_below(g, 2) ? BPF_X : BPF_K;
	struct bpf_insn insn = BPFFS_INSN(cls | op | x, dst, 0, 0, 0);

	if (gen_below(g, 12) == 0) {
		/* mov + add/sub of one width: the JIT fuses these into lea */
		static const u8 fuse[] = { BPF_ADD, BPF_SUB };

		gen_emit(g, BPFFS_INSN(cls | BPF_MOV | BPF_X, dst, gen_src(g), 0, 0));
		insn = BPFFS_INSN(cls | fuse[gen_below(g, 2)] | x, dst, 0, 0, 0);
		if (x == BPF_X)
			insn.src_reg = gen_src(g);
		else
			insn.imm = gen_imm(g);
		gen_emit(g, insn);
		return;
	}
	if (gen_below(g, 30) == 0) {
		gen_emit(g, BPFFS_INSN(cls | BPF_AND | BPF_K, dst, 0, 0, gen_below(g, 2) ? 0xff : 0xffff));
		return;
	}
	if (gen_below(g, 30) == 0) {
		/* the zero-extension idiom, fused by the JIT */
		if (gen_below(g, 2))
			gen_emit(g, BPFFS_MOV64_REG(dst, gen_src(g)));
		gen_emit(g, BPFFS_ALU64_IMM(BPF_LSH, dst, 32));
		gen_emit(g, BPFFS_ALU64_IMM(BPF_RSH, dst, 32));
		return;
	}

	if (x == BPF_X)
		insn.src_reg = gen_src(g);
	else
		insn.imm = gen_imm(g);
	switch (op) {
	case BPF_NEG:
		insn = BPFFS_INSN(cls | op | BPF_K, dst, 0, 0, 0);
		break;
	case BPF_DIV: case BPF_MOD:
		insn.off = gen_below(g, 2);			/* sdiv / smod */
		if (x == BPF_K && gen_below(g, 3) == 0)
			insn.imm = (s32)gen_below(g, 20) - 3;	/* small, 0 and -1 */
		break;
	case BPF_MOV:
		if (x == BPF_X && gen_below(g, 3) == 0) {
			static const s16 sx[] = { 8, 16, 32 };

			insn.off = sx[gen_below(g, cls == BPF_ALU64 ? 3 : 2)];
		}
		break;
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		if (x == BPF_K && gen_below(g, 2))
			insn.imm = (s32)gen_below(g, 64);
		break;
	case BPF_END: {
		static const s32 w[] = { 16, 32, 64 };

		/* ALU64 END is the unconditional bswap (src bit must be 0) */
		insn = BPFFS_INSN(cls | op | (cls == BPF_ALU ? x : 0), dst, 0, 0, w[gen_below(g, 3)]);
		break;
	}
	}
	if (g->kernel && BPF_SRC(insn.code) == BPF_K) {
		if ((op == BPF_DIV || op == BPF_MOD) && insn.imm == 0)
			insn.imm = 1;
		/*
		 * Linux 6.x's verifier folds a constant 64-bit unsigned div/mod by
		 * a negative imm differently from its JIT (which sign-extends, as
		 * the RFC says) and then prunes branches wrongly: keep imm positive.
		 */
		if ((op == BPF_DIV || op == BPF_MOD) && cls == BPF_ALU64 && !insn.off &&
		    insn.imm < 0)
			insn.imm = insn.imm == INT32_MIN ? 7 : -insn.imm;
		if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
			insn.imm &= cls == BPF_ALU64 ? 63 : 31;
	}
	gen_emit(g, insn);
}

/* A memory operand: base r1 in [0, GEN_DATA) or r10 in [-GEN_STACK, 0). */
static inline void gen_addr(struct gen *g, u32 size, bool aligned, u8 *base, s16 *off)
{
	u32 span, o;

	if (g->kernel)
		aligned = true;		/* Linux requires aligned stack access */
	if (!g->kernel && gen_below(g, 2)) {
		*base = 1;
		span = GEN_DATA - size + 1;
		o = gen_below(g, span);
		if (aligned)
			o &= ~(size - 1);
		*off = (s16)o;
	} else {
		*base = 10;
		span = GEN_STACK - size + 1;
		o = gen_below(g, span);
		if (aligned)
			o &= ~(size - 1);
		*off = (s16)(o - GEN_STACK);
	}
}

static inline void gen_mem(struct gen *g)
{
	static const u8 sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
	static const u8 bytes[] = { 1, 2, 4, 8 };
	u32 k = gen_below(g, 4);
	u8 base;
	s16 off;

	gen_addr(g, bytes[k], false, &base, &off);
	switch (gen_below(g, 4)) {
	case 0:
		gen_emit(g, BPFFS_INSN(BPF_LDX | BPF_MEM | sizes[k], gen_dst(g), base, off, 0));
		break;
	case 1:
		if (k == 3)
			k = gen_below(g, 3);
		gen_addr(g, bytes[k], false, &base, &off);
		gen_emit(g, BPFFS_INSN(BPF_LDX | BPF_MEMSX | sizes[k], gen_dst(g), base, off, 0));
		break;
	case 2:
		gen_emit(g, BPFFS_INSN(BPF_ST | BPF_MEM | sizes[k], base, 0, off, gen_imm(g)));
		break;
	default:
		gen_emit(g, BPFFS_INSN(BPF_STX | BPF_MEM | sizes[k], base, gen_src(g), off, 0));
		break;
	}
}

static inline void gen_atomic(struct gen *g)
{
	static const s32 ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR,
				   BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
				   BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG,
				   BPF_CMPXCHG };
	bool dw = gen_below(g, 2);
	u8 base;
	s16 off;

	/*
	 * Kernel mode: no fetching atomics. Found with this generator on Linux
	 * 6.18: its x86-64 JIT leaves r0's upper half in place when a 32-bit
	 * cmpxchg succeeds (the RFC and the corpus zero-extend), and its
	 * verifier prunes a feasible branch that depends on a value fetched by
	 * an atomic from the stack (then hard-wires the branch wrongly).
	 */
	s32 op = ops[gen_below(g, g->kernel ? 4 : BPFFS_ARRAY_SIZE(ops))];

	gen_addr(g, dw ? 8 : 4, true, &base, &off);
	gen_emit(g, BPFFS_INSN(BPF_STX | BPF_ATOMIC | (dw ? BPF_DW : BPF_W), base, gen_dst(g),
			       off, op));
}

static inline void gen_jump(struct gen *g)
{
	static const u8 ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				  BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };
	u32 kind = gen_below(g, 12);
	struct bpf_insn insn;

	if (g->kernel && kind < 2)
		kind = 2;		/* no unreachable code for Linux */
	if (kind == 0)
		insn = BPFFS_JA(0);
	else if (kind == 1)
		insn = BPFFS_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 0);	/* gotol */
	else {
		u8 cls = gen_below(g, 2) ? BPF_JMP : BPF_JMP32;
		u8 op = ops[gen_below(g, BPFFS_ARRAY_SIZE(ops))];

		if (gen_below(g, 2))
			insn = BPFFS_INSN(cls | op | BPF_X, gen_src(g), gen_src(g), 0, 0);
		else
			insn = BPFFS_INSN(cls | op | BPF_K, gen_src(g), 0, 0,
					  gen_below(g, 3) ? (s32)gen_value(g) : (s32)gen_below(g, 4));
	}
	if (!g->kernel && kind >= 2 && gen_below(g, 6) == 0) {
		/* `if cond goto +1; goto X`, fused by the JIT into one inverted jump */
		insn.off = 1;
		gen_emit(g, insn);
		insn = BPFFS_JA(0);
	}
	g->jmp_at[g->njmp++] = g->cnt;
	gen_emit(g, insn);
}

/*
 * A bounded loop (a backward jump): counter = 1..4 in a register the body
 * does not write, 1-40 ALU ops, decrement, jne back. Nothing jumps into it.
 */
static inline void gen_loop(struct gen *g, u32 budget)
{
	u8 ctr = gen_dst(g);
	u32 n = 1 + gen_below(g, 40), head;

	if (g->cnt + n + 4 >= budget)
		return;
	gen_emit(g, BPFFS_MOV64_IMM(ctr, 1 + (s32)gen_below(g, 4)));
	head = g->cnt;
	for (u32 k = 0; k < n; k++) {
		u32 first = g->cnt;

		gen_alu(g);
		for (u32 j = first; j < g->cnt; j++) {
			if (g->insns[j].dst_reg == ctr)
				g->insns[j].dst_reg = ctr == 0 ? 2 : 0;
			g->no_target[j] = true;
		}
	}
	gen_emit(g, BPFFS_ALU64_IMM(BPF_SUB, ctr, 1));
	g->no_target[g->cnt - 1] = true;
	gen_emit(g, BPFFS_JMP_IMM(BPF_JNE, ctr, 0, (s16)(head - g->cnt - 1)));
	g->no_target[g->cnt - 1] = true;
}

/* Random body of @n items; @in_sub: ALU and jumps only (the callee). */
static inline void gen_body(struct gen *g, u32 n, bool in_sub, u32 sub_budget)
{
	for (u32 k = 0; k < n && g->cnt + 4 < sub_budget; k++) {
		u32 r = gen_below(g, 100);

		if (r < 60 || (in_sub && r < 80))
			gen_alu(g);
		else if (r < 80)
			gen_jump(g);
		else if (in_sub)
			gen_lddw(g, gen_dst(g), gen_value(g));
		else if (r < 90)
			gen_mem(g);
		else if (r < 95)
			gen_atomic(g);
		else if (r < 96)
			gen_lddw(g, gen_dst(g), gen_value(g));
		else if (r < 97)
			gen_loop(g, sub_budget);
		else if (!g->kernel) {
			g->call_at[g->ncall++] = g->cnt;
			gen_emit(g, BPFFS_CALL_LOCAL(0));
		}
	}
}

/* Point each jump at a random later insn in [from, limit] (not a 2nd slot). */
static inline void gen_patch_jumps(struct gen *g, u32 first_jmp, u32 limit)
{
	for (u32 j = first_jmp; j < g->njmp; j++) {
		u32 at = g->jmp_at[j], t;

		/* mostly short hops, so most of the body still runs */
		do
			t = at + 1 + gen_below(g, gen_below(g, 2) && limit - at > 8 ? 8 : limit - at);
		while (t < limit && (g->second[t] || g->no_target[t]));
		if (g->insns[at].code == (BPF_JMP32 | BPF_JA))
			g->insns[at].imm = (s32)(t - at - 1);
		else
			g->insns[at].off = (s16)(t - at - 1);
	}
}

/* Kernel mode: fold r0, r2..r9 and the stack into r0, then exit. */
static inline void gen_fold_exit(struct gen *g)
{
	for (u8 r = 2; r <= 9 + GEN_STACK / 8; r++) {
		u8 src = r <= 9 ? r : 2;

		if (r > 9)
			gen_emit(g, BPFFS_LDX_MEM(BPF_DW, 2, 10, (s16)(-8 * (r - 9))));
		gen_emit(g, BPFFS_ALU64_IMM(BPF_MUL, 0, (s32)0x9E3779B1));
		gen_emit(g, BPFFS_ALU64_REG(BPF_XOR, 0, src));
		gen_emit(g, BPFFS_MOV64_REG(3, 0));
		gen_emit(g, BPFFS_ALU64_IMM(BPF_RSH, 3, 29));
		gen_emit(g, BPFFS_ALU64_REG(BPF_XOR, 0, 3));
	}
	gen_emit(g, BPFFS_MOV64_REG(2, 0));
	gen_emit(g, BPFFS_ALU64_IMM(BPF_RSH, 2, 32));
	gen_emit(g, BPFFS_ALU64_REG(BPF_XOR, 0, 2));
	gen_emit(g, BPFFS_EXIT());
}

/* Build one program of about @n body items. */
static inline void gen_program_mode(struct gen *g, u64 seed, u32 n, bool kernel)
{
	u32 epi, sub, jsub;

	memset(g, 0, sizeof(*g));
	g->kernel = kernel;
	g->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	for (u8 r = 0; r <= 9; r++)
		if (r != 1)
			gen_lddw(g, r, gen_value(g));
	for (int k = 1; k <= GEN_STACK / 8; k++)
		gen_emit(g, BPFFS_ST_MEM(BPF_DW, 10, (s16)(-8 * k), 0));
	gen_body(g, n, false, GEN_MAX_INSNS - 120);
	epi = g->cnt;
	gen_patch_jumps(g, 0, epi);
	if (kernel) {
		gen_fold_exit(g);
		return;
	}
	for (u8 r = 0; r <= 9; r++)
		gen_emit(g, BPFFS_STX_MEM(BPF_DW, 1, r, (s16)(GEN_DATA + 8 * r)));
	for (int k = 0; k < GEN_STACK / 8; k++) {
		gen_emit(g, BPFFS_LDX_MEM(BPF_DW, 0, 10, (s16)(-GEN_STACK + 8 * k)));
		gen_emit(g, BPFFS_STX_MEM(BPF_DW, 1, 0, (s16)(GEN_DATA + 80 + 8 * k)));
	}
	gen_emit(g, BPFFS_LDX_MEM(BPF_DW, 0, 1, GEN_DATA));
	gen_emit(g, BPFFS_EXIT());
	/* the callee: ALU and forward jumps, then exit */
	sub = g->cnt;
	jsub = g->njmp;
	gen_body(g, 1 + gen_below(g, 24), true, GEN_MAX_INSNS - 2);
	gen_patch_jumps(g, jsub, g->cnt);
	gen_emit(g, BPFFS_EXIT());
	for (u32 k = 0; k < g->ncall; k++)
		g->insns[g->call_at[k]].imm = (s32)(sub - g->call_at[k] - 1);
}

static inline void gen_program(struct gen *g, u64 seed, u32 n)
{
	gen_program_mode(g, seed, n, false);
}

/*
 * Generate program @seed, run it on the interpreter and on the JIT with the
 * same buffer, compare r0 and the buffer. Returns 0 when equal, 1 on a
 * difference (described in @why), -1 when the program could not be set up.
 */
static inline int gen_diff_one(u64 seed, u32 n, char *why, size_t why_len)
{
	static struct gen g;
	static u8 init[GEN_MEM], mem[GEN_MEM], after_interp[GEN_MEM];
	struct bpffs_prog *prog = NULL;
	u64 r_interp, r_jit;
	int ret = -1;

	gen_program(&g, seed, n);
	for (u32 k = 0; k < GEN_MEM; k++)
		init[k] = (u8)(gen_rand(&g) >> 13);
	if (bpffs_insns_check(g.insns, g.cnt, NULL)) {
		snprintf(why, why_len, "seed %llu: generator made an invalid program",
			 (unsigned long long)seed);
		return -1;
	}
	if (bpffs_prog_alloc("diff", 0, g.insns, g.cnt, &prog))
		return -1;
	prog->runtime = BPFFS_RUNTIME_JIT;
	if (bpffs_prog_prepare(prog, NULL) || !prog->jited) {
		snprintf(why, why_len, "seed %llu: prepare/JIT failed", (unsigned long long)seed);
		goto out;
	}
	memcpy(mem, init, GEN_MEM);
	r_interp = bpffs_interp_run(prog, (u64)(uintptr_t)mem, GEN_MEM, NULL);
	memcpy(after_interp, mem, GEN_MEM);
	memcpy(mem, init, GEN_MEM);
	r_jit = bpffs_jit_run(prog, (u64)(uintptr_t)mem, GEN_MEM, NULL);
	ret = 0;
	if (r_interp != r_jit) {
		snprintf(why, why_len, "seed %llu: r0 interp 0x%llx jit 0x%llx",
			 (unsigned long long)seed, (unsigned long long)r_interp,
			 (unsigned long long)r_jit);
		ret = 1;
	} else if (memcmp(mem, after_interp, GEN_MEM)) {
		u32 k = 0;

		while (mem[k] == after_interp[k])
			k++;
		snprintf(why, why_len, "seed %llu: memory differs at byte %u (%s)",
			 (unsigned long long)seed, k,
			 k < GEN_DATA ? "buffer" : k < GEN_DATA + 80 ? "register dump" : "stack");
		ret = 1;
	}
out:
	bpffs_prog_put(prog);
	return ret;
}

#endif /* BPFFS_TEST_JIT_GEN_H */
