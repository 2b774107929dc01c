// SPDX-License-Identifier: MIT
/*
 * Structural checks of bytecode: each instruction alone (opcode, registers,
 * reserved fields; bpffs_insn_classify) and the program as a whole (jump and
 * call targets, LD_IMM64 pairs, no fall-through off the end). This is what
 * every load path runs before the verifier's abstract interpretation; it knows
 * nothing of types, maps or helpers' semantics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"
#include "opcodes.h"

static const char *const opcode_names[] = {
#define OP(name) #name,
	BPFFS_OPCODE_LIST
#undef OP
};

const char *bpffs_opcode_name(int op)
{
	if (op < 0 || op >= BPFFS_OP_COUNT)
		return "INVALID";
	return opcode_names[op];
}

/* enum index of an ALU op code (BPF_ADD...) for the 64-bit K form, or -1 */
static int alu_base(u8 code, s16 off)
{
	switch (BPF_OP(code)) {
	case BPF_ADD: return BPFFS_OP_ADD64_K;
	case BPF_SUB: return BPFFS_OP_SUB64_K;
	case BPF_MUL: return BPFFS_OP_MUL64_K;
	case BPF_DIV: return off ? BPFFS_OP_SDIV64_K : BPFFS_OP_DIV64_K;
	case BPF_OR: return BPFFS_OP_OR64_K;
	case BPF_AND: return BPFFS_OP_AND64_K;
	case BPF_LSH: return BPFFS_OP_LSH64_K;
	case BPF_RSH: return BPFFS_OP_RSH64_K;
	case BPF_MOD: return off ? BPFFS_OP_SMOD64_K : BPFFS_OP_MOD64_K;
	case BPF_XOR: return BPFFS_OP_XOR64_K;
	case BPF_MOV: return BPFFS_OP_MOV64_K;
	case BPF_ARSH: return BPFFS_OP_ARSH64_K;
	}
	return -1;
}

static int classify_end(const struct bpf_insn *insn, bool alu64, const char **why)
{
	static const int le[] = { BPFFS_OP_LE16, BPFFS_OP_LE32, BPFFS_OP_LE64 };
	static const int be[] = { BPFFS_OP_BE16, BPFFS_OP_BE32, BPFFS_OP_BE64 };
	static const int sw[] = { BPFFS_OP_BSWAP16, BPFFS_OP_BSWAP32, BPFFS_OP_BSWAP64 };
	int w;

	if (insn->src_reg || insn->off) {
		*why = "byte swap with non-zero src or off";
		return BPFFS_OP_INVALID;
	}
	switch (insn->imm) {
	case 16: w = 0; break;
	case 32: w = 1; break;
	case 64: w = 2; break;
	default:
		*why = "byte swap width must be 16, 32 or 64";
		return BPFFS_OP_INVALID;
	}
	if (alu64) {
		if (BPF_SRC(insn->code) == BPF_X) {
			*why = "unknown opcode (ALU64 END with X bit is reserved)";
			return BPFFS_OP_INVALID;
		}
		return sw[w];
	}
	return BPF_SRC(insn->code) == BPF_X ? be[w] : le[w];
}

static int classify_movsx(const struct bpf_insn *insn, bool alu64, const char **why)
{
	if (BPF_SRC(insn->code) != BPF_X) {
		*why = "reserved field off must be 0";
		return BPFFS_OP_INVALID;
	}
	switch (insn->off) {
	case 8: return alu64 ? BPFFS_OP_MOVSX64_8 : BPFFS_OP_MOVSX32_8;
	case 16: return alu64 ? BPFFS_OP_MOVSX64_16 : BPFFS_OP_MOVSX32_16;
	case 32:
		if (alu64)
			return BPFFS_OP_MOVSX64_32;
		break;
	}
	*why = "invalid sign-extension width in off";
	return BPFFS_OP_INVALID;
}

