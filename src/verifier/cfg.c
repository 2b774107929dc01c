// SPDX-License-Identifier: MIT
/*
 * Control-flow checks run before abstract interpretation: subprogram
 * boundaries (bpf-to-bpf call and callback targets), jumps staying inside
 * their subprogram, every instruction reachable, back-edges (allowed in the
 * root profile, where termination is proven by exploration), prune points,
 * and a static register liveness used by state pruning to ignore dead
 * registers. Opcode validity is bpffs_insns_check()'s job, not this file's.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static bool is_pseudo_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL;
}

static bool is_pseudo_func(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW) && insn->src_reg == BPF_PSEUDO_FUNC;
}

static int add_subprog(struct verifier_env *env, int off)
{
	u32 i;

	if (off < 0 || (u32)off >= env->insn_cnt) {
		verbose(env, "call to invalid destination\n");
		return -EINVAL;
	}
	for (i = 0; i < env->subprog_cnt; i++)
		if (env->subprog[i].start == (u32)off)
			return 0;
	if (env->subprog_cnt >= MAX_SUBPROGS) {
		verbose(env, "too many subprograms\n");
		return -E2BIG;
	}
	env->subprog[env->subprog_cnt++].start = off;
	return 0;
}

static int cmp_subprog(const void *a, const void *b)
{
	const struct subprog_info *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Index of the subprogram starting at @off, or -1. */
