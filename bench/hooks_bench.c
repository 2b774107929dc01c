// SPDX-License-Identifier: MIT
/*
 * Hook benchmarks: frames/s through a counting socket filter on a veth pair
 * in a network namespace this program creates (a sendmmsg sender on the
 * peer), with AF_PACKET ring drops; the same counting program attached in
 * the kernel with SO_ATTACH_BPF as the reference; timer lateness at a 1 ms
 * period (with a clock_nanosleep baseline beside it, optionally under N busy
 * threads); inotify events/s; XDP_REDIRECT into a CPUMAP worker. Needs root
 * for the packet parts (skipped otherwise). Everything created is removed:
 * the namespace dies with the process, the veth pair is deleted explicitly.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/core.h"
#include "core/object.h"
#include "hooks/hooks.h"
#include "maps/maps.h"

#define FRAME_LEN 64
#define SEND_SECONDS 2

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static void sleep_ms(u32 ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct bpffs_prog *make_prog(const char *name, u32 type, const struct bpf_insn *insns,
				    u32 cnt, enum bpffs_runtime rt)
{
	struct bpffs_prog *prog = NULL;

	if (bpffs_prog_alloc(name, type, insns, cnt, &prog))
		return NULL;
	prog->runtime = rt;
	if (bpffs_prog_prepare(prog, NULL)) {
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

/* ---- the packet sender -------------------------------------------------------- */

struct sender {
	const char *ifname;
	volatile bool stop;
	u64 sent;
};

static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_ll a = { .sll_family = AF_PACKET,
				 .sll_ifindex = (int)if_nametoindex(s->ifname), .sll_halen = 6 };
	u8 frame[FRAME_LEN];
	struct mmsghdr msgs[64];
	struct iovec iov = { frame, FRAME_LEN };
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1, n;

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memset(a.sll_addr, 0xff, 6);
	for (int i = 0; i < 64; i++)
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &a, .msg_namelen = sizeof(a),
						   .msg_iov = &iov, .msg_iovlen = 1 };
	while (!s->stop) {
		n = sendmmsg(fd, msgs, 64, 0);
		if (n > 0)
			s->sent += (u64)n;
	}
	close(fd);
	return NULL;
}

#define SENDERS 1	/* more senders only contend on the veth on 2 cores */

static u64 send_for(const char *ifname, u32 seconds)
{
	struct sender s[SENDERS];
	pthread_t th[SENDERS];
	u64 sent = 0;

	for (int i = 0; i < SENDERS; i++) {
		s[i] = (struct sender){ .ifname = ifname };
		pthread_create(&th[i], NULL, sender_thread, &s[i]);
	}
	sleep(seconds);
	for (int i = 0; i < SENDERS; i++)
		s[i].stop = true;
	for (int i = 0; i < SENDERS; i++) {
		pthread_join(th[i], NULL);
		sent += s[i].sent;
	}
	return sent;
}

/* ---- bpffs-user socket hook -------------------------------------------------------- */

static u64 parse_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void bench_socket_ours(enum bpffs_runtime rt, const char *label, double *rate_out)
{
	static volatile u64 frames;
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)&frames),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *prog = make_prog("count", BPF_PROG_TYPE_SOCKET_FILTER, insns,
					    BPFFS_ARRAY_SIZE(insns), rt);
	struct bpffs_hook *hook;
	struct bpffs_link *link;
	char buf[1024];
	u64 sent, got, cpu_ns;

	frames = 0;
	if (!prog || bpffs_hook_get("socket", "bha", &hook) ||
	    bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("socket hook (%s): cannot attach\n", label);
		return;
	}
	sleep_ms(50);
	sent = send_for("bhb", SEND_SECONDS);
	sleep_ms(300);
	got = __atomic_load_n(&frames, __ATOMIC_RELAXED);
	bpffs_link_show(link, buf, sizeof(buf));
	*rate_out = (double)got / SEND_SECONDS;
	cpu_ns = parse_field(buf, "worker_cpu_ns: ");
	printf("%-34s %10.0f frames/s  (sent %.0f/s, counted %llu, ring_drops %llu, "
	       "prog %s; worker busy %.0f%% => %.0f frames per worker CPU-second)\n", label,
	       *rate_out, (double)sent / SEND_SECONDS, (unsigned long long)got,
	       (unsigned long long)parse_field(buf, "ring_drops: "),
	       prog->jited ? "jited" : "interpreted", cpu_ns / 1e7 / (SEND_SECONDS + 0.35),
	       cpu_ns ? (double)got * 1e9 / (double)cpu_ns : 0.0);
	bpffs_link_detach(link);
	bpffs_link_put(link);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
}

