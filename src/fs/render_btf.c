// SPDX-License-Identifier: MIT
/*
 * Typed text views of map keys and values from the BTF of the object that
 * made the map, in the JSON form bpftool prints (see render.h): integers in
 * decimal, structs, unions and DATASECs as objects, char arrays as strings,
 * other arrays as lists, enums by enumerator name. The parser takes back what
 * the renderer prints, plus 0x numbers, members in any order (missing ones
 * are zero) and short arrays and strings. Pure functions on bytes and libbpf's
 * read-only BTF; tests/unit/test_fs_btf.c checks the round trips.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "render.h"

#define BTF_MAX_DEPTH 32	/* nesting of types and of parsed text */

/* Skip typedefs, modifiers, type tags and VARs; NULL for void or bad ids. */
static const struct btf_type *resolve(const struct btf *btf, u32 *id)
{
	const struct btf_type *t;
	int depth;

	for (depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		t = btf__type_by_id(btf, *id);
		if (!t || !*id)
			return NULL;
		if (!btf_is_mod(t) && !btf_is_typedef(t) && !btf_is_var(t))
			return t;
		*id = t->type;
	}
	return NULL;
}

/* ---- bits ----------------------------------------------------------------- */

/* Little-endian bit fields (x86-64, arm64 and the BPF targets we load). */
static u64 get_bits(const u8 *p, u32 bit_off, u32 nbits)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < nbits; i++) {
		u32 b = bit_off + i;

		if (p[b / 8] >> (b % 8) & 1)
			v |= 1ull << i;
	}
	return v;
}

static void put_bits(u8 *p, u32 bit_off, u32 nbits, u64 v)
{
	u32 i;

	for (i = 0; i < nbits; i++) {
		u32 b = bit_off + i;

		if (v >> i & 1)
			p[b / 8] |= (u8)(1u << (b % 8));
		else
			p[b / 8] &= (u8)~(1u << (b % 8));
	}
}

/* ---- which types we show -------------------------------------------------- */

/*
 * Everything under type @id can be shown and stays inside its own size (the
 * BTF comes from a file: libbpf checks type ids, not member offsets). @budget
 * bounds the walk for a hostile BTF that nests wide structs many times.
 */
static bool type_ok(const struct btf *btf, u32 id, int depth, int *budget);

static bool member_ok(const struct btf *btf, const struct btf_type *t, u16 i, int depth,
		      int *budget)
{
	const struct btf_member *m = btf_members(t) + i;
	u32 off = btf_member_bit_offset(t, i), bf = btf_member_bitfield_size(t, i), mid = m->type;
	const struct btf_type *mt = resolve(btf, &mid);
	s64 msz = btf__resolve_size(btf, m->type);

	if (!mt || msz < 0 || !type_ok(btf, m->type, depth + 1, budget))
		return false;
	if (bf)
		return bf <= 64 && (btf_is_int(mt) || btf_is_any_enum(mt)) &&
		       (u64)off + bf <= (u64)t->size * 8;
	return off % 8 == 0 && (u64)off / 8 + (u64)msz <= t->size;
}

static bool type_ok(const struct btf *btf, u32 id, int depth, int *budget)
{
	const struct btf_type *t = resolve(btf, &id);
	u32 bits;
	u16 i;

	if (!t || depth > BTF_MAX_DEPTH || --*budget < 0)
		return false;
	if (btf_is_int(t)) {
		bits = btf_int_bits(t);
		if (t->size == 16 && bits == 128 && !btf_int_offset(t))
			return true;
		return (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8) &&
		       bits >= 1 && bits <= 64 && btf_int_offset(t) + bits <= t->size * 8;
	}
	if (btf_is_ptr(t) || btf_is_any_enum(t))
		return t->size >= 1 && t->size <= 8;
	if (btf_is_float(t))
		return t->size == 4 || t->size == 8;
	if (btf_is_array(t))
		return btf__resolve_size(btf, btf_array(t)->type) > 0 &&
		       type_ok(btf, btf_array(t)->type, depth + 1, budget);
	if (btf_is_composite(t)) {
		for (i = 0; i < btf_vlen(t); i++)
			if (!member_ok(btf, t, i, depth, budget))
				return false;
		return true;
	}
	return false;	/* DATASEC only at the top: datasec_ok() */
}

