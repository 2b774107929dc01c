// SPDX-License-Identifier: MIT
/*
 * The capture stream of a socket hook (hooks/socket/IF/capture): frames
 * that socket-filter programs kept, as pcap records in one ring per hook.
 * The socket worker is the only producer; each open reader has its own
 * position. The ring only ever holds whole records and readers only jump
 * to record boundaries, so a reader that falls more than a ring behind
 * loses whole records (counted) and never the pcap framing. A reader whose
 * buffer is smaller than a record gets the record in pieces from a private
 * copy. Wakeups: a condition variable for blocking reads and one eventfd
 * per reader for poll. Not here: pcapng, per-reader filters.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "internal.h"

#define CAPTURE_RING_SIZE (4u << 20)
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_ETHERNET 1u

struct pcap_file_hdr {
	u32 magic;
	u16 major, minor;
	s32 thiszone;
	u32 sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	u32 ts_sec, ts_nsec, caplen, len;
};

struct bpffs_capture {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	u8 *ring;			/* CAPTURE_RING_SIZE bytes */
	u64 head;			/* stream offset of the next record; protected by lock */
	u64 tail;			/* oldest whole record still in the ring */
	/* start offsets of records, to move tail; ring of offsets */
	u64 *rec_off;
	u32 rec_cap, rec_first, rec_cnt;
	u64 written;			/* records ever written */
	_Atomic u32 readers;
	bool ended;
	bool dirty;			/* written since the last flush */
	struct bpffs_capture_reader *list; /* protected by lock */
};

struct bpffs_capture_reader {
	struct bpffs_capture *cap;
	struct bpffs_hook *hook;	/* holds a reference */
	u64 pos;			/* stream offset of the next whole record */
	u8 pend[sizeof(struct pcap_rec_hdr) + PCAP_SNAPLEN + sizeof(struct pcap_file_hdr)];
	u32 pend_off, pend_len;		/* partly delivered record */
	u64 seq;			/* records read or skipped, same count as written */
	u64 lost;
	int efd;
	bool interrupted;
	struct bpffs_capture_reader *next;
};

int bpffs_capture_create(struct bpffs_capture **out)
{
	struct bpffs_capture *cap = calloc(1, sizeof(*cap));

	if (!cap)
		return -ENOMEM;
	cap->rec_cap = CAPTURE_RING_SIZE / sizeof(struct pcap_rec_hdr);
	cap->ring = malloc(CAPTURE_RING_SIZE);
	cap->rec_off = malloc(sizeof(u64) * cap->rec_cap);
	if (!cap->ring || !cap->rec_off) {
		free(cap->ring);
		free(cap->rec_off);
		free(cap);
		return -ENOMEM;
	}
	pthread_mutex_init(&cap->lock, NULL);
	pthread_cond_init(&cap->cond, NULL);
	*out = cap;
	return 0;
}

void bpffs_capture_destroy(struct bpffs_capture *cap)
{
	if (!cap)
		return;
	pthread_mutex_destroy(&cap->lock);
	pthread_cond_destroy(&cap->cond);
	free(cap->ring);
	free(cap->rec_off);
	free(cap);
}

bool bpffs_capture_has_readers(const struct bpffs_capture *cap)
{
	return cap && atomic_load_explicit(&((struct bpffs_capture *)cap)->readers,
					   memory_order_relaxed);
}

static void ring_copy_in(struct bpffs_capture *cap, u64 off, const void *src, u32 len)
{
	u32 at = (u32)(off % CAPTURE_RING_SIZE), first = CAPTURE_RING_SIZE - at;

	if (first > len)
		first = len;
	memcpy(cap->ring + at, src, first);
	memcpy(cap->ring, (const u8 *)src + first, len - first);
}

