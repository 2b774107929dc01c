// SPDX-License-Identifier: MIT
/*
 * Unit tests of the interpreter (fast and checked loops) and of the
 * structural check: every instruction class and the ISA's edge cases, local
 * calls, helpers with no map dependency, legacy packet loads, and the checked
 * mode's reports. Each program runs on both loops and must agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/core.h"
#include "core/sha256.h"
#include <sys/syscall.h>
#include <unistd.h>

static char last_log[4096];

/* Check, prepare and run on both loops; returns r0 of the fast loop. */
static u64 run_mem(const struct bpf_insn *insns, u32 cnt, void *mem, u64 len)
{
	struct bpffs_vlog log = { .level = 1, .buf = last_log, .size = sizeof(last_log) };
	struct bpffs_prog *prog;
	struct bpffs_run_ctx rc = { 0 };
	u8 copy[256];
	u64 fast, checked;

	last_log[0] = 0;
	if (bpffs_insns_check(insns, cnt, &log) || bpffs_prog_alloc("t", 0, insns, cnt, &prog)) {
		printf("# check failed: %s", last_log);
		harness_cur_failed = 1;
		return 0xbadbadbad;
	}
	prog->runtime = BPFFS_RUNTIME_INTERP;
	if (bpffs_prog_prepare(prog, &log)) {
		printf("# prepare failed: %s", last_log);
		harness_cur_failed = 1;
		bpffs_prog_put(prog);
		return 0xbadbadbad;
	}
	if (len)
		memcpy(copy, mem, len);
	fast = bpffs_interp_run(prog, (u64)(uintptr_t)mem, len, NULL);
	if (len)
		memcpy(mem, copy, len);	/* checked run sees the same input */
	rc.checked = true;
	bpffs_run_ctx_add_region(&rc, mem, len, true);
	checked = bpffs_interp_run_checked(prog, (u64)(uintptr_t)mem, len, &rc);
	if (rc.fault)
		printf("# checked fault at insn %u: %s\n", rc.fault_insn, rc.fault_msg);
	CHECK_EQ(rc.fault, 0);
	CHECK_EQ(fast, checked);
	bpffs_prog_put(prog);
	return fast;
}

#define RUN(...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
		    run_mem(p_, BPFFS_ARRAY_SIZE(p_), NULL, 0); })
#define RUN_MEM(mem, ...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
			     run_mem(p_, BPFFS_ARRAY_SIZE(p_), mem, sizeof(mem)); })

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R6 BPF_REG_6
#define R10 BPF_REG_10

/* Expect the structural check to reject with a message containing @msg. */
static void expect_reject(const struct bpf_insn *insns, u32 cnt, const char *msg)
{
	struct bpffs_vlog log = { .level = 1, .buf = last_log, .size = sizeof(last_log) };

	last_log[0] = 0;
	CHECK_EQ(bpffs_insns_check(insns, cnt, &log), -EINVAL);
	CHECK_STR_CONTAINS(last_log, msg);
}
#define REJECT(msg, ...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
			    expect_reject(p_, BPFFS_ARRAY_SIZE(p_), msg); })

