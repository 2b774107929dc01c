// SPDX-License-Identifier: MIT
/*
 * Inotify hooks (hooks/inotify/ESCAPED_PATH): SEC("inotify") programs run
 * once per event on the watched path. One thread reads one inotify
 * descriptor for every hook and dispatches each event to the hooks
 * watching its descriptor; IN_Q_OVERFLOW (the kernel's queue filled up) is
 * delivered to every hook as an event of its own and counted on the links.
 * Target names are paths escaped as `systemd-escape --path` does, which
 * this file also implements. Not here: recursive watches, fanotify.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "internal.h"
#include "../core/object.h"
#include "bpffs/hooks.h"

#define INOTIFY_MASK IN_ALL_EVENTS

struct inotify_hook {
	char path[4096];
	int wd;				/* -1 while stopped */
	struct bpffs_hook *hook;
};

/* The inotify thread and the watch table. */
static struct {
	pthread_mutex_t lock;
	pthread_once_t once;
	int err;
	int fd;				/* inotify descriptor */
	struct inotify_hook **watches;	/* protected by lock */
	u32 cnt, cap;
} in = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT, .fd = -1 };

/* ---- systemd-escape --path -------------------------------------------------- */

static bool escape_plain(char c, bool first)
{
	if (c == '.')
		return !first;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '_';
}

int bpffs_path_escape(const char *path, char *out, size_t size)
{
	size_t n = 0;
	bool first = true;

	while (*path == '/')
		path++;
	if (!*path)
		return snprintf(out, size, "-") < (int)size ? 1 : -ENAMETOOLONG;
	for (const char *p = path; *p; p++) {
		char tmp[5];
		int len;

		if (*p == '/') {
			while (p[1] == '/')
				p++;
			if (!p[1])
				break;		/* trailing slash */
			len = snprintf(tmp, sizeof(tmp), "-");
		} else if (escape_plain(*p, first)) {
			len = snprintf(tmp, sizeof(tmp), "%c", *p);
		} else {
			len = snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned char)*p);
		}
		first = false;
		if (n + (size_t)len >= size)
			return -ENAMETOOLONG;
		memcpy(out + n, tmp, (size_t)len);
		n += (size_t)len;
	}
	out[n] = '\0';
	return (int)n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bpffs_path_unescape(const char *name, char *out, size_t size)
{
	size_t n = 0;

	if (!strcmp(name, "-"))
		return snprintf(out, size, "/") < (int)size ? 1 : -ENAMETOOLONG;
	if (!*name || *name == '-' || name[strlen(name) - 1] == '-' || strstr(name, "--"))
		return -EINVAL;
	if (size < 2)
		return -ENAMETOOLONG;
	out[n++] = '/';
	for (const char *p = name; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '\\') {
			if (p[1] != 'x' || hexval(p[2]) < 0 || hexval(p[3]) < 0)
				return -EINVAL;
			c = hexval(p[2]) * 16 + hexval(p[3]);
			if (!c || c == '/')
				return -EINVAL;
			p += 3;
		} else if (c == '-') {
			c = '/';
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

/* ---- hook ops ----------------------------------------------------------------- */

static bool inotify_accepts(u32 type)
{
	return type == BPFFS_PROG_TYPE_INOTIFY;
}

static int inotify_parse(struct bpffs_hook *hook, const char *target, struct bpffs_vlog *log)
{
	struct inotify_hook *ih = hook->priv;
	struct stat st;
	int n;

	ih->hook = hook;
	ih->wd = -1;
	n = bpffs_path_unescape(target, ih->path, sizeof(ih->path));
	if (n < 0) {
		bpffs_vlog_printf(log, "hooks/inotify/%s: not a path escaped like "
				  "`systemd-escape --path` (e.g. var-log for /var/log)\n", target);
		return n == -ENAMETOOLONG ? n : -EINVAL;
	}
	if (stat(ih->path, &st)) {
		n = -errno;
		bpffs_vlog_printf(log, "hooks/inotify/%s: cannot watch %s: %s\n", target,
				  ih->path, strerror(-n));
		return n;
	}
	return 0;
}

/*
 * The watch table as it was when a batch of events was read, with a
 * reference on each hook: events of the batch are matched against it
 * without taking in.lock per event. A hook stopped meanwhile still gets the
 * rest of the batch, through its (possibly empty) link array.
 */
struct watch_snap {
	u32 cnt, cap;
	struct { int wd; struct inotify_hook *ih; } *w;
};

static void snap_take(struct watch_snap *snap)
{
	pthread_mutex_lock(&in.lock);
	if (in.cnt > snap->cap) {
		void *p = realloc(snap->w, sizeof(*snap->w) * in.cnt);

		if (p) {
			snap->w = p;
			snap->cap = in.cnt;
		}
	}
	snap->cnt = 0;
	for (u32 i = 0; i < in.cnt && i < snap->cap; i++) {
		bpffs_hook_hold(in.watches[i]->hook);
		snap->w[snap->cnt].wd = in.watches[i]->wd;
		snap->w[snap->cnt++].ih = in.watches[i];
	}
	pthread_mutex_unlock(&in.lock);
}

static void snap_drop(struct watch_snap *snap)
{
	for (u32 i = 0; i < snap->cnt; i++)
		bpffs_hook_put(snap->w[i].ih->hook);
	snap->cnt = 0;
}

/* Run the links of @ih on @ctx. Inside bpffs_rcu_read_lock. */
static void inotify_dispatch(struct inotify_hook *ih, const struct bpffs_inotify_ctx *ctx,
			     struct bpffs_run_ctx *rc)
{
	struct bpffs_link_array *arr = bpffs_hook_links(ih->hook);

	for (u32 i = 0; i < arr->cnt; i++) {
		bpffs_hook_run(arr->links[i], (void *)ctx, sizeof(*ctx), rc);
		if (ctx->mask & IN_Q_OVERFLOW)
			bpffs_stat_add(&arr->links[i]->stats.overflows, 1);
	}
}

/* One event to every hook watching its descriptor (all hooks for IN_Q_OVERFLOW). */
static void inotify_handle(const struct watch_snap *snap, const struct inotify_event *ev,
			   struct bpffs_inotify_ctx *ctx, struct bpffs_run_ctx *rc)
{
	size_t len = ev->len ? strnlen(ev->name, ev->len) : 0;

	if (len >= sizeof(ctx->name))
		len = sizeof(ctx->name) - 1;
	if (len < ctx->name_len)	/* no bytes of a longer previous name stay visible */
		memset(ctx->name + len, 0, ctx->name_len - len);
	ctx->mask = ev->mask;
	ctx->cookie = ev->cookie;
	ctx->name_len = (u32)len;
	memcpy(ctx->name, ev->name, len);
	for (u32 i = 0; i < snap->cnt; i++)
		if ((ev->mask & IN_Q_OVERFLOW) || snap->w[i].wd == ev->wd)
			inotify_dispatch(snap->w[i].ih, ctx, rc);
}

static void *inotify_thread(void *arg)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { .fd = in.fd, .events = POLLIN };
	struct watch_snap snap = { 0, 0, NULL };
	struct bpffs_inotify_ctx ctx;
	struct bpffs_run_ctx rc;
	ssize_t len;

	memset(&ctx, 0, sizeof(ctx));
	bpffs_hook_worker_init(&rc, "bpffs-inotify");
	for (;;) {
		len = read(in.fd, buf, sizeof(buf));
		if (len <= 0) {
			if (len < 0 && errno != EAGAIN && errno != EINTR) {
				pr_warn("hooks/inotify: read failed: %s", strerror(errno));
				return NULL;
			}
			poll(&pfd, 1, -1);
			continue;
		}
		snap_take(&snap);
		bpffs_rcu_read_lock();
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			inotify_handle(&snap, ev, &ctx, &rc);
			p += sizeof(*ev) + ev->len;
		}
		bpffs_rcu_read_unlock();
		snap_drop(&snap);
	}
	return NULL;
}

