// SPDX-License-Identifier: MIT
/*
 * The timer thread's scheduling policy (src/hooks/timer.c): by default
 * ("auto") SCHED_FIFO when permitted, dropped to SCHED_OTHER while programs
 * use more than 20% of a CPU and taken back once they use less than 5%;
 * bpffs_hooks_timer_realtime() forces a policy. Real timers, a few seconds.
 */
#include <pthread.h>

#include "harness.h"
#include "test_hooks_util.h"
#include "hooks/hooks.h"
#include "maps/maps.h"

/* Counts its runs in *runs and spins for @spin_ns (ktime) each time. */
static struct bpffs_prog *spin_prog(const char *name, volatile u64 *runs, u32 spin_ns)
{
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)runs),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_MOV64_REG(6, 0),
		BPFFS_ALU64_IMM(BPF_ADD, 6, spin_ns),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_JMP_REG(BPF_JLT, 0, 6, -2),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog(name, BPFFS_PROG_TYPE_TIMER, insns, BPFFS_ARRAY_SIZE(insns));
}

/* Does `cat links/ID` of @l contain @text within @ms? */
static bool show_has(struct bpffs_link *l, const char *text, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;
	char buf[1024];

	do {
		bpffs_link_show(l, buf, sizeof(buf));
		if (strstr(buf, text))
			return true;
		sleep_ms(10);
	} while (mono_ns() < end);
	printf("# waited for \"%s\" in:\n# %s\n", text, buf);
	return false;
}

static void *try_fifo(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };

	*(int *)arg = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return NULL;
}

/*
 * May this process run a thread SCHED_FIFO (root, CAP_SYS_NICE, RLIMIT_RTPRIO)?
 * Asked on a throwaway thread, leaving the timer thread's default untouched.
 */
static bool fifo_permitted(void)
{
	pthread_t th;
	int err = -1;

	if (pthread_create(&th, NULL, try_fifo, &err))
		return false;
	pthread_join(th, NULL);
	return err == 0;
}

int main(void)
{
	static volatile u64 light_runs, heavy_runs;
	struct bpffs_prog *light = spin_prog("light", &light_runs, 1000);
	struct bpffs_prog *heavy = spin_prog("heavy", &heavy_runs, 600000);
	struct bpffs_hook *h2 = NULL, *h1 = NULL;
	struct bpffs_link *l2 = NULL, *l1 = NULL;
	bool root = fifo_permitted();

	TEST("by default the timer thread runs SCHED_FIFO when permitted, SCHED_OTHER otherwise") {
		CHECK(light && heavy);
		CHECK_EQ(bpffs_hook_create("timer", "2ms", NULL, &h2), 0);
		CHECK_EQ(bpffs_link_attach(h2, light, NULL, &l2), 0);
		CHECK(show_has(l2, "sched_mode: auto\n", 100));
		CHECK(show_has(l2, root ? "sched: fifo\n" : "sched: other\n", 100));
		CHECK(show_has(l2, "sched_demotions: 0\n", 100));
	}
	if (!l2)
		goto out;
	TEST("auto: a program using 60% of a CPU drops the thread to SCHED_OTHER, then back") {
		if (!root) {
			SKIP("SCHED_FIFO is not permitted here");
		} else {
			CHECK_EQ(bpffs_hook_create("timer", "1ms", NULL, &h1), 0);
			CHECK_EQ(bpffs_link_attach(h1, heavy, NULL, &l1), 0);
			CHECK(show_has(l2, "sched_demotions: 1\n", 2000));
			CHECK(show_has(l2, "sched: other\n", 100));
			CHECK(ld(&heavy_runs) > 0);
			CHECK_EQ(bpffs_link_detach(l1), 0);
			bpffs_link_put(l1);
			l1 = NULL;
			/* the light program alone: under 5% of a CPU, FIFO again */
			CHECK(show_has(l2, "sched: fifo\n", 2000));
			CHECK(show_has(l2, "sched_demotions: 1\n", 100));
		}
	}
	TEST("a forced policy stays whatever the programs cost") {
		if (!root) {
			CHECK(bpffs_hooks_timer_realtime(true) < 0);
		} else {
			CHECK_EQ(bpffs_hooks_timer_realtime(true), 0);
			CHECK(show_has(l2, "sched_mode: fifo\n", 100));
			CHECK_EQ(bpffs_link_attach(h1, heavy, NULL, &l1), 0);
			sleep_ms(700);
			CHECK(show_has(l2, "sched: fifo\n", 100));
			CHECK(show_has(l2, "sched_demotions: 1\n", 100));
			CHECK_EQ(bpffs_link_detach(l1), 0);
		}
		CHECK_EQ(bpffs_hooks_timer_realtime(false), 0);
		CHECK(show_has(l2, "sched: other\nsched_mode: other\n", 100));
		CHECK_EQ(bpffs_hooks_timer_sched_auto(), 0);
		CHECK(show_has(l2, "sched_mode: auto\n", 100));
	}
	bpffs_link_detach(l2);
out:
	bpffs_link_put(l2);
	bpffs_link_put(l1);
	if (h1)
		bpffs_hook_destroy("timer", "1ms", NULL);
	if (h2)
		bpffs_hook_destroy("timer", "2ms", NULL);
	bpffs_hook_put(h1);
	bpffs_hook_put(h2);
	bpffs_prog_put(light);
	bpffs_prog_put(heavy);
	bpffs_hooks_shutdown();
	return harness_done();
}
