// SPDX-License-Identifier: MIT
/*
 * progs/: `cp prog.o MNT/progs/` loads an object. The file is accumulated in
 * memory while it is written and handed to the load pipeline
 * (bpffs_registry_load: parse, create maps, verify, JIT, publish, all or
 * nothing) when the writer closes it, so close(2) -- and therefore cp --
 * fails with the loader's errno. The reason is kept per object name in
 * progs/.log. A loaded object shows as progs/NAME.o (reading returns the ELF
 * bytes, rm unloads it) and each of its programs as a directory
 * progs/PROG/ (prog_dir.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "prog_internal.h"
#include "../core/core.h"
#include "../core/log.h"
#include "../core/registry.h"

#define LOAD_LOG_SIZE (1u << 20)

struct bpffs_load_failure {
	char name[256];
	int err;
	char *text;
	struct bpffs_load_failure *next;
};

/* ---- progs/.log ------------------------------------------------------------ */

static void failure_set(struct bpffs_fs *fs, const char *name, int err, const char *text)
{
	struct bpffs_load_failure **p, *f = NULL;

	pthread_mutex_lock(&fs->progs_lock);
	for (p = &fs->failures; *p; p = &(*p)->next) {
		if (!strcmp((*p)->name, name)) {
			f = *p;
			*p = f->next;
			break;
		}
	}
	if (f) {
		free(f->text);
		if (!err) {
			free(f);
			f = NULL;
		}
	} else if (err) {
		f = calloc(1, sizeof(*f));
	}
	if (f) {
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->err = err;
		f->text = strdup(text);
		/* newest first */
		f->next = fs->failures;
		fs->failures = f;
	}
	pthread_mutex_unlock(&fs->progs_lock);
}

void bpffs_progs_fini(struct bpffs_fs *fs)
{
	struct bpffs_load_failure *f;

	while ((f = fs->failures)) {
		fs->failures = f->next;
		free(f->text);
		free(f);
	}
}

static int log_open(struct bpffs_file *file)
{
	struct bpffs_fs *fs = file->node->fs;
	struct bpffs_load_failure *f;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return -ENOMEM;
	pthread_mutex_lock(&fs->progs_lock);
	for (f = fs->failures; f; f = f->next) {
		const char *t = f->text ? f->text : "";
		size_t tl = strlen(t);

		fprintf(out, "%s: load failed: %s (%d)\n%s%s", f->name, strerror(-f->err), f->err,
			t, tl && t[tl - 1] != '\n' ? "\n" : "");
	}
	pthread_mutex_unlock(&fs->progs_lock);
	if (fclose(out))
		return -ENOMEM;
	return bpffs_file_take_text(file, text, len);
}

static const struct bpffs_node_ops log_ops = {
	.name = "progs/.log",
	.mode = S_IFREG | 0444,
	.open = log_open,
};

/* ---- loaded objects ---------------------------------------------------------- */

static void obj_destroy(struct bpffs_node *node)
{
	bpffs_loaded_obj_put(node->obj);
}

static void obj_getattr(struct bpffs_node *node, struct stat *st)
{
	const struct bpffs_loaded_obj *lo = node->obj;

	st->st_size = (off_t)lo->elf_size;
	st->st_mtim.tv_sec = (time_t)(lo->load_time / 1000000000ull);
	st->st_mtim.tv_nsec = (long)(lo->load_time % 1000000000ull);
}

static ssize_t obj_read(struct bpffs_file *file, char *buf, size_t size, off_t off)
{
	const struct bpffs_loaded_obj *lo = file->node->obj;

	if (off < 0)
		return -EINVAL;
	if ((size_t)off >= lo->elf_size)
		return 0;
	if (size > lo->elf_size - (size_t)off)
		size = lo->elf_size - (size_t)off;
	memcpy(buf, lo->elf + off, size);
	return (ssize_t)size;
}

/* A loaded object is not rewritten in place: rm it, then copy again. */
static ssize_t obj_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	return -EEXIST;
}

static int obj_truncate(struct bpffs_node *node, off_t size)
{
	return -EEXIST;
}

static const struct bpffs_node_ops obj_ops = {
	.name = "loaded object",
	.mode = S_IFREG | 0444,
	.destroy = obj_destroy,
	.getattr = obj_getattr,
	.read = obj_read,
	.write = obj_write,
	.truncate = obj_truncate,
};

/* ---- an object being written ---------------------------------------------- */

static int upload_load(struct bpffs_file *file)
{
	struct bpffs_fs *fs = file->node->fs;
	const char *name = file->node->name;
	struct bpffs_load_opts opts = {
		.runtime = (int)fs->runtime,
		.log_level = BPFFS_LOG_ERRORS,
	};
	struct bpffs_vlog log;
	int err;

	err = bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, LOAD_LOG_SIZE);
	if (err)
		return err;
	err = bpffs_registry_load(fs->reg, name, file->wbuf, file->wlen, &opts, &log, NULL);
	failure_set(fs, name, err, bpffs_vlog_text(&log));
	if (err)
		pr_info("object '%s': load failed (%d); see progs/.log", name, err);
	else
		pr_info("object '%s': loaded", name);
	bpffs_vlog_free(&log);
	bpffs_file_wreset(file);
	return err;
}