static int classify_alu(const struct bpf_insn *insn, const char **why)
{
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool x = BPF_SRC(insn->code) == BPF_X;
	u8 op = BPF_OP(insn->code);
	int base;

	if (op == BPF_END)
		return classify_end(insn, alu64, why);
	if (op == BPF_NEG) {
		if (x || insn->src_reg || insn->off || insn->imm) {
			*why = x ? "unknown opcode (NEG has no X form)"
				 : "NEG with non-zero src, off or imm";
			return BPFFS_OP_INVALID;
		}
		return alu64 ? BPFFS_OP_NEG64 : BPFFS_OP_NEG32;
	}
	if (op == BPF_MOV && insn->off)
		return x && insn->imm == 0 ? classify_movsx(insn, alu64, why)
					   : (*why = "reserved field off must be 0", BPFFS_OP_INVALID);
	if (insn->off && !((op == BPF_DIV || op == BPF_MOD) && insn->off == 1)) {
		*why = "reserved field off must be 0 (1 for signed div/mod)";
		return BPFFS_OP_INVALID;
	}
	base = alu_base(insn->code, insn->off);
	if (base < 0) {
		*why = "unknown ALU opcode";
		return BPFFS_OP_INVALID;
	}
	if (x && insn->imm) {
		*why = "reserved field imm must be 0";
		return BPFFS_OP_INVALID;
	}
	if (!x && insn->src_reg) {
		*why = "reserved field src must be 0";
		return BPFFS_OP_INVALID;
	}
	/* base is the 64_K entry; the list orders 64_K 64_X 32_K 32_X */
	return base + (x ? 1 : 0) + (alu64 ? 0 : 2);
}

static int jmp_base(u8 op)
{
	switch (op) {
	case BPF_JEQ: return BPFFS_OP_JEQ_K;
	case BPF_JGT: return BPFFS_OP_JGT_K;
	case BPF_JGE: return BPFFS_OP_JGE_K;
	case BPF_JSET: return BPFFS_OP_JSET_K;
	case BPF_JNE: return BPFFS_OP_JNE_K;
	case BPF_JSGT: return BPFFS_OP_JSGT_K;
	case BPF_JSGE: return BPFFS_OP_JSGE_K;
	case BPF_JLT: return BPFFS_OP_JLT_K;
	case BPF_JLE: return BPFFS_OP_JLE_K;
	case BPF_JSLT: return BPFFS_OP_JSLT_K;
	case BPF_JSLE: return BPFFS_OP_JSLE_K;
	}
	return -1;
}

static int classify_call(const struct bpf_insn *insn, const char **why)
{
	if (BPF_SRC(insn->code) == BPF_X) {
		/* callx extension: helper id in the register named by dst */
		if (insn->src_reg || insn->off || insn->imm) {
			*why = "callx with non-zero src, off or imm";
			return BPFFS_OP_INVALID;
		}
		return BPFFS_OP_CALLX;
	}
	if (insn->dst_reg || insn->off) {
		*why = "call with non-zero dst or off";
		return BPFFS_OP_INVALID;
	}
	if (insn->src_reg == BPF_PSEUDO_CALL)
		return BPFFS_OP_CALL_LOCAL;
	if (insn->src_reg != 0) {
		*why = insn->src_reg == BPF_PSEUDO_KFUNC_CALL ? "kfunc calls are not supported"
							      : "invalid call src";
		return BPFFS_OP_INVALID;
	}
	return insn->imm == BPF_FUNC_tail_call ? BPFFS_OP_TAIL_CALL : BPFFS_OP_CALL_HELPER;
}

static int classify_jmp(const struct bpf_insn *insn, const char **why)
{
	bool jmp32 = BPF_CLASS(insn->code) == BPF_JMP32;
	bool x = BPF_SRC(insn->code) == BPF_X;
	u8 op = BPF_OP(insn->code);
	int base;

	switch (op) {
	case BPF_JA:
		if (x) {
			*why = "unknown opcode (JA with X bit)";
			return BPFFS_OP_INVALID;
		}
		if (insn->src_reg || insn->dst_reg || (jmp32 ? insn->off : insn->imm)) {
			*why = jmp32 ? "gotol with non-zero src, dst or off"
				     : "ja with non-zero src, dst or imm";
			return BPFFS_OP_INVALID;
		}
		return jmp32 ? BPFFS_OP_JA32 : BPFFS_OP_JA;
	case BPF_CALL:
		if (jmp32)
			break;
		return classify_call(insn, why);
	case BPF_EXIT:
		if (jmp32 || x)
			break;
		if (insn->src_reg || insn->dst_reg || insn->off || insn->imm) {
			*why = "exit with non-zero fields";
			return BPFFS_OP_INVALID;
		}
		return BPFFS_OP_EXIT;
	}
	base = jmp_base(op);
	if (base < 0) {
		*why = "unknown jump opcode";
		return BPFFS_OP_INVALID;
	}
	if (x ? insn->imm != 0 : insn->src_reg != 0) {
		*why = x ? "reserved field imm must be 0" : "reserved field src must be 0";
		return BPFFS_OP_INVALID;
	}
	return base + (x ? 1 : 0) + (jmp32 ? 2 : 0);
}

