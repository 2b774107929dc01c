/* SPDX-License-Identifier: MIT */
/*
 * The verifier's kernel-agreement corpus: small programs as instruction
 * tables (the kernel's test_verifier rows: name, insns, maps, verdict,
 * expected log substring). tests/unit/test_verifier.c checks our verdict on
 * each and, as root with a working bpf(), that the running kernel gives the
 * stored kernel verdict. Where we differ from the kernel on purpose, the row
 * says so in .divergence.
 */
#ifndef BPFFS_VERIFIER_CASES_H
#define BPFFS_VERIFIER_CASES_H

#include "core/insn.h"

#define VC_MAX_INSNS 96
#define VC_MAX_MAPS 4

struct vc_map {
	u32 type, key_size, value_size, max_entries, flags;
	/* an array of one entry created for real, filled with these bytes
	 * and frozen before verification (as the loader does with .rodata) */
	bool frozen;
	u8 data[16];
};

enum { ACCEPT = 0, REJECT = 1 };

struct vcase {
	const char *name;
	u32 prog_type;
	struct bpf_insn insns[VC_MAX_INSNS];
	struct vc_map maps[VC_MAX_MAPS];
	int result;		/* ours: ACCEPT / REJECT */
	const char *errstr;	/* substring of our log on REJECT */
	int kernel;		/* the kernel's verdict, if different from result */
	bool kernel_differs;
	const char *divergence;	/* why we differ from the kernel */
	const char *kernel_skip;	/* why the kernel cannot load it as is */
	bool stack_zeroed;
	u32 len;		/* 0: up to the last non-empty insn */
};

/* short names for the table */
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define R10 BPF_REG_10
#define MOV(d, i) BPFFS_MOV64_IMM(d, i)
#define MOVR(d, s) BPFFS_MOV64_REG(d, s)
#define MOV32(d, i) BPFFS_MOV32_IMM(d, i)
#define ALU(op, d, i) BPFFS_ALU64_IMM(BPF_##op, d, i)
#define ALUR(op, d, s) BPFFS_ALU64_REG(BPF_##op, d, s)
#define ALU32(op, d, i) BPFFS_ALU32_IMM(BPF_##op, d, i)
#define ALU32R(op, d, s) BPFFS_ALU32_REG(BPF_##op, d, s)
#define LDX(sz, d, s, o) BPFFS_LDX_MEM(BPF_##sz, d, s, o)
#define STX(sz, d, s, o) BPFFS_STX_MEM(BPF_##sz, d, s, o)
#define ST(sz, d, o, i) BPFFS_ST_MEM(BPF_##sz, d, o, i)
#define JI(op, d, i, o) BPFFS_JMP_IMM(BPF_##op, d, i, o)
#define JR(op, d, s, o) BPFFS_JMP_REG(BPF_##op, d, s, o)
#define J32I(op, d, i, o) BPFFS_JMP32_IMM(BPF_##op, d, i, o)
#define JA(o) BPFFS_JA(o)
#define CALL(f) BPFFS_CALL_HELPER(BPF_FUNC_##f)
#define CALLL(rel) BPFFS_CALL_LOCAL(rel)
#define EXIT() BPFFS_EXIT()
#define LD_MAP(d, idx) BPFFS_LD_IMM64_RAW(d, BPF_PSEUDO_MAP_FD, idx)
#define LD_MAP_VALUE(d, idx, off) \
	BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_VALUE, 0, idx), \
	BPFFS_INSN(0, 0, 0, 0, off)
#define LD_FUNC(d, rel) BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_FUNC, 0, rel), \
	BPFFS_INSN(0, 0, 0, 0, 0)
#define RET(v) MOV(R0, v), EXIT()
/* r0 = lookup(map idx, key = 8 zero bytes at fp-8): 6 slots */
#define LOOKUP(idx) ST(DW, R10, -8, 0), MOVR(R2, R10), ALU(ADD, R2, -8), LD_MAP(R1, idx), \
	CALL(map_lookup_elem)
#define HASH8 { BPF_MAP_TYPE_HASH, 8, 8, 16, 0 }
#define HASH16 { BPF_MAP_TYPE_HASH, 8, 16, 16, 0 }
#define ARRAY1 { BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0 }
#define RINGBUF { BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0 }
#define NEEDS_FUNC_INFO "the kernel needs BTF func_info for callbacks"
#define SF BPF_PROG_TYPE_SOCKET_FILTER
#define XDP BPF_PROG_TYPE_XDP
#define TC BPF_PROG_TYPE_SCHED_CLS
/* XDP: r2 = data, r3 = data_end */
#define XDP_PKT LDX(W, R2, R1, 0), LDX(W, R3, R1, 4)
/* __sk_buff: r2 = data (76), r3 = data_end (80) */
#define SKB_PKT LDX(W, R2, R1, 76), LDX(W, R3, R1, 80)

