// SPDX-License-Identifier: MIT
/*
 * One map's directory, maps/NAME/: `.info` (type, sizes, entry count,
 * memory) and one file per entry, named by its key (render.c). cat prints
 * the value, echo creates or updates it (O_EXCL, i.e. `set -o noclobber`,
 * means BPF_NOEXIST), rm deletes it. Listing pages through next_key with a
 * per-open cursor, so `ls` of a million entries streams in flat memory.
 * Every read goes to the map: nothing is cached here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_internal.h"
#include "../core/registry.h"
#include "../maps/maps.h"

#define ROUND8(x) (((x) + 7u) & ~7u)

static void map_node_destroy(struct bpffs_node *node)
{
	bpffs_map_put(node->obj);
}

/* Per-CPU maps hold one 8-aligned slot per CPU on the syscall side. */
static u32 value_slots(const struct bpffs_map *map)
{
	if (map->user_value_size <= map->value_size || !map->value_size)
		return 1;
	return map->user_value_size / ROUND8(map->value_size);
}

static u32 user_size(const struct bpffs_map *map)
{
	return map->user_value_size ? map->user_value_size : map->value_size;
}

/*
 * How a map's keys and values read: its text formats, and the BTF types of
 * the object that made it when it had BTF (render_btf.c; value_id 0 when the
 * value type cannot be shown, so values stay hex).
 */
struct map_view {
	struct bpffs_map_fmt fmt;
	struct bpffs_btf *btf;		/* a reference, or NULL */
	const struct btf *raw;
	u32 value_id;
};

static void view_get(struct bpffs_fs *fs, struct bpffs_map *map, struct map_view *v)
{
	v->fmt = bpffs_fs_map_fmt(fs, map);
	v->btf = bpffs_registry_map_btf(fs->reg, map->name);
	v->raw = v->btf ? bpffs_btf_raw(v->btf) : NULL;
	v->value_id = 0;
	if (!v->raw)
		return;
	v->fmt.key = bpffs_btf_key_fmt(v->raw, map->btf_key_type_id, map->key_size, v->fmt.key);
	if (bpffs_btf_fits(v->raw, map->btf_value_type_id, map->value_size))
		v->value_id = map->btf_value_type_id;
}

static void view_put(struct map_view *v)
{
	bpffs_btf_put(v->btf);
}

/* "PREFIX" + one slot's value as text, appended at *text + *n (grown as needed). */
static int slot_text(const struct map_view *v, const struct bpffs_map *map, const u8 *val,
		     const char *prefix, char **text, size_t *cap, size_t *n)
{
	size_t need = 3 * (size_t)map->value_size + 48, tl = 0, pl = strlen(prefix);
	char *typed = NULL, *nt;
	int err;

	if (v->value_id) {
		err = bpffs_btf_render(v->raw, v->value_id, val, &typed, &tl);
		if (err)
			return err;
		need = tl + 1;
	}
	if (*n + pl + need > *cap) {
		nt = realloc(*text, *n + pl + need);
		if (!nt) {
			free(typed);
			return -ENOMEM;
		}
		*text = nt;
		*cap = *n + pl + need;
	}
	memcpy(*text + *n, prefix, pl);
	*n += pl;
	if (typed) {
		memcpy(*text + *n, typed, tl + 1);
		*n += tl;
	} else {
		*n += bpffs_render_value(val, map->value_size, v->fmt.value, *text + *n, *cap - *n);
	}
	free(typed);
	return 0;
}

/* Value (all slots) -> malloc'd text. */
int bpffs_fs_value_text(struct bpffs_fs *fs, struct bpffs_map *map, const u8 *val, char **out,
			size_t *len)
{
	struct map_view v;
	u32 i, slots = value_slots(map);
	size_t cap = 0, n = 0;
	char *text = NULL, pre[24] = "";
	int err = 0;

	view_get(fs, map, &v);
	for (i = 0; i < slots && !err; i++) {
		if (slots > 1)
			snprintf(pre, sizeof(pre), "cpu%u: ", i);
		err = slot_text(&v, map, val + (size_t)i * ROUND8(map->value_size), pre, &text,
				&cap, &n);
	}
	view_put(&v);
	if (err) {
		free(text);
		return err;
	}
	*out = text;
	*len = n;
	return 0;
}

