/* SPDX-License-Identifier: MIT */
/*
 * The rest of the verifier fuzz's generator (fuzzgen_gen.h has the basics
 * and the simple snippets): index arithmetic whose safety rests on exact
 * range tracking, precision and pruning (chains of ALU ops and checks,
 * branch diamonds, spills and fills at mixed sizes, atomics, constants from
 * a frozen map, loop counters), helpers with variable-size memory
 * arguments, bpf-to-bpf calls and bpf_loop callbacks; then the snippet
 * picker and vf_generate().
 */
#ifndef BPFFS_VERIFIER_FUZZGEN_IDX_H
#define BPFFS_VERIFIER_FUZZGEN_IDX_H

#include "fuzzgen_gen.h"

/* ---- index arithmetic: where range tracking and pruning must be exact ------- */

static const s32 vf_small[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 31, 32, 48, 56, 63, 64,
				-1, -4, -8, -16, 255, 256, 0x7fffffff, -0x7fffffff - 1 };
#define VF_SMALL (sizeof(vf_small) / sizeof(vf_small[0]))

struct vf_skips {			/* forward jumps that skip the use of an index */
	u32 at[8];
	int n;
};

static void vf_skip_add(struct vfuzz_gen *g, struct vf_skips *sk, struct bpf_insn in)
{
	if (sk->n < 8)
		sk->at[sk->n++] = g->n;
	vf_emit(g, in);
}

static void vf_skips_land(struct vfuzz_gen *g, const struct vf_skips *sk)
{
	for (int k = 0; k < sk->n; k++)
		vf_land(g, sk->at[k]);
}

/*
 * cpu v4 arithmetic on @i: sign extension (MOVSX), signed division and
 * modulo, byte swaps. Sign-extended bounds are easy to get wrong.
 */
static void vf_v4_op(struct vfuzz_gen *g, u8 i)
{
	static const s16 sx[] = { 8, 16, 32 };
	static const s32 widths[] = { 16, 32, 64 };
	u8 cls = vf_below(g, 3) ? BPF_ALU64 : BPF_ALU;
	s32 k;

	switch (vf_below(g, 4)) {
	case 0:		/* movsx: 32-bit form only from 8 and 16 bits */
		vf_emit(g, BPFFS_INSN(cls | BPF_MOV | BPF_X, i, vf_one_in(g, 4) ? vf_src(g) : i,
				      sx[vf_below(g, cls == BPF_ALU64 ? 3 : 2)], 0));
		break;
	case 1:		/* sdiv / smod (off = 1) */
		k = vf_small[vf_below(g, VF_SMALL)];
		if (vf_below(g, 2))
			vf_emit(g, BPFFS_INSN(cls | (vf_below(g, 2) ? BPF_DIV : BPF_MOD) | BPF_K, i, 0,
					      1, k ? k : -1));
		else
			vf_emit(g, BPFFS_INSN(cls | (vf_below(g, 2) ? BPF_DIV : BPF_MOD) | BPF_X, i,
					      vf_src(g), 1, 0));
		break;
	case 2:		/* unconditional byte swap */
		vf_emit(g, BPFFS_INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, i, 0, 0,
				      widths[vf_below(g, 3)]));
		break;
	default:	/* to big / little endian */
		vf_emit(g, BPFFS_INSN(BPF_ALU | BPF_END | (vf_below(g, 2) ? BPF_TO_BE : BPF_TO_LE), i,
				      0, 0, widths[vf_below(g, 3)]));
	}
}

/* A random ALU op on @i with a small constant or another scalar register. */
static void vf_index_op(struct vfuzz_gen *g, u8 i)
{
	static const u8 ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_LSH, BPF_RSH, BPF_ARSH, BPF_AND,
				  BPF_OR, BPF_XOR, BPF_NEG, BPF_DIV, BPF_MOD, BPF_MOV };
	u8 op = ops[vf_below(g, sizeof(ops) - 1)], cls = vf_below(g, 3) ? BPF_ALU64 : BPF_ALU;
	s32 k = vf_small[vf_below(g, VF_SMALL)];

	if (vf_one_in(g, 5))
		return vf_v4_op(g, i);
	if (op == BPF_NEG) {
		vf_emit(g, BPFFS_INSN(cls | BPF_NEG, i, 0, 0, 0));
		return;
	}
	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		k = (s32)vf_below(g, 8) + (vf_one_in(g, 4) ? 24 : 0);
	if (vf_one_in(g, 4)) {
		u8 r = vf_src(g);

		if (r != i && r < 10 && (g->scalars & (1u << r))) {
			vf_emit(g, BPFFS_INSN(cls | op | BPF_X, i, r, 0, 0));
			return;
		}
	}
	vf_emit(g, BPFFS_INSN(cls | op | BPF_K, i, 0, 0, k));
}

