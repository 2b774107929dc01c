// SPDX-License-Identifier: MIT
/*
 * Hook benchmarks: frames/s through a counting socket filter on a veth pair
 * in a network namespace this program creates (a sendmmsg sender on the
 * peer), with AF_PACKET ring drops; the same counting program attached in
 * the kernel with SO_ATTACH_BPF as the reference; timer lateness at a 1 ms
 * period; inotify events/s. Needs root for the packet parts (skipped
 * otherwise). Everything created is removed: the namespace dies with the
 * process, the veth pair is deleted explicitly.
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
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/core.h"
#include "core/object.h"
#include "hooks/hooks.h"

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

static void bench_timer(const char *label)
{
	static u64 stamps[TIMER_SAMPLES], exps[TIMER_SAMPLES], idx, lat[TIMER_SAMPLES];

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
	u64 n = TIMER_SAMPLES, t_start, k = 0, missed = 0, best = UINT64_MAX;

	if (!prog || bpffs_hook_create("timer", "1ms", NULL, &hook)) {
		printf("timer: cannot create\n");
		return;
	}
	/* deadlines are start + k*period, start taken inside attach: t_start is a lower bound */
	t_start = mono_ns();
	if (bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("timer: cannot attach\n");
		return;
	}
	while (__atomic_load_n(&idx, __ATOMIC_RELAXED) < TIMER_SAMPLES)
		sleep_ms(50);
	bpffs_link_detach(link);
	for (u64 i = 0; i < n; i++) {
		k += exps[i];
		missed += exps[i] - 1;
		lat[i] = stamps[i] - (t_start + k * period);
		if (lat[i] < best)
			best = lat[i];
	}
	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	/*
	 * t_start precedes the real start by attach's own cost (first attach
	 * starts threads), so lat[] over-estimates by up to `best`; lat - best
	 * under-estimates by the best run's own wakeup latency. Print both.
	 */
	printf("%-34s p50 %llu us, p99 %llu us, max %llu us over %llu runs (upper bound); "
	       "minus the best run: p50 %llu us, p99 %llu us; %llu ticks missed (reported "
	       "as expirations)\n", label,
	       (unsigned long long)lat[n / 2] / 1000, (unsigned long long)lat[n * 99 / 100] / 1000,
	       (unsigned long long)lat[n - 1] / 1000, (unsigned long long)n,
	       (unsigned long long)(lat[n / 2] - best) / 1000,
	       (unsigned long long)(lat[n * 99 / 100] - best) / 1000, (unsigned long long)missed);
	bpffs_link_put(link);
	bpffs_hook_destroy("timer", "1ms", NULL);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
}

/* ---- inotify events/s ---------------------------------------------------------------------- */

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
	char dir[] = "/tmp/bpffs-bench-XXXXXX", name[256], path[300], buf[1024];
	struct bpffs_hook *hook;
	struct bpffs_link *link;
	u64 t0, t1, ops = 0, got, prev = UINT64_MAX;
	int fd;

	if (!prog || !mkdtemp(dir) || bpffs_path_escape(dir, name, sizeof(name)) < 0 ||
	    bpffs_hook_create("inotify", name, NULL, &hook) ||
	    bpffs_link_attach(hook, prog, NULL, &link)) {
		printf("inotify: cannot attach\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	events = 0;
	t0 = mono_ns();
	/* open + close: IN_OPEN, IN_CLOSE_NOWRITE, never coalesced */
	while (mono_ns() - t0 < 1000000000ull) {
		for (int i = 0; i < 256; i++) {
			fd = open(path, O_RDONLY);
			close(fd);
		}
		ops += 256;
	}
	t1 = mono_ns();
	while ((got = __atomic_load_n(&events, __ATOMIC_RELAXED)) != prev) {
		prev = got;
		sleep_ms(100);
	}
	bpffs_link_show(link, buf, sizeof(buf));
	printf("%-34s %10.0f events/s generated, %.0f/s processed (%llu of %llu), overflows %llu\n",
	       "inotify", (double)ops * 2 * 1e9 / (double)(t1 - t0),
	       (double)got * 1e9 / (double)(t1 - t0), (unsigned long long)got,
	       (unsigned long long)ops * 2, (unsigned long long)parse_field(buf, "overflows: "));
	bpffs_link_detach(link);
	bpffs_link_put(link);
	bpffs_hook_destroy("inotify", name, NULL);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	printf("# hooks_bench: 64-byte frames for %ds per runtime, %d sendmmsg sender threads\n",
	       SEND_SECONDS, SENDERS);
	bench_timer("timer lateness at 1ms");
	if (bpffs_hooks_timer_realtime(true) == 0) {
		bench_timer("timer lateness at 1ms, SCHED_FIFO");
		bpffs_hooks_timer_realtime(false);
	}
	bench_inotify();
	bench_socket();
	bpffs_hooks_shutdown();
	return 0;
}
