// SPDX-License-Identifier: MIT
/*
 * The verifier driver: structural checks, then a depth-first walk of every
 * path through the program over abstract states, one instruction at a time,
 * with a stack of pending branches. At prune points a state already covered
 * by an explored one is dropped; an exploring state met again unchanged is an
 * infinite loop. Bounded loops are simply walked (each iteration differs) up
 * to the processed-instruction limit. The per-instruction checks live in
 * check_alu.c, check_mem.c and check_call.c.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

/* Pending branches, as the kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ. */
#define MAX_PENDING 8192
#define MAX_STATES_PER_INSN 1024
/* Explored plus pending states; beyond it the program is too complex. */
#define MAX_STATE_BYTES (512ull << 20)

void verbose(struct verifier_env *env, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char *p, *nl;

	if (!env->log || !env->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (p = buf; *p; p = nl) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (!env->log_midline && env->log_insn >= 0)
			bpffs_vlog_printf(env->log, "%d: ", env->log_insn);
		bpffs_vlog_printf(env->log, "%.*s", (int)(nl - p), p);
		env->log_midline = nl[-1] != '\n';
	}
}

u32 new_id(struct verifier_env *env)
{
	return ++env->id_gen;
}

static void account_state(struct verifier_env *env, s64 bytes)
{
	env->state_bytes += bytes;
	if (env->state_bytes > env->peak_state_bytes)
		env->peak_state_bytes = env->state_bytes;
}

/* Explored and pending states within bounds? Else log why and -E2BIG. */
static int check_state_limits(struct verifier_env *env)
{
	if (env->stack_size >= MAX_PENDING) {
		verbose(env, "The sequence of %d jumps is too complex.\n", env->stack_size);
		return -E2BIG;
	}
	if (env->state_bytes > MAX_STATE_BYTES) {
		verbose(env, "BPF program is too complex: verifier states use %llu MiB (limit %llu)\n",
			(unsigned long long)(env->state_bytes >> 20), MAX_STATE_BYTES >> 20);
		return -E2BIG;
	}
	return 0;
}

struct vstate *push_stack(struct verifier_env *env, int insn_idx, int prev_insn_idx)
{
	struct stack_elem *e;

	env->push_err = check_state_limits(env);
	if (env->push_err)
		return NULL;
	env->push_err = -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (vstate_copy(&e->st, env->cur)) {
		vstate_clear(&e->st);
		free(e);
		return NULL;
	}
	if (env->hist_insn >= 0 && hist_append(&e->st, hist_entry(env))) {
		vstate_clear(&e->st);
		free(e);
		return NULL;
	}
	e->insn_idx = insn_idx;
	e->prev_insn_idx = prev_insn_idx;
	e->next = env->head;
	env->head = e;
	env->stack_size++;
	env->push_err = 0;
	e->bytes = (u32)vstate_bytes(&e->st);
	account_state(env, e->bytes);
	if (env->cur->parent)
		env->cur->parent->branches++;
	return &e->st;
}

/* Returns 0 and the next state in env->cur, or -ENOENT when none is left. */
static int pop_stack(struct verifier_env *env, int *insn_idx, int *prev_insn_idx)
{
	struct stack_elem *e = env->head;

	if (!e)
		return -ENOENT;
	account_state(env, -(s64)e->bytes);
	vstate_clear(env->cur);
	*env->cur = e->st;
	*insn_idx = e->insn_idx;
	if (prev_insn_idx)
		*prev_insn_idx = e->prev_insn_idx;
	env->head = e->next;
	env->stack_size--;
	free(e);
	return 0;
}

static void update_branch_counts(struct vstate *st)
{
	while (st) {
		if (--st->branches)
			break;
		st = st->parent;
	}
}

static bool is_callback_entry(struct verifier_env *env, int insn_idx)
{
	int sp = find_subprog(env, insn_idx);

	return sp > 0 && env->subprog[sp].is_callback;
}

