/* SPDX-License-Identifier: MIT */
/*
 * The running kernel as an oracle for the JIT (header-only, shared by
 * tests/unit/test_jit_kernel.c and tests/tools/jit_kernel_diff.c): random
 * programs in the generator's kernel mode are loaded as socket filters with
 * libbpf, run once with BPF_PROG_TEST_RUN, and their 32-bit result compared
 * with ours (JIT and interpreter). Nothing is pinned or attached; closing
 * the fd frees each program. Needs root; callers skip when
 * jitk_available() is false.
 */
#ifndef BPFFS_TEST_JIT_KERNEL_H
#define BPFFS_TEST_JIT_KERNEL_H

#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include "jit_gen.h"

static inline int jitk_load(const struct bpf_insn *insns, u32 cnt, char *log, size_t log_len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = (u32)log_len,
		    .log_level = log ? 1 : 0);
	int fd;

	if (log)
		log[0] = 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bpffs_jitdiff", "GPL",
			   (const void *)insns, cnt, &opts);
	return fd < 0 ? -errno : fd;
}

static inline int jitk_run(int fd, u32 *retval)
{
	u8 pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &topts);

	*retval = topts.retval;
	return err < 0 ? -errno : 0;
}

static inline bool jitk_available(void)
{
	const struct bpf_insn p[] = { BPFFS_MOV64_IMM(0, 7), BPFFS_EXIT() };
	int fd = jitk_load(p, 2, NULL, 0);
	u32 r = 0;

	if (fd < 0)
		return false;
	if (jitk_run(fd, &r))
		r = 0;
	close(fd);
	return r == 7;
}

/*
 * One kernel-mode program @seed: 0 when kernel, JIT and interpreter agree
 * (low 32 bits), 1 on a difference (@why), 2 when the kernel's verifier
 * rejected it (its last log line in @why), -1 on a setup failure.
 */
static inline int jitk_diff_one(u64 seed, u32 n, char *why, size_t why_len)
{
	static struct gen g;
	static char klog[65536];
	struct bpffs_prog *prog = NULL;
	u64 scratch[8] = { 0 };
	u64 ri, rj;
	u32 rk = 0;
	int fd, ret = -1;

	gen_program_mode(&g, seed, n, true);
	if (bpffs_insns_check(g.insns, g.cnt, NULL) ||
	    bpffs_prog_alloc("kdiff", 0, g.insns, g.cnt, &prog))
		return -1;
	prog->runtime = BPFFS_RUNTIME_JIT;
	if (bpffs_prog_prepare(prog, NULL) || !prog->jited) {
		snprintf(why, why_len, "seed %llu: prepare/JIT failed", (unsigned long long)seed);
		goto out;
	}
	fd = jitk_load(g.insns, g.cnt, NULL, 0);
	if (fd < 0)	/* again with the log, for the reason */
		fd = jitk_load(g.insns, g.cnt, klog, sizeof(klog));
	if (fd < 0) {
		size_t l = strlen(klog);
		char *last;

		while (l && klog[l - 1] == '\n')
			klog[--l] = 0;
		last = strrchr(klog, '\n');
		snprintf(why, why_len, "seed %llu: kernel rejects (%d): %s", (unsigned long long)seed,
			 fd, last ? last + 1 : klog);
		ret = 2;
		goto out;
	}
	ret = jitk_run(fd, &rk);
	close(fd);
	if (ret) {
		snprintf(why, why_len, "seed %llu: test run failed (%d)", (unsigned long long)seed, ret);
		ret = -1;
		goto out;
	}
	rj = bpffs_jit_run(prog, (u64)(uintptr_t)scratch, 64, NULL);
	ri = bpffs_interp_run(prog, (u64)(uintptr_t)scratch, 64, NULL);
	ret = (u32)rj != rk || ri != rj;
	if (ret)
		snprintf(why, why_len, "seed %llu: kernel 0x%x jit 0x%llx interp 0x%llx",
			 (unsigned long long)seed, rk, (unsigned long long)rj,
			 (unsigned long long)ri);
out:
	bpffs_prog_put(prog);
	return ret;
}

#endif /* BPFFS_TEST_JIT_KERNEL_H */