/* A created object is loaded at close even if nothing was written: 0 bytes get EINVAL. */
static int upload_open(struct bpffs_file *file)
{
	file->dirty = true;
	return 0;
}

static const struct bpffs_node_ops upload_ops = {
	.name = "object upload",
	.mode = S_IFREG | 0644,
	.open = upload_open,
	.flush = upload_load,
};

/* ---- progs/ ------------------------------------------------------------------- */

static int progs_lookup(struct bpffs_node *dir, const char *name, struct bpffs_child *out)
{
	struct bpffs_registry *reg = dir->fs->reg;
	struct bpffs_loaded_obj *lo;
	struct bpffs_prog *prog;

	if (!strcmp(name, ".log")) {
		out->ops = &log_ops;
		return 0;
	}
	lo = bpffs_registry_get_obj(reg, name);
	if (lo) {
		out->ops = &obj_ops;
		out->obj = lo;
		return 0;
	}
	prog = bpffs_registry_get_prog(reg, name);
	if (!prog)
		return -ENOENT;
	out->ops = &bpffs_prog_dir_ops;
	out->obj = prog;
	return 0;
}

struct progs_listing {
	char **objs, **progs;
	int nobj, nprog;
};

static void listing_free(struct progs_listing *l)
{
	if (!l)
		return;
	bpffs_registry_names_free(l->objs, l->nobj);
	bpffs_registry_names_free(l->progs, l->nprog);
	free(l);
}

static struct progs_listing *listing_take(struct bpffs_registry *reg)
{
	struct progs_listing *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->nobj = bpffs_registry_names(reg, BPFFS_REG_OBJ, &l->objs);
	l->nprog = bpffs_registry_names(reg, BPFFS_REG_PROG, &l->progs);
	if (l->nobj < 0 || l->nprog < 0) {
		l->nobj = l->nobj < 0 ? 0 : l->nobj;
		l->nprog = l->nprog < 0 ? 0 : l->nprog;
		listing_free(l);
		return NULL;
	}
	return l;
}

/* Cookies: 0 = .log, then the objects, then the program directories. */
static int progs_readdir(struct bpffs_node *dir, struct bpffs_file *file, off_t off,
			 bpffs_fill_fn fill, void *ctx)
{
	struct progs_listing *l = file->priv;
	off_t i;

	if (!l || off == 0) {
		listing_free(l);
		file->priv = l = listing_take(dir->fs->reg);
		if (!l)
			return -ENOMEM;
	}
	if (off == 0 && fill(ctx, ".log", S_IFREG, 0, 1))
		return 0;
	for (i = off ? off : 1; i < 1 + l->nobj + l->nprog; i++) {
		bool is_obj = i - 1 < l->nobj;
		const char *name = is_obj ? l->objs[i - 1] : l->progs[i - 1 - l->nobj];

		if (fill(ctx, name, is_obj ? S_IFREG : S_IFDIR, 0, i + 1))
			break;
	}
	return 0;
}

static void progs_release(struct bpffs_file *file)
{
	listing_free(file->priv);
}

static int progs_create(struct bpffs_node *dir, const char *name, mode_t mode, int flags,
			struct bpffs_child *out)
{
	struct bpffs_prog *prog;

	if (!strcmp(name, ".log"))
		return -EEXIST;
	if (strlen(name) >= sizeof(((struct bpffs_load_failure *)0)->name))
		return -ENAMETOOLONG;
	prog = bpffs_registry_get_prog(dir->fs->reg, name);
	if (prog) {
		bpffs_prog_put(prog);
		return -EEXIST;
	}
	out->ops = &upload_ops;
	return 0;
}

static int progs_unlink(struct bpffs_node *dir, const char *name)
{
	struct bpffs_fs *fs = dir->fs;
	int err;

	if (!strcmp(name, ".log")) {
		return -EPERM;
	}
	err = bpffs_registry_unload(fs->reg, name);
	if (!err)
		pr_info("object '%s': unloaded", name);
	return err;
}

/* Programs go away with their object: rm progs/OBJECT.o. */
static int progs_rmdir(struct bpffs_node *dir, const char *name)
{
	struct bpffs_prog *prog = bpffs_registry_get_prog(dir->fs->reg, name);

	if (!prog)
		return -ENOENT;
	bpffs_prog_put(prog);
	return -EPERM;
}

static int progs_mkdir(struct bpffs_node *dir, const char *name, mode_t mode,
		       struct bpffs_child *out)
{
	return -EPERM;
}

const struct bpffs_node_ops bpffs_progs_dir_ops = {
	.name = "progs dir",
	.mode = S_IFDIR | 0755,
	.lookup = progs_lookup,
	.readdir = progs_readdir,
	.release = progs_release,
	.create = progs_create,
	.unlink = progs_unlink,
	.rmdir = progs_rmdir,
	.mkdir = progs_mkdir,
};
