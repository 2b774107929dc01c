// SPDX-License-Identifier: MIT
/*
 * The node table: inode number -> struct bpffs_node (a kind's ops table plus
 * a reference on the object it shows), and (parent, name) -> node so repeated
 * lookups of one name reuse one inode. Nodes are counted twice, as libfuse's
 * passthrough_ll does: nlookup for the kernel (lookup adds, forget removes)
 * and refs for us (fixed entries, children, open files, handlers in flight).
 * A node is freed when both reach zero; freeing drops its object reference
 * and its reference on the parent. One mutex protects all of it; no kind op
 * is ever called with the mutex held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "../core/registry.h"
#include "../hooks/hooks.h"
#include "../maps/maps.h"

static size_t ino_bucket(const struct bpffs_fs *fs, u64 ino)
{
	return (size_t)(ino * 0x9e3779b97f4a7c15ull >> 20) % fs->nbuckets;
}

static size_t name_bucket(const struct bpffs_fs *fs, u64 parent, const char *name)
{
	u64 h = 1469598103934665603ull ^ parent;

	while (*name)
		h = (h ^ (u8)*name++) * 1099511628211ull;
	return (size_t)(h % fs->nbuckets);
}

static struct bpffs_node *find_ino_locked(struct bpffs_fs *fs, u64 ino)
{
	struct bpffs_node *n = fs->ino_hash[ino_bucket(fs, ino)];

	while (n && n->ino != ino)
		n = n->ino_next;
	return n;
}

static struct bpffs_node *find_name_locked(struct bpffs_fs *fs, u64 parent, const char *name)
{
	struct bpffs_node *n = fs->name_hash[name_bucket(fs, parent, name)];

	for (; n; n = n->name_next)
		if (n->parent && n->parent->ino == parent && !strcmp(n->name, name))
			return n;
	return NULL;
}

static void unhash_name_locked(struct bpffs_node *node)
{
	struct bpffs_fs *fs = node->fs;
	struct bpffs_node **p;

	if (!node->hashed)
		return;
	p = &fs->name_hash[name_bucket(fs, node->parent->ino, node->name)];
	while (*p != node)
		p = &(*p)->name_next;
	*p = node->name_next;
	node->hashed = false;
}

static void hash_locked(struct bpffs_node *node)
{
	struct bpffs_fs *fs = node->fs;
	size_t b = ino_bucket(fs, node->ino);

	node->ino_next = fs->ino_hash[b];
	fs->ino_hash[b] = node;
	if (node->parent) {
		b = name_bucket(fs, node->parent->ino, node->name);
		node->name_next = fs->name_hash[b];
		fs->name_hash[b] = node;
		node->hashed = true;
	}
	fs->nodes++;
}

static void unhash_ino_locked(struct bpffs_node *node)
{
	struct bpffs_fs *fs = node->fs;
	struct bpffs_node **p = &fs->ino_hash[ino_bucket(fs, node->ino)];

	while (*p != node)
		p = &(*p)->ino_next;
	*p = node->ino_next;
	fs->nodes--;
}

static void node_free(struct bpffs_node *node)
{
	if (node->ops->destroy)
		node->ops->destroy(node);
	free(node->priv);
	free(node->name);
	free(node);
}

/*
 * Drop references; frees the nodes that reach zero, walking up the parents
 * they pinned. Object destructors run after the lock is released.
 */
static void node_release(struct bpffs_fs *fs, struct bpffs_node *node, u64 nlookup, u64 refs)
{
	struct bpffs_node *dead = NULL, *n;

	pthread_mutex_lock(&fs->lock);
	node->nlookup -= nlookup;
	node->refs -= refs;
	while (node && !node->nlookup && !node->refs) {
		struct bpffs_node *parent = node->parent;

		unhash_name_locked(node);
		unhash_ino_locked(node);
		node->ino_next = dead;
		dead = node;
		if (parent)
			parent->refs--;
		node = parent;
	}
	pthread_mutex_unlock(&fs->lock);
	while ((n = dead)) {
		dead = n->ino_next;
		node_free(n);
	}
}

struct bpffs_node *bpffs_node_get(struct bpffs_fs *fs, u64 ino)
{
	struct bpffs_node *n;

