// SPDX-License-Identifier: MIT
/*
 * Checked execution services: the checked loop asks here before every memory
 * access and helper call. Legal memory is the active stack frames of every
 * exec on this run (reads only of bytes written before), plus the regions the
 * run context lists: the context/input, map values and ring-buffer records
 * handed out by helpers, global data. A violation is recorded in the run
 * context (fault, instruction index, message) and stops the run; nothing is
 * touched. This is the oracle for the verifier's soundness fuzzing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interp_internal.h"
#include "../maps/maps.h"

static u32 slot_index(struct bpffs_run_ctx *rc, const union bpffs_dslot *pc)
{
	struct interp_run *run = rc->runtime;
	const struct bpffs_interp *in = run ? run->prog->interp : NULL;

	if (in && pc >= in->checked && pc < in->checked + in->cnt)
		return (u32)(pc - in->checked);
	return (u32)-1;
}

void bpffs_checked_fault(struct bpffs_run_ctx *rc, const union bpffs_dslot *pc,
			 const char *fmt, ...)
{
	va_list ap;

	if (rc->fault)
		return;	/* keep the first violation */
	rc->fault = -EFAULT;
	rc->fault_insn = slot_index(rc, pc);
	va_start(ap, fmt);
	vsnprintf(rc->fault_msg, sizeof(rc->fault_msg), fmt, ap);
	va_end(ap);
}

/* -1: not on any stack; 0: on a stack, illegal; 1: legal */
static int stack_access(struct bpffs_run_ctx *rc, u64 addr, u32 size, bool write,
			const union bpffs_dslot *pc)
{
	struct interp_checked_state *cs = rc->checked_state;
	u32 i, b;

	for (i = 0; i < cs->nstacks; i++) {
		struct interp_stack *st = &cs->stacks[i];
		u8 *base = st->hi - INTERP_STACK_BYTES;
		u64 lo = (u64)(uintptr_t)st->lo, hi = (u64)(uintptr_t)st->hi;

		if (addr + size <= (u64)(uintptr_t)base || addr >= hi)
			continue;
		if (addr < lo || addr + size > hi) {
			bpffs_checked_fault(rc, pc, "stack access at %+lld size %u outside the active frames",
					    (long long)(addr - hi), size);
			return 0;
		}
		for (b = 0; b < size; b++) {
			u8 *sh = &st->shadow[addr - (u64)(uintptr_t)base + b];

			if (write) {
				*sh = 1;
			} else if (!*sh) {
				bpffs_checked_fault(rc, pc, "read of uninitialised stack at fp%+lld",
						    (long long)(addr + b - hi));
				return 0;
			}
		}
		return 1;
	}
	return -1;
}

bool bpffs_checked_access(struct bpffs_run_ctx *rc, u64 addr, u32 size, bool write,
			  const union bpffs_dslot *pc)
{
	int on_stack;
	u32 i;

	if (rc->fault)
		return false;
	on_stack = stack_access(rc, addr, size, write, pc);
	if (on_stack >= 0)
		return on_stack;
	for (i = 0; i < rc->region_cnt; i++) {
		const struct bpffs_mem_region *r = &rc->regions[i];

		if (addr >= r->start && addr + size <= r->start + r->size && addr + size > addr) {
			if (write && !r->writable) {
				bpffs_checked_fault(rc, pc, "write of %u bytes to read-only memory 0x%llx",
						    size, (unsigned long long)addr);
				return false;
			}
			return true;
		}
	}
	bpffs_checked_fault(rc, pc, "%s of %u bytes at 0x%llx outside every region the program may touch",
			    write ? "write" : "read", size, (unsigned long long)addr);
	return false;
}

static bool check_str(struct bpffs_run_ctx *rc, u64 addr, const union bpffs_dslot *pc)
{
	u32 n;

	for (n = 0; n < 4096; n++) {
		if (!bpffs_checked_access(rc, addr + n, 1, false, pc))
			return false;
		if (!*(const char *)(uintptr_t)(addr + n))
			return true;
	}
	bpffs_checked_fault(rc, pc, "string argument is not NUL-terminated");
	return false;
}

/* Check memory arguments of a helper call against its prototype. */
bool bpffs_checked_helper_args(struct bpffs_run_ctx *rc, const struct bpffs_helper *h,
			       const u64 *reg, const union bpffs_dslot *pc)
{
	const struct bpffs_map *map = (const struct bpffs_map *)(uintptr_t)reg[1];
	int a;

	for (a = 0; a < 5; a++) {
		u64 v = reg[a + 1], size = a < 4 ? reg[a + 2] : 0;
		bool ok = true;

		switch (h->arg[a]) {
		case BPFFS_ARG_PTR_TO_MAP_KEY:
			ok = bpffs_checked_access(rc, v, map->key_size, false, pc);
			break;
		case BPFFS_ARG_PTR_TO_MAP_VALUE:
			ok = bpffs_checked_access(rc, v, map->value_size, false, pc);
			break;
		case BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE:
			ok = bpffs_checked_access(rc, v, map->value_size, true, pc);
			break;
		case BPFFS_ARG_PTR_TO_MEM_OR_NULL:
			if (!v)
				break;
			/* fall through */
		case BPFFS_ARG_PTR_TO_MEM:
			ok = !size || bpffs_checked_access(rc, v, (u32)size, false, pc);
			break;
		case BPFFS_ARG_PTR_TO_UNINIT_MEM:
			ok = !size || bpffs_checked_access(rc, v, (u32)size, true, pc);
			break;
		case BPFFS_ARG_PTR_TO_LONG:
			ok = bpffs_checked_access(rc, v, 8, true, pc);
			break;
		case BPFFS_ARG_PTR_TO_CONST_STR:
			ok = check_str(rc, v, pc);
			break;
		default:
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

void bpffs_checked_add_prog_regions(struct bpffs_run_ctx *rc, const struct bpffs_prog *prog)
{
	u32 i;

	for (i = 0; i < prog->map_cnt; i++) {
		struct bpffs_map *map = prog->maps[i];
		u64 addr;

		if (!map || !map->ops || !map->ops->direct_value_addr)
			continue;
		if (map->ops->direct_value_addr(map, &addr, 0))
			continue;
		bpffs_run_ctx_add_region(rc, (const void *)(uintptr_t)addr, map->value_size,
					 !map->frozen);
	}
}
