/* SPDX-License-Identifier: MIT */
/*
 * The x86-64 JIT: compiles a relocated, verified program into native code
 * (prog->jited), runs it, and shows it disassembled. A JIT failure is never
 * fatal: bpffs_prog_prepare falls back to the interpreter. Other modules
 * include only this header.
 */
#ifndef BPFFS_JIT_H
#define BPFFS_JIT_H

#include "../core/core.h"

/* True when this build and machine can run JIT code (x86-64). */
bool bpffs_jit_available(void);

/*
 * Compile @prog (relocated bytecode that passed bpffs_insns_check and the
 * verifier; LD_IMM64 map pseudos index prog->maps). Fills prog->jited,
 * jit_image, jit_size and jit_offsets (native offset of each insn, plus the
 * end; a subprogram's first insn starts after its prologue; the second slot
 * of an LD_IMM64, and the second insn of a fused pair, map to the end of the
 * first). Recompiling frees the previous image. The image is mapped read+exec only after it is written (W^X).
 * Returns 0 or -errno with one log line naming the instruction.
 * Called from: load path (any thread). Compile time is linear in insn_cnt.
 */
int bpffs_jit_compile(struct bpffs_prog *prog, struct bpffs_vlog *log);

/* Release the native image; the program must no longer be running anywhere. */
void bpffs_jit_free(struct bpffs_prog *prog);

/*
 * Run the native image with r1, r2 (the JIT counterpart of bpffs_interp_run):
 * sets up @rc (a fresh one when NULL) as the thread's current run context,
 * with call_fn calling native callbacks. Called from: any thread; never blocks.
 */
u64 bpffs_jit_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc);

/*
 * Constant blinding of immediates wider than 8 bits (off by default), for
 * programs compiled after the call; the filesystem sets it from a mount option.
 */
void bpffs_jit_set_blinding(bool on);
bool bpffs_jit_blinding(void);

/*
 * Disassembly of the native image (capstone, Intel syntax) in the style of
 * `bpftool prog dump jited`: each BPF instruction as a comment line followed
 * by its native instructions with their offsets. Returns 0 and a malloc'd
 * NUL-terminated *text, -ENOENT when the program has no image, -ENOMEM.
 */
int bpffs_jit_dump(const struct bpffs_prog *prog, char **text);

#endif /* BPFFS_JIT_H */
