// SPDX-License-Identifier: MIT
/*
 * State directory through the C API (src/core/state*.c): DIR/hooks follows
 * the hook registry while threads create, attach, detach and destroy hooks
 * concurrently with the flusher (the file must end equal to what is left),
 * odd target names survive the file's escaping, and a new registry with a
 * new state on the same DIR gets back the hook directories, the links in
 * their order, queue and stack values in order and prog-array slots by name.
 * Loads and unloads are on disk when they return, while threads load and
 * unload concurrently with a flusher running every millisecond. A
 * BPF_F_MMAPABLE array is file-backed (DIR/maps/NAME.GEN.mmap) and comes
 * back from its file; stray .mmap files are deleted; records of the first
 * format (BPFFSMP1) are still read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "core/core.h"
#include "core/registry.h"
#include "core/sha256.h"
#include "core/state.h"
#include "hooks/hooks.h"
#include "maps/maps.h"

static char dir[] = "/tmp/bpffs-state-XXXXXX";
static char watched[600];
static char esc[512];

static int load_example(struct bpffs_registry *reg, const char *obj)
{
	struct bpffs_load_opts opts = { .runtime = BPFFS_RUNTIME_JIT };
	const char *b = getenv("BUILD");
	char path[512];
	size_t size;
	long n;
	void *buf;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/examples/%s", b ? b : "build", obj);
	f = fopen(path, "rb");
	if (!f)
		return -ENOENT;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	size = buf ? fread(buf, 1, (size_t)n, f) : 0;
	fclose(f);
	err = size == (size_t)n ? bpffs_registry_load(reg, obj, buf, size, &opts, NULL, NULL)
				: -EIO;
	free(buf);
	return err;
}

static char *hooks_file(void)
{
	char path[700], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hooks", dir);
	f = fopen(path, "r");
	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static struct bpffs_state *state_up(struct bpffs_registry *reg, struct bpffs_state_stats *s)
{
	struct bpffs_state_opts o = { .dir = dir, .flush_ms = 5,
				      .load = { .runtime = BPFFS_RUNTIME_JIT } };
	struct bpffs_state *st = NULL;

	if (bpffs_state_open(reg, &o, s, &st) || bpffs_state_start(st))
		return NULL;
	return st;
}

/* Each thread owns one timer period: create, attach, detach, destroy, again and again. */
static struct bpffs_registry *reg;
static u64 churn_errs;

