/* SPDX-License-Identifier: MIT */
/*
 * The interpreter's execution loop, a template included twice by interp.c:
 * INTERP_CHECKED 0 gives the fast loop, 1 the checked loop in which every
 * memory access and every helper's memory arguments are checked against the
 * regions the program may touch (and stack reads against initialised bytes).
 *
 * Dispatch is direct threading: each decoded slot holds the address of its
 * handler (computed goto), generated from the one opcode list in opcodes.h.
 * Registers live in a local array; the stack of every frame is carved out of
 * one buffer on the C stack. No bounds checks beyond what the ISA requires:
 * safety is the verifier's job (and the checked loop's, in tests).
 */

#if INTERP_CHECKED
#define CHK_ACCESS(addr, size, write)                                            \
	do {                                                                     \
		if (!bpffs_checked_access(rc, (u64)(addr), (size), (write), pc)) \
			return 0;                                                \
	} while (0)
#define CHK_CLOBBER()                                                            \
	do {                                                                     \
		/* poison caller-saved registers: a read after a call is a bug */ \
		reg[1] = reg[2] = reg[3] = reg[4] = reg[5] = 0xdeadbeefbad0ca11ULL; \
	} while (0)
#else
#define CHK_ACCESS(addr, size, write) do { } while (0)
#define CHK_CLOBBER() do { } while (0)
#endif

#if INTERP_CHECKED
/* the checked loop also counts executed instructions (benchmarks, fuzzers) */
#define DISPATCH() do { rc->insns_executed++; goto *pc->op; } while (0)
#else
#define DISPATCH() goto *pc->op
#endif

typedef u16 __attribute__((aligned(1), may_alias)) interp_u16;
typedef u32 __attribute__((aligned(1), may_alias)) interp_u32;
typedef u64 __attribute__((aligned(1), may_alias)) interp_u64;