static const struct vcase vcases[] = {
/* ------------------------------------------------------------ accepted */
{ "return a constant", SF, { RET(0) }, .result = ACCEPT },
{ "64-bit alu on constants", SF, { MOV(R0, 7), ALU(MUL, R0, 6), ALU(SUB, R0, 2), ALU(RSH, R0, 1),
	ALU(LSH, R0, 3), ALU(XOR, R0, 5), ALU(OR, R0, 8), ALU(AND, R0, 0xff), EXIT() }, .result = ACCEPT },
{ "32-bit alu zero-extends", SF, { MOV(R0, -1), ALU32(ADD, R0, 1), ALU32(ARSH, R0, 3), EXIT() },
	.result = ACCEPT },
{ "division and modulo by a register", SF, { LDX(W, R1, R1, 0), MOV(R0, 100), ALUR(DIV, R0, R1),
	ALUR(MOD, R0, R1), EXIT() }, .result = ACCEPT },
{ "store then load a stack slot", SF, { ST(DW, R10, -8, 42), LDX(DW, R0, R10, -8), EXIT() },
	.result = ACCEPT },
{ "byte stores then a word load", SF, { ST(B, R10, -4, 1), ST(B, R10, -3, 2), ST(H, R10, -2, 3),
	LDX(W, R0, R10, -4), EXIT() }, .result = ACCEPT },
{ "spilled ctx pointer keeps its type", SF, { STX(DW, R10, R1, -8), LDX(DW, R2, R10, -8),
	LDX(W, R0, R2, 0), EXIT() }, .result = ACCEPT },
{ "read skb->len", SF, { LDX(W, R0, R1, 0), EXIT() }, .result = ACCEPT },
{ "narrow read of skb->protocol", SF, { LDX(H, R0, R1, 16), EXIT() }, .result = ACCEPT },
{ "write and read skb->cb", SF, { ST(W, R1, 48, 7), LDX(W, R0, R1, 48), EXIT() },
	.result = ACCEPT },
{ "map lookup with a null check", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), LDX(DW, R0, R0, 0),
	EXIT() }, .maps = { HASH8 }, .result = ACCEPT },
{ "map lookup, write the value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), ST(DW, R0, 8, 1), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "null check propagates to a copy", SF, { LOOKUP(0), MOVR(R6, R0), JI(JEQ, R0, 0, 1),
	LDX(DW, R0, R6, 0), RET(0) }, .maps = { HASH8 }, .result = ACCEPT },
{ "null check with jne", SF, { LOOKUP(0), JI(JNE, R0, 0, 2), RET(0), LDX(DW, R0, R0, 0), EXIT() },
	.maps = { HASH8 }, .result = ACCEPT },
{ "bounded variable index into a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 5),
	LDX(W, R1, R0, 0), JI(JGT, R1, 8, 3), ALUR(ADD, R0, R1), LDX(DW, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "masked index into a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 4), LDX(W, R1, R0, 0),
	ALU(AND, R1, 7), ALUR(ADD, R0, R1), LDX(B, R0, R0, 8), RET(0) }, .maps = { HASH16 },
	.result = ACCEPT },
{ "32-bit masked index into a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 4), LDX(W, R1, R0, 0),
	ALU32(AND, R1, 15), ALUR(ADD, R0, R1), LDX(B, R0, R0, 0), RET(0) }, .maps = { HASH16 },
	.result = ACCEPT },
{ "signed bounds checks before indexing", SF, { LOOKUP(0), JI(JEQ, R0, 0, 6), LDX(DW, R1, R0, 0),
	JI(JSGT, R1, 8, 4), JI(JSLT, R1, 0, 3), ALUR(ADD, R0, R1), LDX(DW, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "jmp32 bounds check before indexing", SF, { LOOKUP(0), JI(JEQ, R0, 0, 5), LDX(W, R1, R0, 0),
	J32I(JGT, R1, 12, 3), ALUR(ADD, R0, R1), LDX(W, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "map update from stack key and value", SF, { ST(DW, R10, -8, 1), ST(DW, R10, -16, 2),
	MOVR(R2, R10), ALU(ADD, R2, -8), MOVR(R3, R10), ALU(ADD, R3, -16), LD_MAP(R1, 0), MOV(R4, 0),
	CALL(map_update_elem), RET(0) }, .maps = { HASH8 }, .result = ACCEPT },
{ "map delete", SF, { ST(DW, R10, -8, 1), MOVR(R2, R10), ALU(ADD, R2, -8), LD_MAP(R1, 0),
	CALL(map_delete_elem), EXIT() }, .maps = { HASH8 }, .result = ACCEPT },
{ "map value as the key of another lookup", SF, { LOOKUP(0), JI(JEQ, R0, 0, 4), MOVR(R2, R0),
	LD_MAP(R1, 0), CALL(map_lookup_elem), RET(0) }, .maps = { HASH8 }, .result = ACCEPT },
{ "bounded loop counting to 10", SF, { MOV(R1, 0), ALU(ADD, R1, 1), JI(JLT, R1, 10, -2), RET(0) },
	.result = ACCEPT },
{ "bounded loop summing into r0", SF, { MOV(R0, 0), MOV(R1, 0), ALUR(ADD, R0, R1),
	ALU(ADD, R1, 1), JI(JLT, R1, 100, -3), EXIT() }, .result = ACCEPT },
{ "bounded loop over a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 8), MOV(R1, 0), MOVR(R2, R0),
	ALUR(ADD, R2, R1), ST(B, R2, 0, 0), ALU(ADD, R1, 1), JI(JLT, R1, 16, -5), RET(0), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "bpf-to-bpf call", SF, { MOV(R1, 1), CALLL(1), EXIT(), MOVR(R0, R1), ALU(ADD, R0, 1), EXIT() },
	.result = ACCEPT },
{ "callee reads the caller's stack", SF, { ST(DW, R10, -8, 5), MOVR(R1, R10), ALU(ADD, R1, -8),
	CALLL(1), EXIT(), LDX(DW, R0, R1, 0), EXIT() }, .result = ACCEPT },
{ "callee keeps callee-saved registers", SF, { MOV(R6, 3), CALLL(2), MOVR(R0, R6), EXIT(),
	MOV(R0, 0), EXIT() }, .result = ACCEPT },
{ "bpf_loop with a callback", SF, { MOV(R1, 10), LD_FUNC(R2, 6), MOV(R3, 0), MOV(R4, 0),
	CALL(loop), RET(0), RET(0) }, .result = ACCEPT, .kernel_skip = NEEDS_FUNC_INFO },
{ "bpf_loop callback writes the caller's stack", SF, { ST(DW, R10, -8, 0), MOV(R1, 4),
	LD_FUNC(R2, 7), MOVR(R3, R10), ALU(ADD, R3, -8), MOV(R4, 0), CALL(loop), RET(0),
	ST(DW, R2, 0, 1), RET(0) }, .result = ACCEPT, .kernel_skip = NEEDS_FUNC_INFO },
{ "ringbuf reserve and submit", SF, { LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0),
	CALL(ringbuf_reserve), JI(JEQ, R0, 0, 4), ST(DW, R0, 0, 1), MOVR(R1, R0), MOV(R2, 0),
	CALL(ringbuf_submit), RET(0) }, .maps = { RINGBUF }, .result = ACCEPT },
{ "ringbuf reserve and discard", SF, { LD_MAP(R1, 0), MOV(R2, 16), MOV(R3, 0),
	CALL(ringbuf_reserve), JI(JEQ, R0, 0, 3), MOVR(R1, R0), MOV(R2, 0), CALL(ringbuf_discard),
	RET(0) }, .maps = { RINGBUF }, .result = ACCEPT },
{ "ringbuf output from the stack", SF, { ST(DW, R10, -8, 1), LD_MAP(R1, 0), MOVR(R2, R10),
	ALU(ADD, R2, -8), MOV(R3, 8), MOV(R4, 0), CALL(ringbuf_output), RET(0) },
	.maps = { RINGBUF }, .result = ACCEPT },
{ "xdp packet read after a bounds check", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 14),
	JR(JGT, R4, R3, 1), LDX(H, R0, R2, 12), RET(2) }, .result = ACCEPT },
{ "xdp bounds check with reversed operands", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 14),
	JR(JLT, R3, R4, 1), LDX(H, R0, R2, 12), RET(2) }, .result = ACCEPT },
{ "xdp bounds check with jle taken branch", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 8),
	JR(JLE, R4, R3, 2), RET(1), LDX(DW, R0, R2, 0), RET(2) }, .result = ACCEPT },
{ "xdp packet write after a bounds check", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 6),
	JR(JGT, R4, R3, 1), ST(W, R2, 0, 0), RET(2) }, .result = ACCEPT },
{ "xdp variable packet offset then check", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 1),
	JR(JGT, R4, R3, 7), LDX(B, R5, R2, 0), ALU(AND, R5, 15), ALUR(ADD, R2, R5), MOVR(R4, R2),
	ALU(ADD, R4, 4), JR(JGT, R4, R3, 1), LDX(W, R0, R2, 0), RET(2) }, .result = ACCEPT },
{ "xdp packet range survives a spill", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 4),
	JR(JGT, R4, R3, 3), STX(DW, R10, R2, -8), LDX(DW, R5, R10, -8), LDX(W, R0, R5, 0), RET(2) },
	.result = ACCEPT },
{ "xdp adjust_head", XDP, { MOV(R2, 0), CALL(xdp_adjust_head), RET(2) }, .result = ACCEPT },
{ "tc packet write after a bounds check", TC, { SKB_PKT, MOVR(R4, R2), ALU(ADD, R4, 2),
	JR(JGT, R4, R3, 1), ST(H, R2, 0, 0), RET(0) }, .result = ACCEPT },
{ "tc writes skb->mark", TC, { ST(W, R1, 8, 1), RET(0) }, .result = ACCEPT },
{ "tc reloads packet pointers after skb_pull_data", TC, { MOVR(R6, R1), MOV(R2, 14),
	CALL(skb_pull_data), LDX(W, R2, R6, 76), LDX(W, R3, R6, 80), MOVR(R4, R2), ALU(ADD, R4, 14),
	JR(JGT, R4, R3, 1), LDX(B, R0, R2, 0), RET(0) }, .result = ACCEPT },
{ "skb_load_bytes into the stack, then read it", SF, { MOV(R2, 0), MOVR(R3, R10),
	ALU(ADD, R3, -8), MOV(R4, 8), CALL(skb_load_bytes), LDX(DW, R0, R10, -8), EXIT() },
	.result = ACCEPT },
{ "ld_abs and ld_ind in a socket filter", SF, { MOVR(R6, R1),
	BPFFS_INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12), MOV(R7, 2),
	BPFFS_INSN(BPF_LD | BPF_IND | BPF_B, 0, R7, 0, 12), EXIT() }, .result = ACCEPT },
{ "direct map value (global data)", SF, { LD_MAP_VALUE(R1, 0, 4), LDX(W, R0, R1, 0), EXIT() },
	.maps = { ARRAY1 }, .result = ACCEPT },
{ "atomic add on a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 2), MOV(R1, 1),
	BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, R0, R1, 0), RET(0) }, .maps = { HASH8 }, .result = ACCEPT },
{ "atomic fetch-add on the stack", SF, { ST(DW, R10, -8, 0), MOV(R1, 1),
	BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R10, R1, -8), MOVR(R0, R1), EXIT() },
	.result = ACCEPT },
{ "root: variable-offset stack read", SF, { ST(DW, R10, -16, 0), ST(DW, R10, -8, 0),
	LDX(W, R1, R1, 0), ALU(AND, R1, 7), MOVR(R2, R10), ALU(ADD, R2, -16), ALUR(ADD, R2, R1),
	LDX(B, R0, R2, 0), EXIT() }, .result = ACCEPT },
{ "root: pointer comparison", SF, { MOVR(R2, R10), MOV(R0, 0), JR(JEQ, R2, R1, 1), MOV(R0, 1),
	EXIT() }, .result = ACCEPT },
{ "root: pointer subtraction gives a scalar", SF, { MOVR(R2, R10), MOVR(R3, R10),
	ALU(ADD, R3, -8), ALUR(SUB, R2, R3), MOVR(R0, R2), EXIT() }, .result = ACCEPT },
{ "tail call through a prog array", SF, { LD_MAP(R2, 0), MOV(R3, 0), CALL(tail_call), RET(0) },
	.maps = { { BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0 } }, .result = ACCEPT },
{ "perf_event_output from the stack", SF, { ST(DW, R10, -8, 1), LD_MAP(R2, 0), MOV(R3, 0),
	MOVR(R4, R10), ALU(ADD, R4, -8), MOV(R5, 8), CALL(perf_event_output), RET(0) },
	.maps = { { BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0 } }, .result = ACCEPT },
{ "helper size from a masked scalar", SF, { MOVR(R6, R1), CALL(get_prandom_u32),
	ALU(AND, R0, 7), ALU(ADD, R0, 1), MOVR(R4, R0), MOVR(R1, R6), MOV(R2, 0), MOVR(R3, R10),
	ALU(ADD, R3, -8), CALL(skb_load_bytes), RET(0) }, .result = ACCEPT },
{ "for_each_map_elem with a callback", SF, { LD_MAP(R1, 0), LD_FUNC(R2, 6), MOV(R3, 0),
	MOV(R4, 0), CALL(for_each_map_elem), RET(0), LDX(DW, R0, R3, 0), RET(0) },
	.maps = { HASH8 }, .result = ACCEPT, .kernel_skip = NEEDS_FUNC_INFO },
{ "queue push and pop", SF, { ST(DW, R10, -8, 1), LD_MAP(R1, 0), MOVR(R2, R10), ALU(ADD, R2, -8),
	MOV(R3, 0), CALL(map_push_elem), LD_MAP(R1, 0), MOVR(R2, R10), ALU(ADD, R2, -16),
	CALL(map_pop_elem), RET(0) }, .maps = { { BPF_MAP_TYPE_QUEUE, 0, 8, 4, 0 } },
	.result = ACCEPT },
{ "byte swap of a scalar", SF, { LDX(W, R0, R1, 0), BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 0, 32),
	BPFFS_INSN(BPF_ALU64 | BPF_END, R0, 0, 0, 16), EXIT() }, .result = ACCEPT },
{ "sign-extending move", SF, { MOV(R1, 0xff), BPFFS_INSN(BPF_ALU64 | BPF_MOV | BPF_X, R0, R1, 8, 0),
	EXIT() }, .result = ACCEPT },
{ "sign-extending load from the stack", SF, { ST(W, R10, -4, -5),
	BPFFS_INSN(BPF_LDX | BPF_MEMSX | BPF_W, R0, R10, -4, 0), EXIT() }, .result = ACCEPT },
{ "a branch the verifier proves dead", SF, { MOV(R1, 5), JI(JGT, R1, 10, 2), RET(0),
	LDX(DW, R0, R1, 0), EXIT() }, .result = ACCEPT },
{ "state pruning at a join point", SF, { LDX(W, R1, R1, 0), MOV(R0, 0), JI(JGT, R1, 3, 1),
	MOV(R0, 1), JI(JGT, R1, 5, 1), MOV(R0, 2), EXIT() }, .result = ACCEPT },
{ "gotol (32-bit jump offset)", SF, { LDX(W, R1, R1, 0), JI(JEQ, R1, 0, 2), MOV(R0, 1),
	BPFFS_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 1), MOV(R0, 2), EXIT() },
	.result = ACCEPT },
{ "signed division (v4)", SF, { LDX(W, R1, R1, 0), MOV(R0, -100),
	BPFFS_INSN(BPF_ALU64 | BPF_DIV | BPF_X, R0, R1, 1, 0), EXIT() }, .result = ACCEPT },
{ "linked scalar copy learns the bound", SF, { LOOKUP(0), JI(JEQ, R0, 0, 6), LDX(W, R1, R0, 0),
	MOVR(R2, R1), JI(JGT, R2, 8, 3), ALUR(ADD, R0, R1), LDX(DW, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = ACCEPT },
{ "stack zeroed at start: uninitialised read allowed", SF, { LDX(DW, R0, R10, -8), EXIT() },
	.result = ACCEPT, .stack_zeroed = true },
{ "cgroup_skb returns 1", BPF_PROG_TYPE_CGROUP_SKB, { RET(1) }, .result = ACCEPT },
{ "array lookup of a constant key", SF, { ST(W, R10, -4, 0), MOVR(R2, R10), ALU(ADD, R2, -4),
	LD_MAP(R1, 0), CALL(map_lookup_elem), JI(JEQ, R0, 0, 1), LDX(W, R0, R0, 12), RET(0) },
	.maps = { { BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0 } }, .result = ACCEPT },
{ "deeply nested but allowed calls", SF, { CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(),
	CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), RET(0) },
	.result = ACCEPT },

{ "timer program reads its context", 0x1000, { LDX(DW, R0, R1, 8), EXIT() }, .result = ACCEPT,
	.kernel_skip = "bpffs-user program type" },
{ "inotify program reads the name", 0x1001, { LDX(B, R0, R1, 12), LDX(W, R2, R1, 0), EXIT() },
	.result = ACCEPT, .kernel_skip = "bpffs-user program type" },

/* ------------------------------------------------------------ rejected */
{ "exit without setting r0", SF, { EXIT() }, .result = REJECT, .errstr = "R0 !read_ok" },
{ "read of an uninitialised register", SF, { MOVR(R0, R2), EXIT() }, .result = REJECT,
	.errstr = "R2 !read_ok" },
{ "write to the frame pointer", SF, { MOV(R10, 1), RET(0) }, .result = REJECT,
	.errstr = "frame pointer is read only" },
{ "dereference of a scalar", SF, { MOV(R1, 0), LDX(DW, R0, R1, 0), EXIT() }, .result = REJECT,
	.errstr = "R1 invalid mem access 'scalar'" },
{ "map value used without a null check", SF, { LOOKUP(0), LDX(DW, R0, R0, 0), EXIT() },
	.maps = { HASH8 }, .result = REJECT, .errstr = "R0 invalid mem access 'map_value_or_null'" },
{ "map value read past the end", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), LDX(DW, R0, R0, 8), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "invalid access to map value, value_size=8 off=8 size=8" },
{ "map value read before the start", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), LDX(W, R0, R0, -4),
	RET(0) }, .maps = { HASH8 }, .result = REJECT, .errstr = "invalid access to map value" },
{ "map value write overruns by one byte", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), ST(W, R0, 13, 0),
	RET(0) }, .maps = { HASH16 }, .result = REJECT, .errstr = "invalid access to map value, value_size=16 off=13 size=4" },
{ "unbounded index into a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 3), LDX(DW, R1, R0, 0),
	ALUR(ADD, R0, R1), LDX(B, R0, R0, 0), RET(0) }, .maps = { HASH16 }, .result = REJECT,
	.errstr = "math between map_value pointer and register with unbounded min value" },
{ "index checked one too far", SF, { LOOKUP(0), JI(JEQ, R0, 0, 5), LDX(W, R1, R0, 0),
	JI(JGT, R1, 9, 3), ALUR(ADD, R0, R1), LDX(DW, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = REJECT, .errstr = "invalid access to map value, value_size=16 off=9 size=8" },
{ "index without a lower bound", SF, { LOOKUP(0), JI(JEQ, R0, 0, 5), LDX(DW, R1, R0, 0),
	JI(JSGT, R1, 8, 3), ALUR(ADD, R0, R1), LDX(DW, R0, R0, 0), EXIT(), RET(0) },
	.maps = { HASH16 }, .result = REJECT, .errstr = "register with unbounded min value is not allowed" },
{ "uninitialised stack read", SF, { LDX(DW, R0, R10, -8), EXIT() }, .result = REJECT,
	.errstr = "invalid read from stack off -8+0 size 8", .kernel_differs = true, .kernel = ACCEPT,
	.divergence = "the kernel's root profile allows reading uninitialised stack; we do unless the runtime zeroes it" },
{ "partly initialised stack read", SF, { ST(W, R10, -8, 0), LDX(DW, R0, R10, -8), EXIT() },
	.result = REJECT, .errstr = "invalid read from stack off -8+4 size 8", .kernel_differs = true,
	.kernel = ACCEPT, .divergence = "as above: uninitialised stack bytes" },
{ "read across a spilled slot into unwritten bytes", SF, { ST(DW, R10, -40, 3),
	LDX(DW, R0, R10, -34), EXIT() }, .result = REJECT,
	.errstr = "misaligned stack access off 0+0+-34 size 8" },
{ "read across two slots, one unwritten", SF, { ST(W, R10, -36, 3), ST(W, R10, -40, 3),
	LDX(DW, R0, R10, -40), LDX(DW, R0, R10, -32), EXIT() }, .result = REJECT,
	.errstr = "invalid read from stack off -32+0 size 8", .kernel_differs = true,
	.kernel = ACCEPT, .divergence = "uninitialised stack (root profile)" },
{ "stack write below the frame", SF, { ST(DW, R10, -520, 0), RET(0) }, .result = REJECT,
	.errstr = "invalid write to stack R10 off=-520 size=8" },
{ "stack write above the frame pointer", SF, { ST(DW, R10, 0, 0), RET(0) }, .result = REJECT,
	.errstr = "invalid write to stack R10 off=0 size=8" },
{ "xdp packet read without a bounds check", XDP, { XDP_PKT, LDX(H, R0, R2, 12), EXIT() },
	.result = REJECT, .errstr = "invalid access to packet, off=12 size=2" },
{ "xdp packet bounds check off by one", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 13),
	JR(JGT, R4, R3, 1), LDX(H, R0, R2, 12), RET(2) }, .result = REJECT,
	.errstr = "invalid access to packet, off=12 size=2" },
{ "xdp packet read on the wrong branch", XDP, { XDP_PKT, MOVR(R4, R2), ALU(ADD, R4, 14),
	JR(JGT, R4, R3, 2), RET(2), LDX(H, R0, R2, 12), EXIT() }, .result = REJECT,
	.errstr = "invalid access to packet" },
{ "socket filter cannot read skb->data", SF, { LDX(W, R0, R1, 76), EXIT() }, .result = REJECT,
	.errstr = "invalid bpf_context access off=76 size=4" },
{ "socket filter cannot write skb->len", SF, { ST(W, R1, 0, 1), RET(0) }, .result = REJECT,
	.errstr = "invalid bpf_context access off=0 size=4" },
{ "ctx read beyond the struct", SF, { LDX(W, R0, R1, 4096), EXIT() }, .result = REJECT,
	.errstr = "invalid bpf_context access off=4096 size=4" },
{ "misaligned ctx read", SF, { LDX(W, R0, R1, 2), EXIT() }, .result = REJECT,
	.errstr = "invalid bpf_context access off=2 size=4" },
{ "xdp cannot write the context", XDP, { ST(W, R1, 12, 0), RET(2) }, .result = REJECT,
	.errstr = "invalid bpf_context access off=12 size=4" },
{ "xdp egress_ifindex outside devmap", XDP, { LDX(W, R0, R1, 20), EXIT() }, .result = REJECT,
	.errstr = "invalid bpf_context access off=20 size=4" },
{ "modified ctx pointer dereferenced", SF, { ALU(ADD, R1, 4), LDX(W, R0, R1, 0), EXIT() },
	.result = REJECT, .errstr = "dereference of modified ctx ptr R1 off=4 disallowed" },
{ "infinite loop", SF, { MOV(R0, 0), LDX(W, R1, R1, 0), JI(JEQ, R1, 0, 1), JA(-1), EXIT() },
	.result = REJECT, .errstr = "infinite loop detected at insn 3" },
{ "loop that never changes its condition", SF, { MOV(R0, 0), MOV(R1, 0), JI(JEQ, R1, 0, -1),
	EXIT() }, .result = REJECT, .errstr = "infinite loop detected" },
{ "unbounded loop hits the instruction limit", SF, { LDX(W, R1, R1, 0), ALU(ADD, R1, 1),
	JI(JNE, R1, 0, -2), RET(0) }, .result = REJECT, .errstr = "BPF program is too large" },
{ "r1 is unreadable after a helper call", SF, { CALL(ktime_get_ns), MOVR(R0, R1), EXIT() },
	.result = REJECT, .errstr = "R1 !read_ok" },
{ "r5 is unreadable after a bpf-to-bpf call", SF, { MOV(R5, 1), CALLL(2), MOVR(R0, R5), EXIT(),
	RET(0) }, .result = REJECT, .errstr = "R5 !read_ok" },
{ "map lookup with a scalar map", SF, { ST(DW, R10, -8, 0), MOVR(R2, R10), ALU(ADD, R2, -8),
	MOV(R1, 0), CALL(map_lookup_elem), RET(0) }, .result = REJECT,
	.errstr = "R1 type=scalar expected=map_ptr" },
{ "map lookup with a scalar key", SF, { LD_MAP(R1, 0), MOV(R2, 0), CALL(map_lookup_elem), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "R2 type=scalar expected=" },
{ "map key shorter than key_size", SF, { ST(W, R10, -4, 0), MOVR(R2, R10), ALU(ADD, R2, -4),
	LD_MAP(R1, 0), CALL(map_lookup_elem), RET(0) }, .maps = { HASH8 }, .result = REJECT,
	.errstr = "invalid indirect access to stack R2 off=-4 size=8" },
{ "ringbuf record leaked", SF, { LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0), CALL(ringbuf_reserve),
	RET(0) }, .maps = { RINGBUF }, .result = REJECT, .errstr = "Unreleased reference" },
{ "ringbuf record leaked on one path", SF, { MOVR(R6, R1), LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0),
	CALL(ringbuf_reserve), JI(JEQ, R0, 0, 6), LDX(W, R1, R6, 0), JI(JEQ, R1, 0, 3), MOVR(R1, R0),
	MOV(R2, 0), CALL(ringbuf_submit), RET(0) }, .maps = { RINGBUF }, .result = REJECT,
	.errstr = "Unreleased reference" },
{ "ringbuf record used after submit", SF, { LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0),
	CALL(ringbuf_reserve), JI(JEQ, R0, 0, 5), MOVR(R6, R0), MOVR(R1, R0), MOV(R2, 0),
	CALL(ringbuf_submit), ST(DW, R6, 0, 1), RET(0) }, .maps = { RINGBUF }, .result = REJECT,
	.errstr = "R6 invalid mem access 'scalar'" },
{ "ringbuf record written past its size", SF, { LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0),
	CALL(ringbuf_reserve), JI(JEQ, R0, 0, 4), ST(DW, R0, 4, 1), MOVR(R1, R0), MOV(R2, 0),
	CALL(ringbuf_submit), RET(0) }, .maps = { RINGBUF }, .result = REJECT,
	.errstr = "invalid access to memory, mem_size=8 off=4 size=8" },
{ "ringbuf submit of a map value", SF, { LOOKUP(0), JI(JEQ, R0, 0, 3), MOVR(R1, R0), MOV(R2, 0),
	CALL(ringbuf_submit), RET(0) }, .maps = { HASH8 }, .result = REJECT,
	.errstr = "R1 type=map_value expected=ringbuf_mem" },
{ "ringbuf reserve of a variable size", SF, { LDX(W, R2, R1, 0), LD_MAP(R1, 0), MOV(R3, 0),
	CALL(ringbuf_reserve), RET(0) }, .maps = { RINGBUF }, .result = REJECT,
	.errstr = "R2 is not a known constant" },
{ "ringbuf record not null-checked", SF, { LD_MAP(R1, 0), MOV(R2, 8), MOV(R3, 0),
	CALL(ringbuf_reserve), ST(DW, R0, 0, 1), MOVR(R1, R0), MOV(R2, 0), CALL(ringbuf_submit),
	RET(0) }, .maps = { RINGBUF }, .result = REJECT, .errstr = "R0 invalid mem access 'mem_or_null'" },
{ "unreachable instruction", SF, { JA(1), MOV(R0, 1), RET(0) }, .result = REJECT,
	.errstr = "unreachable insn 1" },
{ "jump into the middle of ld_imm64", SF, { JA(1), BPFFS_LD_IMM64(R0, 1), EXIT() },
	.result = REJECT, .errstr = "jump into the middle of ldimm64" },
{ "jump out of range", SF, { JA(5), RET(0) }, .result = REJECT, .errstr = "jump out of range" },
{ "call stack too deep", SF, { CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1),
	EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), CALLL(1), EXIT(), RET(0) },
	.result = REJECT, .errstr = "the call stack of 9 frames is too deep" },
{ "recursion", SF, { CALLL(1), EXIT(), CALLL(-1), EXIT() }, .result = REJECT,
	.errstr = "too deep" },
{ "combined stack too large", SF, { ST(DW, R10, -512, 0), CALLL(2), RET(0), ST(DW, R10, -64, 0),
	RET(0) }, .result = REJECT, .errstr = "combined stack size of 2 calls is 576. Too large" },
{ "stack pointer returned to the caller", SF, { CALLL(1), EXIT(), MOVR(R0, R10), ALU(ADD, R0, -8),
	EXIT() }, .result = REJECT, .errstr = "cannot return stack pointer to the caller" },
{ "pointer arithmetic on a map pointer", SF, { LD_MAP(R1, 0), ALU(ADD, R1, 8), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "R1 pointer arithmetic on map_ptr prohibited" },
{ "pointer arithmetic before the null check", SF, { LOOKUP(0), ALU(ADD, R0, 8), RET(0) },
	.maps = { HASH8 }, .result = REJECT,
	.errstr = "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first" },
{ "32-bit pointer arithmetic", SF, { MOVR(R2, R10), ALU32(ADD, R2, -8), RET(0) },
	.result = REJECT, .errstr = "R2 32-bit pointer arithmetic prohibited" },
{ "bitwise and on a pointer", SF, { MOVR(R2, R10), ALU(AND, R2, -8), RET(0) }, .result = REJECT,
	.errstr = "R2 pointer arithmetic with &= operator prohibited" },
{ "pointer plus pointer", SF, { MOVR(R2, R10), ALUR(ADD, R2, R1), RET(0) }, .result = REJECT,
	.errstr = "R2 pointer += pointer prohibited" },
{ "scalar minus pointer", SF, { MOV(R2, 0), ALUR(SUB, R2, R10), RET(0) }, .result = REJECT,
	.errstr = "R2 tried to subtract pointer from scalar" },
{ "packet end is not readable", XDP, { XDP_PKT, LDX(B, R0, R3, 0), EXIT() }, .result = REJECT,
	.errstr = "R3 invalid mem access 'pkt_end'" },
{ "arithmetic on packet end", XDP, { XDP_PKT, ALU(ADD, R3, -4), RET(2) }, .result = REJECT,
	.errstr = "R3 pointer arithmetic on pkt_end prohibited" },
{ "packet pointer dead after skb_pull_data", TC, { MOVR(R6, R1), SKB_PKT, MOVR(R7, R2),
	MOVR(R1, R6), MOV(R2, 14), CALL(skb_pull_data), LDX(B, R0, R7, 0), EXIT() },
	.result = REJECT, .errstr = "R7 invalid mem access 'scalar'" },
{ "helper not allowed for socket filters", SF, { MOV(R2, 0), MOV(R3, 0), MOV(R4, 0), MOV(R5, 0),
	CALL(skb_store_bytes), RET(0) }, .result = REJECT,
	.errstr = "unknown func bpf_skb_store_bytes#9" },
{ "bpf_loop callback returns 2", SF, { MOV(R1, 10), LD_FUNC(R2, 6), MOV(R3, 0), MOV(R4, 0),
	CALL(loop), RET(0), RET(2) }, .result = REJECT,
	.errstr = "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]" , .kernel_skip = NEEDS_FUNC_INFO },
{ "bpf_loop callback that is a scalar", SF, { MOV(R1, 10), MOV(R2, 0), MOV(R3, 0), MOV(R4, 0),
	CALL(loop), RET(0) }, .result = REJECT, .errstr = "R2 type=scalar expected=func" },
{ "bpf_loop callback reads an unset register", SF, { MOV(R1, 10), LD_FUNC(R2, 6), MOV(R3, 0),
	MOV(R4, 0), CALL(loop), RET(0), MOVR(R0, R3), RET(0) }, .result = REJECT,
	.errstr = "R3 !read_ok" , .kernel_skip = NEEDS_FUNC_INFO },
{ "tail call with a hash map", SF, { LD_MAP(R2, 0), MOV(R3, 0), CALL(tail_call), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "cannot pass map_type 1 into func bpf_tail_call#12" },
{ "lookup in a ringbuf", SF, { LOOKUP(0), RET(0) }, .maps = { RINGBUF }, .result = REJECT,
	.errstr = "cannot pass map_type 27 into func bpf_map_lookup_elem#1" },
{ "helper memory size unbounded", SF, { MOVR(R6, R1), CALL(get_prandom_u32), MOVR(R4, R0),
	MOVR(R1, R6), MOV(R2, 0), MOVR(R3, R10), ALU(ADD, R3, -8), CALL(skb_load_bytes), RET(0) },
	.result = REJECT, .errstr = "R4 min value is negative" },
{ "helper memory size larger than the buffer", SF, { MOV(R2, 0), MOVR(R3, R10),
	ALU(ADD, R3, -8), MOV(R4, 16), CALL(skb_load_bytes), RET(0) }, .result = REJECT,
	.errstr = "invalid indirect access to stack R3 off=-8 size=16" },
{ "helper zero size not allowed", SF, { MOV(R2, 0), MOVR(R3, R10), ALU(ADD, R3, -8), MOV(R4, 0),
	CALL(skb_load_bytes), RET(0) }, .result = REJECT, .errstr = "R4 invalid zero-sized read" },
{ "helper reads uninitialised stack", SF, { LD_MAP(R1, 0), MOVR(R2, R10), ALU(ADD, R2, -8),
	MOV(R3, 8), MOV(R4, 0), CALL(ringbuf_output), RET(0) }, .maps = { RINGBUF },
	.result = REJECT, .errstr = "invalid indirect read from stack R2 off -8+0 size 8",
	.kernel_differs = true, .kernel = ACCEPT, .divergence = "uninitialised stack (root profile)" },
{ "ld_abs in xdp", XDP, { MOVR(R6, R1), BPFFS_INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),
	EXIT() }, .result = REJECT, .errstr = "BPF_LD_[ABS|IND] instructions not allowed for this program type" },
{ "ld_abs without the context in r6", SF, { BPFFS_INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),
	EXIT() }, .result = REJECT, .errstr = "R6 !read_ok" },
{ "pointer spilled with a 4-byte store", SF, { STX(W, R10, R1, -8), RET(0) }, .result = REJECT,
	.errstr = "invalid size of register spill" },
{ "spilled pointer read back partially", SF, { STX(DW, R10, R1, -8), LDX(W, R0, R10, -8), EXIT() },
	.result = REJECT, .errstr = "invalid size of register fill" },
{ "write into a read-only map", SF, { LOOKUP(0), JI(JEQ, R0, 0, 1), ST(DW, R0, 0, 1), RET(0) },
	.maps = { { BPF_MAP_TYPE_HASH, 8, 8, 16, BPF_F_RDONLY_PROG } }, .result = REJECT,
	.errstr = "write into map forbidden" },
{ "cgroup_skb returns 5", BPF_PROG_TYPE_CGROUP_SKB, { RET(5) }, .result = REJECT,
	.errstr = "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]",
	.kernel_skip = "the kernel's cgroup_skb range depends on the attach type (not set here)" },
{ "return a pointer from cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB, { MOVR(R0, R10), EXIT() },
	.result = REJECT, .errstr = "R0 leaks addr as return value" },
{ "direct map value offset out of range", SF, { LD_MAP_VALUE(R1, 0, 16), RET(0) },
	.maps = { ARRAY1 }, .result = REJECT, .errstr = "invalid access to map value pointer" },
{ "bad map index", SF, { LD_MAP(R1, 3), RET(0) }, .maps = { HASH8 }, .result = REJECT,
	.errstr = "fd 3 is not pointing to valid bpf_map", .kernel_skip = "needs an invalid fd" },
{ "unknown opcode", SF, { BPFFS_INSN(0xff, 0, 0, 0, 0), RET(0) }, .result = REJECT,
	.errstr = "invalid insn code 0xff" },
{ "variable stack write out of bounds", SF, { LDX(W, R1, R1, 0), ALU(AND, R1, 15),
	MOVR(R2, R10), ALU(ADD, R2, -8), ALUR(ADD, R2, R1), ST(B, R2, 0, 0), RET(0) },
	.result = REJECT, .errstr = "invalid variable-offset write to stack R2" },
{ "atomic on the context", SF, { MOV(R2, 1), BPFFS_ATOMIC_OP(BPF_W, BPF_ADD, R1, R2, 0), RET(0) },
	.result = REJECT, .errstr = "BPF_ATOMIC stores into R1 ctx is not allowed" },
{ "spin lock without BTF-described map", SF, { LOOKUP(0), JI(JEQ, R0, 0, 7), MOVR(R6, R0),
	MOVR(R1, R0), CALL(spin_lock), MOVR(R1, R6), CALL(spin_lock), RET(0), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "function calls are not allowed while holding a lock",
	.kernel_skip = "the kernel needs BTF for bpf_spin_lock" },
{ "exit while holding a spin lock", SF, { LOOKUP(0), JI(JEQ, R0, 0, 2), MOVR(R1, R0),
	CALL(spin_lock), RET(0) }, .maps = { HASH8 }, .result = REJECT,
	.errstr = "BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region",
	.kernel_skip = "the kernel needs BTF for bpf_spin_lock" },
{ "helper call while holding a spin lock", SF, { LOOKUP(0), JI(JEQ, R0, 0, 5), MOVR(R6, R0),
	MOVR(R1, R0), CALL(spin_lock), CALL(ktime_get_ns), MOVR(R1, R6), CALL(spin_unlock), RET(0) },
	.maps = { HASH8 }, .result = REJECT, .errstr = "function calls are not allowed while holding a lock",
	.kernel_skip = "the kernel needs BTF for bpf_spin_lock" },
{ "unlock without a lock", SF, { LOOKUP(0), JI(JEQ, R0, 0, 2), MOVR(R1, R0), CALL(spin_unlock),
	RET(0) }, .maps = { HASH8 }, .result = REJECT, .errstr = "bpf_spin_unlock without taking a lock",
	.kernel_skip = "the kernel needs BTF for bpf_spin_lock" },
{ "kfunc call", SF, { BPFFS_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1), RET(0) },
	.result = REJECT, .errstr = "kfunc calls are not supported", .kernel_skip = "needs a BTF id" },
{ "timer context is read-only", 0x1000, { ST(DW, R1, 0, 0), RET(0) }, .result = REJECT,
	.errstr = "invalid bpf_context access off=0 size=8", .kernel_skip = "bpffs-user program type" },
{ "inotify context ends after the name", 0x1001, { LDX(W, R0, R1, 268), EXIT() },
	.result = REJECT, .errstr = "invalid bpf_context access off=268 size=4",
	.kernel_skip = "bpffs-user program type" },
{ "pointer read from a map value is a scalar", SF, { LOOKUP(0), JI(JEQ, R0, 0, 3),
	STX(DW, R0, R10, 0), LDX(DW, R1, R0, 0), LDX(DW, R0, R1, 0), RET(0) }, .maps = { HASH8 },
	.result = REJECT, .errstr = "R1 invalid mem access 'scalar'" },
