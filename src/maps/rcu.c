// SPDX-License-Identifier: MIT
/*
 * Epoch-based reclamation: the user-space stand-in for the kernel's RCU that
 * map elements, inner maps and prog-array slots are retired through. It is
 * ours rather than liburcu's so that ThreadSanitizer sees every ordering (C11
 * atomics only) and so threads need no explicit registration.
 *
 * A global epoch only moves from E to E+1 when every thread inside a
 * read-side section entered it at E. Memory retired at epoch E is therefore
 * unreachable for every reader once the global epoch reaches E+2. A single
 * reclaimer thread, started on the first bpffs_rcu_call, advances the epoch
 * and runs callbacks in the order they were queued (so a map's own free runs
 * after the elements it retired earlier). Not here: sleepable RCU, per-CPU
 * callback queues.
 *
 * Read side cost: where membarrier(2) PRIVATE_EXPEDITED works, readers only
 * store their epoch (no fence) and the reclaimer forces the barrier on every
 * thread before it looks at them, as liburcu's "memb" flavour does. Under
 * ThreadSanitizer, which cannot see membarrier, readers use a seq_cst
 * exchange instead, so the sanitizer checks the same protocol with fences.
 */
#include <assert.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct rcu_reader {
	_Atomic u64 epoch;		/* 0 while quiescent */
	u32 nest;			/* owner thread only */
	struct rcu_reader *next;	/* protected by rcu.readers_lock */
	struct rcu_reader *prev;
};

static struct {
	_Atomic u64 epoch;
	pthread_mutex_t readers_lock;	/* reader list; also serialises advancing */
	struct rcu_reader *readers;
	_Atomic(struct bpffs_rcu_head *) incoming; /* LIFO of new callbacks */
	_Atomic u64 queued;		/* callbacks ever queued */
	_Atomic u64 done;		/* callbacks ever run */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;		/* reclaimer waits here */
	pthread_cond_t progress;	/* barrier waiters wait here */
	atomic_bool idle;		/* reclaimer waits for a signal */
	pthread_once_t once;
	pthread_key_t key;
} rcu = {
	.epoch = 1,
	.readers_lock = PTHREAD_MUTEX_INITIALIZER,
	.wake_lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.progress = PTHREAD_COND_INITIALIZER,
	.once = PTHREAD_ONCE_INIT,
};

static __thread struct rcu_reader *rcu_self;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;
static bool rcu_memb;		/* readers skip the fence; set once before any reader */

#if defined(__SANITIZE_THREAD__)
#define RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RCU_TSAN 1
#endif
#endif

static void rcu_memb_init(void)
{
#ifndef RCU_TSAN
	rcu_memb = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
}

/* Reclaimer side: make every reader's epoch store visible before we scan. */
static void rcu_memb_fence(void)
{
	if (rcu_memb && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		abort();	/* registered earlier; cannot fail now */
}

static void rcu_reader_exit(void *arg)
{
	struct rcu_reader *r = arg;

	pthread_mutex_lock(&rcu.readers_lock);
	if (r->prev)
		r->prev->next = r->next;
	else
		rcu.readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	pthread_mutex_unlock(&rcu.readers_lock);
	free(r);
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu.key, rcu_reader_exit);
	rcu_memb_init();
}

static struct rcu_reader *rcu_reader_register(void)
{
	struct rcu_reader *r = calloc(1, sizeof(*r));

	if (!r)
		abort();	/* cannot run a reader safely without its record */
	pthread_once(&rcu_key_once, rcu_key_init);
	pthread_mutex_lock(&rcu.readers_lock);
	r->next = rcu.readers;
	if (r->next)
		r->next->prev = r;
	rcu.readers = r;
	pthread_mutex_unlock(&rcu.readers_lock);
	pthread_setspecific(rcu.key, r);
	rcu_self = r;
	return r;
}

