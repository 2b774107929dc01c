/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared inside src/fs only: the node table (inode number ->
 * struct bpffs_node, kind ops + referenced object), per-open file state, and
 * the reply-free half of every FUSE handler (bpffs_fs_*), which C tests call
 * without a mount. ops.c is the only file that turns these into FUSE replies.
 *
 * Locking: one mutex (fs->lock) protects the inode and name hashes, every
 * node's nlookup/refs and the name links. Kind ops are called without it,
 * holding a reference on their node instead; objects have their own locks.
 */
#ifndef BPFFS_FS_INTERNAL_H
#define BPFFS_FS_INTERNAL_H

#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../core/types.h"

struct bpffs_node;
struct bpffs_file;
struct bpffs_fs;
struct bpffs_registry;
struct bpffs_pending_map;
struct bpffs_fmt_entry;
struct bpffs_load_failure;
struct bpffs_trace_ring;

/* Called by a readdir op for each entry; returns nonzero when the buffer is full. */
typedef int (*bpffs_fill_fn)(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off);

/*
 * What a directory's lookup found: the child's kind, a reference on its
 * object and malloc'd kind-private bytes (both transferred to the node).
 */
struct bpffs_child {
	const struct bpffs_node_ops *ops;
	void *obj;
	void *priv;
	size_t priv_len;
};

/*
 * One node kind (root, maps dir, map dir, map entry, ...). A NULL op means
 * "not supported" and the generic layer answers the usual errno (ENOTDIR,
 * EISDIR, EPERM, EACCES). Called from: FUSE thread, without fs->lock.
 */
struct bpffs_node_ops {
	const char *name;		/* kind name, for diagnostics */
	mode_t mode;			/* S_IFDIR | 0755, S_IFREG | 0644, ... */
	/* Drop the node's object reference (last put of the node). */
	void (*destroy)(struct bpffs_node *node);
	/* Optional: adjust attributes (size, nlink, mode) after the generic fill. */
	void (*getattr)(struct bpffs_node *node, struct stat *st);

	/* directories */
	int (*lookup)(struct bpffs_node *dir, const char *name, struct bpffs_child *out);
	/*
	 * Emit entries from cookie @off (0 = first, after "." and ".."); each
	 * entry carries the cookie of the next one. @file holds per-open state.
	 */
	int (*readdir)(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
		       bpffs_fill_fn fill, void *ctx);
	int (*mkdir)(struct bpffs_node *dir, const char *name, mode_t mode,
		     struct bpffs_child *out);
	int (*rmdir)(struct bpffs_node *dir, const char *name);
	int (*unlink)(struct bpffs_node *dir, const char *name);
	/* create a file: O_CREAT on a name that lookup did not find */
	int (*create)(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
		      struct bpffs_child *out);

	/* files */
	/* Set up file->data (snapshot for reads) or writing state. */
	int (*open)(struct bpffs_file *file);
	/* Optional: produce bytes at @off (default: from file->data). */
	ssize_t (*read)(struct bpffs_file *file, char *buf, size_t size, off_t off);
	/* Optional: consume bytes (default: append to file->wbuf). */
	ssize_t (*write)(struct bpffs_file *file, const char *buf, size_t size, off_t off);
	/* Commit what was written (close(2) returns this). */
	int (*flush)(struct bpffs_file *file);
	/* Free kind-private open state. */
	void (*release)(struct bpffs_file *file);
	/* O_TRUNC / ftruncate(0) on an existing file */
	int (*truncate)(struct bpffs_node *node, off_t size);

	/* symbolic links (hooks_dir.c): ln -s TARGET DIR/NAME, readlink */
	int (*symlink)(struct bpffs_node *dir, const char *name, const char *target,
		       struct bpffs_child *out);
	/* Write the link's NUL-terminated target; its length, or -errno. */
	int (*readlink)(struct bpffs_node *node, char *buf, size_t size);
	/*
	 * Optional, streams: POLLIN etc. ready now. When it returns 0 and
	 * @notify is set, the kind calls notify(@arg, true) once when the file
	 * becomes ready, or notify(@arg, false) to drop the request (replaced
	 * by a newer one, or at release at the latest).
	 */
	unsigned (*poll)(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
			 void *arg);
};

