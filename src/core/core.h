/* SPDX-License-Identifier: MIT */
/*
 * The public face of src/core: programs (struct bpffs_prog), the run entry,
 * the interpreter (fast and checked modes), the helper table, the structural
 * bytecode check and the assembler for the bpf_conformance text dialect.
 * Nothing here knows of FUSE or hook mechanics.
 */
#ifndef BPFFS_CORE_H
#define BPFFS_CORE_H

#include "types.h"
#include "insn.h"
#include "vlog.h"
#include "log.h"
#include "registry.h"
#include "object.h"	/* BPF objects (ELF loader) */

struct bpffs_map;
struct bpffs_prog;
struct bpffs_run_ctx;
struct bpffs_interp;

/* ---- helpers --------------------------------------------------------- */

/* Argument kinds checked by the verifier at each helper call. */
enum bpffs_arg_type {
	BPFFS_ARG_NONE = 0,		/* argument not used */
	BPFFS_ARG_ANYTHING,		/* any initialised scalar or pointer */
	BPFFS_ARG_SCALAR,		/* any initialised scalar */
	BPFFS_ARG_CONST_MAP_PTR,	/* map (LD_IMM64 map pseudo) */
	BPFFS_ARG_PTR_TO_MAP_KEY,	/* key_size readable bytes */
	BPFFS_ARG_PTR_TO_MAP_VALUE,	/* value_size readable bytes */
	BPFFS_ARG_PTR_TO_UNINIT_MAP_VALUE, /* value_size writable bytes */
	BPFFS_ARG_PTR_TO_MEM,		/* readable memory, size in next arg */
	BPFFS_ARG_PTR_TO_MEM_OR_NULL,
	BPFFS_ARG_PTR_TO_UNINIT_MEM,	/* writable memory, size in next arg */
	BPFFS_ARG_CONST_SIZE,		/* constant-bounded size > 0 */
	BPFFS_ARG_CONST_SIZE_OR_ZERO,
	BPFFS_ARG_PTR_TO_CTX,
	BPFFS_ARG_PTR_TO_FUNC,		/* callback (LD_IMM64 pseudo func) */
	BPFFS_ARG_PTR_TO_STACK_OR_NULL,
	BPFFS_ARG_PTR_TO_RINGBUF_MEM,	/* record from ringbuf_reserve (released) */
	BPFFS_ARG_CONST_ALLOC_SIZE_OR_ZERO,
	BPFFS_ARG_PTR_TO_LONG,		/* 8 writable bytes */
	BPFFS_ARG_PTR_TO_CONST_STR,	/* NUL-terminated read-only string */
	BPFFS_ARG_PTR_TO_SPIN_LOCK,
	BPFFS_ARG_PTR_TO_TIMER,
	BPFFS_ARG_PTR_TO_MAP_OR_NULL,	/* ARG_CONST_MAP_PTR or NULL */
	BPFFS_ARG_PTR_TO_SOCKET_RELEASE, /* socket from sk_lookup_*, released */
	BPFFS_ARG_PTR_TO_SOCK_COMMON,	/* socket from sk_lookup_* (not released) */
};

enum bpffs_ret_type {
	BPFFS_RET_INTEGER = 0,
	BPFFS_RET_VOID,
	BPFFS_RET_PTR_TO_MAP_VALUE_OR_NULL,
	BPFFS_RET_PTR_TO_RINGBUF_MEM_OR_NULL, /* acquires a reference */
	BPFFS_RET_PTR_TO_MAP_OR_NULL,	/* map-in-map lookup */
	BPFFS_RET_PTR_TO_SOCKET_OR_NULL, /* sk_lookup_*: acquires a reference */
};

