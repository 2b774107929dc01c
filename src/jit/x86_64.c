// SPDX-License-Identifier: MIT
/*
 * x86-64 translation of one BPF instruction at a time, for the pass driver in
 * jit.c. Register mapping is direct: r0 rax, r1-r5 rdi rsi rdx rcx r8 (the
 * System V argument registers, so helper calls need no shuffling), r6-r9 rbx
 * r13 r14 r15 (callee-saved), r10 rbp (each frame's own). r9-r11 are scratch.
 * 32-bit ALU ops use 32-bit x86 ops, which zero-extend for free; only 16-bit
 * results need an explicit movzx. Conditional jumps to other instructions
 * are always the last bytes an instruction emits, so the driver can size
 * them from the previous pass (see jit.c for the convergence argument).
 * This file does not allocate memory or know how the image is mapped.
 */
#include <errno.h>
#include <stddef.h>
#include "internal.h"
#include "../maps/maps.h"

static const u8 reg_map[BPFFS_MAX_REG] = {
	X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8,
	X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP,
};

/* Callee-saved x86 registers holding BPF r6..r9, in push order. */
static const u8 saved_regs[4] = { X86_RBX, X86_R13, X86_R14, X86_R15 };

u8 jit_reg(u8 bpf_reg)
{
	return reg_map[bpf_reg];
}

static void jit_fail(struct jit_ctx *c, u32 i, int err, const char *why)
{
	if (c->err)
		return;
	c->err = err;
	c->err_insn = i;
	bpffs_vlog_printf(c->log, "%u: jit: %s\n", i, why);
}

/* ---- frame layout ------------------------------------------------------ */

static bool insn_is_call(const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code);

	if (cls == BPF_JMP && BPF_OP(insn->code) == BPF_CALL)
		return true;
	return cls == BPF_LD && (BPF_MODE(insn->code) == BPF_ABS ||
				 BPF_MODE(insn->code) == BPF_IND);
}

/* r10 used other than as a load/store base: the stack may be reached anywhere. */
static bool fp_escapes(const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code);

	if (cls == BPF_LDX)
		return insn->dst_reg == BPF_REG_10;
	if (cls == BPF_ST || cls == BPF_STX)
		return cls == BPF_STX && insn->src_reg == BPF_REG_10;
	return insn->dst_reg == BPF_REG_10 || insn->src_reg == BPF_REG_10;
}

static u32 access_size(const struct bpf_insn *insn)
{
	static const u8 sz[4] = { 4, 2, 1, 8 };

	return sz[BPF_SIZE(insn->code) >> 3];
}

static void scan_subprog(struct jit_ctx *c, struct jit_subprog *sub, bool *has_call,
			 u32 *depth)
{
	const struct bpf_insn *insns = c->prog->insns;
	bool escapes = false;

	for (u32 i = sub->start; i < sub->end; i++) {
		const struct bpf_insn *insn = &insns[i];
		u8 cls = BPF_CLASS(insn->code);
		bool src_is_reg = !bpffs_insn_is_wide(insn) && !insn_is_call(insn);

		if (insn->dst_reg >= 6 && insn->dst_reg <= 9)
			sub->saved |= 1u << (insn->dst_reg - 6);
		if (src_is_reg && insn->src_reg >= 6 && insn->src_reg <= 9)
			sub->saved |= 1u << (insn->src_reg - 6);
		if (insn->dst_reg == BPF_REG_10 || (src_is_reg && insn->src_reg == BPF_REG_10)) {
			sub->use_fp = true;
			if (src_is_reg && fp_escapes(insn))
				escapes = true;
			else if ((cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) &&
				 insn->off < 0 && (u32)-insn->off > *depth)
				*depth = (u32)-insn->off;
			if (insn->off + (s32)access_size(insn) > 0 &&
			    (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX))
				escapes = true;
		}
		if (insn_is_call(insn))
			*has_call = true;
		if (bpffs_insn_is_wide(insn))
			i++;
	}
	if (escapes)
		*depth = BPFFS_STACK_SIZE;
}

/*
 * Zero [rbp - @bytes, rbp) (the frame just reserved): for programs the
 * verifier let read stack they had not written (prog->zero_stack), on every
 * entry of every subprogram, tail-call targets included. r10 and r11 are
 * scratch; no BPF register is live-in there but r1-r5, which stay untouched.
 */
static void emit_zero_frame(struct jit_ctx *c, u32 bytes)
{
	emit_rr(c, 0, 0x31, X86_R10, X86_R10);			/* xor r10d, r10d */
	emit_mov_imm32(c, true, X86_R11, -(s32)bytes);		/* mov r11, -bytes */
	/* loop: mov [rbp + r11], r10 (SIB with disp8 0: rbp as base needs it) */
	emit3(c, 0x4e, 0x89, 0x54);				/* REX.WRX, mov r/m64, r64 */
	emit2(c, 0x1d, 0x00);					/* SIB r11 + rbp, disp8 0 */
	emit_alu_imm(c, true, 0, X86_R11, 8);			/* add r11, 8 */
	emit2(c, 0x75, (u8)-(5 + 4 + 2));			/* jnz loop */
}

void jit_emit_prologue(struct jit_ctx *c, const struct jit_subprog *sub)
{
	for (int r = 0; r < 4; r++)
		if (sub->saved & (1u << r))
			emit_push(c, saved_regs[r]);
	if (sub->use_fp) {
		emit_push(c, X86_RBP);
		emit_mov_rr(c, true, X86_RBP, X86_RSP);		/* mov rbp, rsp */
	}
	if (sub->stack)
		emit_alu_imm(c, true, 5, X86_RSP, (s32)sub->stack);	/* sub rsp, N */
	if (c->prog->zero_stack && sub->use_fp && sub->stack)
		emit_zero_frame(c, sub->stack);
}

/* Undo the prologue; with @ret, return to the caller. */
static void emit_epilogue(struct jit_ctx *c, const struct jit_subprog *sub, bool ret)
{
	if (sub->use_fp)
		emit1(c, 0xc9);					/* leave */
	else if (sub->stack)
		emit_alu_imm(c, true, 0, X86_RSP, (s32)sub->stack);	/* add rsp, N */
	for (int r = 3; r >= 0; r--)
		if (sub->saved & (1u << r))
			emit_pop(c, saved_regs[r]);
	if (ret)
		emit1(c, 0xc3);					/* ret */
}

