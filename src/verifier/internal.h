/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared inside src/verifier only: abstract register and stack
 * state, the per-verification environment, the program-type descriptions,
 * and the entry points of each step (cfg.c, bounds.c, state.c, check_*.c).
 */
#ifndef BPFFS_VERIFIER_INTERNAL_H
#define BPFFS_VERIFIER_INTERNAL_H

#include <errno.h>
#include <stdio.h>
#include "core/core.h"
struct bpffs_map;
#include "tnum.h"
#include "verifier.h"

#ifndef MAX_BPF_REG
#define MAX_BPF_REG BPFFS_MAX_REG
#endif
#define BPF_REG_FP 10
#define BPF_REG_SIZE 8
#define MAX_BPF_STACK BPFFS_STACK_SIZE
#define MAX_CALL_FRAMES BPFFS_MAX_CALL_FRAMES
#define MAX_SUBPROGS 256
#define MAX_PACKET_OFF 0xffff
#define BPF_MAX_VAR_OFF (1 << 29)
#define BPF_MAX_VAR_SIZ (1 << 29)
#define MAX_COMBINED_STACK 512

enum reg_type {
	NOT_INIT = 0,
	SCALAR_VALUE,
	PTR_TO_CTX,
	CONST_PTR_TO_MAP,
	PTR_TO_MAP_VALUE,
	PTR_TO_MAP_KEY,
	PTR_TO_STACK,
	PTR_TO_PACKET_META,
	PTR_TO_PACKET,
	PTR_TO_PACKET_END,
	PTR_TO_MEM,		/* sized memory: ring-buffer record, helper memory */
	PTR_TO_FUNC,
	PTR_TO_SOCK_COMMON,	/* only ever passed around; never dereferenced */
	REG_TYPE_MAX,
};

/* reg flags */
#define PTR_MAYBE_NULL 0x1
#define MEM_RDONLY 0x2

struct bpf_reg {
	u8 type;		/* enum reg_type */
	u8 flags;
	u8 frameno;		/* PTR_TO_STACK: frame the pointer points into */
	s32 off;		/* fixed part of a pointer's offset */
	u32 id;			/* null checks / packet ranges / linked scalars */
	u32 ref_obj_id;		/* acquired reference this pointer stands for */
	struct bpffs_map *map_ptr; /* CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE/KEY */
	u32 mem_size;		/* PTR_TO_MEM */
	s32 range;		/* PTR_TO_PACKET: bytes known readable past off */
	u32 subprogno;		/* PTR_TO_FUNC */
	bool precise;		/* explored states: this scalar's value mattered */
	/* scalar value, or variable part of a pointer offset */
	struct tnum var_off;
	s64 smin_value, smax_value;
	u64 umin_value, umax_value;
	s32 s32_min_value, s32_max_value;
	u32 u32_min_value, u32_max_value;
};

enum slot_type {
	STACK_INVALID = 0,	/* never written */
	STACK_SPILL,		/* a register spilled with an 8-byte store */
	STACK_MISC,		/* initialised, unknown bytes */
	STACK_ZERO,		/* known zero */
};

struct stack_slot {
	struct bpf_reg spilled_ptr;	/* valid when slot_type[7] == STACK_SPILL */
	u8 slot_type[BPF_REG_SIZE];
};

struct func_state {
	/* what pruning looks at first, together in one cache line */
	int callsite;		/* insn of the call that made this frame, -1 in main */
	u32 frameno;
	u32 subprogno;
	bool in_callback_fn;
	bool in_async_callback_fn;
	/* a callback frame (re)entered, before its first insn: only then is
	 * its entry the callback's re-entry, not a jump back (a loop) */
	bool cb_fresh;
	/* the same for registers (bit i = Ri), see stack_read */
	u16 regs_read;
	u16 regs_written;
	int allocated_stack;	/* bytes, multiple of 8 */
	struct stack_slot *stack; /* stack[i] covers [-8*(i+1), -8*i) */
	/*
	 * Stack liveness (bit i = stack[i]). In an explored state: slots some
	 * path below it read before overwriting them (only those matter when
	 * pruning against it). In the current state: slots wholly overwritten
	 * since the last checkpoint, where a read stops propagating upwards;
	 * an explored state keeps the bits of the segment that led to it.
	 */
	u64 stack_read;
	u64 stack_written;
	struct bpf_reg regs[MAX_BPF_REG];
	struct bpf_reg cb_args[5];	/* callback: R1-R5 at entry, for re-entry */
};

