// SPDX-License-Identifier: MIT
/*
 * hooks/ and links/ driven through the reply-free filesystem handlers,
 * without a mount: a timer target made with mkdir, a program attached with
 * symlink and read back with readlink, the link listed in the target and in
 * links/ with its description, rmdir refused with ENOTEMPTY, unlink
 * detaching (the run count stops), wrong-type attach failing with EINVAL and
 * a reason in hooks/.log, and every node freed once the lookups are
 * forgotten. Needs clang for examples/sampler.bpf.c (skips without it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "fs/internal.h"
#include "hooks/hooks.h"

static char objdir[] = "/tmp/bpffs-fshooks-XXXXXX";

/* Compile examples/NAME.bpf.c into objdir; malloc'd bytes or NULL. */
static char *compile_example(const char *name, size_t *len)
{
	char cmd[1024], path[256];
	char *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", objdir, name);
	snprintf(cmd, sizeof(cmd), "clang -O2 -g -target bpf -Iinclude "
		 "-I/usr/include/$(gcc -dumpmachine) -c examples/%s.bpf.c -o %s 2>/dev/null",
		 name, path);
	if (system(cmd))
		return NULL;
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n > 0)
		buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	unlink(path);
	*len = (size_t)n;
	return buf;
}

/* cp OBJ progs/NAME: create, write, close. */
static int load(struct bpffs_fs *fs, u64 progs, const char *name, const char *elf, size_t len)
{
	struct bpffs_entry e;
	struct bpffs_file *f;
	ssize_t n;
	int err;

	err = bpffs_fs_create_file(fs, progs, name, 0644, O_WRONLY | O_CREAT, &e, &f);
	if (err)
		return err;
	bpffs_node_forget(fs, e.ino, 1);
	n = bpffs_fs_write(f, elf, len, 0);
	err = n < 0 ? (int)n : bpffs_fs_flush(f);
	bpffs_fs_release(f);
	return err;
}

static u64 lookup(struct bpffs_fs *fs, u64 dir, const char *name)
{
	struct bpffs_entry e;

	return bpffs_fs_lookup(fs, dir, name, &e) ? 0 : e.ino;
}

