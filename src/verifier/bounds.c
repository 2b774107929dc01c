// SPDX-License-Identifier: MIT
/*
 * Scalar bounds: each scalar register carries a tnum plus signed and unsigned
 * 64-bit and 32-bit intervals; every ALU op and branch updates all of them and
 * reg_bounds_sync() lets each refine the others. Transfer functions here never
 * fail: they over-approximate. Interval arithmetic is done in 128 bits so an
 * overflow of the 32- or 64-bit result is seen and widened to "unbounded"
 * instead of wrapping silently. tests/unit/test_tnum.c checks these against
 * concrete execution.
 */
#include <string.h>
#include "internal.h"

#define S64_MIN INT64_MIN
#define S64_MAX INT64_MAX
#define U64_MAX UINT64_MAX
#define S32_MIN INT32_MIN
#define S32_MAX INT32_MAX
#define U32_MAX UINT32_MAX

typedef __int128 i128;

static inline u64 max_u64(u64 a, u64 b) { return a > b ? a : b; }
static inline u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }
static inline s64 max_s64(s64 a, s64 b) { return a > b ? a : b; }
static inline s64 min_s64(s64 a, s64 b) { return a < b ? a : b; }
static inline u32 max_u32(u32 a, u32 b) { return a > b ? a : b; }
static inline u32 min_u32(u32 a, u32 b) { return a < b ? a : b; }
static inline s32 max_s32(s32 a, s32 b) { return a > b ? a : b; }
static inline s32 min_s32(s32 a, s32 b) { return a < b ? a : b; }

static void bounds64_unbounded(struct bpf_reg *reg)
{
	reg->smin_value = S64_MIN;
	reg->smax_value = S64_MAX;
	reg->umin_value = 0;
	reg->umax_value = U64_MAX;
}

static void bounds32_unbounded(struct bpf_reg *reg)
{
	reg->s32_min_value = S32_MIN;
	reg->s32_max_value = S32_MAX;
	reg->u32_min_value = 0;
	reg->u32_max_value = U32_MAX;
}

void reg_bounds_unbounded(struct bpf_reg *reg)
{
	bounds64_unbounded(reg);
	bounds32_unbounded(reg);
}

void reg_mark_unknown(struct bpf_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = SCALAR_VALUE;
	reg->var_off = tnum_unknown;
	reg_bounds_unbounded(reg);
}

void reg_mark_known(struct bpf_reg *reg, u64 imm)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = SCALAR_VALUE;
	reg->var_off = tnum_const(imm);
	reg->smin_value = reg->smax_value = (s64)imm;
	reg->umin_value = reg->umax_value = imm;
	reg->s32_min_value = reg->s32_max_value = (s32)imm;
	reg->u32_min_value = reg->u32_max_value = (u32)imm;
}

void reg_mark_known_zero(struct bpf_reg *reg)
{
	reg_mark_known(reg, 0);
}

void reg_mark_not_init(struct bpf_reg *reg)
{
	reg_mark_unknown(reg);
	reg->type = NOT_INIT;
}

/* Bounds implied by the known bits. */
static void update_bounds_from_tnum(struct bpf_reg *reg)
{
	struct tnum t = reg->var_off, s = tnum_subreg(t);

	reg->smin_value = max_s64(reg->smin_value, (s64)(t.value | (t.mask & (1ULL << 63))));
	reg->smax_value = min_s64(reg->smax_value, (s64)(t.value | (t.mask & ~(1ULL << 63))));
	reg->umin_value = max_u64(reg->umin_value, t.value);
	reg->umax_value = min_u64(reg->umax_value, t.value | t.mask);
	reg->s32_min_value = max_s32(reg->s32_min_value,
				     (s32)(u32)(s.value | (s.mask & 0x80000000u)));
	reg->s32_max_value = min_s32(reg->s32_max_value,
				     (s32)(u32)(s.value | (s.mask & 0x7fffffffu)));
	reg->u32_min_value = max_u32(reg->u32_min_value, (u32)s.value);
	reg->u32_max_value = min_u32(reg->u32_max_value, (u32)(s.value | s.mask));
}

/* Signed and unsigned views of one width refine each other when the range
 * does not cross the sign boundary. */
