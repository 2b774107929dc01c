/* SPDX-License-Identifier: MIT */
/*
 * Program generator of the verifier soundness fuzz (see fuzzgen.h; the
 * index, call and helper snippets and vf_generate are in fuzzgen_idx.h, the
 * mutator in fuzzgen_mut.h): state tracking, context fields, the simple
 * snippets. Programs are built from snippets that are
 * valid by construction most of the time (the generator tracks which
 * registers hold initialised scalars and which stack bytes are written, per
 * path): packet accesses behind data_end checks, map lookups with null
 * checks, bounded loops, stack spills and fills, bounded index arithmetic
 * into the stack, map values and the packet (chains of ALU ops, checks,
 * branch diamonds whose join pruning must respect), 32-bit arithmetic,
 * helpers with variable-size memory arguments, bpf-to-bpf calls and
 * bpf_loop callbacks. A few choices are deliberately wrong (an
 * uninitialised register, an unchecked pointer); the mutants then bring
 * the near misses.
 *
 * Register conventions of generated programs: r6 = ctx, r7 = packet data,
 * r8 = packet end (when the type has direct packet access), r9 an
 * accumulator; r0-r5 are scratch.
 */
#ifndef BPFFS_VERIFIER_FUZZGEN_GEN_H
#define BPFFS_VERIFIER_FUZZGEN_GEN_H

#include <stddef.h>
#include <linux/bpf.h>
#include "core/core.h"

#define VF_MAX 256
#define VF_SUB_MAX 32	/* room kept for the subprogram */
#define VF_BODY_MAX (VF_MAX - 2 * VF_SUB_MAX - 64)	/* and for one more snippet */

/*
 * Map slots of generated programs (vfuzz creates them in this order). The
 * last is .rodata-like: read-only to programs and frozen, so the verifier
 * folds loads from it into constants (VF_RODATA holds its bytes).
 */