static void free_explored(struct verifier_env *env, struct vstate_list **pp)
{
	struct vstate_list *sl = *pp;

	*pp = sl->next;
	account_state(env, -(s64)sl->bytes);
	vstate_free(sl->state);
	free(sl);
	env->cur_states--;
}

/* @sl's state just turned out finished: record what any match needs. */
static void explored_sig(struct verifier_env *env, struct vstate_list *sl, int insn_idx)
{
	const struct vstate *st = sl->state;
	const struct func_state *f = st->frame[st->curframe];
	/* as states_equal: registers live here and read below the state */
	u16 live = (env->aux[insn_idx].live_in | (1u << BPF_REG_FP)) & f->regs_read;
	int i;

	sl->done = true;
	sl->curframe = (u8)st->curframe;
	sl->callsite = f->callsite;
	sl->sig_regs = 0;
	sl->sig_precise = 0;
	for (i = 0; i < MAX_BPF_REG; i++) {
		const struct bpf_reg *r = &f->regs[i];

		if (!(live & (1u << i)) || r->type == NOT_INIT)
			continue;
		sl->sig_regs |= (u16)(1u << i);
		sl->sig_type[i] = r->type;
		sl->sig_flags[i] = r->flags;
		/* regsafe compares such a scalar by range (range_within) */
		if (r->type == SCALAR_VALUE && (r->precise || st->all_precise)) {
			sl->sig_precise |= (u16)(1u << i);
			sl->sig_umin[i] = r->umin_value;
			sl->sig_umax[i] = r->umax_value;
		}
	}
}

/* Could cur match @sl's finished state? false: certainly not. */
static bool explored_sig_match(const struct vstate_list *sl, const struct vstate *cur)
{
	const struct func_state *f = cur->frame[cur->curframe];
	int i;

	if (sl->curframe != cur->curframe || sl->callsite != f->callsite)
		return false;
	for (i = 0; i < MAX_BPF_REG; i++) {
		const struct bpf_reg *r = &f->regs[i];

		if (!(sl->sig_regs & (1u << i)))
			continue;
		if (r->type != sl->sig_type[i] || r->flags != sl->sig_flags[i])
			return false;
		if ((sl->sig_precise & (1u << i)) &&
		    (r->umin_value < sl->sig_umin[i] || r->umax_value > sl->sig_umax[i]))
			return false;
	}
	return true;
}