/* r0 = map_lookup_percpu_elem(map 0, key = 0 at fp-4, cpu 0) */
#define LOOKUP_PERCPU ST(W, R10, -4, 0), MOVR(R2, R10), ALU(ADD, R2, -4), LD_MAP(R1, 0), \
	MOV(R3, 0), CALL(map_lookup_percpu_elem)
/* .rodata constants (cilium-core's .rodata.config): a load from a frozen
 * read-only map at a constant offset is that constant; 3 + 12 fits 16 bytes */
#define RODATA(b) { BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG, true, { b } }
#define RODATA_INDEX LD_MAP_VALUE(R1, 0, 0), LDX(B, R2, R1, 0), ALUR(ADD, R1, R2), \
	LDX(B, R0, R1, 12), EXIT()
{ "offset read from frozen rodata is a constant", SF, { RODATA_INDEX }, .maps = { RODATA(3) },
	.result = ACCEPT },
{ "constant from frozen rodata past the value", SF, { RODATA_INDEX }, .maps = { RODATA(5) },
	.result = REJECT, .errstr = "invalid access to map value, value_size=16 off=17 size=1" },
{ "read-only map not frozen is not a constant", SF, { RODATA_INDEX },
	.maps = { { BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG, false, { 3 } } },
	.result = REJECT, .errstr = "invalid access to map value, value_size=16 off=267 size=1" },
