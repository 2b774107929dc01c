// SPDX-License-Identifier: MIT
/*
 * The reply-free half of the FUSE handlers: each function resolves an inode
 * number to its node, calls the node kind's op and returns 0/-errno (or a
 * byte count). ops.c wraps them in fuse_reply_*; tests/unit/test_fs_nodes.c
 * calls them directly, without a mount. Nothing here knows what a map or a
 * program is: that is the kinds' business (root.c, maps_dir.c, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void bpffs_fs_fill_stat(struct bpffs_node *node, struct stat *st)
{
	struct bpffs_fs *fs = node->fs;

	memset(st, 0, sizeof(*st));
	st->st_ino = node->ino;
	st->st_mode = node->ops->mode;
	st->st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	st->st_atim = fs->mount_time;
	st->st_mtim = fs->mount_time;
	st->st_ctim = fs->mount_time;
	if (node->ops->getattr)
		node->ops->getattr(node, st);
}

static int check_name(const char *name)
{
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	return 0;
}

static void fill_entry(struct bpffs_node *n, struct bpffs_entry *e)
{
	e->ino = n->ino;
	bpffs_fs_fill_stat(n, &e->st);
}

int bpffs_fs_lookup(struct bpffs_fs *fs, u64 parent, const char *name, struct bpffs_entry *e)
{
	struct bpffs_node *dir = bpffs_node_get(fs, parent), *n;
	struct bpffs_child c = { 0 };
	int err = -ENOENT;

	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->ops->mode)) {
		err = -ENOTDIR;
		goto out;
	}
	if (strlen(name) > 255) {
		err = -ENAMETOOLONG;
		goto out;
	}
	if (dir->ops->lookup)
		err = dir->ops->lookup(dir, name, &c);
	if (err)
		goto out;
	err = bpffs_node_child(dir, name, &c, true, &n);
	if (!err)
		fill_entry(n, e);
out:
	bpffs_node_put(dir);
	return err;
}

int bpffs_fs_getattr(struct bpffs_fs *fs, u64 ino, struct stat *st)
{
	struct bpffs_node *n = bpffs_node_get(fs, ino);

	if (!n)
		return -ENOENT;
	bpffs_fs_fill_stat(n, st);
	bpffs_node_put(n);
	return 0;
}

int bpffs_fs_setattr_size(struct bpffs_fs *fs, u64 ino, off_t size, struct stat *st)
{
	struct bpffs_node *n = bpffs_node_get(fs, ino);
	int err;

	if (!n)
		return -ENOENT;
	if (S_ISDIR(n->ops->mode))
		err = -EISDIR;
	else
		err = n->ops->truncate ? n->ops->truncate(n, size) : -EPERM;
	if (!err)
		bpffs_fs_fill_stat(n, st);
	bpffs_node_put(n);
	return err;
}

/* mkdir and create share this shape: ask the kind, then make the node. */
static int dir_make(struct bpffs_fs *fs, u64 parent, const char *name, bool is_dir,
		    mode_t mode, int flags, struct bpffs_node **out)
{
	struct bpffs_node *dir = bpffs_node_get(fs, parent);
	struct bpffs_child c = { 0 };
	int err;

	if (!dir)
		return -ENOENT;
	err = check_name(name);
	if (err)
		goto out;
	if (!S_ISDIR(dir->ops->mode))
		err = -ENOTDIR;
	else if (is_dir)
		err = dir->ops->mkdir ? dir->ops->mkdir(dir, name, mode, &c) : -EPERM;
	else
		err = dir->ops->create ? dir->ops->create(dir, name, mode, flags, &c) : -EACCES;
	if (!err)
		err = bpffs_node_child(dir, name, &c, true, out);
out:
	bpffs_node_put(dir);
	return err;
}

int bpffs_fs_mkdir(struct bpffs_fs *fs, u64 parent, const char *name, mode_t mode,
		   struct bpffs_entry *e)
{
	struct bpffs_node *n;
	int err = dir_make(fs, parent, name, true, mode, 0, &n);

	if (!err)
		fill_entry(n, e);
	return err;
}

static int dir_remove(struct bpffs_fs *fs, u64 parent, const char *name, bool is_dir)
{
	struct bpffs_node *dir = bpffs_node_get(fs, parent);
	int err;

	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->ops->mode))
		err = -ENOTDIR;
	else if (is_dir)
		err = dir->ops->rmdir ? dir->ops->rmdir(dir, name) : -EPERM;
	else
		err = dir->ops->unlink ? dir->ops->unlink(dir, name) : -EPERM;
	if (!err)
		bpffs_node_unhash(dir, name);
	bpffs_node_put(dir);
	return err;
}

