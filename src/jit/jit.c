// SPDX-License-Identifier: MIT
/*
 * The JIT driver: finds subprograms, reserves the image, runs translation
 * passes until every instruction keeps its size, then makes the image
 * read+exec (never writable and executable at once). Also the run entry and
 * the small runtime the generated code calls into (tail calls, legacy packet
 * loads, callx, callbacks for bpf_loop). Code generation is in x86_64.c.
 *
 * Pass convergence: pass 0 emits every jump in its long form. Later passes
 * size each jump from the previous pass's distances only, so sizes can only
 * shrink from pass to pass (a distance is a sum of sizes); when a pass leaves
 * every offset unchanged its output is exact and final. Each pass is linear,
 * and no table is sized by anything but the program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "jit.h"
#include "internal.h"
#include "../maps/maps.h"

#define JIT_MAX_PASSES 64

/* Provided by src/maps once PROG_ARRAY exists; tail calls fail without it. */
struct bpffs_prog *bpffs_prog_array_get(struct bpffs_map *map, u32 index) __attribute__((weak));

static bool jit_blind_on;

bool bpffs_jit_available(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

void bpffs_jit_set_blinding(bool on)
{
	__atomic_store_n(&jit_blind_on, on, __ATOMIC_RELAXED);
}

bool bpffs_jit_blinding(void)
{
	return __atomic_load_n(&jit_blind_on, __ATOMIC_RELAXED);
}

/* ---- subprograms --------------------------------------------------------- */

static int mark_start(struct jit_ctx *c, u8 *is_start, u32 i, s64 t)
{
	if (t < 0 || t >= c->prog->insn_cnt) {
		bpffs_vlog_printf(c->log, "%u: jit: call target %lld out of range\n", i, (long long)t);
		return -EINVAL;
	}
	is_start[t] = 1;
	return 0;
}

static void mark_jump_target(struct jit_ctx *c, u32 i, const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
	s64 t;

	if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
		return;
	t = (s64)i + 1 + (insn->code == (BPF_JMP32 | BPF_JA) ? insn->imm : insn->off);
	if (t >= 0 && t < c->prog->insn_cnt)
		c->is_target[t] = 1;
}

/* Subprogram starts: insn 0, local call targets, BPF_PSEUDO_FUNC targets. */
static int find_subprogs(struct jit_ctx *c)
{
	const struct bpf_insn *insns = c->prog->insns;
	u32 n = c->prog->insn_cnt, s = 0;
	u8 *is_start = calloc(n, 1);
	int err = 0;

	if (!is_start)
		return -ENOMEM;
	is_start[0] = 1;
	for (u32 i = 0; i < n && !err; i++) {
		const struct bpf_insn *insn = &insns[i];

		mark_jump_target(c, i, insn);
		if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL)
			err = mark_start(c, is_start, i, (s64)i + 1 + insn->imm);
		else if (bpffs_insn_is_wide(insn) && insn->src_reg == BPF_PSEUDO_FUNC)
			err = mark_start(c, is_start, i, (s64)i + 1 + insn->imm);
		if (bpffs_insn_is_wide(insn))
			i++;
	}
	for (u32 i = 0; i < n; i++)
		c->sub_cnt += is_start[i];
	c->subs = err ? NULL : calloc(c->sub_cnt, sizeof(*c->subs));
	if (!err && !c->subs)
		err = -ENOMEM;
	for (u32 i = 0; i < n && !err; i++) {
		if (is_start[i]) {
			if (i)
				c->subs[s - 1].end = i;
			c->subs[s++].start = i;
		}
		c->sub_of[i] = s - 1;
	}
	if (!err)
		c->subs[s - 1].end = n;
	free(is_start);
	return err;
}

/* ---- image memory -------------------------------------------------------- */

static size_t page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static size_t round_page(size_t n)
{
	return (n + page_size() - 1) & ~(page_size() - 1);
}

