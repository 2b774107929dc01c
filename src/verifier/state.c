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

/*
 * Frames and their stacks are too large for malloc's fast per-thread bins
 * and are made and dropped with every branch: keep a few freed ones for
 * reuse, per thread (stacks by their number of slots), until the
 * verification ends (vstate_cache_drain).
 */
#define FRAME_CACHE 64
#define STACK_CACHE 4
#define STACK_SLOTS (MAX_BPF_STACK / BPF_REG_SIZE)
static __thread struct func_state *frame_cache[FRAME_CACHE];
static __thread int frame_cached;
static __thread struct stack_slot *stack_cache[STACK_SLOTS + 1][STACK_CACHE];
static __thread u8 stack_cached[STACK_SLOTS + 1];

static struct func_state *func_alloc(void)
{
	return frame_cached ? frame_cache[--frame_cached] : malloc(sizeof(struct func_state));
}

static struct stack_slot *stack_alloc(int slots)
{
	if (slots <= STACK_SLOTS && stack_cached[slots])
		return stack_cache[slots][--stack_cached[slots]];
	return malloc(slots * sizeof(struct stack_slot));
}

static void func_free(struct func_state *f)
{
	int slots;

	if (!f)
		return;
	slots = f->allocated_stack / BPF_REG_SIZE;
	if (f->stack && slots <= STACK_SLOTS && stack_cached[slots] < STACK_CACHE)
		stack_cache[slots][stack_cached[slots]++] = f->stack;
	else
		free(f->stack);
	if (frame_cached < FRAME_CACHE)
		frame_cache[frame_cached++] = f;
	else
		free(f);
}

