// SPDX-License-Identifier: MIT
/*
 * The example programs (examples/NAME.bpf.c, compiled here with clang against
 * include/bpffs/hooks.h and the uapi headers) loaded through the ELF loader
 * and attached to real hooks: their maps must count exactly what happened.
 * This checks that the contexts the hooks build are the layouts clang
 * compiled against. Skips without clang; the packet parts without root.
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "harness.h"
#include "test_hooks_util.h"
#include "core/object.h"
#include "hooks/hooks.h"
#include "maps/maps.h"

static char objdir[] = "/tmp/bpffs-elf-XXXXXX";

/* Compile examples/NAME.bpf.c and load program @prog from it. */
static struct bpffs_prog *load_example(const char *name, const char *prog_name)
{
	char cmd[1024], path[256];
	struct bpffs_prog *prog = NULL;
	struct bpffs_vlog log;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", objdir, name);
	snprintf(cmd, sizeof(cmd), "clang -O2 -g -target bpf -Iinclude "
		 "-I/usr/include/$(gcc -dumpmachine) -c examples/%s.bpf.c -o %s 2>/dev/null",
		 name, path);
	if (system(cmd))
		return NULL;
	bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096);
	if (bpffs_object_load_simple(path, prog_name, NULL, &log, &prog) ||
	    bpffs_prog_prepare(prog, &log)) {
		printf("# %s: %s\n", name, bpffs_vlog_text(&log));
		bpffs_prog_put(prog);
		prog = NULL;
	}
	bpffs_vlog_free(&log);
	return prog;
}

static struct bpffs_map *prog_map(struct bpffs_prog *prog, const char *name)
{
	for (u32 i = 0; prog && i < prog->map_cnt; i++)
		if (prog->maps[i] && !strcmp(prog->maps[i]->name, name))
			return prog->maps[i];
	return NULL;
}

static u64 map_u64(struct bpffs_map *map, u32 key)
{
	u64 v = 0;

	if (map)
		bpffs_map_lookup_elem(map, &key, &v);
	return v;
}

static void test_sampler(void)
{
	struct bpffs_prog *prog = load_example("sampler", "sample");
	struct bpffs_map *m = prog_map(prog, "samples");
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	u64 t0, t1;

	TEST("examples/sampler (SEC timer) counts runs and expirations at 5ms") {
		if (!prog) {
			SKIP("cannot build or load examples/sampler.bpf.c");
			return;
		}
		CHECK(m != NULL);
		CHECK_EQ(bpffs_hook_create("timer", "5ms", NULL, &hook), 0);
		t0 = mono_ns();
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		sleep_ms(300);
		CHECK_EQ(bpffs_link_detach(link), 0);
		t1 = mono_ns();
		CHECK(map_u64(m, 1) >= 40 && map_u64(m, 1) <= (t1 - t0) / 5000000 + 1);
		CHECK(map_u64(m, 0) >= 1 && map_u64(m, 0) <= map_u64(m, 1));
		CHECK_EQ(map_u64(m, 0), link->stats.run_cnt);
		CHECK(map_u64(m, 2) > t0 && map_u64(m, 2) <= t1);	/* ctx->now_ns */
		bpffs_link_put(link);
		CHECK_EQ(bpffs_hook_destroy("timer", "5ms", NULL), 0);
		bpffs_hook_put(hook);
	}
	bpffs_prog_put(prog);
}

