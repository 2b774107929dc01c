// SPDX-License-Identifier: MIT
/*
 * Hash maps after the kernel's hashtab.c: HASH, PERCPU_HASH, LRU_HASH,
 * LRU_PERCPU_HASH, HASH_OF_MAPS and DEVMAP_HASH share one implementation
 * and differ by a few flags in struct bpffs_htab.
 *
 * Buckets are singly linked chains with a 4-byte lock each. Readers walk the
 * chains without any lock (acquire loads); writers link a fully built element
 * at the head under the bucket lock, so concurrent readers see either the old
 * or the new element, never a half-written one. Unlinked elements are retired
 * through bpffs_rcu_call and reused (preallocated pool, the default) or freed
 * (BPF_F_NO_PREALLOC) only after every reader is done. Per-CPU values are
 * updated in place (one slot per thread, see maps.h).
 *
 * LRU maps keep one list (head = most recently inserted) with a reference bit
 * set by lookups; eviction is second chance from the tail: a referenced
 * element moves back to the head, the first unreferenced one is evicted. Lock
 * order: bucket, then LRU; the evictor only try-locks buckets.
 */
#include <stdlib.h>
#include <sys/random.h>

#include "internal.h"

struct htab_elem {
	_Atomic(struct htab_elem *) next;	/* bucket chain */
	u32 hash;
	u8 from_pool;
	u8 on_lru;			/* protected by htab->lru_lock */
	_Atomic u8 ref;			/* LRU: looked up since last scan */
	u8 pad;
	/* 48-byte header: a 4-byte key and an 8-byte value fill one cache line */
	union {
		struct {		/* while linked; protected by htab->lru_lock */
			struct htab_elem *lru_prev;
			struct htab_elem *lru_next;	/* free list link while pooled */
		};
		struct {		/* once unlinked from the bucket and the LRU list */
			struct bpffs_rcu_head rcu;
			struct bpffs_htab *htab;
		};
	};
	u8 key[] __attribute__((aligned(8)));
};

struct htab_bucket {
	_Atomic(struct htab_elem *) head;
	_Atomic u32 lock;
};

struct bpffs_htab {
	struct bpffs_map map;
	struct htab_bucket *buckets;
	u32 n_buckets;			/* power of two */
	u32 key_area;			/* round_up(key_size, 8) */
	u32 slot_size;			/* per-CPU slot, round_up(value_size, 8) */
	u32 elem_size;
	u64 seed;
	_Atomic u32 count;		/* elements linked in buckets */
	bool percpu, lru, of_maps;
	/* preallocated elements */
	u8 *pool_mem;
	u32 pool_cnt;
	_Atomic u32 pool_lock;
	struct htab_elem *pool_free;	/* protected by pool_lock */
	_Atomic u64 extra_bytes;	/* elements allocated outside the pool */
	/* LRU list */
	_Atomic u32 lru_lock;
	struct htab_elem lru_head;	/* sentinel: lru_next = most recent */
};

#define HTAB_MAX_ENTRIES (1U << 28)

static struct bpffs_htab *to_htab(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_htab, map);
}

static void *elem_value(const struct bpffs_htab *h, struct htab_elem *e)
{
	return e->key + h->key_area;
}

static struct htab_bucket *htab_bucket(struct bpffs_htab *h, u32 hash)
{
	return &h->buckets[hash & (h->n_buckets - 1)];
}

static u32 htab_hash(const struct bpffs_htab *h, const void *key)
{
	return (u32)bpffs_hash_bytes(key, h->map.key_size, h->seed);
}

/* ---- creation ----------------------------------------------------------- */

static int htab_alloc_check_common(const struct bpffs_map_attr *attr, u32 flags,
				   struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, flags, log);

	if (err)
		return err;
	if (!attr->key_size || !attr->value_size || !attr->max_entries) {
		bpffs_vlog_printf(log, "map '%s': hash needs key_size, value_size and max_entries > 0 (got %u, %u, %u)\n",
				  attr->name, attr->key_size, attr->value_size,
				  attr->max_entries);
		return -EINVAL;
	}
	if (attr->key_size > 512 || attr->value_size > (1U << 20) ||
	    attr->max_entries > HTAB_MAX_ENTRIES) {
		bpffs_vlog_printf(log, "map '%s': key %u, value %u or %u entries too large\n",
				  attr->name, attr->key_size, attr->value_size,
				  attr->max_entries);
		return -E2BIG;
	}
	return 0;
}

