/* SPDX-License-Identifier: MIT */
/*
 * Soundness fuzzing of the verifier: random programs built from snippets
 * that are often almost right (stack and context accesses near the edges,
 * map lookups with and without null checks, bounds checks off by one,
 * pointer arithmetic, loops, helper calls), plus single-field mutants of
 * every accepted program. Each accepted program runs in the interpreter's
 * checked mode on random contexts and map contents: any fault (access
 * outside every region, uninitialised stack read) is a verifier bug.
 * Shared by tests/tools/fuzz_verifier.c (long runs) and
 * tests/unit/test_verifier_fuzz.c (a short run in make test).
 */
#ifndef BPFFS_VERIFIER_FUZZGEN_H
#define BPFFS_VERIFIER_FUZZGEN_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "maps/maps.h"
#include "verifier/verifier.h"

#define VF_MAX 256

struct vfuzz_stats {
	u64 generated, accepted, runs, faults, mutants, mutants_accepted;
	u64 rej_eacces, rej_einval, rej_e2big;
};

struct vfuzz {
	u64 rng;
	struct bpf_insn insns[VF_MAX];
	u32 n;
	struct bpffs_map *maps[3];
	bool verbose;
	int max_reports;
};

static inline u64 vf_rand(struct vfuzz *f)
{
	u64 x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline u32 vf_below(struct vfuzz *f, u32 n)
{
	return n ? (u32)(vf_rand(f) % n) : 0;
}

static inline void vf_emit(struct vfuzz *f, struct bpf_insn insn)
{
	if (f->n < VF_MAX)
		f->insns[f->n++] = insn;
}

static const s32 vf_imms[] = { 0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 31, 32, 63, 64, 255, -1, -8,
			       -16, 0x7fffffff, (s32)0x80000000, 4096, 1000 };

static inline s32 vf_imm(struct vfuzz *f)
{
	return vf_below(f, 4) ? vf_imms[vf_below(f, sizeof(vf_imms) / sizeof(vf_imms[0]))] :
				(s32)vf_rand(f);
}

static inline u8 vf_reg(struct vfuzz *f)
{
	return (u8)vf_below(f, 10);
}

static inline u8 vf_size(struct vfuzz *f)
{
	static const u8 s[] = { BPF_B, BPF_H, BPF_W, BPF_DW };

	return s[vf_below(f, 4)];
}

static inline int vf_bytes(u8 sz)
{
	return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

static const u8 vf_alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
				 BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };
static const u8 vf_jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				 BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };

static void vf_snippet(struct vfuzz *f, int depth);

static void vf_alu(struct vfuzz *f)
{
	u8 op = vf_alu_ops[vf_below(f, sizeof(vf_alu_ops))];
	u8 cls = vf_below(f, 3) ? BPF_ALU64 : BPF_ALU;

	if (op == BPF_NEG) {
		vf_emit(f, BPFFS_INSN(cls | op, vf_reg(f), 0, 0, 0));
		return;
	}
	if (vf_below(f, 2))
		vf_emit(f, BPFFS_INSN(cls | op | BPF_K, vf_reg(f), 0, 0, vf_imm(f)));
	else
		vf_emit(f, BPFFS_INSN(cls | op | BPF_X, vf_reg(f), vf_below(f, 11), 0, 0));
}

/* r = some offset-like scalar: masked load from ctx or a constant */
static void vf_index(struct vfuzz *f, u8 r)
{
	switch (vf_below(f, 3)) {
	case 0:
		vf_emit(f, BPFFS_LDX_MEM(BPF_W, r, BPF_REG_6, 4 * vf_below(f, 6)));
		vf_emit(f, BPFFS_ALU64_IMM(BPF_AND, r, (1 << vf_below(f, 6)) - 1));
		break;
	case 1:
		vf_emit(f, BPFFS_LDX_MEM(BPF_B, r, BPF_REG_6, vf_below(f, 24)));
		if (vf_below(f, 2))
			vf_emit(f, BPFFS_JMP_IMM(vf_below(f, 2) ? BPF_JGT : BPF_JGE, r,
						 vf_below(f, 20), 1 + vf_below(f, 2)));
		break;
	default:
		vf_emit(f, BPFFS_MOV64_IMM(r, (s32)vf_below(f, 24) - 4));
	}
}

