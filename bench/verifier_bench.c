// SPDX-License-Identifier: MIT
/*
 * Verifier benchmark: time, processed instructions, states and peak memory
 * to verify generated programs of 1K, 10K, 100K and ~1M instructions, in a
 * straight-line and a branchy shape (a context load and a conditional
 * branch every 4 instructions, joining again, so pruning must keep the work
 * linear). Each measurement runs in a child process so its peak RSS is its
 * own. Output: one line per program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "verifier/verifier.h"

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
	printf("verify %-12s %8u insns: %s %9.2f ms  processed %8u  states %6u (peak %6u)  peak RSS %7ld KiB\n",
	       branchy ? "branchy" : "straight", cnt, err ? "REJECTED" : "accepted",
	       st.time_ns / 1e6, st.insn_processed, st.total_states, st.peak_states, ru.ru_maxrss);
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
