// SPDX-License-Identifier: MIT
/*
 * Unit tests of src/maps: the generic layer (creation checks, flags,
 * refcounts) and per-type semantics of ARRAY, PERCPU_ARRAY, HASH,
 * PERCPU_HASH, LRU_HASH, DEVMAP_HASH: error codes as in the kernel, LRU
 * eviction order, iteration while the map changes, paging over 1,000,000 keys.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "maps/maps.h"
#include "core/vlog.h"

static char logbuf[4096];
static struct bpffs_vlog vlog = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

static struct bpffs_map *mk(u32 type, u32 ks, u32 vs, u32 max, u32 flags)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags };
	struct bpffs_map *m = NULL;

	snprintf(a.name, sizeof(a.name), "t%u", type);
	bpffs_vlog_reset(&vlog);
	if (bpffs_map_create(&a, &vlog, &m))
		return NULL;
	return m;
}

static int mk_err(u32 type, u32 ks, u32 vs, u32 max, u32 flags)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags };
	struct bpffs_map *m = NULL;
	int err;

	snprintf(a.name, sizeof(a.name), "bad");
	bpffs_vlog_reset(&vlog);
	err = bpffs_map_create(&a, &vlog, &m);
	if (!err)
		bpffs_map_put(m);
	return err;
}

static u64 upd(struct bpffs_map *m, u32 k, u64 v, u64 flags)
{
	return (u64)(s64)bpffs_map_update_elem(m, &k, &v, flags);
}

static int get(struct bpffs_map *m, u32 k, u64 *v)
{
	return bpffs_map_lookup_elem(m, &k, v);
}

static void test_generic(void)
{
	TEST("unknown map type fails with EINVAL and names the id") {
		CHECK_EQ(mk_err(999, 4, 4, 1, 0), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "unknown map type 999");
	}
	TEST("kernel-only map types fail with EOPNOTSUPP and a message naming the type") {
		CHECK_EQ(mk_err(BPF_MAP_TYPE_STACK_TRACE, 4, 8, 1, 0), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(logbuf, "stack_trace has no meaning in user space");
		CHECK_EQ(mk_err(BPF_MAP_TYPE_SOCKMAP, 4, 4, 1, 0), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(logbuf, "sockmap");
		CHECK_EQ(mk_err(BPF_MAP_TYPE_CGROUP_STORAGE, 4, 4, 0, 0), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(logbuf, "cgroup_storage");
	}
	TEST("type names come from the uapi list") {
		CHECK_STR_CONTAINS(bpffs_map_type_name(BPF_MAP_TYPE_LRU_HASH), "lru_hash");
		CHECK(bpffs_map_type_name(1000) == NULL);
	}
	TEST("unknown map flags are rejected with a log line") {
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 1U << 30), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "not valid for type array");
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_RDONLY | BPF_F_WRONLY), -EINVAL);
	}
	TEST("update flags other than ANY/NOEXIST/EXIST/F_LOCK are EINVAL") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);

		CHECK(m != NULL);
		CHECK_EQ(upd(m, 1, 1, 3), (u64)-EINVAL);
		CHECK_EQ(upd(m, 1, 1, 8), (u64)-EINVAL);
		/* BPF_F_LOCK needs a bpf_spin_lock in the value */
		CHECK_EQ(upd(m, 1, 1, BPF_F_LOCK), (u64)-EINVAL);
		bpffs_map_put(m);
	}
	TEST("ops left NULL report EOPNOTSUPP") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
		u64 v = 0;

		CHECK_EQ(bpffs_map_push_elem(m, &v, 0), -EOPNOTSUPP);
		CHECK_EQ(bpffs_map_pop_elem(m, &v), -EOPNOTSUPP);
		bpffs_map_put(m);
	}
}

