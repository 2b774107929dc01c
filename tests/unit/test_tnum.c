// SPDX-License-Identifier: MIT
/*
 * Property tests of the verifier's abstract domain (tnum.c, bounds.c): for
 * concrete x in a and y in b, the concrete result must lie in the abstract
 * one. tnums are enumerated exhaustively on 4-bit widths (placed at the low
 * and at the high end of the word); bounds use ranges built from pivot values
 * around the 32- and 64-bit sign and width boundaries.
 */
#include <stdlib.h>
#include "harness.h"
#include "verifier/internal.h"

static int tn_cnt;
static struct tnum tns[81 * 2];

static void gen_tnums(void)
{
	u64 v, m;

	for (m = 0; m < 16; m++)
		for (v = 0; v < 16; v++)
			if (!(v & m)) {
				tns[tn_cnt++] = TNUM(v, m);
				tns[tn_cnt++] = TNUM(v << 60, m << 60);
			}
}

/* members of a 4-bit tnum: iterate over submasks of mask */
#define FOR_MEMBERS(t, x, sub)                                                    \
	for (u64 sub = 0, _d = 0; !_d; _d = (sub == (t).mask), sub = ((sub - (t).mask) & (t).mask)) \
		for (u64 x = (t).value | sub, _o = 0; !_o; _o = 1)

static u64 conc_op(u8 op, u64 a, u64 b)
{
	switch (op) {
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_MUL: return a * b;
	case BPF_AND: return a & b;
	case BPF_OR: return a | b;
	case BPF_XOR: return a ^ b;
	}
	return 0;
}

static struct tnum abs_op(u8 op, struct tnum a, struct tnum b)
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

static int check_binop(u8 op)
{
	int i, j, fails = 0;

	for (i = 0; i < tn_cnt; i++)
		for (j = 0; j < tn_cnt; j++) {
			struct tnum r = abs_op(op, tns[i], tns[j]);

			if (r.value & r.mask)
				fails++;
			FOR_MEMBERS(tns[i], x, s1)
				FOR_MEMBERS(tns[j], y, s2)
					if (!tnum_contains(r, conc_op(op, x, y)))
						fails++;
		}
	return fails;
}

/* ---- bounds ---- */

static const s64 pivots[] = {
	INT64_MIN, INT64_MIN + 1, -(1LL << 32) - 1, -(1LL << 31) - 1, -(1LL << 31),
	-100, -3, -1, 0, 1, 2, 7, 100, (1LL << 31) - 1, 1LL << 31, (1LL << 32) - 1,
	1LL << 32, (1LL << 32) + 5, INT64_MAX - 1, INT64_MAX,
};
#define NPIV ((int)BPFFS_ARRAY_SIZE(pivots))
#define NMEM 7

struct absval {
	struct bpf_reg reg;
	u64 mem[NMEM];
};

static bool reg_has(const struct bpf_reg *r, u64 x)
{
	return (s64)x >= r->smin_value && (s64)x <= r->smax_value && x >= r->umin_value &&
	       x <= r->umax_value && (s32)x >= r->s32_min_value && (s32)x <= r->s32_max_value &&
	       (u32)x >= r->u32_min_value && (u32)x <= r->u32_max_value &&
	       tnum_contains(r->var_off, x);
}

/* a signed range [lo, hi] (signed) or unsigned range (unsigned) */
static void make_range(struct absval *a, s64 lo, s64 hi, bool is_unsigned, unsigned seed)
{
	u64 span;
	int k;

	reg_mark_unknown(&a->reg);
	if (is_unsigned) {
		a->reg.umin_value = (u64)lo;
		a->reg.umax_value = (u64)hi;
		span = (u64)hi - (u64)lo;
	} else {
		a->reg.smin_value = lo;
		a->reg.smax_value = hi;
		span = (u64)hi - (u64)lo;
	}
	reg_bounds_sync(&a->reg);
	a->mem[0] = (u64)lo;
	a->mem[1] = (u64)hi;
	a->mem[2] = (u64)lo + span / 2;
	a->mem[3] = span ? (u64)lo + 1 : (u64)lo;
	a->mem[4] = span ? (u64)hi - 1 : (u64)hi;
	srand(seed);
	for (k = 5; k < NMEM; k++) {
		u64 r = ((u64)rand() << 33) ^ ((u64)rand() << 11) ^ (u64)rand();

		a->mem[k] = span == UINT64_MAX ? r : (u64)lo + r % (span + 1);
	}
}

static int nvals;
static struct absval vals[NPIV * NPIV];

