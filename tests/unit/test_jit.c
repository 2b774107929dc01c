// SPDX-License-Identifier: MIT
/*
 * Unit tests of the x86-64 JIT: the encodings it picks (short jumps,
 * shortest immediates, no redundant zero-extension), the ISA edge cases that
 * x86 gets wrong by default (#DE on division, 16-bit ops and cmpxchg32 not
 * zero-extending), calls of every kind, LD_ABS/LD_IND, map pseudo loads,
 * W^X, constant blinding, the disassembly, and a short differential run
 * against the interpreter (the long one is `make fuzz-jit`).
 * Every program here runs on both the interpreter and the JIT, which must agree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jit_gen.h"
#include "core/core.h"
#include "jit/jit.h"
#include "maps/maps.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define R10 BPF_REG_10

static char last_log[4096];

/* Load and JIT-compile; NULL (and a failed test) when either step fails. */
static struct bpffs_prog *jit_load(const struct bpf_insn *insns, u32 cnt, struct bpffs_map **maps,
				   u32 map_cnt)
{
	struct bpffs_vlog log = { .level = 1, .buf = last_log, .size = sizeof(last_log) };
	struct bpffs_prog *prog;

	last_log[0] = 0;
	if (bpffs_insns_check(insns, cnt, &log) || bpffs_prog_alloc("t", 0, insns, cnt, &prog)) {
		printf("# check failed: %s", last_log);
		harness_cur_failed = 1;
		return NULL;
	}
	if (map_cnt) {
		prog->maps = calloc(map_cnt, sizeof(*prog->maps));
		for (u32 i = 0; i < map_cnt; i++) {
			bpffs_map_get(maps[i]);
			prog->maps[i] = maps[i];
		}
		prog->map_cnt = map_cnt;
	}
	prog->runtime = BPFFS_RUNTIME_JIT;
	if (bpffs_prog_prepare(prog, &log) || !prog->jited) {
		bpffs_jit_compile(prog, &log);
		printf("# JIT failed: %s", last_log);
		harness_cur_failed = 1;
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

/* Run on the interpreter and the JIT with the same inputs; returns the JIT's r0. */
static u64 run_both(const struct bpffs_prog *prog, void *mem, u64 len,
		    const struct bpffs_run_ctx *rc_tmpl)
{
	u8 copy[512], after[512];
	struct bpffs_run_ctx rc;
	u64 ri, rj;

	if (len)
		memcpy(copy, mem, len);
	rc = *rc_tmpl;
	ri = bpffs_interp_run(prog, (u64)(uintptr_t)mem, len, &rc);
	if (len) {
		memcpy(after, mem, len);
		memcpy(mem, copy, len);
	}
	rc = *rc_tmpl;
	rj = bpffs_jit_run(prog, (u64)(uintptr_t)mem, len, &rc);
	CHECK_EQ(ri, rj);
	if (len)
		CHECK(!memcmp(after, mem, len));
	return rj;
}

static u64 run_mem(const struct bpf_insn *insns, u32 cnt, void *mem, u64 len)
{
	struct bpffs_run_ctx rc = { 0 };
	struct bpffs_prog *prog = jit_load(insns, cnt, NULL, 0);
	u64 r;

	if (!prog)
		return 0xbadbadbad;
	r = run_both(prog, mem, len, &rc);
	bpffs_prog_put(prog);
	return r;
}

#define RUN(...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
		    run_mem(p_, BPFFS_ARRAY_SIZE(p_), NULL, 0); })
#define RUN_MEM(mem, ...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
			     run_mem(p_, BPFFS_ARRAY_SIZE(p_), mem, sizeof(mem)); })
#define LOAD(...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
		     jit_load(p_, BPFFS_ARRAY_SIZE(p_), NULL, 0); })

/* Native bytes of insn @i (up to the next insn's start). */
static const u8 *insn_code(const struct bpffs_prog *prog, u32 i, u32 *len)
{
	*len = prog->jit_offsets[i + 1] - prog->jit_offsets[i];
	return (const u8 *)prog->jit_image + prog->jit_offsets[i];
}

static bool code_is(const struct bpffs_prog *prog, u32 i, const u8 *bytes, u32 n)
{
	u32 len;
	const u8 *code = insn_code(prog, i, &len);

	if (len != n || (n && memcmp(code, bytes, n))) {
		printf("# insn %u: got", i);
		for (u32 k = 0; k < len; k++)
			printf(" %02x", code[k]);
		printf("\n");
		return false;
	}
	return true;
}