u64 INTERP_FN(const union bpffs_dslot *start, const u64 *args, struct bpffs_run_ctx *rc)
{
	static const void *const handlers[] = {
#define OP(name) &&do_##name,
		BPFFS_OPCODE_LIST
#undef OP
	};
	struct interp_run *run;
	const union bpffs_dslot *pc;
	struct {
		const union bpffs_dslot *ret;
		u64 saved[4];	/* r6..r9 of the caller */
	} frames[BPFFS_MAX_CALL_FRAMES];
	u32 depth = 0;
	u64 reg[BPFFS_MAX_REG];
	u8 stack[INTERP_STACK_BYTES] __attribute__((aligned(16)));
#if INTERP_CHECKED
	u8 shadow[INTERP_STACK_BYTES];
	struct interp_checked_state *cs;
#endif

	if (unlikely(!start))
		return (u64)(uintptr_t)handlers;
	run = rc->runtime;
	reg[0] = 0;
	reg[1] = args[0];
	reg[2] = args[1];
	reg[3] = args[2];
	reg[4] = args[3];
	reg[5] = args[4];
	reg[6] = reg[7] = reg[8] = reg[9] = 0;
	reg[10] = (u64)(uintptr_t)(stack + INTERP_STACK_BYTES);
	/*
	 * A program the verifier let read stack it had not written
	 * (prog->zero_stack) gets every frame zeroed on entry: the stack_depth
	 * bytes below its fp. Others pay nothing. In the checked loop the
	 * zeroed bytes count as initialised.
	 */
#if INTERP_CHECKED
#define ZERO_FRAME(p)                                                              \
	do {                                                                       \
		if (unlikely((p)->zero_stack)) {                                   \
			u8 *fp_ = (u8 *)(uintptr_t)reg[10];                        \
			memset(fp_ - (p)->stack_depth, 0, (p)->stack_depth);       \
			memset(shadow + (fp_ - stack) - (p)->stack_depth, 1,       \
			       (p)->stack_depth);                                  \
		}                                                                  \
	} while (0)
#else
#define ZERO_FRAME(p)                                                              \
	do {                                                                       \
		if (unlikely((p)->zero_stack))                                     \
			memset((u8 *)(uintptr_t)reg[10] - (p)->stack_depth, 0,     \
			       (p)->stack_depth);                                  \
	} while (0)
#endif
#if INTERP_CHECKED
	memset(shadow, 0, sizeof(shadow));
	cs = rc->checked_state;
	if (cs->nstacks >= BPFFS_ARRAY_SIZE(cs->stacks)) {
		bpffs_checked_fault(rc, start, "too many nested program frames");
		return 0;
	}
	cs->stacks[cs->nstacks++] = (struct interp_stack){
		.lo = stack + INTERP_STACK_BYTES - BPFFS_STACK_SIZE,
		.hi = stack + INTERP_STACK_BYTES,
		.shadow = shadow,
	};
/* a callee's frame is fresh: nothing in it is initialised yet */
#define CHK_STACK_GROW()                                                           \
	do {                                                                       \
		cs->stacks[cs->nstacks - 1].lo -= BPFFS_STACK_SIZE;                \
		memset(shadow + ((u8 *)(uintptr_t)reg[10] - stack) - BPFFS_STACK_SIZE, 0, \
		       BPFFS_STACK_SIZE);                                          \
	} while (0)
#define CHK_STACK_SHRINK() (cs->stacks[cs->nstacks - 1].lo += BPFFS_STACK_SIZE)
#define CHK_STACK_POP() (cs->nstacks--)
#else
#define CHK_STACK_GROW() do { } while (0)
#define CHK_STACK_SHRINK() do { } while (0)
#define CHK_STACK_POP() do { } while (0)
#endif
	ZERO_FRAME(run->prog);
	pc = start;
	DISPATCH();

#define NEXT() do { ++pc; DISPATCH(); } while (0)
#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM64 ((u64)(s64)pc->imm)
#define IMM32 ((u32)pc->imm)

	/* ---- ALU: one macro per shape, instantiated for K and X ---- */
#define ALU_PAIR(name, expr64, expr32)                                            \
	do_##name##64_K: { u64 s = IMM64; (void)s; DST = (expr64); NEXT(); }       \
	do_##name##64_X: { u64 s = SRC; (void)s; DST = (expr64); NEXT(); }         \
	do_##name##32_K: { u32 s = IMM32; (void)s; DST = (u32)(expr32); NEXT(); }  \
	do_##name##32_X: { u32 s = (u32)SRC; (void)s; DST = (u32)(expr32); NEXT(); }

	ALU_PAIR(ADD, DST + s, (u32)DST + s)
	ALU_PAIR(SUB, DST - s, (u32)DST - s)
	ALU_PAIR(MUL, DST * s, (u32)DST * s)
	ALU_PAIR(OR, DST | s, (u32)DST | s)
	ALU_PAIR(AND, DST & s, (u32)DST & s)
	ALU_PAIR(XOR, DST ^ s, (u32)DST ^ s)
	ALU_PAIR(MOV, s, s)
	ALU_PAIR(LSH, DST << (s & 63), (u32)DST << (s & 31))
	ALU_PAIR(RSH, DST >> (s & 63), (u32)DST >> (s & 31))
	ALU_PAIR(ARSH, (u64)((s64)DST >> (s & 63)), (u32)((s32)(u32)DST >> (s & 31)))
	/* division by zero: DIV gives 0, MOD leaves dst (zero-extended for 32-bit) */
	ALU_PAIR(DIV, s ? DST / s : 0, s ? (u32)DST / s : 0)
	ALU_PAIR(MOD, s ? DST % s : DST, s ? (u32)DST % s : (u32)DST)
	/* signed: INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0, without trapping */
	ALU_PAIR(SDIV, !s ? 0 : (s64)s == -1 ? -DST : (u64)((s64)DST / (s64)s),
		 !s ? 0 : (s32)s == -1 ? -(u32)DST : (u32)((s32)(u32)DST / (s32)s))
	ALU_PAIR(SMOD, !s ? DST : (s64)s == -1 ? 0 : (u64)((s64)DST % (s64)s),
		 !s ? (u32)DST : (s32)s == -1 ? 0 : (u32)((s32)(u32)DST % (s32)s))

do_NEG64: DST = -DST; NEXT();
do_NEG32: DST = (u32)-(u32)DST; NEXT();
do_MOVSX64_8: DST = (u64)(s64)(s8)SRC; NEXT();
do_MOVSX64_16: DST = (u64)(s64)(s16)SRC; NEXT();
do_MOVSX64_32: DST = (u64)(s64)(s32)SRC; NEXT();
do_MOVSX32_8: DST = (u32)(s32)(s8)SRC; NEXT();
do_MOVSX32_16: DST = (u32)(s32)(s16)SRC; NEXT();
do_LE16: DST = (u16)DST; NEXT();
do_LE32: DST = (u32)DST; NEXT();
do_LE64: NEXT();
do_BE16:
do_BSWAP16: DST = __builtin_bswap16((u16)DST); NEXT();
do_BE32:
do_BSWAP32: DST = __builtin_bswap32((u32)DST); NEXT();
do_BE64:
do_BSWAP64: DST = __builtin_bswap64(DST); NEXT();

	/* ---- jumps ---- */
do_JA: pc += pc->off; NEXT();
do_JA32: pc += pc->imm; NEXT();
#define JMP_PAIR(name, op, t64, t32)                                              \
	do_##name##_K: if ((t64)DST op (t64)IMM64) pc += pc->off; NEXT();         \
	do_##name##_X: if ((t64)DST op (t64)SRC) pc += pc->off; NEXT();           \
	do_##name##32_K: if ((t32)DST op (t32)IMM32) pc += pc->off; NEXT();       \
	do_##name##32_X: if ((t32)DST op (t32)SRC) pc += pc->off; NEXT();
	JMP_PAIR(JEQ, ==, u64, u32)
	JMP_PAIR(JNE, !=, u64, u32)
	JMP_PAIR(JGT, >, u64, u32)
	JMP_PAIR(JGE, >=, u64, u32)
	JMP_PAIR(JLT, <, u64, u32)
	JMP_PAIR(JLE, <=, u64, u32)
	JMP_PAIR(JSGT, >, s64, s32)
	JMP_PAIR(JSGE, >=, s64, s32)
	JMP_PAIR(JSLT, <, s64, s32)
	JMP_PAIR(JSLE, <=, s64, s32)
do_JSET_K: if (DST & IMM64) pc += pc->off; NEXT();
do_JSET_X: if (DST & SRC) pc += pc->off; NEXT();
do_JSET32_K: if ((u32)DST & IMM32) pc += pc->off; NEXT();
do_JSET32_X: if ((u32)DST & (u32)SRC) pc += pc->off; NEXT();

	/* ---- calls ---- */
do_CALL_HELPER: {
		const struct bpffs_helper *h = bpffs_helper_table[(u32)pc->imm];
#if INTERP_CHECKED
		if (!bpffs_checked_helper_args(rc, h, reg, pc))
			return 0;
#endif
		reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5]);
