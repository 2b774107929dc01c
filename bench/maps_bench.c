// SPDX-License-Identifier: MIT
/*
 * Map benchmark: ns per lookup / update / delete for HASH, ARRAY, LRU_HASH
 * and LPM_TRIE at 1K and 1M entries, called the way the helpers call them
 * (ops table, inside one RCU read-side section per batch, as a program run
 * holds it), single thread and 2 threads (ns per op per thread), plus memory
 * per entry from the map's own accounting. Random keys are precomputed so
 * the figures exclude key generation; times are per-thread CPU time (the
 * 2-thread figures therefore show contention, not waiting for a core).
 * Prints one table.
 *
 *   bench/maps_bench [scale]     scale < 1 shortens the runs (e.g. 0.1)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>

#include "maps/maps.h"

#define NKEYS (1U << 20)

struct lpm_key {
	u32 plen;
	u32 addr;
};

struct bench {
	const char *name;
	u32 type, ks, vs, flags;
	u32 entries;
	struct bpffs_map *map;
	u8 *keys;		/* NKEYS random existing keys, ks bytes each */
	u8 *all;		/* every key, ks bytes each, in insertion order */
};

static double scale = 1.0;

/* CPU time of the calling thread: the machine is shared, wall time would count waiting. */
static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_key(const struct bench *b, u32 i, void *out)
{
	if (b->type == BPF_MAP_TYPE_LPM_TRIE) {
		/* distinct /32 host routes spread over the address space */
		struct lpm_key k = { 32, __builtin_bswap32(i * 2654435761u) };

		memcpy(out, &k, sizeof(k));
	} else {
		memcpy(out, &i, 4);
	}
}

static int setup(struct bench *b)
{
	struct bpffs_map_attr a = { .map_type = b->type, .key_size = b->ks,
				    .value_size = b->vs, .max_entries = b->entries,
				    .map_flags = b->flags };
	u64 v = 1, s = 88172645463325252ull;

	snprintf(a.name, sizeof(a.name), "%s", b->name);
	if (bpffs_map_create(&a, NULL, &b->map))
		return -1;
	b->all = malloc((size_t)b->entries * b->ks);
	b->keys = malloc((size_t)NKEYS * b->ks);
	for (u32 i = 0; i < b->entries; i++) {
		make_key(b, i, b->all + (size_t)i * b->ks);
		bpffs_map_update_elem(b->map, b->all + (size_t)i * b->ks, &v, BPF_ANY);
	}
	for (u32 i = 0; i < NKEYS; i++)
		memcpy(b->keys + (size_t)i * b->ks, b->all + (rnd(&s) % b->entries) * b->ks, b->ks);
	return 0;
}

static void teardown(struct bench *b)
{
	bpffs_map_put(b->map);
	free(b->all);
	free(b->keys);
	bpffs_rcu_barrier();
}

enum op { OP_LOOKUP, OP_UPDATE, OP_DELETE };

struct run_arg {
	struct bench *b;
	enum op op;
	u32 n, off;
	double ns;
};

/* One RCU section per batch of 256 ops, like a program run doing a few lookups. */
static void *run_ops(void *arg)
{
	struct run_arg *r = arg;
	struct bpffs_map *m = r->b->map;
	u64 v = 2, sink = 0, t0 = now_ns();

	for (u32 i = 0; i < r->n; i += 256) {
		bpffs_rcu_read_lock();
		for (u32 j = i; j < i + 256 && j < r->n; j++) {
			const u8 *k = r->b->keys + (size_t)((j + r->off) % NKEYS) * r->b->ks;

			if (r->op == OP_LOOKUP)
				sink += (uintptr_t)m->ops->lookup(m, k);
			else
				sink += (u64)m->ops->update(m, k, &v, BPF_ANY);
		}
		bpffs_rcu_read_unlock();
	}
	r->ns = (double)(now_ns() - t0) / r->n;
	__asm__ volatile("" : : "r"(sink));
	return NULL;
}

