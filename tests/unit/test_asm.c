// SPDX-License-Identifier: MIT
/*
 * Unit tests of the bpf_conformance-dialect assembler, disassembler and `.data`
 * reader (src/core/asm.c, src/core/data_file.c): the encoding of every
 * mnemonic against hand-written instructions, labels and the `exit` rule,
 * error messages with line numbers, both `-- raw` layouts, and a round trip
 * asm -> disasm -> asm over the whole conformance corpus.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "harness.h"

static const char *corpus_dir(const char *sub)
{
	static char path[512];
	const char *base = getenv("BPFFS_CONFORMANCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", base ? base : "../shared/conformance", sub);
	return path;
}

static char logbuf[4096];
static struct bpffs_vlog tlog = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

/* Assemble @text; returns -errno, the instructions in *out (caller frees). */
static int as(const char *text, struct bpf_insn **out, u32 *cnt)
{
	bpffs_vlog_reset(&tlog);
	*out = NULL;
	*cnt = 0;
	return bpffs_asm(text, out, cnt, &tlog);
}

/* Does @text assemble to exactly @cnt instructions equal to @want? */
static bool as_equals(const char *text, const struct bpf_insn *want, u32 cnt)
{
	struct bpf_insn *got;
	u32 n;
	bool ok;

	if (as(text, &got, &n)) {
		printf("# '%s': %s", text, logbuf);
		return false;
	}
	ok = n == cnt && !memcmp(got, want, cnt * sizeof(*want));
	if (!ok)
		for (u32 i = 0; i < n; i++)
			printf("# '%s' slot %u: code 0x%02x dst %u src %u off %d imm %d\n", text, i,
			       got[i].code, got[i].dst_reg, got[i].src_reg, got[i].off, got[i].imm);
	free(got);
	return ok;
}

/* Must fail with -EINVAL and a log line containing @msg. */
static bool as_fails(const char *text, const char *msg)
{
	struct bpf_insn *got;
	u32 n;
	int err = as(text, &got, &n);

	free(got);
	if (err != -EINVAL || !strstr(logbuf, msg)) {
		printf("# '%s': err %d, log '%s', want '%s'\n", text, err, logbuf, msg);
		return false;
	}
	return true;
}

#define I(CODE, DST, SRC, OFF, IMM) BPFFS_INSN(CODE, DST, SRC, OFF, IMM)

struct enc_case {
	const char *text;
	struct bpf_insn insn;
};

