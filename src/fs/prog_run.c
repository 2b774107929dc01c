// SPDX-License-Identifier: MIT
/*
 * Test runs through the mount (the kernel's BPF_PROG_TEST_RUN):
 *   progs/NAME/run         write the input bytes; when the writer closes, the
 *                          program runs on them (bpffs_prog_test_run) and
 *                          close(2) returns its error. Reading prints the last
 *                          result: "retval: N", "duration_ns: N" (mean per
 *                          run), "data: HEX" for packet programs, and
 *                          "error: ..." / "fault: ..." lines when it failed.
 *   progs/NAME/run_repeat  how many times a test run repeats (1..1000000,
 *                          default 1); the result is the last run's.
 * Both are kept per program id in a small table here (the last result and
 * the repeat count), so `echo ... > run; cat run` works across opens. The
 * table is bounded: the least recently used entry goes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "prog_internal.h"
#include "../core/core.h"
#include "../hooks/hooks.h"

#define RUN_STATE_MAX 1024

struct run_state {
	u32 prog_id;
	u32 repeat;
	char *text;			/* last result, malloc'd, or NULL */
	size_t len;
	u64 used;			/* LRU clock */
	struct run_state *next;
};

static struct {
	pthread_mutex_t lock;
	struct run_state *list;
	u32 cnt;
	u64 clock;
} runs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void state_free(struct run_state *s)
{
	free(s->text);
	free(s);
}

/* Drop the least recently used entry. Under runs.lock. */
static void state_evict(void)
{
	struct run_state **pp, **victim = NULL, *s;

	for (pp = &runs.list; *pp; pp = &(*pp)->next)
		if (!victim || (*pp)->used < (*victim)->used)
			victim = pp;
	if (!victim)
		return;
	s = *victim;
	*victim = s->next;
	state_free(s);
	runs.cnt--;
}

/* The entry of @id, created when @create. Under runs.lock. */
static struct run_state *state_get(u32 id, bool create)
{
	struct run_state *s;

	for (s = runs.list; s; s = s->next)
		if (s->prog_id == id)
			goto found;
	if (!create)
		return NULL;
	if (runs.cnt >= RUN_STATE_MAX)
		state_evict();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->prog_id = id;
	s->repeat = 1;
	s->next = runs.list;
	runs.list = s;
	runs.cnt++;
found:
	s->used = ++runs.clock;
	return s;
}

static u32 repeat_of(u32 id)
{
	struct run_state *s;
	u32 n;

	pthread_mutex_lock(&runs.lock);
	s = state_get(id, false);
	n = s ? s->repeat : 1;
	pthread_mutex_unlock(&runs.lock);
	return n;
}

/* Keep @text (malloc'd, taken) as program @id's last result. */
static void result_store(u32 id, char *text, size_t len)
{
	struct run_state *s;

	pthread_mutex_lock(&runs.lock);
	s = state_get(id, true);
	if (s) {
		free(s->text);
		s->text = text;
		s->len = len;
		text = NULL;
	}
	pthread_mutex_unlock(&runs.lock);
	free(text);
}

static void prog_run_node_destroy(struct bpffs_node *node)
{
	bpffs_prog_put(node->obj);
}

static int run_truncate(struct bpffs_node *node, off_t size)
{
	return 0;	/* every open for writing starts a new input */
}

/* ---- progs/NAME/run ------------------------------------------------------ */

static void render_result(FILE *out, int err, const struct bpffs_test_run_result *res)
{
	if (err) {
		fprintf(out, "error: %s%s%s\n", strerror(-err), res->msg[0] ? ": " : "",
			res->msg);
		return;
	}
	fprintf(out, "retval: %u\nduration_ns: %llu\n", res->retval,
		(unsigned long long)res->duration_ns);
	if (res->has_data) {
		fputs("data: ", out);
		for (u32 i = 0; i < res->data_len; i++)
			fprintf(out, "%02x", res->data[i]);
		fputc('\n', out);
	}
	if (res->fault)
		fprintf(out, "fault: %s\n", res->msg);
}

