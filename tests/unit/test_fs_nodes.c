// SPDX-License-Identifier: MIT
/*
 * The reply-free half of the filesystem (src/fs/vfs.c, nodes.c, the node
 * kinds), driven without a mount: lookup/forget counting, the fixed top
 * level, readdir cookies, map directories made with mkdir + a spec, entry
 * files written and read through open/write/flush/read, and teardown with
 * nothing left behind (node count back to the fixed entries).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "fs/internal.h"
#include "core/core.h"

struct names {
	char buf[4096];
	size_t used;
	int n;
	int limit;		/* stop after this many entries (0: no limit) */
	off_t last_off;
};

static int collect(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off)
{
	struct names *nm = ctx;

	if (nm->limit && nm->n == nm->limit)
		return 1;
	nm->used += (size_t)snprintf(nm->buf + nm->used, sizeof(nm->buf) - nm->used, "%s ",
				     name);
	nm->n++;
	nm->last_off = next_off;
	return 0;
}

static int list_dir(struct bpffs_fs *fs, u64 ino, struct names *nm)
{
	struct bpffs_file *d;
	int err = bpffs_fs_opendir(fs, ino, &d);

	memset(nm, 0, sizeof(*nm));
	if (err)
		return err;
	err = bpffs_fs_readdir(d, 0, collect, nm);
	bpffs_fs_release(d);
	return err;
}

/* Write @text to (dir, name), creating the file; returns the flush result. */
static int write_file(struct bpffs_fs *fs, u64 dir, const char *name, const char *text,
		      int extra_flags)
{
	struct bpffs_entry e;
	struct bpffs_file *f;
	ssize_t n;
	int err;

	err = bpffs_fs_lookup(fs, dir, name, &e);
	if (!err) {
		err = bpffs_fs_open(fs, e.ino, O_WRONLY | O_TRUNC | extra_flags, &f);
		bpffs_node_forget(fs, e.ino, 1);
	} else {
		err = bpffs_fs_create_file(fs, dir, name, 0644, O_WRONLY | O_CREAT | extra_flags,
					   &e, &f);
		if (!err)
			bpffs_node_forget(fs, e.ino, 1);
	}
	if (err)
		return err;
	n = bpffs_fs_write(f, text, strlen(text), 0);
	err = n < 0 ? (int)n : bpffs_fs_flush(f);
	bpffs_fs_release(f);
	return err;
}