enum { VF_MAP_HASH, VF_MAP_ARRAY, VF_MAP_ARRAY_ODD, VF_MAP_RODATA, VF_MAP_CNT };
#define VF_MAP_RW VF_MAP_RODATA	/* maps programs may write: the first ones */
static const u32 vf_map_key_size[VF_MAP_CNT] = { 8, 4, 4, 4 };
static const u32 vf_map_value_size[VF_MAP_CNT] = { 16, 24, 12, 32 };
/* one entry: direct value access (ld_imm64 map value) needs a single-entry array */
static const u32 vf_map_entries[VF_MAP_CNT] = { 8, 4, 1, 1 };
static const u8 vf_rodata[32] = { 0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 0xf0,
				  0x7f, 0x80, 0xff, 0xff, 0xff, 0x7f, 3, 0, 0, 0x80, 0xfc, 0xff,
				  0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct vfuzz_gen {
	u64 rng;
	struct bpf_insn insns[VF_MAX];
	u32 n;
	u32 type;		/* BPF_PROG_TYPE_* */
	bool pkt;		/* direct packet access (r7, r8 loaded) */
	bool pkt_write;
	u16 scalars;		/* regs holding an initialised scalar (bit per reg) */
	u64 stack_init;		/* bytes fp-64..fp-1 written: bit i = fp-64+i */
	u8 spilled;		/* 8-byte slots fp-8*(i+1) holding a spilled pointer */
	u16 avoid;		/* regs a snippet must not write (loop counters) */
	bool in_loop;
	bool has_sub;		/* a subprogram follows main's exit */
	/* verifier profile: the runtime's (stack zeroed for programs that
	 * read unwritten stack), no zeroing, or unprivileged */
	bool stack_zeroed, unpriv;
	u32 calls[8];		/* bpf-to-bpf calls to patch */
	int ncalls;
	bool has_cb;		/* a bpf_loop callback follows (after the subprogram) */
	u32 cb_refs[8];		/* ld_imm64 BPF_PSEUDO_FUNC to patch */
	int ncb;
};

struct vf_path {		/* generator facts saved around a conditional body */
	u16 scalars;
	u64 stack_init;
	u8 spilled;
};

static inline u64 vf_rand(struct vfuzz_gen *g)
{
	u64 x = g->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline u32 vf_below(struct vfuzz_gen *g, u32 n)
{
	return n ? (u32)(((vf_rand(g) >> 32) * n) >> 32) : 0;
}

/* true with probability 1/n */
static inline bool vf_one_in(struct vfuzz_gen *g, u32 n)
{
	return vf_below(g, n) == 0;
}

static inline void vf_emit(struct vfuzz_gen *g, struct bpf_insn insn)
{
	if ((int)g->n < VF_MAX - 1 - (g->has_sub ? VF_SUB_MAX : 0) - (g->has_cb ? VF_SUB_MAX : 0))
		g->insns[g->n++] = insn;
}

static inline bool vf_room(const struct vfuzz_gen *g)
{
	return g->n < VF_BODY_MAX;
}

static const s32 vf_imms[] = { 0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 24, 31, 32, 63, 64, 255,
			       256, -1, -2, -8, -16, 0x7fffffff, (s32)0x80000000, 4096,
			       0xffff, 1000 };

static inline s32 vf_imm(struct vfuzz_gen *g)
{
	if (vf_below(g, 4))
		return vf_imms[vf_below(g, sizeof(vf_imms) / sizeof(vf_imms[0]))];
	return (s32)vf_rand(g);
}

static inline int vf_bytes(u8 sz)
{
	return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

static inline u8 vf_size_of(int bytes)
{
	return bytes == 1 ? BPF_B : bytes == 2 ? BPF_H : bytes == 4 ? BPF_W : BPF_DW;
}

static inline u8 vf_size(struct vfuzz_gen *g)
{
	static const u8 s[] = { BPF_B, BPF_H, BPF_W, BPF_DW };

	return s[vf_below(g, 4)];
}

#define VF_SCRATCH 0x23fu	/* r0-r5, r9 */

/* A register holding an initialised scalar (rarely: any register). */
static u8 vf_src(struct vfuzz_gen *g)
{
	u16 m = g->scalars;
	u8 r;

	if (!m || vf_one_in(g, 128))
		return (u8)vf_below(g, 11);
	do
		r = (u8)vf_below(g, 10);
	while (!(m & (1u << r)));
	return r;
}

/* A scratch register this snippet may overwrite. */
static u8 vf_dst(struct vfuzz_gen *g)
{
	u16 m = VF_SCRATCH & ~g->avoid;
	u8 r;

	if (vf_one_in(g, 64))
		return (u8)vf_below(g, 10);
	do
		r = (u8)vf_below(g, 10);
	while (!(m & (1u << r)));
	return r;
}

/* A scratch register other than @a (and @b) for a pointer temporary. */
static u8 vf_tmp(struct vfuzz_gen *g, int a, int b)
{
	u8 r;

	do
		r = (u8)vf_below(g, 6);
	while (r == a || r == b || (g->avoid & (1u << r)));
	return r;
}

static inline void vf_set_scalar(struct vfuzz_gen *g, u8 r)
{
	if (r < 10)
		g->scalars |= (u16)(1u << r);
}

static inline void vf_set_other(struct vfuzz_gen *g, u8 r)
{
	if (r < 10)
		g->scalars &= (u16)~(1u << r);
}

static inline struct vf_path vf_save(const struct vfuzz_gen *g)
{
	return (struct vf_path){ g->scalars, g->stack_init, g->spilled };
}

/* After a conditional body: only facts true on both paths survive. */
static inline void vf_join(struct vfuzz_gen *g, struct vf_path p)
{
	g->scalars &= p.scalars;
	g->stack_init &= p.stack_init;
	g->spilled &= p.spilled;
}

/* Patch the forward jump at @at to land at the current end. */
static inline void vf_land(struct vfuzz_gen *g, u32 at)
{
	if (at < g->n)
		g->insns[at].off = (s16)(g->n - at - 1);
}

static void vf_stack_mark(struct vfuzz_gen *g, int off, int bytes, bool ptr)
{
	for (int i = 0; i < bytes; i++)
		if (off + i >= -64 && off + i < 0)
			g->stack_init |= 1ULL << (64 + off + i);
	if (off >= -64 && off < 0) {
		int slot = (-off - 1) / 8, lo = -8 * (slot + 1);

		if (ptr && off == lo && bytes == 8)
			g->spilled |= (u8)(1u << slot);
		else if (off < lo + 8 && off + bytes > lo)
			g->spilled &= (u8)~(1u << slot);
	}
}

static bool vf_stack_is_init(const struct vfuzz_gen *g, int off, int bytes)
{
	for (int i = 0; i < bytes; i++)
		if (off + i < -64 || off + i >= 0 || !(g->stack_init & (1ULL << (64 + off + i))))
			return false;
	return true;
}

/* ---- context fields ------------------------------------------------------- */

struct vf_field {
	u16 off;
	u8 size;		/* field size */
	u8 ok;			/* VF_* below: where the access is allowed */
};

enum { VF_SF_READ = 1, VF_SF_WRITE = 2, VF_TC_WRITE = 4, VF_NARROW = 8 };

static const struct vf_field vf_skb_fields[] = {
	{ offsetof(struct __sk_buff, len), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, pkt_type), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, mark), 4, VF_SF_READ | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, queue_mapping), 4, VF_SF_READ | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, protocol), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, vlan_tci), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, priority), 4, VF_SF_READ | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, ifindex), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, tc_index), 4, VF_SF_READ | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, cb[0]), 4,
	  VF_SF_READ | VF_SF_WRITE | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, cb[1]), 4,
	  VF_SF_READ | VF_SF_WRITE | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, cb[4]), 4,
	  VF_SF_READ | VF_SF_WRITE | VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, hash), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, tc_classid), 4, VF_TC_WRITE | VF_NARROW },
	{ offsetof(struct __sk_buff, gso_segs), 4, VF_SF_READ | VF_NARROW },
	{ offsetof(struct __sk_buff, tstamp), 8, VF_TC_WRITE },
	{ offsetof(struct __sk_buff, family), 4, 0 },	/* never, for skb programs */
};
#define VF_SKB_FIELDS (sizeof(vf_skb_fields) / sizeof(vf_skb_fields[0]))

