// SPDX-License-Identifier: MIT
/*
 * Map lookups from a BPF program: the same bytecode (random key from
 * bpf_get_prandom_u32, one bpf_map_lookup_elem) run by our interpreter, our
 * JIT and, when root may load BPF here, the kernel (BPF_PROG_TEST_RUN with a
 * repeat count). Each figure is ns per run of the lookup program minus ns per
 * run of the same program without the lookup, i.e. the cost of one lookup
 * from a program; the last column is ours (JIT, else interpreter) divided by
 * the kernel's. HASH, ARRAY, LRU_HASH, LPM_TRIE at 1K (1024) and 1M entries.
 *
 *   bench/maps_prog_bench [scale]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "core/core.h"
#include "maps/maps.h"

static double scale = 1.0;

/* CPU time of this thread: the machine is shared, wall time would count waiting. */
static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/*
 * r0 = prandom & mask; key at r10-8 (hash/array: u32 at -4; lpm: plen 32 at
 * -8 and the byte-swapped multiplicative hash of r0 at -4, as maps_bench).
 * With @lookup, call map_lookup_elem(map, key). Returns the insn count.
 */
static u32 build(struct bpf_insn *p, u32 mask, bool lpm, bool lookup)
{
	u32 n = 0;

	p[n++] = BPFFS_CALL_HELPER(BPF_FUNC_get_prandom_u32);
	p[n++] = BPFFS_ALU32_IMM(BPF_AND, 0, (s32)mask);
	if (lpm) {
		p[n++] = BPFFS_ALU32_IMM(BPF_MUL, 0, (s32)2654435761u);
		p[n++] = BPFFS_INSN(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 32);
		p[n++] = BPFFS_ST_MEM(BPF_W, 10, -8, 32);
	}
	p[n++] = BPFFS_STX_MEM(BPF_W, 10, 0, -4);
	if (lookup) {
		p[n++] = BPFFS_MOV64_REG(2, 10);
		p[n++] = BPFFS_ALU64_IMM(BPF_ADD, 2, lpm ? -8 : -4);
		p[n++] = BPFFS_INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 0);
		p[n++] = BPFFS_INSN(0, 0, 0, 0, 0);
		p[n++] = BPFFS_CALL_HELPER(BPF_FUNC_map_lookup_elem);
		/* read the value, as real programs do (and so the miss is paid) */
		p[n++] = BPFFS_JMP_IMM(BPF_JEQ, 0, 0, 1);
		p[n++] = BPFFS_LDX_MEM(BPF_DW, 0, 0, 0);
	}
	p[n++] = BPFFS_MOV64_IMM(0, 0);
	p[n++] = BPFFS_EXIT();
	return n;
}

static void fill_key(u32 i, bool lpm, void *key)
{
	if (lpm) {
		u32 k[2] = { 32, __builtin_bswap32(i * 2654435761u) };

		memcpy(key, k, 8);
	} else {
		memcpy(key, &i, 4);
	}
}

/* ---- ours ---------------------------------------------------------------- */

static double ours_run(struct bpffs_map *map, const struct bpf_insn *insns, u32 cnt,
		       enum bpffs_runtime rt, bool *jited)
{
	struct bpffs_prog *p = NULL;
	u32 n = (u32)(2000000 * scale);
	u64 t0 = 0;

	if (bpffs_prog_alloc("bench", BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, &p))
		return -1;
	p->maps = calloc(1, sizeof(*p->maps));
	p->maps[0] = map;
	p->map_cnt = 1;
	bpffs_map_get(map);
	p->runtime = rt;
	if (bpffs_prog_prepare(p, NULL)) {
		bpffs_prog_put(p);
		return -1;
	}
	if (jited)
		*jited = p->jited != NULL;
	for (u32 i = 0; i < n / 10; i++)
		bpffs_prog_run(p, 0, 0, NULL);
	for (int trial = 0; trial < 3; trial++) {	/* best of 3 */
		u64 t = now_ns();

		for (u32 i = 0; i < n; i++)
			bpffs_prog_run(p, 0, 0, NULL);
		t = now_ns() - t;
		if (!trial || t < t0)
			t0 = t;
	}
	bpffs_prog_put(p);
	return (double)t0 / n;
}

/* ---- kernel --------------------------------------------------------------- */

