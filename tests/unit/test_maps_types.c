// SPDX-License-Identifier: MIT
/*
 * Unit tests of the non-hash map types: QUEUE/STACK (full/empty, BPF_EXIST
 * overwrite), BLOOM_FILTER, LPM_TRIE (/0, /32, /128, overlapping prefixes,
 * delete, iteration), RINGBUF (positions, wrap-around, discard, wakeups),
 * PERF_EVENT_ARRAY, PROG_ARRAY, ARRAY_OF_MAPS/HASH_OF_MAPS, DEVMAP/CPUMAP.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "maps/maps.h"
#include "core/core.h"

static char logbuf[4096];
static struct bpffs_vlog vlog = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

static int mk2(u32 type, u32 ks, u32 vs, u32 max, u32 flags, struct bpffs_map *inner,
	       struct bpffs_map **m)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags,
				    .inner_map = inner };

	snprintf(a.name, sizeof(a.name), "m%u", type);
	bpffs_vlog_reset(&vlog);
	return bpffs_map_create(&a, &vlog, m);
}

static struct bpffs_map *mk(u32 type, u32 ks, u32 vs, u32 max, u32 flags)
{
	struct bpffs_map *m = NULL;

	mk2(type, ks, vs, max, flags, NULL, &m);
	return m;
}

static void test_queue_stack(void)
{
	struct bpffs_map *q = mk(BPF_MAP_TYPE_QUEUE, 0, 4, 3, 0);
	struct bpffs_map *s = mk(BPF_MAP_TYPE_STACK, 0, 4, 3, 0);
	u32 v, i;

	TEST("queue/stack need key_size 0") {
		struct bpffs_map *m;

		CHECK_EQ(mk2(BPF_MAP_TYPE_QUEUE, 4, 4, 3, 0, NULL, &m), -EINVAL);
		CHECK_EQ(mk2(BPF_MAP_TYPE_STACK, 0, 4, 0, 0, NULL, &m), -EINVAL);
	}
	TEST("empty queue and stack: pop and peek are ENOENT") {
		CHECK(q && s);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), -ENOENT);
		CHECK_EQ(bpffs_map_peek_elem(s, &v), -ENOENT);
	}
	TEST("queue is FIFO, stack is LIFO; a full one refuses with E2BIG") {
		for (i = 1; i <= 3; i++) {
			CHECK_EQ(bpffs_map_push_elem(q, &i, 0), 0);
			CHECK_EQ(bpffs_map_push_elem(s, &i, 0), 0);
		}
		CHECK_EQ(bpffs_map_push_elem(q, &i, 0), -E2BIG);
		CHECK_EQ(bpffs_map_push_elem(s, &i, BPF_ANY), -E2BIG);
		CHECK_EQ(bpffs_map_peek_elem(q, &v), 0);
		CHECK_EQ(v, 1);
		CHECK_EQ(bpffs_map_peek_elem(s, &v), 0);
		CHECK_EQ(v, 3);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);
		CHECK_EQ(v, 1);
		CHECK_EQ(bpffs_map_pop_elem(s, &v), 0);
		CHECK_EQ(v, 3);
	}
	TEST("BPF_EXIST on a full queue drops the oldest value") {
		i = 4;
		CHECK_EQ(bpffs_map_push_elem(q, &i, 0), 0);	/* 2 3 4 */
		i = 5;
		CHECK_EQ(bpffs_map_push_elem(q, &i, BPF_EXIST), 0);	/* 3 4 5 */
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);
		CHECK_EQ(v, 3);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);
		CHECK_EQ(v, 4);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);
		CHECK_EQ(v, 5);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), -ENOENT);
		CHECK_EQ(bpffs_map_push_elem(q, &v, BPF_NOEXIST), -EINVAL);
	}
	TEST("queue wraps around its ring many times") {
		u32 bad = 0;

		for (i = 0; i < 100; i++) {
			bpffs_map_push_elem(q, &i, 0);
			if (bpffs_map_pop_elem(q, &v) || v != i)
				bad++;
		}
		CHECK_EQ(bad, 0);
	}
	TEST("queue lookup/update/delete are not supported") {
		u32 k = 0;

		CHECK_EQ(bpffs_map_update_elem(q, NULL, &k, 0), -EOPNOTSUPP);
		CHECK_EQ(bpffs_map_delete_elem(q, &k), -EOPNOTSUPP);
	}
	bpffs_map_put(q);
	bpffs_map_put(s);
}