static void test_array(void)
{
	struct bpffs_map *m;
	u64 v;
	u32 k, nk;

	TEST("array creation checks key_size 4, value_size and max_entries") {
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 8, 4, 1, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 0, 1, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 0, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 1U << 20, 1U << 20, 0), -E2BIG);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_NO_PREALLOC), -EINVAL);
	}
	m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	TEST("array elements exist from the start and read as zero") {
		CHECK(m != NULL);
		v = 7;
		CHECK_EQ(get(m, 3, &v), 0);
		CHECK_EQ(v, 0);
		CHECK_EQ(get(m, 4, &v), -ENOENT);
	}
	TEST("array update: BPF_NOEXIST is EEXIST, out of range is E2BIG, EXIST works") {
		CHECK_EQ(upd(m, 1, 11, BPF_NOEXIST), (u64)-EEXIST);
		CHECK_EQ(upd(m, 4, 11, BPF_ANY), (u64)-E2BIG);
		CHECK_EQ(upd(m, 1, 11, BPF_EXIST), 0);
		CHECK_EQ(get(m, 1, &v), 0);
		CHECK_EQ(v, 11);
	}
	TEST("array delete is EINVAL") {
		k = 1;
		CHECK_EQ(bpffs_map_delete_elem(m, &k), -EINVAL);
	}
	TEST("array next_key walks 0..max-1, NULL or out-of-range key restarts") {
		CHECK_EQ(bpffs_map_get_next_key(m, NULL, &nk), 0);
		CHECK_EQ(nk, 0);
		k = 2;
		CHECK_EQ(bpffs_map_get_next_key(m, &k, &nk), 0);
		CHECK_EQ(nk, 3);
		k = 3;
		CHECK_EQ(bpffs_map_get_next_key(m, &k, &nk), -ENOENT);
		k = 99;
		CHECK_EQ(bpffs_map_get_next_key(m, &k, &nk), 0);
		CHECK_EQ(nk, 0);
	}
	TEST("a lookup pointer aliases the stored value") {
		u64 *p;

		k = 2;
		p = m->ops->lookup(m, &k);
		CHECK(p != NULL);
		*p = 1234;
		CHECK_EQ(get(m, 2, &v), 0);
		CHECK_EQ(v, 1234);
	}
	TEST("frozen array rejects syscall-side writes with EPERM but reads") {
		CHECK_EQ(bpffs_map_freeze(m), 0);
		CHECK_EQ(upd(m, 1, 5, BPF_ANY), (u64)-EPERM);
		CHECK_EQ(get(m, 1, &v), 0);
		CHECK_EQ(v, 11);
	}
	bpffs_map_put(m);

	TEST("direct_value_addr gives global data of a one-element array") {
		u64 addr = 0;
		struct bpffs_map *g = mk(BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG);

		CHECK(g != NULL);
		CHECK_EQ(g->ops->direct_value_addr(g, &addr, 8), 0);
		k = 0;
		CHECK_EQ(addr, (u64)(uintptr_t)g->ops->lookup(g, &k));	/* base; caller adds off */
		CHECK_EQ(g->ops->direct_value_addr(g, &addr, 16), -EINVAL);
		bpffs_map_put(g);
		g = mk(BPF_MAP_TYPE_ARRAY, 4, 16, 2, 0);
		CHECK_EQ(g->ops->direct_value_addr(g, &addr, 0), -EINVAL);
		bpffs_map_put(g);
	}
	TEST("BPF_F_MMAPABLE array values are page-aligned") {
		struct bpffs_map *g = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 10, BPF_F_MMAPABLE);

		CHECK(g != NULL);
		k = 0;
		CHECK_EQ((uintptr_t)g->ops->lookup(g, &k) % 4096, 0);
		CHECK(bpffs_map_mem_usage(g) >= 4096);
		CHECK_EQ(upd(g, 9, 3, 0), 0);
		bpffs_map_put(g);
	}
	TEST("BPF_F_LOCK update and lookup keep the spin lock word out of the copy") {
		struct bpffs_map_attr a = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
					    .value_size = 16, .max_entries = 2,
					    .has_spin_lock = true, .spin_lock_off = 0 };
		u32 val[4] = { 77, 1, 2, 3 }, out[4];
		u32 *p;
		struct bpffs_map *g;

		CHECK_EQ(bpffs_map_create(&a, NULL, &g), 0);
		k = 1;
		CHECK_EQ(bpffs_map_update_elem(g, &k, val, BPF_F_LOCK), 0);
		p = g->ops->lookup(g, &k);
		CHECK_EQ(p[0], 0);	/* the lock is free again and was not copied */
		CHECK_EQ(p[3], 3);
		CHECK_EQ(bpffs_map_lookup_elem_flags(g, &k, out, BPF_F_LOCK), 0);
		CHECK_EQ(out[0], 0);
		CHECK_EQ(out[2], 2);
		CHECK_EQ(bpffs_map_lookup_elem_flags(g, &k, out, 2), -EINVAL);
		bpffs_map_put(g);
		a.spin_lock_off = 14;
		CHECK_EQ(bpffs_map_create(&a, NULL, &g), -EINVAL);
	}
}