/*
 * Reserve @size bytes read+write, preferably within rel32 reach of our own
 * text (helpers are called with a 5-byte call then): images go downwards
 * from 64 MiB below the executable, wrapping around after 1 GiB; a hint
 * that is taken falls back to anywhere (far calls, still correct).
 */
static void *image_reserve(size_t size)
{
	static uintptr_t cursor;
	const uintptr_t text = (uintptr_t)&bpffs_jit_compile;
	const uintptr_t top = (text & ~(((uintptr_t)1 << 21) - 1)) - (64u << 20);
	void *p;

	for (int tries = 0; tries < 4 && top > (1u << 30) + size; tries++) {
		uintptr_t cur = __atomic_load_n(&cursor, __ATOMIC_RELAXED), hint;

		if (!cur || top - cur > (1u << 30))
			cur = top;
		hint = cur - size;
		__atomic_store_n(&cursor, hint, __ATOMIC_RELAXED);
		p = mmap((void *)hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (p == (void *)hint)
			return p;
		if (p != MAP_FAILED)
			munmap(p, size);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Calls to our own code need movabs when the image is out of rel32 reach. */
static bool image_far(const u8 *image, size_t size)
{
	s64 lo = (s64)(uintptr_t)image - (s64)(uintptr_t)&bpffs_jit_compile;
	s64 hi = lo + (s64)size;
	const s64 margin = 256 << 20;	/* helpers live elsewhere in the same text */

	return !(jit_is_s32(lo - margin) && jit_is_s32(lo + margin) &&
		 jit_is_s32(hi - margin) && jit_is_s32(hi + margin));
}

/* ---- passes -------------------------------------------------------------- */

static int jit_pass(struct jit_ctx *c)
{
	u32 n = c->prog->insn_cnt;

	c->len = 0;
	c->err = 0;
	for (u32 s = 0; s < c->sub_cnt && !c->err; s++) {
		const struct jit_subprog *sub = &c->subs[s];

		jit_emit_prologue(c, sub);
		for (u32 i = sub->start; i < sub->end && !c->err;) {
			size_t start = c->len;
			int k;

			c->addrs[i] = (u32)c->len;
			k = jit_emit_insn(c, i);
			c->ends[i] = (u32)c->len;
			for (int j = 1; j < k; j++) {	/* LD_IMM64 2nd slot, fused insns */
				c->addrs[i + j] = (u32)c->len;
				c->ends[i + j] = (u32)c->len;
			}
			if (c->len - start > JIT_MAX_INSN_BYTES && !c->err) {
				bpffs_vlog_printf(c->log, "%u: jit: instruction too long\n", i);
				c->err = -EFAULT;
			}
			i += k;
		}
	}
	c->addrs[n] = (u32)c->len;
	c->ends[n] = (u32)c->len;
	return c->err;
}

static bool pass_stable(const struct jit_ctx *c)
{
	size_t sz = (c->prog->insn_cnt + 1) * sizeof(u32);

	return !memcmp(c->addrs, c->prev, sz) && !memcmp(c->ends, c->prev_ends, sz);
}

static void swap_passes(struct jit_ctx *c)
{
	u32 *t = c->prev;

	c->prev = c->addrs;
	c->addrs = t;
	t = c->prev_ends;
	c->prev_ends = c->ends;
	c->ends = t;
}

static int run_passes(struct jit_ctx *c)
{
	int err;

	c->force_near = true;
	err = jit_pass(c);
	c->force_near = false;
	for (int pass = 1; !err; pass++) {
		swap_passes(c);
		err = jit_pass(c);
		if (!err && pass_stable(c))
			return 0;
		if (pass >= JIT_MAX_PASSES) {
			bpffs_vlog_printf(c->log, "jit: code size did not converge\n");
			return -EFAULT;
		}
	}
	return err;
}

static int ctx_init(struct jit_ctx *c, const struct bpffs_prog *prog, struct bpffs_vlog *log)
{
	size_t n = prog->insn_cnt + 1;

	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->log = log;
	c->addrs = calloc(n, sizeof(u32));
	c->ends = calloc(n, sizeof(u32));
	c->prev = calloc(n, sizeof(u32));
	c->prev_ends = calloc(n, sizeof(u32));
	c->sub_of = calloc(n, sizeof(u32));
	c->is_target = calloc(n, 1);
	if (!c->addrs || !c->ends || !c->prev || !c->prev_ends || !c->sub_of || !c->is_target)
		return -ENOMEM;
	return find_subprogs(c);
}

static void ctx_fini(struct jit_ctx *c)
{
	free(c->addrs);
	free(c->ends);
	free(c->prev);
	free(c->prev_ends);
	free(c->sub_of);
	free(c->is_target);
	free(c->subs);
}

int jit_prologue_map(const struct bpffs_prog *prog, u8 **out)
{
	struct jit_ctx c;
	int err = ctx_init(&c, prog, NULL);

	*out = err ? NULL : calloc(prog->insn_cnt, 1);
	if (!err && !*out)
		err = -ENOMEM;
	if (!err) {
		jit_layout_subprogs(&c);
		for (u32 s = 0; s < c.sub_cnt; s++)
			(*out)[c.subs[s].start] = c.subs[s].prologue_len + 1;
	}
	ctx_fini(&c);
	return err;
}

/* Trim the reservation to the code, make it read+exec, publish it. */
static int image_finish(struct jit_ctx *c, struct bpffs_prog *prog)
{
	size_t used = round_page(c->len);

	if (used < c->cap)
		munmap(c->buf + used, c->cap - used);
	c->cap = used;
	__builtin___clear_cache((char *)c->buf, (char *)c->buf + c->len);
	if (mprotect(c->buf, used, PROT_READ | PROT_EXEC))
		return -errno;
	prog->jit_offsets = malloc((prog->insn_cnt + 1) * sizeof(u32));
	if (!prog->jit_offsets)
		return -ENOMEM;
	memcpy(prog->jit_offsets, c->addrs, (prog->insn_cnt + 1) * sizeof(u32));
	prog->jit_image = c->buf;
	prog->jit_size = c->len;
	prog->jited = (bpffs_jit_fn)(uintptr_t)c->buf;
	return 0;
}

int bpffs_jit_compile(struct bpffs_prog *prog, struct bpffs_vlog *log)
{
	struct jit_ctx c;
	int err;

	if (!bpffs_jit_available())
		return -EOPNOTSUPP;
	if (!prog->insn_cnt)
		return -EINVAL;
	if (prog->jit_image)
		bpffs_jit_free(prog);	/* recompiling (e.g. blinding changed) */
	err = ctx_init(&c, prog, log);
	if (err)
		goto err_free_ctx;
	jit_layout_subprogs(&c);
	c.cap = round_page((size_t)prog->insn_cnt * JIT_MAX_INSN_BYTES +
			   (size_t)c.sub_cnt * JIT_MAX_PROLOGUE_BYTES + 64);
	c.buf = image_reserve(c.cap);
	if (!c.buf) {
		err = -ENOMEM;
		goto err_free_ctx;
	}
	c.far_calls = image_far(c.buf, c.cap);
	c.blind = bpffs_jit_blinding();
	if (c.blind && getrandom(&c.blind_key, sizeof(c.blind_key), 0) != sizeof(c.blind_key))
		c.blind_key = 0x5a17c3e9d2b4f681ull ^ (u64)(uintptr_t)c.buf;
	err = run_passes(&c);
	if (!err)
		err = image_finish(&c, prog);
	if (err)
		goto err_unmap;
	ctx_fini(&c);
	return 0;
err_unmap:
	munmap(c.buf, c.cap);
	prog->jited = NULL;
	prog->jit_image = NULL;
	prog->jit_size = 0;
	free(prog->jit_offsets);
	prog->jit_offsets = NULL;
err_free_ctx:
	ctx_fini(&c);
	return err;
}

void bpffs_jit_free(struct bpffs_prog *prog)
{
	if (prog->jit_image)
		munmap(prog->jit_image, round_page(prog->jit_size));
	free(prog->jit_offsets);
	prog->jit_image = NULL;
	prog->jit_offsets = NULL;
	prog->jited = NULL;
	prog->jit_size = 0;
}

/* ---- runtime called by generated code ------------------------------------- */

typedef u64 (*jit_cb_fn)(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

/* rc->call_fn: a callback value is a subprogram's native entry. */
static u64 jit_call_fn(struct bpffs_run_ctx *rc, u64 fn, u64 r1, u64 r2, u64 r3, u64 r4,
		       u64 r5)
{
	u64 ret;

	if (rc->depth + 1 >= BPFFS_MAX_CALL_FRAMES)
		return 0;
	rc->depth++;
	ret = ((jit_cb_fn)(uintptr_t)fn)(r1, r2, r3, r4, r5);
	rc->depth--;
	return ret;
}

u64 bpffs_jit_run(const struct bpffs_prog *prog, u64 r1, u64 r2, struct bpffs_run_ctx *rc)
{
	struct bpffs_run_ctx local, *prev = bpffs_run_ctx_current();
	u64 ret;

	if (!rc) {
		memset(&local, 0, sizeof(local));
		rc = &local;
	}
	rc->prog = prog;
	if (!rc->ctx)
		rc->ctx = r1;
	rc->call_fn = jit_call_fn;
	rc->runtime = NULL;
	bpffs_run_ctx_set_current(rc);
	ret = prog->jited(r1, r2);
	bpffs_run_ctx_set_current(prev);
	return ret;
}

struct jit_ret2 bpffs_jit_ld_pkt(u64 src, s32 imm, u32 size)
{
	struct bpffs_run_ctx *rc = bpffs_run_ctx_current();
	u64 o = (u32)(src + (u64)(s64)imm);
	const u8 *p;

	if (!rc || !rc->pkt_data || o + size > rc->pkt_len)
		return (struct jit_ret2){ 0, 0 };
	p = rc->pkt_data + o;
	if (size == 1)
		return (struct jit_ret2){ p[0], 1 };
	if (size == 2)
		return (struct jit_ret2){ (u64)p[0] << 8 | p[1], 1 };
	return (struct jit_ret2){ (u64)p[0] << 24 | (u64)p[1] << 16 | (u64)p[2] << 8 | p[3], 1 };
}

struct jit_ret2 bpffs_jit_callx(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, u64 id)
{
	const struct bpffs_helper *h = id < BPFFS_HELPER_MAX_ID ? bpffs_helper_table[id] : NULL;

	if (!h || !h->fn)
		return (struct jit_ret2){ 0, 0 };
	return (struct jit_ret2){ h->fn(r1, r2, r3, r4, r5), 1 };
}

/* Entered by `jmp` from a tail call into a program that has no native image. */
static u64 jit_tail_interp(u64 r1, u64 r2)
{
	struct bpffs_run_ctx *rc = bpffs_run_ctx_current();
	u64 ret = bpffs_interp_run(rc->prog, r1, r2, rc);

	/* the interpreter leaves its own call_fn behind; restore ours */
	rc->call_fn = jit_call_fn;
	bpffs_run_ctx_set_current(rc);
	return ret;
}

u64 bpffs_jit_tail_call(u64 ctx, struct bpffs_map *map, u64 index)
{
	struct bpffs_run_ctx *rc = bpffs_run_ctx_current();
	struct bpffs_prog *next = NULL;

	if (rc && rc->tail_calls < BPFFS_MAX_TAIL_CALLS && bpffs_prog_array_get)
		next = bpffs_prog_array_get(map, (u32)index);
	if (!next || (!next->jited && !next->interp))
		return 0;
	rc->tail_calls++;
	rc->prog = next;
	if (next->jited && next->runtime == BPFFS_RUNTIME_JIT)
		return (u64)(uintptr_t)next->jited;
	return (u64)(uintptr_t)jit_tail_interp;
}
