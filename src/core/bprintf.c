// SPDX-License-Identifier: MIT
/*
 * The format engine behind bpf_trace_printk and bpf_snprintf, after the
 * kernel's bpf_bprintf_prepare: a program's format string is checked (only
 * %d %i %u %x %X %o %c %s %p %px %pK %% with optional flags, width,
 * precision and l/ll/h modifiers), every argument is a u64, and %s strings
 * are read through process_vm_readv so a bad pointer yields "(fault)" instead
 * of crashing the daemon (the kernel uses a no-fault copy the same way).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bprintf.h"

#define BPRINTF_STR_MAX 256

/* Copy a NUL-terminated string from program memory without trusting it. */
static void safe_copy_str(u64 addr, char *out, size_t size)
{
	struct iovec local, remote;
	size_t got = 0;

	out[0] = '\0';
	if (!addr) {
		snprintf(out, size, "(null)");
		return;
	}
	while (got + 1 < size) {
		/* read in chunks that never cross a page, so a valid prefix survives */
		size_t chunk = 64 - ((addr + got) & 63);
		ssize_t n;

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		local = (struct iovec){ out + got, chunk };
		remote = (struct iovec){ (void *)(uintptr_t)(addr + got), chunk };
		n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n <= 0) {
			if (!got) {
				snprintf(out, size, "(fault)");
				return;
			}
			break;
		}
		if (memchr(out + got, '\0', (size_t)n))
			return;
		got += (size_t)n;
	}
	out[got] = '\0';
}

/* Parse one conversion at fmt[*i] (just after '%'); copy it to spec. */
static int parse_spec(const char *fmt, u32 len, u32 *i, char *spec, size_t spec_size,
		      char *conv, int *lmod)
{
	u32 start = *i - 1, j = *i;

	while (j < len && strchr("-+ 0#", fmt[j]))
		j++;
	while (j < len && fmt[j] >= '0' && fmt[j] <= '9')
		j++;
	if (j < len && fmt[j] == '.')
		for (j++; j < len && fmt[j] >= '0' && fmt[j] <= '9'; j++)
			;
	*lmod = 0;
	while (j < len && (fmt[j] == 'l' || fmt[j] == 'h')) {
		*lmod += fmt[j] == 'l' ? 1 : -1;
		j++;
	}
	if (j >= len || !strchr("diuxXocsp", fmt[j]) || *lmod > 2 || *lmod < -2)
		return -EINVAL;
	*conv = fmt[j];
	if (j - start + 1 >= spec_size)
		return -EINVAL;
	memcpy(spec, fmt + start, j - start);	/* without modifiers/conv; rebuilt below */
	spec[j - start] = '\0';
	*i = j + 1;
	return 0;
}

static int fmt_one(char *out, size_t size, const char *spec, char conv, int lmod, u64 arg)
{
	char f[48], str[BPRINTF_STR_MAX];
	size_t n = strcspn(spec, "lh");

	snprintf(f, sizeof(f), "%.*s", (int)n, spec);
	switch (conv) {
	case 's':
		safe_copy_str(arg, str, sizeof(str));
		strcat(f, "s");
		return snprintf(out, size, f, str);
	case 'p':
		return snprintf(out, size, "0x%llx", (unsigned long long)arg);
	case 'c':
		strcat(f, "c");
		return snprintf(out, size, f, (int)(char)arg);
	case 'd':
	case 'i':
		strcat(f, "lld");
		if (lmod <= 0)	/* int, short or char: sign-extend from 32 bits */
			return snprintf(out, size, f, (long long)(s32)arg);
		return snprintf(out, size, f, (long long)arg);
	default:
		strcat(f, "ll");
		strncat(f, &conv, 1);
		return snprintf(out, size, f, (unsigned long long)(lmod <= 0 ? (u32)arg : arg));
	}
}

int bpffs_bprintf(char *out, size_t size, const char *fmt, u32 fmt_len, const u64 *args,
		  u32 nargs)
{
	size_t used = 0;
	u32 i = 0, a = 0;
	char spec[32], piece[BPRINTF_STR_MAX + 64], conv;
	int lmod, n;

	if (!fmt_len || fmt[fmt_len - 1] != '\0')
		return -EINVAL;	/* the kernel requires a NUL-terminated format */
	fmt_len--;
	if (size)
		out[0] = '\0';
	while (i < fmt_len) {
		if (fmt[i] != '%' || (i + 1 < fmt_len && fmt[i + 1] == '%')) {
			piece[0] = fmt[i];
			piece[1] = '\0';
			n = 1;
			i += fmt[i] == '%' ? 2 : 1;
		} else {
			i++;
			if (parse_spec(fmt, fmt_len, &i, spec, sizeof(spec), &conv, &lmod))
				return -EINVAL;
			if (conv == 'p' && i < fmt_len && (fmt[i] == 'x' || fmt[i] == 'K'))
				i++;
			if (a >= nargs)
				return -EINVAL;
			n = fmt_one(piece, sizeof(piece), spec, conv, lmod, args[a++]);
			if (n < 0)
				return -EINVAL;
			if ((size_t)n >= sizeof(piece))
				n = sizeof(piece) - 1;
		}
		if (size && used + 1 < size) {
			size_t room = size - 1 - used, c = (size_t)n < room ? (size_t)n : room;

			memcpy(out + used, piece, c);
			out[used + c] = '\0';
		}
		used += (size_t)n;
	}
	return (int)used;
}