static void deduce_bounds32(struct bpf_reg *reg)
{
	if ((s32)reg->u32_min_value <= (s32)reg->u32_max_value) {
		reg->s32_min_value = max_s32(reg->s32_min_value, (s32)reg->u32_min_value);
		reg->s32_max_value = min_s32(reg->s32_max_value, (s32)reg->u32_max_value);
	}
	if ((u32)reg->s32_min_value <= (u32)reg->s32_max_value) {
		reg->u32_min_value = max_u32(reg->u32_min_value, (u32)reg->s32_min_value);
		reg->u32_max_value = min_u32(reg->u32_max_value, (u32)reg->s32_max_value);
	}
}

static void deduce_bounds64(struct bpf_reg *reg)
{
	if ((s64)reg->umin_value <= (s64)reg->umax_value) {
		reg->smin_value = max_s64(reg->smin_value, (s64)reg->umin_value);
		reg->smax_value = min_s64(reg->smax_value, (s64)reg->umax_value);
	}
	if ((u64)reg->smin_value <= (u64)reg->smax_value) {
		reg->umin_value = max_u64(reg->umin_value, (u64)reg->smin_value);
		reg->umax_value = min_u64(reg->umax_value, (u64)reg->smax_value);
	}
}

/* The 64-bit range pins the low half when the upper halves agree. */
static void deduce_32_from_64(struct bpf_reg *reg)
{
	if ((reg->umin_value >> 32) == (reg->umax_value >> 32)) {
		reg->u32_min_value = max_u32(reg->u32_min_value, (u32)reg->umin_value);
		reg->u32_max_value = min_u32(reg->u32_max_value, (u32)reg->umax_value);
		if ((s32)reg->umin_value <= (s32)reg->umax_value) {
			reg->s32_min_value = max_s32(reg->s32_min_value, (s32)reg->umin_value);
			reg->s32_max_value = min_s32(reg->s32_max_value, (s32)reg->umax_value);
		}
	}
	if (((u64)reg->smin_value >> 32) == ((u64)reg->smax_value >> 32)) {
		if ((u32)reg->smin_value <= (u32)reg->smax_value) {
			reg->u32_min_value = max_u32(reg->u32_min_value, (u32)reg->smin_value);
			reg->u32_max_value = min_u32(reg->u32_max_value, (u32)reg->smax_value);
		}
		if ((s32)reg->smin_value <= (s32)reg->smax_value) {
			reg->s32_min_value = max_s32(reg->s32_min_value, (s32)reg->smin_value);
			reg->s32_max_value = min_s32(reg->s32_max_value, (s32)reg->smax_value);
		}
	}
}

/* The low-half range narrows the 64-bit one when the upper halves agree. */
static void deduce_64_from_32(struct bpf_reg *reg)
{
	u64 hi;

	if ((reg->umin_value >> 32) == (reg->umax_value >> 32)) {
		hi = reg->umin_value & ~0xffffffffULL;
		reg->umin_value = max_u64(reg->umin_value, hi | reg->u32_min_value);
		reg->umax_value = min_u64(reg->umax_value, hi | reg->u32_max_value);
	}
	if (((u64)reg->smin_value >> 32) == ((u64)reg->smax_value >> 32)) {
		hi = (u64)reg->smin_value & ~0xffffffffULL;
		reg->smin_value = max_s64(reg->smin_value, (s64)(hi | reg->u32_min_value));
		reg->smax_value = min_s64(reg->smax_value, (s64)(hi | reg->u32_max_value));
	}
	/* a non-negative s32 range with a zero-extended upper half */
	if (reg->umax_value <= U32_MAX && reg->s32_min_value >= 0) {
		reg->umin_value = max_u64(reg->umin_value, (u32)reg->s32_min_value);
		reg->umax_value = min_u64(reg->umax_value, (u32)reg->s32_max_value);
	}
}

static void bound_offset(struct bpf_reg *reg)
{
	struct tnum t64 = tnum_intersect(reg->var_off,
					 tnum_range(reg->umin_value, reg->umax_value));
	struct tnum t32 = tnum_intersect(tnum_subreg(reg->var_off),
					 tnum_range(reg->u32_min_value, reg->u32_max_value));

	reg->var_off = tnum_or(tnum_clear_subreg(t64), t32);
}