#define HTAB_FLAGS (BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED | BPF_F_INNER_MAP)

static int htab_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	return htab_alloc_check_common(attr, HTAB_FLAGS, log);
}

static int percpu_no_spin_lock(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	if (attr->has_spin_lock) {
		bpffs_vlog_printf(log, "map '%s': per-CPU values cannot hold a bpf_spin_lock\n",
				  attr->name);
		return -EINVAL;
	}
	return 0;
}

static int htab_percpu_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = percpu_no_spin_lock(attr, log);

	return err ? err : htab_alloc_check_common(attr, HTAB_FLAGS, log);
}

static int htab_lru_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	if (attr->map_flags & BPF_F_NO_PREALLOC) {
		bpffs_vlog_printf(log, "map '%s': LRU maps are always preallocated; BPF_F_NO_PREALLOC is invalid\n",
				  attr->name);
		return -EINVAL;
	}
	return htab_alloc_check_common(attr, HTAB_FLAGS | BPF_F_NO_COMMON_LRU, log);
}

static int htab_lru_percpu_alloc_check(const struct bpffs_map_attr *attr,
				       struct bpffs_vlog *log)
{
	/* not htab_percpu_alloc_check: BPF_F_NO_COMMON_LRU is valid here
	 * (Cilium's cilium_policystats) */
	int err = percpu_no_spin_lock(attr, log);

	return err ? err : htab_lru_alloc_check(attr, log);
}

static int htab_devmap_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	if (attr->key_size != 4 || (attr->value_size != 4 && attr->value_size != 8)) {
		bpffs_vlog_printf(log, "map '%s': devmap_hash needs key_size 4 and value_size 4 or 8\n",
				  attr->name);
		return -EINVAL;
	}
	return htab_alloc_check_common(attr, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED, log);
}

static int htab_of_maps_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	if (attr->value_size != 4 || !attr->inner_map) {
		bpffs_vlog_printf(log, "map '%s': hash_of_maps needs value_size 4 and an inner map template\n",
				  attr->name);
		return -EINVAL;
	}
	return htab_alloc_check_common(attr, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED, log);
}

static int htab_pool_init(struct bpffs_htab *h)
{
	u32 i;

	/* extra elements so an update of an existing key never fails when full */
	size_t size;

	h->pool_cnt = h->map.max_entries + bpffs_nr_cpus();
	size = (size_t)h->pool_cnt * h->elem_size;
	h->pool_mem = bpffs_map_area_alloc(size);	/* elements start on cache lines */
	if (!h->pool_mem)
		return -ENOMEM;
	for (i = h->pool_cnt; i-- > 0;) {
		struct htab_elem *e = (void *)(h->pool_mem + (size_t)i * h->elem_size);

		e->from_pool = 1;
		e->lru_next = h->pool_free;
		h->pool_free = e;
	}
	return 0;
}