/* "if i <op> K skip the use": bounds the verifier learns on the other path */
static void vf_index_check(struct vfuzz_gen *g, u8 i, struct vf_skips *sk)
{
	static const u8 ops[] = { BPF_JGT, BPF_JGE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE,
				  BPF_JSLT, BPF_JSLE, BPF_JEQ, BPF_JNE, BPF_JSET };
	u8 op = ops[vf_below(g, vf_one_in(g, 4) ? 11 : 4)];
	u8 cls = vf_below(g, 3) ? BPF_JMP : BPF_JMP32;
	s32 k = vf_small[vf_below(g, VF_SMALL)];

	if (op == BPF_JLT || op == BPF_JLE || op == BPF_JSLT || op == BPF_JSLE)
		k = vf_one_in(g, 2) ? 0 : k;	/* mostly a lower bound */
	if (vf_one_in(g, 6)) {			/* against another register */
		u8 r = vf_src(g);

		vf_skip_add(g, sk, BPFFS_INSN(cls | op | BPF_X, i, r, 0, 0));
		return;
	}
	vf_skip_add(g, sk, BPFFS_INSN(cls | op | BPF_K, i, 0, 0, k));
}

/* "if i > K skip" (unsigned, or signed with a lower bound too): a usable index */
static void vf_index_bound(struct vfuzz_gen *g, u8 i, struct vf_skips *sk)
{
	u8 cls = vf_one_in(g, 4) ? BPF_JMP32 : BPF_JMP;
	s32 k = vf_small[vf_below(g, 16)];

	if (vf_below(g, 2)) {
		vf_skip_add(g, sk, BPFFS_INSN(cls | (vf_below(g, 2) ? BPF_JGT : BPF_JGE) | BPF_K, i, 0,
					      0, k));
		return;
	}
	vf_skip_add(g, sk, BPFFS_INSN(cls | (vf_below(g, 2) ? BPF_JSGT : BPF_JSGE) | BPF_K, i, 0, 0,
				      k));
	vf_skip_add(g, sk, BPFFS_INSN(cls | (vf_below(g, 2) ? BPF_JSLT : BPF_JSLE) | BPF_K, i, 0, 0,
				      vf_one_in(g, 4) ? -1 : 0));
}

/* Use scalar @i as an offset into the stack, a map value or the packet. */
static void vf_use_index(struct vfuzz_gen *g, u8 i, struct vf_skips *sk)
{
	u8 p = vf_tmp(g, i, 0), sz = vf_one_in(g, 2) ? BPF_B : vf_size(g);
	u32 at = ~0u;

	switch (vf_below(g, g->pkt ? 4 : 3)) {
	case 0:
	case 1: {	/* stack: fp - base + i */
		int base = 8 * (1 + (int)vf_below(g, 8));

		vf_emit(g, BPFFS_MOV64_REG(p, BPF_REG_10));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, p, -base));
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, p, i));
		if (vf_stack_is_init(g, -64, 64) && vf_below(g, 2)) {
			vf_emit(g, BPFFS_LDX_MEM(sz, vf_dst(g), p, 0));
		} else {
			vf_emit(g, BPFFS_ST_MEM(sz, p, 0, vf_imm(g)));
			g->spilled = 0;		/* a spilled pointer may be overwritten */
		}
		break;
	}
	case 2: {	/* map value; i lives through the call in a stack slot */
		u32 m = vf_below(g, VF_MAP_RW);

		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, i, -48));
		vf_stack_mark(g, -48, 8, false);
		vf_key(g, m);
		vf_map_ptr(g, BPF_REG_1, m);
		vf_emit(g, BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem));
		vf_after_call(g);
		at = g->n;
		vf_emit(g, BPFFS_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0));
		vf_emit(g, BPFFS_LDX_MEM(BPF_DW, i, BPF_REG_10, -48));
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_0, i));
		if (vf_below(g, 2))
			vf_emit(g, BPFFS_LDX_MEM(sz, vf_tmp(g, 0, -1), BPF_REG_0, 0));
		else
			vf_emit(g, BPFFS_ST_MEM(sz, BPF_REG_0, 0, vf_imm(g)));
		g->scalars &= ~1u;
		break;
	}
	default: {	/* packet: p = data + i; if (p + size > end) skip */
		u8 e = vf_tmp(g, i, p);

		vf_emit(g, BPFFS_MOV64_REG(p, BPF_REG_7));
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, p, i));
		vf_emit(g, BPFFS_MOV64_REG(e, p));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, e, vf_bytes(sz)));
		at = g->n;
		vf_emit(g, BPFFS_JMP_REG(BPF_JGT, e, BPF_REG_8, 0));
		if (g->pkt_write && vf_below(g, 2))
			vf_emit(g, BPFFS_STX_MEM(sz, p, vf_src(g), 0));
		else
			vf_emit(g, BPFFS_LDX_MEM(sz, vf_tmp(g, p, e), p, 0));
		vf_set_other(g, e);
	}
	}
	vf_set_other(g, p);
	if (at != ~0u)
		vf_land(g, at);
	vf_skips_land(g, sk);
	g->scalars &= (u16)~0x3fu;	/* r0-r5: which hold scalars depends on the path */
}

