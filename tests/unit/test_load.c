// SPDX-License-Identifier: MIT
/*
 * The load pipeline and registry: objects from examples/ and tests/bpf load
 * all or nothing, names clash with -EEXIST, pinned maps are shared, global
 * data is initialised, verifier rejections leave nothing behind, unload
 * removes what the object published. Objects are read from $BUILD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/core.h"
#include "core/object.h"
#include "maps/maps.h"

#include <bpf/btf.h>

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b ? b : "build";
}

static void *read_file(const char *rel, size_t *size)
{
	char path[512];
	FILE *f;
	void *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", build_dir(), rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static char logbuf[1 << 16];

static int load(struct bpffs_registry *reg, const char *rel, const char *name)
{
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	struct bpffs_load_opts opts = { .runtime = BPFFS_RUNTIME_INTERP };
	size_t size;
	void *buf = read_file(rel, &size);
	int err;

	if (!buf) {
		printf("# cannot read %s/%s\n", build_dir(), rel);
		return -ENOENT;
	}
	logbuf[0] = 0;
	err = bpffs_registry_load(reg, name, buf, size, &opts, &log, NULL);
	if (err)
		printf("# load %s: %d\n# %s\n", rel, err, logbuf);
	free(buf);
	return err;
}

static int count_names(struct bpffs_registry *reg, enum bpffs_registry_kind kind)
{
	char **names;
	int n = bpffs_registry_names(reg, kind, &names);

	bpffs_registry_names_free(names, n);
	return n;
}

/*
 * A program that counts its runs in *(u64 *)ctx and tail-calls slot 0 of its
 * prog array (itself): 1 run + 33 tail calls, then the call fails through.
 */
static u64 run_counting(struct bpffs_prog *prog, u64 *count)
{
	struct bpffs_run_ctx rc = { .checked = prog->runtime == BPFFS_RUNTIME_CHECKED };
	u64 r0;

	*count = 0;
	bpffs_run_ctx_add_region(&rc, count, sizeof(*count), true);	/* the context */
	r0 = bpffs_prog_run(prog, (u64)(uintptr_t)count, 0, &rc);
	if (rc.fault)
		printf("# fault at %u: %s\n", rc.fault_insn, rc.fault_msg);
	CHECK_EQ(rc.fault, 0);
	return r0;
}

static void test_tail_calls(int runtime)
{
	const struct bpf_insn self[] = {
		BPFFS_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPFFS_LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_1, 0),
		BPFFS_ALU64_IMM(BPF_ADD, BPF_REG_2, 1),
		BPFFS_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 0),
		BPFFS_LD_IMM64_RAW(BPF_REG_2, BPF_PSEUDO_MAP_FD, 0),
		BPFFS_MOV64_IMM(BPF_REG_3, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_tail_call),
		BPFFS_MOV64_IMM(BPF_REG_0, 7),
		BPFFS_EXIT(),
	};
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
				       .value_size = 4, .max_entries = 4, .inner_map_idx = (u32)-1,
				       .name = "jmp" };
	struct bpffs_map *map;
	struct bpffs_prog *prog;
	u64 count = 0;

	CHECK_EQ(bpffs_map_create(&attr, NULL, &map), 0);
	CHECK_EQ(bpffs_prog_alloc("self", BPF_PROG_TYPE_SOCKET_FILTER, self,
				  BPFFS_ARRAY_SIZE(self), &prog), 0);
	prog->maps = calloc(1, sizeof(*prog->maps));
	prog->maps[0] = map;	/* the program's reference */
	prog->map_cnt = 1;
	prog->runtime = runtime;
	CHECK_EQ(bpffs_prog_prepare(prog, NULL), 0);
	CHECK_EQ(run_counting(prog, &count), 7);
	CHECK_EQ(count, 1);	/* empty slot: the tail call falls through */
	CHECK_EQ(bpffs_prog_array_update(map, 0, prog), 0);
	CHECK_EQ(run_counting(prog, &count), 7);
	CHECK_EQ(count, 1 + BPFFS_MAX_TAIL_CALLS);
	/* the slot's reference on the program would keep it alive: clear it */
	CHECK_EQ(bpffs_prog_array_update(map, 0, NULL), 0);
	bpffs_prog_put(prog);
}

