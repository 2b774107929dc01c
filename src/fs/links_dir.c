// SPDX-License-Identifier: MIT
/*
 * links/: one file per attachment, named by the link's id, like the
 * kernel's link ids that bpftool lists. `cat links/ID` prints the link's
 * description (hook, target, program, run count and time, the hook's own
 * counters) at the time of the open; `rm links/ID` detaches it, exactly as
 * rm of its symbolic link under hooks/ does. The links themselves live in
 * src/hooks; this directory only shows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../core/log.h"
#include "../hooks/hooks.h"

/* ---- links/ID -------------------------------------------------------------------- */

static void link_file_destroy(struct bpffs_node *node)
{
	bpffs_link_put(node->obj);
}

static int link_file_open(struct bpffs_file *file)
{
	const struct bpffs_link *link = file->node->obj;
	size_t size = 1024;

	for (;;) {
		char *text = malloc(size);
		int n;

		if (!text)
			return -ENOMEM;
		n = bpffs_link_show(link, text, size);
		if (n < 0) {
			free(text);
			return n;
		}
		if ((size_t)n < size)
			return bpffs_file_take_text(file, text, (size_t)n);
		free(text);
		size = (size_t)n + 1;
	}
}

static const struct bpffs_node_ops link_file_ops = {
	.name = "link",
	.mode = S_IFREG | 0444,
	.destroy = link_file_destroy,
	.open = link_file_open,
};

/* ---- links/ ------------------------------------------------------------------------ */

/* "12" -> 12; ids are decimal without leading zeros (one name per link). */
static int parse_id(const char *name, u32 *id)
{
	unsigned long v;
	char *end;

	if (name[0] < '1' || name[0] > '9')
		return -ENOENT;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -ENOENT;
	*id = (u32)v;
	return 0;
}

static int links_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_link *link;
	u32 id;
	int err = parse_id(name, &id);

	if (!err)
		err = bpffs_link_get_by_id(id, &link);
	if (err)
		return err;
	out->ops = &link_file_ops;
	out->obj = link;
	return 0;
}

struct id_list {
	u32 *ids;
	u32 cnt, cap;
	int err;
};

static int id_add(void *arg, struct bpffs_link *link)
{
	struct id_list *l = arg;

	if (l->cnt == l->cap) {
		u32 cap = l->cap ? l->cap * 2 : 64;
		u32 *p = realloc(l->ids, cap * sizeof(*p));

		if (!p) {
			l->err = -ENOMEM;
			return 1;
		}
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->cnt++] = link->id;
	return 0;
}

static void id_list_free(struct id_list *l)
{
	if (l)
		free(l->ids);
	free(l);
}

/* A snapshot of the ids is taken at cookie 0; cookie i + 1 follows ids[i]. */
static int links_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			 bpffs_fill_fn fill, void *ctx)
{
	struct id_list *l = file->priv;
	char name[16];

	if (!l || off == 0) {
		id_list_free(l);
		file->priv = l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		bpffs_link_for_each(id_add, l);
		if (l->err)
			return l->err;
	}
	for (off_t i = off; i < (off_t)l->cnt; i++) {
		snprintf(name, sizeof(name), "%u", l->ids[i]);
		if (fill(ctx, name, S_IFREG, 0, i + 1))
			break;
	}
	return 0;
}

static void links_release(struct bpffs_file *file)
{
	id_list_free(file->priv);
	file->priv = NULL;
}

static int links_unlink(struct bpffs_node *dir, const char *name)
{
	struct bpffs_link *link;
	u32 id;
	int err = parse_id(name, &id);

	if (!err)
		err = bpffs_link_get_by_id(id, &link);
	if (err)
		return err;
	err = bpffs_link_detach(link);
	if (!err)
		pr_info("links/%u: detached '%s'", id, bpffs_link_name(link));
	bpffs_link_put(link);
	return err;
}

/* Links are made by ln -s under hooks/, not here. */
static int links_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
			struct bpffs_child *out)
{
	return -EPERM;
}

const struct bpffs_node_ops bpffs_links_dir_ops = {
	.name = "links dir",
	.mode = S_IFDIR | 0755,
	.lookup = links_lookup,
	.readdir = links_readdir,
	.release = links_release,
	.unlink = links_unlink,
	.create = links_create,
};
