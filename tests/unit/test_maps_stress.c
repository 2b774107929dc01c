// SPDX-License-Identifier: MIT
/*
 * Concurrency stress test of src/maps, meant to run under ThreadSanitizer
 * (`make check-tsan`) as well as in the plain unit run. Several threads at
 * once: atomic adds on one counter through lookup pointers (the sum must be
 * exact), insert/lookup/delete of private keys in a shared hash while other
 * threads replace shared keys (no element lost, values never torn, memory
 * reclaimed only after readers are done), LRU updates past capacity, per-CPU
 * counters incremented with plain stores (exact because slots are
 * exclusive), ring buffer producers against one consumer, queue push/pop and
 * LPM updates against lookups. Iterations scale with BPFFS_STRESS_SCALE.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "maps/maps.h"

#define NTHREADS 4

static u32 iters = 20000;
static struct bpffs_map *counter, *shared, *lru, *pcpu, *rb, *queue, *lpm;
static _Atomic u64 lost_elems, torn_values, lru_errors, rb_produced, q_pushed, q_popped;
static _Atomic u64 lpm_bad;
static _Atomic int producers_done;

static struct bpffs_map *mk(u32 type, u32 ks, u32 vs, u32 max, u32 flags)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags };
	struct bpffs_map *m = NULL;

	snprintf(a.name, sizeof(a.name), "stress%u", type);
	bpffs_map_create(&a, NULL, &m);
	return m;
}

/* Values are (key, ~key) pairs: a torn or recycled value shows as a mismatch. */
struct pair {
	u64 a, b;
};

static void program_like_add(void)
{
	u32 k = 0;
	u64 *v;

	bpffs_rcu_read_lock();
	v = counter->ops->lookup(counter, &k);
	__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
	bpffs_rcu_read_unlock();
}

static void private_keys(u32 t, u32 i)
{
	u64 key = ((u64)(t + 1) << 32) | i;	/* never 1..8, the shared keys */
	struct pair p = { key, ~key }, *got;

	if (bpffs_map_update_elem(shared, &key, &p, BPF_NOEXIST))
		atomic_fetch_add(&lost_elems, 1);
	bpffs_rcu_read_lock();
	got = shared->ops->lookup(shared, &key);
	if (!got || got->a != key || got->b != ~key)
		atomic_fetch_add(&lost_elems, 1);
	bpffs_rcu_read_unlock();
	if (i % 2 && bpffs_map_delete_elem(shared, &key))
		atomic_fetch_add(&lost_elems, 1);
}

/* Shared keys 1..8 are replaced by everyone; readers must always see whole pairs. */
static void shared_keys(u32 i)
{
	u64 key = 1 + i % 8, n = i;
	struct pair p = { n, ~n }, *got;

	bpffs_map_update_elem(shared, &key, &p, BPF_ANY);
	bpffs_rcu_read_lock();
	got = shared->ops->lookup(shared, &key);
	if (got && got->b != ~got->a)
		atomic_fetch_add(&torn_values, 1);
	bpffs_rcu_read_unlock();
}

static void lru_ops(u32 t, u32 i)
{
	u32 key = (i * 7919 + t) % 5000;
	u64 v = key, *got;

	if (bpffs_map_update_elem(lru, &key, &v, BPF_ANY))
		atomic_fetch_add(&lru_errors, 1);
	bpffs_rcu_read_lock();
	got = lru->ops->lookup(lru, &key);
	if (got && *got != key)
		atomic_fetch_add(&lru_errors, 1);
	bpffs_rcu_read_unlock();
}

static void percpu_add(void)
{
	u32 k = 0;
	u64 *v;

	bpffs_rcu_read_lock();
	v = pcpu->ops->lookup(pcpu, &k);
	(*v)++;	/* plain: the slot belongs to this thread */
	bpffs_rcu_read_unlock();
}

static void ring_and_queue(u32 t, u32 i)
{
	u64 rec[2] = { t, i };

	bpffs_rcu_read_lock();
	if (!bpffs_ringbuf_output(rb, rec, sizeof(rec), 0))
		atomic_fetch_add(&rb_produced, 1);
	bpffs_rcu_read_unlock();
	if (!bpffs_map_push_elem(queue, &rec[1], 0))
		atomic_fetch_add(&q_pushed, 1);
	if (!bpffs_map_pop_elem(queue, &rec[1]))
		atomic_fetch_add(&q_popped, 1);
}

struct lpm_key {
	u32 plen;
	u8 d[4];
};

static void lpm_ops(u32 t, u32 i)
{
	struct lpm_key k = { 16 + i % 17, { 10, (u8)t, (u8)(i >> 8), (u8)i } };
	struct lpm_key probe = { 32, { 10, (u8)t, (u8)(i >> 8), (u8)i } };
	u64 v = 10, *got;

	if (i % 3 == 2)
		bpffs_map_delete_elem(lpm, &k);
	else
		bpffs_map_update_elem(lpm, &k, &v, BPF_ANY);
	bpffs_rcu_read_lock();
	got = lpm->ops->lookup(lpm, &probe);	/* the /8 for 10.0.0.0 always matches */
	if (!got || (*got != 10 && *got != 8))
		atomic_fetch_add(&lpm_bad, 1);
	bpffs_rcu_read_unlock();
}