static void test_encoding(void)
{
	struct bpffs_prog *prog;

	TEST("ALU encodings use imm8 forms, 32-bit ops and no extra zero-extension") {
		prog = LOAD(BPFFS_MOV64_IMM(R0, 1), BPFFS_ALU64_IMM(BPF_ADD, R0, 5),
			    BPFFS_ALU32_IMM(BPF_ADD, R0, 1000), BPFFS_ALU64_REG(BPF_ADD, R0, R1),
			    BPFFS_MOV32_IMM(R6, 0), BPFFS_ALU64_IMM(BPF_MOV, R0, -1), BPFFS_EXIT());
		if (prog) {
			CHECK(code_is(prog, 0, (const u8[]){ 0xb8, 1, 0, 0, 0 }, 5));
			CHECK(code_is(prog, 1, (const u8[]){ 0x48, 0x83, 0xc0, 5 }, 4));
			CHECK(code_is(prog, 2, (const u8[]){ 0x05, 0xe8, 0x03, 0, 0 }, 5));
			CHECK(code_is(prog, 3, (const u8[]){ 0x48, 0x01, 0xf8 }, 3));
			CHECK(code_is(prog, 4, (const u8[]){ 0x31, 0xdb }, 2));
			CHECK(code_is(prog, 5, (const u8[]){ 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff }, 7));
			bpffs_prog_put(prog);
		}
	}
	TEST("a short forward jump is 2 bytes, a long one 6, a jump to the next insn nothing") {
		struct bpf_insn p[300];
		u32 n = 0;

		p[n++] = BPFFS_MOV64_IMM(R0, 0);
		p[n++] = BPFFS_JMP_IMM(BPF_JEQ, R1, 0, 1);		/* short */
		p[n++] = BPFFS_MOV64_IMM(R0, 1);
		p[n++] = BPFFS_JMP_IMM(BPF_JEQ, R1, 7, 0);		/* to next: elided */
		p[n++] = BPFFS_JMP_IMM(BPF_JEQ, R1, 9, 200);		/* long */
		for (int k = 0; k < 200; k++)
			p[n++] = BPFFS_ALU64_IMM(BPF_ADD, R0, 1);
		p[n++] = BPFFS_EXIT();
		prog = jit_load(p, n, NULL, 0);
		if (prog) {
			CHECK(code_is(prog, 1, (const u8[]){ 0x48, 0x85, 0xff, 0x74, 0x05 }, 5));
			CHECK(code_is(prog, 3, NULL, 0));
			CHECK(code_is(prog, 4, (const u8[]){ 0x48, 0x83, 0xff, 0x09, 0x0f, 0x84,
							     0x20, 3, 0, 0 }, 10));
			CHECK_EQ(run_both(prog, NULL, 0, &(struct bpffs_run_ctx){ 0 }), 200);
			bpffs_prog_put(prog);
		}
	}
	TEST("a program without r6-r9 or r10 has no prologue and returns with a bare ret") {
		prog = LOAD(BPFFS_MOV64_REG(R0, R1), BPFFS_EXIT());
		if (prog) {
			CHECK_EQ(prog->jit_offsets[0], 0);
			CHECK(code_is(prog, 0, (const u8[]){ 0x48, 0x89, 0xf8 }, 3));
			CHECK_EQ(((const u8 *)prog->jit_image)[prog->jit_size - 1], 0xc3);
			CHECK_EQ(prog->jit_size, 4);
			bpffs_prog_put(prog);
		}
	}
	TEST("the image is mapped read+exec, not writable") {
		prog = LOAD(BPFFS_MOV64_IMM(R0, 7), BPFFS_EXIT());
		if (prog) {
			FILE *f = fopen("/proc/self/maps", "r");
			char line[256], perms[8] = "";
			unsigned long lo, hi, a = (unsigned long)prog->jit_image;

			while (f && fgets(line, sizeof(line), f))
				if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
					break;
			if (f)
				fclose(f);
			CHECK_STR_CONTAINS(perms, "r-x");
			bpffs_prog_put(prog);
		}
	}
}

