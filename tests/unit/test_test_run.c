// SPDX-License-Identifier: MIT
/*
 * bpffs_prog_test_run (src/hooks/test_run.c), the BPF_PROG_TEST_RUN
 * equivalent: XDP frames (data..data_end = the input, writes come back),
 * socket filters (skb->len, skb_load_bytes), raw contexts (timer), repeat
 * counts, and the error cases (empty packet, oversized input, context too
 * long, type that cannot be test-run). Each runtime that is available runs
 * the same programs: interpreter, checked interpreter, JIT.
 */
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include "harness.h"
#include "test_hooks_util.h"
#include "core/core.h"
#include "core/object.h"
#include "hooks/hooks.h"
#include "jit/jit.h"
#include "bpffs/hooks.h"

static enum bpffs_runtime cur_runtime;

static struct bpffs_prog *build(const char *name, u32 type, const struct bpf_insn *insns,
				u32 cnt)
{
	struct bpffs_prog *prog = NULL;

	if (bpffs_prog_alloc(name, type, insns, cnt, &prog))
		return NULL;
	prog->runtime = cur_runtime;
	if (bpffs_prog_prepare(prog, NULL) ||
	    (cur_runtime == BPFFS_RUNTIME_JIT && bpffs_jit_compile(prog, NULL))) {
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

/* XDP: if the frame has >= 2 bytes, byte 1 = 0xab and XDP_TX; else XDP_PASS. */
static struct bpffs_prog *xdp_writer(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_W, 2, 1, offsetof(struct xdp_md, data)),
		BPFFS_LDX_MEM(BPF_W, 3, 1, offsetof(struct xdp_md, data_end)),
		BPFFS_MOV64_REG(4, 2),
		BPFFS_ALU64_IMM(BPF_ADD, 4, 2),
		BPFFS_JMP_REG(BPF_JGT, 4, 3, 3),
		BPFFS_ST_MEM(BPF_B, 2, 1, 0xab),
		BPFFS_MOV64_IMM(0, XDP_TX),
		BPFFS_EXIT(),
		BPFFS_MOV64_IMM(0, XDP_PASS),
		BPFFS_EXIT(),
	};

	return build("xdp_writer", BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns));
}

/* XDP: r0 = data_end - data (the frame length the program sees). */
static struct bpffs_prog *xdp_len(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_W, 2, 1, offsetof(struct xdp_md, data)),
		BPFFS_LDX_MEM(BPF_W, 0, 1, offsetof(struct xdp_md, data_end)),
		BPFFS_ALU64_REG(BPF_SUB, 0, 2),
		BPFFS_EXIT(),
	};

	return build("xdp_len", BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns));
}

/* Socket filter: return skb->len. */
static struct bpffs_prog *skb_len(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_W, 0, 1, offsetof(struct __sk_buff, len)),
		BPFFS_EXIT(),
	};

	return build("skb_len", BPF_PROG_TYPE_SOCKET_FILTER, insns, BPFFS_ARRAY_SIZE(insns));
}

/* Socket filter: bpf_skb_load_bytes(skb, 12, fp-8, 2); r0 = the u16 or 0xffff on error. */
static struct bpffs_prog *skb_proto(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_ST_MEM(BPF_DW, 10, -8, 0),
		BPFFS_MOV64_IMM(2, 12),
		BPFFS_MOV64_REG(3, 10),
		BPFFS_ALU64_IMM(BPF_ADD, 3, -8),
		BPFFS_MOV64_IMM(4, 2),
		BPFFS_CALL_HELPER(BPF_FUNC_skb_load_bytes),
		BPFFS_JMP_IMM(BPF_JNE, 0, 0, 2),
		BPFFS_LDX_MEM(BPF_H, 0, 10, -8),
		BPFFS_EXIT(),
		BPFFS_MOV64_IMM(0, 0xffff),
		BPFFS_EXIT(),
	};

	return build("skb_proto", BPF_PROG_TYPE_SOCKET_FILTER, insns, BPFFS_ARRAY_SIZE(insns));
}

/* Timer: r0 = ctx->period_ns + ctx->expirations. */
static struct bpffs_prog *timer_sum(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_DW, 0, 1, offsetof(struct bpffs_timer_ctx, period_ns)),
		BPFFS_LDX_MEM(BPF_DW, 2, 1, offsetof(struct bpffs_timer_ctx, expirations)),
		BPFFS_ALU64_REG(BPF_ADD, 0, 2),
		BPFFS_EXIT(),
	};

	return build("timer_sum", BPFFS_PROG_TYPE_TIMER, insns, BPFFS_ARRAY_SIZE(insns));
}

