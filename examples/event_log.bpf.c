// SPDX-License-Identifier: MIT
/*
 * Ring-buffer event log: each inotify event on the watched path becomes a
 * record {mask, name} in a ring buffer that the shell follows with cat.
 *
 *   cp event_log.bpf.o MNT/progs/
 *   ln -s MNT/progs/log_event MNT/hooks/inotify/<escaped path>/
 *   cat MNT/maps/events/stream
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpffs/hooks.h>

struct event {
	__u32 mask;
	__u32 name_len;
	char name[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("inotify")
int log_event(struct bpffs_inotify_ctx *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->mask = ctx->mask;
	e->name_len = ctx->name_len;
	__builtin_memcpy(e->name, ctx->name, sizeof(e->name));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
