// SPDX-License-Identifier: MIT
/*
 * Verifier state pruning (issue 5, performance): what pruning may ignore
 * (stack slots and registers no path below an explored state reads, zero
 * bytes whose value did not matter, loads that gave an unknown value) must
 * be ignored, so that paths joining again are not explored twice; and what
 * a path below did read or rely on must still be compared, so that a
 * program unsafe on only one of two joining paths is still rejected. Also
 * the complexity caps (pending branches) and the statistics.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "core/core.h"
#include "verifier/verifier.h"

#define P(...) ((const struct bpf_insn[]){ __VA_ARGS__ })
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct bpffs_verifier_stats st;
static char logtext[4096];

static int verify(const struct bpf_insn *insns, u32 cnt)
{
	struct bpffs_prog prog;
	struct bpffs_vlog log;
	int err;

	memset(&prog, 0, sizeof(prog));
	memset(&st, 0, sizeof(st));
	prog.type = BPF_PROG_TYPE_SOCKET_FILTER;
	prog.insns = (struct bpf_insn *)insns;
	prog.insn_cnt = cnt;
	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 1 << 16);
	err = bpffs_verify_stats(&prog, NULL, &log, &st);
	snprintf(logtext, sizeof(logtext), "%s", bpffs_vlog_text(&log));
	bpffs_vlog_free(&log);
	return err;
}

/*
 * @k diamonds on an unknown value; diamond i leaves a pointer or a scalar
 * in stack slot i (or, with @in_reg, in r3): states differ at every join.
 * @tail (may be empty) follows.
 */
static struct bpf_insn *diamonds(int k, bool in_reg, const struct bpf_insn *tail, u32 tail_n,
				 u32 *cnt)
{
	struct bpf_insn *p = calloc(8 + 5 * k + tail_n, sizeof(*p));
	u32 n = 0;
	int i;

	p[n++] = BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1);
	p[n++] = BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_6, 0);	/* skb->len: unknown */
	for (i = 0; i < k; i++) {
		s16 off = (s16)(-8 * (i % 8 + 1));

		p[n++] = BPFFS_JMP_IMM(BPF_JGT, BPF_REG_2, 5 + i, 2);
		p[n++] = in_reg ? BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10) :
				  BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_6, off);
		p[n++] = BPFFS_JA(1);
		p[n++] = in_reg ? BPFFS_MOV64_IMM(BPF_REG_3, 7) :
				  BPFFS_ST_MEM(BPF_DW, BPF_REG_10, off, 7);
		p[n++] = BPFFS_MOV64_IMM(BPF_REG_4, i);	/* the join */
	}
	if (tail_n)
		memcpy(&p[n], tail, tail_n * sizeof(*tail));
	n += tail_n;
	p[n++] = BPFFS_MOV64_IMM(BPF_REG_0, 0);
	p[n++] = BPFFS_EXIT();
	*cnt = n;
	return p;
}

