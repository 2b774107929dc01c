// SPDX-License-Identifier: MIT
/*
 * The in-memory BPF object: freeing, lookups, the explicit program-type
 * override, and the section-name table that deduces a program's type and
 * expected attach type the way libbpf's section_defs do (including the
 * loose prefixes old objects rely on: `socket1`, `xdp_prog`, `cgroup/sock1`),
 * plus this project's own `timer` and `inotify` sections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "object.h"

void bpffs_object_free(struct bpffs_object *obj)
{
	if (!obj)
		return;
	for (u32 i = 0; i < obj->prog_cnt; i++) {
		free(obj->progs[i].insns);
		free(obj->progs[i].map_idx);
		free(obj->progs[i].func_info);
		free(obj->progs[i].line_info);
	}
	free(obj->progs);
	for (u32 i = 0; i < obj->map_cnt; i++) {
		free(obj->maps[i].init_data);
		free(obj->maps[i].init_slots);
	}
	free(obj->maps);
	btf__free(obj->btf);
	free(obj);
}

struct btf *bpffs_object_take_btf(struct bpffs_object *obj)
{
	struct btf *btf = obj->btf;

	obj->btf = NULL;
	return btf;
}

struct bpffs_obj_prog *bpffs_object_find_prog(const struct bpffs_object *obj, const char *name)
{
	for (u32 i = 0; i < obj->prog_cnt; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	return NULL;
}

struct bpffs_obj_map *bpffs_object_find_map(const struct bpffs_object *obj, const char *name)
{
	for (u32 i = 0; i < obj->map_cnt; i++)
		if (!strcmp(obj->maps[i].attr.name, name))
			return &obj->maps[i];
	return NULL;
}

int bpffs_object_set_prog_type(struct bpffs_object *obj, const char *prog_name, u32 type,
			       u32 expected_attach_type)
{
	int found = 0;

	for (u32 i = 0; i < obj->prog_cnt; i++) {
		if (prog_name && strcmp(obj->progs[i].name, prog_name))
			continue;
		obj->progs[i].type = type;
		obj->progs[i].expected_attach_type = expected_attach_type;
		found = 1;
	}
	return found ? 0 : -ENOENT;
}

/* ---- section table ------------------------------------------------------ */

enum {
	SEC_EXACT = 0,	/* name, or name followed by '/' */
	SEC_SLOPPY = 1,	/* any name starting with the prefix (legacy objects) */
};

struct sec_def {
	const char *prefix;
	u32 type;
	u32 attach;
	int flags;
};

