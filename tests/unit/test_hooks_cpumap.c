// SPDX-License-Identifier: MIT
/*
 * CPUMAP: entries are workers with bounded queues (src/maps/cpumap.c), fed by
 * the socket hook's XDP_REDIRECT. Map semantics as the kernel's (qsize limit,
 * qsize 0 deletes, array-like keys), the queue (a full queue drops exactly
 * what does not fit and counts it, frames queued before a replace or a map
 * free are still handed over), and the whole path on a veth pair in a
 * network namespace: frames redirected to the map are counted as passed by
 * the worker on the link, and every queued frame's link reference returns.
 */
#include <pthread.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <linux/bpf.h>

#include "harness.h"
#include "test_hooks_util.h"
#include "hooks/hooks.h"
#include "maps/maps.h"
#include "maps/cpumap.h"

#define TEST_ETHERTYPE 0x88b5

static struct bpffs_map *cpumap(u32 value_size, u32 max_entries)
{
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_CPUMAP, .key_size = 4,
				       .value_size = value_size, .max_entries = max_entries,
				       .name = "cpus" };
	struct bpffs_map *m = NULL;

	return bpffs_map_create(&attr, NULL, &m) ? NULL : m;
}

static int set_qsize(struct bpffs_map *m, u32 key, u32 qsize)
{
	return bpffs_map_update_elem(m, &key, &qsize, BPF_ANY);
}

static void test_map(void)
{
	struct bpffs_map *m = cpumap(4, 4), *m8 = cpumap(8, 2);
	struct bpffs_map_attr attr = { .map_type = BPF_MAP_TYPE_CPUMAP, .key_size = 4,
				       .value_size = 4, .max_entries = bpffs_nr_cpus() + 1,
				       .name = "big" };
	struct bpffs_map *bad = NULL;
	struct bpffs_cpumap_stats st;
	u32 key = 1, v = 0;

	TEST("cpumap: sizes are checked; one entry per CPU slot at most") {
		CHECK(m && m8);
		CHECK_EQ(bpffs_map_create(&attr, NULL, &bad), -E2BIG);
		attr.max_entries = 2;
		attr.value_size = 12;
		CHECK_EQ(bpffs_map_create(&attr, NULL, &bad), -EINVAL);
	}
	if (!m || !m8)
		return;
	TEST("cpumap: the kernel's update rules (qsize limit, NOEXIST, key range)") {
		CHECK_EQ(set_qsize(m, 1, BPFFS_CPUMAP_QSIZE_MAX + 1), -EOVERFLOW);
		CHECK_EQ(set_qsize(m, 4, 8), -E2BIG);
		v = 8;
		CHECK_EQ(bpffs_map_update_elem(m, &key, &v, BPF_NOEXIST), -EEXIST);
		CHECK_EQ(bpffs_map_lookup_elem(m, &key, &v), -ENOENT);
		CHECK_EQ(set_qsize(m, 1, 8), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &key, &v), 0);
		CHECK_EQ(v, 8);
		CHECK_EQ(bpffs_cpumap_stats(m, 1, &st), 0);
		CHECK_EQ(st.qsize, 8);
		CHECK_EQ(st.queued, 0);
	}
	TEST("cpumap: qsize 0 deletes the entry, as in the kernel; delete of nothing is ENOENT") {
		CHECK_EQ(set_qsize(m, 1, 0), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &key, &v), -ENOENT);
		CHECK_EQ(bpffs_cpumap_stats(m, 1, &st), -ENOENT);
		CHECK_EQ(bpffs_map_delete_elem(m, &key), -ENOENT);
		CHECK_EQ(set_qsize(m, 1, 16), 0);
		CHECK_EQ(bpffs_map_delete_elem(m, &key), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m, &key, &v), -ENOENT);
	}
	TEST("cpumap: struct bpf_cpumap_val values; an entry program is EOPNOTSUPP") {
		struct bpf_cpumap_val cv = { .qsize = 32 }, out = { 0 };

		key = 0;
		cv.bpf_prog.fd = 5;
		CHECK_EQ(bpffs_map_update_elem(m8, &key, &cv, BPF_ANY), -EOPNOTSUPP);
		cv.bpf_prog.fd = 0;
		CHECK_EQ(bpffs_map_update_elem(m8, &key, &cv, BPF_ANY), 0);
		CHECK_EQ(bpffs_map_lookup_elem(m8, &key, &out), 0);
		CHECK_EQ(out.qsize, 32);
		CHECK_EQ(out.bpf_prog.id, 0);
	}
	bpffs_map_put(m);
	bpffs_map_put(m8);
}