void bpffs_rcu_read_lock(void)
{
	struct rcu_reader *r = rcu_self;

	if (unlikely(!r))
		r = rcu_reader_register();
	u64 e;

	if (r->nest++)
		return;
	e = atomic_load_explicit(&rcu.epoch, memory_order_relaxed);
	if (likely(rcu_memb)) {
		/* the reclaimer's membarrier orders this store before our loads */
		atomic_store_explicit(&r->epoch, e, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		return;
	}
	/*
	 * The exchange is a full barrier on x86: our later pointer loads cannot
	 * be satisfied before the reclaimer can see us active.
	 */
	atomic_exchange_explicit(&r->epoch, e, memory_order_seq_cst);
#ifndef __x86_64__
	atomic_thread_fence(memory_order_seq_cst);
#endif
}

void bpffs_rcu_read_unlock(void)
{
	struct rcu_reader *r = rcu_self;

	assert(r && r->nest);
	if (--r->nest)
		return;
	atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

bool bpffs_rcu_read_held(void)
{
	return rcu_self && rcu_self->nest;
}

/* Move the epoch forward if every active reader has caught up. Returns the epoch. */
static u64 rcu_try_advance(void)
{
	struct rcu_reader *r;
	u64 e;

	pthread_once(&rcu_key_once, rcu_key_init);	/* rcu_memb is settled */
	pthread_mutex_lock(&rcu.readers_lock);
	rcu_memb_fence();
	e = atomic_load_explicit(&rcu.epoch, memory_order_seq_cst);
	for (r = rcu.readers; r; r = r->next) {
		u64 re = atomic_load_explicit(&r->epoch, memory_order_seq_cst);

		if (re && re != e)
			goto out;
	}
	e++;
	atomic_store_explicit(&rcu.epoch, e, memory_order_seq_cst);
out:
	pthread_mutex_unlock(&rcu.readers_lock);
	return e;
}

void bpffs_rcu_synchronize(void)
{
	u64 target = atomic_load_explicit(&rcu.epoch, memory_order_seq_cst) + 2;
	struct timespec ts = { 0, 50000 };

	assert(!bpffs_rcu_read_held());
	while (rcu_try_advance() < target)
		nanosleep(&ts, NULL);
}

/* Reclaimer state, owned by the reclaimer thread. */
static struct bpffs_rcu_head *rcu_wait_head, **rcu_wait_tail = &rcu_wait_head;

static void rcu_take_incoming(void)
{
	struct bpffs_rcu_head *list, *rev = NULL, *next;

	list = atomic_exchange_explicit(&rcu.incoming, NULL, memory_order_acquire);
	for (; list; list = next) {	/* LIFO -> FIFO */
		next = list->next;
		list->next = rev;
		rev = list;
	}
	for (; rev; rev = next) {
		next = rev->next;
		rev->next = NULL;
		*rcu_wait_tail = rev;
		rcu_wait_tail = &rev->next;
	}
}

/* Run the callbacks at the front of the queue whose grace period is over. */
static u64 rcu_run_ready(u64 epoch)
{
	struct bpffs_rcu_head *h;
	u64 n = 0;

	while ((h = rcu_wait_head) && h->epoch + 2 <= epoch) {
		rcu_wait_head = h->next;
		if (!rcu_wait_head)
			rcu_wait_tail = &rcu_wait_head;
		h->fn(h);
		n++;
	}
	return n;
}

static void *rcu_reclaimer(void *arg)
{
	struct timespec ts = { 0, 200000 };

	for (;;) {
		u64 n;

		pthread_mutex_lock(&rcu.wake_lock);
		for (;;) {
			/* idle before the check (seq_cst both sides): no lost wakeup */
			atomic_store(&rcu.idle, true);
			if (rcu_wait_head || atomic_load(&rcu.incoming))
				break;
			pthread_cond_wait(&rcu.wake, &rcu.wake_lock);
		}
		atomic_store(&rcu.idle, false);
		pthread_mutex_unlock(&rcu.wake_lock);

		rcu_take_incoming();
		n = rcu_run_ready(rcu_try_advance());
		if (n) {
			pthread_mutex_lock(&rcu.wake_lock);
			atomic_fetch_add(&rcu.done, n);
			pthread_cond_broadcast(&rcu.progress);
			pthread_mutex_unlock(&rcu.wake_lock);
		} else {
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void rcu_start(void)
{
	pthread_t t;
	pthread_attr_t a;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, rcu_reclaimer, NULL))
		abort();	/* no reclaimer: memory could never be freed safely */
	pthread_attr_destroy(&a);
}

void bpffs_rcu_call(struct bpffs_rcu_head *head, void (*fn)(struct bpffs_rcu_head *head))
{
	struct bpffs_rcu_head *old;

	pthread_once(&rcu.once, rcu_start);
	head->fn = fn;
	head->epoch = atomic_load_explicit(&rcu.epoch, memory_order_seq_cst);
	old = atomic_load_explicit(&rcu.incoming, memory_order_relaxed);
	do {
		head->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&rcu.incoming, &old, head,
							memory_order_seq_cst,
							memory_order_relaxed));
	atomic_fetch_add(&rcu.queued, 1);
	/*
	 * Wake the reclaimer only when it sleeps on the condition (idle is set
	 * under wake_lock before it waits and it re-checks incoming first, so
	 * no wakeup is lost); while it has work it polls on its own.
	 */
	if (atomic_load(&rcu.idle)) {	/* seq_cst, after the seq_cst push */
		pthread_mutex_lock(&rcu.wake_lock);
		pthread_cond_signal(&rcu.wake);
		pthread_mutex_unlock(&rcu.wake_lock);
	}
}

void bpffs_rcu_barrier(void)
{
	u64 target = atomic_load(&rcu.queued);

	assert(!bpffs_rcu_read_held());
	pthread_mutex_lock(&rcu.wake_lock);
	while (atomic_load(&rcu.done) < target) {
		pthread_cond_signal(&rcu.wake);
		pthread_cond_wait(&rcu.progress, &rcu.wake_lock);
	}
	pthread_mutex_unlock(&rcu.wake_lock);
}
