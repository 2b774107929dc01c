/* SPDX-License-Identifier: MIT */
/*
 * BPF objects: the in-memory form of a clang-compiled BPF ELF file, after
 * libbpf's struct bpf_object. bpffs_object_open() parses and relocates (ELF
 * sections, programs, map definitions, global data, BTF, BPF-to-BPF calls,
 * CO-RE against this runtime's context types) without creating any global
 * state: maps are only described here, programs only hold bytecode. The
 * load pipeline creates the maps (src/maps), then turns each described
 * program into a live struct bpffs_prog with bpffs_object_prog_instantiate().
 */
#ifndef BPFFS_OBJECT_H
#define BPFFS_OBJECT_H

#include "types.h"
#include "insn.h"
#include "../maps/maps.h"

struct bpffs_vlog;
struct bpffs_prog;
struct bpffs_map;
struct btf;

/* Files larger than this are refused before parsing (-E2BIG). */
#define BPFFS_OBJECT_MAX_SIZE (256u << 20)

/*
 * Program types of this project's own hooks (sections `timer` and
 * `inotify`). Numbered far above the kernel's BPF_PROG_TYPE_* values.
 */
#ifndef BPFFS_PROG_TYPE_TIMER
#define BPFFS_PROG_TYPE_TIMER 0x1000
#define BPFFS_PROG_TYPE_INOTIFY 0x1001
#endif

/* libbpf's pinning values for BTF-defined maps (__uint(pinning, ...)). */
enum {
	BPFFS_PIN_NONE = 0,
	BPFFS_PIN_BY_NAME = 1,
};

/* One source line of a program (from .BTF.ext line info). */
struct bpffs_line_info {
	u32 insn_off;		/* instruction index in the relocated program */
	const char *file;	/* strings owned by the object's BTF */
	const char *line;
	u32 line_num;
	u32 line_col;
};

/* One function of a program (from .BTF.ext func info). */
struct bpffs_func_info {
	u32 insn_off;		/* instruction index in the relocated program */
	u32 type_id;		/* BTF FUNC type in the object's BTF */
};

/* A static initial slot of a prog array or map-in-map (`.values = { ... }`). */
struct bpffs_map_init_slot {
	u32 key;
	u32 target;		/* index into obj->progs (prog array) or obj->maps */
};

enum bpffs_obj_map_kind {
	BPFFS_OBJ_MAP_BTF = 0,	/* SEC(".maps") */
	BPFFS_OBJ_MAP_LEGACY,	/* SEC("maps"): bpf_map_def or iproute2 bpf_elf_map */
	BPFFS_OBJ_MAP_DATA,	/* .data, .data.*, .rodata, .rodata.*, .bss */
	BPFFS_OBJ_MAP_INNER,	/* inner-map template of a map-in-map (not created alone) */
};

/*
 * A map the object asks for, ready for bpffs_map_create (a perf event
 * array's max_entries 0 is already one slot per CPU). Global data maps are
 * named "<object><section>" ("prog.rodata"). attr.inner_map_idx is the
 * index of the template in obj->maps for map-in-map types, else (u32)-1;
 * templates always come before the maps using them, so creating maps in
 * index order works. attr.inner_map is left NULL (set it to the created
 * template).
 */
struct bpffs_obj_map {
	struct bpffs_map_attr attr;
	enum bpffs_obj_map_kind kind;
	u32 pinning;		/* BPFFS_PIN_* */
	bool frozen;		/* .rodata: read-only to programs and the filesystem */
	/* global data: initial value of the single entry (value_size bytes) or NULL (zeros) */
	void *init_data;
	/* prog arrays / map-in-maps: static initial slots */
	struct bpffs_map_init_slot *init_slots;
	u32 init_slot_cnt;
	/* where the definition lives in the ELF file */
	u32 sec_idx;
	u64 sec_off;
};

/* A program the object defines, relocated and linked with its subprograms. */
struct bpffs_obj_prog {
	char name[64];		/* ELF function symbol (section name if none) */
	char section[128];
	u32 type;		/* BPF_PROG_TYPE_*, BPFFS_PROG_TYPE_*, 0 if unknown */
	u32 expected_attach_type;
	const char *attach_target; /* section suffix ("sys_execve"), or NULL */
	struct bpf_insn *insns;	/* entry function + appended subprograms */
	u32 insn_cnt;
	u32 main_insn_cnt;	/* entry function alone (as in llvm-objdump) */
	u32 sec_insn_off;	/* where the entry function starts in its section */
	bool is_static;		/* STB_LOCAL entry function (old Cilium tail calls) */
	/* the program's map list: LD_IMM64 imm N refers to obj->maps[map_idx[N]] */
	u32 *map_idx;
	u32 map_cnt;
	struct bpffs_func_info *func_info;
	u32 func_info_cnt;
	struct bpffs_line_info *line_info;
	u32 line_info_cnt;
};

struct bpffs_object {
	char name[64];
	char license[64];
	u32 kern_version;
	struct bpffs_obj_prog *progs;
	u32 prog_cnt;
	struct bpffs_obj_map *maps;
	u32 map_cnt;
	struct btf *btf;	/* libbpf BTF of the object, or NULL */
	u32 insn_total;		/* instruction slots in all executable sections */
	u32 subprog_cnt;	/* functions in .text */
};

struct bpffs_open_opts {
	/*
	 * Explicit program type for every program, whatever its section says
	 * (0: deduce from the section). Needed for objects whose section names
	 * do not say the type: old Cilium's `2/7`, Open vSwitch's `tail-N`,
	 * Suricata's `filter`.
	 */
	u32 prog_type;
	u32 expected_attach_type;
	/* Type for programs whose section is not recognised (0: leave 0). */
	u32 default_prog_type;
};

