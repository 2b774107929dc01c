// SPDX-License-Identifier: MIT
/*
 * Calls and exits: helper calls checked against their prototypes (argument
 * kinds, map compatibility, memory + size pairs, callbacks, references and
 * spin locks), bpf-to-bpf calls with frames, callbacks verified as calls
 * that may run zero or more times, and function/program exit (return value,
 * leaked references, held locks). Caller-saved R1-R5 become unreadable
 * after every call.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "maps/maps.h"

struct call_meta {
	struct bpffs_map *map;
	int mem_regno;		/* pending memory argument waiting for its size */
	bool mem_write;
	bool mem_or_null;
	u64 alloc_size;
	u32 release_ref;
	int subprogno;		/* callback */
	int callback_arg_regno;	/* R3 for bpf_loop / for_each */
	const struct bpffs_helper *fn;
	u32 func_id;
	bool key_zero;		/* the map key is known to be zero */
};

/* Helpers that may move or resize the packet: packet pointers die after them. */
static bool helper_changes_pkt(u32 id)
{
	switch (id) {
	case BPF_FUNC_skb_store_bytes:
	case BPF_FUNC_skb_change_head:
	case BPF_FUNC_skb_change_tail:
	case BPF_FUNC_skb_pull_data:
	case BPF_FUNC_skb_change_proto:
	case BPF_FUNC_skb_vlan_push:
	case BPF_FUNC_skb_vlan_pop:
	case BPF_FUNC_skb_adjust_room:
	case BPF_FUNC_l3_csum_replace:
	case BPF_FUNC_l4_csum_replace:
	case BPF_FUNC_clone_redirect:
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_meta:
	case BPF_FUNC_xdp_adjust_tail:
	case BPF_FUNC_xdp_store_bytes:
	case BPF_FUNC_msg_pull_data:
	case BPF_FUNC_msg_push_data:
	case BPF_FUNC_msg_pop_data:
	case BPF_FUNC_lwt_push_encap:
	case BPF_FUNC_lwt_seg6_store_bytes:
	case BPF_FUNC_lwt_seg6_adjust_srh:
	case BPF_FUNC_lwt_seg6_action:
	case BPF_FUNC_store_hdr_opt:
		return true;
	}
	return false;
}

const struct bpffs_helper *verifier_helper_proto(struct verifier_env *env, u32 func_id)
{
	const struct bpffs_helper *h = bpffs_helper_get(func_id);

	if (h)
		return h;
	if (env->opts.allow_unprovided_helpers)
		return kernel_helper_proto(func_id);
	return NULL;
}

static void invalidate_pkt_fn(struct bpf_reg *reg)
{
	if (type_is_pkt_pointer(reg->type) || reg->type == PTR_TO_PACKET_END)
		reg_mark_unknown(reg);
}

void clear_all_pkt_pointers(struct verifier_env *env)
{
	struct vstate *st = env->cur;
	u32 i, r;
	int s;

	for (i = 0; i <= st->curframe; i++) {
		struct func_state *f = st->frame[i];

		for (r = 0; r < MAX_BPF_REG; r++)
			invalidate_pkt_fn(&f->regs[r]);
		for (s = 0; s < f->allocated_stack / BPF_REG_SIZE; s++)
			if (f->stack[s].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL)
				invalidate_pkt_fn(&f->stack[s].spilled_ptr);
	}
}

