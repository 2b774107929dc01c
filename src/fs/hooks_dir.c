// SPDX-License-Identifier: MIT
/*
 * hooks/: the attach points of src/hooks as directories. hooks/TYPE/ lists
 * the hook types, hooks/TYPE/TARGET/ the targets (mkdir makes timers and
 * inotify watches, socket targets are the system's interfaces), and inside
 * a target one symbolic link per attached program: `ln -s MNT/progs/NAME
 * MNT/hooks/TYPE/TARGET/` attaches (the program is found by the last
 * component of the link's target), readlink gives ../../../progs/NAME, and
 * rm detaches. hooks/socket/IF/capture is the pcap stream of the frames
 * socket filters kept: blocking reads, poll works. Failures of mkdir, rmdir
 * and ln are kept with their reason in hooks/.log (the last few, newest
 * first), as progs/.log does for loads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"
#include "../core/core.h"
#include "../core/log.h"
#include "../core/registry.h"
#include "../core/vlog.h"
#include "../hooks/hooks.h"

#define HOOKS_LOG_KEEP 16
#define HOOKS_VLOG_SIZE 4096
#define CAPTURE_WAIT_MS 200

/* ---- hooks/.log ---------------------------------------------------------------- */

/* The hook registry is process-wide, and so is its failure log. */
static struct {
	pthread_mutex_t lock;
	char *text[HOOKS_LOG_KEEP];	/* newest first */
} hooks_log = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void hooks_log_add(const char *what, int err, const struct bpffs_vlog *log)
{
	const char *reason = log ? bpffs_vlog_text(log) : "";
	size_t rl = strlen(reason);
	char *t;

	if (asprintf(&t, "%s: %s (%d)\n%s%s", what, strerror(-err), err, reason,
		     rl && reason[rl - 1] != '\n' ? "\n" : "") < 0)
		return;
	pr_info("%s failed (%d); see hooks/.log", what, err);
	pthread_mutex_lock(&hooks_log.lock);
	free(hooks_log.text[HOOKS_LOG_KEEP - 1]);
	memmove(&hooks_log.text[1], &hooks_log.text[0],
		(HOOKS_LOG_KEEP - 1) * sizeof(hooks_log.text[0]));
	hooks_log.text[0] = t;
	pthread_mutex_unlock(&hooks_log.lock);
}

static int hooks_log_open(struct bpffs_file *file)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return -ENOMEM;
	pthread_mutex_lock(&hooks_log.lock);
	for (int i = 0; i < HOOKS_LOG_KEEP && hooks_log.text[i]; i++)
		fputs(hooks_log.text[i], out);
	pthread_mutex_unlock(&hooks_log.lock);
	if (fclose(out))
		return -ENOMEM;
	return bpffs_file_take_text(file, text, len);
}

static const struct bpffs_node_ops hooks_log_ops = {
	.name = "hooks/.log",
	.mode = S_IFREG | 0444,
	.open = hooks_log_open,
};

/* A vlog for one call; on allocation failure the call runs without text. */
static struct bpffs_vlog *vlog_start(struct bpffs_vlog *log)
{
	return bpffs_vlog_alloc(log, BPFFS_LOG_ERRORS, HOOKS_VLOG_SIZE) ? NULL : log;
}

static void vlog_end(struct bpffs_vlog *log)
{
	if (log)
		bpffs_vlog_free(log);
}

/* ---- name snapshots for readdir ------------------------------------------------- */

struct name_list {
	char **names;
	u32 cnt, cap;
};

