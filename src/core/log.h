/* SPDX-License-Identifier: MIT */
/*
 * Daemon diagnostics with one sink, libbpf-style: pr_warn/pr_info/pr_debug.
 * The sink is stderr in the foreground and syslog for a daemonised mount.
 * User-facing explanations of a failed request go to a struct bpffs_vlog.
 */
#ifndef BPFFS_LOG_H
#define BPFFS_LOG_H

enum bpffs_log_level { BPFFS_PR_WARN, BPFFS_PR_INFO, BPFFS_PR_DEBUG };

void bpffs_log_set_syslog(int on);
void bpffs_log_set_level(enum bpffs_log_level max);
void bpffs_log_print(enum bpffs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...) bpffs_log_print(BPFFS_PR_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) bpffs_log_print(BPFFS_PR_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) bpffs_log_print(BPFFS_PR_DEBUG, fmt, ##__VA_ARGS__)

#endif /* BPFFS_LOG_H */