static void test_alu(void)
{
	TEST("ALU64 add/sub/mul wrap around") {
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0xffffffffffffffffull), BPFFS_ALU64_IMM(BPF_ADD, R0, 2),
			     BPFFS_EXIT()), 1);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 0), BPFFS_ALU64_IMM(BPF_SUB, R0, 1), BPFFS_EXIT()),
			 0xffffffffffffffffull);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x8000000000000000ull), BPFFS_ALU64_IMM(BPF_MUL, R0, -1),
			     BPFFS_EXIT()), 0x8000000000000000ull);
	}
	TEST("ALU32 results are zero-extended") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_ALU32_IMM(BPF_ADD, R0, 1), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_ALU32_IMM(BPF_MOV, R0, -1), BPFFS_EXIT()),
			 0xffffffffull);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x100000002ull), BPFFS_ALU32_IMM(BPF_NEG, R0, 0),
			     BPFFS_EXIT()), 0xfffffffeull);
	}
	TEST("MOV64 immediate is sign-extended, MOV32 is not") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -10), BPFFS_EXIT()), 0xfffffffffffffff6ull);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R0, -10), BPFFS_EXIT()), 0xfffffff6ull);
	}
	TEST("division by zero gives 0 and modulo by zero keeps dst") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 7), BPFFS_MOV64_IMM(R1, 0),
			     BPFFS_ALU64_REG(BPF_DIV, R0, R1), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 7), BPFFS_ALU64_IMM(BPF_DIV, R0, 0), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 7), BPFFS_MOV64_IMM(R1, 0),
			     BPFFS_ALU64_REG(BPF_MOD, R0, R1), BPFFS_EXIT()), 7);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_MOV64_IMM(R1, 0),
			     BPFFS_ALU32_REG(BPF_MOD, R0, R1), BPFFS_EXIT()), 0xffffffffull);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 7), BPFFS_LD_IMM64(R1, 0x100000000ull),
			     BPFFS_ALU32_REG(BPF_DIV, R0, R1), BPFFS_EXIT()), 0);
	}
	TEST("signed division: INT_MIN / -1 wraps and INT_MIN % -1 is 0") {
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x8000000000000000ull),
			     BPFFS_INSN(BPF_ALU64 | BPF_DIV | BPF_K, R0, 0, 1, -1), BPFFS_EXIT()),
			 0x8000000000000000ull);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x8000000000000000ull),
			     BPFFS_INSN(BPF_ALU64 | BPF_MOD | BPF_K, R0, 0, 1, -1), BPFFS_EXIT()), 0);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R0, 0x80000000),
			     BPFFS_INSN(BPF_ALU | BPF_DIV | BPF_K, R0, 0, 1, -1), BPFFS_EXIT()),
			 0x80000000ull);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -13), BPFFS_INSN(BPF_ALU64 | BPF_MOD | BPF_K, R0, 0, 1, 3),
			     BPFFS_EXIT()), (u64)-1);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 13), BPFFS_INSN(BPF_ALU64 | BPF_MOD | BPF_K, R0, 0, 1, -3),
			     BPFFS_EXIT()), 1);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -13), BPFFS_INSN(BPF_ALU | BPF_DIV | BPF_K, R0, 0, 1, 0),
			     BPFFS_EXIT()), 0);
	}
	TEST("unsigned DIV64 sign-extends its immediate; DIV32 does not") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_ALU64_IMM(BPF_DIV, R0, -10), BPFFS_EXIT()), 1);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_ALU32_IMM(BPF_DIV, R0, -10), BPFFS_EXIT()), 1);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R0, 100), BPFFS_ALU32_IMM(BPF_DIV, R0, -10), BPFFS_EXIT()), 0);
	}
	TEST("shift amounts are masked to the operand width") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 1), BPFFS_ALU32_IMM(BPF_LSH, R0, 60), BPFFS_EXIT()),
			 1u << 28);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 1), BPFFS_ALU64_IMM(BPF_LSH, R0, 68), BPFFS_EXIT()), 16);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R0, 0x80000000), BPFFS_ALU32_IMM(BPF_ARSH, R0, -16),
			     BPFFS_EXIT()), 0xffff8000ull);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -1), BPFFS_ALU32_IMM(BPF_RSH, R0, 8), BPFFS_EXIT()),
			 0x00ffffffull);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, -16), BPFFS_ALU64_IMM(BPF_ARSH, R0, 2), BPFFS_EXIT()),
			 (u64)-4);
	}
	TEST("MOVSX sign-extends 8, 16 and 32 bits") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R1, 0x80), BPFFS_INSN(BPF_ALU64 | BPF_MOV | BPF_X, R0, R1, 8, 0),
			     BPFFS_EXIT()), (u64)-128);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R1, 0x8000), BPFFS_INSN(BPF_ALU | BPF_MOV | BPF_X, R0, R1, 16, 0),
			     BPFFS_EXIT()), 0xffff8000ull);
		CHECK_EQ(RUN(BPFFS_MOV32_IMM(R1, 0x80000000),
			     BPFFS_INSN(BPF_ALU64 | BPF_MOV | BPF_X, R0, R1, 32, 0), BPFFS_EXIT()),
			 0xffffffff80000000ull);
	}
	TEST("byte swaps: to-be, to-le and bswap truncate and zero-extend") {
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull),
			     BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 0, 16), BPFFS_EXIT()), 0x8877);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull),
			     BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 0, 32), BPFFS_EXIT()),
			 0x88776655ull);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull),
			     BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_LE, R0, 0, 0, 16), BPFFS_EXIT()), 0x7788);
		CHECK_EQ(RUN(BPFFS_LD_IMM64(R0, 0x1122334455667788ull),
			     BPFFS_INSN(BPF_ALU64 | BPF_END, R0, 0, 0, 64), BPFFS_EXIT()),
			 0x8877665544332211ull);
	}
}

