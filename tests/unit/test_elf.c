// SPDX-License-Identifier: MIT
/*
 * ELF loader tests: objects compiled from tests/bpf/ (*.bpf.c) (multi-program
 * sections, .text subprograms, callbacks, global data, BTF and legacy
 * maps, map-in-map and prog-array static slots, CO-RE), the section table
 * and type override, map creation and program instantiation, and bad input
 * (empty, huge, truncated, wrong class/byte order/machine, corrupt symbol
 * table and relocations, absurd section sizes, random corruption, and the
 * fuzzer's regression inputs in tests/corpus/bad-elf/).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "core/core.h"
#include "core/object.h"
#include "maps/maps.h"
#include "bpffs/hooks.h"
#include <bpf/btf.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

static char log_buf[4096];
static struct bpffs_vlog vlog = { .level = BPFFS_LOG_ERRORS, .buf = log_buf,
				  .size = sizeof(log_buf) };

static struct bpffs_vlog *log_reset(void)
{
	bpffs_vlog_reset(&vlog);
	return &vlog;
}

static void *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

static char *bpf_path(const char *name)
{
	static char path[512];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/tests/bpf/%s", build ? build : "build", name);
	return path;
}

static struct bpffs_object *open_bpf(const char *name, const struct bpffs_open_opts *opts)
{
	struct bpffs_object *obj = NULL;

	if (bpffs_object_open_file(bpf_path(name), opts, log_reset(), &obj))
		printf("# %s: %s", name, bpffs_vlog_text(&vlog));
	return obj;
}

static int open_mem(const void *buf, size_t size)
{
	struct bpffs_object *obj = NULL;
	int err = bpffs_object_open(buf, size, "mem.o", NULL, log_reset(), &obj);

	bpffs_object_free(obj);
	return err;
}

static int map_index(const struct bpffs_object *obj, const char *name)
{
	const struct bpffs_obj_map *m = bpffs_object_find_map(obj, name);

	return m ? (int)(m - obj->maps) : -1;
}

/* The map a program's LD_IMM64 at @insn refers to, or -1. */
static int insn_map(const struct bpffs_obj_prog *p, u32 insn)
{
	if ((u32)p->insns[insn].imm >= p->map_cnt)
		return -1;
	return p->map_idx[p->insns[insn].imm];
}

/* Every call and function pointer lands inside the program. */
static bool calls_in_range(const struct bpffs_obj_prog *p, u32 *calls, u32 *funcs)
{
	*calls = *funcs = 0;
	for (u32 i = 0; i < p->insn_cnt; i++) {
		const struct bpf_insn *in = &p->insns[i];
		s64 t = (s64)i + in->imm + 1;
		bool call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
		bool fn = in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC;

		if ((call || fn) && (t < 0 || t >= p->insn_cnt))
			return false;
		*calls += call;
		*funcs += fn;
	}
	return true;
}

/* ---- compiled objects ------------------------------------------------------ */

