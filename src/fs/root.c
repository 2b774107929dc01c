// SPDX-License-Identifier: MIT
/*
 * The fixed part of the tree: the root directory and its entries progs/,
 * maps/, links/, hooks/ and trace_pipe. The root's children are pinned nodes
 * created at mount time; the root's lookup and readdir walk the same table so
 * the two never disagree. Directories whose content comes later (links/,
 * hooks/) are empty directory kinds here.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const struct {
	const char *name;
	const struct bpffs_node_ops *ops;
} root_entries[] = {
	{ "progs", &bpffs_progs_dir_ops },
	{ "maps", &bpffs_maps_dir_ops },
	{ "links", &bpffs_links_dir_ops },
	{ "hooks", &bpffs_hooks_dir_ops },
	{ "trace_pipe", &bpffs_trace_pipe_ops },
};

int bpffs_root_populate(struct bpffs_node *root)
{
	size_t i;
	int err;

	for (i = 0; i < BPFFS_ARRAY_SIZE(root_entries); i++) {
		err = bpffs_node_add_fixed(root, root_entries[i].name, root_entries[i].ops,
					   NULL, NULL);
		if (err)
			return err;
	}
	return 0;
}

static int root_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(root_entries); i++) {
		if (!strcmp(name, root_entries[i].name)) {
			out->ops = root_entries[i].ops;
			return 0;
		}
	}
	return -ENOENT;
}

static int root_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			bpffs_fill_fn fill, void *ctx)
{
	size_t i;

	for (i = (size_t)off; i < BPFFS_ARRAY_SIZE(root_entries); i++)
		if (fill(ctx, root_entries[i].name, root_entries[i].ops->mode, 0, (off_t)i + 1))
			break;
	return 0;
}

static void root_getattr(struct bpffs_node *node, struct stat *st)
{
	st->st_nlink = 2 + 4;	/* ".", the parent's entry and four subdirectories */
}

/*
 * Creating files or directories at the top level is refused with EPERM, as
 * the layout is fixed (the kernel's bpffs refuses regular files the same way).
 */
static int root_mkdir(struct bpffs_node *dir, const char *name, mode_t mode,
		      struct bpffs_child *out)
{
	return root_lookup(dir, name, out) ? -EPERM : -EEXIST;
}

static int root_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
		       struct bpffs_child *out)
{
	return root_lookup(dir, name, out) ? -EPERM : -EEXIST;
}

const struct bpffs_node_ops bpffs_root_ops = {
	.name = "root",
	.mode = S_IFDIR | 0755,
	.getattr = root_getattr,
	.lookup = root_lookup,
	.readdir = root_readdir,
	.mkdir = root_mkdir,
	.create = root_create,
};

static int empty_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	return -ENOENT;
}

const struct bpffs_node_ops bpffs_empty_dir_ops = {
	.name = "empty dir",
	.mode = S_IFDIR | 0755,
	.lookup = empty_lookup,
};