int acquire_reference(struct verifier_env *env, int insn_idx)
{
	struct vstate *st = env->cur;
	struct ref_state *r = realloc(st->refs, (st->acquired_refs + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	st->refs = r;
	r[st->acquired_refs].id = new_id(env);
	r[st->acquired_refs].insn_idx = insn_idx;
	return (int)r[st->acquired_refs++].id;
}

/* Forget reference @id and every register standing for it. */
int release_reference(struct verifier_env *env, u32 id)
{
	struct vstate *st = env->cur;
	u32 fi, r;
	int i, s;

	for (i = 0; i < st->acquired_refs; i++)
		if (st->refs[i].id == id)
			break;
	if (i == st->acquired_refs)
		return -EINVAL;
	memmove(&st->refs[i], &st->refs[i + 1], (st->acquired_refs - i - 1) * sizeof(st->refs[0]));
	st->acquired_refs--;
	for (fi = 0; fi <= st->curframe; fi++) {
		struct func_state *f = st->frame[fi];

		for (r = 0; r < MAX_BPF_REG; r++)
			if (f->regs[r].ref_obj_id == id)
				reg_mark_unknown(&f->regs[r]);
		for (s = 0; s < f->allocated_stack / BPF_REG_SIZE; s++)
			if (f->stack[s].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL &&
			    f->stack[s].spilled_ptr.ref_obj_id == id)
				reg_mark_unknown(&f->stack[s].spilled_ptr);
	}
	return 0;
}

static bool is_map_in_map(u32 t)
{
	return t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Which helpers a map type may be passed to, and the reverse. */
/*
 * The kernel's can_elide_value_nullness (6.18, root): an array lookup with a
 * key known to be in range cannot fail, so its result is not "or null". Only
 * key 0 (always in range) is recognised here, the usual `u32 zero = 0`. An
 * inner-map template qualifies only without BPF_F_INNER_MAP: then every
 * inner map has its max_entries (map_meta_check).
 */
static void note_zero_key(struct verifier_env *env, const struct bpf_reg *reg,
			  struct call_meta *meta)
{
	struct bpffs_map *map = meta->map;
	u64 slots;

	if (env->opts.unprivileged || meta->func_id != BPF_FUNC_map_lookup_elem ||
	    (map->map_type != BPF_MAP_TYPE_ARRAY && map->map_type != BPF_MAP_TYPE_PERCPU_ARRAY) ||
	    (map->map_flags & BPF_F_INNER_MAP) || !map->max_entries ||
	    !stack_key_is_zero(env, reg, map->key_size, &slots))
		return;
	/* the result now depends on those bytes being zero */
	mark_precise_slots(env, reg->frameno, slots);
	meta->key_zero = true;
}

/* Helpers that change a map's contents through its map pointer. */
static bool map_write_helper(u32 id)
{
	return id == BPF_FUNC_map_update_elem || id == BPF_FUNC_map_delete_elem ||
	       id == BPF_FUNC_map_push_elem || id == BPF_FUNC_map_pop_elem;
}

static int check_map_func_compat(struct verifier_env *env, struct bpffs_map *map, u32 id,
				 const char *name)
{
	u32 t = map->map_type;
	bool ok = true;

	switch (t) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		ok = id == BPF_FUNC_tail_call;
		break;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		ok = id == BPF_FUNC_perf_event_read || id == BPF_FUNC_perf_event_output ||
		     id == BPF_FUNC_skb_output || id == BPF_FUNC_perf_event_read_value ||
		     id == BPF_FUNC_xdp_output;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		ok = id == BPF_FUNC_ringbuf_output || id == BPF_FUNC_ringbuf_reserve ||
		     id == BPF_FUNC_ringbuf_query || id == BPF_FUNC_ringbuf_reserve_dynptr;
		break;
	case BPF_MAP_TYPE_STACK_TRACE:
		ok = id == BPF_FUNC_get_stackid;
		break;
	case BPF_MAP_TYPE_CGROUP_ARRAY:
		ok = id == BPF_FUNC_skb_under_cgroup || id == BPF_FUNC_current_task_under_cgroup;
		break;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_XSKMAP:
		ok = id == BPF_FUNC_redirect_map || id == BPF_FUNC_map_lookup_elem ||
		     (t != BPF_MAP_TYPE_CPUMAP && t != BPF_MAP_TYPE_XSKMAP &&
		      id == BPF_FUNC_map_update_elem) || id == BPF_FUNC_map_delete_elem;
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		ok = id == BPF_FUNC_map_push_elem || id == BPF_FUNC_map_pop_elem ||
		     id == BPF_FUNC_map_peek_elem;
		break;
	case BPF_MAP_TYPE_BLOOM_FILTER:
		ok = id == BPF_FUNC_map_push_elem || id == BPF_FUNC_map_peek_elem;
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		ok = id == BPF_FUNC_map_lookup_elem;
		break;
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
		ok = id == BPF_FUNC_sk_redirect_map || id == BPF_FUNC_sock_map_update ||
		     id == BPF_FUNC_sock_hash_update || id == BPF_FUNC_msg_redirect_map ||
		     id == BPF_FUNC_msg_redirect_hash || id == BPF_FUNC_sk_redirect_hash ||
		     id == BPF_FUNC_map_lookup_elem || id == BPF_FUNC_map_update_elem ||
		     id == BPF_FUNC_map_delete_elem || id == BPF_FUNC_sk_select_reuseport;
		break;
	default:
		break;
	}
	if (ok) {
		/* and the reverse: helpers that need one specific map type */
		switch (id) {
		case BPF_FUNC_tail_call:
			ok = t == BPF_MAP_TYPE_PROG_ARRAY;
			break;
		case BPF_FUNC_perf_event_read:
		case BPF_FUNC_perf_event_output:
		case BPF_FUNC_perf_event_read_value:
		case BPF_FUNC_skb_output:
		case BPF_FUNC_xdp_output:
			ok = t == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
			break;
		case BPF_FUNC_ringbuf_output:
		case BPF_FUNC_ringbuf_reserve:
		case BPF_FUNC_ringbuf_query:
			ok = t == BPF_MAP_TYPE_RINGBUF;
			break;
		case BPF_FUNC_get_stackid:
			ok = t == BPF_MAP_TYPE_STACK_TRACE;
			break;
		case BPF_FUNC_map_push_elem:
		case BPF_FUNC_map_pop_elem:
		case BPF_FUNC_map_peek_elem:
			ok = t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK ||
			     (t == BPF_MAP_TYPE_BLOOM_FILTER && id != BPF_FUNC_map_pop_elem);
			break;
		case BPF_FUNC_redirect_map:
			ok = t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_DEVMAP_HASH ||
			     t == BPF_MAP_TYPE_CPUMAP || t == BPF_MAP_TYPE_XSKMAP;
			break;
		case BPF_FUNC_for_each_map_elem:
			ok = t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
			     t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
			     t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
			break;
		}
	}
	if (!ok) {
		verbose(env, "cannot pass map_type %u into func %s#%u\n", t, name, id);
		return -EINVAL;
	}
	return 0;
}

static bool arg_is_mem_size(enum bpffs_arg_type t)
{
	return t == BPFFS_ARG_CONST_SIZE || t == BPFFS_ARG_CONST_SIZE_OR_ZERO;
}

static int check_size_arg(struct verifier_env *env, int regno, struct call_meta *meta,
			  bool zero_ok)
{
	struct bpf_reg *reg = &cur_regs(env)[regno];

	if (reg->type != SCALAR_VALUE) {
		verbose(env, "R%d type=%s expected=scalar\n", regno, reg_type_str(reg));
		return -EACCES;
	}
	mark_precise_reg(env, regno);
	if (meta->mem_regno < 0) {
		verbose(env, "R%d size argument without a memory argument\n", regno);
		return -EACCES;
	}
	if (reg->smin_value < 0) {
		verbose(env, "R%d min value is negative, either use unsigned or 'var &= const'\n",
			regno);
		return -EACCES;
	}
	if (reg->umin_value == 0 && !zero_ok) {
		verbose(env, "R%d invalid zero-sized read: u64=[%llu,%llu]\n", regno,
			(unsigned long long)reg->umin_value, (unsigned long long)reg->umax_value);
		return -EACCES;
	}
	if (reg->umax_value >= BPF_MAX_VAR_SIZ) {
		verbose(env, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'\n",
			regno);
		return -EACCES;
	}
	if (meta->mem_or_null && cur_regs(env)[meta->mem_regno].type == SCALAR_VALUE)
		return 0;	/* NULL buffer */
	if (meta->mem_write)	/* only umin bytes are surely written */
		return check_helper_mem_write_range(env, meta->mem_regno, (int)reg->umin_value,
						    (int)reg->umax_value, zero_ok);
	return check_helper_mem_access(env, meta->mem_regno, (int)reg->umax_value, zero_ok, false);
}

static int arg_type_err(struct verifier_env *env, int regno, const char *expected)
{
	verbose(env, "R%d type=%s expected=%s\n", regno, reg_type_str(&cur_regs(env)[regno]),
		expected);
	return -EACCES;
}

static bool is_null_scalar(const struct bpf_reg *r)
{
	return r->type == SCALAR_VALUE && tnum_equals_const(r->var_off, 0);
}

static bool is_mem_ptr(const struct bpf_reg *r)
{
	switch (r->type) {
	case PTR_TO_STACK:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
	case PTR_TO_MEM:
		return !(r->flags & PTR_MAYBE_NULL);
	}
	return false;
}

static int check_map_value_arg(struct verifier_env *env, int regno, const char *what)
{
	struct bpf_reg *reg = &cur_regs(env)[regno];

	if (reg->type != PTR_TO_MAP_VALUE || (reg->flags & PTR_MAYBE_NULL))
		return arg_type_err(env, regno, "map_value");
	if (!tnum_is_const(reg->var_off)) {
		verbose(env, "R%d doesn't have constant offset. %s has to be at the constant offset\n",
			regno, what);
		return -EACCES;
	}
	if (reg->off < 0 || (u32)reg->off + 4 > reg->map_ptr->value_size) {
		verbose(env, "R%d %s is outside of the map value\n", regno, what);
		return -EACCES;
	}
	return 0;
}

static int check_func_arg(struct verifier_env *env, int arg, struct call_meta *meta)
{
	int regno = BPF_REG_1 + arg, err;
	enum bpffs_arg_type t = meta->fn->arg[arg];
	struct bpf_reg *reg = &cur_regs(env)[regno];

	if (t == BPFFS_ARG_NONE)
		return 0;
	err = check_reg_arg_read(env, regno);
	if (err)
		return err;
	switch (t) {
	case BPFFS_ARG_NONE:
		return 0;
	case BPFFS_ARG_ANYTHING:
		return 0;
	case BPFFS_ARG_SCALAR:
		if (reg->type != SCALAR_VALUE)
			return arg_type_err(env, regno, "scalar");
		return 0;
	case BPFFS_ARG_CONST_MAP_PTR:
	case BPFFS_ARG_PTR_TO_MAP_OR_NULL:
		if (t == BPFFS_ARG_PTR_TO_MAP_OR_NULL && reg->type == SCALAR_VALUE)
			mark_precise_reg(env, regno);
		if (t == BPFFS_ARG_PTR_TO_MAP_OR_NULL && is_null_scalar(reg))
			return 0;
		if (reg->type != CONST_PTR_TO_MAP || (reg->flags & PTR_MAYBE_NULL))
			return arg_type_err(env, regno, "map_ptr");
		meta->map = reg->map_ptr;
		if (map_write_helper(meta->func_id) && meta->map &&
		    (meta->map->map_flags & BPF_F_RDONLY_PROG)) {
			/* the kernel's record_func_map: .rodata cannot change */
			verbose(env, "write into map forbidden\n");
			return -EACCES;
		}
		return check_map_func_compat(env, meta->map, meta->func_id, meta->fn->name);
	case BPFFS_ARG_PTR_TO_MAP_KEY:
	case BPFFS_ARG_PTR_TO_MAP_VALUE:
	case BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE:
		if (!meta->map) {
			verbose(env, "invalid map_ptr to access map->%s\n",
				t == BPFFS_ARG_PTR_TO_MAP_KEY ? "key" : "value");
			return -EACCES;
		}
		if (!is_mem_ptr(reg))
			return arg_type_err(env, regno, "fp, pkt, pkt_meta, map_key, map_value");
		if (t == BPFFS_ARG_PTR_TO_MAP_KEY)
			note_zero_key(env, reg, meta);
		return check_helper_mem_access(env, regno,
					       t == BPFFS_ARG_PTR_TO_MAP_KEY ? meta->map->key_size :
									       meta->map->value_size,
					       false, t == BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE);
	case BPFFS_ARG_PTR_TO_MEM_OR_NULL:
	case BPFFS_ARG_PTR_TO_MEM:
	case BPFFS_ARG_PTR_TO_UNINIT_MEM:
		meta->mem_regno = regno;
		meta->mem_write = t == BPFFS_ARG_PTR_TO_UNINIT_MEM;
		meta->mem_or_null = t == BPFFS_ARG_PTR_TO_MEM_OR_NULL;
		if (reg->type == SCALAR_VALUE)
			mark_precise_reg(env, regno);
		if (meta->mem_or_null && is_null_scalar(reg))
			return 0;
		if (!is_mem_ptr(reg))
			return arg_type_err(env, regno, "fp, pkt, pkt_meta, map_key, map_value, mem");
		if (arg + 1 >= 5 || !arg_is_mem_size(meta->fn->arg[arg + 1]))
			/* fixed-size memory argument without a size: not in our table */
			return 0;
		return 0;
	case BPFFS_ARG_CONST_SIZE:
	case BPFFS_ARG_CONST_SIZE_OR_ZERO:
		err = check_size_arg(env, regno, meta, t == BPFFS_ARG_CONST_SIZE_OR_ZERO);
		meta->mem_regno = -1;
		return err;
	case BPFFS_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		mark_precise_reg(env, regno);
		if (!reg_is_const(reg)) {
			verbose(env, "R%d is not a known constant'\n", regno);
			return -EACCES;
		}
		meta->alloc_size = reg->var_off.value;
		return 0;
	case BPFFS_ARG_PTR_TO_CTX:
		if (reg->type != PTR_TO_CTX)
			return arg_type_err(env, regno, "ctx");
		if (reg->off || !tnum_equals_const(reg->var_off, 0)) {
			verbose(env, "dereference of modified ctx ptr R%d off=%d disallowed\n", regno,
				reg->off);
			return -EACCES;
		}
		return 0;
	case BPFFS_ARG_PTR_TO_FUNC:
		if (reg->type != PTR_TO_FUNC)
			return arg_type_err(env, regno, "func");
		meta->subprogno = reg->subprogno;
		return 0;
	case BPFFS_ARG_PTR_TO_STACK_OR_NULL:
		if (reg->type == SCALAR_VALUE)
			mark_precise_reg(env, regno);
		if (is_null_scalar(reg))
			return 0;
		if (reg->type != PTR_TO_STACK)
			return arg_type_err(env, regno, "fp");
		return 0;
	case BPFFS_ARG_PTR_TO_RINGBUF_MEM:
		if (reg->type != PTR_TO_MEM || (reg->flags & PTR_MAYBE_NULL))
			return arg_type_err(env, regno, "ringbuf_mem");
		if (!reg->ref_obj_id) {
			verbose(env, "R%d must be referenced when passed to release function\n",
				regno);
			return -EINVAL;
		}
		if (reg->off || !tnum_equals_const(reg->var_off, 0)) {
			verbose(env, "R%d must have zero offset when passed to release func\n",
				regno);
			return -EINVAL;
		}
		meta->release_ref = reg->ref_obj_id;
		return 0;
	case BPFFS_ARG_PTR_TO_LONG:
		if (!is_mem_ptr(reg))
			return arg_type_err(env, regno, "fp, map_value");
		/* the helper stores a u64 there: aligned, as the kernel's MEM_ALIGNED */
		if (!tnum_is_aligned(tnum_add(reg->var_off, tnum_const((u64)(s64)reg->off)), 8)) {
			verbose(env, "R%d misaligned long pointer off %d\n", regno, reg->off);
			return -EACCES;
		}
		return check_helper_mem_access(env, regno, 8, false, true);
	case BPFFS_ARG_PTR_TO_CONST_STR:
		if (reg->type != PTR_TO_MAP_VALUE || (reg->flags & PTR_MAYBE_NULL))
			return arg_type_err(env, regno, "map_value");
		if (!(reg->map_ptr->map_flags & BPF_F_RDONLY_PROG)) {
			verbose(env, "R%d does not point to a readonly map'\n", regno);
			return -EACCES;
		}
		if (!tnum_is_const(reg->var_off)) {
			verbose(env, "R%d is not a constant address'\n", regno);
			return -EACCES;
		}
		return check_helper_mem_access(env, regno, 1, false, false);
	case BPFFS_ARG_PTR_TO_SOCK_COMMON:
		if (reg->type != PTR_TO_SOCK_COMMON || (reg->flags & PTR_MAYBE_NULL))
			return arg_type_err(env, regno, "sock_common");
		return 0;
	case BPFFS_ARG_PTR_TO_SOCKET_RELEASE:
		if (reg->type != PTR_TO_SOCK_COMMON || (reg->flags & PTR_MAYBE_NULL))
			return arg_type_err(env, regno, "sock");
		if (!reg->ref_obj_id) {
			verbose(env, "R%d must be referenced when passed to release function\n",
				regno);
			return -EINVAL;
		}
		meta->release_ref = reg->ref_obj_id;
		return 0;
	case BPFFS_ARG_PTR_TO_SPIN_LOCK:
		return check_map_value_arg(env, regno, "bpf_spin_lock");
	case BPFFS_ARG_PTR_TO_TIMER:
		return check_map_value_arg(env, regno, "bpf_timer");
	}
	verbose(env, "R%d unsupported argument kind %d\n", regno, t);
	return -EINVAL;
}

static int check_spin_lock(struct verifier_env *env, u32 id)
{
	struct vstate *st = env->cur;
	struct bpf_reg *r1 = &cur_regs(env)[BPF_REG_1];
	u32 lock_id = r1->id ? r1->id : 1;

	if (id == BPF_FUNC_spin_lock) {
		if (st->active_lock_id) {
			verbose(env, "Locking two bpf_spin_locks are not allowed\n");
			return -EINVAL;
		}
		st->active_lock_id = lock_id;
		st->active_lock_map = r1->map_ptr;
		return 0;
	}
	if (!st->active_lock_id) {
		verbose(env, "bpf_spin_unlock without taking a lock\n");
		return -EINVAL;
	}
	if (st->active_lock_id != lock_id || st->active_lock_map != r1->map_ptr) {
		verbose(env, "bpf_spin_unlock of different lock\n");
		return -EINVAL;
	}
	st->active_lock_id = 0;
	st->active_lock_map = NULL;
	return 0;
}

static void set_ret(struct verifier_env *env, int insn_idx, struct call_meta *meta)
{
	struct bpf_reg *r0 = &cur_regs(env)[BPF_REG_0];

	switch (meta->fn->ret) {
	case BPFFS_RET_INTEGER:
		reg_mark_unknown(r0);
		break;
	case BPFFS_RET_VOID:
		reg_mark_not_init(r0);
		break;
	case BPFFS_RET_PTR_TO_MAP_VALUE_OR_NULL:
		reg_mark_known_zero(r0);
		if (meta->map && is_map_in_map(meta->map->map_type)) {
			r0->type = CONST_PTR_TO_MAP;
			r0->map_ptr = meta->map->inner_map_meta;
		} else {
			r0->type = PTR_TO_MAP_VALUE;
			r0->map_ptr = meta->map;
			if (meta->key_zero)
				break;	/* cannot fail: see note_zero_key */
		}
		r0->flags = PTR_MAYBE_NULL;
		r0->id = new_id(env);
		break;
	case BPFFS_RET_PTR_TO_MAP_OR_NULL:
		reg_mark_known_zero(r0);
		r0->type = CONST_PTR_TO_MAP;
		r0->map_ptr = meta->map ? meta->map->inner_map_meta : NULL;
		r0->flags = PTR_MAYBE_NULL;
		r0->id = new_id(env);
		break;
	case BPFFS_RET_PTR_TO_SOCKET_OR_NULL:
		reg_mark_known_zero(r0);
		r0->type = PTR_TO_SOCK_COMMON;
		r0->flags = PTR_MAYBE_NULL;
		r0->id = new_id(env);
		break;
	case BPFFS_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		reg_mark_known_zero(r0);
		r0->type = PTR_TO_MEM;
		r0->mem_size = (u32)meta->alloc_size;
		r0->flags = PTR_MAYBE_NULL;
		r0->id = new_id(env);
		break;
	}
}

/* Frame for a function (or callback) starting at subprog @sp, called at @callsite. */
static int push_frame(struct verifier_env *env, struct vstate *st, int callsite, int sp)
{
	struct func_state *caller = st->frame[st->curframe], *f;
	int i;

	if (st->curframe + 1 >= MAX_CALL_FRAMES) {
		verbose(env, "the call stack of %u frames is too deep !\n", st->curframe + 2);
		return -E2BIG;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->callsite = callsite;
	f->frameno = st->curframe + 1;
	f->subprogno = sp;
	for (i = 0; i < MAX_BPF_REG; i++)
		reg_mark_not_init(&f->regs[i]);
	for (i = BPF_REG_1; i <= BPF_REG_5; i++)
		f->regs[i] = caller->regs[i];
	reg_mark_known_zero(&f->regs[BPF_REG_FP]);
	f->regs[BPF_REG_FP].type = PTR_TO_STACK;
	f->regs[BPF_REG_FP].frameno = f->frameno;
	st->frame[++st->curframe] = f;
	return 0;
}

static void clobber_caller_saved(struct bpf_reg *regs)
{
	int i;

	for (i = BPF_REG_1; i <= BPF_REG_5; i++)
		reg_mark_not_init(&regs[i]);
}

/* Set up a callback frame: arguments as the helper will pass them. */
static int setup_callback(struct verifier_env *env, struct vstate *st, int insn_idx, int sp,
			  u32 func_id, struct call_meta *meta, const struct bpf_reg *saved)
{
	struct func_state *f;
	int err = push_frame(env, st, insn_idx, sp);

	if (err)
		return err;
	f = st->frame[st->curframe];
	for (int i = BPF_REG_1; i <= BPF_REG_5; i++)
		reg_mark_not_init(&f->regs[i]);
	f->in_callback_fn = true;
	f->cb_fresh = true;
	env->subprog[sp].is_callback = true;
	switch (func_id) {
	case BPF_FUNC_loop:
		reg_mark_unknown(&f->regs[BPF_REG_1]);
		f->regs[BPF_REG_1].umax_value = (1u << 23) - 1;
		reg_bounds_sync(&f->regs[BPF_REG_1]);
		f->regs[BPF_REG_2] = saved[BPF_REG_3];
		break;
	case BPF_FUNC_for_each_map_elem:
		reg_mark_known_zero(&f->regs[BPF_REG_1]);
		f->regs[BPF_REG_1].type = CONST_PTR_TO_MAP;
		f->regs[BPF_REG_1].map_ptr = meta->map;
		reg_mark_known_zero(&f->regs[BPF_REG_2]);
		f->regs[BPF_REG_2].type = PTR_TO_MAP_KEY;
		f->regs[BPF_REG_2].map_ptr = meta->map;
		reg_mark_known_zero(&f->regs[BPF_REG_3]);
		f->regs[BPF_REG_3].type = PTR_TO_MAP_VALUE;
		f->regs[BPF_REG_3].map_ptr = meta->map;
		f->regs[BPF_REG_4] = saved[BPF_REG_3];
		break;
	case BPF_FUNC_timer_set_callback:
		f->in_async_callback_fn = true;
		reg_mark_known_zero(&f->regs[BPF_REG_1]);
		f->regs[BPF_REG_1].type = CONST_PTR_TO_MAP;
		f->regs[BPF_REG_1].map_ptr = saved[BPF_REG_1].map_ptr;
		reg_mark_known_zero(&f->regs[BPF_REG_2]);
		f->regs[BPF_REG_2].type = PTR_TO_MAP_KEY;
		f->regs[BPF_REG_2].map_ptr = saved[BPF_REG_1].map_ptr;
		reg_mark_known_zero(&f->regs[BPF_REG_3]);
		f->regs[BPF_REG_3].type = PTR_TO_MAP_VALUE;
		f->regs[BPF_REG_3].map_ptr = saved[BPF_REG_1].map_ptr;
		break;
	}
	memcpy(f->cb_args, &f->regs[BPF_REG_1], sizeof(f->cb_args));
	return 0;
}

static int subprog_first_insn(struct verifier_env *env, int sp);

static bool is_callback_helper(u32 id)
{
	return id == BPF_FUNC_loop || id == BPF_FUNC_for_each_map_elem ||
	       id == BPF_FUNC_timer_set_callback;
}

int check_helper_call(struct verifier_env *env, const struct bpf_insn *insn, int insn_idx)
{
	struct call_meta meta = { .mem_regno = -1, .subprogno = -1 };
	struct bpf_reg saved[MAX_BPF_REG];
	u32 id = (u32)insn->imm;
	int i, err;

	meta.func_id = id;
	meta.fn = env->ptype->helper_allowed && env->ptype->helper_allowed(id) ?
		  verifier_helper_proto(env, id) : NULL;
	if (!meta.fn) {
		const struct bpffs_helper *k = kernel_helper_proto(id);

		verbose(env, "unknown func %s#%u\n", k ? k->name : "unknown", id);
		return -EINVAL;
	}
	if (env->cur->active_lock_id && id != BPF_FUNC_spin_unlock) {
		verbose(env, "function calls are not allowed while holding a lock\n");
		return -EINVAL;
	}
	for (i = 0; i < 5; i++) {
		err = check_func_arg(env, i, &meta);
		if (err)
			return err;
	}
	if (id == BPF_FUNC_spin_lock || id == BPF_FUNC_spin_unlock) {
		err = check_spin_lock(env, id);
		if (err)
			return err;
	}
	if (meta.release_ref) {
		err = release_reference(env, meta.release_ref);
		if (err) {
			verbose(env, "R1 reference has not been acquired before\n");
			return -EINVAL;
		}
	}
	if (id == BPF_FUNC_tail_call && env->cur->acquired_refs) {
		verbose(env, "tail_call would lead to reference leak\n");
		return -EINVAL;
	}
	memcpy(saved, cur_regs(env), sizeof(saved));
	clobber_caller_saved(cur_regs(env));
	set_ret(env, insn_idx, &meta);
	if (meta.fn->ret == BPFFS_RET_PTR_TO_RINGBUF_MEM_OR_NULL ||
	    meta.fn->ret == BPFFS_RET_PTR_TO_SOCKET_OR_NULL) {
		int ref = acquire_reference(env, insn_idx);

		if (ref < 0)
			return ref;
		cur_regs(env)[BPF_REG_0].ref_obj_id = ref;
	}
	if (helper_changes_pkt(id))
		clear_all_pkt_pointers(env);
	if (is_callback_helper(id) && meta.subprogno >= 0) {
		struct vstate *other;

		if (id == BPF_FUNC_timer_set_callback) {
			/* runs later, on its own: verify it on a separate path */
			other = push_stack(env, subprog_first_insn(env, meta.subprogno), insn_idx);
			if (!other)
				return -ENOMEM;
			return setup_callback(env, other, insn_idx, meta.subprogno, id, &meta, saved);
		}
		/*
		 * The callback may run zero or more times: the pushed state
		 * covers zero runs; cur enters the body, and each exit of the
		 * body both continues after the call and re-enters the body.
		 */
		other = push_stack(env, insn_idx + 1, insn_idx);
		if (!other)
			return -ENOMEM;
		err = setup_callback(env, env->cur, insn_idx, meta.subprogno, id, &meta, saved);
		if (err)
			return err;
		return 1;	/* continue at the callback's first insn */
	}
	return 0;
}

/* bpf-to-bpf call: *insn_idx becomes the callee's first insn. */
int check_func_call(struct verifier_env *env, const struct bpf_insn *insn, int *insn_idx)
{
	int target = *insn_idx + insn->imm + 1, sp = find_subprog(env, target), err;
	struct func_state *caller = cur_func(env);

	if (sp < 0) {
		verbose(env, "verifier bug. No program starts at insn %d\n", target);
		return -EFAULT;
	}
	if (env->cur->active_lock_id) {
		verbose(env, "function calls are not allowed while holding a lock\n");
		return -EINVAL;
	}
	err = push_frame(env, env->cur, *insn_idx, sp);
	if (err)
		return err;
	clobber_caller_saved(caller->regs);
	if (env->log_level >= BPFFS_LOG_TRACE) {
		verbose(env, "caller:\n");
		print_state(env, caller);
		verbose(env, "callee:\n");
		print_state(env, cur_func(env));
	}
	*insn_idx = target - 1;
	return 0;
}

static int subprog_first_insn(struct verifier_env *env, int sp)
{
	return (int)env->subprog[sp].start;
}

/*
 * Return from a frame. A callback's R0 must be in [0, 1]; on return a copy
 * of the caller's state re-enters the callback body (the next iteration)
 * while this state continues after the helper call. An async callback's
 * path simply ends (returns 1).
 */
int prepare_func_exit(struct verifier_env *env, int *insn_idx)
{
	struct vstate *st = env->cur;
	struct func_state *callee = st->frame[st->curframe], *caller;
	struct bpf_reg *r0 = &callee->regs[BPF_REG_0];

	if (r0->type == NOT_INIT) {
		verbose(env, "R0 !read_ok\n");
		return -EACCES;
	}
	if (r0->type == PTR_TO_STACK && r0->frameno == callee->frameno) {
		verbose(env, "cannot return stack pointer to the caller\n");
		return -EINVAL;
	}
	if (callee->in_callback_fn) {
		mark_precise_reg(env, BPF_REG_0);
		if (r0->type != SCALAR_VALUE || r0->smin_value < 0 || r0->smax_value > 1) {
			verbose(env, "At callback return the register R0 has smin=%lld smax=%lld should have been in [0, 1]\n",
				(long long)r0->smin_value, (long long)r0->smax_value);
			return -EACCES;
		}
		if (callee->in_async_callback_fn)
			return 1;
	}
	caller = st->frame[st->curframe - 1];
	*insn_idx = callee->callsite;
	st->curframe--;
	st->frame[st->curframe + 1] = NULL;
	if (callee->in_callback_fn) {
		struct vstate *again;
		struct func_state *f;
		int err;

		reg_mark_unknown(&caller->regs[BPF_REG_0]);
		again = push_stack(env, subprog_first_insn(env, callee->subprogno), *insn_idx);
		if (!again) {
			err = -ENOMEM;
		} else {
			err = push_frame(env, again, callee->callsite, callee->subprogno);
			if (!err) {
				f = again->frame[again->curframe];
				memcpy(&f->regs[BPF_REG_1], callee->cb_args, sizeof(callee->cb_args));
				memcpy(f->cb_args, callee->cb_args, sizeof(f->cb_args));
				f->in_callback_fn = true;
				f->cb_fresh = true;
			}
		}
		free(callee->stack);
		free(callee);
		return err;
	}
	caller->regs[BPF_REG_0] = *r0;
	free(callee->stack);
	free(callee);
	return 0;
}