static void gen_vals(void)
{
	int i, j, kind;

	for (kind = 0; kind < 2; kind++)
		for (i = 0; i < NPIV; i += 1 + kind)
			for (j = i; j < NPIV; j += 2) {
				s64 lo = pivots[i], hi = pivots[j];

				if (kind && (u64)lo > (u64)hi) {
					s64 t = lo;
					lo = hi;
					hi = t;
				}
				make_range(&vals[nvals], lo, hi, kind, nvals);
				nvals++;
			}
}

static u64 conc_alu(u8 op, bool alu32, u64 a, u64 b, s16 off)
{
	if (alu32) {
		u32 x = (u32)a, y = (u32)b;

		switch (op) {
		case BPF_LSH: return (u32)(x << (y & 31));
		case BPF_RSH: return x >> (y & 31);
		case BPF_ARSH: return (u32)((s32)x >> (y & 31));
		case BPF_DIV: return y ? x / y : 0;
		case BPF_MOD: return y ? x % y : x;
		default: return (u32)conc_op(op, x, y);
		}
	}
	switch (op) {
	case BPF_LSH: return a << (b & 63);
	case BPF_RSH: return a >> (b & 63);
	case BPF_ARSH: return (u64)((s64)a >> (b & 63));
	case BPF_DIV: return b ? a / b : 0;
	case BPF_MOD: return b ? a % b : a;
	}
	return conc_op(op, a, b);
}

static int check_alu(u8 op, bool alu32, bool const_src)
{
	int i, j, x, y, fails = 0;

	for (i = 0; i < nvals; i++)
		for (j = 0; j < nvals; j++) {
			const struct absval *a = &vals[i], *b = &vals[j];
			struct bpf_reg bc, d;

			if (const_src) {
				reg_mark_known(&bc, b->mem[2] % 70);
			} else {
				bc = b->reg;
			}
			d = a->reg;
			scalar_alu(&d, &bc, op, alu32, 0);
			if (!reg_bounds_sane(&d))
				fails++;
			for (x = 0; x < NMEM; x++)
				for (y = 0; y < (const_src ? 1 : NMEM); y++) {
					u64 yv = const_src ? bc.var_off.value : b->mem[y];
					u64 r = conc_alu(op, alu32, a->mem[x], yv, 0);

					if (!reg_has(&d, r)) {
						if (fails < 3)
							printf("# op %#x alu32 %d: %#llx op %#llx = %#llx not in result\n",
							       op, alu32, (unsigned long long)a->mem[x],
							       (unsigned long long)yv, (unsigned long long)r);
						fails++;
					}
				}
		}
	return fails;
}

static bool conc_cond(u8 op, bool j32, u64 a, u64 b)
{
	if (j32) {
		a = (u32)a;
		b = (u32)b;
		switch (op) {
		case BPF_JSGT: return (s32)a > (s32)b;
		case BPF_JSGE: return (s32)a >= (s32)b;
		case BPF_JSLT: return (s32)a < (s32)b;
		case BPF_JSLE: return (s32)a <= (s32)b;
		}
	}
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return (s64)a > (s64)b;
	case BPF_JSGE: return (s64)a >= (s64)b;
	case BPF_JSLT: return (s64)a < (s64)b;
	case BPF_JSLE: return (s64)a <= (s64)b;
	case BPF_JSET: return a & b;
	}
	return false;
}

static int check_branch(u8 op, bool j32, bool const_src)
{
	int i, j, x, y, fails = 0;

	for (i = 0; i < nvals; i++)
		for (j = 0; j < nvals; j++) {
			struct bpf_reg a = vals[i].reg, b = vals[j].reg;
			struct bpf_reg at, bt, af, bf;
			int taken;

			if (const_src)
				reg_mark_known(&b, vals[j].mem[0]);
			taken = scalar_branch_taken(&a, &b, op, j32);
			at = a; bt = b; af = a; bf = b;
			scalar_branch_refine(&at, &bt, op, j32);
			scalar_branch_refine(&af, &bf, flip_opcode(op), j32);
			for (x = 0; x < NMEM; x++)
				for (y = 0; y < (const_src ? 1 : NMEM); y++) {
					u64 xv = vals[i].mem[x];
					u64 yv = const_src ? vals[j].mem[0] : vals[j].mem[y];
					bool c = conc_cond(op, j32, xv, yv);

					if (taken >= 0 && taken != c)
						fails++;
					if (c && (!reg_has(&at, xv) || !reg_has(&bt, yv)))
						fails++;
					if (!c && (!reg_has(&af, xv) || !reg_has(&bf, yv)))
						fails++;
				}
		}
	return fails;
}