static void inotify_thread_start(void)
{
	pthread_t th;

	in.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in.fd < 0) {
		in.err = -errno;
		return;
	}
	in.err = -pthread_create(&th, NULL, inotify_thread, NULL);
	if (!in.err)
		pthread_detach(th);
}

static int inotify_table_add(struct inotify_hook *ih)
{
	if (in.cnt == in.cap) {
		u32 cap = in.cap ? in.cap * 2 : 16;
		void *p = realloc(in.watches, sizeof(*in.watches) * cap);

		if (!p)
			return -ENOMEM;
		in.watches = p;
		in.cap = cap;
	}
	in.watches[in.cnt++] = ih;
	return 0;
}

static int inotify_start(struct bpffs_hook *hook, struct bpffs_vlog *log)
{
	struct inotify_hook *ih = hook->priv;
	int wd, err;

	pthread_once(&in.once, inotify_thread_start);
	if (in.err) {
		bpffs_vlog_printf(log, "hooks/inotify: cannot start: %s\n", strerror(-in.err));
		return in.err;
	}
	pthread_mutex_lock(&in.lock);
	wd = inotify_add_watch(in.fd, ih->path, INOTIFY_MASK);
	if (wd < 0) {
		err = -errno;
		bpffs_vlog_printf(log, "hooks/inotify/%s: cannot watch %s: %s\n", hook->target,
				  ih->path, strerror(-err));
		goto out;
	}
	ih->wd = wd;
	err = inotify_table_add(ih);
out:
	pthread_mutex_unlock(&in.lock);
	return err;
}

static void inotify_stop(struct bpffs_hook *hook)
{
	struct inotify_hook *ih = hook->priv;
	bool shared = false;

	pthread_mutex_lock(&in.lock);
	for (u32 i = 0; i < in.cnt; i++) {
		if (in.watches[i] == ih)
			in.watches[i--] = in.watches[--in.cnt];
		else if (in.watches[i]->wd == ih->wd)
			shared = true;	/* same inode watched under another name */
	}
	if (!shared && ih->wd >= 0)
		inotify_rm_watch(in.fd, ih->wd);
	ih->wd = -1;
	pthread_mutex_unlock(&in.lock);
}

static int inotify_show_link(const struct bpffs_link *link, char *buf, size_t size)
{
	const struct inotify_hook *ih = link->hook->priv;

	return snprintf(buf, size, "path: %s\noverflows: %llu\n", ih->path,
			(unsigned long long)__atomic_load_n(&link->stats.overflows,
							    __ATOMIC_RELAXED));
}

const struct bpffs_hook_ops bpffs_inotify_hook_ops = {
	.name = "inotify",
	.priv_size = sizeof(struct inotify_hook),
	.accepts = inotify_accepts,
	.parse = inotify_parse,
	.start = inotify_start,
	.stop = inotify_stop,
	.show_link = inotify_show_link,
};