static void test_jumps(void)
{
	TEST("JMP immediates are sign-extended before unsigned comparison") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 0), BPFFS_MOV64_IMM(R1, -1),
			     BPFFS_JMP_IMM(BPF_JGT, R1, -2, 1), BPFFS_EXIT(),
			     BPFFS_MOV64_IMM(R0, 1), BPFFS_EXIT()), 1);
	}
	TEST("JMP32 ignores the upper halves") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 0), BPFFS_LD_IMM64(R1, 0x500000001ull),
			     BPFFS_JMP32_IMM(BPF_JEQ, R1, 1, 1), BPFFS_EXIT(),
			     BPFFS_MOV64_IMM(R0, 1), BPFFS_EXIT()), 1);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 0), BPFFS_MOV32_IMM(R1, -1),
			     BPFFS_JMP32_IMM(BPF_JSLT, R1, 0, 1), BPFFS_EXIT(),
			     BPFFS_MOV64_IMM(R0, 1), BPFFS_EXIT()), 1);
	}
	TEST("a bounded loop counts to 1000") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 0), BPFFS_ALU64_IMM(BPF_ADD, R0, 1),
			     BPFFS_JMP_IMM(BPF_JLT, R0, 1000, -2), BPFFS_EXIT()), 1000);
	}
	TEST("gotol jumps by its 32-bit immediate") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R0, 1), BPFFS_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 1),
			     BPFFS_MOV64_IMM(R0, 2), BPFFS_EXIT()), 1);
	}
	TEST("local calls get their own frame and keep the caller's r6-r9") {
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R6, 5), BPFFS_MOV64_IMM(R1, 10),
			     BPFFS_ST_MEM(BPF_DW, R10, -8, 100),
			     BPFFS_CALL_LOCAL(4),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R6),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_REG(BPF_ADD, R0, R1),
			     BPFFS_EXIT(),
			     /* callee: r0 = r1 * 2, clobbers r6 and its own fp-8 */
			     BPFFS_MOV64_IMM(R6, 1000), BPFFS_ST_MEM(BPF_DW, R10, -8, 7),
			     BPFFS_MOV64_REG(R0, R1), BPFFS_ALU64_IMM(BPF_MUL, R0, 2), BPFFS_EXIT()),
			 20 + 5 + 100);
	}
}