/*
 * A DATASEC straight from clang has size 0 (libbpf fixes sizes and offsets
 * up from the symbol table at open): accept it when its variables lie one
 * after the other inside the map's @size bytes, so the offsets are real.
 */
static bool datasec_ok(const struct btf *btf, const struct btf_type *t, u32 size, int *budget)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	u64 end = 0;
	u16 i;

	if (t->size && t->size != size)
		return false;
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		if ((u64)vs->offset < end || (u64)vs->offset + vs->size > size ||
		    btf__resolve_size(btf, vs->type) != (s64)vs->size ||
		    !type_ok(btf, vs->type, 1, budget))
			return false;
		end = (u64)vs->offset + vs->size;
	}
	return true;
}

bool bpffs_btf_fits(const struct btf *btf, u32 id, u32 size)
{
	const struct btf_type *t;
	int budget = 1 << 16;
	s64 sz;

	if (!btf || !id)
		return false;
	t = resolve(btf, &id);
	if (!t)
		return false;
	if (btf_is_datasec(t))
		return datasec_ok(btf, t, size, &budget);
	sz = btf__resolve_size(btf, id);
	return sz == (s64)size && type_ok(btf, id, 0, &budget);
}

enum bpffs_fmt bpffs_btf_key_fmt(const struct btf *btf, u32 id, u32 size, enum bpffs_fmt dflt)
{
	const struct btf_type *t;

	if (!bpffs_btf_fits(btf, id, size))
		return dflt;
	t = resolve(btf, &id);
	if (btf_is_int(t) && btf_int_bits(t) == size * 8 && !btf_int_offset(t))
		return bpffs_fmt_fit((btf_int_encoding(t) & BTF_INT_SIGNED) ?
				     BPFFS_FMT_SIGNED : BPFFS_FMT_UNSIGNED, size);
	if (btf_is_any_enum(t))
		return bpffs_fmt_fit(btf_kflag(t) ? BPFFS_FMT_SIGNED : BPFFS_FMT_UNSIGNED, size);
	return dflt;
}

const char *bpffs_btf_type_name(const struct btf *btf, u32 id, char *buf, size_t len)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name, *kind = "";

	if (!t || !id) {
		snprintf(buf, len, "%s", id ? "?" : "void");
		return buf;
	}
	name = btf__name_by_offset(btf, t->name_off);
	if (btf_is_struct(t))
		kind = "struct ";
	else if (btf_is_union(t))
		kind = "union ";
	else if (btf_is_any_enum(t))
		kind = "enum ";
	else if (btf_is_datasec(t))
		kind = "datasec ";
	if (btf_is_array(t)) {
		char elem[96];

		bpffs_btf_type_name(btf, btf_array(t)->type, elem, sizeof(elem));
		snprintf(buf, len, "%s[%u]", elem, btf_array(t)->nelems);
	} else if (btf_is_ptr(t)) {
		char to[96];

		bpffs_btf_type_name(btf, t->type, to, sizeof(to));
		snprintf(buf, len, "%s *", to);
	} else if (btf_is_mod(t) && (!name || !*name)) {
		bpffs_btf_type_name(btf, t->type, buf, len);
	} else {
		snprintf(buf, len, "%s%s", kind, name && *name ? name : "(anon)");
	}
	return buf;
}

/* ---- rendering ------------------------------------------------------------ */

struct sbuf {
	char *buf;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	char *nb;

	if (sb->err)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;