static int size_idx(u8 code)	/* B H W DW -> 0 1 2 3 */
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 0;
	case BPF_H: return 1;
	case BPF_W: return 2;
	default: return 3;
	}
}

static int classify_ld(const struct bpf_insn *insn, const char **why)
{
	u8 mode = BPF_MODE(insn->code);
	int sz = size_idx(insn->code);

	if (insn->code == (BPF_LD | BPF_IMM | BPF_DW)) {
		if (insn->off || insn->src_reg > BPF_PSEUDO_MAP_IDX_VALUE ||
		    insn->src_reg == BPF_PSEUDO_BTF_ID) {
			*why = insn->off ? "lddw with non-zero off" : "unsupported lddw src";
			return BPFFS_OP_INVALID;
		}
		return BPFFS_OP_LD_IMM64;
	}
	if ((mode != BPF_ABS && mode != BPF_IND) || sz == 3) {
		*why = "unknown LD opcode";
		return BPFFS_OP_INVALID;
	}
	if (insn->dst_reg || insn->off || (mode == BPF_ABS && insn->src_reg)) {
		*why = "legacy packet load with non-zero reserved fields";
		return BPFFS_OP_INVALID;
	}
	if (mode == BPF_ABS)
		return (int[]){ BPFFS_OP_LD_ABS_B, BPFFS_OP_LD_ABS_H, BPFFS_OP_LD_ABS_W }[sz];
	return (int[]){ BPFFS_OP_LD_IND_B, BPFFS_OP_LD_IND_H, BPFFS_OP_LD_IND_W }[sz];
}

static int classify_atomic(const struct bpf_insn *insn, const char **why)
{
	static const s32 imms[] = {
		BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
		BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG,
	};
	int sz = size_idx(insn->code);
	unsigned int i;

	if (sz < 2) {
		*why = "atomic operation must be 32 or 64 bit";
		return BPFFS_OP_INVALID;
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(imms); i++)
		if (insn->imm == imms[i])
			return (sz == 2 ? BPFFS_OP_ATOMIC32_ADD : BPFFS_OP_ATOMIC64_ADD) + (int)i;
	*why = "invalid atomic operation in imm";
	return BPFFS_OP_INVALID;
}

static int classify_mem(const struct bpf_insn *insn, const char **why)
{
	u8 cls = BPF_CLASS(insn->code), mode = BPF_MODE(insn->code);
	int sz = size_idx(insn->code);

	if (cls == BPF_LDX) {
		if (insn->imm) {
			*why = "reserved field imm must be 0";
			return BPFFS_OP_INVALID;
		}
		if (mode == BPF_MEM)
			return BPFFS_OP_LDX_B + sz;
		if (mode == BPF_MEMSX && sz < 3)
			return BPFFS_OP_LDXS_B + sz;
	} else if (cls == BPF_ST) {
		if (insn->src_reg) {
			*why = "reserved field src must be 0";
			return BPFFS_OP_INVALID;
		}
		if (mode == BPF_MEM)
			return BPFFS_OP_ST_B + sz;
	} else {
		if (mode == BPF_ATOMIC)
			return classify_atomic(insn, why);
		if (insn->imm) {
			*why = "reserved field imm must be 0";
			return BPFFS_OP_INVALID;
		}
		if (mode == BPF_MEM)
			return BPFFS_OP_STX_B + sz;
	}
	*why = "unknown load/store opcode";
	return BPFFS_OP_INVALID;
}

int bpffs_insn_classify(const struct bpf_insn *insn, const char **why)
{
	if (insn->dst_reg > 10 || insn->src_reg > 10) {
		*why = "invalid register number";
		return BPFFS_OP_INVALID;
	}
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return classify_alu(insn, why);
	case BPF_JMP:
	case BPF_JMP32:
		return classify_jmp(insn, why);
	case BPF_LD:
		return classify_ld(insn, why);
	default:
		return classify_mem(insn, why);
	}
}

/* Does this form write its dst register (so dst must not be r10)? */
static bool writes_dst(int op)
{
	if (op <= BPFFS_OP_BSWAP64)
		return true;	/* every ALU form */
	return op == BPFFS_OP_LD_IMM64 || (op >= BPFFS_OP_LDX_B && op <= BPFFS_OP_LDXS_W);
}

static int check_jump_target(const struct bpf_insn *insns, u32 cnt, u32 idx, s64 target,
			     const bool *second_half, struct bpffs_vlog *log)
{
	if (target < 0 || target >= cnt) {
		bpffs_vlog_printf(log, "%u: jump out of range to %lld (program has %u insns)\n",
				  idx, (long long)target, cnt);
		return -EINVAL;
	}
	if (second_half[target]) {
		bpffs_vlog_printf(log, "%u: jump into the middle of ldimm64 insn %lld\n", idx,
				  (long long)target - 1);
		return -EINVAL;
	}
	return 0;
}

