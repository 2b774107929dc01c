// SPDX-License-Identifier: MIT
/*
 * maps/: one directory per published map (the registry's names), plus the
 * directories made with `mkdir maps/NAME` that wait for their spec. Writing
 * a one-line spec to maps/NAME/.info ("type=hash key=u32 value=u64
 * max_entries=1024") creates the map and publishes it under NAME, so shell
 * scripts can make maps that programs later share by name (libbpf pinning).
 * rmdir removes a map (EBUSY while a loaded object uses it).
 *
 * The text formats a spec asks for (decimal u32 keys, ...) are kept here,
 * keyed by map and holding a reference, since a map itself has no notion of
 * text. The map's own directory and entries are in map_dir.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "map_internal.h"
#include "render.h"
#include "../core/log.h"
#include "../core/registry.h"
#include "../core/vlog.h"
#include "../maps/maps.h"

struct bpffs_pending_map {
	char name[BPFFS_OBJ_NAME_LEN];
	int refcnt;			/* protected by fs->maps_lock */
	bool listed;			/* still in fs->pending */
	char err[512];			/* why the last spec failed (protected by maps_lock) */
	struct bpffs_pending_map *next;
};

struct bpffs_fmt_entry {
	struct bpffs_map *map;		/* referenced */
	struct bpffs_map_fmt fmt;
	struct bpffs_fmt_entry *next;
};

/* ---- formats ------------------------------------------------------------ */

struct bpffs_map_fmt bpffs_fs_map_fmt(struct bpffs_fs *fs, const struct bpffs_map *map)
{
	struct bpffs_map_fmt f = bpffs_map_fmt_default(map);
	struct bpffs_fmt_entry *e;

	pthread_mutex_lock(&fs->maps_lock);
	for (e = fs->fmts; e; e = e->next)
		if (e->map == map)
			f = e->fmt;
	pthread_mutex_unlock(&fs->maps_lock);
	f.key = bpffs_fmt_fit(f.key, map->key_size);
	f.value = bpffs_fmt_fit(f.value, map->value_size);
	return f;
}

static int fmt_remember(struct bpffs_fs *fs, struct bpffs_map *map, struct bpffs_map_fmt f)
{
	struct bpffs_fmt_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	bpffs_map_get(map);
	e->map = map;
	e->fmt = f;
	pthread_mutex_lock(&fs->maps_lock);
	e->next = fs->fmts;
	fs->fmts = e;
	pthread_mutex_unlock(&fs->maps_lock);
	return 0;
}

int bpffs_fs_map_fmt_set(struct bpffs_fs *fs, struct bpffs_map *map, struct bpffs_map_fmt f)
{
	return fmt_remember(fs, map, f);
}

static void fmt_forget(struct bpffs_fs *fs, const char *name)
{
	struct bpffs_fmt_entry **p, *dead = NULL;

	pthread_mutex_lock(&fs->maps_lock);
	for (p = &fs->fmts; *p; p = &(*p)->next) {
		if (!strcmp((*p)->map->name, name)) {
			dead = *p;
			*p = dead->next;
			break;
		}
	}
	pthread_mutex_unlock(&fs->maps_lock);
	if (dead) {
		bpffs_map_put(dead->map);
		free(dead);
	}
}

/* ---- pending directories ------------------------------------------------ */

static struct bpffs_pending_map *pending_find_locked(struct bpffs_fs *fs, const char *name)
{
	struct bpffs_pending_map *p;