/* i = bounded input, a chain of arithmetic, some checks, then a use */
static void vf_index_chain(struct vfuzz_gen *g)
{
	u8 i = vf_one_in(g, 3) ? BPF_REG_9 : vf_tmp(g, 0, -1);
	struct vf_skips sk = { .n = 0 };
	struct vf_path s;
	int k, ops = (int)vf_below(g, 4), checks = (int)vf_below(g, 3);

	vf_index(g, i, 1u << vf_below(g, 8));
	s = vf_save(g);
	for (k = 0; k < ops; k++)
		vf_index_op(g, i);
	for (k = 0; k < checks; k++)
		vf_index_check(g, i, &sk);
	if (!vf_one_in(g, 4))
		vf_index_bound(g, i, &sk);
	vf_use_index(g, i, &sk);
	vf_join(g, s);
	g->scalars &= (u16)~0x3fu;
	vf_set_scalar(g, i);
}

/*
 * A bounded index through a stack slot with mixed sizes: spilled at one
 * size and offset, maybe partly overwritten or zeroed, filled at another,
 * then used. What a narrow fill of a spilled scalar gives is exactly where
 * a verifier may keep bounds it should not.
 */
static void vf_spill_index(struct vfuzz_gen *g)
{
	u8 i = vf_one_in(g, 3) ? BPF_REG_9 : vf_tmp(g, 0, -1);
	int o = -8 * (int)(1 + vf_below(g, 8));
	u8 s1 = vf_one_in(g, 2) ? BPF_DW : vf_size(g), s2 = vf_one_in(g, 2) ? s1 : vf_size(g);
	struct vf_skips sk = { .n = 0 };
	struct vf_path s;

	vf_index(g, i, 1u << vf_below(g, 7));
	s = vf_save(g);
	if (vf_one_in(g, 2))
		vf_index_check(g, i, &sk);
	if (vf_one_in(g, 4)) {		/* known zero bytes under the spill */
		vf_emit(g, BPFFS_ST_MEM(BPF_DW, BPF_REG_10, (s16)o, 0));
		vf_stack_mark(g, o, 8, false);
	}
	vf_emit(g, BPFFS_STX_MEM(s1, BPF_REG_10, i,
				 (s16)(o + vf_bytes(s1) * (int)vf_below(g, (u32)(8 / vf_bytes(s1))))));
	if (vf_one_in(g, 4))		/* a byte of the slot overwritten */
		vf_emit(g, BPFFS_ST_MEM(BPF_B, BPF_REG_10, (s16)(o + (int)vf_below(g, 8)),
					vf_small[vf_below(g, VF_SMALL)]));
	if (vf_one_in(g, 3))
		vf_emit(g, BPFFS_MOV64_IMM(i, vf_small[vf_below(g, VF_SMALL)]));
	vf_emit(g, BPFFS_LDX_MEM(s2, i, BPF_REG_10,
				 (s16)(o + vf_bytes(s2) * (int)vf_below(g, (u32)(8 / vf_bytes(s2))))));
	if (s2 != BPF_DW && vf_one_in(g, 3))	/* sign-extending fill */
		g->insns[g->n - 1].code = (u8)(BPF_LDX | BPF_MEMSX | s2);
	if (vf_one_in(g, 2))
		vf_index_check(g, i, &sk);
	vf_use_index(g, i, &sk);
	vf_join(g, s);
	g->scalars &= (u16)~0x3fu;
	for (int b = o; b < o + 8; b++)		/* partly written: unknown from here */
		g->stack_init &= ~(1ULL << (64 + b));
	g->spilled &= (u8)~(1u << (-o / 8 - 1));
}

/*
 * An atomic op on a stack slot or map value holding a known small value,
 * then the slot (or the fetched old value) used as an index: after the op
 * the slot is no longer the constant that was spilled there.
 */