static void test_alu(void)
{
	TEST("division and modulo by zero, by register and by immediate") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 9), BPFFS_MOV64_IMM(R1, 0),
			     BPFFS_ALU64_REG(BPF_DIV, R0, R1), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x100000009ull), BPFFS_MOV64_IMM(R3, 0),
			     BPFFS_ALU32_REG(BPF_MOD, R0, R3), BPFFS_EXIT()), 9);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R3, 0x100000009ull), BPFFS_LD_IMM64(R0, 0x100000000ull),
			     BPFFS_ALU32_REG(BPF_DIV, R3, R0), BPFFS_MOV64_REG(R0, R3), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -7), BPFFS_ALU64_IMM(BPF_MOD, R0, 0), BPFFS_EXIT()),
			 (u64)-7);
	}
	TEST("signed division INT_MIN / -1 and INT_MIN % -1 do not trap") {
		struct bpf_insn sdiv = BPFFS_ALU64_REG(BPF_DIV, R0, R2), smod32 = BPFFS_ALU32_REG(BPF_MOD, R0, R2);

		sdiv.off = 1;
		smod32.off = 1;
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x8000000000000000ull), BPFFS_MOV64_IMM(R2, -1), sdiv,
			     BPFFS_EXIT()), 0x8000000000000000ull);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R0, (s32)0x80000000), BPFFS_MOV64_IMM(R2, -1), smod32,
			     BPFFS_EXIT()), 0);
		sdiv.src_reg = R0;
		sdiv.dst_reg = R3;
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R3, -13), BPFFS_MOV64_IMM(R0, 4), sdiv,
			     BPFFS_MOV64_REG(R0, R3), BPFFS_EXIT()), (u64)-3);
	}
	TEST("division keeps r0 and r3 (rax, rdx) when they are not the destination") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 5), BPFFS_MOV64_IMM(R3, 6), BPFFS_MOV64_IMM(R6, 100),
			     BPFFS_MOV64_IMM(R7, 7), BPFFS_ALU64_REG(BPF_DIV, R6, R7),
			     BPFFS_ALU64_REG(BPF_MUL, R0, R3), BPFFS_ALU64_REG(BPF_ADD, R0, R6),
			     BPFFS_EXIT()), 44);
	}
	TEST("unsigned 32-bit division by constants matches for edge dividends") {
		static const s32 divs[] = { 3, 7, 10, 641, 1000000007, -1, -7, 0x40000000 };
		static const u64 vals[] = { 0, 1, 0xffffffff, 0xfffffffe, 0x80000000, 12345678,
					    0x1234567890ull };

		for (u32 d = 0; d < BPFFS_ARRAY_SIZE(divs); d++)
			for (u32 v = 0; v < BPFFS_ARRAY_SIZE(vals); v++) {
				u32 x = (u32)vals[v], dv = (u32)divs[d];

				CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, vals[v]),
					     BPFFS_ALU32_IMM(BPF_DIV, R0, divs[d]), BPFFS_EXIT()), x / dv);
				CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, vals[v]),
					     BPFFS_ALU32_IMM(BPF_MOD, R0, divs[d]), BPFFS_EXIT()), x % dv);
			}
	}
	TEST("unsigned 64-bit division by constants (multiply-high) matches for edge dividends") {
		static const s32 divs[] = { 3, 5, 7, 10, 641, 1000003, 0x7fffffff, -1, -7, INT32_MIN };
		static const u64 vals[] = { 0, 1, 2, ~0ull, ~0ull - 1, 0x8000000000000000ull,
					    0x7fffffffffffffffull, 1000002, 1000003, 0xfffffffffff0bdc1ull,
					    0x123456789abcdef0ull };

		for (u32 d = 0; d < BPFFS_ARRAY_SIZE(divs); d++)
			for (u32 v = 0; v < BPFFS_ARRAY_SIZE(vals); v++) {
				u64 dv = (u64)(s64)divs[d];

				CHECK_EQ(RUN(BPFFS_LD_IMM64(R3, vals[v]),
					     BPFFS_ALU64_IMM(BPF_DIV, R3, divs[d]),
					     BPFFS_MOV64_REG(R0, R3), BPFFS_EXIT()), vals[v] / dv);
				CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, vals[v]), BPFFS_MOV64_IMM(R3, 77),
					     BPFFS_ALU64_IMM(BPF_MOD, R0, divs[d]),
					     BPFFS_ALU64_REG(BPF_XOR, R0, R3), BPFFS_EXIT()),
					 (vals[v] % dv) ^ 77);
			}
	}
	TEST("the loop idioms fuse: jcc +1 over ja, lsh/rsh 32 zero-extension, mov+add lea") {
		struct bpffs_prog *prog = LOAD(BPFFS_MOV64_IMM(R0, 0), BPFFS_MOV64_IMM(R2, 5),
					       BPFFS_ALU64_IMM(BPF_ADD, R0, 3),
					       BPFFS_ALU64_IMM(BPF_SUB, R2, 1),
					       BPFFS_MOV64_REG(R4, R2), BPFFS_ALU64_IMM(BPF_LSH, R4, 32),
					       BPFFS_ALU64_IMM(BPF_RSH, R4, 32),
					       BPFFS_JMP_IMM(BPF_JEQ, R4, 0, 1), BPFFS_JA(-7),
					       BPFFS_MOV64_REG(R5, R0), BPFFS_ALU64_IMM(BPF_ADD, R5, 100),
					       BPFFS_ALU64_REG(BPF_ADD, R0, R5), BPFFS_EXIT());

		if (prog) {
			CHECK_EQ(run_both(prog, NULL, 0, &(struct bpffs_run_ctx){ 0 }), 15 + 115);
			/* mov ecx, esi */
			CHECK(code_is(prog, 4, (const u8[]){ 0x89, 0xf1 }, 2));
			/* test rcx, rcx; jne back (short) */
			CHECK(code_is(prog, 7, (const u8[]){ 0x48, 0x85, 0xc9, 0x75, 0xf1 }, 5));
			/* lea r8, [rax + 0x64] */
			CHECK(code_is(prog, 9, (const u8[]){ 0x4c, 0x8d, 0x40, 0x64 }, 4));
			bpffs_prog_put(prog);
		}
	}
	TEST("shifts by a register go through cl, also when the destination is r4 (rcx)") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R4, 3), BPFFS_MOV64_IMM(R2, 2),
			     BPFFS_ALU64_REG(BPF_LSH, R4, R2), BPFFS_MOV64_REG(R0, R4), BPFFS_EXIT()), 12);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R4, 5), BPFFS_MOV64_IMM(R2, 1),
			     BPFFS_ALU64_REG(BPF_LSH, R2, R4), BPFFS_ALU64_REG(BPF_ADD, R2, R4),
			     BPFFS_MOV64_REG(R0, R2), BPFFS_EXIT()), 37);
		/* a 32-bit shift by a count that masks to 0 still zero-extends */
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_MOV64_IMM(R2, 32),
			     BPFFS_ALU32_REG(BPF_LSH, R0, R2), BPFFS_EXIT()), 0xffffffffull);
	}
	TEST("16-bit byte swaps zero-extend; le32 truncates") {
		struct bpf_insn be16 = BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 0, 16);
		struct bpf_insn le32 = BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_LE, R0, 0, 0, 32);
		struct bpf_insn bswap16 = BPFFS_INSN(BPF_ALU64 | BPF_END, R0, 0, 0, 16);

		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull), be16, BPFFS_EXIT()), 0x8877);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull), le32, BPFFS_EXIT()),
			 0x55667788);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x11223344556677ffull), bswap16, BPFFS_EXIT()), 0xff77);
	}
	TEST("movsx and sign-extending loads") {
		struct bpf_insn sx8 = BPFFS_ALU64_REG(BPF_MOV, R0, R2), sx32 = BPFFS_ALU32_REG(BPF_MOV, R3, R2);
		u8 mem[8] = { 0x80, 0xff, 0x01, 0x80, 0, 0, 0, 0x80 };

		sx8.off = 8;
		sx32.off = 16;
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R2, 0x1f0), sx8, BPFFS_EXIT()), (u64)-16);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R2, 0x18000), sx32, BPFFS_MOV64_REG(R0, R3), BPFFS_EXIT()),
			 0xffff8000ull);
		CHECK_EQ(RUN_MEM(mem, BPFFS_INSN(BPF_LDX | BPF_MEMSX | BPF_H, R0, R1, 2, 0),
				 BPFFS_EXIT()), (u64)(s16)0x8001);
	}
}

