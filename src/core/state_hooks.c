// SPDX-License-Identifier: MIT
/*
 * State directory, hooks part: DIR/hooks lists the hook directories made
 * with mkdir (timers, inotify watches) and the attached links, so that a new
 * daemon re-creates them and re-attaches the same programs to the same
 * targets. The file is rewritten (write-to-tmp, fdatasync, rename) by the
 * thread that made a change, before its mkdir/rmdir/ln/rm returns: a change
 * the shell saw complete survives a kill -9. Text, one record a line:
 *
 *   bpffs-user hooks 1
 *   hook TYPE TARGET              a directory made with mkdir
 *   link TYPE TARGET PROG         in attach order (= run order per hook)
 *   sha256 HEX                    of every byte before this line
 *
 * Fields are %XX-escaped (spaces, control bytes, '%', bytes >= 0x7f).
 * Link ids are the new daemon's own: they may differ from the old ones.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "log.h"
#include "registry.h"
#include "sha256.h"
#include "state_internal.h"
#include "vlog.h"
#include "../hooks/hooks.h"

#define HOOKS_FILE "hooks"
#define HOOKS_MAGIC "bpffs-user hooks 1\n"
#define FIELD_MAX 1024			/* an escaped field: 3 x a 256-byte name, with room */

/* ---- writing ---- */

