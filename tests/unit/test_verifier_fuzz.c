// SPDX-License-Identifier: MIT
/*
 * Short soundness run of the verifier for make test (the long one is
 * make fuzz-verifier): random and mutated programs; every accepted one runs
 * in the checked interpreter on random inputs and must not fault. Also: the
 * oracle itself catches an unsafe program (so a quiet run means something),
 * and the programs the fuzz found the verifier wrong on.
 */
#include "harness.h"
#include "../verifier/fuzzgen.h"

#define P(...) ((const struct bpf_insn[]){ __VA_ARGS__ })
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Load @insns into the fuzz's program slot; verify; run checked if accepted. */
static int verify_and_run(struct vfuzz *f, struct vfuzz_stats *st, u32 type,
			  const struct bpf_insn *insns, u32 cnt)
{
	memcpy(f->g.insns, insns, cnt * sizeof(*insns));
	f->g.n = cnt;
	f->g.type = type;
	f->g.stack_zeroed = false;	/* the strict profile: unwritten stack is unreadable */
	f->g.unpriv = false;
	f->irng = 12345;
	return vf_try(f, st, 0, 0) ? 0 : -EACCES;
}

/* Run @insns checked without the verifier: the oracle's own test. */
static int run_unverified(struct vfuzz *f, u32 type, const struct bpf_insn *insns, u32 cnt)
{
	struct bpffs_prog *prog = NULL;
	int fault = 0;

	if (bpffs_prog_alloc("oracle", type, insns, cnt, &prog))
		return 0;
	prog->maps = f->maps;
	prog->map_cnt = VF_MAP_CNT;
	prog->runtime = BPFFS_RUNTIME_CHECKED;
	if (!bpffs_prog_prepare(prog, NULL))
		for (int r = 0; r < 8 && !fault; r++)
			fault = vf_run_once(f, prog);
	prog->maps = NULL;
	prog->map_cnt = 0;
	bpffs_prog_put(prog);
	return fault;
}

