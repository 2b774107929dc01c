// SPDX-License-Identifier: MIT
/*
 * Compiles every program of the real-world corpus (../shared/ebpf-samples,
 * or $BPFFS_SAMPLES) with the JIT: whatever the interpreter accepts for
 * running (bpffs_prog_prepare in interpreter mode), the JIT must compile, and
 * its disassembly must decode every byte. Programs are compiled, not run
 * (their contexts need hooks). Objects whose maps cannot be created are
 * skipped and counted. Skips when the corpus is absent.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "core/object.h"
#include "jit/jit.h"
#include "maps/maps.h"

static int objs, progs, interp_ok, jit_ok, jit_fail, dump_bad, skipped_maps;
static u64 insns_total, bytes_total;

static void check_prog(const char *path, struct bpffs_prog *prog)
{
	char logbuf[1024] = "";
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	char *text = NULL;
	int err;

	progs++;
	prog->runtime = BPFFS_RUNTIME_INTERP;
	if (bpffs_insns_check(prog->insns, prog->insn_cnt, NULL) || bpffs_prog_prepare(prog, NULL))
		return;
	interp_ok++;
	err = bpffs_jit_compile(prog, &log);
	if (err || !prog->jited) {
		if (jit_fail++ < 10)
			printf("# %s %s: JIT error %d: %s", path, prog->name, err, logbuf);
		return;
	}
	jit_ok++;
	insns_total += prog->insn_cnt;
	bytes_total += prog->jit_size;
	if (bpffs_jit_dump(prog, &text) || strstr(text, "not decoded")) {
		if (dump_bad++ < 5)
			printf("# %s %s: disassembly incomplete\n", path, prog->name);
	}
	free(text);
}

static void check_object(const char *path)
{
	struct bpffs_object *obj = NULL;
	struct bpffs_map **maps = NULL;

	if (bpffs_object_open_file(path, NULL, NULL, &obj))
		return;
	objs++;
	if (bpffs_object_create_maps(obj, NULL, NULL, NULL, &maps)) {
		skipped_maps++;
		bpffs_object_free(obj);
		return;
	}
	for (u32 i = 0; i < obj->prog_cnt; i++) {
		struct bpffs_prog *prog = NULL;

		if (bpffs_object_prog_instantiate(obj, i, maps, NULL, &prog))
			continue;
		check_prog(path, prog);
		bpffs_prog_put(prog);
	}
	bpffs_object_put_maps(obj, maps);
	bpffs_object_free(obj);
}

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	struct stat st;

	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "invalid"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			walk(path);
		else if (n > 2 && !strcmp(e->d_name + n - 2, ".o"))
			check_object(path);
	}
	if (d)
		closedir(d);
}

int main(void)
{
	const char *dir = getenv("BPFFS_SAMPLES") ? getenv("BPFFS_SAMPLES") : "../shared/ebpf-samples";
	struct stat st;

	TEST("every corpus program the interpreter accepts compiles with the JIT") {
		if (!bpffs_jit_available() || stat(dir, &st)) {
			SKIP("no JIT or no corpus");
		} else {
			walk(dir);
			printf("# %d objects (%d skipped: maps), %d programs, %d prepared, "
			       "%d JIT-compiled (%llu insns -> %llu bytes), %d JIT failures\n",
			       objs, skipped_maps, progs, interp_ok, jit_ok,
			       (unsigned long long)insns_total, (unsigned long long)bytes_total,
			       jit_fail);
			CHECK(jit_ok > 0);
			CHECK_EQ(jit_fail, 0);
		}
	}
	TEST("the disassembly of every compiled corpus program decodes every byte") {
		CHECK_EQ(dump_bad, 0);
	}
	return harness_done();
}