static int run_open(struct bpffs_file *file)
{
	struct bpffs_prog *prog = file->node->obj;
	struct run_state *s;
	int err = 0;

	if ((file->flags & O_ACCMODE) != O_RDONLY) {
		file->dirty = true;	/* closing without a write runs on no bytes */
		return 0;
	}
	pthread_mutex_lock(&runs.lock);
	s = state_get(prog->id, false);
	if (s && s->text)
		err = bpffs_file_set_text(file, "%s", s->text);
	pthread_mutex_unlock(&runs.lock);
	return err;
}

static ssize_t run_write(struct bpffs_file *file, const char *buf, size_t size, off_t off)
{
	struct bpffs_prog *prog = file->node->obj;
	char *text;
	int len;

	if (off < 0 || (size_t)off + size > BPFFS_TEST_RUN_MAX) {
		/* close(2) reports it too; nothing runs, `cat run` says why */
		if (!file->err) {
			len = asprintf(&text, "error: %s: input is more than %u bytes\n",
				       strerror(E2BIG), BPFFS_TEST_RUN_MAX);
			if (len >= 0)
				result_store(prog->id, text, (size_t)len);
		}
		file->err = -E2BIG;
		return -E2BIG;
	}
	return bpffs_file_append(file, buf, size, off);
}

static int run_flush(struct bpffs_file *file)
{
	struct bpffs_prog *prog = file->node->obj;
	struct bpffs_test_run_result res;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	err = bpffs_prog_test_run(prog, file->wbuf, file->wlen, repeat_of(prog->id), &res);
	if (err)
		pr_info("progs/%s/run: %s: %s", prog->name, strerror(-err), res.msg);
	out = open_memstream(&text, &len);
	if (out) {
		render_result(out, err, &res);
		if (!fclose(out))
			result_store(prog->id, text, len);
		else
			free(text);
	}
	bpffs_test_run_result_fini(&res);
	bpffs_file_wreset(file);
	return err;
}

const struct bpffs_node_ops bpffs_prog_run_ops = {
	.name = "prog run",
	.mode = S_IFREG | 0644,
	.destroy = prog_run_node_destroy,
	.open = run_open,
	.write = run_write,
	.flush = run_flush,
	.truncate = run_truncate,
};

/* ---- progs/NAME/run_repeat --------------------------------------------- */

static int repeat_open(struct bpffs_file *file)
{
	struct bpffs_prog *prog = file->node->obj;

	if ((file->flags & O_ACCMODE) != O_RDONLY)
		return 0;
	return bpffs_file_set_text(file, "%u\n", repeat_of(prog->id));
}

static int repeat_flush(struct bpffs_file *file)
{
	struct bpffs_prog *prog = file->node->obj;
	struct run_state *s;
	unsigned long n;
	char buf[32], *end;

	if (!file->wlen || file->wlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, file->wbuf, file->wlen);
	buf[file->wlen] = '\0';
	bpffs_file_wreset(file);
	errno = 0;
	n = strtoul(buf, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == buf || *end || buf[0] == '-' || n < 1 ||
	    n > BPFFS_TEST_RUN_MAX_REPEAT)
		return -EINVAL;
	pthread_mutex_lock(&runs.lock);
	s = state_get(prog->id, true);
	if (s)
		s->repeat = (u32)n;
	pthread_mutex_unlock(&runs.lock);
	return s ? 0 : -ENOMEM;
}

const struct bpffs_node_ops bpffs_prog_run_repeat_ops = {
	.name = "prog run_repeat",
	.mode = S_IFREG | 0644,
	.destroy = prog_run_node_destroy,
	.open = repeat_open,
	.flush = repeat_flush,
	.truncate = run_truncate,
};