/* A done callback that counts, and can hold the worker inside it. */
struct owner {
	_Atomic u64 frames;
	_Atomic u32 calls;
	atomic_bool hold;		/* block inside the callback while set */
	atomic_bool inside;
};

static void owner_done(void *arg, u32 frames)
{
	struct owner *o = arg;

	atomic_store(&o->inside, true);
	while (atomic_load(&o->hold))
		sleep_ms(1);
	atomic_store(&o->inside, false);
	atomic_fetch_add(&o->frames, frames);
	atomic_fetch_add(&o->calls, 1);
}

static int enqueue_n(struct bpffs_map *m, u32 key, int n, u32 len, struct owner *o)
{
	static u8 frame[4096];
	int ok = 0;

	bpffs_rcu_read_lock();
	for (int i = 0; i < n; i++)
		ok += bpffs_cpumap_enqueue(m, key, frame, len, owner_done, o) == 0;
	bpffs_cpumap_flush();
	bpffs_rcu_read_unlock();
	return ok;
}

static bool wait_frames(struct owner *o, u64 want, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;

	while (atomic_load(&o->frames) < want && mono_ns() < end)
		sleep_ms(1);
	return atomic_load(&o->frames) == want;
}

static bool wait_inside(struct owner *o, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;

	while (!atomic_load(&o->inside) && mono_ns() < end)
		sleep_ms(1);
	return atomic_load(&o->inside);
}

#define PRODUCER_FRAMES 20000

struct producer {
	struct bpffs_map *m;
	struct owner *o;
	int ok;
};

/* Frames in bursts of 16 with a flush after each, like a socket worker's blocks. */
static void *producer_fn(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < PRODUCER_FRAMES; i += 16)
		p->ok += enqueue_n(p->m, 1, 16, 60, p->o);
	return NULL;
}