void reg_bounds_sync(struct bpf_reg *reg)
{
	int i;

	update_bounds_from_tnum(reg);
	for (i = 0; i < 2; i++) {
		deduce_bounds32(reg);
		deduce_bounds64(reg);
		deduce_32_from_64(reg);
		deduce_64_from_32(reg);
		deduce_bounds32(reg);
		deduce_bounds64(reg);
	}
	bound_offset(reg);
	update_bounds_from_tnum(reg);
}

/* False when the constraints admit no value: the path is infeasible. */
bool reg_bounds_sane(const struct bpf_reg *reg)
{
	struct tnum t = reg->var_off;

	if (reg->type != SCALAR_VALUE && reg->type != PTR_TO_PACKET &&
	    reg->type != PTR_TO_MAP_VALUE && reg->type != PTR_TO_STACK &&
	    reg->type != PTR_TO_MEM && reg->type != PTR_TO_PACKET_META &&
	    reg->type != PTR_TO_CTX && reg->type != PTR_TO_MAP_KEY)
		return true;
	if (t.value & t.mask)
		return false;
	if (reg->smin_value > reg->smax_value || reg->umin_value > reg->umax_value ||
	    reg->s32_min_value > reg->s32_max_value ||
	    reg->u32_min_value > reg->u32_max_value)
		return false;
	if (t.value > reg->umax_value || (t.value | t.mask) < reg->umin_value)
		return false;
	if ((u32)t.value > reg->u32_max_value || (u32)(t.value | t.mask) < reg->u32_min_value)
		return false;
	return true;
}

void zext_32_to_64(struct bpf_reg *reg)
{
	reg->var_off = tnum_subreg(reg->var_off);
	reg->umin_value = reg->u32_min_value;
	reg->umax_value = reg->u32_max_value;
	reg->smin_value = reg->u32_min_value;
	reg->smax_value = reg->u32_max_value;
	reg_bounds_sync(reg);
}

/* Keep the low @size bytes, zero-extended (loads, 32-bit moves). */
void coerce_reg_to_size(struct bpf_reg *reg, int size)
{
	u64 mask;

	if (size >= 8)
		return;
	mask = (1ULL << (size * 8)) - 1;
	reg->var_off = tnum_cast(reg->var_off, size);
	if ((reg->umin_value & ~mask) == (reg->umax_value & ~mask)) {
		reg->umin_value &= mask;
		reg->umax_value &= mask;
	} else {
		reg->umin_value = 0;
		reg->umax_value = mask;
	}
	reg->smin_value = reg->umin_value;
	reg->smax_value = reg->umax_value;
	bounds32_unbounded(reg);
	if (size == 4) {
		reg->u32_min_value = (u32)reg->umin_value;
		reg->u32_max_value = (u32)reg->umax_value;
	}
	reg->var_off = tnum_cast(reg->var_off, size);
	reg_bounds_sync(reg);
}

static s64 sext(u64 v, int size)
{
	int sh = 64 - size * 8;

	return (s64)(v << sh) >> sh;
}

/* Sign-extend the low @size bytes into 64 bits (MOVSX, LDX MEMSX). */
void coerce_reg_to_size_sx(struct bpf_reg *reg, int size)
{
	u64 lo_min, lo_max, mask = (1ULL << (size * 8)) - 1;

	if (size >= 8)
		return;
	if (tnum_is_const(reg->var_off)) {
		reg_mark_known(reg, (u64)sext(reg->var_off.value, size));
		return;
	}
	lo_min = reg->umin_value & mask;
	lo_max = reg->umax_value & mask;
	if ((reg->umin_value & ~mask) == (reg->umax_value & ~mask) &&
	    sext(lo_min, size) <= sext(lo_max, size)) {
		s64 a = sext(lo_min, size), b = sext(lo_max, size);

		reg->var_off = tnum_unknown;
		reg_bounds_unbounded(reg);
		reg->smin_value = a;
		reg->smax_value = b;
	} else {
		reg->var_off = tnum_unknown;
		reg_bounds_unbounded(reg);
		reg->smin_value = -(s64)(1ULL << (size * 8 - 1));
		reg->smax_value = (s64)(1ULL << (size * 8 - 1)) - 1;
	}
	reg_bounds_sync(reg);
}