static void test_bloom(void)
{
	struct bpffs_map *b = mk(BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 1000, 0);
	u64 v;
	u32 fp = 0;

	TEST("bloom filter: pushed values are found, absent ones mostly not") {
		CHECK(b != NULL);
		for (v = 0; v < 1000; v++)
			CHECK_EQ(bpffs_map_push_elem(b, &v, BPF_ANY), 0);
		for (v = 0; v < 1000; v++)
			CHECK_EQ(bpffs_map_peek_elem(b, &v), 0);
		for (v = 100000; v < 110000; v++)
			fp += bpffs_map_peek_elem(b, &v) == 0;
		CHECK(fp < 500);	/* ~1% expected with 5 hashes */
	}
	TEST("bloom filter: no pop, no delete, flags must be BPF_ANY, key_size must be 0") {
		struct bpffs_map *m;

		CHECK_EQ(bpffs_map_pop_elem(b, &v), -EOPNOTSUPP);
		CHECK_EQ(bpffs_map_delete_elem(b, &v), -EOPNOTSUPP);
		CHECK_EQ(bpffs_map_push_elem(b, &v, BPF_EXIST), -EINVAL);
		CHECK_EQ(mk2(BPF_MAP_TYPE_BLOOM_FILTER, 4, 8, 10, 0, NULL, &m), -EINVAL);
	}
	bpffs_map_put(b);
}

struct k4 {
	u32 plen;
	u8 d[4];
};
struct k16 {
	u32 plen;
	u8 d[16];
};

static struct k4 ip4(u32 plen, u8 a, u8 b, u8 c, u8 d)
{
	return (struct k4){ plen, { a, b, c, d } };
}

static u64 lpm4(struct bpffs_map *m, u8 a, u8 b, u8 c, u8 d)
{
	struct k4 k = ip4(32, a, b, c, d);
	u64 *v = m->ops->lookup(m, &k);

	return v ? *v : 0;
}

static int put4(struct bpffs_map *m, struct k4 k, u64 v, u64 flags)
{
	return bpffs_map_update_elem(m, &k, &v, flags);
}

