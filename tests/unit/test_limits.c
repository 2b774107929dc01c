// SPDX-License-Identifier: MIT
/*
 * Per-mount resource limits (src/core/limits.c, issue 9): the option parser,
 * and each limit refusing a load or a map with its errno and a log line
 * while leaving the registry as it was. Objects are read from $BUILD.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/core.h"
#include "core/registry.h"
#include "maps/maps.h"

static char logbuf[1 << 16];

static void *read_obj(const char *rel, size_t *size)
{
	const char *b = getenv("BUILD");
	char path[512];
	FILE *f;
	void *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", b ? b : "build", rel);
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

static int load_rt(struct bpffs_registry *reg, const char *rel, const char *name, int runtime)
{
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	struct bpffs_load_opts opts = { .runtime = runtime };
	size_t size;
	void *buf = read_obj(rel, &size);
	int err;

	logbuf[0] = 0;
	if (!buf) {
		printf("# cannot read %s\n", rel);
		return -ENOENT;
	}
	err = bpffs_registry_load(reg, name, buf, size, &opts, &log, NULL);
	free(buf);
	return err;
}

static int load(struct bpffs_registry *reg, const char *rel, const char *name)
{
	return load_rt(reg, rel, name, BPFFS_RUNTIME_INTERP);
}

static int count(struct bpffs_registry *reg, enum bpffs_registry_kind kind)
{
	char **names;
	int n = bpffs_registry_names(reg, kind, &names);

	bpffs_registry_names_free(names, n);
	return n;
}

static struct bpffs_registry *reg_with(const char *limits)
{
	struct bpffs_limits lim = { 0 };
	struct bpffs_registry *reg = NULL;

	if (bpffs_limits_parse(limits, &lim, NULL) || bpffs_registry_create(&reg))
		return NULL;
	bpffs_registry_set_limits(reg, &lim);
	return reg;
}

/* A map's charge as registry.h documents it. */
static u64 charge(const struct bpffs_map *map)
{
	u64 use = bpffs_map_mem_usage(map);
	u64 full = (u64)map->max_entries * (map->key_size + map->value_size);

	return use > full ? use : full;
}

/* Run loop100 and return its (int) result. */
static int run_loop100(struct bpffs_registry *reg)
{
	struct bpffs_prog *prog = bpffs_registry_get_prog(reg, "loop100");
	u64 ctx[32] = { 0 };
	int r0;

	if (!prog)
		return -9999;
	r0 = (int)bpffs_prog_run(prog, (u64)(uintptr_t)ctx, 0, NULL);
	bpffs_prog_put(prog);
	return r0;
}

