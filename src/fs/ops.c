// SPDX-License-Identifier: MIT
/*
 * The libfuse3 low-level operations table. Every handler is three steps:
 * call the reply-free function in vfs.c (which resolves the inode and calls
 * the node kind), then translate: a negative errno becomes fuse_reply_err's
 * positive one, data becomes the reply. Attribute and entry timeouts are 0
 * and files are opened with direct_io, so every stat and read reaches us and
 * live files (stats, map values, .info) are never served stale from a cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "fuse_glue.h"

static struct bpffs_fs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct bpffs_file *fi_file(struct fuse_file_info *fi)
{
	return (struct bpffs_file *)(uintptr_t)fi->fh;
}

static void reply_entry(fuse_req_t req, const struct bpffs_entry *e)
{
	struct fuse_entry_param ep;

	memset(&ep, 0, sizeof(ep));
	ep.ino = e->ino;
	ep.attr = e->st;
	ep.attr_timeout = 0;
	ep.entry_timeout = 0;
	fuse_reply_entry(req, &ep);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct bpffs_entry e;
	int err = bpffs_fs_lookup(req_fs(req), parent, name, &e);

	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	bpffs_node_forget(req_fs(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		bpffs_node_forget(req_fs(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int err = bpffs_fs_getattr(req_fs(req), ino, &st);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, 0);
}

/* Only truncation means something here; times are accepted and ignored (touch). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int err;

	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE)
		err = bpffs_fs_setattr_size(req_fs(req), ino, attr->st_size, &st);
	else
		err = bpffs_fs_getattr(req_fs(req), ino, &st);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct bpffs_entry e;
	int err = bpffs_fs_mkdir(req_fs(req), parent, name, mode, &e);

	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, &e);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -bpffs_fs_rmdir(req_fs(req), parent, name));
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -bpffs_fs_unlink(req_fs(req), parent, name));
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param ep;
	struct bpffs_entry e;
	struct bpffs_file *f;
	int err;

	err = bpffs_fs_create_file(req_fs(req), parent, name, mode, fi->flags, &e, &f);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	memset(&ep, 0, sizeof(ep));
	ep.ino = e.ino;
	ep.attr = e.st;
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->direct_io = 1;
	if (fuse_reply_create(req, &ep, fi))
		bpffs_fs_release(f);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bpffs_file *f;
	int err = bpffs_fs_open(req_fs(req), ino, fi->flags, &f);

	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi))
		bpffs_fs_release(f);
}


/* For reads that may block (trace_pipe): Ctrl-C on the reader, or unmount. */
static int req_stop(void *arg)
{
	fuse_req_t req = arg;

	if (fuse_req_interrupted(req))
		return -EINTR;
	return fuse_session_exited(req_fs(req)->session) ? 1 : 0;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	struct bpffs_file *f = fi_file(fi);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->interrupted = req_stop;
	f->intr_arg = req;
	n = bpffs_fs_read(f, buf, size, off);
	f->interrupted = NULL;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	ssize_t n = bpffs_fs_write(fi_file(fi), buf, size, off);

	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, -bpffs_fs_flush(fi_file(fi)));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	bpffs_fs_release(fi_file(fi));
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, -bpffs_fs_flush(fi_file(fi)));
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bpffs_file *f;
	int err = bpffs_fs_opendir(req_fs(req), ino, &f);

	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	if (fuse_reply_open(req, fi))
		bpffs_fs_release(f);
}

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, used;
};

static int dirbuf_fill(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off)
{
	struct dirbuf *db = ctx;
	struct stat st = { .st_ino = ino ? ino : (ino_t)-1, .st_mode = mode };
	size_t need;

	need = fuse_add_direntry(db->req, db->buf + db->used, db->size - db->used, name, &st,
				 next_off);
	if (need > db->size - db->used)
		return 1;
	db->used += need;
	return 0;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf db = { .req = req, .size = size };
	int err;

	db.buf = malloc(size ? size : 1);
	if (!db.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = bpffs_fs_readdir(fi_file(fi), off, dirbuf_fill, &db);
	if (err && !db.used)
		fuse_reply_err(req, -err);
	else
		fuse_reply_buf(req, db.buf, db.used);
	free(db.buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	bpffs_fs_release(fi_file(fi));
	fuse_reply_err(req, 0);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct bpffs_entry e;
	int err = bpffs_fs_symlink(req_fs(req), parent, name, link, &e);

	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, &e);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[4096];
	int err = bpffs_fs_readlink(req_fs(req), ino, buf, sizeof(buf));

	if (err < 0)
		fuse_reply_err(req, -err);
	else
		fuse_reply_readlink(req, buf);
}

/* The kind calls this once: the stream became ready, or the request is dropped. */
static void poll_notify(void *arg, bool ready)
{
	struct fuse_pollhandle *ph = arg;

	if (ready)
		fuse_lowlevel_notify_poll(ph);
	fuse_pollhandle_destroy(ph);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	unsigned revents = bpffs_fs_poll(fi_file(fi), ph ? poll_notify : NULL, ph);

	if (revents && ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

const struct fuse_lowlevel_ops bpffs_fuse_ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.unlink = op_unlink,
	.create = op_create,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.symlink = op_symlink,
	.readlink = op_readlink,
	.poll = op_poll,
};
