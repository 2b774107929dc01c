// SPDX-License-Identifier: MIT
/*
 * ALU and branch instructions: scalar arithmetic (delegated to bounds.c),
 * pointer arithmetic with fixed and bounded variable offsets, register copies
 * that link scalars (so a bound learned on one copy holds for all), LD_IMM64
 * (constants, map pointers, map values, callbacks), and conditional jumps:
 * branch prediction from scalar bounds, refinement on each side, null checks
 * that turn "or null" pointers into pointers (for every copy with the same
 * id), and packet ranges learned from comparisons with data_end.
 */
#include <string.h>
#include "internal.h"
#include "maps/maps.h"

static const char *const alu_names[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=",
	"endian", "?", "?",
};

static void const_reg(struct bpf_reg *r, s32 imm, bool alu32)
{
	reg_mark_known(r, alu32 ? (u64)(u32)imm : (u64)(s64)imm);
}

static bool ptr_arith_allowed(u8 t)
{
	switch (t) {
	case PTR_TO_CTX:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
	case PTR_TO_STACK:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_MEM:
		return true;
	}
	return false;
}

/*
 * Immediates the kernel refuses outright (check_alu_op): a division or
 * modulo by a zero constant, a shift by a constant outside [0, width). The
 * ISA defines what they do, but they are never intended.
 */
static int check_imm_operand(struct verifier_env *env, const struct bpf_insn *insn, u8 op,
			     bool alu32)
{
	if ((op == BPF_DIV || op == BPF_MOD) && insn->imm == 0) {
		verbose(env, "div by zero\n");
		return -EINVAL;
	}
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (insn->imm < 0 || insn->imm >= (alu32 ? 32 : 64))) {
		verbose(env, "invalid shift %d\n", insn->imm);
		return -EINVAL;
	}
	return 0;
}

static int check_sane_offset(struct verifier_env *env, const struct bpf_reg *ptr,
			     const struct bpf_reg *off)
{
	if (tnum_is_const(off->var_off) &&
	    ((s64)off->var_off.value >= BPF_MAX_VAR_OFF ||
	     (s64)off->var_off.value <= -BPF_MAX_VAR_OFF)) {
		verbose(env, "math between %s pointer and %lld is not allowed\n", reg_type_str(ptr),
			(long long)off->var_off.value);
		return -EACCES;
	}
	if (off->smin_value == INT64_MIN) {
		verbose(env, "math between %s pointer and register with unbounded min value is not allowed\n",
			reg_type_str(ptr));
		return -EACCES;
	}
	if (off->smin_value >= BPF_MAX_VAR_OFF || off->smin_value <= -BPF_MAX_VAR_OFF) {
		verbose(env, "value %lld makes %s pointer be out of bounds\n",
			(long long)off->smin_value, reg_type_str(ptr));
		return -EACCES;
	}
	return 0;
}