static void vf_atomic_index(struct vfuzz_gen *g)
{
	static const s32 ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH,
				   BPF_OR | BPF_FETCH, BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH,
				   BPF_XCHG, BPF_CMPXCHG };
	u8 i = vf_one_in(g, 3) ? BPF_REG_9 : vf_tmp(g, 0, -1), v = vf_tmp(g, 0, i);
	u8 sz = vf_one_in(g, 3) ? BPF_W : BPF_DW;
	s32 op = ops[vf_below(g, 10)];
	int o = -8 * (int)(1 + vf_below(g, 8)) + (sz == BPF_W && vf_below(g, 2) ? 4 : 0);
	struct vf_skips sk = { .n = 0 };
	struct vf_path s = vf_save(g);

	vf_emit(g, BPFFS_ST_MEM(sz, BPF_REG_10, (s16)o, vf_small[vf_below(g, 8)]));
	vf_stack_mark(g, o, vf_bytes(sz), false);
	if (vf_below(g, 2)) {
		vf_emit(g, BPFFS_MOV64_IMM(v, vf_small[vf_below(g, VF_SMALL)]));
	} else {
		vf_ctx_load(g, v, BPF_REG_6);
	}
	vf_set_scalar(g, v);
	if (op == BPF_CMPXCHG) {	/* compares with r0, old value into r0 */
		vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_0, vf_small[vf_below(g, 8)]));
		vf_set_scalar(g, BPF_REG_0);
	}
	vf_emit(g, BPFFS_ATOMIC_OP(sz, op, BPF_REG_10, v, (s16)o));
	if ((op & BPF_FETCH) && vf_below(g, 2)) {	/* the old value */
		u8 r = op == BPF_CMPXCHG ? BPF_REG_0 : v;

		if (r != i)
			vf_emit(g, BPFFS_MOV64_REG(i, r));
	} else {
		vf_emit(g, BPFFS_LDX_MEM(sz, i, BPF_REG_10, (s16)o));
	}
	vf_set_scalar(g, i);
	if (vf_one_in(g, 3))
		vf_index_check(g, i, &sk);
	if (!vf_one_in(g, 4))	/* mostly bounded: the use then depends on the check */
		vf_skip_add(g, &sk, BPFFS_INSN((vf_below(g, 3) ? BPF_JMP : BPF_JMP32) |
					       (vf_below(g, 2) ? BPF_JGT : BPF_JSGT) | BPF_K, i, 0, 0,
					       vf_small[vf_below(g, 16)]));
	vf_use_index(g, i, &sk);
	vf_join(g, s);
	g->scalars &= (u16)~0x3fu;
	vf_set_scalar(g, i);
}

/*
 * An index loaded from the frozen read-only map (a constant to the
 * verifier: it reads the map), at any size and offset, maybe sign-extended,
 * then some arithmetic and a use. A wrong constant is a wrong bound.
 */
static void vf_rodata_index(struct vfuzz_gen *g)
{
	u8 i = vf_one_in(g, 3) ? BPF_REG_9 : vf_tmp(g, 0, -1), p = vf_tmp(g, 0, i);
	u8 sz = vf_size(g);
	int b = vf_bytes(sz), base = 8 * (int)vf_below(g, 4);
	int off = (int)vf_below(g, (u32)(32 - base - b + 1));
	struct vf_skips sk = { .n = 0 };
	struct vf_path s = vf_save(g);

	vf_emit(g, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, p, BPF_PSEUDO_MAP_VALUE, 0, VF_MAP_RODATA));
	vf_emit(g, BPFFS_INSN(0, 0, 0, 0, base));
	vf_emit(g, BPFFS_LDX_MEM(sz, i, p, (s16)off));
	if (sz != BPF_DW && vf_one_in(g, 4))
		g->insns[g->n - 1].code = (u8)(BPF_LDX | BPF_MEMSX | sz);
	vf_set_other(g, p);
	vf_set_scalar(g, i);
	for (int k = (int)vf_below(g, 3); k > 0; k--)
		vf_index_op(g, i);
	if (vf_one_in(g, 3))
		vf_index_check(g, i, &sk);
	if (vf_one_in(g, 3))
		vf_index_bound(g, i, &sk);
	vf_use_index(g, i, &sk);
	vf_join(g, s);
	g->scalars &= (u16)~0x3fu;
	vf_set_scalar(g, i);
}