static int htab_alloc_common(const struct bpffs_map_attr *attr, struct bpffs_map **out,
			     bool percpu, bool lru, bool of_maps)
{
	struct bpffs_htab *h = calloc(1, sizeof(*h));
	u32 value_area;

	if (!h)
		return -ENOMEM;
	bpffs_map_init_from_attr(&h->map, attr);
	h->percpu = percpu;
	h->lru = lru;
	h->of_maps = of_maps;
	h->key_area = BPFFS_ROUND_UP(attr->key_size, 8);
	h->slot_size = BPFFS_ROUND_UP(attr->value_size, 8);
	value_area = percpu ? h->slot_size * bpffs_nr_cpus() : of_maps ? 8 : h->slot_size;
	if (percpu)
		h->map.user_value_size = value_area;
	h->elem_size = sizeof(struct htab_elem) + h->key_area + value_area;
	h->n_buckets = 1;
	while (h->n_buckets < attr->max_entries)
		h->n_buckets <<= 1;
	if (!(attr->map_flags & BPF_F_ZERO_SEED) &&
	    getrandom(&h->seed, sizeof(h->seed), 0) != sizeof(h->seed))
		h->seed = (u64)(uintptr_t)h * 0x9e3779b97f4a7c15ULL;
	h->lru_head.lru_next = h->lru_head.lru_prev = &h->lru_head;
	h->buckets = bpffs_map_area_alloc((size_t)h->n_buckets * sizeof(*h->buckets));
	if (!h->buckets)
		goto err_free_htab;
	if (!(attr->map_flags & BPF_F_NO_PREALLOC) && htab_pool_init(h))
		goto err_free_buckets;
	*out = &h->map;
	return 0;

err_free_buckets:
	bpffs_map_area_free(h->buckets, (size_t)h->n_buckets * sizeof(*h->buckets));
err_free_htab:
	free(h);
	return -ENOMEM;
}

static int htab_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return htab_alloc_common(attr, out, false, false, false);
}

static int htab_percpu_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return htab_alloc_common(attr, out, true, false, false);
}

static int htab_lru_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return htab_alloc_common(attr, out, false, true, false);
}

static int htab_lru_percpu_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	return htab_alloc_common(attr, out, true, true, false);
}

static int htab_of_maps_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	int err = htab_alloc_common(attr, out, false, false, true);

	if (!err) {
		(*out)->inner_map_meta = attr->inner_map;
		bpffs_map_get(attr->inner_map);
	}
	return err;
}

/* ---- element memory ----------------------------------------------------- */

static struct htab_elem *htab_elem_alloc(struct bpffs_htab *h)
{
	struct htab_elem *e = NULL;

	if (h->pool_mem) {
		bpffs_spin_lock(&h->pool_lock);
		e = h->pool_free;
		if (e)
			h->pool_free = e->lru_next;
		bpffs_spin_unlock(&h->pool_lock);
		if (e)
			return e;
		/* pool elements still in their grace period: allocate instead */
	}
	e = calloc(1, h->elem_size);
	if (!e)
		return NULL;
	atomic_fetch_add_explicit(&h->extra_bytes, h->elem_size, memory_order_relaxed);
	return e;
}

static void htab_elem_release(struct htab_elem *e)
{
	struct bpffs_htab *h = e->htab;

	if (h->of_maps)
		bpffs_map_put(*(struct bpffs_map **)elem_value(h, e));
	if (!e->from_pool) {
		atomic_fetch_sub_explicit(&h->extra_bytes, h->elem_size, memory_order_relaxed);
		free(e);
		return;
	}
	atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
	bpffs_spin_lock(&h->pool_lock);
	e->lru_next = h->pool_free;
	h->pool_free = e;
	bpffs_spin_unlock(&h->pool_lock);
}

static void htab_elem_free_rcu(struct bpffs_rcu_head *head)
{
	htab_elem_release(container_of(head, struct htab_elem, rcu));
}

/* Called once the element is unreachable from the buckets and off the LRU list. */
static void htab_elem_retire(struct bpffs_htab *h, struct htab_elem *e)
{
	e->htab = h;	/* shares memory with the LRU links, no longer used */
	bpffs_rcu_call(&e->rcu, htab_elem_free_rcu);
}

/* ---- lookup --------------------------------------------------------------- */

static bool htab_key_eq(u32 key_size, const u8 *a, const void *b)
{
	u32 x4, y4;
	u64 x8, y8;

	switch (key_size) {	/* common sizes without a call to memcmp */
	case 4:
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		return x4 == y4;
	case 8:
		memcpy(&x8, a, 8);
		memcpy(&y8, b, 8);
		return x8 == y8;
	default:
		return !memcmp(a, b, key_size);
	}
}

static struct htab_elem *htab_find(struct bpffs_htab *h, struct htab_bucket *b, u32 hash,
				   const void *key)
{
	struct htab_elem *e;

	for (e = atomic_load_explicit(&b->head, memory_order_acquire); e;
	     e = atomic_load_explicit(&e->next, memory_order_acquire))
		if (e->hash == hash && htab_key_eq(h->map.key_size, e->key, key))
			return e;
	return NULL;
}