int bpffs_fs_rmdir(struct bpffs_fs *fs, u64 parent, const char *name)
{
	return dir_remove(fs, parent, name, true);
}

int bpffs_fs_unlink(struct bpffs_fs *fs, u64 parent, const char *name)
{
	return dir_remove(fs, parent, name, false);
}

static void file_track(struct bpffs_file *f)
{
	struct bpffs_fs *fs = f->node->fs;

	pthread_mutex_lock(&fs->lock);
	f->next_open = fs->files;
	if (fs->files)
		fs->files->prev_open = f;
	fs->files = f;
	pthread_mutex_unlock(&fs->lock);
}

static void file_untrack(struct bpffs_file *f)
{
	struct bpffs_fs *fs = f->node->fs;

	pthread_mutex_lock(&fs->lock);
	if (f->prev_open)
		f->prev_open->next_open = f->next_open;
	else
		fs->files = f->next_open;
	if (f->next_open)
		f->next_open->prev_open = f->prev_open;
	pthread_mutex_unlock(&fs->lock);
}

static void file_free(struct bpffs_file *file)
{
	if (file->node->ops->release)
		file->node->ops->release(file);
	free(file->data);
	free(file->wbuf);
	free(file);
}

static int file_open(struct bpffs_node *n, int flags, struct bpffs_file **out)
{
	struct bpffs_file *f = calloc(1, sizeof(*f));
	int err = 0;

	if (!f)
		return -ENOMEM;
	f->node = n;
	f->flags = flags;
	if (n->ops->open)
		err = n->ops->open(f);
	if (err) {
		free(f->data);
		free(f);
		return err;
	}
	file_track(f);
	*out = f;
	return 0;
}

int bpffs_fs_create_file(struct bpffs_fs *fs, u64 parent, const char *name, mode_t mode,
			 int flags, struct bpffs_entry *e, struct bpffs_file **out)
{
	struct bpffs_node *n;
	int err = dir_make(fs, parent, name, false, mode, flags, &n);

	if (err)
		return err;
	fill_entry(n, e);
	bpffs_node_hold(n);
	err = file_open(n, flags, out);
	if (err) {
		bpffs_node_put(n);
		bpffs_node_forget(fs, n->ino, 1);
	}
	return err;
}

static int access_ok(const struct bpffs_node *n, int flags)
{
	int acc = flags & O_ACCMODE;

	if (S_ISDIR(n->ops->mode))
		return acc == O_RDONLY ? 0 : -EISDIR;
	if (acc != O_WRONLY && !n->ops->read && !(n->ops->mode & 0444))
		return -EACCES;
	if (acc != O_RDONLY && !n->ops->write && !n->ops->flush)
		return -EACCES;
	return 0;
}

int bpffs_fs_open(struct bpffs_fs *fs, u64 ino, int flags, struct bpffs_file **out)
{
	struct bpffs_node *n = bpffs_node_get(fs, ino);
	int err;

	if (!n)
		return -ENOENT;
	err = access_ok(n, flags);
	if (!err && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && n->ops->truncate)
		err = n->ops->truncate(n, 0);
	if (!err)
		err = file_open(n, flags, out);
	if (err)
		bpffs_node_put(n);
	return err;
}

int bpffs_fs_opendir(struct bpffs_fs *fs, u64 ino, struct bpffs_file **out)
{
	struct bpffs_node *n = bpffs_node_get(fs, ino);
	struct bpffs_file *f;

	if (!n)
		return -ENOENT;
	if (!S_ISDIR(n->ops->mode)) {
		bpffs_node_put(n);
		return -ENOTDIR;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		bpffs_node_put(n);
		return -ENOMEM;
	}
	f->node = n;
	file_track(f);
	*out = f;
	return 0;
}

ssize_t bpffs_fs_read(struct bpffs_file *file, char *buf, size_t size, off_t off)
{
	if (file->node->ops->read)
		return file->node->ops->read(file, buf, size, off);
	if (off < 0)
		return -EINVAL;
	if ((size_t)off >= file->len)
		return 0;
	if (size > file->len - (size_t)off)
		size = file->len - (size_t)off;
	memcpy(buf, file->data + off, size);
	return (ssize_t)size;
}

