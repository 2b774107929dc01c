// SPDX-License-Identifier: MIT
/*
 * Program-type descriptions (the kernel's bpf_verifier_ops): for each type
 * the context size, which context offsets may be read or written at which
 * sizes, which loads yield packet pointers, and which helpers may be called.
 * The context layouts are the user-visible uapi structs (__sk_buff, xdp_md,
 * pt_regs); if the runtime's in-memory context differs, the loader rewrites
 * the accesses, not the verifier. Kernel-only types (kprobe, tracepoint,
 * raw_tracepoint, perf_event, cgroup_skb) are described so that real objects
 * can be verified; the runtime may not be able to attach them.
 */
#include <stddef.h>
#include "internal.h"
#include "core/object.h"	/* BPFFS_PROG_TYPE_TIMER, BPFFS_PROG_TYPE_INOTIFY */
#include "bpffs/hooks.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define IN_FIELD(off, size, T, m) \
	((off) >= (int)offsetof(T, m) && (off) + (size) <= (int)offsetofend(T, m))

/* helpers every type may call (the kernel's bpf_base_func_proto) */
static bool base_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem:
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
	case BPF_FUNC_map_push_elem:
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_get_prandom_u32:
	case BPF_FUNC_get_smp_processor_id:
	case BPF_FUNC_get_numa_node_id:
	case BPF_FUNC_tail_call:
	case BPF_FUNC_ktime_get_ns:
	case BPF_FUNC_ktime_get_boot_ns:
	case BPF_FUNC_ktime_get_coarse_ns:
	case BPF_FUNC_ktime_get_tai_ns:
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_submit:
	case BPF_FUNC_ringbuf_discard:
	case BPF_FUNC_ringbuf_query:
	case BPF_FUNC_for_each_map_elem:
	case BPF_FUNC_loop:
	case BPF_FUNC_strncmp:
	case BPF_FUNC_spin_lock:
	case BPF_FUNC_spin_unlock:
	case BPF_FUNC_jiffies64:
	case BPF_FUNC_timer_init:
	case BPF_FUNC_timer_set_callback:
	case BPF_FUNC_timer_start:
	case BPF_FUNC_timer_cancel:
	case BPF_FUNC_trace_printk:
	case BPF_FUNC_snprintf:
	case BPF_FUNC_strtol:
	case BPF_FUNC_strtoul:
	case BPF_FUNC_probe_read_kernel:
	case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_get_current_task:
	case BPF_FUNC_get_current_task_btf:
	/* in the kernel's base set for CAP_BPF / CAP_PERFMON (root profile) */
	case BPF_FUNC_map_lookup_percpu_elem:
	case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid:
	case BPF_FUNC_get_current_comm:
		return true;
	}
	return false;
}

static bool sk_filter_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_skb_load_bytes:
	case BPF_FUNC_skb_load_bytes_relative:
	case BPF_FUNC_get_socket_cookie:
	case BPF_FUNC_get_socket_uid:
	case BPF_FUNC_perf_event_output:
		return true;
	}
	return base_helper(id);
}

static bool tc_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_skb_store_bytes:
	case BPF_FUNC_skb_pull_data:
	case BPF_FUNC_csum_diff:
	case BPF_FUNC_csum_update:
	case BPF_FUNC_csum_level:
	case BPF_FUNC_l3_csum_replace:
	case BPF_FUNC_l4_csum_replace:
	case BPF_FUNC_clone_redirect:
	case BPF_FUNC_get_cgroup_classid:
	case BPF_FUNC_skb_vlan_push:
	case BPF_FUNC_skb_vlan_pop:
	case BPF_FUNC_skb_change_proto:
	case BPF_FUNC_skb_change_type:
	case BPF_FUNC_skb_adjust_room:
	case BPF_FUNC_skb_change_tail:
	case BPF_FUNC_skb_change_head:
	case BPF_FUNC_skb_get_tunnel_key:
	case BPF_FUNC_skb_set_tunnel_key:
	case BPF_FUNC_skb_get_tunnel_opt:
	case BPF_FUNC_skb_set_tunnel_opt:
	case BPF_FUNC_redirect:
	case BPF_FUNC_redirect_neigh:
	case BPF_FUNC_redirect_peer:
	case BPF_FUNC_get_route_realm:
	case BPF_FUNC_get_hash_recalc:
	case BPF_FUNC_set_hash_invalid:
	case BPF_FUNC_set_hash:
	case BPF_FUNC_skb_under_cgroup:
	case BPF_FUNC_fib_lookup:
	case BPF_FUNC_skb_ecn_set_ce:
	case BPF_FUNC_skb_cgroup_id:
	case BPF_FUNC_skb_ancestor_cgroup_id:
	case BPF_FUNC_skb_set_tstamp:
	case BPF_FUNC_check_mtu:
	case BPF_FUNC_sk_lookup_tcp:
	case BPF_FUNC_sk_lookup_udp:
	case BPF_FUNC_skc_lookup_tcp:
	case BPF_FUNC_sk_release:
	case BPF_FUNC_sk_assign:
		return true;
	}
	return sk_filter_helper(id);
}