static struct htab_elem *htab_lookup_elem(struct bpffs_htab *h, const void *key)
{
	u32 hash = htab_hash(h, key);

	return htab_find(h, htab_bucket(h, hash), hash, key);
}

/* Called from: program run (any thread, must not block), inside an RCU section. */
static void *htab_map_lookup(struct bpffs_map *map, const void *key)
{
	struct bpffs_htab *h = to_htab(map);
	struct htab_elem *e = htab_lookup_elem(h, key);

	return e ? elem_value(h, e) : NULL;
}

/* The general form: LRU reference bit, per-CPU slot, inner map. */
static void *htab_lookup(struct bpffs_map *map, const void *key)
{
	struct bpffs_htab *h = to_htab(map);
	struct htab_elem *e = htab_lookup_elem(h, key);
	u8 *v;

	if (!e)
		return NULL;
	if (h->lru && !atomic_load_explicit(&e->ref, memory_order_relaxed))
		atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
	v = elem_value(h, e);
	if (h->percpu)
		return v + (size_t)h->slot_size * bpffs_cpu_slot();
	if (h->of_maps)
		return *(struct bpffs_map **)v;
	return v;
}

static void *htab_lookup_cpu(struct bpffs_map *map, const void *key, u32 cpu)
{
	struct bpffs_htab *h = to_htab(map);
	struct htab_elem *e;

	if (cpu >= bpffs_nr_cpus())
		return NULL;
	e = htab_lookup_elem(h, key);
	return e ? (u8 *)elem_value(h, e) + (size_t)h->slot_size * cpu : NULL;
}

static int htab_copy_value(struct bpffs_map *map, const void *key, void *value)
{
	struct bpffs_htab *h = to_htab(map);
	struct htab_elem *e = htab_lookup_elem(h, key);

	if (!e)
		return -ENOENT;
	if (h->of_maps)
		*(u32 *)value = (*(struct bpffs_map **)elem_value(h, e))->id;
	else
		memcpy(value, elem_value(h, e), map->user_value_size);
	return 0;
}

/* ---- LRU list ------------------------------------------------------------ */

/* Caller holds lru_lock. */
static void lru_unlink(struct htab_elem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->on_lru = 0;
}

static void lru_push_head(struct bpffs_htab *h, struct htab_elem *e)
{
	e->lru_next = h->lru_head.lru_next;
	e->lru_prev = &h->lru_head;
	h->lru_head.lru_next->lru_prev = e;
	h->lru_head.lru_next = e;
	e->on_lru = 1;
}

/* Caller holds the element's bucket lock. Unlinks @e from its chain. */
static void htab_unlink_locked(struct htab_bucket *b, struct htab_elem *e)
{
	_Atomic(struct htab_elem *) *pp = &b->head;
	struct htab_elem *cur;

	while ((cur = atomic_load_explicit(pp, memory_order_relaxed)) != e)
		pp = &cur->next;
	atomic_store_explicit(pp, atomic_load_explicit(&e->next, memory_order_relaxed),
			      memory_order_release);
}

/* Evict one element by second chance. Returns true if one was evicted. */
static bool htab_lru_evict(struct bpffs_htab *h)
{
	u32 budget = 2 * h->map.max_entries + 8;
	struct htab_elem *victim = NULL, *e;

	bpffs_spin_lock(&h->lru_lock);
	while (budget-- && (e = h->lru_head.lru_prev) != &h->lru_head) {
		struct htab_bucket *b = htab_bucket(h, e->hash);

		lru_unlink(e);
		if (atomic_load_explicit(&e->ref, memory_order_relaxed) || !bpffs_spin_trylock(&b->lock)) {
			atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
			lru_push_head(h, e);
			continue;
		}
		htab_unlink_locked(b, e);
		atomic_fetch_sub(&h->count, 1);
		bpffs_spin_unlock(&b->lock);
		victim = e;
		break;
	}
	bpffs_spin_unlock(&h->lru_lock);
	if (victim)
		htab_elem_retire(h, victim);
	return victim != NULL;
}