static void test_multi(void)
{
	struct bpffs_object *obj = open_bpf("multi.bpf.o", NULL);
	const struct bpffs_obj_prog *a, *b, *x;
	const struct bpffs_obj_map *m;
	u32 calls, funcs;
	int data, rodata, bss, counts, seen_value = 0;

	TEST("multi.bpf.o opens with three programs named after their functions") {
		CHECK(obj != NULL);
		if (!obj)
			return;
		CHECK_EQ(obj->prog_cnt, 3);
		CHECK(!strcmp(obj->name, "multi"));
		CHECK(!strcmp(obj->license, "GPL"));
		CHECK(obj->btf != NULL);
		CHECK_EQ(obj->subprog_cnt, 3);
	}
	a = bpffs_object_find_prog(obj, "sock_a");
	b = bpffs_object_find_prog(obj, "sock_b");
	x = bpffs_object_find_prog(obj, "xdp_pass");
	TEST("two programs share the socket section, one is xdp") {
		CHECK(a && b && x);
		if (!a || !b || !x)
			return;
		CHECK(!strcmp(a->section, "socket") && !strcmp(b->section, "socket"));
		CHECK_EQ(a->type, BPF_PROG_TYPE_SOCKET_FILTER);
		CHECK_EQ(x->type, BPF_PROG_TYPE_XDP);
		CHECK_EQ(x->expected_attach_type, BPF_XDP);
	}
	TEST(".text subprograms are appended and calls point at them") {
		CHECK(a->insn_cnt > a->main_insn_cnt);
		CHECK(calls_in_range(a, &calls, &funcs));
		CHECK_EQ(calls, 2);	/* bump, twice */
		CHECK(calls_in_range(x, &calls, &funcs));
		CHECK_EQ(calls, 1);	/* bump only: twice is not appended */
		CHECK(x->insn_cnt - x->main_insn_cnt < a->insn_cnt - a->main_insn_cnt);
	}
	TEST("the bpf_loop callback becomes a BPF_PSEUDO_FUNC load") {
		CHECK(calls_in_range(b, &calls, &funcs));
		CHECK_EQ(funcs, 1);
	}
	counts = map_index(obj, "counts");
	data = map_index(obj, "multi.data");
	rodata = map_index(obj, "multi.rodata");
	bss = map_index(obj, "multi.bss");
	TEST("the BTF hash map keeps its definition, key/value types and pinning") {
		CHECK(counts >= 0);
		if (counts < 0)
			return;
		m = &obj->maps[counts];
		CHECK_EQ(m->kind, BPFFS_OBJ_MAP_BTF);
		CHECK_EQ(m->attr.map_type, BPF_MAP_TYPE_HASH);
		CHECK_EQ(m->attr.key_size, 4);
		CHECK_EQ(m->attr.value_size, 8);
		CHECK_EQ(m->attr.max_entries, 16);
		CHECK_EQ(m->pinning, BPFFS_PIN_BY_NAME);
		CHECK(m->attr.btf_key_type_id && m->attr.btf_value_type_id);
	}
	TEST(".data, .rodata and .bss become single-entry arrays with their bytes") {
		CHECK(data >= 0 && rodata >= 0 && bss >= 0);
		if (data < 0 || rodata < 0 || bss < 0)
			return;
		CHECK_EQ(obj->maps[data].attr.max_entries, 1);
		CHECK_EQ(obj->maps[data].attr.value_size, 8);
		CHECK(obj->maps[data].init_data && *(u64 *)obj->maps[data].init_data == 7);
		CHECK(obj->maps[rodata].frozen);
		CHECK(obj->maps[rodata].attr.map_flags & BPF_F_RDONLY_PROG);
		CHECK(obj->maps[rodata].init_data && *(u32 *)obj->maps[rodata].init_data == 3);
		CHECK(!obj->maps[data].frozen);
		CHECK(obj->maps[bss].init_data == NULL);
		CHECK(obj->maps[bss].attr.btf_value_type_id != 0);
	}
	TEST("map references become PSEUDO_MAP_FD and global data PSEUDO_MAP_VALUE") {
		for (u32 i = 0; i < a->insn_cnt; i++) {
			const struct bpf_insn *in = &a->insns[i];

			if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (in->src_reg == BPF_PSEUDO_MAP_FD)
				CHECK_EQ(insn_map(a, i), counts);
			if (in->src_reg == BPF_PSEUDO_MAP_VALUE) {
				int mi = insn_map(a, i);

				CHECK(mi == data || mi == rodata || mi == bss);
				CHECK_EQ(in[1].imm, 0);
				seen_value++;
			}
			i++;
		}
		CHECK(seen_value >= 2);	/* hits in .data, scale in .rodata */
	}
	TEST("the BTF names the map's key and value types and can outlive the object") {
		const struct btf_type *t;
		struct btf *btf;

		m = &obj->maps[counts];
		t = btf__type_by_id(obj->btf, m->attr.btf_value_type_id);
		CHECK(t && btf__resolve_size(obj->btf, m->attr.btf_value_type_id) == 8);
		CHECK(t && !strcmp(btf__name_by_offset(obj->btf, t->name_off), "__u64"));
		btf = bpffs_object_take_btf(obj);
		CHECK(btf != NULL && obj->btf == NULL);
		bpffs_object_free(obj);
		obj = NULL;
		CHECK(btf && btf__type_by_id(btf, 1) != NULL);	/* still usable */
		btf__free(btf);
		obj = open_bpf("multi.bpf.o", NULL);
		if (!obj)
			return;
		a = bpffs_object_find_prog(obj, "sock_a");
	}
	TEST("line and func info from .BTF.ext follow the linked program") {
		CHECK_EQ(a->func_info_cnt, 3);
		CHECK_EQ(a->func_info[0].insn_off, 0);
		CHECK(a->func_info[1].insn_off >= a->main_insn_cnt);
		CHECK(a->line_info_cnt > 3);
		CHECK(a->line_info_cnt && strstr(a->line_info[0].file, "multi.bpf.c"));
		CHECK(a->line_info_cnt && a->line_info[0].line_num > 0);
	}
	bpffs_object_free(obj);
}