/*
 * Parse @size bytes of a BPF ELF object named @name (its base name up to
 * the first '.' becomes obj->name, as in libbpf: "prog.bpf.o" is "prog"). @opts may be NULL. Returns 0 and *out, or -EINVAL
 * (malformed or unsupported content), -E2BIG (too large), -EOPNOTSUPP
 * (feature not supported: kernel CO-RE, externs, ...), -ENOMEM, with one
 * log line naming the cause. A failed open leaves nothing behind.
 * Called from: any thread; touches no global state.
 */
int bpffs_object_open(const void *buf, size_t size, const char *name,
		      const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
		      struct bpffs_object **out);
/* Read a file and open it (as above); -errno from open/read as well. */
int bpffs_object_open_file(const char *path, const struct bpffs_open_opts *opts,
			   struct bpffs_vlog *log, struct bpffs_object **out);
void bpffs_object_free(struct bpffs_object *obj);

/*
 * Detach the object's BTF (NULL if none) so that it outlives the object:
 * map key/value type ids (attr.btf_key_type_id...) index into it, and the
 * line info strings point into it. The caller frees it with btf__free()
 * (libbpf), e.g. when the loaded object is unloaded.
 */
struct btf *bpffs_object_take_btf(struct bpffs_object *obj);

/* Lookups by name; NULL if absent. */
struct bpffs_obj_prog *bpffs_object_find_prog(const struct bpffs_object *obj, const char *name);
struct bpffs_obj_map *bpffs_object_find_map(const struct bpffs_object *obj, const char *name);

/*
 * Explicit program type override after open: for program @prog_name, or for
 * every program when @prog_name is NULL. Returns 0 or -ENOENT.
 */
int bpffs_object_set_prog_type(struct bpffs_object *obj, const char *prog_name, u32 type,
			       u32 expected_attach_type);

/*
 * Program type and expected attach type for an ELF section name, after
 * libbpf's section table (plus `timer` and `inotify`). Returns 0, or -ENOENT
 * for an unknown section. @attach_target (may be NULL) gets the suffix.
 */
int bpffs_section_prog_type(const char *sec, u32 *type, u32 *expected_attach_type,
			    const char **attach_target);
/* "xdp", "socket_filter", "timer", ... or NULL. */
const char *bpffs_prog_type_name(u32 type);

/*
 * Turn described program @idx into a live program: a copy of its relocated
 * instructions, its type and license, and maps[] filled from @maps (the
 * object's maps as created by the loader, indexed like obj->maps; each used
 * map gets one reference held by the program). Returns 0 and *out
 * (refcount 1) or -errno + log. Requires bpffs_prog_alloc (src/core/prog.c).
 */
int bpffs_object_prog_instantiate(const struct bpffs_object *obj, u32 idx,
				  struct bpffs_map *const *maps, struct bpffs_vlog *log,
				  struct bpffs_prog **out);

/*
 * Lookup of an already-loaded map for maps pinned by name (LIBBPF_PIN_BY_NAME,
 * iproute2 pinning): return it with a reference taken, or NULL. Provided by
 * the registry; called from bpffs_object_create_maps on the loading thread.
 */
typedef struct bpffs_map *(*bpffs_pinned_lookup_fn)(const char *name, void *arg);

/*
 * Create every map of @obj with bpffs_map_create (inner templates first;
 * map-in-map attr.inner_map set), write global data initial values, freeze
 * .rodata maps, and fill map-in-map static slots. A map pinned by name for
 * which @lookup (may be NULL) finds an existing map reuses it if
 * compatible (libbpf's rule: same type, key/value size, max_entries,
 * flags; then no initial contents are written) and fails with -EINVAL
 * and a log line otherwise. Returns 0 and *maps (an array of obj->map_cnt
 * maps, one reference each) or -errno + log, with nothing left behind.
 */
int bpffs_object_create_maps(const struct bpffs_object *obj, bpffs_pinned_lookup_fn lookup,
			     void *lookup_arg, struct bpffs_vlog *log, struct bpffs_map ***maps);
/* 0 if @map can stand for the definition @m, else -EINVAL + one log line. */
int bpffs_obj_map_compatible(const struct bpffs_obj_map *m, const struct bpffs_map *map,
			     struct bpffs_vlog *log);
/* Drop the references of bpffs_object_create_maps and free the array. */
void bpffs_object_put_maps(const struct bpffs_object *obj, struct bpffs_map **maps);
/*
 * Fill the static slots of prog arrays (`.values = { [2] = &prog }`) with
 * @progs (indexed like obj->progs). Note that a prog array holding a program
 * that uses the same prog array is a reference cycle, as in the kernel:
 * clear the slots (bpffs_prog_array_update(map, key, NULL)) to break it.
 */
int bpffs_object_fill_prog_arrays(const struct bpffs_object *obj, struct bpffs_map **maps,
				  struct bpffs_prog **progs, struct bpffs_vlog *log);

/*
 * The simple path for `bpffs-user run FILE.o` and tests: open the file,
 * create every map (bpffs_object_create_maps) and instantiate program
 * @prog_name (NULL: the first). Prog-array static slots are not filled
 * (that needs every program; see bpffs_object_fill_prog_arrays). No
 * verifier, no JIT, nothing published. Returns 0 and *out with the program
 * holding references on its maps, or -errno + log.
 */
int bpffs_object_load_simple(const char *path, const char *prog_name,
			     const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
			     struct bpffs_prog **out);
/* The same from @size bytes already read (@name as for bpffs_object_open). */
int bpffs_object_load_buf(const void *buf, size_t size, const char *name, const char *prog_name,
			  const struct bpffs_open_opts *opts, struct bpffs_vlog *log,
			  struct bpffs_prog **out);

#endif /* BPFFS_OBJECT_H */
