// SPDX-License-Identifier: MIT
/*
 * The verifier against its case table (tests/verifier/cases.h): our verdict
 * and log line on every row; then, as root with a working bpf() syscall, each
 * row is loaded into the running kernel (maps created for it, everything
 * closed afterwards) and the kernel's verdict must match the stored one.
 * The kernel half is skipped, not failed, where bpf() is unavailable.
 * VERIFIER_DEBUG=1 prints both logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harness.h"
#include "core/core.h"
#include "maps/maps.h"
#include "verifier/verifier.h"
#include "../verifier/cases.h"

static bool debug;

static u32 case_len(const struct vcase *c)
{
	u32 n = VC_MAX_INSNS;

	if (c->len)
		return c->len;
	while (n > 0 && !c->insns[n - 1].code && !c->insns[n - 1].imm)
		n--;
	return n;
}

static int run_ours(const struct vcase *c, struct bpffs_vlog *log, u32 *stack_depth)
{
	struct bpffs_map maps[VC_MAX_MAPS], *mp[VC_MAX_MAPS];
	struct bpf_insn insns[VC_MAX_INSNS];
	struct bpffs_prog prog;
	struct bpffs_verifier_opts opts = { .stack_zeroed = c->stack_zeroed,
					    .allow_unprovided_helpers = true };
	int i, err;

	memset(&prog, 0, sizeof(prog));
	memset(maps, 0, sizeof(maps));
	for (i = 0; i < VC_MAX_MAPS; i++) {
		maps[i].map_type = c->maps[i].type;
		maps[i].key_size = c->maps[i].key_size;
		maps[i].value_size = c->maps[i].value_size;
		maps[i].max_entries = c->maps[i].max_entries;
		maps[i].map_flags = c->maps[i].flags;
		mp[i] = &maps[i];
	}
	memcpy(insns, c->insns, sizeof(insns));
	prog.type = c->prog_type;
	prog.insns = insns;
	prog.insn_cnt = case_len(c);
	prog.maps = mp;
	for (i = 0; i < VC_MAX_MAPS && c->maps[i].type; i++)
		prog.map_cnt = i + 1;
	err = bpffs_verify(&prog, &opts, log);
	*stack_depth = prog.stack_depth;
	return err;
}

/* ---- the kernel as an oracle ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int kernel_load(u32 type, const struct bpf_insn *insns, u32 cnt, char *log, u32 log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (u64)(uintptr_t)insns;
	a.insn_cnt = cnt;
	a.license = (u64)(uintptr_t)"GPL";
	if (log) {
		a.log_buf = (u64)(uintptr_t)log;
		a.log_size = log_size;
		a.log_level = 1;
		log[0] = 0;
	}
	return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static bool kernel_available(void)
{
	struct bpf_insn p[] = { BPFFS_MOV64_IMM(0, 0), BPFFS_EXIT() };
	int fd;

	if (geteuid() != 0)
		return false;
	fd = kernel_load(BPF_PROG_TYPE_SOCKET_FILTER, p, 2, NULL, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int kernel_map_create(const struct vc_map *m)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = m->type;
	a.key_size = m->key_size;
	a.value_size = m->value_size;
	a.max_entries = m->max_entries;
	a.map_flags = m->flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

/* Returns 1 accepted, 0 rejected, -1 could not run (maps). */
static int run_kernel(const struct vcase *c, char *log, u32 log_size)
{
	struct bpf_insn insns[VC_MAX_INSNS];
	int fds[VC_MAX_MAPS] = { -1, -1, -1, -1 }, i, fd, ret = -1;
	u32 n = case_len(c);

	memcpy(insns, c->insns, sizeof(insns));
	for (i = 0; i < VC_MAX_MAPS && c->maps[i].type; i++) {
		fds[i] = kernel_map_create(&c->maps[i]);
		if (fds[i] < 0) {
			snprintf(log, log_size, "map %d create: %s", i, strerror(errno));
			goto out;
		}
	}
	for (i = 0; (u32)i < n; i++) {
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    (insns[i].src_reg == BPF_PSEUDO_MAP_FD ||
		     insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) &&
		    insns[i].imm >= 0 && insns[i].imm < VC_MAX_MAPS && fds[insns[i].imm] >= 0)
			insns[i].imm = fds[insns[i].imm];
	}
	fd = kernel_load(c->prog_type, insns, n, log, log_size);
	ret = fd >= 0;
	if (fd >= 0)
		close(fd);