int main(void)
{
	static const u8 ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR };
	static const u8 aluops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR,
				     BPF_LSH, BPF_RSH, BPF_ARSH, BPF_DIV, BPF_MOD };
	static const u8 jops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
				   BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET };
	unsigned i;

	gen_tnums();
	gen_vals();

	TEST("tnum_const and tnum_range contain exactly what they should") {
		u64 lo, hi, x;

		for (lo = 0; lo < 40; lo++)
			for (hi = lo; hi < 40; hi++) {
				struct tnum r = tnum_range(lo, hi);

				for (x = lo; x <= hi; x++)
					CHECK(tnum_contains(r, x));
			}
		CHECK(tnum_is_unknown(tnum_range(0, UINT64_MAX)));
		CHECK(tnum_equals_const(tnum_const(5), 5));
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(ops); i++) {
		static char name[64];

		snprintf(name, sizeof(name), "tnum op %#x contains every concrete result (4-bit exhaustive)",
			 ops[i]);
		TEST(name) {
			CHECK_EQ(check_binop(ops[i]), 0);
		}
	}
	TEST("tnum shifts and casts contain every concrete result") {
		int f = 0, k;

		for (int t = 0; t < tn_cnt; t++)
			for (k = 0; k < 64; k += 3) {
				struct tnum l = tnum_lshift(tns[t], k), r = tnum_rshift(tns[t], k);
				struct tnum a64 = tnum_arshift(tns[t], k, 64);
				struct tnum a32 = tnum_arshift(tnum_rshift(tns[t], 32), k, 32);
				struct tnum c2 = tnum_cast(tns[t], 2), bs = tnum_bswap64(tns[t]);

				FOR_MEMBERS(tns[t], x, s) {
					f += !tnum_contains(l, x << k);
					f += !tnum_contains(r, x >> k);
					f += !tnum_contains(a64, (u64)((s64)x >> k));
					f += !tnum_contains(a32, (u32)((s32)(u32)(x >> 32) >> (k & 31)));
					f += !tnum_contains(c2, x & 0xffff);
					f += !tnum_contains(bs, __builtin_bswap64(x));
				}
			}
		CHECK_EQ(f, 0);
	}
	TEST("tnum intersect, union and in agree with membership") {
		int f = 0;

		for (int a = 0; a < tn_cnt; a++)
			for (int b = 0; b < tn_cnt; b++) {
				struct tnum in = tnum_intersect(tns[a], tns[b]);
				struct tnum un = tnum_union(tns[a], tns[b]);

				FOR_MEMBERS(tns[a], x, s) {
					f += !tnum_contains(un, x);
					if (tnum_contains(tns[b], x))
						f += !tnum_contains(in, x);
				}
				if (tnum_in(tns[a], tns[b]))
					FOR_MEMBERS(tns[b], y, s2)
						f += !tnum_contains(tns[a], y);
			}
		CHECK_EQ(f, 0);
	}
	TEST("bounds built from ranges contain their members") {
		int f = 0;

		for (int v = 0; v < nvals; v++) {
			f += !reg_bounds_sane(&vals[v].reg);
			for (int m = 0; m < NMEM; m++)
				f += !reg_has(&vals[v].reg, vals[v].mem[m]);
		}
		CHECK_EQ(f, 0);
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(aluops); i++) {
		static char names[4][BPFFS_ARRAY_SIZE(aluops)][96];

		for (int v = 0; v < 4; v++) {
			bool alu32 = v & 1, cst = v & 2;

			snprintf(names[v][i], 96, "scalar_alu op %#x %s, %s source, is sound",
				 aluops[i], alu32 ? "alu32" : "alu64", cst ? "constant" : "range");
			TEST(names[v][i]) {
				CHECK_EQ(check_alu(aluops[i], alu32, cst), 0);
			}
		}
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(jops); i++) {
		static char jn[4][BPFFS_ARRAY_SIZE(jops)][96];

		for (int v = 0; v < 4; v++) {
			bool j32 = v & 1, cst = v & 2;

			snprintf(jn[v][i], 96, "branch %#x %s, %s source: taken and refinement sound",
				 jops[i], j32 ? "jmp32" : "jmp64", cst ? "constant" : "range");
			TEST(jn[v][i]) {
				CHECK_EQ(check_branch(jops[i], j32, cst), 0);
			}
		}
	}
	TEST("a branch on a constant bound narrows the range") {
		struct bpf_reg a, b;

		reg_mark_unknown(&a);
		reg_mark_known(&b, 10);
		scalar_branch_refine(&a, &b, BPF_JLT, false);
		CHECK_EQ(a.umax_value, 9);
		CHECK_EQ(a.smin_value, 0);
		CHECK_EQ(a.var_off.mask, 0xf);
	}
	TEST("an alu32 add zero-extends") {
		struct bpf_reg a, b;

		reg_mark_known(&a, 0xffffffffffffffffULL);
		reg_mark_known(&b, 1);
		scalar_alu(&a, &b, BPF_ADD, true, 0);
		CHECK(tnum_equals_const(a.var_off, 0));
		CHECK_EQ(a.umax_value, 0);
	}
	return harness_done();
}