static void test_percpu_array(void)
{
	u32 n = bpffs_nr_cpus(), k = 0;
	struct bpffs_map *m = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
	u64 *all = calloc(n, 8);
	u32 one = 5;

	TEST("percpu array: program-side update writes only the caller's slot") {
		CHECK(m != NULL);
		CHECK_EQ(m->user_value_size, 8 * n);
		CHECK_EQ(m->ops->update(m, &k, &one, 0), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, all), 0);
		for (u32 i = 0; i < n; i++)
			CHECK_EQ(all[i], i == bpffs_cpu_slot() ? 5 : 0);
	}
	TEST("percpu array: syscall-side update sets every slot") {
		for (u32 i = 0; i < n; i++)
			all[i] = 100 + i;
		CHECK_EQ(bpffs_map_update_elem(m, &k, all, 0), 0);
		CHECK_EQ(*(u32 *)m->ops->lookup(m, &k), 100 + bpffs_cpu_slot());
	}
	TEST("per-CPU slots: explicit claim, EBUSY when taken, EINVAL out of range") {
		CHECK(bpffs_nr_cpus() >= 8);
		CHECK_EQ(bpffs_cpu_slot_set(bpffs_cpu_slot()), 0);
		CHECK_EQ(bpffs_cpu_slot_set(n), -EINVAL);
		CHECK_EQ(bpffs_cpu_slot_set(n - 1), 0);
		CHECK_EQ(bpffs_cpu_slot(), n - 1);
		CHECK_EQ(bpffs_cpu_slot_set(0), 0);
	}
	free(all);
	bpffs_map_put(m);
}

static void test_hash_semantics(u32 type, u32 flags)
{
	struct bpffs_map *m = mk(type, 4, 8, 4, flags);
	u64 v;
	u32 k;

	TEST("hash: lookup of a missing key is ENOENT; NOEXIST/EXIST rules hold") {
		CHECK(m != NULL);
		CHECK_EQ(get(m, 1, &v), -ENOENT);
		CHECK_EQ(upd(m, 1, 10, BPF_EXIST), (u64)-ENOENT);
		CHECK_EQ(upd(m, 1, 10, BPF_NOEXIST), 0);
		CHECK_EQ(upd(m, 1, 11, BPF_NOEXIST), (u64)-EEXIST);
		CHECK_EQ(upd(m, 1, 12, BPF_EXIST), 0);
		CHECK_EQ(get(m, 1, &v), 0);
		CHECK_EQ(v, 12);
	}
	TEST("hash: full map fails new keys with E2BIG but updates existing ones") {
		CHECK_EQ(upd(m, 2, 20, 0), 0);
		CHECK_EQ(upd(m, 3, 30, 0), 0);
		CHECK_EQ(upd(m, 4, 40, 0), 0);
		CHECK_EQ(upd(m, 5, 50, 0), (u64)-E2BIG);
		CHECK_EQ(upd(m, 4, 41, BPF_ANY), 0);
		CHECK_EQ(get(m, 4, &v), 0);
		CHECK_EQ(v, 41);
	}
	TEST("hash: delete frees room; deleting a missing key is ENOENT") {
		k = 2;
		CHECK_EQ(bpffs_map_delete_elem(m, &k), 0);
		CHECK_EQ(bpffs_map_delete_elem(m, &k), -ENOENT);
		CHECK_EQ(upd(m, 5, 50, 0), 0);
		CHECK_EQ(get(m, 2, &v), -ENOENT);
	}
	TEST("hash: next_key visits every key exactly once") {
		u32 seen = 0, cnt = 0, nk, *prev = NULL, cur;

		while (bpffs_map_get_next_key(m, prev, &nk) == 0 && cnt < 10) {
			seen |= 1U << nk;
			cnt++;
			cur = nk;
			prev = &cur;
		}
		CHECK_EQ(cnt, 4);
		CHECK_EQ(seen, (1U << 1) | (1U << 3) | (1U << 4) | (1U << 5));
	}
	bpffs_map_put(m);
}