int main(void)
{
	TEST("tail calls stop after 33 in the interpreter") {
		test_tail_calls(BPFFS_RUNTIME_INTERP);
	}
	TEST("tail calls stop after 33 in the JIT") {
		test_tail_calls(BPFFS_RUNTIME_JIT);
	}
	TEST("tail calls stop after 33 in the checked interpreter") {
		test_tail_calls(BPFFS_RUNTIME_CHECKED);
	}

	static const char *const examples[] = {
		"packet_counter", "xdp_firewall", "file_activity", "sampler", "event_log",
		"tail_dispatch",
	};
	struct bpffs_registry *reg;
	unsigned int i;

	CHECK_EQ(bpffs_registry_create(&reg), 0);

	for (i = 0; i < BPFFS_ARRAY_SIZE(examples); i++) {
		char rel[128], name[128];

		snprintf(rel, sizeof(rel), "examples/%s.bpf.o", examples[i]);
		snprintf(name, sizeof(name), "%s.bpf.o", examples[i]);
		TEST(examples[i]) {
			CHECK_EQ(load(reg, rel, name), 0);
		}
	}

	TEST("loading the same object twice fails with EEXIST and changes nothing") {
		int progs = count_names(reg, BPFFS_REG_PROG), maps = count_names(reg, BPFFS_REG_MAP);

		CHECK_EQ(load(reg, "examples/sampler.bpf.o", "sampler.bpf.o"), -EEXIST);
		CHECK_EQ(load(reg, "examples/sampler.bpf.o", "other.bpf.o"), -EEXIST);
		CHECK_STR_CONTAINS(logbuf, "already exists");
		CHECK_EQ(count_names(reg, BPFFS_REG_PROG), progs);
		CHECK_EQ(count_names(reg, BPFFS_REG_MAP), maps);
	}

	TEST("a loaded program runs and updates its map") {
		struct bpffs_prog *prog = bpffs_registry_get_prog(reg, "sample");
		struct bpffs_map *map = bpffs_registry_get_map(reg, "samples");
		u64 ctx[3] = { 123456789, 1000000, 2 }, val = 0;
		u32 key = 1;

		CHECK(prog && map);
		if (prog && map) {
			bpffs_prog_run(prog, (u64)(uintptr_t)ctx, 0, NULL);
			bpffs_prog_run(prog, (u64)(uintptr_t)ctx, 0, NULL);
			CHECK_EQ(bpffs_map_lookup_elem(map, &key, &val), 0);
			CHECK_EQ(val, 4);
			key = 2;
			CHECK_EQ(bpffs_map_lookup_elem(map, &key, &val), 0);
			CHECK_EQ(val, 123456789);
			CHECK(bpffs_prog_verifier_log(prog)[0] != 0);
		}
		if (prog)
			bpffs_prog_put(prog);
		if (map)
			bpffs_map_put(map);
	}

	TEST("unload removes the object's programs and maps") {
		CHECK_EQ(bpffs_registry_unload(reg, "sampler.bpf.o"), 0);
		CHECK(bpffs_registry_get_prog(reg, "sample") == NULL);
		CHECK(bpffs_registry_get_map(reg, "samples") == NULL);
		CHECK_EQ(bpffs_registry_unload(reg, "sampler.bpf.o"), -ENOENT);
		CHECK_EQ(load(reg, "examples/sampler.bpf.o", "sampler.bpf.o"), 0);
	}

	TEST("a loaded map keeps the BTF types of its key and value") {
		struct bpffs_btf *btf = bpffs_registry_map_btf(reg, "pkt_count");
		struct bpffs_map *map = bpffs_registry_get_map(reg, "pkt_count");
		const struct btf_type *t;

		CHECK(btf && map);
		if (btf && map) {
			t = btf__type_by_id(bpffs_btf_raw(btf), map->btf_value_type_id);
			CHECK(t && btf_is_struct(t));
			CHECK(t && !strcmp(btf__name_by_offset(bpffs_btf_raw(btf), t->name_off),
					   "proto_stats"));
		}
		bpffs_btf_put(btf);
		if (map)
			bpffs_map_put(map);
	}

	TEST("garbage is rejected with EINVAL and a message") {
		struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
		const char junk[] = "this is not an ELF file";

		CHECK_EQ(bpffs_registry_load(reg, "junk.o", junk, sizeof(junk), NULL, &log, NULL),
			 -EINVAL);
		CHECK(logbuf[0] != 0);
		CHECK(bpffs_registry_get_obj(reg, "junk.o") == NULL);
	}

	bpffs_registry_destroy(reg);
	return harness_done();
}
