// SPDX-License-Identifier: MIT
/*
 * The map helpers programs call, with the kernel's ids and prototypes:
 * lookup/update/delete, lookup_percpu_elem, push/pop/peek, the ring buffer family,
 * perf_event_output, for_each_map_elem, redirect_map and bpf_spin_lock.
 * Map-in-map lookups are plain map_lookup_elem on the outer map (it returns
 * the inner map). bpf_tail_call is not here: the interpreter and the JIT
 * read the PROG_ARRAY slot themselves with bpffs_prog_array_get().
 *
 * Every helper runs inside a program run (RCU read side held by the run
 * entry) and never blocks. In checked mode, memory handed to the program
 * (a value from lookup, a ring buffer record, for_each's key and value) is
 * registered with bpffs_run_ctx_add_region so the checked interpreter allows
 * exactly that access.
 */
#include "internal.h"
#include "../core/core.h"

#define PTR(x) ((void *)(uintptr_t)(x))
#define ERR(e) ((u64)(s64)(e))

static void region_add(const void *p, u64 size, bool writable)
{
	struct bpffs_run_ctx *rc = bpffs_run_ctx_current();

	if (rc && rc->checked)
		bpffs_run_ctx_add_region(rc, p, size, writable);
}

static u64 map_lookup_elem(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);
	void *v;

	if (unlikely(!map->ops->lookup))
		return 0;
	v = map->ops->lookup(map, PTR(r2));
	/* inner maps of map-in-map are objects, not memory for the program */
	if (v && !map->inner_map_meta)
		region_add(v, map->value_size, !(map->map_flags & BPF_F_RDONLY_PROG));
	return (u64)(uintptr_t)v;
}

static u64 map_lookup_percpu_elem(u64 r1, u64 r2, u64 cpu, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);
	void *v;

	if (!map->ops->lookup_percpu || cpu > UINT32_MAX)
		return 0;
	v = map->ops->lookup_percpu(map, PTR(r2), (u32)cpu);
	if (v)
		region_add(v, map->value_size, !(map->map_flags & BPF_F_RDONLY_PROG));
	return (u64)(uintptr_t)v;
}

static u64 map_update_elem(u64 r1, u64 r2, u64 r3, u64 flags, u64 r5)
{
	struct bpffs_map *map = PTR(r1);
	int (*op)(struct bpffs_map *, const void *, const void *, u64);

	if (map->map_flags & BPF_F_RDONLY_PROG)
		return ERR(-EPERM);
	op = (flags & BPF_F_LOCK) ? map->ops->update_locked : map->ops->update;
	if (!op)
		return ERR(-EOPNOTSUPP);
	return ERR(op(map, PTR(r2), PTR(r3), flags));
}

static u64 map_delete_elem(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);

	if (map->map_flags & BPF_F_RDONLY_PROG)
		return ERR(-EPERM);
	if (!map->ops->delete)
		return ERR(-EOPNOTSUPP);
	return ERR(map->ops->delete(map, PTR(r2)));
}

static u64 map_push_elem(u64 r1, u64 r2, u64 flags, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);

	return map->ops->push ? ERR(map->ops->push(map, PTR(r2), flags)) : ERR(-EOPNOTSUPP);
}

static u64 map_pop_elem(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);

	return map->ops->pop ? ERR(map->ops->pop(map, PTR(r2))) : ERR(-EOPNOTSUPP);
}

static u64 map_peek_elem(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);

	return map->ops->peek ? ERR(map->ops->peek(map, PTR(r2))) : ERR(-EOPNOTSUPP);
}

static u64 ringbuf_output(u64 r1, u64 data, u64 size, u64 flags, u64 r5)
{
	return ERR(bpffs_ringbuf_output(PTR(r1), PTR(data), size, flags));
}

static u64 ringbuf_reserve(u64 r1, u64 size, u64 flags, u64 r4, u64 r5)
{
	void *rec = bpffs_ringbuf_reserve(PTR(r1), size, flags);

	if (rec)
		region_add(rec, size, true);
	return (u64)(uintptr_t)rec;
}

static u64 ringbuf_submit(u64 rec, u64 flags, u64 r3, u64 r4, u64 r5)
{
	bpffs_ringbuf_submit(PTR(rec), flags);
	return 0;
}

static u64 ringbuf_discard(u64 rec, u64 flags, u64 r3, u64 r4, u64 r5)
{
	bpffs_ringbuf_discard(PTR(rec), flags);
	return 0;
}

static u64 ringbuf_query(u64 r1, u64 flags, u64 r3, u64 r4, u64 r5)
{
	return bpffs_ringbuf_query(PTR(r1), flags);
}

static u64 perf_event_output(u64 ctx, u64 map, u64 flags, u64 data, u64 size)
{
	return ERR(bpffs_perf_event_output(PTR(map), flags, PTR(data), size));
}

struct for_each_ctx {
	struct bpffs_run_ctx *rc;
	u64 fn;
	u64 cb_ctx;
};

static long for_each_cb(struct bpffs_map *map, const void *key, void *value, void *arg)
{
	struct for_each_ctx *c = arg;
	u64 ret;

	if (c->rc->checked) {
		bpffs_run_ctx_add_region(c->rc, key, map->key_size, false);
		bpffs_run_ctx_add_region(c->rc, value, map->value_size,
					 !(map->map_flags & BPF_F_RDONLY_PROG));
	}
	ret = c->rc->call_fn(c->rc, c->fn, (u64)(uintptr_t)map, (u64)(uintptr_t)key,
			     (u64)(uintptr_t)value, c->cb_ctx, 0);
	return c->rc->fault ? 1 : (long)(ret != 0);
}

/* bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): callback returns 1 to stop */
static u64 for_each_map_elem(u64 r1, u64 fn, u64 cb_ctx, u64 flags, u64 r5)
{
	struct bpffs_map *map = PTR(r1);
	struct for_each_ctx c = { .rc = bpffs_run_ctx_current(), .fn = fn, .cb_ctx = cb_ctx };

	if (flags)
		return ERR(-EINVAL);
	if (!c.rc || !c.rc->call_fn)
		return ERR(-EINVAL);
	if (!map->ops->for_each)
		return ERR(-EOPNOTSUPP);
	return (u64)map->ops->for_each(map, for_each_cb, &c);
}

/* Low bits of the flags: the XDP action returned when the key has no target. */
#define REDIRECT_ACTION_MASK (XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX)

static u64 redirect_map(u64 r1, u64 key, u64 flags, u64 r4, u64 r5)
{
	struct bpffs_map *map = PTR(r1);
	struct bpffs_redirect_info *ri = bpffs_redirect_info();
	u32 target;

	if (flags & ~(u64)REDIRECT_ACTION_MASK)
		return XDP_ABORTED;
	if (!map->ops->redirect || map->ops->redirect(map, (u32)key, &target))
		return flags & REDIRECT_ACTION_MASK;
	ri->map = map;
	ri->key = (u32)key;
	ri->target = target;
	return XDP_REDIRECT;
}

static u64 spin_lock(u64 lock, u64 r2, u64 r3, u64 r4, u64 r5)
{
	bpffs_spin_lock(PTR(lock));
	return 0;
}

static u64 spin_unlock(u64 lock, u64 r2, u64 r3, u64 r4, u64 r5)
{
	bpffs_spin_unlock(PTR(lock));
	return 0;
}

#define MAP_HELPER(hname, func, rtype, ...)                                     \
	const struct bpffs_helper bpffs_helper_##hname = {                      \
		.id = BPF_FUNC_##hname, .name = "bpf_" #hname, .fn = func,      \
		.ret = rtype, .arg = { __VA_ARGS__ }                            \
	}

MAP_HELPER(map_lookup_elem, map_lookup_elem, BPFFS_RET_PTR_TO_MAP_VALUE_OR_NULL,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MAP_KEY);
MAP_HELPER(map_lookup_percpu_elem, map_lookup_percpu_elem, BPFFS_RET_PTR_TO_MAP_VALUE_OR_NULL,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MAP_KEY, BPFFS_ARG_ANYTHING);
MAP_HELPER(map_update_elem, map_update_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MAP_KEY, BPFFS_ARG_PTR_TO_MAP_VALUE,
	   BPFFS_ARG_ANYTHING);
MAP_HELPER(map_delete_elem, map_delete_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MAP_KEY);
MAP_HELPER(map_push_elem, map_push_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MAP_VALUE, BPFFS_ARG_ANYTHING);
MAP_HELPER(map_pop_elem, map_pop_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE);
MAP_HELPER(map_peek_elem, map_peek_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE);
MAP_HELPER(ringbuf_output, ringbuf_output, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_MEM, BPFFS_ARG_CONST_SIZE_OR_ZERO,
	   BPFFS_ARG_ANYTHING);
MAP_HELPER(ringbuf_reserve, ringbuf_reserve, BPFFS_RET_PTR_TO_RINGBUF_MEM_OR_NULL,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_CONST_ALLOC_SIZE_OR_ZERO, BPFFS_ARG_ANYTHING);
MAP_HELPER(ringbuf_submit, ringbuf_submit, BPFFS_RET_VOID,
	   BPFFS_ARG_PTR_TO_RINGBUF_MEM, BPFFS_ARG_ANYTHING);
MAP_HELPER(ringbuf_discard, ringbuf_discard, BPFFS_RET_VOID,
	   BPFFS_ARG_PTR_TO_RINGBUF_MEM, BPFFS_ARG_ANYTHING);
MAP_HELPER(ringbuf_query, ringbuf_query, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_ANYTHING);
MAP_HELPER(perf_event_output, perf_event_output, BPFFS_RET_INTEGER,
	   BPFFS_ARG_PTR_TO_CTX, BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_ANYTHING,
	   BPFFS_ARG_PTR_TO_MEM, BPFFS_ARG_CONST_SIZE_OR_ZERO);
MAP_HELPER(for_each_map_elem, for_each_map_elem, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_PTR_TO_FUNC, BPFFS_ARG_PTR_TO_STACK_OR_NULL,
	   BPFFS_ARG_ANYTHING);
MAP_HELPER(redirect_map, redirect_map, BPFFS_RET_INTEGER,
	   BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_ANYTHING, BPFFS_ARG_ANYTHING);
MAP_HELPER(spin_lock, spin_lock, BPFFS_RET_VOID, BPFFS_ARG_PTR_TO_SPIN_LOCK);
MAP_HELPER(spin_unlock, spin_unlock, BPFFS_RET_VOID, BPFFS_ARG_PTR_TO_SPIN_LOCK);
