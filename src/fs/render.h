/* SPDX-License-Identifier: MIT */
/*
 * Text views of map keys, values and specs (render.c), shared inside src/fs.
 * Map types never format; everything the shell reads or writes about a map's
 * bytes is turned into text or parsed here, so the rules live in one place:
 *
 *  - integer formats (u8..u64, s8..s64) print in decimal; a key file name is
 *    the number, a value is the number and a newline; parsing accepts decimal
 *    or 0x-prefixed hex (and a leading '-' for signed ones);
 *  - the hex format names a key by its raw bytes as lowercase hex without
 *    separators ("0a000001"), and prints a value as space-separated bytes
 *    ("01 00 00 00"); parsing a value accepts exactly that form, or, for a
 *    value of 1, 2, 4 or 8 bytes, one number (decimal or 0x...) stored in the
 *    host's byte order. A single token of two hex digits for a 1-byte value
 *    is a byte (so what cat printed reads back).
 */
#ifndef BPFFS_FS_RENDER_H
#define BPFFS_FS_RENDER_H

#include <stddef.h>

#include "../core/types.h"

struct bpffs_map_attr;
struct bpffs_map;
struct bpffs_vlog;

enum bpffs_fmt {
	BPFFS_FMT_HEX = 0,
	BPFFS_FMT_UNSIGNED,
	BPFFS_FMT_SIGNED,
};

/* How a map's keys and values are shown. */
struct bpffs_map_fmt {
	enum bpffs_fmt key;
	enum bpffs_fmt value;
};

/* The format a map gets without a spec: decimal keys for array-like maps. */
struct bpffs_map_fmt bpffs_map_fmt_default(const struct bpffs_map *map);
/* An integer format is only valid for sizes 1, 2, 4 and 8; else hex. */
enum bpffs_fmt bpffs_fmt_fit(enum bpffs_fmt fmt, u32 size);
const char *bpffs_fmt_name(enum bpffs_fmt fmt, u32 size, char *buf, size_t len);

/* Key -> file name. Returns the length or -ENAMETOOLONG (keys over 127 bytes). */
int bpffs_render_key(const void *key, u32 size, enum bpffs_fmt fmt, char *buf, size_t len);
/* File name -> key bytes. 0 or -EINVAL (also for a number that does not fit). */
int bpffs_parse_key(const char *name, u32 size, enum bpffs_fmt fmt, void *key);

/*
 * Value -> text with a trailing newline into @buf (@len >= 3 * size + 32).
 * Returns the length written.
 */
size_t bpffs_render_value(const void *val, u32 size, enum bpffs_fmt fmt, char *buf, size_t len);
/* Text (trailing whitespace ignored) -> value bytes. 0 or -EINVAL. */
int bpffs_parse_value(const char *text, size_t len, u32 size, enum bpffs_fmt fmt, void *val);

/*
 * Parse a one-line map spec written to maps/NAME/.info:
 *   type=hash key=u32 value=u64 max_entries=1024 [flags=0x1]
 * key/value take a size in bytes (shown in hex, or decimal keys for array
 * maps) or an integer type u8..u64 / s8..s64 (shown in decimal); "entries"
 * is an alias of "max_entries"; words are separated by spaces or commas.
 * Returns 0 (attr and fmt filled, name untouched) or -EINVAL + a log line.
 */
int bpffs_parse_map_spec(const char *text, size_t len, struct bpffs_map_attr *attr,
			 struct bpffs_map_fmt *fmt, struct bpffs_vlog *log);

/*
 * Typed views from BTF (render_btf.c), used for maps made by a loaded object
 * with BTF. A value prints on one line in the JSON form bpftool uses: numbers
 * in decimal (bool as true/false, __int128 as a "0x..." string), structs,
 * unions and DATASECs as objects (anonymous members inline), char arrays as
 * strings when nothing follows the first NUL but zeros, other arrays as
 * lists, enums by enumerator name (a number when none matches). Parsing
 * takes that text back, plus numbers (decimal or 0x) for enums too, members
 * in any order (missing ones zero), short arrays and strings; anything else
 * is -EINVAL. A key of an integer or enum type is named in decimal.
 */
struct btf;
/* True if type @id of @btf is @size bytes and every part of it can be shown. */
bool bpffs_btf_fits(const struct btf *btf, u32 id, u32 size);
/* Key format for type @id: decimal for integers and enums, else @dflt. */
enum bpffs_fmt bpffs_btf_key_fmt(const struct btf *btf, u32 id, u32 size, enum bpffs_fmt dflt);
/* "struct proto_stats", "__u32", "char[16]", "datasec .bss" into @buf. */
const char *bpffs_btf_type_name(const struct btf *btf, u32 id, char *buf, size_t len);
/* @data -> malloc'd one-line text with a trailing newline. 0, -ENOMEM or -EINVAL. */
int bpffs_btf_render(const struct btf *btf, u32 id, const void *data, char **out, size_t *len);
/* Text -> @size bytes at @out (untouched on error). 0, -EINVAL or -ENOMEM. */
int bpffs_btf_parse(const struct btf *btf, u32 id, const char *text, size_t len, void *out,
		    u32 size);

/* BPF_MAP_TYPE_* from "hash", "lru_hash", "BPF_MAP_TYPE_HASH"; -1 if unknown. */
int bpffs_map_type_from_name(const char *name);

#endif /* BPFFS_FS_RENDER_H */
