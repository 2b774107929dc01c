// SPDX-License-Identifier: MIT
/*
 * RINGBUF, after the kernel's ringbuf.c, and the record ring it is built on
 * (struct bpffs_rb, shared with PERF_EVENT_ARRAY). Producers (programs on any
 * thread) reserve space under a short spin lock, fill it without the lock and
 * commit by clearing the record's BUSY bit; the consumer (filesystem) reads
 * committed records in order and stops at the first busy one, exactly like
 * the kernel's producer/consumer positions. The data area is mapped twice
 * back to back (memfd), so a record that wraps around the end is still
 * contiguous for both sides. Record header: u32 len (bit 31 BUSY, bit 30
 * DISCARD), u32 offset of the header in the data area, which lets submit and
 * discard find the ring from the record alone.
 *
 * Wake-ups go through an eventfd the filesystem polls: by default only when
 * the consumer has caught up with the committed record (adaptive, as in the
 * kernel), always with BPF_RB_FORCE_WAKEUP, never with BPF_RB_NO_WAKEUP.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define RB_PAGE 4096UL
#define RB_BUSY (1U << 31)
#define RB_DISCARD (1U << 30)
#define RB_HDR 8
#define RB_MAX_SIZE (1ULL << 30)

struct rb_hdr {
	_Atomic u32 len;
	u32 off;
};

struct bpffs_rb {
	_Atomic u32 lock;		/* producers */
	u64 mask;			/* data size - 1 */
	_Atomic u64 prod_pos;		/* protected by lock for writers */
	_Atomic u64 cons_pos;		/* written by the consumer only */
	pthread_mutex_t cons_lock;	/* one consumer at a time */
	int efd;
	u8 *base;			/* [2 meta pages][data][data again] */
	u8 *data;
	struct bpffs_rcu_head rcu;
};

static void rb_unmap(u8 *base, u64 size)
{
	munmap(base, 2 * RB_PAGE + 2 * size);
}