static void test_memory(void)
{
	u8 mem[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa };

	TEST("loads of every size, unaligned, and sign-extending loads") {
		CHECK_EQ(RUN_MEM(mem, BPFFS_LDX_MEM(BPF_DW, R0, R1, 1), BPFFS_EXIT()),
			 0x9988776655443322ull);
		CHECK_EQ(RUN_MEM(mem, BPFFS_LDX_MEM(BPF_H, R0, R1, 8), BPFFS_EXIT()), 0xaa99);
		CHECK_EQ(RUN_MEM(mem, BPFFS_INSN(BPF_LDX | BPF_MEMSX | BPF_B, R0, R1, 8, 0), BPFFS_EXIT()),
			 (u64)(s64)(s8)0x99);
		CHECK_EQ(RUN_MEM(mem, BPFFS_INSN(BPF_LDX | BPF_MEMSX | BPF_H, R0, R1, 8, 0), BPFFS_EXIT()),
			 (u64)(s64)(s16)0xaa99);
	}
	TEST("stores write exactly their width; ST DW sign-extends") {
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, -1), BPFFS_ST_MEM(BPF_B, R10, -8, 0),
			     BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_EXIT()), 0xffffffffffffff00ull);
		CHECK_EQ(RUN(BPFFS_MOV64_IMM(R1, 0x1234), BPFFS_ST_MEM(BPF_DW, R10, -8, 0),
			     BPFFS_STX_MEM(BPF_H, R10, R1, -7), BPFFS_LDX_MEM(BPF_DW, R0, R10, -8),
			     BPFFS_EXIT()), 0x123400ull);
	}
	TEST("atomic add, fetch and cmpxchg, 32 and 64 bit") {
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 10), BPFFS_MOV64_IMM(R1, 5),
			     BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R10, R1, -8),
			     BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R0, 100),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_EXIT()), 1510);
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, -1), BPFFS_MOV64_IMM(R1, 2),
			     BPFFS_ATOMIC_OP(BPF_W, BPF_ADD, R10, R1, -8),
			     BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_EXIT()), 0xffffffff00000001ull);
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 3), BPFFS_MOV64_IMM(R0, 3),
			     BPFFS_MOV64_IMM(R1, 9), BPFFS_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, R10, R1, -8),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R1, 10),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_EXIT()), 93);
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, -1), BPFFS_MOV64_IMM(R1, 0),
			     BPFFS_ATOMIC_OP(BPF_W, BPF_XCHG, R10, R1, -8),
			     BPFFS_MOV64_REG(R0, R1), BPFFS_EXIT()), 0xffffffffull);
	}
}

static void test_packet_loads(void)
{
	u8 pkt[8] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };
	const struct bpf_insn abs_w[] = {
		BPFFS_MOV64_REG(R6, R1),
		BPFFS_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 4),
		BPFFS_EXIT(),
	};
	const struct bpf_insn ind_h_oob[] = {
		BPFFS_MOV64_REG(R6, R1), BPFFS_MOV64_IMM(R2, 6),
		BPFFS_INSN(BPF_LD | BPF_IND | BPF_H, 0, R2, 0, 1),
		BPFFS_MOV64_IMM(R0, 99), BPFFS_EXIT(),
	};
	struct bpffs_prog *prog;
	struct bpffs_run_ctx rc = { .pkt_data = pkt, .pkt_len = sizeof(pkt) };

	TEST("LD_ABS loads big-endian packet words; out of bounds ends with 0") {
		CHECK_EQ(bpffs_prog_alloc("abs", 0, abs_w, 3, &prog), 0);
		prog->runtime = BPFFS_RUNTIME_INTERP;
		CHECK_EQ(bpffs_prog_prepare(prog, NULL), 0);
		CHECK_EQ(bpffs_prog_run(prog, 0, 0, &rc), 0xdeadbeef);
		bpffs_prog_put(prog);
		CHECK_EQ(bpffs_prog_alloc("ind", 0, ind_h_oob, 5, &prog), 0);
		CHECK_EQ(bpffs_prog_prepare(prog, NULL), 0);
		CHECK_EQ(bpffs_prog_run(prog, 0, 0, &rc), 0);
		bpffs_prog_put(prog);
	}
}