/* Delete n keys (timed), then put them back (untimed). Arrays cannot delete. */
static double run_delete(struct bench *b, u32 n)
{
	struct bpffs_map *m = b->map;
	u64 v = 1, t0, t;

	if (n > b->entries)
		n = b->entries;
	t0 = now_ns();
	bpffs_rcu_read_lock();
	for (u32 i = 0; i < n; i++)
		m->ops->delete(m, b->all + (size_t)i * b->ks);
	bpffs_rcu_read_unlock();
	t = now_ns() - t0;
	for (u32 i = 0; i < n; i++)
		m->ops->update(m, b->all + (size_t)i * b->ks, &v, BPF_ANY);
	return (double)t / n;
}

static double run_threads(struct bench *b, enum op op, u32 n, int threads)
{
	pthread_t th[2];
	struct run_arg ra[2];
	double sum = 0;

	for (int t = 0; t < threads; t++) {
		ra[t] = (struct run_arg){ .b = b, .op = op, .n = n, .off = t * 7919 };
		pthread_create(&th[t], NULL, run_ops, &ra[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		sum += ra[t].ns;
	}
	return sum / threads;
}

static void bench_one(struct bench *b)
{
	u32 n = (u32)(2000000 * scale), nd = (u32)(200000 * scale);
	double l1, u1, d1 = -1, l2, u2, mem;

	if (setup(b)) {
		printf("%-10s %8u  (create failed)\n", b->name, b->entries);
		return;
	}
	run_threads(b, OP_LOOKUP, n / 4, 1);	/* warm up */
	l1 = run_threads(b, OP_LOOKUP, n, 1);
	u1 = run_threads(b, OP_UPDATE, n / 2, 1);
	if (b->type != BPF_MAP_TYPE_ARRAY)
		d1 = run_delete(b, nd);
	l2 = run_threads(b, OP_LOOKUP, n, 2);
	u2 = run_threads(b, OP_UPDATE, n / 2, 2);
	bpffs_rcu_barrier();
	mem = (double)bpffs_map_mem_usage(b->map) / b->entries;
	printf("%-10s %8u %9.1f %9.1f ", b->name, b->entries, l1, u1);
	if (d1 < 0)
		printf("%9s ", "EINVAL");
	else
		printf("%9.1f ", d1);
	printf("%9.1f %9.1f %10.1f\n", l2, u2, mem);
	teardown(b);
}

static double bench_rcu_section(void)
{
	u32 n = (u32)(10000000 * scale);
	u64 t0 = now_ns();

	for (u32 i = 0; i < n; i++) {
		bpffs_rcu_read_lock();
		bpffs_rcu_read_unlock();
	}
	return (double)(now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		u32 type, ks, flags;
	} types[] = {
		{ "hash", BPF_MAP_TYPE_HASH, 4, 0 },
		{ "array", BPF_MAP_TYPE_ARRAY, 4, 0 },
		{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 0 },
		{ "lpm_trie", BPF_MAP_TYPE_LPM_TRIE, 8, BPF_F_NO_PREALLOC },
	};
	static const u32 sizes[] = { 1000, 1000000 };

	if (argc > 1)
		scale = atof(argv[1]);
	printf("# maps_bench: ns per op from C through the ops table (value 8 bytes);\n"
	       "# 2T = two threads at once, ns per op per thread; mem = bytes per entry\n");
	printf("# RCU read-side section (lock+unlock): %.1f ns\n", bench_rcu_section());
	printf("%-10s %8s %9s %9s %9s %9s %9s %10s\n", "map", "entries", "lookup", "update",
	       "delete", "lookup2T", "update2T", "mem/entry");
	for (u32 s = 0; s < BPFFS_ARRAY_SIZE(sizes); s++)
		for (u32 t = 0; t < BPFFS_ARRAY_SIZE(types); t++) {
			struct bench b = { .name = types[t].name, .type = types[t].type,
					   .ks = types[t].ks, .vs = 8, .flags = types[t].flags,
					   .entries = sizes[s] };

			bench_one(&b);
		}
	return 0;
}