static void test_hash(void)
{
	TEST("hash creation rejects zero sizes and bad flags") {
		CHECK_EQ(mk_err(BPF_MAP_TYPE_HASH, 0, 8, 4, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_HASH, 4, 0, 4, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_HASH, 4, 8, 0, 0), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_MMAPABLE), -EINVAL);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "always preallocated");
	}
	test_hash_semantics(BPF_MAP_TYPE_HASH, 0);
	test_hash_semantics(BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC);

	TEST("preallocated hash reports its memory up front; NO_PREALLOC grows") {
		struct bpffs_map *a = mk(BPF_MAP_TYPE_HASH, 8, 8, 1000, 0);
		struct bpffs_map *b = mk(BPF_MAP_TYPE_HASH, 8, 8, 1000, BPF_F_NO_PREALLOC);
		size_t b0 = bpffs_map_mem_usage(b);
		u64 key = 1, val = 2;

		CHECK(bpffs_map_mem_usage(a) > 1000 * 16);
		CHECK(b0 < 1000 * 16 + 1024 * 16);
		CHECK_EQ(bpffs_map_update_elem(b, &key, &val, 0), 0);
		CHECK(bpffs_map_mem_usage(b) > b0);
		bpffs_map_put(a);
		bpffs_map_put(b);
	}
	TEST("hash with a bpf_spin_lock: BPF_F_LOCK updates in place") {
		struct bpffs_map_attr a = { .map_type = BPF_MAP_TYPE_HASH, .key_size = 4,
					    .value_size = 8, .max_entries = 2,
					    .has_spin_lock = true, .spin_lock_off = 4 };
		u32 k = 1, val[2] = { 9, 0 }, *p, *p2;
		struct bpffs_map *m;

		CHECK_EQ(bpffs_map_create(&a, NULL, &m), 0);
		CHECK_EQ(bpffs_map_update_elem(m, &k, val, BPF_F_LOCK), 0);
		p = m->ops->lookup(m, &k);
		val[0] = 10;
		CHECK_EQ(bpffs_map_update_elem(m, &k, val, BPF_F_LOCK), 0);
		p2 = m->ops->lookup(m, &k);
		CHECK(p == p2);
		CHECK_EQ(p2[0], 10);
		bpffs_map_put(m);
	}
	TEST("percpu hash: new key from a program zeroes the other slots") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, 0);
		u32 n = bpffs_nr_cpus(), k = 7;
		u64 v = 42, *all = calloc(n, 8);

		CHECK_EQ(m->ops->update(m, &k, &v, 0), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, all), 0);
		for (u32 i = 0; i < n; i++)
			CHECK_EQ(all[i], i == bpffs_cpu_slot() ? 42 : 0);
		for (u32 i = 0; i < n; i++)
			all[i] = i;
		CHECK_EQ(bpffs_map_update_elem(m, &k, all, BPF_EXIST), 0);
		CHECK_EQ(*(u64 *)m->ops->lookup(m, &k), bpffs_cpu_slot());
		free(all);
		bpffs_map_put(m);
	}
	TEST("devmap_hash stores ifindex values and checks sizes") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, 0);
		u32 k = 3, ifi = 1, out = 0;

		CHECK(m != NULL);
		CHECK_EQ(bpffs_map_update_elem(m, &k, &ifi, 0), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, &out), 0);
		CHECK_EQ(out, 1);
		bpffs_map_put(m);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_DEVMAP_HASH, 4, 2, 4, 0), -EINVAL);
	}
}