/* More specific entries first: the first match wins. */
static const struct sec_def sec_defs[] = {
	{ "socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, SEC_SLOPPY },
	{ "sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, SEC_EXACT },
	{ "sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, SEC_EXACT },
	{ "kprobe.multi/", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, SEC_EXACT },
	{ "kretprobe.multi/", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, SEC_EXACT },
	{ "kprobe/", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "kretprobe/", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "uprobe", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "uretprobe", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "uprobe.s", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "uretprobe.s", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "ksyscall/", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "kretsyscall/", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "usdt", BPF_PROG_TYPE_KPROBE, 0, SEC_EXACT },
	{ "tc", BPF_PROG_TYPE_SCHED_CLS, 0, SEC_EXACT },
	{ "tcx", BPF_PROG_TYPE_SCHED_CLS, 0, SEC_EXACT },
	{ "classifier", BPF_PROG_TYPE_SCHED_CLS, 0, SEC_SLOPPY },
	{ "action", BPF_PROG_TYPE_SCHED_ACT, 0, SEC_SLOPPY },
	{ "tracepoint/", BPF_PROG_TYPE_TRACEPOINT, 0, SEC_EXACT },
	{ "tp/", BPF_PROG_TYPE_TRACEPOINT, 0, SEC_EXACT },
	{ "raw_tracepoint.w/", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, SEC_EXACT },
	{ "raw_tp.w/", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, SEC_EXACT },
	{ "raw_tracepoint/", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, SEC_EXACT },
	{ "raw_tp/", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, SEC_EXACT },
	{ "tp_btf/", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, SEC_EXACT },
	{ "fentry/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, SEC_EXACT },
	{ "fmod_ret/", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, SEC_EXACT },
	{ "fexit/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, SEC_EXACT },
	{ "fentry.s/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, SEC_EXACT },
	{ "fmod_ret.s/", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, SEC_EXACT },
	{ "fexit.s/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, SEC_EXACT },
	{ "freplace/", BPF_PROG_TYPE_EXT, 0, SEC_EXACT },
	{ "lsm/", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, SEC_EXACT },
	{ "lsm.s/", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, SEC_EXACT },
	{ "iter/", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, SEC_EXACT },
	{ "iter.s/", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, SEC_EXACT },
	{ "syscall", BPF_PROG_TYPE_SYSCALL, 0, SEC_EXACT },
	{ "xdp.frags/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, SEC_EXACT },
	{ "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, SEC_EXACT },
	{ "xdp.frags/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, SEC_EXACT },
	{ "xdp/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, SEC_EXACT },
	{ "xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, SEC_EXACT },
	{ "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, SEC_SLOPPY },
	{ "perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, SEC_SLOPPY },
	{ "lwt_in", BPF_PROG_TYPE_LWT_IN, 0, SEC_EXACT },
	{ "lwt_out", BPF_PROG_TYPE_LWT_OUT, 0, SEC_EXACT },
	{ "lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0, SEC_EXACT },
	{ "lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, SEC_EXACT },
	{ "sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, SEC_SLOPPY },
	{ "sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, SEC_EXACT },
	{ "sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, SEC_EXACT },
	{ "sk_skb", BPF_PROG_TYPE_SK_SKB, 0, SEC_SLOPPY },
	{ "sk_msg", BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, SEC_SLOPPY },
	{ "lirc_mode2", BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2, SEC_EXACT },
	{ "flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, SEC_SLOPPY },
	{ "cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, SEC_EXACT },
	{ "cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, SEC_EXACT },
	{ "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, 0, SEC_EXACT },
	{ "cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, SEC_EXACT },
	{ "cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, SEC_EXACT },
	{ "cgroup/sockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, 0, SEC_EXACT },
	{ "cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, SEC_SLOPPY },
	{ "cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, SEC_EXACT },
	{ "cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, SEC_EXACT },
	{ "cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, SEC_EXACT },
	{ "cgroup/bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, SEC_EXACT },
	{ "cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, SEC_EXACT },
	{ "cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, SEC_EXACT },
	{ "cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, SEC_EXACT },
	{ "cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, SEC_EXACT },
	{ "cgroup/recvmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, SEC_EXACT },
	{ "cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, SEC_EXACT },
	{ "cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, SEC_EXACT },
	{ "cgroup/getpeername6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, SEC_EXACT },
	{ "cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, SEC_EXACT },
	{ "cgroup/getsockname6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, SEC_EXACT },
	{ "cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, SEC_EXACT },
	{ "cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, SEC_EXACT },
	{ "cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, SEC_EXACT },
	{ "cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, SEC_EXACT },
	{ "struct_ops", BPF_PROG_TYPE_STRUCT_OPS, 0, SEC_EXACT },
	{ "sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, SEC_EXACT },
	/* this project's hooks */
	{ "timer", BPFFS_PROG_TYPE_TIMER, 0, SEC_EXACT },
	{ "inotify", BPFFS_PROG_TYPE_INOTIFY, 0, SEC_EXACT },
};

static bool sec_match(const struct sec_def *d, const char *sec, const char **rest)
{
	size_t n = strlen(d->prefix);

	if (strncmp(sec, d->prefix, n))
		return false;
	if (d->prefix[n - 1] == '/') {
		*rest = sec + n;
		return true;
	}
	if (sec[n] == '\0' || sec[n] == '/') {
		*rest = sec[n] ? sec + n + 1 : NULL;
		return true;
	}
	*rest = NULL;
	return d->flags & SEC_SLOPPY;
}

int bpffs_section_prog_type(const char *sec, u32 *type, u32 *expected_attach_type,
			    const char **attach_target)
{
	const char *rest = NULL;

	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(sec_defs); i++) {
		if (!sec_match(&sec_defs[i], sec, &rest))
			continue;
		*type = sec_defs[i].type;
		*expected_attach_type = sec_defs[i].attach;
		if (attach_target)
			*attach_target = rest && *rest ? rest : NULL;
		return 0;
	}
	return -ENOENT;
}

static const char *const prog_type_names[] = {
	[BPF_PROG_TYPE_UNSPEC] = "unspec",
	[BPF_PROG_TYPE_SOCKET_FILTER] = "socket_filter",
	[BPF_PROG_TYPE_KPROBE] = "kprobe",
	[BPF_PROG_TYPE_SCHED_CLS] = "sched_cls",
	[BPF_PROG_TYPE_SCHED_ACT] = "sched_act",
	[BPF_PROG_TYPE_TRACEPOINT] = "tracepoint",
	[BPF_PROG_TYPE_XDP] = "xdp",
	[BPF_PROG_TYPE_PERF_EVENT] = "perf_event",
	[BPF_PROG_TYPE_CGROUP_SKB] = "cgroup_skb",
	[BPF_PROG_TYPE_CGROUP_SOCK] = "cgroup_sock",
	[BPF_PROG_TYPE_LWT_IN] = "lwt_in",
	[BPF_PROG_TYPE_LWT_OUT] = "lwt_out",
	[BPF_PROG_TYPE_LWT_XMIT] = "lwt_xmit",
	[BPF_PROG_TYPE_SOCK_OPS] = "sock_ops",
	[BPF_PROG_TYPE_SK_SKB] = "sk_skb",
	[BPF_PROG_TYPE_CGROUP_DEVICE] = "cgroup_device",
	[BPF_PROG_TYPE_SK_MSG] = "sk_msg",
	[BPF_PROG_TYPE_RAW_TRACEPOINT] = "raw_tracepoint",
	[BPF_PROG_TYPE_CGROUP_SOCK_ADDR] = "cgroup_sock_addr",
	[BPF_PROG_TYPE_LWT_SEG6LOCAL] = "lwt_seg6local",
	[BPF_PROG_TYPE_LIRC_MODE2] = "lirc_mode2",
	[BPF_PROG_TYPE_SK_REUSEPORT] = "sk_reuseport",
	[BPF_PROG_TYPE_FLOW_DISSECTOR] = "flow_dissector",
	[BPF_PROG_TYPE_CGROUP_SYSCTL] = "cgroup_sysctl",
	[BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE] = "raw_tracepoint_writable",
	[BPF_PROG_TYPE_CGROUP_SOCKOPT] = "cgroup_sockopt",
	[BPF_PROG_TYPE_TRACING] = "tracing",
	[BPF_PROG_TYPE_STRUCT_OPS] = "struct_ops",
	[BPF_PROG_TYPE_EXT] = "ext",
	[BPF_PROG_TYPE_LSM] = "lsm",
	[BPF_PROG_TYPE_SK_LOOKUP] = "sk_lookup",
	[BPF_PROG_TYPE_SYSCALL] = "syscall",
};

const char *bpffs_prog_type_name(u32 type)
{
	if (type == BPFFS_PROG_TYPE_TIMER)
		return "timer";
	if (type == BPFFS_PROG_TYPE_INOTIFY)
		return "inotify";
	if (type < BPFFS_ARRAY_SIZE(prog_type_names))
		return prog_type_names[type];
	return NULL;
}