/* dst = ptr op off (op is ADD or SUB); ptr is a pointer, off a scalar. */
static int adjust_ptr(struct verifier_env *env, const struct bpf_insn *insn,
		      const struct bpf_reg *ptr, const struct bpf_reg *off)
{
	struct bpf_reg *dst = &cur_regs(env)[insn->dst_reg];
	u8 op = BPF_OP(insn->code);
	struct bpf_reg res = *ptr, var;
	int err;

	if (BPF_CLASS(insn->code) == BPF_ALU) {
		/* root: a 32-bit difference of a pointer is a meaningless scalar */
		if (op == BPF_SUB && !env->opts.unprivileged) {
			reg_mark_unknown(dst);
			zext_32_to_64(dst);
			return 0;
		}
		verbose(env, "R%d 32-bit pointer arithmetic prohibited\n", insn->dst_reg);
		return -EACCES;
	}
	if (ptr->flags & PTR_MAYBE_NULL) {
		verbose(env, "R%d pointer arithmetic on %s prohibited, null-check it first\n",
			insn->dst_reg, reg_type_str(ptr));
		return -EACCES;
	}
	if (!ptr_arith_allowed(ptr->type)) {
		verbose(env, "R%d pointer arithmetic on %s prohibited\n", insn->dst_reg,
			reg_type_str(ptr));
		return -EACCES;
	}
	if (op != BPF_ADD && op != BPF_SUB) {
		verbose(env, "R%d pointer arithmetic with %s operator prohibited\n", insn->dst_reg,
			alu_names[op >> 4]);
		return -EACCES;
	}
	/* scalar - pointer never gets here: check_alu rejects it first (@ptr is a copy) */
	if (op == BPF_SUB && ptr->type == PTR_TO_STACK) {
		/* the kernel's rule, for JITs that cannot move their frame
		 * pointer down; compilers add negative offsets instead */
		verbose(env, "R%d subtraction from stack pointer prohibited\n", insn->dst_reg);
		return -EACCES;
	}
	err = check_sane_offset(env, ptr, off);
	if (err)
		return err;
	if (tnum_is_const(off->var_off)) {
		s64 v = (s64)off->var_off.value, n = op == BPF_ADD ? ptr->off + v : ptr->off - v;

		if (n >= BPF_MAX_VAR_OFF || n <= -BPF_MAX_VAR_OFF) {
			verbose(env, "value %lld makes %s pointer be out of bounds\n", (long long)v,
				reg_type_str(ptr));
			return -EACCES;
		}
		res.off = (s32)n;
		*dst = res;
		return 0;
	}
	/* variable part: do the scalar maths on the pointer's var part */
	var = *ptr;
	var.type = SCALAR_VALUE;
	scalar_alu(&var, off, op, false, 0);
	res.var_off = var.var_off;
	res.smin_value = var.smin_value;
	res.smax_value = var.smax_value;
	res.umin_value = var.umin_value;
	res.umax_value = var.umax_value;
	res.s32_min_value = var.s32_min_value;
	res.s32_max_value = var.s32_max_value;
	res.u32_min_value = var.u32_min_value;
	res.u32_max_value = var.u32_max_value;
	if (type_is_pkt_pointer(ptr->type)) {
		res.id = new_id(env);
		res.range = 0;
	}
	if (ptr->type == PTR_TO_STACK && env->opts.unprivileged) {
		verbose(env, "R%d variable stack access prohibited for !root\n", insn->dst_reg);
		return -EACCES;
	}
	*dst = res;
	return 0;
}

static int check_end(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct bpf_reg *dst = &cur_regs(env)[insn->dst_reg];
	bool swap = BPF_CLASS(insn->code) == BPF_ALU64 || BPF_SRC(insn->code) == BPF_TO_BE;

	if (insn->imm != 16 && insn->imm != 32 && insn->imm != 64) {
		verbose(env, "BPF_END uses reserved fields\n");
		return -EINVAL;
	}
	if (dst->type != SCALAR_VALUE) {
		if (env->opts.unprivileged) {
			verbose(env, "R%d pointer arithmetic prohibited\n", insn->dst_reg);
			return -EACCES;
		}
		reg_mark_unknown(dst);
		return 0;
	}
	if (swap) {
		dst->var_off = insn->imm == 16 ? tnum_bswap16(dst->var_off) :
			       insn->imm == 32 ? tnum_bswap32(dst->var_off) :
						 tnum_bswap64(dst->var_off);
		reg_bounds_unbounded(dst);
		reg_bounds_sync(dst);
	} else if (insn->imm != 64) {
		coerce_reg_to_size(dst, insn->imm / 8);
	}
	dst->id = 0;
	dst->precise = false;
	return 0;
}

static int check_mov(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct bpf_reg *regs = cur_regs(env), *dst = &regs[insn->dst_reg];
	bool alu32 = BPF_CLASS(insn->code) == BPF_ALU;
	int err;

	if (BPF_SRC(insn->code) == BPF_K) {
		const_reg(dst, insn->imm, alu32);
		return 0;
	}
	err = check_reg_arg_read(env, insn->src_reg);
	if (err)
		return err;
	{
		struct bpf_reg *src = &regs[insn->src_reg];

		if (src->type != SCALAR_VALUE && (alu32 || insn->off)) {
			if (env->opts.unprivileged) {
				verbose(env, "R%d partial copy of pointer\n", insn->src_reg);
				return -EACCES;
			}
			reg_mark_unknown(dst);
			if (alu32)
				zext_32_to_64(dst);
			return 0;
		}
		if (!alu32 && !insn->off) {
			/* link copies of an unknown scalar so bounds learned on one apply to all */
			if (src->type == SCALAR_VALUE && !src->id && !tnum_is_const(src->var_off))
				src->id = new_id(env);
			*dst = *src;
			return 0;
		}
		{
			struct bpf_reg tmp = *src;

			tmp.id = 0;
			if (!alu32) {
				coerce_reg_to_size_sx(&tmp, insn->off / 8);
			} else if (insn->off) {
				coerce_subreg_to_size_sx(&tmp, insn->off / 8);
			} else {
				coerce_reg_to_size(&tmp, 4);
			}
			*dst = tmp;
		}
	}
	return 0;
}