struct bpffs_node {
	u64 ino;
	const struct bpffs_node_ops *ops;
	void *obj;			/* referenced object, dropped by ops->destroy */
	void *priv;			/* kind-private bytes (a copied key, ...) */
	size_t priv_len;
	struct bpffs_node *parent;	/* holds a reference on the parent */
	char *name;
	struct bpffs_fs *fs;
	/* protected by fs->lock */
	u64 nlookup;			/* kernel references (lookup/forget) */
	u64 refs;			/* internal: pins, children, open files */
	bool hashed;			/* reachable by (parent, name) */
	struct bpffs_node *ino_next;
	struct bpffs_node *name_next;
};

/* Per-open state (fi->fh). */
struct bpffs_file {
	struct bpffs_node *node;	/* referenced */
	int flags;			/* open(2) flags */
	char *data;			/* read snapshot, malloc'd */
	size_t len;
	char *wbuf;			/* written bytes, malloc'd */
	size_t wlen, wcap;
	bool dirty;			/* written since the last commit */
	int err;			/* sticky error of an earlier write */
	void *priv;			/* kind-private (readdir cursor, ...) */
	/* readdir paging: the cookie after the last entry emitted */
	off_t dir_off;
	/* set by the FUSE layer for blocking reads: -EINTR, 1 (unmount) or 0 */
	int (*interrupted)(void *arg);
	void *intr_arg;
	/* on fs->files, so an unmount with files still open frees them (fs->lock) */
	struct bpffs_file *next_open, *prev_open;
};

#define BPFFS_NAME_BUCKETS 4096

struct bpffs_fs {
	pthread_mutex_t lock;
	struct bpffs_node **ino_hash;	/* by ino */
	struct bpffs_node **name_hash;	/* by (parent ino, name) */
	size_t nbuckets;
	u64 next_ino;
	u64 nodes;			/* live nodes (for tests and leak checks) */
	struct bpffs_node *root;
	struct bpffs_file *files;	/* open files and directories */
	uid_t uid;
	gid_t gid;
	struct timespec mount_time;
	/* the mount's live objects (src/core/registry.h) */
	struct bpffs_registry *reg;
	/* maps/: directories made by mkdir that have no spec yet, and the text
	 * formats given by specs (keyed by map, holding a reference); both
	 * protected by maps_lock */
	pthread_mutex_t maps_lock;
	struct bpffs_pending_map *pending;
	struct bpffs_fmt_entry *fmts;
	/* progs/.log: the last load failure per object name (progs_lock) */
	pthread_mutex_t progs_lock;
	struct bpffs_load_failure *failures;
	u32 runtime;			/* enum bpffs_runtime for loads */
	struct bpffs_trace_ring *trace;	/* trace_pipe.c */
	bool single_threaded;		/* -s: never block a request */
	void *session;			/* struct fuse_session *, for ops.c only */
};

/* ---- node table (nodes.c) ------------------------------------------------ */

/* Create the table and the root with its fixed children. 0 or -ENOMEM. */
int bpffs_fs_create(struct bpffs_fs **out);
/* Free every node and drop every object reference. */
void bpffs_fs_destroy(struct bpffs_fs *fs);
/* Find a node by ino and take an internal reference; NULL if unknown. */
struct bpffs_node *bpffs_node_get(struct bpffs_fs *fs, u64 ino);
void bpffs_node_hold(struct bpffs_node *node);
void bpffs_node_put(struct bpffs_node *node);
/*
 * Find or create the child (dir, name) described by @c; takes the object
 * reference in @c (dropped if an equal node exists). Counts one lookup when
 * @lookup is true, else one internal reference. Returns 0 and *out or -ENOMEM.
 */
int bpffs_node_child(struct bpffs_node *dir, const char *name, struct bpffs_child *c,
		     bool lookup, struct bpffs_node **out);
/* Add a pinned child (static directories). */
int bpffs_node_add_fixed(struct bpffs_node *dir, const char *name,
			 const struct bpffs_node_ops *ops, void *obj, struct bpffs_node **out);
/* Make (dir, name) unreachable by name (rm); the node lives until forgotten. */
void bpffs_node_unhash(struct bpffs_node *dir, const char *name);
/* Drop @n kernel lookups; frees the node when nothing references it. */
void bpffs_node_forget(struct bpffs_fs *fs, u64 ino, u64 n);

/* ---- reply-free handlers (vfs.c) ------------------------------------------ */

/* Entry for a lookup/mkdir/create reply; the node carries one lookup count. */
struct bpffs_entry {
	u64 ino;
	struct stat st;
};

int bpffs_fs_lookup(struct bpffs_fs *fs, u64 parent, const char *name, struct bpffs_entry *e);
int bpffs_fs_getattr(struct bpffs_fs *fs, u64 ino, struct stat *st);
int bpffs_fs_setattr_size(struct bpffs_fs *fs, u64 ino, off_t size, struct stat *st);
int bpffs_fs_mkdir(struct bpffs_fs *fs, u64 parent, const char *name, mode_t mode,
		   struct bpffs_entry *e);
