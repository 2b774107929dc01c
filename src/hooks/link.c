// SPDX-License-Identifier: MIT
/*
 * Hooks and links: the registry of hook targets (one list, one lock), the
 * attach/detach lifecycle and the text of `cat links/ID`. Attach and detach
 * never stop an event stream: they build a new link array and publish it
 * with one atomic store, and detach waits one RCU grace period so that no
 * worker is still inside the program when it returns (the kernel's
 * bpf_prog_array_copy + synchronize_rcu). Event mechanics live in the
 * per-type files; nothing here knows of FUSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "internal.h"
#include "../core/object.h"

static const struct bpffs_hook_ops *const hook_types[] = {
#define BPFFS_HOOK_TYPE(name) &bpffs_##name##_hook_ops,
#include "hook_types.h"
#undef BPFFS_HOOK_TYPE
};

/* Registry of hooks and attached links. Never held across a program run. */
static struct {
	pthread_mutex_t lock;
	struct bpffs_hook *hooks;
	u32 next_link_id;
	struct link_node {
		struct bpffs_link *link;
		struct link_node *next;
	} *links;			/* attached links, ascending id */
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_link_id = 1 };

/* Who hears of hook and link changes (bpffs_hooks_set_notify). */
static struct {
	pthread_mutex_t lock;		/* held during a call: unsubscribe waits for it */
	void (*cb)(void *arg);
	void *arg;
} notify = { .lock = PTHREAD_MUTEX_INITIALIZER };

void bpffs_hooks_set_notify(void (*cb)(void *arg), void *arg)
{
	pthread_mutex_lock(&notify.lock);
	notify.cb = cb;
	notify.arg = arg;
	pthread_mutex_unlock(&notify.lock);
}

static void hooks_changed(void)
{
	pthread_mutex_lock(&notify.lock);
	if (notify.cb)
		notify.cb(notify.arg);
	pthread_mutex_unlock(&notify.lock);
}

u32 bpffs_hook_type_cnt(void)
{
	return BPFFS_ARRAY_SIZE(hook_types);
}

const char *bpffs_hook_type_name(u32 idx)
{
	return idx < BPFFS_ARRAY_SIZE(hook_types) ? hook_types[idx]->name : NULL;
}

static const struct bpffs_hook_ops *hook_type_find(const char *name)
{
	for (u32 i = 0; i < BPFFS_ARRAY_SIZE(hook_types); i++)
		if (name && !strcmp(hook_types[i]->name, name))
			return hook_types[i];
	return NULL;
}

bool bpffs_hook_type_system(const char *type)
{
	const struct bpffs_hook_ops *ops = hook_type_find(type);

	return ops && ops->system_targets;
}

const char *bpffs_hook_type_of(const struct bpffs_hook *hook)
{
	return hook->ops->name;
}

const char *bpffs_hook_target(const struct bpffs_hook *hook)
{
	return hook->target;
}

/* ---- hooks ----------------------------------------------------------------- */

static struct bpffs_hook *hook_find_locked(const struct bpffs_hook_ops *ops, const char *target)
{
	for (struct bpffs_hook *h = reg.hooks; h; h = h->next)
		if (h->ops == ops && !strcmp(h->target, target))
			return h;
	return NULL;
}

static void hook_free(struct bpffs_hook *hook)
{
	if (hook->ops->free)
		hook->ops->free(hook);
	free(atomic_load(&hook->links));
	pthread_mutex_destroy(&hook->lock);
	free(hook->priv);
	free(hook);
}

static int hook_alloc(const struct bpffs_hook_ops *ops, const char *target,
		      struct bpffs_vlog *log, struct bpffs_hook **out)
{
	struct bpffs_hook *hook;
	int err = -ENOMEM;

	if (!*target || strlen(target) >= sizeof(hook->target) || strchr(target, '/')) {
		bpffs_vlog_printf(log, "hooks/%s: '%s' is not a valid target name\n", ops->name,
				  target);
		return -EINVAL;
	}
	hook = calloc(1, sizeof(*hook));
	if (!hook)
		return -ENOMEM;
	hook->ops = ops;
	hook->refcnt = 1;
	pthread_mutex_init(&hook->lock, NULL);
	snprintf(hook->target, sizeof(hook->target), "%s", target);
	atomic_init(&hook->links, calloc(1, sizeof(struct bpffs_link_array)));
	hook->priv = ops->priv_size ? calloc(1, ops->priv_size) : NULL;
	if (!atomic_load(&hook->links) || (ops->priv_size && !hook->priv))
		goto err_free;
	err = ops->parse ? ops->parse(hook, target, log) : 0;
	if (err)
		goto err_free;
	*out = hook;
	return 0;
err_free:
	hook_free(hook);
	return err;
}