static bool xdp_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_csum_diff:
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_meta:
	case BPF_FUNC_xdp_adjust_tail:
	case BPF_FUNC_redirect:
	case BPF_FUNC_redirect_map:
	case BPF_FUNC_fib_lookup:
	case BPF_FUNC_check_mtu:
	case BPF_FUNC_xdp_get_buff_len:
	case BPF_FUNC_xdp_load_bytes:
	case BPF_FUNC_xdp_store_bytes:
	case BPF_FUNC_sk_lookup_tcp:
	case BPF_FUNC_sk_lookup_udp:
	case BPF_FUNC_skc_lookup_tcp:
	case BPF_FUNC_sk_release:
		return true;
	}
	return base_helper(id);
}

static bool tracing_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_probe_read:
	case BPF_FUNC_probe_read_str:
	case BPF_FUNC_probe_read_user:
	case BPF_FUNC_probe_read_user_str:
	case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid:
	case BPF_FUNC_get_current_comm:
	case BPF_FUNC_get_current_cgroup_id:
	case BPF_FUNC_get_current_ancestor_cgroup_id:
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_perf_event_read:
	case BPF_FUNC_perf_event_read_value:
	case BPF_FUNC_get_stackid:
	case BPF_FUNC_get_stack:
	case BPF_FUNC_send_signal:
	case BPF_FUNC_current_task_under_cgroup:
	case BPF_FUNC_get_ns_current_pid_tgid:
	case BPF_FUNC_get_func_ip:
	case BPF_FUNC_get_attach_cookie:
		return true;
	case BPF_FUNC_perf_prog_read_value:
		return false;	/* perf_event programs only: see perf_event_helper */
	case BPF_FUNC_ktime_get_coarse_ns:
		/* the kernel withholds it from tracing programs, which may run
		 * in NMI context where its seqcount read could spin forever */
		return false;
	case BPF_FUNC_probe_write_user:
		/* Writes another process's memory: the kernel withholds it
		 * under lockdown (as on the reference machine: "program of
		 * this type cannot use helper"), and this runtime has no such
		 * memory to write. */
		return false;
	}
	return base_helper(id);
}

/* Loads of 1/2/4 bytes inside one 4-byte field (the kernel's narrow loads). */
static bool narrow_ok(int off, int size, int field_size)
{
	return size == field_size || (size < field_size && size > 0 && !(off % size));
}

/* Read rules common to every __sk_buff program type. */
static bool skb_read_ok(int off, int size, struct ctx_access_info *info)
{
	if (off < 0 || off >= (int)sizeof(struct __sk_buff) || off % size)
		return false;
	if (IN_FIELD(off, size, struct __sk_buff, cb))
		return true;
	if (IN_FIELD(off, size, struct __sk_buff, tstamp) ||
	    IN_FIELD(off, size, struct __sk_buff, hwtstamp))
		return size == 8;
	if (IN_FIELD(off, size, struct __sk_buff, flow_keys) ||
	    IN_FIELD(off, size, struct __sk_buff, sk))
		return false;
	if (off == offsetof(struct __sk_buff, data)) {
		info->reg_type = PTR_TO_PACKET;
		return size == 4;
	}
	if (off == offsetof(struct __sk_buff, data_end)) {
		info->reg_type = PTR_TO_PACKET_END;
		return size == 4;
	}
	if (off == offsetof(struct __sk_buff, data_meta)) {
		info->reg_type = PTR_TO_PACKET_META;
		return size == 4;
	}
	return narrow_ok(off % 4, size, 4);
}

/* cb[] takes writes of any size, aligned (the kernel's bpf_skb_is_valid_access) */
static bool cb_write_ok(int off, int size)
{
	return IN_FIELD(off, size, struct __sk_buff, cb) && !(off % size);
}