static void put_field(FILE *f, const char *s)
{
	fputc(' ', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p >= 0x7f)
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

struct ser {
	FILE *f;
	const char *type;
};

static int ser_hook(void *arg, const char *target)
{
	struct ser *s = arg;

	fputs("hook", s->f);
	put_field(s->f, s->type);
	put_field(s->f, target);
	fputc('\n', s->f);
	return 0;
}

static int ser_link(void *arg, struct bpffs_link *link)
{
	struct ser *s = arg;

	fputs("link", s->f);
	put_field(s->f, bpffs_hook_type_of(link->hook));
	put_field(s->f, bpffs_hook_target(link->hook));
	put_field(s->f, bpffs_link_name(link));
	fputc('\n', s->f);
	return 0;
}

/* The file's content for the hook registry as it is now; NULL on -ENOMEM. */
static char *hooks_serialize(size_t *len)
{
	struct ser s = { 0 };
	char *buf = NULL;
	size_t n = 0;
	u8 sha[32];
	int err = 0;

	s.f = open_memstream(&buf, &n);
	if (!s.f)
		return NULL;
	fputs(HOOKS_MAGIC, s.f);
	for (u32 i = 0; i < bpffs_hook_type_cnt(); i++) {
		s.type = bpffs_hook_type_name(i);
		if (!bpffs_hook_type_system(s.type))
			err = err ? err : bpffs_hook_list(s.type, ser_hook, &s);
	}
	err = err ? err : bpffs_link_for_each(ser_link, &s);
	fflush(s.f);
	bpffs_sha256(buf, n, sha);
	fputs("sha256 ", s.f);
	for (int i = 0; i < 32; i++)
		fprintf(s.f, "%02x", sha[i]);
	fputc('\n', s.f);
	if (fclose(s.f) || err) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int bpffs_state_hooks_flush(struct bpffs_state *st)
{
	size_t len;
	char *buf;
	u8 sha[32];
	int err = 0;

	pthread_mutex_lock(&st->hooks_lock);
	if (!st->hooks_live) {	/* not restored yet, or stopped: DIR/hooks stays as it is */
		pthread_mutex_unlock(&st->hooks_lock);
		return 0;
	}
	err = bpffs_state_flush_objects(st);
	buf = err ? NULL : hooks_serialize(&len);
	if (!buf) {
		err = err ? err : -ENOMEM;
	} else {
		bpffs_sha256(buf, len, sha);
		if (!st->hooks_saved || memcmp(sha, st->hooks_sha, 32)) {
			err = bpffs_state_write_atomic(st, ".", HOOKS_FILE, "", buf, len);
			st->hooks_saved = !err;
			memcpy(st->hooks_sha, sha, 32);
		}
	}
	pthread_mutex_unlock(&st->hooks_lock);
	free(buf);
	if (err)
		pr_warn("state: writing %s/%s failed: %s", st->dir, HOOKS_FILE, strerror(-err));
	return err;
}

static void hooks_notify(void *arg)
{
	bpffs_state_hooks_flush(arg);
}

void bpffs_state_hooks_stop(struct bpffs_state *st)
{
	if (!st->hooks_live)	/* only this thread (start, close) changes it */
		return;
	bpffs_hooks_set_notify(NULL, NULL);
	bpffs_state_hooks_flush(st);
	/* DIR/hooks is final: a flusher pass still running cannot write the shutdown below */
	pthread_mutex_lock(&st->hooks_lock);
	st->hooks_live = false;
	pthread_mutex_unlock(&st->hooks_lock);
	bpffs_hooks_shutdown();	/* no program changes a map after the last flush */
}

/* ---- reading ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Next space-separated field of *@p, unescaped into @out. 0 or -EBADMSG. */
static int get_field(char **p, char *out, size_t size)
{
	char *s = *p;
	size_t n = 0;

	if (*s != ' ')
		return -EBADMSG;
	s++;
	while (*s && *s != ' ') {
		int c = (unsigned char)*s++;

		if (c == '%') {
			int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

			if (lo < 0)
				return -EBADMSG;
			c = hi << 4 | lo;
			s += 2;
		}
		if (!c || n + 1 >= size)
			return -EBADMSG;
		out[n++] = (char)c;
	}
	if (!n)
		return -EBADMSG;
	out[n] = '\0';
	*p = s;
	return 0;
}

/* Check the magic and the digest; 0 and the records' text, or -EBADMSG. */
static int hooks_file_check(char *buf, size_t len, char **records, size_t *rec_len)
{
	const char *tail;
	char hex[65];
	u8 sha[32];
	size_t body;

	buf[len] = '\0';
	tail = len ? memrchr(buf, '\n', len - 1) : NULL;
	if (len < strlen(HOOKS_MAGIC) || memcmp(buf, HOOKS_MAGIC, strlen(HOOKS_MAGIC)) ||
	    !tail || buf[len - 1] != '\n')
		return -EBADMSG;
	body = (size_t)(tail + 1 - buf);
	bpffs_sha256(buf, body, sha);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);
	if (len - body != 7 + 64 + 1 || memcmp(tail + 1, "sha256 ", 7) ||
	    memcmp(tail + 8, hex, 64))
		return -EBADMSG;
	*records = buf + strlen(HOOKS_MAGIC);
	*rec_len = body - strlen(HOOKS_MAGIC);
	return 0;
}

static int restore_hook(const char *type, const char *target, struct bpffs_vlog *log)
{
	int err = bpffs_hook_create(type, target, log, NULL);

	return err == -EEXIST ? 0 : err;
}

/* Hook TYPE/TARGET, made if it is not there (a link's hook line may be missing). */
static int restore_link(struct bpffs_state *st, const char *type, const char *target,
			const char *prog_name, struct bpffs_vlog *log)
{
	struct bpffs_hook *hook = NULL;
	struct bpffs_prog *prog;
	int err;

	prog = bpffs_registry_get_prog(st->reg, prog_name);
	if (!prog) {
		bpffs_vlog_printf(log, "no program '%s' in progs/ (its object did not come back)\n",
				  prog_name);
		return -ENOENT;
	}
	err = bpffs_hook_get(type, target, &hook);
	if (err == -ENOENT && !bpffs_hook_type_system(type))
		err = bpffs_hook_create(type, target, log, &hook);
	if (err == -ENOENT && bpffs_hook_type_system(type))
		bpffs_vlog_printf(log, "hooks/%s/%s: no such target on this system\n", type, target);
	if (!err)
		err = bpffs_link_attach(hook, prog, log, NULL);
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	return err;
}

/* One record line (NUL-terminated, no newline). Counts it in @stats. */
static void restore_record(struct bpffs_state *st, char *line, struct bpffs_vlog *log,
			   struct bpffs_state_stats *stats)
{
	char type[FIELD_MAX], target[FIELD_MAX], prog[FIELD_MAX];
	bool is_link = !strncmp(line, "link", 4);
	char *p = line + 4;
	int err = -EBADMSG;

	bpffs_vlog_reset(log);
	if ((is_link || !strncmp(line, "hook", 4)) && !get_field(&p, type, sizeof(type)) &&
	    !get_field(&p, target, sizeof(target)) &&
	    (!is_link || !get_field(&p, prog, sizeof(prog))) && !*p)
		err = is_link ? restore_link(st, type, target, prog, log)
			      : restore_hook(type, target, log);
	if (err == -EBADMSG) {
		pr_warn("state: %s: unreadable line '%.80s'", HOOKS_FILE, line);
	} else if (err) {
		pr_warn("state: %s hooks/%s/%s%s%s cannot be restored: %s; %s", is_link ? "link" : "hook",
			type, target, is_link ? "/" : "", is_link ? prog : "", strerror(-err),
			bpffs_vlog_text(log));
	}
	if (is_link) {
		stats->links += !err;
		stats->link_errors += !!err;
	} else {
		stats->hooks += !err;
		stats->hook_errors += !!err;
	}
}

static void restore_records(struct bpffs_state *st, char *rec, size_t len,
			    struct bpffs_state_stats *stats)
{
	struct bpffs_vlog vl, *log = bpffs_vlog_alloc(&vl, BPFFS_LOG_ERRORS, 4096) ? NULL : &vl;
	char *end = rec + len, *nl;

	for (; rec < end; rec = nl + 1) {
		nl = memchr(rec, '\n', (size_t)(end - rec));
		if (!nl)
			break;
		*nl = '\0';
		restore_record(st, rec, log, stats);
	}
	if (log)
		bpffs_vlog_free(log);
}

/* Keep the last daemon's file for the user when part of it could not be restored. */
static void keep_failed(struct bpffs_state *st, const char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%ld", HOOKS_FILE, (long)time(NULL));
	if (!bpffs_state_write_atomic(st, "failed", name, "", buf, len))
		pr_warn("state: the previous %s is kept as %s/failed/%s", HOOKS_FILE, st->dir, name);
}

void bpffs_state_hooks_restore(struct bpffs_state *st, struct bpffs_state_stats *stats)
{
	char path[PATH_MAX], *rec, *copy;
	size_t len = 0, rec_len;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", st->dir, HOOKS_FILE);
	buf = bpffs_state_read_whole(path, &len);
	if (buf && hooks_file_check(buf, len, &rec, &rec_len)) {
		pr_warn("state: %s is damaged; no hook or link is restored", path);
		stats->hook_errors++;
		keep_failed(st, buf, len);
	} else if (buf) {
		copy = malloc(len);
		if (copy)
			memcpy(copy, buf, len);
		restore_records(st, rec, rec_len, stats);
		if (copy && (stats->hook_errors || stats->link_errors))
			keep_failed(st, copy, len);
		free(copy);
	}
	free(buf);
	pr_info("state %s: restored %u hook directories (%u failed), %u links (%u failed)", st->dir,
		stats->hooks, stats->hook_errors, stats->links, stats->link_errors);
	pthread_mutex_lock(&st->hooks_lock);
	st->hooks_live = true;
	pthread_mutex_unlock(&st->hooks_lock);
	bpffs_hooks_set_notify(hooks_notify, st);
	bpffs_state_hooks_flush(st);	/* the file now matches what came back */
}