static int read_text(struct bpffs_fs *fs, u64 ino, char *buf, size_t size)
{
	struct bpffs_file *f;
	ssize_t n;
	int err = bpffs_fs_open(fs, ino, O_RDONLY, &f);

	if (err)
		return err;
	n = bpffs_fs_read(f, buf, size - 1, 0);
	bpffs_fs_release(f);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

static int collect(void *ctx, const char *name, mode_t mode, u64 ino, off_t next_off)
{
	char *buf = ctx;
	size_t used = strlen(buf);

	snprintf(buf + used, 1024 - used, "%s ", name);
	return 0;
}

static int list(struct bpffs_fs *fs, u64 ino, char *buf)
{
	struct bpffs_file *d;
	int err = bpffs_fs_opendir(fs, ino, &d);

	buf[0] = '\0';
	if (err)
		return err;
	err = bpffs_fs_readdir(d, 0, collect, buf);
	bpffs_fs_release(d);
	return err;
}

static unsigned long long field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

int main(void)
{
	struct bpffs_fs *fs;
	struct bpffs_entry e;
	u64 base = 0, progs = 0, hooks = 0, timer = 0, t10 = 0, links = 0, lnk = 0, lf = 0;
	char buf[4096], names[1024], id[16];
	unsigned long long runs;
	size_t len = 0;
	char *elf;

	if (!mkdtemp(objdir) || bpffs_fs_create(&fs)) {
		printf("Bail out! setup\n");
		return 1;
	}
	base = fs->nodes;
	progs = lookup(fs, 1, "progs");
	hooks = lookup(fs, 1, "hooks");
	links = lookup(fs, 1, "links");
	elf = compile_example("sampler", &len);

	TEST("hooks/ lists .log and the three hook types") {
		CHECK_EQ(list(fs, hooks, names), 0);
		CHECK(strstr(names, ".log ") && strstr(names, "socket ") &&
		      strstr(names, "timer ") && strstr(names, "inotify "));
	}
	TEST("mkdir hooks/timer/10ms makes a target listed in hooks/timer") {
		timer = lookup(fs, hooks, "timer");
		CHECK(timer != 0);
		CHECK_EQ(bpffs_fs_mkdir(fs, timer, "10ms", 0755, &e), 0);
		t10 = e.ino;
		CHECK_EQ(list(fs, timer, names), 0);
		CHECK(strstr(names, "10ms ") != NULL);
		CHECK_EQ(bpffs_fs_mkdir(fs, timer, "bogus", 0755, &e), -EINVAL);
	}
	TEST("symlink attaches; readlink points at the program; links/ID describes it") {
		if (!elf)
			SKIP("no clang for examples/sampler.bpf.c");
		CHECK_EQ(load(fs, progs, "sampler.bpf.o", elf, len), 0);
		CHECK_EQ(bpffs_fs_symlink(fs, t10, "sample", "/mnt/progs/sample", &e), 0);
		lnk = e.ino;
		CHECK(S_ISLNK(e.st.st_mode));
		CHECK_EQ(bpffs_fs_readlink(fs, lnk, buf, sizeof(buf)), 21);
		CHECK(!strcmp(buf, "../../../progs/sample"));
		CHECK_EQ(list(fs, t10, names), 0);
		CHECK(!strcmp(names, ". .. sample "));
		CHECK_EQ(list(fs, links, names), 0);
		CHECK_EQ(sscanf(names, ". .. %15s", id), 1);
		lf = lookup(fs, links, id);
		CHECK(lf != 0);
		usleep(200 * 1000);
		CHECK_EQ(read_text(fs, lf, buf, sizeof(buf)), 0);
		CHECK(strstr(buf, "hook: timer\ntarget: 10ms\nprog: sample\n") != NULL);
		CHECK(field(buf, "run_count: ") >= 3);
	}
	TEST("the same program twice is EEXIST; a bad target name is EINVAL") {
		if (!elf)
			SKIP("no program");
		CHECK_EQ(bpffs_fs_symlink(fs, t10, "sample", "../../progs/sample/", &e), -EEXIST);
		CHECK_EQ(bpffs_fs_symlink(fs, t10, "other", "/mnt/progs/sample", &e), -EINVAL);
		CHECK_EQ(bpffs_fs_symlink(fs, t10, "nope", "/mnt/progs/nope", &e), -ENOENT);
	}
	TEST("rmdir with a link is ENOTEMPTY; unlink detaches and the runs stop") {
		if (!elf)
			SKIP("no program");
		CHECK_EQ(bpffs_fs_rmdir(fs, timer, "10ms"), -ENOTEMPTY);
		CHECK_EQ(bpffs_fs_unlink(fs, t10, "sample"), 0);
		CHECK_EQ(bpffs_fs_unlink(fs, t10, "sample"), -ENOENT);
		CHECK_EQ(lookup(fs, links, id), 0);
		CHECK_EQ(read_text(fs, lf, buf, sizeof(buf)), 0);	/* the old node still reads */
		runs = field(buf, "run_count: ");
		usleep(100 * 1000);
		CHECK_EQ(read_text(fs, lf, buf, sizeof(buf)), 0);
		CHECK_EQ(field(buf, "run_count: "), runs);
		CHECK(strstr(buf, "attached: no") != NULL);
		CHECK_EQ(bpffs_fs_rmdir(fs, timer, "10ms"), 0);
	}
	TEST("unlink in links/ detaches; the hook directory forgets the link") {
		if (!elf)
			SKIP("no program");
		CHECK_EQ(bpffs_fs_mkdir(fs, timer, "5ms", 0755, &e), 0);
		t10 = e.ino;
		CHECK_EQ(bpffs_fs_symlink(fs, t10, "sample", "progs/sample", &e), 0);
		CHECK_EQ(list(fs, links, names), 0);
		CHECK_EQ(sscanf(names, ". .. %15s", id), 1);
		CHECK_EQ(bpffs_fs_unlink(fs, links, id), 0);
		CHECK_EQ(bpffs_fs_unlink(fs, links, id), -ENOENT);
		CHECK_EQ(list(fs, t10, names), 0);
		CHECK(!strcmp(names, ". .. "));
		CHECK_EQ(bpffs_fs_rmdir(fs, timer, "5ms"), 0);
	}
	TEST("wrong program type is EINVAL, with the reason in hooks/.log") {
		CHECK_EQ(bpffs_fs_mkdir(fs, lookup(fs, hooks, "inotify"), "tmp", 0755, &e), 0);
		if (!elf)
			SKIP("no program");
		CHECK_EQ(bpffs_fs_symlink(fs, e.ino, "sample", "progs/sample", &e), -EINVAL);
		CHECK_EQ(read_text(fs, lookup(fs, hooks, ".log"), buf, sizeof(buf)), 0);
		CHECK(strstr(buf, "ln -s progs/sample hooks/inotify/tmp/sample: Invalid argument") ==
		      buf);
		CHECK(strstr(buf, "hooks/inotify does not run that type") != NULL);
		CHECK_EQ(bpffs_fs_rmdir(fs, lookup(fs, hooks, "inotify"), "tmp"), 0);
	}
	TEST("top-level hooks/ refuses new types; links/ refuses new files") {
		struct bpffs_file *f;

		CHECK_EQ(bpffs_fs_mkdir(fs, hooks, "kprobe", 0755, &e), -EPERM);
		CHECK_EQ(bpffs_fs_mkdir(fs, hooks, "timer", 0755, &e), -EEXIST);
		CHECK_EQ(bpffs_fs_create_file(fs, links, "7", 0644, O_WRONLY | O_CREAT, &e, &f),
			 -EPERM);
	}
	bpffs_hooks_shutdown();
	TEST("forgetting the lookups frees the hook and link nodes") {
		struct bpffs_node *n;
		u64 left = 0;

		for (u64 ino = 2; ino < fs->next_ino; ino++) {
			n = bpffs_node_get(fs, ino);
			if (!n)
				continue;
			pthread_mutex_lock(&fs->lock);
			left = n->nlookup;
			pthread_mutex_unlock(&fs->lock);
			bpffs_node_put(n);
			bpffs_node_forget(fs, ino, left);
		}
		CHECK_EQ(fs->nodes, base);
	}
	free(elf);
	bpffs_fs_destroy(fs);
	rmdir(objdir);
	return harness_done();
}