		while (sb->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(sb->buf, cap);
		if (!nb) {
			sb->err = -ENOMEM;
			return;
		}
		sb->buf = nb;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_add(sb, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void sb_quoted(struct sbuf *sb, const u8 *s, size_t n)
{
	size_t i;

	sb_add(sb, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sb_printf(sb, "\\%c", s[i]);
		else if (s[i] == '\n')
			sb_str(sb, "\\n");
		else if (s[i] == '\t')
			sb_str(sb, "\\t");
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			sb_printf(sb, "\\u%04x", s[i]);
		else
			sb_add(sb, (const char *)&s[i], 1);
	}
	sb_add(sb, "\"", 1);
}

static bool is_char(const struct btf *btf, u32 id)
{
	const struct btf_type *t = resolve(btf, &id);

	return t && btf_is_int(t) && t->size == 1 && btf_int_bits(t) == 8 &&
	       ((btf_int_encoding(t) & BTF_INT_CHAR) ||
		!strcmp(btf__name_by_offset(btf, t->name_off), "char"));
}

/* A char array shows as a string when that loses nothing: zeros after the text. */
static bool as_string(const u8 *p, u32 n)
{
	u32 len = (u32)strnlen((const char *)p, n), i;

	for (i = len; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void render_type(struct sbuf *sb, const struct btf *btf, u32 id, const u8 *p,
			u32 bit_off, u32 bitfield);

/* Enumerator @i of enum @t: its name, and its value cut to @bits. */
static const char *enumerator(const struct btf *btf, const struct btf_type *t, u16 i, u32 bits,
			      u64 *val)
{
	u64 mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	const struct btf_enum64 *e64;

	if (btf_is_enum(t)) {
		*val = (u64)(s64)btf_enum(t)[i].val & mask;
		return btf__name_by_offset(btf, btf_enum(t)[i].name_off);
	}
	e64 = (const struct btf_enum64 *)(t + 1) + i;
	*val = ((u64)e64->val_hi32 << 32 | e64->val_lo32) & mask;
	return btf__name_by_offset(btf, e64->name_off);
}

/* An enum's value by its enumerator's name, as bpftool does; else the number. */
static void render_enum(struct sbuf *sb, const struct btf *btf, const struct btf_type *t,
			u64 v, u32 bits)
{
	const char *name;
	u64 ev;
	u16 i;

	for (i = 0; i < btf_vlen(t); i++) {
		name = enumerator(btf, t, i, bits, &ev);
		if (ev == v && name && *name) {
			sb_quoted(sb, (const u8 *)name, strlen(name));
			return;
		}
	}
	if (btf_kflag(t) && bits < 64 && (v >> (bits - 1) & 1))
		sb_printf(sb, "%lld", (long long)(v | ~0ull << bits));
	else if (btf_kflag(t))
		sb_printf(sb, "%lld", (long long)v);
	else
		sb_printf(sb, "%llu", (unsigned long long)v);
}

static void render_members(struct sbuf *sb, const struct btf *btf, const struct btf_type *t,
			   const u8 *p, bool *first)
{
	const struct btf_member *m = btf_members(t);
	u16 i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		u32 off = btf_member_bit_offset(t, i), mid = m->type;
		const struct btf_type *mt = resolve(btf, &mid);

		if ((!name || !*name) && mt && btf_is_composite(mt) && off % 8 == 0) {
			render_members(sb, btf, mt, p + off / 8, first);	/* anonymous: inline */
			continue;
		}
		sb_str(sb, *first ? "" : ", ");
		*first = false;
		sb_quoted(sb, (const u8 *)(name ? name : ""), name ? strlen(name) : 0);
		sb_str(sb, ": ");
		render_type(sb, btf, m->type, p + off / 8, off % 8, btf_member_bitfield_size(t, i));
	}
}

static void render_int(struct sbuf *sb, const struct btf_type *t, const u8 *p, u32 bit_off,
		       u32 bitfield)
{
	u32 bits = bitfield ? bitfield : btf_int_bits(t);
	u8 enc = btf_int_encoding(t);
	u64 v;
	int i;

	if (bits > 64) {	/* __int128: a hex string, most significant byte first */
		sb_str(sb, "\"0x");
		for (i = (int)t->size - 1; i >= 0; i--)
			sb_printf(sb, "%02x", p[i]);
		sb_str(sb, "\"");
		return;
	}
	v = get_bits(p, bit_off + (bitfield ? 0 : btf_int_offset(t)), bits);
	if (enc & BTF_INT_BOOL)
		sb_str(sb, v ? "true" : "false");
	else if ((enc & BTF_INT_SIGNED) && bits < 64 && (v >> (bits - 1) & 1))
		sb_printf(sb, "%lld", (long long)(v | ~0ull << bits));
	else if (enc & BTF_INT_SIGNED)
		sb_printf(sb, "%lld", (long long)v);
	else
		sb_printf(sb, "%llu", (unsigned long long)v);
}

/* bpftool's form: {".data": [{"counter": 3}, {"name": "abc"}]} */
static void render_datasec(struct sbuf *sb, const struct btf *btf, const struct btf_type *t,
			   const u8 *p)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	const char *sec = btf__name_by_offset(btf, t->name_off);
	u32 i;

	sb_str(sb, "{");
	sb_quoted(sb, (const u8 *)(sec ? sec : ""), sec ? strlen(sec) : 0);
	sb_str(sb, ": [");
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);
		const char *name = v ? btf__name_by_offset(btf, v->name_off) : NULL;

		sb_str(sb, i ? ", {" : "{");
		sb_quoted(sb, (const u8 *)(name ? name : ""), name ? strlen(name) : 0);
		sb_str(sb, ": ");
		render_type(sb, btf, vs->type, p + vs->offset, 0, 0);
		sb_str(sb, "}");
	}
	sb_str(sb, "]}");
}

static void render_type(struct sbuf *sb, const struct btf *btf, u32 id, const u8 *p,
			u32 bit_off, u32 bitfield)
{
	const struct btf_type *t = resolve(btf, &id);
	bool first = true;
	u32 i, esz;

	if (!t) {
		sb->err = -EINVAL;
		return;
	}
	if (btf_is_int(t)) {
		render_int(sb, t, p, bit_off, bitfield);
	} else if (btf_is_any_enum(t)) {
		u32 bits = bitfield ? bitfield : t->size * 8;

		render_enum(sb, btf, t, get_bits(p, bit_off, bits), bits);
	} else if (btf_is_ptr(t)) {
		sb_printf(sb, "%llu", (unsigned long long)get_bits(p, 0, t->size * 8));
	} else if (btf_is_float(t)) {
		double d;
		float f;

		if (t->size == 4) {
			memcpy(&f, p, 4);
			d = f;
		} else {
			memcpy(&d, p, 8);
		}
		sb_printf(sb, "%.17g", d);
	} else if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);