out:
	for (i = 0; i < VC_MAX_MAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

static void check_case(const struct vcase *c)
{
	struct bpffs_vlog log;
	u32 depth;
	int err;

	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 1 << 16);
	err = run_ours(c, &log, &depth);
	if (debug)
		printf("# ours (%d):\n# %s\n", err, bpffs_vlog_text(&log));
	if (c->result == ACCEPT) {
		CHECK_EQ(err, 0);
	} else {
		CHECK(err == -EACCES || err == -EINVAL || err == -E2BIG);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), c->errstr);
	}
	if (!err)
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "processed ");
	bpffs_vlog_free(&log);
}

int main(void)
{
	static char klog[1 << 20];
	bool have_kernel = kernel_available();
	size_t i;
	int agree = 0, ran = 0;

	debug = getenv("VERIFIER_DEBUG") != NULL;
	for (i = 0; i < BPFFS_ARRAY_SIZE(vcases); i++) {
		const struct vcase *c = &vcases[i];
		char name[160];

		snprintf(name, sizeof(name), "%s: %s", c->result == ACCEPT ? "accepts" : "rejects",
			 c->name);
		TEST(strdup(name)) {
			check_case(c);
		}
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(vcases); i++) {
		const struct vcase *c = &vcases[i];
		int want = c->kernel_differs ? c->kernel : c->result, got;
		char name[160];

		snprintf(name, sizeof(name), "kernel agrees: %s", c->name);
		TEST(strdup(name)) {
			if (!have_kernel) {
				SKIP("no bpf() syscall as root here");
				continue;
			}
			if (c->kernel_skip) {
				SKIP(c->kernel_skip);
				continue;
			}
			got = run_kernel(c, klog, sizeof(klog));
			if (debug || got < 0 || got != (want == ACCEPT))
				printf("# kernel log for '%s':\n# %s\n", c->name, klog);
			CHECK(got >= 0);
			CHECK_EQ(got, want == ACCEPT);
			ran++;
			agree += got == (want == ACCEPT);
		}
	}
	TEST("stack depth is reported for an accepted program") {
		struct vcase c = { "depth", SF, { ST(DW, R10, -40, 0), RET(0) }, .result = ACCEPT };
		struct bpffs_vlog log;
		u32 depth = 0;

		bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
		CHECK_EQ(run_ours(&c, &log, &depth), 0);
		CHECK_EQ(depth, 40);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "processed 3 insns (limit 1000000)");
		bpffs_vlog_free(&log);
	}
	TEST("the trace level prints every instruction with its state") {
		struct vcase c = { "trace", SF, { MOV(R1, 1), RET(0) }, .result = ACCEPT };
		struct bpffs_vlog log;
		u32 depth;

		bpffs_vlog_alloc(&log, BPFFS_LOG_TRACE, 1 << 16);
		CHECK_EQ(run_ours(&c, &log, &depth), 0);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "R1=ctx(");
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "R10=fp(");
		bpffs_vlog_free(&log);
	}
	TEST("a rejection names the instruction index") {
		struct vcase c = { "idx", SF, { MOV(R1, 0), MOV(R2, 0), LDX(DW, R0, R1, 0), EXIT() },
				 .result = REJECT };
		struct bpffs_vlog log;
		u32 depth;

		bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
		CHECK_EQ(run_ours(&c, &log, &depth), -EACCES);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "2: R1 invalid mem access 'scalar'");
		bpffs_vlog_free(&log);
	}
	TEST("an unknown program type is refused") {
		struct vcase c = { "type", 999, { RET(0) }, .result = REJECT };
		struct bpffs_vlog log;
		u32 depth;

		bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
		CHECK_EQ(run_ours(&c, &log, &depth), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "unsupported program type 999");
		bpffs_vlog_free(&log);
	}
	if (have_kernel)
		printf("# kernel agreement: %d of %d rows\n", agree, ran);
	return harness_done();
}
