/* SPDX-License-Identifier: MIT */
/*
 * The user-facing log buffer, after the kernel's bpf_verifier_log: load,
 * verify, JIT and map creation append one line per finding; the filesystem
 * shows it to the user. A NULL log or level 0 makes printing a no-op. A full
 * log is marked truncated; it never changes a verdict.
 */
#ifndef BPFFS_VLOG_H
#define BPFFS_VLOG_H

#include <stdarg.h>

#include "types.h"

enum {
	BPFFS_LOG_NONE = 0,
	BPFFS_LOG_ERRORS = 1,	/* errors and the statistics line */
	BPFFS_LOG_TRACE = 2,	/* full per-instruction trace */
};

struct bpffs_vlog {
	u32 level;
	char *buf;		/* NUL-terminated at all times when size > 0 */
	size_t size;		/* capacity of buf */
	size_t used;		/* bytes written, excluding the NUL */
	bool truncated;
	bool owned;		/* buf was allocated by bpffs_vlog_alloc */
};

/* Allocate a log of @size bytes at @level. Returns 0 or -ENOMEM. */
int bpffs_vlog_alloc(struct bpffs_vlog *log, u32 level, size_t size);
/* Free a log made by bpffs_vlog_alloc (no-op for caller-provided buffers). */
void bpffs_vlog_free(struct bpffs_vlog *log);
/* Append formatted text; a no-op for a NULL log or level 0. */
void bpffs_vlog_printf(struct bpffs_vlog *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * One "line N: message" finding about a source text (assembler, .data
 * reader), as a va_list so their printf-like error helpers share it.
 * Returns -EINVAL, the errno of every such finding.
 */
int bpffs_vlog_line_error(struct bpffs_vlog *log, u32 line, const char *fmt, va_list ap);
/* Drop everything written so far. */
void bpffs_vlog_reset(struct bpffs_vlog *log);
static inline const char *bpffs_vlog_text(const struct bpffs_vlog *log)
{
	return log && log->buf ? log->buf : "";
}

#endif /* BPFFS_VLOG_H */