#if INTERP_CHECKED
		if (rc->fault)
			return 0;
#endif
		CHK_CLOBBER();
		NEXT();
	}
do_CALLX: {
		/* callx extension: the register holds a helper id, not an address */
		u64 id = DST;
		const struct bpffs_helper *h = id < BPFFS_HELPER_MAX_ID ? bpffs_helper_table[id] : NULL;

		if (unlikely(!h)) {
#if INTERP_CHECKED
			bpffs_checked_fault(rc, pc, "callx to unknown helper id %llu",
					    (unsigned long long)id);
#endif
			return 0;
		}
		reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5]);
		CHK_CLOBBER();
		NEXT();
	}
do_CALL_LOCAL:
	if (unlikely(depth + 1 >= BPFFS_MAX_CALL_FRAMES)) {
#if INTERP_CHECKED
		bpffs_checked_fault(rc, pc, "call stack deeper than %d frames",
				    BPFFS_MAX_CALL_FRAMES);
#endif
		return 0;
	}
	frames[depth].ret = pc;
	frames[depth].saved[0] = reg[6];
	frames[depth].saved[1] = reg[7];
	frames[depth].saved[2] = reg[8];
	frames[depth].saved[3] = reg[9];
	depth++;
	reg[10] -= BPFFS_STACK_SIZE;
	CHK_STACK_GROW();
	ZERO_FRAME(run->prog);
	pc += pc->imm;
	NEXT();