static void test_legacy(void)
{
	struct bpffs_object *obj = open_bpf("legacy.bpf.o", NULL);
	const struct bpffs_obj_map *arr, *ev;
	struct bpffs_map **maps = NULL;

	TEST("legacy SEC(\"maps\") definitions are read as struct bpf_map_def") {
		CHECK(obj != NULL);
		if (!obj)
			return;
		arr = bpffs_object_find_map(obj, "legacy_array");
		ev = bpffs_object_find_map(obj, "legacy_events");
		CHECK(arr && ev);
		if (!arr || !ev)
			return;
		CHECK_EQ(arr->kind, BPFFS_OBJ_MAP_LEGACY);
		CHECK_EQ(arr->attr.map_type, BPF_MAP_TYPE_ARRAY);
		CHECK_EQ(arr->attr.value_size, 8);
		CHECK_EQ(arr->attr.max_entries, 4);
		CHECK_EQ(ev->attr.map_type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
		CHECK_EQ(ev->attr.max_entries, bpffs_nr_cpus());
	}
	TEST("a perf event array with max_entries 0 is created with one slot per CPU") {
		CHECK_EQ(bpffs_object_create_maps(obj, NULL, NULL, log_reset(), &maps), 0);
		if (maps)
			CHECK_EQ(maps[map_index(obj, "legacy_events")]->max_entries, bpffs_nr_cpus());
		bpffs_object_put_maps(obj, maps);
	}
	TEST("the old section name socket1 still means a socket filter") {
		CHECK_EQ(obj->prog_cnt, 1);
		CHECK_EQ(obj->progs[0].type, BPF_PROG_TYPE_SOCKET_FILTER);
		CHECK_EQ(obj->progs[0].map_cnt, 1);
	}
	bpffs_object_free(obj);
}

static void test_mapinmap(void)
{
	struct bpffs_object *obj = open_bpf("mapinmap.bpf.o", NULL);
	const struct bpffs_obj_map *outer, *jumps, *tmpl;
	const struct bpffs_obj_prog *tail;

	TEST("a BTF map-in-map gets an inner template and its static slots") {
		CHECK(obj != NULL);
		if (!obj)
			return;
		outer = bpffs_object_find_map(obj, "outer");
		CHECK(outer != NULL);
		if (!outer)
			return;
		CHECK_EQ(outer->attr.map_type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
		CHECK_EQ(outer->attr.value_size, 4);
		CHECK(outer->attr.inner_map_idx < (u32)(outer - obj->maps));	/* created first */
		tmpl = &obj->maps[outer->attr.inner_map_idx];
		CHECK_EQ(tmpl->kind, BPFFS_OBJ_MAP_INNER);
		CHECK_EQ(tmpl->attr.map_type, BPF_MAP_TYPE_ARRAY);
		CHECK_EQ(tmpl->attr.max_entries, 2);
		CHECK_EQ(outer->init_slot_cnt, 2);
		if (outer->init_slot_cnt == 2) {
			CHECK_EQ(outer->init_slots[0].key, 0);
			CHECK_EQ(outer->init_slots[0].target, map_index(obj, "inner_a"));
			CHECK_EQ(outer->init_slots[1].key, 3);
			CHECK_EQ(outer->init_slots[1].target, map_index(obj, "inner_b"));
		}
	}
	TEST("a value's bpf_spin_lock and a bloom filter's map_extra come from BTF") {
		const struct bpffs_obj_map *lk = bpffs_object_find_map(obj, "lockmap");
		const struct bpffs_obj_map *bl = bpffs_object_find_map(obj, "bloom");

		CHECK(lk && bl);
		if (!lk || !bl)
			return;
		CHECK(lk->attr.has_spin_lock);
		CHECK_EQ(lk->attr.spin_lock_off, 8);
		CHECK(!bl->attr.has_spin_lock);
		CHECK_EQ(bl->attr.map_extra, 3);
		CHECK_EQ(bl->attr.key_size, 0);
	}
	TEST("a prog array's static slot names the tail-call program") {
		jumps = bpffs_object_find_map(obj, "jumps");
		tail = bpffs_object_find_prog(obj, "tail_one");
		CHECK(jumps && tail);
		if (!jumps || !tail)
			return;
		CHECK_EQ(jumps->attr.map_type, BPF_MAP_TYPE_PROG_ARRAY);
		CHECK_EQ(jumps->init_slot_cnt, 1);
		if (jumps->init_slot_cnt) {
			CHECK_EQ(jumps->init_slots[0].key, 5);
			CHECK_EQ(jumps->init_slots[0].target, tail - obj->progs);
		}
	}
	bpffs_object_free(obj);
}

static void test_core(void)
{
	struct bpffs_object *obj = open_bpf("core.bpf.o", NULL);
	const struct bpffs_obj_prog *skb, *tm;
	int err;

	TEST("CO-RE rewrites __sk_buff field offsets to the runtime's layout") {
		CHECK(obj != NULL);
		if (!obj)
			return;
		skb = bpffs_object_find_prog(obj, "core_skb");
		CHECK(skb && skb->insn_cnt >= 4);
		if (!skb || skb->insn_cnt < 4)
			return;
		/* local struct: len 0, mark 4, cb 8; runtime: mark 8, cb[2] 48 + 8 */
		CHECK_EQ(skb->insns[0].off, offsetof(struct __sk_buff, mark));
		CHECK_EQ(skb->insns[1].off, offsetof(struct __sk_buff, cb) + 8);
		CHECK_EQ(skb->insns[3].off, offsetof(struct __sk_buff, len));
	}
	TEST("CO-RE existence and size questions are answered for the runtime's types") {
		const struct bpffs_obj_prog *ex = bpffs_object_find_prog(obj, "core_exists");

		CHECK(ex && ex->insn_cnt == 13);
		if (!ex || ex->insn_cnt != 13)
			return;
		CHECK_EQ(ex->insns[0].imm, 0);	/* field absent from the runtime's __sk_buff */
		CHECK_EQ(ex->insns[4].imm, 1);	/* mark exists */
		CHECK_EQ(ex->insns[7].imm, 1);	/* struct bpffs_timer_ctx exists */
		CHECK_EQ(ex->insns[10].imm, sizeof(struct bpffs_timer_ctx) & 0xff);
	}
	TEST("CO-RE on the project's timer context; section timer has its own type") {
		tm = bpffs_object_find_prog(obj, "core_timer");
		CHECK(tm != NULL);
		if (!tm)
			return;
		CHECK_EQ(tm->type, BPFFS_PROG_TYPE_TIMER);
		CHECK_EQ(tm->insns[0].off, 16);
	}
	bpffs_object_free(obj);
	obj = NULL;
	TEST("CO-RE against a kernel type fails and names the type") {
		err = bpffs_object_open_file(bpf_path("core_kernel.bpf.o"), NULL, log_reset(), &obj);
		CHECK_EQ(err, -EOPNOTSUPP);
		CHECK(obj == NULL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "kernel type 'task_struct'");
	}
}

static void test_types(void)
{
	struct bpffs_open_opts opts = { .prog_type = BPF_PROG_TYPE_SCHED_CLS };
	struct bpffs_object *obj;
	const char *tgt = NULL;
	u32 t = 0, a = 0;

	TEST("section names map to program types as in libbpf") {
		CHECK(!bpffs_section_prog_type("kprobe/sys_execve", &t, &a, &tgt));
		CHECK_EQ(t, BPF_PROG_TYPE_KPROBE);
		CHECK(tgt && !strcmp(tgt, "sys_execve"));
		CHECK(!bpffs_section_prog_type("cgroup/connect4", &t, &a, NULL));
		CHECK_EQ(t, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
		CHECK_EQ(a, BPF_CGROUP_INET4_CONNECT);
		CHECK(!bpffs_section_prog_type("tc", &t, &a, NULL));
		CHECK_EQ(t, BPF_PROG_TYPE_SCHED_CLS);
		CHECK(!bpffs_section_prog_type("xdp_prog", &t, &a, NULL));
		CHECK_EQ(t, BPF_PROG_TYPE_XDP);
		CHECK(!bpffs_section_prog_type("inotify", &t, &a, NULL));
		CHECK_EQ(t, BPFFS_PROG_TYPE_INOTIFY);
		CHECK(!strcmp(bpffs_prog_type_name(BPFFS_PROG_TYPE_TIMER), "timer"));
	}
	TEST("sections that do not say a type are unknown") {
		CHECK_EQ(bpffs_section_prog_type("2/7", &t, &a, NULL), -ENOENT);
		CHECK_EQ(bpffs_section_prog_type("tail-3", &t, &a, NULL), -ENOENT);
		CHECK_EQ(bpffs_section_prog_type("kprobe", &t, &a, NULL), -ENOENT);
	}
	obj = open_bpf("multi.bpf.o", &opts);
	TEST("an explicit type at open overrides every section") {
		CHECK(obj != NULL);
		for (u32 i = 0; obj && i < obj->prog_cnt; i++)
			CHECK_EQ(obj->progs[i].type, BPF_PROG_TYPE_SCHED_CLS);
	}
	TEST("the type of one program can be set after open") {
		CHECK(obj != NULL);
		if (!obj)
			return;
		CHECK_EQ(bpffs_object_set_prog_type(obj, "xdp_pass", BPF_PROG_TYPE_XDP, BPF_XDP), 0);
		CHECK_EQ(bpffs_object_find_prog(obj, "xdp_pass")->type, BPF_PROG_TYPE_XDP);
		CHECK_EQ(bpffs_object_find_prog(obj, "sock_a")->type, BPF_PROG_TYPE_SCHED_CLS);
		CHECK_EQ(bpffs_object_set_prog_type(obj, "nope", 1, 0), -ENOENT);
	}
	bpffs_object_free(obj);
}

/* ---- live maps and programs ------------------------------------------------ */

static void test_instantiate(void)
{
	struct bpffs_object *obj = open_bpf("multi.bpf.o", NULL);
	struct bpffs_map **maps = NULL;
	struct bpffs_prog *prog = NULL;
	const struct bpffs_obj_prog *a;
	u64 val = 0, seven = 7;
	u32 zero = 0;
	int err;

	if (!obj)
		return;
	TEST("the object's maps are created with their initial contents") {
		err = bpffs_object_create_maps(obj, NULL, NULL, log_reset(), &maps);
		if (err)
			printf("# %s", bpffs_vlog_text(&vlog));
		CHECK_EQ(err, 0);
		if (err)
			goto out;
		CHECK_EQ(bpffs_map_lookup_elem(maps[map_index(obj, "multi.data")], &zero, &val), 0);
		CHECK_EQ(val, 7);
		CHECK(maps[map_index(obj, "multi.rodata")]->frozen);
		CHECK_EQ(bpffs_map_update_elem(maps[map_index(obj, "multi.rodata")], &zero, &seven,
					       BPF_ANY), -EPERM);
	}
	TEST("a program is instantiated with maps[] in its LD_IMM64 order") {
		a = bpffs_object_find_prog(obj, "sock_a");
		err = bpffs_object_prog_instantiate(obj, a - obj->progs, maps, log_reset(), &prog);
		CHECK_EQ(err, 0);
		if (err)
			goto out;
		CHECK_EQ(prog->insn_cnt, a->insn_cnt);
		CHECK_EQ(prog->type, BPF_PROG_TYPE_SOCKET_FILTER);
		CHECK_EQ(prog->map_cnt, a->map_cnt);
		for (u32 i = 0; i < prog->map_cnt; i++)
			CHECK(prog->maps[i] == maps[a->map_idx[i]]);
		CHECK(!strcmp(prog->license, "GPL"));
	}
out:
	bpffs_prog_put(prog);
	bpffs_object_put_maps(obj, maps);
	bpffs_object_free(obj);
}

static struct bpffs_map *pinned_map;

static struct bpffs_map *pinned_lookup(const char *name, void *arg)
{
	if (!pinned_map || strcmp(name, (const char *)arg))
		return NULL;
	bpffs_map_get(pinned_map);
	return pinned_map;
}

static void test_pinned_reuse(void)
{
	struct bpffs_object *obj = open_bpf("multi.bpf.o", NULL);
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_HASH, .key_size = 4,
				       .value_size = 8, .max_entries = 16,
				       .inner_map_idx = (u32)-1, .name = "counts" };
	struct bpffs_map **maps = NULL;
	int err;

	if (!obj || bpffs_map_create(&attr, log_reset(), &pinned_map)) {
		bpffs_object_free(obj);
		return;
	}
	TEST("a map pinned by name reuses a compatible loaded map of that name") {
		err = bpffs_object_create_maps(obj, pinned_lookup, "counts", log_reset(), &maps);
		CHECK_EQ(err, 0);
		CHECK(maps && maps[map_index(obj, "counts")] == pinned_map);
		bpffs_object_put_maps(obj, maps);
		maps = NULL;
	}
	bpffs_map_put(pinned_map);
	attr.max_entries = 32;
	pinned_map = NULL;
	bpffs_map_create(&attr, log_reset(), &pinned_map);
	TEST("a map pinned by name fails the load if the loaded one is incompatible") {
		err = bpffs_object_create_maps(obj, pinned_lookup, "counts", log_reset(), &maps);
		CHECK_EQ(err, -EINVAL);
		CHECK(maps == NULL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "map 'counts': pinned map of the same "
				   "name is incompatible");
		CHECK_EQ(pinned_map->refcnt, 1);
	}
	bpffs_map_put(pinned_map);
	pinned_map = NULL;
	bpffs_object_free(obj);
	bpffs_rcu_barrier();
}

static void test_instantiate_slots(void)
{
	struct bpffs_object *obj = open_bpf("mapinmap.bpf.o", NULL);
	struct bpffs_map **maps = NULL, *inner;
	struct bpffs_prog *progs[2] = { 0 };
	int jumps, outer;
	u32 key = 3;
	int err;

	if (!obj)
		return;
	TEST("map-in-map and prog-array static slots are filled at creation") {
		err = bpffs_object_create_maps(obj, NULL, NULL, log_reset(), &maps);
		if (err)
			printf("# %s", bpffs_vlog_text(&vlog));
		CHECK_EQ(err, 0);
		if (err)
			goto out;
		outer = map_index(obj, "outer");
		bpffs_rcu_read_lock();
		inner = maps[outer]->ops->lookup(maps[outer], &key);
		CHECK(inner == maps[map_index(obj, "inner_b")]);
		key = 1;
		CHECK(maps[outer]->ops->lookup(maps[outer], &key) == NULL);
		bpffs_rcu_read_unlock();
		for (u32 i = 0; i < obj->prog_cnt && i < 2; i++)
			CHECK_EQ(bpffs_object_prog_instantiate(obj, i, maps, log_reset(), &progs[i]), 0);
		CHECK_EQ(bpffs_object_fill_prog_arrays(obj, maps, progs, log_reset()), 0);
		jumps = map_index(obj, "jumps");
		bpffs_rcu_read_lock();
		CHECK(bpffs_prog_array_get(maps[jumps], 5) ==
		      progs[bpffs_object_find_prog(obj, "tail_one") - obj->progs]);
		bpffs_rcu_read_unlock();
		/* break the prog array <-> program cycle */
		bpffs_prog_array_update(maps[jumps], 5, NULL);
	}
out:
	bpffs_prog_put(progs[0]);
	bpffs_prog_put(progs[1]);
	bpffs_object_put_maps(obj, maps);
	bpffs_object_free(obj);
	bpffs_rcu_barrier();
}

static void test_load_simple(void)
{
	struct bpffs_prog *prog = NULL;
	int err;

	TEST("load_simple opens, creates maps and instantiates the named program") {
		err = bpffs_object_load_simple(bpf_path("multi.bpf.o"), "sock_b", NULL, log_reset(),
					       &prog);
		CHECK_EQ(err, 0);
		CHECK(prog && !strcmp(prog->name, "sock_b"));
		CHECK(prog && prog->map_cnt == 2);
		bpffs_prog_put(prog);
		prog = NULL;
	}
	TEST("load_buf does the same from bytes already read") {
		size_t size;
		void *buf = read_all(bpf_path("legacy.bpf.o"), &size);

		err = bpffs_object_load_buf(buf, size, "legacy.bpf.o", NULL, NULL, log_reset(), &prog);
		CHECK_EQ(err, 0);
		CHECK(prog && !strcmp(prog->name, "legacy_prog") && prog->map_cnt == 1);
		bpffs_prog_put(prog);
		prog = NULL;
		free(buf);
	}
	TEST("load_simple of a missing program fails with ENOENT") {
		err = bpffs_object_load_simple(bpf_path("multi.bpf.o"), "nope", NULL, log_reset(),
					       &prog);
		CHECK_EQ(err, -ENOENT);
		CHECK(prog == NULL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "no program 'nope'");
	}
	bpffs_rcu_barrier();
}

/* ---- bad input --------------------------------------------------------------- */

static Elf64_Shdr *sec_by_name(void *buf, const char *name)
{
	Elf64_Ehdr *eh = buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)((char *)buf + eh->e_shoff);
	const char *strs = (char *)buf + sh[eh->e_shstrndx].sh_offset;

	for (u32 i = 0; i < eh->e_shnum; i++)
		if (!strcmp(strs + sh[i].sh_name, name))
			return &sh[i];
	return NULL;
}

static Elf64_Shdr *sec_by_type(void *buf, u32 type)
{
	Elf64_Ehdr *eh = buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)((char *)buf + eh->e_shoff);

	for (u32 i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == type)
			return &sh[i];
	return NULL;
}

