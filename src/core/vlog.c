// SPDX-License-Identifier: MIT
/*
 * User-facing log buffer (see vlog.h). Not thread-safe: one log belongs to one
 * load or one request at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlog.h"

int bpffs_vlog_alloc(struct bpffs_vlog *log, u32 level, size_t size)
{
	memset(log, 0, sizeof(*log));
	log->buf = calloc(1, size ? size : 1);
	if (!log->buf)
		return -ENOMEM;
	log->size = size ? size : 1;
	log->level = level;
	log->owned = true;
	return 0;
}

void bpffs_vlog_free(struct bpffs_vlog *log)
{
	if (log && log->owned)
		free(log->buf);
	if (log)
		memset(log, 0, sizeof(*log));
}

void bpffs_vlog_reset(struct bpffs_vlog *log)
{
	if (!log || !log->buf || !log->size)
		return;
	log->used = 0;
	log->truncated = false;
	log->buf[0] = '\0';
}

void bpffs_vlog_printf(struct bpffs_vlog *log, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!log || !log->level || !log->buf || log->size < 2)
		return;
	room = log->size - log->used;
	va_start(ap, fmt);
	n = vsnprintf(log->buf + log->used, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		/* keep what fitted; the verdict does not depend on the log */
		log->used = log->size - 1;
		log->truncated = true;
		return;
	}
	log->used += (size_t)n;
}

int bpffs_vlog_line_error(struct bpffs_vlog *log, u32 line, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	bpffs_vlog_printf(log, "line %u: %s\n", line, msg);
	return -EINVAL;
}