static void ring_copy_out(const struct bpffs_capture *cap, u64 off, void *dst, u32 len)
{
	u32 at = (u32)(off % CAPTURE_RING_SIZE), first = CAPTURE_RING_SIZE - at;

	if (first > len)
		first = len;
	memcpy(dst, cap->ring + at, first);
	memcpy((u8 *)dst + first, cap->ring, len - first);
}

/* Drop the oldest records until @need more bytes fit. Caller holds lock. */
static void ring_make_room(struct bpffs_capture *cap, u32 need)
{
	while (cap->rec_cnt && (cap->head + need - cap->tail > CAPTURE_RING_SIZE ||
				cap->rec_cnt == cap->rec_cap)) {
		cap->rec_first = (cap->rec_first + 1) % cap->rec_cap;
		cap->rec_cnt--;
		cap->tail = cap->rec_cnt ? cap->rec_off[cap->rec_first] : cap->head;
	}
}

void bpffs_capture_write(struct bpffs_capture *cap, u64 ts_ns, const void *data, u32 caplen,
			 u32 len)
{
	struct pcap_rec_hdr h;

	if (!bpffs_capture_has_readers(cap))
		return;
	if (caplen > PCAP_SNAPLEN)
		caplen = PCAP_SNAPLEN;
	h.ts_sec = (u32)(ts_ns / 1000000000ull);
	h.ts_nsec = (u32)(ts_ns % 1000000000ull);
	h.caplen = caplen;
	h.len = len;
	pthread_mutex_lock(&cap->lock);
	ring_make_room(cap, sizeof(h) + caplen);
	cap->rec_off[(cap->rec_first + cap->rec_cnt++) % cap->rec_cap] = cap->head;
	ring_copy_in(cap, cap->head, &h, sizeof(h));
	ring_copy_in(cap, cap->head + sizeof(h), data, caplen);
	cap->head += sizeof(h) + caplen;
	cap->written++;
	cap->dirty = true;
	pthread_mutex_unlock(&cap->lock);
}

static void capture_wake_locked(struct bpffs_capture *cap)
{
	u64 one = 1;

	pthread_cond_broadcast(&cap->cond);
	for (struct bpffs_capture_reader *r = cap->list; r; r = r->next)
		if (write(r->efd, &one, sizeof(one)) < 0)
			continue;	/* counter saturated: already readable */
}

void bpffs_capture_flush(struct bpffs_capture *cap)
{
	if (!cap || !cap->dirty)
		return;
	pthread_mutex_lock(&cap->lock);
	cap->dirty = false;
	capture_wake_locked(cap);
	pthread_mutex_unlock(&cap->lock);
}

void bpffs_capture_end(struct bpffs_capture *cap)
{
	pthread_mutex_lock(&cap->lock);
	cap->ended = true;
	capture_wake_locked(cap);
	pthread_mutex_unlock(&cap->lock);
}

int bpffs_capture_open(struct bpffs_hook *hook, struct bpffs_capture_reader **out)
{
	struct bpffs_capture *cap = bpffs_socket_hook_capture(hook);
	struct bpffs_capture_reader *r;
	struct pcap_file_hdr fh = {
		.magic = PCAP_MAGIC_NS, .major = 2, .minor = 4,
		.snaplen = PCAP_SNAPLEN, .linktype = PCAP_LINKTYPE_ETHERNET,
	};

	if (!cap)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);	/* the file header is ready */
	if (r->efd < 0) {
		free(r);
		return -errno;
	}
	memcpy(r->pend, &fh, sizeof(fh));
	r->pend_len = sizeof(fh);
	r->cap = cap;
	r->hook = hook;
	bpffs_hook_hold(hook);
	pthread_mutex_lock(&cap->lock);
	r->pos = cap->head;
	r->seq = cap->written;
	r->next = cap->list;
	cap->list = r;
	atomic_fetch_add(&cap->readers, 1);
	pthread_mutex_unlock(&cap->lock);
	*out = r;
	return 0;
}