int check_alu_op(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct bpf_reg *regs = cur_regs(env);
	u8 op = BPF_OP(insn->code);
	bool alu32 = BPF_CLASS(insn->code) == BPF_ALU;
	struct bpf_reg srcv, *dst;
	int err;

	if (op == BPF_MOV)
		return check_mov(env, insn);
	err = check_reg_arg_read(env, insn->dst_reg);
	if (err)
		return err;
	dst = &regs[insn->dst_reg];
	if (op == BPF_END)
		return check_end(env, insn);
	if (op == BPF_NEG) {
		if (dst->type != SCALAR_VALUE) {
			if (env->opts.unprivileged) {
				verbose(env, "R%d pointer arithmetic prohibited\n", insn->dst_reg);
				return -EACCES;
			}
			reg_mark_unknown(dst);
			return 0;
		}
		reg_mark_known(&srcv, 0);
		{
			struct bpf_reg d = *dst;

			srcv.id = 0;
			scalar_alu(&srcv, &d, BPF_SUB, alu32, 0);
			srcv.precise = false;
			*dst = srcv;
		}
		return 0;
	}
	if (BPF_SRC(insn->code) == BPF_X) {
		err = check_reg_arg_read(env, insn->src_reg);
		if (err)
			return err;
		srcv = regs[insn->src_reg];
	} else {
		err = check_imm_operand(env, insn, op, alu32);
		if (err)
			return err;
		const_reg(&srcv, insn->imm, alu32);
	}
	if (dst->type != SCALAR_VALUE && srcv.type != SCALAR_VALUE) {
		if (op == BPF_SUB && !env->opts.unprivileged) {
			reg_mark_unknown(dst);
			if (alu32)
				zext_32_to_64(dst);
			return 0;
		}
		verbose(env, "R%d pointer %s pointer prohibited\n", insn->dst_reg,
			alu_names[op >> 4]);
		return -EACCES;
	}
	if (dst->type != SCALAR_VALUE) {
		struct bpf_reg ptr = *dst;

		if (BPF_SRC(insn->code) == BPF_X)
			mark_precise_reg(env, insn->src_reg);
		return adjust_ptr(env, insn, &ptr, &srcv);
	}
	if (srcv.type != SCALAR_VALUE) {
		struct bpf_reg off = *dst, ptr = srcv;

		if (op == BPF_SUB && alu32 && !env->opts.unprivileged) {
			reg_mark_unknown(dst);
			zext_32_to_64(dst);
			return 0;
		}
		if (op == BPF_SUB) {
			verbose(env, "R%d tried to subtract pointer from scalar\n", insn->dst_reg);
			return -EACCES;
		}
		if (op != BPF_ADD || alu32) {
			verbose(env, "R%d pointer arithmetic with %s operator prohibited\n",
				insn->dst_reg, alu_names[op >> 4]);
			return -EACCES;
		}
		mark_precise_reg(env, insn->dst_reg);
		return adjust_ptr(env, insn, &ptr, &off);
	}
	scalar_alu(dst, &srcv, op, alu32, insn->off);
	dst->id = 0;
	dst->precise = false;
	return 0;
}