/* Default write: accumulate at @off; the kind commits on flush. */
ssize_t bpffs_file_append(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	size_t end;

	if (off < 0 || (size_t)off > (1u << 28))
		return -EFBIG;
	end = (size_t)off + size;
	if (end > file->wcap) {
		size_t cap = file->wcap ? file->wcap : 256;
		char *p;

		while (cap < end)
			cap *= 2;
		p = realloc(file->wbuf, cap);
		if (!p)
			return -ENOMEM;
		file->wbuf = p;
		file->wcap = cap;
	}
	if ((size_t)off > file->wlen)
		memset(file->wbuf + file->wlen, 0, (size_t)off - file->wlen);
	memcpy(file->wbuf + off, buf, size);
	if (end > file->wlen)
		file->wlen = end;
	file->dirty = true;
	return (ssize_t)size;
}

ssize_t bpffs_fs_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	if ((file->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (file->node->ops->write)
		return file->node->ops->write(file, buf, size, off);
	return bpffs_file_append(file, buf, size, off);
}

int bpffs_fs_flush(struct bpffs_file *file)
{
	int err = file->err;

	if (!err && file->dirty && file->node->ops->flush)
		err = file->node->ops->flush(file);
	file->dirty = false;
	file->err = 0;
	return err;
}

void bpffs_fs_release(struct bpffs_file *file)
{
	struct bpffs_node *node;

	if (!file)
		return;
	node = file->node;
	file_untrack(file);
	file_free(file);
	bpffs_node_put(node);
}

/* Called from: bpffs_fs_destroy, after the session ended (no handler runs). */
void bpffs_fs_release_all(struct bpffs_fs *fs)
{
	struct bpffs_file *f;

	while ((f = fs->files)) {
		fs->files = f->next_open;
		file_free(f);
	}
}

/* Kinds count their cookies from 0; "." and ".." take the first two. */
struct dir_shim {
	bpffs_fill_fn fill;
	void *ctx;
};

static int shim_fill(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off)
{
	struct dir_shim *s = ctx;

	return s->fill(s->ctx, name, mode, ino, next_off + 2);
}

int bpffs_fs_readdir(struct bpffs_file *dir, off_t off, bpffs_fill_fn fill, void *ctx)
{
	struct dir_shim shim = { fill, ctx };

	struct bpffs_node *n = dir->node;
	u64 pino = n->parent ? n->parent->ino : n->ino;

	if (off == 0 && fill(ctx, ".", S_IFDIR, n->ino, 1))
		return 0;
	if (off <= 1 && fill(ctx, "..", S_IFDIR, pino, 2))
		return 0;
	if (off < 2)
		off = 2;
	if (!n->ops->readdir)
		return 0;
	return n->ops->readdir(n, dir, off - 2, shim_fill, &shim);
}

int bpffs_file_take_text(struct bpffs_file *file, char *text, size_t len)
{
	free(file->data);
	file->data = text;
	file->len = len;
	return 0;
}

int bpffs_file_set_text(struct bpffs_file *file, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return bpffs_file_take_text(file, text, (size_t)n);
}

/* ln -s TARGET DIR/NAME: the directory's kind decides (hooks_dir.c attaches). */
int bpffs_fs_symlink(struct bpffs_fs *fs, u64 parent, const char *name, const char *target,
		     struct bpffs_entry *e)
{
	struct bpffs_node *dir = bpffs_node_get(fs, parent), *n;
	struct bpffs_child c = { 0 };
	int err;

	if (!dir)
		return -ENOENT;
	err = check_name(name);
	if (err)
		goto out;
	if (!S_ISDIR(dir->ops->mode))
		err = -ENOTDIR;
	else
		err = dir->ops->symlink ? dir->ops->symlink(dir, name, target, &c) : -EPERM;
	if (!err)
		err = bpffs_node_child(dir, name, &c, true, &n);
	if (!err)
		fill_entry(n, e);
out:
	bpffs_node_put(dir);
	return err;
}

int bpffs_fs_readlink(struct bpffs_fs *fs, u64 ino, char *buf, size_t size)
{
	struct bpffs_node *n = bpffs_node_get(fs, ino);
	int err;

	if (!n)
		return -ENOENT;
	err = n->ops->readlink ? n->ops->readlink(n, buf, size) : -EINVAL;
	bpffs_node_put(n);
	return err;
}

unsigned bpffs_fs_poll(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
		      void *arg)
{
	if (file->node->ops->poll)
		return file->node->ops->poll(file, notify, arg);
	return POLLIN | POLLOUT;
}