/*
 * Capacity of one worker, independent of the sender: a first program holds
 * the worker (spins on a flag) while the sender fills the ring; then the
 * flag is released and the counting program's drain of the full ring is
 * timed (it stores bpf_ktime_get_ns() of its last run). Drops while the
 * worker is held are expected and not reported as the hook's.
 */
static void bench_socket_drain(void)
{
	static volatile u64 gate, frames, last;
	const struct bpf_insn gate_insns[] = {
		BPFFS_LD_IMM64(2, (uintptr_t)&gate),
		BPFFS_LDX_MEM(BPF_DW, 3, 2, 0),
		BPFFS_JMP_IMM(BPF_JNE, 3, 0, -2),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	const struct bpf_insn count_insns[] = {
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)&frames),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		BPFFS_LD_IMM64(3, (uintptr_t)&last),
		BPFFS_STX_MEM(BPF_DW, 3, 0, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *gp = make_prog("gate", BPF_PROG_TYPE_SOCKET_FILTER, gate_insns,
					  BPFFS_ARRAY_SIZE(gate_insns), BPFFS_RUNTIME_JIT);
	struct bpffs_prog *cp = make_prog("count_t", BPF_PROG_TYPE_SOCKET_FILTER, count_insns,
					  BPFFS_ARRAY_SIZE(count_insns), BPFFS_RUNTIME_JIT);
	struct bpffs_hook *hook;
	struct bpffs_link *gl, *cl;
	u64 t_release, c0, c1, cpu0, cpu1;
	char buf[1024];

	gate = 1;
	frames = 0;
	if (!gp || !cp || bpffs_hook_get("socket", "bha", &hook) ||
	    bpffs_link_attach(hook, gp, NULL, &gl) || bpffs_link_attach(hook, cp, NULL, &cl)) {
		printf("socket drain: cannot attach\n");
		return;
	}
	sleep_ms(50);
	send_for("bhb", 1);
	c0 = frames;
	bpffs_link_show(cl, buf, sizeof(buf));
	cpu0 = parse_field(buf, "worker_cpu_ns: ");
	t_release = mono_ns();
	__atomic_store_n(&gate, 0, __ATOMIC_RELEASE);
	sleep_ms(700);
	c1 = frames;
	bpffs_link_show(cl, buf, sizeof(buf));
	cpu1 = parse_field(buf, "worker_cpu_ns: ");
	/* the worker spun on the gate until t_release: its CPU time after that is the drain's */
	cpu1 -= cpu0;
	printf("%-34s %10.0f frames/s wall, %.0f frames per worker CPU-second (a full ring of "
	       "%llu frames drained in %.1f ms, worker CPU %.1f ms, JIT %s, load avg shared)\n",
	       "bpffs-user worker capacity", (double)(c1 - c0) * 1e9 / (double)(last - t_release),
	       cpu1 ? (double)(c1 - c0) * 1e9 / (double)cpu1 : 0.0,
	       (unsigned long long)(c1 - c0), (double)(last - t_release) / 1e6, cpu1 / 1e6,
	       cp->jited ? "yes" : "no");
	bpffs_link_detach(gl);
	bpffs_link_detach(cl);
	bpffs_link_put(gl);
	bpffs_link_put(cl);
	bpffs_hook_put(hook);
	bpffs_prog_put(gp);
	bpffs_prog_put(cp);
}

/*
 * XDP_REDIRECT into a CPUMAP: every frame is copied into the queue of the
 * entry's worker (qsize 2048), which takes it as its XDP_PASS. Frames/s the
 * worker took, and what a full queue dropped.
 */
static void bench_socket_cpumap(void)
{
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_CPUMAP, .key_size = 4,
				       .value_size = 4, .max_entries = 1, .name = "cpus" };
	struct bpffs_map *m = NULL;
	u32 key = 0, qsize = 2048;
	struct bpffs_prog *prog = NULL;
	struct bpffs_hook *hook;
	struct bpffs_link *link;
	char buf[1024];
	u64 sent, pass, cpu_ns;

	if (bpffs_map_create(&attr, NULL, &m) || bpffs_map_update_elem(m, &key, &qsize, BPF_ANY)) {
		printf("socket hook, XDP -> CPUMAP: cannot create the map\n");
		return;
	}
	const struct bpf_insn insns[] = {
		BPFFS_LD_IMM64(1, (uintptr_t)m),
		BPFFS_MOV64_IMM(2, 0),
		BPFFS_MOV64_IMM(3, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_redirect_map),
		BPFFS_EXIT(),
	};
	prog = make_prog("to_cpu", BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns),
			 BPFFS_RUNTIME_JIT);
	if (!prog || bpffs_hook_get("socket", "bha", &hook) ||
	    bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("socket hook, XDP -> CPUMAP: cannot attach\n");
		return;
	}
	sleep_ms(50);
	sent = send_for("bhb", SEND_SECONDS);
	sleep_ms(300);
	bpffs_link_show(link, buf, sizeof(buf));
	pass = parse_field(buf, "cpumap_pass: ");
	cpu_ns = parse_field(buf, "worker_cpu_ns: ");
	printf("%-34s %10.0f frames/s  (sent %.0f/s, passed by the cpumap worker %llu, "
	       "cpumap_drops %llu, ring_drops %llu; socket worker %.0f frames per CPU-second)\n",
	       "bpffs-user XDP -> CPUMAP (JIT)", (double)pass / SEND_SECONDS,
	       (double)sent / SEND_SECONDS, (unsigned long long)pass,
	       (unsigned long long)parse_field(buf, "cpumap_drops: "),
	       (unsigned long long)parse_field(buf, "ring_drops: "),
	       cpu_ns ? (double)parse_field(buf, "run_count: ") * 1e9 / (double)cpu_ns : 0.0);
	bpffs_link_detach(link);
	bpffs_link_put(link);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	bpffs_map_put(m);
}

