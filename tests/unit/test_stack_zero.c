// SPDX-License-Identifier: MIT
/*
 * Uninitialised stack reads (the kernel's root profile) are accepted only
 * together with runtime zeroing: the verifier flags a program that reads
 * stack it did not write (prog->zero_stack), and the interpreter (fast and
 * checked) and the JIT zero each of its frames on entry -- the main frame, a
 * fresh BPF-to-BPF callee frame on every call, a tail-call target. Each test
 * first dirties the very stack memory the reader will get (another program,
 * or another callee, writes garbage there), and checks the read gives 0; a
 * control run of the same code without the flag shows the garbage would
 * otherwise be seen, so the tests can fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/core.h"
#include "maps/maps.h"
#include "verifier/verifier.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R10 BPF_REG_10
#define GARBAGE 0x5a5a5a5a5a5a5a5aull
#define DIRTY_SLOTS(r) BPFFS_STX_MEM(BPF_DW, R10, r, -8), BPFFS_STX_MEM(BPF_DW, R10, r, -16), \
	BPFFS_STX_MEM(BPF_DW, R10, r, -24), BPFFS_STX_MEM(BPF_DW, R10, r, -32)

enum { VERIFY, FORCE_FLAG, FORCE_NO_FLAG };

/*
 * Build a program for @runtime: verified (stack zeroing allowed) unless
 * @how forces the flag one way, bypassing the verifier for the control runs.
 */
static struct bpffs_prog *build(const struct bpf_insn *insns, u32 cnt, struct bpffs_map *map,
				int runtime, int how)
{
	static char logbuf[1 << 16];
	struct bpffs_verifier_opts vo = { .stack_zeroed = true };
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	struct bpffs_prog *prog;

	logbuf[0] = 0;
	if (bpffs_prog_alloc("t", BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, &prog))
		return NULL;
	if (map) {
		prog->maps = calloc(1, sizeof(*prog->maps));
		bpffs_map_get(map);
		prog->maps[0] = map;
		prog->map_cnt = 1;
	}
	if (how == VERIFY && bpffs_verify(prog, &vo, &log)) {
		printf("# verifier: %s\n", logbuf);
		bpffs_prog_put(prog);
		return NULL;
	}
	if (how != VERIFY) {
		prog->stack_depth = BPFFS_STACK_SIZE;
		prog->zero_stack = how == FORCE_FLAG;
	}
	prog->runtime = runtime;
	if (bpffs_prog_prepare(prog, &log)) {
		printf("# prepare: %s\n", logbuf);
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

static u64 run(const struct bpffs_prog *prog, int runtime)
{
	struct bpffs_run_ctx rc = { 0 };
	u64 ctx[8] = { 0 };

	if (runtime == BPFFS_RUNTIME_JIT)
		return bpffs_jit_run(prog, (u64)(uintptr_t)ctx, sizeof(ctx), &rc);
	if (runtime == BPFFS_RUNTIME_CHECKED)
		return bpffs_interp_run_checked(prog, (u64)(uintptr_t)ctx, sizeof(ctx), &rc);
	return bpffs_interp_run(prog, (u64)(uintptr_t)ctx, sizeof(ctx), &rc);
}

static const char *const rt_name[] = {
	[BPFFS_RUNTIME_INTERP] = "interpreter",
	[BPFFS_RUNTIME_CHECKED] = "checked interpreter",
	[BPFFS_RUNTIME_JIT] = "JIT",
};

/* A program that leaves garbage in the first 32 bytes of its stack. */
static const struct bpf_insn dirty[] = {
	BPFFS_LD_IMM64(R1, GARBAGE), DIRTY_SLOTS(R1), BPFFS_MOV64_IMM(R0, 0), BPFFS_EXIT(),
};

/* Reads two slots it never wrote. */
static const struct bpf_insn reader[] = {
	BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_LDX_MEM(BPF_DW, R1, R10, -32),
	BPFFS_ALU64_REG(BPF_OR, R0, R1), BPFFS_EXIT(),
};

/* main calls a callee that dirties its frame, then one that reads its own. */
static const struct bpf_insn calls[] = {
	BPFFS_CALL_LOCAL(2), BPFFS_CALL_LOCAL(9), BPFFS_EXIT(),
	/* 3: dirty callee */
	BPFFS_LD_IMM64(R1, GARBAGE), DIRTY_SLOTS(R1), BPFFS_MOV64_IMM(R0, 0), BPFFS_EXIT(),
	/* 11: reading callee */
	BPFFS_LDX_MEM(BPF_DW, R0, R10, -8), BPFFS_LDX_MEM(BPF_DW, R1, R10, -32),
	BPFFS_ALU64_REG(BPF_OR, R0, R1), BPFFS_EXIT(),
};

/* Dirties its stack, then tail-calls slot 0 of the prog array. */
static const struct bpf_insn tail_caller[] = {
	BPFFS_LD_IMM64(R2, GARBAGE), DIRTY_SLOTS(R2),
	BPFFS_LD_IMM64_RAW(R2, BPF_PSEUDO_MAP_FD, 0), BPFFS_MOV64_IMM(R3, 0),
	BPFFS_CALL_HELPER(BPF_FUNC_tail_call), BPFFS_MOV64_IMM(R0, 77), BPFFS_EXIT(),
};

static void test_flag(void)
{
	TEST("the verifier flags a program reading unwritten stack, and only it") {
		struct bpffs_prog *r = build(reader, BPFFS_ARRAY_SIZE(reader), NULL,
					     BPFFS_RUNTIME_INTERP, VERIFY);
		struct bpffs_prog *d = build(dirty, BPFFS_ARRAY_SIZE(dirty), NULL,
					     BPFFS_RUNTIME_INTERP, VERIFY);

		CHECK(r && d);
		if (r && d) {
			CHECK(r->zero_stack);
			CHECK_EQ(r->stack_depth, 32);
			CHECK(!d->zero_stack);
		}
		if (r)
			bpffs_prog_put(r);
		if (d)
			bpffs_prog_put(d);
	}
	TEST("without runtime zeroing the verifier rejects the read") {
		struct bpffs_verifier_opts vo = { .stack_zeroed = false };
		struct bpffs_prog *p;

		CHECK(!bpffs_prog_alloc("t", BPF_PROG_TYPE_SOCKET_FILTER, reader,
					BPFFS_ARRAY_SIZE(reader), &p));
		CHECK_EQ(bpffs_verify(p, &vo, NULL), -EACCES);
		bpffs_prog_put(p);
	}
}

/* Run @dirt then @prog (same caller frame: same stack memory). */
static u64 after_dirt(const struct bpffs_prog *dirt, const struct bpffs_prog *prog, int rt)
{
	CHECK_EQ(run(dirt, rt), 0);
	return run(prog, rt);
}

static void test_main_frame(int rt)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: unwritten stack reads 0 after another program dirtied it",
		 rt_name[rt]);
	TEST(name) {
		struct bpffs_prog *d = build(dirty, BPFFS_ARRAY_SIZE(dirty), NULL, rt, VERIFY);
		struct bpffs_prog *r = build(reader, BPFFS_ARRAY_SIZE(reader), NULL, rt, VERIFY);
		struct bpffs_prog *ctl = rt == BPFFS_RUNTIME_CHECKED ? NULL :
			build(reader, BPFFS_ARRAY_SIZE(reader), NULL, rt, FORCE_NO_FLAG);

		CHECK(d && r && (ctl || rt == BPFFS_RUNTIME_CHECKED));
		if (d && r) {
			for (int i = 0; i < 3; i++)
				CHECK_EQ(after_dirt(d, r, rt), 0);
			/* the control: the same read, unzeroed, sees the garbage */
			if (ctl)
				CHECK_EQ(after_dirt(d, ctl, rt), GARBAGE);
		}
		if (d)
			bpffs_prog_put(d);
		if (r)
			bpffs_prog_put(r);
		if (ctl)
			bpffs_prog_put(ctl);
	}
}