static void *worker(void *arg)
{
	u32 t = (u32)(uintptr_t)arg;

	for (u32 i = 0; i < iters; i++) {
		program_like_add();
		private_keys(t, i);
		shared_keys(i + t);
		lru_ops(t, i);
		percpu_add();
		if (i % 4 == 0)
			ring_and_queue(t, i);
		if (i % 8 == 0)
			lpm_ops(t, i);
	}
	return NULL;
}

static int consume_cb(void *arg, const void *data, u32 size)
{
	u64 *n = arg;

	(*n)++;
	return size == 16 ? 0 : -EINVAL;
}

static void *consumer(void *arg)
{
	u64 *n = arg;

	while (!atomic_load(&producers_done))
		bpffs_ringbuf_consume(rb, consume_cb, n);
	bpffs_ringbuf_consume(rb, consume_cb, n);
	return NULL;
}

static u64 count_keys(struct bpffs_map *m, u32 ks)
{
	u8 cur[16], next[16];
	u64 n = 0;
	void *prev = NULL;

	while (bpffs_map_get_next_key(m, prev, next) == 0 && n < 10000000) {
		memcpy(cur, next, ks);
		prev = cur;
		n++;
	}
	return n;
}

int main(void)
{
	pthread_t th[NTHREADS], cons;
	const char *scale = getenv("BPFFS_STRESS_SCALE");
	u64 consumed = 0, sum = 0;
	struct lpm_key base = { 8, { 10, 0, 0, 0 } };
	u64 eight = 8, zero = 0;
	u32 k0 = 0, n = bpffs_nr_cpus();
	u64 *slots = calloc(n, 8);

	if (scale)
		iters = (u32)(iters * atof(scale));
	counter = mk(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	shared = mk(BPF_MAP_TYPE_HASH, 8, 16, NTHREADS * iters + 64, 0);
	lru = mk(BPF_MAP_TYPE_LRU_HASH, 4, 8, 1000, 0);
	pcpu = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
	rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 16, 0);
	queue = mk(BPF_MAP_TYPE_QUEUE, 0, 8, 64, 0);
	lpm = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 100000, BPF_F_NO_PREALLOC);
	bpffs_map_update_elem(counter, &k0, &zero, 0);
	bpffs_map_update_elem(lpm, &base, &eight, 0);

	pthread_create(&cons, NULL, consumer, &consumed);
	for (u32 t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t);
	for (u32 t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	atomic_store(&producers_done, 1);
	pthread_join(cons, NULL);

	TEST("atomic adds through lookup pointers from 4 threads sum exactly") {
		u64 v = 0;

		CHECK_EQ(bpffs_map_lookup_elem(counter, &k0, &v), 0);
		CHECK_EQ(v, (u64)NTHREADS * iters);
	}
	TEST("no private key lost or misread while others replace shared keys") {
		CHECK_EQ(atomic_load(&lost_elems), 0);
		CHECK_EQ(atomic_load(&torn_values), 0);
		/* odd i were deleted: half the private keys plus the 8 shared ones remain */
		CHECK_EQ(count_keys(shared, 8), (u64)NTHREADS * (iters - iters / 2) + 8);
	}
	TEST("LRU under contention: no failed update, never more than max_entries keys") {
		CHECK_EQ(atomic_load(&lru_errors), 0);
		CHECK(count_keys(lru, 4) <= 1000);
	}
	TEST("per-CPU counters updated with plain stores sum exactly over all slots") {
		CHECK_EQ(bpffs_map_lookup_elem(pcpu, &k0, slots), 0);
		for (u32 i = 0; i < n; i++)
			sum += slots[i];
		CHECK_EQ(sum, (u64)NTHREADS * iters);
	}
	TEST("ring buffer: the consumer got every record the producers committed") {
		CHECK(atomic_load(&rb_produced) > 0);
		CHECK_EQ(consumed, atomic_load(&rb_produced));
	}
	TEST("queue: every push was popped or is still queued") {
		u64 v, rest = 0;

		while (bpffs_map_pop_elem(queue, &v) == 0)
			rest++;
		CHECK_EQ(atomic_load(&q_pushed), atomic_load(&q_popped) + rest);
	}
	TEST("LPM lookups during concurrent updates always find a covering prefix") {
		CHECK_EQ(atomic_load(&lpm_bad), 0);
	}
	bpffs_map_put(counter);
	bpffs_map_put(shared);
	bpffs_map_put(lru);
	bpffs_map_put(pcpu);
	bpffs_map_put(rb);
	bpffs_map_put(queue);
	bpffs_map_put(lpm);
	bpffs_rcu_barrier();
	free(slots);
	return harness_done();
}
