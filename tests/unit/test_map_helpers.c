// SPDX-License-Identifier: MIT
/*
 * Map helpers called from real BPF programs, run by the interpreter in fast
 * and checked mode: lookup + atomic add, update flags, delete, push/pop,
 * ring buffer reserve/submit (checked mode must allow writes to the
 * record), for_each_map_elem with a callback, map-in-map lookups,
 * redirect_map, spin lock/unlock, and the helper table entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "core/core.h"
#include "maps/maps.h"

#define MAP(D, IDX) BPFFS_LD_IMM64_RAW(D, BPF_PSEUDO_MAP_FD, IDX)
#define CALL(name) BPFFS_CALL_HELPER(BPF_FUNC_##name)

static struct bpffs_map *mk(u32 type, u32 ks, u32 vs, u32 max, u32 flags,
			    struct bpffs_map *inner)
{
	struct bpffs_map_attr a = { .map_type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags, .inner_map = inner };
	struct bpffs_map *m = NULL;

	snprintf(a.name, sizeof(a.name), "h%u", type);
	bpffs_map_create(&a, NULL, &m);
	return m;
}

/* Build and prepare a program using @maps (references taken). */
static struct bpffs_prog *mkprog(const struct bpf_insn *insns, u32 cnt, struct bpffs_map **maps,
				 u32 map_cnt, enum bpffs_runtime rt)
{
	char buf[1024];
	struct bpffs_vlog log = { .level = 1, .buf = buf, .size = sizeof(buf) };
	struct bpffs_prog *p = NULL;

	if (bpffs_insns_check(insns, cnt, &log) ||
	    bpffs_prog_alloc("t", BPF_PROG_TYPE_XDP, insns, cnt, &p)) {
		printf("# check/alloc failed: %s\n", buf);
		return NULL;
	}
	p->maps = calloc(map_cnt, sizeof(*p->maps));
	p->map_cnt = map_cnt;
	for (u32 i = 0; i < map_cnt; i++) {
		bpffs_map_get(maps[i]);
		p->maps[i] = maps[i];
	}
	p->runtime = rt;
	if (bpffs_prog_prepare(p, &log)) {
		printf("# prepare failed: %s\n", buf);
		bpffs_prog_put(p);
		return NULL;
	}
	return p;
}

static u64 run(struct bpffs_prog *p, struct bpffs_run_ctx *rc)
{
	memset(rc, 0, sizeof(*rc));
	return bpffs_prog_run(p, 0, 0, rc);
}

/* r0 = ++map[0] (atomic), or 0 if key 0 is missing */
static const struct bpf_insn prog_count[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 0),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	MAP(1, 0),
	CALL(map_lookup_elem),
	BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 4),
	BPFFS_MOV64_IMM(1, 1),
	BPFFS_ATOMIC_OP(BPF_DW, BPF_ADD, 0, 1, 0),
	BPFFS_LDX_MEM(BPF_DW, 0, 0, 0),
	BPFFS_EXIT(),
	BPFFS_MOV64_IMM(0, 0),
	BPFFS_EXIT(),
};

/* r0 = map_update_elem(map, &5, &77, BPF_NOEXIST) */
static const struct bpf_insn prog_update[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 5),
	BPFFS_ST_MEM(BPF_DW, 10, -16, 77),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	BPFFS_MOV64_REG(3, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 3, -16),
	BPFFS_MOV64_IMM(4, BPF_NOEXIST),
	MAP(1, 0),
	CALL(map_update_elem),
	BPFFS_EXIT(),
};

/* r0 = map_delete_elem(map, &5) */
static const struct bpf_insn prog_delete[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 5),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	MAP(1, 0),
	CALL(map_delete_elem),
	BPFFS_EXIT(),
};

