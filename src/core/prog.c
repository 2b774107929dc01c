// SPDX-License-Identifier: MIT
/*
 * struct bpffs_prog: allocation, reference counting, preparation for the
 * runtimes and the run entry that picks JIT, interpreter or checked
 * interpreter. Statistics (run count, run time) are kept here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "../maps/maps.h"
#include "../jit/jit.h"
#include "sha256.h"

int bpffs_prog_alloc(const char *name, u32 type, const struct bpf_insn *insns, u32 cnt,
		     struct bpffs_prog **out)
{
	struct bpffs_prog *prog;

	if (!cnt || cnt > BPFFS_MAX_INSNS)
		return cnt ? -E2BIG : -EINVAL;
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->insns = malloc(sizeof(*insns) * cnt);
	if (!prog->insns) {
		free(prog);
		return -ENOMEM;
	}
	memcpy(prog->insns, insns, sizeof(*insns) * cnt);
	prog->insn_cnt = cnt;
	prog->type = type;
	prog->refcnt = 1;
	snprintf(prog->name, sizeof(prog->name), "%s", name ? name : "");
	*out = prog;
	return 0;
}

/*
 * The kernel's program tag: SHA-256 (Linux 6.18; SHA-1 before) of the instructions with the map
 * references of LD_IMM64 blanked (they differ between loads), first 8 bytes
 * in hex. bpftool and `info` print the same tag for the same program.
 */
static void prog_compute_tag(struct bpffs_prog *prog)
{
	struct bpf_insn *copy = malloc(sizeof(*copy) * prog->insn_cnt);
	u8 digest[32];
	u32 i;

	if (!copy)
		return;
	memcpy(copy, prog->insns, sizeof(*copy) * prog->insn_cnt);
	for (i = 0; i + 1 < prog->insn_cnt; i++) {
		if (!bpffs_insn_is_wide(&copy[i]))
			continue;
		if (copy[i].src_reg == BPF_PSEUDO_MAP_FD || copy[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
			copy[i].imm = 0;
			copy[i + 1].imm = 0;
		}
		i++;
	}
	bpffs_sha256(copy, sizeof(*copy) * prog->insn_cnt, digest);
	for (i = 0; i < 8; i++)
		snprintf(prog->tag + 2 * i, 3, "%02x", digest[i]);
	free(copy);
}

void bpffs_prog_get(struct bpffs_prog *prog)
{
	__atomic_add_fetch(&prog->refcnt, 1, __ATOMIC_RELAXED);
}

static void prog_free(struct bpffs_prog *prog)
{
	u32 i;

	if (prog->jit_image)
		bpffs_jit_free(prog);
	bpffs_interp_free(prog->interp);
	for (i = 0; i < prog->map_cnt; i++)
		if (prog->maps[i])
			bpffs_map_put(prog->maps[i]);
	free(prog->maps);
	free(prog->insns);
	for (i = 0; i < prog->line_cnt; i++) {
		free(prog->lines[i].file);
		free(prog->lines[i].text);
	}
	free(prog->lines);
	free(prog->verifier_log);
	free(prog);
}

void bpffs_prog_put(struct bpffs_prog *prog)
{
	if (prog && __atomic_sub_fetch(&prog->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		prog_free(prog);
}

/*
 * Select the runtime, like the kernel's bpf_prog_select_runtime: always
 * decode for the interpreter (the fallback and the checked mode), then try
 * the JIT when asked; a JIT failure is logged at debug level, never fatal.
 */
int bpffs_prog_prepare(struct bpffs_prog *prog, struct bpffs_vlog *log)
{
	struct bpffs_vlog jit_log = { 0 };
	int err;

	err = bpffs_interp_prepare(prog, log);
	if (err)
		return err;
	prog_compute_tag(prog);
	if (prog->runtime != BPFFS_RUNTIME_JIT || !bpffs_jit_available())
		return 0;
	err = bpffs_jit_compile(prog, &jit_log);
	if (err) {
		pr_debug("prog '%s': JIT failed (%d), using the interpreter", prog->name, err);
		prog->jited = NULL;
	}
	return 0;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/*
 * The whole run is one RCU read-side section: map values returned by lookups
 * stay valid until the run ends, as in the kernel.
 */
u64 bpffs_prog_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc)
{
	struct bpffs_prog *p = (struct bpffs_prog *)prog;
	u64 start = now_ns(), ret;

	bpffs_rcu_read_lock();
	if (prog->runtime == BPFFS_RUNTIME_CHECKED)
		ret = bpffs_interp_run_checked(prog, r1, r2, rc);
	else if (prog->jited && prog->runtime == BPFFS_RUNTIME_JIT)
		ret = bpffs_jit_run(prog, r1, r2, rc);
	else
		ret = bpffs_interp_run(prog, r1, r2, rc);
	bpffs_rcu_read_unlock();
	__atomic_add_fetch(&p->run_cnt, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->run_time_ns, now_ns() - start, __ATOMIC_RELAXED);
	return ret;
}
