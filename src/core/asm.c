// SPDX-License-Identifier: MIT
/*
 * Assembler and disassembler for the bpf_conformance (uBPF) text dialect:
 * `mov %r0, 1`, `ldxw %r0, [%r1+4]`, `jne %r1, 0, fail`, labels on their own
 * line, `lddw` 64-bit immediates, `lock fetch add [%r10-8], %r1`. The dialect
 * is documented in shared/conformance/README.md section 2. Both directions use
 * one mnemonic table, so a disassembled program assembles back to the same
 * bytes. This is a tool for tests and the command line, not a loader: it does
 * not check the program (bpffs_insns_check does), it only encodes it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* Operand shapes; each fixes the operand count and where operands go. */
enum asm_form {
	ASM_ALU,	/* op %rD, %rS|imm   code is the K form; +BPF_X for a register */
	ASM_NEG,	/* op %rD */
	ASM_MOVSX,	/* op %rD, %rS       code is the X form, off fixed */
	ASM_END,	/* op %rD            imm fixed (16/32/64) */
	ASM_JCOND,	/* op %rD, %rS|imm, T */
	ASM_JA,		/* ja T              off = T */
	ASM_JA32,	/* ja32 T            imm = T */
	ASM_EXIT,	/* exit */
	ASM_CALL,	/* call N | helper N|%rX | local T | runtime N | %rX */
	ASM_LDDW,	/* lddw %rD, imm64 */
	ASM_LDX,	/* op %rD, [%rS+off] */
	ASM_ST,		/* op [%rD+off], imm */
	ASM_STX,	/* op [%rD+off], %rS */
	ASM_ATOMIC,	/* lock [fetch] op [%rD+off], %rS   imm fixed */
};

struct asm_mnem {
	const char *name;
	enum asm_form form;
	u8 code;
	s16 off;	/* fixed offset: 1 for sdiv/smod, 8/16/32 for movsx */
	s32 imm;	/* fixed imm: END width, atomic operation */
};

/* operands each form takes (ASM_CALL: 1 or 2, checked in asm_call) */
static const int asm_form_nops[] = {
	[ASM_ALU] = 2, [ASM_NEG] = 1, [ASM_MOVSX] = 2, [ASM_END] = 1,
	[ASM_JCOND] = 3, [ASM_JA] = 1, [ASM_JA32] = 1, [ASM_EXIT] = 0,
	[ASM_CALL] = -1, [ASM_LDDW] = 2, [ASM_LDX] = 2, [ASM_ST] = 2,
	[ASM_STX] = 2, [ASM_ATOMIC] = 2,
};

#define ASM_ALU3(NAME, OP, OFF) \
	{ NAME, ASM_ALU, BPF_ALU64 | (OP) | BPF_K, OFF, 0 }, \
	{ NAME "64", ASM_ALU, BPF_ALU64 | (OP) | BPF_K, OFF, 0 }, \
	{ NAME "32", ASM_ALU, BPF_ALU | (OP) | BPF_K, OFF, 0 }
#define ASM_JMP2(NAME, OP) \
	{ NAME, ASM_JCOND, BPF_JMP | (OP) | BPF_K, 0, 0 }, \
	{ NAME "32", ASM_JCOND, BPF_JMP32 | (OP) | BPF_K, 0, 0 }
#define ASM_ATOMIC2(NAME, OP) \
	{ "lock " NAME, ASM_ATOMIC, BPF_STX | BPF_ATOMIC | BPF_DW, 0, OP }, \
	{ "lock " NAME "32", ASM_ATOMIC, BPF_STX | BPF_ATOMIC | BPF_W, 0, OP }