void vstate_cache_drain(void)
{
	int i;

	while (frame_cached)
		free(frame_cache[--frame_cached]);
	for (i = 0; i <= STACK_SLOTS; i++)
		while (stack_cached[i])
			free(stack_cache[i][--stack_cached[i]]);
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
	struct func_state *f = func_alloc();

	if (!f)
		return NULL;
	*f = *src;
	f->stack = NULL;
	if (src->allocated_stack) {
		size_t n = src->allocated_stack / BPF_REG_SIZE * sizeof(struct stack_slot);

		f->stack = stack_alloc(src->allocated_stack / BPF_REG_SIZE);
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
	dst->seg_min_frame = src->seg_min_frame;
	return 0;
}

/* Heap bytes held by @st (for the verifier's memory statistics and cap). */
size_t vstate_bytes(const struct vstate *st)
{
	size_t n = sizeof(*st) + st->acquired_refs * sizeof(*st->refs) +
		   st->hist_cap * sizeof(u32);
	u32 i;

	for (i = 0; i <= st->curframe; i++)
		if (st->frame[i])
			n += sizeof(struct func_state) + st->frame[i]->allocated_stack /
				BPF_REG_SIZE * sizeof(struct stack_slot);
	return n;
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

/* ---- stack liveness ------------------------------------------------------- */

/* Depth of @f in the current state, -1 if it is not one of its frames. */
static int frame_index(const struct vstate *st, const struct func_state *f)
{
	u32 i;

	for (i = 0; i <= st->curframe; i++)
		if (st->frame[i] == f)
			return (int)i;
	return -1;
}

/*
 * The current path reads slot @spi of frame @fi: every checkpoint above it,
 * up to the one before the slot was last wholly written, must keep the
 * slot when pruning. Stops early at a checkpoint already marked: the rest
 * of the chain above it was marked then.
 */
static void mark_slot_read(struct verifier_env *env, u32 fi, int spi)
{
	const struct vstate *cur = env->cur;
	u64 bit = 1ULL << spi;
	struct vstate *st;

	if ((cur->frame[fi]->stack_written & bit) || cur->seg_min_frame < fi)
		return;
	for (st = cur->parent; st; st = st->parent) {
		struct func_state *f = st->frame[fi];

		if (st->curframe < fi || (f->stack_read & bit))
			return;
		f->stack_read |= bit;
		/* the segment that led to st: did it overwrite the slot first,
		 * or was this frame made inside it? */
		if ((f->stack_written & bit) || st->seg_min_frame < fi)
			return;
	}
}

/* The same for register @regno of frame @fi. */
static void mark_reg_read(struct verifier_env *env, u32 fi, int regno)
{
	const struct vstate *cur = env->cur;
	u16 bit = (u16)(1u << regno);
	struct vstate *st;

	if ((cur->frame[fi]->regs_written & bit) || cur->seg_min_frame < fi)
		return;
	for (st = cur->parent; st; st = st->parent) {
		struct func_state *f = st->frame[fi];

		if (st->curframe < fi || (f->regs_read & bit))
			return;
		f->regs_read |= bit;
		if ((f->regs_written & bit) || st->seg_min_frame < fi)
			return;
	}
}

/* The instruction being checked reads @regs of the current frame. */
void mark_regs_read(struct verifier_env *env, u16 regs)
{
	u32 left = regs & ~env->cur->frame[env->cur->curframe]->regs_written;

	while (left) {
		mark_reg_read(env, env->cur->curframe, __builtin_ctz(left));
		left &= left - 1;
	}
}

/* ... and overwrites @regs (after its reads). */
void mark_regs_written(struct verifier_env *env, u32 frame, u16 regs)
{
	env->cur->frame[frame]->regs_written |= regs;
}

/* Slots [spi_lo, spi_hi] of frame @f (a frame of the current state) are read. */
void mark_stack_read(struct verifier_env *env, const struct func_state *f, int spi_lo,
		     int spi_hi)
{
	int fi = frame_index(env->cur, f), spi;

	if (fi < 0)
		return;
	if (spi_lo < 0)
		spi_lo = 0;
	for (spi = spi_lo; spi <= spi_hi && spi < 64; spi++)
		mark_slot_read(env, (u32)fi, spi);
}

/* Slot @spi of frame @f was wholly overwritten (all 8 bytes, any content). */
void mark_stack_written(struct verifier_env *env, struct func_state *f, int spi)
{
	if (spi >= 0 && spi < 64)
		f->stack_written |= 1ULL << spi;
}

/* cur was pruned against @old: what paths below old read, cur's path reads. */
void propagate_liveness(struct verifier_env *env, const struct vstate *old)
{
	u32 i;

	for (i = 0; i <= old->curframe && i <= env->cur->curframe; i++) {
		/* old still being explored: its marks are not final, keep everything */
		u64 live = old->branches ? ~0ULL : old->frame[i]->stack_read;
		u32 regs = old->branches ? (1u << MAX_BPF_REG) - 1 : old->frame[i]->regs_read;

		live &= ~env->cur->frame[i]->stack_written;	/* stop at once */
		regs &= ~env->cur->frame[i]->regs_written;
		for (; live; live &= live - 1)
			mark_slot_read(env, i, __builtin_ctzll(live));
		for (; regs; regs &= regs - 1)
			mark_reg_read(env, i, __builtin_ctz(regs));
	}
}

/* @copy of cur becomes an explored state; cur starts a new segment below it. */
void liveness_checkpoint(struct vstate *cur, struct vstate *copy)
{
	u32 i;

	for (i = 0; i <= cur->curframe; i++) {
		copy->frame[i]->stack_read = 0;
		copy->frame[i]->regs_read = 0;
		cur->frame[i]->stack_written = 0;
		cur->frame[i]->regs_written = 0;
	}
	cur->seg_min_frame = cur->curframe;
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

/* Some bytes known zero (not a spill); its spilled_ptr.precise says whether
 * a path relied on their zero value (see precision.c). */
bool slot_has_zero(const struct stack_slot *s)
{
	int j;

	if (s->slot_type[BPF_REG_SIZE - 1] == STACK_SPILL)
		return false;
	for (j = 0; j < BPF_REG_SIZE; j++)
		if (s->slot_type[j] == STACK_ZERO)
			return true;
	return false;
}

/* @live: slots that matter (paths below old read them); all when exact. */
static bool stacksafe(struct verifier_env *env, const struct func_state *old,
		      const struct func_state *cur, struct idmap *m, bool exact, u64 live)
{
	int i, j, n = old->allocated_stack / BPF_REG_SIZE;
	int ncur = cur->allocated_stack / BPF_REG_SIZE;
	u64 unchecked = n >= 64 ? ~0ULL : (1ULL << n) - 1;
	bool zero_as_misc;

	if (!exact)
		unchecked &= live;
	for (; unchecked; unchecked &= unchecked - 1) {
		const struct stack_slot *os, *cs;
		static const struct stack_slot empty;

		i = __builtin_ctzll(unchecked);
		os = &old->stack[i];
		cs = i < ncur ? &cur->stack[i] : NULL;
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
		/* zero bytes whose value no path below relied on are as good
		 * as initialised ones (precise: see mark_in_state) */
		zero_as_misc = !exact && !os->spilled_ptr.precise && !env->cmp_all_precise;
		for (j = 0; j < BPF_REG_SIZE; j++) {
			u8 o = os->slot_type[j], c = cs->slot_type[j];

			if (o == STACK_INVALID)
				continue;	/* old never relied on this byte */
			if (o == STACK_ZERO && zero_as_misc)
				o = STACK_MISC;
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
			      const struct func_state *cur, u16 live, struct idmap *m, bool exact,
			      bool complete)
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
	return stacksafe(env, old, cur, m, exact, complete ? old->stack_read : ~0ULL);
}

/*
 * Registers of a caller frame that matter after its call returns; @callee is
 * the frame it called (its callsite is the call instruction in the caller:
 * the caller's own callsite is in its caller, or -1 for main).
 */
static u16 caller_live(struct verifier_env *env, const struct func_state *callee)
{
	int ret = callee->callsite + 1;

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
		/* static liveness, and for a finished old only what its paths
		 * read (both over-approximate what matters) */
		live = i == old->curframe ? env->aux[cur->insn_idx].live_in | (1u << BPF_REG_FP)
					  : caller_live(env, old->frame[i + 1]);
		if (!exact && !old->branches)
			live &= old->frame[i]->regs_read;
		if (!func_states_equal(env, old->frame[i], cur->frame[i], live, &m, exact,
				       !old->branches))
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