static Elf64_Sym *find_sym(void *buf, const char *name)
{
	Elf64_Ehdr *eh = buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)((char *)buf + eh->e_shoff), *st = sec_by_type(buf, SHT_SYMTAB);
	Elf64_Sym *syms;
	const char *strs;

	if (!st)
		return NULL;
	syms = (Elf64_Sym *)((char *)buf + st->sh_offset);
	strs = (char *)buf + sh[st->sh_link].sh_offset;
	for (u64 i = 0; i < st->sh_size / sizeof(*syms); i++)
		if (!strcmp(strs + syms[i].st_name, name))
			return &syms[i];
	return NULL;
}

/* The first relocation of program section "xdp" (a map reference). */
static Elf64_Rel *first_rel(void *buf)
{
	Elf64_Shdr *rel = sec_by_name(buf, ".relxdp");

	return rel ? (Elf64_Rel *)((char *)buf + rel->sh_offset) : NULL;
}

static void test_bad_header(const u8 *orig, size_t size)
{
	u8 *b = malloc(size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;

	TEST("an empty file is refused with a clear message") {
		CHECK_EQ(open_mem("", 0), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "empty file");
	}
	TEST("a file over the size limit is refused before any copy") {
		CHECK_EQ(open_mem(orig, (size_t)BPFFS_OBJECT_MAX_SIZE + 1), -E2BIG);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "exceeds");
	}
	TEST("a non-ELF file is refused") {
		CHECK_EQ(open_mem("hello, world\n", 13), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "not an ELF file");
	}
	TEST("an ELF32 object is refused") {
		memcpy(b, orig, size);
		b[EI_CLASS] = ELFCLASS32;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "ELF class 1");
	}
	TEST("a big-endian object is refused") {
		memcpy(b, orig, size);
		b[EI_DATA] = ELFDATA2MSB;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "big-endian");
	}
	TEST("an object for another machine is refused, e_machine 0 is accepted") {
		memcpy(b, orig, size);
		eh->e_machine = EM_X86_64;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "ELF machine 62 is not BPF");
		eh->e_machine = EM_NONE;
		CHECK_EQ(open_mem(b, size), 0);
	}
	TEST("an executable (not ET_REL) is refused") {
		memcpy(b, orig, size);
		eh->e_type = ET_EXEC;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "not a relocatable object");
	}
	TEST("a section header table beyond the file is refused") {
		memcpy(b, orig, size);
		eh->e_shoff = size - 16;
		CHECK(open_mem(b, size) < 0);
		eh->e_shoff = ~0ull;
		CHECK(open_mem(b, size) < 0);
	}
	free(b);
}

