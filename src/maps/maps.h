/* SPDX-License-Identifier: MIT */
/*
 * Maps: struct bpffs_map and the per-type operations table, after the
 * kernel's struct bpf_map_ops. Each map type is one file ending in one
 * `const struct bpffs_map_ops`, listed once in map_types.h. Generic code
 * dispatches through the table and never switches on the type; a NULL op
 * means "not supported" and the generic layer returns -EOPNOTSUPP.
 *
 * Concurrency: lookups are called from program runs on any hook thread and
 * must not block; update/delete may come concurrently from FUSE threads and
 * programs. A value pointer returned by lookup stays valid until the end of
 * the current program run (RCU read side, see bpffs_rcu_read_lock).
 */
#ifndef BPFFS_MAPS_H
#define BPFFS_MAPS_H

#include "../core/types.h"

struct bpffs_vlog;
struct bpffs_map;

#define BPFFS_OBJ_NAME_LEN 64

/* What a map is asked to be; the ELF loader and `mkdir maps/NAME` fill it. */
struct bpffs_map_attr {
	u32 map_type;		/* BPF_MAP_TYPE_* */
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;		/* BPF_F_* */
	u32 inner_map_idx;	/* map-in-map: index of the inner template, or -1 */
	struct bpffs_map *inner_map; /* map-in-map template (borrowed) */
	u32 btf_key_type_id;
	u32 btf_value_type_id;
	char name[BPFFS_OBJ_NAME_LEN];
	u64 map_extra;		/* bloom filter: number of hash functions (low 4 bits) */
	bool has_spin_lock;	/* the value holds a struct bpf_spin_lock (from BTF) */
	u32 spin_lock_off;	/* its offset in the value, 4-aligned */
};

/* Deferred-free link, embedded in anything retired through bpffs_rcu_call. */
struct bpffs_rcu_head {
	struct bpffs_rcu_head *next;
	void (*fn)(struct bpffs_rcu_head *head);
	u64 epoch;
};

/* Called for each element by ops->for_each; return 0 to go on, 1 to stop. */
typedef long (*bpffs_map_elem_cb)(struct bpffs_map *map, const void *key, void *value,
				  void *arg);

struct bpffs_map_ops {
	/* Called from: load/FUSE thread. No side effects; -EINVAL/-E2BIG + log. */
	int (*alloc_check)(const struct bpffs_map_attr *attr, struct bpffs_vlog *log);
	/* Called from: load/FUSE thread. Returns 0 and *out, or -errno. */
	int (*alloc)(const struct bpffs_map_attr *attr, struct bpffs_map **out);
	/* Called when the last reference is dropped. */
	void (*free)(struct bpffs_map *map);
	/* Called from: program run (any thread, must not block) or FUSE thread. */
	void *(*lookup)(struct bpffs_map *map, const void *key);
	int (*update)(struct bpffs_map *map, const void *key, const void *value, u64 flags);
	int (*delete)(struct bpffs_map *map, const void *key);
	/* key == NULL asks for the first key. -ENOENT after the last. */
	int (*next_key)(struct bpffs_map *map, const void *key, void *next_key);
	/* queue/stack/bloom: push (update flags), pop, peek */
	int (*push)(struct bpffs_map *map, const void *value, u64 flags);
	int (*pop)(struct bpffs_map *map, void *value);
	int (*peek)(struct bpffs_map *map, void *value);
	/*
	 * Global data (LD_IMM64 map-value pseudo): checks @off < value_size and
	 * returns the value's base address in *addr (the caller adds @off), as
	 * the kernel's map_direct_value_addr.
	 */
	int (*direct_value_addr)(struct bpffs_map *map, u64 *addr, u32 off);
	/* Copy a value out / in for syscall-side access (per-CPU maps copy every slot). */
	int (*copy_value)(struct bpffs_map *map, const void *key, void *value);
	/* Memory used by the map, in bytes. */
	size_t (*mem_usage)(const struct bpffs_map *map);
	/*
	 * Syscall side of per-CPU maps: @value holds one round_up(value_size, 8)
	 * slot per CPU slot (bpffs_nr_cpus()), like the kernel's percpu update.
	 * Called from: FUSE thread.
	 */
	int (*update_percpu)(struct bpffs_map *map, const void *key, const void *value,
			     u64 flags);
	/*
	 * Visit every element (bpf_for_each_map_elem). Returns the number of
	 * elements visited. Called from: program run (inside bpffs_rcu_read_lock).
	 */
	long (*for_each)(struct bpffs_map *map, bpffs_map_elem_cb cb, void *arg);
	/* Copy a value in/out holding the value's bpf_spin_lock (BPF_F_LOCK). */
	int (*update_locked)(struct bpffs_map *map, const void *key, const void *value,
			     u64 flags);
	/*
	 * Object maps (PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS): store @ptr (a
	 * struct bpffs_prog * or struct bpffs_map *) under @key, taking over the
	 * caller's reference; NULL @ptr clears. Called from: FUSE/load thread.
	 */
	int (*update_ptr)(struct bpffs_map *map, const void *key, void *ptr, u64 flags);
	/* Per-CPU maps: the value of @key in CPU slot @cpu (bpf_map_lookup_percpu_elem). */
	void *(*lookup_percpu)(struct bpffs_map *map, const void *key, u32 cpu);
	/* bpf_redirect_map: 0 and the target (ifindex, CPU) of @key, or -ENOENT. */
	int (*redirect)(struct bpffs_map *map, u32 key, u32 *target);
};