static const struct vf_field vf_xdp_fields[] = {
	{ offsetof(struct xdp_md, ingress_ifindex), 4, VF_SF_READ },
	{ offsetof(struct xdp_md, rx_queue_index), 4, VF_SF_READ },
	{ offsetof(struct xdp_md, egress_ifindex), 4, 0 },	/* devmap attach only */
};

/* May the program access @fl (read, or write if @write)? XDP: as VF_SF_READ. */
static bool vf_field_ok(const struct vfuzz_gen *g, const struct vf_field *fl, bool write)
{
	if (g->type == BPF_PROG_TYPE_SCHED_CLS)
		return write ? fl->ok & VF_TC_WRITE : fl->off != offsetof(struct __sk_buff, family);
	if (write)
		return g->type == BPF_PROG_TYPE_SOCKET_FILTER && (fl->ok & VF_SF_WRITE);
	return fl->ok & VF_SF_READ;
}

/* A context field the program may access, rarely one it may not. */
static const struct vf_field *vf_field_rw(struct vfuzz_gen *g, bool write)
{
	bool xdp = g->type == BPF_PROG_TYPE_XDP;
	const struct vf_field *fl = NULL;

	for (int k = 0; k < 16; k++) {
		fl = xdp ? &vf_xdp_fields[vf_below(g, 3)] : &vf_skb_fields[vf_below(g, VF_SKB_FIELDS)];
		if (vf_field_ok(g, fl, write))
			return fl;
		if (vf_one_in(g, 64))
			break;
	}
	return fl;
}

static const struct vf_field *vf_field(struct vfuzz_gen *g)
{
	return vf_field_rw(g, false);
}

static u16 vf_pkt_field(const struct vfuzz_gen *g, bool end)
{
	if (g->type == BPF_PROG_TYPE_XDP)
		return end ? offsetof(struct xdp_md, data_end) : offsetof(struct xdp_md, data);
	return end ? offsetof(struct __sk_buff, data_end) : offsetof(struct __sk_buff, data);
}

/* dst = a context field through @base (r6 or a copy), narrow loads included */
static void vf_ctx_load(struct vfuzz_gen *g, u8 dst, u8 base)
{
	const struct vf_field *fl = vf_field(g);
	int bytes = fl->size;
	int off = fl->off;

	if ((fl->ok & VF_NARROW) && vf_one_in(g, 3)) {
		bytes = vf_one_in(g, 2) ? 1 : 2;
		off += bytes * (int)vf_below(g, (u32)(4 / bytes));
	}
	vf_emit(g, BPFFS_LDX_MEM(vf_size_of(bytes), dst, base, (s16)off));
	vf_set_scalar(g, dst);
}

/* ---- snippets ------------------------------------------------------------- */

static void vf_snippet(struct vfuzz_gen *g, int depth);
static void vf_v4_op(struct vfuzz_gen *g, u8 i);

static const u8 vf_alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
				 BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };

static void vf_alu(struct vfuzz_gen *g)
{
	u8 op = vf_alu_ops[vf_below(g, sizeof(vf_alu_ops))];
	u8 cls = vf_below(g, 3) ? BPF_ALU64 : BPF_ALU;
	u8 dst = vf_dst(g);
	s32 imm;

	if (op != BPF_MOV && !(g->scalars & (1u << dst)) && !vf_one_in(g, 64))
		op = BPF_MOV;
	if (op != BPF_MOV && vf_one_in(g, 8)) {
		vf_v4_op(g, dst);
		return;
	}
	if (op == BPF_NEG) {
		vf_emit(g, BPFFS_INSN(cls | op, dst, 0, 0, 0));
		return;
	}
	if (vf_below(g, 2)) {
		imm = vf_imm(g);
		if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && !vf_one_in(g, 64))
			imm = (s32)vf_below(g, cls == BPF_ALU64 ? 64 : 32);
		if ((op == BPF_DIV || op == BPF_MOD) && imm == 0 && !vf_one_in(g, 8))
			imm = 3;
		vf_emit(g, BPFFS_INSN(cls | op | BPF_K, dst, 0, 0, imm));
	} else {
		vf_emit(g, BPFFS_INSN(cls | op | BPF_X, dst, vf_src(g), 0, 0));
	}
	vf_set_scalar(g, dst);
}