static void test_lru(void)
{
	struct bpffs_map *m = mk(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, 0);
	u64 v;
	u32 k;

	TEST("LRU hash evicts the least recently used key instead of failing") {
		CHECK(m != NULL);
		for (k = 1; k <= 4; k++)
			CHECK_EQ(upd(m, k, k, 0), 0);
		k = 1;
		CHECK(m->ops->lookup(m, &k) != NULL);	/* 1 is now recently used */
		CHECK_EQ(upd(m, 5, 5, 0), 0);
		CHECK_EQ(get(m, 2, &v), -ENOENT);	/* 2 was the oldest untouched */
		CHECK_EQ(get(m, 1, &v), 0);
		CHECK_EQ(get(m, 5, &v), 0);
	}
	TEST("LRU hash: eviction keeps following insertion order of untouched keys") {
		CHECK_EQ(upd(m, 6, 6, 0), 0);
		CHECK_EQ(get(m, 3, &v), -ENOENT);
		CHECK_EQ(upd(m, 7, 7, 0), 0);
		CHECK_EQ(get(m, 4, &v), -ENOENT);
		CHECK_EQ(get(m, 6, &v), 0);
		CHECK_EQ(get(m, 7, &v), 0);
	}
	TEST("LRU hash never holds more than max_entries keys") {
		u32 cnt = 0, nk, cur, *prev = NULL;

		for (k = 100; k < 1100; k++)
			CHECK_EQ(upd(m, k, k, 0), 0);
		while (bpffs_map_get_next_key(m, prev, &nk) == 0 && cnt < 100) {
			cur = nk;
			prev = &cur;
			cnt++;
		}
		CHECK_EQ(cnt, 4);
		CHECK_EQ(get(m, 1099, &v), 0);
	}
	TEST("LRU hash: NOEXIST on a full map still evicts; EXIST on a missing key is ENOENT") {
		CHECK_EQ(upd(m, 5000, 1, BPF_NOEXIST), 0);
		CHECK_EQ(upd(m, 6000, 1, BPF_EXIST), (u64)-ENOENT);
	}
	bpffs_map_put(m);
	TEST("LRU percpu hash evicts too") {
		struct bpffs_map *p = mk(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2, 0);
		u64 one = 1;

		CHECK(p != NULL);
		for (k = 0; k < 10; k++)
			CHECK_EQ(p->ops->update(p, &k, &one, 0), 0);
		k = 9;
		CHECK(p->ops->lookup(p, &k) != NULL);
		k = 0;
		CHECK(p->ops->lookup(p, &k) == NULL);
		bpffs_map_put(p);
	}
	TEST("LRU percpu hash takes BPF_F_NO_COMMON_LRU, as the kernel does (Cilium)") {
		struct bpffs_map *p = mk(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2, BPF_F_NO_COMMON_LRU);

		CHECK(p != NULL);
		if (p)
			bpffs_map_put(p);
		CHECK_EQ(mk_err(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 2, BPF_F_NO_COMMON_LRU), -EINVAL);
	}
}

static void test_iteration(void)
{
	TEST("iteration while deleting every visited key terminates and sees all keys") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 1000, 0);
		u32 k, nk, cnt = 0;

		for (k = 0; k < 1000; k++)
			upd(m, k, k, 0);
		while (bpffs_map_get_next_key(m, NULL, &nk) == 0 && cnt < 5000) {
			CHECK_EQ(bpffs_map_delete_elem(m, &nk), 0);
			cnt++;
		}
		CHECK_EQ(cnt, 1000);
		bpffs_map_put(m);
	}
	TEST("iteration with the previous key deleted under it terminates") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 1000, 0);
		u32 k, nk, cur, cnt = 0;

		for (k = 0; k < 1000; k++)
			upd(m, k, k, 0);
		cur = 0;
		bpffs_map_get_next_key(m, NULL, &cur);
		while (cnt < 100000) {
			u32 gone = cur;

			bpffs_map_delete_elem(m, &gone);	/* delete before asking */
			upd(m, 5000 + cnt, cnt, 0);		/* and keep inserting */
			if (bpffs_map_get_next_key(m, &gone, &nk))
				break;
			cur = nk;
			cnt++;
		}
		CHECK(cnt < 100000);
		bpffs_map_put(m);
	}
	TEST("paging through 1,000,000 keys visits each once in linear time") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 4, 1000000, 0);
		u8 *seen = calloc(1000000, 1);
		u32 k, nk, cur, cnt = 0, dup = 0, *prev = NULL;

		CHECK(m != NULL);
		for (k = 0; k < 1000000; k++)
			CHECK_EQ(bpffs_map_update_elem(m, &k, &k, BPF_NOEXIST), 0);
		while (bpffs_map_get_next_key(m, prev, &nk) == 0) {
			dup += seen[nk]++;
			cur = nk;
			prev = &cur;
			if (++cnt > 2000000)
				break;
		}
		CHECK_EQ(cnt, 1000000);
		CHECK_EQ(dup, 0);
		free(seen);
		bpffs_map_put(m);
	}
}