void jit_layout_subprogs(struct jit_ctx *c)
{
	for (u32 s = 0; s < c->sub_cnt; s++) {
		struct jit_subprog *sub = &c->subs[s];
		bool has_call = false;
		u32 depth = 0, pushes;
		u8 tmp[JIT_MAX_PROLOGUE_BYTES];
		struct jit_ctx t = { .prog = c->prog, .buf = tmp, .cap = sizeof(tmp) };

		scan_subprog(c, sub, &has_call, &depth);
		sub->stack = (depth + 7) & ~7u;
		pushes = (u32)__builtin_popcount(sub->saved) + (sub->use_fp ? 1 : 0);
		/* at entry rsp = 8 mod 16; calls need rsp = 0 mod 16 */
		if (has_call && (8 + 8 * pushes + sub->stack) % 16)
			sub->stack += 8;
		jit_emit_prologue(&t, sub);
		sub->prologue_len = (u8)t.len;
	}
}

/* ---- helpers for local labels (short forward jumps inside one insn) ---- */

static u32 emit_jcc8_fwd(struct jit_ctx *c, u8 cc)
{
	emit2(c, 0x70 | cc, 0);					/* jcc rel8 */
	return (u32)c->len;
}

static u32 emit_jmp8_fwd(struct jit_ctx *c)
{
	emit2(c, 0xeb, 0);					/* jmp rel8 */
	return (u32)c->len;
}

static void patch8(struct jit_ctx *c, u32 after)
{
	if (!c->err && after <= c->len)
		c->buf[after - 1] = (u8)(c->len - after);
}

enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
       CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

/* ---- immediates, with optional blinding ---------------------------------- */

static bool want_blind(const struct jit_ctx *c, s64 imm)
{
	/* imm8 encodings cannot carry a useful spray payload: leave them alone */
	return c->blind && !jit_is_s8(imm);
}

/* Load imm (sign-extended for @is64) into @reg, blinded when enabled. */
static void emit_load_imm(struct jit_ctx *c, bool is64, u8 reg, s32 imm)
{
	if (!want_blind(c, imm)) {
		emit_mov_imm32(c, is64, reg, imm);
		return;
	}
	s32 key = (s32)(u32)c->blind_key;

	emit_rr(c, is64 ? EMIT_W : 0, 0xc7, 0, reg);		/* mov reg, imm^key */
	emit_imm32(c, (u32)(imm ^ key));
	emit_rr(c, is64 ? EMIT_W : 0, 0x81, 6, reg);		/* xor reg, key */
	emit_imm32(c, (u32)key);
}

/* ---- ALU --------------------------------------------------------------- */

static u32 alu_rr_opc(u8 op)
{
	switch (op) {
	case BPF_ADD: return 0x01;				/* add r/m, r */
	case BPF_SUB: return 0x29;				/* sub r/m, r */
	case BPF_OR: return 0x09;				/* or r/m, r */
	case BPF_AND: return 0x21;				/* and r/m, r */
	default: return 0x31;					/* xor r/m, r */
	}
}

static u8 alu_ext(u8 op)
{
	switch (op) {
	case BPF_ADD: return 0;
	case BPF_OR: return 1;
	case BPF_AND: return 4;
	case BPF_SUB: return 5;
	default: return 6;					/* xor */
	}
}

static void emit_zext32(struct jit_ctx *c, u8 dst)
{
	emit_rr(c, 0, 0x89, dst, dst);				/* mov dst32, dst32 */
}

static void emit_alu_k(struct jit_ctx *c, bool is64, u8 op, u8 dst, s32 imm)
{
	bool nop = (imm == 0 && op != BPF_AND) || (imm == -1 && op == BPF_AND);

	if (nop) {
		if (!is64)
			emit_zext32(c, dst);
		return;
	}
	if (op == BPF_AND && (imm == 0xff || imm == 0xffff)) {
		/* movzx dst32, dst8/dst16: shorter than and with imm32 */
		emit_rr(c, EMIT_B8, imm == 0xff ? 0x0fb6 : 0x0fb7, dst, dst);
		return;
	}
	if (want_blind(c, imm)) {
		emit_load_imm(c, is64, JIT_AUX2, imm);
		emit_rr(c, is64 ? EMIT_W : 0, alu_rr_opc(op), JIT_AUX2, dst);
		return;
	}
	emit_alu_imm(c, is64, alu_ext(op), dst, imm);
}

static void emit_mul(struct jit_ctx *c, bool is64, bool x, u8 dst, u8 src, s32 imm)
{
	u32 w = is64 ? EMIT_W : 0;

	if (!x && want_blind(c, imm)) {
		emit_load_imm(c, is64, JIT_AUX2, imm);
		src = JIT_AUX2;
		x = true;
	}
	if (x) {
		emit_rr(c, w, 0x0faf, dst, src);		/* imul dst, src */
	} else if (jit_is_s8(imm)) {
		emit_rr(c, w, 0x6b, dst, dst);			/* imul dst, dst, imm8 */
		emit1(c, (u8)imm);
	} else {
		emit_rr(c, w, 0x69, dst, dst);			/* imul dst, dst, imm32 */
		emit_imm32(c, (u32)imm);
	}
}

static void emit_shift(struct jit_ctx *c, bool is64, u8 op, bool x, u8 dst, u8 src, s32 imm)
{
	u32 w = is64 ? EMIT_W : 0;
	u8 ext = op == BPF_LSH ? 4 : op == BPF_RSH ? 5 : 7;	/* shl / shr / sar */

	if (!x) {
		u32 cnt = (u32)imm & (is64 ? 63 : 31);

		if (cnt == 0) {
			if (!is64)
				emit_zext32(c, dst);
		} else if (cnt == 1) {
			emit_rr(c, w, 0xd1, ext, dst);		/* shift dst, 1 */
		} else {
			emit_rr(c, w, 0xc1, ext, dst);		/* shift dst, imm8 */
			emit1(c, (u8)cnt);
		}
		return;
	}
	if (src == X86_RCX) {
		emit_rr(c, w, 0xd3, ext, dst);			/* shift dst, cl */
		return;
	}
	/* the count must be in cl; rcx is BPF r4 */
	emit_mov_rr(c, true, JIT_AUX, X86_RCX);			/* mov r11, rcx */
	emit_mov_rr(c, true, X86_RCX, src);			/* mov rcx, src */
	if (dst == X86_RCX) {
		emit_rr(c, w, 0xd3, ext, JIT_AUX);		/* shift r11, cl */
		emit_mov_rr(c, is64, X86_RCX, JIT_AUX);		/* mov rcx, r11 */
	} else {
		emit_rr(c, w, 0xd3, ext, dst);			/* shift dst, cl */
		emit_mov_rr(c, true, X86_RCX, JIT_AUX);		/* mov rcx, r11 */
	}
}

