/* SPDX-License-Identifier: MIT */
/*
 * Interpreter internals shared by interp.c (decoder, entry points) and the
 * execution loop template interp_loop.h, which is instantiated twice: the
 * fast loop and the checked loop.
 */
#ifndef BPFFS_INTERP_INTERNAL_H
#define BPFFS_INTERP_INTERNAL_H

#include "core.h"
#include "opcodes.h"
#include "../maps/maps.h"

/*
 * One decoded slot: the address of the handler (direct threading) plus the
 * instruction's operands. The second slot of an LD_IMM64 holds the resolved
 * 64-bit value instead.
 */
union bpffs_dslot {
	struct {
		const void *op;
		s32 imm;
		s16 off;
		u8 dst;
		u8 src;
	};
	struct {
		u64 imm64;
		u64 unused;
	};
};

struct bpffs_interp {
	union bpffs_dslot *fast;	/* handlers of interp_loop_fast */
	union bpffs_dslot *checked;	/* handlers of interp_loop_checked */
	u32 cnt;
};

/* Per-run state an exec needs beyond registers (reachable via rc->runtime). */
struct interp_run {
	const union bpffs_dslot *base;	/* code array of the program now running */
	const struct bpffs_prog *prog;
	bool checked;
};

/* A stack region of one exec (checked mode shadow: 1 = byte initialised). */
struct interp_stack {
	u8 *lo;
	u8 *hi;
	u8 *shadow;
};

struct interp_checked_state {
	u32 nstacks;
	struct interp_stack stacks[BPFFS_MAX_CALL_FRAMES + 1];
};

#define INTERP_STACK_BYTES (BPFFS_STACK_SIZE * BPFFS_MAX_CALL_FRAMES)

/*
 * Execute from @start. Called with @start == NULL, returns the loop's
 * handler table (const void *const *) cast to u64.
 */
u64 bpffs_interp_loop_fast(const union bpffs_dslot *start, const u64 *args,
			   struct bpffs_run_ctx *rc);
u64 bpffs_interp_loop_checked(const union bpffs_dslot *start, const u64 *args,
			      struct bpffs_run_ctx *rc);

/* Checked-mode services (interp_checked.c). Return true if the access is legal. */
bool bpffs_checked_access(struct bpffs_run_ctx *rc, u64 addr, u32 size, bool write,
			  const union bpffs_dslot *pc);
bool bpffs_checked_helper_args(struct bpffs_run_ctx *rc, const struct bpffs_helper *h,
			       const u64 *reg, const union bpffs_dslot *pc);
void bpffs_checked_fault(struct bpffs_run_ctx *rc, const union bpffs_dslot *pc,
			 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bpffs_checked_add_prog_regions(struct bpffs_run_ctx *rc, const struct bpffs_prog *prog);


/*
 * Tail-call slot lookup (maps module). Weak so the core links without the
 * PROG_ARRAY type; whenever maps are linked, the map-type table pulls it in.
 */
#pragma weak bpffs_prog_array_get

#endif /* BPFFS_INTERP_INTERNAL_H */
