// SPDX-License-Identifier: MIT
/*
 * Test runs, the kernel's BPF_PROG_TEST_RUN: run a program once (or @repeat
 * times, for timing) on caller-supplied bytes, outside any hook. Packet
 * programs (socket filter, tc, cgroup skb, XDP) get the bytes as a frame in
 * memory below 4 GiB, with the same context the socket hook builds (struct
 * bpffs_skb / struct bpffs_xdp_buff, XDP data..data_end = exactly the input);
 * the frame is rebuilt from the input before every repetition and the bytes
 * after the last run are returned. Other program types that have a plain
 * context get the bytes as that context, zero-padded to its size.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdio.h>
#include <linux/bpf_perf_event.h>

#include "internal.h"
#include "../core/object.h"
#include "bpffs/hooks.h"

#define FRAME_MAP_LEN (BPFFS_XDP_HEADROOM + BPFFS_TEST_RUN_MAX + BPFFS_XDP_TAILROOM)
#define PT_REGS_SIZE 168	/* x86-64 struct pt_regs, as the verifier checks it */

enum ctx_kind { KIND_NONE, KIND_SKB, KIND_XDP, KIND_RAW };

/* How program type @type is test-run; *ctx_size for raw contexts. */
static enum ctx_kind ctx_kind_of(u32 type, u32 *ctx_size)
{
	switch (type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
		return KIND_SKB;
	case BPF_PROG_TYPE_XDP:
		return KIND_XDP;
	case BPFFS_PROG_TYPE_TIMER:
		*ctx_size = sizeof(struct bpffs_timer_ctx);
		return KIND_RAW;
	case BPFFS_PROG_TYPE_INOTIFY:
		*ctx_size = sizeof(struct bpffs_inotify_ctx);
		return KIND_RAW;
	case BPF_PROG_TYPE_PERF_EVENT:
		*ctx_size = sizeof(struct bpf_perf_event_data);
		return KIND_RAW;
	case BPF_PROG_TYPE_KPROBE:
		*ctx_size = PT_REGS_SIZE;
		return KIND_RAW;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		*ctx_size = 96;
		return KIND_RAW;
	case BPF_PROG_TYPE_TRACEPOINT:
		*ctx_size = 2048;
		return KIND_RAW;
	default:
		return KIND_NONE;
	}
}

/* One run, timed, set up like bpffs_hook_run (regions for checked mode). */
static u64 run_once(const struct bpffs_prog *prog, void *ctx, u32 ctx_size, bool pkt_writable,
		    struct bpffs_run_ctx *rc, u64 *ns)
{
	u64 t0, ret;

	rc->ctx = (u64)(uintptr_t)ctx;
	rc->tail_calls = 0;
	rc->depth = 0;
	rc->region_cnt = 0;
	rc->fault = 0;
	rc->checked = prog->runtime == BPFFS_RUNTIME_CHECKED;
	bpffs_run_ctx_add_region(rc, ctx, ctx_size, true);
	if (rc->pkt_data)
		bpffs_run_ctx_add_region(rc, rc->pkt_data, rc->pkt_len, pkt_writable);
	t0 = bpffs_hook_now_ns();
	ret = bpffs_prog_run(prog, (u64)(uintptr_t)ctx, 0, rc);
	*ns += bpffs_hook_now_ns() - t0;
	bpffs_xdp_redirect_ifindex = 0;
	return ret;
}

static int keep_output(struct bpffs_test_run_result *res, const u8 *data, size_t len)
{
	res->data = malloc(len ? len : 1);
	if (!res->data)
		return -ENOMEM;
	memcpy(res->data, data, len);
	res->data_len = (u32)len;
	res->has_data = true;
	return 0;
}

/* EtherType of the frame, network order, as eth_type_trans would see it. */
static u16 frame_proto(const u8 *in, size_t len)
{
	u16 p = 0;

	if (len >= BPFFS_ETH_HLEN)
		memcpy(&p, in + 12, sizeof(p));
	return p;
}

static int run_skb(struct bpffs_prog *prog, u8 *frame, const void *in, size_t len, u32 repeat,
		   struct bpffs_run_ctx *rc, struct bpffs_test_run_result *res)
{
	bool writable = prog->type == BPF_PROG_TYPE_SCHED_CLS ||
			prog->type == BPF_PROG_TYPE_SCHED_ACT;
	u8 *data = frame + BPFFS_XDP_HEADROOM;
	struct bpffs_skb s;
	u64 ret = 0;

	for (u32 i = 0; i < repeat; i++) {
		memcpy(data, in, len);
		memset(&s.skb, 0, sizeof(s.skb));
		s.data = data;
		s.caplen = (u32)len;
		s.skb.len = (u32)len;
		s.skb.protocol = frame_proto(in, len);
		s.skb.ifindex = 1;	/* the kernel's test runs use loopback */
		s.skb.ingress_ifindex = 1;
		s.skb.data = (u32)(uintptr_t)data;
		s.skb.data_end = (u32)(uintptr_t)(data + len);
		rc->pkt_data = data;
		rc->pkt_len = (u32)len;
		ret = run_once(prog, &s.skb, sizeof(s.skb), writable, rc, &res->duration_ns);
		res->runs++;
		if (rc->fault)
			break;
	}
	res->retval = (u32)ret;
	return keep_output(res, data, len);
}

static int run_xdp(struct bpffs_prog *prog, u8 *frame, const void *in, size_t len, u32 repeat,
		   struct bpffs_run_ctx *rc, struct bpffs_test_run_result *res)
{
	struct bpffs_xdp_buff x;
	u64 ret = 0;

