// SPDX-License-Identifier: MIT
/*
 * Hook subsystem tests with real events: timers firing, inotify events in a
 * temporary directory, frames on a veth pair inside a network namespace this
 * test creates (skipped without root). Programs are built from instruction
 * arrays and count into plain memory through LD_IMM64 addresses. Rates are
 * asserted loosely (a generous range), never timing-exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <poll.h>
#include <pthread.h>

#include "harness.h"
#include "test_hooks_util.h"
#include "core/core.h"
#include "core/object.h"
#include "hooks/hooks.h"
#include "maps/maps.h"

/* *(u64 *)counter += ctx->expirations (offset 16 of struct bpffs_timer_ctx) */
static struct bpffs_prog *timer_prog(const char *name, volatile u64 *counter, volatile u64 *runs)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 16),
		BPFFS_LD_IMM64(3, (uintptr_t)counter),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)runs),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog(name, BPFFS_PROG_TYPE_TIMER, insns, BPFFS_ARRAY_SIZE(insns));
}

static void test_timer(void)
{
	static volatile u64 count, runs;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct bpffs_prog *prog = timer_prog("tick", &count, &runs);
	char buf[1024];
	u64 t0, t1, c;

	TEST("a timer program at 10ms runs at the period's rate, missed ticks counted") {
		CHECK(prog != NULL);
		CHECK_EQ(bpffs_hook_create("timer", "10ms", NULL, &hook), 0);
		t0 = mono_ns();
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		sleep_ms(500);
		t1 = mono_ns();
		c = ld(&count);
		/* ~50 expirations; generous bounds for a loaded 2-core machine */
		CHECK(c >= 35 && c <= (t1 - t0) / 10000000 + 2);
		CHECK(ld(&runs) >= 1 && ld(&runs) <= c);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "hook: timer\ntarget: 10ms\nprog: tick\n");
		CHECK_STR_CONTAINS(buf, "period_ns: 10000000\n");
		CHECK_EQ(bpffs_link_detach(link), 0);
		c = ld(&count);
		sleep_ms(60);
		CHECK_EQ(ld(&count), c);	/* not started again after detach */
		CHECK_EQ(bpffs_link_detach(link), -ENOENT);
		bpffs_link_put(link);
		CHECK_EQ(bpffs_hook_destroy("timer", "10ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(prog);
}

static void test_timer_names(void)
{
	struct bpffs_vlog log;
	struct bpffs_hook *h;

	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	TEST("timer periods parse with units; bad ones fail with EINVAL and say why") {
		CHECK_EQ(bpffs_hook_create("timer", "500us", NULL, NULL), 0);
		CHECK_EQ(bpffs_hook_create("timer", "500us", NULL, NULL), -EEXIST);
		CHECK_EQ(bpffs_hook_create("timer", "1s", NULL, NULL), 0);
		CHECK_EQ(bpffs_hook_create("timer", "10xs", &log, NULL), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "not a period");
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_hook_create("timer", "5ns", &log, NULL), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "between 1us and 1h");
		CHECK_EQ(bpffs_hook_create("timer", "2h", NULL, NULL), -EINVAL);
		CHECK_EQ(bpffs_hook_create("nosuch", "1s", NULL, NULL), -ENOENT);
		CHECK_EQ(bpffs_hook_get("timer", "1s", &h), 0);
		CHECK_STR_CONTAINS(bpffs_hook_target(h), "1s");
		bpffs_hook_put(h);
		CHECK_EQ(bpffs_hook_destroy("timer", "500us", NULL), 0);
		CHECK_EQ(bpffs_hook_destroy("timer", "1s", NULL), 0);
		CHECK_EQ(bpffs_hook_destroy("timer", "1s", NULL), -ENOENT);
	}
	bpffs_vlog_free(&log);
}

static void test_wrong_type(void)
{
	const struct bpf_insn ret0[] = { BPFFS_MOV64_IMM(0, 0), BPFFS_EXIT() };
	struct bpffs_prog *xdp = make_prog("xdp_prog", BPF_PROG_TYPE_XDP, ret0, 2);
	struct bpffs_prog *kp = make_prog("kp", BPF_PROG_TYPE_KPROBE, ret0, 2);
	struct bpffs_prog *tp = make_prog("t", BPFFS_PROG_TYPE_TIMER, ret0, 2);
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct bpffs_vlog log;

	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	TEST("attaching a program of the wrong type fails with EINVAL and a log line") {
		CHECK_EQ(bpffs_hook_create("timer", "1s", NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, xdp, &log, NULL), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log),
				   "program 'xdp_prog' has type xdp; hooks/timer does not run that type");
	}
	TEST("kernel-only program types cannot be attached (EOPNOTSUPP)") {
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_link_attach(hook, kp, &log, NULL), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "kprobe, a kernel-only program type");
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "cannot be attached");
	}
	TEST("rmdir of a hook with links fails with ENOTEMPTY, succeeds after detach") {
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_link_attach(hook, tp, NULL, &link), 0);
		CHECK_EQ(bpffs_link_attach(hook, tp, NULL, NULL), -EEXIST);
		CHECK_EQ(bpffs_hook_link_cnt(hook), 1);
		CHECK_EQ(bpffs_hook_destroy("timer", "1s", &log), -ENOTEMPTY);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "1 link(s) attached");
		CHECK(link && link->id > 0);
		if (link) {
			struct bpffs_link *l2 = NULL;

			CHECK_EQ(bpffs_link_get_by_id(link->id, &l2), 0);
			CHECK(l2 == link);
			bpffs_link_put(l2);
			CHECK_EQ(bpffs_hook_find_link(hook, "t", &l2), 0);
			bpffs_link_put(l2);
			CHECK_EQ(bpffs_link_detach(link), 0);
			CHECK_EQ(bpffs_link_get_by_id(link->id, &l2), -ENOENT);
			bpffs_link_put(link);
		}
		CHECK_EQ(bpffs_hook_destroy("timer", "1s", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_vlog_free(&log);
	bpffs_prog_put(xdp);
	bpffs_prog_put(kp);
	bpffs_prog_put(tp);
}

static void test_timer_helpers(void)
{
	static volatile u64 comm, pid_tgid, period;
	const struct bpf_insn cinsns[] = {
		BPFFS_MOV64_REG(1, 10),
		BPFFS_ALU64_IMM(BPF_ADD, 1, -16),
		BPFFS_MOV64_IMM(2, 16),
		BPFFS_CALL_HELPER(BPF_FUNC_get_current_comm),
		BPFFS_LDX_MEM(BPF_DW, 2, 10, -16),
		BPFFS_LD_IMM64(3, (uintptr_t)&comm),
		BPFFS_STX_MEM(BPF_DW, 3, 2, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_get_current_pid_tgid),
		BPFFS_LD_IMM64(3, (uintptr_t)&pid_tgid),
		BPFFS_STX_MEM(BPF_DW, 3, 0, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	/* perf_event alias: ctx is struct bpf_perf_event_data; sample_period at 168 */
	const struct bpf_insn pinsns[] = {
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 168),
		BPFFS_LD_IMM64(3, (uintptr_t)&period),
		BPFFS_STX_MEM(BPF_DW, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *cp = make_prog("comm", BPFFS_PROG_TYPE_TIMER, cinsns,
					  BPFFS_ARRAY_SIZE(cinsns));
	struct bpffs_prog *pp = make_prog("perf", BPF_PROG_TYPE_PERF_EVENT, pinsns,
					  BPFFS_ARRAY_SIZE(pinsns));
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *l1 = NULL, *l2 = NULL;
	u64 end = mono_ns() + 2000000000ull;

	TEST("timer programs see the worker as current task; perf_event programs run as timers") {
		CHECK_EQ(bpffs_hook_create("timer", "2ms", NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, cp, NULL, &l1), 0);
		CHECK_EQ(bpffs_link_attach(hook, pp, NULL, &l2), 0);
		while ((!ld(&comm) || !ld(&period)) && mono_ns() < end)
			sleep_ms(2);
		CHECK(!memcmp((const void *)&comm, "bpffs-ti", 8));
		CHECK_EQ(ld(&pid_tgid) >> 32, (u64)getpid());
		CHECK(((u32)ld(&pid_tgid)) != (u32)getpid());	/* a worker thread, not main */
		CHECK_EQ(ld(&period), 2000000);
		CHECK_EQ(bpffs_link_detach(l1), 0);
		CHECK_EQ(bpffs_link_detach(l2), 0);
		bpffs_link_put(l1);
		bpffs_link_put(l2);
		CHECK_EQ(bpffs_hook_destroy("timer", "2ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(cp);
	bpffs_prog_put(pp);
}

static void test_timer_realtime(void)
{
	static volatile u64 count, runs;
	struct bpffs_prog *prog = timer_prog("rt", &count, &runs);
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	char buf[1024];
	int err;

	TEST("the timer thread can run SCHED_FIFO (root) and back; links show the policy") {
		err = bpffs_hooks_timer_realtime(true);
		if (geteuid() != 0) {
			CHECK_EQ(err, -EPERM);
		} else {
			CHECK_EQ(err, 0);
			CHECK_EQ(bpffs_hook_create("timer", "3ms", NULL, &hook), 0);
			CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
			sleep_ms(30);
			bpffs_link_show(link, buf, sizeof(buf));
			CHECK_STR_CONTAINS(buf, "sched: fifo\n");
			CHECK(ld(&count) >= 3);
			CHECK_EQ(bpffs_hooks_timer_realtime(false), 0);
			bpffs_link_show(link, buf, sizeof(buf));
			CHECK_STR_CONTAINS(buf, "sched: other\n");
			CHECK_EQ(bpffs_link_detach(link), 0);
			bpffs_link_put(link);
			CHECK_EQ(bpffs_hook_destroy("timer", "3ms", NULL), 0);
			bpffs_hook_put(hook);
		}
	}
	bpffs_prog_put(prog);
}

static void test_checked_faults(void)
{
	const struct bpf_insn ok_insns[] = {	/* reads every context field: in bounds */
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 0),
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 8),
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 16),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	const struct bpf_insn bad_insns[] = {	/* reads 4000 bytes past the context */
		BPFFS_LDX_MEM(BPF_DW, 2, 1, 4000),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *ok = NULL, *bad = NULL;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *l1 = NULL, *l2 = NULL;
	char buf[1024];

	bpffs_prog_alloc("inbounds", BPFFS_PROG_TYPE_TIMER, ok_insns, BPFFS_ARRAY_SIZE(ok_insns), &ok);
	bpffs_prog_alloc("oob", BPFFS_PROG_TYPE_TIMER, bad_insns, BPFFS_ARRAY_SIZE(bad_insns), &bad);
	TEST("checked-mode runs: context reads are in bounds, violations are counted as faults") {
		CHECK(ok && bad);
		ok->runtime = bad->runtime = BPFFS_RUNTIME_CHECKED;
		CHECK_EQ(bpffs_prog_prepare(ok, NULL), 0);
		CHECK_EQ(bpffs_prog_prepare(bad, NULL), 0);
		CHECK_EQ(bpffs_hook_create("timer", "2ms", NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, ok, NULL, &l1), 0);
		CHECK_EQ(bpffs_link_attach(hook, bad, NULL, &l2), 0);
		sleep_ms(40);
		CHECK_EQ(bpffs_link_detach(l1), 0);
		CHECK_EQ(bpffs_link_detach(l2), 0);
		bpffs_link_show(l1, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "faults: 0\n");
		CHECK(l2->stats.faults >= 5 && l2->stats.faults == l2->stats.run_cnt);
		bpffs_link_put(l1);
		bpffs_link_put(l2);
		CHECK_EQ(bpffs_hook_destroy("timer", "2ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(ok);
	bpffs_prog_put(bad);
}

static void test_attach_detach_race(void)
{
	static volatile u64 c1, r1, c2, r2;
	struct bpffs_prog *p1 = timer_prog("steady", &c1, &r1);
	struct bpffs_prog *p2 = timer_prog("flappy", &c2, &r2);
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *l1 = NULL, *l2;
	u64 before, c;
	int fails = 0;

	TEST("attach/detach while a 1ms timer fires: no crash, the steady link keeps running") {
		CHECK_EQ(bpffs_hook_create("timer", "1ms", NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, p1, NULL, &l1), 0);
		for (int i = 0; i < 200; i++) {
			if (bpffs_link_attach(hook, p2, NULL, &l2)) {
				fails++;
				continue;
			}
			if (i % 7 == 0)
				sleep_ms(1);
			fails += bpffs_link_detach(l2) != 0;
			before = ld(&c2);
			/* once detach returned, the program never starts again */
			for (int k = 0; k < 50; k++)
				__asm__ volatile("pause");
			fails += ld(&c2) != before;
			bpffs_link_put(l2);
		}
		CHECK_EQ(fails, 0);
		sleep_ms(30);
		c = ld(&c2);
		sleep_ms(20);
		CHECK_EQ(ld(&c2), c);
		CHECK(ld(&c1) > 10);
		CHECK_EQ(bpffs_link_detach(l1), 0);
		bpffs_link_put(l1);
		CHECK_EQ(bpffs_hook_destroy("timer", "1ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(p1);
	bpffs_prog_put(p2);
}

/* Sets *busy while it spins for 3ms: always running on a 1ms timer. */
static struct bpffs_prog *busy_prog(volatile u64 *busy)
{
	const struct bpf_insn insns[] = {
		BPFFS_LD_IMM64(7, (uintptr_t)busy),
		BPFFS_ST_MEM(BPF_DW, 7, 0, 1),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_MOV64_REG(6, 0),
		BPFFS_ALU64_IMM(BPF_ADD, 6, 3000000),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_JMP_REG(BPF_JLT, 0, 6, -2),
		BPFFS_ST_MEM(BPF_DW, 7, 0, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog("busy", BPFFS_PROG_TYPE_TIMER, insns, BPFFS_ARRAY_SIZE(insns));
}

static void test_detach_waits(void)
{
	static volatile u64 busy;
	struct bpffs_prog *prog = busy_prog(&busy);
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link;
	int running_after = 0, seen_running = 0;

	TEST("detach returns only after the run in flight has finished") {
		CHECK_EQ(bpffs_hook_create("timer", "1ms", NULL, &hook), 0);
		for (int i = 0; i < 10; i++) {
			if (bpffs_link_attach(hook, prog, NULL, &link))
				break;
			sleep_ms(5);
			seen_running += ld(&busy) == 1;
			CHECK_EQ(bpffs_link_detach(link), 0);
			running_after += ld(&busy) != 0;
			bpffs_link_put(link);
		}
		CHECK(seen_running > 0);	/* the test did race a run */
		CHECK_EQ(running_after, 0);
		CHECK_EQ(bpffs_hook_destroy("timer", "1ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(prog);
}

/* ---- inotify ------------------------------------------------------------------- */

static void test_escape(void)
{
	char buf[256];

	TEST("inotify target names round-trip like systemd-escape --path") {
		CHECK_EQ(bpffs_path_escape("/var/log", buf, sizeof(buf)), 7);
		CHECK_STR_CONTAINS(buf, "var-log");
		CHECK_EQ(bpffs_path_escape("/", buf, sizeof(buf)), 1);
		CHECK(!strcmp(buf, "-"));
		bpffs_path_escape("/tmp/a-b c/.x/", buf, sizeof(buf));
		CHECK(!strcmp(buf, "tmp-a\\x2db\\x20c-.x"));
		bpffs_path_escape("/.hidden", buf, sizeof(buf));
		CHECK(!strcmp(buf, "\\x2ehidden"));
		CHECK_EQ(bpffs_path_unescape("tmp-a\\x2db\\x20c-.x", buf, sizeof(buf)), 13);
		CHECK(!strcmp(buf, "/tmp/a-b c/.x"));
		CHECK_EQ(bpffs_path_unescape("-", buf, sizeof(buf)), 1);
		CHECK_EQ(bpffs_path_unescape("a--b", buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_path_unescape("a\\x2", buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(bpffs_path_unescape("a\\x2f", buf, sizeof(buf)), -EINVAL);
	}
}

/* counts[0..2] += (mask & IN_CREATE, IN_MODIFY, IN_DELETE); counts[3] += IN_Q_OVERFLOW */
static struct bpffs_prog *inotify_prog(volatile u64 *counts)
{
	static const u32 bits[4] = { IN_CREATE, IN_MODIFY, IN_DELETE, IN_Q_OVERFLOW };
	struct bpf_insn insns[64];
	u32 n = 0;

	insns[n++] = BPFFS_LDX_MEM(BPF_W, 6, 1, 0);
	insns[n++] = BPFFS_MOV64_IMM(2, 1);
	for (int i = 0; i < 4; i++) {
		const struct bpf_insn ld[2] = { BPFFS_LD_IMM64(3, (uintptr_t)&counts[i]) };

		insns[n++] = BPFFS_JMP_IMM(BPF_JSET, 6, (s32)bits[i], 1);
		insns[n++] = BPFFS_JA(3);
		insns[n++] = ld[0];
		insns[n++] = ld[1];
		insns[n++] = BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0);
	}
	insns[n++] = BPFFS_MOV64_IMM(0, 0);
	insns[n++] = BPFFS_EXIT();
	return make_prog("fsevents", BPFFS_PROG_TYPE_INOTIFY, insns, n);
}

static bool wait_counts(volatile u64 *c, u64 a, u64 b, u64 d, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;

	while (mono_ns() < end) {
		if (ld(&c[0]) >= a && ld(&c[1]) >= b && ld(&c[2]) >= d)
			return true;
		sleep_ms(5);
	}
	return false;
}

static void touch_files(const char *dir, int n)
{
	char path[512];
	int fd;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0 && write(fd, "x", 1) == 1)
			close(fd);
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd >= 0 && write(fd, "y", 1) == 1)
			close(fd);
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		unlink(path);
	}
}

static void test_inotify(void)
{
	static volatile u64 counts[4];
	char dir[] = "/tmp/bpffs-hooks-XXXXXX", name[512];
	struct bpffs_prog *prog = inotify_prog(counts);
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct bpffs_vlog log;
	char buf[1024];

	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	TEST("an inotify program counts exact creates, modifies and deletes") {
		CHECK(prog != NULL);
		CHECK(mkdtemp(dir) != NULL);
		CHECK(bpffs_path_escape(dir, name, sizeof(name)) > 0);
		CHECK_EQ(bpffs_hook_create("inotify", name, NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		touch_files(dir, 7);
		CHECK(wait_counts(counts, 7, 14, 7, 3000));
		sleep_ms(50);	/* nothing more arrives */
		CHECK_EQ(ld(&counts[0]), 7);
		CHECK_EQ(ld(&counts[1]), 14);
		CHECK_EQ(ld(&counts[2]), 7);
		CHECK_EQ(ld(&counts[3]), 0);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "hook: inotify\n");
		CHECK_STR_CONTAINS(buf, "overflows: 0\n");
	}
	TEST("after detach, inotify events no longer run the program") {
		CHECK_EQ(bpffs_link_detach(link), 0);
		touch_files(dir, 3);
		sleep_ms(100);
		CHECK_EQ(ld(&counts[0]), 7);
		CHECK_EQ(ld(&counts[2]), 7);
		bpffs_link_put(link);
		CHECK_EQ(bpffs_hook_destroy("inotify", name, NULL), 0);
		bpffs_hook_put(hook);
		rmdir(dir);
	}
	TEST("an inotify target for a missing path fails with ENOENT and says so") {
		CHECK_EQ(bpffs_hook_create("inotify", "nonexistent-bpffs\\x2dpath", &log, NULL),
			 -ENOENT);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "cannot watch /nonexistent/bpffs-path");
		CHECK_EQ(bpffs_hook_create("inotify", "a--b", NULL, NULL), -EINVAL);
	}
	bpffs_vlog_free(&log);
	bpffs_prog_put(prog);
}

/* Spins for 30us per event (bpf_ktime_get_ns loop): a deliberately slow consumer. */
static struct bpffs_prog *slow_prog(void)
{
	const struct bpf_insn insns[] = {
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_MOV64_REG(6, 0),
		BPFFS_ALU64_IMM(BPF_ADD, 6, 30000),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_JMP_REG(BPF_JLT, 0, 6, -2),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog("slow", BPFFS_PROG_TYPE_INOTIFY, insns, BPFFS_ARRAY_SIZE(insns));
}

static void test_inotify_overflow(void)
{
	static volatile u64 counts[4];
	char dir[] = "/tmp/bpffs-hooks-XXXXXX", name[512], path[600], buf[1024];
	struct bpffs_prog *prog = inotify_prog(counts), *slow = slow_prog();
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL, *slink = NULL;
	u64 end;
	int fd;

	TEST("a queue overflow reaches programs as IN_Q_OVERFLOW and is counted on the link") {
		CHECK(mkdtemp(dir) != NULL);
		CHECK(bpffs_path_escape(dir, name, sizeof(name)) > 0);
		snprintf(path, sizeof(path), "%s/f", dir);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		close(fd);
		CHECK_EQ(bpffs_hook_create("inotify", name, NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		CHECK_EQ(bpffs_link_attach(hook, slow, NULL, &slink), 0);
		/* open+close pairs are never coalesced: far more than the 16384-event queue */
		for (int i = 0; i < 40000; i++)
			close(open(path, O_RDONLY));
		end = mono_ns() + 5000000000ull;
		while (!ld(&counts[3]) && mono_ns() < end)
			sleep_ms(10);
		sleep_ms(50);
		CHECK(ld(&counts[3]) >= 1);	/* usually exactly 1 */
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK(strstr(buf, "overflows: ") &&
		      strtoull(strstr(buf, "overflows: ") + 11, NULL, 10) == ld(&counts[3]));
		CHECK_EQ(bpffs_link_detach(link), 0);
		CHECK_EQ(bpffs_link_detach(slink), 0);
		bpffs_link_put(link);
		bpffs_link_put(slink);
		CHECK_EQ(bpffs_hook_destroy("inotify", name, NULL), 0);
		bpffs_hook_put(hook);
		unlink(path);
		rmdir(dir);
	}
	bpffs_prog_put(prog);
	bpffs_prog_put(slow);
}

/* ---- socket -------------------------------------------------------------------------- */

#define TEST_ETHERTYPE 0x88b5	/* IEEE local experimental */

/*
 * Socket filter: LD_ABS h[12] == TEST_ETHERTYPE ? (count++, keep 60) : 0;
 * also counts skb->len == 64 frames via the context.
 */
static struct bpffs_prog *count_prog(volatile u64 *frames, volatile u64 *len64)
{
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_REG(6, 1),
		BPFFS_INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),
		BPFFS_JMP_IMM(BPF_JNE, 0, TEST_ETHERTYPE, 11),
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)frames),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_LDX_MEM(BPF_W, 4, 6, offsetof(struct __sk_buff, len)),
		BPFFS_JMP_IMM(BPF_JNE, 4, 64, 3),
		BPFFS_LD_IMM64(3, (uintptr_t)len64),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 60),
		BPFFS_EXIT(),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog("count", BPF_PROG_TYPE_SOCKET_FILTER, insns, BPFFS_ARRAY_SIZE(insns));
}

/* Socket filter: bpf_skb_load_bytes(skb, 12, fp-8, 2) == TEST_ETHERTYPE ? count++ : 0 */
static struct bpffs_prog *load_bytes_prog(volatile u64 *frames)
{
	const struct bpf_insn insns[] = {
		BPFFS_ST_MEM(BPF_DW, 10, -8, 0),
		BPFFS_MOV64_IMM(2, 12),
		BPFFS_MOV64_REG(3, 10),
		BPFFS_ALU64_IMM(BPF_ADD, 3, -8),
		BPFFS_MOV64_IMM(4, 2),
		BPFFS_CALL_HELPER(BPF_FUNC_skb_load_bytes),
		BPFFS_JMP_IMM(BPF_JNE, 0, 0, 6),
		BPFFS_LDX_MEM(BPF_H, 2, 10, -8),
		BPFFS_JMP_IMM(BPF_JNE, 2, htons(TEST_ETHERTYPE), 4),
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)frames),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};

	return make_prog("load_bytes", BPF_PROG_TYPE_SOCKET_FILTER, insns,
			 BPFFS_ARRAY_SIZE(insns));
}

static int send_frames(const char *ifname, int n, u16 ethertype, u32 size)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname),
				 .sll_halen = ETH_ALEN };
	u8 frame[1514];
	int fd = socket(AF_PACKET, SOCK_RAW, 0), sent = 0;

	if (fd < 0)
		return -errno;
	memset(frame, 0xab, sizeof(frame));
	memset(frame, 0xff, 6);		/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = (u8)(ethertype >> 8);
	frame[13] = (u8)ethertype;
	memcpy(a.sll_addr, frame, 6);
	for (int i = 0; i < n; i++) {
		frame[14] = (u8)i;
		if (sendto(fd, frame, size, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)size)
			sent++;
		if (i % 64 == 63)
			sleep_ms(1);	/* stay far below any ring limit */
	}
	close(fd);
	return sent;
}

struct blocked_read {
	struct bpffs_capture_reader *r;
	ssize_t ret;
};

static void *blocked_read_fn(void *arg)
{
	struct blocked_read *br = arg;
	static u8 buf[4096];

	br->ret = bpffs_capture_read(br->r, buf, sizeof(buf), false);
	return NULL;
}

static void test_socket_counts(void)
{
	static volatile u64 frames, len64, frames2;
	struct bpffs_prog *prog = count_prog(&frames, &len64);
	struct bpffs_prog *prog2 = load_bytes_prog(&frames2);
	struct bpffs_link *link2 = NULL;
	struct bpffs_capture_reader *cr = NULL;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	static u8 cap[256 * 1024];
	ssize_t got = 0, r;
	u64 end;
	char buf[1024];

	TEST("a socket filter counts the frames sent over a veth pair in a netns") {
		if (netns_enter()) {
			SKIP("needs root and network namespaces");
			netns_leave();
			bpffs_prog_put(prog);
			bpffs_prog_put(prog2);
			return;
		}
		CHECK_EQ(bpffs_hook_get("socket", "bpffsa", &hook), 0);
		CHECK_EQ(bpffs_capture_open(hook, &cr), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog2, NULL, &link2), 0);
		sleep_ms(20);
		CHECK_EQ(send_frames("bpffsb", 500, TEST_ETHERTYPE, 64), 500);
		send_frames("bpffsb", 100, 0x88b6, 64);	/* not counted */
		end = mono_ns() + 3000000000ull;
		while (ld(&frames) < 500 && mono_ns() < end)
			sleep_ms(5);
		sleep_ms(20);
		CHECK_EQ(ld(&frames), 500);
		CHECK_EQ(ld(&len64), 500);
		CHECK_EQ(ld(&frames2), 500);	/* a second program on the same hook */
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "kept: 500\nkept_bytes: 30000\n");
		CHECK_STR_CONTAINS(buf, "ring_drops: 0\n");
	}
	TEST("the capture stream is pcap: file header then one 60-byte record per kept frame") {
		while (got < (ssize_t)(24 + 500 * (16 + 60))) {
			r = bpffs_capture_read(cr, cap + got, sizeof(cap) - (size_t)got, true);
			if (r <= 0)
				break;
			got += r;
		}
		CHECK_EQ(got, 24 + 500 * (16 + 60));
		CHECK_EQ(*(u32 *)cap, 0xa1b23c4d);
		CHECK_EQ(*(u32 *)(cap + 24 + 8), 60);	/* caplen */
		CHECK_EQ(*(u32 *)(cap + 24 + 12), 64);	/* len */
		CHECK_EQ(cap[24 + 16 + 12], 0x88);
		CHECK_EQ(bpffs_capture_read(cr, cap, sizeof(cap), true), -EAGAIN);
		CHECK_EQ(bpffs_capture_lost(cr), 0);
	}
	TEST("tcpdump -r reads the capture stream") {
		char file[] = "/tmp/bpffs-cap-XXXXXX", cmd[256];
		int fd = mkstemp(file), rc;

		if (system("command -v tcpdump >/dev/null")) {
			SKIP("no tcpdump");
		} else {
			CHECK(fd >= 0 && write(fd, cap, (size_t)got) == got);
			snprintf(cmd, sizeof(cmd), "test \"$(tcpdump -nr %s 2>/dev/null | grep -c 0x88b5)\" = 500",
				 file);
			rc = system(cmd);
			CHECK_EQ(rc, 0);
		}
		if (fd >= 0)
			close(fd);
		unlink(file);
	}
	TEST("a reader with a tiny buffer gets the same byte stream in pieces") {
		struct bpffs_capture_reader *small = NULL;
		u8 piece[7], *all = malloc(64 * 1024);
		ssize_t tot = 0;

		CHECK_EQ(bpffs_capture_open(hook, &small), 0);
		send_frames("bpffsb", 20, TEST_ETHERTYPE, 64);
		end = mono_ns() + 2000000000ull;
		while (tot < 24 + 20 * 76 && mono_ns() < end) {
			r = bpffs_capture_read(small, piece, sizeof(piece), true);
			if (r > 0) {
				memcpy(all + tot, piece, (size_t)r);
				tot += r;
			} else {
				sleep_ms(2);
			}
		}
		CHECK_EQ(tot, 24 + 20 * 76);
		CHECK_EQ(*(u32 *)all, 0xa1b23c4d);
		for (int i = 0; i < 20; i++) {
			CHECK_EQ(*(u32 *)(all + 24 + i * 76 + 8), 60);
			CHECK_EQ(all[24 + i * 76 + 16 + 14], i);	/* frames in order */
		}
		bpffs_capture_close(small);
		free(all);
		/* the first reader got the same 20 records */
		r = bpffs_capture_read(cr, cap, sizeof(cap), true);
		CHECK_EQ(r, 20 * 76);
	}
	TEST("the capture poll fd wakes on new records; a blocked read can be interrupted") {
		struct pollfd pfd = { .fd = bpffs_capture_poll_fd(cr), .events = POLLIN };
		struct blocked_read br = { .r = cr };
		pthread_t th;

		CHECK_EQ(bpffs_capture_read(cr, cap, sizeof(cap), true), -EAGAIN);
		CHECK_EQ(poll(&pfd, 1, 0), 0);
		send_frames("bpffsb", 5, TEST_ETHERTYPE, 64);
		CHECK_EQ(poll(&pfd, 1, 2000), 1);
		sleep_ms(20);
		CHECK_EQ(bpffs_capture_read(cr, cap, sizeof(cap), true), 5 * 76);
		CHECK_EQ(poll(&pfd, 1, 0), 0);
		/* blocking read: woken by data */
		pthread_create(&th, NULL, blocked_read_fn, &br);
		sleep_ms(30);
		send_frames("bpffsb", 1, TEST_ETHERTYPE, 64);
		pthread_join(th, NULL);
		CHECK_EQ(br.ret, 76);
		/* blocking read: interrupted */
		pthread_create(&th, NULL, blocked_read_fn, &br);
		sleep_ms(30);
		bpffs_capture_interrupt(cr);
		pthread_join(th, NULL);
		CHECK_EQ(br.ret, -EINTR);
	}
	TEST("after detach the socket program counts nothing more") {
		CHECK_EQ(bpffs_link_detach(link), 0);
		CHECK_EQ(bpffs_link_detach(link2), 0);
		send_frames("bpffsb", 50, TEST_ETHERTYPE, 64);
		sleep_ms(50);
		CHECK_EQ(ld(&frames), 526);
		CHECK_EQ(bpffs_hook_destroy("socket", "bpffsa", NULL), -EPERM);
	}
	bpffs_capture_close(cr);
	bpffs_link_put(link);
	bpffs_link_put(link2);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	bpffs_prog_put(prog2);
	netns_leave();
}

/*
 * XDP: frames of TEST_ETHERTYPE get byte 15 set to 0x77, lose 4 bytes at the
 * tail, then XDP_TX (redirect_ifindex 0) or bpf_redirect(redirect_ifindex);
 * everything else passes.
 */
static struct bpffs_prog *xdp_prog_raw(const char *name, u64 target, int verdict, u32 helper)
{
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_REG(6, 1),
		BPFFS_LDX_MEM(BPF_W, 2, 1, offsetof(struct xdp_md, data)),
		BPFFS_LDX_MEM(BPF_W, 3, 1, offsetof(struct xdp_md, data_end)),
		BPFFS_MOV64_REG(4, 2),
		BPFFS_ALU64_IMM(BPF_ADD, 4, 16),
		BPFFS_JMP_REG(BPF_JGT, 4, 3, 15),
		BPFFS_LDX_MEM(BPF_H, 5, 2, 12),
		BPFFS_JMP_IMM(BPF_JNE, 5, htons(TEST_ETHERTYPE), 13),
		BPFFS_ST_MEM(BPF_B, 2, 15, 0x77),
		BPFFS_MOV64_REG(1, 6),
		BPFFS_MOV64_IMM(2, -4),
		BPFFS_CALL_HELPER(BPF_FUNC_xdp_adjust_tail),
		BPFFS_MOV64_IMM(0, verdict),
		BPFFS_JMP_IMM(BPF_JEQ, 0, XDP_DROP, 6),
		BPFFS_JMP_IMM(BPF_JEQ, 0, XDP_TX, 5),
		BPFFS_LD_IMM64(1, target),	/* ifindex, or the DEVMAP */
		BPFFS_MOV64_IMM(2, 0),		/* flags, or key 0 */
		BPFFS_MOV64_IMM(3, 0),
		BPFFS_CALL_HELPER(helper),
		BPFFS_EXIT(),
		BPFFS_MOV64_IMM(0, XDP_PASS),
		BPFFS_EXIT(),
	};

	return make_prog(name, BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns));
}

/*
 * XDP: frames of TEST_ETHERTYPE get byte 15 set to 0x77, lose 4 bytes at the
 * tail, then XDP_TX, XDP_DROP or bpf_redirect(redirect_ifindex); everything
 * else passes.
 */
static struct bpffs_prog *xdp_prog(const char *name, int redirect_ifindex, int verdict)
{
	return xdp_prog_raw(name, (u64)redirect_ifindex, verdict, BPF_FUNC_redirect);
}

/* A receiver on @ifname that ignores what this host sends there. */
static int rx_open(const char *ifname)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL)), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Frames of TEST_ETHERTYPE, 60 bytes long, marked 0x77, received within @ms. */
static int rx_count_marked(int fd, int want, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;
	u8 buf[2048];
	int n = 0;
	ssize_t r;

	while (mono_ns() < end) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0) {
			if (n >= want)
				break;
			sleep_ms(2);
			continue;
		}
		if (r == 60 && buf[12] == 0x88 && buf[13] == 0xb5 && buf[15] == 0x77)
			n++;
	}
	return n;
}

static void test_xdp(void)
{
	struct bpffs_prog *tx = xdp_prog("xdp_tx", 0, XDP_TX), *rd = NULL, *drop = NULL;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	char buf[1024];
	int fd;

	TEST("XDP_TX sends the modified (adjust_tail) frame back out of the interface") {
		if (netns_enter()) {
			SKIP("needs root and network namespaces");
			netns_leave();
			bpffs_prog_put(tx);
			return;
		}
		CHECK(!system("ip link add bpffsc type veth peer name bpffsd && "
			      "ip link set bpffsc up && ip link set bpffsd up"));
		CHECK_EQ(bpffs_hook_get("socket", "bpffsa", &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, tx, NULL, &link), 0);
		fd = rx_open("bpffsb");
		CHECK(fd >= 0);
		sleep_ms(20);
		CHECK_EQ(send_frames("bpffsb", 200, TEST_ETHERTYPE, 64), 200);
		CHECK_EQ(rx_count_marked(fd, 200, 2000), 200);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "xdp_tx: 200\n");
		CHECK_STR_CONTAINS(buf, "xdp_errors: 0\n");
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
		close(fd);
	}
	TEST("XDP_REDIRECT with bpf_redirect forwards to another interface; XDP_DROP stops it") {
		rd = xdp_prog("xdp_redirect", (int)if_nametoindex("bpffsc"), XDP_REDIRECT);
		drop = xdp_prog("xdp_drop", 0, XDP_DROP);
		fd = rx_open("bpffsd");
		CHECK(fd >= 0);
		CHECK_EQ(bpffs_link_attach(hook, rd, NULL, &link), 0);
		sleep_ms(20);
		CHECK_EQ(send_frames("bpffsb", 150, TEST_ETHERTYPE, 64), 150);
		CHECK_EQ(rx_count_marked(fd, 150, 2000), 150);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "xdp_redirect: 150\n");
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
		CHECK_EQ(bpffs_link_attach(hook, drop, NULL, &link), 0);
		sleep_ms(20);
		send_frames("bpffsb", 100, TEST_ETHERTYPE, 64);
		CHECK_EQ(rx_count_marked(fd, 1, 300), 0);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "xdp_drop: 100\n");
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
		close(fd);
	}
	TEST("XDP_REDIRECT through a DEVMAP (bpf_redirect_map) transmits on the map's interface") {
		struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_DEVMAP, .key_size = 4,
					       .value_size = 4, .max_entries = 1, .name = "tx_ports" };
		struct bpffs_map *dm = NULL;
		struct bpffs_prog *rm = NULL;
		u32 key = 0, ifi = if_nametoindex("bpffsc");

		CHECK_EQ(bpffs_map_create(&attr, NULL, &dm), 0);
		if (dm) {
			CHECK_EQ(bpffs_map_update_elem(dm, &key, &ifi, BPF_ANY), 0);
			rm = xdp_prog_raw("xdp_devmap", (u64)(uintptr_t)dm, XDP_REDIRECT,
					  BPF_FUNC_redirect_map);
		}
		fd = rx_open("bpffsd");
		CHECK(rm && fd >= 0);
		if (rm) {
			CHECK_EQ(bpffs_link_attach(hook, rm, NULL, &link), 0);
			sleep_ms(20);
			CHECK_EQ(send_frames("bpffsb", 120, TEST_ETHERTYPE, 64), 120);
			CHECK_EQ(rx_count_marked(fd, 120, 2000), 120);
			bpffs_link_show(link, buf, sizeof(buf));
			CHECK_STR_CONTAINS(buf, "xdp_redirect: 120\n");
			CHECK_STR_CONTAINS(buf, "xdp_errors: 0\n");
			CHECK_EQ(bpffs_link_detach(link), 0);
			bpffs_link_put(link);
		}
		close(fd);
		bpffs_prog_put(rm);
		if (dm)
			bpffs_map_put(dm);
	}
	TEST("in the checked runtime an XDP program's packet and context accesses pass") {
		struct bpffs_prog *ck = NULL;

		CHECK_EQ(bpffs_prog_alloc("xdp_checked", BPF_PROG_TYPE_XDP, tx->insns, tx->insn_cnt,
					  &ck), 0);
		if (ck) {
			ck->runtime = BPFFS_RUNTIME_CHECKED;
			CHECK_EQ(bpffs_prog_prepare(ck, NULL), 0);
			fd = rx_open("bpffsb");
			CHECK_EQ(bpffs_link_attach(hook, ck, NULL, &link), 0);
			sleep_ms(20);
			CHECK_EQ(send_frames("bpffsb", 50, TEST_ETHERTYPE, 64), 50);
			CHECK_EQ(rx_count_marked(fd, 50, 2000), 50);
			bpffs_link_show(link, buf, sizeof(buf));
			CHECK_STR_CONTAINS(buf, "faults: 0\n");
			CHECK_STR_CONTAINS(buf, "xdp_tx: 50\n");
			CHECK_EQ(bpffs_link_detach(link), 0);
			bpffs_link_put(link);
			close(fd);
			bpffs_prog_put(ck);
		}
	}
	TEST("deleting an interface under an attached program neither spins nor blocks detach") {
		struct bpffs_hook *hc = NULL;
		struct bpffs_link *lc = NULL;
		u64 cpu0, cpu1;

		CHECK_EQ(bpffs_hook_get("socket", "bpffsc", &hc), 0);
		CHECK_EQ(bpffs_link_attach(hc, tx, NULL, &lc), 0);
		CHECK(!system("ip link del bpffsc"));
		sleep_ms(50);
		bpffs_link_show(lc, buf, sizeof(buf));
		cpu0 = strtoull(strstr(buf, "worker_cpu_ns: ") + 15, NULL, 10);
		sleep_ms(300);
		bpffs_link_show(lc, buf, sizeof(buf));
		cpu1 = strtoull(strstr(buf, "worker_cpu_ns: ") + 15, NULL, 10);
		CHECK(cpu1 - cpu0 < 100000000ull);	/* far below a busy core's 300ms */
		CHECK_EQ(bpffs_link_detach(lc), 0);
		bpffs_link_put(lc);
		bpffs_hook_put(hc);
	}
	bpffs_hook_put(hook);
	bpffs_prog_put(tx);
	bpffs_prog_put(rd);
	bpffs_prog_put(drop);
	if (system("ip link del bpffsc 2>/dev/null"))
		(void)0;
	netns_leave();
}

int main(void)
{
	test_escape();
	test_timer_names();
	test_wrong_type();
	test_timer();
	test_timer_helpers();
	test_timer_realtime();
	test_checked_faults();
	test_attach_detach_race();
	test_detach_waits();
	test_inotify();
	test_inotify_overflow();
	test_socket_counts();
	test_xdp();
	bpffs_hooks_shutdown();
	return harness_done();
}