static const char *rt_name(void)
{
	return cur_runtime == BPFFS_RUNTIME_JIT ? "jit" :
	       cur_runtime == BPFFS_RUNTIME_CHECKED ? "checked" : "interp";
}

/* "RUNTIME: @what" in storage that outlives the test (the harness keeps the pointer). */
static const char *tname(const char *what)
{
	static char names[64][128];
	static u32 next;
	char *n = names[next++ % 64];

	snprintf(n, 128, "%s: %s", rt_name(), what);
	return n;
}

static void test_xdp(void)
{
	struct bpffs_prog *p = xdp_writer(), *l = xdp_len();
	struct bpffs_test_run_result res;
	u8 pkt[60], one = 0x11;

	for (u32 i = 0; i < sizeof(pkt); i++)
		pkt[i] = (u8)i;
	TEST(tname("XDP program writes byte 1 and returns XDP_TX")) {
		CHECK(p != NULL);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, sizeof(pkt), 1, &res), 0);
		CHECK_EQ(res.retval, XDP_TX);
		CHECK(res.has_data);
		CHECK_EQ(res.data_len, sizeof(pkt));
		CHECK_EQ(res.data[0], 0);
		CHECK_EQ(res.data[1], 0xab);
		CHECK_EQ(memcmp(res.data + 2, pkt + 2, sizeof(pkt) - 2), 0);
		CHECK_EQ(res.fault, 0);
		CHECK_EQ(pkt[1], 1);	/* the caller's bytes are not touched */
		bpffs_test_run_result_fini(&res);
	}
	TEST(tname("XDP data..data_end covers exactly the input")) {
		CHECK(l != NULL);
		CHECK_EQ(bpffs_prog_test_run(l, pkt, 37, 1, &res), 0);
		CHECK_EQ(res.retval, 37);
		CHECK_EQ(res.data_len, 37);
		bpffs_test_run_result_fini(&res);
		CHECK_EQ(bpffs_prog_test_run(p, &one, 1, 1, &res), 0);
		CHECK_EQ(res.retval, XDP_PASS);	/* too short to write byte 1 */
		CHECK_EQ(res.data_len, 1);
		CHECK_EQ(res.data[0], 0x11);
		bpffs_test_run_result_fini(&res);
	}
	TEST(tname("repeat runs N times and reports the last run")) {
		u64 before = p ? __atomic_load_n(&p->run_cnt, __ATOMIC_RELAXED) : 0;

		CHECK(p != NULL);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, sizeof(pkt), 100, &res), 0);
		CHECK_EQ(res.retval, XDP_TX);
		CHECK_EQ(res.runs, 100);
		CHECK_EQ(__atomic_load_n(&p->run_cnt, __ATOMIC_RELAXED) - before, 100);
		CHECK_EQ(res.data[1], 0xab);
		bpffs_test_run_result_fini(&res);
	}
	TEST(tname("an empty packet or one above 64 KiB is refused")) {
		static u8 big[BPFFS_TEST_RUN_MAX + 1];

		CHECK_EQ(bpffs_prog_test_run(p, pkt, 0, 1, &res), -EINVAL);
		CHECK(res.msg[0] != '\0');
		CHECK_EQ(bpffs_prog_test_run(p, big, sizeof(big), 1, &res), -E2BIG);
		CHECK_EQ(bpffs_prog_test_run(p, big, sizeof(big) - 1, 1, &res), 0);
		CHECK_EQ(res.data_len, BPFFS_TEST_RUN_MAX);
		CHECK_EQ(res.data[1], 0xab);
		bpffs_test_run_result_fini(&res);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, sizeof(pkt), BPFFS_TEST_RUN_MAX_REPEAT + 1,
					     &res), -EINVAL);
	}
	if (p)
		bpffs_prog_put(p);
	if (l)
		bpffs_prog_put(l);
}

