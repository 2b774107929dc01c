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

/* A one-entry array holding m->data, frozen: the loader's .rodata. */
static struct bpffs_map *frozen_map(const struct vc_map *m)
{
	struct bpffs_map_attr a = { .map_type = m->type, .key_size = m->key_size,
				    .value_size = m->value_size, .max_entries = m->max_entries,
				    .map_flags = m->flags, .inner_map_idx = (u32)-1 };
	struct bpffs_map *map;
	u8 val[256] = { 0 };
	u32 zero = 0;

	memcpy(val, m->data, sizeof(m->data));
	if (m->value_size > sizeof(val) || bpffs_map_create(&a, NULL, &map))
		return NULL;
	if (bpffs_map_update_elem(map, &zero, val, BPF_ANY) || bpffs_map_freeze(map)) {
		bpffs_map_put(map);
		return NULL;
	}
	return map;
}

static int run_ours(const struct vcase *c, struct bpffs_vlog *log, u32 *stack_depth)
{
	struct bpffs_map maps[VC_MAX_MAPS], *mp[VC_MAX_MAPS], *real[VC_MAX_MAPS] = { 0 };
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
		if (c->maps[i].frozen) {
			real[i] = frozen_map(&c->maps[i]);
			if (!real[i])
				return -ENOMEM;
			mp[i] = real[i];
		}
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
	for (i = 0; i < VC_MAX_MAPS; i++)
		if (real[i])
			bpffs_map_put(real[i]);
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
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = m->type;
	a.key_size = m->key_size;
	a.value_size = m->value_size;
	a.max_entries = m->max_entries;
	a.map_flags = m->flags;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd >= 0 && m->frozen) {
		u8 val[256] = { 0 };
		u32 zero = 0;

		memcpy(val, m->data, sizeof(m->data));
		memset(&a, 0, sizeof(a));
		a.map_fd = (u32)fd;
		a.key = (u64)(uintptr_t)&zero;
		a.value = (u64)(uintptr_t)val;
		if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a)) {
			close(fd);
			return -1;
		}
		memset(&a, 0, sizeof(a));
		a.map_fd = (u32)fd;
		if (sys_bpf(BPF_MAP_FREEZE, &a)) {
			close(fd);
			return -1;
		}
	}
	return fd;
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

/*
 * Helper availability: for each program type we describe and each helper
 * this runtime provides, may a program call it (r1-r5 = 0)? "Available"
 * means the verifier did not refuse the call as such (it may still reject
 * the zero arguments). Returns a mask: 1 ours, 2 the kernel's.
 */
static int helper_avail(u32 type, u32 id, char *log, u32 log_size)
{
	struct bpf_insn p[] = { MOV(R1, 0), MOV(R2, 0), MOV(R3, 0), MOV(R4, 0), MOV(R5, 0),
				BPFFS_CALL_HELPER(id), RET(0) };
	struct bpffs_verifier_opts opts = { .stack_zeroed = true };
	struct bpffs_prog prog = { .type = type, .insns = p, .insn_cnt = BPFFS_ARRAY_SIZE(p) };
	struct bpffs_vlog vl;
	int fd, mask = 0;

	bpffs_vlog_alloc(&vl, BPFFS_LOG_ERRORS, 4096);
	if (!bpffs_verify(&prog, &opts, &vl) || !strstr(bpffs_vlog_text(&vl), "unknown func"))
		mask |= 1;
	bpffs_vlog_free(&vl);
	fd = kernel_load(type, p, BPFFS_ARRAY_SIZE(p), log, log_size);
	if (fd >= 0)
		close(fd);
	if (fd >= 0 || !(strstr(log, "unknown func") || strstr(log, "cannot use helper") ||
			 strstr(log, "invalid func")))
		mask |= 2;
	return mask;
}

static void check_helper_availability(char *log, u32 log_size)
{
	static const u32 types[] = { BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
				     BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT,
				     BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_KPROBE,
				     BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_PERF_EVENT,
				     BPF_PROG_TYPE_RAW_TRACEPOINT };
	size_t t;
	u32 id;

	for (t = 0; t < BPFFS_ARRAY_SIZE(types); t++) {
		for (id = 1; id < BPFFS_HELPER_MAX_ID; id++) {
			int m;

			if (!bpffs_helper_get(id) || !bpffs_verifier_knows_prog_type(types[t]))
				continue;
			m = helper_avail(types[t], id, log, log_size);
			if (m == 0 || m == 3)
				continue;
			printf("# type %u helper %u: ours %s, kernel %s\n", types[t], id,
			       m & 1 ? "yes" : "no", m & 2 ? "yes" : "no");
			harness_cur_failed = 1;
		}
	}
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
		TEST(name) {
			check_case(c);
		}
	}
	for (i = 0; i < BPFFS_ARRAY_SIZE(vcases); i++) {
		const struct vcase *c = &vcases[i];
		int want = c->kernel_differs ? c->kernel : c->result, got;
		char name[160];

		snprintf(name, sizeof(name), "kernel agrees: %s", c->name);
		TEST(name) {
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
	TEST("kernel agrees on which provided helpers each program type may call") {
		if (!have_kernel)
			SKIP("no bpf() syscall as root here");
		else
			check_helper_availability(klog, 4096);	/* a short log suffices */
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