static void test_lpm(void)
{
	struct bpffs_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC);
	struct k4 k;

	TEST("lpm_trie requires BPF_F_NO_PREALLOC and a data part in the key") {
		struct bpffs_map *x;

		CHECK_EQ(mk2(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, 0, NULL, &x), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "BPF_F_NO_PREALLOC");
		CHECK_EQ(mk2(BPF_MAP_TYPE_LPM_TRIE, 4, 8, 16, BPF_F_NO_PREALLOC, NULL, &x), -EINVAL);
	}
	TEST("lpm: empty trie matches nothing; /0 then matches everything") {
		CHECK(m != NULL);
		CHECK_EQ(lpm4(m, 1, 2, 3, 4), 0);
		CHECK_EQ(put4(m, ip4(0, 0, 0, 0, 0), 100, 0), 0);
		CHECK_EQ(lpm4(m, 1, 2, 3, 4), 100);
		CHECK_EQ(lpm4(m, 255, 255, 255, 255), 100);
	}
	TEST("lpm: overlapping prefixes resolve to the longest match") {
		CHECK_EQ(put4(m, ip4(8, 10, 0, 0, 0), 8, 0), 0);
		CHECK_EQ(put4(m, ip4(16, 10, 1, 0, 0), 16, 0), 0);
		CHECK_EQ(put4(m, ip4(24, 10, 1, 2, 0), 24, 0), 0);
		CHECK_EQ(put4(m, ip4(32, 10, 1, 2, 3), 32, 0), 0);
		CHECK_EQ(put4(m, ip4(12, 10, 16, 0, 0), 12, 0), 0);
		CHECK_EQ(lpm4(m, 10, 1, 2, 3), 32);
		CHECK_EQ(lpm4(m, 10, 1, 2, 4), 24);
		CHECK_EQ(lpm4(m, 10, 1, 3, 3), 16);
		CHECK_EQ(lpm4(m, 10, 2, 0, 0), 8);
		CHECK_EQ(lpm4(m, 10, 17, 0, 0), 12);
		CHECK_EQ(lpm4(m, 10, 32, 0, 0), 8);
		CHECK_EQ(lpm4(m, 11, 1, 2, 3), 100);
	}
	TEST("lpm: a shorter lookup prefix does not match longer entries") {
		k = ip4(20, 10, 1, 2, 3);
		CHECK_EQ(*(u64 *)m->ops->lookup(m, &k), 16);
	}
	TEST("lpm: update flags, prefix too long, exact-match delete") {
		u64 v;

		CHECK_EQ(put4(m, ip4(24, 10, 1, 2, 0), 25, BPF_NOEXIST), -EEXIST);
		CHECK_EQ(put4(m, ip4(24, 10, 1, 2, 0), 25, BPF_EXIST), 0);
		CHECK_EQ(lpm4(m, 10, 1, 2, 9), 25);
		CHECK_EQ(put4(m, ip4(23, 10, 1, 2, 0), 1, BPF_EXIST), -ENOENT);
		CHECK_EQ(put4(m, ip4(33, 10, 1, 2, 0), 1, 0), -EINVAL);
		k = ip4(23, 10, 1, 2, 0);
		CHECK_EQ(bpffs_map_delete_elem(m, &k), -ENOENT);
		k = ip4(24, 10, 1, 2, 0);
		CHECK_EQ(bpffs_map_delete_elem(m, &k), 0);
		CHECK_EQ(lpm4(m, 10, 1, 2, 9), 16);
		CHECK_EQ(lpm4(m, 10, 1, 2, 3), 32);
		/* a syscall-side lookup is a longest-prefix match too */
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, &v), 0);
		CHECK_EQ(v, 16);
		k = ip4(32, 10, 1, 2, 3);
		CHECK_EQ(bpffs_map_delete_elem(m, &k), 0);
		CHECK_EQ(lpm4(m, 10, 1, 2, 3), 16);
		k = ip4(0, 0, 0, 0, 0);
		CHECK_EQ(bpffs_map_delete_elem(m, &k), 0);
		CHECK_EQ(lpm4(m, 11, 1, 2, 3), 0);
	}
	TEST("lpm: next_key lists every prefix once, then ENOENT") {
		struct k4 cur, nk;
		u32 n = 0, sum = 0;
		void *prev = NULL;

		while (bpffs_map_get_next_key(m, prev, &nk) == 0 && n < 100) {
			sum += nk.plen;
			n++;
			cur = nk;
			prev = &cur;
		}
		CHECK_EQ(n, 3);	/* /8, /12, /16 remain */
		CHECK_EQ(sum, 8 + 12 + 16);
	}
	TEST("lpm: full trie refuses new prefixes with ENOSPC (as the kernel)") {
		struct bpffs_map *small = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 2, BPF_F_NO_PREALLOC);

		CHECK_EQ(put4(small, ip4(8, 1, 0, 0, 0), 1, 0), 0);
		CHECK_EQ(put4(small, ip4(8, 2, 0, 0, 0), 1, 0), 0);
		CHECK_EQ(put4(small, ip4(8, 3, 0, 0, 0), 1, 0), -ENOSPC);
		CHECK_EQ(put4(small, ip4(8, 2, 0, 0, 0), 2, 0), 0);
		bpffs_map_put(small);
	}
	bpffs_map_put(m);

	TEST("lpm IPv6: /128 host route beats /64 and /0") {
		struct bpffs_map *m6 = mk(BPF_MAP_TYPE_LPM_TRIE, 20, 8, 16, BPF_F_NO_PREALLOC);
		struct k16 a = { 0, { 0 } }, b = { 64, { 0x20, 0x01, 0x0d, 0xb8 } }, c = b;
		u64 v0 = 1, v64 = 64, v128 = 128, *r;

		c.plen = 128;
		c.d[15] = 1;
		CHECK_EQ(bpffs_map_update_elem(m6, &a, &v0, 0), 0);
		CHECK_EQ(bpffs_map_update_elem(m6, &b, &v64, 0), 0);
		CHECK_EQ(bpffs_map_update_elem(m6, &c, &v128, 0), 0);
		r = m6->ops->lookup(m6, &c);
		CHECK(r && *r == 128);
		c.d[15] = 2;
		r = m6->ops->lookup(m6, &c);
		CHECK(r && *r == 64);
		c.d[0] = 0x30;
		r = m6->ops->lookup(m6, &c);
		CHECK(r && *r == 1);
		bpffs_map_put(m6);
	}
	TEST("lpm with 3-byte data: byte-wise matching, /24 is the host length") {
		struct bpffs_map *m3 = mk(BPF_MAP_TYPE_LPM_TRIE, 7, 8, 8, BPF_F_NO_PREALLOC);
		u8 k[7] = { 0 };
		u64 v = 3, *r;

		CHECK(m3 != NULL);
		k[0] = 20;	/* prefixlen 20, little-endian u32 */
		k[4] = 0xab;
		k[5] = 0xcd;
		k[6] = 0xe0;
		CHECK_EQ(bpffs_map_update_elem(m3, k, &v, 0), 0);
		k[0] = 24;
		k[6] = 0xef;
		r = m3->ops->lookup(m3, k);
		CHECK(r && *r == 3);
		k[6] = 0xff;	/* differs in bit 19 */
		CHECK(m3->ops->lookup(m3, k) == NULL);
		k[0] = 25;
		CHECK_EQ(bpffs_map_update_elem(m3, k, &v, 0), -EINVAL);
		bpffs_map_put(m3);
	}
	TEST("lpm: random prefixes agree with a linear longest-match scan") {
		struct bpffs_map *r = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 300, BPF_F_NO_PREALLOC);
		struct k4 keys[200];
		u32 bad = 0, seed = 12345;

		for (int i = 0; i < 200; i++) {
			u32 ip;

			seed = seed * 1103515245 + 12345;
			ip = seed & 0xffff0000;
			keys[i] = ip4(8 + (seed >> 3) % 25, ip >> 24, (ip >> 16) & 0xff, 0, 0);
			put4(r, keys[i], i + 1, 0);
		}
		for (u32 t = 0; t < 2000; t++) {
			u32 best = 0, bestlen = 0, ip, got;

			seed = seed * 1103515245 + 12345;
			ip = seed & 0xffff0000;
			for (int i = 199; i >= 0; i--) {	/* later updates win on equal keys */
				u32 kip = (u32)keys[i].d[0] << 24 | (u32)keys[i].d[1] << 16;
				u32 mask = keys[i].plen ? ~0U << (32 - keys[i].plen) : 0;

				if ((ip & mask) == (kip & mask) && keys[i].plen >= bestlen &&
				    (!best || keys[i].plen > bestlen)) {
					best = i + 1;
					bestlen = keys[i].plen;
				}
			}
			got = (u32)lpm4(r, ip >> 24, (ip >> 16) & 0xff, 0, 0);
			if (got != best) {
				/* equal (plen, masked data) keys: the last update wins */
				u64 *v = NULL;

				if (best) {
					struct k4 kk = keys[best - 1];

					v = r->ops->lookup(r, &kk);
				}
				if (!v || *v != got)
					bad++;
			}
		}
		CHECK_EQ(bad, 0);
		bpffs_map_put(r);
	}
}