/* Sign-extend the low @size bytes into 32 bits, then zero-extend to 64. */
void coerce_subreg_to_size_sx(struct bpf_reg *reg, int size)
{
	coerce_reg_to_size_sx(reg, size);
	reg->var_off = tnum_subreg(reg->var_off);
	reg->u32_min_value = 0;
	reg->u32_max_value = U32_MAX;
	if (reg->smin_value >= 0 || reg->smax_value < 0) {
		reg->u32_min_value = (u32)reg->smin_value;
		reg->u32_max_value = (u32)reg->smax_value;
	}
	reg->s32_min_value = S32_MIN;
	reg->s32_max_value = S32_MAX;
	reg->umin_value = reg->u32_min_value;
	reg->umax_value = reg->u32_max_value;
	reg->smin_value = reg->umin_value;
	reg->smax_value = reg->umax_value;
	reg_bounds_sync(reg);
}

void reg_set_subreg_unknown_upper_zero(struct bpf_reg *reg)
{
	reg_mark_unknown(reg);
	reg->var_off = tnum_subreg(tnum_unknown);
	reg->umax_value = U32_MAX;
	reg->smin_value = 0;
	reg->smax_value = U32_MAX;
	reg_bounds_sync(reg);
}

/* ---- interval arithmetic in 128 bits ------------------------------------ */

struct ival {
	i128 lo, hi;
};

/* Clamp an exact result interval to a width: fits or unbounded. */
static bool ival_fits(struct ival r, i128 tmin, i128 tmax)
{
	return r.lo >= tmin && r.hi <= tmax && r.lo <= r.hi;
}

static struct ival ival_mul(struct ival a, struct ival b)
{
	i128 c[4] = { a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi };
	struct ival r = { c[0], c[0] };
	int i;

	for (i = 1; i < 4; i++) {
		if (c[i] < r.lo)
			r.lo = c[i];
		if (c[i] > r.hi)
			r.hi = c[i];
	}
	return r;
}

/* Multiplying two 64-bit bounds can exceed 128 bits only for huge values:
 * keep the factors below 2^62 in magnitude or give up. */
static bool ival_mul_ok(struct ival a, struct ival b)
{
	i128 lim = (i128)1 << 62;

	return a.lo > -lim && a.hi < lim && b.lo > -lim && b.hi < lim;
}

static struct ival ival_op(struct ival a, struct ival b, u8 op, bool *ok)
{
	struct ival r = { 0, 0 };

	*ok = true;
	switch (op) {
	case BPF_ADD:
		r.lo = a.lo + b.lo;
		r.hi = a.hi + b.hi;
		break;
	case BPF_SUB:
		r.lo = a.lo - b.hi;
		r.hi = a.hi - b.lo;
		break;
	case BPF_MUL:
		if (!ival_mul_ok(a, b)) {
			*ok = false;
			break;
		}
		r = ival_mul(a, b);
		break;
	default:
		*ok = false;
	}
	return r;
}

struct scalar_view {
	struct ival s, u;
};

static void apply_64(struct bpf_reg *dst, const struct bpf_reg *src, u8 op)
{
	struct ival su = { (i128)dst->umin_value, (i128)dst->umax_value };
	struct ival ss = { (i128)dst->smin_value, (i128)dst->smax_value };
	struct ival bu = { (i128)src->umin_value, (i128)src->umax_value };
	struct ival bs = { (i128)src->smin_value, (i128)src->smax_value };
	struct ival r;
	bool ok;

	r = ival_op(su, bu, op, &ok);
	if (ok && ival_fits(r, 0, (i128)U64_MAX)) {
		dst->umin_value = (u64)r.lo;
		dst->umax_value = (u64)r.hi;
	} else {
		dst->umin_value = 0;
		dst->umax_value = U64_MAX;
	}
	r = ival_op(ss, bs, op, &ok);
	if (ok && ival_fits(r, (i128)S64_MIN, (i128)S64_MAX)) {
		dst->smin_value = (s64)r.lo;
		dst->smax_value = (s64)r.hi;
	} else {
		dst->smin_value = S64_MIN;
		dst->smax_value = S64_MAX;
	}
}