/* ---- update / delete ------------------------------------------------------ */

static void htab_fill_value(struct bpffs_htab *h, struct htab_elem *e, const void *value,
			    bool all_cpus)
{
	u8 *v = elem_value(h, e);
	u32 n = bpffs_nr_cpus(), cpu;

	if (!h->percpu) {
		if (h->of_maps)
			memcpy(v, value, sizeof(void *));
		else
			bpffs_copy_value(&h->map, v, value);
		return;
	}
	if (all_cpus) {
		memcpy(v, value, (size_t)h->slot_size * n);
		return;
	}
	memset(v, 0, (size_t)h->slot_size * n);
	cpu = bpffs_cpu_slot();
	memcpy(v + (size_t)h->slot_size * cpu, value, h->map.value_size);
}

/* Per-CPU maps update existing elements in place, like the kernel. */
static void htab_percpu_copy_in(struct bpffs_htab *h, struct htab_elem *e, const void *value,
				bool all_cpus)
{
	u8 *v = elem_value(h, e);

	if (all_cpus)
		memcpy(v, value, (size_t)h->slot_size * bpffs_nr_cpus());
	else
		memcpy(v + (size_t)h->slot_size * bpffs_cpu_slot(), value, h->map.value_size);
}

static int htab_check_flags(struct htab_elem *old, u64 flags)
{
	flags &= ~(u64)BPF_F_LOCK;
	if (old && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!old && flags == BPF_EXIST)
		return -ENOENT;
	return 0;
}

/* Reserve room for a new key. LRU maps never fail here: they evict first. */
static int htab_reserve(struct bpffs_htab *h)
{
	if (atomic_fetch_add(&h->count, 1) < h->map.max_entries)
		return 0;
	atomic_fetch_sub(&h->count, 1);
	return -E2BIG;
}

/* Update an existing element in place (BPF_F_LOCK or per-CPU), under the bucket lock. */
static int htab_update_in_place(struct bpffs_htab *h, struct htab_elem *old, const void *value,
				u64 flags, bool all_cpus)
{
	if (h->lru)	/* an update is a use */
		atomic_store_explicit(&old->ref, 1, memory_order_relaxed);
	if (h->percpu) {
		htab_percpu_copy_in(h, old, value, all_cpus);
	} else {
		void *v = elem_value(h, old);
		_Atomic u32 *lock = bpffs_value_lock(&h->map, v);

		bpffs_spin_lock(lock);
		bpffs_copy_value(&h->map, v, value);
		bpffs_spin_unlock(lock);
	}
	return 0;
}

