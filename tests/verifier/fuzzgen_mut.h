/* SPDX-License-Identifier: MIT */
/*
 * Mutator of the verifier soundness fuzz (see fuzzgen.h): one or two
 * near-miss changes to an accepted program (a field moved by a little, a
 * jump's sibling opcode, an access one byte or one size further, a check
 * removed), so unsafe programs close to safe ones reach the verifier.
 */
#ifndef BPFFS_VERIFIER_FUZZGEN_MUT_H
#define BPFFS_VERIFIER_FUZZGEN_MUT_H

#include "fuzzgen_gen.h"

/* the jump opcode that differs by one at the edge (>, >=), or its 32-bit twin */
static u8 vf_jmp_sibling(struct vfuzz_gen *g, u8 code)
{
	static const u8 pairs[][2] = { { BPF_JGT, BPF_JGE }, { BPF_JLT, BPF_JLE },
				       { BPF_JSGT, BPF_JSGE }, { BPF_JSLT, BPF_JSLE },
				       { BPF_JEQ, BPF_JNE }, { BPF_JGT, BPF_JSGT },
				       { BPF_JLT, BPF_JSLT }, { BPF_JGE, BPF_JSGE },
				       { BPF_JLE, BPF_JSLE }, { BPF_JGT, BPF_JLT } };
	u8 op = BPF_OP(code);

	if (vf_one_in(g, 4))
		return code ^ (BPF_JMP ^ BPF_JMP32);
	for (u32 k = 0, start = vf_below(g, 10); k < 10; k++) {
		const u8 *pr = pairs[(start + k) % 10];

		if (pr[0] == op)
			return (u8)((code & ~0xf0) | pr[1]);
		if (pr[1] == op)
			return (u8)((code & ~0xf0) | pr[0]);
	}
	return code;
}

static bool vf_is_cond_jmp(u8 code)
{
	u8 cls = BPF_CLASS(code), op = BPF_OP(code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_JA && op != BPF_CALL &&
	       op != BPF_EXIT;
}

/* One near-miss change: a field moved by a little, or a check removed. */
static void vf_mutate_one(struct vfuzz_gen *g)
{
	u32 i = vf_below(g, g->n);
	struct bpf_insn *in = &g->insns[i];
	u8 cls = BPF_CLASS(in->code);

	switch (vf_below(g, 10)) {
	case 0:
		in->off = (s16)(in->off + (int)vf_below(g, 9) - 4);
		break;
	case 1:
		/* wrap like the hardware: signed overflow in C is undefined */
		in->imm = (s32)((u32)in->imm + (u32)((s32)vf_below(g, 9) - 4));
		break;
	case 2:
		if (vf_below(g, 2))
			in->dst_reg = (u8)vf_below(g, 11);
		else
			in->src_reg = (u8)vf_below(g, 11);
		break;
	case 3:
		in->code ^= (u8)(1u << vf_below(g, 8));
		break;
	case 4:	/* a conditional jump: sibling opcode (edge off by one) */
		for (u32 k = 0; k < g->n && !vf_is_cond_jmp(in->code); k++)
			in = &g->insns[(i + k) % g->n];
		if (vf_is_cond_jmp(in->code))
			in->code = vf_jmp_sibling(g, in->code);
		break;
	case 5:	/* a conditional jump (a check) becomes a no-op */
		for (u32 k = 0; k < g->n && !vf_is_cond_jmp(in->code); k++)
			in = &g->insns[(i + k) % g->n];
		if (vf_is_cond_jmp(in->code))
			*in = BPFFS_JA(0);
		break;
	case 6:	/* a memory access: one byte / one size further */
		for (u32 k = 0; k < g->n; k++) {
			in = &g->insns[(i + k) % g->n];
			cls = BPF_CLASS(in->code);
			if ((cls == BPF_LDX || cls == BPF_STX || cls == BPF_ST) &&
			    BPF_MODE(in->code) == BPF_MEM)
				break;
		}
		if (vf_below(g, 2))
			in->off = (s16)(in->off + (vf_below(g, 2) ? 1 : -1) *
						  (int)(vf_below(g, 2) ? 1 : vf_bytes(BPF_SIZE(in->code))));
		else
			in->code = (u8)((in->code & ~0x18) | vf_size(g));
		break;
	case 7:	/* an immediate of an ALU or jump at its neighbour (masks, bounds) */
		for (u32 k = 0; k < g->n; k++) {
			in = &g->insns[(i + k) % g->n];
			cls = BPF_CLASS(in->code);
			if ((cls == BPF_ALU || cls == BPF_ALU64 || vf_is_cond_jmp(in->code)) &&
			    BPF_SRC(in->code) == BPF_K)
				break;
		}
		if (BPF_OP(in->code) == BPF_AND && vf_below(g, 2))
			in->imm = (s32)((u32)in->imm * 2 + 1);
		else
			in->imm = (s32)((u32)in->imm + (vf_below(g, 2) ? 1u : ~0u));
		break;
	case 8:	/* 64 <-> 32-bit ALU (zero extension, sign) */
		if (cls == BPF_ALU || cls == BPF_ALU64)
			in->code ^= BPF_ALU ^ BPF_ALU64;
		else if (cls == BPF_JMP || cls == BPF_JMP32)
			in->code = vf_is_cond_jmp(in->code) ? in->code ^ (BPF_JMP ^ BPF_JMP32) :
							       in->code;
		break;
	default:	/* delete an instruction (keeping jump offsets) */
		if (in->code != (BPF_LD | BPF_DW | BPF_IMM) && in->code != 0 &&
		    i + 1 < g->n)
			*in = BPFFS_JA(0);
	}
}

static void vf_mutate(struct vfuzz_gen *g)
{
	int k, cnt = vf_one_in(g, 4) ? 2 : 1;

	for (k = 0; k < cnt; k++)
		vf_mutate_one(g);
}

#endif /* BPFFS_VERIFIER_FUZZGEN_MUT_H */