/* Magic multiplier for unsigned 32-bit division by a constant (0 if none fits). */
static u64 udiv32_magic(u32 d, u32 *shift)
{
	for (u32 s = 0; s < 32; s++) {
		u64 p = 1ull << (32 + s);
		u64 m = (p + d - 1) / d;
		u64 e = m * d - p;

		if (m > UINT32_MAX)
			return 0;
		if (e <= (1ull << s)) {
			*shift = 32 + s;
			return m;
		}
	}
	return 0;
}

/* Unsigned 32-bit div/mod by a constant; returns false when not applicable. */
static bool emit_udiv32_const(struct jit_ctx *c, bool mod, u8 dst, u32 d)
{
	u32 shift;
	u64 m;

	if (d >= 2 && !(d & (d - 1))) {
		if (mod)
			emit_alu_imm(c, false, 4, dst, (s32)(d - 1));	/* and dst32, d-1 */
		else {
			emit_rr(c, 0, 0xc1, 5, dst);		/* shr dst32, log2(d) */
			emit1(c, (u8)__builtin_ctz(d));
		}
		return true;
	}
	if (c->blind || d < 3 || !(m = udiv32_magic(d, &shift)))
		return false;
	emit_mov_imm32(c, false, JIT_AUX, (s32)(u32)m);		/* mov r11d, m */
	emit_rr(c, 0, 0x89, dst, JIT_AUX2);			/* mov r10d, dst32 */
	emit_rr(c, EMIT_W, 0x0faf, JIT_AUX, JIT_AUX2);		/* imul r11, r10 */
	emit_rr(c, EMIT_W, 0xc1, 5, JIT_AUX);			/* shr r11, shift */
	emit1(c, (u8)shift);
	if (!mod) {
		emit_mov_rr(c, false, dst, JIT_AUX);		/* mov dst32, r11d */
		return true;
	}
	emit_rr(c, 0, 0x69, JIT_AUX, JIT_AUX);			/* imul r11d, r11d, d */
	emit_imm32(c, d);
	emit_rr(c, 0, 0x29, JIT_AUX, dst);			/* sub dst32, r11d */
	return true;
}

/* dst = 0 (div) or dst unchanged (mod): the divide-by-zero results. */
static void emit_div_zero_result(struct jit_ctx *c, bool is64, bool mod, u8 dst)
{
	if (!mod)
		emit_rr(c, 0, 0x31, dst, dst);			/* xor dst32, dst32 */
	else if (!is64)
		emit_zext32(c, dst);
}

/* Save rax/rdx (BPF r0/r3) in r10/r9 around a mul or div, unless dst is one. */
static void emit_save_rax_rdx(struct jit_ctx *c, u8 dst)
{
	if (dst != X86_RAX)
		emit_mov_rr(c, true, JIT_AUX2, X86_RAX);	/* mov r10, rax */
	if (dst != X86_RDX)
		emit_mov_rr(c, true, JIT_AUX3, X86_RDX);	/* mov r9, rdx */
}

static void emit_restore_rax_rdx(struct jit_ctx *c, u8 dst)
{
	if (dst != X86_RAX)
		emit_mov_rr(c, true, X86_RAX, JIT_AUX2);	/* mov rax, r10 */
	if (dst != X86_RDX)
		emit_mov_rr(c, true, X86_RDX, JIT_AUX3);	/* mov rdx, r9 */
}

/*
 * Unsigned 64-bit div/mod by a constant 2 < d < 2^31 without div: with
 * l = ceil(log2 d) and m = floor(2^64 (2^l - d) / d) + 1, t = mulhi(m, x)
 * and q = (t + ((x - t) >> 1)) >> (l - 1) for every 64-bit x (Granlund and
 * Montgomery's round-up method, Hacker's Delight 10-8).
 */
static void emit_udiv64_magic(struct jit_ctx *c, bool mod, u8 dst, u32 d)
{
	u32 l = 64 - (u32)__builtin_clzll((u64)d - 1);
	u64 m = (u64)((((unsigned __int128)((1ull << l) - d)) << 64) / d) + 1;

	emit_mov_rr(c, true, JIT_AUX, dst);			/* mov r11, x */
	emit_save_rax_rdx(c, dst);
	emit_mov_imm64(c, X86_RAX, m);				/* movabs rax, m */
	emit_rr(c, EMIT_W, 0xf7, 4, JIT_AUX);			/* mul r11: rdx = t */
	emit_mov_rr(c, true, X86_RAX, JIT_AUX);			/* mov rax, r11 */
	emit_rr(c, EMIT_W, 0x29, X86_RDX, X86_RAX);		/* sub rax, rdx */
	emit_rr(c, EMIT_W, 0xd1, 5, X86_RAX);			/* shr rax, 1 */
	emit_rr(c, EMIT_W, 0x01, X86_RDX, X86_RAX);		/* add rax, rdx */
	if (l > 1) {
		emit_rr(c, EMIT_W, 0xc1, 5, X86_RAX);		/* shr rax, l-1 */
		emit1(c, (u8)(l - 1));
	}
	if (mod) {
		emit_rr(c, EMIT_W, 0x69, X86_RAX, X86_RAX);	/* imul rax, rax, d */
		emit_imm32(c, d);
		emit_rr(c, EMIT_W, 0x29, X86_RAX, JIT_AUX);	/* sub r11, rax */
		emit_mov_rr(c, true, dst, JIT_AUX);		/* mov dst, r11 */
	} else if (dst != X86_RAX) {
		emit_mov_rr(c, true, dst, X86_RAX);		/* mov dst, rax */
	}
	emit_restore_rax_rdx(c, dst);
}

