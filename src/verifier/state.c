// SPDX-License-Identifier: MIT
/*
 * Verifier states: allocation and copy of register/stack/reference state,
 * the containment test used for pruning (is a new state covered by one
 * already proven safe at the same instruction?), and printing for the log.
 * Containment: a scalar is covered when its ranges and known bits lie inside
 * the old ones; a pointer when it is the same kind with the same fixed offset
 * and a variable part inside the old one; ids are compared through a map so
 * two states that link registers the same way compare equal.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct vstate *vstate_alloc(void)
{
	return calloc(1, sizeof(struct vstate));
}

static void func_free(struct func_state *f)
{
	if (!f)
		return;
	free(f->stack);
	free(f);
}

void vstate_clear(struct vstate *st)
{
	u32 i;

	for (i = 0; i < MAX_CALL_FRAMES; i++) {
		func_free(st->frame[i]);
		st->frame[i] = NULL;
	}
	free(st->refs);
	st->refs = NULL;
	st->acquired_refs = 0;
	free(st->hist);
	st->hist = NULL;
	st->hist_len = st->hist_cap = 0;
}

void vstate_free(struct vstate *st)
{
	if (!st)
		return;
	vstate_clear(st);
	free(st);
}

static struct func_state *func_copy(const struct func_state *src)
{
	struct func_state *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	*f = *src;
	f->stack = NULL;
	if (src->allocated_stack) {
		size_t n = src->allocated_stack / BPF_REG_SIZE * sizeof(struct stack_slot);

		f->stack = malloc(n);
		if (!f->stack) {
			free(f);
			return NULL;
		}
		memcpy(f->stack, src->stack, n);
	}
	return f;
}

/* dst becomes a deep copy of src (exploration links included). */
int vstate_copy(struct vstate *dst, const struct vstate *src)
{
	u32 i;

	vstate_clear(dst);
	for (i = 0; i <= src->curframe; i++) {
		dst->frame[i] = func_copy(src->frame[i]);
		if (!dst->frame[i])
			return -ENOMEM;
	}
	if (src->acquired_refs) {
		dst->refs = malloc(src->acquired_refs * sizeof(*dst->refs));
		if (!dst->refs)
			return -ENOMEM;
		memcpy(dst->refs, src->refs, src->acquired_refs * sizeof(*dst->refs));
	}
	dst->acquired_refs = src->acquired_refs;
	if (src->hist_len) {
		dst->hist = malloc(src->hist_len * sizeof(u32));
		if (!dst->hist)
			return -ENOMEM;
		memcpy(dst->hist, src->hist, src->hist_len * sizeof(u32));
	}
	dst->hist_len = dst->hist_cap = src->hist_len;
	dst->all_precise = src->all_precise;
	dst->curframe = src->curframe;
	dst->active_lock_id = src->active_lock_id;
	dst->active_lock_map = src->active_lock_map;
	dst->insn_idx = src->insn_idx;
	dst->parent = src->parent;
	dst->branches = src->branches;
	dst->first_insn_processed = src->first_insn_processed;
	dst->loop_entry_jmps = src->loop_entry_jmps;
	return 0;
}

/* Make room for @size bytes of stack (multiple of 8); new slots invalid. */
int grow_stack(struct func_state *f, int size)
{
	int old_n = f->allocated_stack / BPF_REG_SIZE, n;
	struct stack_slot *s;

	size = (size + BPF_REG_SIZE - 1) / BPF_REG_SIZE * BPF_REG_SIZE;
	if (size <= f->allocated_stack)
		return 0;
	n = size / BPF_REG_SIZE;
	s = realloc(f->stack, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + old_n, 0, (n - old_n) * sizeof(*s));
	f->stack = s;
	f->allocated_stack = size;
	return 0;
}

struct func_state *cur_func(struct verifier_env *env)
{
	return env->cur->frame[env->cur->curframe];
}

/* ---- containment ---------------------------------------------------------- */

#define IDMAP_SIZE 64

struct idmap {
	u32 old[IDMAP_SIZE * 2], cur[IDMAP_SIZE * 2];
	int n;
};

/* ids must correspond one to one between old and cur */
static bool check_ids(struct idmap *m, u32 old_id, u32 cur_id)
{
	int i;

	if (!old_id && !cur_id)
		return true;
	if (!old_id || !cur_id)
		return false;
	for (i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n >= IDMAP_SIZE * 2)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n] = cur_id;
	m->n++;
	return true;
}

