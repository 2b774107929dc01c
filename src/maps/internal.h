/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared only inside src/maps: the small spin lock used for
 * buckets, queues and bpf_spin_lock, the key hash, per-type ops tables named
 * by map_types.h and the generic attribute checks every type reuses.
 */
#ifndef BPFFS_MAPS_INTERNAL_H
#define BPFFS_MAPS_INTERNAL_H

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <linux/bpf.h>

#include "maps.h"
#include "../core/vlog.h"
#include "../core/log.h"

#define BPFFS_ROUND_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define BPFFS_MIN(a, b) ((a) < (b) ? (a) : (b))

/*
 * The u32 index key of array-like maps. Keys come from programs, which may
 * pass any stack address: read it unaligned.
 */
static inline u32 bpffs_map_key_u32(const void *key)
{
	u32 idx;

	memcpy(&idx, key, sizeof(idx));
	return idx;
}

/*
 * A 4-byte test-and-test-and-set lock. Held only for a few dozen
 * instructions (bucket splice, queue slot copy); yields after a short spin so
 * a preempted holder on a 2-core machine does not stall the waiter for long.
 * Same layout as the uapi struct bpf_spin_lock (one u32), so bpf_spin_lock
 * values in maps use it directly.
 */
static inline void bpffs_spin_lock(_Atomic u32 *lock)
{
	unsigned int spins = 0;

	for (;;) {
		if (!atomic_exchange_explicit(lock, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(lock, memory_order_relaxed)) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				__builtin_ia32_pause();
			}
		}
	}
}

static inline bool bpffs_spin_trylock(_Atomic u32 *lock)
{
	return !atomic_load_explicit(lock, memory_order_relaxed) &&
	       !atomic_exchange_explicit(lock, 1, memory_order_acquire);
}

static inline void bpffs_spin_unlock(_Atomic u32 *lock)
{
	atomic_store_explicit(lock, 0, memory_order_release);
}

/* 64-bit key hash (multiply-xorshift over 8-byte words), seeded per map. */
static inline u64 bpffs_hash_mix(u64 h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

static inline u64 bpffs_hash_bytes(const void *data, u32 len, u64 seed)
{
	const u8 *p = data;
	u64 h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	u64 w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = bpffs_hash_mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {	/* 4..7 bytes: two overlapping loads, no byte loop */
		u32 a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + len - 4, 4);
		h = bpffs_hash_mix(h ^ ((u64)a << 32 | b) ^ ((u64)len << 56));
	} else if (len) {
		w = (u64)p[0] | (u64)p[len / 2] << 8 | (u64)p[len - 1] << 16;
		h = bpffs_hash_mix(h ^ w ^ ((u64)len << 56));
	}
	return bpffs_hash_mix(h);
}

/* Copy a value without touching the bpf_spin_lock it may hold (kernel copy_map_value). */
static inline void bpffs_copy_value(const struct bpffs_map *map, void *dst, const void *src)
{
	u32 off = (u32)map->spin_lock_off;

	if (map->spin_lock_off < 0) {
		memcpy(dst, src, map->value_size);
		return;
	}
	memcpy(dst, src, off);
	memcpy((u8 *)dst + off + 4, (const u8 *)src + off + 4, map->value_size - off - 4);
}

static inline _Atomic u32 *bpffs_value_lock(const struct bpffs_map *map, void *value)
{
	return (_Atomic u32 *)((u8 *)value + map->spin_lock_off);
}

/*
 * Zeroed, 64-byte aligned memory for element arrays, buckets and pools, as
 * the kernel's bpf_map_area_alloc: large areas are mmap'd and asked for
 * transparent huge pages, so random lookups in 1M-entry maps miss the TLB
 * less. Free with the same size.
 */
void *bpffs_map_area_alloc(size_t size);
void bpffs_map_area_free(void *area, size_t size);

/* Fill the generic part from the attributes (used by every alloc). */
void bpffs_map_init_from_attr(struct bpffs_map *map, const struct bpffs_map_attr *attr);
/* Common checks: key/value sizes non-zero, max_entries > 0, known flags. */
int bpffs_map_check_attr(const struct bpffs_map_attr *attr, u32 allowed_flags,
			 struct bpffs_vlog *log);
/* Validate update flags (BPF_ANY/NOEXIST/EXIST, BPF_F_LOCK only with a lock). */
int bpffs_map_check_update_flags(const struct bpffs_map *map, u64 flags);

/* per-CPU slot size and pointer */
static inline u32 bpffs_percpu_size(const struct bpffs_map *map)
{
	return BPFFS_ROUND_UP(map->value_size, 8);
}

/* Ring of records shared by RINGBUF and PERF_EVENT_ARRAY (ringbuf.c). */
struct bpffs_rb;
int bpffs_rb_create(u64 size, struct bpffs_rb **out);
void bpffs_rb_destroy(struct bpffs_rb *rb);
void *bpffs_rb_reserve(struct bpffs_rb *rb, u64 size);
int bpffs_rb_output(struct bpffs_rb *rb, const void *data, u64 size, u64 flags);
long bpffs_rb_consume(struct bpffs_rb *rb, bpffs_ringbuf_cb cb, void *arg);
u64 bpffs_rb_query(struct bpffs_rb *rb, u64 flags);
int bpffs_rb_poll_fd(struct bpffs_rb *rb);
size_t bpffs_rb_mem_usage(const struct bpffs_rb *rb);

#define BPFFS_MAP_TYPE(id, name) extern const struct bpffs_map_ops bpffs_##name##_map_ops;
#include "map_types.h"
#undef BPFFS_MAP_TYPE

#endif /* BPFFS_MAPS_INTERNAL_H */