static void vf_mem(struct vfuzz *f, u8 base, int lo, int hi)
{
	u8 sz = vf_size(f);
	s16 off = (s16)(lo + (int)vf_below(f, (u32)(hi - lo + 1)));

	switch (vf_below(f, 3)) {
	case 0:
		vf_emit(f, BPFFS_LDX_MEM(sz, vf_reg(f), base, off));
		break;
	case 1:
		vf_emit(f, BPFFS_STX_MEM(sz, base, vf_below(f, 11), off));
		break;
	default:
		vf_emit(f, BPFFS_ST_MEM(sz, base, off, vf_imm(f)));
	}
}

static void vf_lookup(struct vfuzz *f)
{
	u32 m = vf_below(f, 2);
	u32 skip_at;

	if (vf_below(f, 8))
		vf_emit(f, BPFFS_ST_MEM(m ? BPF_W : BPF_DW, BPF_REG_10, -8, vf_below(f, 2)));
	vf_emit(f, BPFFS_MOV64_REG(BPF_REG_2, BPF_REG_10));
	vf_emit(f, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_2, -8));
	vf_emit(f, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, m));
	vf_emit(f, BPFFS_INSN(0, 0, 0, 0, 0));
	vf_emit(f, BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	for (u8 r = 1; r <= 5; r++)
		if (vf_below(f, 4))
			vf_emit(f, BPFFS_MOV64_IMM(r, vf_imm(f)));
	skip_at = f->n;
	if (vf_below(f, 6))
		vf_emit(f, BPFFS_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0));
	if (vf_below(f, 2)) {
		u8 r = (u8)(7 + vf_below(f, 2));

		vf_index(f, r);
		vf_emit(f, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_0, r));
	}
	vf_mem(f, BPF_REG_0, -2, 17);
	if (vf_below(f, 3) == 0)
		vf_emit(f, BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, BPF_REG_0, vf_reg(f), 8));
	if (skip_at < f->n && f->insns[skip_at].code == (BPF_JMP | BPF_JEQ | BPF_K))
		f->insns[skip_at].off = (s16)(f->n - skip_at - 1);
}

static void vf_stack_ptr(struct vfuzz *f)
{
	u8 r = (u8)(1 + vf_below(f, 5));

	vf_emit(f, BPFFS_MOV64_REG(r, BPF_REG_10));
	if (vf_below(f, 2)) {
		vf_emit(f, BPFFS_ALU64_IMM(BPF_ADD, r, -(s32)(8 * (1 + vf_below(f, 64)))));
	} else {
		u8 i = (u8)(7 + vf_below(f, 2));

		vf_index(f, i);
		vf_emit(f, BPFFS_ALU64_IMM(BPF_ADD, r, -64));
		vf_emit(f, BPFFS_ALU64_REG(BPF_ADD, r, i));
	}
	vf_mem(f, r, -16, 8);
}

static void vf_branch(struct vfuzz *f, int depth)
{
	u32 at = f->n;
	u8 op = vf_jmp_ops[vf_below(f, sizeof(vf_jmp_ops))];
	u8 cls = vf_below(f, 3) ? BPF_JMP : BPF_JMP32;

	if (vf_below(f, 2))
		vf_emit(f, BPFFS_INSN(cls | op | BPF_K, vf_reg(f), 0, 0, vf_imm(f)));
	else
		vf_emit(f, BPFFS_INSN(cls | op | BPF_X, vf_reg(f), vf_reg(f), 0, 0));
	vf_snippet(f, depth + 1);
	if (at < f->n)
		f->insns[at].off = (s16)(f->n - at - 1);
}

static void vf_loop(struct vfuzz *f)
{
	u32 head;

	vf_emit(f, BPFFS_MOV64_IMM(BPF_REG_9, 0));
	head = f->n;
	if (vf_below(f, 2))
		vf_emit(f, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_8, BPF_REG_9));
	else
		vf_mem(f, BPF_REG_10, -16, -1);
	vf_emit(f, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_9, 1 + vf_below(f, 2)));
	vf_emit(f, BPFFS_JMP_IMM(vf_below(f, 2) ? BPF_JLT : BPF_JNE, BPF_REG_9,
				 2 + vf_below(f, 10), 0));
	f->insns[f->n - 1].off = (s16)(head - f->n);
}