/* uninitialised stack (root profile) with runtime zeroing: build/ringbuf_uninit.o */
{ "helper reads unwritten stack, runtime zeroes it", SF, { LD_MAP(R1, 0), MOVR(R2, R10),
	ALU(ADD, R2, -8), MOV(R3, 8), MOV(R4, 0), CALL(ringbuf_output), RET(0) },
	.maps = { RINGBUF }, .result = ACCEPT, .stack_zeroed = true },
/* ... but an unwritten byte is unknown to the verifier, not zero, as in the
 * kernel: here the non-zero branch dereferences a scalar */
{ "unwritten stack slot is not known zero", SF, { LDX(DW, R1, R10, -8), JI(JEQ, R1, 0, 2),
	LDX(B, R0, R1, 0), EXIT(), RET(0) }, .result = REJECT,
	.errstr = "R1 invalid mem access 'scalar'", .stack_zeroed = true },
{ "update of a read-only map", SF, { ST(W, R10, -4, 0), MOVR(R2, R10), ALU(ADD, R2, -4),
	MOVR(R3, R2), MOV(R4, 0), LD_MAP(R1, 0), CALL(map_update_elem), RET(0) },
	.maps = { { BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_RDONLY_PROG } }, .result = REJECT,
	.errstr = "write into map forbidden" },
{ "kprobe calls ktime_get_coarse_ns", BPF_PROG_TYPE_KPROBE, { CALL(ktime_get_coarse_ns), RET(0) },
	.result = REJECT, .errstr = "unknown func bpf_ktime_get_coarse_ns#160" },
{ "socket filter reads the current pid", SF, { CALL(get_current_pid_tgid), EXIT() },
	.result = ACCEPT },
{ "xdp looks up a per-CPU slot", XDP, { LOOKUP_PERCPU, RET(0) },
	.maps = { { BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0 } }, .result = ACCEPT },