static bool sk_filter_access(int off, int size, bool write, u32 attach,
			     struct ctx_access_info *info)
{
	if (size <= 0 || (size & (size - 1)) || size > 8)
		return false;
	if (IN_FIELD(off, size, struct __sk_buff, tc_classid) ||
	    IN_FIELD(off, size, struct __sk_buff, data) ||
	    IN_FIELD(off, size, struct __sk_buff, data_meta) ||
	    IN_FIELD(off, size, struct __sk_buff, tstamp) ||
	    IN_FIELD(off, size, struct __sk_buff, wire_len) ||
	    IN_FIELD(off, size, struct __sk_buff, hwtstamp) ||
	    (off >= (int)offsetof(struct __sk_buff, family) &&
	     off < (int)offsetofend(struct __sk_buff, local_port)))
		return false;
	if (write)
		return cb_write_ok(off, size);
	return skb_read_ok(off, size, info);
}

static bool tc_access(int off, int size, bool write, u32 attach, struct ctx_access_info *info)
{
	if (size <= 0 || (size & (size - 1)) || size > 8)
		return false;
	if (off >= (int)offsetof(struct __sk_buff, family) &&
	    off < (int)offsetofend(struct __sk_buff, local_port))
		return false;
	if (write) {
		if (off % size)
			return false;
		if (IN_FIELD(off, size, struct __sk_buff, tstamp))
			return size == 8;
		if (cb_write_ok(off, size))
			return true;
		return size == 4 &&
		       (IN_FIELD(off, size, struct __sk_buff, mark) ||
			IN_FIELD(off, size, struct __sk_buff, tc_index) ||
			IN_FIELD(off, size, struct __sk_buff, priority) ||
			IN_FIELD(off, size, struct __sk_buff, cb) ||
			IN_FIELD(off, size, struct __sk_buff, tc_classid) ||
			IN_FIELD(off, size, struct __sk_buff, queue_mapping));
	}
	return skb_read_ok(off, size, info);
}

static bool cg_skb_access(int off, int size, bool write, u32 attach,
			  struct ctx_access_info *info)
{
	if (size <= 0 || (size & (size - 1)) || size > 8)
		return false;
	if (IN_FIELD(off, size, struct __sk_buff, tc_classid) ||
	    IN_FIELD(off, size, struct __sk_buff, data_meta) ||
	    IN_FIELD(off, size, struct __sk_buff, wire_len))
		return false;
	if (write) {
		if (off % size)
			return false;
		return cb_write_ok(off, size) ||
		       (size == 4 && (IN_FIELD(off, size, struct __sk_buff, mark) ||
				      IN_FIELD(off, size, struct __sk_buff, priority)));
	}
	return skb_read_ok(off, size, info);
}

static bool xdp_access(int off, int size, bool write, u32 attach, struct ctx_access_info *info)
{
	if (write || off < 0 || off >= (int)sizeof(struct xdp_md) || size != 4 || off % 4)
		return false;
	if (off == offsetof(struct xdp_md, egress_ifindex) && attach != BPF_XDP_DEVMAP)
		return false;
	if (off == offsetof(struct xdp_md, data))
		info->reg_type = PTR_TO_PACKET;
	else if (off == offsetof(struct xdp_md, data_end))
		info->reg_type = PTR_TO_PACKET_END;
	else if (off == offsetof(struct xdp_md, data_meta))
		info->reg_type = PTR_TO_PACKET_META;
	return true;
}

#define PT_REGS_SIZE 168	/* x86-64 struct pt_regs */

static bool kprobe_access(int off, int size, bool write, u32 attach,
			  struct ctx_access_info *info)
{
	if (write || off < 0 || off >= PT_REGS_SIZE || size <= 0 || off % size)
		return false;
	return size == 8 || (size < 8 && !((off % 8) % size));
}

static bool tracepoint_access(int off, int size, bool write, u32 attach,
			      struct ctx_access_info *info)
{
	if (write || off < 0 || off >= 2048 || size <= 0 || off % size)
		return false;
	return true;
}

static bool raw_tp_access(int off, int size, bool write, u32 attach,
			  struct ctx_access_info *info)
{
	if (write || off < 0 || off >= 8 * 12 || off % size)
		return false;
	return size == 8;
}