/* Unsigned 64-bit div/mod by d >= 2^63 (a negative imm): the quotient is 0 or 1. */
static void emit_udiv64_huge(struct jit_ctx *c, bool mod, u8 dst, s32 imm)
{
	u32 j_below;

	emit_mov_imm32(c, true, JIT_AUX, imm);			/* mov r11, sext(imm) */
	emit_rr(c, EMIT_W, 0x39, JIT_AUX, dst);			/* cmp dst, r11 */
	if (!mod) {
		emit_rr(c, EMIT_B8, 0x0f93, 0, JIT_AUX);	/* setae r11b */
		emit_rr(c, EMIT_B8, 0x0fb6, dst, JIT_AUX);	/* movzx dst32, r11b */
		return;
	}
	j_below = emit_jcc8_fwd(c, CC_B);
	emit_rr(c, EMIT_W, 0x29, JIT_AUX, dst);			/* sub dst, r11 */
	patch8(c, j_below);
}

static bool emit_divmod_const(struct jit_ctx *c, bool is64, bool mod, bool sdiv, u8 dst,
			      s32 imm)
{
	if (imm == 0) {
		emit_div_zero_result(c, is64, mod, dst);
		return true;
	}
	if (sdiv && imm == -1) {
		if (mod)
			emit_rr(c, 0, 0x31, dst, dst);		/* xor dst32, dst32 */
		else
			emit_rr(c, is64 ? EMIT_W : 0, 0xf7, 3, dst); /* neg dst */
		return true;
	}
	if (sdiv)
		return false;
	if (!is64)
		return emit_udiv32_const(c, mod, dst, (u32)imm);
	if (imm > 0 && !(imm & (imm - 1))) {
		if (mod)
			emit_alu_imm(c, true, 4, dst, imm - 1);	/* and dst, d-1 */
		else if (imm > 1) {
			emit_rr(c, EMIT_W, 0xc1, 5, dst);	/* shr dst, log2(d) */
			emit1(c, (u8)__builtin_ctz((u32)imm));
		}
		return true;
	}
	if (c->blind)
		return false;
	if (imm < 0)
		emit_udiv64_huge(c, mod, dst, imm);
	else
		emit_udiv64_magic(c, mod, dst, (u32)imm);
	return true;
}

static void emit_divmod(struct jit_ctx *c, bool is64, bool mod, bool sdiv, bool x, u8 dst,
			u8 src, s32 imm)
{
	u32 w = is64 ? EMIT_W : 0;
	u32 j_zero = 0, j_norm = 0, j_done1 = 0, j_done2 = 0;

	if (!x && emit_divmod_const(c, is64, mod, sdiv, dst, imm))
		return;
	if (x)
		emit_mov_rr(c, is64, JIT_AUX, src);		/* mov r11, src */
	else
		emit_load_imm(c, is64, JIT_AUX, imm);		/* mov r11, imm */
	if (x) {
		emit_rr(c, w, 0x85, JIT_AUX, JIT_AUX);		/* test r11, r11 */
		j_zero = emit_jcc8_fwd(c, CC_E);
		if (sdiv) {
			emit_alu_imm(c, is64, 7, JIT_AUX, -1);	/* cmp r11, -1 */
			j_norm = emit_jcc8_fwd(c, CC_NE);
			if (mod)
				emit_rr(c, 0, 0x31, dst, dst);	/* xor dst32, dst32 */
			else
				emit_rr(c, w, 0xf7, 3, dst);	/* neg dst */
			j_done1 = emit_jmp8_fwd(c);
			patch8(c, j_norm);
		}
	}
	emit_save_rax_rdx(c, dst);
	if (dst != X86_RAX)
		emit_mov_rr(c, is64, X86_RAX, dst);		/* mov rax, dst */
	if (sdiv) {
		if (is64)
			emit1(c, 0x48);
		emit1(c, 0x99);					/* cdq / cqo */
	} else {
		emit_rr(c, 0, 0x31, X86_RDX, X86_RDX);		/* xor edx, edx */
	}
	emit_rr(c, w, 0xf7, sdiv ? 7 : 6, JIT_AUX);		/* (i)div r11 */
	if (mod ? dst != X86_RDX : dst != X86_RAX)
		emit_mov_rr(c, is64, dst, mod ? X86_RDX : X86_RAX);
	emit_restore_rax_rdx(c, dst);
	if (!x)
		return;
	j_done2 = emit_jmp8_fwd(c);
	patch8(c, j_zero);
	emit_div_zero_result(c, is64, mod, dst);
	if (j_done1)
		patch8(c, j_done1);
	patch8(c, j_done2);
}

static void emit_movsx(struct jit_ctx *c, bool is64, u8 dst, u8 src, s16 off)
{
	u32 w = is64 ? EMIT_W : 0;

	if (off == 8)
		emit_rr(c, w | EMIT_B8, 0x0fbe, dst, src);	/* movsx dst, src8 */
	else if (off == 16)
		emit_rr(c, w, 0x0fbf, dst, src);		/* movsx dst, src16 */
	else
		emit_rr(c, EMIT_W, 0x63, dst, src);		/* movsxd dst, src32 */
}

static void emit_mov(struct jit_ctx *c, bool is64, bool x, u8 dst, u8 src, s32 imm, s16 off)
{
	if (x && off) {
		emit_movsx(c, is64, dst, src, off);
	} else if (x) {
		if (!is64 || dst != src)
			emit_mov_rr(c, is64, dst, src);		/* mov dst, src */
	} else {
		emit_load_imm(c, is64, dst, imm);
	}
}

static void emit_end(struct jit_ctx *c, const struct bpf_insn *insn, u8 dst)
{
	bool swap = BPF_CLASS(insn->code) == BPF_ALU64 || BPF_SRC(insn->code) == BPF_TO_BE;

	switch (insn->imm) {
	case 16:
		if (swap) {
			emit_rr(c, EMIT_66, 0xc1, 0, dst);	/* rol dst16, 8 */
			emit1(c, 8);
		}
		emit_rr(c, 0, 0x0fb7, dst, dst);		/* movzx dst32, dst16 */
		break;
	case 32:
		if (swap) {
			if (dst & 8)
				emit1(c, 0x41);
			emit2(c, 0x0f, 0xc8 | (dst & 7));	/* bswap dst32 */
		} else {
			emit_zext32(c, dst);
		}
		break;
	default:
		if (swap) {
			emit1(c, 0x48 | ((dst & 8) ? 1 : 0));
			emit2(c, 0x0f, 0xc8 | (dst & 7));	/* bswap dst64 */
		}
		break;
	}
}