static void test_atomics(void)
{
	TEST("cmpxchg32 zero-extends r0 on success and on failure") {
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 5), BPFFS_LD_IMM64(R0, 0xaaaaaaaa00000005ull),
			     BPFFS_MOV64_IMM(R1, 9),
			     BPFFS_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R10, R1, -8), BPFFS_EXIT()), 5);
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 5), BPFFS_LD_IMM64(R0, 0xaaaaaaaa00000006ull),
			     BPFFS_MOV64_IMM(R1, 9),
			     BPFFS_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R10, R1, -8), BPFFS_EXIT()), 5);
	}
	TEST("fetch-or through r0 as the base and as the source") {
		u64 mem[2] = { 0xf0, 0 };

		CHECK_EQ(RUN_MEM(mem, BPFFS_MOV64_REG(R0, R1), BPFFS_MOV64_IMM(R2, 0x0f),
				 BPFFS_ATOMIC_OP(BPF_DW, BPF_OR | BPF_FETCH, R0, R2, 0),
				 BPFFS_LDX_MEM(BPF_DW, R3, R1, 0), BPFFS_ALU64_REG(BPF_SUB, R0, R1),
				 BPFFS_ALU64_REG(BPF_ADD, R0, R2), BPFFS_ALU64_REG(BPF_ADD, R0, R3),
				 BPFFS_EXIT()), 0xf0 + 0xff);
		CHECK_EQ(RUN_MEM(mem, BPFFS_MOV64_IMM(R0, 0x0f),
				 BPFFS_ATOMIC_OP(BPF_W, BPF_AND | BPF_FETCH, R1, R0, 8), BPFFS_EXIT()), 0);
	}
}

