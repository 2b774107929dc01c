// SPDX-License-Identifier: MIT
/*
 * Slots of object maps (maps/NAME/KEY for PROG_ARRAY, ARRAY_OF_MAPS and
 * HASH_OF_MAPS): where the kernel's user space writes a file descriptor,
 * the shell writes a name. `echo prog > MNT/maps/jmp_table/3` puts program
 * `prog` (looked up in the mount's registry) in slot 3, `cat` prints the
 * name of what the slot holds, `rm` clears it (map_dir.c's unlink). A map
 * name goes into a map-in-map slot the same way. Errors: ENOENT for an
 * unknown name, EINVAL for a program whose type differs from the array's
 * (the type of the programs already in it, else of the programs using it,
 * as the kernel's bpf_prog_map_compatible), E2BIG past the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_internal.h"
#include "../core/core.h"
#include "../core/log.h"
#include "../core/registry.h"
#include "../core/vlog.h"
#include "../maps/maps.h"

bool bpffs_map_has_slots(const struct bpffs_map *map)
{
	return map->map_type == BPF_MAP_TYPE_PROG_ARRAY ||
	       map->map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       map->map_type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

bool bpffs_map_slot_empty(struct bpffs_map *map, const void *key)
{
	u32 id;

	return bpffs_map_lookup_elem(map, key, &id) != 0;
}

/* Name of what slot @key holds, into @buf; -ENOENT when empty. */
static int slot_name(struct bpffs_map *map, const void *key, char *buf, size_t size)
{
	int err = -ENOENT;

	bpffs_rcu_read_lock();
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpffs_prog *prog = bpffs_prog_array_get(map, *(const u32 *)key);

		if (prog) {
			snprintf(buf, size, "%s\n", prog->name);
			err = 0;
		}
	} else if (map->ops->lookup) {
		struct bpffs_map *inner = map->ops->lookup(map, key);

		if (inner) {
			snprintf(buf, size, "%s\n", inner->name);
			err = 0;
		}
	}
	bpffs_rcu_read_unlock();
	return err;
}

static void slot_getattr(struct bpffs_node *node, struct stat *st)
{
	char name[BPFFS_OBJ_NAME_LEN + 2];

	if (!slot_name(node->obj, node->priv, name, sizeof(name)))
		st->st_size = (off_t)strlen(name);
}

static int slot_open(struct bpffs_file *file)
{
	char name[BPFFS_OBJ_NAME_LEN + 2];
	int err;

	if ((file->flags & O_ACCMODE) == O_WRONLY)
		return 0;
	err = slot_name(file->node->obj, file->node->priv, name, sizeof(name));
	if (err == -ENOENT && (file->flags & O_ACCMODE) == O_RDWR)
		return 0;	/* created by this open, name to come */
	if (err)
		return err;
	return bpffs_file_set_text(file, "%s", name);
}

static bool uses_map(const struct bpffs_prog *prog, const struct bpffs_map *map)
{
	for (u32 i = 0; i < prog->map_cnt; i++)
		if (prog->maps[i] == map)
			return true;
	return false;
}

/* The program type the array is bound to, or false when nothing binds it yet. */
static bool owner_type(struct bpffs_fs *fs, struct bpffs_map *map, u32 *type)
{
	bool found = false;
	char **names;
	int i, cnt;

	bpffs_rcu_read_lock();
	for (u32 k = 0; k < map->max_entries && !found; k++) {
		struct bpffs_prog *p = bpffs_prog_array_get(map, k);

		if (p) {
			*type = p->type;
			found = true;
		}
	}
	bpffs_rcu_read_unlock();
	cnt = found ? 0 : bpffs_registry_names(fs->reg, BPFFS_REG_PROG, &names);
	for (i = 0; i < cnt && !found; i++) {
		struct bpffs_prog *p = bpffs_registry_get_prog(fs->reg, names[i]);

		if (p && uses_map(p, map)) {
			*type = p->type;
			found = true;
		}
		if (p)
			bpffs_prog_put(p);
	}
	if (cnt > 0)
		bpffs_registry_names_free(names, cnt);
	return found;
}

static int set_prog(struct bpffs_fs *fs, struct bpffs_map *map, u32 idx, const char *name)
{
	struct bpffs_prog *prog = bpffs_registry_get_prog(fs->reg, name);
	u32 type;
	int err;

	if (!prog)
		return -ENOENT;
	if (owner_type(fs, map, &type) && type != prog->type) {
		pr_info("map '%s': program '%s' has another type than the array's programs\n",
			map->name, name);
		err = -EINVAL;
	} else {
		err = bpffs_prog_array_update(map, idx, prog);
	}
	bpffs_prog_put(prog);
	return err;
}

static int set_map(struct bpffs_fs *fs, struct bpffs_map *map, const void *key, const char *name)
{
	struct bpffs_map *inner = bpffs_registry_get_map(fs->reg, name);
	struct bpffs_vlog log = { 0 };
	char text[256];
	int err;

	if (!inner)
		return -ENOENT;
	log.level = BPFFS_LOG_ERRORS;
	log.buf = text;
	log.size = sizeof(text);
	text[0] = '\0';
	err = bpffs_map_in_map_update(map, key, inner, BPF_ANY, &log);
	if (err && text[0])
		pr_info("%s", text);
	bpffs_map_put(inner);
	return err;
}

/* The written text, trimmed, names the object to store. */
static int slot_commit(struct bpffs_file *file)
{
	struct bpffs_node *node = file->node;
	struct bpffs_map *map = node->obj;
	char name[BPFFS_OBJ_NAME_LEN];
	size_t b = 0, e = file->wlen;
	int err;

	while (b < e && strchr(" \t\r\n", file->wbuf[b]))
		b++;
	while (e > b && strchr(" \t\r\n", file->wbuf[e - 1]))
		e--;
	bpffs_file_wreset(file);
	if (b == e || e - b >= sizeof(name) || memchr(file->wbuf + b, '\0', e - b))
		return -EINVAL;
	memcpy(name, file->wbuf + b, e - b);
	name[e - b] = '\0';
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY)
		err = set_prog(node->fs, map, *(const u32 *)node->priv, name);
	else
		err = set_map(node->fs, map, node->priv, name);
	return err;
}

/* A complete line is applied at once, so echo itself reports the error. */
static ssize_t slot_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	ssize_t n = bpffs_file_append(file, buf, size, off);
	int err;

	if (n < 0 || !file->wlen || file->wbuf[file->wlen - 1] != '\n')
		return n;
	err = slot_commit(file);
	return err ? err : n;
}

static int slot_flush(struct bpffs_file *file)
{
	return slot_commit(file);
}

static int slot_truncate(struct bpffs_node *node, off_t size)
{
	return 0;
}

static void slot_destroy(struct bpffs_node *node)
{
	bpffs_map_put(node->obj);
}

const struct bpffs_node_ops bpffs_map_slot_ops = {
	.name = "map slot",
	.mode = S_IFREG | 0644,
	.destroy = slot_destroy,
	.getattr = slot_getattr,
	.open = slot_open,
	.write = slot_write,
	.flush = slot_flush,
	.truncate = slot_truncate,
};