struct ref_state {
	u32 id;
	int insn_idx;
};

struct vstate {
	/* what pruning looks at first, before the frame pointers */
	u32 curframe;
	u32 branches;		/* unfinished paths below an explored state */
	bool all_precise;	/* every scalar counts (precision fallback) */
	int acquired_refs;
	u32 active_lock_id;	/* id of the map value holding the held lock, 0 = none */
	struct func_state *frame[MAX_CALL_FRAMES];
	struct ref_state *refs;
	struct bpffs_map *active_lock_map;
	int insn_idx;
	/* exploration bookkeeping */
	struct vstate *parent;	/* nearest explored state above this one */
	u32 first_insn_processed;
	u32 loop_entry_jmps;
	/* lowest frame depth since the last checkpoint: a frame above it is
	 * not the one the checkpoint holds at the same depth */
	u32 seg_min_frame;
	/* instructions run since the parent checkpoint: HIST_* encoded */
	u32 *hist;
	u32 hist_len, hist_cap;
};

#define HIST_IDX(e) ((e) & 0xffffff)
#define HIST_FRAME(e) (((e) >> 24) & 0xf)
#define HIST_STACK_PTR 0x40000000u	/* stack access through a pointer other than r10 */
#define HIST_LOAD_UNKNOWN 0x20000000u	/* a load gave any value of its size: no source */

/* An explored state kept for pruning at a prune point. */
struct vstate_list {
	struct vstate_list *next;
	struct vstate *state;
	u32 miss_cnt, hit_cnt;
	u32 bytes;		/* vstate_bytes(state), for the accounting */
	/*
	 * Once the state is finished (no paths left below it): what any
	 * match needs of the current frame, checked before touching the
	 * state itself (cold memory): the frame depth, the call site, the
	 * type and flags of each register the comparison looks at, and the
	 * unsigned range of those that are precise scalars.
	 */
	bool done;
	u8 curframe;
	u16 sig_regs;
	u16 sig_precise;	/* scalars compared by range: cur's must lie inside */
	int callsite;
	u8 sig_type[MAX_BPF_REG], sig_flags[MAX_BPF_REG];
	u64 sig_umin[MAX_BPF_REG], sig_umax[MAX_BPF_REG];
};

struct subprog_info {
	u32 start;
	u32 end;		/* one past the last insn */
	u16 stack_depth;
	bool is_callback;
	bool has_tail_call;
};

struct insn_aux {
	bool prune_point;
	bool seen;
	bool jmp_point;
	u16 live_in;		/* registers read before written from here (bitmask) */
	u16 use, def;		/* registers the insn reads, writes (once use_def_set) */
	bool use_def_set;
	u8 loop_head;
	struct vstate_list *explored;
	u32 explored_cnt;
	u32 call_cnt;
};

/* How a context load becomes a pointer. */
struct ctx_access_info {
	enum reg_type reg_type;		/* SCALAR_VALUE unless a pointer field */
	u8 reg_flags;
};

/*
 * One program type: what its context allows, which helpers it may call.
 * The kernel's bpf_verifier_ops (is_valid_access, get_func_proto).
 */
struct prog_type_desc {
	u32 type;
	const char *name;
	u32 ctx_size;
	/* Called from: verifier. Return true and fill @info if the access is
	 * allowed at this offset/size/direction. */
	bool (*is_valid_access)(int off, int size, bool write, u32 attach,
				struct ctx_access_info *info);
	/* May the program call helper @func_id? */
	bool (*helper_allowed)(u32 func_id);
	bool has_packet;		/* direct packet access possible */
	bool can_change_pkt;		/* helpers in helper_changes_pkt apply */
	s32 ret_min, ret_max;		/* allowed R0 range at exit (when checked) */
	bool check_ret;
};