/* Reserve a region, then place the meta pages and the data twice into it. */
static u8 *rb_map(u64 size)
{
	int fd = memfd_create("bpffs-ringbuf", MFD_CLOEXEC);
	u8 *base, *p;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size))
		goto err_close;
	base = mmap(NULL, 2 * RB_PAGE + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto err_close;
	p = mmap(base, 2 * RB_PAGE, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		goto err_unmap;
	for (int i = 0; i < 2; i++) {
		p = mmap(base + 2 * RB_PAGE + i * size, size, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			goto err_unmap;
	}
	close(fd);
	return base;

err_unmap:
	rb_unmap(base, size);
err_close:
	close(fd);
	return NULL;
}

int bpffs_rb_create(u64 size, struct bpffs_rb **out)
{
	struct bpffs_rb *rb = calloc(1, sizeof(*rb));

	if (!rb)
		return -ENOMEM;
	rb->mask = size - 1;
	rb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rb->base = rb_map(size);
	if (rb->efd < 0 || !rb->base) {
		if (rb->efd >= 0)
			close(rb->efd);
		free(rb);
		return -ENOMEM;
	}
	rb->data = rb->base + 2 * RB_PAGE;
	*(struct bpffs_rb **)rb->base = rb;	/* records find their ring from here */
	pthread_mutex_init(&rb->cons_lock, NULL);
	*out = rb;
	return 0;
}

void bpffs_rb_destroy(struct bpffs_rb *rb)
{
	if (!rb)
		return;
	rb_unmap(rb->base, rb->mask + 1);
	close(rb->efd);
	pthread_mutex_destroy(&rb->cons_lock);
	free(rb);
}

/* Called from: program run, any thread; the lock is held for a few stores. */
void *bpffs_rb_reserve(struct bpffs_rb *rb, u64 size)
{
	u64 total = BPFFS_ROUND_UP(size + RB_HDR, 8), prod, cons;
	struct rb_hdr *hdr;

	if (size > rb->mask + 1 - RB_HDR || size >= RB_DISCARD)
		return NULL;
	bpffs_spin_lock(&rb->lock);
	cons = atomic_load_explicit(&rb->cons_pos, memory_order_acquire);
	prod = atomic_load_explicit(&rb->prod_pos, memory_order_relaxed);
	if (prod - cons + total > rb->mask + 1) {
		bpffs_spin_unlock(&rb->lock);
		return NULL;
	}
	hdr = (struct rb_hdr *)(rb->data + (prod & rb->mask));
	atomic_store_explicit(&hdr->len, (u32)size | RB_BUSY, memory_order_relaxed);
	hdr->off = (u32)(prod & rb->mask);
	atomic_store_explicit(&rb->prod_pos, prod + total, memory_order_release);
	bpffs_spin_unlock(&rb->lock);
	return hdr + 1;
}

static struct bpffs_rb *rb_of_record(struct rb_hdr *hdr)
{
	u8 *data = (u8 *)hdr - hdr->off;

	return *(struct bpffs_rb **)(data - 2 * RB_PAGE);
}

static void rb_wakeup(struct bpffs_rb *rb)
{
	u64 one = 1;

	if (write(rb->efd, &one, sizeof(one)) < 0) {
		/* counter saturated: the consumer is already due to wake up */
	}
}

static void rb_commit(void *rec, u64 flags, bool discard)
{
	struct rb_hdr *hdr = (struct rb_hdr *)rec - 1;
	struct bpffs_rb *rb = rb_of_record(hdr);
	u32 len = atomic_load_explicit(&hdr->len, memory_order_relaxed) & ~RB_BUSY;
	u64 cons;

	if (discard)
		len |= RB_DISCARD;
	atomic_store_explicit(&hdr->len, len, memory_order_release);
	cons = atomic_load_explicit(&rb->cons_pos, memory_order_acquire) & rb->mask;
	if (flags & BPF_RB_FORCE_WAKEUP)
		rb_wakeup(rb);
	else if (cons == hdr->off && !(flags & BPF_RB_NO_WAKEUP))
		rb_wakeup(rb);
}

int bpffs_rb_output(struct bpffs_rb *rb, const void *data, u64 size, u64 flags)
{
	void *rec;

	if (flags & ~(u64)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = bpffs_rb_reserve(rb, size);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	rb_commit(rec, flags, false);
	return 0;
}

/* Called from: FUSE thread. Stops at the first record still being written. */
long bpffs_rb_consume(struct bpffs_rb *rb, bpffs_ringbuf_cb cb, void *arg)
{
	u64 cons, prod, buf;
	long n = 0;
	int err = 0;

	pthread_mutex_lock(&rb->cons_lock);
	if (read(rb->efd, &buf, sizeof(buf)) < 0) {
		/* nothing signalled yet: fine */
	}
	cons = atomic_load_explicit(&rb->cons_pos, memory_order_relaxed);
	prod = atomic_load_explicit(&rb->prod_pos, memory_order_acquire);
	while (cons < prod && !err) {
		struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (cons & rb->mask));
		u32 len = atomic_load_explicit(&hdr->len, memory_order_acquire);

		if (len & RB_BUSY)
			break;
		if (!(len & RB_DISCARD)) {
			err = cb(arg, hdr + 1, len);
			n++;
		}
		cons += BPFFS_ROUND_UP((len & ~RB_DISCARD) + RB_HDR, 8);
		atomic_store_explicit(&rb->cons_pos, cons, memory_order_release);
	}
	pthread_mutex_unlock(&rb->cons_lock);
	return err ? err : n;
}

u64 bpffs_rb_query(struct bpffs_rb *rb, u64 flags)
{
	u64 cons = atomic_load_explicit(&rb->cons_pos, memory_order_acquire);
	u64 prod = atomic_load_explicit(&rb->prod_pos, memory_order_acquire);

	switch (flags) {
	case BPF_RB_AVAIL_DATA:
		return prod - cons;
	case BPF_RB_RING_SIZE:
		return rb->mask + 1;
	case BPF_RB_CONS_POS:
		return cons;
	case BPF_RB_PROD_POS:
		return prod;
	default:
		return 0;
	}
}

int bpffs_rb_poll_fd(struct bpffs_rb *rb)
{
	return rb->efd;
}

size_t bpffs_rb_mem_usage(const struct bpffs_rb *rb)
{
	return sizeof(*rb) + 2 * RB_PAGE + rb->mask + 1;
}

/* ---- the RINGBUF map ------------------------------------------------------- */

struct bpffs_ringbuf_map {
	struct bpffs_map map;
	struct bpffs_rb *rb;
};

static struct bpffs_rb *map_rb(struct bpffs_map *map)
{
	return container_of(map, struct bpffs_ringbuf_map, map)->rb;
}

/* Called from: load/FUSE thread. */
static int ringbuf_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, 0, log);
	u32 n = attr->max_entries;

	if (err)
		return err;
	if (attr->key_size || attr->value_size || n < RB_PAGE || (n & (n - 1))) {
		bpffs_vlog_printf(log, "map '%s': ringbuf needs key_size 0, value_size 0 and max_entries a power of 2 multiple of %lu (got %u)\n",
				  attr->name, RB_PAGE, n);
		return -EINVAL;
	}
	if (n > RB_MAX_SIZE) {
		bpffs_vlog_printf(log, "map '%s': ring of %u bytes is too large\n", attr->name, n);
		return -E2BIG;
	}
	return 0;
}

