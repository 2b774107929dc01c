/* SPDX-License-Identifier: MIT */
/*
 * Compute benchmarks compiled twice from the same source: by clang for BPF
 * (bench.bpf.o, one section per program, run by the interpreter/JIT) and by
 * the host compiler with -O2 (linked into the bench binary: the physical
 * limit). Each takes (data, len) in r1/r2 and returns a u64.
 */
#ifndef BENCH_PROGS_H
#define BENCH_PROGS_H

#ifdef __bpf__
#define BENCH_PROG(name) __attribute__((section("bench/" #name), used))
#define BENCH_FN(name) name
#else
#define BENCH_PROG(name)
#define BENCH_FN(name) native_##name
#endif

typedef unsigned char bu8;
typedef unsigned short bu16;
typedef unsigned int bu32;
typedef unsigned long long bu64;

#define INLINE static inline __attribute__((always_inline))

#endif