/* rec = ringbuf_reserve(rb, 16, 0); rec[0] = 0x1234; rec[1] = 5; submit; r0 = 0 */
static const struct bpf_insn prog_ringbuf[] = {
	MAP(1, 0),
	BPFFS_MOV64_IMM(2, 16),
	BPFFS_MOV64_IMM(3, 0),
	CALL(ringbuf_reserve),
	BPFFS_JMP_IMM(BPF_JNE, 0, 0, 2),
	BPFFS_MOV64_IMM(0, 1),
	BPFFS_EXIT(),
	BPFFS_ST_MEM(BPF_DW, 0, 0, 0x1234),
	BPFFS_ST_MEM(BPF_DW, 0, 8, 5),
	BPFFS_MOV64_REG(1, 0),
	BPFFS_MOV64_IMM(2, 0),
	CALL(ringbuf_submit),
	BPFFS_MOV64_IMM(0, 0),
	BPFFS_EXIT(),
};

/* sum = 0; for_each_map_elem(map, cb, &sum, 0); r0 = sum; cb adds each value */
static const struct bpf_insn prog_for_each[] = {
	BPFFS_ST_MEM(BPF_DW, 10, -8, 0),
	MAP(1, 0),
	BPFFS_LD_IMM64_RAW(2, BPF_PSEUDO_FUNC, 7),	/* insn 3 -> 3 + 1 + 7 = 11 */
	BPFFS_MOV64_REG(3, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 3, -8),
	BPFFS_MOV64_IMM(4, 0),
	CALL(for_each_map_elem),
	BPFFS_LDX_MEM(BPF_DW, 0, 10, -8),
	BPFFS_EXIT(),
	/* 11: callback(map, key, value, ctx) */
	BPFFS_LDX_MEM(BPF_DW, 5, 3, 0),
	BPFFS_LDX_MEM(BPF_DW, 6, 4, 0),
	BPFFS_ALU64_REG(BPF_ADD, 6, 5),
	BPFFS_STX_MEM(BPF_DW, 4, 6, 0),
	BPFFS_MOV64_IMM(0, 0),
	BPFFS_EXIT(),
};

/* inner = lookup(outer, &0); r0 = *lookup(inner, &0) or 99 */
static const struct bpf_insn prog_map_in_map[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 0),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	MAP(1, 0),
	CALL(map_lookup_elem),
	BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 7),
	BPFFS_MOV64_REG(1, 0),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	CALL(map_lookup_elem),
	BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 2),
	BPFFS_LDX_MEM(BPF_DW, 0, 0, 0),
	BPFFS_EXIT(),
	BPFFS_MOV64_IMM(0, 99),
	BPFFS_EXIT(),
};

/* push 7 and 8 into a queue, pop one: r0 = popped value */
static const struct bpf_insn prog_queue[] = {
	BPFFS_ST_MEM(BPF_DW, 10, -8, 7),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -8),
	BPFFS_MOV64_IMM(3, 0),
	MAP(1, 0),
	CALL(map_push_elem),
	BPFFS_ST_MEM(BPF_DW, 10, -8, 8),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -8),
	BPFFS_MOV64_IMM(3, 0),
	MAP(1, 0),
	CALL(map_push_elem),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -16),
	MAP(1, 0),
	CALL(map_pop_elem),
	BPFFS_LDX_MEM(BPF_DW, 0, 10, -16),
	BPFFS_EXIT(),
};

/* r0 = redirect_map(devmap, 2, XDP_PASS) */
static const struct bpf_insn prog_redirect[] = {
	MAP(1, 0),
	BPFFS_MOV64_IMM(2, 2),
	BPFFS_MOV64_IMM(3, XDP_PASS),
	CALL(redirect_map),
	BPFFS_EXIT(),
};

/* v = lookup(map, &0); spin_lock(&v->lock); v->cnt++; spin_unlock; r0 = v->cnt */
static const struct bpf_insn prog_spin[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 0),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	MAP(1, 0),
	CALL(map_lookup_elem),
	BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 10),
	BPFFS_MOV64_REG(6, 0),
	BPFFS_MOV64_REG(1, 6),
	CALL(spin_lock),
	BPFFS_LDX_MEM(BPF_DW, 7, 6, 8),
	BPFFS_ALU64_IMM(BPF_ADD, 7, 1),
	BPFFS_STX_MEM(BPF_DW, 6, 7, 8),
	BPFFS_MOV64_REG(1, 6),
	CALL(spin_unlock),
	BPFFS_MOV64_REG(0, 7),
	BPFFS_EXIT(),
	BPFFS_MOV64_IMM(0, 0),
	BPFFS_EXIT(),
};

