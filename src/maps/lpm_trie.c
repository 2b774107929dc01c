// SPDX-License-Identifier: MIT
/*
 * LPM_TRIE: longest-prefix match, after the kernel's lpm_trie.c. Keys are
 * struct bpf_lpm_trie_key (u32 prefixlen + 1..256 data bytes, network
 * order), so IPv4 (/0../32) and IPv6 (/0../128) tries are the same code. A
 * path-compressed binary trie: each node holds a prefix; intermediate nodes
 * (no value) join two subtrees that diverge at their prefix length.
 *
 * As in the kernel: BPF_F_NO_PREALLOC is required, a full trie fails new
 * keys with -ENOSPC, delete needs the exact prefix, and get_next_key walks
 * the nodes in a fixed (pre-)order, O(depth) per call. Lookups walk the
 * children with acquire loads and no lock; updates and deletes hold one
 * spin lock, publish fully built nodes and retire replaced ones via RCU.
 */
#include <stdlib.h>

#include "internal.h"

#define LPM_DATA_SIZE_MAX 256
#define LPM_VAL_SIZE_MAX (1U << 16)
#define LPM_KEY_HDR 4		/* offsetof(struct bpf_lpm_trie_key, data) */
#define LPM_INTERMEDIATE 1U

struct lpm_node {
	_Atomic(struct lpm_node *) child[2];
	struct bpffs_rcu_head rcu;
	u32 prefixlen;
	_Atomic u32 flags;
	u8 data[] __attribute__((aligned(8)));	/* data_size bytes, then the value */
};

struct bpffs_lpm {
	struct bpffs_map map;
	_Atomic(struct lpm_node *) root;
	_Atomic u32 lock;	/* writers */
	u32 data_size;
	u32 max_prefixlen;
	u32 value_off;		/* offset of the value in node->data */
	u32 n_entries;		/* protected by lock */
	_Atomic u64 bytes;
};

static struct bpffs_lpm *to_lpm(const struct bpffs_map *map)
{
	return container_of(map, struct bpffs_lpm, map);
}

static u32 key_prefixlen(const void *key)
{
	u32 p;

	memcpy(&p, key, 4);
	return p;
}

static const u8 *key_data(const void *key)
{
	return (const u8 *)key + LPM_KEY_HDR;
}

static int extract_bit(const u8 *data, u32 index)
{
	return !!(data[index / 8] & (1 << (7 - (index % 8))));
}

static bool node_is_im(const struct lpm_node *n)
{
	return atomic_load_explicit(&((struct lpm_node *)n)->flags, memory_order_relaxed) &
	       LPM_INTERMEDIATE;
}

static struct lpm_node *child_of(struct lpm_node *n, int bit)
{
	return atomic_load_explicit(&n->child[bit], memory_order_acquire);
}

/*
 * Number of leading bits @node and @key share, at most min(both prefixlens).
 * Compares 8, 4, then 1 byte at a time in network order, as the kernel does.
 */
static u32 lpm_match(const struct bpffs_lpm *t, const struct lpm_node *node, const void *key)
{
	u32 limit = node->prefixlen < key_prefixlen(key) ? node->prefixlen : key_prefixlen(key);
	const u8 *a = node->data, *b = key_data(key);
	u32 len = 0;

	while (len < limit) {
		u32 i = len / 8, left = t->data_size - i;

		if (left >= 8) {
			u64 x, y, diff;

			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			diff = __builtin_bswap64(x ^ y);
			if (diff)
				return BPFFS_MIN(len + __builtin_clzll(diff), limit);
			len += 64;
		} else if (left >= 4) {
			u32 x, y, diff;

			memcpy(&x, a + i, 4);
			memcpy(&y, b + i, 4);
			diff = __builtin_bswap32(x ^ y);
			if (diff)
				return BPFFS_MIN(len + __builtin_clz(diff), limit);
			len += 32;
		} else {
			u8 diff = a[i] ^ b[i];

			if (diff)
				return BPFFS_MIN(len + __builtin_clz((u32)diff) - 24, limit);
			len += 8;
		}
	}
	return limit;
}