	pthread_mutex_lock(&fs->lock);
	n = find_ino_locked(fs, ino);
	if (n)
		n->refs++;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

void bpffs_node_hold(struct bpffs_node *node)
{
	pthread_mutex_lock(&node->fs->lock);
	node->refs++;
	pthread_mutex_unlock(&node->fs->lock);
}

void bpffs_node_put(struct bpffs_node *node)
{
	if (node)
		node_release(node->fs, node, 0, 1);
}

void bpffs_node_forget(struct bpffs_fs *fs, u64 ino, u64 n)
{
	struct bpffs_node *node;

	pthread_mutex_lock(&fs->lock);
	node = find_ino_locked(fs, ino);
	if (node && node->nlookup < n)
		n = node->nlookup;	/* never underflow on a confused kernel */
	pthread_mutex_unlock(&fs->lock);
	if (node && n)
		node_release(fs, node, n, 0);
}

static struct bpffs_node *node_alloc(struct bpffs_node *dir, const char *name,
				     const struct bpffs_child *c)
{
	struct bpffs_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->priv = c->priv;
	n->priv_len = c->priv_len;
	n->ops = c->ops;
	n->obj = c->obj;
	n->parent = dir;
	n->fs = dir->fs;
	return n;
}

static bool same_child(const struct bpffs_node *n, const struct bpffs_child *c)
{
	return n->ops == c->ops && n->obj == c->obj && n->priv_len == c->priv_len &&
	       (!c->priv_len || !memcmp(n->priv, c->priv, c->priv_len));
}

/* Drop the object reference a lookup handed us when it is not used. */
static void child_drop(struct bpffs_node *dir, const char *name, struct bpffs_child *c)
{
	struct bpffs_node tmp = { .ops = c->ops, .obj = c->obj, .fs = dir->fs };

	(void)name;
	if (c->ops && c->ops->destroy && c->obj)
		c->ops->destroy(&tmp);
	free(c->priv);
}

int bpffs_node_child(struct bpffs_node *dir, const char *name, struct bpffs_child *c,
		     bool lookup, struct bpffs_node **out)
{
	struct bpffs_fs *fs = dir->fs;
	struct bpffs_node *n, *fresh;

	/* allocate outside the lock; most lookups of a live name find it */
	fresh = node_alloc(dir, name, c);
	pthread_mutex_lock(&fs->lock);
	n = find_name_locked(fs, dir->ino, name);
	if (n && same_child(n, c)) {
		/* pin @n across the unlocked window: a FORGET may drop its last count
		 * meanwhile and free it (ASan, tests/bats/stress.bats load/unload cycles) */
		n->refs++;
		pthread_mutex_unlock(&fs->lock);
		if (fresh) {
			free(fresh->name);
			free(fresh);
		}
		child_drop(dir, name, c);
		pthread_mutex_lock(&fs->lock);
		n->refs--;	/* the count taken below keeps it alive from here */
	} else {
		if (!fresh) {
			pthread_mutex_unlock(&fs->lock);
			child_drop(dir, name, c);
			return -ENOMEM;
		}
		/* a stale node of the same name (object replaced) stays until forgotten */
		if (n)
			unhash_name_locked(n);
		n = fresh;
		n->ino = fs->next_ino++;
		dir->refs++;
		hash_locked(n);
	}
	if (lookup)
		n->nlookup++;
	else
		n->refs++;
	pthread_mutex_unlock(&fs->lock);
	*out = n;
	return 0;
}

int bpffs_node_add_fixed(struct bpffs_node *dir, const char *name,
			 const struct bpffs_node_ops *ops, void *obj, struct bpffs_node **out)
{
	struct bpffs_child c = { .ops = ops, .obj = obj };
	struct bpffs_node *n;
	int err;

	err = bpffs_node_child(dir, name, &c, false, &n);
	if (err)
		return err;
	if (out)
		*out = n;
	return 0;
}

void bpffs_node_unhash(struct bpffs_node *dir, const char *name)
{
	struct bpffs_fs *fs = dir->fs;
	struct bpffs_node *n;

	pthread_mutex_lock(&fs->lock);
	n = find_name_locked(fs, dir->ino, name);
	if (n)
		unhash_name_locked(n);
	pthread_mutex_unlock(&fs->lock);
}

int bpffs_fs_create(struct bpffs_fs **out)
{
	struct bpffs_fs *fs = calloc(1, sizeof(*fs));
	int err = -ENOMEM;

	if (!fs)
		return -ENOMEM;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->maps_lock, NULL);
	pthread_mutex_init(&fs->progs_lock, NULL);
	fs->nbuckets = BPFFS_NAME_BUCKETS;
	fs->ino_hash = calloc(fs->nbuckets, sizeof(*fs->ino_hash));
	fs->name_hash = calloc(fs->nbuckets, sizeof(*fs->name_hash));
	fs->root = calloc(1, sizeof(*fs->root));
	if (!fs->ino_hash || !fs->name_hash || !fs->root || bpffs_registry_create(&fs->reg))
		goto err_free;
	fs->uid = getuid();
	fs->gid = getgid();
	clock_gettime(CLOCK_REALTIME, &fs->mount_time);
	fs->root->name = strdup("");
	if (!fs->root->name)
		goto err_free;
	fs->root->ino = 1;		/* FUSE_ROOT_ID */
	fs->root->ops = &bpffs_root_ops;
	fs->root->fs = fs;
	fs->root->refs = 1;		/* pinned until bpffs_fs_destroy */
	fs->next_ino = 2;
	hash_locked(fs->root);
	err = bpffs_trace_ring_create(fs);
	if (!err)
		err = bpffs_root_populate(fs->root);
	if (err)
		goto err_destroy;
	*out = fs;
	return 0;

err_destroy:
	bpffs_fs_destroy(fs);
	return err;
err_free:
	bpffs_registry_destroy(fs->reg);
	if (fs->root)
		free(fs->root->name);
	free(fs->root);
	free(fs->ino_hash);
	free(fs->name_hash);
	free(fs);
	return err;
}

/*
 * Unmount: the kernel forgets nothing on unmount, so free every node left,
 * children before parents is not needed since we ignore counts here.
 */
void bpffs_fs_destroy(struct bpffs_fs *fs)
{
	size_t b;

	if (!fs)
		return;
	bpffs_fs_release_all(fs);
	for (b = 0; b < fs->nbuckets; b++) {
		struct bpffs_node *n = fs->ino_hash[b], *next;

		for (; n; n = next) {
			next = n->ino_next;
			node_free(n);
		}
	}
	free(fs->ino_hash);
	free(fs->name_hash);
	/* links hold programs: detach them before the registry goes */
	bpffs_hooks_shutdown();
	bpffs_maps_fini(fs);
	bpffs_progs_fini(fs);
	bpffs_registry_destroy(fs->reg);
	bpffs_trace_ring_destroy(fs);
	/* maps and programs are freed after a grace period: wait for it */
	bpffs_rcu_barrier();
	pthread_mutex_destroy(&fs->progs_lock);
	pthread_mutex_destroy(&fs->maps_lock);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}
