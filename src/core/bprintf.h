/* SPDX-License-Identifier: MIT */
/* Format engine of bpf_trace_printk and bpf_snprintf (see bprintf.c). */
#ifndef BPFFS_BPRINTF_H
#define BPFFS_BPRINTF_H

#include "types.h"

/*
 * Format @fmt (fmt_len bytes including its NUL) with @nargs u64 arguments
 * into @out (always NUL-terminated when size > 0). Returns the length the
 * full output needs, excluding the NUL, or -EINVAL for a bad format or too
 * few arguments.
 */
int bpffs_bprintf(char *out, size_t size, const char *fmt, u32 fmt_len, const u64 *args,
		  u32 nargs);

#endif /* BPFFS_BPRINTF_H */
