// SPDX-License-Identifier: MIT
/*
 * One program's directory, progs/NAME/: read-only views rendered fresh at
 * every open (so `cat` never shows stale numbers):
 *   info          id, name, type, section, tag, sizes, runtime, maps, object
 *   xlated        the verified bytecode, one instruction per line, with the
 *                 source lines from BTF line info as "; ..." comments
 *   jited         the native image (capstone), or why there is none
 *   verifier_log  what the verifier said at load (the statistics line at least)
 *   stats         run count and total run time, updated by every run
 * and the test-run files run and run_repeat, which live in prog_run.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "prog_internal.h"
#include "../core/core.h"
#include "../core/object.h"
#include "../core/registry.h"
#include "../jit/jit.h"
#include "../maps/maps.h"

static void prog_node_destroy(struct bpffs_node *node)
{
	bpffs_prog_put(node->obj);
}

/* Render with a memstream into file->data. */
typedef void (*render_fn)(const struct bpffs_prog *prog, FILE *out);

static int render_into(struct bpffs_file *file, render_fn fn)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return -ENOMEM;
	fn(file->node->obj, out);
	if (fclose(out))
		return -ENOMEM;
	return bpffs_file_take_text(file, text, len);
}

static const char *runtime_name(const struct bpffs_prog *prog)
{
	if (prog->jited)
		return "jit";
	return prog->runtime == BPFFS_RUNTIME_CHECKED ? "checked interpreter" : "interpreter";
}

static void render_info(const struct bpffs_prog *prog, FILE *out)
{
	const char *type = bpffs_prog_type_name(prog->type);
	time_t secs = (time_t)(prog->load_time / 1000000000ull);
	char when[32] = "-";
	struct tm tm;
	u32 i;

	if (prog->load_time && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "id: %u\nname: %s\ntype: %s\nsection: %s\ntag: %s\n", prog->id, prog->name,
		type ? type : "unknown", prog->section, prog->tag);
	fprintf(out, "insns: %u\nstack_depth: %u\nruntime: %s\njited_size: %zu\n",
		prog->insn_cnt, prog->stack_depth, runtime_name(prog),
		prog->jited ? prog->jit_size : (size_t)0);
	fprintf(out, "maps:");
	for (i = 0; i < prog->map_cnt; i++)
		fprintf(out, "%s%s", i ? ", " : " ", prog->maps[i] ? prog->maps[i]->name : "?");
	fprintf(out, "\nobject: %s\nlicense: %s\nload_time: %s\n", prog->obj_name, prog->license,
		when);
}

/* The source line starting at instruction @idx, if any (lines are sorted). */
static const struct bpffs_prog_line *line_at(const struct bpffs_prog *prog, u32 idx, u32 *cur)
{
	while (*cur < prog->line_cnt && prog->lines[*cur].insn_off < idx)
		(*cur)++;
	if (*cur < prog->line_cnt && prog->lines[*cur].insn_off == idx)
		return &prog->lines[(*cur)++];
	return NULL;
}

/*
 * LD_IMM64 with a pseudo source, the way bpftool shows it: the map by id and
 * name (map[id:4 counts], value address map[id:4 counts][0]+8), a callback
 * by its instruction index. The assembler dialect has no syntax for these.
 */
static int render_ld_pseudo(const struct bpffs_prog *prog, u32 i, char *buf, size_t size)
{
	const struct bpf_insn *insn = &prog->insns[i];
	const struct bpffs_map *map = (u32)insn->imm < prog->map_cnt ? prog->maps[insn->imm] : NULL;

	switch (insn->src_reg) {
	case BPF_PSEUDO_FUNC:
		snprintf(buf, size, "lddw %%r%u, func at %d", insn->dst_reg, (int)i + 1 + insn->imm);
		return 2;
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
		if (!map)
			break;
		snprintf(buf, size, "lddw %%r%u, map[id:%u %s]", insn->dst_reg, map->id, map->name);
		return 2;
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		if (!map)
			break;
		snprintf(buf, size, "lddw %%r%u, map[id:%u %s][0]+%u", insn->dst_reg, map->id,
			 map->name, (u32)insn[1].imm);
		return 2;
	}
	return -EINVAL;
}

