// SPDX-License-Identifier: MIT
/*
 * Per-thread run state: the run context of the program running on this
 * thread (helpers reach it here) and the process-wide trace sink.
 */
#include <string.h>

#include "core.h"

static __thread struct bpffs_run_ctx *current_rc;

static void (*trace_sink_fn)(void *arg, const char *text, size_t len);
static void *trace_sink_arg;

struct bpffs_run_ctx *bpffs_run_ctx_current(void)
{
	return current_rc;
}

void bpffs_run_ctx_set_current(struct bpffs_run_ctx *rc)
{
	current_rc = rc;
}

void bpffs_run_ctx_add_region(struct bpffs_run_ctx *rc, const void *start, u64 size,
			      bool writable)
{
	if (!rc || !rc->checked || !start || !size)
		return;
	if (rc->region_cnt >= BPFFS_MAX_REGIONS) {
		/* forget the oldest helper-returned region rather than fail the run */
		memmove(&rc->regions[0], &rc->regions[1],
			sizeof(rc->regions[0]) * (BPFFS_MAX_REGIONS - 1));
		rc->region_cnt--;
	}
	rc->regions[rc->region_cnt++] = (struct bpffs_mem_region){
		.start = (u64)(uintptr_t)start,
		.size = size,
		.writable = writable,
	};
}

void bpffs_trace_set_sink(void (*fn)(void *arg, const char *text, size_t len), void *arg)
{
	trace_sink_arg = arg;
	__atomic_store_n(&trace_sink_fn, fn, __ATOMIC_RELEASE);
}

/* Deliver trace text to the run's sink, else the process-wide one. */
void bpffs_trace_emit(const char *text, size_t len)
{
	struct bpffs_run_ctx *rc = current_rc;
	void (*fn)(void *, const char *, size_t);

	if (rc && rc->trace_sink) {
		rc->trace_sink(rc->trace_arg, text, len);
		return;
	}
	fn = __atomic_load_n(&trace_sink_fn, __ATOMIC_ACQUIRE);
	if (fn)
		fn(trace_sink_arg, text, len);
}
