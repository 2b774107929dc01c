// SPDX-License-Identifier: MIT
/*
 * The interpreter: decoding (once, at load time) and the run entry points.
 * Decoding turns each instruction into a slot holding its handler's address
 * (direct threading) and resolves what can be resolved early: map pseudo
 * loads become addresses, callback references become slot addresses. The
 * loops themselves are in interp_loop.h, instantiated here twice.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"
#include "../maps/maps.h"

#define INTERP_CHECKED 0
#define INTERP_FN bpffs_interp_loop_fast
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_FN

#define INTERP_CHECKED 1
#define INTERP_FN bpffs_interp_loop_checked
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_FN

static int decode_ld_imm64(const struct bpffs_prog *prog, u32 i, union bpffs_dslot *code,
			   struct bpffs_vlog *log)
{
	const struct bpf_insn *insn = &prog->insns[i];
	u64 val = (u64)(u32)insn->imm | ((u64)(u32)insn[1].imm << 32);
	struct bpffs_map *map;
	u64 addr;
	int err;

	switch (insn->src_reg) {
	case 0:
		break;
	case BPF_PSEUDO_FUNC:
		val = (u64)(uintptr_t)&code[i + 1 + insn->imm];
		break;
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		if ((u32)insn->imm >= prog->map_cnt || !prog->maps[insn->imm]) {
			bpffs_vlog_printf(log, "%u: ldimm64 refers to map %d, program has %u maps\n",
					  i, insn->imm, prog->map_cnt);
			return -EINVAL;
		}
		map = prog->maps[insn->imm];
		if (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_IDX) {
			val = (u64)(uintptr_t)map;
			break;
		}
		if (!map->ops || !map->ops->direct_value_addr) {
			bpffs_vlog_printf(log, "%u: map '%s' has no direct value access\n", i,
					  map->name);
			return -EINVAL;
		}
		err = map->ops->direct_value_addr(map, &addr, (u32)insn[1].imm);
		if (err) {
			bpffs_vlog_printf(log, "%u: invalid direct value offset %d into map '%s'\n",
					  i, insn[1].imm, map->name);
			return err;
		}
		val = addr + (u32)insn[1].imm;
		break;
	default:
		bpffs_vlog_printf(log, "%u: unsupported ldimm64 src %u\n", i, insn->src_reg);
		return -EINVAL;
	}
	code[i + 1].imm64 = val;
	return 0;
}

static int decode(const struct bpffs_prog *prog, const void *const *handlers,
		  union bpffs_dslot *code, struct bpffs_vlog *log)
{
	const char *why = "";
	u32 i;
	int op, err;

	for (i = 0; i < prog->insn_cnt; i++) {
		const struct bpf_insn *insn = &prog->insns[i];

		op = bpffs_insn_classify(insn, &why);
		if (op == BPFFS_OP_INVALID) {
			bpffs_vlog_printf(log, "%u: invalid insn code 0x%02x: %s\n", i, insn->code, why);
			return -EINVAL;
		}
		if (op == BPFFS_OP_CALL_HELPER &&
		    ((u32)insn->imm >= BPFFS_HELPER_MAX_ID || !bpffs_helper_table[insn->imm])) {
			bpffs_vlog_printf(log, "%u: invalid func unknown#%d\n", i, insn->imm);
			return -EINVAL;
		}
		code[i].op = handlers[op];
		code[i].imm = insn->imm;
		code[i].off = insn->off;
		code[i].dst = insn->dst_reg;
		code[i].src = insn->src_reg;
		if (op == BPFFS_OP_LD_IMM64) {
			if (i + 1 >= prog->insn_cnt) {
				bpffs_vlog_printf(log, "%u: ldimm64 is the last insn\n", i);
				return -EINVAL;
			}
			err = decode_ld_imm64(prog, i, code, log);
			if (err)
				return err;
			i++;
		}
	}
	return 0;
}

void bpffs_interp_free(struct bpffs_interp *interp)
{
	if (!interp)
		return;
	free(interp->fast);
	free(interp->checked);
	free(interp);
}

int bpffs_interp_prepare(struct bpffs_prog *prog, struct bpffs_vlog *log)
{
	struct bpffs_interp *in;
	int err = -ENOMEM;

	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->cnt = prog->insn_cnt;
	in->fast = calloc(prog->insn_cnt, sizeof(*in->fast));
	in->checked = calloc(prog->insn_cnt, sizeof(*in->checked));
	if (!in->fast || !in->checked)
		goto err_free;
	err = decode(prog, (const void *const *)(uintptr_t)bpffs_interp_loop_fast(NULL, NULL, NULL),
		     in->fast, log);
	if (!err)
		err = decode(prog,
			     (const void *const *)(uintptr_t)bpffs_interp_loop_checked(NULL, NULL, NULL),
			     in->checked, NULL);
	if (err)
		goto err_free;
	bpffs_interp_free(prog->interp);
	prog->interp = in;
	return 0;
err_free:
	bpffs_interp_free(in);
	return err;
}

/* rc->call_fn for the interpreter: run a callback (bpf_loop, for_each...). */
static u64 interp_call_fn(struct bpffs_run_ctx *rc, u64 fn, u64 r1, u64 r2, u64 r3, u64 r4,
			  u64 r5)
{
	struct interp_run *run = rc->runtime;
	const u64 args[5] = { r1, r2, r3, r4, r5 };
	u64 ret;

	if (rc->depth + 1 >= BPFFS_MAX_CALL_FRAMES) {
		if (run->checked)
			bpffs_checked_fault(rc, run->base, "callback nesting deeper than %d frames",
					    BPFFS_MAX_CALL_FRAMES);
		return 0;
	}
	rc->depth++;
	if (run->checked)
		ret = bpffs_interp_loop_checked((const union bpffs_dslot *)(uintptr_t)fn, args, rc);
	else
		ret = bpffs_interp_loop_fast((const union bpffs_dslot *)(uintptr_t)fn, args, rc);
	rc->depth--;
	return ret;
}

static u64 interp_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc,
		      bool checked)
{
	struct bpffs_run_ctx local, *prev = bpffs_run_ctx_current();
	struct interp_checked_state cs = { 0 };
	struct interp_run run = {
		.prog = prog,
		.checked = checked,
		.base = checked ? prog->interp->checked : prog->interp->fast,
	};
	const u64 args[5] = { r1, r2, 0, 0, 0 };
	u64 ret;

	if (!rc) {
		memset(&local, 0, sizeof(local));
		rc = &local;
	}
	rc->prog = prog;
	if (!rc->ctx)
		rc->ctx = r1;
	rc->call_fn = interp_call_fn;
	rc->runtime = &run;
	rc->checked = checked;
	if (checked) {
		rc->checked_state = &cs;
		rc->fault = 0;
		bpffs_checked_add_prog_regions(rc, prog);
	}
	bpffs_run_ctx_set_current(rc);
	if (checked)
		ret = bpffs_interp_loop_checked(run.base, args, rc);
	else
		ret = bpffs_interp_loop_fast(run.base, args, rc);
	bpffs_run_ctx_set_current(prev);
	rc->runtime = NULL;
	rc->checked_state = NULL;
	return ret;
}

u64 bpffs_interp_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc)
{
	return interp_run(prog, r1, r2, rc, false);
}

u64 bpffs_interp_run_checked(const struct bpffs_prog *prog, u64 r1, u64 r2,
			     struct bpffs_run_ctx *rc)
{
	return interp_run(prog, r1, r2, rc, true);
}