static void test_bad_sections(const u8 *orig, size_t size)
{
	u8 *b = malloc(size);
	Elf64_Shdr *sh;
	Elf64_Rel *r;

	TEST("a symbol table linked to a non-string section is refused") {
		memcpy(b, orig, size);
		sh = sec_by_type(b, SHT_SYMTAB);
		CHECK(sh != NULL);
		if (sh) {
			sh->sh_link = 0xfff0;
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "bad symtab link");
		}
	}
	TEST("a symbol table with a bad entry size is refused") {
		memcpy(b, orig, size);
		sh = sec_by_type(b, SHT_SYMTAB);
		if (sh) {
			sh->sh_entsize = 7;
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "entry size");
		}
	}
	TEST("a code section with an absurd size is refused") {
		memcpy(b, orig, size);
		sh = sec_by_name(b, "xdp");
		CHECK(sh != NULL);
		if (sh) {
			sh->sh_size = 1ull << 40;
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "section 'xdp'");
		}
	}
	TEST("sections overlapping to claim more than the file are refused") {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)b;

		memcpy(b, orig, size);
		sh = (Elf64_Shdr *)(b + eh->e_shoff);
		for (u32 i = 1; i < eh->e_shnum; i++) {
			if (sh[i].sh_type == SHT_NOBITS)
				continue;
			sh[i].sh_offset = 0;
			sh[i].sh_size = size & ~7ul;
		}
		{
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "claim more bytes than the file");
		}
	}
	TEST("a section without function symbols is one program named after it") {
		struct bpffs_object *obj = NULL;
		Elf64_Sym *sym = find_sym(memcpy(b, orig, size), "xdp_pass");

		CHECK(sym != NULL);
		if (sym) {
			sym->st_info = ELF64_ST_INFO(STB_LOCAL, STT_NOTYPE);
			CHECK_EQ(bpffs_object_open(b, size, "m.o", NULL, log_reset(), &obj), 0);
			CHECK(obj && bpffs_object_find_prog(obj, "xdp") != NULL);
			CHECK(obj && !bpffs_object_find_prog(obj, "xdp_pass"));
			bpffs_object_free(obj);
		}
	}
	TEST("a static entry function is still a program") {
		struct bpffs_object *obj = NULL;
		Elf64_Sym *sym = find_sym(memcpy(b, orig, size), "xdp_pass");

		if (sym) {
			sym->st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
			CHECK_EQ(bpffs_object_open(b, size, "m.o", NULL, log_reset(), &obj), 0);
			CHECK(obj && bpffs_object_find_prog(obj, "xdp_pass") &&
			      bpffs_object_find_prog(obj, "xdp_pass")->is_static);
			bpffs_object_free(obj);
		}
	}
	TEST("a .bss of absurd size is refused without allocating it") {
		memcpy(b, orig, size);
		sh = sec_by_name(b, ".bss");
		CHECK(sh != NULL);
		if (sh) {
			sh->sh_size = 1ull << 40;
			CHECK_EQ(open_mem(b, size), -E2BIG);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "too large for global data");
		}
	}
	TEST("a relocation offset outside its section is refused") {
		memcpy(b, orig, size);
		r = first_rel(b);
		CHECK(r != NULL);
		if (r) {
			r->r_offset = 1ull << 33;
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "relocation offset");
		}
	}
	TEST("a relocation naming a symbol past the table is refused") {
		memcpy(b, orig, size);
		r = first_rel(b);
		if (r) {
			r->r_info = ELF64_R_INFO(0xffffff, ELF64_R_TYPE(r->r_info));
			CHECK_EQ(open_mem(b, size), -EINVAL);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "relocation symbol");
		}
	}
	TEST("an unsupported relocation type is named in the error") {
		memcpy(b, orig, size);
		r = first_rel(b);
		if (r) {
			r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 3);
			CHECK_EQ(open_mem(b, size), -EOPNOTSUPP);
			CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "unsupported relocation type 3");
		}
	}
	TEST("relocation type 0 from very old LLVM is accepted for map loads") {
		memcpy(b, orig, size);
		r = first_rel(b);
		if (r) {
			r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 0);
			CHECK_EQ(open_mem(b, size), 0);
		}
	}
	free(b);
}