/* Link @e (fully built) at the head of @b, replacing @old. Caller holds b->lock. */
static void htab_link_locked(struct bpffs_htab *h, struct htab_bucket *b, struct htab_elem *e,
			     struct htab_elem *old)
{
	atomic_store_explicit(&e->next, atomic_load_explicit(&b->head, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&b->head, e, memory_order_release);
	if (old)
		htab_unlink_locked(b, old);
	if (!h->lru)
		return;
	bpffs_spin_lock(&h->lru_lock);
	if (old && old->on_lru)
		lru_unlink(old);
	lru_push_head(h, e);
	bpffs_spin_unlock(&h->lru_lock);
}

static int htab_update_common(struct bpffs_map *map, const void *key, const void *value,
			      u64 flags, bool all_cpus)
{
	struct bpffs_htab *h = to_htab(map);
	u32 hash = htab_hash(h, key);
	struct htab_bucket *b = htab_bucket(h, hash);
	struct htab_elem *e = NULL, *old;
	int err = bpffs_map_check_update_flags(map, flags), tries = 0;

	if (err)
		return err;
	if (h->lru && atomic_load(&h->count) >= map->max_entries)
		htab_lru_evict(h);
again:
	bpffs_spin_lock(&b->lock);
	old = htab_find(h, b, hash, key);
	err = htab_check_flags(old, flags);
	if (err)
		goto out_unlock;
	if (old && ((flags & BPF_F_LOCK) || h->percpu)) {
		err = htab_update_in_place(h, old, value, flags, all_cpus);
		goto out_unlock;
	}
	if (!old) {
		err = htab_reserve(h);
		if (err && h->lru && tries++ < 8) {
			bpffs_spin_unlock(&b->lock);
			htab_lru_evict(h);
			goto again;
		}
		if (err)
			goto out_unlock;
	}
	e = htab_elem_alloc(h);
	if (!e) {
		if (!old)
			atomic_fetch_sub(&h->count, 1);
		err = -ENOMEM;
		goto out_unlock;
	}
	e->hash = hash;
	atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
	memcpy(e->key, key, map->key_size);
	htab_fill_value(h, e, value, all_cpus);
	htab_link_locked(h, b, e, old);
out_unlock:
	bpffs_spin_unlock(&b->lock);
	if (e && old)
		htab_elem_retire(h, old);
	return err;
}

/* Called from: program run or FUSE thread. Per-CPU: the caller's slot. */
static int htab_update(struct bpffs_map *map, const void *key, const void *value, u64 flags)
{
	return htab_update_common(map, key, value, flags, false);
}

/* Called from: FUSE thread; @value holds every CPU slot. */
static int htab_update_percpu(struct bpffs_map *map, const void *key, const void *value,
			      u64 flags)
{
	return htab_update_common(map, key, value, flags, true);
}

static int htab_delete(struct bpffs_map *map, const void *key)
{
	struct bpffs_htab *h = to_htab(map);
	u32 hash = htab_hash(h, key);
	struct htab_bucket *b = htab_bucket(h, hash);
	struct htab_elem *e;

	bpffs_spin_lock(&b->lock);
	e = htab_find(h, b, hash, key);
	if (e) {
		htab_unlink_locked(b, e);
		atomic_fetch_sub(&h->count, 1);
		if (h->lru) {
			bpffs_spin_lock(&h->lru_lock);
			if (e->on_lru)
				lru_unlink(e);
			bpffs_spin_unlock(&h->lru_lock);
		}
	}
	bpffs_spin_unlock(&b->lock);
	if (!e)
		return -ENOENT;
	htab_elem_retire(h, e);
	return 0;
}

/* ---- iteration ------------------------------------------------------------- */

static int htab_first_from(struct bpffs_htab *h, u32 idx, void *next_key)
{
	for (; idx < h->n_buckets; idx++) {
		struct htab_elem *e = atomic_load_explicit(&h->buckets[idx].head,
							   memory_order_acquire);

		if (e) {
			memcpy(next_key, e->key, h->map.key_size);
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * O(chain length) per call, so listing the map is linear. If @key vanished,
 * go on from the start of its bucket: later buckets are never revisited, so
 * iteration ends even while the map changes.
 */
static int htab_next_key(struct bpffs_map *map, const void *key, void *next_key)
{
	struct bpffs_htab *h = to_htab(map);
	struct htab_elem *e, *next;
	u32 hash, idx;

	if (!key)
		return htab_first_from(h, 0, next_key);
	hash = htab_hash(h, key);
	idx = hash & (h->n_buckets - 1);
	e = htab_find(h, &h->buckets[idx], hash, key);
	if (!e)
		return htab_first_from(h, idx, next_key);
	next = atomic_load_explicit(&e->next, memory_order_acquire);
	if (next) {
		memcpy(next_key, next->key, map->key_size);
		return 0;
	}
	return htab_first_from(h, idx + 1, next_key);
}

static long htab_for_each(struct bpffs_map *map, bpffs_map_elem_cb cb, void *arg)
{
	struct bpffs_htab *h = to_htab(map);
	long n = 0;
	u32 i;

	for (i = 0; i < h->n_buckets; i++) {
		struct htab_elem *e;

		for (e = atomic_load_explicit(&h->buckets[i].head, memory_order_acquire); e;
		     e = atomic_load_explicit(&e->next, memory_order_acquire)) {
			void *v = elem_value(h, e);

			if (h->percpu)
				v = (u8 *)v + (size_t)h->slot_size * bpffs_cpu_slot();
			n++;
			if (cb(map, e->key, v, arg))
				return n;
		}
	}
	return n;
}

/* ---- teardown ---------------------------------------------------------------- */

/* Called when the last reference is gone: no reader can reach the map. */
static void htab_free(struct bpffs_map *map)
{
	struct bpffs_htab *h = to_htab(map);
	u32 i;

	for (i = 0; i < h->n_buckets; i++) {
		struct htab_elem *e = atomic_load(&h->buckets[i].head), *next;

		for (; e; e = next) {
			next = atomic_load(&e->next);
			if (h->of_maps)
				bpffs_map_put(*(struct bpffs_map **)elem_value(h, e));
			if (!e->from_pool)
				free(e);
		}
	}
	bpffs_map_area_free(h->pool_mem, (size_t)h->pool_cnt * h->elem_size);
	bpffs_map_area_free(h->buckets, (size_t)h->n_buckets * sizeof(*h->buckets));
	free(h);
}

static size_t htab_mem_usage(const struct bpffs_map *map)
{
	const struct bpffs_htab *h = to_htab(map);

	return sizeof(*h) + (size_t)h->n_buckets * sizeof(struct htab_bucket) +
	       (size_t)h->pool_cnt * h->elem_size +
	       atomic_load_explicit(&((struct bpffs_htab *)h)->extra_bytes, memory_order_relaxed);
}

/* HASH_OF_MAPS: store an inner map pointer (reference taken over) as the value. */
static int htab_of_maps_update_ptr(struct bpffs_map *map, const void *key, void *inner,
				   u64 flags)
{
	if (!inner)
		return -EINVAL;
	return htab_update_common(map, key, &inner, flags, false);
}

/* DEVMAP_HASH: the value starts with the target ifindex. */
static int htab_devmap_redirect(struct bpffs_map *map, u32 key, u32 *target)
{
	struct htab_elem *e = htab_lookup_elem(to_htab(map), &key);

	if (!e)
		return -ENOENT;
	memcpy(target, elem_value(to_htab(map), e), 4);
	return 0;
}

#define HTAB_COMMON_OPS \
	.free = htab_free, \
	.delete = htab_delete, \
	.next_key = htab_next_key, \
	.mem_usage = htab_mem_usage

const struct bpffs_map_ops bpffs_hash_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_map_lookup,
	.alloc_check = htab_alloc_check,
	.alloc = htab_alloc,
	.update = htab_update,
	.update_locked = htab_update,
	.for_each = htab_for_each,
};

const struct bpffs_map_ops bpffs_percpu_hash_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_lookup,
	.alloc_check = htab_percpu_alloc_check,
	.alloc = htab_percpu_alloc,
	.update = htab_update,
	.update_percpu = htab_update_percpu,
	.copy_value = htab_copy_value,
	.lookup_percpu = htab_lookup_cpu,
	.for_each = htab_for_each,
};

const struct bpffs_map_ops bpffs_lru_hash_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_lookup,
	.alloc_check = htab_lru_alloc_check,
	.alloc = htab_lru_alloc,
	.update = htab_update,
	.update_locked = htab_update,
	.for_each = htab_for_each,
};

const struct bpffs_map_ops bpffs_lru_percpu_hash_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_lookup,
	.alloc_check = htab_lru_percpu_alloc_check,
	.alloc = htab_lru_percpu_alloc,
	.update = htab_update,
	.update_percpu = htab_update_percpu,
	.copy_value = htab_copy_value,
	.lookup_percpu = htab_lookup_cpu,
	.for_each = htab_for_each,
};

const struct bpffs_map_ops bpffs_devmap_hash_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_map_lookup,
	.alloc_check = htab_devmap_alloc_check,
	.alloc = htab_alloc,
	.update = htab_update,
	.redirect = htab_devmap_redirect,
};

/* update is NULL: entries are set with bpffs_map_in_map_update (inner map objects). */
const struct bpffs_map_ops bpffs_hash_of_maps_map_ops = {
	HTAB_COMMON_OPS,
	.lookup = htab_lookup,
	.alloc_check = htab_of_maps_alloc_check,
	.alloc = htab_of_maps_alloc,
	.copy_value = htab_copy_value,
	.update_ptr = htab_of_maps_update_ptr,
};