static int names_add(struct name_list *l, const char *name)
{
	if (l->cnt == l->cap) {
		u32 cap = l->cap ? l->cap * 2 : 16;
		char **p = realloc(l->names, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->names = p;
		l->cap = cap;
	}
	l->names[l->cnt] = strdup(name);
	if (!l->names[l->cnt])
		return -ENOMEM;
	l->cnt++;
	return 0;
}

static void names_free(struct name_list *l)
{
	if (!l)
		return;
	for (u32 i = 0; i < l->cnt; i++)
		free(l->names[i]);
	free(l->names);
	free(l);
}

/* Emit l->names[off..] as entries of type @mode. */
static int names_fill(struct name_list *l, off_t off, mode_t mode, bpffs_fill_fn fill,
		      void *ctx)
{
	for (off_t i = off; i < (off_t)l->cnt; i++)
		if (fill(ctx, l->names[i], mode, 0, i + 1))
			break;
	return 0;
}

static void names_release(struct bpffs_file *file)
{
	names_free(file->priv);
	file->priv = NULL;
}

/* ---- hooks/TYPE/TARGET/NAME: one link ------------------------------------------- */

static void link_sym_destroy(struct bpffs_node *node)
{
	bpffs_link_put(node->obj);
}

/* Relative, so it resolves inside whatever directory the mount is on. */
static int link_sym_target(const struct bpffs_link *link, char *buf, size_t size)
{
	int n = snprintf(buf, size, "../../../progs/%s", link->prog->name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

static int link_sym_readlink(struct bpffs_node *node, char *buf, size_t size)
{
	return link_sym_target(node->obj, buf, size);
}

static void link_sym_getattr(struct bpffs_node *node, struct stat *st)
{
	char buf[128];
	int n = link_sym_target(node->obj, buf, sizeof(buf));

	st->st_size = n > 0 ? n : 0;
}

static const struct bpffs_node_ops link_sym_ops = {
	.name = "hook link",
	.mode = S_IFLNK | 0777,
	.destroy = link_sym_destroy,
	.getattr = link_sym_getattr,
	.readlink = link_sym_readlink,
};

/* ---- hooks/socket/IF/capture ------------------------------------------------------ */

/*
 * Per-open state. poll registrations are served by a watcher thread started
 * at the first one: it waits on the reader's poll fd and fires the pending
 * notification. The eventfd stops it at release.
 */
struct capture_file {
	struct bpffs_capture_reader *r;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*notify)(void *arg, bool ready);	/* pending poll request (lock) */
	void *notify_arg;
	bool stop, has_thread;
	int stop_fd;
	pthread_t thread;
};

static void hook_obj_destroy(struct bpffs_node *node)
{
	bpffs_hook_put(node->obj);
}

static int capture_open(struct bpffs_file *file)
{
	struct capture_file *cf;
	int err;

	if ((file->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	cf->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cf->stop_fd < 0) {
		free(cf);
		return -errno;
	}
	err = bpffs_capture_open(file->node->obj, &cf->r);
	if (err) {
		close(cf->stop_fd);
		free(cf);
		return err;
	}
	pthread_mutex_init(&cf->lock, NULL);
	pthread_cond_init(&cf->cond, NULL);
	file->priv = cf;
	return 0;
}

static bool capture_wait(struct capture_file *cf, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = bpffs_capture_poll_fd(cf->r), .events = POLLIN },
		{ .fd = cf->stop_fd, .events = POLLIN },
	};

	return poll(p, 2, timeout_ms) > 0 && (p[0].revents & POLLIN);
}

static ssize_t capture_read(struct bpffs_file *file, char *buf, size_t size, off_t off)
{
	struct capture_file *cf = file->priv;
	ssize_t n;
	int stop;

	for (;;) {
		n = bpffs_capture_read(cf->r, buf, size, true);
		if (n != -EAGAIN)
			return n;
		if (file->flags & O_NONBLOCK)
			return -EAGAIN;
		if (file->node->fs->single_threaded)
			return 0;
		stop = file->interrupted ? file->interrupted(file->intr_arg) : 0;
		if (stop)
			return stop < 0 ? stop : 0;
		capture_wait(cf, CAPTURE_WAIT_MS);
	}
}

static void *capture_watcher(void *arg)
{
	struct capture_file *cf = arg;
	void (*notify)(void *, bool);
	void *narg;

	pthread_mutex_lock(&cf->lock);
	while (!cf->stop) {
		if (!cf->notify) {
			pthread_cond_wait(&cf->cond, &cf->lock);
			continue;
		}
		pthread_mutex_unlock(&cf->lock);
		bool ready = capture_wait(cf, -1);

		pthread_mutex_lock(&cf->lock);
		if (!ready || cf->stop || !cf->notify)
			continue;
		notify = cf->notify;
		narg = cf->notify_arg;
		cf->notify = NULL;
		pthread_mutex_unlock(&cf->lock);
		notify(narg, true);
		pthread_mutex_lock(&cf->lock);
	}
	pthread_mutex_unlock(&cf->lock);
	return NULL;
}

static unsigned capture_poll(struct bpffs_file *file, void (*notify)(void *arg, bool ready),
			     void *arg)
{
	struct capture_file *cf = file->priv;
	struct pollfd p = { .fd = bpffs_capture_poll_fd(cf->r), .events = POLLIN };
	void (*old)(void *, bool) = NULL;
	void *old_arg = NULL;

	if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
		return POLLIN | POLLRDNORM;
	if (!notify)
		return 0;
	pthread_mutex_lock(&cf->lock);
	old = cf->notify;
	old_arg = cf->notify_arg;
	cf->notify = notify;
	cf->notify_arg = arg;
	if (!cf->has_thread && !pthread_create(&cf->thread, NULL, capture_watcher, cf))
		cf->has_thread = true;
	pthread_cond_signal(&cf->cond);
	pthread_mutex_unlock(&cf->lock);
	if (old)
		old(old_arg, false);
	return 0;
}

static void capture_release(struct bpffs_file *file)
{
	struct capture_file *cf = file->priv;
	u64 one = 1;

	if (!cf)
		return;
	pthread_mutex_lock(&cf->lock);
	cf->stop = true;
	pthread_cond_signal(&cf->cond);
	pthread_mutex_unlock(&cf->lock);
	if (write(cf->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("capture: cannot wake the poll watcher: %s", strerror(errno));
	if (cf->has_thread)
		pthread_join(cf->thread, NULL);
	if (cf->notify)
		cf->notify(cf->notify_arg, false);
	bpffs_capture_close(cf->r);
	close(cf->stop_fd);
	pthread_cond_destroy(&cf->cond);
	pthread_mutex_destroy(&cf->lock);
	free(cf);
	file->priv = NULL;
}

static const struct bpffs_node_ops capture_ops = {
	.name = "capture",
	.mode = S_IFREG | 0444,
	.destroy = hook_obj_destroy,
	.open = capture_open,
	.read = capture_read,
	.poll = capture_poll,
	.release = capture_release,
};

/* ---- hooks/TYPE/TARGET/ ------------------------------------------------------------ */

static bool is_socket(const struct bpffs_hook *hook)
{
	return !strcmp(bpffs_hook_type_of(hook), "socket");
}

static int target_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_hook *hook = dir->obj;
	struct bpffs_link *link;
	int err;

	if (is_socket(hook) && !strcmp(name, "capture")) {
		bpffs_hook_hold(hook);
		out->ops = &capture_ops;
		out->obj = hook;
		return 0;
	}
	err = bpffs_hook_find_link(hook, name, &link);
	if (err)
		return err;
	out->ops = &link_sym_ops;
	out->obj = link;
	return 0;
}

static int link_name_cb(void *arg, struct bpffs_link *link)
{
	return names_add(arg, bpffs_link_name(link));
}

/* Cookies: the socket's capture first, then the links in run order. */
static int target_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			  bpffs_fill_fn fill, void *ctx)
{
	struct bpffs_hook *hook = dir->obj;
	struct name_list *l = file->priv;
	off_t first = is_socket(hook) ? 1 : 0;

	if (!l || off == 0) {
		names_free(l);
		file->priv = l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		bpffs_hook_for_each_link(hook, link_name_cb, l);
	}
	if (first && off == 0 && fill(ctx, "capture", S_IFREG, 0, 1))
		return 0;
	for (off_t i = off > first ? off : first; i < first + (off_t)l->cnt; i++)
		if (fill(ctx, l->names[i - first], S_IFLNK, 0, i + 1))
			break;
	return 0;
}

/* "MNT/progs/NAME/" -> "NAME" */
static int prog_name_of(const char *target, char *out, size_t size)
{
	size_t end = strlen(target), start;

	while (end > 0 && target[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && target[start - 1] != '/')
		start--;
	if (end == start || end - start >= size)
		return -EINVAL;
	memcpy(out, target + start, end - start);
	out[end - start] = '\0';
	return 0;
}

static int target_attach(struct bpffs_node *dir, const char *name, const char *target,
			 struct bpffs_vlog *log, struct bpffs_link **link)
{
	struct bpffs_prog *prog;
	char pname[256];
	int err;

	if (prog_name_of(target, pname, sizeof(pname))) {
		bpffs_vlog_printf(log, "'%s' does not name a program (MNT/progs/NAME)\n", target);
		return -EINVAL;
	}
	if (strcmp(pname, name)) {
		bpffs_vlog_printf(log, "the link must be named after its program: '%s', not '%s'\n",
				  pname, name);
		return -EINVAL;
	}
	prog = bpffs_registry_get_prog(dir->fs->reg, pname);
	if (!prog) {
		bpffs_vlog_printf(log, "no program '%s' in progs/\n", pname);
		return -ENOENT;
	}
	err = bpffs_link_attach(dir->obj, prog, log, link);
	bpffs_prog_put(prog);
	return err;
}

static int target_symlink(struct bpffs_node *dir, const char *name, const char *target,
			  struct bpffs_child *out)
{
	struct bpffs_hook *hook = dir->obj;
	struct bpffs_link *link = NULL;
	struct bpffs_vlog vl, *log = vlog_start(&vl);
	int err = target_attach(dir, name, target, log, &link);

	if (err) {
		char what[600];

		snprintf(what, sizeof(what), "ln -s %s hooks/%s/%s/%s", target,
			 bpffs_hook_type_of(hook), bpffs_hook_target(hook), name);
		hooks_log_add(what, err, log);
	} else {
		pr_info("hooks/%s/%s: attached '%s' (link %u)", bpffs_hook_type_of(hook),
			bpffs_hook_target(hook), name, link->id);
		out->ops = &link_sym_ops;
		out->obj = link;
	}
	vlog_end(log);
	return err;
}

static int target_unlink(struct bpffs_node *dir, const char *name)
{
	struct bpffs_hook *hook = dir->obj;
	struct bpffs_link *link;
	int err;

	if (is_socket(hook) && !strcmp(name, "capture"))
		return -EPERM;
	err = bpffs_hook_find_link(hook, name, &link);
	if (err)
		return err;
	err = bpffs_link_detach(link);
	if (!err)
		pr_info("hooks/%s/%s: detached '%s' (link %u)", bpffs_hook_type_of(hook),
			bpffs_hook_target(hook), name, link->id);
	bpffs_link_put(link);
	return err;
}

static void target_getattr(struct bpffs_node *node, struct stat *st)
{
	st->st_nlink = 2;
}

static const struct bpffs_node_ops target_dir_ops = {
	.name = "hook target dir",
	.mode = S_IFDIR | 0755,
	.destroy = hook_obj_destroy,
	.getattr = target_getattr,
	.lookup = target_lookup,
	.readdir = target_readdir,
	.release = names_release,
	.symlink = target_symlink,
	.unlink = target_unlink,
};

/* ---- hooks/TYPE/ (priv: the type name) --------------------------------------------- */

static int type_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_hook *hook;
	int err = bpffs_hook_get(dir->priv, name, &hook);

	if (err)
		return err;
	out->ops = &target_dir_ops;
	out->obj = hook;
	return 0;
}

static int target_name_cb(void *arg, const char *target)
{
	return names_add(arg, target);
}

static int type_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			bpffs_fill_fn fill, void *ctx)
{
	struct name_list *l = file->priv;

	if (!l || off == 0) {
		names_free(l);
		file->priv = l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		bpffs_hook_list(dir->priv, target_name_cb, l);
	}
	return names_fill(l, off, S_IFDIR, fill, ctx);
}