/* One slot: the typed form first when there is BTF, then the plain (hex) form. */
static int slot_parse(const struct map_view *v, const struct bpffs_map *map, const char *text,
		      size_t len, u8 *val)
{
	if (v->value_id &&
	    !bpffs_btf_parse(v->raw, v->value_id, text, len, val, map->value_size))
		return 0;
	return bpffs_parse_value(text, len, map->value_size, v->fmt.value, val);
}

/* "cpu0:" at the start of @text (after blanks): per-CPU lines. */
static bool cpu_lines(const char *text, size_t len)
{
	while (len && (*text == ' ' || *text == '\t' || *text == '\n')) {
		text++;
		len--;
	}
	return len >= 5 && !memcmp(text, "cpu0:", 5);
}

/*
 * Text -> value (all slots). Per-CPU maps take either one value for every
 * CPU or the "cpuN: VALUE" lines cat printed, one per CPU.
 */
int bpffs_fs_value_parse(struct bpffs_fs *fs, struct bpffs_map *map, const char *text, size_t len,
			 u8 *val)
{
	struct map_view v;
	u32 i, slots = value_slots(map), stride = ROUND8(map->value_size);
	const char *p = text, *end = text + len;
	int err = 0;

	memset(val, 0, user_size(map));
	view_get(fs, map, &v);
	if (slots == 1 || !cpu_lines(text, len)) {
		err = slot_parse(&v, map, text, len, val);
		for (i = 1; !err && i < slots; i++)
			memcpy(val + (size_t)i * stride, val, map->value_size);
		goto out;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	for (i = 0; i < slots && !err; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;
		char want[24];
		size_t wl = (size_t)snprintf(want, sizeof(want), "cpu%u:", i);

		if (!nl)
			nl = end;
		colon = p + wl;
		if ((size_t)(nl - p) < wl || memcmp(p, want, wl))
			err = -EINVAL;
		else
			err = slot_parse(&v, map, colon, (size_t)(nl - colon),
					 val + (size_t)i * stride);
		p = nl < end ? nl + 1 : end;
	}
out:
	view_put(&v);
	return err;
}

/* ---- entry files ---------------------------------------------------------- */

static int entry_snapshot(struct bpffs_node *node, char **text, size_t *len)
{
	struct bpffs_map *map = node->obj;
	u8 *val = malloc(user_size(map) ? user_size(map) : 1);
	int err;

	if (!val)
		return -ENOMEM;
	err = bpffs_map_lookup_elem(map, node->priv, val);
	if (!err)
		err = bpffs_fs_value_text(node->fs, map, val, text, len);
	free(val);
	return err;
}

static void entry_getattr(struct bpffs_node *node, struct stat *st)
{
	char *text;
	size_t len;

	if (!entry_snapshot(node, &text, &len)) {
		st->st_size = (off_t)len;
		free(text);
	}
}

static int entry_open(struct bpffs_file *file)
{
	char *text;
	size_t len;
	int err;

	if ((file->flags & O_ACCMODE) == O_WRONLY)
		return 0;
	err = entry_snapshot(file->node, &text, &len);
	if (err == -ENOENT && (file->flags & O_ACCMODE) == O_RDWR)
		return 0;	/* created by this open, value to come */
	if (err)
		return err;
	return bpffs_file_take_text(file, text, len);
}

static int entry_commit(struct bpffs_file *file)
{
	struct bpffs_map *map = file->node->obj;
	u64 flags = (file->flags & O_EXCL) ? BPF_NOEXIST : BPF_ANY;
	u8 *val = malloc(user_size(map) ? user_size(map) : 1);
	int err;

	if (!val)
		return -ENOMEM;
	err = bpffs_fs_value_parse(file->node->fs, map, file->wbuf, file->wlen, val);
	if (!err)
		err = bpffs_map_update_elem(map, file->node->priv, val, flags);
	free(val);
	bpffs_file_wreset(file);
	return err;
}

/* A complete line is applied at once: echo ignores errors of close(2). */
static ssize_t entry_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	ssize_t n = bpffs_file_append(file, buf, size, off);
	int err;

	if (n < 0 || !file->wlen || file->wbuf[file->wlen - 1] != '\n')
		return n;
	err = entry_commit(file);
	return err ? err : n;
}

