// SPDX-License-Identifier: MIT
/*
 * Precision tracking. Scalars in explored states start "imprecise": pruning
 * then accepts any scalar in their place. When a path uses a scalar where its
 * value matters for safety (pointer arithmetic, a helper's size or constant
 * argument, a branch the bounds decided, a checked return value), the
 * instructions of that path are walked backwards to find the registers and
 * stack slots the value came from, and those are marked precise in every
 * explored state on the way (the kernel's backtracking, simplified). When the
 * walk meets something it does not model (another frame, a stack access
 * through a pointer other than r10), it gives up safely: every ancestor is
 * marked all-precise. A pruned path passes on the precision its match relied on.
 */
#include <stdlib.h>
#include "internal.h"

int hist_append(struct vstate *st, u32 entry)
{
	if (st->hist_len == st->hist_cap) {
		u32 cap = st->hist_cap ? st->hist_cap * 2 : 16;
		u32 *h = realloc(st->hist, cap * sizeof(u32));

		if (!h)
			return -ENOMEM;
		st->hist = h;
		st->hist_cap = cap;
	}
	st->hist[st->hist_len++] = entry;
	return 0;
}

u32 hist_entry(struct verifier_env *env)
{
	return (u32)env->hist_insn | (env->cur->curframe << 24) | env->hist_flags;
}

static void mark_all_precise(struct verifier_env *env)
{
	struct vstate *st;

	for (st = env->cur->parent; st && !st->all_precise; st = st->parent)
		st->all_precise = true;
}

struct bt {
	u16 regs;	/* registers of the tracked frame */
	u64 slots;	/* 8-byte stack slots of the tracked frame */
};

static int slot_of_off(s16 off)
{
	if (off >= 0 || off < -MAX_BPF_STACK)
		return -1;
	return (-off - 1) / BPF_REG_SIZE;
}

/* One instruction backwards. Returns -1 when it cannot be modelled. */
static int backtrack_insn(struct verifier_env *env, u32 e, struct bt *bt)
{
	const struct bpf_insn *insn = &env->insns[HIST_IDX(e)];
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code), mode = BPF_MODE(insn->code);
	u16 d = 1u << insn->dst_reg, s = 1u << insn->src_reg;
	int slot;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (!(bt->regs & d))
			return 0;
		if (op == BPF_MOV) {
			bt->regs &= ~d;
			if (BPF_SRC(insn->code) == BPF_X)
				bt->regs |= s;
		} else if (BPF_SRC(insn->code) == BPF_X && op != BPF_END && op != BPF_NEG) {
			bt->regs |= s;
		}
		return 0;
	case BPF_LDX:
		if (!(bt->regs & d))
			return 0;
		bt->regs &= ~d;
		if (e & HIST_LOAD_UNKNOWN)
			return 0;	/* the memory's contents did not bound it */
		if (e & HIST_STACK_PTR)
			return -1;
		if (insn->src_reg == BPF_REG_FP) {
			slot = slot_of_off(insn->off);
			if (slot < 0)
				return -1;
			bt->slots |= 1ULL << slot;
		}
		return 0;
	case BPF_ST:
	case BPF_STX:
		if (mode == BPF_ATOMIC) {
			if ((e & HIST_STACK_PTR) || insn->dst_reg == BPF_REG_FP) {
				if (bt->slots || (bt->regs & (s | 1)))
					return -1;
				return 0;
			}
			if (insn->imm == BPF_CMPXCHG)
				bt->regs &= ~1u;
			else if (insn->imm & BPF_FETCH)
				bt->regs &= ~s;
			return 0;
		}
		if (e & HIST_STACK_PTR)
			return bt->slots ? -1 : 0;
		if (insn->dst_reg != BPF_REG_FP)
			return 0;
		slot = slot_of_off(insn->off);
		if (slot < 0)
			return -1;
		if (!(bt->slots & (1ULL << slot)))
			return 0;
		if (BPF_SIZE(insn->code) == BPF_DW && !(insn->off % BPF_REG_SIZE))
			bt->slots &= ~(1ULL << slot);
		if (cls == BPF_STX)
			bt->regs |= s;
		return 0;
	case BPF_LD:
		if (mode == BPF_IMM)
			bt->regs &= ~d;
		else
			bt->regs &= ~0x3fu;
		return 0;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL) {
			if (insn->src_reg == BPF_PSEUDO_CALL)
				return -1;
			/* r0 comes from the helper; r1-r5 died there */
			if (insn->imm == BPF_FUNC_loop || insn->imm == BPF_FUNC_for_each_map_elem ||
			    insn->imm == BPF_FUNC_timer_set_callback)
				return -1;
			bt->regs &= ~0x3fu;
			return 0;
		}
		if (op == BPF_EXIT)
			return -1;
		if (op != BPF_JA && BPF_SRC(insn->code) == BPF_X) {
			if (bt->regs & d)
				bt->regs |= s;
			else if (bt->regs & s)
				bt->regs |= d;
		}
		return 0;
	}
	return -1;
}

