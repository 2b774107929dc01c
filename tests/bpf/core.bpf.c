// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: CO-RE field relocations against this runtime's
 * context types: a local flavour of struct __sk_buff that declares only
 * a few fields (so local offsets differ from the runtime's), and the
 * project's timer context. The loader must rewrite the offsets.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
struct __sk_buff {
	__u32 len;
	__u32 mark;
	__u32 cb[5];
	__u32 not_in_runtime;
};
#include "bpffs/hooks.h"
#pragma clang attribute pop

SEC("socket")
int core_skb(struct __sk_buff *skb)
{
	return skb->mark + skb->cb[2] + skb->len;
}

SEC("timer")
int core_timer(struct bpffs_timer_ctx *ctx)
{
	return ctx->expirations;
}

/* field and type existence and size, answered by the loader */
SEC("socket")
int core_exists(struct __sk_buff *skb)
{
	int r = 0;

	if (bpf_core_field_exists(skb->not_in_runtime))
		r |= 1;
	if (bpf_core_field_exists(skb->mark))
		r |= 2;
	if (bpf_core_type_exists(struct bpffs_timer_ctx))
		r |= 4;
	return r + bpf_core_type_size(struct bpffs_timer_ctx);
}

char LICENSE[] SEC("license") = "GPL";