static int ringbuf_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_ringbuf_map *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	bpffs_map_init_from_attr(&m->map, attr);
	err = bpffs_rb_create(attr->max_entries, &m->rb);
	if (err) {
		free(m);
		return err;
	}
	*out = &m->map;
	return 0;
}

static void ringbuf_free(struct bpffs_map *map)
{
	bpffs_rb_destroy(map_rb(map));
	free(container_of(map, struct bpffs_ringbuf_map, map));
}

static size_t ringbuf_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_ringbuf_map) + bpffs_rb_mem_usage(map_rb((struct bpffs_map *)map));
}

const struct bpffs_map_ops bpffs_ringbuf_map_ops = {
	.alloc_check = ringbuf_alloc_check,
	.alloc = ringbuf_alloc,
	.free = ringbuf_free,
	.mem_usage = ringbuf_mem_usage,
};

static bool is_ringbuf(const struct bpffs_map *map)
{
	return map && map->ops == &bpffs_ringbuf_map_ops;
}

void *bpffs_ringbuf_reserve(struct bpffs_map *map, u64 size, u64 flags)
{
	if (!is_ringbuf(map) || flags)
		return NULL;
	return bpffs_rb_reserve(map_rb(map), size);
}

void bpffs_ringbuf_submit(void *rec, u64 flags)
{
	rb_commit(rec, flags, false);
}

void bpffs_ringbuf_discard(void *rec, u64 flags)
{
	rb_commit(rec, flags, true);
}

int bpffs_ringbuf_output(struct bpffs_map *map, const void *data, u64 size, u64 flags)
{
	if (!is_ringbuf(map))
		return -EINVAL;
	return bpffs_rb_output(map_rb(map), data, size, flags);
}

u64 bpffs_ringbuf_query(struct bpffs_map *map, u64 flags)
{
	return is_ringbuf(map) ? bpffs_rb_query(map_rb(map), flags) : 0;
}

long bpffs_ringbuf_consume(struct bpffs_map *map, bpffs_ringbuf_cb cb, void *arg)
{
	if (!is_ringbuf(map))
		return -EINVAL;
	return bpffs_rb_consume(map_rb(map), cb, arg);
}

int bpffs_ringbuf_poll_fd(struct bpffs_map *map)
{
	return is_ringbuf(map) ? bpffs_rb_poll_fd(map_rb(map)) : -EINVAL;
}