struct rec_log {
	u32 n;
	u32 sizes[64];
	u8 first[64];
};

static int rec_cb(void *arg, const void *data, u32 size)
{
	struct rec_log *l = arg;

	if (l->n < 64) {
		l->sizes[l->n] = size;
		l->first[l->n] = size ? *(const u8 *)data : 0;
	}
	l->n++;
	return 0;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void test_ringbuf(void)
{
	struct bpffs_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	struct rec_log l = { 0 };
	u8 buf[1000];

	TEST("ringbuf size must be a power of two multiple of the page size") {
		struct bpffs_map *x;

		CHECK_EQ(mk2(BPF_MAP_TYPE_RINGBUF, 0, 0, 6000, 0, NULL, &x), -EINVAL);
		CHECK_EQ(mk2(BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0, NULL, &x), -EINVAL);
	}
	TEST("ringbuf reserve/submit/discard keep producer and consumer positions") {
		u8 *a, *b;

		CHECK(rb != NULL);
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_RING_SIZE), 4096);
		a = bpffs_ringbuf_reserve(rb, 10, 0);
		b = bpffs_ringbuf_reserve(rb, 3, 0);
		CHECK(a && b);
		/* 8-byte header, length rounded up to 8 */
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_PROD_POS), 24 + 16);
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_AVAIL_DATA), 40);
		b[0] = 'b';
		bpffs_ringbuf_submit(b, 0);
		/* a is still busy: the consumer must not pass it */
		CHECK_EQ(bpffs_ringbuf_consume(rb, rec_cb, &l), 0);
		bpffs_ringbuf_discard(a, 0);
		CHECK_EQ(bpffs_ringbuf_consume(rb, rec_cb, &l), 1);
		CHECK_EQ(l.sizes[0], 3);
		CHECK_EQ(l.first[0], 'b');
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_CONS_POS), 40);
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_AVAIL_DATA), 0);
	}
	TEST("ringbuf: reserve flags must be 0; full ring fails the reservation") {
		CHECK(bpffs_ringbuf_reserve(rb, 8, 1) == NULL);
		CHECK(bpffs_ringbuf_reserve(rb, 4096, 0) == NULL);
		for (int i = 0; i < 4; i++)
			CHECK_EQ(bpffs_ringbuf_output(rb, buf, 1000, 0), 0);
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 1000, 0), -EAGAIN);
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 8, 4), -EINVAL);
		l.n = 0;
		CHECK_EQ(bpffs_ringbuf_consume(rb, rec_cb, &l), 4);
	}
	TEST("ringbuf: records wrap around the end and stay contiguous") {
		u32 bad = 0;

		l.n = 0;
		for (int i = 0; i < 50; i++) {
			memset(buf, i, sizeof(buf));
			CHECK_EQ(bpffs_ringbuf_output(rb, buf, 700 + i, 0), 0);
			CHECK_EQ(bpffs_ringbuf_output(rb, buf, 300, 0), 0);
			l.n = 0;
			if (bpffs_ringbuf_consume(rb, rec_cb, &l) != 2 || l.first[0] != (u8)i ||
			    l.sizes[0] != 700u + i)
				bad++;
		}
		CHECK_EQ(bad, 0);
		CHECK(bpffs_ringbuf_query(rb, BPF_RB_CONS_POS) > 4 * 4096);
		CHECK_EQ(bpffs_ringbuf_query(rb, BPF_RB_CONS_POS),
			 bpffs_ringbuf_query(rb, BPF_RB_PROD_POS));
	}
	TEST("ringbuf wakeups: adaptive by default, none with NO_WAKEUP, always with FORCE") {
		int fd = bpffs_ringbuf_poll_fd(rb);

		CHECK(fd >= 0);
		l.n = 0;
		bpffs_ringbuf_consume(rb, rec_cb, &l);	/* drains the eventfd */
		CHECK(!readable(fd));
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 8, BPF_RB_NO_WAKEUP), 0);
		CHECK(!readable(fd));
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 8, 0), 0);
		CHECK(!readable(fd));	/* consumer was behind: no new wakeup */
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 8, BPF_RB_FORCE_WAKEUP), 0);
		CHECK(readable(fd));
		CHECK_EQ(bpffs_ringbuf_consume(rb, rec_cb, &l), 3);
		CHECK(!readable(fd));
		CHECK_EQ(bpffs_ringbuf_output(rb, buf, 8, 0), 0);
		CHECK(readable(fd));	/* consumer had caught up */
	}
	bpffs_map_put(rb);
}

