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