int main(void)
{
	TEST("stack slots no path reads again do not keep joining paths apart") {
		u32 n;
		struct bpf_insn *p = diamonds(16, false, NULL, 0, &n);

		CHECK_EQ(verify(p, n), 0);
		/* 2^16 paths without stack liveness; linear with it */
		CHECK(st.insn_processed < 20 * n);
		free(p);
	}
	TEST("a slot read below the join is compared: pointer on one path, scalar on the other") {
		/* fp-8 is the last slot diamond 0 and 8 wrote: a scalar on one path */
		const struct bpf_insn *tail = P(BPFFS_LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_10, -8),
						BPFFS_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_3, 0));
		u32 n;
		struct bpf_insn *p = diamonds(9, false, tail, 2, &n);

		CHECK_EQ(verify(p, n), -EACCES);
		CHECK_STR_CONTAINS(logtext, "invalid mem access");
		free(p);
	}
	TEST("registers no path reads again do not keep joining paths apart") {
		u32 n;
		struct bpf_insn *p = diamonds(16, true, P(BPFFS_MOV64_IMM(BPF_REG_3, 0)), 1, &n);

		CHECK_EQ(verify(p, n), 0);
		CHECK(st.insn_processed < 20 * n);
		free(p);
	}
	TEST("a register read below the join is compared: stack pointer or scalar") {
		u32 n;
		struct bpf_insn *p = diamonds(3, true, P(BPFFS_ST_MEM(BPF_DW, BPF_REG_3, -8, 0)), 1,
					      &n);

		CHECK_EQ(verify(p, n), -EACCES);
		free(p);
	}
	TEST("zero bytes whose value decides a bound are compared exactly") {
		/* the no-store path (fp-16 zero) is explored first and proves the
		 * offset safe; the path that stored an unknown must not be pruned */
		const struct bpf_insn *p = P(
			BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 0),
			BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -16, 0),
			BPFFS_JMP_IMM(BPF_JGT, BPF_REG_2, 5, 1),
			BPFFS_JA(1),
			BPFFS_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_2, -16),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_10, -16),	/* join */
			BPFFS_MOV64_REG(BPF_REG_4, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, -8),
			BPFFS_ALU64_REG(BPF_ADD, BPF_REG_4, BPF_REG_3),
			BPFFS_ST_MEM(BPF_B, BPF_REG_4, 0, 0),
			BPFFS_MOV64_IMM(BPF_REG_0, 0),
			BPFFS_EXIT());

		CHECK_EQ(verify(p, 12), -EACCES);
	}
	TEST("zero bytes whose value does not matter match any initialised bytes") {
		const struct bpf_insn *p = P(
			BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 0),
			BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -16, 0),
			BPFFS_JMP_IMM(BPF_JGT, BPF_REG_2, 5, 1),
			BPFFS_JA(1),
			BPFFS_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_2, -16),
			BPFFS_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_10, -16),	/* join */
			BPFFS_EXIT());

		CHECK_EQ(verify(p, 7), 0);
		/* the second path is pruned at the join: 5 + 2 insns, not 5 + 3 + 2 */
		CHECK_EQ(st.insn_processed, 8);
	}
	TEST("precision follows a constant through a stack spill and fill") {
		const struct bpf_insn *p = P(
			BPFFS_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 0),
			BPFFS_MOV64_IMM(BPF_REG_3, 0),
			BPFFS_JMP_IMM(BPF_JGT, BPF_REG_2, 5, 1),
			BPFFS_JA(1),
			BPFFS_MOV64_IMM(BPF_REG_3, 600),
			BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_3, -8),	/* join */
			BPFFS_LDX_MEM(BPF_DW, BPF_REG_4, BPF_REG_10, -8),
			BPFFS_MOV64_REG(BPF_REG_5, BPF_REG_10),
			BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_5, -16),
			BPFFS_ALU64_REG(BPF_ADD, BPF_REG_5, BPF_REG_4),
			BPFFS_ST_MEM(BPF_B, BPF_REG_5, 0, 0),
			BPFFS_MOV64_IMM(BPF_REG_0, 0),
			BPFFS_EXIT());

		CHECK_EQ(verify(p, 13), -EACCES);
	}
	TEST("more than 8192 pending branches: E2BIG like the kernel's jump-sequence limit") {
		u32 n = 0, i;
		struct bpf_insn *p = calloc(4 * 9000 + 8, sizeof(*p));

		p[n++] = BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1);
		p[n++] = BPFFS_MOV64_IMM(BPF_REG_3, 0);
		for (i = 0; i < 9000; i++) {
			p[n++] = BPFFS_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_6, 0);
			p[n++] = BPFFS_JMP_IMM(BPF_JGT, BPF_REG_1, 100, 1);
			p[n++] = BPFFS_MOV64_IMM(BPF_REG_2, 7);
			p[n++] = BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, 1);
		}
		p[n++] = BPFFS_MOV64_IMM(BPF_REG_0, 0);
		p[n++] = BPFFS_EXIT();
		CHECK_EQ(verify(p, n), -E2BIG);
		CHECK_STR_CONTAINS(logtext, "jumps is too complex");
		/* the same shape below the limit is accepted, pruned at each join */
		n = 2 + 4 * 2000;
		p[n++] = BPFFS_MOV64_IMM(BPF_REG_0, 0);
		p[n++] = BPFFS_EXIT();
		CHECK_EQ(verify(p, n), 0);
		CHECK(st.insn_processed < 2 * n);
		CHECK(st.peak_state_bytes > 0);
		CHECK(st.cpu_ns > 0);
		free(p);
	}
	return harness_done();
}