static void test_calls(void)
{
	TEST("local calls keep the caller's r6-r9 and each frame has its own stack") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R6, 1), BPFFS_MOV64_IMM(R7, 2), BPFFS_MOV64_IMM(R8, 3),
			     BPFFS_MOV64_IMM(R9, 4), BPFFS_ST_MEM(BPF_DW, R10, -8, 50),
			     BPFFS_CALL_LOCAL(9),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R6), BPFFS_ALU64_REG(BPF_ADD, R0, R7),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R8), BPFFS_ALU64_REG(BPF_ADD, R0, R9),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_REG(BPF_ADD, R0, R1),
			     BPFFS_EXIT(),
			     BPFFS_EXIT(), BPFFS_EXIT(),
			     /* callee at 15 */
			     BPFFS_MOV64_IMM(R6, 100), BPFFS_MOV64_IMM(R9, 100),
			     BPFFS_ST_MEM(BPF_DW, R10, -8, 1000), BPFFS_LDX_MEM(BPF_DW, R0, R10, -8),
			     BPFFS_EXIT()), 1000 + 10 + 50);
	}
	TEST("bpf_loop calls a native callback through the run context") {
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 0), BPFFS_MOV64_IMM(R1, 100),
			     BPFFS_LD_IMM64_RAW(R2, BPF_PSEUDO_FUNC, 9),
			     BPFFS_MOV64_REG(R3, R10), BPFFS_ALU64_IMM(BPF_ADD, R3, -8),
			     BPFFS_MOV64_IMM(R4, 0), BPFFS_CALL_HELPER(BPF_FUNC_loop),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R0, 1000),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_EXIT(),
			     BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, R2, R1, 0), BPFFS_MOV64_IMM(R0, 0),
			     BPFFS_JMP_IMM(BPF_JNE, R1, 9, 1), BPFFS_MOV64_IMM(R0, 1), BPFFS_EXIT()),
			 10 * 1000 + 45);
	}
	TEST("helper calls pass r1-r5 in place and return in r0 (bpf_strtol)") {
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_W, R10, -16, 0x0032342d), BPFFS_ST_MEM(BPF_DW, R10, -8, 0),
			     BPFFS_MOV64_REG(R1, R10), BPFFS_ALU64_IMM(BPF_ADD, R1, -16),
			     BPFFS_MOV64_IMM(R2, 4), BPFFS_MOV64_IMM(R3, 0),
			     BPFFS_MOV64_REG(R4, R10), BPFFS_ALU64_IMM(BPF_ADD, R4, -8),
			     BPFFS_MOV64_IMM(R6, 7), BPFFS_CALL_HELPER(BPF_FUNC_strtol),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R1, 10),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_ALU64_REG(BPF_ADD, R0, R6),
			     BPFFS_EXIT()), (u64)(3 - 420 + 7));
	}
	TEST("callx calls the helper whose id is in the register; a bad id ends with 0") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R1, -1), BPFFS_MOV64_IMM(R2, BPF_FUNC_jiffies64),
			     BPFFS_INSN(BPF_JMP | BPF_CALL | BPF_X, R2, 0, 0, 0),
			     BPFFS_MOV64_IMM(R0, 2), BPFFS_EXIT()), 2);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 5), BPFFS_MOV64_IMM(R2, 255),
			     BPFFS_INSN(BPF_JMP | BPF_CALL | BPF_X, R2, 0, 0, 0),
			     BPFFS_MOV64_IMM(R0, 2), BPFFS_EXIT()), 0);
	}
}

static void test_packet(void)
{
	u8 pkt[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02 };
	struct bpffs_run_ctx rc = { .pkt_data = pkt, .pkt_len = sizeof(pkt) };
	struct bpffs_prog *prog;

	TEST("LD_ABS/LD_IND load big-endian packet bytes; out of bounds ends with 0") {
		prog = LOAD(BPFFS_MOV64_REG(R6, R1), BPFFS_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0),
			    BPFFS_EXIT());
		if (prog) {
			CHECK_EQ(run_both(prog, NULL, 0, &rc), 0xdeadbeef);
			bpffs_prog_put(prog);
		}
		prog = LOAD(BPFFS_MOV64_REG(R6, R1), BPFFS_MOV64_IMM(R7, 3),
			    BPFFS_INSN(BPF_LD | BPF_IND | BPF_H, 0, R7, 0, 1), BPFFS_MOV64_REG(R8, R0),
			    BPFFS_INSN(BPF_LD | BPF_IND | BPF_B, 0, R7, 0, -3),
			    BPFFS_ALU64_IMM(BPF_LSH, R0, 16), BPFFS_ALU64_REG(BPF_OR, R0, R8),
			    BPFFS_EXIT());
		if (prog) {
			CHECK_EQ(run_both(prog, NULL, 0, &rc), 0xde0102);
			bpffs_prog_put(prog);
		}
		prog = LOAD(BPFFS_MOV64_REG(R6, R1), BPFFS_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 3),
			    BPFFS_MOV64_IMM(R0, 77), BPFFS_EXIT());
		if (prog) {
			CHECK_EQ(run_both(prog, NULL, 0, &rc), 0);
			bpffs_prog_put(prog);
		}
	}
}