/* the kernel's outright refusals (found by a verdict differential of the fuzz) */
{ "division by a zero constant", SF, { MOV(R0, 1), ALU(DIV, R0, 0), EXIT() }, .result = REJECT,
	.errstr = "div by zero" },
{ "modulo by a zero constant", SF, { MOV(R0, 1), ALU32(MOD, R0, 0), EXIT() }, .result = REJECT,
	.errstr = "div by zero" },
{ "shift by the register width", SF, { MOV(R0, 1), ALU(LSH, R0, 64), EXIT() }, .result = REJECT,
	.errstr = "invalid shift 64" },
{ "32-bit shift by 32", SF, { MOV(R0, 1), ALU32(ARSH, R0, 32), EXIT() }, .result = REJECT,
	.errstr = "invalid shift 32" },
{ "subtraction from the stack pointer", SF, { MOVR(R1, R10), ALU(SUB, R1, 8), ST(DW, R1, 0, 0),
	RET(0) }, .result = REJECT, .errstr = "R1 subtraction from stack pointer prohibited" },
{ "stack pointer minus a variable scalar", SF, { CALL(get_prandom_u32), ALU32(RSH, R0, 28),
	MOVR(R1, R10), ALU(ADD, R1, -8), ALUR(SUB, R1, R0), ST(B, R1, 0, 1), RET(0) },
	.result = REJECT, .errstr = "R1 subtraction from stack pointer prohibited" },
{ "direct value load from an array of two entries", SF, { LD_MAP_VALUE(R1, 0, 0), RET(0) },
	.maps = { { BPF_MAP_TYPE_ARRAY, 4, 16, 2, 0 } }, .result = REJECT,
	.errstr = "invalid access to map value pointer, value_size=16 off=0" },
{ "direct value load from a hash map", SF, { LD_MAP_VALUE(R1, 0, 0), RET(0) },
	.maps = { HASH8 }, .result = REJECT,
	.errstr = "no direct value access support for this map type" },
{ "one-byte write into cb[0]", SF, { ST(B, R1, 48, 24), RET(0) }, .result = ACCEPT },
{ "eight-byte write into cb[2..3]", TC, { ST(DW, R1, 56, 1), RET(0) }, .result = ACCEPT },
{ "two-byte write into mark", TC, { ST(H, R1, 8, 1), RET(0) }, .result = REJECT,
	.errstr = "invalid bpf_context access off=8 size=2" },
{ "eight-byte write past the end of cb", SF, { ST(DW, R1, 64, 1), RET(0) }, .result = REJECT,
	.errstr = "invalid bpf_context access off=64 size=8" },
