// SPDX-License-Identifier: MIT
/*
 * The extra files of special maps' directories (maps/NAME/):
 *   ringbuf        stream   reading consumes records, one per line as hex
 *                           bytes (as JSON when the map declared a value
 *                           type of the record's size); blocks when empty
 *                           (stream.c policy), so `cat stream` follows the
 *                           ring live; poll works
 *   perf_event_array stream the same over the rings of every CPU slot
 *                           (opened by the first reader), with a line
 *                           "[lost N records on index I]" for overflows
 *   queue, stack   push     each line written pushes one value (E2BIG when full)
 *                  pop      opening it pops one value and reads it (ENOENT when empty)
 *                  peek     like pop, without removing the value
 * Values read and write as entry files' do (typed by BTF when the map has it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "map_internal.h"
#include "../core/registry.h"
#include "../maps/maps.h"

#define PERF_RING_SIZE (64u * 1024)

static void special_destroy(struct bpffs_node *node)
{
	bpffs_map_put(node->obj);
}

/* ---- ringbuf: stream ---------------------------------------------------------- */

/*
 * Per-open state: text of consumed records not yet returned to the reader,
 * and for poll a watcher thread (started by the first poll that has to
 * wait) that calls the pending notify once the ring has data.
 */
struct stream_file {
	char *text;
	size_t len, pos, cap;
	size_t want;		/* stop consuming once this much text is pending */
	bool more;		/* the last consume stopped early: records remain */
	int err;
	struct bpffs_map *map;	/* borrowed: the node holds a reference */
	u32 nrings, next;	/* perf event arrays: rings opened, next to read */
	u64 *lost_seen;		/* perf event arrays: lost counts reported so far */
	struct bpffs_btf *btf;	/* ring buffers with a declared record type: */
	const struct btf *raw;	/* records of rec_size bytes print typed */
	u32 rec_id, rec_size;
	pthread_mutex_t lock;	/* protects the fields below */
	pthread_cond_t cond;	/* a notify was set, or stop */
	void (*notify)(void *arg, bool ready);
	void *notify_arg;
	bool watching, stop;
	pthread_t watcher;
};

/*
 * A perf event array's stream opens the rings of indices 0 .. min(entries,
 * CPU slots) - 1 (those BPF_F_CURRENT_CPU reaches) if nobody did; they stay
 * open while the map lives (rm maps/NAME/INDEX closes one).
 */
static int perf_rings_open(struct stream_file *sf)
{
	struct bpffs_map *map = sf->map;
	u32 i, n = map->max_entries < bpffs_nr_cpus() ? map->max_entries : bpffs_nr_cpus();
	int err;

	sf->lost_seen = calloc(n ? n : 1, sizeof(u64));
	if (!sf->lost_seen)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = bpffs_perf_event_array_open(map, i, PERF_RING_SIZE);
		if (err && err != -EEXIST)
			return err;
		sf->lost_seen[i] = bpffs_perf_event_lost(map, i);
	}
	sf->nrings = n;
	return 0;
}

/* A ring buffer declared with a value type (cilium/ebpf style): its records' type. */
static void record_type(struct stream_file *sf, struct bpffs_fs *fs)
{
	const struct bpffs_map *map = sf->map;
	u32 id = map->btf_value_type_id;
	s64 sz;

	if (map->map_type != BPF_MAP_TYPE_RINGBUF || !id)
		return;
	sf->btf = bpffs_registry_map_btf(fs->reg, map->name);
	sf->raw = sf->btf ? bpffs_btf_raw(sf->btf) : NULL;
	sz = sf->raw ? btf__resolve_size(sf->raw, id) : -1;
	if (sz > 0 && sz <= UINT32_MAX && bpffs_btf_fits(sf->raw, id, (u32)sz)) {
		sf->rec_id = id;
		sf->rec_size = (u32)sz;
	}
}

static void stream_free(struct stream_file *sf)
{
	bpffs_btf_put(sf->btf);
	pthread_cond_destroy(&sf->cond);
	pthread_mutex_destroy(&sf->lock);
	free(sf->lost_seen);
	free(sf->text);
	free(sf);
}