/* The .BTF.ext header of @b and the start of its subsections. */
static u32 *btf_ext(u8 *b, u8 **data)
{
	Elf64_Shdr *sh = sec_by_name(b, ".BTF.ext");
	u32 *h;

	if (!sh)
		return NULL;
	h = (u32 *)(b + sh->sh_offset);
	*data = b + sh->sh_offset + h[1];	/* hdr_len */
	return h;	/* [2] func_off [3] func_len [4] line_off [5] line_len [6] core_off */
}

static void test_bad_btf_ext(const u8 *orig, size_t size)
{
	u8 *b = malloc(size), *d;
	u32 *h;

	TEST("a .BTF.ext with a bad magic is refused") {
		memcpy(b, orig, size);
		h = btf_ext(b, &d);
		CHECK(h != NULL);
		if (!h)
			goto out;
		*(u16 *)h = 0x1234;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), ".BTF.ext: bad header");
	}
	TEST("a .BTF.ext part beyond the section is refused") {
		memcpy(b, orig, size);
		h = btf_ext(b, &d);
		h[3] = 0xffffff00;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "func info out of bounds");
	}
	TEST("a .BTF.ext record size of 0 is refused") {
		memcpy(b, orig, size);
		h = btf_ext(b, &d);
		*(u32 *)(d + h[4]) = 0;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "bad line info record size");
	}
	TEST("a .BTF.ext record count beyond the section is refused") {
		memcpy(b, orig, size);
		h = btf_ext(b, &d);
		*(u32 *)(d + h[4] + 8) = 0x7fffffff;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "line info records overrun");
	}