/* Size of the record at @off. Caller holds lock; @off is a live record. */
static u32 ring_rec_size(const struct bpffs_capture *cap, u64 off)
{
	struct pcap_rec_hdr h;

	ring_copy_out(cap, off, &h, sizeof(h));
	return (u32)sizeof(h) + h.caplen;
}

/* Copy whole records (or start a partial one) into @buf. Caller holds lock. */
static size_t capture_copy_locked(struct bpffs_capture_reader *r, u8 *buf, size_t size)
{
	struct bpffs_capture *cap = r->cap;
	size_t n = 0;

	if (r->pos < cap->tail) {
		/* fell behind: whole records were overwritten */
		r->lost += cap->written - cap->rec_cnt - r->seq;
		r->seq = cap->written - cap->rec_cnt;
		r->pos = cap->tail;
	}
	while (r->pos < cap->head && n < size) {
		u32 rec = ring_rec_size(cap, r->pos);

		if (rec > size - n) {
			if (n)
				break;
			ring_copy_out(cap, r->pos, r->pend, rec);
			r->pend_off = 0;
			r->pend_len = rec;
			r->pos += rec;
			r->seq++;
			break;
		}
		ring_copy_out(cap, r->pos, buf + n, rec);
		n += rec;
		r->pos += rec;
		r->seq++;
	}
	return n;
}

static size_t capture_take_pending(struct bpffs_capture_reader *r, u8 *buf, size_t size)
{
	size_t n = r->pend_len - r->pend_off;

	if (n > size)
		n = size;
	memcpy(buf, r->pend + r->pend_off, n);
	r->pend_off += (u32)n;
	if (r->pend_off == r->pend_len)
		r->pend_off = r->pend_len = 0;
	return n;
}

ssize_t bpffs_capture_read(struct bpffs_capture_reader *r, void *buf, size_t size,
			   bool nonblock)
{
	struct bpffs_capture *cap = r->cap;
	ssize_t ret;
	size_t n = 0;
	u64 drain;

	if (!size)
		return 0;
	pthread_mutex_lock(&cap->lock);
	for (;;) {
		if (r->pend_len)
			n = capture_take_pending(r, buf, size);
		if (n < size && !r->pend_len)
			n += capture_copy_locked(r, (u8 *)buf + n, size - n);
		if (n < size && !n && r->pend_len)
			continue;	/* a record was staged: deliver its first piece */
		if (n || cap->ended || nonblock || r->interrupted)
			break;
		pthread_cond_wait(&cap->cond, &cap->lock);
	}
	if (!r->pend_len && r->pos >= cap->head && read(r->efd, &drain, sizeof(drain)) < 0)
		drain = 0;	/* already drained */
	if (n)
		ret = (ssize_t)n;
	else if (r->interrupted)
		ret = -EINTR;
	else
		ret = cap->ended ? 0 : -EAGAIN;
	r->interrupted = false;
	pthread_mutex_unlock(&cap->lock);
	return ret;
}

int bpffs_capture_poll_fd(struct bpffs_capture_reader *r)
{
	return r->efd;
}

u64 bpffs_capture_lost(const struct bpffs_capture_reader *r)
{
	return r->lost;
}

void bpffs_capture_interrupt(struct bpffs_capture_reader *r)
{
	pthread_mutex_lock(&r->cap->lock);
	r->interrupted = true;
	pthread_cond_broadcast(&r->cap->cond);
	pthread_mutex_unlock(&r->cap->lock);
}

void bpffs_capture_close(struct bpffs_capture_reader *r)
{
	struct bpffs_capture *cap;

	if (!r)
		return;
	cap = r->cap;
	pthread_mutex_lock(&cap->lock);
	for (struct bpffs_capture_reader **pp = &cap->list; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	atomic_fetch_sub(&cap->readers, 1);
	pthread_mutex_unlock(&cap->lock);
	close(r->efd);
	bpffs_hook_put(r->hook);
	free(r);
}