/* 1: cur is covered (prune); 0: explore on; <0: error (infinite loop). */
static int is_state_visited(struct verifier_env *env, int insn_idx)
{
	struct insn_aux *aux = &env->aux[insn_idx];
	struct vstate *cur = env->cur, *copy;
	struct vstate_list **pp, *sl, *n;
	/* (re)entered, not reached by a jump: a loop back to the entry must
	 * meet the infinite-loop check like any other loop */
	bool cb_entry = cur_func(env)->cb_fresh && is_callback_entry(env, insn_idx);
	int err;
	/*
	 * Keep states for later pruning only where paths join (jump targets,
	 * loop heads, callback entries). Kept also after calls, as the kernel
	 * does, they cut processed instructions by a fifth on Cilium but cost
	 * more in comparisons and copies than they save.
	 */
	bool add = aux->jmp_point || aux->loop_head || cb_entry;

	cur->insn_idx = insn_idx;
	cur_func(env)->cb_fresh = false;
	for (pp = &aux->explored; (sl = *pp);) {
		if (!sl->done && sl->state->branches) {
			if (cb_entry && states_equal(env, sl->state, cur, false)) {
				sl->hit_cnt++;
				propagate_precision(env, sl->state);
				propagate_liveness(env, sl->state);
				return 1;
			}
			if (!cb_entry && states_equal(env, sl->state, cur, true)) {
				verbose(env, "infinite loop detected at insn %d\n", insn_idx);
				return -EACCES;
			}
			/* inside a loop: not a new state on every pass */
			if (env->jmps_processed - env->prev_jmps_processed < 2 &&
			    env->insn_processed - env->prev_insn_processed < 8)
				add = false;
			sl->miss_cnt++;
			pp = &sl->next;
			continue;
		}
		if (!sl->done)
			explored_sig(env, sl, insn_idx);
		if (explored_sig_match(sl, cur) && states_equal(env, sl->state, cur, false)) {
			sl->hit_cnt++;
			propagate_precision(env, sl->state);
			propagate_liveness(env, sl->state);
			return 1;
		}
		sl->miss_cnt++;
		if (sl->miss_cnt > sl->hit_cnt * 3 + 3 && sl->miss_cnt > 8) {
			free_explored(env, pp);
			aux->explored_cnt--;
			continue;
		}
		pp = &sl->next;
	}
	if (!add || aux->explored_cnt >= MAX_STATES_PER_INSN)
		return 0;
	err = check_state_limits(env);
	if (err)
		return err;
	n = calloc(1, sizeof(*n));
	copy = vstate_alloc();
	if (!n || !copy || vstate_copy(copy, cur)) {
		free(n);
		vstate_free(copy);
		return -ENOMEM;
	}
	copy->branches = 1;
	copy->parent = cur->parent;
	copy->all_precise = env->opts.all_precise;
	cur->parent = copy;
	liveness_checkpoint(cur, copy);
	cur->hist_len = 0;	/* cur's history now starts at this checkpoint */
	n->state = copy;
	n->next = aux->explored;
	aux->explored = n;
	aux->explored_cnt++;
	env->total_states++;
	env->cur_states++;
	n->bytes = (u32)vstate_bytes(copy);
	account_state(env, n->bytes);
	if (env->cur_states > env->peak_states)
		env->peak_states = env->cur_states;
	if (aux->explored_cnt > env->max_states_per_insn)
		env->max_states_per_insn = aux->explored_cnt;
	env->prev_jmps_processed = env->jmps_processed;
	env->prev_insn_processed = env->insn_processed;
	return 0;
}

static int check_return_code(struct verifier_env *env)
{
	struct bpf_reg *r0 = &cur_regs(env)[BPF_REG_0];

	if (r0->type == NOT_INIT) {
		verbose(env, "R0 !read_ok\n");
		return -EACCES;
	}
	if (r0->type != SCALAR_VALUE) {
		if (env->opts.unprivileged || env->ptype->check_ret) {
			verbose(env, "R0 leaks addr as return value\n");
			return -EACCES;
		}
		return 0;
	}
	if (env->ptype->check_ret)
		mark_precise_reg(env, BPF_REG_0);
	if (env->ptype->check_ret &&
	    (r0->smin_value < env->ptype->ret_min || r0->smax_value > env->ptype->ret_max)) {
		verbose(env, "At program exit the register R0 has smin=%lld smax=%lld should have been in [%d, %d]\n",
			(long long)r0->smin_value, (long long)r0->smax_value, env->ptype->ret_min,
			env->ptype->ret_max);
		return -EACCES;
	}
	return 0;
}

static int check_exit(struct verifier_env *env, int *insn_idx, bool *path_done)
{
	struct vstate *st = env->cur;
	int err, i;

	if (st->active_lock_id) {
		verbose(env, "BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region\n");
		return -EINVAL;
	}
	if (st->curframe) {
		err = prepare_func_exit(env, insn_idx);
		if (err < 0)
			return err;
		*path_done = err == 1;
		return 0;
	}
	err = check_return_code(env);
	if (err)
		return err;
	for (i = 0; i < st->acquired_refs; i++) {
		verbose(env, "Unreleased reference id=%u alloc_insn=%d\n", st->refs[i].id,
			st->refs[i].insn_idx);
		return -EINVAL;
	}
	*path_done = true;
	return 0;
}