static int entry_flush(struct bpffs_file *file)
{
	return entry_commit(file);
}

/* O_TRUNC: the value is replaced as a whole by the next write. */
static int entry_truncate(struct bpffs_node *node, off_t size)
{
	return 0;
}

static const struct bpffs_node_ops entry_ops = {
	.name = "map entry",
	.mode = S_IFREG | 0644,
	.destroy = map_node_destroy,
	.getattr = entry_getattr,
	.open = entry_open,
	.write = entry_write,
	.flush = entry_flush,
	.truncate = entry_truncate,
};

/* ---- .info ------------------------------------------------------------------ */

static u64 count_entries(struct bpffs_map *map)
{
	u8 *a = malloc(map->key_size + 1), *b = malloc(map->key_size + 1), *t;
	u64 n = 0;
	int err;

	if (!a || !b)
		goto out;
	for (err = bpffs_map_get_next_key(map, NULL, a); !err;
	     err = bpffs_map_get_next_key(map, a, b), t = a, a = b, b = t)
		n++;
out:
	free(a);
	free(b);
	return n;
}

static int info_open(struct bpffs_file *file)
{
	struct bpffs_map *map = file->node->obj;
	const char *type = bpffs_map_type_name(map->map_type);
	char kf[16], vf[16], bk[160] = "", bv[160] = "", kt[128], vt[128];
	struct map_view v;
	int err;

	view_get(file->node->fs, map, &v);
	if (v.raw) {	/* "btf_key: __u32\nbtf_value: struct proto_stats\n" */
		snprintf(bk, sizeof(bk), "btf_key: %s\n",
			 bpffs_btf_type_name(v.raw, map->btf_key_type_id, kt, sizeof(kt)));
		snprintf(bv, sizeof(bv), "btf_value: %s\n",
			 bpffs_btf_type_name(v.raw, map->btf_value_type_id, vt, sizeof(vt)));
	}
	err = bpffs_file_set_text(file,
		"name: %s\nid: %u\ntype: %s\nkey_size: %u\nvalue_size: %u\n"
		"max_entries: %u\nflags: 0x%x\nentries: %llu\nmemory: %zu\n"
		"key_format: %s\nvalue_format: %s\n%s%sfrozen: %s\n",
		map->name, map->id, type ? type : "unknown", map->key_size, map->value_size,
		map->max_entries, map->map_flags, (unsigned long long)count_entries(map),
		bpffs_map_mem_usage(map),
		bpffs_fmt_name(v.fmt.key, map->key_size, kf, sizeof(kf)),
		v.value_id ? "btf" : bpffs_fmt_name(v.fmt.value, map->value_size, vf, sizeof(vf)),
		bk, bv, map->frozen ? "yes" : "no");
	view_put(&v);
	return err;
}

/* The spec of a live map cannot change. */
static ssize_t info_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	return -EEXIST;
}

static int info_truncate(struct bpffs_node *node, off_t size)
{
	return 0;
}

static const struct bpffs_node_ops info_ops = {
	.name = "map .info",
	.mode = S_IFREG | 0444,
	.destroy = map_node_destroy,
	.open = info_open,
	.write = info_write,
	.truncate = info_truncate,
};

/* ---- the map directory ------------------------------------------------------ */

/* Key of @name in the map's format; -EINVAL when it cannot be one. */
static int name_to_key(struct bpffs_node *dir, const char *name, u8 **key)
{
	struct bpffs_map *map = dir->obj;
	struct map_view v;
	int err;

	if (!map->key_size)
		return -EINVAL;
	*key = malloc(map->key_size);
	if (!*key)
		return -ENOMEM;
	view_get(dir->fs, map, &v);
	err = bpffs_parse_key(name, map->key_size, v.fmt.key, *key);
	view_put(&v);
	if (err) {
		free(*key);
		*key = NULL;
	}
	return err;
}

static int entry_child(struct bpffs_node *dir, u8 *key, struct bpffs_child *out)
{
	struct bpffs_map *map = dir->obj;

	bpffs_map_get(map);
	out->ops = bpffs_map_has_slots(map) ? &bpffs_map_slot_ops : &entry_ops;
	out->obj = map;
	out->priv = key;	/* owned by the node from here */
	out->priv_len = map->key_size;
	return 0;
}