const struct prog_type_desc *prog_type_desc_get(u32 type);

/* Verification environment. */
struct verifier_env {
	struct bpffs_prog *prog;
	const struct bpf_insn *insns;
	u32 insn_cnt;
	const struct prog_type_desc *ptype;
	struct bpffs_verifier_opts opts;
	bool allow_ptr_leaks;		/* root profile */
	struct bpffs_vlog *log;
	u32 log_level;
	struct insn_aux *aux;
	struct subprog_info subprog[MAX_SUBPROGS + 1];
	u32 subprog_cnt;
	struct vstate *cur;
	/* pending branches (DFS stack) */
	struct stack_elem *head;
	u32 stack_size;
	u32 id_gen;
	u32 insn_processed;
	u32 insn_limit;
	u32 prev_insn_processed, prev_jmps_processed, jmps_processed;
	u32 total_states, peak_states, cur_states, max_states_per_insn;
	u64 state_bytes, peak_state_bytes;	/* explored + pending states */
	int push_err;			/* why push_stack failed: -E2BIG or -ENOMEM */
	int prev_insn_idx;
	bool pass_error_logged;
	u32 err_insn;
	bool seen_direct_write;
	int log_insn;			/* prefix for log lines, -1 for none */
	u32 hist_flags;			/* flags for the insn being checked */
	int hist_insn;			/* the insn being checked */
	bool cmp_all_precise;		/* states_equal: old->all_precise */
	bool log_midline;
	bool changes_pkt_data;
	bool reads_uninit_stack;	/* some path read stack it had not written */
};

struct stack_elem {
	struct vstate st;
	int insn_idx;
	int prev_insn_idx;
	u32 bytes;		/* vstate_bytes(&st), for the accounting */
	struct stack_elem *next;
};