static void test_callee_frame(int rt)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: each BPF-to-BPF call gets a zeroed frame", rt_name[rt]);
	TEST(name) {
		struct bpffs_prog *p = build(calls, BPFFS_ARRAY_SIZE(calls), NULL, rt, VERIFY);
		struct bpffs_prog *ctl = rt == BPFFS_RUNTIME_CHECKED ? NULL :
			build(calls, BPFFS_ARRAY_SIZE(calls), NULL, rt, FORCE_NO_FLAG);

		CHECK(p && (ctl || rt == BPFFS_RUNTIME_CHECKED));
		if (p) {
			CHECK(p->zero_stack);
			CHECK_EQ(run(p, rt), 0);
			if (ctl)
				CHECK_EQ(run(ctl, rt), GARBAGE);
		}
		if (p)
			bpffs_prog_put(p);
		if (ctl)
			bpffs_prog_put(ctl);
	}
}

static void test_tail_call(int rt)
{
	struct bpffs_map_attr a = { .map_type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
				    .value_size = 4, .max_entries = 1, .inner_map_idx = (u32)-1 };
	char name[128];

	snprintf(name, sizeof(name), "%s: a tail-call target's frame is zeroed", rt_name[rt]);
	TEST(name) {
		struct bpffs_map *pa = NULL;
		struct bpffs_prog *c = NULL, *r = NULL, *ctl = NULL;

		CHECK(!bpffs_map_create(&a, NULL, &pa));
		if (pa) {
			c = build(tail_caller, BPFFS_ARRAY_SIZE(tail_caller), pa, rt, VERIFY);
			r = build(reader, BPFFS_ARRAY_SIZE(reader), NULL, rt, VERIFY);
			if (rt != BPFFS_RUNTIME_CHECKED)
				ctl = build(reader, BPFFS_ARRAY_SIZE(reader), NULL, rt,
					    FORCE_NO_FLAG);
		}
		CHECK(c && r && (ctl || rt == BPFFS_RUNTIME_CHECKED));
		if (c && r) {
			CHECK(!bpffs_prog_array_update(pa, 0, r));
			CHECK_EQ(run(c, rt), 0);
			if (ctl) {
				CHECK(!bpffs_prog_array_update(pa, 0, ctl));
				CHECK_EQ(run(c, rt), GARBAGE);
			}
		}
		if (c)
			bpffs_prog_put(c);
		if (r)
			bpffs_prog_put(r);
		if (ctl)
			bpffs_prog_put(ctl);
		if (pa)
			bpffs_map_put(pa);
	}
}

int main(void)
{
	static const int rts[] = { BPFFS_RUNTIME_INTERP, BPFFS_RUNTIME_CHECKED, BPFFS_RUNTIME_JIT };

	test_flag();
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(rts); i++) {
		test_main_frame(rts[i]);
		test_callee_frame(rts[i]);
		test_tail_call(rts[i]);
	}
	return harness_done();
}
