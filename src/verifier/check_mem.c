// SPDX-License-Identifier: MIT
/*
 * Memory access checks: loads and stores through every pointer kind (context,
 * stack, map value, packet, sized memory), stack spills and fills that keep a
 * register's type, atomics, legacy LD_ABS/LD_IND, and the "this register
 * points to N readable/writable bytes" check used for helper arguments.
 * check_* functions may fail with a log line; on success they update the
 * destination register / stack slots.
 */
#include <string.h>
#include "internal.h"
#include "maps/maps.h"

bool type_is_pkt_pointer(u8 t)
{
	return t == PTR_TO_PACKET || t == PTR_TO_PACKET_META;
}

bool is_pointer_value(struct verifier_env *env, int regno)
{
	return cur_regs(env)[regno].type != SCALAR_VALUE;
}

int check_reg_arg_read(struct verifier_env *env, u32 regno)
{
	if (regno >= MAX_BPF_REG) {
		verbose(env, "R%u is invalid\n", regno);
		return -EINVAL;
	}
	if (cur_regs(env)[regno].type == NOT_INIT) {
		verbose(env, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	return 0;
}

void mark_reg_write(struct verifier_env *env, u32 regno)
{
	reg_mark_unknown(&cur_regs(env)[regno]);
}

static int size_bytes(int bpf_size)
{
	switch (bpf_size) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	case BPF_DW: return 8;
	}
	return -1;
}

/* region [0, size): access at off (fixed) + var part of reg */
static int check_region(struct verifier_env *env, u32 regno, const struct bpf_reg *reg, int off,
			int size, u32 mem_size, const char *kind, bool zero_ok)
{
	s64 lo, hi;

	if (reg->smin_value < 0 &&
	    (reg->smin_value == INT64_MIN || reg->smin_value + off < 0)) {
		verbose(env, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
			regno);
		return -EACCES;
	}
	lo = (s64)off + reg->smin_value;
	if (lo < 0 || (size == 0 && !zero_ok) || lo + size > (s64)mem_size)
		goto bad;
	if (reg->umax_value >= BPF_MAX_VAR_OFF) {
		verbose(env, "R%u unbounded memory access, make sure to bounds check any such access\n",
			regno);
		return -EACCES;
	}
	hi = (s64)off + (s64)reg->umax_value;
	if (hi < 0 || hi + size > (s64)mem_size) {
		lo = hi;
		goto bad;
	}
	return 0;
bad:
	if (!strcmp(kind, "map value"))
		verbose(env, "invalid access to map value, value_size=%u off=%lld size=%d\n",
			mem_size, (long long)lo, size);
	else
		verbose(env, "invalid access to %s, mem_size=%u off=%lld size=%d\n", kind, mem_size,
			(long long)lo, size);
	return -EACCES;
}

static int check_packet_access(struct verifier_env *env, u32 regno, const struct bpf_reg *reg,
			       int off, int size, bool zero_ok)
{
	s64 o = (s64)off + reg->off;

	if (reg->smin_value < 0) {
		verbose(env, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
			regno);
		return -EACCES;
	}
	if (o < 0 || (size == 0 && !zero_ok) || o + size > reg->range) {
		verbose(env, "invalid access to packet, off=%lld size=%d, R%u(id=%u,off=%d,r=%d)\n",
			(long long)o, size, regno, reg->id, reg->off, reg->range);
		verbose(env, "R%u offset is outside of the packet\n", regno);
		return -EACCES;
	}
	return 0;
}

static struct func_state *stack_frame(struct verifier_env *env, const struct bpf_reg *reg)
{
	return env->cur->frame[reg->frameno];
}

static void update_stack_depth(struct verifier_env *env, const struct func_state *f, int off)
{
	struct subprog_info *sp = &env->subprog[f->subprogno];

	if (-off > sp->stack_depth)
		sp->stack_depth = -off;
}

/* Fixed offset of a stack access, or error for out-of-frame accesses. */
static int stack_fixed_off(struct verifier_env *env, u32 regno, const struct bpf_reg *reg,
			   int off, int size, bool write, s64 *out)
{
	s64 o = (s64)off + reg->off + (s64)reg->var_off.value;

	if (o < -MAX_BPF_STACK || o + size > 0 || size <= 0) {
		verbose(env, "invalid %s stack R%u off=%lld size=%d\n", write ? "write to" : "read from",
			regno, (long long)o, size);
		return -EACCES;
	}
	*out = o;
	return 0;
}

static u8 *slot_byte(struct func_state *f, int o)
{
	int spi = (-o - 1) / BPF_REG_SIZE;

	return &f->stack[spi].slot_type[(o + MAX_BPF_STACK) % BPF_REG_SIZE];
}

static struct stack_slot *slot_of(struct func_state *f, int o)
{
	return &f->stack[(-o - 1) / BPF_REG_SIZE];
}

/* A partial overwrite turns a spilled register into plain initialised bytes. */
static void scrub_spill(struct stack_slot *s)
{
	int j;

	if (s->slot_type[BPF_REG_SIZE - 1] != STACK_SPILL)
		return;
	for (j = 0; j < BPF_REG_SIZE; j++)
		s->slot_type[j] = STACK_MISC;
	reg_mark_unknown(&s->spilled_ptr);
}

static int check_stack_write_fixed(struct verifier_env *env, struct func_state *f, s64 o,
				   int size, int value_regno, const struct bpf_reg *imm_reg)
{
	const struct bpf_reg *val = value_regno >= 0 ? &cur_regs(env)[value_regno] : imm_reg;
	struct stack_slot *s;
	int err, i;

	err = grow_stack(f, (int)-o);
	if (err)
		return err;
	update_stack_depth(env, f, (int)o);
	s = slot_of(f, (int)o);
	if (size == BPF_REG_SIZE && !(o % BPF_REG_SIZE))
		mark_stack_written(env, f, (int)((-o - 1) / BPF_REG_SIZE));
	if (val->type != SCALAR_VALUE && val->type != NOT_INIT) {
		if (size != BPF_REG_SIZE) {
			verbose(env, "invalid size of register spill\n");
			return -EACCES;
		}
		if (val->type == PTR_TO_STACK && f != cur_func(env) &&
		    val->frameno > f->frameno) {
			verbose(env, "cannot spill pointers to stack into stack frame of the caller\n");
			return -EACCES;
		}
	}
	if (size == BPF_REG_SIZE && !(o % BPF_REG_SIZE) &&
	    (val->type != SCALAR_VALUE || !tnum_equals_const(val->var_off, 0) ||
	     value_regno >= 0)) {
		s->spilled_ptr = *val;
		for (i = 0; i < BPF_REG_SIZE; i++)
			s->slot_type[i] = STACK_SPILL;
		return 0;
	}
	if (val->type != SCALAR_VALUE && val->type != NOT_INIT) {
		/* an unaligned pointer store: its bytes become plain data */
		for (i = 0; i < size; i++) {
			scrub_spill(slot_of(f, (int)o + i));
			*slot_byte(f, (int)o + i) = STACK_MISC;
		}
		return 0;
	}
	for (i = 0; i < size; i++) {
		scrub_spill(slot_of(f, (int)o + i));
		*slot_byte(f, (int)o + i) = tnum_equals_const(val->var_off, 0) ? STACK_ZERO :
										  STACK_MISC;
	}
	return 0;
}

/* Variable-offset write: every byte it may hit loses what was known. */
static int check_stack_write_var(struct verifier_env *env, struct func_state *f, s64 lo,
				 s64 hi, int size)
{
	s64 o;
	int err = grow_stack(f, (int)-lo);

	if (err)
		return err;
	update_stack_depth(env, f, (int)lo);
	for (o = lo; o < hi + size; o++) {
		u8 *b = slot_byte(f, (int)o);

		scrub_spill(slot_of(f, (int)o));
		if (*b == STACK_ZERO)
			*b = STACK_MISC;
	}
	return 0;
}

/*
 * May byte @o be read? A byte never written (STACK_INVALID) may, as in the
 * kernel's root profile, only when the runtime zeroes the stack of programs
 * that do so: the program is then flagged (prog->zero_stack) and each of its
 * frames starts zeroed, so the read sees 0 and never another run's data.
 */
static bool byte_init(struct verifier_env *env, struct func_state *f, int o)
{
	int spi = (-o - 1) / BPF_REG_SIZE;

	if (spi < f->allocated_stack / BPF_REG_SIZE && *slot_byte(f, o) != STACK_INVALID)
		return true;
	if (!env->opts.stack_zeroed || env->opts.unprivileged)
		return false;
	env->reads_uninit_stack = true;
	return true;
}

/*
 * Known zero? Only bytes written as zero: an unwritten byte reads as 0 at
 * run time, but the verifier treats it as unknown, as the kernel does. That
 * keeps pruning (an unwritten byte in an explored state matches anything)
 * and variable-offset writes (which leave unwritten bytes marked so) sound.
 */
static bool byte_zero(struct func_state *f, int o)
{
	int spi = (-o - 1) / BPF_REG_SIZE;

	return spi < f->allocated_stack / BPF_REG_SIZE && *slot_byte(f, o) == STACK_ZERO;
}

/*
 * Is the @size-byte key at stack pointer @reg known to be zero (every byte
 * written as zero)? Then *@slots gets the 8-byte slots it covers, whose
 * contents the caller relies on from now on (mark them precise).
 */
bool stack_key_is_zero(struct verifier_env *env, const struct bpf_reg *reg, u32 size, u64 *slots)
{
	struct func_state *f;
	s64 o, lo;

	if (reg->type != PTR_TO_STACK || !tnum_is_const(reg->var_off) || !size)
		return false;
	f = stack_frame(env, reg);
	lo = (s64)reg->off + (s64)reg->var_off.value;
	if (lo < -MAX_BPF_STACK || lo + size > 0)
		return false;
	*slots = 0;
	for (o = lo; o < lo + size; o++) {
		if (!byte_zero(f, (int)o))
			return false;
		*slots |= 1ULL << ((-o - 1) / BPF_REG_SIZE);
	}
	return true;
}

static int check_stack_read_fixed(struct verifier_env *env, struct func_state *f, s64 o,
				  int size, int dst_regno)
{
	int spi = (int)((-o - 1) / BPF_REG_SIZE), i;
	bool zero = true;

	mark_stack_read(env, f, (int)((-(o + size - 1) - 1) / BPF_REG_SIZE), spi);

	/* a read inside one spilled slot; reads across slots go byte by byte */
	if (spi < f->allocated_stack / BPF_REG_SIZE &&
	    f->stack[spi].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL &&
	    (o + MAX_BPF_STACK) % BPF_REG_SIZE + size <= BPF_REG_SIZE) {
		struct bpf_reg *sp = &f->stack[spi].spilled_ptr;

		if (size == BPF_REG_SIZE && !(o % BPF_REG_SIZE)) {
			if (dst_regno >= 0)
				cur_regs(env)[dst_regno] = *sp;
			return 0;
		}
		if (sp->type != SCALAR_VALUE) {
			verbose(env, "invalid size of register fill\n");
			return -EACCES;
		}
		if (dst_regno >= 0) {
			if (tnum_is_const(sp->var_off) && !(o % BPF_REG_SIZE) && size <= 8) {
				struct bpf_reg *d = &cur_regs(env)[dst_regno];

				*d = *sp;
				coerce_reg_to_size(d, size);
				d->id = 0;
			} else {
				reg_mark_unknown(&cur_regs(env)[dst_regno]);
				coerce_reg_to_size(&cur_regs(env)[dst_regno], size);
			}
		}
		return 0;
	}
	for (i = 0; i < size; i++) {
		int b = (int)o + i;
		int bspi = (-b - 1) / BPF_REG_SIZE;

		if (bspi < f->allocated_stack / BPF_REG_SIZE &&
		    f->stack[bspi].slot_type[BPF_REG_SIZE - 1] == STACK_SPILL &&
		    f->stack[bspi].spilled_ptr.type != SCALAR_VALUE) {
			verbose(env, "invalid size of register fill\n");
			return -EACCES;
		}
		if (!byte_init(env, f, b)) {
			verbose(env, "invalid read from stack off %lld+%d size %d\n", (long long)o, i,
				size);
			return -EACCES;
		}
		zero &= byte_zero(f, b);
	}
	if (dst_regno >= 0) {
		if (zero) {
			reg_mark_known_zero(&cur_regs(env)[dst_regno]);
		} else {
			reg_mark_unknown(&cur_regs(env)[dst_regno]);
			coerce_reg_to_size(&cur_regs(env)[dst_regno], size);
		}
	}
	return 0;
}

/* Every byte in [lo, hi) of frame f initialised? (pointer spills count) */
static int check_stack_bytes_init(struct verifier_env *env, struct func_state *f, u32 regno,
				  s64 lo, s64 hi, int size_for_msg)
{
	s64 o;

	if (hi > lo)
		mark_stack_read(env, f, (int)((-(hi - 1) - 1) / BPF_REG_SIZE),
				(int)((-lo - 1) / BPF_REG_SIZE));
	for (o = lo; o < hi; o++) {
		if (!byte_init(env, f, (int)o)) {
			verbose(env, "invalid indirect read from stack R%u off %lld+%lld size %d\n",
				regno, (long long)lo, (long long)(o - lo), size_for_msg);
			return -EACCES;
		}
	}
	return 0;
}

static int check_stack_access(struct verifier_env *env, u32 regno, const struct bpf_reg *reg,
			      int off, int size, bool write, int value_regno,
			      const struct bpf_reg *imm_reg, int dst_regno)
{
	struct func_state *f = stack_frame(env, reg);
	s64 o, lo, hi;
	int err;

	if (regno != BPF_REG_FP)
		env->hist_flags |= HIST_STACK_PTR;
	/* stack accesses are always aligned: spill tracking relies on it */
	if (!tnum_is_aligned(tnum_add(reg->var_off, tnum_const((u64)(s64)(reg->off + off))),
			     size)) {
		char t[64];

		if (tnum_is_const(reg->var_off))
			snprintf(t, sizeof(t), "%lld", (long long)reg->var_off.value);
		else
			tnum_strn(t, sizeof(t), reg->var_off);
		verbose(env, "misaligned stack access off %s+%d+%d size %d\n", t, reg->off, off,
			size);
		return -EACCES;
	}
	if (tnum_is_const(reg->var_off)) {
		err = stack_fixed_off(env, regno, reg, off, size, write, &o);
		if (err)
			return err;
		if (write)
			return check_stack_write_fixed(env, f, o, size, value_regno, imm_reg);
		/* a read of unwritten bytes counts: the runtime zeroes stack_depth */
		update_stack_depth(env, f, (int)o);
		return check_stack_read_fixed(env, f, o, size, dst_regno);
	}
	if (env->opts.unprivileged) {
		char t[64];

		tnum_strn(t, sizeof(t), reg->var_off);
		verbose(env, "R%u variable stack access prohibited for !root, var_off=%s off=%d size=%d\n",
			regno, t, off, size);
		return -EACCES;
	}
	lo = (s64)off + reg->off + reg->smin_value;
	hi = (s64)off + reg->off + reg->smax_value;
	if (reg->smin_value < -MAX_BPF_STACK || reg->smax_value > MAX_BPF_STACK ||
	    lo < -MAX_BPF_STACK || hi + size > 0) {
		char t[64];

		tnum_strn(t, sizeof(t), reg->var_off);
		verbose(env, "invalid variable-offset %s stack R%u var_off=%s off=%d size=%d\n",
			write ? "write to" : "read from", regno, t, off, size);
		return -EACCES;
	}
	if (write) {
		if (value_regno >= 0 && is_pointer_value(env, value_regno)) {
			verbose(env, "R%d variable-offset stack write of a pointer prohibited\n",
				value_regno);
			return -EACCES;
		}
		return check_stack_write_var(env, f, lo, hi, size);
	}
	err = grow_stack(f, (int)-lo);
	if (err)
		return err;
	update_stack_depth(env, f, (int)lo);
	err = check_stack_bytes_init(env, f, regno, lo, hi + size, size);
	if (err)
		return err;
	if (dst_regno >= 0) {
		reg_mark_unknown(&cur_regs(env)[dst_regno]);
		coerce_reg_to_size(&cur_regs(env)[dst_regno], size);
	}
	return 0;
}

static int check_ctx_access(struct verifier_env *env, int insn_idx, u32 regno,
			    const struct bpf_reg *reg, int off, int size, bool write, int dst_regno)
{
	struct ctx_access_info info = { .reg_type = SCALAR_VALUE };

	if (reg->off) {
		verbose(env, "dereference of modified ctx ptr R%u off=%d disallowed\n", regno,
			reg->off);
		return -EACCES;
	}
	if (!tnum_is_const(reg->var_off) || reg->var_off.value) {
		char t[64];

		tnum_strn(t, sizeof(t), reg->var_off);
		verbose(env, "variable ctx access var_off=%s disallowed\n", t);
		return -EACCES;
	}
	if (!env->ptype->is_valid_access ||
	    !env->ptype->is_valid_access(off, size, write, env->prog->expected_attach_type, &info)) {
		verbose(env, "invalid bpf_context access off=%d size=%d\n", off, size);
		return -EACCES;
	}
	if (dst_regno < 0)
		return 0;
	if (info.reg_type == SCALAR_VALUE) {
		reg_mark_unknown(&cur_regs(env)[dst_regno]);
		coerce_reg_to_size(&cur_regs(env)[dst_regno], size);
	} else {
		struct bpf_reg *d = &cur_regs(env)[dst_regno];

		reg_mark_known_zero(d);
		d->type = info.reg_type;
		d->flags = info.reg_flags;
		if (d->flags & PTR_MAYBE_NULL)
			d->id = new_id(env);
	}
	return 0;
}

static bool map_rdonly_prog(const struct bpffs_map *map)
{
	return map && (map->map_flags & BPF_F_RDONLY_PROG);
}

/*
 * The kernel's bpf_map_direct_read: a load at a constant offset from a
 * frozen read-only map (.rodata, filled and frozen before verification) is a
 * known constant. Sound because those bytes can change neither from programs
 * (BPF_F_RDONLY_PROG) nor from the file system (frozen); Cilium relies on it
 * for its configuration constants (e.g. a packet offset from .rodata.config).
 * Only global-data maps are ever frozen, never a map-in-map template, so a
 * value pointer reached through an outer map (whose map_ptr is the template,
 * not the run-time inner map) never qualifies.
 */
static bool rdonly_map_const(const struct bpf_reg *reg, int off, int size, bool sx, u64 *val)
{
	struct bpffs_map *map = reg->map_ptr;
	u64 addr, v = 0;
	s64 moff;

	if (reg->type != PTR_TO_MAP_VALUE || !tnum_is_const(reg->var_off) ||
	    !map_rdonly_prog(map) || !__atomic_load_n(&map->frozen, __ATOMIC_ACQUIRE) ||
	    !map->ops || !map->ops->direct_value_addr)
		return false;
	moff = (s64)off + reg->off + (s64)reg->var_off.value;
	if (moff < 0 || moff + size > map->value_size || size > 8 ||
	    map->ops->direct_value_addr(map, &addr, (u32)moff))
		return false;
	memcpy(&v, (const u8 *)(uintptr_t)addr + moff, size);	/* little endian */
	if (sx && size < 8)
		v = (u64)((s64)(v << (64 - 8 * size)) >> (64 - 8 * size));
	*val = v;
	return true;
}

static int do_mem_access(struct verifier_env *env, int insn_idx, u32 regno, int off, int size,
			 bool write, int value_regno, const struct bpf_reg *imm_reg,
			 int dst_regno, bool sx)
{
	struct bpf_reg *reg = &cur_regs(env)[regno];
	struct bpf_reg tmp = *reg;
	int err;

	if (reg->flags & PTR_MAYBE_NULL) {
		verbose(env, "R%u invalid mem access '%s'\n", regno, reg_type_str(reg));
		return -EACCES;
	}
	switch (reg->type) {
	case PTR_TO_MAP_VALUE:
		if (write && map_rdonly_prog(reg->map_ptr)) {
			verbose(env, "write into map forbidden, value_size=%u off=%d size=%d\n",
				reg->map_ptr->value_size, off + reg->off, size);
			return -EACCES;
		}
		err = check_region(env, regno, &tmp, off + reg->off, size,
				   reg->map_ptr ? reg->map_ptr->value_size : 0, "map value", false);
		break;
	case PTR_TO_MAP_KEY:
		if (write) {
			verbose(env, "write to change key R%u not allowed\n", regno);
			return -EACCES;
		}
		err = check_region(env, regno, &tmp, off + reg->off, size,
				   reg->map_ptr ? reg->map_ptr->key_size : 0, "map key", false);
		break;
	case PTR_TO_MEM:
		if (write && (reg->flags & MEM_RDONLY)) {
			verbose(env, "R%u cannot write into %s\n", regno, reg_type_str(reg));
			return -EACCES;
		}
		err = check_region(env, regno, &tmp, off + reg->off, size, reg->mem_size, "memory",
				   false);
		break;
	case PTR_TO_CTX:
		return check_ctx_access(env, insn_idx, regno, reg, off, size, write, dst_regno);
	case PTR_TO_STACK:
		return check_stack_access(env, regno, reg, off, size, write, value_regno, imm_reg,
					  dst_regno);
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (write && !env->ptype->can_change_pkt) {
			verbose(env, "cannot write into packet\n");
			return -EACCES;
		}
		err = check_packet_access(env, regno, reg, off, size, false);
		if (!err && write)
			env->seen_direct_write = true;
		break;
	case PTR_TO_SOCK_COMMON:
		/* struct bpf_sock: read-only fields of 4 bytes or less, fixed offset */
		off += reg->off;
		if (write || !tnum_equals_const(reg->var_off, 0) || off < 0 ||
		    off + size > (int)sizeof(struct bpf_sock) || size > 4 || off % size) {
			verbose(env, "invalid sock access off=%d size=%d\n", off, size);
			return -EACCES;
		}
		err = 0;
		break;
	case NOT_INIT:
		verbose(env, "R%u !read_ok\n", regno);
		return -EACCES;
	default:
		verbose(env, "R%u invalid mem access '%s'\n", regno, reg_type_str(reg));
		return -EACCES;
	}
	if (err)
		return err;
	if (!write && dst_regno >= 0) {
		struct bpf_reg *d = &cur_regs(env)[dst_regno];
		u64 v;

		if (rdonly_map_const(&tmp, off, size, sx, &v)) {
			reg_mark_known(d, v);
			return 0;
		}
		reg_mark_unknown(d);
		if (sx)
			coerce_reg_to_size_sx(d, size);
		else
			coerce_reg_to_size(d, size);
	}
	return 0;
}

/* LDX, ST, STX (BPF_MEM / BPF_MEMSX) */
int check_mem_insn(struct verifier_env *env, int insn_idx)
{
	const struct bpf_insn *insn = &env->insns[insn_idx];
	u8 cls = BPF_CLASS(insn->code);
	int size = size_bytes(BPF_SIZE(insn->code)), err;
	bool sx = BPF_MODE(insn->code) == BPF_MEMSX;

	if (cls == BPF_LDX) {
		err = check_reg_arg_read(env, insn->src_reg);
		if (err)
			return err;
		err = do_mem_access(env, insn_idx, insn->src_reg, insn->off, size, false, -1, NULL,
				    insn->dst_reg, sx);
		if (!err && sx && cur_regs(env)[insn->dst_reg].type != SCALAR_VALUE) {
			verbose(env, "R%u sign-extending load of a pointer\n", insn->dst_reg);
			return -EACCES;
		}
		/*
		 * Stack fills and context loads give the zero-extended value
		 * (fp-8 byte 0xff read by ldxsb was [0, 255], not -1): extend it
		 * here, as the kernel does after every load (a no-op for the
		 * paths that extended already).
		 */
		if (!err && sx)
			coerce_reg_to_size_sx(&cur_regs(env)[insn->dst_reg], size);
		return err;
	}
	if (cls == BPF_STX) {
		err = check_reg_arg_read(env, insn->src_reg);
		if (!err)
			err = check_reg_arg_read(env, insn->dst_reg);
		if (err)
			return err;
		if (env->opts.unprivileged && is_pointer_value(env, insn->src_reg) &&
		    cur_regs(env)[insn->dst_reg].type != PTR_TO_STACK) {
			verbose(env, "R%u leaks addr into mem\n", insn->src_reg);
			return -EACCES;
		}
		return do_mem_access(env, insn_idx, insn->dst_reg, insn->off, size, true,
				     insn->src_reg, NULL, -1, false);
	}
	/* BPF_ST */
	err = check_reg_arg_read(env, insn->dst_reg);
	if (err)
		return err;
	{
		struct bpf_reg imm;

		reg_mark_known(&imm, (u64)(s64)insn->imm);
		coerce_reg_to_size(&imm, size);
		if (size == 8)
			reg_mark_known(&imm, (u64)(s64)insn->imm);
		return do_mem_access(env, insn_idx, insn->dst_reg, insn->off, size, true, -1, &imm,
				     -1, false);
	}
}

int check_atomic(struct verifier_env *env, int insn_idx)
{
	const struct bpf_insn *insn = &env->insns[insn_idx];
	int size = size_bytes(BPF_SIZE(insn->code)), err;
	u8 t;
	int load_reg;

	if (size != 4 && size != 8) {
		verbose(env, "invalid atomic operand size\n");
		return -EINVAL;
	}
	err = check_reg_arg_read(env, insn->src_reg);
	if (!err)
		err = check_reg_arg_read(env, insn->dst_reg);
	if (err)
		return err;
	if (insn->imm == BPF_CMPXCHG) {
		err = check_reg_arg_read(env, BPF_REG_0);
		if (err)
			return err;
		if (is_pointer_value(env, BPF_REG_0)) {
			verbose(env, "R0 leaks addr into mem\n");
			return -EACCES;
		}
	}
	if (is_pointer_value(env, insn->src_reg)) {
		verbose(env, "R%d leaks addr into mem\n", insn->src_reg);
		return -EACCES;
	}
	t = cur_regs(env)[insn->dst_reg].type;
	if (t == PTR_TO_CTX || type_is_pkt_pointer(t)) {
		verbose(env, "BPF_ATOMIC stores into R%d %s is not allowed\n", insn->dst_reg,
			reg_type_str(&cur_regs(env)[insn->dst_reg]));
		return -EACCES;
	}
	/* read then write the same location */
	err = do_mem_access(env, insn_idx, insn->dst_reg, insn->off, size, false, -1, NULL, -1,
			    false);
	if (err)
		return err;
	err = do_mem_access(env, insn_idx, insn->dst_reg, insn->off, size, true, -1,
			    &(struct bpf_reg){ .type = SCALAR_VALUE, .var_off = { 0, ~0ULL },
					       .smin_value = INT64_MIN, .smax_value = INT64_MAX,
					       .umax_value = UINT64_MAX,
					       .s32_min_value = INT32_MIN,
					       .s32_max_value = INT32_MAX,
					       .u32_max_value = UINT32_MAX },
			    -1, false);
	if (err)
		return err;
	load_reg = insn->imm == BPF_CMPXCHG ? BPF_REG_0 :
		   (insn->imm & BPF_FETCH) ? insn->src_reg : -1;
	if (load_reg >= 0) {
		reg_mark_unknown(&cur_regs(env)[load_reg]);
		coerce_reg_to_size(&cur_regs(env)[load_reg], size);
	}
	return 0;
}

/* Legacy packet loads: R6 must be the context; R0 gets the value, R1-R5 die. */
int check_ld_abs(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct bpf_reg *regs = cur_regs(env);
	int size = size_bytes(BPF_SIZE(insn->code)), i, err;
	u32 t = env->ptype->type;

	if (t != BPF_PROG_TYPE_SOCKET_FILTER && t != BPF_PROG_TYPE_SCHED_CLS &&
	    t != BPF_PROG_TYPE_SCHED_ACT) {
		verbose(env, "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
		return -EINVAL;
	}
	if (size == 8) {
		verbose(env, "BPF_LD_[ABS|IND] uses reserved fields\n");
		return -EINVAL;
	}
	err = check_reg_arg_read(env, BPF_REG_6);
	if (err)
		return err;
	if (regs[BPF_REG_6].type != PTR_TO_CTX) {
		verbose(env, "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
		return -EINVAL;
	}
	if (BPF_MODE(insn->code) == BPF_IND) {
		err = check_reg_arg_read(env, insn->src_reg);
		if (err)
			return err;
	}
	if (env->cur->acquired_refs) {
		verbose(env, "BPF_LD_[ABS|IND] cannot be mixed with socket references\n");
		return -EINVAL;
	}
	for (i = BPF_REG_1; i <= BPF_REG_5; i++)
		reg_mark_not_init(&regs[i]);
	reg_mark_unknown(&regs[BPF_REG_0]);
	coerce_reg_to_size(&regs[BPF_REG_0], size);
	return 0;
}

/*
 * The register @regno points to @access_size bytes the helper may read
 * (write = false: must be initialised) or write (they become initialised).
 */
int check_helper_mem_access(struct verifier_env *env, int regno, int access_size,
			    bool zero_size_allowed, bool write)
{
	struct bpf_reg *reg = &cur_regs(env)[regno];
	struct bpf_reg tmp = *reg;
	struct func_state *f;
	s64 lo, hi, o;
	int err;

	if (access_size == 0 && zero_size_allowed)
		return 0;
	switch (reg->type) {
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		return check_packet_access(env, regno, reg, 0, access_size, zero_size_allowed);
	case PTR_TO_MAP_VALUE:
		if (write && map_rdonly_prog(reg->map_ptr)) {
			verbose(env, "write into map forbidden, value_size=%u off=%d size=%d\n",
				reg->map_ptr->value_size, reg->off, access_size);
			return -EACCES;
		}
		return check_region(env, regno, &tmp, reg->off, access_size,
				    reg->map_ptr ? reg->map_ptr->value_size : 0, "map value",
				    zero_size_allowed);
	case PTR_TO_MAP_KEY:
		if (write)
			break;
		return check_region(env, regno, &tmp, reg->off, access_size,
				    reg->map_ptr ? reg->map_ptr->key_size : 0, "map key",
				    zero_size_allowed);
	case PTR_TO_MEM:
		if (write && (reg->flags & MEM_RDONLY))
			break;
		if (reg->flags & PTR_MAYBE_NULL)
			break;
		return check_region(env, regno, &tmp, reg->off, access_size, reg->mem_size,
				    "memory", zero_size_allowed);
	case PTR_TO_CTX:
		/* the kernel allows some ctx-typed memory args; we do not */
		break;
	case PTR_TO_STACK:
		f = stack_frame(env, reg);
		lo = (s64)reg->off + reg->smin_value;
		hi = (s64)reg->off + reg->smax_value + access_size;
		if (!tnum_is_const(reg->var_off) && env->opts.unprivileged) {
			verbose(env, "R%d variable stack access prohibited for !root\n", regno);
			return -EACCES;
		}
		if (lo < -MAX_BPF_STACK || hi > 0 || access_size < 0 ||
		    reg->smin_value < -MAX_BPF_STACK || reg->smax_value > MAX_BPF_STACK) {
			verbose(env, "invalid indirect access to stack R%d off=%lld size=%d\n", regno,
				(long long)lo, access_size);
			return -EACCES;
		}
		err = grow_stack(f, (int)-lo);
		if (err)
			return err;
		update_stack_depth(env, f, (int)lo);
		if (!write)
			return check_stack_bytes_init(env, f, regno, lo, hi, access_size);
		if (!tnum_is_const(reg->var_off))
			return check_stack_write_var(env, f, lo, hi - access_size, access_size);
		for (o = lo; o < hi; o++) {
			scrub_spill(slot_of(f, (int)o));
			*slot_byte(f, (int)o) = STACK_MISC;
		}
		return 0;
	default:
		break;
	}
	if (reg->type == NOT_INIT) {
		verbose(env, "R%d !read_ok\n", regno);
		return -EACCES;
	}
	verbose(env, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem\n", regno,
		reg_type_str(reg));
	return -EACCES;
}

/*
 * A helper writes @min_size to @max_size bytes at @regno (its size argument
 * has a range): all of them may change, only @min_size surely are written.
 * Stack bytes past @min_size never written before stay STACK_INVALID, since
 * the helper may leave them so (skb_load_bytes writes exactly len bytes): a
 * read of them needs the zeroed stack, as for any unwritten byte.
 */
int check_helper_mem_write_range(struct verifier_env *env, int regno, int min_size,
				 int max_size, bool zero_size_allowed)
{
	struct bpf_reg *reg = &cur_regs(env)[regno];
	bool unwritten[MAX_BPF_STACK];
	struct func_state *f;
	s64 lo = (s64)reg->off + (s64)reg->var_off.value;
	int i, err;

	if (reg->type != PTR_TO_STACK || !tnum_is_const(reg->var_off) || min_size >= max_size ||
	    min_size < 0 || lo < -MAX_BPF_STACK || lo + max_size > 0)
		return check_helper_mem_access(env, regno, max_size, zero_size_allowed, true);
	f = stack_frame(env, reg);
	for (i = min_size; i < max_size; i++) {
		int o = (int)lo + i;

		unwritten[i - min_size] = (-o - 1) / BPF_REG_SIZE >= f->allocated_stack / BPF_REG_SIZE ||
					  *slot_byte(f, o) == STACK_INVALID;
	}
	err = check_helper_mem_access(env, regno, max_size, zero_size_allowed, true);
	if (err)
		return err;
	for (i = min_size; i < max_size; i++)
		if (unwritten[i - min_size])
			*slot_byte(f, (int)lo + i) = STACK_INVALID;
	return 0;
}

int check_stack_range_init(struct verifier_env *env, int regno, int off, int access_size,
			   bool write)
{
	return check_helper_mem_access(env, regno, access_size, false, write);
}
