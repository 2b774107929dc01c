// SPDX-License-Identifier: MIT
/*
 * Timer hooks (hooks/timer/PERIOD): SEC("timer") programs, and SEC("perf_event")
 * ones as an alias, run once per period on one shared thread that sleeps
 * until the earliest deadline (a sorted-deadline timer, not a wheel: a
 * handful of periods is the expected load). Deadlines are start + k*period,
 * so lateness never accumulates; when the thread wakes late the run's
 * context says how many expirations passed (missed ticks are counted, never
 * silently lost). Not here: per-timer threads, CPU-time clocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>

#include "internal.h"
#include "../core/object.h"
#include "bpffs/hooks.h"

struct timer_hook {
	u64 period_ns;
	u64 next_ns;			/* protected by tw.lock */
	bool armed;			/* protected by tw.lock */
	struct bpffs_hook *hook;
	struct timer_hook *next;	/* armed list, protected by tw.lock */
};

/* The one timer thread and the list of armed timers. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_once_t once;
	pthread_t thread;
	bool realtime;			/* protected by lock */
	struct timer_hook *armed;
} tw = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

static bool timer_accepts(u32 type)
{
	return type == BPFFS_PROG_TYPE_TIMER || type == BPF_PROG_TYPE_PERF_EVENT;
}

static const struct {
	const char *unit;
	u64 ns;
} timer_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
	{ "min", 60000000000ull },
};

#define TIMER_MIN_NS 1000ull			/* 1us */
#define TIMER_MAX_NS 3600000000000ull		/* 1h */

/* "500us", "10ms", "1s": a decimal count and a unit, between 1us and 1h. */
static int timer_parse(struct bpffs_hook *hook, const char *target, struct bpffs_vlog *log)
{
	struct timer_hook *t = hook->priv;
	char *end;
	unsigned long long v;

	t->hook = hook;
	if (*target < '0' || *target > '9')
		goto err_bad;
	v = strtoull(target, &end, 10);
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(timer_units); i++) {
		if (strcmp(end, timer_units[i].unit))
			continue;
		if (v > TIMER_MAX_NS / timer_units[i].ns || v * timer_units[i].ns < TIMER_MIN_NS) {
			bpffs_vlog_printf(log, "hooks/timer/%s: period must be between 1us and "
					  "1h\n", target);
			return -EINVAL;
		}
		t->period_ns = v * timer_units[i].ns;
		return 0;
	}
err_bad:
	bpffs_vlog_printf(log, "hooks/timer/%s: not a period; write a number and a unit "
			  "(ns, us, ms, s, min), e.g. 10ms\n", target);
	return -EINVAL;
}

/*
 * Run every link of @t once for @exp expirations. SEC("perf_event") programs
 * get the kernel's struct bpf_perf_event_data (the layout the verifier checks
 * them against): registers zero, sample_period = the period in ns, addr 0.
 * Timer thread.
 */
static void timer_dispatch(struct timer_hook *t, u64 exp, struct bpffs_run_ctx *rc)
{
	struct bpffs_timer_ctx ctx;
	struct bpf_perf_event_data pctx;
	struct bpffs_link_array *arr;

	memset(&pctx, 0, sizeof(pctx));
	pctx.sample_period = t->period_ns;
	bpffs_rcu_read_lock();
	arr = bpffs_hook_links(t->hook);
	for (u32 i = 0; i < arr->cnt; i++) {
		struct bpffs_link *l = arr->links[i];

		if (l->prog->type == BPF_PROG_TYPE_PERF_EVENT) {
			memset(&pctx.regs, 0, sizeof(pctx.regs));
			bpffs_hook_run(l, &pctx, sizeof(pctx), rc);
		} else {
			ctx.now_ns = bpffs_hook_now_ns();
			ctx.period_ns = t->period_ns;
			ctx.expirations = exp;
			bpffs_hook_run(l, &ctx, sizeof(ctx), rc);
		}
		bpffs_stat_add(&l->stats.expirations, exp);
	}
	bpffs_rcu_read_unlock();
}

/* Collect the timers due at @now (with references) and advance their deadlines. */
static u32 timer_collect_due(u64 now, struct timer_hook **due, u64 *exp, u32 max, u64 *next)
{
	u32 n = 0;

	*next = UINT64_MAX;
	for (struct timer_hook *t = tw.armed; t; t = t->next) {
		if (t->next_ns <= now && n < max) {
			exp[n] = (now - t->next_ns) / t->period_ns + 1;
			t->next_ns += exp[n] * t->period_ns;
			bpffs_hook_hold(t->hook);
			due[n++] = t;
		}
		if (t->next_ns < *next)
			*next = t->next_ns;
	}
	return n;
}