/* r = an offset-like scalar with a small range, from data the verifier can't know */
static void vf_index(struct vfuzz_gen *g, u8 r, u32 limit)
{
	const struct vf_field *fl;
	u32 mask = 1;

	while (mask * 2 <= limit)
		mask *= 2;
	switch (vf_below(g, g->avoid ? 3 : 4)) {
	case 0:	/* masked, 64-bit */
		vf_ctx_load(g, r, BPF_REG_6);
		vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, r, (s32)(mask - 1)));
		break;
	case 1:	/* 32-bit mask then use as 64-bit (zero extension) */
		fl = vf_field(g);
		vf_emit(g, BPFFS_LDX_MEM(BPF_W, r, BPF_REG_6, fl->size == 4 ? fl->off : 0));
		vf_emit(g, BPFFS_ALU32_IMM(BPF_AND, r, (s32)(mask - 1)));
		break;
	case 2:	/* a branch bounds it: the caller adds "if r >= limit skip" */
		vf_ctx_load(g, r, BPF_REG_6);
		break;
	default:	/* shift down a random 32-bit value (a call: not inside loops) */
		vf_emit(g, BPFFS_CALL_HELPER(BPF_FUNC_get_prandom_u32));
		g->scalars &= ~0x3eu;
		vf_emit(g, BPFFS_MOV32_IMM(r, 0));
		vf_emit(g, BPFFS_ALU32_REG(BPF_MOV, r, BPF_REG_0));
		if (mask > 1)
			vf_emit(g, BPFFS_ALU32_IMM(BPF_RSH, r, 32 - __builtin_ctz(mask)));
		else
			vf_emit(g, BPFFS_ALU32_IMM(BPF_AND, r, 0));
		break;
	}
	vf_set_scalar(g, r);
}

static void vf_ctx_read(struct vfuzz_gen *g)
{
	u8 base = BPF_REG_6;

	if (vf_one_in(g, 6)) {	/* through a copy of the context pointer */
		base = vf_tmp(g, -1, -1);
		vf_emit(g, BPFFS_MOV64_REG(base, BPF_REG_6));
		vf_set_other(g, base);
	}
	vf_ctx_load(g, vf_dst(g), base);
}

static void vf_ctx_write(struct vfuzz_gen *g)
{
	const struct vf_field *fl = vf_field_rw(g, true);

	if (!vf_field_ok(g, fl, true) && !vf_one_in(g, 8))
		return vf_ctx_read(g);
	if (vf_below(g, 2))
		vf_emit(g, BPFFS_STX_MEM(vf_size_of(fl->size), BPF_REG_6, vf_src(g), fl->off));
	else
		vf_emit(g, BPFFS_ST_MEM(vf_size_of(fl->size), BPF_REG_6, fl->off, vf_imm(g)));
}

static void vf_stack_store(struct vfuzz_gen *g, int lo)
{
	u8 sz = vf_size(g);
	int bytes = vf_bytes(sz);
	int off = lo + bytes * (int)vf_below(g, (u32)(-lo / bytes));

	if (vf_one_in(g, 16))
		off += (int)vf_below(g, 8) - 4;
	if (vf_below(g, 2))
		vf_emit(g, BPFFS_ST_MEM(sz, BPF_REG_10, (s16)off, vf_imm(g)));
	else
		vf_emit(g, BPFFS_STX_MEM(sz, BPF_REG_10, vf_src(g), (s16)off));
	vf_stack_mark(g, off, bytes, false);
}

static void vf_stack_load(struct vfuzz_gen *g)
{
	u8 sz = vf_size(g);
	int bytes = vf_bytes(sz), off = 0, tries;
	u8 dst = vf_dst(g);

	for (tries = 0; tries < 8; tries++) {
		off = -64 + bytes * (int)vf_below(g, (u32)(64 / bytes));
		if (vf_stack_is_init(g, off, bytes))
			break;
	}
	if (tries == 8 && !vf_one_in(g, 4))
		return vf_stack_store(g, -64);
	vf_emit(g, BPFFS_LDX_MEM(sz, dst, BPF_REG_10, (s16)off));
	vf_set_scalar(g, dst);
	if (bytes == 8 && (g->spilled & (1u << ((-off - 1) / 8))))
		vf_set_other(g, dst);
}