int bpffs_fs_rmdir(struct bpffs_fs *fs, u64 parent, const char *name);
int bpffs_fs_unlink(struct bpffs_fs *fs, u64 parent, const char *name);
int bpffs_fs_create_file(struct bpffs_fs *fs, u64 parent, const char *name, mode_t mode,
			 int flags, struct bpffs_entry *e, struct bpffs_file **out);
int bpffs_fs_open(struct bpffs_fs *fs, u64 ino, int flags, struct bpffs_file **out);
int bpffs_fs_opendir(struct bpffs_fs *fs, u64 ino, struct bpffs_file **out);
ssize_t bpffs_fs_read(struct bpffs_file *file, char *buf, size_t size, off_t off);
ssize_t bpffs_fs_write(struct bpffs_file *file, const char *buf, size_t size, off_t off);
int bpffs_fs_flush(struct bpffs_file *file);
void bpffs_fs_release(struct bpffs_file *file);
/* Free files the kernel never released (unmount while open). */
void bpffs_fs_release_all(struct bpffs_fs *fs);
/* Calls @fill for entries from cookie @off; "." and ".." come first. */
int bpffs_fs_readdir(struct bpffs_file *dir, off_t off, bpffs_fill_fn fill, void *ctx);
void bpffs_fs_fill_stat(struct bpffs_node *node, struct stat *st);

/* Helpers for kinds: replace file->data with formatted text. */
int bpffs_file_set_text(struct bpffs_file *file, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bpffs_file_take_text(struct bpffs_file *file, char *text, size_t len);
/* The default write: store @size bytes at @off in file->wbuf, mark dirty. */
ssize_t bpffs_file_append(struct bpffs_file *file, const char *buf, size_t size, off_t off);
/* Forget what was written (after a commit). */
static inline void bpffs_file_wreset(struct bpffs_file *file)
{
	file->wlen = 0;
	file->dirty = false;
}

/*
 * Blocking stream reads (stream.c): before waiting for data, returns 1 (wait
 * up to BPFFS_STREAM_WAIT_MS, then check again) or what the read returns
 * instead: -EAGAIN (O_NONBLOCK), -EINTR (interrupted), 0 (end of file: a
 * single-threaded mount, or the mount is going away).
 */
#define BPFFS_STREAM_WAIT_MS 200
int bpffs_stream_may_wait(struct bpffs_file *file);
/* Wait up to BPFFS_STREAM_WAIT_MS for @fd to become readable; true if it did. */
bool bpffs_stream_wait_fd(int fd);

/* maps/ state of a mount (maps_dir.c): set up and freed with the fs. */
void bpffs_maps_fini(struct bpffs_fs *fs);
/* trace_pipe's ring, registered as bpf_trace_printk's sink (trace_pipe.c). */
int bpffs_trace_ring_create(struct bpffs_fs *fs);
void bpffs_trace_ring_destroy(struct bpffs_fs *fs);
/* progs/ state of a mount (progs_dir.c). */
void bpffs_progs_fini(struct bpffs_fs *fs);

/* Add the fixed top-level entries under @root (root.c). */
int bpffs_root_populate(struct bpffs_node *root);

/* ---- node kinds ------------------------------------------------------------ */

extern const struct bpffs_node_ops bpffs_root_ops;
extern const struct bpffs_node_ops bpffs_empty_dir_ops;
extern const struct bpffs_node_ops bpffs_trace_pipe_ops;
extern const struct bpffs_node_ops bpffs_maps_dir_ops;
extern const struct bpffs_node_ops bpffs_progs_dir_ops;
extern const struct bpffs_node_ops bpffs_hooks_dir_ops;	/* hooks_dir.c */
extern const struct bpffs_node_ops bpffs_links_dir_ops;	/* links_dir.c */

/* ---- symbolic links and poll (vfs.c) --------------------------------------- */

int bpffs_fs_symlink(struct bpffs_fs *fs, u64 parent, const char *name, const char *target,
		     struct bpffs_entry *e);
int bpffs_fs_readlink(struct bpffs_fs *fs, u64 ino, char *buf, size_t size);
/* Ready mask of an open file (POLLIN|POLLOUT when the kind has no poll op). */
unsigned bpffs_fs_poll(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
		      void *arg);

#endif /* BPFFS_FS_INTERNAL_H */