/* Generic part, embedded first in every type's private struct. */
struct bpffs_map {
	const struct bpffs_map_ops *ops;
	u32 map_type;
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;
	u32 id;
	u32 btf_key_type_id;
	u32 btf_value_type_id;
	int refcnt;		/* atomic; bpffs_map_get/put */
	bool frozen;		/* read-only to programs and the filesystem */
	struct bpffs_map *inner_map_meta; /* map-in-map template */
	char name[BPFFS_OBJ_NAME_LEN];
	/* bytes per value on the syscall side (per-CPU: one 8-aligned slot per CPU) */
	u32 user_value_size;
	u64 map_extra;
	s32 spin_lock_off;	/* offset of bpf_spin_lock in the value, or -1 */
	struct bpffs_rcu_head rcu; /* the last put frees the map after a grace period */
};

/* Create a map of attr->map_type. Returns 0 and *out (refcount 1) or -errno + log. */
int bpffs_map_create(const struct bpffs_map_attr *attr, struct bpffs_vlog *log,
		     struct bpffs_map **out);
void bpffs_map_get(struct bpffs_map *map);
/* Drop a reference; the last one frees the map after an RCU grace period. */
void bpffs_map_put(struct bpffs_map *map);
/* Make the map read-only for the syscall side (bpf_map_freeze): later writes get -EPERM. */
int bpffs_map_freeze(struct bpffs_map *map);

/* Syscall-side entry points (FUSE thread): checked wrappers around the ops. */
int bpffs_map_lookup_elem(struct bpffs_map *map, const void *key, void *value);
int bpffs_map_update_elem(struct bpffs_map *map, const void *key, const void *value,
			  u64 flags);
int bpffs_map_delete_elem(struct bpffs_map *map, const void *key);
int bpffs_map_get_next_key(struct bpffs_map *map, const void *key, void *next_key);

/* Name of a BPF_MAP_TYPE_* value ("hash", "array", ...), or NULL if unknown. */
const char *bpffs_map_type_name(u32 map_type);

/*
 * Lookup with flags (BPF_F_LOCK copies the value holding its spin lock).
 * @value has map->user_value_size bytes. Called from: FUSE thread.
 */
int bpffs_map_lookup_elem_flags(struct bpffs_map *map, const void *key, void *value,
				u64 flags);
/* queue/stack/bloom from the syscall side: push (flags BPF_ANY/BPF_EXIST), pop, peek. */
int bpffs_map_push_elem(struct bpffs_map *map, const void *value, u64 flags);
int bpffs_map_pop_elem(struct bpffs_map *map, void *value);
int bpffs_map_peek_elem(struct bpffs_map *map, void *value);
/* Queue/stack: copy up to @max values oldest first into @buf; the count or -EINVAL. */
long bpffs_qs_copy(struct bpffs_map *map, void *buf, u32 max);
/* Bytes the map uses (elements, buckets, rings), for the filesystem's info file. */
size_t bpffs_map_mem_usage(const struct bpffs_map *map);

/* ---- RCU (epoch-based reclamation) ------------------------------------- */

/*
 * Readers (program runs, syscall-side lookups) bracket their accesses with
 * bpffs_rcu_read_lock/unlock; the sections nest and cost one atomic exchange
 * at the outermost level. Memory handed to bpffs_rcu_call is released only
 * after every section that was open when it was retired has closed. The
 * program run entry (bpffs_prog_run) must hold the read lock for the whole
 * run: that is what keeps a value pointer from a lookup valid until the end
 * of the run. Threads register themselves on first use.
 */
void bpffs_rcu_read_lock(void);
void bpffs_rcu_read_unlock(void);
bool bpffs_rcu_read_held(void);
/* Run @fn(@head) after a grace period, on the reclaimer thread. Never blocks. */
void bpffs_rcu_call(struct bpffs_rcu_head *head, void (*fn)(struct bpffs_rcu_head *head));
/* Wait for a grace period. Must not be called inside a read-side section. */
void bpffs_rcu_synchronize(void);
/* Wait until every callback queued so far has run (tests, shutdown). */
void bpffs_rcu_barrier(void);

/* ---- per-CPU slots ------------------------------------------------------ */

/*
 * "Per-CPU" in user space. Per-CPU maps hold bpffs_nr_cpus() slots per value,
 * fixed for the life of the process (max(8, configured CPUs), at most
 * BPFFS_MAX_CPUS). Every thread that runs programs owns one slot exclusively:
 * a hook worker claims it with bpffs_cpu_slot_set(), any other thread claims
 * the lowest free slot on its first bpffs_cpu_slot() call; the slot is released
 * when the thread exits. bpf_get_smp_processor_id() returns bpffs_cpu_slot().
 * Since no two live threads share a slot, a program's non-atomic updates of its
 * per-CPU value never race with another program run. Readers on the syscall
 * side see all slots (racy snapshot per slot, as in the kernel). Only when more
 * threads than slots run programs do threads share a slot (a warning is logged
 * once; updates of a shared slot should then use atomics).
 */
