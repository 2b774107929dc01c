// SPDX-License-Identifier: MIT
/*
 * State directory: persist a mount's objects and map contents and restore
 * them in a new daemon (see state.h for the layout and the guarantees).
 * The flusher compares each map's serialized form with the SHA-256 of what
 * it last wrote and writes only what changed. Objects are written (with
 * their maps) by the thread that loaded them, before cp returns, and their
 * files deleted before rm returns (obj_changed, a registry notification);
 * the flusher catches up if that failed (the registry id tells a reload
 * under the same name). Everything goes through write-to-tmp, fdatasync,
 * rename, fsync of the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "sha256.h"
#include "state_internal.h"
#include "vlog.h"
#include "registry_internal.h"
#include "../maps/maps.h"

#define STATE_MAGIC "BPFFSMP2"
#define STATE_MAGIC_V1 "BPFFSMP1"	/* still read: the header without backing_gen */

/* On-disk header of DIR/maps/NAME.map; entries (key, value) and a SHA-256 follow. */
struct state_map_hdr {
	char magic[8];
	u32 map_type, key_size, value_size, max_entries, map_flags;
	u32 held;			/* outlives its users: re-created before objects */
	u32 tag;			/* the caller's per-map tag (text formats) */
	u32 value_bytes;		/* bytes per value on disk (per-CPU: all slots) */
	u64 entry_cnt;
	u64 map_extra;
	char name[BPFFS_OBJ_NAME_LEN];
	u64 backing_gen;		/* values in maps/NAME.GEN.mmap (state_mmap.c), 0: entries here */
};

#define STATE_HDR_V1_SIZE offsetof(struct state_map_hdr, backing_gen)

struct saved {				/* one file we wrote */
	char name[256];
	u8 sha[32];			/* maps: digest of the content written */
	u32 id;				/* objects: registry id of what we wrote; maps: map id */
	u64 gen;			/* maps: GEN of the backing file the record names, or 0 */
	bool seen;
};

/* ---- small file helpers ---- */