int check_ld_imm(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct bpf_reg *dst = &cur_regs(env)[insn->dst_reg];
	u64 imm = (u64)(u32)insn[0].imm | ((u64)(u32)insn[1].imm << 32);
	struct bpffs_map *map;

	switch (insn->src_reg) {
	case 0:
		reg_mark_known(dst, imm);
		return 0;
	case BPF_PSEUDO_FUNC: {
		int idx = (int)(insn - env->insns), sp = find_subprog(env, idx + insn->imm + 1);

		if (sp < 0) {
			verbose(env, "callback target is not a subprogram\n");
			return -EINVAL;
		}
		reg_mark_known_zero(dst);
		dst->type = PTR_TO_FUNC;
		dst->subprogno = sp;
		return 0;
	}
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_VALUE:
#ifdef BPF_PSEUDO_MAP_IDX
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_IDX_VALUE:
#endif
		break;
	default:
		verbose(env, "unsupported ld_imm64 pseudo src %u\n", insn->src_reg);
		return -EINVAL;
	}
	if ((u32)insn->imm >= env->prog->map_cnt || !env->prog->maps[insn->imm]) {
		verbose(env, "fd %d is not pointing to valid bpf_map\n", insn->imm);
		return -EINVAL;
	}
	map = env->prog->maps[insn->imm];
	reg_mark_known_zero(dst);
	dst->map_ptr = map;
	if (insn->src_reg == BPF_PSEUDO_MAP_FD
#ifdef BPF_PSEUDO_MAP_IDX
	    || insn->src_reg == BPF_PSEUDO_MAP_IDX
#endif
	) {
		dst->type = CONST_PTR_TO_MAP;
		return 0;
	}
	/* direct value access: arrays of one entry only (global data), as
	 * the kernel's map_direct_value_addr and our array map */
	if (map->map_type != BPF_MAP_TYPE_ARRAY) {
		verbose(env, "no direct value access support for this map type\n");
		return -EINVAL;
	}
	if ((u32)insn[1].imm >= map->value_size || map->max_entries != 1) {
		verbose(env, "invalid access to map value pointer, value_size=%u off=%u\n",
			map->value_size, (u32)insn[1].imm);
		return -EACCES;
	}
	dst->type = PTR_TO_MAP_VALUE;
	dst->off = insn[1].imm;
	return 0;
}

/* ---- conditional jumps --------------------------------------------------- */

typedef void (*reg_visit_fn)(struct bpf_reg *reg, void *arg);

static void for_each_reg(struct vstate *st, reg_visit_fn fn, void *arg)
{
	u32 i, r;
	int s;

	for (i = 0; i <= st->curframe; i++) {
		struct func_state *f = st->frame[i];

		for (r = 0; r < MAX_BPF_REG; r++)
			fn(&f->regs[r], arg);
		for (s = 0; s < f->allocated_stack / BPF_REG_SIZE; s++)
			if (f->stack[s].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL)
				fn(&f->stack[s].spilled_ptr, arg);
	}
}

struct null_mark {
	u32 id;
	bool is_null;
};

static void mark_null_fn(struct bpf_reg *reg, void *arg)
{
	struct null_mark *m = arg;

	if (reg->type == SCALAR_VALUE || reg->id != m->id || !(reg->flags & PTR_MAYBE_NULL))
		return;
	if (m->is_null) {
		reg_mark_known_zero(reg);
		return;
	}
	reg->flags &= ~PTR_MAYBE_NULL;
	/* a pointer that needs no more null checks keeps its id only for locks */
	if (reg->type != PTR_TO_MAP_VALUE)
		reg->id = 0;
}

static void mark_ptr_or_null(struct verifier_env *env, struct vstate *st, u32 id, u32 ref_obj_id,
			     bool is_null)
{
	struct null_mark m = { id, is_null };
	int i;

	if (is_null && ref_obj_id) {
		/* a NULL record holds nothing: drop the reference on this path */
		for (i = 0; i < st->acquired_refs; i++) {
			if (st->refs[i].id == ref_obj_id) {
				memmove(&st->refs[i], &st->refs[i + 1],
					(st->acquired_refs - i - 1) * sizeof(st->refs[0]));
				st->acquired_refs--;
				break;
			}
		}
	}
	for_each_reg(st, mark_null_fn, &m);
}

struct pkt_mark {
	u32 id;
	u8 type;
	s32 range;
};

static void mark_pkt_fn(struct bpf_reg *reg, void *arg)
{
	struct pkt_mark *m = arg;

	if (reg->type == m->type && reg->id == m->id && reg->range < m->range)
		reg->range = m->range;
}

