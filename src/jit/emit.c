// SPDX-License-Identifier: MIT
/*
 * Byte-level x86-64 encoders for the JIT: prefixes, REX, ModRM/SIB with the
 * shortest displacement, and the few instructions every translation needs
 * (mov in its shortest immediate forms, group-1 ALU with imm8/imm32, push,
 * pop, call). They only append bytes; choosing what to emit is x86_64.c's job.
 * Writes past the reserved buffer are dropped and make the pass fail.
 */
#include <errno.h>
#include "internal.h"

void emit1(struct jit_ctx *c, u8 b)
{
	if (unlikely(c->len >= c->cap)) {
		c->err = -E2BIG;
		return;
	}
	c->buf[c->len++] = b;
}

void emit2(struct jit_ctx *c, u8 a, u8 b)
{
	emit1(c, a);
	emit1(c, b);
}

void emit3(struct jit_ctx *c, u8 a, u8 b, u8 d)
{
	emit1(c, a);
	emit1(c, b);
	emit1(c, d);
}

void emit_imm32(struct jit_ctx *c, u32 v)
{
	for (int i = 0; i < 4; i++)
		emit1(c, (u8)(v >> (8 * i)));
}

void emit_imm64(struct jit_ctx *c, u64 v)
{
	emit_imm32(c, (u32)v);
	emit_imm32(c, (u32)(v >> 32));
}

/* @rm_reg: rm names a register (not a memory base) and may be a byte reg. */
static void emit_prefix(struct jit_ctx *c, u32 flags, u8 reg, u8 rm, bool rm_reg)
{
	bool byte_rex = (flags & EMIT_B8) &&
			((reg >= 4 && reg <= 7) || (rm_reg && rm >= 4 && rm <= 7));
	u8 rex = 0x40;

	if (flags & EMIT_66)
		emit1(c, 0x66);
	if (flags & EMIT_W)
		rex |= 0x08;
	if (reg & 8)
		rex |= 0x04;
	if (rm & 8)
		rex |= 0x01;
	/* spl/bpl/sil/dil exist only with a REX prefix */
	if (rex != 0x40 || byte_rex)
		emit1(c, rex);
}

static void emit_opc(struct jit_ctx *c, u32 opc)
{
	if (opc > 0xff)
		emit1(c, (u8)(opc >> 8));
	emit1(c, (u8)opc);
}