static void vf_snippet(struct vfuzz *f, int depth)
{
	switch (vf_below(f, depth > 2 ? 7 : 10)) {
	case 0:
	case 1:
		vf_alu(f);
		break;
	case 2:
		if (vf_below(f, 4))
			vf_emit(f, BPFFS_LDX_MEM(vf_below(f, 3) ? BPF_W : vf_size(f), vf_reg(f),
						 BPF_REG_6, 4 * vf_below(f, 20)));
		else
			vf_mem(f, BPF_REG_6, -4, 200);
		break;
	case 3:
		if (vf_below(f, 3))
			vf_mem(f, BPF_REG_10, -72, 1);
		else
			vf_mem(f, BPF_REG_10, -520, 4);
		break;
	case 4:
		vf_emit(f, BPFFS_CALL_HELPER(vf_below(f, 2) ? BPF_FUNC_get_prandom_u32 :
							      BPF_FUNC_ktime_get_ns));
		for (u8 r = 1; r <= 5; r++)
			if (vf_below(f, 4))
				vf_emit(f, BPFFS_MOV64_IMM(r, vf_imm(f)));
		break;
	case 5:
		vf_stack_ptr(f);
		break;
	case 6:
		vf_emit(f, BPFFS_MOV64_REG(vf_reg(f), vf_below(f, 11)));
		break;
	case 7:
		vf_lookup(f);
		break;
	case 8:
		vf_branch(f, depth);
		break;
	default:
		vf_loop(f);
	}
}

static void vf_generate(struct vfuzz *f)
{
	u32 k, cnt = 2 + vf_below(f, 12);
	u8 r;

	f->n = 0;
	vf_emit(f, BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1));
	/* most registers start initialised, so programs get further */
	for (r = 0; r <= 9; r++) {
		if (r == 6 || !vf_below(f, 8))
			continue;
		if (vf_below(f, 2))
			vf_emit(f, BPFFS_MOV64_IMM(r, vf_imm(f)));
		else
			vf_emit(f, BPFFS_LDX_MEM(BPF_W, r, BPF_REG_6, 4 * vf_below(f, 17)));
	}
	for (k = 0; k < 8; k++)
		if (vf_below(f, 2))
			vf_emit(f, BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -8 * (int)(k + 1), vf_imm(f)));
	for (k = 0; k < cnt && f->n < VF_MAX - 40; k++)
		vf_snippet(f, 0);
	if (vf_below(f, 5))
		vf_emit(f, BPFFS_MOV64_IMM(BPF_REG_0, vf_imm(f)));
	vf_emit(f, BPFFS_EXIT());
}

static void vf_mutate(struct vfuzz *f)
{
	struct bpf_insn *in = &f->insns[vf_below(f, f->n)];

	switch (vf_below(f, 5)) {
	case 0:
		in->off += (s16)((int)vf_below(f, 9) - 4);
		break;
	case 1:
		/* wrap like the hardware: signed overflow in C is undefined */
		in->imm = (s32)((u32)in->imm + (u32)((s32)vf_below(f, 9) - 4));
		break;
	case 2:
		in->dst_reg = vf_below(f, 11);
		break;
	case 3:
		in->src_reg = vf_below(f, 11);
		break;
	default:
		in->code ^= (u8)(1u << vf_below(f, 8));
	}
}

static int vf_maps_create(struct vfuzz *f)
{
	struct bpffs_map_attr a[2] = {
		{ .map_type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = 16, .max_entries = 8 },
		{ .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 2 },
	};
	u64 key = 0;
	u8 val[16] = { 0 };
	int i, err;

	for (i = 0; i < 2; i++) {
		err = bpffs_map_create(&a[i], NULL, &f->maps[i]);
		if (err)
			return err;
	}
	return bpffs_map_update_elem(f->maps[0], &key, val, BPF_ANY);
}

static void vf_maps_destroy(struct vfuzz *f)
{
	int i;

	for (i = 0; i < 2; i++)
		if (f->maps[i])
			bpffs_map_put(f->maps[i]);
}