		esz = (u32)btf__resolve_size(btf, a->type);
		if (is_char(btf, a->type) && as_string(p, a->nelems)) {
			sb_quoted(sb, p, strnlen((const char *)p, a->nelems));
			return;
		}
		sb_str(sb, "[");
		for (i = 0; i < a->nelems; i++) {
			sb_str(sb, i ? ", " : "");
			render_type(sb, btf, a->type, p + (size_t)i * esz, 0, 0);
		}
		sb_str(sb, "]");
	} else if (btf_is_composite(t)) {
		sb_str(sb, "{");
		render_members(sb, btf, t, p, &first);
		sb_str(sb, "}");
	} else if (btf_is_datasec(t)) {
		render_datasec(sb, btf, t, p);
	} else {
		sb->err = -EINVAL;
	}
}

int bpffs_btf_render(const struct btf *btf, u32 id, const void *data, char **out, size_t *len)
{
	struct sbuf sb = { 0 };

	render_type(&sb, btf, id, data, 0, 0);
	sb_str(&sb, "\n");
	if (sb.err) {
		free(sb.buf);
		return sb.err;
	}
	*out = sb.buf;
	*len = sb.len;
	return 0;
}

/* ---- parsing -------------------------------------------------------------- */

struct cur {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

static bool eat(struct cur *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A JSON string into @out (at most @cap bytes, not terminated); its length or -EINVAL. */
static int parse_string(struct cur *c, u8 *out, size_t cap)
{
	size_t n = 0;
	int v, i, d;

	if (!eat(c, '"'))
		return -EINVAL;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;

		if (ch == '\\') {
			if (c->p >= c->end)
				return -EINVAL;
			ch = *c->p++;
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch == 'r')
				ch = '\r';
			else if (ch == 'u') {
				for (i = 0, v = 0; i < 4; i++) {
					d = c->p < c->end ? hexval(*c->p++) : -1;
					if (d < 0)
						return -EINVAL;
					v = v << 4 | d;
				}
				if (v > 0xff)
					return -EINVAL;	/* bytes only */
				ch = (char)v;
			} else if (ch != '"' && ch != '\\' && ch != '/') {
				return -EINVAL;
			}
		}
		if (n == cap)
			return -EINVAL;
		out[n++] = (u8)ch;
	}
	if (c->p >= c->end)
		return -EINVAL;
	c->p++;
	return (int)n;
}