	for (p = fs->pending; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static void pending_put_locked(struct bpffs_fs *fs, struct bpffs_pending_map *p)
{
	if (--p->refcnt == 0)
		free(p);
}

/* Unlist @p (its spec was accepted or the directory was removed). */
static void pending_unlist_locked(struct bpffs_fs *fs, struct bpffs_pending_map *p)
{
	struct bpffs_pending_map **pp;

	if (!p->listed)
		return;
	for (pp = &fs->pending; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	p->listed = false;
	pending_put_locked(fs, p);
}

static void pending_destroy(struct bpffs_node *node)
{
	pthread_mutex_lock(&node->fs->maps_lock);
	pending_put_locked(node->fs, node->obj);
	pthread_mutex_unlock(&node->fs->maps_lock);
}

void bpffs_maps_fini(struct bpffs_fs *fs)
{
	struct bpffs_fmt_entry *e;

	pthread_mutex_lock(&fs->maps_lock);
	while (fs->pending)
		pending_unlist_locked(fs, fs->pending);
	pthread_mutex_unlock(&fs->maps_lock);
	while ((e = fs->fmts)) {
		fs->fmts = e->next;
		bpffs_map_put(e->map);
		free(e);
	}
}

/*
 * Create and publish the map a spec describes, under the pending name.
 * Returns 0 or -errno; the reason is kept for reading .info.
 */
static int pending_apply_spec(struct bpffs_fs *fs, struct bpffs_pending_map *p,
			      const char *text, size_t len)
{
	struct bpffs_map_attr attr = { 0 };
	struct bpffs_map_fmt fmt;
	struct bpffs_map *map = NULL;
	struct bpffs_vlog log;
	int err;

	if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, sizeof(p->err)))
		return -ENOMEM;
	err = bpffs_parse_map_spec(text, len, &attr, &fmt, &log);
	snprintf(attr.name, sizeof(attr.name), "%s", p->name);
	if (!err)
		err = bpffs_map_create(&attr, &log, &map);
	if (!err)
		err = fmt_remember(fs, map, fmt);
	if (!err) {
		err = bpffs_registry_add_map(fs->reg, map);
		if (err) {
			bpffs_vlog_printf(&log, err == -EEXIST ? "map '%s': name already in use\n" :
					  "map '%s': over this mount's limits (map_mem, max_maps)\n",
					  p->name);
			fmt_forget(fs, p->name);
		}
	}
	if (map)
		bpffs_map_put(map);
	pthread_mutex_lock(&fs->maps_lock);
	if (!err)
		pending_unlist_locked(fs, p);
	else
		snprintf(p->err, sizeof(p->err), "%s", bpffs_vlog_text(&log));
	pthread_mutex_unlock(&fs->maps_lock);
	if (err)
		pr_info("map '%s': spec refused: %s", p->name, bpffs_vlog_text(&log));
	else
		pr_info("map '%s': created from spec", p->name);
	bpffs_vlog_free(&log);
	return err;
}

static int pending_info_open(struct bpffs_file *file)
{
	struct bpffs_pending_map *p = file->node->obj;
	struct bpffs_fs *fs = file->node->fs;
	char err[sizeof(p->err)];

	pthread_mutex_lock(&fs->maps_lock);
	memcpy(err, p->err, sizeof(err));
	pthread_mutex_unlock(&fs->maps_lock);
	return bpffs_file_set_text(file,
		"name: %s\nstate: no spec yet\n"
		"usage: echo 'type=hash key=u32 value=u64 max_entries=1024' > .info\n"
		"%s%s",
		p->name, err[0] ? "last error: " : "", err);
}

/* Commit a complete line at once: echo ignores errors of close(2). */
static ssize_t pending_info_write(struct bpffs_file *file, const char *buf, size_t size,
				  off_t off)
{
	ssize_t n = bpffs_file_append(file, buf, size, off);
	int err;

	if (n < 0 || !file->wlen || file->wbuf[file->wlen - 1] != '\n')
		return n;
	err = pending_apply_spec(file->node->fs, file->node->obj, file->wbuf, file->wlen);
	bpffs_file_wreset(file);
	return err ? err : n;
}

static int pending_info_flush(struct bpffs_file *file)
{
	int err = pending_apply_spec(file->node->fs, file->node->obj, file->wbuf, file->wlen);

	bpffs_file_wreset(file);
	return err;
}

static int pending_info_truncate(struct bpffs_node *node, off_t size)
{
	return 0;
}

static const struct bpffs_node_ops pending_info_ops = {
	.name = "pending map .info",
	.mode = S_IFREG | 0644,
	.destroy = pending_destroy,
	.open = pending_info_open,
	.write = pending_info_write,
	.flush = pending_info_flush,
	.truncate = pending_info_truncate,
};

static void pending_hold(struct bpffs_fs *fs, struct bpffs_pending_map *p)
{
	pthread_mutex_lock(&fs->maps_lock);
	p->refcnt++;
	pthread_mutex_unlock(&fs->maps_lock);
}

static int pending_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	if (strcmp(name, ".info"))
		return -ENOENT;
	pending_hold(dir->fs, dir->obj);
	out->ops = &pending_info_ops;
	out->obj = dir->obj;
	return 0;
}

static int pending_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			   bpffs_fill_fn fill, void *ctx)
{
	if (off == 0)
		fill(ctx, ".info", S_IFREG, 0, 1);
	return 0;
}

/* Entries cannot exist before the map does. */
static int pending_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
			  struct bpffs_child *out)
{
	return -ENOENT;
}

static const struct bpffs_node_ops pending_dir_ops = {
	.name = "pending map dir",
	.mode = S_IFDIR | 0755,
	.destroy = pending_destroy,
	.lookup = pending_lookup,
	.readdir = pending_readdir,
	.create = pending_create,
};