int find_subprog(struct verifier_env *env, int off)
{
	u32 lo = 0, hi = env->subprog_cnt;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (env->subprog[mid].start == (u32)off)
			return mid;
		if (env->subprog[mid].start < (u32)off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool is_jmp_insn(const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static s64 jmp_target(const struct bpf_insn *insn, u32 i)
{
	if (BPF_CLASS(insn->code) == BPF_JMP32 && BPF_OP(insn->code) == BPF_JA)
		return (s64)i + insn->imm + 1;	/* gotol */
	return (s64)i + insn->off + 1;
}

int check_subprogs(struct verifier_env *env)
{
	const struct bpf_insn *insn = env->insns;
	u32 i, s;
	int err;

	env->subprog_cnt = 0;
	err = add_subprog(env, 0);
	for (i = 0; !err && i < env->insn_cnt; i++) {
		if (is_pseudo_call(&insn[i]) || is_pseudo_func(&insn[i]))
			err = add_subprog(env, (int)i + insn[i].imm + 1);
	}
	if (err)
		return err;
	qsort(env->subprog, env->subprog_cnt, sizeof(env->subprog[0]), cmp_subprog);
	for (s = 0; s < env->subprog_cnt; s++)
		env->subprog[s].end = s + 1 < env->subprog_cnt ? env->subprog[s + 1].start :
								 env->insn_cnt;
	for (s = 0; s < env->subprog_cnt; s++) {
		u32 start = env->subprog[s].start, end = env->subprog[s].end;
		const struct bpf_insn *last = &insn[end - 1];

		for (i = start; i < end; i++) {
			s64 t;

			if (!is_jmp_insn(&insn[i]))
				continue;
			t = jmp_target(&insn[i], i);
			if (t < start || t >= end) {
				verbose(env, "jump out of range from insn %u to %lld\n", i,
					(long long)t);
				return -EINVAL;
			}
		}
		/* the second half of a ld_imm64 at the end is not an insn */
		if (end >= 2 && bpffs_insn_is_wide(&insn[end - 2]))
			last = &insn[end - 2];
		if (last->code != (BPF_JMP | BPF_EXIT) && last->code != (BPF_JMP | BPF_JA) &&
		    last->code != (BPF_JMP32 | BPF_JA)) {
			verbose(env, "last insn is not an exit or jmp\n");
			return -EINVAL;
		}
	}
	return 0;
}

enum { DISCOVERED = 1, EXPLORED = 2 };

/* Iterative DFS: reachability and back-edges. */
int check_cfg(struct verifier_env *env)
{
	u32 n = env->insn_cnt, sp = 0, i;
	u8 *state = calloc(n, 1);
	u32 *stack = malloc(n * sizeof(u32));
	u8 *edge = calloc(n, 1);
	int err = 0;

	if (!state || !stack || !edge) {
		err = -ENOMEM;
		goto out;
	}
	stack[sp++] = 0;
	state[0] = DISCOVERED;
	while (sp) {
		u32 t = stack[sp - 1];
		const struct bpf_insn *insn = &env->insns[t];
		s64 succ[2];
		int ns = 0, k;
		bool pushed = false;

		if (insn->code == (BPF_JMP | BPF_EXIT)) {
			ns = 0;
		} else if (is_jmp_insn(insn)) {
			succ[ns++] = jmp_target(insn, t);
			if (BPF_OP(insn->code) != BPF_JA) {
				succ[ns++] = t + 1;
				env->aux[t + 1].prune_point = true;
			}
			env->aux[succ[0]].prune_point = true;
			env->aux[succ[0]].jmp_point = true;
			env->aux[t].prune_point = true;
		} else if (is_pseudo_call(insn) || is_pseudo_func(insn)) {
			succ[ns++] = t + (bpffs_insn_is_wide(insn) ? 2 : 1);
			succ[ns++] = (s64)t + insn->imm + 1;
			env->aux[t].prune_point = true;
			env->aux[succ[1]].prune_point = true;
		} else {
			succ[ns++] = t + (bpffs_insn_is_wide(insn) ? 2 : 1);
			if (insn->code == (BPF_JMP | BPF_CALL))
				env->aux[t].prune_point = true;
		}
		for (k = edge[t]; k < ns; k++) {
			s64 w = succ[k];

			edge[t] = k + 1;
			if (w < 0 || (u64)w >= n) {
				verbose(env, "jump out of range from insn %u to %lld\n", t,
					(long long)w);
				err = -EINVAL;
				goto out;
			}
			if (state[w] == DISCOVERED) {
				env->aux[w].loop_head = 1;
				if (env->opts.unprivileged) {
					verbose(env, "back-edge from insn %u to %lld\n", t,
						(long long)w);
					err = -EINVAL;
					goto out;
				}
				continue;
			}
			if (state[w] == EXPLORED)
				continue;
			state[w] = DISCOVERED;
			stack[sp++] = (u32)w;
			pushed = true;
			break;
		}
		if (!pushed) {
			state[t] = EXPLORED;
			sp--;
		}
	}
	for (i = 0; i < n; i++) {
		if (state[i] != EXPLORED) {
			verbose(env, "unreachable insn %u\n", i);
			err = -EINVAL;
			goto out;
		}
		if (bpffs_insn_is_wide(&env->insns[i]))
			i++;
	}
out:
	free(state);
	free(stack);
	free(edge);
	return err;
}

/* registers read (use) and written (def) by one instruction */
void insn_use_def(struct verifier_env *env, const struct bpf_insn *insn, u16 *use, u16 *def)
{
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code), mode = BPF_MODE(insn->code);
	u16 d = 1u << insn->dst_reg, s = 1u << insn->src_reg;

	*use = 0;
	*def = 0;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		*def = d;
		if (op != BPF_MOV)
			*use |= d;
		if (BPF_SRC(insn->code) == BPF_X && op != BPF_NEG && op != BPF_END)
			*use |= s;
		break;
	case BPF_LDX:
		*use = s;
		*def = d;
		break;
	case BPF_ST:
		*use = d;
		break;
	case BPF_STX:
		*use = d | s;
		if (mode == BPF_ATOMIC) {
			if (insn->imm == BPF_CMPXCHG) {
				*use |= 1;
				*def = 1;
			} else if (insn->imm & BPF_FETCH) {
				*def = s;
			}
		}
		break;
	case BPF_LD:
		if (mode == BPF_IMM) {
			*def = d;
		} else {
			*use = 1u << BPF_REG_6;
			if (mode == BPF_IND)
				*use |= s;
			*def = 0x3f;
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL) {
			*use = 0x3e;
			*def = 0x3f;
		} else if (op == BPF_EXIT) {
			*use = 1;
		} else if (op != BPF_JA) {
			*use = d;
			if (BPF_SRC(insn->code) == BPF_X)
				*use |= s;
		}
		break;
	}
}

/* Backward dataflow to a fixpoint; calls are treated intra-procedurally. */
void compute_liveness(struct verifier_env *env)
{
	u32 n = env->insn_cnt;
	bool changed = true;
	s64 i;

	for (i = 0; i < n; i++)
		env->aux[i].live_in = 0;
	while (changed) {
		changed = false;
		for (i = (s64)n - 1; i >= 0; i--) {
			const struct bpf_insn *insn = &env->insns[i];
			u16 use, def, out = 0, in;
			u8 cls = BPF_CLASS(insn->code);

			if (i > 0 && bpffs_insn_is_wide(&env->insns[i - 1]))
				continue;
			insn_use_def(env, insn, &use, &def);
			if (insn->code == (BPF_JMP | BPF_EXIT)) {
				out = 0;
			} else if (is_jmp_insn(insn)) {
				out = env->aux[jmp_target(insn, i)].live_in;
				if (BPF_OP(insn->code) != BPF_JA)
					out |= env->aux[i + 1].live_in;
			} else {
				s64 next = i + (bpffs_insn_is_wide(insn) ? 2 : 1);

				if (next < n)
					out = env->aux[next].live_in;
			}
			(void)cls;
			in = use | (out & ~def);
			if (in != env->aux[i].live_in) {
				env->aux[i].live_in = in;
				changed = true;
			}
		}
	}
}