/* Called from: load/FUSE thread. */
static int lpm_alloc_check(const struct bpffs_map_attr *attr, struct bpffs_vlog *log)
{
	int err = bpffs_map_check_attr(attr, BPF_F_NO_PREALLOC, log);

	if (err)
		return err;
	if (!(attr->map_flags & BPF_F_NO_PREALLOC)) {
		bpffs_vlog_printf(log, "map '%s': lpm_trie requires BPF_F_NO_PREALLOC\n",
				  attr->name);
		return -EINVAL;
	}
	if (!attr->max_entries || attr->key_size <= LPM_KEY_HDR ||
	    attr->key_size > LPM_KEY_HDR + LPM_DATA_SIZE_MAX || !attr->value_size ||
	    attr->value_size > LPM_VAL_SIZE_MAX) {
		bpffs_vlog_printf(log, "map '%s': lpm_trie needs key_size 5..260 (4 + data), value_size 1..%u and max_entries > 0\n",
				  attr->name, LPM_VAL_SIZE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int lpm_alloc(const struct bpffs_map_attr *attr, struct bpffs_map **out)
{
	struct bpffs_lpm *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	bpffs_map_init_from_attr(&t->map, attr);
	t->data_size = attr->key_size - LPM_KEY_HDR;
	t->max_prefixlen = t->data_size * 8;
	t->value_off = BPFFS_ROUND_UP(t->data_size, 8);
	*out = &t->map;
	return 0;
}

/* Whole cache lines: an IPv4 node with an 8-byte value is exactly one. */
static size_t lpm_node_size(const struct bpffs_lpm *t)
{
	return BPFFS_ROUND_UP(sizeof(struct lpm_node) + t->value_off +
			      BPFFS_ROUND_UP(t->map.value_size, 8), 64);
}

static struct lpm_node *lpm_node_alloc(struct bpffs_lpm *t, u32 prefixlen, const u8 *data,
				       const void *value)
{
	struct lpm_node *n = aligned_alloc(64, lpm_node_size(t));

	if (!n)
		return NULL;
	memset(n, 0, lpm_node_size(t));
	n->prefixlen = prefixlen;
	memcpy(n->data, data, t->data_size);
	if (value)
		memcpy(n->data + t->value_off, value, t->map.value_size);
	else
		atomic_store_explicit(&n->flags, LPM_INTERMEDIATE, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->bytes, lpm_node_size(t), memory_order_relaxed);
	return n;
}

static void lpm_node_free_rcu(struct bpffs_rcu_head *head)
{
	free(container_of(head, struct lpm_node, rcu));
}

static void lpm_node_retire(struct bpffs_lpm *t, struct lpm_node *n)
{
	atomic_fetch_sub_explicit(&t->bytes, lpm_node_size(t), memory_order_relaxed);
	bpffs_rcu_call(&n->rcu, lpm_node_free_rcu);
}

static void lpm_free_subtree(struct lpm_node *n)
{
	if (!n)
		return;
	lpm_free_subtree(atomic_load(&n->child[0]));
	lpm_free_subtree(atomic_load(&n->child[1]));
	free(n);
}

static void lpm_free(struct bpffs_map *map)
{
	struct bpffs_lpm *t = to_lpm(map);

	lpm_free_subtree(atomic_load(&t->root));
	free(t);
}

/* Called from: program run (any thread, must not block), inside an RCU section. */
static void *lpm_lookup(struct bpffs_map *map, const void *key)
{
	struct bpffs_lpm *t = to_lpm(map);
	struct lpm_node *node, *found = NULL;

	for (node = atomic_load_explicit(&t->root, memory_order_acquire); node;) {
		u32 matchlen = lpm_match(t, node, key);

		if (matchlen == t->max_prefixlen) {
			if (!node_is_im(node))
				found = node;
			break;
		}
		if (matchlen < node->prefixlen)
			break;
		if (!node_is_im(node))
			found = node;
		node = child_of(node, extract_bit(key_data(key), node->prefixlen));
	}
	return found ? found->data + t->value_off : NULL;
}

static void lpm_copy_children(struct lpm_node *dst, struct lpm_node *src)
{
	atomic_store_explicit(&dst->child[0], child_of(src, 0), memory_order_relaxed);
	atomic_store_explicit(&dst->child[1], child_of(src, 1), memory_order_relaxed);
}

/* Caller holds t->lock. Inserts @nn (a new prefix) above or beside @node at @slot. */
static int lpm_insert_new(struct bpffs_lpm *t, _Atomic(struct lpm_node *) *slot,
			  struct lpm_node *node, struct lpm_node *nn, u32 matchlen)
{
	struct lpm_node *im;

	if (matchlen == nn->prefixlen) {	/* nn becomes node's parent */
		atomic_store_explicit(&nn->child[extract_bit(node->data, matchlen)], node,
				      memory_order_relaxed);
		atomic_store_explicit(slot, nn, memory_order_release);
		return 0;
	}
	im = lpm_node_alloc(t, matchlen, node->data, NULL);
	if (!im)
		return -ENOMEM;
	if (extract_bit(nn->data, matchlen)) {
		atomic_store_explicit(&im->child[0], node, memory_order_relaxed);
		atomic_store_explicit(&im->child[1], nn, memory_order_relaxed);
	} else {
		atomic_store_explicit(&im->child[0], nn, memory_order_relaxed);
		atomic_store_explicit(&im->child[1], node, memory_order_relaxed);
	}
	atomic_store_explicit(slot, im, memory_order_release);
	return 0;
}

/* Caller holds t->lock. */
static int lpm_update_locked(struct bpffs_lpm *t, const void *key, struct lpm_node *nn,
			     u64 flags, struct lpm_node **retired)
{
	_Atomic(struct lpm_node *) *slot = &t->root;
	struct lpm_node *node;
	u32 matchlen = 0;
	bool exists;

	while ((node = atomic_load_explicit(slot, memory_order_relaxed))) {
		matchlen = lpm_match(t, node, key);
		if (node->prefixlen != matchlen || node->prefixlen == nn->prefixlen ||
		    node->prefixlen == t->max_prefixlen)
			break;
		slot = &node->child[extract_bit(nn->data, node->prefixlen)];
	}
	exists = node && node->prefixlen == nn->prefixlen && matchlen == nn->prefixlen &&
		 !node_is_im(node);
	if (exists && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!exists && flags == BPF_EXIST)
		return -ENOENT;
	if (!exists && t->n_entries >= t->map.max_entries)
		return -ENOSPC;
	if (!exists)
		t->n_entries++;
	if (!node) {
		atomic_store_explicit(slot, nn, memory_order_release);
		return 0;
	}
	if (node->prefixlen == matchlen && node->prefixlen == nn->prefixlen) {
		lpm_copy_children(nn, node);	/* replace node in place */
		atomic_store_explicit(slot, nn, memory_order_release);
		*retired = node;
		return 0;
	}
	if (lpm_insert_new(t, slot, node, nn, matchlen)) {
		t->n_entries--;
		return -ENOMEM;
	}
	return 0;
}

/* Called from: program run or FUSE thread. */
static int lpm_update(struct bpffs_map *map, const void *key, const void *value, u64 flags)
{
	struct bpffs_lpm *t = to_lpm(map);
	struct lpm_node *nn, *retired = NULL;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (key_prefixlen(key) > t->max_prefixlen)
		return -EINVAL;
	nn = lpm_node_alloc(t, key_prefixlen(key), key_data(key), value);
	if (!nn)
		return -ENOMEM;
	bpffs_spin_lock(&t->lock);
	err = lpm_update_locked(t, key, nn, flags, &retired);
	bpffs_spin_unlock(&t->lock);
	if (err) {
		atomic_fetch_sub_explicit(&t->bytes, lpm_node_size(t), memory_order_relaxed);
		free(nn);
	}
	if (retired)
		lpm_node_retire(t, retired);
	return err;
}

/* Caller holds t->lock. Unlinks the exact prefix; returns up to two nodes to retire. */
static int lpm_delete_locked(struct bpffs_lpm *t, const void *key, struct lpm_node **r1,
			     struct lpm_node **r2)
{
	_Atomic(struct lpm_node *) *trim = &t->root, *trim2 = trim;
	struct lpm_node *node, *parent = NULL, *c0, *c1;
	u32 matchlen = 0;

	while ((node = atomic_load_explicit(trim, memory_order_relaxed))) {
		matchlen = lpm_match(t, node, key);
		if (node->prefixlen != matchlen || node->prefixlen == key_prefixlen(key))
			break;
		parent = node;
		trim2 = trim;
		trim = &node->child[extract_bit(key_data(key), node->prefixlen)];
	}
	if (!node || node->prefixlen != key_prefixlen(key) || node->prefixlen != matchlen ||
	    node_is_im(node))
		return -ENOENT;
	t->n_entries--;
	c0 = child_of(node, 0);
	c1 = child_of(node, 1);
	if (c0 && c1) {	/* still needed to join its subtrees */
		atomic_fetch_or_explicit(&node->flags, LPM_INTERMEDIATE, memory_order_relaxed);
		return 0;
	}
	if (parent && node_is_im(parent) && !c0 && !c1) {
		/* the parent only joined node and its sibling: splice the sibling up */
		struct lpm_node *sib = child_of(parent, child_of(parent, 0) == node ? 1 : 0);

		atomic_store_explicit(trim2, sib, memory_order_release);
		*r1 = node;
		*r2 = parent;
		return 0;
	}
	atomic_store_explicit(trim, c0 ? c0 : c1, memory_order_release);
	*r1 = node;
	return 0;
}

static int lpm_delete(struct bpffs_map *map, const void *key)
{
	struct bpffs_lpm *t = to_lpm(map);
	struct lpm_node *r1 = NULL, *r2 = NULL;
	int err;

	if (key_prefixlen(key) > t->max_prefixlen)
		return -EINVAL;
	bpffs_spin_lock(&t->lock);
	err = lpm_delete_locked(t, key, &r1, &r2);
	bpffs_spin_unlock(&t->lock);
	if (r1)
		lpm_node_retire(t, r1);
	if (r2)
		lpm_node_retire(t, r2);
	return err;
}

/* First real (non-intermediate) node of the subtree at @n in pre-order. */
static struct lpm_node *lpm_first_real(struct lpm_node *n)
{
	while (n && node_is_im(n)) {
		struct lpm_node *c = child_of(n, 0);

		n = c ? c : child_of(n, 1);
	}
	return n;
}

static int lpm_emit_key(const struct bpffs_lpm *t, const struct lpm_node *n, void *next_key)
{
	if (!n)
		return -ENOENT;
	memcpy(next_key, &n->prefixlen, 4);
	memcpy((u8 *)next_key + LPM_KEY_HDR, n->data, t->data_size);
	return 0;
}

/* Find the exact node of @key, recording the path from the root. Returns depth or -1. */
static int lpm_find_path(struct bpffs_lpm *t, const void *key, struct lpm_node **path)
{
	struct lpm_node *node = atomic_load_explicit(&t->root, memory_order_acquire);
	int depth = 0;

	while (node) {
		u32 matchlen = lpm_match(t, node, key);

		path[depth++] = node;
		if (node->prefixlen != matchlen)
			return -1;
		if (node->prefixlen == key_prefixlen(key))
			return node_is_im(node) ? -1 : depth;
		if (node->prefixlen >= t->max_prefixlen)
			return -1;
		node = child_of(node, extract_bit(key_data(key), node->prefixlen));
	}
	return -1;
}

/*
 * Pre-order successor (node, child 0 subtree, child 1 subtree). A key that
 * is not in the trie restarts from the first node, as in the kernel.
 */
static int lpm_next_key(struct bpffs_map *map, const void *key, void *next_key)
{
	struct bpffs_lpm *t = to_lpm(map);
	struct lpm_node *path[LPM_DATA_SIZE_MAX * 8 + 2], *n;
	int depth = key ? lpm_find_path(t, key, path) : -1;

	if (depth < 0)
		return lpm_emit_key(t, lpm_first_real(atomic_load_explicit(&t->root,
					   memory_order_acquire)), next_key);
	if ((n = child_of(path[depth - 1], 0)) || (n = child_of(path[depth - 1], 1)))
		return lpm_emit_key(t, lpm_first_real(n), next_key);
	for (depth--; depth > 0; depth--) {
		struct lpm_node *up = path[depth - 1], *c1 = child_of(up, 1);

		if (c1 && c1 != path[depth])
			return lpm_emit_key(t, lpm_first_real(c1), next_key);
	}
	return -ENOENT;
}

static size_t lpm_mem_usage(const struct bpffs_map *map)
{
	struct bpffs_lpm *t = to_lpm(map);

	return sizeof(*t) + atomic_load_explicit(&t->bytes, memory_order_relaxed);
}

const struct bpffs_map_ops bpffs_lpm_trie_map_ops = {
	.alloc_check = lpm_alloc_check,
	.alloc = lpm_alloc,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.next_key = lpm_next_key,
	.mem_usage = lpm_mem_usage,
};