static int check_ld_imm64(const struct bpf_insn *insns, u32 cnt, u32 i,
			  struct bpffs_vlog *log)
{
	const struct bpf_insn *next = &insns[i + 1];

	if (i + 1 >= cnt) {
		bpffs_vlog_printf(log, "%u: invalid bpf_ld_imm64 insn: last instruction\n", i);
		return -EINVAL;
	}
	if (next->code || next->dst_reg || next->src_reg || next->off) {
		bpffs_vlog_printf(log, "%u: invalid bpf_ld_imm64 insn: bad second slot\n", i);
		return -EINVAL;
	}
	if ((insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_IDX ||
	     insns[i].src_reg == BPF_PSEUDO_FUNC) && next->imm) {
		bpffs_vlog_printf(log, "%u: invalid bpf_ld_imm64 insn: second imm must be 0\n", i);
		return -EINVAL;
	}
	return 0;
}

static int check_one(const struct bpf_insn *insns, u32 cnt, u32 i, const bool *second_half,
		     struct bpffs_vlog *log)
{
	const struct bpf_insn *insn = &insns[i];
	const char *why = "invalid instruction";
	int op = bpffs_insn_classify(insn, &why);

	if (op == BPFFS_OP_INVALID) {
		bpffs_vlog_printf(log, "%u: invalid insn code 0x%02x: %s\n", i, insn->code, why);
		return -EINVAL;
	}
	if (writes_dst(op) && insn->dst_reg == BPF_REG_10) {
		bpffs_vlog_printf(log, "%u: frame pointer is read only\n", i);
		return -EINVAL;
	}
	switch (op) {
	case BPFFS_OP_LD_IMM64:
		if (check_ld_imm64(insns, cnt, i, log))
			return -EINVAL;
		if (insn->src_reg == BPF_PSEUDO_FUNC)
			return check_jump_target(insns, cnt, i, (s64)i + 1 + insn->imm,
						 second_half, log);
		return 0;
	case BPFFS_OP_JA32:
		return check_jump_target(insns, cnt, i, (s64)i + 1 + insn->imm, second_half, log);
	case BPFFS_OP_CALL_LOCAL:
		return check_jump_target(insns, cnt, i, (s64)i + 1 + insn->imm, second_half, log);
	case BPFFS_OP_CALL_HELPER:
	case BPFFS_OP_CALLX:
	case BPFFS_OP_TAIL_CALL:
	case BPFFS_OP_EXIT:
		return 0;
	}
	if (op >= BPFFS_OP_JA && op <= BPFFS_OP_JSLE32_X)
		return check_jump_target(insns, cnt, i, (s64)i + 1 + insn->off, second_half, log);
	return 0;
}

int bpffs_insns_check(const struct bpf_insn *insns, u32 cnt, struct bpffs_vlog *log)
{
	bool *second_half;
	const struct bpf_insn *last;
	int err = 0;
	u32 i;

	if (!cnt) {
		bpffs_vlog_printf(log, "empty program\n");
		return -EINVAL;
	}
	if (cnt > BPFFS_MAX_INSNS) {
		bpffs_vlog_printf(log, "program of %u insns exceeds the limit of %u\n", cnt,
				  BPFFS_MAX_INSNS);
		return -E2BIG;
	}
	second_half = calloc(cnt, sizeof(*second_half));
	if (!second_half)
		return -ENOMEM;
	for (i = 0; i + 1 < cnt; i++)
		if (bpffs_insn_is_wide(&insns[i]))
			second_half[++i] = true;
	for (i = 0; i < cnt && !err; i++) {
		err = check_one(insns, cnt, i, second_half, log);
		if (bpffs_insn_is_wide(&insns[i]))
			i++;
	}
	free(second_half);
	if (err)
		return err;
	/* the last instruction must not fall through off the end */
	last = &insns[cnt - 1];
	if (cnt >= 2 && bpffs_insn_is_wide(&insns[cnt - 2]))
		last = NULL;
	if (!last || !(last->code == (BPF_JMP | BPF_EXIT) || last->code == (BPF_JMP | BPF_JA) ||
		       last->code == (BPF_JMP32 | BPF_JA))) {
		bpffs_vlog_printf(log, "%u: last insn is not an exit or jmp\n", cnt - 1);
		return -EINVAL;
	}
	return 0;
}