/* r0 = *map_lookup_percpu_elem(map, &0, 3) or 99 */
static const struct bpf_insn prog_percpu[] = {
	BPFFS_ST_MEM(BPF_W, 10, -4, 0),
	BPFFS_MOV64_REG(2, 10),
	BPFFS_ALU64_IMM(BPF_ADD, 2, -4),
	BPFFS_MOV64_IMM(3, 3),
	MAP(1, 0),
	CALL(map_lookup_percpu_elem),
	BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 2),
	BPFFS_LDX_MEM(BPF_DW, 0, 0, 0),
	BPFFS_EXIT(),
	BPFFS_MOV64_IMM(0, 99),
	BPFFS_EXIT(),
};

#define N(a) BPFFS_ARRAY_SIZE(a)

static void test_percpu_lookup(void)
{
	u32 n = bpffs_nr_cpus(), k = 0;
	struct bpffs_map *ma = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0, NULL);
	struct bpffs_map *mh = mk(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, 0, NULL);
	struct bpffs_prog *pa = mkprog(prog_percpu, N(prog_percpu), &ma, 1, BPFFS_RUNTIME_CHECKED);
	struct bpffs_prog *ph = mkprog(prog_percpu, N(prog_percpu), &mh, 1, BPFFS_RUNTIME_CHECKED);
	u64 *all = calloc(n, 8);
	struct bpffs_run_ctx rc;

	for (u32 i = 0; i < n; i++)
		all[i] = 1000 + i;
	TEST("map_lookup_percpu_elem reads another CPU slot (percpu array and hash)") {
		CHECK(pa && ph);
		CHECK_EQ(bpffs_map_update_elem(ma, &k, all, 0), 0);
		CHECK_EQ(run(pa, &rc), 1003);
		CHECK_EQ(rc.fault, 0);
		CHECK_EQ(run(ph, &rc), 99);	/* key missing */
		CHECK_EQ(bpffs_map_update_elem(mh, &k, all, 0), 0);
		CHECK_EQ(run(ph, &rc), 1003);
		CHECK_EQ(rc.fault, 0);
	}
	free(all);
	bpffs_prog_put(pa);
	bpffs_prog_put(ph);
	bpffs_map_put(ma);
	bpffs_map_put(mh);
}

static void test_lookup_update_delete(enum bpffs_runtime rt)
{
	struct bpffs_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 16, 0, NULL);
	struct bpffs_prog *pc = mkprog(prog_count, N(prog_count), &m, 1, rt);
	struct bpffs_prog *pu = mkprog(prog_update, N(prog_update), &m, 1, rt);
	struct bpffs_prog *pd = mkprog(prog_delete, N(prog_delete), &m, 1, rt);
	struct bpffs_run_ctx rc;
	u32 k = 0;
	u64 v = 40;

	TEST(rt == BPFFS_RUNTIME_CHECKED ?
	     "checked: lookup returns a value the program may update atomically" :
	     "interp: lookup returns a value the program may update atomically") {
		CHECK(pc && pu && pd);
		CHECK_EQ(run(pc, &rc), 0);	/* key missing */
		CHECK_EQ(bpffs_map_update_elem(m, &k, &v, 0), 0);
		CHECK_EQ(run(pc, &rc), 41);
		CHECK_EQ(rc.fault, 0);
		CHECK_EQ(run(pc, &rc), 42);
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, &v), 0);
		CHECK_EQ(v, 42);
	}
	TEST("update with BPF_NOEXIST from a program: 0, then EEXIST; delete: 0, then ENOENT") {
		CHECK_EQ(run(pu, &rc), 0);
		CHECK_EQ(run(pu, &rc), (u64)-EEXIST);
		k = 5;
		CHECK_EQ(bpffs_map_lookup_elem(m, &k, &v), 0);
		CHECK_EQ(v, 77);
		CHECK_EQ(run(pd, &rc), 0);
		CHECK_EQ(run(pd, &rc), (u64)-ENOENT);
	}
	bpffs_prog_put(pc);
	bpffs_prog_put(pu);
	bpffs_prog_put(pd);
	bpffs_map_put(m);
}

