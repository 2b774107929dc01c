// SPDX-License-Identifier: MIT
/*
 * Text rendering and parsing of map keys, values and specs (see render.h for
 * the rules). Pure functions on bytes and strings: no FUSE, no map internals,
 * so tests/unit/test_fs_render.c checks every rule and its round trip.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "../core/vlog.h"
#include "../maps/maps.h"

static bool int_size(u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

enum bpffs_fmt bpffs_fmt_fit(enum bpffs_fmt fmt, u32 size)
{
	return int_size(size) ? fmt : BPFFS_FMT_HEX;
}

struct bpffs_map_fmt bpffs_map_fmt_default(const struct bpffs_map *map)
{
	struct bpffs_map_fmt f = { BPFFS_FMT_HEX, BPFFS_FMT_HEX };

	switch (map->map_type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_CPUMAP:
		f.key = bpffs_fmt_fit(BPFFS_FMT_UNSIGNED, map->key_size);
		break;
	default:
		break;
	}
	return f;
}

const char *bpffs_fmt_name(enum bpffs_fmt fmt, u32 size, char *buf, size_t len)
{
	if (fmt == BPFFS_FMT_HEX || !int_size(size))
		snprintf(buf, len, "hex");
	else
		snprintf(buf, len, "%c%u", fmt == BPFFS_FMT_SIGNED ? 's' : 'u', size * 8);
	return buf;
}

/* Little helpers for host-order integers of 1, 2, 4 or 8 bytes. */
static u64 load_uint(const void *p, u32 size)
{
	u8 b8; u16 b16; u32 b32; u64 b64 = 0;

	switch (size) {
	case 1: memcpy(&b8, p, 1); return b8;
	case 2: memcpy(&b16, p, 2); return b16;
	case 4: memcpy(&b32, p, 4); return b32;
	default: memcpy(&b64, p, 8); return b64;
	}
}

