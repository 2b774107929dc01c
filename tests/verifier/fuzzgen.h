/* SPDX-License-Identifier: MIT */
/*
 * Soundness fuzzing of the verifier: random programs (fuzzgen_gen.h: mostly
 * valid by construction, sched_cls / xdp / socket_filter), plus near-miss
 * mutants of every accepted program. Each accepted program runs in the
 * interpreter's checked mode on several random inputs (packet of random
 * length and bytes, random context fields, random map contents): any fault
 * (access outside every region, uninitialised stack read) is a verifier bug.
 * Shared by tests/tools/fuzz_verifier.c (long runs, make fuzz-verifier) and
 * tests/unit/test_verifier_fuzz.c (a short run in make test).
 *
 * Runs are reproducible: program @seed and its mutants depend only on the
 * seed, so `fuzz_verifier --seed S --count 1 --verbose` replays a report.
 */
#ifndef BPFFS_VERIFIER_FUZZGEN_H
#define BPFFS_VERIFIER_FUZZGEN_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include "core/core.h"
#include "core/vlog.h"
#include "hooks/internal.h"	/* struct bpffs_skb, bpffs_xdp_buff: context helpers */
#include "maps/maps.h"
#include "verifier/verifier.h"
#include "fuzzgen_idx.h"
#include "fuzzgen_mut.h"

#define VF_MUTANTS 4		/* mutants tried per accepted program */
#define VF_RUNS 3		/* checked runs per accepted program */
#define VF_PKT_MAX 512
#define VF_HEADROOM 256
#define VF_FRAME (VF_HEADROOM + VF_PKT_MAX + 256)
/*
 * Processed-instruction limit of the fuzz. Accepted generated programs
 * process under 1,000 instructions; mutants whose loop no longer ends would
 * otherwise run to the 1M limit, comparing each step against up to 1,024
 * states kept at the loop head (most of the fuzz's time at 20,000). They
 * count as rejected (E2BIG), which is sound.
 */
#define VF_INSN_LIMIT 4000

struct vfuzz_stats {
	u64 generated, accepted, runs, faults, mutants, mutants_accepted;
	u64 rej_eacces, rej_einval, rej_e2big, rej_other;
	/*
	 * Accepted, but bpffs_prog_prepare refused it: the verifier accepts a
	 * direct value load (BPF_PSEUDO_MAP_VALUE) from an array of more than
	 * one entry, which only the loader rejects (the kernel's verifier does).
	 */
	u64 prep_fail;
	u64 insns_processed;	/* sum over every verification */
};

struct vfuzz {
	struct vfuzz_gen g;
	u64 irng;		/* inputs: independent of the program stream */
	struct bpffs_map *maps[VF_MAP_CNT];
	u8 *frame;		/* packet memory below 4 GiB (ctx data fields are u32) */
	struct bpffs_run_ctx *rc;
	u32 insn_limit;
	int max_reports;
	bool verbose;		/* print every program and its verdict */
	bool trace;		/* with verbose: the verifier's state at every step */
};

