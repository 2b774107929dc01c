// SPDX-License-Identifier: MIT
/*
 * Per-CPU slots in user space (see maps.h for the definition): a fixed number
 * of slots, each owned by at most one live thread, so that per-CPU map values
 * are written by one thread at a time like a kernel CPU's. A thread claims a
 * slot explicitly (hook workers) or lazily on first use, and releases it when
 * it exits. This file is the only place that knows how slots are handed out.
 */
#include <pthread.h>
#include <unistd.h>

#include "internal.h"

#define SLOT_WORDS (BPFFS_MAX_CPUS / 64)

static _Atomic u64 cpu_claimed[SLOT_WORDS];
static __thread u32 cpu_self;		/* slot + 1, 0 = none yet */
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static pthread_key_t cpu_key;
static u32 cpu_nr;
static atomic_bool cpu_warned;

static void cpu_release(void *arg)
{
	u32 slot = (u32)(uintptr_t)arg - 1;

	atomic_fetch_and(&cpu_claimed[slot / 64], ~(1ULL << (slot % 64)));
}

static void cpu_init(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	if (n < 8)
		n = 8;
	if (n > BPFFS_MAX_CPUS)
		n = BPFFS_MAX_CPUS;
	cpu_nr = (u32)n;
	pthread_key_create(&cpu_key, cpu_release);
}

u32 bpffs_nr_cpus(void)
{
	pthread_once(&cpu_once, cpu_init);
	return cpu_nr;
}

static bool cpu_try_claim(u32 slot)
{
	u64 bit = 1ULL << (slot % 64);

	return !(atomic_fetch_or(&cpu_claimed[slot / 64], bit) & bit);
}

static void cpu_own(u32 slot)
{
	cpu_self = slot + 1;
	pthread_setspecific(cpu_key, (void *)(uintptr_t)(slot + 1));
}

static void cpu_drop_own(void)
{
	if (!cpu_self)
		return;
	pthread_setspecific(cpu_key, NULL);
	cpu_release((void *)(uintptr_t)cpu_self);
	cpu_self = 0;
}

int bpffs_cpu_slot_set(u32 slot)
{
	if (slot >= bpffs_nr_cpus())
		return -EINVAL;
	if (cpu_self == slot + 1)
		return 0;
	if (!cpu_try_claim(slot))
		return -EBUSY;
	cpu_drop_own();
	cpu_own(slot);
	return 0;
}

/* Slow path: claim the lowest free slot, or share one if all are taken. */
static u32 cpu_claim_any(void)
{
	u32 n = bpffs_nr_cpus(), slot;

	for (slot = 0; slot < n; slot++) {
		if (cpu_try_claim(slot)) {
			cpu_own(slot);
			return slot;
		}
	}
	if (!atomic_exchange(&cpu_warned, true))
		pr_warn("per-CPU slots: more than %u threads run programs; slots are shared\n", n);
	slot = (u32)((uintptr_t)&cpu_self >> 12) % n;
	cpu_self = slot + 1;	/* shared: not released on exit */
	return slot;
}

u32 bpffs_cpu_slot(void)
{
	u32 s = cpu_self;

	if (likely(s))
		return s - 1;
	return cpu_claim_any();
}