static int kernel_map(u32 type, u32 ks, u32 entries, u32 flags, bool lpm)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, "mbench", ks, 8, entries, &o);
	u64 v = 1;
	u8 key[8];

	if (fd < 0)
		return -1;
	for (u32 i = 0; i < entries; i++) {
		fill_key(i, lpm, key);
		bpf_map_update_elem(fd, key, &v, BPF_ANY);
	}
	return fd;
}

static double kernel_run(int map_fd, struct bpf_insn *insns, u32 cnt)
{
	u8 pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = (u32)(2000000 * scale));
	int fd, err;

	for (u32 i = 0; i + 1 < cnt; i++)
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && insns[i].src_reg)
			insns[i].imm = map_fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "mbench", "GPL", insns, cnt, NULL);
	if (fd < 0)
		return -1;
	double best = -1;

	for (int trial = 0; trial < 3 && fd >= 0; trial++) {	/* best of 3 */
		err = bpf_prog_test_run_opts(fd, &t);
		if (!err && (best < 0 || t.duration < best))
			best = t.duration;
	}
	close(fd);
	return best;
}

/* ---- table ---------------------------------------------------------------- */

struct row {
	const char *name;
	u32 type, ks, flags;
	bool lpm;
};

static void print_ns(double v)
{
	if (v < 0)
		printf(" %9s", "n/a");
	else
		printf(" %9.1f", v);
}

static void bench_row(const struct row *r, u32 entries)
{
	struct bpf_insn base[24], look[24];
	u32 nb = build(base, entries - 1, r->lpm, false);
	u32 nl = build(look, entries - 1, r->lpm, true);
	struct bpffs_map_attr a = { .map_type = r->type, .key_size = r->ks, .value_size = 8,
				    .max_entries = entries, .map_flags = r->flags };
	struct bpffs_map *m = NULL;
	double ib, il, jb, jl, kb = -1, kl = -1, ours;
	bool jited = false;
	int kfd;
	u8 key[8];
	u64 v = 1;

	snprintf(a.name, sizeof(a.name), "%s", r->name);
	if (bpffs_map_create(&a, NULL, &m))
		return;
	for (u32 i = 0; i < entries; i++) {
		fill_key(i, r->lpm, key);
		bpffs_map_update_elem(m, key, &v, BPF_ANY);
	}
	ib = ours_run(m, base, nb, BPFFS_RUNTIME_INTERP, NULL);
	il = ours_run(m, look, nl, BPFFS_RUNTIME_INTERP, NULL) - ib;
	jb = ours_run(m, base, nb, BPFFS_RUNTIME_JIT, &jited);
	jl = jited ? ours_run(m, look, nl, BPFFS_RUNTIME_JIT, NULL) - jb : -1;
	kfd = kernel_map(r->type, r->ks, entries, r->flags, r->lpm);
	if (kfd >= 0) {
		kb = kernel_run(kfd, base, nb);
		kl = kernel_run(kfd, look, nl);
		if (kb >= 0 && kl >= 0)
			kl -= kb;
		close(kfd);
	}
	ours = jl >= 0 ? jl : il;
	printf("%-10s %8u", r->name, entries);
	print_ns(il);
	print_ns(jl);
	print_ns(kl);
	if (kl > 0)
		printf(" %8.2fx\n", ours / kl);
	else
		printf(" %9s\n", "n/a");
	bpffs_map_put(m);
	bpffs_rcu_barrier();
}

int main(int argc, char **argv)
{
	static const struct row rows[] = {
		{ "hash", BPF_MAP_TYPE_HASH, 4, 0, false },
		{ "array", BPF_MAP_TYPE_ARRAY, 4, 0, false },
		{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 0, false },
		{ "lpm_trie", BPF_MAP_TYPE_LPM_TRIE, 8, BPF_F_NO_PREALLOC, true },
	};
	static const u32 sizes[] = { 1024, 1U << 20 };

	if (argc > 1)
		scale = atof(argv[1]);
	printf("# maps_prog_bench: ns per bpf_map_lookup_elem from a program (random key),\n"
	       "# run cost without the lookup subtracted; ratio = ours (JIT, else interp) / kernel\n");
	printf("%-10s %8s %9s %9s %9s %9s\n", "map", "entries", "interp", "jit", "kernel", "ratio");
	for (u32 s = 0; s < BPFFS_ARRAY_SIZE(sizes); s++)
		for (u32 i = 0; i < BPFFS_ARRAY_SIZE(rows); i++)
			bench_row(&rows[i], sizes[s]);
	return 0;
}