static void vf_report(struct vfuzz *f, const struct bpffs_run_ctx *rc, u64 seed)
{
	char buf[128];
	u32 i;

	if (f->max_reports-- <= 0)
		return;
	printf("# VERIFIER BUG (seed %llu): insn %u: %s\n", (unsigned long long)seed,
	       rc->fault_insn, rc->fault_msg);
	for (i = 0; i < f->n; i++) {
		if (bpffs_disasm_insn(&f->insns[i], buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "(%02x)", f->insns[i].code);
		printf("#   %3u: %s\n", i, buf);
	}
}

/* Verify the current program; if accepted, run it checked. Returns faults,
 * and *ok tells whether the verifier accepted it. */
static int vf_try_ok(struct vfuzz *f, struct vfuzz_stats *st, u64 seed, bool mutant, bool *ok)
{
	struct bpffs_prog *prog = NULL;
	u8 ctx[sizeof(struct __sk_buff)] __attribute__((aligned(8)));
	int err, faults = 0, r;

	*ok = false;
	if (getenv("VFUZZ_DEBUG")) {
		struct bpffs_vlog log;
		struct bpffs_prog *p = NULL;

		if (!bpffs_prog_alloc("dbg", BPF_PROG_TYPE_SOCKET_FILTER, f->insns, f->n, &p)) {
			p->maps = f->maps;
			p->map_cnt = 2;
			bpffs_vlog_alloc(&log, 1, 4096);
			bpffs_verify(p, NULL, &log);
			printf("%s", bpffs_vlog_text(&log));
			bpffs_vlog_free(&log);
			p->maps = NULL;
			p->map_cnt = 0;
			bpffs_prog_put(p);
		}
	}
	if (bpffs_prog_alloc("fuzz", BPF_PROG_TYPE_SOCKET_FILTER, f->insns, f->n, &prog))
		return 0;
	prog->maps = f->maps;
	prog->map_cnt = 2;
	/* a small limit: runaway loops are common here and prove nothing */
	err = bpffs_verify(prog, &(struct bpffs_verifier_opts){ .insn_limit = 20000 }, NULL);
	if (mutant)
		st->mutants++;
	else
		st->generated++;
	if (err) {
		st->rej_eacces += err == -EACCES;
		st->rej_einval += err == -EINVAL;
		st->rej_e2big += err == -E2BIG;
		goto out;
	}
	*ok = true;
	if (mutant)
		st->mutants_accepted++;
	else
		st->accepted++;
	if (bpffs_prog_prepare(prog, NULL))
		goto out;
	for (r = 0; r < 3; r++) {
		struct bpffs_run_ctx rc;
		u32 k;

		for (k = 0; k < sizeof(ctx); k++)
			ctx[k] = (u8)vf_rand(f);
		memset(&rc, 0, sizeof(rc));
		rc.checked = true;
		bpffs_run_ctx_add_region(&rc, ctx, sizeof(ctx), true);
		bpffs_interp_run_checked(prog, (u64)(uintptr_t)ctx, 0, &rc);
		st->runs++;
		if (rc.fault) {
			faults++;
			st->faults++;
			vf_report(f, &rc, seed);
			break;
		}
	}
out:
	prog->maps = NULL;
	prog->map_cnt = 0;
	bpffs_prog_put(prog);
	return faults;
}

/* Run @count generated programs from @seed (plus mutants of accepted ones). */
static int vfuzz_run(u64 seed, u64 count, struct vfuzz_stats *st, int max_reports)
{
	struct vfuzz f;
	u64 i;
	int err, m;

	memset(&f, 0, sizeof(f));
	f.max_reports = max_reports;
	err = vf_maps_create(&f);
	if (err)
		return err;
	for (i = 0; i < count; i++) {
		struct bpf_insn saved[VF_MAX];
		u32 n;

		f.rng = (seed + i) * 0x9E3779B97F4A7C15ULL + 1;
		bool ok;

		vf_generate(&f);
		vf_try_ok(&f, st, seed + i, false, &ok);
		if (!ok)
			continue;
		memcpy(saved, f.insns, sizeof(saved));
		n = f.n;
		for (m = 0; m < 4; m++) {
			memcpy(f.insns, saved, sizeof(saved));
			f.n = n;
			vf_mutate(&f);
			vf_try_ok(&f, st, seed + i, true, &ok);
		}
	}
	vf_maps_destroy(&f);
	return 0;
}

#endif /* BPFFS_VERIFIER_FUZZGEN_H */
