/* SPDX-License-Identifier: MIT */
/*
 * The one place that includes libfuse's low-level header, for ops.c and
 * main.c only. Nothing outside src/fs includes it (DESIGN.md boundaries).
 */
#ifndef BPFFS_FS_FUSE_GLUE_H
#define BPFFS_FS_FUSE_GLUE_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

/* The handlers of ops.c; the session's userdata is the struct bpffs_fs. */
extern const struct fuse_lowlevel_ops bpffs_fuse_ops;

#endif /* BPFFS_FS_FUSE_GLUE_H */