static bool range_within(const struct bpf_reg *old, const struct bpf_reg *cur)
{
	return old->umin_value <= cur->umin_value && old->umax_value >= cur->umax_value &&
	       old->smin_value <= cur->smin_value && old->smax_value >= cur->smax_value &&
	       old->u32_min_value <= cur->u32_min_value &&
	       old->u32_max_value >= cur->u32_max_value &&
	       old->s32_min_value <= cur->s32_min_value &&
	       old->s32_max_value >= cur->s32_max_value;
}

static bool reg_exact(const struct bpf_reg *a, const struct bpf_reg *b)
{
	return a->type == b->type && a->flags == b->flags && a->off == b->off &&
	       a->var_off.value == b->var_off.value && a->var_off.mask == b->var_off.mask &&
	       a->umin_value == b->umin_value && a->umax_value == b->umax_value &&
	       a->smin_value == b->smin_value && a->smax_value == b->smax_value &&
	       a->u32_min_value == b->u32_min_value && a->u32_max_value == b->u32_max_value &&
	       a->s32_min_value == b->s32_min_value && a->s32_max_value == b->s32_max_value &&
	       a->map_ptr == b->map_ptr && a->range == b->range && a->mem_size == b->mem_size &&
	       a->frameno == b->frameno && a->subprogno == b->subprogno;
}

static bool regsafe_idmap(struct verifier_env *env, const struct bpf_reg *rold,
			  const struct bpf_reg *rcur, struct idmap *m, bool exact)
{
	if (rold->type == NOT_INIT)
		return !exact || rcur->type == NOT_INIT;
	if (rcur->type == NOT_INIT)
		return false;
	if (exact)
		return reg_exact(rold, rcur) && check_ids(m, rold->id, rcur->id) &&
		       check_ids(m, rold->ref_obj_id, rcur->ref_obj_id);
	if (rold->type != rcur->type || rold->flags != rcur->flags)
		return false;
	switch (rold->type) {
	case SCALAR_VALUE:
		/* linked scalars: ids matter only if old relied on a link */
		if (rold->id && !check_ids(m, rold->id, rcur->id))
			return false;
		/* no path below old depended on this value */
		if (!rold->precise && !env->cmp_all_precise)
			return true;
		return range_within(rold, rcur) && tnum_in(rold->var_off, rcur->var_off);
	case PTR_TO_MAP_KEY:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MEM:
	case PTR_TO_STACK:
	case PTR_TO_CTX:
		if (rold->off != rcur->off || rold->map_ptr != rcur->map_ptr ||
		    rold->mem_size != rcur->mem_size || rold->frameno != rcur->frameno)
			return false;
		if (!range_within(rold, rcur) || !tnum_in(rold->var_off, rcur->var_off))
			return false;
		return check_ids(m, rold->id, rcur->id) &&
		       check_ids(m, rold->ref_obj_id, rcur->ref_obj_id);
	case PTR_TO_PACKET_META:
	case PTR_TO_PACKET:
		/* old proved safe with its range: cur must know at least as much */
		if (rcur->range < rold->range || rold->off != rcur->off)
			return false;
		if (!range_within(rold, rcur) || !tnum_in(rold->var_off, rcur->var_off))
			return false;
		return check_ids(m, rold->id, rcur->id);
	case CONST_PTR_TO_MAP:
		return rold->map_ptr == rcur->map_ptr && check_ids(m, rold->id, rcur->id);
	case PTR_TO_FUNC:
		return rold->subprogno == rcur->subprogno;
	case PTR_TO_PACKET_END:
	case PTR_TO_SOCK_COMMON:
		return check_ids(m, rold->id, rcur->id);
	}
	return false;
}

bool regsafe(struct verifier_env *env, const struct bpf_reg *rold, const struct bpf_reg *rcur,
	     u32 *unused, int idn, bool exact)
{
	struct idmap m = { .n = 0 };

	return regsafe_idmap(env, rold, rcur, &m, exact);
}

static bool is_spill(const struct stack_slot *s)
{
	return s->slot_type[BPF_REG_SIZE - 1] == STACK_SPILL;
}