out:
	free(b);
}

static void test_bad_core(void)
{
	size_t size;
	u8 *b = read_all(bpf_path("core.bpf.o"), &size), *d, *rec;
	u32 *h;

	if (!b)
		return;
	h = btf_ext(b, &d);
	/* first CO-RE record: after rec_size, sec_name_off, num_info */
	rec = h && h[1] >= 32 && h[7] ? d + h[6] + 12 : NULL;
	TEST("a CO-RE record outside its section is refused") {
		CHECK(rec != NULL);
		if (!rec)
			goto out;
		*(u32 *)rec = 8 * 1000;
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "CO-RE relocations offset 8000 outside");
		*(u32 *)rec = 0;
	}
	TEST("a malformed CO-RE access string is refused") {
		u32 saved = ((u32 *)rec)[2];

		((u32 *)rec)[2] = ((u32 *)(d + h[6] + 4))[0];	/* the section name */
		CHECK_EQ(open_mem(b, size), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "malformed CO-RE access");
		((u32 *)rec)[2] = saved;
	}
	TEST("an unsupported CO-RE relocation kind is named") {
		((u32 *)rec)[3] = 4;	/* FIELD_LSHIFT_U64 */
		CHECK_EQ(open_mem(b, size), -EOPNOTSUPP);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "CO-RE relocation kind 4");
	}
out:
	free(b);
}

/* Every truncation and random corruption: an error or an object, never a crash. */
static void test_corruption(const u8 *orig, size_t size)
{
	u8 *b = malloc(size);
	u32 seed = 12345, opened = 0, failed_silently = 0;
	int err;

	TEST("every truncation of an object fails cleanly with a message") {
		for (size_t n = 1; n < size; n += (n < 256 ? 1 : 13)) {
			err = open_mem(orig, n);
			if (!err)
				opened++;
			else if (!vlog.used && err != -ENOMEM)
				failed_silently++;
		}
		CHECK_EQ(opened, 0);
		CHECK_EQ(failed_silently, 0);
	}
	TEST("random byte corruption never crashes and every error has a message") {
		failed_silently = 0;
		for (int iter = 0; iter < 3000; iter++) {
			memcpy(b, orig, size);
			for (int k = 0; k < 1 + iter % 8; k++) {
				seed = seed * 1103515245 + 12345;
				b[(seed >> 8) % size] = seed >> 24;
			}
			err = open_mem(b, size);
			if (err && !vlog.used && err != -ENOMEM)
				failed_silently++;
		}
		CHECK_EQ(failed_silently, 0);
	}
	free(b);
}

static void test_huge_file(void)
{
	char path[] = "/tmp/bpffs-elf-huge-XXXXXX";
	struct bpffs_object *obj = NULL;
	int fd = mkstemp(path);

	TEST("a 1 GiB file is refused without reading it") {
		CHECK(fd >= 0);
		if (fd < 0)
			return;
		CHECK_EQ(ftruncate(fd, 1ll << 30), 0);
		CHECK_EQ(bpffs_object_open_file(path, NULL, log_reset(), &obj), -E2BIG);
		CHECK(obj == NULL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "exceeds");
		close(fd);
		unlink(path);
	}
}