/* Spill a pointer (ctx, packet, stack) and fill it back, then use it. */
static void vf_spill_fill(struct vfuzz_gen *g)
{
	int slot = (int)vf_below(g, 8), off = -8 * (slot + 1);
	u8 r = vf_tmp(g, -1, -1), d = vf_tmp(g, r, -1);
	u8 what = (u8)vf_below(g, g->pkt ? 3 : 2);

	if (what == 0) {
		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_6, (s16)off));
	} else if (what == 1) {
		vf_emit(g, BPFFS_MOV64_REG(r, BPF_REG_10));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, r, -8 * (int)(1 + vf_below(g, 8))));
		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, r, (s16)off));
		vf_set_other(g, r);
	} else {
		vf_emit(g, BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_7, (s16)off));
	}
	vf_stack_mark(g, off, 8, true);
	if (vf_one_in(g, 3))
		return;		/* leave it spilled for a later load */
	vf_emit(g, BPFFS_LDX_MEM(vf_one_in(g, 16) ? BPF_W : BPF_DW, d, BPF_REG_10, (s16)off));
	vf_set_other(g, d);
	if (what == 0) {
		vf_ctx_load(g, vf_dst(g), d);
	} else if (what == 1) {
		u8 v = vf_dst(g);
		int o = 0 - 8 * (int)vf_below(g, 3);

		/* d points at one of fp-8..fp-64: read a slot below it if written */
		vf_emit(g, BPFFS_LDX_MEM(BPF_DW, v, d, (s16)o));
		vf_set_scalar(g, v);
	} else {
		/* a packet pointer: it still needs the data_end check to be read */
		u32 at = g->n;
		u8 e = vf_tmp(g, r, d);

		vf_emit(g, BPFFS_MOV64_REG(e, d));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, e, 4));
		vf_emit(g, BPFFS_JMP_REG(BPF_JGT, e, BPF_REG_8, 0));
		at = g->n - 1;
		vf_emit(g, BPFFS_LDX_MEM(BPF_W, vf_dst(g), d, 0));
		vf_set_other(g, e);
		vf_land(g, at);
	}
}

/* Accesses through @base, known safe for [0, len) bytes; loads set scalars. */
static void vf_accesses(struct vfuzz_gen *g, u8 base, int len, bool writable, int cnt)
{
	for (int k = 0; k < cnt; k++) {
		u8 sz = vf_size(g);
		int bytes = vf_bytes(sz), off;

		while (bytes > len && bytes > 1)
			bytes /= 2;
		sz = vf_size_of(bytes);
		off = (int)vf_below(g, (u32)(len - bytes + 1));
		if (vf_one_in(g, 2))
			off &= ~(bytes - 1);	/* aligned, mostly */
		if (!writable || vf_below(g, 3)) {
			u8 d = vf_dst(g);

			if (d == base)
				d = vf_tmp(g, base, -1);
			vf_emit(g, BPFFS_LDX_MEM(sz, d, base, (s16)off));
			if (sz != BPF_DW && vf_one_in(g, 8))	/* sign-extending load */
				g->insns[g->n - 1].code = (u8)(BPF_LDX | BPF_MEMSX | sz);
			vf_set_scalar(g, d);
		} else if (vf_below(g, 2)) {
			vf_emit(g, BPFFS_STX_MEM(sz, base, vf_src(g), (s16)off));
		} else {
			vf_emit(g, BPFFS_ST_MEM(sz, base, (s16)off, vf_imm(g)));
		}
	}
}

/* if (data + N > data_end) skip; access data[0..N) */
static void vf_pkt_const(struct vfuzz_gen *g, int depth)
{
	u8 r = vf_tmp(g, -1, -1);
	int n = 1 + (int)vf_below(g, vf_one_in(g, 2) ? 16 : 64);
	struct vf_path p = vf_save(g);
	u32 at;

	vf_emit(g, BPFFS_MOV64_REG(r, BPF_REG_7));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, r, n));
	vf_set_other(g, r);
	switch (vf_below(g, 3)) {
	case 0:
		vf_emit(g, BPFFS_JMP_REG(BPF_JGT, r, BPF_REG_8, 0));
		break;
	case 1:
		vf_emit(g, BPFFS_JMP_REG(BPF_JLT, BPF_REG_8, r, 0));
		break;
	default:	/* data_end >= r + 0 is also fine as "r <= data_end" */
		vf_emit(g, BPFFS_JMP_REG(BPF_JGE, r, BPF_REG_8, 0));
		n--;
	}
	at = g->n - 1;
	if (n > 0)
		vf_accesses(g, BPF_REG_7, n, g->pkt_write, 1 + (int)vf_below(g, 3));
	if (vf_one_in(g, 4))
		vf_snippet(g, depth + 1);
	vf_land(g, at);
	vf_join(g, p);
}