void emit_rr(struct jit_ctx *c, u32 flags, u32 opc, u8 reg, u8 rm)
{
	emit_prefix(c, flags, reg, rm, true);
	emit_opc(c, opc);
	emit1(c, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

void emit_rm(struct jit_ctx *c, u32 flags, u32 opc, u8 reg, u8 base, s32 off)
{
	u8 mod;

	/* rbp/r13 as a base have no disp0 form; rsp/r12 need a SIB byte */
	if (off == 0 && (base & 7) != X86_RBP)
		mod = 0;
	else if (jit_is_s8(off))
		mod = 1;
	else
		mod = 2;
	emit_prefix(c, flags, reg, base, false);
	emit_opc(c, opc);
	emit1(c, mod << 6 | (reg & 7) << 3 | (base & 7));
	if ((base & 7) == X86_RSP)
		emit1(c, 0x24);				/* SIB: [base] */
	if (mod == 1)
		emit1(c, (u8)off);
	else if (mod == 2)
		emit_imm32(c, (u32)off);
}

void emit_mov_rr(struct jit_ctx *c, bool is64, u8 dst, u8 src)
{
	emit_rr(c, is64 ? EMIT_W : 0, 0x89, src, dst);	/* mov dst, src */
}

void emit_mov_imm32(struct jit_ctx *c, bool is64, u8 dst, s32 imm)
{
	if (imm == 0) {
		emit_rr(c, 0, 0x31, dst, dst);		/* xor dst32, dst32 */
	} else if (!is64 || imm > 0) {
		/* mov r32, imm32 zero-extends: also right for positive 64-bit */
		if (dst & 8)
			emit1(c, 0x41);
		emit1(c, 0xb8 | (dst & 7));		/* mov r32, imm32 */
		emit_imm32(c, (u32)imm);
	} else {
		emit_rr(c, EMIT_W, 0xc7, 0, dst);	/* mov r64, simm32 */
		emit_imm32(c, (u32)imm);
	}
}

void emit_mov_imm64(struct jit_ctx *c, u8 dst, u64 v)
{
	if (v <= UINT32_MAX) {
		emit_mov_imm32(c, false, dst, (s32)(u32)v);
	} else if (jit_is_s32((s64)v)) {
		emit_mov_imm32(c, true, dst, (s32)v);
	} else {
		emit1(c, 0x48 | ((dst & 8) ? 1 : 0));	/* REX.W [B] */
		emit1(c, 0xb8 | (dst & 7));		/* movabs r64, imm64 */
		emit_imm64(c, v);
	}
}

void emit_alu_imm(struct jit_ctx *c, bool is64, u8 ext, u8 dst, s32 imm)
{
	u32 w = is64 ? EMIT_W : 0;

	if (jit_is_s8(imm)) {
		emit_rr(c, w, 0x83, ext, dst);		/* op r, imm8 */
		emit1(c, (u8)imm);
	} else if (dst == X86_RAX) {
		if (is64)
			emit1(c, 0x48);
		emit1(c, (u8)(ext << 3 | 5));		/* op eax/rax, imm32 */
		emit_imm32(c, (u32)imm);
	} else {
		emit_rr(c, w, 0x81, ext, dst);		/* op r, imm32 */
		emit_imm32(c, (u32)imm);
	}
}

void emit_lea(struct jit_ctx *c, bool is64, u8 dst, u8 base, u8 index, s32 disp)
{
	u8 mod, rex = 0x40;

	if (index == 0xff) {
		emit_rm(c, is64 ? EMIT_W : 0, 0x8d, dst, base, disp);	/* lea dst, [base+disp] */
		return;
	}
	if (disp == 0 && (base & 7) != X86_RBP)
		mod = 0;
	else
		mod = jit_is_s8(disp) ? 1 : 2;
	rex |= (is64 ? 0x08 : 0) | ((dst & 8) ? 0x04 : 0) | ((index & 8) ? 0x02 : 0) |
	       ((base & 8) ? 0x01 : 0);
	if (rex != 0x40)
		emit1(c, rex);
	emit1(c, 0x8d);						/* lea dst, [base+index+disp] */
	emit1(c, mod << 6 | (dst & 7) << 3 | 4);		/* ModRM: SIB follows */
	emit1(c, (index & 7) << 3 | (base & 7));		/* SIB: scale 1 */
	if (mod == 1)
		emit1(c, (u8)disp);
	else if (mod == 2)
		emit_imm32(c, (u32)disp);
}

void emit_push(struct jit_ctx *c, u8 reg)
{
	if (reg & 8)
		emit1(c, 0x41);
	emit1(c, 0x50 | (reg & 7));			/* push reg */
}

void emit_pop(struct jit_ctx *c, u8 reg)
{
	if (reg & 8)
		emit1(c, 0x41);
	emit1(c, 0x58 | (reg & 7));			/* pop reg */
}

void emit_call_abs(struct jit_ctx *c, const void *fn)
{
	s64 rel = (s64)(uintptr_t)fn - (s64)(uintptr_t)(c->buf + c->len + 5);

	if (!c->far_calls && jit_is_s32(rel)) {
		emit1(c, 0xe8);				/* call rel32 */
		emit_imm32(c, (u32)(s32)rel);
		return;
	}
	emit_mov_imm64(c, JIT_AUX, (u64)(uintptr_t)fn);	/* movabs r11, fn */
	emit_rr(c, 0, 0xff, 2, JIT_AUX);		/* call r11 */
}