static void find_good_pkt_pointers(struct vstate *st, const struct bpf_reg *ptr)
{
	struct pkt_mark m = { ptr->id, ptr->type, ptr->off };

	if (ptr->off < 0 || ptr->off > MAX_PACKET_OFF ||
	    ptr->umax_value > MAX_PACKET_OFF || ptr->umax_value + ptr->off > MAX_PACKET_OFF)
		return;
	for_each_reg(st, mark_pkt_fn, &m);
}

struct scalar_link {
	const struct bpf_reg *known;
};

static void link_scalar_fn(struct bpf_reg *reg, void *arg)
{
	struct scalar_link *l = arg;

	if (reg->type == SCALAR_VALUE && reg->id == l->known->id)
		*reg = *l->known;
}

static void propagate_scalar(struct vstate *st, const struct bpf_reg *reg)
{
	struct scalar_link l = { reg };

	if (reg->type == SCALAR_VALUE && reg->id)
		for_each_reg(st, link_scalar_fn, &l);
}

/*
 * Packet-pointer comparison: which side ends up with a known range.
 * Returns 1 if the jump-taken branch learns it, 0 for the fall-through, -1 none.
 */
static int pkt_cmp_branch(const struct bpf_reg *dst, const struct bpf_reg *src, u8 op,
			  const struct bpf_reg **ptr)
{
	bool fwd = (dst->type == PTR_TO_PACKET && src->type == PTR_TO_PACKET_END) ||
		   (dst->type == PTR_TO_PACKET_META && src->type == PTR_TO_PACKET);
	bool rev = (src->type == PTR_TO_PACKET && dst->type == PTR_TO_PACKET_END) ||
		   (src->type == PTR_TO_PACKET_META && dst->type == PTR_TO_PACKET);

	if (!fwd && !rev)
		return -1;
	*ptr = fwd ? dst : src;
	if (rev)
		op = rev_opcode(op);
	/* now "ptr op end" */
	switch (op) {
	case BPF_JGT:
	case BPF_JGE:
		return 0;
	case BPF_JLT:
	case BPF_JLE:
		return 1;
	}
	return -1;
}

static int check_ptr_cmp(struct verifier_env *env, const struct bpf_insn *insn, int *insn_idx,
			 struct bpf_reg *dst, struct bpf_reg *src, bool is_jmp32)
{
	u8 op = BPF_OP(insn->code);
	struct vstate *other;
	const struct bpf_reg *pkt = NULL;
	int target = *insn_idx + insn->off + 1, side;
	bool src_zero = src->type == SCALAR_VALUE && tnum_equals_const(src->var_off, 0);

	/* null checks: the zero matters */
	if (src_zero && BPF_SRC(insn->code) == BPF_X)
		mark_precise_reg(env, insn->src_reg);
	if (!is_jmp32 && src_zero && dst->type != SCALAR_VALUE && (op == BPF_JEQ || op == BPF_JNE)) {
		if (!(dst->flags & PTR_MAYBE_NULL)) {
			/* a valid pointer is never NULL */
			if (op == BPF_JNE)
				*insn_idx = target - 1;
			return 0;
		}
		other = push_stack(env, target, *insn_idx);
		if (!other)
			return -ENOMEM;
		/* taken branch: JEQ -> null, JNE -> non-null */
		mark_ptr_or_null(env, other, dst->id, dst->ref_obj_id, op == BPF_JEQ);
		mark_ptr_or_null(env, env->cur, dst->id, dst->ref_obj_id, op == BPF_JNE);
		return 0;
	}
	if (env->opts.unprivileged &&
	    !(type_is_pkt_pointer(dst->type) || type_is_pkt_pointer(src->type))) {
		verbose(env, "R%d pointer comparison prohibited\n", insn->dst_reg);
		return -EACCES;
	}
	if ((dst->flags | src->flags) & PTR_MAYBE_NULL && env->opts.unprivileged) {
		verbose(env, "R%d pointer comparison prohibited\n", insn->dst_reg);
		return -EACCES;
	}
	other = push_stack(env, target, *insn_idx);
	if (!other)
		return -ENOMEM;
	if (is_jmp32)
		return 0;
	side = pkt_cmp_branch(dst, src, op, &pkt);
	if (side == 1)
		find_good_pkt_pointers(other, pkt);
	else if (side == 0)
		find_good_pkt_pointers(env->cur, pkt);
	return 0;
}