/* A variable offset into the packet: p = data + idx; if (p + N > end) skip */
static void vf_pkt_var(struct vfuzz_gen *g, int depth)
{
	u8 i = vf_tmp(g, -1, -1), p = vf_tmp(g, i, -1), e = vf_tmp(g, i, p);
	int n = 1 + (int)vf_below(g, 16);
	u32 limit = 1u << vf_below(g, 8), at, at2 = ~0u;
	struct vf_path s;

	vf_index(g, i, limit);
	s = vf_save(g);
	if (g->insns[g->n - 1].code == (BPF_LDX | BPF_MEM | BPF_W) ||
	    g->insns[g->n - 1].code == (BPF_LDX | BPF_MEM | BPF_H) ||
	    g->insns[g->n - 1].code == (BPF_LDX | BPF_MEM | BPF_B)) {
		at2 = g->n;	/* unbounded so far: bound it with a branch */
		vf_emit(g, BPFFS_JMP_IMM(vf_below(g, 2) ? BPF_JGT : BPF_JGE, i,
					 (s32)limit, 0));
	}
	vf_emit(g, BPFFS_MOV64_REG(p, BPF_REG_7));
	vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, p, i));
	vf_emit(g, BPFFS_MOV64_REG(e, p));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, e, n));
	vf_set_other(g, p);
	vf_set_other(g, e);
	at = g->n;
	vf_emit(g, BPFFS_JMP_REG(BPF_JGT, e, BPF_REG_8, 0));
	vf_accesses(g, p, n, g->pkt_write, 1 + (int)vf_below(g, 2));
	if (vf_one_in(g, 5))
		vf_snippet(g, depth + 1);
	vf_land(g, at);
	if (at2 != ~0u)
		vf_land(g, at2);
	vf_join(g, s);
}

/* A bounded variable offset into the stack: fp - base +/- idx, aligned accesses */
static void vf_stack_var(struct vfuzz_gen *g)
{
	u8 i = vf_tmp(g, -1, -1), p = vf_tmp(g, i, -1);
	int b = 1 << vf_below(g, 4);		/* access size: the index is a multiple */
	int n = b * (1 + (int)vf_below(g, 2));	/* window of accesses */
	u32 limit = 1u << vf_below(g, 6), at2 = ~0u;
	int base = (int)((limit + (u32)n + 7) & ~7u) + 8 * (int)vf_below(g, 3);
	struct vf_path s;

	vf_index(g, i, limit);
	s = vf_save(g);
	if (BPF_CLASS(g->insns[g->n - 1].code) == BPF_LDX) {
		at2 = g->n;
		vf_emit(g, BPFFS_JMP_IMM(BPF_JGE, i, (s32)limit, 0));
	}
	if (b > 1)
		vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, i, -b));
	vf_emit(g, BPFFS_MOV64_REG(p, BPF_REG_10));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, p, -base));
	if (!vf_one_in(g, 16)) {
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, p, i));
	} else {	/* p = fp - base + limit - i: the kernel forbids fp - reg */
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, p, (s32)(limit & ~(u32)(b - 1))));
		vf_emit(g, BPFFS_ALU64_REG(BPF_SUB, p, i));
	}
	vf_set_other(g, p);
	for (int k = 0, cnt = 1 + (int)vf_below(g, 2); k < cnt; k++) {
		s16 off = (s16)(b * (int)vf_below(g, (u32)(n / b)));

		/* reads only where the whole window was written (or rarely anyway) */
		if (vf_below(g, 2) && (vf_stack_is_init(g, -base, base) || vf_one_in(g, 16))) {
			u8 d = vf_dst(g);

			vf_emit(g, BPFFS_LDX_MEM(vf_size_of(b), d, p, off));
			vf_set_scalar(g, d);
		} else if (vf_below(g, 2)) {
			vf_emit(g, BPFFS_ST_MEM(vf_size_of(b), p, off, vf_imm(g)));
		} else {
			vf_emit(g, BPFFS_STX_MEM(vf_size_of(b), p, vf_src(g), off));
		}
	}
	if (at2 != ~0u)
		vf_land(g, at2);
	vf_join(g, s);
}

static void vf_map_ptr(struct vfuzz_gen *g, u8 r, u32 m)
{
	vf_emit(g, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, r, BPF_PSEUDO_MAP_FD, 0, (s32)m));
	vf_emit(g, BPFFS_INSN(0, 0, 0, 0, 0));
	vf_set_other(g, r);
}

