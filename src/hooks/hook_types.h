/* SPDX-License-Identifier: MIT */
/*
 * The one list of hook types: BPFFS_HOOK_TYPE(name) names the directory
 * hooks/<name>/ and `const struct bpffs_hook_ops bpffs_<name>_hook_ops`,
 * defined in src/hooks/<name>.c. A new hook type is one file plus one line.
 */
BPFFS_HOOK_TYPE(socket)
BPFFS_HOOK_TYPE(timer)
BPFFS_HOOK_TYPE(inotify)