/* if (c) i = A else i = B; other work; [spill and fill i]; use i (pruning, precision) */
static void vf_diamond(struct vfuzz_gen *g)
{
	u8 i = vf_one_in(g, 3) ? BPF_REG_9 : vf_tmp(g, 0, -1);
	u8 op = vf_jmp_ops[vf_below(g, sizeof(vf_jmp_ops))];
	struct vf_skips sk = { .n = 0 };
	struct vf_path s;
	u32 at, at2;
	u16 avoid = g->avoid;

	at = g->n;
	vf_emit(g, BPFFS_INSN((vf_below(g, 3) ? BPF_JMP : BPF_JMP32) | op | BPF_K, vf_src(g), 0, 0,
			      vf_small[vf_below(g, VF_SMALL)]));
	if (vf_one_in(g, 3)) {
		vf_index(g, i, 1u << vf_below(g, 7));
		if (BPF_CLASS(g->insns[g->n - 1].code) == BPF_LDX)
			vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, i, 63));
	} else {
		vf_emit(g, BPFFS_MOV64_IMM(i, vf_small[vf_below(g, 16)]));
	}
	at2 = g->n;
	vf_emit(g, BPFFS_JA(0));
	vf_land(g, at);
	vf_emit(g, BPFFS_MOV64_IMM(i, vf_small[vf_below(g, 16)]));
	vf_land(g, at2);
	vf_set_scalar(g, i);
	s = vf_save(g);
	g->avoid |= (u16)(1u << i);
	for (int k = (int)vf_below(g, 3); k > 0; k--)
		vf_alu(g);
	g->avoid = avoid;
	if (vf_one_in(g, 3)) {		/* precision must follow the value through the stack */
		int off = -8 * (int)(1 + vf_below(g, 8));

		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, i, (s16)off));
		vf_emit(g, BPFFS_MOV64_IMM(i, vf_small[vf_below(g, VF_SMALL)]));
		vf_emit(g, BPFFS_LDX_MEM(BPF_DW, i, BPF_REG_10, (s16)off));
		vf_stack_mark(g, off, 8, false);
	}
	if (vf_one_in(g, 2))
		vf_index_op(g, i);
	if (vf_one_in(g, 3))
		vf_index_check(g, i, &sk);
	vf_use_index(g, i, &sk);
	vf_join(g, s);
}

/* for (c = 0; c < N; c++) stack[fp - 8N + 8c] / value[c] / pkt[c]: a loop-carried index */
static void vf_loop_index(struct vfuzz_gen *g)
{
	u8 c = vf_one_in(g, 2) ? BPF_REG_9 : vf_tmp(g, 0, -1), t = vf_tmp(g, c, 0);
	u32 n = 2 + vf_below(g, 7), head, sh = vf_below(g, 4);
	struct vf_path s;

	vf_emit(g, BPFFS_MOV64_IMM(c, 0));
	vf_set_scalar(g, c);
	s = vf_save(g);
	head = g->n;
	vf_emit(g, BPFFS_MOV64_REG(t, c));
	if (sh)
		vf_emit(g, BPFFS_ALU64_IMM(BPF_LSH, t, (s32)sh));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, t, -(s32)(n << sh)));
	vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, t, BPF_REG_10));
	vf_emit(g, BPFFS_ST_MEM(vf_size_of(sh == 0 ? 1 : sh == 1 ? 2 : sh == 2 ? 4 : 8), t, 0,
				vf_imm(g)));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, c, 1));
	vf_emit(g, vf_below(g, 2) ? BPFFS_JMP_IMM(BPF_JLT, c, (s32)n, 0) :
				    BPFFS_JMP_IMM(BPF_JNE, c, (s32)n, 0));
	g->insns[g->n - 1].off = (s16)(head - g->n);
	vf_set_other(g, t);
	vf_join(g, s);
	vf_stack_mark(g, -(int)(n << sh), (int)(n << sh), false);
}

/*
 * Helpers with a memory argument and a size: skb_load_bytes(ctx, off, buf,
 * len) writes len bytes, strtol/strtoul(buf, len, flags, &res) read len
 * bytes and write 8 at res. The size is a constant or a bounded variable;
 * afterwards the buffer (or res) is read back, which is safe only where
 * the verifier's idea of what the helper wrote is right.
 */