/* key at fp-8 (written by this snippet, mostly); r2 = fp-8 */
static void vf_key(struct vfuzz_gen *g, u32 m)
{
	int ks = (int)vf_map_key_size[m];

	if (!vf_one_in(g, 12)) {
		if (vf_below(g, 2))
			vf_emit(g, BPFFS_ST_MEM(vf_size_of(ks), BPF_REG_10, -8,
						(s32)vf_below(g, vf_map_entries[m] + 1)));
		else
			vf_emit(g, BPFFS_STX_MEM(vf_size_of(ks), BPF_REG_10, vf_src(g), -8));
		vf_stack_mark(g, -8, ks, false);
	}
	vf_emit(g, BPFFS_MOV64_REG(BPF_REG_2, BPF_REG_10));
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_2, -8));
}

static void vf_after_call(struct vfuzz_gen *g)
{
	g->scalars &= ~0x3eu;		/* r1-r5 clobbered */
	vf_set_scalar(g, BPF_REG_0);
	/* some programs keep going with stale argument registers set again */
	for (u8 r = 1; r <= 5; r++)
		if (vf_one_in(g, 4) && !(g->avoid & (1u << r))) {
			vf_emit(g, BPFFS_MOV64_IMM(r, vf_imm(g)));
			vf_set_scalar(g, r);
		}
}

/* r0 = lookup(map, key); if (!r0) skip; accesses into the value */
static void vf_lookup(struct vfuzz_gen *g, int depth)
{
	u32 m = vf_below(g, VF_MAP_RW), vs = vf_map_value_size[m], at = ~0u;
	struct vf_path s;
	u8 v = BPF_REG_0;

	vf_key(g, m);
	vf_map_ptr(g, BPF_REG_1, m);
	vf_emit(g, BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	vf_after_call(g);
	vf_set_other(g, BPF_REG_0);
	s = vf_save(g);
	if (!vf_one_in(g, 24)) {
		at = g->n;
		if (!vf_one_in(g, 16))
			vf_emit(g, BPFFS_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0));
		else		/* not a null check to the verifier (as in the kernel) */
			vf_emit(g, BPFFS_JMP_IMM(vf_below(g, 2) ? BPF_JLE : BPF_JSLE, BPF_REG_0,
						 0, 0));
	}
	if (vf_one_in(g, 3)) {	/* value + bounded index */
		u8 i = vf_tmp(g, 0, -1), p = vf_tmp(g, 0, i);
		u32 lim = 1u << vf_below(g, 5);

		g->avoid |= 1;		/* no helper call: r0 is the value */
		vf_index(g, i, lim > vs ? vs : lim);
		g->avoid &= (u16)~1u;
		if (g->insns[g->n - 1].code != (BPF_ALU64 | BPF_AND | BPF_K) &&
		    g->insns[g->n - 1].code != (BPF_ALU | BPF_AND | BPF_K) &&
		    g->insns[g->n - 1].code != (BPF_ALU | BPF_RSH | BPF_K))
			vf_emit(g, BPFFS_ALU64_IMM(BPF_AND, i, (s32)((lim > vs ? vs : lim) - 1)));
		vf_emit(g, BPFFS_MOV64_REG(p, BPF_REG_0));
		if (vf_below(g, 2)) {
			vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, p, i));
		} else {	/* value + (lim - 1) - i: the same window, subtracted */
			vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, p, (s32)((lim > vs ? vs : lim) - 1)));
			vf_emit(g, BPFFS_ALU64_REG(BPF_SUB, p, i));
		}
		vf_set_other(g, p);
		v = p;
		vs = vs - (lim > vs ? vs : lim) + 1;
	}
	if (vs)
		vf_accesses(g, v, (int)vs, true, 1 + (int)vf_below(g, 3));
	if (vf_one_in(g, 3) && v == BPF_REG_0 && vs >= 8)
		vf_emit(g, BPFFS_ATOMIC_OP(vf_below(g, 2) ? BPF_DW : BPF_W,
					   vf_one_in(g, 4) ? (BPF_ADD | BPF_FETCH) : BPF_ADD,
					   BPF_REG_0, vf_src(g),
					   (s16)(8 * vf_below(g, vs / 8))));
	if (vf_one_in(g, 4))
		vf_snippet(g, depth + 1);
	if (at != ~0u)
		vf_land(g, at);
	vf_join(g, s);
	g->scalars &= ~1u;
}

/* map_update_elem(map, fp-8, fp-40, flags) or map_delete_elem(map, fp-8) */
static void vf_update(struct vfuzz_gen *g)
{
	u32 m = vf_below(g, VF_MAP_RW), vs = vf_map_value_size[m];
	bool del = vf_one_in(g, 3);

	if (!del) {
		for (int o = -40; o < -40 + (int)vs; o += 8)
			if (!vf_one_in(g, 24)) {
				vf_emit(g, BPFFS_ST_MEM(BPF_DW, BPF_REG_10, (s16)o, vf_imm(g)));
				vf_stack_mark(g, o, 8, false);
			}
		vf_emit(g, BPFFS_MOV64_REG(BPF_REG_3, BPF_REG_10));
		vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, vf_one_in(g, 16) ? -36 : -40));
		vf_emit(g, BPFFS_MOV64_IMM(BPF_REG_4, vf_one_in(g, 8) ? BPF_NOEXIST : BPF_ANY));
	}
	vf_key(g, m);
	vf_map_ptr(g, BPF_REG_1, m);
	vf_emit(g, BPFFS_CALL_HELPER(del ? BPF_FUNC_map_delete_elem : BPF_FUNC_map_update_elem));
	vf_after_call(g);
}