static void test_perf_event_array(void)
{
	struct bpffs_map *pa = mk(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0);
	struct rec_log l = { 0 };
	u8 data[3000] = { 7 };

	TEST("perf_event_array: output to an unopened index is ENOENT, bad index E2BIG") {
		CHECK(pa != NULL);
		CHECK_EQ(bpffs_perf_event_output(pa, 1, data, 4), -ENOENT);
		CHECK_EQ(bpffs_perf_event_output(pa, 9, data, 4), -E2BIG);
		CHECK_EQ(bpffs_perf_event_output(pa, 1ULL << 40, data, 4), -EINVAL);
	}
	TEST("perf_event_array: records reach the opened index; full ring counts lost") {
		CHECK_EQ(bpffs_perf_event_array_open(pa, 1, 4096), 0);
		CHECK_EQ(bpffs_perf_event_array_open(pa, 1, 4096), -EEXIST);
		CHECK_EQ(bpffs_perf_event_output(pa, 1, data, 3000), 0);
		CHECK_EQ(bpffs_perf_event_output(pa, 1, data, 3000), -ENOSPC);
		CHECK_EQ(bpffs_perf_event_lost(pa, 1), 1);
		CHECK_EQ(bpffs_perf_event_consume(pa, 1, rec_cb, &l), 1);
		CHECK_EQ(l.sizes[0], 3000);
		CHECK_EQ(l.first[0], 7);
	}
	TEST("perf_event_array: BPF_F_CURRENT_CPU uses the caller's slot; delete closes") {
		u32 k = 2;

		CHECK_EQ(bpffs_cpu_slot_set(2), 0);
		CHECK_EQ(bpffs_perf_event_array_open(pa, 2, 8192), 0);
		CHECK_EQ(bpffs_perf_event_output(pa, BPF_F_CURRENT_CPU, data, 10), 0);
		l.n = 0;
		CHECK_EQ(bpffs_perf_event_consume(pa, 2, rec_cb, &l), 1);
		CHECK_EQ(bpffs_map_delete_elem(pa, &k), 0);
		CHECK_EQ(bpffs_map_delete_elem(pa, &k), -ENOENT);
		CHECK_EQ(bpffs_perf_event_output(pa, 2, data, 10), -ENOENT);
	}
	bpffs_map_put(pa);
}