static long count_cb(struct bpffs_map *map, const void *key, void *value, void *arg)
{
	u64 *sum = arg;

	*sum += *(u64 *)value;
	return *(const u32 *)key == 2;	/* stop after key 2 (array order) */
}

static void test_for_each(void)
{
	TEST("for_each visits elements in order and stops when the callback returns 1") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0);
		u64 sum = 0;

		for (u32 k = 0; k < 5; k++)
			upd(m, k, k + 1, 0);
		CHECK_EQ(m->ops->for_each(m, count_cb, &sum), 3);
		CHECK_EQ(sum, 1 + 2 + 3);
		bpffs_map_put(m);
	}
	TEST("for_each over a hash visits every element") {
		struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 64, 0);
		u64 sum = 0;

		for (u32 k = 10; k < 20; k++)
			upd(m, k, k, 0);
		CHECK_EQ(m->ops->for_each(m, count_cb, &sum), 10);
		CHECK_EQ(sum, 145);
		bpffs_map_put(m);
	}
}

static atomic_int rcu_flag;

static void rcu_cb(struct bpffs_rcu_head *head)
{
	atomic_store(&rcu_flag, 1);
}

static pthread_barrier_t slot_barrier;

static void *slot_thread(void *arg)
{
	u32 *out = arg;

	*out = bpffs_cpu_slot();
	pthread_barrier_wait(&slot_barrier);	/* all alive at once */
	return NULL;
}

static void test_rcu_and_slots(void)
{
	TEST("RCU: a callback waits for the reader active when it was queued") {
		static struct bpffs_rcu_head h;
		struct timespec ts = { 0, 20000000 };

		bpffs_rcu_read_lock();
		bpffs_rcu_call(&h, rcu_cb);
		nanosleep(&ts, NULL);
		CHECK_EQ(atomic_load(&rcu_flag), 0);
		bpffs_rcu_read_unlock();
		bpffs_rcu_barrier();
		CHECK_EQ(atomic_load(&rcu_flag), 1);
	}
	TEST("RCU: synchronize returns once no reader is active; sections nest") {
		bpffs_rcu_read_lock();
		bpffs_rcu_read_lock();
		bpffs_rcu_read_unlock();
		CHECK(bpffs_rcu_read_held());
		bpffs_rcu_read_unlock();
		CHECK(!bpffs_rcu_read_held());
		bpffs_rcu_synchronize();
	}
	TEST("per-CPU slots: concurrent threads get distinct slots") {
		pthread_t t[4];
		u32 s[4], mine = bpffs_cpu_slot();

		pthread_barrier_init(&slot_barrier, NULL, 4);
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, slot_thread, &s[i]);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&slot_barrier);
		for (int i = 0; i < 4; i++) {
			CHECK(s[i] != mine);
			CHECK(s[i] < bpffs_nr_cpus());
			for (int j = 0; j < i; j++)
				CHECK(s[i] != s[j]);
		}
	}
}

int main(void)
{
	test_rcu_and_slots();
	test_generic();
	test_array();
	test_percpu_array();
	test_hash();
	test_lru();
	test_iteration();
	test_for_each();
	bpffs_rcu_barrier();
	return harness_done();
}