static void vf_mem_helper(struct vfuzz_gen *g)
{
	bool load = g->type != BPF_PROG_TYPE_XDP && vf_below(g, 2);
	int b = 8 * (1 + (int)vf_below(g, 4));	/* buffer fp-b .. fp-1 (strtol: fp-8-b ..) */
	int buf = load ? -b : -8 - b, res = -8;
	struct vf_skips sk = { .n = 0 };
	struct vf_path s = vf_save(g);
	u8 lr = BPF_REG_9;

	/* the size, in r9 (survives nothing here but is not an argument register) */
	if (vf_below(g, 2)) {
		vf_emit(g, BPFFS_MOV64_IMM(lr, 1 + (s32)vf_below(g, (u32)b)));
	} else {
		vf_index(g, lr, (u32)b);
		if (BPF_CLASS(g->insns[g->n - 1].code) == BPF_LDX)
			vf_index_check(g, lr, &sk);
		if (vf_below(g, 2))	/* the size may not be 0 */
			vf_skip_add(g, &sk, BPFFS_JMP_IMM(BPF_JEQ, lr, 0, 0));
		else if (!vf_one_in(g, 8))
			vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, lr, 1));
	}
	vf_set_scalar(g, lr);
	if (load) {
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_6));
		if (vf_below(g, 2))
			vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_2, (s32)vf_below(g, 32)));
		else
			vf_ctx_load(g, BPF_REG_2, BPF_REG_6);
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, buf));
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_4, lr));
		vf_emit(g, BPFFS_CALL_HELPER(BPF_FUNC_skb_load_bytes));
	} else {
		for (int o = buf; o < buf + b && !vf_one_in(g, 4); o += 8) {
			/* digits, or anything */
			vf_emit(g, BPFFS_ST_MEM(BPF_DW, BPF_REG_10, (s16)o,
						vf_below(g, 2) ? 0x34333231 : vf_imm(g)));
			vf_stack_mark(g, o, 8, false);
		}
		if (vf_one_in(g, 4)) {		/* the string in a map value */
			vf_emit(g, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1,
					      BPF_PSEUDO_MAP_VALUE, 0, VF_MAP_ARRAY_ODD));
			vf_emit(g, BPFFS_INSN(0, 0, 0, 0, 0));
		} else {
			vf_emit(g, BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10));
			vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, buf));
		}
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_2, lr));
		vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_3, vf_below(g, 2) ? 0 : 10));
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_4, BPF_REG_10));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_4, res));
		vf_emit(g, BPFFS_CALL_HELPER(vf_below(g, 2) ? BPF_FUNC_strtol : BPF_FUNC_strtoul));
	}
	vf_after_call(g);
	/* read back: res, or a byte of the buffer the helper may have written */
	if (!load && vf_below(g, 2))
		vf_emit(g, BPFFS_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, (s16)res));
	else if (vf_below(g, 2))
		vf_emit(g, BPFFS_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_10,
					 (s16)(buf + (int)vf_below(g, (u32)b))));
	vf_skips_land(g, &sk);
	vf_join(g, s);
	g->scalars &= (u16)~0x3fu;
	/* what the helper wrote depends on the input: forget those bytes */
	for (int o = buf; o < 0; o++)
		g->stack_init &= ~(1ULL << (64 + o));
	vf_set_scalar(g, lr);
}

/*
 * A bpf-to-bpf call: r1 = fp - x (x >= 8: the callee touches r1[0..8)),
 * r2 = a bounded scalar; the callee's r0 then serves as an index here, so
 * bounds and precision must cross the frame boundary.
 */
static void vf_subcall(struct vfuzz_gen *g)
{
	int x = 8 * (1 + (int)vf_below(g, 8));
	struct vf_skips sk = { .n = 0 };
	u8 t;

	if (!g->has_sub || g->ncalls >= 8)
		return vf_alu(g);
	vf_index(g, BPF_REG_2, 1u << vf_below(g, 7));
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_1, BPF_REG_10));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_1, -x));
	g->calls[g->ncalls++] = g->n;
	vf_emit(g, BPFFS_CALL_LOCAL(0));
	vf_after_call(g);
	for (int o = -x; o < -x + 8; o++)	/* the callee may have written there */
		g->stack_init &= ~(1ULL << (64 + o));
	g->spilled &= (u8)~(1u << (x / 8 - 1));
	if (vf_below(g, 2)) {
		t = vf_one_in(g, 2) ? BPF_REG_9 : vf_tmp(g, 0, -1);
		vf_emit(g, BPFFS_MOV64_REG(t, BPF_REG_0));
		vf_set_scalar(g, t);
		if (vf_one_in(g, 3))
			vf_index_check(g, t, &sk);
		vf_use_index(g, t, &sk);
	}
}