int check_cond_jmp_op(struct verifier_env *env, const struct bpf_insn *insn, int *insn_idx)
{
	struct bpf_reg *regs = cur_regs(env), *dst = &regs[insn->dst_reg];
	struct bpf_reg srcv, *src = &srcv;
	bool is_jmp32 = BPF_CLASS(insn->code) == BPF_JMP32;
	u8 op = BPF_OP(insn->code);
	struct bpf_reg t_dst, t_src, f_dst, f_src;
	struct vstate *other;
	int target = *insn_idx + insn->off + 1, pred, err;
	bool t_ok, f_ok;

	err = check_reg_arg_read(env, insn->dst_reg);
	if (err)
		return err;
	if (BPF_SRC(insn->code) == BPF_X) {
		err = check_reg_arg_read(env, insn->src_reg);
		if (err)
			return err;
		src = &regs[insn->src_reg];
	} else {
		reg_mark_known(&srcv, is_jmp32 ? (u64)(u32)insn->imm : (u64)(s64)insn->imm);
	}
	if (dst->type != SCALAR_VALUE || src->type != SCALAR_VALUE) {
		if (dst->type == SCALAR_VALUE) {
			/* "0 == ptr" is rare; treat any scalar-vs-pointer as unknown */
			if (env->opts.unprivileged) {
				verbose(env, "R%d pointer comparison prohibited\n", insn->src_reg);
				return -EACCES;
			}
			return push_stack(env, target, *insn_idx) ? 0 : -ENOMEM;
		}
		return check_ptr_cmp(env, insn, insn_idx, dst, src, is_jmp32);
	}
	pred = scalar_branch_taken(dst, src, op, is_jmp32);
	if (pred >= 0) {
		/* the bounds decided the branch: they matter */
		mark_precise_reg(env, insn->dst_reg);
		if (BPF_SRC(insn->code) == BPF_X)
			mark_precise_reg(env, insn->src_reg);
	}
	if (pred == 1) {
		*insn_idx = target - 1;
		return 0;
	}
	if (pred == 0)
		return 0;
	t_dst = f_dst = *dst;
	t_src = f_src = *src;
	scalar_branch_refine(&t_dst, &t_src, op, is_jmp32);
	scalar_branch_refine(&f_dst, &f_src, flip_opcode(op), is_jmp32);
	if (BPF_SRC(insn->code) == BPF_X) {
		/* bounds now depend on the other register's history too */
		t_dst.precise = t_src.precise = false;
		f_dst.precise = f_src.precise = false;
	}
	t_ok = reg_bounds_sane(&t_dst) && reg_bounds_sane(&t_src);
	f_ok = reg_bounds_sane(&f_dst) && reg_bounds_sane(&f_src);
	if (!t_ok || !f_ok) {
		/*
		 * One side contradicts the bounds: they decided the branch as
		 * in the pred >= 0 case, so pruning must compare them (else a
		 * path with wider bounds is pruned against this one).
		 */
		mark_precise_reg(env, insn->dst_reg);
		if (BPF_SRC(insn->code) == BPF_X)
			mark_precise_reg(env, insn->src_reg);
	}
	if (t_ok && f_ok) {
		other = push_stack(env, target, *insn_idx);
		if (!other)
			return -ENOMEM;
		{
			struct bpf_reg *oregs = other->frame[other->curframe]->regs;

			oregs[insn->dst_reg] = t_dst;
			propagate_scalar(other, &t_dst);
			if (BPF_SRC(insn->code) == BPF_X) {
				oregs[insn->src_reg] = t_src;
				propagate_scalar(other, &t_src);
			}
		}
	}
	if (!f_ok && !t_ok)
		f_ok = true;	/* cannot happen for sound refinement; keep exploring */
	if (!f_ok) {
		*dst = t_dst;
		propagate_scalar(env->cur, &t_dst);
		if (BPF_SRC(insn->code) == BPF_X) {
			*src = t_src;
			propagate_scalar(env->cur, &t_src);
		}
		*insn_idx = target - 1;
		return 0;
	}
	*dst = f_dst;
	propagate_scalar(env->cur, &f_dst);
	if (BPF_SRC(insn->code) == BPF_X) {
		*src = f_src;
		propagate_scalar(env->cur, &f_src);
	}
	return 0;
}