/* r = &array_value[0] + off (direct value access), then accesses */
static void vf_direct_value(struct vfuzz_gen *g)
{
	u32 m = vf_one_in(g, 16) ? VF_MAP_ARRAY : VF_MAP_ARRAY_ODD, vs = vf_map_value_size[m];
	u32 off = vf_below(g, vs);
	u8 r = vf_tmp(g, -1, -1);

	vf_emit(g, BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, r, BPF_PSEUDO_MAP_VALUE, 0, (s32)m));
	vf_emit(g, BPFFS_INSN(0, 0, 0, 0, (s32)off));
	vf_set_other(g, r);
	vf_accesses(g, r, (int)(vs - off), true, 1 + (int)vf_below(g, 2));
}

static void vf_helper(struct vfuzz_gen *g)
{
	static const u32 ids[] = { BPF_FUNC_get_prandom_u32, BPF_FUNC_ktime_get_ns,
				   BPF_FUNC_get_smp_processor_id, BPF_FUNC_jiffies64 };

	vf_emit(g, BPFFS_CALL_HELPER(ids[vf_below(g, 4)]));
	vf_after_call(g);
}

static const u8 vf_jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				 BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };

/* if (cond) skip { body } [else { body2 }] */
static void vf_branch(struct vfuzz_gen *g, int depth)
{
	u8 op = vf_jmp_ops[vf_below(g, sizeof(vf_jmp_ops))];
	u8 cls = vf_below(g, 3) ? BPF_JMP : BPF_JMP32;
	struct vf_path s = vf_save(g), s1;
	u32 at = g->n, at2;
	int k, cnt = 1 + (int)vf_below(g, 2);

	if (vf_below(g, 2))
		vf_emit(g, BPFFS_INSN(cls | op | BPF_K, vf_src(g), 0, 0, vf_imm(g)));
	else
		vf_emit(g, BPFFS_INSN(cls | op | BPF_X, vf_src(g), vf_src(g), 0, 0));
	for (k = 0; k < cnt; k++)
		vf_snippet(g, depth + 1);
	if (vf_one_in(g, 3)) {		/* else part */
		at2 = g->n;
		vf_emit(g, BPFFS_JA(0));
		vf_land(g, at);
		s1 = vf_save(g);
		g->scalars = s.scalars;
		g->stack_init = s.stack_init;
		g->spilled = s.spilled;
		vf_snippet(g, depth + 1);
		vf_land(g, at2);
		vf_join(g, s1);
	} else {
		vf_land(g, at);
	}
	vf_join(g, s);
}

/* for (c = 0; c < N; c += step) body; c lives in a scratch reg the body avoids */
static void vf_loop(struct vfuzz_gen *g, int depth)
{
	u8 c = vf_tmp(g, 0, -1);
	u32 head, n = 2 + vf_below(g, 7), step = 1 + vf_below(g, 2);
	u16 avoid = g->avoid;
	struct vf_path s;

	vf_emit(g, BPFFS_MOV64_IMM(c, 0));
	vf_set_scalar(g, c);
	s = vf_save(g);
	head = g->n;
	g->avoid |= (u16)(1u << c);
	g->in_loop = true;
	vf_snippet(g, depth + 2);
	if (vf_one_in(g, 2))
		vf_emit(g, BPFFS_ALU64_REG(BPF_ADD, BPF_REG_9, c));
	g->in_loop = false;
	g->avoid = avoid;
	vf_emit(g, BPFFS_ALU64_IMM(BPF_ADD, c, (s32)step));
	if (vf_below(g, 2))
		vf_emit(g, BPFFS_JMP_IMM(BPF_JLT, c, (s32)n, 0));
	else if (vf_below(g, 2))
		vf_emit(g, BPFFS_JMP32_IMM(BPF_JLT, c, (s32)n, 0));
	else	/* != needs step dividing n: otherwise it runs away (E2BIG) */
		vf_emit(g, BPFFS_JMP_IMM(BPF_JNE, c, (s32)(n * step), 0));
	g->insns[g->n - 1].off = (s16)(head - g->n);
	vf_join(g, s);
}

#endif /* BPFFS_VERIFIER_FUZZGEN_GEN_H */