static struct bpffs_prog *mkprog(const char *name)
{
	struct bpf_insn insns[] = { BPFFS_MOV64_IMM(0, 1), BPFFS_EXIT() };
	struct bpffs_prog *p = NULL;

	bpffs_prog_alloc(name, BPF_PROG_TYPE_SOCKET_FILTER, insns, 2, &p);
	return p;
}

static void test_prog_array(void)
{
	struct bpffs_map *pa = mk(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	struct bpffs_prog *p = mkprog("a"), *q = mkprog("b");
	u32 k = 1, id;

	TEST("prog_array slots hold references and read back through prog_array_get") {
		CHECK(pa && p && q);
		p->id = 11;
		CHECK(bpffs_prog_array_get(pa, 1) == NULL);
		CHECK_EQ(bpffs_prog_array_update(pa, 1, p), 0);
		CHECK_EQ(p->refcnt, 2);
		CHECK(bpffs_prog_array_get(pa, 1) == p);
		CHECK(bpffs_prog_array_get(pa, 4) == NULL);
		CHECK_EQ(bpffs_prog_array_update(pa, 4, p), -E2BIG);
		CHECK_EQ(bpffs_map_lookup_elem(pa, &k, &id), 0);
		CHECK_EQ(id, 11);
	}
	TEST("prog_array: replacing a slot drops the old reference after a grace period") {
		CHECK_EQ(bpffs_prog_array_update(pa, 1, q), 0);
		bpffs_rcu_barrier();
		CHECK_EQ(p->refcnt, 1);
		CHECK_EQ(bpffs_map_delete_elem(pa, &k), 0);
		CHECK_EQ(bpffs_map_delete_elem(pa, &k), -ENOENT);
		bpffs_rcu_barrier();
		CHECK_EQ(q->refcnt, 1);
		CHECK_EQ(bpffs_map_update_elem(pa, &k, &id, 0), -EOPNOTSUPP);
	}
	bpffs_map_put(pa);
	bpffs_prog_put(p);
	bpffs_prog_put(q);
}

static void test_map_in_map(void)
{
	struct bpffs_map *tmpl = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct bpffs_map *in1 = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct bpffs_map *bad = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0);
	struct bpffs_map *ao = NULL, *ho = NULL;
	u32 k = 0, id;

	TEST("array_of_maps: needs a template; inner maps must match it") {
		CHECK_EQ(mk2(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, NULL, &ao), -EINVAL);
		CHECK_EQ(mk2(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, tmpl, &ao), 0);
		CHECK_EQ(bpffs_map_in_map_update(ao, &k, bad, 0, &vlog), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "does not match the inner map template");
		CHECK_EQ(bpffs_map_in_map_update(ao, &k, ao, 0, NULL), -EOPNOTSUPP);
	}
	TEST("array_of_maps: lookup from a program returns the inner map") {
		in1->id = 77;
		CHECK_EQ(bpffs_map_in_map_update(ao, &k, in1, 0, NULL), 0);
		CHECK(ao->ops->lookup(ao, &k) == in1);
		CHECK_EQ(bpffs_map_lookup_elem(ao, &k, &id), 0);
		CHECK_EQ(id, 77);
		CHECK_EQ(in1->refcnt, 2);
		k = 5;
		CHECK_EQ(bpffs_map_in_map_update(ao, &k, in1, 0, NULL), -E2BIG);
		k = 0;
		CHECK_EQ(bpffs_map_delete_elem(ao, &k), 0);
		CHECK(ao->ops->lookup(ao, &k) == NULL);
		bpffs_rcu_barrier();
		CHECK_EQ(in1->refcnt, 1);
	}
	TEST("hash_of_maps: insert, lookup, replace and delete inner maps") {
		u64 key = 42;

		CHECK_EQ(mk2(BPF_MAP_TYPE_HASH_OF_MAPS, 8, 4, 2, 0, tmpl, &ho), 0);
		CHECK_EQ(bpffs_map_in_map_update(ho, &key, in1, BPF_NOEXIST, NULL), 0);
		CHECK(ho->ops->lookup(ho, &key) == in1);
		CHECK_EQ(bpffs_map_in_map_update(ho, &key, in1, BPF_NOEXIST, NULL), -EEXIST);
		CHECK_EQ(bpffs_map_lookup_elem(ho, &key, &id), 0);
		CHECK_EQ(id, 77);
		CHECK_EQ(bpffs_map_delete_elem(ho, &key), 0);
		bpffs_rcu_barrier();
		CHECK_EQ(in1->refcnt, 1);
		CHECK_EQ(bpffs_map_in_map_update(ho, &key, in1, 0, NULL), 0);
	}
	bpffs_map_put(ho);	/* drops the inner map it still holds */
	bpffs_map_put(ao);
	bpffs_rcu_barrier();
	TEST("destroying the outer map releases inner maps and the template") {
		CHECK_EQ(in1->refcnt, 1);
		CHECK_EQ(tmpl->refcnt, 1);
	}
	bpffs_map_put(tmpl);
	bpffs_map_put(in1);
	bpffs_map_put(bad);
}