/* ---- maps/ --------------------------------------------------------------- */

static int maps_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_fs *fs = dir->fs;
	struct bpffs_map *map = bpffs_registry_get_map(fs->reg, name);
	struct bpffs_pending_map *p;

	if (map) {
		out->ops = &bpffs_map_dir_ops;
		out->obj = map;
		return 0;
	}
	pthread_mutex_lock(&fs->maps_lock);
	p = pending_find_locked(fs, name);
	if (p)
		p->refcnt++;
	pthread_mutex_unlock(&fs->maps_lock);
	if (!p)
		return -ENOENT;
	out->ops = &pending_dir_ops;
	out->obj = p;
	return 0;
}

/* One readdir snapshot per open: registry names, then pending names. */
struct maps_listing {
	char **names;
	int cnt;
};

static int maps_snapshot(struct bpffs_fs *fs, struct maps_listing *l)
{
	struct bpffs_pending_map *p;
	int n = bpffs_registry_names(fs->reg, BPFFS_REG_MAP, &l->names), extra = 0;
	char **grown;

	if (n < 0)
		return n;
	l->cnt = n;
	pthread_mutex_lock(&fs->maps_lock);
	for (p = fs->pending; p; p = p->next)
		extra++;
	grown = realloc(l->names, sizeof(*grown) * (size_t)(n + extra + 1));
	if (grown) {
		l->names = grown;
		for (p = fs->pending; p; p = p->next) {
			l->names[l->cnt] = strdup(p->name);
			if (l->names[l->cnt])
				l->cnt++;
		}
	}
	pthread_mutex_unlock(&fs->maps_lock);
	return 0;
}

static int maps_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			bpffs_fill_fn fill, void *ctx)
{
	struct maps_listing *l = file->priv;
	int i, err;

	if (!l || off == 0) {
		if (l)
			bpffs_registry_names_free(l->names, l->cnt);
		free(l);
		file->priv = l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		err = maps_snapshot(dir->fs, l);
		if (err)
			return err;
	}
	for (i = (int)off; i < l->cnt; i++)
		if (fill(ctx, l->names[i], S_IFDIR, 0, i + 1))
			break;
	return 0;
}

static void maps_release(struct bpffs_file *file)
{
	struct maps_listing *l = file->priv;

	if (l)
		bpffs_registry_names_free(l->names, l->cnt);
	free(l);
}

static bool name_ok(const char *name)
{
	return strlen(name) < BPFFS_OBJ_NAME_LEN && !strchr(name, '/');
}

static int maps_mkdir(struct bpffs_node *dir, const char *name, mode_t mode,
		      struct bpffs_child *out)
{
	struct bpffs_fs *fs = dir->fs;
	struct bpffs_map *map;
	struct bpffs_pending_map *p;

	if (!name_ok(name))
		return -ENAMETOOLONG;
	map = bpffs_registry_get_map(fs->reg, name);
	if (map) {
		bpffs_map_put(map);
		return -EEXIST;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->refcnt = 2;			/* the list and the new node */
	p->listed = true;
	pthread_mutex_lock(&fs->maps_lock);
	if (pending_find_locked(fs, name)) {
		pthread_mutex_unlock(&fs->maps_lock);
		free(p);
		return -EEXIST;
	}
	p->next = fs->pending;
	fs->pending = p;
	pthread_mutex_unlock(&fs->maps_lock);
	out->ops = &pending_dir_ops;
	out->obj = p;
	return 0;
}

static int maps_rmdir(struct bpffs_node *dir, const char *name)
{
	struct bpffs_fs *fs = dir->fs;
	struct bpffs_pending_map *p;
	int err;

	pthread_mutex_lock(&fs->maps_lock);
	p = pending_find_locked(fs, name);
	if (p)
		pending_unlist_locked(fs, p);
	pthread_mutex_unlock(&fs->maps_lock);
	if (p)
		return 0;
	err = bpffs_registry_remove_map(fs->reg, name);
	if (!err)
		fmt_forget(fs, name);
	return err;
}

static int maps_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
		       struct bpffs_child *out)
{
	return -EPERM;		/* maps are directories: mkdir maps/NAME */
}

const struct bpffs_node_ops bpffs_maps_dir_ops = {
	.name = "maps dir",
	.mode = S_IFDIR | 0755,
	.lookup = maps_lookup,
	.readdir = maps_readdir,
	.release = maps_release,
	.mkdir = maps_mkdir,
	.rmdir = maps_rmdir,
	.create = maps_create,
};
