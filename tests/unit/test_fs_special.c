// SPDX-License-Identifier: MIT
/*
 * Special maps' files (src/fs/map_special.c, map_slots.c) driven without a
 * mount through the reply-free handlers: a ring buffer filled with the maps
 * API and read back from maps/NAME/stream (one hex line per record, across
 * reads smaller than a line, EAGAIN when empty, end of file in a
 * single-threaded mount, poll with its notify), queue push/pop shared with the API, and
 * map-in-map slots set by map name (ENOENT, EINVAL for a map that does not
 * match the template), listed only when filled, cleared by unlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "fs/internal.h"
#include "core/core.h"
#include "core/registry.h"
#include "maps/maps.h"

struct names {
	char buf[1024];
	size_t used;
};

static int collect(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off)
{
	struct names *nm = ctx;

	nm->used += (size_t)snprintf(nm->buf + nm->used, sizeof(nm->buf) - nm->used, "%s ", name);
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

/* Open (dir, name) with @flags; 0 and *f, or -errno. */
static int open_at(struct bpffs_fs *fs, u64 dir, const char *name, int flags,
		   struct bpffs_file **f)
{
	struct bpffs_entry e;
	int err = bpffs_fs_lookup(fs, dir, name, &e);

	if (err == -ENOENT && (flags & O_CREAT))
		return bpffs_fs_create_file(fs, dir, name, 0644, flags, &e, f) ?:
		       (bpffs_node_forget(fs, e.ino, 1), 0);
	if (err)
		return err;
	err = bpffs_fs_open(fs, e.ino, flags, f);
	bpffs_node_forget(fs, e.ino, 1);
	return err;
}

static int write_at(struct bpffs_fs *fs, u64 dir, const char *name, const char *text)
{
	struct bpffs_file *f;
	ssize_t n;
	int err = open_at(fs, dir, name, O_WRONLY | O_CREAT | O_TRUNC, &f);

	if (err)
		return err;
	n = bpffs_fs_write(f, text, strlen(text), 0);
	err = n < 0 ? (int)n : bpffs_fs_flush(f);
	bpffs_fs_release(f);
	return err;
}

static int read_at(struct bpffs_fs *fs, u64 dir, const char *name, char *buf, size_t size)
{
	struct bpffs_file *f;
	ssize_t n;
	int err = open_at(fs, dir, name, O_RDONLY, &f);

	if (err)
		return err;
	n = bpffs_fs_read(f, buf, size - 1, 0);
	bpffs_fs_release(f);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

/*
 * mkdir maps/NAME + spec; *m is the published map's directory (one lookup
 * held): the directory mkdir made is replaced when the spec is accepted.
 */
static int mkmap(struct bpffs_fs *fs, u64 maps, const char *name, const char *spec,
		 struct bpffs_entry *m)
{
	int err = bpffs_fs_mkdir(fs, maps, name, 0755, m);

	if (err)
		return err;
	err = write_at(fs, m->ino, ".info", spec);
	bpffs_node_forget(fs, m->ino, 1);
	return err ? err : bpffs_fs_lookup(fs, maps, name, m);
}

static struct bpffs_map *mk(const char *name, u32 type, u32 vs, struct bpffs_map *inner)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = 4, .value_size = vs,
				    .max_entries = 4, .inner_map = inner };
	struct bpffs_map *m = NULL;

	snprintf(a.name, sizeof(a.name), "%s", name);
	if (bpffs_map_create(&a, NULL, &m))
		return NULL;
	return m;
}

static int publish(struct bpffs_fs *fs, struct bpffs_map *m)
{
	int err = m ? bpffs_registry_add_map(fs->reg, m) : -ENOMEM;

	if (m)
		bpffs_map_put(m);
	return err;
}

/* 1 per notify(true), 100 per notify(false) */
static int notified;

static void on_notify(void *arg, bool ready)
{
	__atomic_add_fetch(&notified, ready ? 1 : 100, __ATOMIC_SEQ_CST);
}

