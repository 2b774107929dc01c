/* SPDX-License-Identifier: MIT */
/*
 * The BPF instruction encoding (RFC 9669), on top of the uapi <linux/bpf.h>,
 * which owns struct bpf_insn and the BPF_* constants. Adds the constants that
 * Debian 12's uapi headers predate (v4 ISA), and insn-building macros used by
 * tests and by code that emits bytecode.
 */
#ifndef BPFFS_INSN_H
#define BPFFS_INSN_H

#include <linux/bpf.h>
#include "types.h"

/* v4 ISA additions missing from linux-libc-dev 6.1 */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

#define BPFFS_MAX_REG 11 /* r0..r10 */
#define BPFFS_STACK_SIZE 512 /* bytes per frame */
#define BPFFS_MAX_CALL_FRAMES 8
#define BPFFS_MAX_TAIL_CALLS 33
#define BPFFS_MAX_INSNS 1000000

static inline bool bpffs_insn_is_wide(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Instruction builders, named like the kernel's filter.h macros. */
#define BPFFS_INSN(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), \
			    .off = (OFF), .imm = (IMM) })
#define BPFFS_ALU64_REG(OP, D, S) BPFFS_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, D, S, 0, 0)
#define BPFFS_ALU64_IMM(OP, D, I) BPFFS_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, D, 0, 0, I)
#define BPFFS_ALU32_REG(OP, D, S) BPFFS_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, D, S, 0, 0)
#define BPFFS_ALU32_IMM(OP, D, I) BPFFS_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, D, 0, 0, I)
#define BPFFS_MOV64_REG(D, S) BPFFS_ALU64_REG(BPF_MOV, D, S)
#define BPFFS_MOV64_IMM(D, I) BPFFS_ALU64_IMM(BPF_MOV, D, I)
#define BPFFS_MOV32_IMM(D, I) BPFFS_ALU32_IMM(BPF_MOV, D, I)
#define BPFFS_LDX_MEM(SZ, D, S, OFF) BPFFS_INSN(BPF_LDX | BPF_MEM | BPF_SIZE(SZ), D, S, OFF, 0)
#define BPFFS_STX_MEM(SZ, D, S, OFF) BPFFS_INSN(BPF_STX | BPF_MEM | BPF_SIZE(SZ), D, S, OFF, 0)
#define BPFFS_ST_MEM(SZ, D, OFF, I) BPFFS_INSN(BPF_ST | BPF_MEM | BPF_SIZE(SZ), D, 0, OFF, I)
#define BPFFS_ATOMIC_OP(SZ, OP, D, S, OFF) \
	BPFFS_INSN(BPF_STX | BPF_ATOMIC | BPF_SIZE(SZ), D, S, OFF, OP)
#define BPFFS_JMP_IMM(OP, D, I, OFF) BPFFS_INSN(BPF_JMP | BPF_OP(OP) | BPF_K, D, 0, OFF, I)
#define BPFFS_JMP_REG(OP, D, S, OFF) BPFFS_INSN(BPF_JMP | BPF_OP(OP) | BPF_X, D, S, OFF, 0)
#define BPFFS_JMP32_IMM(OP, D, I, OFF) BPFFS_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_K, D, 0, OFF, I)
#define BPFFS_JMP32_REG(OP, D, S, OFF) BPFFS_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_X, D, S, OFF, 0)
#define BPFFS_JA(OFF) BPFFS_INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define BPFFS_CALL_HELPER(ID) BPFFS_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define BPFFS_CALL_LOCAL(REL) BPFFS_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, REL)
#define BPFFS_EXIT() BPFFS_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* LD_IMM64 takes two slots: use as BPFFS_LD_IMM64(dst, v) inside an array. */
#define BPFFS_LD_IMM64_RAW(D, SRC, V) \
	BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, D, SRC, 0, (u32)(u64)(V)), \
	BPFFS_INSN(0, 0, 0, 0, (u32)((u64)(V) >> 32))
#define BPFFS_LD_IMM64(D, V) BPFFS_LD_IMM64_RAW(D, 0, V)

#endif /* BPFFS_INSN_H */
