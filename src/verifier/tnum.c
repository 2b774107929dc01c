// SPDX-License-Identifier: MIT
/*
 * Tristate number arithmetic (see tnum.h). Each operation is the textbook
 * known-bits transfer function; tests/unit/test_tnum.c checks every one
 * exhaustively on small bit widths against concrete execution. No state,
 * no allocation.
 */
#include <stdio.h>
#include "tnum.h"

const struct tnum tnum_unknown = { .value = 0, .mask = ~0ULL };

struct tnum tnum_const(u64 value)
{
	return TNUM(value, 0);
}

struct tnum tnum_range(u64 min, u64 max)
{
	u64 chi = min ^ max, delta;
	int bits = chi ? 64 - __builtin_clzll(chi) : 0;

	/* a shift by 64 is undefined: the whole word is unknown then */
	if (bits > 63)
		return tnum_unknown;
	delta = (1ULL << bits) - 1;
	return TNUM(min & ~delta, delta);
}

struct tnum tnum_lshift(struct tnum a, u8 shift)
{
	if (shift >= 64)
		return tnum_unknown;
	return TNUM(a.value << shift, a.mask << shift);
}

struct tnum tnum_rshift(struct tnum a, u8 shift)
{
	if (shift >= 64)
		return tnum_unknown;
	return TNUM(a.value >> shift, a.mask >> shift);
}

struct tnum tnum_arshift(struct tnum a, u8 shift, u8 insn_bitness)
{
	if (insn_bitness == 32) {
		shift &= 31;
		return TNUM((u32)((s32)a.value >> shift), (u32)((s32)a.mask >> shift));
	}
	shift &= 63;
	/* the sign bit is unknown iff mask's top bit is set: shifting the
	 * mask arithmetically smears the unknown sign, as wanted */
	return TNUM((u64)((s64)a.value >> shift), (u64)((s64)a.mask >> shift));
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	u64 sm = a.mask + b.mask, sv = a.value + b.value;
	u64 sigma = sm + sv, chi = sigma ^ sv;
	u64 mu = chi | a.mask | b.mask;

	return TNUM(sv & ~mu, mu);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	u64 dv = a.value - b.value;
	u64 alpha = dv + a.mask, beta = dv - b.mask;
	u64 chi = alpha ^ beta, mu = chi | a.mask | b.mask;

	return TNUM(dv & ~mu, mu);
}

struct tnum tnum_neg(struct tnum a)
{
	return tnum_sub(tnum_const(0), a);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	u64 alpha = a.value | a.mask, beta = b.value | b.mask;
	u64 v = a.value & b.value;

	return TNUM(v, alpha & beta & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	u64 v = a.value | b.value, mu = a.mask | b.mask;

	return TNUM(v, mu & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	u64 v = a.value ^ b.value, mu = a.mask | b.mask;

	return TNUM(v & ~mu, mu);
}

/*
 * Shift-and-add over the bits of a: a known 1 adds b's unknown bits, an
 * unknown bit adds everything b might be; the known product of the values
 * is added once at the end.
 */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	u64 acc_v = a.value * b.value;
	struct tnum acc_m = TNUM(0, 0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.value | b.mask));
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(TNUM(acc_v, 0), acc_m);
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	u64 v = a.value | b.value, mu = a.mask & b.mask;

	return TNUM(v & ~mu, mu);
}

struct tnum tnum_union(struct tnum a, struct tnum b)
{
	u64 mu = a.mask | b.mask | (a.value ^ b.value);

	return TNUM(a.value & ~mu, mu);
}

struct tnum tnum_cast(struct tnum a, u8 size)
{
	if (size >= 8)
		return a;
	a.value &= (1ULL << (size * 8)) - 1;
	a.mask &= (1ULL << (size * 8)) - 1;
	return a;
}

struct tnum tnum_bswap16(struct tnum a)
{
	return TNUM(__builtin_bswap16((u16)a.value), __builtin_bswap16((u16)a.mask));
}

struct tnum tnum_bswap32(struct tnum a)
{
	return TNUM(__builtin_bswap32((u32)a.value), __builtin_bswap32((u32)a.mask));
}

struct tnum tnum_bswap64(struct tnum a)
{
	return TNUM(__builtin_bswap64(a.value), __builtin_bswap64(a.mask));
}

bool tnum_is_aligned(struct tnum a, u64 size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	b.value &= ~a.mask;
	return a.value == b.value;
}

struct tnum tnum_subreg(struct tnum a)
{
	return tnum_cast(a, 4);
}

struct tnum tnum_clear_subreg(struct tnum a)
{
	return TNUM(a.value & ~0xffffffffULL, a.mask & ~0xffffffffULL);
}

struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg)
{
	return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg));
}

struct tnum tnum_const_subreg(struct tnum a, u32 value)
{
	return tnum_with_subreg(a, tnum_const(value));
}

int tnum_strn(char *buf, size_t size, struct tnum a)
{
	if (tnum_is_const(a))
		return snprintf(buf, size, "%#llx", (unsigned long long)a.value);
	return snprintf(buf, size, "(%#llx; %#llx)", (unsigned long long)a.value,
			(unsigned long long)a.mask);
}