static int read_file(struct bpffs_fs *fs, u64 dir, const char *name, char *buf, size_t size)
{
	struct bpffs_entry e;
	struct bpffs_file *f;
	ssize_t n;
	int err = bpffs_fs_lookup(fs, dir, name, &e);

	if (err)
		return err;
	err = bpffs_fs_open(fs, e.ino, O_RDONLY, &f);
	bpffs_node_forget(fs, e.ino, 1);
	if (err)
		return err;
	n = bpffs_fs_read(f, buf, size - 1, 0);
	bpffs_fs_release(f);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

/* A poll notify: 1 when fired ready, -1 when dropped. */
static void poll_cb(void *arg, bool ready)
{
	*(int *)arg = ready ? 1 : -1;
}

static atomic_int poll_calls, poll_fired;
static atomic_bool emit_stop;

static void count_cb(void *arg, bool ready)
{
	atomic_fetch_add(&poll_calls, 1);
	if (ready)
		atomic_fetch_add(&poll_fired, 1);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* bpf_trace_printk from another thread, as program runs do */
static void *emitter(void *arg)
{
	while (!atomic_load(&emit_stop)) {
		bpffs_trace_emit("x", 1);
		usleep(50);
	}
	return NULL;
}

int main(void)
{
	struct bpffs_fs *fs;
	struct bpffs_entry e, maps, m;
	struct names nm;
	char buf[512];
	u64 base;

	if (bpffs_fs_create(&fs)) {
		printf("Bail out! cannot create the node table\n");
		return 1;
	}
	base = fs->nodes;

	TEST("the root lists the fixed entries in order after . and ..") {
		CHECK_EQ(list_dir(fs, 1, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. progs maps links hooks trace_pipe "));
	}

	TEST("readdir resumes from the cookie of the last entry it returned") {
		struct bpffs_file *d;
		struct names part = { .limit = 3 };

		CHECK_EQ(bpffs_fs_opendir(fs, 1, &d), 0);
		bpffs_fs_readdir(d, 0, collect, &part);
		CHECK(!strcmp(part.buf, ". .. progs "));
		part.limit = 0;
		bpffs_fs_readdir(d, part.last_off, collect, &part);
		CHECK(!strcmp(part.buf, ". .. progs maps links hooks trace_pipe "));
		bpffs_fs_release(d);
	}

	TEST("lookup of a fixed entry returns a directory and the same inode each time") {
		struct bpffs_entry e2;

		CHECK_EQ(bpffs_fs_lookup(fs, 1, "maps", &maps), 0);
		CHECK(S_ISDIR(maps.st.st_mode));
		CHECK_EQ(bpffs_fs_lookup(fs, 1, "maps", &e2), 0);
		CHECK_EQ(e2.ino, maps.ino);
		bpffs_node_forget(fs, e2.ino, 1);
	}

	TEST("unknown names are ENOENT, top-level creation is EPERM, files are not dirs") {
		CHECK_EQ(bpffs_fs_lookup(fs, 1, "nope", &e), -ENOENT);
		CHECK_EQ(bpffs_fs_mkdir(fs, 1, "newdir", 0755, &e), -EPERM);
		CHECK_EQ(bpffs_fs_mkdir(fs, 1, "maps", 0755, &e), -EEXIST);
		CHECK_EQ(bpffs_fs_lookup(fs, 1, "trace_pipe", &e), 0);
		CHECK_EQ(bpffs_fs_lookup(fs, e.ino, "x", &m), -ENOTDIR);
		bpffs_node_forget(fs, e.ino, 1);
		CHECK_EQ(bpffs_fs_lookup(fs, 999999, "x", &e), -ENOENT);
	}

	TEST("mkdir + a spec on .info creates a map listed under maps/") {
		CHECK_EQ(bpffs_fs_mkdir(fs, maps.ino, "counts", 0755, &m), 0);
		CHECK_EQ(write_file(fs, m.ino, ".info",
				    "type=hash key=u32 value=u64 max_entries=8\n", 0), 0);
		bpffs_node_forget(fs, m.ino, 1);
		CHECK_EQ(list_dir(fs, maps.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. counts "));
		CHECK_EQ(bpffs_fs_lookup(fs, maps.ino, "counts", &m), 0);
		CHECK_EQ(read_file(fs, m.ino, ".info", buf, sizeof(buf)), 0);
		CHECK_STR_CONTAINS(buf, "type: hash\n");
		CHECK_STR_CONTAINS(buf, "key_format: u32\n");
	}

	TEST("an entry written as text reads back, and lists by its decimal key") {
		CHECK_EQ(write_file(fs, m.ino, "42", "5\n", 0), 0);
		CHECK_EQ(read_file(fs, m.ino, "42", buf, sizeof(buf)), 0);
		CHECK(!strcmp(buf, "5\n"));
		CHECK_EQ(list_dir(fs, m.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info 42 "));
	}

	TEST("O_EXCL on an existing entry is EEXIST and keeps the value") {
		CHECK_EQ(write_file(fs, m.ino, "42", "6\n", O_EXCL), -EEXIST);
		CHECK_EQ(read_file(fs, m.ino, "42", buf, sizeof(buf)), 0);
		CHECK(!strcmp(buf, "5\n"));
	}

	TEST("a malformed value is EINVAL at write time") {
		CHECK_EQ(write_file(fs, m.ino, "42", "five\n", 0), -EINVAL);
	}

	TEST("unlink deletes the entry, a second unlink is ENOENT") {
		CHECK_EQ(bpffs_fs_unlink(fs, m.ino, "42"), 0);
		CHECK_EQ(bpffs_fs_lookup(fs, m.ino, "42", &e), -ENOENT);
		CHECK_EQ(bpffs_fs_unlink(fs, m.ino, "42"), -ENOENT);
	}

	TEST("bpf_trace_printk text comes out of trace_pipe once, one line per message") {
		struct bpffs_file *f;

		bpffs_trace_emit("hello 1", 7);
		bpffs_trace_emit("hello 2\n", 8);
		CHECK_EQ(bpffs_fs_lookup(fs, 1, "trace_pipe", &e), 0);
		CHECK_EQ(bpffs_fs_open(fs, e.ino, O_RDONLY | O_NONBLOCK, &f), 0);
		memset(buf, 0, sizeof(buf));
		CHECK(bpffs_fs_read(f, buf, sizeof(buf) - 1, 0) > 0);
		CHECK_STR_CONTAINS(buf, "bpf_trace_printk: hello 1\n");
		CHECK_STR_CONTAINS(buf, "bpf_trace_printk: hello 2\n");
		CHECK(!strstr(buf, "hello 2\n\n"));
		/* consumed: a non-blocking read now finds nothing */
		CHECK_EQ(bpffs_fs_read(f, buf, sizeof(buf) - 1, 0), -EAGAIN);
		bpffs_fs_release(f);
		bpffs_node_forget(fs, e.ino, 1);
	}

	TEST("poll on trace_pipe: a pending request fires once on the next message") {
		struct bpffs_file *f, *g;
		int fired[2] = { 0, 0 }, dropped[2] = { 0, 0 };

		CHECK_EQ(bpffs_fs_lookup(fs, 1, "trace_pipe", &e), 0);
		CHECK_EQ(bpffs_fs_open(fs, e.ino, O_RDONLY | O_NONBLOCK, &f), 0);
		CHECK_EQ(bpffs_fs_open(fs, e.ino, O_RDONLY | O_NONBLOCK, &g), 0);
		CHECK_EQ(bpffs_fs_poll(f, NULL, NULL), 0);		/* empty */
		CHECK_EQ(bpffs_fs_poll(f, poll_cb, &dropped[0]), 0);
		/* a second request replaces the first, which is dropped */
		CHECK_EQ(bpffs_fs_poll(f, poll_cb, &fired[0]), 0);
		CHECK_EQ(dropped[0], -1);
		CHECK_EQ(bpffs_fs_poll(g, poll_cb, &fired[1]), 0);
		bpffs_trace_emit("ping", 4);
		CHECK_EQ(fired[0], 1);
		CHECK_EQ(fired[1], 1);
		CHECK(bpffs_fs_poll(f, NULL, NULL) & POLLIN);
		bpffs_trace_emit("pong", 4);	/* nothing pending: no call */
		CHECK_EQ(fired[0], 1);
		CHECK(bpffs_fs_read(f, buf, sizeof(buf) - 1, 0) > 0);
		CHECK_EQ(bpffs_fs_poll(g, NULL, NULL), 0);		/* f consumed it */
		CHECK_EQ(bpffs_fs_poll(g, poll_cb, &dropped[1]), 0);
		bpffs_fs_release(g);					/* drops its request */
		CHECK_EQ(dropped[1], -1);
		bpffs_fs_release(f);
		bpffs_node_forget(fs, e.ino, 1);
	}

	TEST("poll requests racing with messages and releases are each answered once") {
		struct bpffs_file *f;
		struct timespec t0;
		pthread_t t;
		int regs = 0, i, j;

		atomic_store(&poll_calls, 0);
		atomic_store(&poll_fired, 0);
		atomic_store(&emit_stop, false);
		CHECK_EQ(bpffs_fs_lookup(fs, 1, "trace_pipe", &e), 0);
		CHECK_EQ(pthread_create(&t, NULL, emitter, NULL), 0);
		/* 200 ms at least, until messages answered some (a loaded machine) */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; elapsed(&t0) < 0.2 || (atomic_load(&poll_fired) < 20 &&
						    elapsed(&t0) < 10); i++) {
			if (bpffs_fs_open(fs, e.ino, O_RDONLY | O_NONBLOCK, &f)) {
				i = -1;
				break;
			}
			for (j = 0; j < 3; j++) {
				while (bpffs_fs_read(f, buf, sizeof(buf), 0) > 0)
					;	/* drain, so that the poll has to wait */
				regs += bpffs_fs_poll(f, count_cb, NULL) == 0;
			}
			bpffs_fs_release(f);	/* drops what the messages did not fire */
		}
		atomic_store(&emit_stop, true);
		pthread_join(t, NULL);
		printf("# %d polls waited, %d answered, %d by a message\n", regs,
		       atomic_load(&poll_calls), atomic_load(&poll_fired));
		CHECK(i > 0);
		CHECK(regs > 0 && atomic_load(&poll_fired) > 0);	/* both paths ran */
		CHECK_EQ(atomic_load(&poll_calls), regs);
		bpffs_node_forget(fs, e.ino, 1);
	}

	TEST("forgetting every lookup frees the nodes it made") {
		bpffs_node_forget(fs, m.ino, 1);
		bpffs_node_forget(fs, maps.ino, 1);
		CHECK_EQ(bpffs_fs_rmdir(fs, maps.ino, "counts"), 0);
		CHECK_EQ(fs->nodes, base);
	}

	bpffs_fs_destroy(fs);
	return harness_done();
}
