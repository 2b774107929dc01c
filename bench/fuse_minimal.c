// SPDX-License-Identifier: MIT
/*
 * Minimal libfuse3 low-level filesystem with one file, used by fs_bench as
 * the FUSE limit of this machine: every request is answered at once from
 * constants, so the cost measured is the kernel round trip plus libfuse.
 * The file answers to any all-digit name and to "f"; any other name is a
 * directory (one inode per depth: the kernel refuses a directory that is
 * its own ancestor), so MNT/maps/b/1 walks the same path as a
 * bpffs-user map entry. It mirrors the settings bpffs-user uses (attribute
 * and entry timeouts 0, direct I/O, a FLUSH handler; pass
 * -o default_permissions for its permission checks) so both sides make the
 * same requests per loop. Writes are accepted and discarded.
 *
 *   fuse_minimal MNT -f [-s] [-o default_permissions]
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_INO	2
#define DIR_INO		3	/* first directory below the root */

static const char content[] = "42\n";

static int is_dir(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID || ino >= DIR_INO;
}

static void mini_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (is_dir(ino)) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = sizeof(content) - 1;
	}
}

static int is_file_name(const char *name)
{
	if (!strcmp(name, "f"))
		return 1;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return 0;
	return 1;
}

static void mini_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (!is_dir(parent)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	memset(&e, 0, sizeof(e));
	if (is_file_name(name))
		e.ino = FILE_INO;
	else
		e.ino = parent == FUSE_ROOT_ID ? DIR_INO : parent + 1;
	mini_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void mini_getattr(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct stat st;

	if (!is_dir(ino) && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	mini_stat(ino, &st);
	fuse_reply_attr(req, &st, 0.0);
}

static void mini_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			 int to_set, struct fuse_file_info *fi)
{
	mini_getattr(req, ino, fi);
}

static void mini_open(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void mini_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	size_t len = sizeof(content) - 1;

	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, content + off,
			       size < len - off ? size : len - off);
}

static void mini_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		       size_t size, off_t off, struct fuse_file_info *fi)
{
	fuse_reply_write(req, size);
}

static void mini_flush(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void mini_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			 off_t off, struct fuse_file_info *fi)
{
	char buf[256];
	struct stat st;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	if (off < 1) {
		st.st_ino = FILE_INO;
		st.st_mode = S_IFREG;
		n += fuse_add_direntry(req, buf + n, sizeof(buf) - n, "f", &st, 1);
	}
	fuse_reply_buf(req, buf, n);
}

static const struct fuse_lowlevel_ops mini_ops = {
	.lookup = mini_lookup,
	.getattr = mini_getattr,
	.setattr = mini_setattr,
	.open = mini_open,
	.read = mini_read,
	.write = mini_write,
	.flush = mini_flush,
	.readdir = mini_readdir,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *cfg;
	struct fuse_session *se;
	int ret = 1;

	if (fuse_parse_cmdline(&args, &opts) || !opts.mountpoint) {
		fprintf(stderr, "usage: %s MNT -f [-s]\n", argv[0]);
		return 2;
	}
	se = fuse_session_new(&args, &mini_ops, sizeof(mini_ops), NULL);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se))
		goto out_destroy;
	if (fuse_session_mount(se, opts.mountpoint))
		goto out_signals;
	fuse_daemonize(opts.foreground);
	if (opts.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		cfg = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(cfg, opts.clone_fd);
		fuse_loop_cfg_set_max_threads(cfg, opts.max_threads);
		ret = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