static void apply_32(struct bpf_reg *dst, const struct bpf_reg *src, u8 op)
{
	struct ival su = { dst->u32_min_value, dst->u32_max_value };
	struct ival ss = { dst->s32_min_value, dst->s32_max_value };
	struct ival bu = { src->u32_min_value, src->u32_max_value };
	struct ival bs = { src->s32_min_value, src->s32_max_value };
	struct ival r;
	bool ok;

	r = ival_op(su, bu, op, &ok);
	if (ok && ival_fits(r, 0, U32_MAX)) {
		dst->u32_min_value = (u32)r.lo;
		dst->u32_max_value = (u32)r.hi;
	} else {
		dst->u32_min_value = 0;
		dst->u32_max_value = U32_MAX;
	}
	r = ival_op(ss, bs, op, &ok);
	if (ok && ival_fits(r, S32_MIN, S32_MAX)) {
		dst->s32_min_value = (s32)r.lo;
		dst->s32_max_value = (s32)r.hi;
	} else {
		dst->s32_min_value = S32_MIN;
		dst->s32_max_value = S32_MAX;
	}
}

/* AND/OR/XOR: unsigned bounds from the bit pattern and the operands. */
static void apply_bitwise(struct bpf_reg *dst, const struct bpf_reg *src, u8 op)
{
	bool nonneg = dst->smin_value >= 0 && src->smin_value >= 0;
	bool nonneg32 = dst->s32_min_value >= 0 && src->s32_min_value >= 0;
	u64 umax = op == BPF_AND ? min_u64(dst->umax_value, src->umax_value) : U64_MAX;
	u32 umax32 = op == BPF_AND ? min_u32(dst->u32_max_value, src->u32_max_value) : U32_MAX;
	u64 umin = op == BPF_OR ? max_u64(dst->umin_value, src->umin_value) : 0;
	u32 umin32 = op == BPF_OR ? max_u32(dst->u32_min_value, src->u32_min_value) : 0;

	reg_bounds_unbounded(dst);
	dst->umin_value = umin;
	dst->umax_value = umax;
	dst->u32_min_value = umin32;
	dst->u32_max_value = umax32;
	/* and/or/xor of non-negative values is non-negative */
	if (nonneg) {
		dst->smin_value = 0;
		dst->smax_value = (s64)min_u64(umax, S64_MAX);
	}
	if (nonneg32) {
		dst->s32_min_value = 0;
		dst->s32_max_value = (s32)min_u32(umax32, S32_MAX);
	}
}

static void apply_shift(struct bpf_reg *dst, u8 op, u64 k, bool alu32)
{
	u64 umin = dst->umin_value, umax = dst->umax_value;
	s64 smin = dst->smin_value, smax = dst->smax_value;
	u32 u32min = dst->u32_min_value, u32max = dst->u32_max_value;
	s32 s32min = dst->s32_min_value, s32max = dst->s32_max_value;

	reg_bounds_unbounded(dst);
	if (alu32) {
		if (op == BPF_LSH && !(k && (u32max >> (32 - k)))) {
			dst->u32_min_value = u32min << k;
			dst->u32_max_value = u32max << k;
		} else if (op == BPF_RSH) {
			dst->u32_min_value = u32min >> k;
			dst->u32_max_value = u32max >> k;
		} else if (op == BPF_ARSH) {
			dst->s32_min_value = s32min >> k;
			dst->s32_max_value = s32max >> k;
		}
		return;
	}
	if (op == BPF_LSH && !(k && (umax >> (64 - k)))) {
		dst->umin_value = umin << k;
		dst->umax_value = umax << k;
	} else if (op == BPF_RSH) {
		dst->umin_value = umin >> k;
		dst->umax_value = umax >> k;
	} else if (op == BPF_ARSH) {
		dst->smin_value = smin >> k;
		dst->smax_value = smax >> k;
	}
}