static void test_maps(void)
{
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				       .value_size = 16, .max_entries = 1, .name = "jitarr" };
	struct bpffs_map *map = NULL;
	struct bpffs_prog *prog;
	u32 key = 0;
	u64 val[2] = { 0 };

	TEST("LD_IMM64 map pseudos load the map and the address of its value") {
		if (bpffs_map_create(&attr, NULL, &map)) {
			SKIP("array map unavailable");
		} else {
			/* value + 8 <- 42; return the map pointer */
			const struct bpf_insn p[] = {
				BPFFS_LD_IMM64_RAW(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0),
				BPFFS_ST_MEM(BPF_DW, R1, 8, 42),
				BPFFS_LD_IMM64_RAW(R0, BPF_PSEUDO_MAP_FD, 0),
				BPFFS_EXIT(),
			};
			prog = jit_load(p, BPFFS_ARRAY_SIZE(p), &map, 1);
			if (prog) {
				CHECK_EQ(bpffs_jit_run(prog, 0, 0, NULL), (u64)(uintptr_t)map);
				CHECK_EQ(bpffs_map_lookup_elem(map, &key, val), 0);
				CHECK_EQ(val[1], 42);
				bpffs_prog_put(prog);
			}
			bpffs_map_put(map);
		}
	}
	TEST("map lookups call the map directly when r1 is known, the helper otherwise") {
		struct bpffs_map_attr a2 = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
					     .value_size = 8, .max_entries = 4, .name = "jitarr2" };
		/* sum of value[k] for k = 0..4 (key 4 misses): once with r1 set
		 * right before the call, once through r6 and a jump target */
		const struct bpf_insn p[] = {
			BPFFS_MOV64_IMM(R7, 0), BPFFS_MOV64_IMM(R8, 0),
			BPFFS_STX_MEM(BPF_W, R10, R8, -4),
			BPFFS_LD_IMM64_RAW(R1, BPF_PSEUDO_MAP_IDX, 0),
			BPFFS_MOV64_REG(R2, R10), BPFFS_ALU64_IMM(BPF_ADD, R2, -4),
			BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem),
			BPFFS_JMP_IMM(BPF_JEQ, R0, 0, 2),
			BPFFS_LDX_MEM(BPF_DW, R0, R0, 0), BPFFS_ALU64_REG(BPF_ADD, R7, R0),
			BPFFS_LD_IMM64_RAW(R6, BPF_PSEUDO_MAP_IDX, 0),
			BPFFS_MOV64_REG(R1, R6),
			BPFFS_JMP_IMM(BPF_JEQ, R8, 99, 0),		/* a jump target next */
			BPFFS_MOV64_REG(R2, R10), BPFFS_ALU64_IMM(BPF_ADD, R2, -4),
			BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem),
			BPFFS_JMP_IMM(BPF_JEQ, R0, 0, 2),
			BPFFS_LDX_MEM(BPF_DW, R0, R0, 0), BPFFS_ALU64_REG(BPF_ADD, R7, R0),
			BPFFS_ALU64_IMM(BPF_ADD, R8, 1),
			BPFFS_JMP_IMM(BPF_JLE, R8, 4, -21),
			BPFFS_MOV64_REG(R0, R7), BPFFS_EXIT(),
		};
		struct bpffs_map *m2 = NULL;

		if (bpffs_map_create(&a2, NULL, &m2)) {
			SKIP("array map unavailable");
		} else {
			for (u32 k = 0; k < 4; k++) {
				u64 v = 10 + k;

				CHECK_EQ(bpffs_map_update_elem(m2, &k, &v, 0), 0);
			}
			prog = jit_load(p, BPFFS_ARRAY_SIZE(p), &m2, 1);
			if (prog) {
				CHECK_EQ(run_both(prog, NULL, 0, &(struct bpffs_run_ctx){ 0 }),
					 2 * (10 + 11 + 12 + 13));
				bpffs_prog_put(prog);
			}
			bpffs_map_put(m2);
		}
	}
}

static struct bpffs_prog *load_runtime(const struct bpf_insn *insns, u32 cnt,
				       struct bpffs_map *map, enum bpffs_runtime rt)
{
	struct bpffs_prog *prog = NULL;

