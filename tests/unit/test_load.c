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

int main(void)
{
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