/* ---- kernel reference: SO_ATTACH_BPF on an AF_PACKET socket --------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void bench_socket_kernel(double *rate_out)
{
	union bpf_attr attr;
	struct bpf_insn insns[] = {
		BPFFS_ST_MEM(BPF_W, 10, -4, 0),
		BPFFS_MOV64_REG(2, 10),
		BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
		BPFFS_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 2),
		BPFFS_MOV64_IMM(1, 1),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 0, 1, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex("bha") };
	u32 key = 0;
	u64 val = 0, sent;
	int map_fd, prog_fd, sk;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	map_fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
	if (map_fd < 0) {
		printf("kernel reference: bpf() unavailable (%s)\n", strerror(errno));
		return;
	}
	insns[3].imm = map_fd;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (u64)(uintptr_t)insns;
	attr.insn_cnt = BPFFS_ARRAY_SIZE(insns);
	attr.license = (u64)(uintptr_t)"GPL";
	prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	sk = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (prog_fd < 0 || sk < 0 ||
	    setsockopt(sk, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) ||
	    bind(sk, (struct sockaddr *)&sll, sizeof(sll))) {
		printf("kernel reference: cannot attach (%s)\n", strerror(errno));
		goto out;
	}
	sent = send_for("bhb", SEND_SECONDS);
	sleep_ms(100);
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (u32)map_fd;
	attr.key = (u64)(uintptr_t)&key;
	attr.value = (u64)(uintptr_t)&val;
	sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
	*rate_out = (double)val / SEND_SECONDS;
	printf("%-34s %10.0f frames/s  (sent %.0f/s, counted %llu)\n",
	       "kernel SO_ATTACH_BPF (reference)", *rate_out, (double)sent / SEND_SECONDS,
	       (unsigned long long)val);
out:
	if (sk >= 0)
		close(sk);
	if (prog_fd >= 0)
		close(prog_fd);
	close(map_fd);
}

static void bench_socket(void)
{
	double jit = 0, interp = 0, kern = 0;
	int old;

	if (geteuid() != 0) {
		printf("socket hook: skipped (needs root)\n");
		return;
	}
	old = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (old < 0 || unshare(CLONE_NEWNET) ||
	    system("ip link add bha type veth peer name bhb && ip link set bha up && "
		   "ip link set bhb up")) {
		printf("socket hook: skipped (no network namespace or veth)\n");
		return;
	}
	bench_socket_ours(BPFFS_RUNTIME_JIT, "bpffs-user socket hook (JIT)", &jit);
	bench_socket_ours(BPFFS_RUNTIME_INTERP, "bpffs-user socket hook (interp)", &interp);
	bench_socket_kernel(&kern);
	bench_socket_drain();
	bench_socket_cpumap();
	if (kern > 0)
		printf("%-34s %10.2f (JIT) %.2f (interp)\n", "ratio bpffs-user / kernel",
		       jit / kern, interp / kern);
	if (system("ip link del bha"))
		printf("could not delete veth bha\n");
	if (setns(old, CLONE_NEWNET))
		printf("could not return to the original namespace\n");
	close(old);
}

/* ---- timer lateness -------------------------------------------------------------------- */