static void emit_alu(struct jit_ctx *c, const struct bpf_insn *insn)
{
	bool is64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool x = BPF_SRC(insn->code) == BPF_X;
	u8 op = BPF_OP(insn->code);
	u8 dst = jit_reg(insn->dst_reg);
	u8 src = x ? jit_reg(insn->src_reg) : 0;

	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_OR: case BPF_AND: case BPF_XOR:
		if (x)
			emit_rr(c, is64 ? EMIT_W : 0, alu_rr_opc(op), src, dst);
		else
			emit_alu_k(c, is64, op, dst, insn->imm);
		break;
	case BPF_MUL:
		emit_mul(c, is64, x, dst, src, insn->imm);
		break;
	case BPF_DIV: case BPF_MOD:
		emit_divmod(c, is64, op == BPF_MOD, insn->off == 1, x, dst, src, insn->imm);
		break;
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		emit_shift(c, is64, op, x, dst, src, insn->imm);
		break;
	case BPF_NEG:
		emit_rr(c, is64 ? EMIT_W : 0, 0xf7, 3, dst);	/* neg dst */
		break;
	case BPF_MOV:
		emit_mov(c, is64, x, dst, src, insn->imm, insn->off);
		break;
	case BPF_END:
		emit_end(c, insn, dst);
		break;
	}
}

/* ---- loads, stores, atomics ------------------------------------------- */

static void emit_ldx(struct jit_ctx *c, const struct bpf_insn *insn)
{
	u8 dst = jit_reg(insn->dst_reg), src = jit_reg(insn->src_reg);
	bool sx = BPF_MODE(insn->code) == BPF_MEMSX;

	switch (BPF_SIZE(insn->code)) {
	case BPF_B:
		emit_rm(c, sx ? EMIT_W : 0, sx ? 0x0fbe : 0x0fb6, dst, src, insn->off);
		break;							/* movzx/movsx dst, byte [src+off] */
	case BPF_H:
		emit_rm(c, sx ? EMIT_W : 0, sx ? 0x0fbf : 0x0fb7, dst, src, insn->off);
		break;							/* movzx/movsx dst, word [src+off] */
	case BPF_W:
		emit_rm(c, sx ? EMIT_W : 0, sx ? 0x63 : 0x8b, dst, src, insn->off);
		break;							/* mov dst32 / movsxd dst, [src+off] */
	default:
		emit_rm(c, EMIT_W, 0x8b, dst, src, insn->off);	/* mov dst, [src+off] */
		break;
	}
}

static void emit_store_reg(struct jit_ctx *c, u32 size, u8 base, s16 off, u8 src)
{
	switch (size) {
	case BPF_B:
		emit_rm(c, EMIT_B8, 0x88, src, base, off);	/* mov [base+off], src8 */
		break;
	case BPF_H:
		emit_rm(c, EMIT_66, 0x89, src, base, off);	/* mov [base+off], src16 */
		break;
	case BPF_W:
		emit_rm(c, 0, 0x89, src, base, off);		/* mov [base+off], src32 */
		break;
	default:
		emit_rm(c, EMIT_W, 0x89, src, base, off);	/* mov [base+off], src */
		break;
	}
}

static void emit_st(struct jit_ctx *c, const struct bpf_insn *insn)
{
	u8 dst = jit_reg(insn->dst_reg);
	u32 size = BPF_SIZE(insn->code);
	s32 imm = insn->imm;

	if (want_blind(c, imm)) {
		emit_load_imm(c, size == BPF_DW, JIT_AUX2, imm);
		emit_store_reg(c, size, dst, insn->off, JIT_AUX2);
		return;
	}
	switch (size) {
	case BPF_B:
		emit_rm(c, 0, 0xc6, 0, dst, insn->off);		/* mov byte [dst+off], imm8 */
		emit1(c, (u8)imm);
		break;
	case BPF_H:
		emit_rm(c, EMIT_66, 0xc7, 0, dst, insn->off);	/* mov word [dst+off], imm16 */
		emit2(c, (u8)imm, (u8)(imm >> 8));
		break;
	default:
		emit_rm(c, size == BPF_DW ? EMIT_W : 0, 0xc7, 0, dst, insn->off);
		emit_imm32(c, (u32)imm);			/* mov [dst+off], imm32 */
		break;
	}
}

/* fetch-or/and/xor: cmpxchg loop; rax (BPF r0) is saved in r10 around it. */
static void emit_atomic_fetch_loop(struct jit_ctx *c, bool is64, u8 op, u8 base, s16 off,
				   u8 src)
{
	u32 w = is64 ? EMIT_W : 0;
	u8 operand = src == X86_RAX ? JIT_AUX2 : src;
	u32 retry;

	emit_mov_rr(c, true, JIT_AUX2, X86_RAX);		/* mov r10, rax */
	if (base == X86_RAX)
		base = JIT_AUX2;
	emit_rm(c, w, 0x8b, X86_RAX, base, off);		/* mov rax, [base+off] */
	retry = (u32)c->len;
	emit_mov_rr(c, true, JIT_AUX, X86_RAX);			/* mov r11, rax */
	emit_rr(c, w, alu_rr_opc(op), operand, JIT_AUX);	/* op r11, src */
	emit1(c, 0xf0);						/* lock */
	emit_rm(c, w, 0x0fb1, JIT_AUX, base, off);		/* cmpxchg [base+off], r11 */
	emit2(c, 0x70 | CC_NE, (u8)(retry - (c->len + 2)));	/* jne retry */
	if (src != X86_RAX) {
		emit_mov_rr(c, is64, src, X86_RAX);		/* mov src, rax (old) */
		emit_mov_rr(c, true, X86_RAX, JIT_AUX2);	/* mov rax, r10 */
	} else if (!is64) {
		emit_zext32(c, X86_RAX);
	}
}