/* The callee: r6 = caller's stack pointer, r7 = scalar; returns a scalar. */
static void vf_subprog(struct vfuzz_gen *g)
{
	u32 start = g->n, limit = VF_MAX - 2;
	int k, cnt = 1 + (int)vf_below(g, 5);

	g->has_sub = false;		/* vf_emit may use the reserved room now */
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1));
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_7, BPF_REG_2));
	for (k = 0; k < cnt && g->n < limit - 8; k++) {
		u8 sz = vf_size(g);
		int b = vf_bytes(sz);
		s16 off = (s16)(b * (int)vf_below(g, (u32)(8 / b)));
		u32 at;

		switch (vf_below(g, 6)) {
		case 0:
			vf_emit(g, BPFFS_ST_MEM(sz, BPF_REG_6, off, vf_imm(g)));
			break;
		case 1:
			vf_emit(g, BPFFS_STX_MEM(sz, BPF_REG_6, BPF_REG_7, off));
			break;
		case 2:
			vf_emit(g, BPFFS_LDX_MEM(sz, BPF_REG_8, BPF_REG_6, off));
			vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_7, BPF_REG_8));
			break;
		case 3:	/* own frame */
			vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_7, -8));
			vf_emit(g, BPFFS_LDX_MEM(sz, BPF_REG_7, BPF_REG_10, (s16)(-8 + off)));
			break;
		case 4:
			vf_index_op(g, BPF_REG_7);
			break;
		default:	/* if (r7 > K) r7 = K2 */
			at = g->n;
			vf_emit(g, BPFFS_JMP_IMM(vf_below(g, 2) ? BPF_JLE : BPF_JSLE, BPF_REG_7,
						 vf_small[vf_below(g, VF_SMALL)], 0));
			vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_7, vf_small[vf_below(g, 16)]));
			vf_land(g, at);
		}
	}
	if (vf_below(g, 2))
		vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, BPF_REG_7, (1 << vf_below(g, 7)) - 1));
	vf_emit(g, vf_one_in(g, 32) ? BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_6) :
				      BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_7));
	if (g->n >= VF_MAX - 1)
		g->n = VF_MAX - 1;
	g->insns[g->n++] = BPFFS_EXIT();
	for (k = 0; k < g->ncalls; k++)
		g->insns[g->calls[k]].imm = (s32)start - (s32)g->calls[k] - 1;
}

/*
 * bpf_loop(n, callback, fp - x, 0): the callback gets (index, ctx) and
 * writes the caller's stack at ctx + (index & mask); the verifier must
 * bound index by n and know what the callback left written.
 */
static void vf_loop_call(struct vfuzz_gen *g)
{
	int x = 8 * (1 + (int)vf_below(g, 8));

	if (!g->has_cb || g->ncb >= 8)
		return vf_alu(g);
	if (vf_below(g, 2)) {
		vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_1, 1 + (s32)vf_below(g, 8)));
	} else {
		vf_index(g, BPF_REG_1, 8);
		vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, BPF_REG_1, 7));
	}
	g->cb_refs[g->ncb++] = g->n;
	vf_emit(g, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_FUNC, 0, 0));
	vf_emit(g, BPFFS_INSN(0, 0, 0, 0, 0));
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, -x));
	vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_4, 0));
	vf_emit(g, BPFFS_CALL_HELPER(BPF_FUNC_loop));
	vf_after_call(g);
	for (int o = -x; o < -x + 8 && o < 0; o++)	/* the callback may have written there */
		g->stack_init &= ~(1ULL << (64 + o));
	g->spilled &= (u8)~(1u << (x / 8 - 1));
	if (vf_below(g, 2)) {		/* read back what the callback wrote */
		vf_emit(g, BPFFS_LDX_MEM(vf_size(g), BPF_REG_0, BPF_REG_10, (s16)-x));
		vf_set_scalar(g, BPF_REG_0);
	}
}

/* The bpf_loop callback: r1 = index, r2 = ctx (caller's fp - x); returns 0 or 1. */
static void vf_callback(struct vfuzz_gen *g)
{
	u32 start = g->n;
	u8 sz = vf_size(g);
	int k;

	g->has_cb = false;
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_2));
	switch (vf_below(g, 3)) {
	case 0:		/* ctx + (index & 7), a byte */
		vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, BPF_REG_1, 7));
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_3, BPF_REG_1));
		vf_emit(g, BPFFS_ST_MEM(BPF_B, BPF_REG_3, 0, vf_imm(g)));
		break;
	case 1:		/* ctx + index, bounded by a check */
		vf_emit(g, BPFFS_JMP_IMM(BPF_JGT, BPF_REG_1, 7, 2));
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_3, BPF_REG_1));
		vf_emit(g, BPFFS_STX_MEM(BPF_B, BPF_REG_3, BPF_REG_1, 0));
		break;
	default:	/* a whole slot, then read a part back */
		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_3, BPF_REG_1, 0));
		vf_emit(g, BPFFS_LDX_MEM(sz, BPF_REG_4, BPF_REG_3,
					 (s16)(vf_bytes(sz) * (int)vf_below(g, (u32)(8 / vf_bytes(sz))))));
	}
	vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_0, vf_one_in(g, 8) ? 1 : 0));
	if (g->n >= VF_MAX - 1)
		g->n = VF_MAX - 1;
	g->insns[g->n++] = BPFFS_EXIT();
	for (k = 0; k < g->ncb; k++)
		g->insns[g->cb_refs[k]].imm = (s32)start - (s32)g->cb_refs[k] - 1;
}

