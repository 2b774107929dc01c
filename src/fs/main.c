// SPDX-License-Identifier: MIT
/*
 * bpffs-user's main(): a command-line subcommand (cli.c) if argv[1] names
 * one, otherwise `bpffs-user MOUNTPOINT [-f] [-s] [-d] [-o opts]` mounts the
 * filesystem with the libfuse3 low-level API and serves it until unmounted
 * (fusermount3 -u, umount) or interrupted (SIGINT, SIGTERM, SIGHUP), then
 * frees everything. Foreground runs log to stderr, daemons to syslog.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "internal.h"
#include "fuse_glue.h"
#include "mount_opts.h"
#include "map_internal.h"
#include "../core/state.h"
#include "../hooks/hooks.h"
#include "../core/vlog.h"
#include "../core/log.h"

#define BPFFS_VERSION "0.1"

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s MOUNTPOINT [-f] [-s] [-d] [-o OPT[,OPT...]]\n"
		"       %s SUBCOMMAND ...   (see '%s help')\n"
		"\n"
		"Mount the bpffs-user filesystem: copy BPF objects into MOUNTPOINT/progs/,\n"
		"maps and their entries are files under MOUNTPOINT/maps/.\n"
		"\n"
		"  -f        stay in the foreground (log to stderr; default: daemon, syslog)\n"
		"  -s        single-threaded request loop (debugging)\n"
		"  -d        FUSE debug output (implies -f)\n"
		"  -o OPTS   FUSE mount options (allow_other, ro, ...) and limits:\n"
		"            map_mem=SIZE[K|M|G] max_maps=N max_progs=N max_insns=N\n"
		"            max_loops=N (docs/reliability.md)\n"
		"  --state DIR  keep objects, maps, hooks and links in DIR across\n"
		"            restarts; maps flushed every state_flush_ms=N ms (-o, default 100)\n"
		"  -o timer_sched=auto|fifo|other  the timer hook thread's scheduling\n"
		"            (default auto: SCHED_FIFO while its programs use < 20%% CPU)\n"
		"  -h        this help and the FUSE options\n"
		"  -V        version\n"
		"Unmount with: fusermount3 -u MOUNTPOINT\n",
		prog, prog, prog);
}

/*
 * Refuse a mountpoint that is already a mount point (FUSE would stack a
 * second mount over it) or a dead FUSE mount (ENOTCONN).
 */
static int check_mountpoint(const char *mnt)
{
	char parent[PATH_MAX];
	struct stat st, pst;

	if (stat(mnt, &st)) {
		int err = errno;

		if (err == ENOTCONN)
			fprintf(stderr, "bpffs-user: %s: stale mount (daemon gone); "
				"run 'fusermount3 -u %s' first\n", mnt, mnt);
		else
			fprintf(stderr, "bpffs-user: %s: %s\n", mnt, strerror(err));
		return -err;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "bpffs-user: %s: not a directory\n", mnt);
		return -ENOTDIR;
	}
	snprintf(parent, sizeof(parent), "%s/..", mnt);
	if (!stat(parent, &pst) && (pst.st_dev != st.st_dev || pst.st_ino == st.st_ino))
		goto busy;
	return 0;
busy:
	fprintf(stderr, "bpffs-user: %s: already a mount point (busy); "
		"unmount it first or choose another directory\n", mnt);
	return -EBUSY;
}

