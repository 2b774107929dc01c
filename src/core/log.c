// SPDX-License-Identifier: MIT
/* The single sink for daemon diagnostics (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static int use_syslog;
static enum bpffs_log_level max_level = BPFFS_PR_INFO;

void bpffs_log_set_syslog(int on)
{
	use_syslog = on;
	if (on)
		openlog("bpffs-user", LOG_PID, LOG_DAEMON);
}

void bpffs_log_set_level(enum bpffs_log_level max)
{
	max_level = max;
}

void bpffs_log_print(enum bpffs_log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "warning", "info", "debug" };
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		fprintf(stderr, "bpffs-user: %s: ", tag[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