static bool stacksafe(struct verifier_env *env, const struct func_state *old,
		      const struct func_state *cur, struct idmap *m, bool exact)
{
	int i, j, n = old->allocated_stack / BPF_REG_SIZE;
	int ncur = cur->allocated_stack / BPF_REG_SIZE;

	for (i = 0; i < n; i++) {
		const struct stack_slot *os = &old->stack[i];
		const struct stack_slot *cs = i < ncur ? &cur->stack[i] : NULL;
		static const struct stack_slot empty;

		if (!cs)
			cs = &empty;
		if (exact) {
			if (memcmp(os->slot_type, cs->slot_type, BPF_REG_SIZE))
				return false;
			if (is_spill(os) &&
			    !regsafe_idmap(env, &os->spilled_ptr, &cs->spilled_ptr, m, true))
				return false;
			continue;
		}
		if (is_spill(os)) {
			if (is_spill(cs)) {
				if (!regsafe_idmap(env, &os->spilled_ptr, &cs->spilled_ptr, m, false))
					return false;
				continue;
			}
			/* a spilled unbounded or imprecise scalar is as good as misc bytes */
			if (os->spilled_ptr.type == SCALAR_VALUE &&
			    ((!os->spilled_ptr.precise && !env->cmp_all_precise &&
			      !os->spilled_ptr.id) ||
			     (tnum_is_unknown(os->spilled_ptr.var_off) &&
			      os->spilled_ptr.umax_value == UINT64_MAX &&
			      os->spilled_ptr.smin_value == INT64_MIN))) {
				for (j = 0; j < BPF_REG_SIZE; j++)
					if (cs->slot_type[j] != STACK_MISC &&
					    cs->slot_type[j] != STACK_ZERO)
						return false;
				continue;
			}
			return false;
		}
		for (j = 0; j < BPF_REG_SIZE; j++) {
			u8 o = os->slot_type[j], c = cs->slot_type[j];

			if (o == STACK_INVALID)
				continue;	/* old never relied on this byte */
			if (o == c)
				continue;
			if (o == STACK_MISC && (c == STACK_ZERO ||
						(c == STACK_SPILL &&
						 cs->spilled_ptr.type == SCALAR_VALUE)))
				continue;
			return false;
		}
	}
	if (exact && ncur > n) {
		for (i = n; i < ncur; i++)
			for (j = 0; j < BPF_REG_SIZE; j++)
				if (cur->stack[i].slot_type[j] != STACK_INVALID)
					return false;
	}
	return true;
}

static bool refsafe(const struct vstate *old, const struct vstate *cur, struct idmap *m)
{
	int i;

	if (old->acquired_refs != cur->acquired_refs)
		return false;
	for (i = 0; i < old->acquired_refs; i++)
		if (!check_ids(m, old->refs[i].id, cur->refs[i].id))
			return false;
	return true;
}

static bool func_states_equal(struct verifier_env *env, const struct func_state *old,
			      const struct func_state *cur, u16 live, struct idmap *m, bool exact)
{
	int i;

	if (old->callsite != cur->callsite)
		return false;
	for (i = 0; i < MAX_BPF_REG; i++) {
		if (!exact && !(live & (1u << i)))
			continue;
		if (!regsafe_idmap(env, &old->regs[i], &cur->regs[i], m, exact))
			return false;
	}
	return stacksafe(env, old, cur, m, exact);
}

/* Registers of a caller frame that matter after its call returns. */
static u16 caller_live(struct verifier_env *env, const struct func_state *f)
{
	int ret = f->callsite + 1;

	if (ret < 0 || (u32)ret >= env->insn_cnt)
		return 0x7c0;
	return (env->aux[ret].live_in & ~0x3fu) | (1u << BPF_REG_FP);
}

bool states_equal(struct verifier_env *env, const struct vstate *old, const struct vstate *cur,
		  bool exact)
{
	struct idmap m = { .n = 0 };
	u32 i;

	if (old->curframe != cur->curframe)
		return false;
	env->cmp_all_precise = old->all_precise;
	if (old->active_lock_id || cur->active_lock_id) {
		if (!old->active_lock_id || !cur->active_lock_id ||
		    old->active_lock_map != cur->active_lock_map ||
		    !check_ids(&m, old->active_lock_id, cur->active_lock_id))
			return false;
	}
	for (i = 0; i <= old->curframe; i++) {
		u16 live;

		if (old->frame[i]->callsite != cur->frame[i]->callsite)
			return false;
		live = i == old->curframe ? env->aux[cur->insn_idx].live_in |
					    (1u << BPF_REG_FP)
					  : caller_live(env, old->frame[i]);
		if (!func_states_equal(env, old->frame[i], cur->frame[i], live, &m, exact))
			return false;
	}
	return refsafe(old, cur, &m);
}

