/* SPDX-License-Identifier: MIT */
/*
 * Shared between maps_dir.c (the maps/ directory, specs, formats) and
 * map_dir.c (one map's directory, its .info and entry files).
 */
#ifndef BPFFS_FS_MAP_INTERNAL_H
#define BPFFS_FS_MAP_INTERNAL_H

#include "internal.h"
#include "render.h"

struct bpffs_map;

/* A published map's directory; the node's obj is a map reference. */
extern const struct bpffs_node_ops bpffs_map_dir_ops;

/* Text formats of @map's keys and values (from its spec, else the default). */
struct bpffs_map_fmt bpffs_fs_map_fmt(struct bpffs_fs *fs, const struct bpffs_map *map);
/* Remember @f for @map (a state directory restoring a map made by mkdir). */
int bpffs_fs_map_fmt_set(struct bpffs_fs *fs, struct bpffs_map *map, struct bpffs_map_fmt f);

#endif /* BPFFS_FS_MAP_INTERNAL_H */