static void timer_wait_until(u64 deadline)
{
	struct timespec ts;

	if (deadline == UINT64_MAX) {
		pthread_cond_wait(&tw.cond, &tw.lock);
		return;
	}
	ts.tv_sec = (time_t)(deadline / 1000000000ull);
	ts.tv_nsec = (long)(deadline % 1000000000ull);
	pthread_cond_timedwait(&tw.cond, &tw.lock, &ts);
}

#define TIMER_BATCH 32

static void *timer_thread(void *arg)
{
	struct timer_hook *due[TIMER_BATCH];
	u64 exp[TIMER_BATCH], next;
	struct bpffs_run_ctx rc;
	u32 n;

	bpffs_hook_worker_init(&rc, "bpffs-timer");
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);	/* wake on time, not up to 50us late */
	pthread_mutex_lock(&tw.lock);
	for (;;) {
		n = timer_collect_due(bpffs_hook_now_ns(), due, exp, TIMER_BATCH, &next);
		if (!n) {
			timer_wait_until(next);
			continue;
		}
		pthread_mutex_unlock(&tw.lock);
		for (u32 i = 0; i < n; i++) {
			timer_dispatch(due[i], exp[i], &rc);
			bpffs_hook_put(due[i]->hook);
		}
		pthread_mutex_lock(&tw.lock);
	}
	return NULL;
}

static int tw_thread_err;
static int timer_set_sched(bool rt);

static void timer_thread_start(void)
{
	pthread_condattr_t ca;
	pthread_t th;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tw.cond, &ca);
	pthread_condattr_destroy(&ca);
	tw_thread_err = -pthread_create(&th, NULL, timer_thread, NULL);
	if (tw_thread_err)
		return;
	pthread_detach(th);
	pthread_mutex_lock(&tw.lock);
	tw.thread = th;
	pthread_mutex_unlock(&tw.lock);
}

/* Apply the scheduling policy to the timer thread. Caller holds tw.lock. */
static int timer_set_sched(bool rt)
{
	struct sched_param sp = { .sched_priority = rt ? 1 : 0 };

	return -pthread_setschedparam(tw.thread, rt ? SCHED_FIFO : SCHED_OTHER, &sp);
}

int bpffs_hooks_timer_realtime(bool on)
{
	int err;

	pthread_once(&tw.once, timer_thread_start);	/* so that errors show now */
	if (tw_thread_err)
		return tw_thread_err;
	pthread_mutex_lock(&tw.lock);
	err = timer_set_sched(on);
	if (!err)
		tw.realtime = on;
	pthread_mutex_unlock(&tw.lock);
	return err;
}

static int timer_start(struct bpffs_hook *hook, struct bpffs_vlog *log)
{
	struct timer_hook *t = hook->priv;

	pthread_once(&tw.once, timer_thread_start);
	if (tw_thread_err) {
		bpffs_vlog_printf(log, "hooks/timer: cannot start the timer thread\n");
		return tw_thread_err;
	}
	pthread_mutex_lock(&tw.lock);
	t->next_ns = bpffs_hook_now_ns() + t->period_ns;
	t->armed = true;
	t->next = tw.armed;
	tw.armed = t;
	pthread_cond_signal(&tw.cond);
	pthread_mutex_unlock(&tw.lock);
	return 0;
}

static void timer_stop(struct bpffs_hook *hook)
{
	struct timer_hook *t = hook->priv;

	pthread_mutex_lock(&tw.lock);
	for (struct timer_hook **pp = &tw.armed; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	pthread_mutex_unlock(&tw.lock);
}

static int timer_show_link(const struct bpffs_link *link, char *buf, size_t size)
{
	const struct timer_hook *t = link->hook->priv;
	u64 exp = __atomic_load_n(&link->stats.expirations, __ATOMIC_RELAXED);
	u64 runs = __atomic_load_n(&link->stats.run_cnt, __ATOMIC_RELAXED);

	return snprintf(buf, size, "period_ns: %llu\nexpirations: %llu\nmissed: %llu\n"
			"sched: %s\n", (unsigned long long)t->period_ns, (unsigned long long)exp,
			(unsigned long long)(exp > runs ? exp - runs : 0),
			__atomic_load_n(&tw.realtime, __ATOMIC_RELAXED) ? "fifo" : "other");
}

const struct bpffs_hook_ops bpffs_timer_hook_ops = {
	.name = "timer",
	.priv_size = sizeof(struct timer_hook),
	.accepts = timer_accepts,
	.parse = timer_parse,
	.start = timer_start,
	.stop = timer_stop,
	.show_link = timer_show_link,
};