	for (u32 i = 0; i < repeat; i++) {
		x.hard_start = frame;
		x.data = frame + BPFFS_XDP_HEADROOM;
		memcpy(x.data, in, len);
		x.data_end = x.data + len;
		x.frame_end = x.data + BPFFS_TEST_RUN_MAX + BPFFS_XDP_TAILROOM;
		memset(&x.md, 0, sizeof(x.md));
		x.md.ingress_ifindex = 1;
		bpffs_xdp_sync(&x);
		/* the whole frame, head and tailroom included, is packet memory */
		rc->pkt_data = x.hard_start;
		rc->pkt_len = (u32)(x.frame_end - x.hard_start);
		ret = run_once(prog, &x.md, sizeof(x.md), true, rc, &res->duration_ns);
		res->runs++;
		if (rc->fault)
			break;
	}
	res->retval = (u32)ret;
	return keep_output(res, x.data, (size_t)(x.data_end - x.data));
}

static int run_packet(struct bpffs_prog *prog, enum ctx_kind kind, const void *in, size_t len,
		      u32 repeat, struct bpffs_run_ctx *rc, struct bpffs_test_run_result *res)
{
	u8 *frame;
	int err;

	if (!len) {
		snprintf(res->msg, sizeof(res->msg), "%s programs need a packet: write its bytes",
			 bpffs_prog_type_name(prog->type));
		return -EINVAL;
	}
	/* data/data_end are 32-bit context fields: the frame must sit below 4 GiB */
	frame = mmap(NULL, FRAME_MAP_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (frame == MAP_FAILED) {
		snprintf(res->msg, sizeof(res->msg), "no packet memory below 4 GiB");
		return -ENOMEM;
	}
	if (kind == KIND_XDP)
		err = run_xdp(prog, frame, in, len, repeat, rc, res);
	else
		err = run_skb(prog, frame, in, len, repeat, rc, res);
	munmap(frame, FRAME_MAP_LEN);
	return err;
}

static int run_raw(struct bpffs_prog *prog, u32 ctx_size, const void *in, size_t len,
		   u32 repeat, struct bpffs_run_ctx *rc, struct bpffs_test_run_result *res)
{
	u64 ret = 0;
	u8 *ctx;

	if (len > ctx_size) {
		snprintf(res->msg, sizeof(res->msg),
			 "the context of a %s program is %u bytes; %zu were written",
			 bpffs_prog_type_name(prog->type), ctx_size, len);
		return -EINVAL;
	}
	ctx = malloc(ctx_size);
	if (!ctx)
		return -ENOMEM;
	for (u32 i = 0; i < repeat; i++) {
		if (len)	/* @in may be NULL when empty */
			memcpy(ctx, in, len);
		memset(ctx + len, 0, ctx_size - len);
		ret = run_once(prog, ctx, ctx_size, false, rc, &res->duration_ns);
		res->runs++;
		if (rc->fault)
			break;
	}
	free(ctx);
	res->retval = (u32)ret;
	return 0;
}

int bpffs_prog_test_run(struct bpffs_prog *prog, const void *in, size_t in_len, u32 repeat,
			struct bpffs_test_run_result *res)
{
	const char *tname = bpffs_prog_type_name(prog->type);
	struct bpffs_run_ctx *rc;
	enum ctx_kind kind;
	u32 ctx_size = 0;
	int err;

	memset(res, 0, sizeof(*res));
	kind = ctx_kind_of(prog->type, &ctx_size);
	if (kind == KIND_NONE) {
		snprintf(res->msg, sizeof(res->msg), "%s programs cannot be test-run",
			 tname ? tname : "this type of");
		return -EOPNOTSUPP;
	}
	if (in_len > BPFFS_TEST_RUN_MAX) {
		snprintf(res->msg, sizeof(res->msg), "input is %zu bytes, at most %u", in_len,
			 BPFFS_TEST_RUN_MAX);
		return -E2BIG;
	}
	if (!prog->interp && !prog->jited) {
		snprintf(res->msg, sizeof(res->msg), "program is not prepared to run");
		return -EINVAL;
	}
	if (!repeat)
		repeat = 1;
	if (repeat > BPFFS_TEST_RUN_MAX_REPEAT) {
		snprintf(res->msg, sizeof(res->msg), "repeat %u is above the limit %u", repeat,
			 BPFFS_TEST_RUN_MAX_REPEAT);
		return -EINVAL;
	}
	rc = calloc(1, sizeof(*rc));	/* large (checked-mode regions): not on the stack */
	if (!rc)
		return -ENOMEM;
	/*
	 * One-time costs of a thread's first run (RCU reader registration, its
	 * membarrier, the per-CPU slot) are paid here, outside the timed runs.
	 */
	bpffs_rcu_read_lock();
	bpffs_rcu_read_unlock();
	(void)bpffs_cpu_slot();
	if (kind == KIND_RAW)
		err = run_raw(prog, ctx_size, in, in_len, repeat, rc, res);
	else
		err = run_packet(prog, kind, in, in_len, repeat, rc, res);
	if (!err && rc->fault) {
		res->fault = rc->fault;
		snprintf(res->msg, sizeof(res->msg), "stopped at insn %u: %s", rc->fault_insn,
			 rc->fault_msg);
	}
	if (res->runs)
		res->duration_ns /= res->runs;
	free(rc);
	return err;
}

void bpffs_test_run_result_fini(struct bpffs_test_run_result *res)
{
	free(res->data);
	res->data = NULL;
	res->data_len = 0;
	res->has_data = false;
}