static int rec_cb(void *arg, const void *data, u32 size)
{
	u64 *out = arg;

	memcpy(out, data, size < 16 ? size : 16);
	return 0;
}

static void test_ringbuf(enum bpffs_runtime rt)
{
	struct bpffs_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, NULL);
	struct bpffs_prog *p = mkprog(prog_ringbuf, N(prog_ringbuf), &rb, 1, rt);
	struct bpffs_run_ctx rc;
	u64 got[2] = { 0 };

	TEST(rt == BPFFS_RUNTIME_CHECKED ? "checked: ringbuf_reserve hands a writable record" :
	     "interp: ringbuf reserve/submit from a program") {
		CHECK(p != NULL);
		CHECK_EQ(run(p, &rc), 0);
		CHECK_EQ(rc.fault, 0);
		CHECK_EQ(bpffs_ringbuf_consume(rb, rec_cb, got), 1);
		CHECK_EQ(got[0], 0x1234);
		CHECK_EQ(got[1], 5);
	}
	if (rt == BPFFS_RUNTIME_CHECKED) {
		struct bpf_insn bad[N(prog_ringbuf)];
		struct bpffs_prog *pb;

		memcpy(bad, prog_ringbuf, sizeof(bad));
		bad[8].off = 16;	/* write just past the 16-byte record */
		pb = mkprog(bad, N(bad), &rb, 1, rt);
		TEST("checked: a write past the reserved record faults") {
			CHECK(pb != NULL);
			run(pb, &rc);
			CHECK_EQ(rc.fault, -EFAULT);
		}
		bpffs_prog_put(pb);
	}
	bpffs_prog_put(p);
	bpffs_map_put(rb);
}

static void test_for_each(enum bpffs_runtime rt)
{
	struct bpffs_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 10, 0, NULL);
	struct bpffs_prog *p = mkprog(prog_for_each, N(prog_for_each), &m, 1, rt);
	struct bpffs_run_ctx rc;

	TEST(rt == BPFFS_RUNTIME_CHECKED ? "checked: for_each_map_elem callback sees key and value" :
	     "interp: for_each_map_elem sums every value through the callback") {
		CHECK(p != NULL);
		for (u32 k = 0; k < 10; k++) {
			u64 v = k * 10;

			bpffs_map_update_elem(m, &k, &v, 0);
		}
		CHECK_EQ(run(p, &rc), 450);
		CHECK_EQ(rc.fault, 0);
	}
	bpffs_prog_put(p);
	bpffs_map_put(m);
}

static void test_misc(void)
{
	struct bpffs_map *tmpl = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, NULL);
	struct bpffs_map *inner = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, NULL);
	struct bpffs_map *outer = mk(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, tmpl);
	struct bpffs_map *q = mk(BPF_MAP_TYPE_QUEUE, 0, 8, 4, 0, NULL);
	struct bpffs_map *dm = mk(BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0, NULL);
	struct bpffs_prog *pm = mkprog(prog_map_in_map, N(prog_map_in_map), &outer, 1,
				       BPFFS_RUNTIME_CHECKED);
	struct bpffs_prog *pq = mkprog(prog_queue, N(prog_queue), &q, 1, BPFFS_RUNTIME_INTERP);
	struct bpffs_prog *pr = mkprog(prog_redirect, N(prog_redirect), &dm, 1,
				       BPFFS_RUNTIME_INTERP);
	struct bpffs_run_ctx rc;
	u32 k = 0, ifi = 5;
	u64 v = 1234;

	TEST("map-in-map: a program looks up the inner map, then its value") {
		CHECK(pm != NULL);
		CHECK_EQ(run(pm, &rc), 99);
		CHECK_EQ(bpffs_map_in_map_update(outer, &k, inner, 0, NULL), 0);
		CHECK_EQ(bpffs_map_update_elem(inner, &k, &v, 0), 0);
		CHECK_EQ(run(pm, &rc), 1234);
		CHECK_EQ(rc.fault, 0);
	}
	TEST("push/pop from a program follow FIFO order") {
		CHECK(pq != NULL);
		CHECK_EQ(run(pq, &rc), 7);
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);
		CHECK_EQ(v, 8);
	}
	TEST("redirect_map: missing entry returns the flags' action, present gives REDIRECT") {
		struct bpffs_redirect_info *ri = bpffs_redirect_info();

		CHECK(pr != NULL);
		CHECK_EQ(run(pr, &rc), XDP_PASS);
		k = 2;
		CHECK_EQ(bpffs_map_update_elem(dm, &k, &ifi, 0), 0);
		CHECK_EQ(run(pr, &rc), XDP_REDIRECT);
		CHECK(ri->map == dm);
		CHECK_EQ(ri->key, 2);
		CHECK_EQ(ri->target, 5);
	}
	bpffs_prog_put(pm);
	bpffs_prog_put(pq);
	bpffs_prog_put(pr);
	bpffs_map_put(outer);
	bpffs_map_put(inner);
	bpffs_map_put(tmpl);
	bpffs_map_put(q);
	bpffs_map_put(dm);
}