/* A number token: [-](decimal | 0x hex); -EINVAL unless it fits @bits. */
static int parse_number(struct cur *c, u32 bits, bool is_signed, u64 *out)
{
	u64 v = 0, max = bits == 64 ? ~0ull : (1ull << bits) - 1;
	bool neg, any = false;
	int base = 10, d;

	skip_ws(c);
	neg = c->p < c->end && *c->p == '-';
	c->p += neg;
	if (c->end - c->p > 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X')) {
		base = 16;
		c->p += 2;
	}
	while (c->p < c->end && (d = hexval(*c->p)) >= 0 && d < base) {
		if (v > (~0ull - (u64)d) / (u64)base)
			return -EINVAL;
		v = v * (u64)base + (u64)d;
		c->p++;
		any = true;
	}
	if (!any || (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '.')))
		return -EINVAL;
	if (neg) {
		if (v > 1ull << (bits - 1))
			return -EINVAL;
		v = (0 - v) & max;
	} else if (v > max || (is_signed && base == 10 && v > max >> 1)) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_type(struct cur *c, const struct btf *btf, u32 id, u8 *p, u32 bit_off,
		      u32 bitfield);

static int parse_int(struct cur *c, const struct btf_type *t, u8 *p, u32 bit_off, u32 bitfield)
{
	u32 bits = bitfield ? bitfield : btf_int_bits(t);
	u8 enc = btf_int_encoding(t), tmp[16];
	u64 v;
	int n, i;

	skip_ws(c);
	if (bits > 64) {	/* "0x..." string of an __int128 */
		char hex[40];

		n = parse_string(c, (u8 *)hex, sizeof(hex) - 1);
		if (n < 3 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') || n - 2 > 32)
			return -EINVAL;
		memset(tmp, 0, sizeof(tmp));
		for (i = 0; i < n - 2; i++) {
			int d = hexval(hex[n - 1 - i]);

			if (d < 0)
				return -EINVAL;
			tmp[i / 2] |= (u8)(d << (i % 2 * 4));
		}
		memcpy(p, tmp, t->size);
		return 0;
	}
	if (enc & BTF_INT_BOOL) {
		if (c->end - c->p >= 4 && !memcmp(c->p, "true", 4)) {
			c->p += 4;
			v = 1;
		} else if (c->end - c->p >= 5 && !memcmp(c->p, "false", 5)) {
			c->p += 5;
			v = 0;
		} else if (parse_number(c, bits, false, &v)) {
			return -EINVAL;
		}
	} else if (parse_number(c, bits, enc & BTF_INT_SIGNED, &v)) {
		return -EINVAL;
	}
	put_bits(p, bit_off + (bitfield ? 0 : btf_int_offset(t)), bits, v);
	return 0;
}

static int parse_enum(struct cur *c, const struct btf *btf, const struct btf_type *t, u8 *p,
		      u32 bit_off, u32 bitfield)
{
	u32 bits = bitfield ? bitfield : t->size * 8;
	char name[128];
	const char *en;
	u64 v;
	int n;
	u16 i;

	skip_ws(c);
	if (c->p < c->end && *c->p == '"') {	/* an enumerator's name */
		n = parse_string(c, (u8 *)name, sizeof(name) - 1);
		if (n < 0)
			return n;
		name[n] = '\0';
		for (i = 0; i < btf_vlen(t); i++) {
			en = enumerator(btf, t, i, bits, &v);
			if (en && !strcmp(en, name))
				break;
		}
		if (i == btf_vlen(t))
			return -EINVAL;
	} else if (parse_number(c, bits, btf_kflag(t), &v)) {
		return -EINVAL;
	}
	put_bits(p, bit_off, bits, v);
	return 0;
}

static int parse_ptr(struct cur *c, const struct btf_type *t, u8 *p)
{
	u64 v;

	if (parse_number(c, t->size * 8, false, &v))
		return -EINVAL;
	put_bits(p, 0, t->size * 8, v);
	return 0;
}

static int parse_float(struct cur *c, const struct btf_type *t, u8 *p)
{
	char tmp[64], *endp;
	size_t n = 0;
	double d;
	float f;

	skip_ws(c);
	while (c->p + n < c->end && n < sizeof(tmp) - 1 && c->p[n] &&
	       strchr("+-.0123456789eExXabcdefABCDEFinftyINFTYnN", c->p[n]))
		n++;
	memcpy(tmp, c->p, n);
	tmp[n] = '\0';
	d = strtod(tmp, &endp);
	if (!n || *endp)
		return -EINVAL;
	c->p += n;
	if (t->size == 4) {
		f = (float)d;
		memcpy(p, &f, 4);
	} else {
		memcpy(p, &d, 8);
	}
	return 0;
}

static int parse_array(struct cur *c, const struct btf *btf, const struct btf_type *t, u8 *p)
{
	const struct btf_array *a = btf_array(t);
	u32 esz = (u32)btf__resolve_size(btf, a->type), i = 0;
	int err;

	memset(p, 0, (size_t)a->nelems * esz);	/* what is not given is zero */
	skip_ws(c);
	if (c->p < c->end && *c->p == '"' && is_char(btf, a->type))
		return parse_string(c, p, a->nelems) < 0 ? -EINVAL : 0;
	if (!eat(c, '['))
		return -EINVAL;
	if (eat(c, ']'))
		return 0;
	do {
		if (i == a->nelems)
			return -EINVAL;
		err = parse_type(c, btf, a->type, p + (size_t)i++ * esz, 0, 0);
		if (err)
			return err;
	} while (eat(c, ','));
	return eat(c, ']') ? 0 : -EINVAL;
}

/* Member @name of @t (searching anonymous members too): parse its value at @p. */
static int parse_member(struct cur *c, const struct btf *btf, const struct btf_type *t,
			const char *name, u8 *p, int depth)
{
	const struct btf_member *m = btf_members(t);
	u16 i;
	int err;

	if (depth > BTF_MAX_DEPTH)
		return -ENOENT;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		u32 off = btf_member_bit_offset(t, i), mid = m->type;
		const struct btf_type *mt;

		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			return parse_type(c, btf, m->type, p + off / 8, off % 8,
					  btf_member_bitfield_size(t, i));
		}
		mt = resolve(btf, &mid);
		if (mt && btf_is_composite(mt) && off % 8 == 0) {
			err = parse_member(c, btf, mt, name, p + off / 8, depth + 1);
			if (err != -ENOENT)
				return err;
		}
	}
	return -ENOENT;
}