static void *churn(void *arg)
{
	char period[16];
	struct bpffs_prog *prog = bpffs_registry_get_prog(reg, "sample");
	struct bpffs_hook *hook;
	struct bpffs_link *link;

	snprintf(period, sizeof(period), "%dms", 20 + (int)(uintptr_t)arg);
	for (int i = 0; prog && i < 150; i++) {
		if (bpffs_hook_create("timer", period, NULL, &hook)) {
			__atomic_add_fetch(&churn_errs, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (bpffs_link_attach(hook, prog, NULL, &link) || bpffs_link_detach(link))
			__atomic_add_fetch(&churn_errs, 1, __ATOMIC_RELAXED);
		else
			bpffs_link_put(link);
		bpffs_hook_put(hook);
		if (bpffs_hook_destroy("timer", period, NULL))
			__atomic_add_fetch(&churn_errs, 1, __ATOMIC_RELAXED);
	}
	bpffs_prog_put(prog);
	return NULL;
}

static struct bpffs_link *find_link(const char *type, const char *target, const char *name)
{
	struct bpffs_hook *hook;
	struct bpffs_link *link = NULL;

	if (bpffs_hook_get(type, target, &hook))
		return NULL;
	bpffs_hook_find_link(hook, name, &link);
	bpffs_hook_put(hook);
	return link;
}

static struct bpffs_map *held_map(u32 type, u32 value_size, const char *name)
{
	struct bpffs_map_attr a = { .map_type = type, .value_size = value_size, .max_entries = 4,
				    .inner_map_idx = (u32)-1 };
	struct bpffs_map *m = NULL;

	snprintf(a.name, sizeof(a.name), "%s", name);
	if (bpffs_map_create(&a, NULL, &m))
		return NULL;
	if (bpffs_registry_add_map(reg, m)) {
		bpffs_map_put(m);
		return NULL;
	}
	return m;
}

/* One thread per object: load, check its files, unload, check they are gone. */
static const struct churn_obj {
	const char *file, *map;
} churn_objs[] = {
	{ "packet_counter.bpf.o", "pkt_count" }, { "event_log.bpf.o", "events" },
	{ "file_activity.bpf.o", "file_events" }, { "xdp_firewall.bpf.o", "blocked" },
};
static char dir2[] = "/tmp/bpffs-state2-XXXXXX";
static u64 obj_errs;

static bool in_dir2(const char *sub, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s/%s", dir2, sub, name);
	return access(path, F_OK) == 0;
}

static void *load_churn(void *arg)
{
	const struct churn_obj *o = &churn_objs[(uintptr_t)arg];
	char map_file[128];
	int i, rounds = 20;

	snprintf(map_file, sizeof(map_file), "%s.map", o->map);
	for (i = 0; i < rounds; i++) {
		if (load_example(reg, o->file) || !in_dir2("objects", o->file) ||
		    !in_dir2("maps", map_file)) {
			printf("# round %d: %s not on disk after its load\n", i, o->file);
			__atomic_add_fetch(&obj_errs, 1, __ATOMIC_RELAXED);
		}
		/* even threads end loaded */
		if (i == rounds - 1 && !((uintptr_t)arg & 1))
			break;
		if (bpffs_registry_unload(reg, o->file) || in_dir2("objects", o->file) ||
		    in_dir2("maps", map_file)) {
			printf("# round %d: %s still on disk after its unload\n", i, o->file);
			__atomic_add_fetch(&obj_errs, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static int state_dir2_test(void)
{
	struct bpffs_state_opts o = { .dir = dir2, .flush_ms = 1,
				      .load = { .runtime = BPFFS_RUNTIME_JIT } };
	struct bpffs_state *st = NULL;
	pthread_t th[BPFFS_ARRAY_SIZE(churn_objs)];
	char map_file[128];
	u32 i;

	if (!mkdtemp(dir2) || bpffs_registry_create(&reg))
		return -1;
	CHECK_EQ(bpffs_state_open(reg, &o, NULL, &st), 0);
	if (!st)
		return -1;
	CHECK_EQ(bpffs_state_start(st), 0);
	for (i = 0; i < BPFFS_ARRAY_SIZE(th); i++)
		pthread_create(&th[i], NULL, load_churn, (void *)(uintptr_t)i);
	for (i = 0; i < BPFFS_ARRAY_SIZE(th); i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(obj_errs, 0);
	/* what is on disk now is what the registry holds (no flusher pass needed) */
	for (i = 0; i < BPFFS_ARRAY_SIZE(churn_objs); i++) {
		snprintf(map_file, sizeof(map_file), "%s.map", churn_objs[i].map);
		CHECK_EQ(in_dir2("objects", churn_objs[i].file), !(i & 1));
		CHECK_EQ(in_dir2("maps", map_file), !(i & 1));
	}
	bpffs_state_close(st);
	bpffs_registry_destroy(reg);
	return 0;
}

/* The first record format (BPFFSMP1), as PR 9's state directories hold it. */
struct v1_hdr {
	char magic[8];
	u32 map_type, key_size, value_size, max_entries, map_flags, held, tag, value_bytes;
	u64 entry_cnt, map_extra;
	char name[64];
};

/* DIR/maps/old.map: a held hash map u32 -> u32 with 7 -> 70, in the first format. */
static int write_v1_record(const char *d)
{
	struct {
		struct v1_hdr h;
		u32 key, value;
		u8 sha[32];
	} __attribute__((packed)) f = {
		.h = { .magic = "BPFFSMP1", .map_type = BPF_MAP_TYPE_HASH, .key_size = 4,
		       .value_size = 4, .max_entries = 8, .held = 1, .value_bytes = 4,
		       .entry_cnt = 1, .name = "old" },
		.key = 7, .value = 70,
	};
	char path[700];
	FILE *out;

	bpffs_sha256(&f, offsetof(typeof(f), sha), f.sha);
	snprintf(path, sizeof(path), "%s/maps/old.map", d);
	out = fopen(path, "wb");
	if (!out)
		return -1;
	fwrite(&f, sizeof(f), 1, out);
	return fclose(out);
}

/* The names of DIR/maps/mm.*.mmap, concatenated ("" if none). */
static void mm_files(const char *d, char *out, size_t size)
{
	char cmd[800];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls '%s/maps' | grep '^mm\\..*\\.mmap$'", d);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static int state_mmap_test(const char *d)
{
	struct bpffs_state_opts o = { .dir = d, .flush_ms = 60000,
				      .load = { .runtime = BPFFS_RUNTIME_JIT } };
	struct bpffs_map_attr a = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				    .value_size = 8, .max_entries = 1000,
				    .map_flags = BPF_F_MMAPABLE, .inner_map_idx = (u32)-1,
				    .name = "mm" };
	struct bpffs_state_stats s;
	struct bpffs_state *st = NULL;
	struct bpffs_map *m = NULL;
	char first[256], now[256], stray[700];
	u32 key = 999, v32;
	u64 v = 0x1122334455667788ull;

	if (bpffs_registry_create(&reg))
		return -1;
	CHECK_EQ(bpffs_state_open(reg, &o, NULL, &st), 0);
	if (!st)
		return -1;
	CHECK_EQ(bpffs_map_create(&a, NULL, &m), 0);
	CHECK_EQ(m ? bpffs_registry_add_map(reg, m) : -1, 0);
	CHECK_EQ(m ? bpffs_map_update_elem(m, &key, &v, BPF_ANY) : -1, 0);
	bpffs_map_put(m);
	CHECK_EQ(bpffs_state_flush(st), 0);
	mm_files(d, first, sizeof(first));
	CHECK(first[0] != '\0');
	bpffs_state_close(st);
	bpffs_registry_destroy(reg);
	/* a file no record names, and a record of the first format */
	snprintf(stray, sizeof(stray), "%s/maps/mm.00000000000000ff.mmap", d);
	CHECK_EQ(close(open(stray, O_CREAT | O_WRONLY, 0600)), 0);
	CHECK_EQ(write_v1_record(d), 0);
	if (bpffs_registry_create(&reg))
		return -1;
	CHECK_EQ(bpffs_state_open(reg, &o, &s, &st), 0);
	if (!st)
		return -1;
	CHECK_EQ(s.maps, 2);
	CHECK_EQ(s.map_errors, 0);
	m = bpffs_registry_get_map(reg, "mm");
	v = 0;
	CHECK(m && !bpffs_map_lookup_elem(m, &key, &v) && v == 0x1122334455667788ull);
	bpffs_map_put(m);
	m = bpffs_registry_get_map(reg, "old");
	key = 7;
	CHECK(m && !bpffs_map_lookup_elem(m, &key, &v32) && v32 == 70);
	bpffs_map_put(m);
	CHECK(access(stray, F_OK) != 0);
	mm_files(d, now, sizeof(now));	/* one file, a new GEN: the old one is gone */
	CHECK(now[0] != '\0' && strcmp(now, first) && !strchr(now, ' ') &&
	      strchr(now, '\n') == now + strlen(now) - 1);
	bpffs_state_close(st);
	bpffs_registry_destroy(reg);
	return 0;
}

int main(void)
{
	struct bpffs_state_stats s;
	struct bpffs_state *st = NULL;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct bpffs_map *q = NULL, *stk = NULL, *jmp;
	struct bpffs_prog *prog;
	pthread_t th[4];
	char *text;
	u32 v, key = 9;
	u64 w;
	int i;

	TEST("setup: a state directory, sampler and tail_dispatch loaded, a watched dir with a space") {
		CHECK(mkdtemp(dir) != NULL);
		CHECK_EQ(bpffs_registry_create(&reg), 0);
		st = state_up(reg, &s);
		CHECK(st != NULL);
		CHECK_EQ(load_example(reg, "sampler.bpf.o"), 0);
		CHECK_EQ(load_example(reg, "tail_dispatch.bpf.o"), 0);
		snprintf(watched, sizeof(watched), "%s/a dir %%", dir);
		CHECK_EQ(mkdir(watched, 0700), 0);
		CHECK(bpffs_path_escape(watched, esc, sizeof(esc)) > 0);
	}
	if (!st)
		return harness_done();

	TEST("hooks/ changes are in DIR/hooks when the call returns") {
		CHECK_EQ(bpffs_hook_create("timer", "9ms", NULL, &hook), 0);
		CHECK_EQ(bpffs_hook_create("inotify", esc, NULL, NULL), 0);
		prog = bpffs_registry_get_prog(reg, "sample");
		CHECK(prog && hook);
		if (prog && hook)
			CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		text = hooks_file();
		CHECK(strstr(text, "\nhook timer 9ms\n") != NULL);
		CHECK(strstr(text, "\nlink timer 9ms sample\n") != NULL);
		CHECK(strstr(text, esc + 1) != NULL);	/* "tmp-bpffs...-a\\x20dir\\x20\\x25" as is */
		free(text);
		bpffs_prog_put(prog);
	}

	TEST("four threads churning hooks and links against the flusher: the file ends exact") {
		for (i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)i);
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		CHECK_EQ(churn_errs, 0);
		usleep(20000);	/* a few flusher passes */
		text = hooks_file();
		for (i = 0, v = 0; text[i]; i++)
			v += text[i] == '\n';
		CHECK_EQ(v, 5);	/* magic, 2 hooks, 1 link, digest: no churned timer left */
		CHECK(strstr(text, "\nlink timer 9ms sample\nsha256 ") != NULL);
		free(text);
	}

	TEST("queue, stack and prog-array slot contents are saved") {
		q = held_map(BPF_MAP_TYPE_QUEUE, 4, "q");
		stk = held_map(BPF_MAP_TYPE_STACK, 8, "stk");
		CHECK(q && stk);
		for (v = 1; q && stk && v <= 3; v++) {
			w = v * 100;
			CHECK_EQ(bpffs_map_push_elem(q, &v, BPF_ANY), 0);
			CHECK_EQ(bpffs_map_push_elem(stk, &w, BPF_ANY), 0);
		}
		CHECK_EQ(bpffs_map_pop_elem(q, &v), 0);	/* 2 3 left */
		jmp = bpffs_registry_get_map(reg, "jmp_table");
		prog = bpffs_registry_get_prog(reg, "handle_udp");
		CHECK(jmp && prog);
		if (jmp && prog)
			CHECK_EQ(bpffs_prog_array_update(jmp, key, prog), 0);
		bpffs_prog_put(prog);
		bpffs_map_put(jmp);
		bpffs_map_put(q);
		bpffs_map_put(stk);
	}

	TEST("a clean close stops the links and keeps the file") {
		if (link)
			bpffs_link_put(link);
		bpffs_hook_put(hook);
		bpffs_state_close(st);
		CHECK(find_link("timer", "9ms", "sample") == NULL);	/* shut down */
		text = hooks_file();
		CHECK(strstr(text, "\nlink timer 9ms sample\n") != NULL);
		if (!strstr(text, "\nlink timer 9ms sample\n"))
			printf("# DIR/hooks:\n%s", text);
		free(text);
		bpffs_registry_destroy(reg);
	}

	TEST("a new registry and state on the same DIR get everything back") {
		CHECK_EQ(bpffs_registry_create(&reg), 0);
		st = state_up(reg, &s);
		CHECK(st != NULL);
		CHECK_EQ(s.objs, 2);
		link = find_link("timer", "9ms", "sample");
		CHECK(link != NULL);
		if (link)
			bpffs_link_put(link);
		CHECK(bpffs_hook_get("inotify", esc, &hook) == 0);
		bpffs_hook_put(hook);
		q = bpffs_registry_get_map(reg, "q");
		stk = bpffs_registry_get_map(reg, "stk");
		CHECK(q && stk);
		if (q && stk) {
			CHECK(!bpffs_map_pop_elem(q, &v) && v == 2);
			CHECK(!bpffs_map_pop_elem(q, &v) && v == 3);
			CHECK(!bpffs_map_pop_elem(stk, &w) && w == 300);
			CHECK(!bpffs_map_pop_elem(stk, &w) && w == 200);
			CHECK(!bpffs_map_pop_elem(stk, &w) && w == 100);
		}
		bpffs_map_put(q);
		bpffs_map_put(stk);
		jmp = bpffs_registry_get_map(reg, "jmp_table");
		bpffs_rcu_read_lock();
		prog = jmp ? bpffs_prog_array_get(jmp, key) : NULL;
		CHECK(prog && !strcmp(prog->name, "handle_udp"));
		bpffs_rcu_read_unlock();
		bpffs_map_put(jmp);
		bpffs_state_close(st);
		bpffs_registry_destroy(reg);
	}

	TEST("loads and unloads from four threads are on disk when they return") {
		CHECK_EQ(state_dir2_test(), 0);
	}

	TEST("a BPF_F_MMAPABLE array comes back from its file; strays go; old records are read") {
		char d3[] = "/tmp/bpffs-state3-XXXXXX", cmd[100];

		CHECK(mkdtemp(d3) != NULL);
		CHECK_EQ(state_mmap_test(d3), 0);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d3);
		if (system(cmd))
			printf("# could not remove %s\n", d3);
	}

	{
		char cmd[700];

		if (dir2[strlen(dir2) - 1] != 'X') {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir2);
			if (system(cmd))
				printf("# could not remove %s\n", dir2);
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	return harness_done();
}