static bool perf_event_access(int off, int size, bool write, u32 attach,
			      struct ctx_access_info *info)
{
	if (write || off < 0 || off >= PT_REGS_SIZE + 16 || size <= 0 || off % size)
		return false;
	return true;
}

/* The project's own hooks: read-only contexts, generic and current-task helpers. */
static bool hook_helper(u32 id)
{
	switch (id) {
	case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid:
	case BPF_FUNC_get_current_comm:
	case BPF_FUNC_perf_event_output:
		return true;
	}
	return base_helper(id);
}

static bool readonly_ctx_access(int off, int size, bool write, u32 ctx_size)
{
	if (write || off < 0 || size <= 0 || off + size > (int)ctx_size || off % size)
		return false;
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static bool timer_access(int off, int size, bool write, u32 attach, struct ctx_access_info *info)
{
	return readonly_ctx_access(off, size, write, sizeof(struct bpffs_timer_ctx));
}

static bool inotify_access(int off, int size, bool write, u32 attach,
			   struct ctx_access_info *info)
{
	return readonly_ctx_access(off, size, write, sizeof(struct bpffs_inotify_ctx));
}

static bool perf_event_helper(u32 id)
{
	return id == BPF_FUNC_perf_prog_read_value || tracing_helper(id);
}

static const struct prog_type_desc prog_types[] = {
	{ .type = BPFFS_PROG_TYPE_TIMER, .name = "timer",
	  .ctx_size = sizeof(struct bpffs_timer_ctx), .is_valid_access = timer_access,
	  .helper_allowed = hook_helper },
	{ .type = BPFFS_PROG_TYPE_INOTIFY, .name = "inotify",
	  .ctx_size = sizeof(struct bpffs_inotify_ctx), .is_valid_access = inotify_access,
	  .helper_allowed = hook_helper },
	{ .type = BPF_PROG_TYPE_SOCKET_FILTER, .name = "socket_filter",
	  .ctx_size = sizeof(struct __sk_buff), .is_valid_access = sk_filter_access,
	  .helper_allowed = sk_filter_helper, .has_packet = true },
	{ .type = BPF_PROG_TYPE_SCHED_CLS, .name = "sched_cls",
	  .ctx_size = sizeof(struct __sk_buff), .is_valid_access = tc_access,
	  .helper_allowed = tc_helper, .has_packet = true, .can_change_pkt = true },
	{ .type = BPF_PROG_TYPE_SCHED_ACT, .name = "sched_act",
	  .ctx_size = sizeof(struct __sk_buff), .is_valid_access = tc_access,
	  .helper_allowed = tc_helper, .has_packet = true, .can_change_pkt = true },
	{ .type = BPF_PROG_TYPE_XDP, .name = "xdp", .ctx_size = sizeof(struct xdp_md),
	  .is_valid_access = xdp_access, .helper_allowed = xdp_helper, .has_packet = true,
	  .can_change_pkt = true },
	{ .type = BPF_PROG_TYPE_CGROUP_SKB, .name = "cgroup_skb",
	  .ctx_size = sizeof(struct __sk_buff), .is_valid_access = cg_skb_access,
	  .helper_allowed = sk_filter_helper, .has_packet = true, .check_ret = true,
	  .ret_min = 0, .ret_max = 1 },
	{ .type = BPF_PROG_TYPE_KPROBE, .name = "kprobe", .ctx_size = PT_REGS_SIZE,
	  .is_valid_access = kprobe_access, .helper_allowed = tracing_helper },
	{ .type = BPF_PROG_TYPE_TRACEPOINT, .name = "tracepoint", .ctx_size = 2048,
	  .is_valid_access = tracepoint_access, .helper_allowed = tracing_helper },
	{ .type = BPF_PROG_TYPE_RAW_TRACEPOINT, .name = "raw_tracepoint", .ctx_size = 96,
	  .is_valid_access = raw_tp_access, .helper_allowed = tracing_helper },
	{ .type = BPF_PROG_TYPE_PERF_EVENT, .name = "perf_event", .ctx_size = PT_REGS_SIZE + 16,
	  .is_valid_access = perf_event_access, .helper_allowed = perf_event_helper },
};

const struct prog_type_desc *prog_type_desc_get(u32 type)
{
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(prog_types); i++)
		if (prog_types[i].type == type)
			return &prog_types[i];
	return NULL;
}

bool bpffs_verifier_knows_prog_type(u32 type)
{
	return prog_type_desc_get(type) != NULL;
}
