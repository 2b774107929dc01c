/* SPDX-License-Identifier: MIT */
/*
 * Tristate numbers ("tnums"): the known-bits abstract domain of the verifier.
 * A tnum is a (value, mask) pair; a bit set in mask is unknown, otherwise the
 * bit equals the one in value. Invariant: (value & mask) == 0. Pure value type:
 * no allocation, no failure. Every operation over-approximates: for concrete
 * x in a and y in b, x op y is in tnum_op(a, b). Nothing here knows of
 * registers or bounds (see bounds.c).
 */
#ifndef BPFFS_TNUM_H
#define BPFFS_TNUM_H

#include "core/types.h"

struct tnum {
	u64 value;
	u64 mask;
};

#define TNUM(v, m) ((struct tnum){ .value = (v), .mask = (m) })

extern const struct tnum tnum_unknown;

/* A fully known constant. */
struct tnum tnum_const(u64 value);
/* Smallest tnum containing [min, max] (unsigned); over-approximates: the
 * result usually contains values outside the range. */
struct tnum tnum_range(u64 min, u64 max);
/* Shifts by a constant; shift amounts >= 64 give an unknown result for
 * lshift/rshift (never undefined behaviour). */
struct tnum tnum_lshift(struct tnum a, u8 shift);
struct tnum tnum_rshift(struct tnum a, u8 shift);
/* Arithmetic shift of the low @insn_bitness (32 or 64) bits. */
struct tnum tnum_arshift(struct tnum a, u8 min_shift, u8 insn_bitness);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
/* Values in both a and b (a and b must share at least one value to be
 * meaningful; otherwise the result is some tnum contained in neither). */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* Smallest tnum containing every value of a and of b. */
struct tnum tnum_union(struct tnum a, struct tnum b);
/* Truncate to the low @size bytes (zero-extend). */
struct tnum tnum_cast(struct tnum a, u8 size);
/* Byte swaps of the low 16/32/64 bits (the high bits become 0). */
struct tnum tnum_bswap16(struct tnum a);
struct tnum tnum_bswap32(struct tnum a);
struct tnum tnum_bswap64(struct tnum a);

static inline bool tnum_is_const(struct tnum a)
{
	return !a.mask;
}

static inline bool tnum_equals_const(struct tnum a, u64 b)
{
	return tnum_is_const(a) && a.value == b;
}

static inline bool tnum_is_unknown(struct tnum a)
{
	return !~a.mask;
}

/* True if every value of a is a multiple of @size (a power of two). */
bool tnum_is_aligned(struct tnum a, u64 size);
/* True if every value of b is also a value of a. */
bool tnum_in(struct tnum a, struct tnum b);
/* True if the concrete value x is a value of a. */
static inline bool tnum_contains(struct tnum a, u64 x)
{
	return (x & ~a.mask) == a.value;
}

/* 32-bit halves. */
struct tnum tnum_subreg(struct tnum a);		/* low 32 bits */
struct tnum tnum_clear_subreg(struct tnum a);	/* high 32 bits, low cleared */
struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg);
struct tnum tnum_const_subreg(struct tnum a, u32 value);
static inline bool tnum_subreg_is_const(struct tnum a)
{
	return !(u32)a.mask;
}

/* Write "(value; mask)" or the constant into buf; returns snprintf's count. */
int tnum_strn(char *buf, size_t size, struct tnum a);

#endif /* BPFFS_TNUM_H */