	if (rt == BPFFS_RUNTIME_JIT)
		return jit_load(insns, cnt, &map, 1);
	if (bpffs_prog_alloc("t", 0, insns, cnt, &prog))
		return NULL;
	prog->runtime = rt;
	if (bpffs_prog_prepare(prog, NULL)) {
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

static void test_tail_calls(void)
{
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
				       .value_size = 4, .max_entries = 2, .name = "jmp" };
	/* r0 = r1 + 1 */
	const struct bpf_insn target[] = {
		BPFFS_MOV64_REG(R0, R1), BPFFS_ALU64_IMM(BPF_ADD, R0, 1), BPFFS_EXIT(),
	};
	/* tail_call(ctx, map, r1 & 0xff ? 1 : 0); return 7 */
	const struct bpf_insn caller[] = {
		BPFFS_MOV64_IMM(R6, 5), BPFFS_MOV64_IMM(R3, 0),
		BPFFS_JMP_IMM(BPF_JLT, R1, 1000, 1), BPFFS_MOV64_IMM(R3, 1),
		BPFFS_LD_IMM64_RAW(R2, BPF_PSEUDO_MAP_IDX, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_tail_call), BPFFS_MOV64_IMM(R0, 7),
		BPFFS_ALU64_REG(BPF_ADD, R0, R6), BPFFS_EXIT(),
	};
	/* count in ctx[0]; ctx[1] = first r10; ctx[2] = 1 if r10 ever differs */
	const struct bpf_insn chain[] = {
		BPFFS_MOV64_REG(R6, R1), BPFFS_MOV64_IMM(R2, 1),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, R6, R2, 0), BPFFS_LDX_MEM(BPF_DW, R3, R6, 8),
		BPFFS_MOV64_REG(R4, R10), BPFFS_JMP_IMM(BPF_JNE, R3, 0, 2),
		BPFFS_STX_MEM(BPF_DW, R6, R4, 8), BPFFS_JA(2),
		BPFFS_JMP_REG(BPF_JEQ, R3, R4, 1), BPFFS_ST_MEM(BPF_DW, R6, 16, 1),
		BPFFS_MOV64_REG(R1, R6), BPFFS_LD_IMM64_RAW(R2, BPF_PSEUDO_MAP_IDX, 0),
		BPFFS_MOV64_IMM(R3, 0), BPFFS_CALL_HELPER(BPF_FUNC_tail_call),
		BPFFS_MOV64_IMM(R0, 99), BPFFS_EXIT(),
	};
	struct bpffs_prog *a, *b, *c;
	struct bpffs_map *map = NULL;
	struct bpffs_run_ctx rc0 = { 0 };

	if (bpffs_map_create(&attr, NULL, &map)) {
		TEST("tail calls") { SKIP("PROG_ARRAY unavailable"); }
		return;
	}
	TEST("a tail call runs the target with the same ctx; a missing slot falls through") {
		for (int rt = 0; rt < 2; rt++) {
			b = load_runtime(target, BPFFS_ARRAY_SIZE(target), map,
					 rt ? BPFFS_RUNTIME_INTERP : BPFFS_RUNTIME_JIT);
			a = jit_load(caller, BPFFS_ARRAY_SIZE(caller), &map, 1);
			if (!a || !b)
				break;
			CHECK_EQ(rt ? !b->jited : !!b->jited, 1);
			CHECK_EQ(bpffs_prog_array_update(map, 0, b), 0);
			CHECK_EQ(run_both(a, (void *)41, 0, &rc0), 42);
			CHECK_EQ(run_both(a, (void *)5000, 0, &rc0), 12);	/* slot 1 empty */
			CHECK_EQ(bpffs_prog_array_update(map, 0, NULL), 0);
			CHECK_EQ(run_both(a, (void *)41, 0, &rc0), 12);
			bpffs_prog_put(a);
			bpffs_prog_put(b);
		}
	}
	TEST("a self tail call stops after 33 and reuses the same native frame") {
		u64 mem[3] = { 0 };

		c = jit_load(chain, BPFFS_ARRAY_SIZE(chain), &map, 1);
		if (c) {
			CHECK_EQ(bpffs_prog_array_update(map, 0, c), 0);
			CHECK_EQ(bpffs_jit_run(c, (u64)(uintptr_t)mem, 0, NULL), 99);
			CHECK_EQ(mem[0], 1 + BPFFS_MAX_TAIL_CALLS);
			CHECK_EQ(mem[2], 0);
			memset(mem, 0, sizeof(mem));
			CHECK_EQ(bpffs_interp_run(c, (u64)(uintptr_t)mem, 0, NULL), 99);
			CHECK_EQ(mem[0], 1 + BPFFS_MAX_TAIL_CALLS);
			CHECK_EQ(bpffs_prog_array_update(map, 0, NULL), 0);
			bpffs_prog_put(c);
		}
	}
	bpffs_map_put(map);
}

