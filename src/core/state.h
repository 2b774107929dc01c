/* SPDX-License-Identifier: MIT */
/*
 * State directory (issue 9, `bpffs-user MNT --state DIR`): the mount's
 * loaded objects and map contents persist under DIR, so that a new daemon
 * started with the same DIR restores them (docs/reliability.md):
 *
 *   DIR/objects/NAME      the ELF bytes of each loaded object, as copied
 *   DIR/maps/NAME.map     each published map: attributes, entries, SHA-256
 *   DIR/maps/NAME.GEN.mmap  a BPF_F_MMAPABLE array's values, mapped MAP_SHARED
 *                         (state_mmap.c): stores survive a kill -9 as made
 *   DIR/tmp/              files being written (renamed into place when whole)
 *
 * Every file is written complete into tmp/, flushed (fdatasync) and renamed
 * over the old one, so a file is either the old or the new version, never a
 * torn one; map files end with a SHA-256 of their content, checked on start
 * (a file that fails the check is reported and skipped). An object is
 * written (with its maps) before its load returns and deleted before its
 * unload returns (a registry notification). A flusher thread writes the maps
 * that changed every flush_ms (default 100): after a crash at most the map
 * updates of the last window are missing. A clean stop flushes everything
 * (bpffs_state_close).
 *
 * Restore (bpffs_state_open): maps that outlive their users (made by mkdir,
 * pinned by name) are created first, then every object is loaded again
 * (parsed, verified, JITed as on `cp`), then every map is refilled from its
 * file (queues and stacks in order, prog-array and map-in-map slots by the
 * name of what they hold). Perf event arrays, dev/cpu maps, ring buffers and
 * bloom filters keep no entries: their objects re-create what they hold.
 *
 *   DIR/hooks             hook directories made with mkdir and attached links
 *                         (state_hooks.c), rewritten at each change
 *
 * Hooks and links come back in bpffs_state_start, after objects and maps.
 */
#ifndef BPFFS_STATE_H
#define BPFFS_STATE_H

#include "registry.h"

struct bpffs_state;

struct bpffs_state_opts {
	const char *dir;		/* created if missing */
	u32 flush_ms;			/* 0: 100 ms */
	struct bpffs_load_opts load;	/* how restored objects are loaded */
	/*
	 * Optional: a 32-bit tag the caller keeps per map (the filesystem's
	 * text formats), saved with the map and given back on restore.
	 * Called from: the flusher thread / bpffs_state_open / the thread
	 * loading an object (bpffs_registry_load), under the state's lock.
	 */
	u32 (*map_tag_get)(void *arg, const struct bpffs_map *map);
	void (*map_tag_set)(void *arg, struct bpffs_map *map, u32 tag);
	void *arg;
};

/* What a restore brought back (and what it could not). */
struct bpffs_state_stats {
	u32 objs, obj_errors;
	u32 maps, map_errors;
	u64 entries, entry_errors;
	u32 hooks, hook_errors;		/* hook directories (bpffs_state_start) */
	u32 links, link_errors;		/* links re-attached (bpffs_state_start) */
};

/*
 * Open DIR and restore what it holds into @reg (no thread yet).
 * Returns 0 and *out, or -errno (DIR unusable). Problems with single files
 * are not fatal: they are logged (pr_warn and @log) and counted in @stats.
 */
int bpffs_state_open(struct bpffs_registry *reg, const struct bpffs_state_opts *opts,
		     struct bpffs_state_stats *stats, struct bpffs_state **out);
/*
 * Re-create the hook directories and re-attach the links of DIR (they start
 * threads, so this comes after any fork, e.g. daemonizing), then start the
 * flusher thread. A link that cannot be re-made is logged and skipped.
 * 0 or -errno (no thread).
 */
int bpffs_state_start(struct bpffs_state *st);
/* Write everything that changed now. Returns 0 or the first -errno. */
int bpffs_state_flush(struct bpffs_state *st);
/*
 * Clean stop: write the hooks and links a last time, detach every link
 * (bpffs_hooks_shutdown, so no program changes a map afterwards), stop the
 * flusher, flush everything a last time, free.
 */
void bpffs_state_close(struct bpffs_state *st);

#endif /* BPFFS_STATE_H */
