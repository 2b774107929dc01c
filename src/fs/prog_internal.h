/* SPDX-License-Identifier: MIT */
/*
 * Shared between progs_dir.c (progs/: loading, objects, .log) and
 * prog_dir.c (one program's directory and its files).
 */
#ifndef BPFFS_FS_PROG_INTERNAL_H
#define BPFFS_FS_PROG_INTERNAL_H

#include "internal.h"

/* A published program's directory; the node's obj is a program reference. */
extern const struct bpffs_node_ops bpffs_prog_dir_ops;
/* progs/NAME/run and run_repeat (prog_run.c); the node's obj is a program reference. */
extern const struct bpffs_node_ops bpffs_prog_run_ops;
extern const struct bpffs_node_ops bpffs_prog_run_repeat_ops;

#endif /* BPFFS_FS_PROG_INTERNAL_H */