typedef u64 (*bpffs_helper_fn)(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

struct bpffs_helper {
	u32 id;				/* BPF_FUNC_* */
	const char *name;		/* "bpf_map_lookup_elem" */
	bpffs_helper_fn fn;
	enum bpffs_ret_type ret;
	enum bpffs_arg_type arg[5];
	/* Program may call this only with a packet/skb context, etc. */
	u32 flags;
};

#define BPFFS_HELPER_MAX_ID 256

/*
 * The table by helper id, built once from helper_list.h. Entries are NULL for
 * ids not provided. Called from: anywhere; the table is read-only.
 */
const struct bpffs_helper *bpffs_helper_get(u32 id);
extern const struct bpffs_helper *const bpffs_helper_table[BPFFS_HELPER_MAX_ID];

/* ---- run context ------------------------------------------------------ */

/* A region of memory a program may legally touch (checked mode). */
struct bpffs_mem_region {
	u64 start;
	u64 size;
	bool writable;
};

#define BPFFS_MAX_REGIONS 256

typedef u64 (*bpffs_callback_call_fn)(struct bpffs_run_ctx *rc, u64 fn,
				      u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

/*
 * Per-run state, thread-local while a program runs (bpffs_run_ctx_current()).
 * Helpers that need the run (bpf_loop, tail calls, trace_printk's sink,
 * checked-mode region tracking) reach it through the thread-local pointer.
 */
struct bpffs_run_ctx {
	const struct bpffs_prog *prog;	/* program being run (after tail calls) */
	u64 ctx;			/* r1 at entry */
	/* packet bytes for LD_ABS/LD_IND and packet helpers */
	u8 *pkt_data;
	u32 pkt_len;
	u32 tail_calls;			/* tail calls taken so far */
	u32 depth;			/* frames in use, incl. callbacks */
	/* calls a callback (BPF_PSEUDO_FUNC value) in the current runtime */
	bpffs_callback_call_fn call_fn;
	void *runtime;			/* private to call_fn */
	/* checked mode */
	bool checked;
	int fault;			/* 0, or -EFAULT after a violation */
	u32 fault_insn;			/* instruction index of the violation */
	char fault_msg[160];
	u64 insns_executed;		/* counted by the checked loop only */
	u32 region_cnt;
	struct bpffs_mem_region regions[BPFFS_MAX_REGIONS];
	void *checked_state;		/* interpreter-private, checked mode */
	/* where bpf_trace_printk writes; NULL means the process-wide sink */
	void (*trace_sink)(void *arg, const char *text, size_t len);
	void *trace_arg;
};

struct bpffs_run_ctx *bpffs_run_ctx_current(void);
void bpffs_run_ctx_set_current(struct bpffs_run_ctx *rc);
/* Record a region the program may access (checked mode; no-op otherwise). */
void bpffs_run_ctx_add_region(struct bpffs_run_ctx *rc, const void *start, u64 size,
			      bool writable);

/* The thread's "CPU" slot (bpffs_cpu_slot) is defined by src/maps/maps.h. */

/*
 * Process-wide sink for bpf_trace_printk when the run context names none
 * (the filesystem's trace_pipe). @fn is called from program runs on any
 * thread and must not block.
 */
void bpffs_trace_set_sink(void (*fn)(void *arg, const char *text, size_t len), void *arg);
/* Deliver one trace message (no trailing newline needed) to the current sink. */
void bpffs_trace_emit(const char *text, size_t len);

/* ---- programs ---------------------------------------------------------- */

enum bpffs_runtime {
	BPFFS_RUNTIME_JIT = 0,		/* default: JIT, interpreter if JIT fails */
	BPFFS_RUNTIME_INTERP,
	BPFFS_RUNTIME_CHECKED,		/* interpreter, every access checked */
};

/* One source line of a program, copied from the object's BTF line info. */
struct bpffs_prog_line {
	u32 insn_off;			/* first instruction of the line */
	u32 line_num;
	char *file;			/* owned */
	char *text;			/* owned; the source line */
};

/* Native code entry; args as in the System V ABI. */
typedef u64 (*bpffs_jit_fn)(u64 r1, u64 r2);

struct bpffs_prog {
	char name[64];
	u32 type;			/* BPF_PROG_TYPE_* */
	u32 expected_attach_type;
	char section[128];
	u32 insn_cnt;
	struct bpf_insn *insns;		/* relocated bytecode, owned */
	/* maps used, referenced by LD_IMM64 src 1/2 (fd = index into this) */
	struct bpffs_map **maps;
	u32 map_cnt;
	u32 stack_depth;		/* max bytes of stack, from the verifier */
	/* From the verifier: the program may read stack bytes it has not
	 * written, so the interpreter and the JIT zero stack_depth bytes of
	 * each of its frames on entry (call, callback, tail call). */
	bool zero_stack;
	enum bpffs_runtime runtime;
	struct bpffs_interp *interp;	/* decoded form, from bpffs_prog_prepare */
	bpffs_jit_fn jited;		/* native entry, or NULL */
	void *jit_image;
	size_t jit_size;
	u32 *jit_offsets;		/* native offset of each insn (jit_size of insn_cnt+1) */
	int refcnt;
	u32 id;
	/* statistics, updated atomically */
	u64 run_cnt;
	u64 run_time_ns;
	char tag[17];			/* hex SHA-256 prefix, like the kernel's */
	char license[64];
	/* set by the load pipeline (registry.c) */
	char *verifier_log;		/* kept verifier log text, owned */
	char obj_name[256];		/* object it came from */
	u64 load_time;			/* CLOCK_REALTIME ns */
	struct bpffs_prog_line *lines;	/* source lines from BTF line info, owned */
	u32 line_cnt;
	u32 max_loops;			/* bpf_loop limit of its mount, 0: BPFFS_MAX_LOOPS */
};

/*
 * Structural check of bytecode, independent of any verifier state: valid
 * opcodes, reserved fields zero, registers in range, jump targets in range
 * and not inside LD_IMM64, LD_IMM64 well-formed, no fall-through off the end.
 * Returns 0 or -EINVAL with one log line naming the instruction index.
 */
int bpffs_insns_check(const struct bpf_insn *insns, u32 cnt, struct bpffs_vlog *log);

/*
 * Allocate a program owning a copy of @insns. Returns 0 and *out (refcount 1)
 * or -errno. Performs no checking.
 */
int bpffs_prog_alloc(const char *name, u32 type, const struct bpf_insn *insns, u32 cnt,
		     struct bpffs_prog **out);
void bpffs_prog_get(struct bpffs_prog *prog);
void bpffs_prog_put(struct bpffs_prog *prog);

/*
 * Decode the program for the interpreter (once, at load time): resolves map
 * pseudo loads to addresses and helper ids to functions. Requires a program
 * that passed bpffs_insns_check. Returns 0 or -errno + log.
 */
int bpffs_prog_prepare(struct bpffs_prog *prog, struct bpffs_vlog *log);

/*
 * Run a prepared program with r1 = @r1 and r2 = @r2 in its selected runtime.
 * @rc may be NULL (a fresh context is used). Returns r0. In checked mode a
 * violation stops the run with rc->fault = -EFAULT and the offending insn.
 * Called from: any thread; never blocks.
 */
u64 bpffs_prog_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc);

/* JIT entry (src/jit): sets up @rc like the interpreter, then calls prog->jited. */
u64 bpffs_jit_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc);

