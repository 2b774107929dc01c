// SPDX-License-Identifier: MIT
/*
 * File-activity counter: an inotify program counting creates, modifies and
 * deletes under a watched directory (array map indexed 0/1/2).
 *
 *   cp file_activity.bpf.o MNT/progs/
 *   mkdir "MNT/hooks/inotify/$(systemd-escape --path /tmp/watched)"
 *   ln -s MNT/progs/file_activity "MNT/hooks/inotify/$(systemd-escape --path /tmp/watched)/"
 *   touch /tmp/watched/a; cat MNT/maps/file_events/0
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpffs/hooks.h>

#define IN_MODIFY 0x00000002
#define IN_CREATE 0x00000100
#define IN_DELETE 0x00000200

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);	/* 0 creates, 1 modifies, 2 deletes */
} file_events SEC(".maps");

SEC("inotify")
int file_activity(struct bpffs_inotify_ctx *ctx)
{
	__u32 key;
	__u64 *cnt;

	if (ctx->mask & IN_CREATE)
		key = 0;
	else if (ctx->mask & IN_MODIFY)
		key = 1;
	else if (ctx->mask & IN_DELETE)
		key = 2;
	else
		return 0;
	cnt = bpf_map_lookup_elem(&file_events, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
