/* SPDX-License-Identifier: MIT */
/*
 * The verifier: proves a relocated program safe before it is prepared, JITed
 * or run. An abstract interpreter in the kernel's style (registers typed as
 * scalar or pointer kinds, scalars as tnum + signed/unsigned 64/32-bit bounds,
 * stack slots, path exploration with state pruning, bounded loops, helper
 * prototypes, reference tracking). It knows program types through their
 * context descriptions (prog_types.c) and maps only through struct bpffs_map's
 * type/key_size/value_size/max_entries/map_flags.
 */
#ifndef BPFFS_VERIFIER_H
#define BPFFS_VERIFIER_H

#include "core/types.h"

struct bpffs_prog;
struct bpffs_vlog;

struct bpffs_verifier_opts {
	/*
	 * Root profile (the kernel's CAP_BPF + CAP_PERFMON relaxations):
	 * bounded loops, pointer comparisons and pointer subtraction, pointer
	 * leaks into maps, spilled-pointer handling. bpffs-user always runs
	 * programs as root; false gives the unprivileged rules.
	 */
	bool unprivileged;
	/*
	 * The runtime zeroes the frames of programs the verifier flags with
	 * prog->zero_stack (the interpreter and the JIT do). Only then may a
	 * program read stack bytes it has not written (as the kernel's root
	 * profile allows; the bytes read are unknown to the verifier, 0 at run
	 * time), and the program is flagged; otherwise such reads are rejected.
	 */
	bool stack_zeroed;
	/* Accept calls to kernel helpers this runtime does not provide, using
	 * the verifier's own prototypes (corpus tooling only). */
	bool allow_unprovided_helpers;
	/* Compare every scalar when pruning (no precision tracking): slower,
	 * for cross-checking the precision tracker. */
	bool all_precise;
	/* Processed-instruction limit; 0 means 1,000,000. */
	u32 insn_limit;
};

struct bpffs_verifier_stats {
	u32 insn_processed;
	u32 total_states;
	u32 peak_states;
	u32 max_states_per_insn;
	u64 time_ns;		/* wall clock */
	u64 cpu_ns;		/* CPU time of the verifying thread */
	u64 peak_state_bytes;	/* explored and pending states at their peak */
};

/*
 * Verify @prog (type, insns, maps) for @opts (NULL: defaults, root profile,
 * stack not zeroed). Returns 0 when accepted, with prog->stack_depth set to
 * the deepest stack use of any frame (rounded to 8) and prog->zero_stack
 * to whether it reads stack it did not write; -EACCES for a program
 * proven unsafe, -EINVAL for malformed bytecode, -E2BIG when a limit is hit,
 * -ENOMEM. One line naming the instruction, register and reason goes to
 * @log, then "processed N insns (limit 1000000) max_states_per_insn M
 * total_states T peak_states P". At BPFFS_LOG_TRACE every instruction is
 * printed with the register state. Called from: load thread; reentrant.
 */
int bpffs_verify(struct bpffs_prog *prog, const struct bpffs_verifier_opts *opts,
		 struct bpffs_vlog *log);

/* As bpffs_verify, also returning statistics in @stats (may be NULL). */
int bpffs_verify_stats(struct bpffs_prog *prog, const struct bpffs_verifier_opts *opts,
		       struct bpffs_vlog *log, struct bpffs_verifier_stats *stats);

/* True if the verifier describes program type @type (BPF_PROG_TYPE_*). */
bool bpffs_verifier_knows_prog_type(u32 type);

#endif /* BPFFS_VERIFIER_H */
