/* SPDX-License-Identifier: MIT */
/*
 * The registry of live objects of one mount (the kernel's idr of progs, maps
 * and links, plus the names the filesystem shows) and the load pipeline that
 * publishes into it: parse → create maps → instantiate programs → verify →
 * prepare (interpreter decode + JIT) → publish, all or nothing.
 *
 * Names are unique per kind: loading an object whose name, program names or
 * (unpinned) map names clash with live ones fails with -EEXIST. Maps declared
 * with LIBBPF_PIN_BY_NAME are shared with a live map of the same name and a
 * compatible definition (-EINVAL if incompatible), as libbpf's pinning does.
 * Global-data maps are named "<object>.data", "<object>.rodata", ...
 *
 * Lifetimes: the registry holds one reference on each published program and
 * map; lookups return a new reference (put it when done). Unloading removes
 * the names at once; programs still used by links live on until their last
 * reference goes, as in the kernel.
 */
#ifndef BPFFS_REGISTRY_H
#define BPFFS_REGISTRY_H

#include "types.h"

struct bpffs_registry;
struct bpffs_prog;
struct bpffs_map;
struct bpffs_vlog;

/* A loaded ELF object: what `cp prog.o MNT/progs/` made. */
struct bpffs_loaded_obj {
	char name[256];			/* file name as copied ("prog.o") */
	u32 id;
	u8 *elf;			/* the original bytes (reading returns them) */
	size_t elf_size;
	struct bpffs_prog **progs;	/* references */
	u32 prog_cnt;
	struct bpffs_map **maps;	/* published maps it created or shares (references) */
	u32 map_cnt;
	u64 load_time;			/* CLOCK_REALTIME ns */
	int refcnt;
};

struct bpffs_load_opts {
	u32 prog_type;			/* explicit type for every program, 0: from sections */
	int runtime;			/* enum bpffs_runtime */
	u32 log_level;			/* verifier log level kept per program */
	bool stack_zeroed;		/* passed to the verifier; the runtime zeroes stacks */
};

int bpffs_registry_create(struct bpffs_registry **out);
/* Drops every reference the registry holds. */
void bpffs_registry_destroy(struct bpffs_registry *reg);

/*
 * Load @size bytes of ELF named @name and publish everything, or nothing.
 * Returns 0 (and *out with a reference, if @out) or -EINVAL (malformed),
 * -EACCES (verifier rejection), -EOPNOTSUPP, -E2BIG, -EEXIST (name clash),
 * -ENOMEM; @log gets the loader's reason or the verifier's log.
 * Called from: FUSE thread (flush of a file written to progs/).
 */
int bpffs_registry_load(struct bpffs_registry *reg, const char *name, const void *buf,
			size_t size, const struct bpffs_load_opts *opts, struct bpffs_vlog *log,
			struct bpffs_loaded_obj **out);
/* Unpublish object @name, its programs and the maps only it used. -ENOENT. */
int bpffs_registry_unload(struct bpffs_registry *reg, const char *name);
/*
 * One listener (the state directory) hears of every successful load and
 * unload: @cb(@arg, object name) runs in the loading/unloading thread after
 * the registry changed and before bpffs_registry_load/unload returns, so
 * what it writes is done when cp or rm returns. Calls are serialized; the
 * callback may look the registry up (it holds no registry lock) but must not
 * load or unload. Setting NULL waits for a running call to end.
 */
void bpffs_registry_set_notify(struct bpffs_registry *reg,
			       void (*cb)(void *arg, const char *obj_name), void *arg);

/* Publish a map made outside an object (mkdir maps/NAME). -EEXIST on a clash. */
int bpffs_registry_add_map(struct bpffs_registry *reg, struct bpffs_map *map);
/* Unpublish map @name; -EBUSY while a loaded object uses it, -ENOENT. */
int bpffs_registry_remove_map(struct bpffs_registry *reg, const char *name);

/* Lookups by name: a new reference, or NULL. */
struct bpffs_prog *bpffs_registry_get_prog(struct bpffs_registry *reg, const char *name);
struct bpffs_map *bpffs_registry_get_map(struct bpffs_registry *reg, const char *name);
struct bpffs_loaded_obj *bpffs_registry_get_obj(struct bpffs_registry *reg, const char *name);
void bpffs_loaded_obj_put(struct bpffs_loaded_obj *obj);

/*
 * Snapshot the names of one kind, sorted, for readdir: *names is a malloc'd
 * array of malloc'd strings (free with bpffs_registry_names_free). Returns
 * the count or -ENOMEM.
 */
enum bpffs_registry_kind { BPFFS_REG_OBJ, BPFFS_REG_PROG, BPFFS_REG_MAP };
int bpffs_registry_names(struct bpffs_registry *reg, enum bpffs_registry_kind kind,
			 char ***names);
void bpffs_registry_names_free(char **names, int cnt);

/*
 * Per-mount resource limits (issue 9, src/core/limits.c): 0 means no limit
 * (for max_loops: the kernel's BPF_MAX_LOOPS, 1 << 23). Reaching one fails
 * the load, or the mkdir of a map, with a log line naming the limit:
 *   map_mem    bytes charged to all published maps together: -ENOMEM. A map
 *              is charged max(its memory use, max_entries * (key + value)),
 *              so a hash map cannot outgrow its charge by filling up.
 *   max_maps   published maps: -E2BIG          max_progs  published programs: -E2BIG
 *   max_insns  instructions of one program: -E2BIG
 *   max_loops  nr_loops of one bpf_loop() call: the helper returns -E2BIG.
 * Mount options of the same names set them (bpffs-user MNT -o map_mem=64M,...).
 */
struct bpffs_limits {
	u64 map_mem;
	u32 max_maps;
	u32 max_progs;
	u32 max_insns;
	u32 max_loops;
};

void bpffs_registry_set_limits(struct bpffs_registry *reg, const struct bpffs_limits *lim);
void bpffs_registry_get_limits(struct bpffs_registry *reg, struct bpffs_limits *lim);
/*
 * Parse "map_mem=64M,max_progs=100" (words separated by commas or spaces,
 * sizes with an optional K/M/G suffix) into @lim, leaving other fields as
 * they are. Returns 0, or -EINVAL and a log line naming the bad word.
 */
int bpffs_limits_parse(const char *text, struct bpffs_limits *lim, struct bpffs_vlog *log);
/* 1 if @word ("max_maps=4") is the name of a limit, so option parsers can pick them out. */
bool bpffs_limits_is_option(const char *word);

/*
 * BTF of the object that created map @name (a new reference; put it with
 * bpffs_btf_put), or NULL for maps without BTF (made by mkdir, legacy
 * definitions). Key/value type ids are map->btf_key_type_id/_value_type_id.
 */
struct bpffs_btf;
struct btf;
struct bpffs_btf *bpffs_registry_map_btf(struct bpffs_registry *reg, const char *name);
/* Wrap @btf (owned from now on) with one reference. 0 or -ENOMEM. */
int bpffs_btf_wrap(struct btf *btf, struct bpffs_btf **out);
void bpffs_btf_get(struct bpffs_btf *b);
void bpffs_btf_put(struct bpffs_btf *b);
/* The libbpf BTF behind @b (read-only; valid while the reference is held). */
const struct btf *bpffs_btf_raw(const struct bpffs_btf *b);

/* Verifier log kept for a program at load (the statistics line at least). */
const char *bpffs_prog_verifier_log(const struct bpffs_prog *prog);

#endif /* BPFFS_REGISTRY_H */