/* Mark @bt in explored state @st's frame @frame; drop what is not a scalar. */
static void mark_in_state(struct vstate *st, u32 frame, struct bt *bt)
{
	struct func_state *f = st->frame[frame];
	u64 left;
	int i;

	for (left = bt->regs; left; left &= left - 1) {
		i = __builtin_ctzll(left);
		/* already precise: its own past was marked then; stop here */
		if (f->regs[i].type == SCALAR_VALUE && !f->regs[i].precise)
			f->regs[i].precise = true;
		else
			bt->regs &= ~(1u << i);
	}
	for (left = bt->slots; left; left &= left - 1) {
		struct stack_slot *sl;

		i = __builtin_ctzll(left);
		sl = i < f->allocated_stack / BPF_REG_SIZE ? &f->stack[i] : NULL;
		/* a spilled scalar, or zero bytes (precise = their zero
		 * value mattered); anything else is compared exactly anyway */
		if (sl && ((sl->slot_type[BPF_REG_SIZE - 1] == STACK_SPILL &&
			    sl->spilled_ptr.type == SCALAR_VALUE) || slot_has_zero(sl)) &&
		    !sl->spilled_ptr.precise)
			sl->spilled_ptr.precise = true;
		else
			bt->slots &= ~(1ULL << i);
	}
}

static void backtrack(struct verifier_env *env, struct bt bt)
{
	struct vstate *st = env->cur;
	u32 frame = st->curframe, budget = 1u << 14;
	int k;

	if (st->hist_len > budget) {
		mark_all_precise(env);
		return;
	}
	while (bt.regs || bt.slots) {
		for (k = (int)st->hist_len - 1; k >= 0; k--) {
			u32 e = st->hist[k];

			/* long walks (loops without checkpoints): give up safely */
			if (!budget--) {
				mark_all_precise(env);
				return;
			}

			if (HIST_FRAME(e) != frame || backtrack_insn(env, e, &bt) < 0) {
				mark_all_precise(env);
				return;
			}
			if (!bt.regs && !bt.slots)
				return;
		}
		st = st->parent;
		if (!st)
			return;
		if (st->all_precise)
			return;
		if (st->curframe != frame) {
			mark_all_precise(env);
			return;
		}
		mark_in_state(st, frame, &bt);
	}
}

/*
 * The value of scalar register @regno matters from here on. In the current
 * state a register's precise flag says its history is already marked; every
 * ALU write and every refinement from another register clears it.
 */
void mark_precise_reg(struct verifier_env *env, u32 regno)
{
	struct bt bt = { .regs = (u16)(1u << regno) };

	struct bpf_reg *reg;

	if (regno >= MAX_BPF_REG)
		return;
	reg = &cur_regs(env)[regno];
	/* in cur, precise means: its history is already marked */
	if (reg->type != SCALAR_VALUE || reg->precise)
		return;
	backtrack(env, bt);
	reg->precise = true;
}

/*
 * The contents of the 8-byte stack slots @slots (bitmask) of frame @frameno
 * matter from here on (e.g. a map key known to be zero). Another frame than
 * the current one is not modelled: every ancestor becomes all-precise.
 */
void mark_precise_slots(struct verifier_env *env, u32 frameno, u64 slots)
{
	struct bt bt = { .slots = slots };

	if (!slots)
		return;
	if (frameno != env->cur->curframe) {
		mark_all_precise(env);
		return;
	}
	backtrack(env, bt);
}

/* cur was pruned against @old: what old relied on, cur's past must provide. */
void propagate_precision(struct verifier_env *env, const struct vstate *old)
{
	const struct func_state *f;
	struct bt bt = { 0 };
	int i;

	/*
	 * An all-precise old compared every scalar: cur's past must then
	 * keep every one of them, as if each were marked precise in old.
	 */
	if (old->curframe) {
		mark_all_precise(env);
		return;
	}
	f = old->frame[0];
	for (i = 0; i < MAX_BPF_REG; i++)
		if (f->regs[i].type == SCALAR_VALUE && (f->regs[i].precise || old->all_precise) &&
		    cur_regs(env)[i].type == SCALAR_VALUE)
			bt.regs |= 1u << i;
	for (i = 0; i < f->allocated_stack / BPF_REG_SIZE && i < 64; i++)
		if (((f->stack[i].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL &&
		      f->stack[i].spilled_ptr.type == SCALAR_VALUE) || slot_has_zero(&f->stack[i])) &&
		    (f->stack[i].spilled_ptr.precise || old->all_precise))
			bt.slots |= 1ULL << i;
	backtrack(env, bt);
}
