// SPDX-License-Identifier: MIT
/*
 * bpffs-user's own mount options, taken out of the FUSE arguments before
 * libfuse sees them (it refuses options it does not know):
 *   -o map_mem=SIZE,max_maps=N,max_progs=N,max_insns=N,max_loops=N
 *        per-mount resource limits (src/core/limits.c, registry.h)
 *   --state DIR | --state=DIR, -o state_flush_ms=N
 *        state directory and its flush window (src/core/state.h)
 *   -o timer_sched=auto|fifo|other
 *        the timer hook thread's scheduling (src/hooks/timer.c)
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "fuse_glue.h"
#include "mount_opts.h"
#include "../core/registry.h"
#include "../core/vlog.h"

struct opt_ctx {
	struct bpffs_mount_opts *mo;
	int err;
};

enum { KEY_STATE = 1 };

static const struct fuse_opt bpffs_opts[] = {
	FUSE_OPT_KEY("--state ", KEY_STATE),
	FUSE_OPT_KEY("--state=", KEY_STATE),
	FUSE_OPT_END
};

static int limit_opt(struct opt_ctx *c, const char *arg)
{
	char buf[256];
	struct bpffs_vlog log = { .level = BPFFS_LOG_ERRORS, .buf = buf, .size = sizeof(buf) };
	int err;

	buf[0] = '\0';
	err = bpffs_limits_parse(arg, &c->mo->limits, &log);
	if (err) {
		fprintf(stderr, "bpffs-user: %s", bpffs_vlog_text(&log));
		c->err = err;
	}
	return 0;	/* consumed either way */
}

static int timer_sched_opt(struct opt_ctx *c, const char *v)
{
	static const char *const names[] = {
		[BPFFS_TIMER_SCHED_AUTO] = "auto",
		[BPFFS_TIMER_SCHED_FIFO] = "fifo",
		[BPFFS_TIMER_SCHED_OTHER] = "other",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i])) {
			c->mo->timer_sched = (int)i;
			return 0;
		}
	}
	fprintf(stderr, "bpffs-user: bad timer_sched=%s (auto, fifo or other)\n", v);
	c->err = -EINVAL;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct opt_ctx *c = data;
	const char *v;

	if (key == KEY_STATE) {
		v = !strncmp(arg, "--state=", 8) ? arg + 8 : arg + 7;
		while (*v == ' ')
			v++;
		free(c->mo->state_dir);
		c->mo->state_dir = strdup(v);
		if (!c->mo->state_dir || !*v) {
			fprintf(stderr, "bpffs-user: --state needs a directory\n");
			c->err = -EINVAL;
		}
		return 0;
	}
	if (key == FUSE_OPT_KEY_OPT && bpffs_limits_is_option(arg))
		return limit_opt(c, arg);
	if (key == FUSE_OPT_KEY_OPT && !strncmp(arg, "state_flush_ms=", 15)) {
		char *end;
		unsigned long v = strtoul(arg + 15, &end, 10);

		if (*end || !v || v > 3600000) {
			fprintf(stderr, "bpffs-user: bad %s (1..3600000 ms)\n", arg);
			c->err = -EINVAL;
		}
		c->mo->state_flush_ms = (unsigned int)v;
		return 0;
	}
	if (key == FUSE_OPT_KEY_OPT && !strncmp(arg, "timer_sched=", 12))
		return timer_sched_opt(c, arg + 12);
	return 1;	/* keep: libfuse's */
}

int bpffs_mount_opts_parse(struct fuse_args *args, struct bpffs_mount_opts *mo)
{
	struct opt_ctx c = { .mo = mo };

	if (fuse_opt_parse(args, &c, bpffs_opts, opt_proc))
		return -EINVAL;
	return c.err;
}

void bpffs_mount_opts_fini(struct bpffs_mount_opts *mo)
{
	free(mo->state_dir);
	mo->state_dir = NULL;
}