static int type_mkdir(struct bpffs_node *dir, const char *name, mode_t mode,
		      struct bpffs_child *out)
{
	struct bpffs_vlog vl, *log = vlog_start(&vl);
	struct bpffs_hook *hook = NULL;
	char what[400];
	int err;

	err = bpffs_hook_create(dir->priv, name, log, &hook);
	if (err) {
		snprintf(what, sizeof(what), "mkdir hooks/%s/%s", (char *)dir->priv, name);
		hooks_log_add(what, err, log);
	} else if (!hook) {
		err = bpffs_hook_get(dir->priv, name, &hook);
	}
	vlog_end(log);
	if (err)
		return err;
	out->ops = &target_dir_ops;
	out->obj = hook;
	return 0;
}

static int type_rmdir(struct bpffs_node *dir, const char *name)
{
	struct bpffs_vlog vl, *log = vlog_start(&vl);
	char what[400];
	int err = bpffs_hook_destroy(dir->priv, name, log);

	if (err && err != -ENOENT) {
		snprintf(what, sizeof(what), "rmdir hooks/%s/%s", (char *)dir->priv, name);
		hooks_log_add(what, err, log);
	}
	vlog_end(log);
	return err;
}

static const struct bpffs_node_ops type_dir_ops = {
	.name = "hook type dir",
	.mode = S_IFDIR | 0755,
	.lookup = type_lookup,
	.readdir = type_readdir,
	.release = names_release,
	.mkdir = type_mkdir,
	.rmdir = type_rmdir,
};