static void trace_insn(struct verifier_env *env, int insn_idx)
{
	char buf[128];

	if (env->log_level < BPFFS_LOG_TRACE)
		return;
	env->log_insn = -1;
	verbose(env, "%d:", insn_idx);
	print_state(env, cur_func(env));
	if (bpffs_disasm_insn(&env->insns[insn_idx], buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "(%02x)", env->insns[insn_idx].code);
	verbose(env, "%d: %s\n", insn_idx, buf);
	env->log_insn = insn_idx;
}

/* One instruction; *insn_idx is advanced; *path_done when the path ended. */
static int do_insn(struct verifier_env *env, int *insn_idx, bool *path_done)
{
	const struct bpf_insn *insn = &env->insns[*insn_idx];
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
	int err;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		err = check_alu_op(env, insn);
		break;
	case BPF_LDX:
	case BPF_ST:
		err = check_mem_insn(env, *insn_idx);
		break;
	case BPF_STX:
		err = BPF_MODE(insn->code) == BPF_ATOMIC ? check_atomic(env, *insn_idx) :
							   check_mem_insn(env, *insn_idx);
		break;
	case BPF_LD:
		if (BPF_MODE(insn->code) == BPF_IMM) {
			err = check_ld_imm(env, insn);
			(*insn_idx)++;
		} else {
			err = check_ld_abs(env, insn);
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		env->jmps_processed++;
		if (op == BPF_CALL) {
			if (insn->src_reg == BPF_PSEUDO_CALL) {
				err = check_func_call(env, insn, insn_idx);
			} else if (insn->src_reg) {
				verbose(env, "calls to kernel functions (kfuncs) are not supported\n");
				return -EINVAL;
			} else {
				err = check_helper_call(env, insn, *insn_idx);
				if (err == 1) {
					*insn_idx = env->subprog[cur_func(env)->subprogno].start;
					return 0;
				}
			}
		} else if (op == BPF_EXIT) {
			err = check_exit(env, insn_idx, path_done);
		} else if (op == BPF_JA) {
			*insn_idx += cls == BPF_JMP32 ? insn->imm : insn->off;
			err = 0;
		} else {
			err = check_cond_jmp_op(env, insn, insn_idx);
		}
		break;
	default:
		verbose(env, "unknown insn class %d\n", cls);
		return -EINVAL;
	}
	if (err)
		return err;
	(*insn_idx)++;
	return 0;
}

/*
 * After a plain load: is the loaded scalar any value of the load's size?
 * Then whatever the memory held (an unknown spill, misc bytes) did not
 * bound it, and precision need not be tracked into the memory.
 */
static bool load_gave_unknown(struct verifier_env *env, const struct bpf_insn *insn)
{
	static const u8 bytes[] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1,
				    [BPF_DW >> 3] = 8 };
	const struct bpf_reg *r;
	struct bpf_reg any;
	int size;

	if (BPF_CLASS(insn->code) != BPF_LDX || BPF_MODE(insn->code) != BPF_MEM)
		return false;
	r = &cur_regs(env)[insn->dst_reg];
	size = bytes[BPF_SIZE(insn->code) >> 3];
	/*
	 * Every bound, not only the unsigned ones: a filled 2 - x for x in
	 * [0, 256] has umin 0, umax U64_MAX and an unknown tnum, yet its
	 * signed bounds [-254, 2] came from the spill and must stay precise.
	 */
	reg_mark_unknown(&any);
	if (size < 8)
		coerce_reg_to_size(&any, size);
	return r->type == SCALAR_VALUE && r->var_off.value == any.var_off.value &&
	       r->var_off.mask == any.var_off.mask && r->umin_value == any.umin_value &&
	       r->umax_value == any.umax_value && r->smin_value == any.smin_value &&
	       r->smax_value == any.smax_value && r->u32_min_value == any.u32_min_value &&
	       r->u32_max_value == any.u32_max_value && r->s32_min_value == any.s32_min_value &&
	       r->s32_max_value == any.s32_max_value;
}