static int state_path(const struct bpffs_state *st, const char *sub, const char *name,
		      const char *suffix, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s/%s/%s%s", st->dir, sub, name, suffix);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A rename or unlink is on disk only once its directory is synced (power cuts). */
int bpffs_state_sync_dir(const struct bpffs_state *st, const char *sub)
{
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", st->dir, sub);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int bpffs_state_write_atomic(struct bpffs_state *st, const char *sub, const char *name,
			     const char *suffix, const void *buf, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s/tmp/w%llu", st->dir, (unsigned long long)__atomic_add_fetch(&st->tmp_seq, 1, __ATOMIC_RELAXED));
	err = state_path(st, sub, name, suffix, dst);
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (!err && fdatasync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		err = bpffs_state_sync_dir(st, sub);
	return err;
}

void *bpffs_state_read_whole(const char *path, size_t *len)
{
	struct stat sb;
	u8 *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || !(buf = malloc((size_t)sb.st_size + 1)))
		goto out;
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* Keep a file that could not be restored out of the way (DIR/failed/), for the user. */
static void set_aside(struct bpffs_state *st, const char *sub, const char *file)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s/%s", st->dir, sub, file);
	snprintf(to, sizeof(to), "%s/failed/%s.%s", st->dir, sub, file);
	if (rename(from, to))
		unlink(from);
	pr_warn("state: %s/%s could not be restored; kept as %s", sub, file, to);
}

/* ---- the sets of files written ---- */

static struct saved *saved_find(struct saved_set *s, const char *name)
{
	u32 i;

	for (i = 0; i < s->cnt; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

static struct saved *saved_add(struct saved_set *s, const char *name)
{
	struct saved *n;

	if (s->cnt == s->cap) {
		n = realloc(s->v, (s->cap ? s->cap * 2 : 16) * sizeof(*n));
		if (!n)
			return NULL;
		s->v = n;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	n = &s->v[s->cnt++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

/* Forget (and unlink) what the registry no longer has; clear the marks. */
static void saved_sweep(struct bpffs_state *st, struct saved_set *s, const char *sub,
			const char *suffix)
{
	char path[PATH_MAX];
	u32 i = 0;

	while (i < s->cnt) {
		if (s->v[i].seen) {
			s->v[i++].seen = false;
			continue;
		}
		if (!state_path(st, sub, s->v[i].name, suffix, path))
			unlink(path);
		bpffs_state_backing_unlink(st, s->v[i].name, s->v[i].gen);	/* after its record */
		s->v[i] = s->v[--s->cnt];
	}
}

/* ---- maps ---- */

static bool keeps_entries(u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: case BPF_MAP_TYPE_LPM_TRIE:
		return true;
	}
	return false;
}

/*
 * Slot maps (prog arrays, map-in-map): each slot is saved as the name of the
 * program or map it holds, and set again from the restored registry.
 */
#define SLOT_NAME_LEN BPFFS_OBJ_NAME_LEN

static bool has_slots(u32 type)
{
	return type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Queues and stacks: values only, saved oldest first and pushed back in that order. */
static bool is_qs(u32 type)
{
	return type == BPF_MAP_TYPE_QUEUE || type == BPF_MAP_TYPE_STACK;
}

static u32 value_bytes(const struct bpffs_map *map)
{
	return map->user_value_size ? map->user_value_size : map->value_size;
}

/* Bytes of one value in the map's file. */
static u32 disk_value_bytes(const struct bpffs_map *map)
{
	return has_slots(map->map_type) ? SLOT_NAME_LEN : value_bytes(map);
}

/* Name of what slot @key holds, zero-padded into @name; false when the slot is empty. */
static bool slot_name(struct bpffs_map *map, const void *key, char *name)
{
	const char *found = NULL;

	memset(name, 0, SLOT_NAME_LEN);
	bpffs_rcu_read_lock();
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpffs_prog *prog = bpffs_prog_array_get(map, *(const u32 *)key);

		found = prog ? prog->name : NULL;
	} else if (map->ops->lookup) {
		struct bpffs_map *inner = map->ops->lookup(map, key);

		found = inner ? inner->name : NULL;
	}
	if (found)
		snprintf(name, SLOT_NAME_LEN, "%s", found);
	bpffs_rcu_read_unlock();
	return found;
}

/* Slot map file: the header in @buf, then (key, name) for every set slot. */
static u8 *slots_serialize(u8 *buf, size_t *len, struct bpffs_map *map)
{
	size_t ent = (size_t)map->key_size + SLOT_NAME_LEN, used = sizeof(struct state_map_hdr);
	u8 *n = realloc(buf, used + (size_t)map->max_entries * ent + 32);
	u8 *cur = malloc(map->key_size ? map->key_size : 1);
	bool first = true;
	u64 i;

	if (!n || !cur) {
		free(n ? n : buf);
		free(cur);
		return NULL;
	}
	for (i = 0; i < map->max_entries; i++) {
		if (bpffs_map_get_next_key(map, first ? NULL : cur, cur))
			break;
		first = false;
		if (!slot_name(map, cur, (char *)n + used + map->key_size))
			continue;	/* empty: the walk goes on from this key */
		memcpy(n + used, cur, map->key_size);
		used += ent;
		((struct state_map_hdr *)n)->entry_cnt++;
	}
	free(cur);
	bpffs_sha256(n, used, n + used);
	*len = used + 32;
	return n;
}

/* Put the program or map named in a saved slot back into slot @key. */
static int slot_restore(struct bpffs_state *st, struct bpffs_map *map, const void *key,
			const u8 *saved)
{
	char name[SLOT_NAME_LEN + 1];
	int err = -ENOENT;

	memcpy(name, saved, SLOT_NAME_LEN);
	name[SLOT_NAME_LEN] = '\0';
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpffs_prog *prog = bpffs_registry_get_prog(st->reg, name);

		if (prog)
			err = bpffs_prog_array_update(map, *(const u32 *)key, prog);
		bpffs_prog_put(prog);
	} else {
		struct bpffs_map *inner = bpffs_registry_get_map(st->reg, name);

		if (inner)
			err = bpffs_map_in_map_update(map, key, inner, BPF_ANY, NULL);
		bpffs_map_put(inner);
	}
	if (err)
		pr_warn("state: map '%s': a slot cannot hold '%s' again (%d)", map->name, name, err);
	return err;
}

/* Queue/stack file: the header in @buf, then the values (one copy under the map's lock). */
static u8 *qs_serialize(u8 *buf, size_t *len, struct bpffs_map *map)
{
	size_t used = sizeof(struct state_map_hdr);
	u8 *n = realloc(buf, used + (size_t)map->max_entries * map->value_size + 32);
	long cnt;

	if (!n) {
		free(buf);
		return NULL;
	}
	cnt = bpffs_qs_copy(map, n + used, map->max_entries);
	cnt = cnt < 0 ? 0 : cnt;
	((struct state_map_hdr *)n)->entry_cnt = (u64)cnt;
	used += (size_t)cnt * map->value_size;
	bpffs_sha256(n, used, n + used);
	*len = used + 32;
	return n;
}

/* The map's file content: header, entries (none when file-backed: @gen), SHA-256. */
static u8 *map_serialize(struct bpffs_state *st, struct bpffs_map *map, bool held, u64 gen,
			 size_t *len)
{
	size_t ent = (size_t)map->key_size + disk_value_bytes(map), cap = 4096, used, key_off = 0;
	struct state_map_hdr *h;
	u8 *buf = malloc(cap), *nk, *n;
	u64 i;
	int err;

	if (!buf)
		return NULL;
	memset(buf, 0, sizeof(*h));
	h = (struct state_map_hdr *)buf;
	memcpy(h->magic, STATE_MAGIC, 8);
	h->map_type = map->map_type;
	h->key_size = map->key_size;
	h->value_size = map->value_size;
	h->max_entries = map->max_entries;
	h->map_flags = map->map_flags;
	h->map_extra = map->map_extra;
	h->held = held;
	h->tag = st->opts.map_tag_get ? st->opts.map_tag_get(st->opts.arg, map) : 0;
	h->value_bytes = disk_value_bytes(map);
	h->backing_gen = gen;
	snprintf(h->name, sizeof(h->name), "%s", map->name);
	used = sizeof(*h);
	if (is_qs(map->map_type))
		return qs_serialize(buf, len, map);
	if (has_slots(map->map_type))
		return slots_serialize(buf, len, map);
	/* at most max_entries keys: a walk racing with deletes may restart */
	for (i = 0; keeps_entries(map->map_type) && !gen && i < map->max_entries; i++) {
		if (used + ent + 32 > cap) {
			n = realloc(buf, cap * 2);
			if (!n)
				goto fail;
			buf = n;
			cap *= 2;
		}
		nk = buf + used;
		err = bpffs_map_get_next_key(map, key_off ? buf + key_off : NULL, nk);
		if (err)
			break;
		if (bpffs_map_lookup_elem(map, nk, nk + map->key_size))
			continue;	/* deleted meanwhile: the next walk step reuses nk */
		key_off = used;
		used += ent;
		((struct state_map_hdr *)buf)->entry_cnt++;
	}
	bpffs_sha256(buf, used, buf + used);
	*len = used + 32;
	return buf;
fail:
	free(buf);
	return NULL;
}

/*
 * A file-backed map's GEN: the one its record names if the record is about
 * this very map (same id), else a newly linked file's (*@linked set).
 */
static int backing_gen(struct bpffs_state *st, const struct saved *s, struct bpffs_map *map,
		       u64 *gen, bool *linked)
{
	int fd;

	*gen = 0;
	*linked = false;
	if (!bpffs_state_backed(map, &fd))
		return 0;
	if (s && s->gen && s->id == map->id) {
		*gen = s->gen;
		return bpffs_state_backing_sync(map);	/* power cuts: same window as entries */
	}
	*linked = true;
	return bpffs_state_backing_link(st, map, gen);
}

static int flush_map(struct bpffs_state *st, struct bpffs_map *map, bool held)
{
	struct saved *s = saved_find(&st->maps, map->name);
	u64 gen, old_gen = 0;
	bool linked;
	size_t len;
	u8 *buf;
	int err = backing_gen(st, s, map, &gen, &linked);

	if (err)
		return err;
	buf = map_serialize(st, map, held, gen, &len);
	if (!buf) {
		if (linked)
			bpffs_state_backing_unlink(st, map->name, gen);
		return -ENOMEM;
	}
	if (!s || memcmp(s->sha, buf + len - 32, 32)) {
		err = bpffs_state_write_atomic(st, "maps", map->name, ".map", buf, len);
		if (!err && !s)
			s = saved_add(&st->maps, map->name);
		if (!err && s) {
			memcpy(s->sha, buf + len - 32, 32);
			old_gen = s->gen;
		}
	}
	if (s && !err) {
		s->id = map->id;
		s->gen = gen;
	}
	if (err && linked)
		bpffs_state_backing_unlink(st, map->name, gen);	/* no record names it */
	if (old_gen && old_gen != gen)	/* the record names the new file now */
		bpffs_state_backing_unlink(st, map->name, old_gen);
	if (s)
		s->seen = true;
	free(buf);
	return err;
}

/* ---- objects ---- */

static int flush_obj(struct bpffs_state *st, struct bpffs_loaded_obj *lo)
{
	struct saved *s = saved_find(&st->objs, lo->name);
	int err = 0;

	if (!s || s->id != lo->id) {
		err = bpffs_state_write_atomic(st, "objects", lo->name, "", lo->elf, lo->elf_size);
		if (!err && !s)
			s = saved_add(&st->objs, lo->name);
		if (!err && s)
			s->id = lo->id;
	}
	if (s)
		s->seen = true;
	return err;
}

/*
 * Write the objects not written yet (no sweep): DIR/hooks is written only
 * after the objects its links name, so a link never outlives its object on disk.
 */
int bpffs_state_flush_objects(struct bpffs_state *st)
{
	struct bpffs_loaded_obj **objs;
	int err = 0, e;
	u32 n, i;

	/* the registry is read under flush_lock: see bpffs_state_flush */
	pthread_mutex_lock(&st->flush_lock);
	pthread_rwlock_rdlock(&st->reg->lock);
	n = st->reg->obj_cnt;
	objs = calloc(n + 1, sizeof(*objs));
	for (i = 0; objs && i < n; i++) {
		objs[i] = st->reg->objs[i];
		__atomic_add_fetch(&objs[i]->refcnt, 1, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&st->reg->lock);
	if (!objs) {
		pthread_mutex_unlock(&st->flush_lock);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		e = flush_obj(st, objs[i]);
		err = err ? err : e;
		bpffs_loaded_obj_put(objs[i]);
	}
	for (i = 0; i < st->objs.cnt; i++)	/* the next full pass marks them again */
		st->objs.v[i].seen = false;
	pthread_mutex_unlock(&st->flush_lock);
	free(objs);
	return err;
}

/* ---- loads and unloads, written before cp / rm returns ---- */

/* Is @map the published map of its name? Then *@held says if it outlives its users. */
static bool map_published(struct bpffs_registry *reg, struct bpffs_map *map, bool *held)
{
	bool found = false;
	int j;

	pthread_rwlock_rdlock(&reg->lock);
	j = registry_find_map_locked(reg, map->name);
	if (j >= 0 && reg->maps[j].map == map) {
		*held = reg->maps[j].held;
		found = true;
	}
	pthread_rwlock_unlock(&reg->lock);
	return found;
}

static bool map_name_published(struct bpffs_registry *reg, const char *name)
{
	bool found;

	pthread_rwlock_rdlock(&reg->lock);
	found = registry_find_map_locked(reg, name) >= 0;
	pthread_rwlock_unlock(&reg->lock);
	return found;
}

/*
 * A loaded object: its maps' files first (replacing any stale file of a
 * removed map with the same name, which a restart would otherwise re-create
 * before the object and so make it clash), then the object itself.
 */
static int persist_obj(struct bpffs_state *st, struct bpffs_loaded_obj *lo)
{
	int err = 0, e;
	bool held;
	u32 i;

	for (i = 0; i < lo->map_cnt; i++) {
		if (!map_published(st->reg, lo->maps[i], &held))
			continue;	/* already unloaded again: the next event removes it */
		e = flush_map(st, lo->maps[i], held);
		err = err ? err : e;
	}
	e = flush_obj(st, lo);
	return err ? err : e;
}

/* Delete the file of saved entry @i of @s; 0 or -errno. */
static int saved_remove(struct bpffs_state *st, struct saved_set *s, u32 i, const char *sub,
			const char *suffix)
{
	char path[PATH_MAX];
	int err = state_path(st, sub, s->v[i].name, suffix, path);

	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	if (err)
		return err;
	bpffs_state_backing_unlink(st, s->v[i].name, s->v[i].gen);	/* after its record */
	s->v[i] = s->v[--s->cnt];
	return 0;
}

/*
 * An unloaded object: its file goes first (from then on a restart does not
 * load it), then the files of the maps the registry no longer has (those
 * only it used; a leftover would be set aside with a warning on restart).
 */
static int forget_obj(struct bpffs_state *st, const char *name)
{
	char path[PATH_MAX];
	struct saved *s;
	int err, e;
	u32 i = 0;

	err = state_path(st, "objects", name, "", path);
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	if (!err && (s = saved_find(&st->objs, name)))
		*s = st->objs.v[--st->objs.cnt];
	e = bpffs_state_sync_dir(st, "objects");
	err = err ? err : e;
	while (i < st->maps.cnt) {
		if (map_name_published(st->reg, st->maps.v[i].name)) {
			i++;
			continue;
		}
		e = saved_remove(st, &st->maps, i, "maps", ".map");
		if (e) {
			err = err ? err : e;
			i++;
		}
	}
	e = bpffs_state_sync_dir(st, "maps");
	return err ? err : e;
}

/*
 * Registry notification (bpffs_registry_set_notify), in the thread that
 * loaded or unloaded @name: make DIR match the registry for that name now.
 * Under flush_lock, reading the registry as it is then, so that whatever
 * order loads, unloads and flusher passes take, the last writer saw the
 * latest state.
 */
static void obj_changed(void *arg, const char *name)
{
	struct bpffs_state *st = arg;
	struct bpffs_loaded_obj *lo;
	bool loaded;
	int err;
	u32 i;

	pthread_mutex_lock(&st->flush_lock);
	lo = bpffs_registry_get_obj(st->reg, name);
	loaded = lo != NULL;
	err = loaded ? persist_obj(st, lo) : forget_obj(st, name);
	for (i = 0; i < st->objs.cnt; i++)	/* only a full pass marks what it saw */
		st->objs.v[i].seen = false;
	for (i = 0; i < st->maps.cnt; i++)
		st->maps.v[i].seen = false;
	pthread_mutex_unlock(&st->flush_lock);
	bpffs_loaded_obj_put(lo);
	if (err)
		pr_warn("state: %s object '%s' in %s failed: %s", loaded ? "writing" : "removing", name,
			st->dir, strerror(-err));
}

/* ---- one flush pass ---- */

struct reg_snapshot {
	struct bpffs_loaded_obj **objs;
	u32 obj_cnt;
	struct bpffs_map **maps;
	bool *held;
	u32 map_cnt;
};

static int snapshot_take(struct bpffs_registry *reg, struct reg_snapshot *sn)
{
	u32 i;

	memset(sn, 0, sizeof(*sn));
	pthread_rwlock_rdlock(&reg->lock);
	sn->objs = calloc(reg->obj_cnt + 1, sizeof(*sn->objs));
	sn->maps = calloc(reg->map_cnt + 1, sizeof(*sn->maps));
	sn->held = calloc(reg->map_cnt + 1, sizeof(*sn->held));
	if (sn->objs && sn->maps && sn->held) {
		for (i = 0; i < reg->obj_cnt; i++) {
			sn->objs[i] = reg->objs[i];
			__atomic_add_fetch(&reg->objs[i]->refcnt, 1, __ATOMIC_RELAXED);
		}
		sn->obj_cnt = reg->obj_cnt;
		for (i = 0; i < reg->map_cnt; i++) {
			sn->maps[i] = reg->maps[i].map;
			sn->held[i] = reg->maps[i].held;
			bpffs_map_get(sn->maps[i]);
		}
		sn->map_cnt = reg->map_cnt;
	}
	pthread_rwlock_unlock(&reg->lock);
	return sn->objs && sn->maps && sn->held ? 0 : -ENOMEM;
}

static void snapshot_drop(struct reg_snapshot *sn)
{
	u32 i;

	for (i = 0; i < sn->obj_cnt; i++)
		bpffs_loaded_obj_put(sn->objs[i]);
	for (i = 0; i < sn->map_cnt; i++)
		bpffs_map_put(sn->maps[i]);
	free(sn->objs);
	free(sn->maps);
	free(sn->held);
}

int bpffs_state_flush(struct bpffs_state *st)
{
	struct reg_snapshot sn;
	int err, first = 0;
	u32 i;

	/*
	 * Snapshot under flush_lock: a pass must not write an object or map that
	 * an rm already removed from disk (obj_changed) from an older snapshot.
	 */
	pthread_mutex_lock(&st->flush_lock);
	err = snapshot_take(st->reg, &sn);
	if (err) {
		pthread_mutex_unlock(&st->flush_lock);
		snapshot_drop(&sn);
		return err;
	}
	for (i = 0; i < sn.obj_cnt; i++) {
		err = flush_obj(st, sn.objs[i]);
		first = first ? first : err;
	}
	for (i = 0; i < sn.map_cnt; i++) {
		err = flush_map(st, sn.maps[i], sn.held[i]);
		first = first ? first : err;
	}
	/* only a complete pass may delete files: a failed write leaves "seen" unset */
	if (!first) {
		saved_sweep(st, &st->objs, "objects", "");
		saved_sweep(st, &st->maps, "maps", ".map");
	} else {
		for (i = 0; i < st->objs.cnt; i++)
			st->objs.v[i].seen = false;
		for (i = 0; i < st->maps.cnt; i++)
			st->maps.v[i].seen = false;
	}
	pthread_mutex_unlock(&st->flush_lock);
	snapshot_drop(&sn);
	err = bpffs_state_hooks_flush(st);	/* normally written at each change already */
	first = first ? first : err;
	if (first)
		pr_warn("state: flush to %s failed: %s", st->dir, strerror(-first));
	return first;
}

static void *flusher(void *arg)
{
	struct bpffs_state *st = arg;
	struct timespec ts;
	u32 ms = st->opts.flush_ms;

	pthread_mutex_lock(&st->stop_lock);
	while (!st->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&st->stop_cond, &st->stop_lock, &ts);
		if (st->stop)
			break;
		pthread_mutex_unlock(&st->stop_lock);
		bpffs_state_flush(st);
		pthread_mutex_lock(&st->stop_lock);
	}
	pthread_mutex_unlock(&st->stop_lock);
	return NULL;
}

/* ---- restore ---- */

struct map_file {
	char file[256];
	struct state_map_hdr hdr;	/* a copy (version 1 files have a shorter one) */
	const u8 *entries;
	u8 *buf;
	size_t len;
	bool created;			/* re-created here (held maps) */
};

/* Parse and check one map file; 0 or -EBADMSG. */
static int map_file_check(struct map_file *mf)
{
	struct state_map_hdr *h = &mf->hdr;
	size_t hsize = sizeof(*h), ent;
	u8 sha[32];

	if (mf->len >= 8 && !memcmp(mf->buf, STATE_MAGIC_V1, 8))
		hsize = STATE_HDR_V1_SIZE;
	else if (mf->len < 8 || memcmp(mf->buf, STATE_MAGIC, 8))
		return -EBADMSG;
	if (mf->len < hsize + 32)
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	memcpy(h, mf->buf, hsize);
	bpffs_sha256(mf->buf, mf->len - 32, sha);
	if (memcmp(sha, mf->buf + mf->len - 32, 32))
		return -EBADMSG;
	ent = (size_t)h->key_size + h->value_bytes;
	if (h->name[sizeof(h->name) - 1] || h->entry_cnt > (mf->len - hsize - 32) / (ent ? ent : 1) ||
	    hsize + h->entry_cnt * ent + 32 != mf->len || (h->backing_gen && h->entry_cnt))
		return -EBADMSG;
	mf->entries = mf->buf + hsize;
	return 0;
}

static int read_map_files(struct bpffs_state *st, struct map_file **out, u32 *cnt,
			  struct bpffs_state_stats *stats)
{
	char path[PATH_MAX];
	struct map_file *v = NULL, *n;
	struct dirent *de;
	u32 c = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/maps", st->dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".map"))
			continue;
		n = realloc(v, (c + 1) * sizeof(*v));
		if (!n)
			break;
		v = n;
		memset(&v[c], 0, sizeof(v[c]));
		snprintf(v[c].file, sizeof(v[c].file), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/maps/%s", st->dir, de->d_name);
		v[c].buf = bpffs_state_read_whole(path, &v[c].len);
		if (!v[c].buf || map_file_check(&v[c])) {
			stats->map_errors++;
			free(v[c].buf);
			set_aside(st, "maps", de->d_name);
			continue;
		}
		c++;
	}
	closedir(d);
	*out = v;
	*cnt = c;
	return 0;
}

static bool needs_inner(u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Held maps (mkdir, pinned by name) come back before the objects that join them. */
static void restore_held_map(struct bpffs_state *st, struct map_file *mf,
			     struct bpffs_state_stats *stats)
{
	const struct state_map_hdr *h = &mf->hdr;
	struct bpffs_map_attr attr = {
		.map_type = h->map_type, .key_size = h->key_size, .value_size = h->value_size,
		.max_entries = h->max_entries, .map_flags = h->map_flags,
		.inner_map_idx = (u32)-1, .map_extra = h->map_extra,
	};
	struct bpffs_map *map;
	int err;

	if (!h->held || needs_inner(h->map_type))
		return;
	snprintf(attr.name, sizeof(attr.name), "%s", h->name);
	err = bpffs_map_create(&attr, NULL, &map);
	if (!err) {
		err = bpffs_registry_add_map(st->reg, map);
		if (!err && st->opts.map_tag_set && h->tag)
			st->opts.map_tag_set(st->opts.arg, map, h->tag);
		bpffs_map_put(map);
	}
	if (err) {
		pr_warn("state: map '%s' cannot be re-created (%d)", h->name, err);
		stats->map_errors++;
		return;
	}
	mf->created = true;
}

static void restore_objects(struct bpffs_state *st, struct bpffs_state_stats *stats)
{
	char path[PATH_MAX];
	struct bpffs_loaded_obj *lo;
	struct bpffs_vlog log;
	struct dirent *de;
	size_t len;
	void *buf;
	DIR *d;
	int err;

	snprintf(path, sizeof(path), "%s/objects", st->dir);
	d = opendir(path);
	if (!d || bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 64 << 10)) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/objects/%s", st->dir, de->d_name);
		buf = bpffs_state_read_whole(path, &len);
		bpffs_vlog_reset(&log);
		err = buf ? bpffs_registry_load(st->reg, de->d_name, buf, len, &st->opts.load, &log,
						&lo) : -EIO;
		free(buf);
		if (err) {
			pr_warn("state: object '%s' failed to load again (%d): %s", de->d_name, err,
				bpffs_vlog_text(&log));
			stats->obj_errors++;
			set_aside(st, "objects", de->d_name);
			continue;
		}
		stats->objs++;
		bpffs_loaded_obj_put(lo);
	}
	bpffs_vlog_free(&log);
	closedir(d);
}

static void refill_map(struct bpffs_state *st, struct map_file *mf, struct bpffs_state_stats *stats)
{
	const struct state_map_hdr *h = &mf->hdr;
	struct bpffs_map *map = bpffs_registry_get_map(st->reg, h->name);
	size_t ent = (size_t)h->key_size + h->value_bytes;
	char backing[NAME_MAX + 1] = "";
	u64 i;

	if (h->backing_gen)
		bpffs_state_backing_name(h->name, h->backing_gen, backing, sizeof(backing));
	if (!map) {
		set_aside(st, "maps", mf->file);	/* its object did not come back */
		if (backing[0])
			set_aside(st, "maps", backing);
		return;
	}
	if (map->map_type != h->map_type || map->key_size != h->key_size ||
	    disk_value_bytes(map) != h->value_bytes) {
		pr_warn("state: map '%s' changed shape; its saved entries are dropped", h->name);
		stats->map_errors++;
	} else if (h->backing_gen && !map->frozen) {
		if (bpffs_state_backing_restore(st, map, h->backing_gen)) {
			stats->map_errors++;
			set_aside(st, "maps", backing);
			bpffs_map_put(map);
			return;
		}
		stats->entries += map->max_entries;
	} else if (!map->frozen) {
		for (i = 0; i < h->entry_cnt; i++) {
			const u8 *e = mf->entries + i * ent;

			if (is_qs(map->map_type) ? bpffs_map_push_elem(map, e, BPF_ANY)
			    : has_slots(map->map_type) ? slot_restore(st, map, e, e + h->key_size)
			    : bpffs_map_update_elem(map, e, e + h->key_size, BPF_ANY))
				stats->entry_errors++;
			else
				stats->entries++;
		}
	}
	stats->maps++;
	bpffs_map_put(map);
}

/* Delete the .mmap files no record names (a crash between linking and the record). */
static void clean_backing(struct bpffs_state *st)
{
	char path[PATH_MAX], want[NAME_MAX + 1];
	struct dirent *de;
	bool named;
	DIR *d;
	u32 i;

	snprintf(path, sizeof(path), "%s/maps", st->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".mmap"))
			continue;
		named = false;
		for (i = 0; i < st->maps.cnt && !named; i++)
			named = st->maps.v[i].gen &&
				!bpffs_state_backing_name(st->maps.v[i].name, st->maps.v[i].gen,
							  want, sizeof(want)) &&
				!strcmp(want, de->d_name);
		if (named)
			continue;
		snprintf(path, sizeof(path), "%s/maps/%s", st->dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	bpffs_state_sync_dir(st, "maps");
}

static int make_dirs(const char *dir)
{
	static const char *const subs[] = { "", "/objects", "/maps", "/tmp", "/failed" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(subs); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, subs[i]);
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static void clean_tmp(struct bpffs_state *st)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tmp", st->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/tmp/%s", st->dir, de->d_name);
		unlink(path);	/* a write a crash interrupted: never renamed, never used */
	}
	closedir(d);
}

static void restore(struct bpffs_state *st, struct bpffs_state_stats *stats)
{
	struct map_file *mf = NULL;
	u32 cnt = 0, i;

	clean_tmp(st);
	read_map_files(st, &mf, &cnt, stats);
	for (i = 0; i < cnt; i++)
		restore_held_map(st, &mf[i], stats);
	restore_objects(st, stats);
	for (i = 0; i < cnt; i++)
		refill_map(st, &mf[i], stats);
	for (i = 0; i < cnt; i++)
		free(mf[i].buf);
	free(mf);
}

static void state_free(struct bpffs_state *st)
{
	bpffs_state_backing_close(st);
	pthread_mutex_destroy(&st->flush_lock);
	pthread_mutex_destroy(&st->hooks_lock);
	pthread_mutex_destroy(&st->stop_lock);
	pthread_cond_destroy(&st->stop_cond);
	free(st->objs.v);
	free(st->maps.v);
	free(st->dir);
	free(st);
}

int bpffs_state_open(struct bpffs_registry *reg, const struct bpffs_state_opts *opts,
		     struct bpffs_state_stats *stats, struct bpffs_state **out)
{
	struct bpffs_state_stats dummy;
	struct bpffs_state *st = calloc(1, sizeof(*st));
	pthread_condattr_t ca;
	int err;

	if (!st)
		return -ENOMEM;
	stats = stats ? stats : &dummy;
	memset(stats, 0, sizeof(*stats));
	st->backing_dirfd = -1;
	st->reg = reg;
	st->opts = *opts;
	st->opts.flush_ms = opts->flush_ms ? opts->flush_ms : 100;
	st->dir = strdup(opts->dir);
	pthread_mutex_init(&st->flush_lock, NULL);
	pthread_mutex_init(&st->hooks_lock, NULL);
	pthread_mutex_init(&st->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	err = st->dir ? make_dirs(st->dir) : -ENOMEM;
	if (!err) {	/* absolute: daemonizing changes the working directory */
		char *abs = realpath(st->dir, NULL);

		err = abs ? 0 : -errno;
		free(st->dir);
		st->dir = abs;
	}
	if (err) {
		state_free(st);
		return err;
	}
	err = bpffs_state_backing_open(st);	/* before any map is made, restored ones too */
	if (err)
		pr_warn("state: %s/tmp: %s; BPF_F_MMAPABLE arrays are not file-backed", st->dir,
			strerror(-err));
	restore(st, stats);
	err = bpffs_state_flush(st);	/* the files now match what was restored */
	if (err) {
		state_free(st);
		return err;
	}
	clean_backing(st);	/* only now: the records name the files linked by that flush */
	bpffs_registry_set_notify(reg, obj_changed, st);	/* from now on cp and rm write */
	*out = st;
	return 0;
}

int bpffs_state_start(struct bpffs_state *st)
{
	struct bpffs_state_stats stats = { 0 };
	int err;

	if (!st || st->thread_started)
		return 0;
	if (!st->hooks_live)
		bpffs_state_hooks_restore(st, &stats);
	err = -pthread_create(&st->thread, NULL, flusher, st);
	st->thread_started = !err;
	return err;
}

void bpffs_state_close(struct bpffs_state *st)
{
	if (!st)
		return;
	bpffs_registry_set_notify(st->reg, NULL, NULL);
	/* the links are written as they are, then stopped: the last flush has every run's updates */
	bpffs_state_hooks_stop(st);
	if (st->thread_started) {
		pthread_mutex_lock(&st->stop_lock);
		st->stop = true;
		pthread_cond_signal(&st->stop_cond);
		pthread_mutex_unlock(&st->stop_lock);
		pthread_join(st->thread, NULL);
	}
	bpffs_state_flush(st);
	state_free(st);
}