static inline u64 vf_irand(struct vfuzz *f)
{
	u64 x = f->irng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->irng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Input words: half uniformly random, half values at the edges of ranges. */
static inline u32 vf_iword(struct vfuzz *f)
{
	static const u32 edge[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255,
				    256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
				    0xfffffff8, 0xfffffffe, 0xffffffff };
	u64 r = vf_irand(f);

	if (r & 1)
		return (u32)(r >> 32);
	return edge[((r >> 32) * (sizeof(edge) / sizeof(edge[0]))) >> 32] >>
	       (((r >> 8) & 3) == 0 ? (r >> 16) % 8 : 0);
}

static inline void vf_fill(struct vfuzz *f, void *dst, u32 len)
{
	u8 *p = dst;

	while (len >= 4) {
		u32 v = vf_iword(f);

		memcpy(p, &v, 4);
		p += 4;
		len -= 4;
	}
	if (len) {
		u32 v = vf_iword(f);

		memcpy(p, &v, len);
	}
}

/*
 * Watchdog: a verified program must also terminate. Every VF_WATCHDOG_S
 * seconds of CPU the timer checks that some verification or run finished
 * since the last tick; if not, the program being run (or verified) does not
 * end: it is reported and the process exits (status 3), as the run cannot
 * be interrupted safely. Costs nothing per run.
 */
#define VF_WATCHDOG_S 30
static volatile u64 vf_progress, vf_progress_seen;
static volatile u64 vf_cur_seed;
static volatile int vf_cur_mutant;
static volatile sig_atomic_t vf_running;	/* 0: verifying, 1: in a checked run */

static void vf_watchdog(int sig)
{
	char buf[200];
	int n;

	if (vf_progress != vf_progress_seen) {
		vf_progress_seen = vf_progress;
		return;
	}
	/* not async-signal-safe in theory; the process ends right here */
	n = snprintf(buf, sizeof(buf), "# VERIFIER BUG (seed %llu, %s %d): no progress in %d s "
		     "of CPU %s\n", (unsigned long long)vf_cur_seed,
		     vf_cur_mutant ? "mutant" : "generated", vf_cur_mutant, VF_WATCHDOG_S,
		     vf_running ? "running it: an accepted program that does not terminate" :
				  "verifying it (the verifier's own speed)");
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		_exit(4);
	_exit(3);
}

static void vf_watchdog_start(void)
{
	struct itimerval t = { { VF_WATCHDOG_S, 0 }, { VF_WATCHDOG_S, 0 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vf_watchdog;
	sigaction(SIGVTALRM, &sa, NULL);
	setitimer(ITIMER_VIRTUAL, &t, NULL);
}

static void vf_close(struct vfuzz *f)
{
	for (int i = 0; i < VF_MAP_CNT; i++)
		if (f->maps[i])
			bpffs_map_put(f->maps[i]);
	if (f->frame)
		munmap(f->frame, VF_FRAME);
	free(f->rc);
	memset(f, 0, sizeof(*f));
}

static int vf_open(struct vfuzz *f, int max_reports)
{
	static const u32 types[VF_MAP_CNT] = { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY,
					       BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY };
	u32 zero = 0;
	int i, err;

	memset(f, 0, sizeof(*f));
	f->max_reports = max_reports;
	f->insn_limit = VF_INSN_LIMIT;
	vf_watchdog_start();
	for (i = 0; i < VF_MAP_CNT; i++) {
		struct bpffs_map_attr a = { .map_type = types[i],
					    .key_size = vf_map_key_size[i],
					    .value_size = vf_map_value_size[i],
					    .max_entries = vf_map_entries[i] };

		if (i == VF_MAP_RODATA)
			a.map_flags = BPF_F_RDONLY_PROG;
		err = bpffs_map_create(&a, NULL, &f->maps[i]);
		if (err)
			goto fail;
	}
	err = bpffs_map_update_elem(f->maps[VF_MAP_RODATA], &zero, vf_rodata, BPF_ANY);
	if (!err)
		err = bpffs_map_freeze(f->maps[VF_MAP_RODATA]);
	if (err)
		goto fail;
	f->frame = mmap(NULL, VF_FRAME, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	f->rc = calloc(1, sizeof(*f->rc));
	if (f->frame == MAP_FAILED || !f->rc) {
		f->frame = f->frame == MAP_FAILED ? NULL : f->frame;
		err = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	vf_close(f);
	return err;
}

/* New random map contents: hash keys present or not, every value's bytes. */
static void vf_maps_randomize(struct vfuzz *f)
{
	u8 val[32];
	u64 key;

	for (key = 0; key < vf_map_entries[VF_MAP_HASH]; key++) {
		if (vf_irand(f) & 1) {
			vf_fill(f, val, sizeof(val));
			bpffs_map_update_elem(f->maps[VF_MAP_HASH], &key, val, BPF_ANY);
		} else {
			bpffs_map_delete_elem(f->maps[VF_MAP_HASH], &key);
		}
	}
	for (int m = VF_MAP_ARRAY; m <= VF_MAP_ARRAY_ODD; m++)
		for (u32 k = 0; k < vf_map_entries[m]; k++) {
			vf_fill(f, val, sizeof(val));
			bpffs_map_update_elem(f->maps[m], &k, val, BPF_ANY);
		}
}

/* Packet length: mostly short (where the bounds checks bite), sometimes long. */
static u32 vf_pkt_len(struct vfuzz *f)
{
	u64 r = vf_irand(f);

	switch (r & 3) {
	case 0:
	case 1:
		return (u32)((r >> 8) % 24);
	case 2:
		return (u32)((r >> 8) % 80);
	default:
		return (u32)((r >> 8) % (VF_PKT_MAX + 1));
	}
}

/*
 * One checked run on a fresh random input; returns the fault (0 or -EFAULT).
 * The context is the runtime's (struct bpffs_skb / bpffs_xdp_buff), so
 * context helpers (skb_load_bytes) work; the program may touch the uapi
 * part and exactly the packet bytes.
 */
static int vf_run_once(struct vfuzz *f, const struct bpffs_prog *prog)
{
	struct bpffs_run_ctx *rc = f->rc;
	union {
		struct bpffs_skb skb;
		struct bpffs_xdp_buff xdp;
	} ctx __attribute__((aligned(8)));
	u8 *data = f->frame + VF_HEADROOM;
	u32 len = vf_pkt_len(f), ctx_size;
	void *uapi;

	vf_fill(f, data, len);
	vf_fill(f, &ctx, sizeof(ctx));
	if (prog->type == BPF_PROG_TYPE_XDP) {
		ctx.xdp.hard_start = f->frame;
		ctx.xdp.data = data;
		ctx.xdp.data_end = data + len;
		ctx.xdp.frame_end = f->frame + VF_FRAME;
		bpffs_xdp_sync(&ctx.xdp);
		uapi = &ctx.xdp.md;
		ctx_size = sizeof(ctx.xdp.md);
	} else {
		ctx.skb.data = data;
		ctx.skb.caplen = len;
		ctx.skb.skb.data = (u32)(uintptr_t)data;
		ctx.skb.skb.data_meta = ctx.skb.skb.data;
		ctx.skb.skb.data_end = (u32)(uintptr_t)(data + len);
		ctx.skb.skb.len = len;
		uapi = &ctx.skb.skb;
		ctx_size = sizeof(ctx.skb.skb);
	}
	if (vf_irand(f) & 1)
		vf_maps_randomize(f);
	memset(rc, 0, offsetof(struct bpffs_run_ctx, regions));
	rc->checked = true;
	rc->ctx = (u64)(uintptr_t)uapi;
	rc->pkt_data = data;
	rc->pkt_len = len;
	bpffs_run_ctx_add_region(rc, uapi, ctx_size, true);
	/* exactly the packet, nothing around it: an over-read must fault */
	bpffs_run_ctx_add_region(rc, data, len, true);
	bpffs_rcu_read_lock();
	bpffs_interp_run_checked(prog, (u64)(uintptr_t)uapi, 0, rc);
	bpffs_rcu_read_unlock();
	return rc->fault;
}

static void vf_print_prog(const struct vfuzz_gen *g)
{
	char buf[128];

	for (u32 i = 0; i < g->n; i++) {
		if (bpffs_disasm_insn(&g->insns[i], buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "(%02x)", g->insns[i].code);
		printf("#   %3u: %s\n", i, buf);
	}
}

static void vf_report(struct vfuzz *f, const struct bpffs_run_ctx *rc, u64 seed, int mutant)
{
	if (f->max_reports-- <= 0)
		return;
	printf("# VERIFIER BUG (seed %llu, %s %d, type %u%s%s): insn %u: %s\n",
	       (unsigned long long)seed, mutant ? "mutant" : "generated", mutant, f->g.type,
	       f->g.stack_zeroed ? ", stack_zeroed" : "", f->g.unpriv ? ", unprivileged" : "",
	       rc->fault_insn, rc->fault_msg);
	vf_print_prog(&f->g);
	fflush(stdout);
}

static void vf_count_reject(struct vfuzz_stats *st, int err)
{
	if (err == -EACCES)
		st->rej_eacces++;
	else if (err == -EINVAL)
		st->rej_einval++;
	else if (err == -E2BIG)
		st->rej_e2big++;
	else
		st->rej_other++;
}

/*
 * Verify the current program (mutant 0: as generated, else the mutant's
 * number); if accepted, run it checked VF_RUNS times. Returns true if the
 * verifier accepted it.
 */
static bool vf_try(struct vfuzz *f, struct vfuzz_stats *st, u64 seed, int mutant)
{
	struct bpffs_verifier_opts opts = { .insn_limit = f->insn_limit,
					    .stack_zeroed = f->g.stack_zeroed,
					    .unprivileged = f->g.unpriv };
	struct bpffs_verifier_stats vs = { 0 };
	struct bpffs_vlog log, *logp = NULL;
	struct bpffs_prog *prog = NULL;
	int err, r;

	vf_cur_seed = seed;
	vf_cur_mutant = mutant;
	vf_running = 0;
	vf_progress++;
	if (bpffs_prog_alloc("fuzz", f->g.type, f->g.insns, f->g.n, &prog))
		return false;
	prog->maps = f->maps;
	prog->map_cnt = VF_MAP_CNT;
	if (f->verbose && !bpffs_vlog_alloc(&log, f->trace ? 2 : 1, f->trace ? 1 << 24 : 1 << 16))
		logp = &log;
	err = bpffs_verify_stats(prog, &opts, logp, &vs);
	st->insns_processed += vs.insn_processed;
	if (mutant)
		st->mutants++;
	else
		st->generated++;
	if (logp) {
		printf("# seed %llu %s %d type %u%s%s: %d\n", (unsigned long long)seed,
		       mutant ? "mutant" : "generated", mutant, f->g.type,
		       f->g.stack_zeroed ? " stack_zeroed" : "", f->g.unpriv ? " unprivileged" : "",
		       err);
		vf_print_prog(&f->g);
		printf("%s", bpffs_vlog_text(logp));
		bpffs_vlog_free(logp);
	}
	if (err) {
		vf_count_reject(st, err);
		goto out;
	}
	if (mutant)
		st->mutants_accepted++;
	else
		st->accepted++;
	prog->runtime = BPFFS_RUNTIME_CHECKED;	/* no JIT image: only checked runs */
	if (bpffs_prog_prepare(prog, NULL)) {
		st->prep_fail++;
		goto out;
	}
	vf_running = 1;
	for (r = 0; r < VF_RUNS; r++) {
		st->runs++;
		vf_progress++;
		if (vf_run_once(f, prog)) {
			st->faults++;
			vf_report(f, f->rc, seed, mutant);
			break;
		}
	}
out:
	prog->maps = NULL;
	prog->map_cnt = 0;
	bpffs_prog_put(prog);
	return !err;
}

/*
 * Program @seed and, if the verifier accepts it, VF_MUTANTS mutants of it;
 * an accepted mutant gets one further mutant of its own (two steps away
 * from the safe program). Numbering in reports: mutant m, its child 10m + 1.
 */
static void vf_one(struct vfuzz *f, struct vfuzz_stats *st, u64 seed)
{
	struct bpf_insn saved[VF_MAX];
	u32 n;

	f->g.rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	f->irng = seed * 0xD1B54A32D192ED03ULL + 7;
	vf_generate(&f->g);
	if (!vf_try(f, st, seed, 0))
		return;
	n = f->g.n;
	memcpy(saved, f->g.insns, n * sizeof(saved[0]));
	for (int m = 1; m <= VF_MUTANTS; m++) {
		memcpy(f->g.insns, saved, n * sizeof(saved[0]));
		f->g.n = n;
		vf_mutate(&f->g);
		if (vf_try(f, st, seed, m) && vf_one_in(&f->g, 2)) {
			vf_mutate(&f->g);
			vf_try(f, st, seed, 10 * m + 1);
		}
	}
}

/* Run @count generated programs from @seed (plus mutants of accepted ones). */
static inline int vfuzz_run(u64 seed, u64 count, struct vfuzz_stats *st, int max_reports)
{
	struct vfuzz f;
	int err = vf_open(&f, max_reports);

	if (err)
		return err;
	for (u64 i = 0; i < count; i++)
		vf_one(&f, st, seed + i);
	vf_close(&f);
	return 0;
}

#endif /* BPFFS_VERIFIER_FUZZGEN_H */