do_TAIL_CALL: {
		struct bpffs_prog *next = NULL;

		if (rc->tail_calls < BPFFS_MAX_TAIL_CALLS && bpffs_prog_array_get)
			next = bpffs_prog_array_get((struct bpffs_map *)(uintptr_t)reg[2],
						    (u32)reg[3]);
		if (!next || !next->interp) {
			CHK_CLOBBER();
			NEXT();	/* a failed tail call falls through */
		}
		rc->tail_calls++;
		rc->prog = next;
		run->prog = next;
		run->base = INTERP_CHECKED ? next->interp->checked : next->interp->fast;
		ZERO_FRAME(next);
#if INTERP_CHECKED
		bpffs_checked_add_prog_regions(rc, next);
#endif
		pc = run->base;
		DISPATCH();
	}
do_EXIT:
	if (likely(depth == 0)) {
		CHK_STACK_POP();
		return reg[0];
	}
	depth--;
	reg[6] = frames[depth].saved[0];
	reg[7] = frames[depth].saved[1];
	reg[8] = frames[depth].saved[2];
	reg[9] = frames[depth].saved[3];
	reg[10] += BPFFS_STACK_SIZE;
	CHK_STACK_SHRINK();
	pc = frames[depth].ret;
	NEXT();

	/* ---- loads and stores ---- */
do_LD_IMM64: DST = pc[1].imm64; pc++; NEXT();
#define LD_PKT(name, size, conv, offexpr)                                         \
	do_##name: {                                                              \
		u64 o = (offexpr);                                                \
		if (unlikely(o + size > rc->pkt_len || o + size < o)) {           \
			CHK_STACK_POP();                                          \
			return 0; /* out of bounds ends the program, like Linux */ \
		}                                                                 \
		reg[0] = conv;                                                    \
		CHK_CLOBBER();                                                    \
		NEXT();                                                           \
	}
	LD_PKT(LD_ABS_B, 1, rc->pkt_data[o], (u64)(u32)pc->imm)
	LD_PKT(LD_ABS_H, 2, __builtin_bswap16(*(interp_u16 *)(rc->pkt_data + o)), (u64)(u32)pc->imm)
	LD_PKT(LD_ABS_W, 4, __builtin_bswap32(*(interp_u32 *)(rc->pkt_data + o)), (u64)(u32)pc->imm)
	LD_PKT(LD_IND_B, 1, rc->pkt_data[o], (u64)(u32)(SRC + pc->imm))
	LD_PKT(LD_IND_H, 2, __builtin_bswap16(*(interp_u16 *)(rc->pkt_data + o)), (u64)(u32)(SRC + pc->imm))
	LD_PKT(LD_IND_W, 4, __builtin_bswap32(*(interp_u32 *)(rc->pkt_data + o)), (u64)(u32)(SRC + pc->imm))

#define ADDR(r) ((r) + (u64)(s64)pc->off)
#define LDX(name, type, size)                                                     \
	do_##name: {                                                              \
		u64 a = ADDR(SRC);                                                \
		CHK_ACCESS(a, size, false);                                       \
		DST = (u64)*(type *)(uintptr_t)a;                                 \
		NEXT();                                                           \
	}
	LDX(LDX_B, u8, 1)
	LDX(LDX_H, interp_u16, 2)
	LDX(LDX_W, interp_u32, 4)
	LDX(LDX_DW, interp_u64, 8)
	/* sign-extending loads: cast through the signed type of the width */
