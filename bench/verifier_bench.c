// SPDX-License-Identifier: MIT
/*
 * Verifier benchmark: time, processed instructions, states and peak memory
 * to verify generated programs of 1K, 10K, 100K and ~1M instructions, in a
 * straight-line and a branchy shape (a context load and a conditional
 * branch every 4 instructions, joining again, so pruning must keep the work
 * linear). Each measurement runs in a child process so its peak RSS is its
 * own. As root, the same program is also loaded into the running kernel and
 * its verdict, processed count and verification time are shown beside ours.
 * Output: one line per program. Times: ours is CPU time of the verifying
 * thread (wall clock in brackets), the kernel's is its own "verification
 * time".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "core/core.h"
#include "verifier/verifier.h"

/* The kernel's verdict (1/0, -1 without bpf()), processed count and time. */
static int kernel_verify(const struct bpf_insn *insns, u32 cnt, long *processed, long *usec)
{
	static char log[1 << 16];
	union bpf_attr a;
	const char *p;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (u64)(uintptr_t)insns;
	a.insn_cnt = cnt;
	a.license = (u64)(uintptr_t)"GPL";
	a.log_buf = (u64)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 4;	/* BPF_LOG_STATS */
	log[0] = 0;
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd >= 0)
		close(fd);
	p = strstr(log, "processed ");
	*processed = p ? strtol(p + 10, NULL, 10) : -1;
	p = strstr(log, "verification time ");
	*usec = p ? strtol(p + 18, NULL, 10) : -1;
	if (fd < 0 && !p)
		return -1;
	return fd >= 0;
}

static struct bpf_insn *gen(u32 n, bool branchy, u32 *cnt)
{
	struct bpf_insn *p = calloc(n + 8, sizeof(*p));
	u32 i = 0;

	p[i++] = BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1);
	p[i++] = BPFFS_MOV64_IMM(BPF_REG_3, 0);
	while (i + 6 < n) {
		if (branchy) {
			p[i++] = BPFFS_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_6, 0);
			p[i++] = BPFFS_JMP_IMM(BPF_JGT, BPF_REG_1, 100, 1);
			p[i++] = BPFFS_MOV64_IMM(BPF_REG_2, 7);
			p[i++] = BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, 1);
		} else {
			p[i++] = BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_3, 1);
			p[i++] = BPFFS_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_3, -8);
			p[i++] = BPFFS_LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, -8);
			p[i++] = BPFFS_ALU64_REG(BPF_XOR, BPF_REG_3, BPF_REG_2);
		}
	}
	p[i++] = BPFFS_MOV64_IMM(BPF_REG_0, 0);
	p[i++] = BPFFS_EXIT();
	*cnt = i;
	return p;
}

static void measure(u32 n, bool branchy)
{
	struct bpffs_verifier_stats st = { 0 };
	struct bpffs_prog prog;
	struct rusage ru;
	u32 cnt;
	int err;

	memset(&prog, 0, sizeof(prog));
	prog.type = BPF_PROG_TYPE_SOCKET_FILTER;
	prog.insns = gen(n, branchy, &cnt);
	prog.insn_cnt = cnt;
	err = bpffs_verify_stats(&prog, NULL, NULL, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("verify %-8s %7u insns: %s %8.2f ms (%8.2f)  processed %7u  states %6u (peak %5u, %6.1f MiB)  peak RSS %6ld KiB",
	       branchy ? "branchy" : "straight", cnt, err ? "REJECTED" : "accepted",
	       st.cpu_ns / 1e6, st.time_ns / 1e6, st.insn_processed, st.total_states,
	       st.peak_states, st.peak_state_bytes / 1048576.0, ru.ru_maxrss);
	{
		long kp, ku;
		int kv = kernel_verify(prog.insns, cnt, &kp, &ku);

		if (kv >= 0)
			printf("  | kernel %s processed %7ld %8.2f ms", kv ? "accepted" : "REJECTED", kp,
			       ku / 1e3);
	}
	printf("\n");
	fflush(stdout);
	free(prog.insns);
}

int main(void)
{
	static const u32 sizes[] = { 1000, 10000, 100000, 999000 };
	size_t i;
	int b;

	for (b = 0; b < 2; b++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			pid_t pid = fork();

			if (pid == 0) {
				measure(sizes[i], b);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
		}
	return 0;
}