static int parse_datasec_var(struct cur *c, const struct btf *btf, const struct btf_type *t,
			     const char *name, u8 *p)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	u16 i;

	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (v && !strcmp(btf__name_by_offset(btf, v->name_off), name))
			return parse_type(c, btf, vs->type, p + vs->offset, 0, 0);
	}
	return -ENOENT;
}

/* A member name and its colon into @name (of 256 bytes). */
static int parse_name(struct cur *c, char *name)
{
	int n;

	skip_ws(c);
	n = parse_string(c, (u8 *)name, 255);
	if (n < 0 || !eat(c, ':'))
		return -EINVAL;
	name[n] = '\0';
	return 0;
}

static int parse_object(struct cur *c, const struct btf *btf, const struct btf_type *t, u8 *p)
{
	char name[256];

	if (!eat(c, '{'))
		return -EINVAL;
	memset(p, 0, t->size);	/* missing members are zero */
	if (eat(c, '}'))
		return 0;
	do {
		if (parse_name(c, name) || parse_member(c, btf, t, name, p, 0))
			return -EINVAL;	/* also an unknown member */
	} while (eat(c, ','));
	return eat(c, '}') ? 0 : -EINVAL;
}

/* "var": value pairs, @name already read, up to (not including) the closing brace. */
static int parse_vars(struct cur *c, const struct btf *btf, const struct btf_type *t,
		      char *name, u8 *p)
{
	for (;;) {
		if (parse_datasec_var(c, btf, t, name, p))
			return -EINVAL;	/* also an unknown variable */
		if (!eat(c, ','))
			return 0;
		if (parse_name(c, name))
			return -EINVAL;
	}
}