static void test_skb(void)
{
	struct bpffs_prog *p = skb_len(), *q = skb_proto();
	struct bpffs_test_run_result res;
	u8 pkt[98] = { 0 };

	pkt[12] = 0x08;		/* ETH_P_IP */
	TEST(tname("socket filter sees skb->len = input length")) {
		CHECK(p != NULL);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, sizeof(pkt), 1, &res), 0);
		CHECK_EQ(res.retval, sizeof(pkt));
		CHECK(res.has_data);
		CHECK_EQ(res.data_len, sizeof(pkt));
		CHECK_EQ(memcmp(res.data, pkt, sizeof(pkt)), 0);
		bpffs_test_run_result_fini(&res);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, 0, 1, &res), -EINVAL);
	}
	TEST(tname("bpf_skb_load_bytes reads the input frame")) {
		CHECK(q != NULL);
		CHECK_EQ(bpffs_prog_test_run(q, pkt, sizeof(pkt), 1, &res), 0);
		CHECK_EQ(res.retval, htons(0x0800));
		bpffs_test_run_result_fini(&res);
		CHECK_EQ(bpffs_prog_test_run(q, pkt, 13, 1, &res), 0);	/* 12..13 out of range */
		CHECK_EQ(res.retval, 0xffff);
		bpffs_test_run_result_fini(&res);
	}
	if (p)
		bpffs_prog_put(p);
	if (q)
		bpffs_prog_put(q);
}

static void test_raw(void)
{
	struct bpffs_prog *t = timer_sum();
	struct bpffs_test_run_result res;
	struct bpffs_timer_ctx ctx = { .now_ns = 1, .period_ns = 1000, .expirations = 7 };

	TEST(tname("timer program reads the raw context")) {
		CHECK(t != NULL);
		CHECK_EQ(bpffs_prog_test_run(t, &ctx, sizeof(ctx), 1, &res), 0);
		CHECK_EQ(res.retval, 1007);
		CHECK(!res.has_data);
		CHECK_EQ(res.fault, 0);
		bpffs_test_run_result_fini(&res);
	}
	TEST(tname("a short context is zero-padded, a long one refused")) {
		u8 big[sizeof(ctx) + 1] = { 0 };

		/* only now_ns and period_ns given: expirations reads as 0 */
		CHECK_EQ(bpffs_prog_test_run(t, &ctx, 16, 1, &res), 0);
		CHECK_EQ(res.retval, 1000);
		CHECK_EQ(bpffs_prog_test_run(t, NULL, 0, 1, &res), 0);
		CHECK_EQ(res.retval, 0);
		CHECK_EQ(bpffs_prog_test_run(t, big, sizeof(big), 1, &res), -EINVAL);
		CHECK_STR_CONTAINS(res.msg, "24 bytes");
	}
	if (t)
		bpffs_prog_put(t);
}

/* XDP: write a byte 300 bytes before data, outside the frame's headroom. */
static void test_checked_fault(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_W, 2, 1, offsetof(struct xdp_md, data)),
		BPFFS_ST_MEM(BPF_B, 2, -300, 1),
		BPFFS_MOV64_IMM(0, XDP_TX),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *p;
	struct bpffs_test_run_result res;
	u8 pkt[20] = { 0 };

	cur_runtime = BPFFS_RUNTIME_CHECKED;
	p = build("xdp_oob", BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns));
	TEST("checked: a write outside the frame stops the run and is reported as a fault") {
		CHECK(p != NULL);
		CHECK_EQ(bpffs_prog_test_run(p, pkt, sizeof(pkt), 3, &res), 0);
		CHECK_EQ(res.fault, -EFAULT);
		CHECK_EQ(res.runs, 1);	/* the first faulting run ends the repetitions */
		CHECK_STR_CONTAINS(res.msg, "insn 1");
		CHECK(res.retval != XDP_TX);
		bpffs_test_run_result_fini(&res);
	}
	if (p)
		bpffs_prog_put(p);
}

static void test_unsupported(void)
{
	const struct bpf_insn ret0[] = { BPFFS_MOV64_IMM(0, 0), BPFFS_EXIT() };
	struct bpffs_prog *p = build("lsm", BPF_PROG_TYPE_LSM, ret0, 2);
	struct bpffs_test_run_result res;

	TEST("a program type without a test-run context gives EOPNOTSUPP and says why") {
		CHECK(p != NULL);
		CHECK_EQ(bpffs_prog_test_run(p, "x", 1, 1, &res), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(res.msg, "cannot be test-run");
	}
	if (p)
		bpffs_prog_put(p);
}

int main(void)
{
	static const enum bpffs_runtime rts[] = {
		BPFFS_RUNTIME_INTERP, BPFFS_RUNTIME_CHECKED, BPFFS_RUNTIME_JIT,
	};

	for (u32 i = 0; i < BPFFS_ARRAY_SIZE(rts); i++) {
		cur_runtime = rts[i];
		if (cur_runtime == BPFFS_RUNTIME_JIT && !bpffs_jit_available())
			continue;
		test_xdp();
		test_skb();
		test_raw();
	}
	test_checked_fault();
	cur_runtime = BPFFS_RUNTIME_INTERP;
	test_unsupported();
	return harness_done();
}
