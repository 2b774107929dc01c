// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: CO-RE field relocations against this runtime's
 * context types: a local flavour of struct __sk_buff that declares only
 * a few fields (so local offsets differ from the runtime's), and the
 * project's timer context. The loader must rewrite the offsets.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
struct __sk_buff {
	__u32 len;
	__u32 mark;
	__u32 cb[5];
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

char LICENSE[] SEC("license") = "GPL";
