// SPDX-License-Identifier: MIT
/*
 * MNT/trace_pipe: bpf_trace_printk output as a stream, like the kernel's
 * tracing/trace_pipe. Program runs append one line per message to a 1 MiB
 * ring (the oldest text is overwritten when readers fall behind, and the
 * loss is reported in the stream); reads consume it, so several readers
 * share one stream. A read with nothing to return blocks until a message
 * arrives, the request is interrupted (Ctrl-C on cat) or the mount goes
 * away; with O_NONBLOCK it fails with EAGAIN, and in a single-threaded
 * mount (-s) it returns end of file instead of blocking the only thread.
 * poll reports it readable when text waits; a pending poll is fired by the
 * next message (the sink) or dropped when the file is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "../core/core.h"
#include "../maps/maps.h"

#define TRACE_RING_SIZE (1u << 20)

/* An open trace_pipe; linked in the ring's waiters while a poll is pending. */
struct trace_file {
	struct trace_file *prev, *next;
	void (*notify)(void *arg, bool ready);	/* pending poll (ring lock) */
	void *arg;
};

struct bpffs_trace_ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* signalled when text arrives */
	char *buf;
	u64 head, tail;			/* bytes written / consumed, ever (protected by lock) */
	u64 lost;			/* bytes overwritten before anyone read them */
	struct trace_file waiters;	/* list head: opens with a pending poll */
};

static void waiter_unlink(struct trace_file *f)
{
	f->prev->next = f->next;
	f->next->prev = f->prev;
	f->prev = f->next = f;
}

/*
 * Fire the pending polls, one at a time so that no notify runs under the
 * lock: each is taken off the list first, so a release racing with us
 * finds nothing left to drop. Called with the lock; returns with it.
 */
static void waiters_fire_locked(struct bpffs_trace_ring *r, bool ready)
{
	void (*notify)(void *, bool);
	struct trace_file *f;
	void *arg;

	while (r->waiters.next != &r->waiters) {
		f = r->waiters.next;
		notify = f->notify;
		arg = f->arg;
		f->notify = NULL;
		waiter_unlink(f);
		pthread_mutex_unlock(&r->lock);
		notify(arg, ready);
		pthread_mutex_lock(&r->lock);
	}
}

static void ring_put_locked(struct bpffs_trace_ring *r, const char *s, size_t len)
{
	size_t i;

	if (len > TRACE_RING_SIZE)
		return;
	if (r->head + len - r->tail > TRACE_RING_SIZE) {
		u64 drop = r->head + len - r->tail - TRACE_RING_SIZE;

		r->lost += drop;
		r->tail += drop;
	}
	for (i = 0; i < len; i++)
		r->buf[(r->head + i) % TRACE_RING_SIZE] = s[i];
	r->head += len;
}

/*
 * The trace sink (core.h): called from program runs on any thread. It takes
 * the ring lock for a copy of at most one line; it never waits for readers.
 */
static void trace_sink(void *arg, const char *text, size_t len)
{
	struct bpffs_trace_ring *r = arg;
	struct timespec ts;
	char line[640];
	int n;

	while (len && text[len - 1] == '\n')
		len--;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "[%03u] %lld.%06ld: bpf_trace_printk: %.*s\n",
		     bpffs_cpu_slot(), (long long)ts.tv_sec, ts.tv_nsec / 1000,
		     (int)(len > 512 ? 512 : len), text);
	if (n <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	ring_put_locked(r, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	pthread_cond_broadcast(&r->cond);
	waiters_fire_locked(r, true);	/* nothing to do unless a poll waits */
	pthread_mutex_unlock(&r->lock);
}

int bpffs_trace_ring_create(struct bpffs_fs *fs)
{
	struct bpffs_trace_ring *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;

	if (!r)
		return -ENOMEM;
	r->buf = malloc(TRACE_RING_SIZE);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	r->waiters.prev = r->waiters.next = &r->waiters;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	fs->trace = r;
	bpffs_trace_set_sink(trace_sink, r);
	return 0;
}

void bpffs_trace_ring_destroy(struct bpffs_fs *fs)
{
	struct bpffs_trace_ring *r = fs->trace;

	if (!r)
		return;
	bpffs_trace_set_sink(NULL, NULL);
	pthread_mutex_lock(&r->lock);
	waiters_fire_locked(r, false);	/* (every file is released by now) */
	pthread_mutex_unlock(&r->lock);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r);
	fs->trace = NULL;
}

/* Copy out what is there; report lost bytes first. Called with the lock. */
static ssize_t ring_take_locked(struct bpffs_trace_ring *r, char *buf, size_t size)
{
	size_t n = 0;

	if (r->lost) {
		int l = snprintf(buf, size, "[lost %llu bytes of trace]\n",
				 (unsigned long long)r->lost);

		if (l > 0 && (size_t)l < size) {
			n = (size_t)l;
			r->lost = 0;
		}
	}
	while (n < size && r->tail < r->head)
		buf[n++] = r->buf[r->tail++ % TRACE_RING_SIZE];
	return (ssize_t)n;
}

static ssize_t trace_read(struct bpffs_file *file, char *buf, size_t size, off_t off)
{
	struct bpffs_trace_ring *r = file->node->fs->trace;
	struct timespec until;
	ssize_t n = 0;
	int wait;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	while (r->tail == r->head && !r->lost) {
		wait = bpffs_stream_may_wait(file);
		if (wait != 1) {
			n = wait;
			goto out;
		}
		/* wake up now and then to notice interrupts and unmounts */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += BPFFS_STREAM_WAIT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cond, &r->lock, &until);
	}
	n = ring_take_locked(r, buf, size);
out:
	pthread_mutex_unlock(&r->lock);
	return n;
}

static int trace_open(struct bpffs_file *file)
{
	struct trace_file *f;

	if ((file->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->prev = f->next = f;
	file->priv = f;
	return 0;
}

static void trace_release(struct bpffs_file *file)
{
	struct bpffs_trace_ring *r = file->node->fs->trace;
	struct trace_file *f = file->priv;
	void (*notify)(void *, bool) = NULL;
	void *arg = NULL;

	if (!f)
		return;
	if (r) {
		pthread_mutex_lock(&r->lock);
		notify = f->notify;
		arg = f->arg;
		f->notify = NULL;
		waiter_unlink(f);
		pthread_mutex_unlock(&r->lock);
	}
	if (notify)
		notify(arg, false);
	free(f);
}

/* Readable when text (or a loss report) waits; else the next message fires @notify. */
static unsigned trace_poll(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
			   void *arg)
{
	struct bpffs_trace_ring *r = file->node->fs->trace;
	struct trace_file *f = file->priv;
	void (*old)(void *, bool) = NULL;
	void *old_arg = NULL;
	unsigned ready;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	ready = r->tail != r->head || r->lost ? POLLIN | POLLRDNORM : 0;
	if (!ready && notify) {
		old = f->notify;
		old_arg = f->arg;
		f->notify = notify;
		f->arg = arg;
		if (f->next == f) {	/* not yet on the list */
			f->next = &r->waiters;
			f->prev = r->waiters.prev;
			r->waiters.prev->next = f;
			r->waiters.prev = f;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (old)
		old(old_arg, false);	/* replaced by the newer request */
	return ready;
}

const struct bpffs_node_ops bpffs_trace_pipe_ops = {
	.name = "trace_pipe",
	.mode = S_IFREG | 0444,
	.open = trace_open,
	.read = trace_read,
	.release = trace_release,
	.poll = trace_poll,
};