static void emit_atomic(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	bool is64 = BPF_SIZE(insn->code) == BPF_DW;
	u32 w = is64 ? EMIT_W : 0;
	u8 base = jit_reg(insn->dst_reg), src = jit_reg(insn->src_reg);
	s16 off = insn->off;
	u8 op = insn->imm & ~BPF_FETCH;

	switch (insn->imm) {
	case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
		emit1(c, 0xf0);					/* lock */
		emit_rm(c, w, alu_rr_opc((u8)insn->imm), src, base, off); /* op [m], src */
		break;
	case BPF_ADD | BPF_FETCH:
		emit1(c, 0xf0);					/* lock */
		emit_rm(c, w, 0x0fc1, src, base, off);		/* xadd [m], src */
		break;
	case BPF_OR | BPF_FETCH: case BPF_AND | BPF_FETCH: case BPF_XOR | BPF_FETCH:
		emit_atomic_fetch_loop(c, is64, op, base, off, src);
		break;
	case BPF_XCHG:
		emit_rm(c, w, 0x87, src, base, off);		/* xchg [m], src */
		break;
	case BPF_CMPXCHG:
		emit1(c, 0xf0);					/* lock */
		emit_rm(c, w, 0x0fb1, src, base, off);		/* cmpxchg [m], src */
		if (!is64)
			emit_zext32(c, X86_RAX);		/* eax not written on success */
		break;
	default:
		jit_fail(c, i, -EINVAL, "unsupported atomic operation");
	}
}

/* ---- jumps --------------------------------------------------------------- */

static const u8 jmp_cc[16] = {
	[BPF_JEQ >> 4] = CC_E, [BPF_JGT >> 4] = CC_A, [BPF_JGE >> 4] = CC_AE,
	[BPF_JSET >> 4] = CC_NE, [BPF_JNE >> 4] = CC_NE, [BPF_JSGT >> 4] = CC_G,
	[BPF_JSGE >> 4] = CC_GE, [BPF_JLT >> 4] = CC_B, [BPF_JLE >> 4] = CC_BE,
	[BPF_JSLT >> 4] = CC_L, [BPF_JSLE >> 4] = CC_LE,
};

/* Distance from the end of insn @i to insn @t, from the previous pass. */
static s64 jump_dist(const struct jit_ctx *c, u32 i, u32 t)
{
	return (s64)c->prev[t] - (s64)c->prev_ends[i];
}

/* The jump to another insn: last bytes of insn @i; @cc < 0 means jmp. */
static void emit_branch(struct jit_ctx *c, u32 i, u32 t, int cc)
{
	s64 dist = jump_dist(c, i, t);

	if (!c->force_near && jit_is_s8(dist)) {
		emit2(c, cc < 0 ? 0xeb : 0x70 | cc, (u8)dist);	/* j<cc> rel8 */
		return;
	}
	if (cc < 0)
		emit1(c, 0xe9);					/* jmp rel32 */
	else
		emit2(c, 0x0f, 0x80 | cc);			/* j<cc> rel32 */
	emit_imm32(c, (u32)(s32)dist);
}

static void emit_test_imm(struct jit_ctx *c, bool is64, u8 dst, s32 imm)
{
	if (imm >= 0 && imm <= 0xff) {
		emit_rr(c, EMIT_B8, 0xf6, 0, dst);		/* test dst8, imm8 */
		emit1(c, (u8)imm);
	} else if (dst == X86_RAX) {
		if (is64)
			emit1(c, 0x48);
		emit1(c, 0xa9);					/* test eax/rax, imm32 */
		emit_imm32(c, (u32)imm);
	} else {
		emit_rr(c, is64 ? EMIT_W : 0, 0xf7, 0, dst);	/* test dst, imm32 */
		emit_imm32(c, (u32)imm);
	}
}

/* Can insn @i be emitted together with insn @i + 1 (no jump lands between)? */
static bool can_fuse_next(const struct jit_ctx *c, u32 i)
{
	return i + 1 < c->prog->insn_cnt && !c->is_target[i + 1] &&
	       c->sub_of[i + 1] == c->sub_of[i];
}

/*
 * `if cond goto +1; goto X` (the loop shape compilers emit) is one jump on
 * the inverted condition to X. Returns the slots consumed.
 */
static int emit_jcond(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	bool is64 = BPF_CLASS(insn->code) == BPF_JMP;
	bool x = BPF_SRC(insn->code) == BPF_X;
	u8 op = BPF_OP(insn->code);
	u8 dst = jit_reg(insn->dst_reg), src = x ? jit_reg(insn->src_reg) : 0;
	u32 w = is64 ? EMIT_W : 0;
	u32 t = i + 1 + insn->off;
	s32 imm = insn->imm;
	u8 cc = jmp_cc[op >> 4];
	int slots = 1;

	if (insn->off == 1 && can_fuse_next(c, i) && insn[1].code == (BPF_JMP | BPF_JA)) {
		t = i + 2 + insn[1].off;
		cc ^= 1;				/* x86 condition codes pair up */
		slots = 2;
	}
	if (!c->force_near && jump_dist(c, i, t) == 0)
		return slots;				/* both ways reach the next insn */
	if (!x && want_blind(c, imm)) {
		emit_load_imm(c, is64, JIT_AUX2, imm);
		src = JIT_AUX2;
		x = true;
	}
	if (op == BPF_JSET) {
		if (x)
			emit_rr(c, w, 0x85, src, dst);		/* test dst, src */
		else
			emit_test_imm(c, is64, dst, imm);
	} else if (x) {
		emit_rr(c, w, 0x39, src, dst);			/* cmp dst, src */
	} else if (imm == 0) {
		emit_rr(c, w, 0x85, dst, dst);			/* test dst, dst */
	} else {
		emit_alu_imm(c, is64, 7, dst, imm);		/* cmp dst, imm */
	}
	emit_branch(c, i, t, cc);
	return slots;
}

static void emit_ja(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	s32 rel = BPF_CLASS(insn->code) == BPF_JMP32 ? insn->imm : insn->off;
	u32 t = i + 1 + rel;

	if (!c->force_near && jump_dist(c, i, t) == 0)
		return;
	emit_branch(c, i, t, -1);
}

/* ---- calls, exit ----------------------------------------------------------- */

static const struct jit_subprog *sub_at(const struct jit_ctx *c, u32 i)
{
	return &c->subs[c->sub_of[i]];
}