static int stream_open(struct bpffs_file *file)
{
	struct stream_file *sf;
	int err = 0;

	if ((file->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	sf = calloc(1, sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	sf->map = file->node->obj;
	pthread_mutex_init(&sf->lock, NULL);
	pthread_cond_init(&sf->cond, NULL);
	if (sf->map->map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		err = perf_rings_open(sf);
	else
		record_type(sf, file->node->fs);
	if (err) {
		stream_free(sf);
		return err;
	}
	file->priv = sf;
	return 0;
}

static void stream_release(struct bpffs_file *file)
{
	struct stream_file *sf = file->priv;
	void (*notify)(void *, bool);

	if (!sf)
		return;
	pthread_mutex_lock(&sf->lock);
	sf->stop = true;
	notify = sf->notify;
	sf->notify = NULL;
	pthread_cond_broadcast(&sf->cond);
	pthread_mutex_unlock(&sf->lock);
	if (sf->watching)
		pthread_join(sf->watcher, NULL);
	if (notify)
		notify(sf->notify_arg, false);
	stream_free(sf);
}

/* Perf rings: wait up to @ms for one of their wake-up fds; true if one fired. */
static bool perf_wait(struct stream_file *sf, int ms)
{
	struct pollfd *p = calloc(sf->nrings ? sf->nrings : 1, sizeof(*p));
	bool ready = false;
	u32 i, n = 0;

	if (!p)
		return false;
	for (i = 0; i < sf->nrings; i++) {
		int fd = bpffs_perf_event_poll_fd(sf->map, i);

		if (fd >= 0)
			p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	if (n)
		ready = poll(p, n, ms) > 0;
	else if (ms)
		poll(NULL, 0, ms);
	free(p);
	return ready;
}

static bool ring_has_data(struct stream_file *sf)
{
	if (sf->more)
		return true;
	if (sf->map->map_type == BPF_MAP_TYPE_RINGBUF)
		return bpffs_ringbuf_query(sf->map, BPF_RB_AVAIL_DATA) > 0;
	return perf_wait(sf, 0);
}

static void ring_wait(struct stream_file *sf)
{
	if (sf->map->map_type == BPF_MAP_TYPE_RINGBUF)
		bpffs_stream_wait_fd(bpffs_ringbuf_poll_fd(sf->map));
	else
		perf_wait(sf, BPFFS_STREAM_WAIT_MS);
}

/* Waits in short slices, so release (stop) is noticed within one. */
static void *stream_watch(void *arg)
{
	struct stream_file *sf = arg;
	void (*notify)(void *, bool);

	pthread_mutex_lock(&sf->lock);
	while (!sf->stop) {
		if (!sf->notify) {
			pthread_cond_wait(&sf->cond, &sf->lock);
			continue;
		}
		if (ring_has_data(sf)) {
			notify = sf->notify;
			sf->notify = NULL;
			pthread_mutex_unlock(&sf->lock);
			notify(sf->notify_arg, true);
			pthread_mutex_lock(&sf->lock);
			continue;
		}
		pthread_mutex_unlock(&sf->lock);
		ring_wait(sf);
		pthread_mutex_lock(&sf->lock);
	}
	pthread_mutex_unlock(&sf->lock);
	return NULL;
}

static unsigned stream_poll(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
			    void *arg)
{
	struct stream_file *sf = file->priv;
	void (*old)(void *, bool) = NULL;
	void *old_arg = NULL;

	if (sf->len > sf->pos || ring_has_data(sf))
		return POLLIN | POLLRDNORM;
	if (!notify)
		return 0;
	pthread_mutex_lock(&sf->lock);
	old = sf->notify;
	old_arg = sf->notify_arg;
	sf->notify = notify;
	sf->notify_arg = arg;
	if (!sf->watching)
		sf->watching = !pthread_create(&sf->watcher, NULL, stream_watch, sf);
	pthread_cond_broadcast(&sf->cond);
	pthread_mutex_unlock(&sf->lock);
	if (old)
		old(old_arg, false);
	return 0;
}

/* Room for @need more bytes of text. */
static int stream_reserve(struct stream_file *sf, size_t need)
{
	if (sf->len + need > sf->cap) {
		size_t cap = sf->cap ? sf->cap : 4096;
		char *p;

		while (cap < sf->len + need)
			cap *= 2;
		p = realloc(sf->text, cap);
		if (!p) {
			sf->err = -ENOMEM;
			return -ENOMEM;
		}
		sf->text = p;
		sf->cap = cap;
	}
	return 0;
}

/* A record of the declared type as its JSON line; 0 when it is not one. */
static int stream_typed(struct stream_file *sf, const void *data, u32 size)
{
	char *typed = NULL;
	size_t tl = 0;
	int err;

	if (!sf->rec_id || size != sf->rec_size ||
	    bpffs_btf_render(sf->raw, sf->rec_id, data, &typed, &tl))
		return 0;
	err = stream_reserve(sf, tl + 1);
	if (!err) {
		memcpy(sf->text + sf->len, typed, tl);
		sf->len += tl;
	}
	free(typed);
	return err ? err : 1;
}

/* bpffs_ringbuf_cb: one record -> one line; 1 stops once enough is pending. */
static int stream_record(void *arg, const void *data, u32 size)
{
	struct stream_file *sf = arg;
	int typed = stream_typed(sf, data, size), err;

	if (typed < 0)
		return typed;
	if (!typed) {
		err = stream_reserve(sf, (size_t)size * 3 + 32);
		if (err)
			return err;
		sf->len += bpffs_render_value(data, size, BPFFS_FMT_HEX, sf->text + sf->len,
					      sf->cap - sf->len);
	}
	sf->more = sf->len >= sf->want;
	return sf->more ? 1 : 0;
}

/* Perf rings, round robin from where the last read stopped; losses first. */
static long perf_consume(struct stream_file *sf)
{
	long got = 0, n;
	u32 k, i;

	for (k = 0; k < sf->nrings && !sf->more && !sf->err; k++) {
		u64 lost;

		i = (sf->next + k) % sf->nrings;
		lost = bpffs_perf_event_lost(sf->map, i);
		if (lost > sf->lost_seen[i] && !stream_reserve(sf, 64)) {
			sf->len += (size_t)snprintf(sf->text + sf->len, sf->cap - sf->len,
						    "[lost %llu records on index %u]\n",
						    (unsigned long long)(lost - sf->lost_seen[i]), i);
			sf->lost_seen[i] = lost;
		}
		n = bpffs_perf_event_consume(sf->map, i, stream_record, sf);
		if (n > 0)
			got += n;
	}
	sf->next = sf->nrings ? (sf->next + k) % sf->nrings : 0;
	return got;
}

static long stream_consume(struct stream_file *sf)
{
	sf->more = false;
	sf->err = 0;
	if (sf->map->map_type == BPF_MAP_TYPE_RINGBUF)
		return bpffs_ringbuf_consume(sf->map, stream_record, sf);
	return perf_consume(sf);
}

static ssize_t stream_take(struct stream_file *sf, char *buf, size_t size)
{
	size_t n = sf->len - sf->pos;

	if (n > size)
		n = size;
	memcpy(buf, sf->text + sf->pos, n);
	sf->pos += n;
	if (sf->pos == sf->len)
		sf->pos = sf->len = 0;
	return (ssize_t)n;
}

static ssize_t stream_read(struct bpffs_file *file, char *buf, size_t size, off_t off)
{
	struct stream_file *sf = file->priv;
	long got;
	int wait;

	for (;;) {
		if (sf->len > sf->pos)
			return stream_take(sf, buf, size);
		sf->want = size;
		got = stream_consume(sf);
		if (sf->len > sf->pos)
			continue;
		if (got < 0 && got != -ENOMEM)
			return got;
		if (sf->err)
			return sf->err;
		wait = bpffs_stream_may_wait(file);
		if (wait != 1)
			return wait;
		ring_wait(sf);
	}
}

static const struct bpffs_node_ops stream_ops = {
	.name = "ringbuf stream",
	.mode = S_IFREG | 0444,
	.destroy = special_destroy,
	.open = stream_open,
	.read = stream_read,
	.release = stream_release,
	.poll = stream_poll,
};

/* ---- queue and stack: push, pop, peek ------------------------------------------ */

static int value_alloc(const struct bpffs_map *map, u8 **val)
{
	*val = calloc(1, map->value_size ? map->value_size : 1);
	return *val ? 0 : -ENOMEM;
}

/* Push the value written as the text [@s, @s + @len); blank text is no value. */
static int push_text(struct bpffs_node *node, const char *s, size_t len)
{
	struct bpffs_map *map = node->obj;
	size_t i;
	u8 *val;
	int err;

	for (i = 0; i < len && strchr(" \t\r\n", s[i]); i++)
		;
	if (i == len)
		return 0;
	err = value_alloc(map, &val);
	if (err)
		return err;
	err = bpffs_fs_value_parse(node->fs, map, s, len, val);
	if (!err)
		err = bpffs_map_push_elem(map, val, BPF_ANY);
	free(val);
	return err;
}

/*
 * Every complete line pushes one value; a partial last line waits for the
 * next write or close. Pushed lines leave the buffer, so the file offset
 * means nothing here: writes append.
 */
static ssize_t push_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	ssize_t n = bpffs_file_append(file, buf, size, (off_t)file->wlen);
	size_t start = 0, done = 0, i;
	int err = 0;

	if (n < 0)
		return n;
	for (i = 0; i < file->wlen && !err; i++) {
		if (file->wbuf[i] != '\n')
			continue;
		err = push_text(file->node, file->wbuf + start, i - start);
		start = i + 1;
		if (!err)
			done = start;
	}
	memmove(file->wbuf, file->wbuf + done, file->wlen - done);
	file->wlen -= done;
	if (err) {
		bpffs_file_wreset(file);
		return err;
	}
	file->dirty = file->wlen > 0;
	return n;
}

static int push_flush(struct bpffs_file *file)
{
	int err = push_text(file->node, file->wbuf, file->wlen);

	bpffs_file_wreset(file);
	return err;
}

static int push_truncate(struct bpffs_node *node, off_t size)
{
	return 0;
}

/* pop/peek: the value is taken when the file is opened (a stat takes nothing). */
static int take_open(struct bpffs_file *file, bool pop)
{
	struct bpffs_map *map = file->node->obj;
	char *text = NULL;
	size_t len = 0;
	u8 *val;
	int err;

	if ((file->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	err = value_alloc(map, &val);
	if (err)
		return err;
	err = pop ? bpffs_map_pop_elem(map, val) : bpffs_map_peek_elem(map, val);
	if (!err)
		err = bpffs_fs_value_text(file->node->fs, map, val, &text, &len);
	if (!err)
		err = bpffs_file_take_text(file, text, len);
	free(val);
	return err;
}

static int pop_open(struct bpffs_file *file)
{
	return take_open(file, true);
}

static int peek_open(struct bpffs_file *file)
{
	return take_open(file, false);
}

static const struct bpffs_node_ops push_ops = {
	.name = "queue push",
	.mode = S_IFREG | 0200,
	.destroy = special_destroy,
	.write = push_write,
	.flush = push_flush,
	.truncate = push_truncate,
};

static const struct bpffs_node_ops pop_ops = {
	.name = "queue pop",
	.mode = S_IFREG | 0444,
	.destroy = special_destroy,
	.open = pop_open,
};

static const struct bpffs_node_ops peek_ops = {
	.name = "queue peek",
	.mode = S_IFREG | 0444,
	.destroy = special_destroy,
	.open = peek_open,
};

/* ---- the table -------------------------------------------------------------------- */

struct special_file {
	const char *name;
	const struct bpffs_node_ops *ops;
};

static const struct special_file ringbuf_files[] = {
	{ "stream", &stream_ops },
	{ NULL, NULL },
};

static const struct special_file queue_files[] = {
	{ "push", &push_ops },
	{ "pop", &pop_ops },
	{ "peek", &peek_ops },
	{ NULL, NULL },
};

static const struct special_file *special_files(const struct bpffs_map *map)
{
	switch (map->map_type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		return ringbuf_files;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return queue_files;
	default:
		return NULL;
	}
}

int bpffs_map_special_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	const struct special_file *f = special_files(dir->obj);

	for (; f && f->name; f++) {
		if (strcmp(f->name, name))
			continue;
		bpffs_map_get(dir->obj);
		out->ops = f->ops;
		out->obj = dir->obj;
		return 0;
	}
	return -ENOENT;
}

bool bpffs_map_special_only(const struct bpffs_map *map)
{
	return !map->key_size || map->map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

int bpffs_map_special_readdir(const struct bpffs_map *map, off_t off, bpffs_fill_fn fill,
			      void *ctx)
{
	const struct special_file *f = special_files(map);
	off_t i;

	for (i = 1; f && f->name; f++, i++)
		if (i >= off && fill(ctx, f->name, S_IFREG, 0, i + 1))
			return 1;
	return 0;
}