/* an array lookup with key 0 cannot fail (the kernel's can_elide_value_nullness) */
#define ARRAY_KEY_LOOKUP MOVR(R2, R10), ALU(ADD, R2, -4), LD_MAP(R1, 0), CALL(map_lookup_elem)
{ "array lookup with key 0 needs no null check", SF, { ST(W, R10, -4, 0), ARRAY_KEY_LOOKUP,
	LDX(DW, R0, R0, 0), EXIT() }, .maps = { ARRAY1 }, .result = ACCEPT },
{ "array lookup with key 1 may fail", SF, { ST(W, R10, -4, 1), ARRAY_KEY_LOOKUP,
	LDX(DW, R0, R0, 0), EXIT() }, .maps = { { BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0 } },
	.result = REJECT, .errstr = "R0 invalid mem access 'map_value_or_null'" },
{ "hash lookup with key 0 may fail", SF, { ST(DW, R10, -8, 0), MOVR(R2, R10), ALU(ADD, R2, -8),
	LD_MAP(R1, 0), CALL(map_lookup_elem), LDX(DW, R0, R0, 0), EXIT() }, .maps = { HASH8 },
	.result = REJECT, .errstr = "R0 invalid mem access 'map_value_or_null'" },
/* the zero key of the first path explored must not let the second (key 1,
 * out of range) be pruned: the key's slot is marked precise */
{ "array key zero on one path only", SF, { LDX(W, R6, R1, 0), ST(W, R10, -4, 1),
	JI(JGT, R6, 5, 1), ST(W, R10, -4, 0), ARRAY_KEY_LOOKUP, LDX(DW, R0, R0, 0), EXIT() },
	.maps = { ARRAY1 }, .result = REJECT,
	.errstr = "R0 invalid mem access 'map_value_or_null'" },
/* linux/test_probe_write_user_kern.o: the kernel here withholds the helper */
{ "kprobe calls probe_write_user", BPF_PROG_TYPE_KPROBE, { ST(DW, R10, -8, 0), MOV(R1, 0),
	MOVR(R2, R10), ALU(ADD, R2, -8), MOV(R3, 8), CALL(probe_write_user), RET(0) },
	.result = REJECT, .errstr = "unknown func bpf_probe_write_user#36" },
};

#endif /* BPFFS_VERIFIER_CASES_H */
