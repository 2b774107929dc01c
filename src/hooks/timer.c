// SPDX-License-Identifier: MIT
/*
 * Timer hooks (hooks/timer/PERIOD): SEC("timer") programs, and SEC("perf_event")
 * ones as an alias, run once per period on one shared thread that sleeps
 * until the earliest deadline (a sorted-deadline timer, not a wheel: a
 * handful of periods is the expected load). Deadlines are start + k*period,
 * so lateness never accumulates; when the thread wakes late the run's
 * context says how many expirations passed (missed ticks are counted, never
 * silently lost).
 *
 * Scheduling: under CPU contention a SCHED_OTHER thread waits behind busy
 * threads, so by default ("auto") the timer thread asks for SCHED_FIFO
 * priority 1 and keeps SCHED_OTHER when that is not permitted. A heavy
 * program must not monopolise a CPU at real-time priority, so auto mode
 * reads the thread's CPU time every 250 ms: above 20% of a CPU it drops to
 * SCHED_OTHER (logged, counted as sched_demotions), below 5% it goes back.
 * bpffs_hooks_timer_realtime() forces one policy instead.
 * Not here: per-timer threads, CPU-time clocks.
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
	int mode;			/* TW_AUTO, TW_OTHER, TW_FIFO; protected by lock */
	bool realtime;			/* running SCHED_FIFO now; protected by lock */
	bool fifo_denied;		/* auto: SCHED_FIFO was refused (EPERM) */
	u64 demotions;			/* auto: drops to SCHED_OTHER for using too much CPU */
	u64 win_start, win_cpu;		/* this window's start: wall and thread CPU time */
	struct timer_hook *armed;
} tw = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

enum { TW_AUTO, TW_OTHER, TW_FIFO };

#define TW_WINDOW_NS 250000000ull	/* a quarter second */
#define TW_BUSY_HIGH 20			/* % of the window: demote to SCHED_OTHER */
#define TW_BUSY_LOW 5			/* % of the window: back to SCHED_FIFO */

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

static int timer_set_sched(bool rt);

/* CPU time of the calling thread: what the runs cost, not time lost to preemption. */
static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/*
 * Auto mode, after each batch of runs: at the end of a window, demote a
 * thread that used more than TW_BUSY_HIGH% of a CPU in it, promote one that
 * used less than TW_BUSY_LOW%. Timer thread, tw.lock held.
 */
static void timer_account(u64 now)
{
	u64 span = now - tw.win_start, cpu, pct;

	if (span < TW_WINDOW_NS)
		return;
	cpu = thread_cpu_ns();
	pct = (cpu - tw.win_cpu) * 100 / span;
	if (tw.mode == TW_AUTO && tw.realtime && pct > TW_BUSY_HIGH &&
	    !timer_set_sched(false)) {
		tw.realtime = false;
		tw.demotions++;
		pr_warn("hooks/timer: programs used %llu%% of a CPU; the timer thread leaves SCHED_FIFO",
			(unsigned long long)pct);
	} else if (tw.mode == TW_AUTO && !tw.realtime && !tw.fifo_denied &&
		   pct < TW_BUSY_LOW && !timer_set_sched(true)) {
		tw.realtime = true;
	}
	tw.win_start = now;
	tw.win_cpu = cpu;
}

/* Touch the stack the runs will use, so no page fault lands inside a tick. */
static void __attribute__((noinline)) timer_prefault_stack(void)
{
	volatile u8 pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

static void *timer_thread(void *arg)
{
	struct timer_hook *due[TIMER_BATCH];
	u64 exp[TIMER_BATCH], next;
	struct bpffs_run_ctx rc;
	u32 n;

	bpffs_hook_worker_init(&rc, "bpffs-timer");
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);	/* wake on time, not up to 50us late */
	timer_prefault_stack();
	pthread_mutex_lock(&tw.lock);
	tw.win_start = bpffs_hook_now_ns();
	tw.win_cpu = thread_cpu_ns();
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
		timer_account(bpffs_hook_now_ns());
	}
	return NULL;
}

static int tw_thread_err;

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
	if (tw.mode == TW_AUTO) {
		tw.realtime = !timer_set_sched(true);
		tw.fifo_denied = !tw.realtime;
	}
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
	if (!err) {
		tw.realtime = on;
		tw.mode = on ? TW_FIFO : TW_OTHER;
	}
	pthread_mutex_unlock(&tw.lock);
	return err;
}

int bpffs_hooks_timer_sched_auto(void)
{
	pthread_once(&tw.once, timer_thread_start);
	if (tw_thread_err)
		return tw_thread_err;
	pthread_mutex_lock(&tw.lock);
	tw.mode = TW_AUTO;
	tw.realtime = !timer_set_sched(true);
	tw.fifo_denied = !tw.realtime;
	if (!tw.realtime)
		timer_set_sched(false);
	pthread_mutex_unlock(&tw.lock);
	return 0;
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

	static const char *const modes[] = { "auto", "other", "fifo" };
	bool rt;
	int mode;
	u64 dem;

	pthread_mutex_lock(&tw.lock);
	rt = tw.realtime;
	mode = tw.mode;
	dem = tw.demotions;
	pthread_mutex_unlock(&tw.lock);
	return snprintf(buf, size, "period_ns: %llu\nexpirations: %llu\nmissed: %llu\n"
			"sched: %s\nsched_mode: %s\nsched_demotions: %llu\n",
			(unsigned long long)t->period_ns, (unsigned long long)exp,
			(unsigned long long)(exp > runs ? exp - runs : 0), rt ? "fifo" : "other",
			modes[mode], (unsigned long long)dem);
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
