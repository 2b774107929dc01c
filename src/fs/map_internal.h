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

/*
 * A value of @map as the text cat prints (typed by the map's BTF when it can
 * be shown, else the map's value format; per-CPU maps one "cpuN: " line per
 * CPU), and back: every form that text takes is accepted (map_dir.c).
 */
int bpffs_fs_value_text(struct bpffs_fs *fs, struct bpffs_map *map, const u8 *val, char **out,
			size_t *len);
int bpffs_fs_value_parse(struct bpffs_fs *fs, struct bpffs_map *map, const char *text, size_t len,
			 u8 *val);

/*
 * Special maps (map_special.c): extra files of a map's directory (ringbuf
 * "stream", queue/stack "push", "pop", "peek"). Lookup returns 0 and the
 * child, or -ENOENT when @name is not one; readdir lists them with cookies
 * from 1 (after .info), returning 1 when @fill is full.
 */
int bpffs_map_special_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out);
int bpffs_map_special_readdir(const struct bpffs_map *map, off_t off, bpffs_fill_fn fill,
			      void *ctx);
/* Maps listed by their special files only (no keys, or perf event arrays). */
bool bpffs_map_special_only(const struct bpffs_map *map);

/*
 * Object maps (map_slots.c): PROG_ARRAY and map-in-map entries hold names
 * (echo NAME > KEY); their entry files are of this kind, and empty array
 * slots are not listed.
 */
extern const struct bpffs_node_ops bpffs_map_slot_ops;
bool bpffs_map_has_slots(const struct bpffs_map *map);
bool bpffs_map_slot_empty(struct bpffs_map *map, const void *key);

#endif /* BPFFS_FS_MAP_INTERNAL_H */
