/* SPDX-License-Identifier: MIT */
/*
 * Shared only by the state directory's files: state.c (objects, maps, the
 * flusher), state_hooks.c (hook directories and links) and state_mmap.c
 * (BPF_F_MMAPABLE arrays backed by files).
 */
#ifndef BPFFS_STATE_INTERNAL_H
#define BPFFS_STATE_INTERNAL_H

#include <pthread.h>

#include "state.h"

struct bpffs_state {
	struct bpffs_registry *reg;
	struct bpffs_state_opts opts;
	char *dir;
	pthread_mutex_t flush_lock;	/* one flush at a time; guards the sets */
	struct saved_set {
		struct saved *v;
		u32 cnt, cap;
	} objs, maps;
	u64 tmp_seq;			/* atomic: names of files in tmp/ */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
	/* hooks and links (state_hooks.c) */
	pthread_mutex_t hooks_lock;	/* one hooks-file write at a time */
	bool hooks_live;		/* hooks_lock: the file follows the hook registry now */
	bool hooks_saved;		/* hooks_sha is what DIR/hooks holds */
	u8 hooks_sha[32];
	/* file-backed maps (state_mmap.c) */
	int backing_dirfd;		/* DIR/tmp, where arrays make their unnamed files; -1 */
	u64 backing_gen;		/* atomic: the last GEN given to a file */
};

/* Write @buf as DIR/@sub/@name@suffix: complete in tmp/, synced, renamed. 0 or -errno. */
int bpffs_state_write_atomic(struct bpffs_state *st, const char *sub, const char *name,
			     const char *suffix, const void *buf, size_t len);
/* The whole file at @path (malloc'd, one spare byte after the end), or NULL. */
void *bpffs_state_read_whole(const char *path, size_t *len);

/* fsync DIR/@sub (after a rename or unlink in it). 0 or -errno. */
int bpffs_state_sync_dir(const struct bpffs_state *st, const char *sub);

/* Write the loaded objects not on disk yet (before a hooks file that names them). */
int bpffs_state_flush_objects(struct bpffs_state *st);

/* state_hooks.c */
/* Write DIR/hooks if the hook registry changed since the last write. 0 or -errno. */
int bpffs_state_hooks_flush(struct bpffs_state *st);
/*
 * Re-create the hook directories and re-attach the links of DIR/hooks (after
 * objects and maps), then follow every change of the hook registry.
 */
void bpffs_state_hooks_restore(struct bpffs_state *st, struct bpffs_state_stats *stats);
/*
 * Clean stop: write DIR/hooks a last time, stop following the hook registry,
 * then detach every link (bpffs_hooks_shutdown) so that no program run
 * changes a map after the last flush.
 */
void bpffs_state_hooks_stop(struct bpffs_state *st);

/* state_mmap.c */
/* Make BPF_F_MMAPABLE arrays created from now on file-backed (in DIR/tmp). 0 or -errno. */
int bpffs_state_backing_open(struct bpffs_state *st);
void bpffs_state_backing_close(struct bpffs_state *st);
/* Is @map file-backed? Then *@fd is its file. */
bool bpffs_state_backed(const struct bpffs_map *map, int *fd);
/* "NAME.GEN.mmap" into @out. 0 or -ENAMETOOLONG. */
int bpffs_state_backing_name(const char *map_name, u64 gen, char *out, size_t size);
/* Give @map's file the name DIR/maps/NAME.GEN.mmap, GEN new (in *@gen). 0 or -errno. */
int bpffs_state_backing_link(struct bpffs_state *st, const struct bpffs_map *map, u64 *gen);
void bpffs_state_backing_unlink(struct bpffs_state *st, const char *map_name, u64 gen);
/* fdatasync a file-backed map's file (the flusher: power-loss window). 0 or -errno. */
int bpffs_state_backing_sync(const struct bpffs_map *map);
/* Copy DIR/maps/NAME.GEN.mmap into @map's values, if the sizes agree. 0 or -errno. */
int bpffs_state_backing_restore(struct bpffs_state *st, struct bpffs_map *map, u64 gen);

#endif /* BPFFS_STATE_INTERNAL_H */