static void test_queue(void)
{
	struct bpffs_map *m = cpumap(4, 2);
	struct owner o = { 0 };
	struct bpffs_cpumap_stats st;

	if (!m)
		return;
	TEST("cpumap: queued frames reach the worker, grouped per owner; long frames too") {
		CHECK_EQ(set_qsize(m, 1, 64), 0);
		CHECK_EQ(enqueue_n(m, 1, 40, 60, &o), 40);
		CHECK_EQ(enqueue_n(m, 1, 3, 3000, &o), 3);	/* above the 2 KiB slot */
		CHECK(wait_frames(&o, 43, 3000));
		CHECK(atomic_load(&o.calls) <= 43);
		CHECK_EQ(bpffs_cpumap_stats(m, 1, &st), 0);
		CHECK_EQ(st.queued, 43);
		CHECK_EQ(st.passed, 43);
		CHECK_EQ(st.drops, 0);
	}
	TEST("cpumap: a full queue drops exactly what does not fit, and counts it") {
		CHECK_EQ(set_qsize(m, 0, 4), 0);
		atomic_store(&o.frames, 0);
		atomic_store(&o.hold, true);
		CHECK_EQ(enqueue_n(m, 0, 1, 60, &o), 1);
		CHECK(wait_inside(&o, 3000));		/* the worker is busy with frame 1 */
		CHECK_EQ(enqueue_n(m, 0, 10, 60, &o), 4);
		CHECK_EQ(bpffs_cpumap_stats(m, 0, &st), 0);
		CHECK_EQ(st.queued, 5);
		CHECK_EQ(st.drops, 6);
		atomic_store(&o.hold, false);
		CHECK(wait_frames(&o, 5, 3000));
		CHECK_EQ(bpffs_cpumap_stats(m, 0, &st), 0);
		CHECK_EQ(st.passed, 5);
	}
	TEST("cpumap: frames queued before the entry is replaced are still handed over") {
		atomic_store(&o.frames, 0);
		atomic_store(&o.hold, true);
		CHECK_EQ(enqueue_n(m, 0, 1, 60, &o), 1);
		CHECK(wait_inside(&o, 3000));
		CHECK_EQ(enqueue_n(m, 0, 3, 60, &o), 3);
		CHECK_EQ(set_qsize(m, 0, 8), 0);		/* a new worker */
		CHECK_EQ(enqueue_n(m, 0, 2, 60, &o), 2);
		CHECK_EQ(bpffs_cpumap_stats(m, 0, &st), 0);
		CHECK_EQ(st.queued, 2);			/* the new entry's own counters */
		atomic_store(&o.hold, false);
		bpffs_rcu_barrier();			/* the old worker drained and stopped */
		CHECK(wait_frames(&o, 6, 3000));
	}
	TEST("cpumap: two producers at once: every frame is either handed over or counted dropped") {
		struct producer pr[2] = { { .m = m, .o = &o }, { .m = m, .o = &o } };
		pthread_t th[2];

		CHECK_EQ(set_qsize(m, 1, 64), 0);
		atomic_store(&o.frames, 0);
		for (int i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, producer_fn, &pr[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		CHECK(wait_frames(&o, (u64)(pr[0].ok + pr[1].ok), 5000));
		CHECK_EQ(bpffs_cpumap_stats(m, 1, &st), 0);
		CHECK_EQ(st.queued, (u64)(pr[0].ok + pr[1].ok));
		CHECK_EQ(st.queued + st.drops, 2 * PRODUCER_FRAMES);
		CHECK_EQ(st.passed, st.queued);
	}
	TEST("cpumap: freeing the map hands over the frames still queued") {
		atomic_store(&o.frames, 0);
		atomic_store(&o.hold, true);
		CHECK_EQ(enqueue_n(m, 1, 1, 60, &o), 1);
		CHECK(wait_inside(&o, 3000));
		CHECK_EQ(enqueue_n(m, 1, 20, 60, &o), 20);
		bpffs_map_put(m);
		m = NULL;
		atomic_store(&o.hold, false);
		bpffs_rcu_barrier();
		CHECK_EQ(atomic_load(&o.frames), 21);
	}
	TEST("cpumap: enqueue to a missing entry or another map type is ENOENT") {
		struct bpffs_map *m2 = cpumap(4, 2);
		struct bpffs_map_attr aa = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
					     .value_size = 4, .max_entries = 2, .name = "arr" };
		struct bpffs_map *arr = NULL;

		CHECK(m2);
		CHECK_EQ(bpffs_map_create(&aa, NULL, &arr), 0);
		if (m2 && arr) {
			bpffs_rcu_read_lock();
			CHECK_EQ(bpffs_cpumap_enqueue(m2, 0, "x", 1, owner_done, &o), -ENOENT);
			CHECK_EQ(bpffs_cpumap_enqueue(m2, 9, "x", 1, owner_done, &o), -ENOENT);
			CHECK_EQ(bpffs_cpumap_enqueue(arr, 0, "x", 1, owner_done, &o), -ENOENT);
			bpffs_cpumap_flush();
			bpffs_rcu_read_unlock();
		}
		bpffs_map_put(m2);
		bpffs_map_put(arr);
	}
	if (m)
		bpffs_map_put(m);
}

/* XDP: frames of TEST_ETHERTYPE -> bpf_redirect_map(cpumap, 0, 0); the rest pass. */
static struct bpffs_prog *redirect_cpu_prog(struct bpffs_map *m)
{
	const struct bpf_insn insns[] = {
		BPFFS_LDX_MEM(BPF_W, 2, 1, offsetof(struct xdp_md, data)),
		BPFFS_LDX_MEM(BPF_W, 3, 1, offsetof(struct xdp_md, data_end)),
		BPFFS_MOV64_REG(4, 2),
		BPFFS_ALU64_IMM(BPF_ADD, 4, 14),
		BPFFS_JMP_REG(BPF_JGT, 4, 3, 8),
		BPFFS_LDX_MEM(BPF_H, 5, 2, 12),
		BPFFS_JMP_IMM(BPF_JNE, 5, htons(TEST_ETHERTYPE), 6),
		BPFFS_LD_IMM64(1, (u64)(uintptr_t)m),
		BPFFS_MOV64_IMM(2, 0),
		BPFFS_MOV64_IMM(3, 0),
		BPFFS_CALL_HELPER(BPF_FUNC_redirect_map),
		BPFFS_EXIT(),
		BPFFS_MOV64_IMM(0, XDP_PASS),
		BPFFS_EXIT(),
	};

	return make_prog("xdp_cpu", BPF_PROG_TYPE_XDP, insns, BPFFS_ARRAY_SIZE(insns));
}

static int send_test_frames(int n)
{
	u8 frame[64];

	memset(frame, 0xab, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = TEST_ETHERTYPE >> 8;
	frame[13] = TEST_ETHERTYPE & 0xff;
	return send_raw("bpffsb", n, frame, sizeof(frame));
}

/* The link's "key: value" counter @key, or ~0. */
static u64 link_counter(struct bpffs_link *l, const char *key)
{
	char buf[2048], pat[64];
	const char *p;

	bpffs_link_show(l, buf, sizeof(buf));
	snprintf(pat, sizeof(pat), "\n%s: ", key);
	p = strstr(buf, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : ~0ull;
}

static bool wait_counter(struct bpffs_link *l, const char *key, u64 want, u32 ms)
{
	u64 end = mono_ns() + (u64)ms * 1000000;

	while (link_counter(l, key) < want && mono_ns() < end)
		sleep_ms(5);
	return link_counter(l, key) == want;
}

static void test_socket(void)
{
	struct bpffs_map *m = cpumap(4, 2);
	struct bpffs_prog *p = m ? redirect_cpu_prog(m) : NULL;
	struct bpffs_hook *hook = NULL;
	struct bpffs_link *link = NULL;
	struct bpffs_cpumap_stats st;

	TEST("cpumap: XDP_REDIRECT hands the frames to the entry's worker; its pass is counted") {
		if (netns_enter()) {
			SKIP("needs root and network namespaces");
			netns_leave();
			goto out;
		}
		CHECK(p != NULL);
		CHECK_EQ(set_qsize(m, 0, 256), 0);
		CHECK_EQ(bpffs_hook_get("socket", "bpffsa", &hook), 0);
		CHECK_EQ(bpffs_link_attach(hook, p, NULL, &link), 0);
		sleep_ms(20);
		CHECK_EQ(send_test_frames(200), 200);
		CHECK(wait_counter(link, "cpumap_pass", 200, 3000));
		CHECK_EQ(link_counter(link, "xdp_redirect"), 200);
		CHECK_EQ(link_counter(link, "cpumap_drops"), 0);
		CHECK_EQ(link_counter(link, "xdp_errors"), 0);
		CHECK_EQ(bpffs_cpumap_stats(m, 0, &st), 0);
		CHECK_EQ(st.passed, 200);
	}
	if (!link)
		goto leave;
	TEST("cpumap: with the entry deleted, bpf_redirect_map returns its flags (XDP_ABORTED)") {
		u32 key = 0;

		CHECK_EQ(bpffs_map_delete_elem(m, &key), 0);
		CHECK_EQ(send_test_frames(50), 50);
		CHECK(wait_counter(link, "xdp_aborted", 50, 3000));
		CHECK_EQ(link_counter(link, "cpumap_pass"), 200);
	}
	TEST("cpumap: a 1-frame queue under a burst: every redirected frame is passed or dropped") {
		u64 r0 = link_counter(link, "xdp_redirect"), pass, drops;

		CHECK_EQ(set_qsize(m, 0, 1), 0);
		CHECK_EQ(send_test_frames(300), 300);
		CHECK(wait_counter(link, "xdp_redirect", r0 + 300, 3000));
		bpffs_rcu_barrier();
		sleep_ms(50);
		pass = link_counter(link, "cpumap_pass") - 200;
		drops = link_counter(link, "cpumap_drops");
		CHECK_EQ(pass + drops, 300);
		CHECK(pass > 0);
	}
	TEST("cpumap: after detach every queued frame has returned its link reference") {
		CHECK_EQ(bpffs_link_detach(link), 0);
		bpffs_rcu_barrier();
		sleep_ms(50);
		CHECK_EQ(__atomic_load_n(&link->refcnt, __ATOMIC_ACQUIRE), 1);	/* ours */
	}
	bpffs_link_put(link);
leave:
	bpffs_hook_put(hook);
	netns_leave();
out:
	bpffs_prog_put(p);
	if (m)
		bpffs_map_put(m);
}

int main(void)
{
	test_map();
	test_queue();
	test_socket();
	bpffs_hooks_shutdown();
	bpffs_rcu_barrier();
	return harness_done();
}