static struct tnum tnum_op(struct tnum a, struct tnum b, u8 op)
{
	switch (op) {
	case BPF_ADD: return tnum_add(a, b);
	case BPF_SUB: return tnum_sub(a, b);
	case BPF_MUL: return tnum_mul(a, b);
	case BPF_AND: return tnum_and(a, b);
	case BPF_OR: return tnum_or(a, b);
	case BPF_XOR: return tnum_xor(a, b);
	}
	return tnum_unknown;
}

/* Division and modulo: exact for constants, coarse otherwise. */
static void apply_divmod(struct bpf_reg *dst, const struct bpf_reg *src, u8 op, bool alu32,
			 bool is_signed)
{
	u64 umax = alu32 ? dst->u32_max_value : dst->umax_value;
	u64 umin = alu32 ? dst->u32_min_value : dst->umin_value;
	bool cst = alu32 ? tnum_subreg_is_const(src->var_off) : tnum_is_const(src->var_off);
	u64 c = alu32 ? (u32)src->var_off.value : src->var_off.value;

	if (is_signed) {
		reg_mark_unknown(dst);
		return;
	}
	if (cst && c == 0) {
		if (op == BPF_DIV)
			reg_mark_known(dst, 0);
		/* mod by zero leaves dst unchanged (zero-extended for alu32) */
		return;
	}
	reg_mark_unknown(dst);
	if (op == BPF_DIV) {
		dst->umin_value = cst ? umin / c : 0;
		dst->umax_value = cst ? umax / c : umax;
	} else {
		dst->umin_value = 0;
		dst->umax_value = cst ? min_u64(umax, c - 1) : umax;
	}
	if (alu32) {
		dst->u32_min_value = (u32)dst->umin_value;
		dst->u32_max_value = (u32)dst->umax_value;
		dst->umin_value = 0;
		dst->umax_value = U64_MAX;
	}
}

static struct tnum subreg_of(const struct bpf_reg *r)
{
	return tnum_subreg(r->var_off);
}

/*
 * dst = dst op src on scalars (op = BPF_OP of the insn). For alu32 the
 * result is computed on the low halves and zero-extended. @off is the insn
 * offset (1 selects signed div/mod).
 */
void scalar_alu(struct bpf_reg *dst, const struct bpf_reg *src, u8 op, bool alu32, s16 off)
{
	struct bpf_reg s = *src;
	struct tnum t;
	u64 k;

	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL:
	case BPF_AND: case BPF_OR: case BPF_XOR:
		if (alu32) {
			t = tnum_subreg(tnum_op(subreg_of(dst), subreg_of(&s), op));
		} else {
			t = tnum_op(dst->var_off, s.var_off, op);
		}
		if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
			apply_bitwise(dst, &s, op);
		else {
			apply_32(dst, &s, op);
			if (!alu32)
				apply_64(dst, &s, op);
		}
		dst->var_off = t;
		break;
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		if (!(alu32 ? tnum_subreg_is_const(s.var_off) : tnum_is_const(s.var_off))) {
			reg_mark_unknown(dst);
			break;
		}
		k = s.var_off.value & (alu32 ? 31 : 63);
		if (alu32) {
			struct tnum lo = subreg_of(dst);

			t = op == BPF_LSH ? tnum_lshift(lo, k) : op == BPF_RSH ?
				tnum_rshift(lo, k) : tnum_arshift(lo, k, 32);
			t = tnum_subreg(t);
		} else {
			t = op == BPF_LSH ? tnum_lshift(dst->var_off, k) : op == BPF_RSH ?
				tnum_rshift(dst->var_off, k) : tnum_arshift(dst->var_off, k, 64);
		}
		apply_shift(dst, op, k, alu32);
		dst->var_off = t;
		break;
	case BPF_DIV: case BPF_MOD:
		apply_divmod(dst, &s, op, alu32, off == 1);
		break;
	default:
		reg_mark_unknown(dst);
	}
	if (alu32) {
		/* only the 32-bit bounds and the low tnum are meaningful */
		dst->var_off = tnum_subreg(dst->var_off);
		dst->umin_value = 0;
		dst->umax_value = U64_MAX;
		dst->smin_value = S64_MIN;
		dst->smax_value = S64_MAX;
		reg_bounds_sync(dst);
		zext_32_to_64(dst);
	} else {
		if (op != BPF_ADD && op != BPF_SUB && op != BPF_MUL && op != BPF_AND &&
		    op != BPF_OR && op != BPF_XOR)
			bounds32_unbounded(dst);
		reg_bounds_sync(dst);
	}
}