/*
 * A DATASEC in bpftool's form, {".data": [{"a": 1}, {"b": 2}]}, or flat,
 * {"a": 1, "b": 2} (a variable cannot be named like a section: "." is not
 * in C identifiers). Variables not given are zero.
 */
static int parse_datasec(struct cur *c, const struct btf *btf, const struct btf_type *t, u8 *p)
{
	const char *sec = btf__name_by_offset(btf, t->name_off);
	char name[256];

	if (!eat(c, '{'))
		return -EINVAL;
	memset(p, 0, t->size);	/* (the size of a DATASEC not fixed up is 0) */
	if (eat(c, '}'))
		return 0;
	if (parse_name(c, name))
		return -EINVAL;
	if (!sec || strcmp(name, sec))
		return parse_vars(c, btf, t, name, p) || !eat(c, '}') ? -EINVAL : 0;
	if (!eat(c, '['))
		return -EINVAL;
	if (!eat(c, ']')) {
		do {
			if (!eat(c, '{') || parse_name(c, name) || parse_vars(c, btf, t, name, p) ||
			    !eat(c, '}'))
				return -EINVAL;
		} while (eat(c, ','));
		if (!eat(c, ']'))
			return -EINVAL;
	}
	return eat(c, '}') ? 0 : -EINVAL;
}

static int parse_type(struct cur *c, const struct btf *btf, u32 id, u8 *p, u32 bit_off,
		      u32 bitfield)
{
	const struct btf_type *t = resolve(btf, &id);
	int err;

	if (!t || ++c->depth > BTF_MAX_DEPTH)
		return -EINVAL;
	if (btf_is_int(t))
		err = parse_int(c, t, p, bit_off, bitfield);
	else if (btf_is_any_enum(t))
		err = parse_enum(c, btf, t, p, bit_off, bitfield);
	else if (btf_is_ptr(t))
		err = parse_ptr(c, t, p);
	else if (btf_is_float(t))
		err = parse_float(c, t, p);
	else if (btf_is_array(t))
		err = parse_array(c, btf, t, p);
	else if (btf_is_composite(t))
		err = parse_object(c, btf, t, p);
	else if (btf_is_datasec(t))
		err = parse_datasec(c, btf, t, p);
	else
		err = -EINVAL;
	c->depth--;
	return err;
}

int bpffs_btf_parse(const struct btf *btf, u32 id, const char *text, size_t len, void *out,
		    u32 size)
{
	struct cur c = { text, text + len, 0 };
	u8 *tmp;
	int err;

	if (!bpffs_btf_fits(btf, id, size) || memchr(text, '\0', len))
		return -EINVAL;
	tmp = calloc(1, size ? size : 1);
	if (!tmp)
		return -ENOMEM;
	err = parse_type(&c, btf, id, tmp, 0, 0);
	skip_ws(&c);
	if (!err && c.p != c.end)
		err = -EINVAL;
	if (!err)
		memcpy(out, tmp, size);
	free(tmp);
	return err;
}