static void test_file_activity(void)
{
	struct bpffs_prog *prog = load_example("file_activity", "file_activity");
	struct bpffs_map *m = prog_map(prog, "file_events");
	char dir[] = "/tmp/bpffs-hooks-XXXXXX", name[256], path[300];
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	u64 end;
	int fd;

	TEST("examples/file_activity (SEC inotify) counts exact creates, modifies, deletes") {
		if (!prog) {
			SKIP("cannot build or load examples/file_activity.bpf.c");
			return;
		}
		CHECK(mkdtemp(dir) && bpffs_path_escape(dir, name, sizeof(name)) > 0);
		CHECK_EQ(bpffs_hook_create("inotify", name, NULL, &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		for (int i = 0; i < 6; i++) {
			snprintf(path, sizeof(path), "%s/file%d", dir, i);
			fd = open(path, O_CREAT | O_WRONLY, 0600);
			if (fd >= 0 && write(fd, "abc", 3) == 3)
				close(fd);
		}
		for (int i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/file%d", dir, i);
			unlink(path);
		}
		end = mono_ns() + 3000000000ull;
		while (map_u64(m, 2) < 4 && mono_ns() < end)
			sleep_ms(5);
		sleep_ms(50);
		CHECK_EQ(map_u64(m, 0), 6);
		CHECK_EQ(map_u64(m, 1), 6);
		CHECK_EQ(map_u64(m, 2), 4);
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
		CHECK_EQ(bpffs_hook_destroy("inotify", name, NULL), 0);
		bpffs_hook_put(hook);
		for (int i = 4; i < 6; i++) {
			snprintf(path, sizeof(path), "%s/file%d", dir, i);
			unlink(path);
		}
		rmdir(dir);
	}
	bpffs_prog_put(prog);
}

/* An IPv4 frame (protocol @proto, source 10.0.0.@src) padded to 64 bytes. */
static void ipv4_frame(u8 *f, u8 proto, u8 src)
{
	memset(f, 0, 64);
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 50;			/* total length */
	f[22] = 64;			/* ttl */
	f[23] = proto;
	memcpy(f + 26, (u8[]){ 10, 0, 0, src }, 4);
	memcpy(f + 30, (u8[]){ 10, 0, 0, 99 }, 4);
}

struct proto_stats {
	u64 packets, bytes;
};

static void test_packet_counter(void)
{
	struct bpffs_prog *prog = load_example("packet_counter", "count_packets");
	struct bpffs_map *m = prog_map(prog, "pkt_count");
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct proto_stats st = { 0, 0 };
	u32 key = 253;
	u8 frame[64];
	u64 end;

	TEST("examples/packet_counter (SEC socket) counts IPv4 frames by protocol on a veth") {
		if (!prog) {
			SKIP("cannot build or load examples/packet_counter.bpf.c");
			return;
		}
		if (netns_enter()) {
			SKIP("needs root and network namespaces");
			netns_leave();
			bpffs_prog_put(prog);
			return;
		}
		CHECK_EQ(bpffs_hook_get("socket", "bpffsa", &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		sleep_ms(20);
		ipv4_frame(frame, 253, 1);
		CHECK_EQ(send_raw("bpffsb", 300, frame, 64), 300);
		end = mono_ns() + 3000000000ull;
		do {
			sleep_ms(10);
			bpffs_map_lookup_elem(m, &key, &st);
		} while (st.packets < 300 && mono_ns() < end);
		sleep_ms(20);
		bpffs_map_lookup_elem(m, &key, &st);
		CHECK_EQ(st.packets, 300);
		CHECK_EQ(st.bytes, 300 * 64);
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
	}
	bpffs_prog_put(prog);
	prog = load_example("xdp_firewall", "xdp_firewall");
	m = prog_map(prog, "blocked");
	TEST("examples/xdp_firewall (SEC xdp) drops blocked sources, passes the others") {
		struct { u32 prefixlen, addr; } k = { 32, htonl(0x0a000001) };
		u32 one = 1;
		char buf[1024];

		CHECK(prog && m);
		if (!prog || !m)
			goto out;
		CHECK_EQ(bpffs_map_update_elem(m, &k, &one, BPF_ANY), 0);
		CHECK_EQ(bpffs_link_attach(hook, prog, NULL, &link), 0);
		sleep_ms(20);
		ipv4_frame(frame, 17, 1);
		CHECK_EQ(send_raw("bpffsb", 70, frame, 64), 70);
		ipv4_frame(frame, 17, 2);
		CHECK_EQ(send_raw("bpffsb", 30, frame, 64), 30);
		end = mono_ns() + 3000000000ull;
		while (map_u64(prog_map(prog, "verdicts"), XDP_DROP) < 70 && mono_ns() < end)
			sleep_ms(10);
		sleep_ms(20);
		CHECK_EQ(map_u64(prog_map(prog, "verdicts"), XDP_DROP), 70);
		CHECK(map_u64(prog_map(prog, "verdicts"), XDP_PASS) >= 30);
		bpffs_link_show(link, buf, sizeof(buf));
		CHECK_STR_CONTAINS(buf, "xdp_drop: 70\n");
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_link_put(link);
	}
out:
	bpffs_hook_put(hook);
	bpffs_prog_put(prog);
	netns_leave();
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(objdir))
		return 1;
	test_sampler();
	test_file_activity();
	test_packet_counter();
	bpffs_hooks_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", objdir);
	if (system(cmd))
		printf("# could not remove %s\n", objdir);
	return harness_done();
}
