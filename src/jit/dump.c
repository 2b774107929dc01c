// SPDX-License-Identifier: MIT
/*
 * Disassembly of a JIT image for users, like `bpftool prog dump jited`: the
 * BPF instruction as a comment, then its native instructions (capstone,
 * Intel syntax) with their offsets in the image. jit_offsets maps each BPF
 * instruction to its first native byte; subprogram prologues are labelled.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "jit.h"
#include "internal.h"

struct dump_buf {
	char *text;
	size_t len, cap;
	int err;
};

static void dump_printf(struct dump_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dump_printf(struct dump_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->len + (size_t)n < b->cap)
			break;
		char *t = realloc(b->text, b->cap * 2 + (size_t)n);

		if (!t) {
			b->err = -ENOMEM;
			return;
		}
		b->text = t;
		b->cap = b->cap * 2 + (size_t)n;
	}
	b->len += (size_t)n;
}

/* Native instructions in [from, to) of the image. */
static void dump_range(struct dump_buf *b, csh cs, const u8 *image, size_t from, size_t to)
{
	cs_insn *ci;
	size_t cnt = to > from ? cs_disasm(cs, image + from, to - from, from, 0, &ci) : 0;
	size_t done = from;

	for (size_t k = 0; k < cnt; k++) {
		dump_printf(b, "%5llx:\t%s\t%s\n", (unsigned long long)ci[k].address,
			    ci[k].mnemonic, ci[k].op_str);
		done = (size_t)ci[k].address + ci[k].size;
	}
	if (cnt)
		cs_free(ci, cnt);
	if (done < to)
		dump_printf(b, "%5zx:\t(%zu bytes not decoded)\n", done, to - done);
}

int bpffs_jit_dump(const struct bpffs_prog *prog, char **text)
{
	struct dump_buf b = { .cap = 4096 };
	const u32 *off = prog->jit_offsets;
	u32 n = prog->insn_cnt;
	u8 *pro = NULL;
	char line[160];
	csh cs;

	*text = NULL;
	if (!prog->jit_image || !off)
		return -ENOENT;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -EOPNOTSUPP;
	b.text = malloc(b.cap);
	b.err = b.text ? jit_prologue_map(prog, &pro) : -ENOMEM;
	for (u32 i = 0; i < n && !b.err; i++) {
		size_t start = off[i], end;

		if (pro[i]) {
			dump_printf(&b, "; %s at insn %u: prologue\n", i ? "subprogram" : "program", i);
			dump_range(&b, cs, prog->jit_image, off[i] - (pro[i] - 1), off[i]);
		}
		bpffs_disasm_insn(&prog->insns[i], line, sizeof(line));
		dump_printf(&b, "; %u: %s\n", i, line);
		if (bpffs_insn_is_wide(&prog->insns[i]) && i + 1 < n)
			i++;
		end = i + 1 < n ? off[i + 1] - (pro[i + 1] ? pro[i + 1] - 1 : 0) : prog->jit_size;
		dump_range(&b, cs, prog->jit_image, start, end);
	}
	cs_close(&cs);
	free(pro);
	if (b.err) {
		free(b.text);
		return b.err;
	}
	*text = b.text;
	return 0;
}