static void store_uint(void *p, u32 size, u64 v)
{
	u8 b8 = (u8)v; u16 b16 = (u16)v; u32 b32 = (u32)v;

	switch (size) {
	case 1: memcpy(p, &b8, 1); break;
	case 2: memcpy(p, &b16, 2); break;
	case 4: memcpy(p, &b32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

static s64 sign_extend(u64 v, u32 size)
{
	int shift = 64 - (int)size * 8;

	return shift ? (s64)(v << shift) >> shift : (s64)v;
}

static int format_int(const void *p, u32 size, enum bpffs_fmt fmt, char *buf, size_t len)
{
	u64 v = load_uint(p, size);

	if (fmt == BPFFS_FMT_SIGNED)
		return snprintf(buf, len, "%lld", (long long)sign_extend(v, size));
	return snprintf(buf, len, "%llu", (unsigned long long)v);
}

/*
 * One number: decimal, or 0x-prefixed hex; '-' only for signed formats (and
 * for unsigned ones as two's complement of a value that fits the signed range).
 * The whole token must be consumed and the value must fit @size bytes.
 */
static int parse_int(const char *s, u32 size, enum bpffs_fmt fmt, void *out)
{
	bool neg = *s == '-';
	unsigned long long v;
	u64 max = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
	char *end;
	int base = 10;

	if (neg)
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	if (neg) {
		u64 lim = 1ull << (size * 8 - 1);	/* |INT_MIN| of the size */

		if (v > lim)
			return -EINVAL;
		v = -v;
		v &= max;
	} else if (v > max || (fmt == BPFFS_FMT_SIGNED && v > max >> 1 && base == 10)) {
		return -EINVAL;
	}
	store_uint(out, size, v);
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int bpffs_render_key(const void *key, u32 size, enum bpffs_fmt fmt, char *buf, size_t len)
{
	const u8 *k = key;
	u32 i;

	fmt = bpffs_fmt_fit(fmt, size);
	if (fmt != BPFFS_FMT_HEX)
		return format_int(key, size, fmt, buf, len);
	if (size * 2 + 1 > len || size > 127)
		return -ENAMETOOLONG;
	for (i = 0; i < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", k[i]);
	buf[2 * size] = '\0';
	return (int)(2 * size);
}

/* Exactly 2 * size hex digits, optionally after "0x". */
static int parse_hex_bytes(const char *s, size_t n, u32 size, u8 *out)
{
	u32 i;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n != (size_t)size * 2)
		return -EINVAL;
	for (i = 0; i < size; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

int bpffs_parse_key(const char *name, u32 size, enum bpffs_fmt fmt, void *key)
{
	fmt = bpffs_fmt_fit(fmt, size);
	if (fmt != BPFFS_FMT_HEX)
		return parse_int(name, size, fmt, key);
	return parse_hex_bytes(name, strlen(name), size, key);
}

size_t bpffs_render_value(const void *val, u32 size, enum bpffs_fmt fmt, char *buf, size_t len)
{
	const u8 *v = val;
	size_t n = 0;
	u32 i;

	fmt = bpffs_fmt_fit(fmt, size);
	if (fmt != BPFFS_FMT_HEX) {
		n = (size_t)format_int(val, size, fmt, buf, len - 1);
	} else {
		for (i = 0; i < size && n + 4 < len; i++)
			n += (size_t)snprintf(buf + n, len - n, i ? " %02x" : "%02x", v[i]);
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* Split @text into whitespace-separated tokens (in place in a copy). */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;
	char *save;

	for (s = strtok_r(s, " \t\n\r", &save); s; s = strtok_r(NULL, " \t\n\r", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = s;
	}
	return n;
}

static int parse_byte_tokens(char **tok, int n, u32 size, u8 *out)
{
	int i;

	if ((u32)n != size)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		size_t l = strlen(tok[i]);
		int hi = hex_digit(tok[i][0]), lo = l == 2 ? hex_digit(tok[i][1]) : 0;

		if (l > 2 || hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (u8)(l == 2 ? hi << 4 | lo : hi);
	}
	return 0;
}

int bpffs_parse_value(const char *text, size_t len, u32 size, enum bpffs_fmt fmt, void *val)
{
	char *copy, **tok;
	int n, err = -EINVAL;

	/* a NUL inside would silently cut the text short (issue 9, hostile corpus) */
	if (len > (size_t)size * 4 + 64 || memchr(text, '\0', len))
		return -EINVAL;
	copy = strndup(text, len);
	tok = calloc((size_t)size + 2, sizeof(*tok));
	if (!copy || !tok) {
		err = -ENOMEM;
		goto out;
	}
	n = tokenize(copy, tok, (int)size + 1);
	fmt = bpffs_fmt_fit(fmt, size);
	if (n == 1 && fmt == BPFFS_FMT_HEX && size == 1 && strlen(tok[0]) == 2)
		err = parse_byte_tokens(tok, 1, 1, val);
	else if (n == 1 && int_size(size))
		err = parse_int(tok[0], size, fmt == BPFFS_FMT_HEX ? BPFFS_FMT_UNSIGNED : fmt, val);
	else if (n > 1 && fmt == BPFFS_FMT_HEX)
		err = parse_byte_tokens(tok, n, size, val);
	else if (n == 1 && fmt == BPFFS_FMT_HEX)
		err = parse_hex_bytes(tok[0], strlen(tok[0]), size, val);
out:
	free(tok);
	free(copy);
	return err;
}

int bpffs_map_type_from_name(const char *name)
{
	char low[64];
	size_t i;
	u32 t;

	if (!strncasecmp(name, "BPF_MAP_TYPE_", 13))
		name += 13;
	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (t = 0; t < 64; t++) {
		const char *n = bpffs_map_type_name(t);

		if (n && !strcmp(n, low))
			return (int)t;
	}
	return -1;
}

/* "4" (bytes) or "u32"/"s16"/...: size and format of a key or value. */
static int parse_size_word(const char *v, u32 *size, enum bpffs_fmt *fmt, bool *explicit_fmt)
{
	char *end;
	unsigned long n;

	*explicit_fmt = false;
	if ((v[0] == 'u' || v[0] == 's') && isdigit((unsigned char)v[1])) {
		n = strtoul(v + 1, &end, 10);
		if (*end || (n != 8 && n != 16 && n != 32 && n != 64))
			return -EINVAL;
		*size = (u32)n / 8;
		*fmt = v[0] == 's' ? BPFFS_FMT_SIGNED : BPFFS_FMT_UNSIGNED;
		*explicit_fmt = true;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno || *end || n > UINT_MAX)
		return -EINVAL;
	*size = (u32)n;
	*fmt = BPFFS_FMT_HEX;
	return 0;
}

static int spec_word(char *w, struct bpffs_map_attr *attr, struct bpffs_map_fmt *fmt,
		     bool *kfmt, bool *vfmt, struct bpffs_vlog *log)
{
	char *eq = strchr(w, '='), *end;
	unsigned long long n;
	u32 *dst = NULL;
	int t;

	if (!eq) {
		bpffs_vlog_printf(log, "spec: '%s' is not KEY=VALUE\n", w);
		return -EINVAL;
	}
	*eq++ = '\0';
	if (!strcmp(w, "type")) {
		t = bpffs_map_type_from_name(eq);
		if (t < 0) {
			bpffs_vlog_printf(log, "spec: unknown map type '%s'\n", eq);
			return -EINVAL;
		}
		attr->map_type = (u32)t;
		return 0;
	}
	if (!strcmp(w, "key") || !strcmp(w, "key_size"))
		return parse_size_word(eq, &attr->key_size, &fmt->key, kfmt) ?
		       (bpffs_vlog_printf(log, "spec: bad key size '%s'\n", eq), -EINVAL) : 0;
	if (!strcmp(w, "value") || !strcmp(w, "value_size"))
		return parse_size_word(eq, &attr->value_size, &fmt->value, vfmt) ?
		       (bpffs_vlog_printf(log, "spec: bad value size '%s'\n", eq), -EINVAL) : 0;
	if (!strcmp(w, "max_entries") || !strcmp(w, "entries"))
		dst = &attr->max_entries;
	else if (!strcmp(w, "flags") || !strcmp(w, "map_flags"))
		dst = &attr->map_flags;
	if (!dst) {
		bpffs_vlog_printf(log, "spec: unknown attribute '%s'\n", w);
		return -EINVAL;
	}
	errno = 0;
	n = strtoull(eq, &end, 0);
	if (errno || *end || !*eq || n > UINT_MAX) {
		bpffs_vlog_printf(log, "spec: bad number '%s' for %s\n", eq, w);
		return -EINVAL;
	}
	*dst = (u32)n;
	return 0;
}

int bpffs_parse_map_spec(const char *text, size_t len, struct bpffs_map_attr *attr,
			 struct bpffs_map_fmt *fmt, struct bpffs_vlog *log)
{
	bool kfmt = false, vfmt = false, has_type;
	char *copy = strndup(text, len), *w, *save;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	attr->map_type = (u32)-1;
	attr->inner_map_idx = (u32)-1;
	*fmt = (struct bpffs_map_fmt){ BPFFS_FMT_HEX, BPFFS_FMT_HEX };
	for (w = strtok_r(copy, " ,\t\r\n", &save); w && !err; w = strtok_r(NULL, " ,\t\r\n", &save))
		err = spec_word(w, attr, fmt, &kfmt, &vfmt, log);
	free(copy);
	if (err)
		return err;
	has_type = attr->map_type != (u32)-1;
	if (!has_type) {
		bpffs_vlog_printf(log, "spec: missing type= (hash, array, lru_hash, ...)\n");
		return -EINVAL;
	}
	if (!kfmt) {
		struct bpffs_map tmp = { .map_type = attr->map_type, .key_size = attr->key_size };

		fmt->key = bpffs_map_fmt_default(&tmp).key;
	}
	return 0;
}