do_LDXS_B: { u64 a = ADDR(SRC); CHK_ACCESS(a, 1, false); DST = (u64)(s64)*(s8 *)(uintptr_t)a; NEXT(); }
do_LDXS_H: { u64 a = ADDR(SRC); CHK_ACCESS(a, 2, false); DST = (u64)(s64)(s16)*(interp_u16 *)(uintptr_t)a; NEXT(); }
do_LDXS_W: { u64 a = ADDR(SRC); CHK_ACCESS(a, 4, false); DST = (u64)(s64)(s32)*(interp_u32 *)(uintptr_t)a; NEXT(); }

#define STORE(name, type, size, val)                                              \
	do_##name: {                                                              \
		u64 a = ADDR(DST);                                                \
		CHK_ACCESS(a, size, true);                                        \
		*(type *)(uintptr_t)a = (type)(val);                              \
		NEXT();                                                           \
	}
	STORE(ST_B, u8, 1, pc->imm)
	STORE(ST_H, interp_u16, 2, pc->imm)
	STORE(ST_W, interp_u32, 4, pc->imm)
	STORE(ST_DW, interp_u64, 8, IMM64)
	STORE(STX_B, u8, 1, SRC)
	STORE(STX_H, interp_u16, 2, SRC)
	STORE(STX_W, interp_u32, 4, SRC)
	STORE(STX_DW, interp_u64, 8, SRC)

	/* ---- atomics: sequentially consistent, like the kernel's lock-prefixed ops ---- */
#define ATOMIC_OPS(W, T)                                                          \
	do_ATOMIC##W##_ADD: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		__atomic_fetch_add(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }        \
	do_ATOMIC##W##_OR: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		__atomic_fetch_or(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }         \
	do_ATOMIC##W##_AND: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		__atomic_fetch_and(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }        \
	do_ATOMIC##W##_XOR: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		__atomic_fetch_xor(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }        \
	do_ATOMIC##W##_FADD: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		SRC = __atomic_fetch_add(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }  \
	do_ATOMIC##W##_FOR: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		SRC = __atomic_fetch_or(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }   \
	do_ATOMIC##W##_FAND: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		SRC = __atomic_fetch_and(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }  \
	do_ATOMIC##W##_FXOR: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		SRC = __atomic_fetch_xor(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); }  \
	do_ATOMIC##W##_XCHG: { T *p = (T *)(uintptr_t)ADDR(DST); CHK_ACCESS(p, sizeof(T), true); \
		SRC = __atomic_exchange_n(p, (T)SRC, __ATOMIC_SEQ_CST); NEXT(); } \
	do_ATOMIC##W##_CMPXCHG: { T *p = (T *)(uintptr_t)ADDR(DST); T expected = (T)reg[0]; \
		CHK_ACCESS(p, sizeof(T), true);                                   \
		__atomic_compare_exchange_n(p, &expected, (T)SRC, false, __ATOMIC_SEQ_CST, \
					    __ATOMIC_SEQ_CST);                    \
		reg[0] = expected; NEXT(); }
	ATOMIC_OPS(32, u32)
	ATOMIC_OPS(64, u64)
}

#undef CHK_ACCESS
#undef CHK_CLOBBER
#undef CHK_STACK_GROW
#undef CHK_STACK_SHRINK
#undef CHK_STACK_POP
#undef ZERO_FRAME
#undef NEXT
#undef DISPATCH
#undef DST
#undef SRC
#undef IMM64
#undef IMM32
#undef ALU_PAIR
#undef JMP_PAIR
#undef LD_PKT
#undef ADDR
#undef LDX
#undef STORE
#undef ATOMIC_OPS