static int do_check(struct verifier_env *env)
{
	int insn_idx = 0, err;
	bool path_done;

	for (;;) {
		if (insn_idx < 0 || (u32)insn_idx >= env->insn_cnt) {
			verbose(env, "invalid insn idx %d insn_cnt %u\n", insn_idx, env->insn_cnt);
			return -EFAULT;
		}
		env->log_insn = insn_idx;
		if (++env->insn_processed > env->insn_limit) {
			verbose(env, "BPF program is too large. Processed %u insn\n", env->insn_limit);
			return -E2BIG;
		}
		path_done = false;
		if (env->aux[insn_idx].prune_point) {
			err = is_state_visited(env, insn_idx);
			if (err < 0)
				return err;
			if (err == 1) {
				if (env->log_level >= BPFFS_LOG_TRACE)
					verbose(env, "safe\n");
				path_done = true;
			}
		}
		if (!path_done) {
			u32 frame = env->cur->curframe;
			int this_insn = insn_idx;

			struct insn_aux *aux = &env->aux[insn_idx];

			trace_insn(env, insn_idx);
			env->hist_insn = insn_idx;
			env->hist_flags = 0;
			/* liveness: what this instruction reads, then overwrites */
			if (!aux->use_def_set) {
				insn_use_def(env, &env->insns[insn_idx], &aux->use, &aux->def);
				aux->use &= ~(1u << BPF_REG_FP);
				aux->use_def_set = true;
			}
			mark_regs_read(env, aux->use);
			mark_regs_written(env, frame, aux->def);
			err = do_insn(env, &insn_idx, &path_done);
			if (err == -ENOMEM && env->push_err)
				err = env->push_err;	/* a branch could not be queued */
			if (err)
				return err;
			if (load_gave_unknown(env, &env->insns[this_insn]))
				env->hist_flags |= HIST_LOAD_UNKNOWN;
			if (env->cur->curframe < frame)	/* returned: r0-r5 are new */
				mark_regs_written(env, env->cur->curframe, 0x3f);
			if (env->cur->curframe < env->cur->seg_min_frame)
				env->cur->seg_min_frame = env->cur->curframe;
			err = hist_append(env->cur, (u32)this_insn | (frame << 24) | env->hist_flags);
			if (err)
				return err;
			env->hist_insn = -1;
		}
		if (!path_done)
			continue;
		update_branch_counts(env->cur->parent);
		if (pop_stack(env, &insn_idx, NULL))
			return 0;
		if (env->log_level >= BPFFS_LOG_TRACE) {
			env->log_insn = -1;
			verbose(env, "from %d: explore branch\n", insn_idx);
		}
	}
}

static int init_state(struct verifier_env *env)
{
	struct func_state *f = calloc(1, sizeof(*f));
	int i;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < MAX_BPF_REG; i++)
		reg_mark_not_init(&f->regs[i]);
	reg_mark_known_zero(&f->regs[BPF_REG_1]);
	f->regs[BPF_REG_1].type = PTR_TO_CTX;
	reg_mark_known_zero(&f->regs[BPF_REG_FP]);
	f->regs[BPF_REG_FP].type = PTR_TO_STACK;
	f->callsite = -1;
	env->cur->frame[0] = f;
	env->cur->curframe = 0;
	return 0;
}

static u32 round_frame(u32 depth)
{
	return ((depth ? depth : 1) + 31) / 32 * 32;
}

/* Deepest combined stack over static call chains from subprog @sp. */
static int max_chain_depth(struct verifier_env *env, int sp, int frames, u32 *out)
{
	u32 best = 0, d;
	u32 i;
	int err;

	if (frames > MAX_CALL_FRAMES) {
		*out = 0;
		return 0;	/* recursion was bounded dynamically */
	}
	for (i = env->subprog[sp].start; i < env->subprog[sp].end; i++) {
		const struct bpf_insn *insn = &env->insns[i];
		int callee;

		if (!((insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL) ||
		      (insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
		       insn->src_reg == BPF_PSEUDO_FUNC)))
			continue;
		callee = find_subprog(env, (int)i + insn->imm + 1);
		if (callee < 0 || callee == sp)
			continue;
		err = max_chain_depth(env, callee, frames + 1, &d);
		if (err)
			return err;
		if (d > best)
			best = d;
	}
	*out = round_frame(env->subprog[sp].stack_depth) + best;
	return 0;
}

