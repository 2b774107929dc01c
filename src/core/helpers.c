// SPDX-License-Identifier: MIT
/*
 * The helper table (indexed by the kernel's helper ids, built from
 * helper_list.h) and the helpers that need no map or hook: time, random
 * numbers, the "CPU" slot, trace_printk, snprintf, strtol/strtoul, jiffies
 * and bpf_loop. Every helper runs inside a program run: it must not block.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core.h"
#include "bprintf.h"
#include "../maps/maps.h"

#define BPFFS_HELPER(name) extern const struct bpffs_helper bpffs_helper_##name;
#include "helper_list.h"
#undef BPFFS_HELPER

const struct bpffs_helper *const bpffs_helper_table[BPFFS_HELPER_MAX_ID] = {
#define BPFFS_HELPER(name) [BPF_FUNC_##name] = &bpffs_helper_##name,
#include "helper_list.h"
#undef BPFFS_HELPER
};

const struct bpffs_helper *bpffs_helper_get(u32 id)
{
	return id < BPFFS_HELPER_MAX_ID ? bpffs_helper_table[id] : NULL;
}

static u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static u64 ktime_get_ns(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static u64 ktime_get_boot_ns(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static u64 ktime_get_coarse_ns(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* Jiffies at the kernel's usual HZ of 250 (Debian's CONFIG_HZ), from the coarse clock. */
#define BPFFS_HZ 250
static u64 jiffies64(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE) / (1000000000ull / BPFFS_HZ);
}

/* xorshift64* per thread, seeded from getrandom: fast and never blocking */
static __thread u64 prandom_state;

static u64 get_prandom_u32(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	u64 x = prandom_state;

	if (unlikely(!x)) {
		if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x))
			x = clock_ns(CLOCK_MONOTONIC) ^ (u64)(uintptr_t)&x;
		x |= 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	prandom_state = x;
	return (u32)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static u64 get_smp_processor_id(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return bpffs_cpu_slot();
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): at most 3 arguments, like Linux. */
static u64 trace_printk(u64 fmt, u64 fmt_size, u64 a1, u64 a2, u64 a3)
{
	const u64 args[3] = { a1, a2, a3 };
	char buf[512];
	int n;

	n = bpffs_bprintf(buf, sizeof(buf), (const char *)(uintptr_t)fmt, (u32)fmt_size, args, 3);
	if (n < 0)
		return (u64)(s64)n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	bpffs_trace_emit(buf, (size_t)n);
	return (u64)n;
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): data is an array of u64 */
static u64 bpf_snprintf_fn(u64 str, u64 str_size, u64 fmt, u64 data, u64 data_len)
{
	const char *f = (const char *)(uintptr_t)fmt;
	int n;

	if (data_len % 8 || data_len > 12 * 8)
		return (u64)(s64)-EINVAL;
	n = bpffs_bprintf((char *)(uintptr_t)str, (size_t)str_size, f, (u32)strlen(f) + 1,
			  (const u64 *)(uintptr_t)data, (u32)(data_len / 8));
	if (n < 0)
		return (u64)(s64)n;
	return (u64)n + 1;	/* like Linux: the size needed, NUL included */
}

/*
 * Shared by strtol/strtoul, as the kernel's __bpf_strtoull: flags hold the
 * base (0, 8, 10, 16); leading whitespace is skipped, a sign is accepted for
 * strtol only. Returns characters consumed or -EINVAL/-ERANGE.
 */