/* One row per mnemonic spelling; the expected values are written out by hand. */
static const struct enc_case enc_cases[] = {
	{ "add %r1, 2", I(0x07, 1, 0, 0, 2) },
	{ "add %r1, %r2", I(0x0f, 1, 2, 0, 0) },
	{ "add64 %r1, -2", I(0x07, 1, 0, 0, -2) },
	{ "add32 %r1, %r2", I(0x0c, 1, 2, 0, 0) },
	{ "add32 %r1, 2", I(0x04, 1, 0, 0, 2) },
	{ "sub %r3, 4", I(0x17, 3, 0, 0, 4) },
	{ "sub64 %r3, %r4", I(0x1f, 3, 4, 0, 0) },
	{ "sub32 %r3, %r4", I(0x1c, 3, 4, 0, 0) },
	{ "mul %r0, 7", I(0x27, 0, 0, 0, 7) },
	{ "mul64 %r0, %r9", I(0x2f, 0, 9, 0, 0) },
	{ "mul32 %r0, 7", I(0x24, 0, 0, 0, 7) },
	{ "div %r0, 3", I(0x37, 0, 0, 0, 3) },
	{ "div64 %r0, %r1", I(0x3f, 0, 1, 0, 0) },
	{ "div32 %r0, %r1", I(0x3c, 0, 1, 0, 0) },
	{ "sdiv %r0, -3", I(0x37, 0, 0, 1, -3) },
	{ "sdiv64 %r0, %r1", I(0x3f, 0, 1, 1, 0) },
	{ "sdiv32 %r0, %r1", I(0x3c, 0, 1, 1, 0) },
	{ "sdiv32 %r0, 5", I(0x34, 0, 0, 1, 5) },
	{ "or %r5, 0x10", I(0x47, 5, 0, 0, 0x10) },
	{ "or64 %r5, %r6", I(0x4f, 5, 6, 0, 0) },
	{ "or32 %r5, %r6", I(0x4c, 5, 6, 0, 0) },
	{ "and %r5, 0xff", I(0x57, 5, 0, 0, 0xff) },
	{ "and64 %r5, %r6", I(0x5f, 5, 6, 0, 0) },
	{ "and32 %r5, 1", I(0x54, 5, 0, 0, 1) },
	{ "lsh %r1, 60", I(0x67, 1, 0, 0, 60) },
	{ "lsh64 %r1, %r2", I(0x6f, 1, 2, 0, 0) },
	{ "lsh32 %r1, -16", I(0x64, 1, 0, 0, -16) },
	{ "rsh %r1, 8", I(0x77, 1, 0, 0, 8) },
	{ "rsh64 %r1, %r2", I(0x7f, 1, 2, 0, 0) },
	{ "rsh32 %r1, %r2", I(0x7c, 1, 2, 0, 0) },
	{ "mod %r1, 3", I(0x97, 1, 0, 0, 3) },
	{ "mod64 %r1, %r2", I(0x9f, 1, 2, 0, 0) },
	{ "mod32 %r1, %r2", I(0x9c, 1, 2, 0, 0) },
	{ "smod %r1, -3", I(0x97, 1, 0, 1, -3) },
	{ "smod64 %r1, %r2", I(0x9f, 1, 2, 1, 0) },
	{ "smod32 %r1, 3", I(0x94, 1, 0, 1, 3) },
	{ "xor %r7, 0xffffffff", I(0xa7, 7, 0, 0, -1) },
	{ "xor64 %r7, %r8", I(0xaf, 7, 8, 0, 0) },
	{ "xor32 %r7, %r8", I(0xac, 7, 8, 0, 0) },
	{ "mov %r0, -10", I(0xb7, 0, 0, 0, -10) },
	{ "mov64 %r0, %r10", I(0xbf, 0, 10, 0, 0) },
	{ "mov32 %r0, 2147483647", I(0xb4, 0, 0, 0, 2147483647) },
	{ "mov32 %r0, -2147483648", I(0xb4, 0, 0, 0, INT32_MIN) },
	{ "mov32 %r0, %r1", I(0xbc, 0, 1, 0, 0) },
	{ "arsh %r0, 3", I(0xc7, 0, 0, 0, 3) },
	{ "arsh64 %r0, %r1", I(0xcf, 0, 1, 0, 0) },
	{ "arsh32 %r0, 0x30", I(0xc4, 0, 0, 0, 48) },
	{ "neg %r2", I(0x87, 2, 0, 0, 0) },
	{ "neg64 %r2", I(0x87, 2, 0, 0, 0) },
	{ "neg32 %r2", I(0x84, 2, 0, 0, 0) },
	{ "movsx832 %r0, %r1", I(0xbc, 0, 1, 8, 0) },
	{ "movsx1632 %r0, %r1", I(0xbc, 0, 1, 16, 0) },
	{ "movsx864 %r0, %r1", I(0xbf, 0, 1, 8, 0) },
	{ "movsx1664 %r0, %r1", I(0xbf, 0, 1, 16, 0) },
	{ "movsx3264 %r0, %r1", I(0xbf, 0, 1, 32, 0) },
	{ "le16 %r3", I(0xd4, 3, 0, 0, 16) },
	{ "le32 %r3", I(0xd4, 3, 0, 0, 32) },
	{ "le64 %r3", I(0xd4, 3, 0, 0, 64) },
	{ "be16 %r3", I(0xdc, 3, 0, 0, 16) },
	{ "be32 %r3", I(0xdc, 3, 0, 0, 32) },
	{ "be64 %r3", I(0xdc, 3, 0, 0, 64) },
	{ "bswap16 %r3", I(0xd7, 3, 0, 0, 16) },
	{ "bswap32 %r3", I(0xd7, 3, 0, 0, 32) },
	{ "bswap64 %r3", I(0xd7, 3, 0, 0, 64) },
	{ "swap16 %r3", I(0xd7, 3, 0, 0, 16) },
	{ "swap32 %r3", I(0xd7, 3, 0, 0, 32) },
	{ "swap64 %r3", I(0xd7, 3, 0, 0, 64) },
	{ "jeq %r1, 0, +2", I(0x15, 1, 0, 2, 0) },
	{ "jeq %r1, %r2, -1", I(0x1d, 1, 2, -1, 0) },
	{ "jeq32 %r1, 5, +0", I(0x16, 1, 0, 0, 5) },
	{ "jeq32 %r1, %r2, +1", I(0x1e, 1, 2, 1, 0) },
	{ "jgt %r1, 5, +1", I(0x25, 1, 0, 1, 5) },
	{ "jgt32 %r1, %r2, +1", I(0x2e, 1, 2, 1, 0) },
	{ "jge %r1, %r2, +1", I(0x3d, 1, 2, 1, 0) },
	{ "jge32 %r1, 5, +1", I(0x36, 1, 0, 1, 5) },
	{ "jset %r1, 0x80, +1", I(0x45, 1, 0, 1, 0x80) },
	{ "jset32 %r1, %r2, +1", I(0x4e, 1, 2, 1, 0) },
	{ "jne %r1, %r2, +1", I(0x5d, 1, 2, 1, 0) },
	{ "jne32 %r1, 5, +1", I(0x56, 1, 0, 1, 5) },
	{ "jsgt %r1, -1, +1", I(0x65, 1, 0, 1, -1) },
	{ "jsgt32 %r1, %r2, +1", I(0x6e, 1, 2, 1, 0) },
	{ "jsge %r1, %r2, +1", I(0x7d, 1, 2, 1, 0) },
	{ "jsge32 %r1, 5, +1", I(0x76, 1, 0, 1, 5) },
	{ "jlt %r1, 5, +1", I(0xa5, 1, 0, 1, 5) },
	{ "jlt32 %r1, %r2, +1", I(0xae, 1, 2, 1, 0) },
	{ "jle %r1, %r2, +1", I(0xbd, 1, 2, 1, 0) },
	{ "jle32 %r1, 5, +1", I(0xb6, 1, 0, 1, 5) },
	{ "jslt %r1, 5, +1", I(0xc5, 1, 0, 1, 5) },
	{ "jslt32 %r1, %r2, +1", I(0xce, 1, 2, 1, 0) },
	{ "jsle %r1, %r2, +1", I(0xdd, 1, 2, 1, 0) },
	{ "jsle32 %r1, 5, +1", I(0xd6, 1, 0, 1, 5) },
	{ "ja +3", I(0x05, 0, 0, 3, 0) },
	{ "ja -1", I(0x05, 0, 0, -1, 0) },
	{ "ja32 +70000", I(0x06, 0, 0, 0, 70000) },
	{ "ja32 -2", I(0x06, 0, 0, 0, -2) },
	{ "exit", I(0x95, 0, 0, 0, 0) },
	{ "call 5", I(0x85, 0, 0, 0, 5) },
	{ "call helper 7", I(0x85, 0, 0, 0, 7) },
	{ "call runtime 9", I(0x85, 0, 2, 0, 9) },
	{ "call local +4", I(0x85, 0, 1, 0, 4) },
	{ "call %r2", I(0x8d, 2, 0, 0, 0) },
	{ "call helper %r3", I(0x8d, 3, 0, 0, 0) },
	{ "ldxb %r0, [%r1]", I(0x71, 0, 1, 0, 0) },
	{ "ldxh %r0, [%r1+2]", I(0x69, 0, 1, 2, 0) },
	{ "ldxw %r0, [%r1+0x10]", I(0x61, 0, 1, 16, 0) },
	{ "ldxdw %r0, [%r10-8]", I(0x79, 0, 10, -8, 0) },
	{ "ldxsb %r0, [%r10-1]", I(0x91, 0, 10, -1, 0) },
	{ "ldxsh %r0, [%r10-2]", I(0x89, 0, 10, -2, 0) },
	{ "ldxsw %r0, [%r10-4]", I(0x81, 0, 10, -4, 0) },
	{ "stb [%r1+2], 0x11", I(0x72, 1, 0, 2, 0x11) },
	{ "sth [%r1+32767], -1", I(0x6a, 1, 0, 32767, -1) },
	{ "stw [%r1-32768], 5", I(0x62, 1, 0, -32768, 5) },
	{ "stdw [%r10-8], 0x7fffffff", I(0x7a, 10, 0, -8, 0x7fffffff) },
	{ "stxb [%r1], %r2", I(0x73, 1, 2, 0, 0) },
	{ "stxh [%r1+2], %r2", I(0x6b, 1, 2, 2, 0) },
	{ "stxw [%r1+4], %r2", I(0x63, 1, 2, 4, 0) },
	{ "stxdw [%r10-16], %r9", I(0x7b, 10, 9, -16, 0) },
	{ "lock add [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x00) },
	{ "lock and [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x50) },
	{ "lock or [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x40) },
	{ "lock xor [%r10-8], %r1", I(0xdb, 10, 1, -8, 0xa0) },
	{ "lock fetch add [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x01) },
	{ "lock fetch and [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x51) },
	{ "lock fetch or [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x41) },
	{ "lock fetch xor [%r10-8], %r1", I(0xdb, 10, 1, -8, 0xa1) },
	{ "lock xchg [%r10-8], %r1", I(0xdb, 10, 1, -8, 0xe1) },
	{ "lock cmpxchg [%r10-8], %r1", I(0xdb, 10, 1, -8, 0xf1) },
	{ "lock add32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x00) },
	{ "lock and32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x50) },
	{ "lock or32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x40) },
	{ "lock xor32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0xa0) },
	{ "lock fetch add32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x01) },
	{ "lock fetch and32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x51) },
	{ "lock fetch or32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x41) },
	{ "lock fetch xor32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0xa1) },
	{ "lock xchg32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0xe1) },
	{ "lock cmpxchg32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0xf1) },
};

static void test_encodings(void)
{
	TEST("every mnemonic spelling encodes to the hand-written instruction")
	{
		for (size_t i = 0; i < BPFFS_ARRAY_SIZE(enc_cases); i++)
			CHECK(as_equals(enc_cases[i].text, &enc_cases[i].insn, 1));
	}
	TEST("lddw takes two slots: low 32 bits, then high 32 bits")
	{
		const struct bpf_insn hex[] = { BPFFS_LD_IMM64(1, 0x123456789abcdef0ull) };
		const struct bpf_insn big[] = { BPFFS_LD_IMM64(0, 0x80000000ull) };
		const struct bpf_insn neg[] = { BPFFS_LD_IMM64(2, -2ll) };
		const struct bpf_insn max[] = { BPFFS_LD_IMM64(3, UINT64_MAX) };

		CHECK(as_equals("lddw %r1, 0x123456789abcdef0", hex, 2));
		CHECK(as_equals("lddw %r0, 2147483648", big, 2));
		CHECK(as_equals("lddw %r2, -2", neg, 2));
		CHECK(as_equals("lddw %r3, 18446744073709551615", max, 2));
		CHECK_EQ(hex[0].code, 0x18);
		CHECK_EQ((u32)hex[0].imm, 0x9abcdef0);
		CHECK_EQ((u32)hex[1].imm, 0x12345678);
	}
	TEST("comments, blank lines, tabs and one trailing comma per operand")
	{
		const struct bpf_insn want[] = { I(0xb7, 0, 0, 0, 1), I(0x95, 0, 0, 0, 0) };

		CHECK(as_equals("# header\n\n\tmov\t%r0,  1   # set r0\r\nexit\n", want, 2));
		CHECK(as_fails("mov %r0,1\nexit\n", "line 1: mov: expected 2 operands, got 1"));
		CHECK(as_fails("add %r0,1, 2\nexit\n", "line 1: bad register '%r0,1'"));
	}
	TEST("registers %r11..%r15 encode (for negative tests), %r16 does not")
	{
		CHECK(as_equals("mov %r15, %r11", (struct bpf_insn[]){ I(0xbf, 15, 11, 0, 0) }, 1));
		CHECK(as_fails("mov %r16, 0", "bad register '%r16'"));
		CHECK(as_fails("mov r1, 0", "bad register 'r1'"));
	}
}

static void test_labels(void)
{
	TEST("labels resolve forward and backward, relative to the next slot")
	{
		const struct bpf_insn want[] = {
			I(0xb7, 0, 0, 0, 0),		/* 0 */
			I(0x15, 1, 0, 3, 0),		/* 1: jeq -> 5 */
			BPFFS_LD_IMM64(2, 1),		/* 2-3 */
			I(0x05, 0, 0, -4, 0),		/* 4: ja -> 1 */
			I(0x95, 0, 0, 0, 0),		/* 5 */
		};

		CHECK(as_equals("mov %r0, 0\ntop:\njeq %r1, 0, out\nlddw %r2, 1\n"
				"ja top\nout:\nexit\n", want, 6));
	}
	TEST("`exit` names the first exit instruction unless a label says otherwise")
	{
		const struct bpf_insn first[] = {
			I(0x55, 1, 0, 0, 0), I(0x95, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0),
		};
		const struct bpf_insn labelled[] = {
			I(0x55, 1, 0, 1, 0), I(0x95, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0),
		};
		const struct bpf_insn back[] = {
			I(0x95, 0, 0, 0, 0), I(0x05, 0, 0, -2, 0),
		};

		CHECK(as_equals("jne %r1, 0, exit\nexit\nexit\n", first, 3));
		CHECK(as_equals("jne %r1, 0, exit\nmov %r0, 0\nexit\n",
				(struct bpf_insn[]){ I(0x55, 1, 0, 1, 0), I(0xb7, 0, 0, 0, 0),
						     I(0x95, 0, 0, 0, 0) }, 3));
		CHECK(as_equals("jne %r1, 0, exit\nexit\nexit:\nexit\n", labelled, 3));
		CHECK(as_equals("exit\nja exit\n", back, 2));
	}
	TEST("call local and ja32 take label targets into imm")
	{
		const struct bpf_insn want[] = {
			I(0x85, 0, 1, 0, 2), I(0x06, 0, 0, 0, 1), I(0x95, 0, 0, 0, 0),
			I(0x06, 0, 0, 0, -4),
		};

		CHECK(as_equals("call local f\nja32 f\nexit\nf:\nja32 -4\n", want, 4));
		CHECK(as_equals("call local f\nja32 +1\nexit\nf:\nja32 -4\n", want, 4));
	}
	TEST("duplicate and unknown labels are errors naming the line")
	{
		CHECK(as_fails("a:\nmov %r0, 0\na:\nexit\n", "line 3: label 'a' defined twice"));
		CHECK(as_fails("ja nowhere\nexit\n", "line 1: unknown label 'nowhere'"));
		CHECK(as_fails("mov %r0, 0\nja exit\n", "line 2: unknown label 'exit'"));
	}
}

static void test_errors(void)
{
	TEST("errors name the source line and the problem")
	{
		CHECK(as_fails("mov %r0, 0\nor %r0, %r50\nexit", "line 2: bad register '%r50'"));
		CHECK(as_fails("\n\nldxq %r0, %r1\n", "line 3: unknown mnemonic 'ldxq'"));
		CHECK(as_fails("ldxb %r0, %r1", "line 1: bad memory operand '%r1'"));
		CHECK(as_fails("ldxb %r0, [%r1+0x10000]", "out of 16-bit range"));
		CHECK(as_fails("ldxb %r0, [%r1-32769]", "out of 16-bit range"));
		CHECK(as_fails("ldxb %r0, [%r20+1]", "bad register '%r20' in memory operand"));
		CHECK(as_fails("ldxb %r0, [%r1+x]", "bad memory operand"));
		CHECK(as_fails("mov32 %r0, 2147483648", "immediate 2147483648 out of 32-bit range"));
		CHECK(as_fails("mov32 %r0, -2147483649", "out of 32-bit range"));
		CHECK(as_fails("mov32 %r0, 0x100000000", "immediate 0x100000000 out of 32-bit range"));
		CHECK(as_fails("mov %r0, 12abc", "bad immediate '12abc'"));
		CHECK(as_fails("mov %r0, -0x5", "bad immediate '-0x5'"));
		CHECK(as_fails("lddw %r0, 0x10000000000000000", "bad immediate"));
		CHECK(as_fails("lddw %r0", "lddw: expected 2 operands, got 1"));
		CHECK(as_fails("exit %r0", "exit: expected 0 operands, got 1"));
		CHECK(as_fails("jeq %r0, 0", "jeq: expected 3 operands, got 2"));
		CHECK(as_fails("neg %r0, 1", "neg: expected 1 operand, got 2"));
		CHECK(as_fails("lock or [%r10-8]", "lock or: expected 2 operands, got 1"));
		CHECK(as_fails("lock", "lock: missing operation"));
		CHECK(as_fails("lock fetch xchg [%r10-8], %r1", "unknown mnemonic 'lock fetch xchg'"));
		CHECK(as_fails("movsx864 %r0, 5", "bad register '5'"));
		CHECK(as_fails("call", "call: expected 1 or 2 operands, got 0"));
		CHECK(as_fails("call far 5", "unknown call kind 'far'"));
		CHECK(as_fails("ja +32768", "out of range"));
		CHECK(as_fails("ja 5", "unknown label '5'"));
		CHECK(as_fails("mov %r0, 1 2 3 4 5 6 7 8", "too many operands"));
		CHECK(as_fails("# nothing\n\n", "no instructions"));
	}
	TEST("jump offsets at the 16-bit limits assemble, beyond them fail")
	{
		CHECK(as_equals("ja +32767", (struct bpf_insn[]){ I(0x05, 0, 0, 32767, 0) }, 1));
		CHECK(as_equals("ja -32768", (struct bpf_insn[]){ I(0x05, 0, 0, -32768, 0) }, 1));
		CHECK(as_fails("jeq %r1, 0, -32769", "out of range"));
	}
}

/* ---- disassembler -------------------------------------------------------- */

static void test_disasm(void)
{
	TEST("disassembly of single instructions reads in the dialect")
	{
		const struct bpf_insn ld[] = { BPFFS_LD_IMM64(1, 0x1122334455667788ull) };
		char buf[128];

		CHECK_EQ(bpffs_disasm_insn(&I(0x0f, 1, 2, 0, 0), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "add %r1, %r2");
		CHECK_EQ(bpffs_disasm_insn(&I(0x79, 0, 10, -8, 0), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "ldxdw %r0, [%r10-8]");
		CHECK_EQ(bpffs_disasm_insn(&I(0xc3, 10, 1, -4, 0xa1), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "lock fetch xor32 [%r10-4], %r1");
		CHECK_EQ(bpffs_disasm_insn(&I(0x1e, 1, 2, -3, 0), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "jeq32 %r1, %r2, -3");
		CHECK_EQ(bpffs_disasm_insn(&I(0x85, 0, 1, 0, 7), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "call local +7");
		CHECK_EQ(bpffs_disasm_insn(&I(0x8d, 2, 0, 0, 0), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "call %r2");
		CHECK_EQ(bpffs_disasm_insn(ld, buf, sizeof(buf)), 2);
		CHECK_STR_CONTAINS(buf, "lddw %r1, 0x1122334455667788");
		CHECK_EQ(bpffs_disasm_insn(&I(0x37, 1, 0, 1, -3), buf, sizeof(buf)), 1);
		CHECK_STR_CONTAINS(buf, "sdiv %r1, -3");
	}
	TEST("disassembler refuses encodings the dialect cannot write")
	{
		char buf[128];

		CHECK_EQ(bpffs_disasm_insn(&I(0x04, 0, 1, 0, 1), buf, sizeof(buf)), -EINVAL);
		CHECK_STR_CONTAINS(buf, "(bad) code 0x04");
		CHECK_EQ(bpffs_disasm_insn(&I(0x95, 1, 0, 0, 0), buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_disasm_insn(&I(0xff, 0, 0, 0, 0), buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_disasm_insn(&I(0xdf, 0, 0, 0, 16), buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_disasm_insn(&I(0xb7, 0, 0, 8, 0), buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_disasm_insn(&I(0x85, 0, 3, 0, 0), buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_disasm_insn(&I(0xd4, 0, 0, 0, 8), buf, sizeof(buf)), -EINVAL);
	}
	TEST("every table spelling survives asm -> disasm -> asm")
	{
		for (size_t i = 0; i < BPFFS_ARRAY_SIZE(enc_cases); i++) {
			char buf[128];

			CHECK_EQ(bpffs_disasm_insn(&enc_cases[i].insn, buf, sizeof(buf)), 1);
			CHECK(as_equals(buf, &enc_cases[i].insn, 1));
		}
	}
}

/* ---- .data reader ---------------------------------------------------------- */

static int parse(const char *text, struct bpffs_data_file *df)
{
	bpffs_vlog_reset(&tlog);
	return bpffs_data_file_parse(text, strlen(text), df, &tlog);
}

static void test_data_file(void)
{
	struct bpffs_data_file df;

	TEST("sections in any order; mem bytes joined; result hex or decimal")
	{
		CHECK_EQ(parse("# c\n-- result\n0x00000000FFFFFFF6\n-- asm\nmov %r0, 1 # x\n"
			       "exit\n-- mem\naa BB\n0c\n-- c\nint x--;\n", &df), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "line 11: unknown section header 'int x--;'");
		CHECK_EQ(parse("# c\n-- result\n0x00000000FFFFFFF6\n-- asm\nmov %r0, 1 # x\n"
			       "exit\n-- mem\naa BB\n0c\n-- c\nint x;\n", &df), 0);
		CHECK(df.has_result);
		CHECK_EQ(df.result, 0xfffffff6);
		CHECK(df.has_mem);
		CHECK_EQ(df.mem_len, 3);
		CHECK(df.mem && df.mem[0] == 0xaa && df.mem[1] == 0xbb && df.mem[2] == 0x0c);
		CHECK(df.error == NULL);
		CHECK(df.raw == NULL);
		CHECK(df.asm_text && strstr(df.asm_text, "\n\n\n\nmov %r0, 1\nexit\n") ==
		      df.asm_text);
		bpffs_data_file_fini(&df);
		CHECK_EQ(parse("-- asm\nexit\n-- result\n1\n\n42\n", &df), 0);
		CHECK_EQ(df.result, 42);
		bpffs_data_file_fini(&df);
	}
	TEST("asm errors report the .data file's own line numbers")
	{
		struct bpf_insn *insns = NULL;
		u32 cnt;

		CHECK_EQ(parse("# a\n# b\n-- asm\nmov %r0, 0\nor %r0, %r50\nexit\n-- result\n0\n",
			       &df), 0);
		CHECK_EQ(bpffs_data_file_insns(&df, &insns, &cnt, &tlog), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "line 5: bad register '%r50'");
		bpffs_data_file_fini(&df);
	}
	TEST("-- raw: 64-bit numbers per slot, and eight hex bytes per line")
	{
		struct bpf_insn *insns = NULL;
		u32 cnt = 0;

		CHECK_EQ(parse("-- raw\n0x5566778800000018 0x1122334400000000\n149\n-- asm\nbogus\n"
			       "-- result\n0x1122334455667788\n", &df), 0);
		CHECK_EQ(df.raw_cnt, 3);
		CHECK(df.asm_text == NULL);
		CHECK_EQ(bpffs_data_file_insns(&df, &insns, &cnt, &tlog), 0);
		CHECK_EQ(cnt, 3);
		CHECK(insns && insns[0].code == 0x18 && (u32)insns[0].imm == 0x55667788);
		CHECK(insns && (u32)insns[1].imm == 0x11223344 && insns[2].code == 0x95);
		free(insns);
		bpffs_data_file_fini(&df);
		CHECK_EQ(parse("-- raw\n04 10 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n",
			       &df), 0);
		CHECK_EQ(df.raw_cnt, 2);
		CHECK(df.raw && df.raw[0].code == 0x04 && df.raw[0].src_reg == 1 &&
		      df.raw[0].dst_reg == 0 && df.raw[0].imm == 1);
		CHECK(df.error && df.error[0] == '\0');
		CHECK(!df.has_result);
		bpffs_data_file_fini(&df);
	}
	TEST("error section keeps its last line; 0x7F bytes in comments are fine")
	{
		CHECK_EQ(parse("-- asm\nexit # caf\x7f\n-- error\nfirst\n  Invalid  \n", &df), 0);
		CHECK(df.error && !strcmp(df.error, "Invalid"));
		bpffs_data_file_fini(&df);
	}
	TEST("bad files: no program, unknown header, bad tokens, stray text")
	{
		CHECK_EQ(parse("# only comments\n", &df), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "no program");
		CHECK_EQ(parse("-- result\n0x0\n", &df), -EINVAL);
		CHECK_EQ(parse("-- asm\n-- Unknown directive\n", &df), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "line 2: unknown section header");
		CHECK_EQ(parse("-- asm\nexit\n-- mem\nzz\n", &df), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "line 4: bad memory byte 'zz'");
		CHECK_EQ(parse("-- raw\n0xg\n", &df), -EINVAL);
		CHECK_EQ(parse("-- raw\n", &df), -EINVAL);
		CHECK_EQ(parse("-- asm\nexit\n-- result\nabc\n", &df), -EINVAL);
		CHECK_EQ(parse("exit\n-- asm\nexit\n", &df), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "line 1: text outside any section");
	}
}

/* ---- the corpus ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* disassemble a whole program into text, or NULL if a slot cannot be written */
static char *disasm_prog(const struct bpf_insn *insns, u32 cnt)
{
	char *text = calloc(cnt, 96), line[96];
	size_t used = 0;

	for (u32 i = 0; text && i < cnt;) {
		int n = -EINVAL;

		if (i + 1 < cnt || !bpffs_insn_is_wide(&insns[i]))
			n = bpffs_disasm_insn(&insns[i], line, sizeof(line));
		if (n < 0) {
			printf("# slot %u: %s\n", i, line);
			free(text);
			return NULL;
		}
		used += (size_t)snprintf(text + used, 96 * cnt - used, "%s\n", line);
		i += (u32)n;
	}
	return text;
}

/* Load @dir/@name; returns its program or NULL. */
static struct bpf_insn *corpus_prog(const char *dir, const char *name, u32 *cnt,
				    struct bpffs_data_file *df)
{
	struct bpf_insn *insns = NULL;
	char path[1024];
	size_t len;
	char *text;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = slurp(path, &len);
	if (!text)
		return NULL;
	bpffs_vlog_reset(&tlog);
	err = bpffs_data_file_parse(text, len, df, &tlog);
	free(text);
	if (!err)
		err = bpffs_data_file_insns(df, &insns, cnt, &tlog);
	if (err)
		printf("# %s: %s", name, logbuf);
	return err ? NULL : insns;
}

static int corpus_roundtrip(const char *dir, const char *name)
{
	struct bpffs_data_file df;
	struct bpf_insn *insns, *again = NULL;
	u32 cnt, cnt2 = 0;
	char *text;
	int bad = 1;

	insns = corpus_prog(dir, name, &cnt, &df);
	if (!insns)
		return 1;
	text = disasm_prog(insns, cnt);
	if (text && !as(text, &again, &cnt2) && cnt2 == cnt &&
	    !memcmp(insns, again, cnt * sizeof(*insns)))
		bad = 0;
	if (bad)
		printf("# %s: round trip differs\n", name);
	free(text);
	free(again);
	free(insns);
	bpffs_data_file_fini(&df);
	return bad;
}

static void test_corpus(void)
{
	const char *dir = corpus_dir("tests");
	struct dirent *de;
	int files = 0, bad = 0;
	DIR *d;

	TEST("every conformance file assembles, disassembles and reassembles identically")
	{
		d = opendir(dir);
		if (!d) {
			SKIP("conformance corpus not found");
		} else {
			while ((de = readdir(d))) {
				size_t n = strlen(de->d_name);

				if (n < 6 || strcmp(de->d_name + n - 5, ".data"))
					continue;
				files++;
				bad += corpus_roundtrip(dir, de->d_name);
			}
			closedir(d);
			CHECK_EQ(bad, 0);
			CHECK_EQ(files, 313);
		}
	}
	TEST("lddw.data: its -- raw section equals its assembled -- asm")
	{
		struct bpffs_data_file df;
		struct bpf_insn *raw, *code = NULL;
		u32 cnt, cnt2 = 0;

		raw = corpus_prog(dir, "lddw.data", &cnt, &df);
		if (!raw) {
			SKIP("lddw.data not found");
		} else {
			CHECK(df.asm_text == NULL);
			CHECK(!bpffs_asm("lddw %r0, 0x1122334455667788\nexit\n", &code, &cnt2, NULL));
			CHECK_EQ(cnt, cnt2);
			CHECK(code && cnt == cnt2 && !memcmp(raw, code, cnt * sizeof(*raw)));
			free(code);
			free(raw);
			bpffs_data_file_fini(&df);
		}
	}
	TEST("negative/unused-* programs read in the byte layout and do not disassemble")
	{
		const char *ndir = corpus_dir("negative");
		int seen = 0, wrong = 0;

		d = opendir(ndir);
		if (!d) {
			SKIP("negative corpus not found");
		} else {
			while ((de = readdir(d))) {
				struct bpffs_data_file df;
				struct bpf_insn *insns;
				char buf[128];
				u32 cnt;

				if (strncmp(de->d_name, "unused-", 7))
					continue;
				seen++;
				insns = corpus_prog(ndir, de->d_name, &cnt, &df);
				if (!insns || cnt != 2 || !df.error ||
				    bpffs_disasm_insn(insns, buf, sizeof(buf)) != -EINVAL)
					wrong++;
				free(insns);
				if (insns)
					bpffs_data_file_fini(&df);
			}
			closedir(d);
			CHECK_EQ(seen, 45);
			CHECK_EQ(wrong, 0);
		}
	}
}

int main(void)
{
	test_encodings();
	test_labels();
	test_errors();
	test_disasm();
	test_data_file();
	test_corpus();
	return harness_done();
}