static void vf_snippet(struct vfuzz_gen *g, int depth)
{
	u32 pick;

	if (!vf_room(g))
		return;
	/* nested and loop bodies: straight-line snippets, so states stay few */
	pick = vf_below(g, depth > 1 || g->in_loop ? 9 : 26);
	switch (pick) {
	case 0:
	case 1:
		vf_alu(g);
		break;
	case 2:
		vf_ctx_read(g);
		break;
	case 3:
		vf_stack_store(g, vf_one_in(g, 8) ? -512 : -64);
		break;
	case 4:
		vf_stack_load(g);
		break;
	case 5:
		if (g->pkt)
			vf_pkt_const(g, depth);
		else
			vf_ctx_write(g);
		break;
	case 6:
		vf_direct_value(g);
		break;
	case 7:
		vf_stack_var(g);
		break;
	case 8:
		vf_spill_fill(g);
		break;
	case 9:
		vf_ctx_write(g);
		break;
	case 10:
		if (g->pkt)
			vf_pkt_var(g, depth);
		else
			vf_helper(g);
		break;
	case 11:
	case 12:
		vf_lookup(g, depth);
		break;
	case 13:
		if (vf_below(g, 2))
			vf_update(g);
		else
			vf_helper(g);
		break;
	case 14:
		vf_branch(g, depth);
		break;
	case 15:
	case 16:
		vf_index_chain(g);
		break;
	case 17:
		vf_diamond(g);
		break;
	case 18:
		vf_loop_index(g);
		break;
	case 19:
		vf_mem_helper(g);
		break;
	case 20:
		vf_subcall(g);
		break;
	case 21:
		vf_loop_call(g);
		break;
	case 22:
		vf_spill_index(g);
		break;
	case 23:
		vf_atomic_index(g);
		break;
	case 24:
		vf_rodata_index(g);
		break;
	default:
		vf_loop(g, depth);
	}
}

static const u32 vf_types[] = { BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_CLS,
				BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_XDP,
				BPF_PROG_TYPE_SOCKET_FILTER };

static void vf_generate(struct vfuzz_gen *g)
{
	u32 k, cnt = 2 + vf_below(g, 10);
	u8 r;

	g->n = 0;
	g->scalars = 0;
	g->stack_init = 0;
	g->spilled = 0;
	g->avoid = 0;
	g->in_loop = false;
	g->has_sub = vf_one_in(g, 3);
	g->ncalls = 0;
	g->has_cb = vf_one_in(g, 4);
	g->ncb = 0;
	g->stack_zeroed = vf_below(g, 2);
	g->unpriv = vf_one_in(g, 16);
	g->type = vf_types[vf_below(g, sizeof(vf_types) / sizeof(vf_types[0]))];
	g->pkt = g->type != BPF_PROG_TYPE_SOCKET_FILTER;
	g->pkt_write = g->pkt;
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1));
	if (g->pkt) {
		vf_emit(g, BPFFS_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_6, vf_pkt_field(g, false)));
		vf_emit(g, BPFFS_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_6, vf_pkt_field(g, true)));
	}
	/* most registers start initialised, so programs get further */
	for (r = 0; r <= 9; r++) {
		if (r == 6 || (g->pkt && (r == 7 || r == 8)) || vf_one_in(g, 6))
			continue;
		if (vf_below(g, 2))
			vf_emit(g, BPFFS_MOV64_IMM(r, vf_imm(g)));
		else
			vf_ctx_load(g, r, BPF_REG_6);
		vf_set_scalar(g, r);
	}
	for (k = 0; k < 8; k++)
		if (!vf_one_in(g, 3)) {
			vf_emit(g, BPFFS_ST_MEM(BPF_DW, BPF_REG_10, -8 * (int)(k + 1), vf_imm(g)));
			vf_stack_mark(g, -8 * (int)(k + 1), 8, false);
		}
	for (k = 0; k < cnt && vf_room(g); k++)
		vf_snippet(g, 0);
	if (!(g->scalars & 1) || vf_below(g, 4))
		vf_emit(g, vf_below(g, 2) ? BPFFS_MOV64_IMM(BPF_REG_0, vf_imm(g)) :
					    BPFFS_MOV64_REG(BPF_REG_0, BPF_REG_9));
	if (g->n >= VF_MAX - 1)
		g->n = VF_MAX - 1;	/* cut short: some jump may now point past the end */
	g->insns[g->n++] = BPFFS_EXIT();
	if (g->has_sub && g->ncalls)
		vf_subprog(g);
	g->has_sub = false;
	if (g->has_cb && g->ncb)
		vf_callback(g);
	g->has_cb = false;
}

#endif /* BPFFS_VERIFIER_FUZZGEN_IDX_H */