static s64 parse_integer(const char *buf, size_t len, u64 flags, bool is_signed, u64 *res,
			 bool *neg)
{
	u32 base = (u32)flags & 0x1f;
	size_t i = 0;
	u64 v = 0;
	bool any = false;

	if ((flags & ~0x1full) || (base != 0 && base != 8 && base != 10 && base != 16) || !len)
		return -EINVAL;
	while (i < len && buf[i] && (buf[i] == ' ' || (buf[i] >= '\t' && buf[i] <= '\r')))
		i++;
	*neg = false;
	if (i < len && buf[i] == '-') {
		if (!is_signed)
			return -EINVAL;
		*neg = true;
		i++;
	}
	if (i + 1 < len && buf[i] == '0' && (buf[i + 1] | 0x20) == 'x' && (base == 0 || base == 16)) {
		base = 16;
		i += 2;
	} else if (base == 0) {
		base = i < len && buf[i] == '0' ? 8 : 10;
	}
	for (; i < len && buf[i]; i++) {
		char c = buf[i] | 0x20;
		u32 d = c >= '0' && c <= '9' ? (u32)(c - '0') : c >= 'a' && c <= 'f' ? (u32)(c - 'a' + 10) : 99;

		if (d >= base)
			break;
		if (v > (ULLONG_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*res = v;
	return (s64)i;
}

static u64 bpf_strtol_fn(u64 buf, u64 len, u64 flags, u64 res, u64 r5)
{
	u64 v;
	bool neg;
	s64 n = parse_integer((const char *)(uintptr_t)buf, len, flags, true, &v, &neg);

	/* The verifier counts *res as written whatever the outcome: on error
	 * it reads 0, as the kernel's helper guarantees. */
	*(s64 *)(uintptr_t)res = 0;
	if (n < 0)
		return (u64)n;
	if (neg ? v > (u64)LLONG_MAX + 1 : v > (u64)LLONG_MAX)
		return (u64)(s64)-ERANGE;
	*(s64 *)(uintptr_t)res = neg ? (s64)(0 - v) : (s64)v;
	return (u64)n;
}

static u64 bpf_strtoul_fn(u64 buf, u64 len, u64 flags, u64 res, u64 r5)
{
	u64 v;
	bool neg;
	s64 n = parse_integer((const char *)(uintptr_t)buf, len, flags, false, &v, &neg);

	*(u64 *)(uintptr_t)res = 0;	/* written on every path, as for strtol */
	if (n < 0)
		return (u64)n;
	*(u64 *)(uintptr_t)res = v;
	return (u64)n;
}

#define BPFFS_MAX_LOOPS (1u << 23)	/* as Linux's BPF_MAX_LOOPS */

/* bpf_loop(nr_loops, callback_fn, callback_ctx, flags): callback returns 1 to stop */
static u64 bpf_loop_fn(u64 nr_loops, u64 fn, u64 ctx, u64 flags, u64 r5)
{
	struct bpffs_run_ctx *rc = bpffs_run_ctx_current();
	u64 i;

	if (flags)
		return (u64)(s64)-EINVAL;
	if (nr_loops > BPFFS_MAX_LOOPS)
		return (u64)(s64)-E2BIG;
	if (!rc || !rc->call_fn)
		return (u64)(s64)-EINVAL;
	if (rc->prog && rc->prog->max_loops && nr_loops > rc->prog->max_loops)
		return (u64)(s64)-E2BIG;	/* the mount's max_loops (issue 9) */
	for (i = 0; i < nr_loops; i++) {
		u64 ret = rc->call_fn(rc, fn, i, ctx, 0, 0, 0);

		if (rc->fault)
			break;
		if (ret == 1)
			return i + 1;
	}
	return i;
}

/*
 * bpf_tail_call is executed by the runtimes themselves (the interpreter's
 * TAIL_CALL handler, the JIT's emit_tail_call): it replaces the running
 * program instead of returning. The table entry exists for its prototype
 * (the verifier checks calls against the table); the function is reached
 * only through callx, which cannot tail-call, and fails like a missing slot.
 */
static u64 tail_call_indirect(u64 ctx, u64 map, u64 index, u64 r4, u64 r5)
{
	return (u64)(s64)-EINVAL;
}

const struct bpffs_helper bpffs_helper_tail_call = {
	.id = BPF_FUNC_tail_call, .name = "bpf_tail_call", .fn = tail_call_indirect,
	.ret = BPFFS_RET_VOID,
	.arg = { BPFFS_ARG_PTR_TO_CTX, BPFFS_ARG_CONST_MAP_PTR, BPFFS_ARG_SCALAR },
};

#define SIMPLE_HELPER(hname, func, ...)                                         \
	const struct bpffs_helper bpffs_helper_##hname = {                      \
		.id = BPF_FUNC_##hname, .name = "bpf_" #hname, .fn = func,      \
		.ret = BPFFS_RET_INTEGER, __VA_ARGS__                           \
	}

SIMPLE_HELPER(ktime_get_ns, ktime_get_ns);
SIMPLE_HELPER(ktime_get_boot_ns, ktime_get_boot_ns);
SIMPLE_HELPER(ktime_get_coarse_ns, ktime_get_coarse_ns);
SIMPLE_HELPER(jiffies64, jiffies64);
SIMPLE_HELPER(get_prandom_u32, get_prandom_u32);
SIMPLE_HELPER(get_smp_processor_id, get_smp_processor_id);
SIMPLE_HELPER(trace_printk, trace_printk,
	      .arg = { BPFFS_ARG_PTR_TO_MEM, BPFFS_ARG_CONST_SIZE });
SIMPLE_HELPER(snprintf, bpf_snprintf_fn,
	      .arg = { BPFFS_ARG_PTR_TO_MEM_OR_NULL, BPFFS_ARG_CONST_SIZE_OR_ZERO,
		       BPFFS_ARG_PTR_TO_CONST_STR, BPFFS_ARG_PTR_TO_MEM_OR_NULL,
		       BPFFS_ARG_CONST_SIZE_OR_ZERO });
SIMPLE_HELPER(strtol, bpf_strtol_fn,
	      .arg = { BPFFS_ARG_PTR_TO_MEM, BPFFS_ARG_CONST_SIZE, BPFFS_ARG_SCALAR,
		       BPFFS_ARG_PTR_TO_LONG });
SIMPLE_HELPER(strtoul, bpf_strtoul_fn,
	      .arg = { BPFFS_ARG_PTR_TO_MEM, BPFFS_ARG_CONST_SIZE, BPFFS_ARG_SCALAR,
		       BPFFS_ARG_PTR_TO_LONG });
SIMPLE_HELPER(loop, bpf_loop_fn,
	      .arg = { BPFFS_ARG_SCALAR, BPFFS_ARG_PTR_TO_FUNC, BPFFS_ARG_PTR_TO_STACK_OR_NULL,
		       BPFFS_ARG_SCALAR });