static void test_helpers(void)
{
	TEST("bpf_strtol parses a signed decimal from the stack") {
		/* "-42\0" at fp-16, result at fp-8 */
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_W, R10, -16, 0x0032342d), BPFFS_ST_MEM(BPF_DW, R10, -8, 0),
			     BPFFS_MOV64_REG(R1, R10), BPFFS_ALU64_IMM(BPF_ADD, R1, -16),
			     BPFFS_MOV64_IMM(R2, 4), BPFFS_MOV64_IMM(R3, 0),
			     BPFFS_MOV64_REG(R4, R10), BPFFS_ALU64_IMM(BPF_ADD, R4, -8),
			     BPFFS_CALL_HELPER(BPF_FUNC_strtol),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R1, 10),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_EXIT()), (u64)(3 - 420));
	}
	TEST("bpf_strtol/strtoul write 0 to the result on error (the verifier counts it written)") {
		const struct bpffs_helper *l = bpffs_helper_get(BPF_FUNC_strtol);
		const struct bpffs_helper *ul = bpffs_helper_get(BPF_FUNC_strtoul);
		const char junk[] = "xyz";
		s64 res = 0x5555;
		u64 ures = 0x5555;

		CHECK(l && ul);
		if (l && ul) {
			CHECK_EQ(l->fn((u64)(uintptr_t)junk, 3, 0, (u64)(uintptr_t)&res, 0), (u64)(s64)-EINVAL);
			CHECK_EQ(res, 0);
			CHECK_EQ(ul->fn((u64)(uintptr_t)junk, 3, 0, (u64)(uintptr_t)&ures, 0), (u64)(s64)-EINVAL);
			CHECK_EQ(ures, 0);
		}
	}
	TEST("bpf_loop runs a callback until it returns 1") {
		/* callback(i, ctx): *(u64 *)ctx += i; return i == 9 */
		CHECK_EQ(RUN(BPFFS_ST_MEM(BPF_DW, R10, -8, 0), BPFFS_MOV64_IMM(R1, 100),
			     BPFFS_LD_IMM64_RAW(R2, BPF_PSEUDO_FUNC, 9),
			     BPFFS_MOV64_REG(R3, R10), BPFFS_ALU64_IMM(BPF_ADD, R3, -8),
			     BPFFS_MOV64_IMM(R4, 0), BPFFS_CALL_HELPER(BPF_FUNC_loop),
			     BPFFS_LDX_MEM(BPF_DW, R1, R10, -8), BPFFS_ALU64_IMM(BPF_MUL, R0, 1000),
			     BPFFS_ALU64_REG(BPF_ADD, R0, R1), BPFFS_EXIT(),
			     /* callback at insn 12 */
			     BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, R2, R1, 0), BPFFS_MOV64_IMM(R0, 0),
			     BPFFS_JMP_IMM(BPF_JNE, R1, 9, 1), BPFFS_MOV64_IMM(R0, 1), BPFFS_EXIT()),
			 10 * 1000 + 45);
	}
	TEST("bpf_snprintf formats numbers and strings") {
		char out[64];
		const char fmt[] = "%d-%s-%x";
		const char s[] = "ab";
		u64 data[3] = { (u64)-5, (u64)(uintptr_t)s, 255 };
		const struct bpffs_helper *h = bpffs_helper_get(BPF_FUNC_snprintf);

		CHECK(h != NULL);
		CHECK_EQ(h->fn((u64)(uintptr_t)out, sizeof(out), (u64)(uintptr_t)fmt,
			       (u64)(uintptr_t)data, sizeof(data)), 9);
		CHECK(strcmp(out, "-5-ab-ff") == 0);
		data[1] = 8; /* a wild pointer prints as (fault), never crashes */
		h->fn((u64)(uintptr_t)out, sizeof(out), (u64)(uintptr_t)fmt, (u64)(uintptr_t)data,
		      sizeof(data));
		CHECK_STR_CONTAINS(out, "-5-(fault)-ff");
	}
	TEST("bpf_ktime_get_ns is monotonic and bpf_get_prandom_u32 varies") {
		const struct bpffs_helper *t = bpffs_helper_get(BPF_FUNC_ktime_get_ns);
		const struct bpffs_helper *r = bpffs_helper_get(BPF_FUNC_get_prandom_u32);
		u64 a = t->fn(0, 0, 0, 0, 0), b = t->fn(0, 0, 0, 0, 0);

		CHECK(b >= a);
		CHECK(r->fn(0, 0, 0, 0, 0) != r->fn(0, 0, 0, 0, 0) ||
		      r->fn(0, 0, 0, 0, 0) != r->fn(0, 0, 0, 0, 0));
	}
}

