/* SPDX-License-Identifier: MIT */
/*
 * The one list of helpers this runtime provides. Each line names a
 * `const struct bpffs_helper bpffs_helper_<name>` defined in the module that
 * owns it (core for generic helpers, maps for map helpers, hooks for
 * context helpers). helpers.c builds the table indexed by helper id from it.
 * Adding a helper: define its struct, add one line here.
 */
/* src/core/helpers.c */
BPFFS_HELPER(ktime_get_ns)
BPFFS_HELPER(ktime_get_boot_ns)
BPFFS_HELPER(ktime_get_coarse_ns)
BPFFS_HELPER(get_prandom_u32)
BPFFS_HELPER(get_smp_processor_id)
BPFFS_HELPER(trace_printk)
BPFFS_HELPER(snprintf)
BPFFS_HELPER(strtol)
BPFFS_HELPER(strtoul)
BPFFS_HELPER(jiffies64)
BPFFS_HELPER(loop)
BPFFS_HELPER(tail_call)
/* src/hooks/ctx_helpers.c */
BPFFS_HELPER(get_current_pid_tgid)
BPFFS_HELPER(get_current_uid_gid)
BPFFS_HELPER(get_current_comm)
BPFFS_HELPER(skb_load_bytes)
BPFFS_HELPER(xdp_adjust_head)
BPFFS_HELPER(xdp_adjust_tail)
BPFFS_HELPER(redirect)
/* src/maps/map_helpers.c */
BPFFS_HELPER(map_lookup_elem)
BPFFS_HELPER(map_update_elem)
BPFFS_HELPER(map_delete_elem)
BPFFS_HELPER(map_lookup_percpu_elem)
BPFFS_HELPER(map_push_elem)
BPFFS_HELPER(map_pop_elem)
BPFFS_HELPER(map_peek_elem)
BPFFS_HELPER(ringbuf_output)
BPFFS_HELPER(ringbuf_reserve)
BPFFS_HELPER(ringbuf_submit)
BPFFS_HELPER(ringbuf_discard)
BPFFS_HELPER(ringbuf_query)
BPFFS_HELPER(perf_event_output)
BPFFS_HELPER(for_each_map_elem)
BPFFS_HELPER(redirect_map)
BPFFS_HELPER(spin_lock)
BPFFS_HELPER(spin_unlock)