static void render_xlated(const struct bpffs_prog *prog, FILE *out)
{
	const struct bpffs_prog_line *line;
	char text[160];
	u32 i, cur = 0;
	int n;

	for (i = 0; i < prog->insn_cnt; i += n > 0 ? (u32)n : 1) {
		while ((line = line_at(prog, i, &cur)))
			fprintf(out, "; %s @ %s:%u\n", line->text ? line->text : "",
				line->file ? line->file : "?", line->line_num);
		if (bpffs_insn_is_wide(&prog->insns[i]) && i + 1 == prog->insn_cnt)
			n = -EINVAL;
		else if (bpffs_insn_is_wide(&prog->insns[i]) && prog->insns[i].src_reg)
			n = render_ld_pseudo(prog, i, text, sizeof(text));
		else
			n = bpffs_disasm_insn(&prog->insns[i], text, sizeof(text));
		fprintf(out, "%5u: %s\n", i, n > 0 ? text : "(bad)");
	}
}

static void render_jited(const struct bpffs_prog *prog, FILE *out)
{
	char *text = NULL;
	int err = bpffs_jit_dump(prog, &text);

	if (!err)
		fputs(text, out);
	else if (err == -ENOENT)
		fprintf(out, "no native image: this program runs in the %s\n", runtime_name(prog));
	else
		fprintf(out, "cannot disassemble the native image: %s\n", strerror(-err));
	free(text);
}

static void render_verifier_log(const struct bpffs_prog *prog, FILE *out)
{
	const char *log = bpffs_prog_verifier_log(prog);
	size_t len = log ? strlen(log) : 0;

	if (!len) {
		fputs("(no verifier log kept)\n", out);
		return;
	}
	fputs(log, out);
	if (log[len - 1] != '\n')
		fputc('\n', out);
}

static void render_stats(const struct bpffs_prog *prog, FILE *out)
{
	u64 cnt = __atomic_load_n(&prog->run_cnt, __ATOMIC_RELAXED);
	u64 ns = __atomic_load_n(&prog->run_time_ns, __ATOMIC_RELAXED);

	fprintf(out, "run_cnt: %llu\nrun_time_ns: %llu\n", (unsigned long long)cnt,
		(unsigned long long)ns);
}

#define PROG_FILE(fname, fn)                                       \
	static int fname##_open(struct bpffs_file *file)           \
	{                                                          \
		return render_into(file, fn);                      \
	}                                                          \
	static const struct bpffs_node_ops fname##_ops = {         \
		.name = "prog " #fname,                            \
		.mode = S_IFREG | 0444,                            \
		.destroy = prog_node_destroy,                      \
		.open = fname##_open,                              \
	}

PROG_FILE(info, render_info);
PROG_FILE(xlated, render_xlated);
PROG_FILE(jited, render_jited);
PROG_FILE(verifier_log, render_verifier_log);
PROG_FILE(stats, render_stats);

static const struct {
	const char *name;
	const struct bpffs_node_ops *ops;
} prog_files[] = {
	{ "info", &info_ops },
	{ "xlated", &xlated_ops },
	{ "jited", &jited_ops },
	{ "verifier_log", &verifier_log_ops },
	{ "stats", &stats_ops },
	{ "run", &bpffs_prog_run_ops },			/* prog_run.c */
	{ "run_repeat", &bpffs_prog_run_repeat_ops },
};

static int prog_dir_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(prog_files); i++) {
		if (!strcmp(name, prog_files[i].name)) {
			bpffs_prog_get(dir->obj);
			out->ops = prog_files[i].ops;
			out->obj = dir->obj;
			return 0;
		}
	}
	return -ENOENT;
}

static int prog_dir_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			    bpffs_fill_fn fill, void *ctx)
{
	size_t i;

	for (i = (size_t)off; i < BPFFS_ARRAY_SIZE(prog_files); i++)
		if (fill(ctx, prog_files[i].name, S_IFREG, 0, (off_t)i + 1))
			break;
	return 0;
}

const struct bpffs_node_ops bpffs_prog_dir_ops = {
	.name = "prog dir",
	.mode = S_IFDIR | 0555,
	.destroy = prog_node_destroy,
	.lookup = prog_dir_lookup,
	.readdir = prog_dir_readdir,
};
