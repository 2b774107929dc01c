// SPDX-License-Identifier: MIT
/*
 * BLOOM_FILTER, after the kernel's bloom_filter.c: key_size 0, values are
 * pushed (bits set) and peeked (0 = maybe present, -ENOENT = certainly
 * absent); nothing is ever removed. map_extra's low 4 bits choose the number
 * of hash functions (default 5). The bit array is sized for max_entries
 * values at that many hashes (a power of two, at least 64 bits) and updated
 * with atomic ORs, so pushes and peeks never take a lock.
 */
#include <stdlib.h>

#include "internal.h"

struct bpffs_bloom {
	struct bpffs_map map;
	u32 nr_hash;
	u64 bit_mask;		/* nr_bits - 1 */
	u64 seed;
	_Atomic u64 *bits;
};

static struct bpffs_bloom *to_bloom(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_bloom, map);
}

/* Called from: load/FUSE thread. */
static int bloom_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, BPF_F_ZERO_SEED, log);

	if (err)
		return err;
	if (attr->key_size || !attr->value_size || !attr->max_entries ||
	    (attr->map_extra & ~0xFULL)) {
		bpffs_vlog_printf(log, "map '%s': bloom_filter needs key_size 0, value_size > 0, max_entries > 0 and map_extra < 16\n",
				  attr->name);
		return -EINVAL;
	}
	if (attr->max_entries > (1U << 30)) {
		bpffs_vlog_printf(log, "map '%s': %u entries are too many\n", attr->name,
				  attr->max_entries);
		return -E2BIG;
	}
	return 0;
}

static int bloom_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_bloom *b = calloc(1, sizeof(*b));
	u64 want, nr_bits = 64;

	if (!b)
		return -ENOMEM;
	bpffs_map_init_from_attr(&b->map, attr);
	b->nr_hash = attr->map_extra & 0xF ? attr->map_extra & 0xF : 5;
	/* m = n * k / ln 2, as the kernel sizes it */
	want = (u64)attr->max_entries * b->nr_hash * 100 / 69;
	while (nr_bits < want)
		nr_bits <<= 1;
	b->bit_mask = nr_bits - 1;
	if (!(attr->map_flags & BPF_F_ZERO_SEED))
		b->seed = bpffs_hash_mix((u64)(uintptr_t)b ^ 0x5bd1e995);
	b->bits = calloc(nr_bits / 64, sizeof(u64));
	if (!b->bits) {
		free(b);
		return -ENOMEM;
	}
	*out = &b->map;
	return 0;
}

static void bloom_free(struct bpffs_map *map)
{
	struct bpffs_bloom *b = to_bloom(map);

	free(b->bits);
	free(b);
}

static u64 bloom_bit(const struct bpffs_bloom *b, const void *value, u32 i)
{
	return bpffs_hash_bytes(value, b->map.value_size, b->seed + i) & b->bit_mask;
}

/* Called from: program run or FUSE thread; lock-free. */
static int bloom_push(struct bpffs_map *map, const void *value, u64 flags)
{
	struct bpffs_bloom *b = to_bloom(map);
	u32 i;

	if (flags != BPF_ANY)
		return -EINVAL;
	for (i = 0; i < b->nr_hash; i++) {
		u64 bit = bloom_bit(b, value, i);

		atomic_fetch_or_explicit(&b->bits[bit / 64], 1ULL << (bit % 64),
					 memory_order_relaxed);
	}
	return 0;
}

static int bloom_peek(struct bpffs_map *map, void *value)
{
	struct bpffs_bloom *b = to_bloom(map);
	u32 i;

	for (i = 0; i < b->nr_hash; i++) {
		u64 bit = bloom_bit(b, value, i);

		if (!(atomic_load_explicit(&b->bits[bit / 64], memory_order_relaxed) &
		      (1ULL << (bit % 64))))
			return -ENOENT;
	}
	return 0;
}

static size_t bloom_mem_usage(const struct bpffs_map *map)
{
	return sizeof(struct bpffs_bloom) + (to_bloom(map)->bit_mask + 1) / 8;
}

const struct bpffs_map_ops bpffs_bloom_filter_map_ops = {
	.alloc_check = bloom_alloc_check,
	.alloc = bloom_alloc,
	.free = bloom_free,
	.push = bloom_push,
	.peek = bloom_peek,
	.mem_usage = bloom_mem_usage,
};