static void expect_fault(const struct bpf_insn *insns, u32 cnt, u32 insn_idx, const char *msg)
{
	struct bpffs_prog *prog;
	struct bpffs_run_ctx rc = { .checked = true };
	u64 mem[2] = { 0 };

	CHECK_EQ(bpffs_prog_alloc("f", 0, insns, cnt, &prog), 0);
	CHECK_EQ(bpffs_prog_prepare(prog, NULL), 0);
	bpffs_run_ctx_add_region(&rc, mem, sizeof(mem), false);
	bpffs_interp_run_checked(prog, (u64)(uintptr_t)mem, sizeof(mem), &rc);
	CHECK_EQ(rc.fault, -EFAULT);
	CHECK_EQ(rc.fault_insn, insn_idx);
	CHECK_STR_CONTAINS(rc.fault_msg, msg);
	bpffs_prog_put(prog);
}
#define FAULT(idx, msg, ...) ({ const struct bpf_insn p_[] = { __VA_ARGS__ }; \
				expect_fault(p_, BPFFS_ARRAY_SIZE(p_), idx, msg); })

static void test_checked(void)
{
	TEST("checked mode reports a read past the input with the insn index") {
		FAULT(1, "outside every region", BPFFS_MOV64_IMM(R0, 0),
		      BPFFS_LDX_MEM(BPF_DW, R0, R1, 16), BPFFS_EXIT());
	}
	TEST("checked mode reports a write to read-only memory") {
		FAULT(0, "read-only", BPFFS_ST_MEM(BPF_W, R1, 0, 1), BPFFS_MOV64_IMM(R0, 0),
		      BPFFS_EXIT());
	}
	TEST("checked mode reports a read of uninitialised stack") {
		FAULT(1, "uninitialised stack at fp-4", BPFFS_ST_MEM(BPF_W, R10, -8, 1),
		      BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_EXIT());
	}
	TEST("checked mode reports a stack access outside the frame") {
		FAULT(0, "outside the active frames", BPFFS_ST_MEM(BPF_W, R10, -516, 1),
		      BPFFS_MOV64_IMM(R0, 0), BPFFS_EXIT());
	}
	TEST("checked mode reports a helper reading past its buffer") {
		FAULT(3, "outside every region", BPFFS_ST_MEM(BPF_DW, R10, -8, 0x6968),
		      BPFFS_MOV64_REG(R1, R10), BPFFS_MOV64_IMM(R2, 16),
		      BPFFS_CALL_HELPER(BPF_FUNC_trace_printk), BPFFS_EXIT());
	}
}

