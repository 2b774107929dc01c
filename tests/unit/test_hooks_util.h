/* SPDX-License-Identifier: MIT */
/*
 * Shared by the hook tests (test_hooks.c, test_hooks_elf.c): time, building
 * programs, and a network namespace with a veth pair bpffsa <-> bpffsb that
 * the calling thread enters (and threads it creates inherit). Static
 * functions: each test includes this once.
 */
#ifndef BPFFS_TEST_HOOKS_UTIL_H
#define BPFFS_TEST_HOOKS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "core/core.h"

static inline u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static inline void sleep_ms(u32 ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline struct bpffs_prog *make_prog(const char *name, u32 type, const struct bpf_insn *insns,
				    u32 cnt)
{
	struct bpffs_prog *prog = NULL;

	if (bpffs_prog_alloc(name, type, insns, cnt, &prog))
		return NULL;
	if (bpffs_prog_prepare(prog, NULL)) {
		bpffs_prog_put(prog);
		return NULL;
	}
	return prog;
}

static inline u64 ld(volatile u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int netns_old = -1;

/* A fresh network namespace for this thread with veth pair bpffsa <-> bpffsb. */
static inline int netns_enter(void)
{
	if (geteuid() != 0)
		return -EPERM;
	netns_old = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netns_old < 0 || unshare(CLONE_NEWNET))
		return -errno;
	if (system("ip link add bpffsa type veth peer name bpffsb && ip link set bpffsa up && "
		   "ip link set bpffsb up && ip link set lo up"))
		return -ENODEV;
	return 0;
}

static inline void netns_leave(void)
{
	if (netns_old < 0)
		return;
	if (system("ip link del bpffsa 2>/dev/null"))
		(void)0;
	if (setns(netns_old, CLONE_NEWNET))
		printf("# cannot return to the original netns: %s\n", strerror(errno));
	close(netns_old);
	netns_old = -1;
}

/* Send @n copies of @frame (@size bytes) out of @ifname, byte 14 = sequence number. */
static inline int send_raw(const char *ifname, int n, const u8 *frame, u32 size)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname),
				 .sll_halen = ETH_ALEN };
	u8 buf[1514];
	int fd = socket(AF_PACKET, SOCK_RAW, 0), sent = 0;

	if (fd < 0)
		return -errno;
	memcpy(buf, frame, size);
	memcpy(a.sll_addr, buf, ETH_ALEN);
	for (int i = 0; i < n; i++) {
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)size)
			sent++;
		if (i % 64 == 63)
			sleep_ms(1);	/* stay far below any ring limit */
	}
	close(fd);
	return sent;
}

#endif /* BPFFS_TEST_HOOKS_UTIL_H */