/* ---- printing -------------------------------------------------------------- */

static const char *const type_names[REG_TYPE_MAX] = {
	[NOT_INIT] = "?",
	[SCALAR_VALUE] = "scalar",
	[PTR_TO_CTX] = "ctx",
	[CONST_PTR_TO_MAP] = "map_ptr",
	[PTR_TO_MAP_VALUE] = "map_value",
	[PTR_TO_MAP_KEY] = "map_key",
	[PTR_TO_STACK] = "fp",
	[PTR_TO_PACKET_META] = "pkt_meta",
	[PTR_TO_PACKET] = "pkt",
	[PTR_TO_PACKET_END] = "pkt_end",
	[PTR_TO_MEM] = "mem",
	[PTR_TO_FUNC] = "func",
	[PTR_TO_SOCK_COMMON] = "sock_common",
};

const char *reg_type_str(const struct bpf_reg *reg)
{
	static __thread char buf[4][48];
	static __thread int k;
	char *b = buf[k++ & 3];

	snprintf(b, 48, "%s%s%s", reg->flags & MEM_RDONLY ? "rdonly_" : "",
		 type_names[reg->type < REG_TYPE_MAX ? reg->type : 0],
		 reg->flags & PTR_MAYBE_NULL ? "_or_null" : "");
	return b;
}

static void print_scalar(struct verifier_env *env, const struct bpf_reg *r)
{
	char t[64];

	if (tnum_is_const(r->var_off)) {
		verbose(env, "%lld", (long long)r->var_off.value);
		return;
	}
	tnum_strn(t, sizeof(t), r->var_off);
	verbose(env, "scalar(smin=%lld,smax=%lld,umin=%llu,umax=%llu,var_off=%s)",
		(long long)r->smin_value, (long long)r->smax_value,
		(unsigned long long)r->umin_value, (unsigned long long)r->umax_value, t);
}

static void print_reg(struct verifier_env *env, const struct bpf_reg *r)
{
	if (r->type == SCALAR_VALUE) {
		print_scalar(env, r);
		return;
	}
	verbose(env, "%s(", reg_type_str(r));
	if (r->id)
		verbose(env, "id=%u,", r->id);
	if (r->ref_obj_id)
		verbose(env, "ref_obj_id=%u,", r->ref_obj_id);
	verbose(env, "off=%d", r->off);
	if (r->type == PTR_TO_PACKET || r->type == PTR_TO_PACKET_META)
		verbose(env, ",r=%d", r->range);
	if (r->type == PTR_TO_MAP_VALUE || r->type == CONST_PTR_TO_MAP)
		verbose(env, ",map=%p", (void *)r->map_ptr);
	if (r->type == PTR_TO_MEM)
		verbose(env, ",sz=%u", r->mem_size);
	if (!tnum_is_const(r->var_off) || r->var_off.value) {
		char t[64];

		tnum_strn(t, sizeof(t), r->var_off);
		verbose(env, ",var_off=%s,umax=%llu", t, (unsigned long long)r->umax_value);
	}
	verbose(env, ")");
}

void print_state(struct verifier_env *env, const struct func_state *f)
{
	int i;

	if (f->frameno)
		verbose(env, " frame%u:", f->frameno);
	for (i = 0; i < MAX_BPF_REG; i++) {
		if (f->regs[i].type == NOT_INIT)
			continue;
		verbose(env, " R%d=", i);
		print_reg(env, &f->regs[i]);
	}
	for (i = 0; i < f->allocated_stack / BPF_REG_SIZE; i++) {
		const struct stack_slot *s = &f->stack[i];
		char types[BPF_REG_SIZE + 1];
		int j, any = 0;

		for (j = 0; j < BPF_REG_SIZE; j++) {
			types[j] = "?rm0"[s->slot_type[BPF_REG_SIZE - 1 - j]];
			any |= s->slot_type[j];
		}
		types[BPF_REG_SIZE] = 0;
		if (!any)
			continue;
		verbose(env, " fp%d=", -(i + 1) * BPF_REG_SIZE);
		if (is_spill(s))
			print_reg(env, &s->spilled_ptr);
		else
			verbose(env, "%s", types);
	}
	verbose(env, "\n");
}