#define TIMER_SAMPLES 3000

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The platform's own lateness, measured alongside: a thread sleeping with
 * clock_nanosleep(TIMER_ABSTIME) to 1 ms deadlines, at policy @fifo. What the
 * hook adds is the difference (a VM's stolen time hits both alike).
 */
struct baseline {
	bool fifo;
	volatile bool stop;
	u64 n, lat[TIMER_SAMPLES * 2];
};

static void *baseline_thread(void *arg)
{
	struct baseline *b = arg;
	struct sched_param sp = { .sched_priority = 1 };
	u64 d = mono_ns() + 1000000, now;
	struct timespec ts;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (b->fifo)
		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!b->stop && b->n < TIMER_SAMPLES * 2) {
		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		now = mono_ns();
		b->lat[b->n++] = now - d;
		while (d <= now)
			d += 1000000;	/* like the hook: the next deadline not yet passed */
	}
	return NULL;
}

static void print_lat(const char *label, u64 *lat, u64 n, u64 over)
{
	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	printf("%-38s p50 %5llu us, p99 %6llu us, max %6llu us; %llu of %llu late > 1 period\n",
	       label, (unsigned long long)lat[n / 2] / 1000,
	       (unsigned long long)lat[n * 99 / 100] / 1000, (unsigned long long)lat[n - 1] / 1000,
	       (unsigned long long)over, (unsigned long long)n);
}

/*
 * Lateness of each run of a 1 ms timer program: its start (ctx->now_ns) minus
 * the first deadline it serves (a run covering two expirations was late by
 * more than a period for the first). Deadlines are start + k*period with the
 * start taken inside attach, after t_start: the best run's lateness is taken
 * as that offset and removed, so the figures are lower bounds by the best
 * run's own wakeup latency (a few us: see the baseline's).
 */
