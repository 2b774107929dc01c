// SPDX-License-Identifier: MIT
/*
 * Reader of the bpf_conformance `.data` test format (shared/conformance/README.md
 * section 1): `-- asm`, `-- raw` (64-bit numbers per slot, or the negative/
 * layout of eight two-digit hex bytes per line), `-- mem`, `-- result`,
 * `-- error`, and the ignored `-- c` and `-- no register offset`. It only
 * splits a file into its parts; assembling is bpffs_asm's job, running is the
 * caller's. Files are read as bytes: stray 0x7F bytes in comments are fine.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

enum df_section {
	DF_NONE,
	DF_ASM,
	DF_RESULT,
	DF_MEM,
	DF_RAW,
	DF_IGNORED,	/* -- c, -- no register offset */
	DF_ERROR,
};

struct df_state {
	struct bpffs_data_file *df;
	struct bpffs_vlog *log;
	enum df_section sec;
	u32 line;
	u32 asm_lines;		/* non-blank lines in -- asm */
	bool has_raw;
	char *result_line;	/* last non-blank line of -- result */
	char *asm_buf;		/* asm text being built, one line per file line */
	size_t asm_len;
};

static int df_err(struct df_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int df_err(struct df_state *st, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = bpffs_vlog_line_error(st->log, st->line, fmt, ap);
	va_end(ap);
	return err;
}

static bool df_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *df_trim(char *s)
{
	size_t n;

	while (df_space(*s))
		s++;
	n = strlen(s);
	while (n && df_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Section named by a header line, searched in the upstream reader's order. */
static int df_header(struct df_state *st, const char *line)
{
	static const struct { const char *key; enum df_section sec; } keys[] = {
		{ "asm", DF_ASM }, { "result", DF_RESULT }, { "mem", DF_MEM },
		{ "raw", DF_RAW }, { "no register offset", DF_IGNORED },
		{ " c", DF_IGNORED }, { "error", DF_ERROR },
	};

	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(keys); i++) {
		if (!strstr(line, keys[i].key))
			continue;
		st->sec = keys[i].sec;
		if (st->sec == DF_ERROR && !st->df->error)
			st->df->error = strdup("");
		if (st->sec == DF_MEM)
			st->df->has_mem = true;
		if (st->sec == DF_RAW)
			st->has_raw = true;
		return st->sec == DF_ERROR && !st->df->error ? -ENOMEM : 0;
	}
	return df_err(st, "unknown section header '%s'", line);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A number: 0x hex, or decimal (a leading '-' wraps to two's complement). */
static bool df_number(const char *tok, u64 *v)
{
	bool neg = tok[0] == '-';
	const char *p = tok + neg;
	unsigned base = 10;
	u64 acc = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		int d = hexval(*p);

		if (d < 0 || (unsigned)d >= base || acc > (UINT64_MAX - (unsigned)d) / base)
			return false;
		acc = acc * base + (unsigned)d;
	}
	*v = neg ? 0 - acc : acc;
	return true;
}

static int df_append(void **buf, size_t *cnt, size_t elem, const void *src)
{
	void *p = realloc(*buf, (*cnt + 1) * elem);

	if (!p)
		return -ENOMEM;
	memcpy((char *)p + *cnt * elem, src, elem);
	*buf = p;
	(*cnt)++;
	return 0;
}

static int df_slot(struct df_state *st, const u8 bytes[8])
{
	struct bpffs_data_file *df = st->df;
	struct bpf_insn insn;
	size_t cnt = df->raw_cnt;
	int err;

	memcpy(&insn, bytes, sizeof(insn));
	err = df_append((void **)&df->raw, &cnt, sizeof(insn), &insn);
	df->raw_cnt = (u32)cnt;
	return err;
}

static bool df_is_byte(const char *tok)
{
	return strlen(tok) == 2 && hexval(tok[0]) >= 0 && hexval(tok[1]) >= 0;
}

/* -- raw: eight two-digit hex bytes per line, else one 64-bit number per slot */
static int df_raw_line(struct df_state *st, char **tok, int ntok)
{
	u8 bytes[8];
	u64 v;
	int i, err = 0;

	for (i = 0; i < ntok && df_is_byte(tok[i]); i++)
		;
	if (ntok == 8 && i == 8) {
		for (i = 0; i < 8; i++)
			bytes[i] = (u8)(hexval(tok[i][0]) << 4 | hexval(tok[i][1]));
		return df_slot(st, bytes);
	}
	for (i = 0; i < ntok && !err; i++) {
		if (!df_number(tok[i], &v))
			return df_err(st, "bad raw instruction '%s'", tok[i]);
		for (int b = 0; b < 8; b++)
			bytes[b] = (u8)(v >> (8 * b));
		err = df_slot(st, bytes);
	}
	return err;
}

static int df_mem_line(struct df_state *st, char **tok, int ntok)
{
	struct bpffs_data_file *df = st->df;

	for (int i = 0; i < ntok; i++) {
		const char *t = tok[i];
		u8 byte;
		int err;

		if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
			t += 2;
		if (!*t || strlen(t) > 2 || hexval(t[0]) < 0 || (t[1] && hexval(t[1]) < 0))
			return df_err(st, "bad memory byte '%s' (expected two hex digits)", tok[i]);
		byte = (u8)(t[1] ? hexval(t[0]) << 4 | hexval(t[1]) : hexval(t[0]));
		err = df_append((void **)&df->mem, &df->mem_len, 1, &byte);
		if (err)
			return err;
	}
	return 0;
}

/* Split @line in place into whitespace-separated tokens. */
static int df_tokens(char *line, char **tok, int max)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (df_space(*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && !df_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static int df_keep_last(char **slot, const char *line)
{
	char *copy = strdup(line);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

/* One content line (comment removed, not blank) of the current section. */
static int df_content(struct df_state *st, char *line)
{
	char *tok[64];
	int ntok;

	switch (st->sec) {
	case DF_NONE:
		return df_err(st, "text outside any section: '%s'", line);
	case DF_ASM:
		st->asm_lines++;
		return 0;
	case DF_RESULT:
		return df_keep_last(&st->result_line, line);
	case DF_ERROR:
		return df_keep_last(&st->df->error, line);
	case DF_IGNORED:
		return 0;
	default:
		break;
	}
	ntok = df_tokens(line, tok, BPFFS_ARRAY_SIZE(tok));
	if (ntok < 0)
		return df_err(st, "too many tokens on one line");
	if (st->sec == DF_RAW)
		return df_raw_line(st, tok, ntok);
	return df_mem_line(st, tok, ntok);
}

/* Append @line (or an empty line) to the asm text, keeping file line numbers. */
static int df_asm_append(struct df_state *st, const char *line)
{
	size_t n = strlen(line);
	char *p = realloc(st->asm_buf, st->asm_len + n + 2);

	if (!p)
		return -ENOMEM;
	memcpy(p + st->asm_len, line, n);
	st->asm_len += n;
	p[st->asm_len++] = '\n';
	p[st->asm_len] = '\0';
	st->asm_buf = p;
	return 0;
}

static int df_line(struct df_state *st, const char *start, size_t len)
{
	char *copy = strndup(start, len), *line, *hash;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	hash = strchr(copy, '#');
	if (hash)
		*hash = '\0';
	line = df_trim(copy);
	if (strstr(line, "--"))
		err = df_header(st, line);
	else if (*line)
		err = df_content(st, line);
	if (!err)
		err = df_asm_append(st, st->sec == DF_ASM && !strstr(line, "--") ? line : "");
	free(copy);
	return err;
}

static int df_finish(struct df_state *st)
{
	struct bpffs_data_file *df = st->df;

	if (st->result_line) {
		char *tok[1];
		u64 v;

		if (df_tokens(st->result_line, tok, 1) != 1 || !df_number(tok[0], &v)) {
			bpffs_vlog_printf(st->log, "-- result: bad value '%s'\n", st->result_line);
			return -EINVAL;
		}
		df->has_result = true;
		df->result = v;
	}
	if (st->has_raw && !df->raw_cnt) {
		bpffs_vlog_printf(st->log, "-- raw: no instructions\n");
		return -EINVAL;
	}
	if (!st->has_raw && !st->asm_lines) {
		bpffs_vlog_printf(st->log, "no program: neither -- asm nor -- raw has instructions\n");
		return -EINVAL;
	}
	if (!st->has_raw) {
		df->asm_text = st->asm_buf;
		st->asm_buf = NULL;
	}
	return 0;
}

int bpffs_data_file_parse(const char *text, size_t len, struct bpffs_data_file *df,
			  struct bpffs_vlog *log)
{
	struct df_state st = { .df = df, .log = log };
	size_t pos = 0;
	int err = 0;

	memset(df, 0, sizeof(*df));
	while (pos < len && !err) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		st.line++;
		err = df_line(&st, text + pos, n);
		pos += n + 1;
	}
	if (!err)
		err = df_finish(&st);
	free(st.result_line);
	free(st.asm_buf);
	if (err)
		bpffs_data_file_fini(df);
	return err;
}

int bpffs_data_file_insns(const struct bpffs_data_file *df, struct bpf_insn **insns, u32 *cnt,
			  struct bpffs_vlog *log)
{
	if (df->raw) {
		*insns = malloc(df->raw_cnt * sizeof(**insns));
		if (!*insns)
			return -ENOMEM;
		memcpy(*insns, df->raw, df->raw_cnt * sizeof(**insns));
		*cnt = df->raw_cnt;
		return 0;
	}
	if (!df->asm_text) {
		bpffs_vlog_printf(log, "no program\n");
		return -EINVAL;
	}
	return bpffs_asm(df->asm_text, insns, cnt, log);
}

void bpffs_data_file_fini(struct bpffs_data_file *df)
{
	free(df->asm_text);
	free(df->raw);
	free(df->mem);
	free(df->error);
	memset(df, 0, sizeof(*df));
}