/* Interpreter entry points (prog must be prepared). */
u64 bpffs_interp_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc);
u64 bpffs_interp_run_checked(const struct bpffs_prog *prog, u64 r1, u64 r2,
			     struct bpffs_run_ctx *rc);
/* Decode prog->insns into prog->interp (called by bpffs_prog_prepare). */
int bpffs_interp_prepare(struct bpffs_prog *prog, struct bpffs_vlog *log);
void bpffs_interp_free(struct bpffs_interp *interp);

/* ---- assembler (bpf_conformance dialect) -------------------------------- */

/*
 * Assemble @text (uBPF/bpf_conformance syntax: `mov %r0, 1`, labels, `exit`)
 * into a malloc'd instruction array. Returns 0 and *insns, *cnt, or -EINVAL
 * with a log line naming the source line.
 */
int bpffs_asm(const char *text, struct bpf_insn **insns, u32 *cnt, struct bpffs_vlog *log);

/*
 * Mnemonic text of one instruction in the same dialect (for tools/tests).
 * For LD_IMM64 @insn must point to two slots. Returns the number of slots
 * consumed (1, or 2 for LD_IMM64), or -EINVAL for an encoding the dialect
 * cannot write (unknown opcode, non-zero unused field); @buf then describes
 * the raw fields. Assembling the text gives back the same bytes.
 */
int bpffs_disasm_insn(const struct bpf_insn *insn, char *buf, size_t size);

/* One bpf_conformance `.data` test file, split into its sections. */
struct bpffs_data_file {
	char *asm_text;		/* -- asm, one line per file line (others blank), or NULL */
	struct bpf_insn *raw;	/* -- raw slots (takes precedence over asm), or NULL */
	u32 raw_cnt;
	u8 *mem;		/* -- mem bytes (NULL if none or empty) */
	size_t mem_len;
	bool has_mem;
	bool has_result;
	u64 result;		/* -- result, compared with all 64 bits of r0 */
	char *error;		/* -- error's last line, "" = must fail; NULL if none */
};

/*
 * Parse @len bytes of a `.data` file. Returns 0, or -EINVAL with a log line
 * (unknown section header, bad raw/mem/result token, no program at all).
 * Release with bpffs_data_file_fini.
 */
int bpffs_data_file_parse(const char *text, size_t len, struct bpffs_data_file *df,
			  struct bpffs_vlog *log);
/* The file's program (raw slots, else the assembled asm), malloc'd. */
int bpffs_data_file_insns(const struct bpffs_data_file *df, struct bpf_insn **insns, u32 *cnt,
			  struct bpffs_vlog *log);
void bpffs_data_file_fini(struct bpffs_data_file *df);

#endif /* BPFFS_CORE_H */