#define BPFFS_MAX_CPUS 256
u32 bpffs_nr_cpus(void);
u32 bpffs_cpu_slot(void);
/* Claim @slot for the calling thread. 0, -EINVAL (out of range), -EBUSY (taken). */
int bpffs_cpu_slot_set(u32 slot);

/* ---- type-specific entry points ----------------------------------------- */

/*
 * PROG_ARRAY: the interpreter's/JIT's tail call reads the slot with
 * bpffs_prog_array_get() inside the run's RCU read-side section; the program
 * returned is borrowed (the slot holds a reference, dropped after a grace
 * period when the slot changes). NULL if @index is out of range or empty.
 * Called from: program run, must not block.
 */
struct bpffs_prog;
struct bpffs_prog *bpffs_prog_array_get(struct bpffs_map *map, u32 index);
/* Set slot @index to @prog (takes a new reference) or clear it (@prog NULL). */
int bpffs_prog_array_update(struct bpffs_map *map, u32 index, struct bpffs_prog *prog);

/*
 * ARRAY_OF_MAPS / HASH_OF_MAPS: set @key to @inner (takes a reference; the
 * inner map must match the template's type, key/value size and max_entries
 * except with BPF_F_INNER_MAP) or delete it with bpffs_map_delete_elem.
 * ops->lookup on the outer map returns the inner struct bpffs_map * itself.
 */
int bpffs_map_in_map_update(struct bpffs_map *outer, const void *key,
			    struct bpffs_map *inner, u64 flags, struct bpffs_vlog *log);

/*
 * RINGBUF. Producer side (programs): reserve/submit/discard/output/query as
 * the helpers. Consumer side (filesystem): consume records in order; the
 * poll fd (an eventfd) becomes readable when data is submitted (adaptive
 * wakeup as in the kernel: BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP).
 */
void *bpffs_ringbuf_reserve(struct bpffs_map *map, u64 size, u64 flags);
void bpffs_ringbuf_submit(void *rec, u64 flags);
void bpffs_ringbuf_discard(void *rec, u64 flags);
int bpffs_ringbuf_output(struct bpffs_map *map, const void *data, u64 size, u64 flags);
u64 bpffs_ringbuf_query(struct bpffs_map *map, u64 flags);
/* Call @cb for each submitted record; returns records consumed or -errno (cb's). */
typedef int (*bpffs_ringbuf_cb)(void *arg, const void *data, u32 size);
long bpffs_ringbuf_consume(struct bpffs_map *map, bpffs_ringbuf_cb cb, void *arg);
int bpffs_ringbuf_poll_fd(struct bpffs_map *map);

/*
 * BPF_F_MMAPABLE arrays created from now on keep their values in an unnamed
 * file (O_TMPFILE, blocks reserved) in directory @dirfd, mapped MAP_SHARED,
 * instead of anonymous memory; -1 goes back to memory. The state directory
 * sets it while it is open (before loads start, cleared after they end) and
 * links the file of a published map into place. Without O_TMPFILE support
 * (or space), maps fall back to memory.
 */
void bpffs_array_set_backing_dir(int dirfd);
struct bpffs_array_values {
	void *values;		/* max_entries values, round_up(value_size, 8) apart */
	size_t size;		/* bytes mapped (page multiple) */
	int fd;			/* the backing file, or -1 (anonymous memory) */
};
/* The values of a BPF_F_MMAPABLE array; -EINVAL for any other map. */
int bpffs_array_values(const struct bpffs_map *map, struct bpffs_array_values *out);

/*
 * PERF_EVENT_ARRAY: one record ring per index, created when a consumer opens
 * it (like the kernel, output to an index nobody opened fails with -ENOENT).
 * BPF_F_CURRENT_CPU selects the index bpffs_cpu_slot().
 */
int bpffs_perf_event_array_open(struct bpffs_map *map, u32 index, u32 ring_size);
int bpffs_perf_event_output(struct bpffs_map *map, u64 flags, const void *data, u64 size);
long bpffs_perf_event_consume(struct bpffs_map *map, u32 index, bpffs_ringbuf_cb cb,
			      void *arg);
/* Records dropped on index @index because its ring was full. */
u64 bpffs_perf_event_lost(struct bpffs_map *map, u32 index);
int bpffs_perf_event_poll_fd(struct bpffs_map *map, u32 index);

/*
 * XDP redirect (bpf_redirect_map): the target chosen by the last successful
 * redirect on this thread, for the socket hook to act on after the run.
 */
struct bpffs_redirect_info {
	struct bpffs_map *map;	/* NULL: no redirect pending */
	u32 key;
	u32 target;		/* ifindex (devmap) or CPU (cpumap) */
};
struct bpffs_redirect_info *bpffs_redirect_info(void);

#endif /* BPFFS_MAPS_H */