/* ---- hooks/ ------------------------------------------------------------------------- */

static int hooks_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	if (!strcmp(name, ".log")) {
		out->ops = &hooks_log_ops;
		return 0;
	}
	for (u32 i = 0; i < bpffs_hook_type_cnt(); i++) {
		if (!strcmp(name, bpffs_hook_type_name(i))) {
			out->priv = strdup(name);
			if (!out->priv)
				return -ENOMEM;
			out->priv_len = strlen(name) + 1;
			out->ops = &type_dir_ops;
			return 0;
		}
	}
	return -ENOENT;
}

/* Cookies: 0 = .log, then the hook types. */
static int hooks_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			 bpffs_fill_fn fill, void *ctx)
{
	if (off == 0 && fill(ctx, ".log", S_IFREG, 0, 1))
		return 0;
	for (u32 i = off ? (u32)off - 1 : 0; i < bpffs_hook_type_cnt(); i++)
		if (fill(ctx, bpffs_hook_type_name(i), S_IFDIR, 0, (off_t)i + 2))
			break;
	return 0;
}

static void hooks_getattr(struct bpffs_node *node, struct stat *st)
{
	st->st_nlink = 2 + bpffs_hook_type_cnt();
}

/* The hook types are fixed. */
static int hooks_mkdir(struct bpffs_node *dir, const char *name, mode_t mode,
		       struct bpffs_child *out)
{
	if (hooks_lookup(dir, name, out))
		return -EPERM;
	free(out->priv);
	out->priv = NULL;
	out->priv_len = 0;
	return -EEXIST;
}

const struct bpffs_node_ops bpffs_hooks_dir_ops = {
	.name = "hooks dir",
	.mode = S_IFDIR | 0755,
	.getattr = hooks_getattr,
	.lookup = hooks_lookup,
	.readdir = hooks_readdir,
	.mkdir = hooks_mkdir,
};