/* Native offset of the entry (prologue) of the subprogram starting at @t. */
static u32 sub_entry(const struct jit_ctx *c, u32 t)
{
	return c->prev[t] - sub_at(c, t)->prologue_len;
}

static void emit_tail_call(struct jit_ctx *c, u32 i)
{
	u32 j_fail;

	/* r1 = ctx, r2 = map, r3 = index are already rdi, rsi, rdx */
	emit_push(c, X86_RDI);
	emit_push(c, X86_RDI);					/* keep rsp 16-aligned */
	emit_call_abs(c, (const void *)bpffs_jit_tail_call);
	emit_pop(c, X86_RDI);
	emit_pop(c, X86_RDI);
	emit_rr(c, EMIT_W, 0x85, X86_RAX, X86_RAX);		/* test rax, rax */
	j_fail = emit_jcc8_fwd(c, CC_E);
	emit_epilogue(c, sub_at(c, i), false);
	emit_rr(c, 0, 0xff, 4, X86_RAX);			/* jmp rax */
	patch8(c, j_fail);
}

/* End the program with r0 = 0 unless edx (the ok half of a jit_ret2) is set. */
static void emit_exit_zero_unless_ok(struct jit_ctx *c, u32 i)
{
	u32 j_ok;

	emit_rr(c, 0, 0x85, X86_RDX, X86_RDX);			/* test edx, edx */
	j_ok = emit_jcc8_fwd(c, CC_NE);
	emit_rr(c, 0, 0x31, X86_RAX, X86_RAX);			/* xor eax, eax */
	emit_epilogue(c, sub_at(c, i), true);
	patch8(c, j_ok);
}

/* callx: helper id in dst; an unknown id ends the program with 0 */
static void emit_callx(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	emit_mov_rr(c, true, X86_R9, jit_reg(insn->dst_reg));	/* mov r9, dst */
	emit_call_abs(c, (const void *)bpffs_jit_callx);
	emit_exit_zero_unless_ok(c, i);
}

/* Does insn @k (not an LD_IMM64 second slot) write BPF r1 or leave the block? */
static bool insn_ends_r1_scan(const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code);

	if (cls == BPF_JMP || cls == BPF_JMP32 || cls == BPF_LD)
		return true;
	if (cls == BPF_STX && BPF_MODE(insn->code) == BPF_ATOMIC)
		return insn->src_reg == BPF_REG_1 && (insn->imm & BPF_FETCH);
	return (cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX) &&
	       insn->dst_reg == BPF_REG_1;
}

/*
 * The map in r1 at the call at insn @i when the same basic block loads it
 * with an LD_IMM64 map pseudo (what compilers emit), else NULL.
 */
static struct bpffs_map *known_map_in_r1(const struct jit_ctx *c, u32 i)
{
	const struct bpf_insn *insns = c->prog->insns;
	u32 start = sub_at(c, i)->start;

	for (u32 k = i, steps = 0; k > start && steps < 16; steps++) {
		const struct bpf_insn *insn;

		if (c->is_target[k])
			return NULL;			/* another path joins here */
		k--;
		if (insns[k].code == 0 && k > start && bpffs_insn_is_wide(&insns[k - 1]))
			k--;
		insn = &insns[k];
		if (bpffs_insn_is_wide(insn) && insn->dst_reg == BPF_REG_1) {
			if ((insn->src_reg != BPF_PSEUDO_MAP_FD && insn->src_reg != BPF_PSEUDO_MAP_IDX) ||
			    (u32)insn->imm >= c->prog->map_cnt)
				return NULL;
			return c->prog->maps[insn->imm];
		}
		if (!bpffs_insn_is_wide(insn) && insn_ends_r1_scan(insn))
			return NULL;
	}
	return NULL;
}

static void emit_call(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	struct bpffs_map *map;
	const struct bpffs_helper *h;

	if (BPF_SRC(insn->code) == BPF_X) {
		emit_callx(c, insn, i);
		return;
	}
	if (insn->src_reg == BPF_PSEUDO_CALL) {
		u32 t = i + 1 + insn->imm;
		s64 rel = (s64)sub_entry(c, t) - (s64)(c->len + 5);

		emit1(c, 0xe8);					/* call subprog */
		emit_imm32(c, (u32)(s32)rel);
		return;
	}
	if (insn->src_reg != 0) {
		jit_fail(c, i, -EOPNOTSUPP, "kfunc calls are not supported");
		return;
	}
	if (insn->imm == BPF_FUNC_tail_call) {
		emit_tail_call(c, i);
		return;
	}
	h = insn->imm >= 0 && insn->imm < BPFFS_HELPER_MAX_ID ? bpffs_helper_table[insn->imm] : NULL;
	if (!h || !h->fn) {
		jit_fail(c, i, -EINVAL, "unknown helper");
		return;
	}
	/*
	 * bpf_map_lookup_elem on a map known at compile time calls the map's
	 * lookup op directly (r1 = map, r2 = key are its arguments already),
	 * as the kernel does; the helper adds only checked-mode bookkeeping.
	 */
	if (insn->imm == BPF_FUNC_map_lookup_elem && (map = known_map_in_r1(c, i)) &&
	    map->ops->lookup) {
		emit_call_abs(c, (const void *)map->ops->lookup);	/* call map lookup */
		return;
	}
	emit_call_abs(c, (const void *)h->fn);			/* call helper */
}

static void emit_exit(struct jit_ctx *c, u32 i)
{
	emit_epilogue(c, sub_at(c, i), true);
}

/* ---- 64-bit immediates and legacy packet loads ----------------------------- */

static int map_value_addr(struct jit_ctx *c, u32 i, const struct bpf_insn *insn, u64 *v)
{
	struct bpffs_map *map;

	if ((u32)insn->imm >= c->prog->map_cnt || !(map = c->prog->maps[insn->imm])) {
		jit_fail(c, i, -EINVAL, "map index out of range");
		return -EINVAL;
	}
	if (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_IDX) {
		*v = (u64)(uintptr_t)map;
		return 0;
	}
	if (!map->ops->direct_value_addr ||
	    map->ops->direct_value_addr(map, v, (u32)insn[1].imm)) {
		jit_fail(c, i, -EINVAL, "map has no direct value address");
		return -EINVAL;
	}
	*v += (u32)insn[1].imm;
	return 0;
}

