// SPDX-License-Identifier: MIT
/*
 * Reference-counted BTF of a loaded object, so the types of a map's key and
 * value outlive the load (the filesystem prints entries with them) and stay
 * valid while a reader holds them, even if the object is unloaded meanwhile.
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "core.h"

struct bpffs_btf {
	struct btf *btf;
	int refcnt;
};

int bpffs_btf_wrap(struct btf *btf, struct bpffs_btf **out)
{
	struct bpffs_btf *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->btf = btf;
	b->refcnt = 1;
	*out = b;
	return 0;
}

void bpffs_btf_get(struct bpffs_btf *b)
{
	if (b)
		__atomic_add_fetch(&b->refcnt, 1, __ATOMIC_RELAXED);
}

void bpffs_btf_put(struct bpffs_btf *b)
{
	if (!b || __atomic_sub_fetch(&b->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	btf__free(b->btf);
	free(b);
}

const struct btf *bpffs_btf_raw(const struct bpffs_btf *b)
{
	return b ? b->btf : NULL;
}