/* The disassembler prints the first matching row: canonical spellings first. */
static const struct asm_mnem asm_mnems[] = {
	ASM_ALU3("add", BPF_ADD, 0),
	ASM_ALU3("sub", BPF_SUB, 0),
	ASM_ALU3("mul", BPF_MUL, 0),
	ASM_ALU3("div", BPF_DIV, 0),
	ASM_ALU3("sdiv", BPF_DIV, 1),
	ASM_ALU3("or", BPF_OR, 0),
	ASM_ALU3("and", BPF_AND, 0),
	ASM_ALU3("lsh", BPF_LSH, 0),
	ASM_ALU3("rsh", BPF_RSH, 0),
	ASM_ALU3("mod", BPF_MOD, 0),
	ASM_ALU3("smod", BPF_MOD, 1),
	ASM_ALU3("xor", BPF_XOR, 0),
	ASM_ALU3("mov", BPF_MOV, 0),
	ASM_ALU3("arsh", BPF_ARSH, 0),
	{ "neg", ASM_NEG, BPF_ALU64 | BPF_NEG | BPF_K, 0, 0 },
	{ "neg64", ASM_NEG, BPF_ALU64 | BPF_NEG | BPF_K, 0, 0 },
	{ "neg32", ASM_NEG, BPF_ALU | BPF_NEG | BPF_K, 0, 0 },
	{ "movsx832", ASM_MOVSX, BPF_ALU | BPF_MOV | BPF_X, 8, 0 },
	{ "movsx1632", ASM_MOVSX, BPF_ALU | BPF_MOV | BPF_X, 16, 0 },
	{ "movsx864", ASM_MOVSX, BPF_ALU64 | BPF_MOV | BPF_X, 8, 0 },
	{ "movsx1664", ASM_MOVSX, BPF_ALU64 | BPF_MOV | BPF_X, 16, 0 },
	{ "movsx3264", ASM_MOVSX, BPF_ALU64 | BPF_MOV | BPF_X, 32, 0 },
	{ "le16", ASM_END, BPF_ALU | BPF_END | BPF_TO_LE, 0, 16 },
	{ "le32", ASM_END, BPF_ALU | BPF_END | BPF_TO_LE, 0, 32 },
	{ "le64", ASM_END, BPF_ALU | BPF_END | BPF_TO_LE, 0, 64 },
	{ "be16", ASM_END, BPF_ALU | BPF_END | BPF_TO_BE, 0, 16 },
	{ "be32", ASM_END, BPF_ALU | BPF_END | BPF_TO_BE, 0, 32 },
	{ "be64", ASM_END, BPF_ALU | BPF_END | BPF_TO_BE, 0, 64 },
	{ "bswap16", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 16 },
	{ "bswap32", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 32 },
	{ "bswap64", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 64 },
	{ "swap16", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 16 },
	{ "swap32", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 32 },
	{ "swap64", ASM_END, BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 64 },
	ASM_JMP2("jeq", BPF_JEQ),
	ASM_JMP2("jgt", BPF_JGT),
	ASM_JMP2("jge", BPF_JGE),
	ASM_JMP2("jset", BPF_JSET),
	ASM_JMP2("jne", BPF_JNE),
	ASM_JMP2("jsgt", BPF_JSGT),
	ASM_JMP2("jsge", BPF_JSGE),
	ASM_JMP2("jlt", BPF_JLT),
	ASM_JMP2("jle", BPF_JLE),
	ASM_JMP2("jslt", BPF_JSLT),
	ASM_JMP2("jsle", BPF_JSLE),
	{ "ja", ASM_JA, BPF_JMP | BPF_JA, 0, 0 },
	{ "ja32", ASM_JA32, BPF_JMP32 | BPF_JA, 0, 0 },
	{ "exit", ASM_EXIT, BPF_JMP | BPF_EXIT, 0, 0 },
	{ "call", ASM_CALL, BPF_JMP | BPF_CALL, 0, 0 },
	{ "lddw", ASM_LDDW, BPF_LD | BPF_IMM | BPF_DW, 0, 0 },
	{ "ldxb", ASM_LDX, BPF_LDX | BPF_MEM | BPF_B, 0, 0 },
	{ "ldxh", ASM_LDX, BPF_LDX | BPF_MEM | BPF_H, 0, 0 },
	{ "ldxw", ASM_LDX, BPF_LDX | BPF_MEM | BPF_W, 0, 0 },
	{ "ldxdw", ASM_LDX, BPF_LDX | BPF_MEM | BPF_DW, 0, 0 },
	{ "ldxsb", ASM_LDX, BPF_LDX | BPF_MEMSX | BPF_B, 0, 0 },
	{ "ldxsh", ASM_LDX, BPF_LDX | BPF_MEMSX | BPF_H, 0, 0 },
	{ "ldxsw", ASM_LDX, BPF_LDX | BPF_MEMSX | BPF_W, 0, 0 },
	{ "stb", ASM_ST, BPF_ST | BPF_MEM | BPF_B, 0, 0 },
	{ "sth", ASM_ST, BPF_ST | BPF_MEM | BPF_H, 0, 0 },
	{ "stw", ASM_ST, BPF_ST | BPF_MEM | BPF_W, 0, 0 },
	{ "stdw", ASM_ST, BPF_ST | BPF_MEM | BPF_DW, 0, 0 },
	{ "stxb", ASM_STX, BPF_STX | BPF_MEM | BPF_B, 0, 0 },
	{ "stxh", ASM_STX, BPF_STX | BPF_MEM | BPF_H, 0, 0 },
	{ "stxw", ASM_STX, BPF_STX | BPF_MEM | BPF_W, 0, 0 },
	{ "stxdw", ASM_STX, BPF_STX | BPF_MEM | BPF_DW, 0, 0 },
	ASM_ATOMIC2("add", BPF_ADD),
	ASM_ATOMIC2("and", BPF_AND),
	ASM_ATOMIC2("or", BPF_OR),
	ASM_ATOMIC2("xor", BPF_XOR),
	ASM_ATOMIC2("fetch add", BPF_ADD | BPF_FETCH),
	ASM_ATOMIC2("fetch and", BPF_AND | BPF_FETCH),
	ASM_ATOMIC2("fetch or", BPF_OR | BPF_FETCH),
	ASM_ATOMIC2("fetch xor", BPF_XOR | BPF_FETCH),
	ASM_ATOMIC2("xchg", BPF_XCHG),
	ASM_ATOMIC2("cmpxchg", BPF_CMPXCHG),
};