/* ---- branches ------------------------------------------------------------ */

#define BPF_JSET_FALSE 0xe0	/* internal: "(a & b) == 0" */

u8 flip_opcode(u8 op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	case BPF_JSET: return BPF_JSET_FALSE;
	case BPF_JSET_FALSE: return BPF_JSET;
	}
	return op;
}

/* "a op b" == "b rev(op) a" */
u8 rev_opcode(u8 op)
{
	switch (op) {
	case BPF_JGT: return BPF_JLT;
	case BPF_JLT: return BPF_JGT;
	case BPF_JGE: return BPF_JLE;
	case BPF_JLE: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGE;
	}
	return op;
}

/* A width-neutral view of one side of a comparison. */
struct cmp_view {
	u64 umin, umax;
	s64 smin, smax;
	struct tnum t;
};

static struct cmp_view view_of(const struct bpf_reg *r, bool is_jmp32)
{
	struct cmp_view v;

	if (is_jmp32) {
		v.umin = r->u32_min_value;
		v.umax = r->u32_max_value;
		v.smin = r->s32_min_value;
		v.smax = r->s32_max_value;
		v.t = tnum_subreg(r->var_off);
	} else {
		v.umin = r->umin_value;
		v.umax = r->umax_value;
		v.smin = r->smin_value;
		v.smax = r->smax_value;
		v.t = r->var_off;
	}
	return v;
}

int scalar_branch_taken(const struct bpf_reg *ra, const struct bpf_reg *rb, u8 op,
			bool is_jmp32)
{
	struct cmp_view a = view_of(ra, is_jmp32), b = view_of(rb, is_jmp32);

	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq = -1;

		if (tnum_is_const(a.t) && tnum_is_const(b.t))
			eq = a.t.value == b.t.value;
		else if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax ||
			 a.smax < b.smin)
			eq = 0;
		else if ((a.t.value ^ b.t.value) & ~(a.t.mask | b.t.mask))
			eq = 0;
		if (eq < 0)
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JSET:
		if (a.t.value & b.t.value)
			return 1;
		if (!((a.t.value | a.t.mask) & (b.t.value | b.t.mask)))
			return 0;
		return -1;
	case BPF_JSET_FALSE: {
		int r = scalar_branch_taken(ra, rb, BPF_JSET, is_jmp32);

		return r < 0 ? r : !r;
	}
	case BPF_JGT:
		if (a.umin > b.umax)
			return 1;
		if (a.umax <= b.umin)
			return 0;
		return -1;
	case BPF_JGE:
		if (a.umin >= b.umax)
			return 1;
		if (a.umax < b.umin)
			return 0;
		return -1;
	case BPF_JLT:
		if (a.umax < b.umin)
			return 1;
		if (a.umin >= b.umax)
			return 0;
		return -1;
	case BPF_JLE:
		if (a.umax <= b.umin)
			return 1;
		if (a.umin > b.umax)
			return 0;
		return -1;
	case BPF_JSGT:
		if (a.smin > b.smax)
			return 1;
		if (a.smax <= b.smin)
			return 0;
		return -1;
	case BPF_JSGE:
		if (a.smin >= b.smax)
			return 1;
		if (a.smax < b.smin)
			return 0;
		return -1;
	case BPF_JSLT:
		if (a.smax < b.smin)
			return 1;
		if (a.smin >= b.smax)
			return 0;
		return -1;
	case BPF_JSLE:
		if (a.smax <= b.smin)
			return 1;
		if (a.smin > b.smax)
			return 0;
		return -1;
	}
	return -1;
}

/* Write a refined view back into the 32- or 64-bit fields. */
static void view_store(struct bpf_reg *r, const struct cmp_view *v, bool is_jmp32)
{
	if (is_jmp32) {
		r->u32_min_value = (u32)v->umin;
		r->u32_max_value = (u32)v->umax;
		r->s32_min_value = (s32)v->smin;
		r->s32_max_value = (s32)v->smax;
		r->var_off = tnum_with_subreg(r->var_off, v->t);
	} else {
		r->umin_value = v->umin;
		r->umax_value = v->umax;
		r->smin_value = v->smin;
		r->smax_value = v->smax;
		r->var_off = v->t;
	}
}