/* The file name of a regression input: its log line with numbers N, names X. */
static void slug(const char *msg, char *out, size_t size)
{
	size_t n = 0;
	bool quoted = false;

	for (const char *p = msg; *p && *p != '\n' && n + 1 < size; p++) {
		char c = *p;

		if (quoted || c == '\'') {
			if (c == '\'' && (quoted = !quoted) == false)
				c = 'X';
			else
				continue;
		} else if (c >= '0' && c <= '9') {
			if (p[1] >= '0' && p[1] <= '9')
				continue;
			c = 'N';
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			c = '-';
		}
		if (c == '-' && n && out[n - 1] == '-')
			continue;
		out[n++] = c;
	}
	if (n > 50)
		n = 50;
	if (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

static void test_not_regular(void)
{
	struct bpffs_object *obj = NULL;

	TEST("a directory is refused as not a regular file") {
		CHECK_EQ(bpffs_object_open_file("/tmp", NULL, log_reset(), &obj), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&vlog), "not a regular file");
		CHECK_EQ(bpffs_object_open_file("/nonexistent/x.o", NULL, log_reset(), &obj),
			 -ENOENT);
		CHECK(obj == NULL);
	}
}

static void test_regressions(void)
{
	const char *dir = "tests/corpus/bad-elf";
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512], name[64];
	int n = 0, silent = 0, wrong = 0, err;

	TEST("fuzzer regression inputs in tests/corpus/bad-elf fail with their message") {
		while (d && (de = readdir(d))) {
			size_t size;
			void *buf;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			buf = read_all(path, &size);
			if (!buf)
				continue;
			err = open_mem(buf, size);
			if (err && !vlog.used)
				silent++;
			/* each input is named after the line it must produce (then --N) */
			slug(bpffs_vlog_text(&vlog), name, sizeof(name));
			if (strncmp(name, de->d_name, strlen(name)) ||
			    (de->d_name[strlen(name)] && strncmp(de->d_name + strlen(name), "--", 2))) {
				printf("# %s: got '%s'\n", de->d_name, bpffs_vlog_text(&vlog));
				wrong++;
			}
			n++;
			free(buf);
		}
		printf("# %d regression inputs\n", n);
		CHECK(n > 0);
		CHECK_EQ(silent, 0);
		CHECK_EQ(wrong, 0);
	}
	if (d)
		closedir(d);
}

/* Opens from several threads at once (FUSE workers do this). */
struct par_arg {
	const u8 *buf;
	size_t size;
	int failures;
};

static void *par_open(void *p)
{
	struct par_arg *a = p;
	char buf[512];
	struct bpffs_vlog log = { .level = BPFFS_LOG_ERRORS, .buf = buf, .size = sizeof(buf) };

	for (int i = 0; i < 200; i++) {
		struct bpffs_object *obj = NULL;

		if (bpffs_object_open(a->buf, a->size, "par.o", NULL, &log, &obj) || obj->prog_cnt != 3)
			a->failures++;
		bpffs_object_free(obj);
	}
	return NULL;
}

static void test_parallel(const u8 *buf, size_t size)
{
	struct par_arg args[4];
	pthread_t th[4];

	TEST("objects open concurrently from four threads") {
		for (int i = 0; i < 4; i++) {
			args[i] = (struct par_arg){ .buf = buf, .size = size };
			pthread_create(&th[i], NULL, par_open, &args[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			CHECK_EQ(args[i].failures, 0);
		}
	}
}

/* Objects built from examples/ must load unchanged. */
static void test_examples(void)
{
	const char *build = getenv("BUILD");
	char dir[256], path[512];
	struct bpffs_object *obj;
	struct dirent *de;
	int n = 0, bad = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/examples", build ? build : "build");
	d = opendir(dir);
	TEST("every object built from examples/ opens") {
		while (d && (de = readdir(d))) {
			if (!strstr(de->d_name, ".bpf.o"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			obj = NULL;
			if (bpffs_object_open_file(path, NULL, log_reset(), &obj)) {
				printf("# %s: %s", de->d_name, bpffs_vlog_text(&vlog));
				bad++;
			}
			bpffs_object_free(obj);
			n++;
		}
		if (!n)
			SKIP("no example objects built");
		else
			CHECK_EQ(bad, 0);
	}
	if (d)
		closedir(d);
}

int main(void)
{
	size_t size;
	u8 *multi = read_all(bpf_path("multi.bpf.o"), &size);

	bpffs_log_set_level(BPFFS_PR_WARN);
	if (!multi) {
		TEST("test objects are built (make bpf-objs)") SKIP("no $BUILD/tests/bpf/multi.bpf.o");
	} else {
		test_multi();
		test_legacy();
		test_mapinmap();
		test_core();
		test_instantiate();
		test_instantiate_slots();
		test_pinned_reuse();
		test_load_simple();
		test_bad_header(multi, size);
		test_bad_sections(multi, size);
		test_bad_btf_ext(multi, size);
		test_bad_core();
		test_corruption(multi, size);
		test_parallel(multi, size);
	}
	test_types();
	test_huge_file();
	test_not_regular();
	test_regressions();
	test_examples();
	free(multi);
	return harness_done();
}