#define ASM_MAX_TOKENS 8
#define ASM_NAME_MAX 32

struct asm_label {
	char *name;
	u32 slot;
};

struct asm_state {
	struct bpffs_vlog *log;
	u32 line;			/* 1-based source line being assembled */
	struct asm_label *labels;
	u32 label_cnt;
	s64 first_exit;			/* slot of the first `exit`, or -1 */
	struct bpf_insn *insns;
	u32 cnt;			/* slots emitted so far */
};

/* One source line split into tokens (pointing into a private copy). */
struct asm_line {
	char *copy;
	char *tok[ASM_MAX_TOKENS];
	int ntok;
	bool too_many;
};

static int asm_err(struct asm_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int asm_err(struct asm_state *st, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = bpffs_vlog_line_error(st->log, st->line, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- lexical level ------------------------------------------------------ */

static bool asm_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split one line (without '\n') into tokens; `#` starts a comment. */
static int asm_line_split(const char *start, size_t len, struct asm_line *ln)
{
	char *p, *hash;

	memset(ln, 0, sizeof(*ln));
	ln->copy = strndup(start, len);
	if (!ln->copy)
		return -ENOMEM;
	hash = strchr(ln->copy, '#');
	if (hash)
		*hash = '\0';
	p = ln->copy;
	for (;;) {
		size_t n;

		while (asm_is_space(*p))
			p++;
		if (!*p)
			break;
		if (ln->ntok == ASM_MAX_TOKENS) {
			ln->too_many = true;
			break;
		}
		ln->tok[ln->ntok++] = p;
		while (*p && !asm_is_space(*p))
			p++;
		n = (size_t)(p - ln->tok[ln->ntok - 1]);
		if (*p)
			*p++ = '\0';
		/* operands are separated by whitespace; one trailing comma is dropped */
		if (ln->ntok > 1 && n > 1 && ln->tok[ln->ntok - 1][n - 1] == ',')
			ln->tok[ln->ntok - 1][n - 1] = '\0';
	}
	return 0;
}

static bool asm_line_is_label(const struct asm_line *ln)
{
	size_t n;

	if (ln->ntok != 1)
		return false;
	n = strlen(ln->tok[0]);
	return n > 1 && ln->tok[0][n - 1] == ':';
}

/* Parse decimal or 0x hex digits of @s (no sign) into *v; false on overflow/junk. */
static bool asm_parse_u64(const char *s, u64 *v, bool *hex)
{
	unsigned base = 10;
	u64 acc = 0;

	*hex = false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		*hex = true;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (acc > (UINT64_MAX - d) / base)
			return false;
		acc = acc * base + d;
	}
	*v = acc;
	return true;
}

/*
 * 32-bit immediate: 0x hex is unsigned up to 0xffffffff (0xffffffff is -1),
 * decimal is signed in [-2^31, 2^31-1].
 */
static int asm_imm32(struct asm_state *st, const char *tok, s32 *imm)
{
	bool neg = tok[0] == '-', hex;
	u64 v;

	if (!asm_parse_u64(tok + neg, &v, &hex) || (neg && hex))
		return asm_err(st, "bad immediate '%s'", tok);
	if (hex && v > 0xffffffffull)
		return asm_err(st, "immediate %s out of 32-bit range", tok);
	if (!hex && v > (neg ? 0x80000000ull : 0x7fffffffull))
		return asm_err(st, "immediate %s out of 32-bit range", tok);
	*imm = neg ? (s32)(u32)(0 - v) : (s32)(u32)v;
	return 0;
}

/* 64-bit immediate of lddw: hex up to 64 bits, decimal signed if it starts with '-'. */
static int asm_imm64(struct asm_state *st, const char *tok, u64 *imm)
{
	bool neg = tok[0] == '-', hex;
	u64 v;

	if (!asm_parse_u64(tok + neg, &v, &hex) || (neg && hex))
		return asm_err(st, "bad immediate '%s'", tok);
	if (neg && v > 0x8000000000000000ull)
		return asm_err(st, "immediate %s out of 64-bit range", tok);
	*imm = neg ? 0 - v : v;
	return 0;
}

/* Register number 0..15, or -EINVAL. */
static int asm_reg_nolog(const char *tok)
{
	u64 v;
	bool hex;

	if (tok[0] != '%' || tok[1] != 'r' || !tok[2] || strlen(tok) > 4)
		return -EINVAL;
	if (!asm_parse_u64(tok + 2, &v, &hex) || hex || v > 15)
		return -EINVAL;
	/* %r11..%r15 encode, so negative tests can be written; the check rejects them */
	return (int)v;
}

static int asm_reg(struct asm_state *st, const char *tok)
{
	int reg = asm_reg_nolog(tok);

	if (reg < 0)
		return asm_err(st, "bad register '%s'", tok);
	return reg;
}

/*
 * [%rN], [%rN+off] or [%rN-off]; off decimal or 0x hex, signed 16-bit.
 * Returns the register number or -EINVAL.
 */
static int asm_mem(struct asm_state *st, const char *tok, s16 *off)
{
	char inner[ASM_NAME_MAX];
	size_t n = strlen(tok);
	char *sign;
	u64 v = 0;
	bool hex, neg = false;
	int reg;

	if (n < 3 || n >= sizeof(inner) + 2 || tok[0] != '[' || tok[n - 1] != ']')
		return asm_err(st, "bad memory operand '%s' (expected [%%rN+off])", tok);
	memcpy(inner, tok + 1, n - 2);
	inner[n - 2] = '\0';
	sign = strpbrk(inner, "+-");
	if (sign) {
		neg = *sign == '-';
		*sign = '\0';
		if (!asm_parse_u64(sign + 1, &v, &hex))
			return asm_err(st, "bad memory operand '%s' (expected [%%rN+off])", tok);
	}
	reg = asm_reg_nolog(inner);
	if (reg < 0)
		return asm_err(st, "bad register '%s' in memory operand '%s'", inner, tok);
	if (v > (neg ? 0x8000ull : 0x7fffull))
		return asm_err(st, "offset in '%s' out of 16-bit range", tok);
	*off = neg ? (s16)(0 - (s32)v) : (s16)v;
	return reg;
}

static const struct asm_label *asm_label_find(const struct asm_state *st, const char *name)
{
	for (u32 i = 0; i < st->label_cnt; i++)
		if (!strcmp(st->labels[i].name, name))
			return &st->labels[i];
	return NULL;
}

/*
 * Jump or call target: +N/-N slots, or a label; `exit` without a label of
 * that name is the first exit instruction. Result relative to the next slot.
 */
static int asm_target(struct asm_state *st, const char *tok, s64 min, s64 max, s64 *rel)
{
	const struct asm_label *lab;
	bool hex;
	u64 v;

	if (tok[0] == '+' || tok[0] == '-') {
		if (!asm_parse_u64(tok + 1, &v, &hex) || v > (u64)1 << 40)
			return asm_err(st, "bad jump offset '%s'", tok);
		*rel = tok[0] == '-' ? -(s64)v : (s64)v;
	} else {
		lab = asm_label_find(st, tok);
		if (lab)
			*rel = (s64)lab->slot - (s64)(st->cnt + 1);
		else if (!strcmp(tok, "exit") && st->first_exit >= 0)
			*rel = st->first_exit - (s64)(st->cnt + 1);
		else
			return asm_err(st, "unknown label '%s'", tok);
	}
	if (*rel < min || *rel > max)
		return asm_err(st, "jump offset %lld to '%s' out of range", (long long)*rel, tok);
	return 0;
}

/* ---- instruction forms ----------------------------------------------------- */

static int asm_emit(struct asm_state *st, struct bpf_insn insn)
{
	st->insns[st->cnt++] = insn;
	return 0;
}

/* register or immediate second operand of ALU and conditional jumps */
static int asm_src(struct asm_state *st, const char *tok, struct bpf_insn *insn)
{
	int reg;

	if (tok[0] != '%')
		return asm_imm32(st, tok, &insn->imm);
	reg = asm_reg(st, tok);
	if (reg < 0)
		return reg;
	insn->code |= BPF_X;
	insn->src_reg = reg;
	return 0;
}

static int asm_call(struct asm_state *st, const struct asm_mnem *m, char **ops, int nops)
{
	struct bpf_insn insn = BPFFS_INSN(m->code, 0, 0, 0, 0);
	const char *kind, *arg;
	s64 rel = 0;
	int err;

	if (nops != 1 && nops != 2)
		return asm_err(st, "call: expected 1 or 2 operands, got %d", nops);
	kind = nops == 2 ? ops[0] : "helper";
	arg = ops[nops - 1];
	if (!strcmp(kind, "helper") && arg[0] == '%') {
		insn.code |= BPF_X;	/* callx: register number in dst */
		err = asm_reg(st, arg);
		insn.dst_reg = err > 0 ? err : 0;
		err = err > 0 ? 0 : err;
	} else if (!strcmp(kind, "helper") || !strcmp(kind, "runtime")) {
		insn.src_reg = kind[0] == 'r' ? BPF_PSEUDO_KFUNC_CALL : 0;
		err = asm_imm32(st, arg, &insn.imm);
	} else if (!strcmp(kind, "local")) {
		insn.src_reg = BPF_PSEUDO_CALL;
		err = asm_target(st, arg, INT32_MIN, INT32_MAX, &rel);
		insn.imm = (s32)rel;
	} else {
		return asm_err(st, "call: unknown call kind '%s' (helper, local or runtime)", kind);
	}
	return err ? err : asm_emit(st, insn);
}

static int asm_lddw(struct asm_state *st, const struct asm_mnem *m, char **ops)
{
	struct bpf_insn lo = BPFFS_INSN(m->code, 0, 0, 0, 0);
	u64 v = 0;
	int reg, err;

	reg = asm_reg(st, ops[0]);
	if (reg < 0)
		return reg;
	lo.dst_reg = reg;
	err = asm_imm64(st, ops[1], &v);
	if (err)
		return err;
	lo.imm = (s32)(u32)v;
	asm_emit(st, lo);
	return asm_emit(st, BPFFS_INSN(0, 0, 0, 0, (s32)(u32)(v >> 32)));
}

static int asm_jump(struct asm_state *st, const struct asm_mnem *m, char **ops)
{
	struct bpf_insn insn = BPFFS_INSN(m->code, 0, 0, m->off, m->imm);
	s64 rel = 0;
	int err = 0;

	switch (m->form) {
	case ASM_JCOND:
		err = asm_reg(st, ops[0]);
		if (err < 0)
			return err;
		insn.dst_reg = err;
		err = asm_src(st, ops[1], &insn);
		err = err ? err : asm_target(st, ops[2], INT16_MIN, INT16_MAX, &rel);
		insn.off = (s16)rel;
		break;
	case ASM_JA:
		err = asm_target(st, ops[0], INT16_MIN, INT16_MAX, &rel);
		insn.off = (s16)rel;
		break;
	case ASM_JA32:
		err = asm_target(st, ops[0], INT32_MIN, INT32_MAX, &rel);
		insn.imm = (s32)rel;
		break;
	default:	/* ASM_EXIT */
		break;
	}
	return err ? err : asm_emit(st, insn);
}

static int asm_memop(struct asm_state *st, const struct asm_mnem *m, char **ops)
{
	struct bpf_insn insn = BPFFS_INSN(m->code, 0, 0, 0, m->imm);
	int dst, src, err = 0;

	switch (m->form) {
	case ASM_LDX:
		dst = asm_reg(st, ops[0]);
		src = dst < 0 ? dst : asm_mem(st, ops[1], &insn.off);
		break;
	case ASM_ST:
		dst = asm_mem(st, ops[0], &insn.off);
		src = 0;
		err = dst < 0 ? dst : asm_imm32(st, ops[1], &insn.imm);
		break;
	default:	/* ASM_STX, ASM_ATOMIC */
		dst = asm_mem(st, ops[0], &insn.off);
		src = dst < 0 ? dst : asm_reg(st, ops[1]);
		break;
	}
	if (dst < 0 || src < 0 || err)
		return dst < 0 ? dst : src < 0 ? src : err;
	insn.dst_reg = dst;
	insn.src_reg = src;
	return asm_emit(st, insn);
}

static int asm_alu(struct asm_state *st, const struct asm_mnem *m, char **ops)
{
	struct bpf_insn insn = BPFFS_INSN(m->code, 0, 0, m->off, m->imm);
	int reg, err = 0;

	reg = asm_reg(st, ops[0]);
	if (reg < 0)
		return reg;
	insn.dst_reg = reg;
	if (m->form == ASM_ALU) {
		err = asm_src(st, ops[1], &insn);
	} else if (m->form == ASM_MOVSX) {
		reg = asm_reg(st, ops[1]);
		err = reg < 0 ? reg : 0;
		insn.src_reg = reg < 0 ? 0 : reg;
	}
	return err ? err : asm_emit(st, insn);
}

/*
 * The mnemonic of a line and where its operands start: `lock` and
 * `lock fetch` are part of the atomic mnemonics' names.
 */
static const struct asm_mnem *asm_lookup(struct asm_state *st, const struct asm_line *ln,
					 int *first_op)
{
	char name[ASM_NAME_MAX * 3];
	int n = 1;

	snprintf(name, sizeof(name), "%s", ln->tok[0]);
	if (!strcmp(name, "lock")) {
		if (ln->ntok < 2) {
			asm_err(st, "lock: missing operation (add, and, or, xor, xchg, cmpxchg)");
			return NULL;
		}
		n = !strcmp(ln->tok[1], "fetch") && ln->ntok > 2 ? 3 : 2;
		snprintf(name, sizeof(name), "lock %s%s%s", ln->tok[1], n == 3 ? " " : "",
			 n == 3 ? ln->tok[2] : "");
	}
	*first_op = n;
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(asm_mnems); i++)
		if (!strcmp(asm_mnems[i].name, name))
			return &asm_mnems[i];
	asm_err(st, "unknown mnemonic '%s'", name);
	return NULL;
}

static int asm_insn(struct asm_state *st, const struct asm_line *ln)
{
	const struct asm_mnem *m;
	char **ops;
	int first, nops;

	m = asm_lookup(st, ln, &first);
	if (!m)
		return -EINVAL;
	ops = (char **)ln->tok + first;
	nops = ln->ntok - first;
	if (ln->too_many)
		return asm_err(st, "%s: too many operands", m->name);
	if (m->form == ASM_CALL)
		return asm_call(st, m, ops, nops);
	if (nops != asm_form_nops[m->form])
		return asm_err(st, "%s: expected %d operand%s, got %d", m->name,
			       asm_form_nops[m->form], asm_form_nops[m->form] == 1 ? "" : "s",
			       nops);
	switch (m->form) {
	case ASM_LDDW:
		return asm_lddw(st, m, ops);
	case ASM_JCOND: case ASM_JA: case ASM_JA32: case ASM_EXIT:
		return asm_jump(st, m, ops);
	case ASM_LDX: case ASM_ST: case ASM_STX: case ASM_ATOMIC:
		return asm_memop(st, m, ops);
	default:
		return asm_alu(st, m, ops);
	}
}

/* ---- passes ------------------------------------------------------------------ */

typedef int (*asm_line_fn)(struct asm_state *st, const struct asm_line *ln, u32 *slots);

/* Call @fn for every non-blank line of @text, with st->line set. */
static int asm_for_each_line(struct asm_state *st, const char *text, asm_line_fn fn,
			     u32 *slots)
{
	const char *p = text;
	int err = 0;

	for (st->line = 1; *p && !err; st->line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct asm_line ln;

		err = asm_line_split(p, len, &ln);
		if (!err && ln.ntok)
			err = fn(st, &ln, slots);
		free(ln.copy);
		p += len + (nl ? 1 : 0);
	}
	return err;
}

/* Pass 1: labels, the first exit, and the number of slots. */
static int asm_pass_labels(struct asm_state *st, const struct asm_line *ln, u32 *slots)
{
	struct asm_label *labels;
	size_t n;

	if (!asm_line_is_label(ln)) {
		if (!strcmp(ln->tok[0], "exit") && st->first_exit < 0)
			st->first_exit = *slots;
		*slots += strcmp(ln->tok[0], "lddw") ? 1 : 2;
		if (*slots > BPFFS_MAX_INSNS)
			return asm_err(st, "program too large (more than %u slots)",
				       BPFFS_MAX_INSNS);
		return 0;
	}
	n = strlen(ln->tok[0]) - 1;
	ln->tok[0][n] = '\0';
	if (asm_label_find(st, ln->tok[0]))
		return asm_err(st, "label '%s' defined twice", ln->tok[0]);
	labels = realloc(st->labels, (st->label_cnt + 1) * sizeof(*labels));
	if (!labels)
		return -ENOMEM;
	st->labels = labels;
	labels[st->label_cnt].name = strdup(ln->tok[0]);
	if (!labels[st->label_cnt].name)
		return -ENOMEM;
	labels[st->label_cnt++].slot = *slots;
	return 0;
}

/* Pass 2: encode. */
static int asm_pass_encode(struct asm_state *st, const struct asm_line *ln, u32 *slots)
{
	if (asm_line_is_label(ln))
		return 0;
	return asm_insn(st, ln);
}

int bpffs_asm(const char *text, struct bpf_insn **insns, u32 *cnt, struct bpffs_vlog *log)
{
	struct asm_state st = { .log = log, .first_exit = -1 };
	u32 slots = 0;
	int err;

	err = asm_for_each_line(&st, text, asm_pass_labels, &slots);
	if (err)
		goto err_free_labels;
	if (!slots) {
		bpffs_vlog_printf(log, "no instructions\n");
		err = -EINVAL;
		goto err_free_labels;
	}
	st.insns = calloc(slots, sizeof(*st.insns));
	if (!st.insns) {
		err = -ENOMEM;
		goto err_free_labels;
	}
	err = asm_for_each_line(&st, text, asm_pass_encode, &slots);
	if (err)
		goto err_free_insns;
	*insns = st.insns;
	*cnt = st.cnt;
	goto err_free_labels;	/* the labels go in every case */

err_free_insns:
	free(st.insns);
err_free_labels:
	for (u32 i = 0; i < st.label_cnt; i++)
		free(st.labels[i].name);
	free(st.labels);
	return err;
}

/* ---- disassembler ---------------------------------------------------------- */

/* Does @insn have exactly the encoding row @m produces (no stray fields)? */
static bool disasm_matches(const struct asm_mnem *m, const struct bpf_insn *insn)
{
	u8 kx = insn->code & ~BPF_X;
	bool x = insn->code & BPF_X;

	switch (m->form) {
	case ASM_ALU:
	case ASM_JCOND:
		if (kx != m->code || (x ? insn->imm != 0 : insn->src_reg != 0))
			return false;
		return m->form == ASM_JCOND || insn->off == m->off;
	case ASM_NEG:
	case ASM_END:
		return insn->code == m->code && !insn->src_reg && !insn->off &&
		       insn->imm == m->imm;
	case ASM_MOVSX:
		return insn->code == m->code && insn->off == m->off && !insn->imm;
	case ASM_JA:
		return insn->code == m->code && !insn->dst_reg && !insn->src_reg && !insn->imm;
	case ASM_JA32:
		return insn->code == m->code && !insn->dst_reg && !insn->src_reg && !insn->off;
	case ASM_EXIT:
		return insn->code == m->code && !insn->dst_reg && !insn->src_reg &&
		       !insn->off && !insn->imm;
	case ASM_CALL:
		if (insn->off)
			return false;
		if (insn->code == (m->code | BPF_X))
			return !insn->src_reg && !insn->imm;
		return insn->code == m->code && !insn->dst_reg && insn->src_reg <= 2;
	case ASM_LDDW:
		return insn->code == m->code && !insn->src_reg && !insn->off;
	case ASM_LDX:
	case ASM_STX:
		return insn->code == m->code && !insn->imm;
	case ASM_ST:
		return insn->code == m->code && !insn->src_reg;
	case ASM_ATOMIC:
		return insn->code == m->code && insn->imm == m->imm;
	}
	return false;
}

static void disasm_mem(char *buf, size_t size, u8 reg, s16 off)
{
	if (off)
		snprintf(buf, size, "[%%r%u%+d]", reg, off);
	else
		snprintf(buf, size, "[%%r%u]", reg);
}

static void disasm_call(const struct bpf_insn *insn, char *buf, size_t size)
{
	if (insn->code & BPF_X)
		snprintf(buf, size, "call %%r%u", insn->dst_reg);
	else if (insn->src_reg == BPF_PSEUDO_CALL)
		snprintf(buf, size, "call local %+d", insn->imm);
	else if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
		snprintf(buf, size, "call runtime %d", insn->imm);
	else
		snprintf(buf, size, "call %d", insn->imm);
}

static void disasm_src(const struct bpf_insn *insn, char *buf, size_t size)
{
	if (insn->code & BPF_X)
		snprintf(buf, size, "%%r%u", insn->src_reg);
	else
		snprintf(buf, size, "%d", insn->imm);
}

static void disasm_format(const struct asm_mnem *m, const struct bpf_insn *insn,
			  char *buf, size_t size)
{
	char mem[32], src[16];
	u64 v;

	disasm_mem(mem, sizeof(mem), m->form == ASM_LDX ? insn->src_reg : insn->dst_reg,
		   insn->off);
	disasm_src(insn, src, sizeof(src));
	switch (m->form) {
	case ASM_ALU:
	case ASM_MOVSX:
		snprintf(buf, size, "%s %%r%u, %s", m->name, insn->dst_reg, src);
		break;
	case ASM_NEG:
	case ASM_END:
		snprintf(buf, size, "%s %%r%u", m->name, insn->dst_reg);
		break;
	case ASM_JCOND:
		snprintf(buf, size, "%s %%r%u, %s, %+d", m->name, insn->dst_reg, src, insn->off);
		break;
	case ASM_JA:
		snprintf(buf, size, "ja %+d", insn->off);
		break;
	case ASM_JA32:
		snprintf(buf, size, "ja32 %+d", insn->imm);
		break;
	case ASM_EXIT:
		snprintf(buf, size, "exit");
		break;
	case ASM_CALL:
		disasm_call(insn, buf, size);
		break;
	case ASM_LDDW:
		v = (u64)(u32)insn[0].imm | (u64)(u32)insn[1].imm << 32;
		snprintf(buf, size, "lddw %%r%u, 0x%llx", insn->dst_reg, (unsigned long long)v);
		break;
	case ASM_LDX:
		snprintf(buf, size, "%s %%r%u, %s", m->name, insn->dst_reg, mem);
		break;
	case ASM_ST:
		snprintf(buf, size, "%s %s, %d", m->name, mem, insn->imm);
		break;
	case ASM_STX:
	case ASM_ATOMIC:
		snprintf(buf, size, "%s %s, %%r%u", m->name, mem, insn->src_reg);
		break;
	}
}

int bpffs_disasm_insn(const struct bpf_insn *insn, char *buf, size_t size)
{
	const struct bpf_insn *next = insn + 1;

	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(asm_mnems); i++) {
		const struct asm_mnem *m = &asm_mnems[i];

		if (!disasm_matches(m, insn))
			continue;
		if (m->form == ASM_LDDW &&
		    (next->code || next->dst_reg || next->src_reg || next->off))
			break;
		disasm_format(m, insn, buf, size);
		return m->form == ASM_LDDW ? 2 : 1;
	}
	snprintf(buf, size, "(bad) code 0x%02x dst %u src %u off %d imm %d", insn->code,
		 insn->dst_reg, insn->src_reg, insn->off, insn->imm);
	return -EINVAL;
}