static int map_dir_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_map *map = dir->obj;
	u8 *key, *val;
	int err;

	if (!strcmp(name, ".info")) {
		bpffs_map_get(map);
		out->ops = &info_ops;
		out->obj = map;
		return 0;
	}
	if (!bpffs_map_special_lookup(dir, name, out))
		return 0;
	if (name_to_key(dir, name, &key))
		return -ENOENT;
	val = malloc(user_size(map) ? user_size(map) : 1);
	err = val ? bpffs_map_lookup_elem(map, key, val) : -ENOMEM;
	free(val);
	if (!err)
		return entry_child(dir, key, out);
	free(key);
	return err == -ENOMEM ? err : -ENOENT;
}

static int map_dir_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
			  struct bpffs_child *out)
{
	u8 *key;
	int err;

	if (!strcmp(name, ".info"))
		return -EEXIST;
	err = name_to_key(dir, name, &key);
	if (err)
		return err;
	return entry_child(dir, key, out);
}

static int map_dir_unlink(struct bpffs_node *dir, const char *name)
{
	u8 *key;
	int err;

	if (!strcmp(name, ".info"))
		return -EPERM;
	if (name_to_key(dir, name, &key))
		return -ENOENT;
	err = bpffs_map_delete_elem(dir->obj, key);
	free(key);
	return err;
}

/* Readdir cursor: the last key emitted and the cookie that follows it. */
struct map_cursor {
	off_t next_off;
	bool have_key;
	u8 key[] __attribute__((aligned(8)));	/* map ops may load it as u32/u64 */
};

static struct map_cursor *cursor_of(struct bpffs_file *file, u32 key_size)
{
	if (!file->priv)
		file->priv = calloc(1, sizeof(struct map_cursor) + key_size + 1);
	return file->priv;
}

/*
 * Cookies: 0 is .info, key number i (from 0, in next_key order) has cookie
 * i + 1. A read that continues where the last one stopped resumes from the
 * cursor's key; any other offset restarts the walk and skips to it.
 */
static int map_dir_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			   bpffs_fill_fn fill, void *ctx)
{
	struct bpffs_map *map = dir->obj;
	struct map_view v;
	struct map_cursor *c = cursor_of(file, map->key_size);
	u8 *next = malloc(map->key_size + 1);
	off_t pos;
	char name[300];
	int err = 0;

	if (!c || !next) {
		free(next);
		return -ENOMEM;
	}
	view_get(dir->fs, map, &v);
	if (off == 0) {
		if (fill(ctx, ".info", S_IFREG, 0, 1))
			goto out;
		off = 1;
	}
	if (bpffs_map_special_only(map)) {
		bpffs_map_special_readdir(map, off, fill, ctx);
		goto out;
	}
	if (!c->have_key || c->next_off != off) {
		c->have_key = false;	/* restart from the first key */
		pos = 1;
	} else {
		pos = off;
	}
	while (map->key_size) {
		err = bpffs_map_get_next_key(map, c->have_key ? c->key : NULL, next);
		if (err)
			break;
		if (pos >= off && !(bpffs_map_has_slots(map) && bpffs_map_slot_empty(map, next))) {
			if (bpffs_render_key(next, map->key_size, v.fmt.key, name, sizeof(name)) >= 0 &&
			    fill(ctx, name, S_IFREG, 0, pos + 1))
				break;
		}
		memcpy(c->key, next, map->key_size);
		c->have_key = true;
		c->next_off = ++pos;
	}
	err = 0;	/* -ENOENT: the end; other errors: nothing to list */
out:
	view_put(&v);
	free(next);
	return err;
}

static void map_dir_release(struct bpffs_file *file)
{
	free(file->priv);
}

static void map_dir_getattr(struct bpffs_node *node, struct stat *st)
{
	st->st_nlink = 2;
}

const struct bpffs_node_ops bpffs_map_dir_ops = {
	.name = "map dir",
	.mode = S_IFDIR | 0755,
	.destroy = map_node_destroy,
	.getattr = map_dir_getattr,
	.lookup = map_dir_lookup,
	.readdir = map_dir_readdir,
	.release = map_dir_release,
	.create = map_dir_create,
	.unlink = map_dir_unlink,
};