/* Mark the view empty (min > max): the branch cannot be taken. */
static void view_empty(struct cmp_view *v)
{
	v->umin = 1;
	v->umax = 0;
}

static void refine_views(struct cmp_view *a, struct cmp_view *b, u8 op, bool is_jmp32)
{
	u64 umax_all = is_jmp32 ? U32_MAX : U64_MAX;
	s64 smax_all = is_jmp32 ? S32_MAX : S64_MAX;
	s64 smin_all = is_jmp32 ? S32_MIN : S64_MIN;

	switch (op) {
	case BPF_JEQ:
		a->umin = b->umin = max_u64(a->umin, b->umin);
		a->umax = b->umax = min_u64(a->umax, b->umax);
		a->smin = b->smin = max_s64(a->smin, b->smin);
		a->smax = b->smax = min_s64(a->smax, b->smax);
		if ((a->t.value ^ b->t.value) & ~(a->t.mask | b->t.mask)) {
			view_empty(a);
			break;
		}
		a->t = b->t = tnum_intersect(a->t, b->t);
		break;
	case BPF_JNE:
		/* only a constant at the edge of the other range helps */
		if (tnum_is_const(b->t)) {
			u64 c = b->t.value;
			s64 sc = is_jmp32 ? (s64)(s32)(u32)c : (s64)c;

			if (a->umin == c && a->umin < umax_all)
				a->umin++;
			else if (a->umax == c && a->umax > 0)
				a->umax--;
			if (a->smin == sc && a->smin < smax_all)
				a->smin++;
			else if (a->smax == sc && a->smax > smin_all)
				a->smax--;
			if (tnum_is_const(a->t) && a->t.value == c)
				view_empty(a);
		} else if (tnum_is_const(a->t)) {
			refine_views(b, a, BPF_JNE, is_jmp32);
		}
		break;
	case BPF_JSET:
		if (tnum_is_const(b->t) && b->t.value && !(b->t.value & (b->t.value - 1))) {
			a->t.value |= b->t.value;
			a->t.mask &= ~b->t.value;
		}
		break;
	case BPF_JSET_FALSE:
		if (tnum_is_const(b->t)) {
			a->t.value &= ~b->t.value;
			a->t.mask &= ~b->t.value;
		}
		break;
	case BPF_JGT:
		if (b->umin == umax_all || a->umax == 0) {
			view_empty(a);
			break;
		}
		a->umin = max_u64(a->umin, b->umin + 1);
		b->umax = min_u64(b->umax, a->umax - 1);
		break;
	case BPF_JGE:
		a->umin = max_u64(a->umin, b->umin);
		b->umax = min_u64(b->umax, a->umax);
		break;
	case BPF_JLT:
	case BPF_JLE:
		refine_views(b, a, rev_opcode(op), is_jmp32);
		break;
	case BPF_JSGT:
		if (b->smin == smax_all || a->smax == smin_all) {
			view_empty(a);
			break;
		}
		a->smin = max_s64(a->smin, b->smin + 1);
		b->smax = min_s64(b->smax, a->smax - 1);
		break;
	case BPF_JSGE:
		a->smin = max_s64(a->smin, b->smin);
		b->smax = min_s64(b->smax, a->smax);
		break;
	case BPF_JSLT:
	case BPF_JSLE:
		refine_views(b, a, rev_opcode(op), is_jmp32);
		break;
	}
}

void scalar_branch_refine(struct bpf_reg *ra, struct bpf_reg *rb, u8 op, bool is_jmp32)
{
	struct cmp_view a = view_of(ra, is_jmp32), b = view_of(rb, is_jmp32);

	refine_views(&a, &b, op, is_jmp32);
	view_store(ra, &a, is_jmp32);
	view_store(rb, &b, is_jmp32);
	if (reg_bounds_sane(ra))
		reg_bounds_sync(ra);
	if (reg_bounds_sane(rb))
		reg_bounds_sync(rb);
}