int main(void)
{
	struct vfuzz_stats st = { 0 };
	struct vfuzz f;
	u64 n = 15000;

	if (getenv("VFUZZ_COUNT"))
		n = strtoull(getenv("VFUZZ_COUNT"), NULL, 0);
	TEST("accepted random programs never fault in the checked interpreter") {
		CHECK_EQ(vfuzz_run(7000000, n, &st, 3), 0);
		CHECK_EQ(st.faults, 0);
		/* the generator must keep producing accepted programs to mean anything */
		CHECK(st.accepted > n / 4);
		CHECK(st.mutants_accepted > n / 4);
		CHECK(st.runs >= VF_RUNS * (st.accepted + st.mutants_accepted - st.prep_fail));
		/* ld_imm64 map values into multi-entry arrays: see fuzzgen.h */
		CHECK(st.prep_fail < (st.accepted + st.mutants_accepted) / 20);
		printf("# %llu programs + %llu mutants, %llu + %llu accepted (%llu not preparable), "
		       "%llu checked runs\n", (unsigned long long)st.generated,
		       (unsigned long long)st.mutants, (unsigned long long)st.accepted,
		       (unsigned long long)st.mutants_accepted, (unsigned long long)st.prep_fail,
		       (unsigned long long)st.runs);
	}
	if (vf_open(&f, 3)) {
		printf("Bail out! cannot create the fuzz maps\n");
		return 1;
	}
	TEST("the checked run faults on unsafe programs (the oracle works)") {
		/* packet byte 600 without a data_end check: beyond every packet */
		CHECK(run_unverified(&f, BPF_PROG_TYPE_XDP,
				     P(BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 0),
				       BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_2, 600), BPFFS_EXIT()), 3));
		/* a map value read one byte past its end, after the null check */
		CHECK(run_unverified(&f, BPF_PROG_TYPE_SCHED_CLS,
				     P(BPFFS_ST_MEM(BPF_W, BPF_REG_10, -8, 0),
				       BPFFS_MOV64_REG(BPF_REG_2, BPF_REG_10),
				       BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
				       BPFFS_LD_IMM64_RAW(BPF_REG_1, BPF_PSEUDO_MAP_FD, VF_MAP_ARRAY),
				       BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem),
				       BPFFS_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1),
				       BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_0, 24),
				       BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT()), 10));
		/* an uninitialised stack read */
		CHECK(run_unverified(&f, BPF_PROG_TYPE_SOCKET_FILTER,
				     P(BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -16), BPFFS_EXIT()),
				     2));
		/* and no fault for the safe variant of the first */
		CHECK(!run_unverified(&f, BPF_PROG_TYPE_XDP,
				      P(BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 0),
					BPFFS_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, 4),
					BPFFS_MOV64_REG(BPF_REG_4, BPF_REG_2),
					BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, 601),
					BPFFS_MOV64_IMM(BPF_REG_0, 0),
					BPFFS_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 1),
					BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_2, 600), BPFFS_EXIT()), 8));
	}
	TEST("found by the fuzz: stack pointer minus a scalar is refused as the kernel does") {
		/*
		 * ptr -= scalar was rejected as "tried to subtract pointer from
		 * scalar" (adjust_ptr compared its copy of dst with dst). The
		 * running kernel (6.18, root) refuses any subtraction from a
		 * stack pointer, register or constant ("R1 subtraction from
		 * stack pointer prohibited", tests/verifier/cases.h checks it
		 * against the kernel), and so does the verifier now.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn var[] = {
			BPFFS_CALL_HELPER(BPF_FUNC_get_prandom_u32),
			BPFFS_ALU32_IMM(BPF_RSH, BPF_REG_0, 28),	/* 0..15 */
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, -8),
			BPFFS_ALU64_REG(BPF_SUB, BPF_REG_1, BPF_REG_0),	/* fp-23..fp-8 */
			BPFFS_ST_MEM(BPF_B, BPF_REG_1, 0, 1),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};
		const struct bpf_insn cst[] = {
			BPFFS_MOV64_IMM(BPF_REG_2, 8),
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10),
			BPFFS_ALU64_REG(BPF_SUB, BPF_REG_1, BPF_REG_2),
			BPFFS_ST_MEM(BPF_DW, BPF_REG_1, 0, 1),
			BPFFS_ALU64_IMM(BPF_SUB, BPF_REG_1, 8),
			BPFFS_ST_MEM(BPF_DW, BPF_REG_1, 0, 1),
			BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -16), BPFFS_EXIT(),
		};
		/* still rejected: the difference leaves the stack */
		const struct bpf_insn bad[] = {
			BPFFS_CALL_HELPER(BPF_FUNC_get_prandom_u32),
			BPFFS_ALU32_IMM(BPF_RSH, BPF_REG_0, 28),
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, -500),
			BPFFS_ALU64_REG(BPF_SUB, BPF_REG_1, BPF_REG_0),
			BPFFS_ST_MEM(BPF_B, BPF_REG_1, 0, 1),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};

		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, var, LEN(var)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SOCKET_FILTER, cst, LEN(cst)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, bad, LEN(bad)), -EACCES);
		CHECK_EQ(s2.runs, 0);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: a branch decided by contradicting bounds marks them precise") {
		/*
		 * At 4, r0 >= 1 on the first path makes "r0 & -1" true: the
		 * false side's bounds are contradictory, so the verifier went
		 * straight on without marking r0 precise. The second path (from
		 * 2, r0 may be 0) was then pruned at 4 against the first, and
		 * r2 = 31 put the store at fp+7, outside the stack.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, 40),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_9, BPF_REG_1, 44),
			BPFFS_JMP_REG(BPF_JGE, BPF_REG_9, BPF_REG_0, 1),
			BPFFS_MOV64_IMM(BPF_REG_1, 0),
			BPFFS_JMP_IMM(BPF_JSET, BPF_REG_0, -1, 2),
			BPFFS_MOV64_IMM(BPF_REG_2, 31),
			BPFFS_JA(1),
			BPFFS_MOV64_IMM(BPF_REG_2, 16),
			BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, -24),
			BPFFS_ALU64_REG(BPF_ADD, BPF_REG_3, BPF_REG_2),
			BPFFS_ST_MEM(BPF_B, BPF_REG_3, 0, 3),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[5] = BPFFS_MOV64_IMM(BPF_REG_2, 23);	/* fp-1: safe on both paths */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SOCKET_FILTER, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SOCKET_FILTER, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: a variable-size helper write initialises only its minimum") {
		/*
		 * skb_load_bytes(ctx, 0, fp-8, len in [1, 8]) writes len bytes;
		 * all 8 were marked written, so reading fp-1 passed although it
		 * is unwritten whenever len < 8 (an uninitialised stack read).
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_4, BPF_REG_6, 8),
			BPFFS_ALU64_IMM(BPF_AND, BPF_REG_4, 7),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, 1),
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_6),
			BPFFS_MOV64_IMM(BPF_REG_2, 0),
			BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, -8),
			BPFFS_CALL_HELPER(BPF_FUNC_skb_load_bytes),
			BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_10, -1),
			BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[9] = BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_10, -8);	/* always written */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: pruning inside a callee compares the caller's live registers") {
		/*
		 * The second path reaches the callee with r7's packet range 0
		 * (first: 8) and was pruned at 15: the caller frame was compared
		 * on the registers live at its own entry (main's callsite -1 + 1
		 * = insn 0) instead of those live after the call, so r7 was
		 * skipped and the 8-byte packet read at 10 ran past the packet.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_6, 76),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_6, 80),
			BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_7),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_0, 8),
			BPFFS_JMP_REG(BPF_JLT, BPF_REG_8, BPF_REG_0, 0),	/* a join, nothing else */
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, -8),
			BPFFS_MOV64_IMM(BPF_REG_2, 0),
			BPFFS_CALL_LOCAL(3),
			BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_7, 0),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
			/* the callee: a prune point at 15 */
			BPFFS_JMP_IMM(BPF_JLE, BPF_REG_2, 7, 1),
			BPFFS_MOV64_IMM(BPF_REG_2, 1),
			BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_2), BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[5].off = 5;	/* a short packet skips the call and the read */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz (UBSan): strtol's result pointer must be 8-byte aligned") {
		/* the helper stores a u64 at r4: fp-12 was accepted (the kernel
		 * requires alignment, MEM_ALIGNED) and the store was misaligned */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -24, 0x34333231),	/* "1234" */
			BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, -24),
			BPFFS_MOV64_IMM(BPF_REG_2, 4),
			BPFFS_MOV64_IMM(BPF_REG_3, 0),
			BPFFS_MOV64_REG(BPF_REG_4, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, -12),
			BPFFS_CALL_HELPER(BPF_FUNC_strtol),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[6].imm = -16;
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_XDP, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_XDP, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: a sign-extending load from the stack is sign-extended") {
		/*
		 * ldxsb of a stack byte (0xff here) gave [0, 255]: stack fills
		 * and context loads skipped the sign extension. As data + -1
		 * the packet read at 9 then started one byte before the packet.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_1, 76),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_1, 80),
			BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -8, -1),
			BPFFS_ST_MEM(BPF_B, BPF_REG_10, -7, 0),		/* no longer a spill */
			BPFFS_INSN(BPF_LDX | BPF_MEMSX | BPF_B, BPF_REG_2, BPF_REG_10, -1, 0),
			BPFFS_ALU64_REG(BPF_ADD, BPF_REG_7, BPF_REG_2),
			BPFFS_MOV64_REG(BPF_REG_5, BPF_REG_7),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_5, 2),
			BPFFS_JMP_REG(BPF_JGT, BPF_REG_5, BPF_REG_8, 1),
			BPFFS_LDX_MEM(BPF_H, BPF_REG_3, BPF_REG_7, 0),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[4] = BPFFS_LDX_MEM(BPF_B, BPF_REG_2, BPF_REG_10, -1);	/* zero-extended */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: a jump back to a callback's first insn is a loop, not a re-entry") {
		/*
		 * The bpf_loop callback at 8 loops forever when index > 7. The
		 * verifier took every arrival at a callback's first insn for
		 * the helper calling it again, and pruned the jump back as an
		 * iteration already seen: accepted, and the run never ended.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_MOV64_IMM(BPF_REG_1, 14),
			BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_FUNC, 0, 6),
			BPFFS_INSN(0, 0, 0, 0, 0),
			BPFFS_MOV64_IMM(BPF_REG_3, 0),
			BPFFS_MOV64_IMM(BPF_REG_4, 0),
			BPFFS_CALL_HELPER(BPF_FUNC_loop),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
			/* the callback */
			BPFFS_MOV64_IMM(BPF_REG_0, 0),
			BPFFS_JMP_IMM(BPF_JGT, BPF_REG_1, 7, -2),
			BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];
		struct bpffs_prog *prog = NULL;

		/* verified only: if accepted, running it would not return */
		CHECK_EQ(bpffs_prog_alloc("cb", BPF_PROG_TYPE_SCHED_CLS, bad, LEN(bad), &prog), 0);
		if (prog) {
			CHECK_EQ(bpffs_verify(prog, NULL, NULL), -EACCES);
			bpffs_prog_put(prog);
		}
		memcpy(good, bad, sizeof(bad));
		good[9].off = 0;	/* if index > 7: nothing */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SCHED_CLS, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	TEST("found by the fuzz: a filled scalar with signed bounds stays precise") {
		/*
		 * 2 - r0 for r0 in [0, 256] is [-254, 2]: unsigned [0, U64_MAX]
		 * with an unknown tnum. Filled from fp-64 it passed for "any
		 * value of the load's size", so precision stopped at the fill,
		 * r0 was not precise at the join (6) and the path with r0 > 256
		 * was pruned there: its store landed far below the stack.
		 */
		struct vfuzz_stats s2 = { 0 };
		const struct bpf_insn bad[] = {
			BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
			BPFFS_MOV64_IMM(BPF_REG_4, 2),
			BPFFS_JMP_IMM(BPF_JGT, BPF_REG_0, 256, 2),
			BPFFS_MOV64_IMM(BPF_REG_2, 15),
			BPFFS_JA(1),
			BPFFS_MOV64_IMM(BPF_REG_2, 8),
			BPFFS_ALU64_REG(BPF_SUB, BPF_REG_4, BPF_REG_0),
			BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_4, -64),
			BPFFS_LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, -64),
			BPFFS_MOV64_REG(BPF_REG_4, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, -32),
			BPFFS_ALU64_REG(BPF_ADD, BPF_REG_4, BPF_REG_2),
			BPFFS_ST_MEM(BPF_B, BPF_REG_4, 0, 32),
			BPFFS_MOV64_IMM(BPF_REG_0, 0), BPFFS_EXIT(),
		};
		struct bpf_insn good[LEN(bad)];

		memcpy(good, bad, sizeof(bad));
		good[6] = BPFFS_ALU64_REG(BPF_SUB, BPF_REG_4, BPF_REG_2);	/* 2 - 15 or 2 - 8 */
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SOCKET_FILTER, bad, LEN(bad)), -EACCES);
		CHECK_EQ(verify_and_run(&f, &s2, BPF_PROG_TYPE_SOCKET_FILTER, good, LEN(good)), 0);
		CHECK_EQ(s2.runs, VF_RUNS);
		CHECK_EQ(s2.faults, 0);
	}
	vf_close(&f);
	return harness_done();
}
