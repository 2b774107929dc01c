/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared inside src/jit only: the compilation context that the
 * driver (jit.c) passes to the x86-64 translator (x86_64.c) and the byte-level
 * encoders (emit.c), plus the runtime entry points the generated code calls
 * (tail calls, legacy packet loads). Nothing outside src/jit includes this.
 */
#ifndef BPFFS_JIT_INTERNAL_H
#define BPFFS_JIT_INTERNAL_H

#include "../core/core.h"

/* x86-64 register numbers as encoded in ModRM/REX. */
enum {
	X86_RAX = 0, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Scratch registers the generated code owns (never BPF registers). */
#define JIT_AUX X86_R11		/* divisor, shift save, helper address */
#define JIT_AUX2 X86_R10	/* saved rax, blinded immediates */
#define JIT_AUX3 X86_R9		/* saved rdx */

/* Worst-case bytes emitted for one BPF instruction (checked per insn). */
#define JIT_MAX_INSN_BYTES 160
#define JIT_MAX_PROLOGUE_BYTES 48

/* One BPF-to-BPF function: its own frame, r10 and saved registers. */
struct jit_subprog {
	u32 start;		/* first insn */
	u32 end;		/* one past the last insn */
	u32 stack;		/* bytes reserved below rbp (BPF stack + alignment pad) */
	u16 saved;		/* bitmask of x86 callee-saved regs pushed (rbx, r13..r15) */
	bool use_fp;		/* r10 referenced: push rbp; mov rbp, rsp */
	u8 prologue_len;	/* bytes of prologue (constant across passes) */
};

struct jit_ctx {
	const struct bpffs_prog *prog;
	struct bpffs_vlog *log;
	u8 *buf;		/* where this pass writes (the reserved image) */
	size_t cap;
	size_t len;		/* bytes emitted in this pass */
	u32 *addrs;		/* this pass: native start of each insn, [insn_cnt] = end */
	u32 *ends;		/* this pass: native end of each insn */
	u32 *prev;		/* previous pass's addrs (used for jump distances) */
	u32 *prev_ends;		/* previous pass's ends */
	u32 *sub_of;		/* subprogram index of each insn */
	u8 *is_target;		/* insn is a jump target (no fusion across it) */
	struct jit_subprog *subs;
	u32 sub_cnt;
	bool force_near;	/* first pass: every jump in its long form */
	bool far_calls;		/* helpers out of rel32 range: movabs + call */
	bool blind;		/* constant blinding */
	u64 blind_key;
	int err;		/* sticky error of this pass */
	u32 err_insn;
};

/* ---- encoders (emit.c) ------------------------------------------------- */

#define EMIT_W 0x1		/* REX.W: 64-bit operand size */
#define EMIT_66 0x2		/* operand-size prefix: 16-bit */
#define EMIT_B8 0x4		/* byte operands: force REX for spl/bpl/sil/dil */

static inline bool jit_is_s8(s64 v)
{
	return v >= -128 && v <= 127;
}

static inline bool jit_is_s32(s64 v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

void emit1(struct jit_ctx *c, u8 b);
void emit2(struct jit_ctx *c, u8 a, u8 b);
void emit3(struct jit_ctx *c, u8 a, u8 b, u8 d);
void emit_imm32(struct jit_ctx *c, u32 v);
void emit_imm64(struct jit_ctx *c, u64 v);
/* [66] [REX] opc(1-2 bytes) ModRM(reg, rm) with rm a register. */
void emit_rr(struct jit_ctx *c, u32 flags, u32 opc, u8 reg, u8 rm);
/* [66] [REX] opc ModRM(reg, [base + off]). */
void emit_rm(struct jit_ctx *c, u32 flags, u32 opc, u8 reg, u8 base, s32 off);
/* Group opcodes (81/83/C1/F7/...): reg field is an opcode extension. */
void emit_mov_rr(struct jit_ctx *c, bool is64, u8 dst, u8 src);
void emit_mov_imm32(struct jit_ctx *c, bool is64, u8 dst, s32 imm);
void emit_mov_imm64(struct jit_ctx *c, u8 dst, u64 v);
/* ALU group 1 (ext: 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp) with imm. */
void emit_alu_imm(struct jit_ctx *c, bool is64, u8 ext, u8 dst, s32 imm);
/* lea dst, [base + index + disp] (index 0xff: none); 32-bit result unless @is64. */
void emit_lea(struct jit_ctx *c, bool is64, u8 dst, u8 base, u8 index, s32 disp);
void emit_push(struct jit_ctx *c, u8 reg);
void emit_pop(struct jit_ctx *c, u8 reg);
/* Call to an absolute address: rel32 when in range, else movabs r11 + call. */
void emit_call_abs(struct jit_ctx *c, const void *fn);

/* ---- translation (x86_64.c) -------------------------------------------- */

/* Map a BPF register number to its x86-64 register. */
u8 jit_reg(u8 bpf_reg);
/* Compute frame layout and saved registers of every subprogram. */
void jit_layout_subprogs(struct jit_ctx *c);
void jit_emit_prologue(struct jit_ctx *c, const struct jit_subprog *sub);
/* Emit insn @i; returns the number of slots consumed (1, or more when fused). */
int jit_emit_insn(struct jit_ctx *c, u32 i);

/* ---- driver (jit.c) ------------------------------------------------------ */

/*
 * For the disassembly: a malloc'd array of insn_cnt bytes, 0 except at
 * subprogram starts, where it is 1 + the length of the prologue before the insn.
 */
int jit_prologue_map(const struct bpffs_prog *prog, u8 **out);

/* ---- runtime entries called by generated code (jit.c) ------------------ */

/* Two-register return (rax, rdx): a value, and 0 when the program must end with 0. */
struct jit_ret2 {
	u64 val;
	u64 ok;
};

/* LD_ABS/LD_IND: packet bytes at (u32)(src + imm), big-endian, from the run ctx. */
struct jit_ret2 bpffs_jit_ld_pkt(u64 src, s32 imm, u32 size);
/* bpf_tail_call: native entry of the target, or 0 when the call falls through. */
u64 bpffs_jit_tail_call(u64 ctx, struct bpffs_map *map, u64 index);
/* callx: call helper @id (in the 6th argument register, r9). */
struct jit_ret2 bpffs_jit_callx(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, u64 id);

#endif /* BPFFS_JIT_INTERNAL_H */
