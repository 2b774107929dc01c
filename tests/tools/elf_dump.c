// SPDX-License-Identifier: MIT
/*
 * elf_dump FILE.o...: open BPF objects with the loader and print what it
 * made of them (programs with type, section, instruction counts and map
 * lists; maps with their attributes), or the loader's error. A debugging
 * aid and the shell-visible face of the loader for bats tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/object.h"
#include "core/vlog.h"

static void dump_prog(const struct bpffs_obj_prog *p, bool insns)
{
	const char *tn = bpffs_prog_type_name(p->type);

	printf("prog %s section=%s type=%s attach=%u insns=%u main=%u maps=", p->name,
	       p->section, tn ? tn : "?", p->expected_attach_type, p->insn_cnt,
	       p->main_insn_cnt);
	for (u32 i = 0; i < p->map_cnt; i++)
		printf("%s%u", i ? "," : "", p->map_idx[i]);
	printf(" func_info=%u line_info=%u\n", p->func_info_cnt, p->line_info_cnt);
	for (u32 i = 0; insns && i < p->insn_cnt; i++) {
		const struct bpf_insn *in = &p->insns[i];

		printf("  %4u: %02x %x %x %6d %11d\n", i, in->code, in->dst_reg, in->src_reg,
		       in->off, in->imm);
	}
}

static void dump_map(u32 i, const struct bpffs_obj_map *m)
{
	const struct bpffs_map_attr *a = &m->attr;

	printf("map %u %s kind=%d type=%u key=%u value=%u max=%u flags=0x%x inner=%d pin=%u "
	       "frozen=%d btf=%u/%u slots=%u\n",
	       i, a->name, m->kind, a->map_type, a->key_size, a->value_size, a->max_entries,
	       a->map_flags, (int)a->inner_map_idx, m->pinning, m->frozen, a->btf_key_type_id,
	       a->btf_value_type_id, m->init_slot_cnt);
	for (u32 s = 0; s < m->init_slot_cnt; s++)
		printf("  slot %u -> %u\n", m->init_slots[s].key, m->init_slots[s].target);
}

int main(int argc, char **argv)
{
	bool insns = argc > 1 && !strcmp(argv[1], "-d");
	int rc = 0;

	for (int i = 1 + insns; i < argc; i++) {
		struct bpffs_vlog log;
		struct bpffs_object *obj;
		int err;

		bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
		err = bpffs_object_open_file(argv[i], NULL, &log, &obj);
		if (err) {
			printf("%s: error %d: %s", argv[i], err, bpffs_vlog_text(&log));
			rc = 1;
		} else {
			printf("object %s license=%s progs=%u maps=%u insns=%u subprogs=%u btf=%d\n",
			       obj->name, obj->license, obj->prog_cnt, obj->map_cnt, obj->insn_total,
			       obj->subprog_cnt, obj->btf != NULL);
			for (u32 p = 0; p < obj->prog_cnt; p++)
				dump_prog(&obj->progs[p], insns);
			for (u32 m = 0; m < obj->map_cnt; m++)
				dump_map(m, &obj->maps[m]);
			bpffs_object_free(obj);
		}
		bpffs_vlog_free(&log);
	}
	return rc;
}