static void bench_timer(const char *label, bool fifo)
{
	static u64 stamps[TIMER_SAMPLES], exps[TIMER_SAMPLES], idx, lat[TIMER_SAMPLES];
	static struct baseline base;
	char blabel[80];

	idx = 0;
	/* stamps[idx] = ctx->now_ns, exps[idx] = ctx->expirations; idx++ while < TIMER_SAMPLES */
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)&idx),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, 3, 2, 0),
		BPFFS_JMP_IMM(BPF_JGE, 2, TIMER_SAMPLES, 11),
		BPFFS_ALU64_IMM(BPF_LSH, 2, 3),
		BPFFS_LD_IMM64(4, (uintptr_t)stamps),
		BPFFS_ALU64_REG(BPF_ADD, 4, 2),
		BPFFS_LDX_MEM(BPF_DW, 5, 1, 0),
		BPFFS_STX_MEM(BPF_DW, 4, 5, 0),
		BPFFS_LD_IMM64(4, (uintptr_t)exps),
		BPFFS_ALU64_REG(BPF_ADD, 4, 2),
		BPFFS_LDX_MEM(BPF_DW, 5, 1, 16),
		BPFFS_STX_MEM(BPF_DW, 4, 5, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *prog = make_prog("stamp", BPFFS_PROG_TYPE_TIMER, insns,
					    BPFFS_ARRAY_SIZE(insns), BPFFS_RUNTIME_JIT);
	struct bpffs_hook *hook;
	struct bpffs_link *link;
	const u64 period = 1000000;
	u64 n = TIMER_SAMPLES, t_start, k = 0, late = 0, bover = 0, best = UINT64_MAX;
	pthread_t bth;
	char buf[1024];

	if (!prog || bpffs_hook_create("timer", "1ms", NULL, &hook)) {
		printf("timer: cannot create\n");
		return;
	}
	memset(&base, 0, sizeof(base));
	base.fifo = fifo;
	pthread_create(&bth, NULL, baseline_thread, &base);
	t_start = mono_ns();
	if (bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("timer: cannot attach\n");
		return;
	}
	while (__atomic_load_n(&idx, __ATOMIC_RELAXED) < TIMER_SAMPLES)
		sleep_ms(50);
	base.stop = true;
	pthread_join(bth, NULL);
	bpffs_link_show(link, buf, sizeof(buf));
	bpffs_link_detach(link);
	for (u64 i = 0; i < n; i++) {
		lat[i] = stamps[i] - (t_start + (k + 1) * period);
		k += exps[i];
		late += exps[i] > 1;
		if (lat[i] < best)
			best = lat[i];
	}
	/* attach's own cost shifts every deadline: take it out as the best run's lateness */
	for (u64 i = 0; i < n; i++)
		lat[i] -= best;
	for (u64 i = 0; i < base.n; i++)
		bover += base.lat[i] > period;
	print_lat(label, lat, n, late);
	snprintf(blabel, sizeof(blabel), "  same time, clock_nanosleep %s", fifo ? "FIFO" : "OTHER");
	print_lat(blabel, base.lat, base.n, bover);
	printf("  link: sched %s, mode %s, demotions %llu; attach offset removed: %llu us\n",
	       strstr(buf, "sched: fifo") ? "fifo" : "other",
	       strstr(buf, "sched_mode: auto") ? "auto" : "forced",
	       (unsigned long long)parse_field(buf, "sched_demotions: "),
	       (unsigned long long)best / 1000);
	bpffs_link_put(link);
	bpffs_hook_destroy("timer", "1ms", NULL);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
}

/* ---- inotify events/s ---------------------------------------------------------------------- */

/*
 * Generate inotify events on @fd for one second: pwrite (IN_MODIFY) and
 * fchmod (IN_ATTRIB) alternate, so no two consecutive events are identical
 * and the kernel coalesces none. @rate 0: as fast as this thread can; else
 * paced to @rate events/s in 1 ms steps. Returns the events generated.
 */