static void test_devmap(void)
{
	struct bpffs_map *dm = mk(BPF_MAP_TYPE_DEVMAP, 4, 4, 8, 0);
	struct bpffs_map *cm = mk(BPF_MAP_TYPE_CPUMAP, 4, 4, 4, 0);
	u32 k = 3, ifi = 1, t = 0;

	TEST("devmap: entries store an ifindex and give the redirect target") {
		CHECK(dm && cm);
		CHECK_EQ(dm->ops->redirect(dm, 3, &t), -ENOENT);
		CHECK_EQ(bpffs_map_update_elem(dm, &k, &ifi, 0), 0);
		CHECK_EQ(dm->ops->redirect(dm, 3, &t), 0);
		CHECK_EQ(t, 1);
		CHECK_EQ(bpffs_map_update_elem(dm, &k, &ifi, BPF_NOEXIST), -EEXIST);
		CHECK_EQ(bpffs_map_delete_elem(dm, &k), 0);
		CHECK_EQ(bpffs_map_delete_elem(dm, &k), -ENOENT);
		k = 8;
		CHECK_EQ(bpffs_map_update_elem(dm, &k, &ifi, 0), -E2BIG);
	}
	TEST("cpumap: the redirect target is the CPU slot (the key)") {
		u32 qsize = 192;

		k = 2;
		CHECK_EQ(bpffs_map_update_elem(cm, &k, &qsize, 0), 0);
		CHECK_EQ(cm->ops->redirect(cm, 2, &t), 0);
		CHECK_EQ(t, 2);
	}
	bpffs_map_put(dm);
	bpffs_map_put(cm);
}

int main(void)
{
	test_queue_stack();
	test_bloom();
	test_lpm();
	test_ringbuf();
	test_perf_event_array();
	test_prog_array();
	test_map_in_map();
	test_devmap();
	bpffs_rcu_barrier();
	return harness_done();
}
