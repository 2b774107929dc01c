/* SPDX-License-Identifier: MIT */
/*
 * The one list of instruction forms. Every valid instruction maps onto
 * exactly one entry (bpffs_insn_classify); the structural check, the
 * interpreter's dispatch tables (fast and checked) and its decoder are all
 * generated from this list, so they cannot drift apart.
 *
 * ALU entries come as _K / _X pairs; JMP as _K / _X for the 64-bit and
 * 32-bit compare classes.
 */
#ifndef BPFFS_OPCODES_H
#define BPFFS_OPCODES_H

#define BPFFS_ALU_OPS(X)                                                        \
	X(ADD) X(SUB) X(MUL) X(DIV) X(SDIV) X(OR) X(AND) X(LSH) X(RSH)          \
	X(MOD) X(SMOD) X(XOR) X(MOV) X(ARSH)

#define BPFFS_JMP_OPS(X)                                                        \
	X(JEQ) X(JGT) X(JGE) X(JSET) X(JNE) X(JSGT) X(JSGE) X(JLT) X(JLE)      \
	X(JSLT) X(JSLE)

#define BPFFS_OP_ALU_PAIR(op) OP(op##64_K) OP(op##64_X) OP(op##32_K) OP(op##32_X)
#define BPFFS_OP_JMP_PAIR(op) OP(op##_K) OP(op##_X) OP(op##32_K) OP(op##32_X)

/* OP(name) for every instruction form. */
#define BPFFS_OPCODE_LIST                                                       \
	BPFFS_ALU_OPS(BPFFS_OP_ALU_PAIR)                                        \
	OP(NEG64) OP(NEG32)                                                     \
	OP(MOVSX64_8) OP(MOVSX64_16) OP(MOVSX64_32) OP(MOVSX32_8) OP(MOVSX32_16) \
	OP(LE16) OP(LE32) OP(LE64) OP(BE16) OP(BE32) OP(BE64)                   \
	OP(BSWAP16) OP(BSWAP32) OP(BSWAP64)                                     \
	OP(JA) OP(JA32)                                                         \
	BPFFS_JMP_OPS(BPFFS_OP_JMP_PAIR)                                        \
	OP(CALL_HELPER) OP(CALL_LOCAL) OP(CALLX) OP(TAIL_CALL) OP(EXIT)         \
	OP(LD_IMM64)                                                            \
	OP(LD_ABS_B) OP(LD_ABS_H) OP(LD_ABS_W)                                  \
	OP(LD_IND_B) OP(LD_IND_H) OP(LD_IND_W)                                  \
	OP(LDX_B) OP(LDX_H) OP(LDX_W) OP(LDX_DW)                                \
	OP(LDXS_B) OP(LDXS_H) OP(LDXS_W)                                        \
	OP(ST_B) OP(ST_H) OP(ST_W) OP(ST_DW)                                    \
	OP(STX_B) OP(STX_H) OP(STX_W) OP(STX_DW)                                \
	OP(ATOMIC32_ADD) OP(ATOMIC32_OR) OP(ATOMIC32_AND) OP(ATOMIC32_XOR)      \
	OP(ATOMIC32_FADD) OP(ATOMIC32_FOR) OP(ATOMIC32_FAND) OP(ATOMIC32_FXOR)  \
	OP(ATOMIC32_XCHG) OP(ATOMIC32_CMPXCHG)                                  \
	OP(ATOMIC64_ADD) OP(ATOMIC64_OR) OP(ATOMIC64_AND) OP(ATOMIC64_XOR)      \
	OP(ATOMIC64_FADD) OP(ATOMIC64_FOR) OP(ATOMIC64_FAND) OP(ATOMIC64_FXOR)  \
	OP(ATOMIC64_XCHG) OP(ATOMIC64_CMPXCHG)

enum bpffs_opcode {
#define OP(name) BPFFS_OP_##name,
	BPFFS_OPCODE_LIST
#undef OP
	BPFFS_OP_COUNT,
	BPFFS_OP_INVALID = -1,
};

struct bpf_insn;

/*
 * Classify one instruction (the first slot of an LD_IMM64): returns its
 * enum bpffs_opcode, or BPFFS_OP_INVALID with *why set to a static reason
 * ("unknown opcode 0x8e", "reserved field imm must be 0"). Checks the
 * instruction alone: register numbers, reserved fields, size/mode combos.
 */
int bpffs_insn_classify(const struct bpf_insn *insn, const char **why);

/* Name of an enum bpffs_opcode ("ADD64_K"), for diagnostics. */
const char *bpffs_opcode_name(int op);

#endif /* BPFFS_OPCODES_H */
