// SPDX-License-Identifier: MIT
/*
 * Helpers that need an event context, listed in src/core/helper_list.h.
 * "Current task" helpers describe the thread running the program: in user
 * space that is the hook worker of the bpffs-user daemon (pid = the
 * daemon's pid, tid = the worker's tid, comm = its name, e.g. "bpffs-timer");
 * they never describe the process that caused an event. Packet helpers
 * reach the frame through the context (struct bpffs_skb / bpffs_xdp_buff).
 * Every helper runs inside a program run: none blocks.
 */
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "internal.h"

__thread u32 bpffs_xdp_redirect_ifindex;

static __thread u64 cur_pid_tgid;
static __thread char cur_comm[16];

static u64 get_current_pid_tgid(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	if (unlikely(!cur_pid_tgid))
		cur_pid_tgid = ((u64)getpid() << 32) | (u32)syscall(SYS_gettid);
	return cur_pid_tgid;
}

const struct bpffs_helper bpffs_helper_get_current_pid_tgid = {
	.id = BPF_FUNC_get_current_pid_tgid,
	.name = "bpf_get_current_pid_tgid",
	.fn = get_current_pid_tgid,
	.ret = BPFFS_RET_INTEGER,
};

static u64 get_current_uid_gid(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return ((u64)getgid() << 32) | (u32)getuid();
}

const struct bpffs_helper bpffs_helper_get_current_uid_gid = {
	.id = BPF_FUNC_get_current_uid_gid,
	.name = "bpf_get_current_uid_gid",
	.fn = get_current_uid_gid,
	.ret = BPFFS_RET_INTEGER,
};

/* bpf_get_current_comm(buf, size): the thread's name, NUL-terminated, zero-padded. */
static u64 get_current_comm(u64 buf, u64 size, u64 r3, u64 r4, u64 r5)
{
	char *dst = (char *)(uintptr_t)buf;
	size_t n;

	if (!size)
		return (u64)(s64)-EINVAL;
	if (unlikely(!cur_comm[0]) && prctl(PR_GET_NAME, cur_comm, 0, 0, 0))
		strcpy(cur_comm, "bpffs-user");
	n = strnlen(cur_comm, sizeof(cur_comm));
	if (n >= size)
		n = size - 1;
	memcpy(dst, cur_comm, n);
	memset(dst + n, 0, size - n);
	return 0;
}

const struct bpffs_helper bpffs_helper_get_current_comm = {
	.id = BPF_FUNC_get_current_comm,
	.name = "bpf_get_current_comm",
	.fn = get_current_comm,
	.ret = BPFFS_RET_INTEGER,
	.arg = { BPFFS_ARG_PTR_TO_UNINIT_MEM, BPFFS_ARG_CONST_SIZE },
};

/* bpf_skb_load_bytes(skb, offset, to, len): -EFAULT (and @to zeroed) out of range. */
static u64 skb_load_bytes(u64 ctx, u64 off, u64 to, u64 len, u64 r5)
{
	const struct bpffs_skb *s = container_of((struct __sk_buff *)(uintptr_t)ctx,
						 struct bpffs_skb, skb);
	u32 o = (u32)off, l = (u32)len;

	if ((s32)o < 0 || o > s->caplen || l > s->caplen - o) {
		memset((void *)(uintptr_t)to, 0, l);
		return (u64)(s64)-EFAULT;
	}
	memcpy((void *)(uintptr_t)to, s->data + o, l);
	return 0;
}

const struct bpffs_helper bpffs_helper_skb_load_bytes = {
	.id = BPF_FUNC_skb_load_bytes,
	.name = "bpf_skb_load_bytes",
	.fn = skb_load_bytes,
	.ret = BPFFS_RET_INTEGER,
	.arg = { BPFFS_ARG_PTR_TO_CTX, BPFFS_ARG_ANYTHING, BPFFS_ARG_PTR_TO_UNINIT_MEM,
		 BPFFS_ARG_CONST_SIZE },
};

static struct bpffs_xdp_buff *xdp_of(u64 ctx)
{
	return container_of((struct xdp_md *)(uintptr_t)ctx, struct bpffs_xdp_buff, md);
}

/* bpf_xdp_adjust_head(xdp, delta): move the start; at least an Ethernet header stays. */
static u64 xdp_adjust_head(u64 ctx, u64 delta, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_xdp_buff *x = xdp_of(ctx);
	u8 *data = x->data + (s32)delta;

	if (data < x->hard_start || data + BPFFS_ETH_HLEN > x->data_end)
		return (u64)(s64)-EINVAL;
	x->data = data;
	bpffs_xdp_sync(x);
	bpffs_run_ctx_add_region(bpffs_run_ctx_current(), x->data, x->data_end - x->data, true);
	return 0;
}

const struct bpffs_helper bpffs_helper_xdp_adjust_head = {
	.id = BPF_FUNC_xdp_adjust_head,
	.name = "bpf_xdp_adjust_head",
	.fn = xdp_adjust_head,
	.ret = BPFFS_RET_INTEGER,
	.arg = { BPFFS_ARG_PTR_TO_CTX, BPFFS_ARG_ANYTHING },
};

/* bpf_xdp_adjust_tail(xdp, delta): grow into the tailroom or shrink. */
static u64 xdp_adjust_tail(u64 ctx, u64 delta, u64 r3, u64 r4, u64 r5)
{
	struct bpffs_xdp_buff *x = xdp_of(ctx);
	u8 *end = x->data_end + (s32)delta;

	if (end > x->frame_end || end < x->data + BPFFS_ETH_HLEN)
		return (u64)(s64)-EINVAL;
	if (end > x->data_end)
		memset(x->data_end, 0, (size_t)(end - x->data_end));	/* no stale bytes */
	x->data_end = end;
	bpffs_xdp_sync(x);
	bpffs_run_ctx_add_region(bpffs_run_ctx_current(), x->data, x->data_end - x->data, true);
	return 0;
}

const struct bpffs_helper bpffs_helper_xdp_adjust_tail = {
	.id = BPF_FUNC_xdp_adjust_tail,
	.name = "bpf_xdp_adjust_tail",
	.fn = xdp_adjust_tail,
	.ret = BPFFS_RET_INTEGER,
	.arg = { BPFFS_ARG_PTR_TO_CTX, BPFFS_ARG_ANYTHING },
};

/* bpf_redirect(ifindex, flags): XDP_REDIRECT to that interface (flags must be 0). */
static u64 redirect(u64 ifindex, u64 flags, u64 r3, u64 r4, u64 r5)
{
	if (flags)
		return XDP_ABORTED;
	bpffs_xdp_redirect_ifindex = (u32)ifindex;
	return XDP_REDIRECT;
}

const struct bpffs_helper bpffs_helper_redirect = {
	.id = BPF_FUNC_redirect,
	.name = "bpf_redirect",
	.fn = redirect,
	.ret = BPFFS_RET_INTEGER,
	.arg = { BPFFS_ARG_ANYTHING, BPFFS_ARG_ANYTHING },
};