static void test_blinding(void)
{
	TEST("constant blinding hides wide immediates and keeps results") {
		const struct bpf_insn p[] = {
			BPFFS_MOV64_IMM(R0, 0x41414141), BPFFS_ALU64_IMM(BPF_XOR, R0, 0x42424242),
			BPFFS_ALU64_IMM(BPF_ADD, R0, 3), BPFFS_LD_IMM64(R2, 0x4343434344444444ull),
			BPFFS_ALU64_REG(BPF_ADD, R0, R2), BPFFS_JMP_IMM(BPF_JEQ, R0, 0x45454545, 0),
			BPFFS_EXIT(),
		};
		struct bpffs_prog *prog;
		static const u8 pats[][4] = { { 0x41, 0x41, 0x41, 0x41 }, { 0x42, 0x42, 0x42, 0x42 },
					      { 0x43, 0x43, 0x43, 0x43 }, { 0x44, 0x44, 0x44, 0x44 } };

		bpffs_jit_set_blinding(true);
		prog = jit_load(p, BPFFS_ARRAY_SIZE(p), NULL, 0);
		bpffs_jit_set_blinding(false);
		if (prog) {
			CHECK_EQ(run_both(prog, NULL, 0, &(struct bpffs_run_ctx){ 0 }),
				 (0x41414141ull ^ 0x42424242ull) + 3 + 0x4343434344444444ull);
			for (u32 k = 0; k < BPFFS_ARRAY_SIZE(pats); k++)
				CHECK(!memmem(prog->jit_image, prog->jit_size, pats[k], 4));
			/* an imm8 is left alone: add r0, 3 stays 48 83 c0 03 */
			CHECK(memmem(prog->jit_image, prog->jit_size, "\x48\x83\xc0\x03", 4));
			bpffs_prog_put(prog);
		}
	}
}

static void test_dump(void)
{
	TEST("the disassembly interleaves BPF instructions with native code") {
		struct bpffs_prog *prog = LOAD(BPFFS_MOV64_IMM(R6, 3), BPFFS_CALL_LOCAL(2),
					       BPFFS_ALU64_REG(BPF_ADD, R0, R6), BPFFS_EXIT(),
					       BPFFS_MOV64_IMM(R7, 4), BPFFS_MOV64_REG(R0, R7),
					       BPFFS_EXIT());
		char *text = NULL;

		if (prog) {
			CHECK_EQ(bpffs_jit_dump(prog, &text), 0);
			CHECK_STR_CONTAINS(text, "; program at insn 0: prologue");
			CHECK_STR_CONTAINS(text, "push\trbx");
			CHECK_STR_CONTAINS(text, "; 2: add %r0, %r6");
			CHECK_STR_CONTAINS(text, "add\trax, rbx");
			CHECK_STR_CONTAINS(text, "; subprogram at insn 4: prologue");
			CHECK_STR_CONTAINS(text, "push\tr13");
			CHECK_STR_CONTAINS(text, "mov\tr13d, 4");
			free(text);
			bpffs_prog_put(prog);
		}
	}
}

static void test_differential(void)
{
	char why[256];
	u32 diffs = 0, bad = 0;

	TEST("3000 random programs give the same r0 and memory on the JIT and the interpreter") {
		for (u64 s = 1; s <= 3000; s++) {
			int r = gen_diff_one(s, 1 + (u32)(s % 80), why, sizeof(why));

			if (r && diffs + bad < 5)
				printf("# %s\n", why);
			diffs += r > 0;
			bad += r < 0;
		}
		CHECK_EQ(diffs, 0);
		CHECK_EQ(bad, 0);
	}
	TEST("1000 random programs agree with constant blinding on") {
		diffs = bad = 0;
		bpffs_jit_set_blinding(true);
		for (u64 s = 5001; s <= 6000; s++) {
			int r = gen_diff_one(s, 1 + (u32)(s % 80), why, sizeof(why));

			if (r && diffs + bad < 5)
				printf("# %s\n", why);
			diffs += r > 0;
			bad += r < 0;
		}
		bpffs_jit_set_blinding(false);
		CHECK_EQ(diffs, 0);
		CHECK_EQ(bad, 0);
	}
}

int main(void)
{
	if (!bpffs_jit_available()) {
		printf("1..0 # SKIP no JIT on this machine\n");
		return 0;
	}
	test_encoding();
	test_alu();
	test_atomics();
	test_calls();
	test_packet();
	test_maps();
	test_tail_calls();
	test_blinding();
	test_dump();
	test_differential();
	return harness_done();
}