void bpffs_hook_hold(struct bpffs_hook *hook)
{
	__atomic_add_fetch(&hook->refcnt, 1, __ATOMIC_RELAXED);
}

void bpffs_hook_put(struct bpffs_hook *hook)
{
	if (hook && __atomic_sub_fetch(&hook->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		hook_free(hook);
}

/* Insert @hook (refcount 1 = the registry's) unless the target exists. */
static int hook_publish(struct bpffs_hook *hook, struct bpffs_hook **out)
{
	struct bpffs_hook *old;

	pthread_mutex_lock(&reg.lock);
	old = hook_find_locked(hook->ops, hook->target);
	if (!old) {
		hook->next = reg.hooks;
		reg.hooks = hook;
		old = hook;
	}
	if (out)
		bpffs_hook_hold(old);
	pthread_mutex_unlock(&reg.lock);
	if (out)
		*out = old;
	if (old != hook) {
		hook_free(hook);
		return -EEXIST;
	}
	return 0;
}

int bpffs_hook_create(const char *type, const char *target, struct bpffs_vlog *log,
		      struct bpffs_hook **out)
{
	const struct bpffs_hook_ops *ops = hook_type_find(type);
	struct bpffs_hook *hook, *got = NULL;
	int err;

	if (!ops)
		return -ENOENT;
	if (ops->system_targets) {
		bpffs_vlog_printf(log, "hooks/%s: targets are the system's interfaces; "
				  "they cannot be created\n", ops->name);
		return ops->system_has && ops->system_has(target) ? -EEXIST : -EPERM;
	}
	err = hook_alloc(ops, target, log, &hook);
	if (err)
		return err;
	err = hook_publish(hook, &got);
	if (err == -EEXIST)
		bpffs_vlog_printf(log, "hooks/%s/%s already exists\n", ops->name, target);
	if (err || !out)
		bpffs_hook_put(got);
	else
		*out = got;
	if (!err)
		hooks_changed();
	return err;
}

int bpffs_hook_get(const char *type, const char *target, struct bpffs_hook **out)
{
	const struct bpffs_hook_ops *ops = hook_type_find(type);
	struct bpffs_hook *hook;
	int err;

	if (!ops)
		return -ENOENT;
	pthread_mutex_lock(&reg.lock);
	hook = hook_find_locked(ops, target);
	if (hook)
		bpffs_hook_hold(hook);
	pthread_mutex_unlock(&reg.lock);
	if (hook) {
		*out = hook;
		return 0;
	}
	if (!ops->system_targets || !ops->system_has || !ops->system_has(target))
		return -ENOENT;
	err = hook_alloc(ops, target, NULL, &hook);
	if (err)
		return err;
	err = hook_publish(hook, out);
	return err == -EEXIST ? 0 : err;
}

/* Unlink @hook from the registry (caller holds reg.lock). */
static void hook_unlink_locked(struct bpffs_hook *hook)
{
	for (struct bpffs_hook **pp = &reg.hooks; *pp; pp = &(*pp)->next) {
		if (*pp == hook) {
			*pp = hook->next;
			return;
		}
	}
}

int bpffs_hook_destroy(const char *type, const char *target, struct bpffs_vlog *log)
{
	const struct bpffs_hook_ops *ops = hook_type_find(type);
	struct bpffs_hook *hook;
	int err = 0;

	if (!ops)
		return -ENOENT;
	if (ops->system_targets) {
		bpffs_vlog_printf(log, "hooks/%s/%s: interfaces cannot be removed\n", type, target);
		return -EPERM;
	}
	pthread_mutex_lock(&reg.lock);
	hook = hook_find_locked(ops, target);
	if (!hook) {
		pthread_mutex_unlock(&reg.lock);
		return -ENOENT;
	}
	pthread_mutex_lock(&hook->lock);
	if (hook->link_cnt) {
		bpffs_vlog_printf(log, "hooks/%s/%s: %u link(s) attached; remove them first\n",
				  type, target, hook->link_cnt);
		err = -ENOTEMPTY;
	} else {
		hook->removed = true;
		hook_unlink_locked(hook);
	}
	pthread_mutex_unlock(&hook->lock);
	pthread_mutex_unlock(&reg.lock);
	if (!err) {
		bpffs_hook_put(hook);	/* the registry's reference */
		hooks_changed();
	}
	return err;
}

static int hook_list_created(const struct bpffs_hook_ops *ops, bpffs_hook_list_cb cb, void *arg)
{
	char (*names)[256] = NULL;
	u32 n = 0, cap = 0;
	int ret = 0;

	/* copy names so @cb runs without the registry lock */
	pthread_mutex_lock(&reg.lock);
	for (struct bpffs_hook *h = reg.hooks; h; h = h->next) {
		if (h->ops != ops)
			continue;
		if (n == cap) {
			void *p = realloc(names, sizeof(*names) * (cap = cap ? cap * 2 : 16));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			names = p;
		}
		memcpy(names[n++], h->target, sizeof(h->target));
	}
	pthread_mutex_unlock(&reg.lock);
	for (u32 i = 0; !ret && i < n; i++)
		if (cb(arg, names[i]))
			break;
	free(names);
	return ret;
}

int bpffs_hook_list(const char *type, bpffs_hook_list_cb cb, void *arg)
{
	const struct bpffs_hook_ops *ops = hook_type_find(type);

	if (!ops)
		return -ENOENT;
	if (ops->system_targets)
		return ops->list_system(cb, arg);
	return hook_list_created(ops, cb, arg);
}

u32 bpffs_hook_link_cnt(struct bpffs_hook *hook)
{
	u32 n;

	pthread_mutex_lock(&hook->lock);
	n = hook->link_cnt;
	pthread_mutex_unlock(&hook->lock);
	return n;
}

/* ---- links ------------------------------------------------------------------ */

void bpffs_link_get(struct bpffs_link *link)
{
	__atomic_add_fetch(&link->refcnt, 1, __ATOMIC_RELAXED);
}

void bpffs_link_put(struct bpffs_link *link)
{
	if (!link || __atomic_sub_fetch(&link->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	bpffs_prog_put(link->prog);
	bpffs_hook_put(link->hook);
	free(link);
}

const char *bpffs_link_name(const struct bpffs_link *link)
{
	return link->prog->name;
}

static void link_array_free_rcu(struct bpffs_rcu_head *head)
{
	free(container_of(head, struct bpffs_link_array, rcu));
}

/*
 * Publish a copy of the hook's link array with @add appended or @del removed.
 * Caller holds hook->lock. The old array is freed after a grace period.
 */
static int link_array_replace(struct bpffs_hook *hook, struct bpffs_link *add,
			      struct bpffs_link *del)
{
	struct bpffs_link_array *old = atomic_load(&hook->links), *arr;
	u32 n = 0;

	arr = calloc(1, sizeof(*arr) + sizeof(arr->links[0]) * (old->cnt + 1));
	if (!arr)
		return -ENOMEM;
	for (u32 i = 0; i < old->cnt; i++)
		if (old->links[i] != del)
			arr->links[n++] = old->links[i];
	if (add)
		arr->links[n++] = add;
	arr->cnt = n;
	atomic_store_explicit(&hook->links, arr, memory_order_release);
	bpffs_rcu_call(&old->rcu, link_array_free_rcu);
	return 0;
}

static bool prog_type_attachable(u32 type)
{
	for (u32 i = 0; i < BPFFS_ARRAY_SIZE(hook_types); i++)
		if (hook_types[i]->accepts(type))
			return true;
	return false;
}

static int link_check_type(struct bpffs_hook *hook, struct bpffs_prog *prog,
			   struct bpffs_vlog *log)
{
	const char *tname = bpffs_prog_type_name(prog->type);

	if (hook->ops->accepts(prog->type))
		return 0;
	if (!tname)
		tname = "unknown";
	if (!prog_type_attachable(prog->type)) {
		bpffs_vlog_printf(log, "program '%s' has type %s, a kernel-only program type: "
				  "it cannot be attached (use it with test runs)\n",
				  prog->name, tname);
		return -EOPNOTSUPP;
	}
	bpffs_vlog_printf(log, "program '%s' has type %s; hooks/%s does not run that type\n",
			  prog->name, tname, hook->ops->name);
	return -EINVAL;
}

static bool hook_has_prog_locked(struct bpffs_hook *hook, struct bpffs_prog *prog)
{
	struct bpffs_link_array *arr = atomic_load(&hook->links);

	for (u32 i = 0; i < arr->cnt; i++)
		if (arr->links[i]->prog == prog || !strcmp(arr->links[i]->prog->name, prog->name))
			return true;
	return false;
}

static void link_registry_add(struct bpffs_link *link, struct link_node *node)
{
	struct link_node **pp;

	pthread_mutex_lock(&reg.lock);
	link->id = reg.next_link_id++;
	node->link = link;
	for (pp = &reg.links; *pp; pp = &(*pp)->next)
		;
	node->next = NULL;
	*pp = node;
	pthread_mutex_unlock(&reg.lock);
}

static void link_registry_del(struct bpffs_link *link)
{
	struct link_node *node = NULL;

	pthread_mutex_lock(&reg.lock);
	for (struct link_node **pp = &reg.links; *pp; pp = &(*pp)->next) {
		if ((*pp)->link == link) {
			node = *pp;
			*pp = node->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	free(node);
}

/* Attach under hook->lock: start the event source with the first link. */
static int link_attach_locked(struct bpffs_hook *hook, struct bpffs_link *link,
			      struct bpffs_vlog *log)
{
	int err;

	if (hook->removed)
		return -ENOENT;
	if (hook_has_prog_locked(hook, link->prog)) {
		bpffs_vlog_printf(log, "program '%s' is already attached to hooks/%s/%s\n",
				  link->prog->name, hook->ops->name, hook->target);
		return -EEXIST;
	}
	err = link_array_replace(hook, link, NULL);
	if (err)
		return err;
	if (!hook->started && hook->ops->start) {
		err = hook->ops->start(hook, log);
		if (err) {
			link_array_replace(hook, NULL, link);
			return err;
		}
	}
	hook->started = true;
	hook->link_cnt++;
	return 0;
}

int bpffs_link_attach(struct bpffs_hook *hook, struct bpffs_prog *prog,
		      struct bpffs_vlog *log, struct bpffs_link **out)
{
	struct bpffs_link *link;
	struct link_node *node;
	int err;

	err = link_check_type(hook, prog, log);
	if (err)
		return err;
	if (!prog->interp && !prog->jited) {
		bpffs_vlog_printf(log, "program '%s' is not prepared to run\n", prog->name);
		return -EINVAL;
	}
	link = calloc(1, sizeof(*link));
	node = calloc(1, sizeof(*node));
	if (!link || !node) {
		free(link);
		free(node);
		return -ENOMEM;
	}
	link->refcnt = 1;		/* the hook's */
	link->hook = hook;
	link->prog = prog;
	bpffs_hook_hold(hook);
	bpffs_prog_get(prog);
	/* registered (id assigned) before it can run, so stats have an owner */
	link_registry_add(link, node);
	pthread_mutex_lock(&hook->lock);
	err = link_attach_locked(hook, link, log);
	pthread_mutex_unlock(&hook->lock);
	if (err) {
		link_registry_del(link);
		bpffs_link_put(link);
		return err;
	}
	if (out) {
		bpffs_link_get(link);
		*out = link;
	}
	hooks_changed();
	return 0;
}

int bpffs_link_detach(struct bpffs_link *link)
{
	struct bpffs_hook *hook = link->hook;
	int err = 0;

	pthread_mutex_lock(&hook->lock);
	if (link->detached) {
		pthread_mutex_unlock(&hook->lock);
		return -ENOENT;
	}
	while ((err = link_array_replace(hook, NULL, link)) == -ENOMEM)
		sched_yield();	/* detach must not fail half-way */
	link->detached = true;
	if (--hook->link_cnt == 0 && hook->started) {
		if (hook->ops->stop)
			hook->ops->stop(hook);
		hook->started = false;
	}
	pthread_mutex_unlock(&hook->lock);
	/* runs that saw the old array finish before we return */
	bpffs_rcu_synchronize();
	link_registry_del(link);
	bpffs_link_put(link);	/* the hook's reference */
	hooks_changed();
	return err;
}

int bpffs_link_get_by_id(u32 id, struct bpffs_link **out)
{
	int err = -ENOENT;

	pthread_mutex_lock(&reg.lock);
	for (struct link_node *n = reg.links; n; n = n->next) {
		if (n->link->id == id) {
			bpffs_link_get(n->link);
			*out = n->link;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	return err;
}

/* Snapshot of referenced links; @cb runs without any lock held. */
static int link_visit(struct bpffs_link **links, u32 n, bpffs_link_cb cb, void *arg)
{
	int ret = 0;

	for (u32 i = 0; i < n; i++) {
		if (!ret)
			ret = cb(arg, links[i]);
		bpffs_link_put(links[i]);
	}
	free(links);
	return ret > 0 ? 0 : ret;
}

int bpffs_link_for_each(bpffs_link_cb cb, void *arg)
{
	struct bpffs_link **links = NULL;
	u32 n = 0;

	pthread_mutex_lock(&reg.lock);
	for (struct link_node *p = reg.links; p; p = p->next)
		n++;
	links = calloc(n ? n : 1, sizeof(*links));
	if (!links) {
		pthread_mutex_unlock(&reg.lock);
		return -ENOMEM;
	}
	n = 0;
	for (struct link_node *p = reg.links; p; p = p->next) {
		bpffs_link_get(p->link);
		links[n++] = p->link;
	}
	pthread_mutex_unlock(&reg.lock);
	return link_visit(links, n, cb, arg);
}

int bpffs_hook_for_each_link(struct bpffs_hook *hook, bpffs_link_cb cb, void *arg)
{
	struct bpffs_link_array *arr;
	struct bpffs_link **links;
	u32 n;

	pthread_mutex_lock(&hook->lock);
	arr = atomic_load(&hook->links);
	n = arr->cnt;
	links = calloc(n ? n : 1, sizeof(*links));
	if (!links) {
		pthread_mutex_unlock(&hook->lock);
		return -ENOMEM;
	}
	for (u32 i = 0; i < n; i++) {
		bpffs_link_get(arr->links[i]);
		links[i] = arr->links[i];
	}
	pthread_mutex_unlock(&hook->lock);
	return link_visit(links, n, cb, arg);
}

int bpffs_hook_find_link(struct bpffs_hook *hook, const char *name, struct bpffs_link **out)
{
	struct bpffs_link_array *arr;
	int err = -ENOENT;

	pthread_mutex_lock(&hook->lock);
	arr = atomic_load(&hook->links);
	for (u32 i = 0; i < arr->cnt; i++) {
		if (!strcmp(bpffs_link_name(arr->links[i]), name)) {
			bpffs_link_get(arr->links[i]);
			*out = arr->links[i];
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&hook->lock);
	return err;
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

int bpffs_link_show(const struct bpffs_link *link, char *buf, size_t size)
{
	const char *tname = bpffs_prog_type_name(link->prog->type);
	size_t n;
	int extra = 0;

	n = (size_t)snprintf(buf, size,
			     "id: %u\nhook: %s\ntarget: %s\nprog: %s\nprog_id: %u\n"
			     "prog_type: %s\nattached: %s\nrun_count: %llu\nrun_time_ns: %llu\n"
			     "faults: %llu\n",
			     link->id, link->hook->ops->name, link->hook->target, link->prog->name,
			     link->prog->id, tname ? tname : "unknown",
			     __atomic_load_n(&link->detached, __ATOMIC_RELAXED) ? "no" : "yes",
			     (unsigned long long)LOAD(link->stats.run_cnt),
			     (unsigned long long)LOAD(link->stats.run_time_ns),
			     (unsigned long long)LOAD(link->stats.faults));
	if (link->hook->ops->show_link)
		extra = link->hook->ops->show_link(link, n < size ? buf + n : NULL,
						   n < size ? size - n : 0);
	return (int)n + extra;
}

/* ---- workers and shutdown ------------------------------------------------------ */

void bpffs_hook_worker_init(struct bpffs_run_ctx *rc, const char *thread_name)
{
	memset(rc, 0, sizeof(*rc));
	pthread_setname_np(pthread_self(), thread_name);
	for (u32 slot = bpffs_nr_cpus(); slot-- > 0;)
		if (!bpffs_cpu_slot_set(slot))
			return;
	(void)bpffs_cpu_slot();	/* all taken: share one (maps.c warns) */
}

static int shutdown_detach(void *arg, struct bpffs_link *link)
{
	bpffs_link_detach(link);
	return 0;
}

void bpffs_hooks_shutdown(void)
{
	struct bpffs_hook *hook;

	bpffs_link_for_each(shutdown_detach, NULL);
	pthread_mutex_lock(&reg.lock);
	while ((hook = reg.hooks)) {
		reg.hooks = hook->next;
		pthread_mutex_lock(&hook->lock);
		hook->removed = true;
		pthread_mutex_unlock(&hook->lock);
		pthread_mutex_unlock(&reg.lock);
		bpffs_hook_put(hook);
		pthread_mutex_lock(&reg.lock);
	}
	pthread_mutex_unlock(&reg.lock);
}