static void test_spin_lock(void)
{
	struct bpffs_map_attr a = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				    .value_size = 16, .max_entries = 1,
				    .has_spin_lock = true, .spin_lock_off = 0 };
	struct bpffs_map *m = NULL;
	struct bpffs_prog *p;
	struct bpffs_run_ctx rc;

	bpffs_map_create(&a, NULL, &m);
	p = mkprog(prog_spin, N(prog_spin), &m, 1, BPFFS_RUNTIME_CHECKED);
	TEST("bpf_spin_lock/unlock around a value update from a program") {
		CHECK(p != NULL);
		CHECK_EQ(run(p, &rc), 1);
		CHECK_EQ(run(p, &rc), 2);
		CHECK_EQ(rc.fault, 0);
		CHECK_EQ(*(u32 *)m->ops->lookup(m, &(u32){ 0 }), 0);	/* unlocked */
	}
	bpffs_prog_put(p);
	bpffs_map_put(m);
}

static void test_table(void)
{
	TEST("the helper table has the map helpers under the kernel's ids") {
		static const u32 ids[] = {
			BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem,
			BPF_FUNC_map_delete_elem, BPF_FUNC_map_push_elem,
			BPF_FUNC_map_pop_elem, BPF_FUNC_map_peek_elem,
			BPF_FUNC_ringbuf_output, BPF_FUNC_ringbuf_reserve,
			BPF_FUNC_ringbuf_submit, BPF_FUNC_ringbuf_discard,
			BPF_FUNC_ringbuf_query, BPF_FUNC_perf_event_output,
			BPF_FUNC_for_each_map_elem, BPF_FUNC_redirect_map,
			BPF_FUNC_spin_lock, BPF_FUNC_spin_unlock,
			BPF_FUNC_map_lookup_percpu_elem,
		};

		for (u32 i = 0; i < N(ids); i++) {
			const struct bpffs_helper *h = bpffs_helper_get(ids[i]);

			CHECK(h != NULL);
			if (h)
				CHECK_EQ(h->id, ids[i]);
		}
		CHECK_EQ(bpffs_helper_get(BPF_FUNC_map_lookup_elem)->ret,
			 BPFFS_RET_PTR_TO_MAP_VALUE_OR_NULL);
		CHECK_EQ(bpffs_helper_get(BPF_FUNC_ringbuf_reserve)->ret,
			 BPFFS_RET_PTR_TO_RINGBUF_MEM_OR_NULL);
		CHECK_EQ(bpffs_helper_get(BPF_FUNC_map_update_elem)->arg[2],
			 BPFFS_ARG_PTR_TO_MAP_VALUE);
	}
}

int main(void)
{
	test_table();
	test_lookup_update_delete(BPFFS_RUNTIME_INTERP);
	test_lookup_update_delete(BPFFS_RUNTIME_CHECKED);
	test_ringbuf(BPFFS_RUNTIME_INTERP);
	test_ringbuf(BPFFS_RUNTIME_CHECKED);
	test_for_each(BPFFS_RUNTIME_INTERP);
	test_for_each(BPFFS_RUNTIME_CHECKED);
	test_misc();
	test_spin_lock();
	test_percpu_lookup();
	bpffs_rcu_barrier();
	return harness_done();
}