int main(void)
{
	struct bpffs_fs *fs;
	struct bpffs_entry maps, rb, q, oe;
	struct bpffs_file *f;
	struct names nm;
	char buf[512];
	u64 base;

	if (bpffs_fs_create(&fs) || bpffs_fs_lookup(fs, 1, "maps", &maps)) {
		printf("Bail out! cannot create the node table\n");
		return 1;
	}
	base = fs->nodes;

	TEST("a ringbuf map directory lists .info and stream") {
		CHECK_EQ(mkmap(fs, maps.ino, "rb", "type=ringbuf max_entries=4096", &rb), 0);
		CHECK_EQ(list_dir(fs, rb.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info stream "));
	}

	TEST("records read back from stream once, one hex line each, across short reads") {
		struct bpffs_map *map = bpffs_registry_get_map(fs->reg, "rb");
		u32 a = 0x04030201;
		u8 b[3] = { 0xaa, 0xbb, 0xcc };
		char all[256] = "";
		size_t used = 0;
		ssize_t n;

		CHECK(map != NULL);
		CHECK_EQ(bpffs_ringbuf_output(map, &a, sizeof(a), 0), 0);
		CHECK_EQ(bpffs_ringbuf_output(map, b, sizeof(b), 0), 0);
		CHECK_EQ(open_at(fs, rb.ino, "stream", O_RDONLY | O_NONBLOCK, &f), 0);
		while ((n = bpffs_fs_read(f, all + used, 5, 0)) > 0)
			used += (size_t)n;
		CHECK_EQ(n, -EAGAIN);
		all[used] = '\0';
		CHECK(!strcmp(all, "01 02 03 04\naa bb cc\n"));
		bpffs_fs_release(f);
		bpffs_map_put(map);
	}

	TEST("poll waits for a record: not ready when empty, notify(true) once one arrives") {
		struct bpffs_map *map = bpffs_registry_get_map(fs->reg, "rb");
		u32 a = 7;
		int i;

		notified = 0;
		CHECK_EQ(open_at(fs, rb.ino, "stream", O_RDONLY | O_NONBLOCK, &f), 0);
		CHECK_EQ(bpffs_fs_poll(f, on_notify, NULL), 0);
		usleep(300 * 1000);
		CHECK_EQ(__atomic_load_n(&notified, __ATOMIC_SEQ_CST), 0);
		CHECK_EQ(bpffs_ringbuf_output(map, &a, sizeof(a), 0), 0);
		for (i = 0; i < 100 && !__atomic_load_n(&notified, __ATOMIC_SEQ_CST); i++)
			usleep(20 * 1000);
		CHECK_EQ(__atomic_load_n(&notified, __ATOMIC_SEQ_CST), 1);
		CHECK(bpffs_fs_poll(f, NULL, NULL) & POLLIN);
		CHECK(bpffs_fs_read(f, buf, sizeof(buf), 0) > 0);
		CHECK_EQ(bpffs_fs_poll(f, on_notify, NULL), 0);
		bpffs_fs_release(f);	/* drops the pending request: notify(false) */
		CHECK_EQ(__atomic_load_n(&notified, __ATOMIC_SEQ_CST), 101);
		bpffs_map_put(map);
	}

	TEST("a blocking read in a single-threaded mount returns end of file when empty") {
		fs->single_threaded = true;
		CHECK_EQ(open_at(fs, rb.ino, "stream", O_RDONLY, &f), 0);
		CHECK_EQ(bpffs_fs_read(f, buf, sizeof(buf), 0), 0);
		bpffs_fs_release(f);
		fs->single_threaded = false;
		CHECK_EQ(open_at(fs, rb.ino, "stream", O_WRONLY, &f), -EACCES);
	}

	TEST("perf event array: stream opens the rings, reads records of every index and losses") {
		struct bpffs_entry pe;
		struct bpffs_map *map;
		static u8 big[8192];
		char *all = malloc(1 << 20);
		size_t used = 0;
		ssize_t n = 0;
		u32 a = 0x11223344, b = 0x55667788;
		int i, lost = 0;

		CHECK(all != NULL);
		CHECK_EQ(mkmap(fs, maps.ino, "pe", "type=perf_event_array key=4 value=4 max_entries=4",
			       &pe), 0);
		CHECK_EQ(list_dir(fs, pe.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info stream "));
		map = bpffs_registry_get_map(fs->reg, "pe");
		CHECK(map != NULL);
		CHECK_EQ(bpffs_perf_event_output(map, 1, &a, sizeof(a)), -ENOENT);	/* no reader yet */
		CHECK_EQ(open_at(fs, pe.ino, "stream", O_RDONLY | O_NONBLOCK, &f), 0);
		CHECK_EQ(bpffs_fs_read(f, all, 4096, 0), -EAGAIN);
		CHECK_EQ(bpffs_perf_event_output(map, 1, &a, sizeof(a)), 0);
		CHECK_EQ(bpffs_perf_event_output(map, 3, &b, sizeof(b)), 0);
		for (i = 0; i < 10; i++)
			lost += bpffs_perf_event_output(map, 0, big, sizeof(big)) == -ENOSPC;
		CHECK(lost > 0);
		while (all && (n = bpffs_fs_read(f, all + used, 4096, 0)) > 0)
			used += (size_t)n;
		CHECK_EQ(n, -EAGAIN);
		if (all) {
			all[used] = '\0';
			CHECK_STR_CONTAINS(all, "44 33 22 11\n");
			CHECK_STR_CONTAINS(all, "88 77 66 55\n");
			snprintf(buf, sizeof(buf), "[lost %d records on index 0]\n", lost);
			CHECK_STR_CONTAINS(all, buf);
		}
		bpffs_fs_release(f);
		free(all);
		bpffs_map_put(map);
		bpffs_node_forget(fs, pe.ino, 1);
	}

	TEST("queue: values pushed through push pop through the API and back") {
		struct bpffs_map *map;
		u32 v = 0;

		CHECK_EQ(mkmap(fs, maps.ino, "q", "type=queue value=u32 max_entries=4", &q), 0);
		CHECK_EQ(list_dir(fs, q.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info push pop peek "));
		CHECK_EQ(write_at(fs, q.ino, "push", "7\n8\n"), 0);
		map = bpffs_registry_get_map(fs->reg, "q");
		CHECK(map != NULL);
		CHECK_EQ(bpffs_map_pop_elem(map, &v), 0);
		CHECK_EQ(v, 7);
		v = 9;
		CHECK_EQ(bpffs_map_push_elem(map, &v, BPF_ANY), 0);
		CHECK_EQ(read_at(fs, q.ino, "pop", buf, sizeof(buf)), 0);
		CHECK(!strcmp(buf, "8\n"));
		CHECK_EQ(read_at(fs, q.ino, "peek", buf, sizeof(buf)), 0);
		CHECK(!strcmp(buf, "9\n"));
		CHECK_EQ(read_at(fs, q.ino, "pop", buf, sizeof(buf)), 0);
		CHECK_EQ(read_at(fs, q.ino, "pop", buf, sizeof(buf)), -ENOENT);
		CHECK_EQ(open_at(fs, q.ino, "pop", O_WRONLY, &f), -EACCES);
		bpffs_map_put(map);
	}

	TEST("map-in-map slots take a map name; cat prints it; only filled slots are listed") {
		struct bpffs_map *tmpl = mk("tmpl", BPF_MAP_TYPE_ARRAY, 8, NULL);

		CHECK(tmpl != NULL);
		CHECK_EQ(publish(fs, mk("outer", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, tmpl)), 0);
		CHECK_EQ(publish(fs, mk("inner1", BPF_MAP_TYPE_ARRAY, 8, NULL)), 0);
		CHECK_EQ(publish(fs, mk("odd", BPF_MAP_TYPE_ARRAY, 16, NULL)), 0);
		if (tmpl)
			bpffs_map_put(tmpl);
		CHECK_EQ(bpffs_fs_lookup(fs, maps.ino, "outer", &oe), 0);
		CHECK_EQ(list_dir(fs, oe.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info "));
		CHECK_EQ(write_at(fs, oe.ino, "2", "inner1\n"), 0);
		CHECK_EQ(read_at(fs, oe.ino, "2", buf, sizeof(buf)), 0);
		CHECK(!strcmp(buf, "inner1\n"));
		CHECK_EQ(list_dir(fs, oe.ino, &nm), 0);
		CHECK(!strcmp(nm.buf, ". .. .info 2 "));
	}

	TEST("an unknown map name is ENOENT, a map unlike the template EINVAL, past the end E2BIG") {
		CHECK_EQ(write_at(fs, oe.ino, "1", "nosuch\n"), -ENOENT);
		CHECK_EQ(write_at(fs, oe.ino, "1", "odd\n"), -EINVAL);
		CHECK_EQ(write_at(fs, oe.ino, "9", "inner1\n"), -E2BIG);
		CHECK_EQ(write_at(fs, oe.ino, "1", "\n"), -EINVAL);
		CHECK_EQ(read_at(fs, oe.ino, "1", buf, sizeof(buf)), -ENOENT);
	}

	TEST("unlink clears a slot; a second unlink is ENOENT") {
		CHECK_EQ(bpffs_fs_unlink(fs, oe.ino, "2"), 0);
		CHECK_EQ(read_at(fs, oe.ino, "2", buf, sizeof(buf)), -ENOENT);
		CHECK_EQ(bpffs_fs_unlink(fs, oe.ino, "2"), -ENOENT);
	}

	TEST("forgetting every lookup frees the nodes") {
		bpffs_node_forget(fs, oe.ino, 1);
		bpffs_node_forget(fs, q.ino, 1);
		bpffs_node_forget(fs, rb.ino, 1);
		CHECK_EQ(fs->nodes, base);
	}

	bpffs_node_forget(fs, maps.ino, 1);
	bpffs_fs_destroy(fs);
	return harness_done();
}