int main(void)
{
	struct bpffs_registry *reg;

	TEST("limits parse from mount-option words, with size suffixes") {
		struct bpffs_limits lim = { 0 };
		struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

		CHECK_EQ(bpffs_limits_parse("map_mem=64M,max_maps=3 max_progs=4,max_insns=4096,max_loops=10",
					    &lim, &log), 0);
		CHECK_EQ(lim.map_mem, 64ull << 20);
		CHECK_EQ(lim.max_maps, 3);
		CHECK_EQ(lim.max_progs, 4);
		CHECK_EQ(lim.max_insns, 4096);
		CHECK_EQ(lim.max_loops, 10);
		CHECK_EQ(bpffs_limits_parse("map_mem=2g", &lim, &log), 0);
		CHECK_EQ(lim.map_mem, 2ull << 30);
		CHECK(bpffs_limits_is_option("max_loops=1"));
		CHECK(!bpffs_limits_is_option("allow_other"));
		CHECK(!bpffs_limits_is_option("max_loopsy=1"));
	}

	TEST("bad limit words are EINVAL with a log line naming them") {
		struct bpffs_limits lim = { 0 };
		struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };

		logbuf[0] = 0;
		CHECK_EQ(bpffs_limits_parse("max_bogus=1", &lim, &log), -EINVAL);
		CHECK_STR_CONTAINS(logbuf, "max_bogus");
		CHECK_EQ(bpffs_limits_parse("map_mem=12Q", &lim, &log), -EINVAL);
		CHECK_EQ(bpffs_limits_parse("max_maps=-1", &lim, &log), -EINVAL);
		CHECK_EQ(bpffs_limits_parse("max_maps=4294967296", &lim, &log), -EINVAL);
		CHECK_EQ(bpffs_limits_parse("map_mem=99999999999G", &lim, &log), -EINVAL);
		CHECK_EQ(bpffs_limits_parse("max_progs", &lim, &log), -EINVAL);
		CHECK_EQ(lim.max_maps, 0);
	}

	TEST("without limits the test object loads and bpf_loop runs 100 times") {
		reg = reg_with("");
		CHECK(reg);
		if (reg) {
			CHECK_EQ(load(reg, "tests/bpf/limits.bpf.o", "limits.o"), 0);
			CHECK_EQ(run_loop100(reg), 100);
			bpffs_registry_destroy(reg);
		}
	}

	TEST("max_insns refuses a longer program with E2BIG and publishes nothing") {
		reg = reg_with("max_insns=4");
		if (reg) {
			CHECK_EQ(load(reg, "tests/bpf/limits.bpf.o", "limits.o"), -E2BIG);
			CHECK_STR_CONTAINS(logbuf, "max_insns=4");
			CHECK_EQ(count(reg, BPFFS_REG_PROG), 0);
			CHECK_EQ(count(reg, BPFFS_REG_MAP), 0);
			bpffs_registry_destroy(reg);
		}
	}

	TEST("max_progs counts the programs of every loaded object") {
		reg = reg_with("max_progs=1");
		if (reg) {
			CHECK_EQ(load(reg, "tests/bpf/limits.bpf.o", "limits.o"), 0);
			CHECK_EQ(load(reg, "examples/packet_counter.bpf.o", "pc.o"), -E2BIG);
			CHECK_STR_CONTAINS(logbuf, "max_progs=1");
			CHECK_EQ(count(reg, BPFFS_REG_OBJ), 1);
			CHECK_EQ(bpffs_registry_unload(reg, "limits.o"), 0);
			CHECK_EQ(load(reg, "examples/packet_counter.bpf.o", "pc.o"), 0);
			bpffs_registry_destroy(reg);
		}
	}

	TEST("map_mem refuses a map that does not fit with ENOMEM, before allocating it") {
		reg = reg_with("map_mem=12000");
		if (reg) {
			CHECK_EQ(load(reg, "tests/bpf/limits.bpf.o", "limits.o"), -ENOMEM);
			CHECK_STR_CONTAINS(logbuf, "map_mem=12000");
			CHECK_EQ(count(reg, BPFFS_REG_MAP), 0);
			bpffs_registry_destroy(reg);
		}
		reg = reg_with("map_mem=20K");
		if (reg) {
			CHECK_EQ(load(reg, "tests/bpf/limits.bpf.o", "limits.o"), 0);
			bpffs_registry_destroy(reg);
		}
	}

	TEST("max_maps and map_mem also hold for maps made with mkdir (add_map)") {
		struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_HASH, .key_size = 4,
					       .value_size = 8, .inner_map_idx = (u32)-1 };
		struct bpffs_map *m[3] = { 0 };
		struct bpffs_limits lim = { .max_maps = 2 };
		u64 c[3];
		int i;

		for (i = 0; i < 3; i++) {
			snprintf(attr.name, sizeof(attr.name), "m%d", i);
			attr.max_entries = 10 + 100 * (u32)i;
			CHECK_EQ(bpffs_map_create(&attr, NULL, &m[i]), 0);
			c[i] = m[i] ? charge(m[i]) : 0;
		}
		reg = reg_with("");
		if (reg && m[0] && m[1] && m[2]) {
			bpffs_registry_set_limits(reg, &lim);
			CHECK_EQ(bpffs_registry_add_map(reg, m[0]), 0);
			CHECK_EQ(bpffs_registry_add_map(reg, m[1]), 0);
			CHECK_EQ(bpffs_registry_add_map(reg, m[2]), -E2BIG);
			CHECK_EQ(bpffs_registry_remove_map(reg, "m1"), 0);
			lim.map_mem = c[0] + c[2] - 1;	/* one byte short */
			bpffs_registry_set_limits(reg, &lim);
			CHECK_EQ(bpffs_registry_add_map(reg, m[2]), -ENOMEM);
			lim.map_mem = c[0] + c[2];
			bpffs_registry_set_limits(reg, &lim);
			CHECK_EQ(bpffs_registry_add_map(reg, m[2]), 0);
			CHECK_EQ(count(reg, BPFFS_REG_MAP), 2);
		}
		bpffs_registry_destroy(reg);
		for (i = 0; i < 3; i++)
			if (m[i])
				bpffs_map_put(m[i]);
	}

	TEST("max_loops makes bpf_loop return E2BIG, in the interpreter and the JIT") {
		int rt;

		for (rt = 0; rt < 2; rt++) {
			reg = reg_with("max_loops=50");
			if (!reg)
				continue;
			CHECK_EQ(load_rt(reg, "tests/bpf/limits.bpf.o", "limits.o",
					 rt ? BPFFS_RUNTIME_JIT : BPFFS_RUNTIME_INTERP), 0);
			CHECK_EQ(run_loop100(reg), -E2BIG);
			bpffs_registry_destroy(reg);
			reg = reg_with("max_loops=100");
			CHECK_EQ(load_rt(reg, "tests/bpf/limits.bpf.o", "limits.o",
					 rt ? BPFFS_RUNTIME_JIT : BPFFS_RUNTIME_INTERP), 0);
			CHECK_EQ(run_loop100(reg), 100);
			bpffs_registry_destroy(reg);
		}
	}
	return harness_done();
}