/* ---- logging ---- */
void verbose(struct verifier_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *reg_type_str(const struct bpf_reg *reg);
void print_state(struct verifier_env *env, const struct func_state *f);

/* ---- bounds.c: scalar domain on registers (never fails) ---- */
void reg_mark_unknown(struct bpf_reg *reg);
void reg_mark_known(struct bpf_reg *reg, u64 imm);
void reg_mark_known_zero(struct bpf_reg *reg);
void reg_mark_not_init(struct bpf_reg *reg);
void reg_bounds_unbounded(struct bpf_reg *reg);
void reg_bounds_sync(struct bpf_reg *reg);
void reg_bounds_from_range32(struct bpf_reg *reg);
bool reg_bounds_sane(const struct bpf_reg *reg);
void reg_set_subreg_unknown_upper_zero(struct bpf_reg *reg);
void zext_32_to_64(struct bpf_reg *reg);
void coerce_reg_to_size(struct bpf_reg *reg, int size);
void coerce_reg_to_size_sx(struct bpf_reg *reg, int size);
void coerce_subreg_to_size_sx(struct bpf_reg *reg, int size);
static inline bool reg_is_const(const struct bpf_reg *reg)
{
	return reg->type == SCALAR_VALUE && tnum_is_const(reg->var_off);
}
/* Scalar ALU transfer: dst = dst op src for BPF_ADD..BPF_ARSH, 32 or 64-bit.
 * src is a scalar. Division/modulo/bswap handled too. */
void scalar_alu(struct bpf_reg *dst, const struct bpf_reg *src, u8 opcode, bool alu32,
		s16 off);
/* Branch: is it known taken (1), not taken (0) or unknown (-1)?
 * Both registers scalars. */
int scalar_branch_taken(const struct bpf_reg *a, const struct bpf_reg *b, u8 opcode,
			bool is_jmp32);
/* Refine a (and b) assuming "a opcode b" holds. */
void scalar_branch_refine(struct bpf_reg *a, struct bpf_reg *b, u8 opcode, bool is_jmp32);
/* opcode of the negated condition / with operands swapped */
u8 flip_opcode(u8 opcode);
u8 rev_opcode(u8 opcode);

/* ---- state.c ---- */
struct vstate *vstate_alloc(void);
void vstate_free(struct vstate *st);
int vstate_copy(struct vstate *dst, const struct vstate *src);
void vstate_clear(struct vstate *st);
size_t vstate_bytes(const struct vstate *st);
void vstate_cache_drain(void);
int grow_stack(struct func_state *f, int size);
bool states_equal(struct verifier_env *env, const struct vstate *old, const struct vstate *cur,
		  bool exact);
bool slot_has_zero(const struct stack_slot *s);
void mark_stack_read(struct verifier_env *env, const struct func_state *f, int spi_lo,
		     int spi_hi);
void mark_stack_written(struct verifier_env *env, struct func_state *f, int spi);
void mark_regs_read(struct verifier_env *env, u16 regs);
void mark_regs_written(struct verifier_env *env, u32 frame, u16 regs);
void propagate_liveness(struct verifier_env *env, const struct vstate *old);
void liveness_checkpoint(struct vstate *cur, struct vstate *copy);
bool regsafe(struct verifier_env *env, const struct bpf_reg *rold, const struct bpf_reg *rcur,
	     u32 *idmap, int idn, bool exact);
struct func_state *cur_func(struct verifier_env *env);
static inline struct bpf_reg *cur_regs(struct verifier_env *env)
{
	return cur_func(env)->regs;
}

/* ---- cfg.c ---- */
int check_subprogs(struct verifier_env *env);
int check_cfg(struct verifier_env *env);
void compute_liveness(struct verifier_env *env);
void insn_use_def(struct verifier_env *env, const struct bpf_insn *insn, u16 *use, u16 *def);
int find_subprog(struct verifier_env *env, int off);

/* ---- check_mem.c ---- */
int check_mem_insn(struct verifier_env *env, int insn_idx);
int check_atomic(struct verifier_env *env, int insn_idx);
int check_ld_abs(struct verifier_env *env, const struct bpf_insn *insn);
int check_helper_mem_access(struct verifier_env *env, int regno, int access_size,
			    bool zero_size_allowed, bool write);
int check_helper_mem_write_range(struct verifier_env *env, int regno, int min_size,
				 int max_size, bool zero_size_allowed);
int check_stack_range_init(struct verifier_env *env, int regno, int off, int access_size,
			   bool write);
bool is_pointer_value(struct verifier_env *env, int regno);
int check_reg_arg_read(struct verifier_env *env, u32 regno);
void mark_reg_write(struct verifier_env *env, u32 regno);
bool type_is_pkt_pointer(u8 t);
bool stack_key_is_zero(struct verifier_env *env, const struct bpf_reg *reg, u32 size,
		       u64 *slots);

/* ---- check_alu.c ---- */
int check_alu_op(struct verifier_env *env, const struct bpf_insn *insn);
int check_cond_jmp_op(struct verifier_env *env, const struct bpf_insn *insn, int *insn_idx);
int check_ld_imm(struct verifier_env *env, const struct bpf_insn *insn);

/* ---- check_call.c ---- */
int check_helper_call(struct verifier_env *env, const struct bpf_insn *insn, int insn_idx);
int check_func_call(struct verifier_env *env, const struct bpf_insn *insn, int *insn_idx);
int prepare_func_exit(struct verifier_env *env, int *insn_idx);
const struct bpffs_helper *verifier_helper_proto(struct verifier_env *env, u32 func_id);
const struct bpffs_helper *kernel_helper_proto(u32 func_id);
void clear_all_pkt_pointers(struct verifier_env *env);
int acquire_reference(struct verifier_env *env, int insn_idx);
int release_reference(struct verifier_env *env, u32 ref_obj_id);

/* ---- precision.c ---- */
int hist_append(struct vstate *st, u32 entry);
u32 hist_entry(struct verifier_env *env);
void mark_precise_reg(struct verifier_env *env, u32 regno);
void mark_precise_slots(struct verifier_env *env, u32 frameno, u64 slots);
void propagate_precision(struct verifier_env *env, const struct vstate *old);

/* ---- verifier.c ---- */
struct vstate *push_stack(struct verifier_env *env, int insn_idx, int prev_insn_idx);
u32 new_id(struct verifier_env *env);

#endif /* BPFFS_VERIFIER_INTERNAL_H */