static u64 inotify_generate(int fd, u64 rate, u64 *ns)
{
	u64 t0 = mono_ns(), ev = 0, step = 0;

	while (mono_ns() - t0 < 1000000000ull) {
		/* paced: catch up with rate * elapsed, so a late wakeup costs no events */
		u64 due = (mono_ns() - t0) * rate / 1000000000ull + 2;
		u64 burst = rate ? (due > ev ? due - ev : 0) : 256;

		for (u64 i = 0; i < burst; i += 2) {
			if (pwrite(fd, "x", 1, 0) != 1 || fchmod(fd, 0600))
				return ev;
			ev += 2;
		}
		if (rate) {
			u64 next = t0 + ++step * 1000000;
			struct timespec ts = { (time_t)(next / 1000000000ull),
					       (long)(next % 1000000000ull) };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	*ns = mono_ns() - t0;
	return ev;
}

static void bench_inotify_at(struct bpffs_link *link, volatile u64 *events, int fd, u64 rate)
{
	u64 ns = 1, gen, got, prev = UINT64_MAX, ov0, ov1;
	char buf[1024], label[64];

	bpffs_link_show(link, buf, sizeof(buf));
	ov0 = parse_field(buf, "overflows: ");
	*events = 0;
	gen = inotify_generate(fd, rate, &ns);
	while ((got = __atomic_load_n(events, __ATOMIC_RELAXED)) != prev) {
		prev = got;
		sleep_ms(100);
	}
	bpffs_link_show(link, buf, sizeof(buf));
	ov1 = parse_field(buf, "overflows: ");
	snprintf(label, sizeof(label), rate ? "inotify, paced to %llu/s" : "inotify, flat out",
		 (unsigned long long)rate);
	printf("%-38s %8.0f events/s generated, %.0f/s processed (%llu of %llu), overflows %llu\n",
	       label, (double)gen * 1e9 / (double)ns, (double)got * 1e9 / (double)ns,
	       (unsigned long long)got, (unsigned long long)gen, (unsigned long long)(ov1 - ov0));
}

static void bench_inotify(void)
{
	static volatile u64 events;
	const struct bpf_insn insns[] = {
		BPFFS_MOV64_IMM(2, 1),
		BPFFS_LD_IMM64(3, (uintptr_t)&events),
		BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 3, 2, 0),
		BPFFS_MOV64_IMM(0, 0),
		BPFFS_EXIT(),
	};
	struct bpffs_prog *prog = make_prog("count_ev", BPFFS_PROG_TYPE_INOTIFY, insns,
					    BPFFS_ARRAY_SIZE(insns), BPFFS_RUNTIME_JIT);
	char dir[] = "/dev/shm/bpffs-bench-XXXXXX", name[256], path[300];
	struct bpffs_hook *hook;
	struct bpffs_link *link;
	int fd;

	if (!prog || !mkdtemp(dir) || bpffs_path_escape(dir, name, sizeof(name)) < 0 ||
	    bpffs_hook_create("inotify", name, NULL, &hook)) {
		printf("inotify: cannot create the hook\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);	/* before attach: its events are not counted */
	if (fd < 0 || bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("inotify: cannot attach\n");
		return;
	}
	bench_inotify_at(link, &events, fd, 100000);
	bench_inotify_at(link, &events, fd, 0);
	close(fd);
	bpffs_link_detach(link);
	bpffs_link_put(link);
	bpffs_hook_destroy("inotify", name, NULL);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	unlink(path);
	rmdir(dir);
}

/* ---- CPU load for the timer measurement ------------------------------------------------------ */

static volatile bool load_stop;

static void *load_thread(void *arg)
{
	volatile u64 x = 0;

	while (!load_stop)
		x++;
	return NULL;
}

/* bench_timer under @nload busy threads (0: as the machine is): default policy, then OTHER. */
static void bench_timer_loaded(u32 nload)
{
	pthread_t th[64];
	char label[80];
	u32 i;
	bool fifo;

	load_stop = false;
	for (i = 0; i < nload && i < 64; i++)
		pthread_create(&th[i], NULL, load_thread, NULL);
	bpffs_hooks_timer_sched_auto();
	fifo = geteuid() == 0;	/* auto runs SCHED_FIFO when permitted */
	snprintf(label, sizeof(label), "timer 1ms, default (auto), +%u busy", nload);
	bench_timer(label, fifo);
	if (bpffs_hooks_timer_realtime(false) == 0) {
		snprintf(label, sizeof(label), "timer 1ms, SCHED_OTHER forced, +%u busy", nload);
		bench_timer(label, false);
	}
	bpffs_hooks_timer_sched_auto();
	load_stop = true;
	while (i--)
		pthread_join(th[i], NULL);
}

static bool want(int argc, char **argv, const char *part)
{
	bool any = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--load")) {
			i++;
			continue;
		}
		any = true;
		if (!strcmp(argv[i], part))
			return true;
	}
	return !any;
}

/*
 * hooks_bench [timer] [inotify] [socket] [--load N]: the parts named (all by
 * default); --load N measures the timer also with N busy threads competing.
 */
int main(int argc, char **argv)
{
	u32 nload = 0;

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--load"))
			nload = (u32)atoi(argv[i + 1]);
	printf("# hooks_bench: 64-byte frames for %ds per runtime, %d sendmmsg sender threads\n",
	       SEND_SECONDS, SENDERS);
	if (want(argc, argv, "timer")) {
		bench_timer_loaded(0);
		if (nload)
			bench_timer_loaded(nload);
	}
	if (want(argc, argv, "inotify"))
		bench_inotify();
	if (want(argc, argv, "socket"))
		bench_socket();
	bpffs_hooks_shutdown();
	return 0;
}