static int check_max_stack_depth(struct verifier_env *env)
{
	u32 depth = 0;
	int err = max_chain_depth(env, 0, 1, &depth);

	if (err)
		return err;
	if (depth > MAX_COMBINED_STACK) {
		env->log_insn = -1;
		verbose(env, "combined stack size of %u calls is %u. Too large\n", env->subprog_cnt,
			depth);
		return -EACCES;
	}
	return 0;
}

static void free_env(struct verifier_env *env)
{
	u32 i;
	int dummy;

	if (env->aux) {
		for (i = 0; i < env->insn_cnt; i++)
			while (env->aux[i].explored)
				free_explored(env, &env->aux[i].explored);
		free(env->aux);
	}
	while (!pop_stack(env, &dummy, NULL))
		;
	vstate_free(env->cur);
}

static u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

int bpffs_verify_stats(struct bpffs_prog *prog, const struct bpffs_verifier_opts *opts,
		       struct bpffs_vlog *log, struct bpffs_verifier_stats *stats)
{
	struct verifier_env *env = calloc(1, sizeof(*env));
	u64 t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	u32 i, depth = 0;
	int err;

	if (!env)
		return -ENOMEM;
	if (opts)
		env->opts = *opts;
	env->insn_limit = env->opts.insn_limit ? env->opts.insn_limit : BPFFS_MAX_INSNS;
	env->prog = prog;
	env->insns = prog->insns;
	env->insn_cnt = prog->insn_cnt;
	env->log = log;
	env->log_level = log ? log->level : 0;
	env->log_insn = -1;
	env->hist_insn = -1;
	env->ptype = prog_type_desc_get(prog->type);
	if (!env->ptype) {
		verbose(env, "unsupported program type %u\n", prog->type);
		err = -EINVAL;
		goto out_nostats;
	}
	err = bpffs_insns_check(prog->insns, prog->insn_cnt, log);
	if (err)
		goto out_nostats;
	env->aux = calloc(env->insn_cnt, sizeof(*env->aux));
	env->cur = vstate_alloc();
	if (!env->aux || !env->cur) {
		err = -ENOMEM;
		goto out_nostats;
	}
	err = check_subprogs(env);
	if (!err)
		err = check_cfg(env);
	if (err)
		goto out_nostats;
	compute_liveness(env);
	env->aux[0].prune_point = true;
	err = init_state(env);
	if (!err)
		err = do_check(env);
	env->log_insn = -1;
	if (!err)
		err = check_max_stack_depth(env);
	if (!err) {
		for (i = 0; i < env->subprog_cnt; i++)
			if (env->subprog[i].stack_depth > depth)
				depth = env->subprog[i].stack_depth;
		prog->stack_depth = (depth + 7) / 8 * 8;
		/* the runtimes zero each frame of such a program (see byte_init) */
		prog->zero_stack = env->reads_uninit_stack;
	}
	env->log_insn = -1;
	env->log_midline = false;
	verbose(env, "processed %u insns (limit %u) max_states_per_insn %u total_states %u peak_states %u mark_read 0\n",
		env->insn_processed, env->insn_limit, env->max_states_per_insn, env->total_states,
		env->peak_states);
out_nostats:
	if (stats) {
		stats->insn_processed = env->insn_processed;
		stats->total_states = env->total_states;
		stats->peak_states = env->peak_states;
		stats->max_states_per_insn = env->max_states_per_insn;
		stats->peak_state_bytes = env->peak_state_bytes;
		stats->time_ns = now_ns(CLOCK_MONOTONIC) - t0;
		stats->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
	free_env(env);
	free(env);
	vstate_cache_drain();
	return err;
}

int bpffs_verify(struct bpffs_prog *prog, const struct bpffs_verifier_opts *opts,
		 struct bpffs_vlog *log)
{
	return bpffs_verify_stats(prog, opts, log, NULL);
}