static void emit_ld_imm64(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	u8 dst = jit_reg(insn->dst_reg);
	u64 v;

	switch (insn->src_reg) {
	case 0:
		v = (u32)insn[0].imm | (u64)(u32)insn[1].imm << 32;
		if (c->blind && !jit_is_s8((s64)v)) {
			emit_mov_imm64(c, dst, v ^ c->blind_key);
			emit_mov_imm64(c, JIT_AUX2, c->blind_key);
			emit_rr(c, EMIT_W, 0x31, JIT_AUX2, dst);	/* xor dst, r10 */
			return;
		}
		emit_mov_imm64(c, dst, v);
		return;
	case BPF_PSEUDO_MAP_FD: case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_VALUE: case BPF_PSEUDO_MAP_IDX_VALUE:
		if (!map_value_addr(c, i, insn, &v))
			emit_mov_imm64(c, dst, v);
		return;
	case BPF_PSEUDO_FUNC:
		/* fixed 10-byte movabs: the address moves between passes */
		v = (u64)(uintptr_t)c->buf + sub_entry(c, i + 1 + insn->imm);
		emit1(c, 0x48 | ((dst & 8) ? 1 : 0));
		emit1(c, 0xb8 | (dst & 7));			/* movabs dst, func */
		emit_imm64(c, v);
		return;
	default:
		jit_fail(c, i, -EOPNOTSUPP, "unsupported 64-bit immediate kind");
	}
}

static void emit_ld_pkt(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	if (BPF_MODE(insn->code) == BPF_IND)
		emit_mov_rr(c, true, X86_RDI, jit_reg(insn->src_reg));	/* mov rdi, src */
	else
		emit_rr(c, 0, 0x31, X86_RDI, X86_RDI);		/* xor edi, edi */
	emit_load_imm(c, false, X86_RSI, insn->imm);		/* mov esi, imm */
	emit_mov_imm32(c, false, X86_RDX, (s32)access_size(insn));	/* mov edx, size */
	emit_call_abs(c, (const void *)bpffs_jit_ld_pkt);
	emit_exit_zero_unless_ok(c, i);				/* out of bounds: return 0 */
}

/* ---- dispatch ------------------------------------------------------------- */

static int emit_jmp_class(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	switch (BPF_OP(insn->code)) {
	case BPF_JA:
		emit_ja(c, insn, i);
		return 1;
	case BPF_CALL:
		emit_call(c, insn, i);
		return 1;
	case BPF_EXIT:
		emit_exit(c, i);
		return 1;
	default:
		return emit_jcond(c, insn, i);
	}
}

/*
 * `mov dst, src; add dst, imm|reg` (or sub imm) of one width, where the add
 * is no jump target, becomes one lea. Returns true when it emitted the pair.
 */
static bool emit_mov_add_fused(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	const struct bpf_insn *next = insn + 1;
	u8 cls = BPF_CLASS(insn->code);
	u8 dst = jit_reg(insn->dst_reg), src = jit_reg(insn->src_reg);
	s32 disp = 0;
	u8 index = 0xff;

	if (insn->code != (cls | BPF_MOV | BPF_X) || insn->off || !can_fuse_next(c, i) ||
	    BPF_CLASS(next->code) != cls || next->dst_reg != insn->dst_reg || next->off)
		return false;
	if (next->code == (cls | BPF_ADD | BPF_K) && !want_blind(c, next->imm))
		disp = next->imm;
	else if (next->code == (cls | BPF_SUB | BPF_K) && next->imm != INT32_MIN &&
		 !want_blind(c, next->imm))
		disp = -next->imm;
	else if (next->code == (cls | BPF_ADD | BPF_X))
		index = next->src_reg == insn->dst_reg ? src : jit_reg(next->src_reg);
	else
		return false;
	if (index == X86_RSP)
		return false;
	emit_lea(c, cls == BPF_ALU64, dst, src, index, disp);
	return true;
}

static bool is_zext_pair(const struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	return insn[0].code == (BPF_ALU64 | BPF_LSH | BPF_K) && insn[0].imm == 32 &&
	       can_fuse_next(c, i) && insn[1].code == (BPF_ALU64 | BPF_RSH | BPF_K) &&
	       insn[1].imm == 32 && insn[1].dst_reg == insn[0].dst_reg;
}

/*
 * The zero-extension idiom `[mov dst, src;] lsh dst, 32; rsh dst, 32` is one
 * 32-bit mov. Returns the slots consumed, 0 when the pattern does not apply.
 */
static int emit_zext_fused(struct jit_ctx *c, const struct bpf_insn *insn, u32 i)
{
	u8 dst = jit_reg(insn->dst_reg);

	if (is_zext_pair(c, insn, i)) {
		emit_zext32(c, dst);
		return 2;
	}
	if (insn->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !insn->off && can_fuse_next(c, i) &&
	    insn[1].dst_reg == insn->dst_reg && is_zext_pair(c, insn + 1, i + 1)) {
		emit_mov_rr(c, false, dst, jit_reg(insn->src_reg));	/* mov dst32, src32 */
		return 3;
	}
	return 0;
}

int jit_emit_insn(struct jit_ctx *c, u32 i)
{
	const struct bpf_insn *insn = &c->prog->insns[i];
	int k;

	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU: case BPF_ALU64:
		if ((k = emit_zext_fused(c, insn, i)))
			return k;
		if (emit_mov_add_fused(c, insn, i))
			return 2;
		emit_alu(c, insn);
		return 1;
	case BPF_JMP: case BPF_JMP32:
		return emit_jmp_class(c, insn, i);
	case BPF_LDX:
		emit_ldx(c, insn);
		return 1;
	case BPF_ST:
		emit_st(c, insn);
		return 1;
	case BPF_STX:
		if (BPF_MODE(insn->code) == BPF_ATOMIC)
			emit_atomic(c, insn, i);
		else
			emit_store_reg(c, BPF_SIZE(insn->code), jit_reg(insn->dst_reg), insn->off,
				       jit_reg(insn->src_reg));
		return 1;
	default:	/* BPF_LD */
		if (bpffs_insn_is_wide(insn)) {
			emit_ld_imm64(c, insn, i);
			return 2;
		}
		emit_ld_pkt(c, insn, i);
		return 1;
	}
}