static void test_structure(void)
{
	TEST("unknown opcodes and reserved fields are rejected with the insn index") {
		REJECT("0: invalid insn code 0x8e", BPFFS_INSN(0x8e, 0, 0, 0, 0), BPFFS_EXIT());
		REJECT("1: invalid insn code 0x04: reserved field src must be 0",
		       BPFFS_MOV64_IMM(R0, 0), BPFFS_INSN(0x04, 0, 1, 0, 1), BPFFS_EXIT());
		REJECT("reserved field imm must be 0", BPFFS_INSN(0x61, 0, 1, 0, 1), BPFFS_EXIT());
		REJECT("byte swap width", BPFFS_INSN(0xdc, 0, 0, 0, 8), BPFFS_EXIT());
		REJECT("invalid register number", BPFFS_MOV64_IMM(11, 0), BPFFS_EXIT());
		REJECT("atomic operation must be 32 or 64 bit",
		       BPFFS_ATOMIC_OP(BPF_B, BPF_ADD, R10, R1, -8), BPFFS_EXIT());
	}
	TEST("jumps out of range or into an LD_IMM64 are rejected") {
		REJECT("0: jump out of range", BPFFS_JA(5), BPFFS_EXIT());
		REJECT("jump into the middle of ldimm64", BPFFS_JA(1), BPFFS_LD_IMM64(R0, 1), BPFFS_EXIT());
		REJECT("jump out of range", BPFFS_JMP_IMM(BPF_JEQ, R0, 0, -2), BPFFS_EXIT());
	}
	TEST("a lone LD_IMM64 half and a fall-through off the end are rejected") {
		REJECT("invalid bpf_ld_imm64 insn", BPFFS_MOV64_IMM(R0, 0), BPFFS_EXIT(),
		       BPFFS_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1));
		REJECT("last insn is not an exit or jmp", BPFFS_MOV64_IMM(R0, 0));
		REJECT("frame pointer is read only", BPFFS_MOV64_IMM(R10, 0), BPFFS_EXIT());
	}
	TEST("an unknown helper id fails preparation with a clear message") {
		const struct bpf_insn p[] = { BPFFS_CALL_HELPER(250), BPFFS_EXIT() };
		struct bpffs_vlog log = { .level = 1, .buf = last_log, .size = sizeof(last_log) };
		struct bpffs_prog *prog;

		CHECK_EQ(bpffs_prog_alloc("h", 0, p, 2, &prog), 0);
		CHECK_EQ(bpffs_prog_prepare(prog, &log), -EINVAL);
		CHECK_STR_CONTAINS(last_log, "0: invalid func unknown#250");
		bpffs_prog_put(prog);
	}
}

/* Load @insns as a socket filter into the running kernel and read its tag. */
static int kernel_tag(const struct bpf_insn *insns, u32 cnt, char out[17])
{
	union bpf_attr attr;
	struct bpf_prog_info info;
	int fd, err, i;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (u64)(uintptr_t)insns;
	attr.insn_cnt = cnt;
	attr.license = (u64)(uintptr_t)"GPL";
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (u32)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (u64)(uintptr_t)&info;
	err = (int)syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr));
	close(fd);
	for (i = 0; !err && i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", info.tag[i]);
	return err;
}

static void test_tag(void)
{
	TEST("SHA-256 matches the FIPS 180 test vectors") {
		u8 d[32];
		static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

		bpffs_sha256("abc", 3, d);
		CHECK_EQ(d[0], 0xba);
		CHECK_EQ(d[1], 0x78);
		CHECK_EQ(d[31], 0xad);
		bpffs_sha256(two_blocks, strlen(two_blocks), d);
		CHECK_EQ(d[0], 0x24);
		CHECK_EQ(d[31], 0xc1);
	}
	TEST("a program's tag equals the kernel's tag for the same bytecode") {
		const struct bpf_insn p[] = { BPFFS_MOV64_IMM(R0, 42), BPFFS_ALU64_IMM(BPF_ADD, R0, 1),
					      BPFFS_EXIT() };
		struct bpffs_prog *prog;
		char ktag[17];

		CHECK_EQ(bpffs_prog_alloc("tag", 0, p, 3, &prog), 0);
		CHECK_EQ(bpffs_prog_prepare(prog, NULL), 0);
		CHECK_EQ(strlen(prog->tag), 16);
		if (kernel_tag(p, 3, ktag) == 0)
			CHECK(strcmp(prog->tag, ktag) == 0);
		else
			SKIP("kernel BPF unavailable");
		bpffs_prog_put(prog);
	}
}

int main(void)
{
	test_tag();
	test_alu();
	test_jumps();
	test_memory();
	test_packet_loads();
	test_helpers();
	test_checked();
	test_structure();
	return harness_done();
}