static int serve(struct fuse_session *se, const struct fuse_cmdline_opts *o)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (o->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, o->clone_fd);
	if (o->max_threads)
		fuse_loop_cfg_set_max_threads(cfg, o->max_threads);
	if (o->max_idle_threads != UINT_MAX)	/* UINT_MAX: libfuse's "unset" */
		fuse_loop_cfg_set_idle_threads(cfg, o->max_idle_threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/* A loop ended by a signal returns its number: that is a clean stop too. */
static int exit_status(int loop_ret)
{
	if (loop_ret == 0 || loop_ret == SIGINT || loop_ret == SIGTERM || loop_ret == SIGHUP)
		return 0;
	pr_warn("request loop ended with error %d", loop_ret);
	return 1;
}

/* The state directory keeps each map's text formats as a tag: 1 << 16 | value << 8 | key. */
static u32 fmt_tag_get(void *arg, const struct bpffs_map *map)
{
	struct bpffs_map_fmt f = bpffs_fs_map_fmt(arg, map);

	return 1u << 16 | (u32)f.value << 8 | (u32)f.key;
}

static void fmt_tag_set(void *arg, struct bpffs_map *map, u32 tag)
{
	struct bpffs_map_fmt f = { .key = tag & 0xff, .value = (tag >> 8) & 0xff };

	if (tag >> 16)
		bpffs_fs_map_fmt_set(arg, map, f);
}

static int state_start(struct bpffs_fs *fs, const struct bpffs_mount_opts *mo,
		       struct bpffs_state **st)
{
	struct bpffs_state_opts so = {
		.dir = mo->state_dir, .flush_ms = mo->state_flush_ms,
		.load = { .runtime = (int)fs->runtime, .log_level = BPFFS_LOG_ERRORS },
		.map_tag_get = fmt_tag_get, .map_tag_set = fmt_tag_set, .arg = fs,
	};
	struct bpffs_state_stats s;
	int err;

	if (!mo->state_dir)
		return 0;
	err = bpffs_state_open(fs->reg, &so, &s, st);
	if (err) {
		fprintf(stderr, "bpffs-user: state directory %s: %s\n", mo->state_dir,
			strerror(-err));
		return err;
	}
	pr_info("state %s: restored %u objects (%u failed), %u maps (%u failed), %llu entries (%llu failed)",
		mo->state_dir, s.objs, s.obj_errors, s.maps, s.map_errors,
		(unsigned long long)s.entries, (unsigned long long)s.entry_errors);
	return 0;
}

/* -o timer_sched=fifo|other forces the timer thread's policy (auto: the default). */
static void timer_sched_apply(const struct bpffs_mount_opts *mo)
{
	int err;

	if (mo->timer_sched == BPFFS_TIMER_SCHED_AUTO)
		return;
	err = bpffs_hooks_timer_realtime(mo->timer_sched == BPFFS_TIMER_SCHED_FIFO);
	if (err)
		pr_warn("timer_sched: cannot set the timer thread's policy: %s", strerror(-err));
}

static int mount_and_serve(struct fuse_args *args, struct fuse_cmdline_opts *o,
			   const struct bpffs_mount_opts *mo)
{
	struct fuse_session *se;
	struct bpffs_state *state = NULL;
	struct bpffs_fs *fs;
	int ret = 1, err;

	err = bpffs_fs_create(&fs);
	if (err) {
		fprintf(stderr, "bpffs-user: cannot set up the tree: %s\n", strerror(-err));
		return 1;
	}
	bpffs_registry_set_limits(fs->reg, &mo->limits);
	if (state_start(fs, mo, &state))
		goto err_fs;
	se = fuse_session_new(args, &bpffs_fuse_ops, sizeof(bpffs_fuse_ops), fs);
	if (!se) {
		/* libfuse printed which option it did not know */
		usage(stderr, "bpffs-user");
		ret = 2;
		goto err_fs;
	}
	fs->session = se;
	fs->single_threaded = o->singlethread;
	if (fuse_set_signal_handlers(se))
		goto err_session;
	if (fuse_session_mount(se, o->mountpoint)) {
		fprintf(stderr, "bpffs-user: cannot mount on %s\n", o->mountpoint);
		goto err_signals;
	}
	bpffs_log_set_syslog(!o->foreground);
	fuse_daemonize(o->foreground);
	timer_sched_apply(mo);	/* after daemonizing: it starts the timer thread */
	if (bpffs_state_start(state))
		pr_warn("state: cannot start the flusher thread; state is written at unmount only");
	pr_info("mounted on %s (%s)", o->mountpoint,
		o->singlethread ? "single-threaded" : "multi-threaded");
	ret = exit_status(serve(se, o));
	fuse_session_unmount(se);
	pr_info("unmounted %s", o->mountpoint);
err_signals:
	fuse_remove_signal_handlers(se);
err_session:
	fuse_session_destroy(se);
err_fs:
	bpffs_state_close(state);	/* the last flush, before anything is freed */
	bpffs_fs_destroy(fs);
	return ret;
}

static int mount_main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts o;
	struct bpffs_mount_opts mo = { 0 };
	int ret = 2;

	memset(&o, 0, sizeof(o));
	if (bpffs_mount_opts_parse(&args, &mo) || fuse_parse_cmdline(&args, &o)) {
		usage(stderr, "bpffs-user");
		goto out;
	}
	if (o.show_help) {
		usage(stdout, "bpffs-user");
		printf("\nFUSE options:\n");
		fuse_cmdline_help();
		fuse_lowlevel_help();
		ret = 0;
		goto out;
	}
	if (o.show_version) {
		printf("bpffs-user %s (libfuse %s)\n", BPFFS_VERSION, fuse_pkgversion());
		ret = 0;
		goto out;
	}
	if (!o.mountpoint) {
		fprintf(stderr, "bpffs-user: no mount point given\n");
		usage(stderr, "bpffs-user");
		goto out;
	}
	if (o.debug)
		bpffs_log_set_level(BPFFS_PR_DEBUG);
	ret = 1;
	if (check_mountpoint(o.mountpoint))
		goto out;
	/* honour file modes, in particular for other users under allow_other */
	if (fuse_opt_add_arg(&args, "-odefault_permissions,fsname=bpffs-user,subtype=bpffs"))
		goto out;
	ret = mount_and_serve(&args, &o, &mo);
out:
	bpffs_mount_opts_fini(&mo);
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}

int main(int argc, char **argv)
{
	int r = bpffs_cli_dispatch(argc, argv);

	if (r >= 0)
		return r;
	return mount_main(argc, argv);
}
