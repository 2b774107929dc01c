// SPDX-License-Identifier: MIT
/*
 * Compute benchmark: each program of progs/bench_progs.c runs as BPF in the
 * interpreter (and the JIT when it is linked in) and as the same C compiled
 * natively with -O2, on the same 64 KiB input, in one process. Reports the
 * median ns per run of each, their ratios, and ns per executed BPF
 * instruction (executed count from one checked-mode run).
 *
 *   bench_interp DIR      DIR holds <name>.bin raw bytecode per program
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "progs/bench_progs.h"

#include "jit/jit.h"

bu64 native_bench_checksum(const bu8 *data, bu64 len);
bu64 native_bench_fnv1a(const bu8 *data, bu64 len);
bu64 native_bench_alu_mix(const bu8 *data, bu64 len);
bu64 native_bench_pkt_parse(const bu8 *data, bu64 len);

typedef bu64 (*native_fn)(const bu8 *, bu64);

static const struct {
	const char *name;
	native_fn native;
} progs[] = {
	{ "checksum", native_bench_checksum },
	{ "fnv1a", native_bench_fnv1a },
	{ "alu_mix", native_bench_alu_mix },
	{ "pkt_parse", native_bench_pkt_parse },
};

#define DATA_LEN 65536
#define SAMPLES 15

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

enum mode { M_NATIVE, M_INTERP, M_JIT };

static u64 run_once(enum mode m, const struct bpffs_prog *prog, native_fn fn, u8 *data)
{
	switch (m) {
	case M_NATIVE: return fn(data, DATA_LEN);
	case M_INTERP: return bpffs_interp_run(prog, (u64)(uintptr_t)data, DATA_LEN, NULL);
	default: return bpffs_prog_run(prog, (u64)(uintptr_t)data, DATA_LEN, NULL);
	}
}

/* Median ns per run over SAMPLES samples of @reps runs each. */
static double median_ns(enum mode m, const struct bpffs_prog *prog, native_fn fn, u8 *data,
			u64 *result)
{
	u64 t[SAMPLES], reps = 1, start;
	volatile u64 sink = 0;
	int s;

	/* calibrate: at least ~5 ms per sample */
	for (;;) {
		start = now_ns();
		for (u64 r = 0; r < reps; r++)
			sink += run_once(m, prog, fn, data);
		if (now_ns() - start > 5000000 || reps > (1u << 24))
			break;
		reps *= 2;
	}
	for (s = 0; s < SAMPLES; s++) {
		start = now_ns();
		for (u64 r = 0; r < reps; r++)
			sink += run_once(m, prog, fn, data);
		t[s] = now_ns() - start;
	}
	*result = run_once(m, prog, fn, data);
	qsort(t, SAMPLES, sizeof(t[0]), cmp_u64);
	(void)sink;
	return (double)t[SAMPLES / 2] / (double)reps;
}

static int load_bin(const char *dir, const char *name, struct bpffs_prog **out)
{
	char path[512];
	struct bpf_insn insns[4096];
	char logbuf[1024];
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	FILE *f;
	size_t n;
	int err;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	n = fread(insns, sizeof(insns[0]), BPFFS_ARRAY_SIZE(insns), f);
	fclose(f);
	err = bpffs_insns_check(insns, (u32)n, &log);
	if (!err)
		err = bpffs_prog_alloc(name, 0, insns, (u32)n, out);
	if (!err)
		err = bpffs_prog_prepare(*out, &log);
	if (err)
		fprintf(stderr, "%s: %s", name, logbuf);
	return err;
}

int main(int argc, char **argv)
{
	u8 *data = malloc(DATA_LEN);
	bool jit = bpffs_jit_available();
	double geo_interp = 1, geo_jit = 1;
	unsigned int i;

	if (argc < 2 || !data) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	srand(42);
	for (i = 0; i < DATA_LEN; i++)
		data[i] = (u8)rand();
	for (i = 0; i + 64 <= DATA_LEN; i += 64) {	/* frames for pkt_parse */
		data[i + 12] = i % 3 ? 0x08 : 0x86;
		data[i + 13] = 0x00;
		data[i + 14] = 0x45;
		data[i + 23] = i % 5 ? 6 : 17;
	}
	printf("\n## Compute benchmarks: interpreter%s vs native C -O2 (median of %d samples)\n\n",
	       jit ? ", JIT" : "", SAMPLES);
	printf("| program | BPF insns executed | native ns | interp ns | interp/native | interp ns/insn |%s\n",
	       jit ? " JIT ns | JIT/native | interp/JIT |" : "");
	printf("|---|---|---|---|---|---|%s\n", jit ? "---|---|---|" : "");
	for (i = 0; i < BPFFS_ARRAY_SIZE(progs); i++) {
		struct bpffs_prog *prog;
		struct bpffs_run_ctx rc = { .checked = true };
		u64 rn, ri, rj = 0;
		double tn, ti, tj = 0;

		if (load_bin(argv[1], progs[i].name, &prog))
			return 1;
		bpffs_run_ctx_add_region(&rc, data, DATA_LEN, false);
		bpffs_interp_run_checked(prog, (u64)(uintptr_t)data, DATA_LEN, &rc);
		if (rc.fault)
			fprintf(stderr, "%s: checked run fault: %s\n", progs[i].name, rc.fault_msg);
		tn = median_ns(M_NATIVE, NULL, progs[i].native, data, &rn);
		ti = median_ns(M_INTERP, prog, NULL, data, &ri);
		if (jit) {
			prog->runtime = BPFFS_RUNTIME_JIT;
			if (bpffs_jit_compile(prog, NULL) == 0)
				tj = median_ns(M_JIT, prog, NULL, data, &rj);
		}
		if (rn != ri || (tj && rj != rn))
			fprintf(stderr, "%s: RESULT MISMATCH native %llx interp %llx jit %llx\n",
				progs[i].name, (unsigned long long)rn, (unsigned long long)ri,
				(unsigned long long)rj);
		printf("| %s | %llu | %.0f | %.0f | %.1fx | %.2f |", progs[i].name,
		       (unsigned long long)rc.insns_executed, tn, ti, ti / tn,
		       ti / (double)rc.insns_executed);
		if (jit && tj)
			printf(" %.0f | %.2fx | %.1fx |", tj, tj / tn, ti / tj);
		printf("\n");
		geo_interp *= ti / tn;
		geo_jit *= tj ? tj / tn : 1;
		bpffs_prog_put(prog);
	}
	printf("\ngeometric mean interp/native: %.2fx\n",
	       pow(geo_interp, 1.0 / BPFFS_ARRAY_SIZE(progs)));
	if (jit)
		printf("geometric mean JIT/native: %.2fx\n", pow(geo_jit, 1.0 / BPFFS_ARRAY_SIZE(progs)));
	free(data);
	return 0;
}
