#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make fuzz`: every fuzz target of the project for FUZZ_TIME seconds each
# (default 60), one after the other on one core, so the whole run takes about
# 4 x FUZZ_TIME. Targets:
#   fuzz-elf       libFuzzer, ELF loader (seeds: build examples + tests/bpf)
#   fuzz-render    libFuzzer, map key/value/spec text parsers (src/fs/render.c)
#   fuzz_verifier  verifier soundness: accepted programs must not fault in
#                  the checked interpreter
#   jit_diff       JIT against the interpreter on random programs
# libFuzzer crashes are kept in $BUILD/fuzz/<target>/crash-*; reproduce with
# `$BUILD/fuzz-elf FILE`, then add the input as a regression test
# (tests/corpus/bad-elf/ for the loader, tests/unit/test_hostile.c otherwise).
# Exits non-zero if any target found a problem.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=${FUZZ_TIME:-60}
fail=0
# tools built with sanitizers (make fuzz SAN=...): any report is a failure
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

libfuzz() {	# NAME SEEDDIR...
	local name=$1 dir="$BUILD/fuzz/$1"
	shift
	mkdir -p "$dir/corpus"
	for s in "$@"; do
		[ -d "$s" ] && cp -n "$s"/* "$dir/corpus/" 2>/dev/null
	done
	echo "== $name: $T s"
	"$BUILD/$name" "$dir/corpus" -max_total_time="$T" -artifact_prefix="$dir/" \
		-print_final_stats=1 2>"$dir/log" || { fail=1; tail -40 "$dir/log"; }
	grep -E 'stat::number_of_executed_units|^#.*DONE' "$dir/log" | tail -2
}

# timed NAME CMD...: a count-driven tool stopped after T seconds (that is a pass)
timed() {
	local name=$1 rc
	shift
	echo "== $name: $T s"
	timeout "$T" "$@" >"$BUILD/fuzz/$name.log" 2>&1
	rc=$?
	tail -3 "$BUILD/fuzz/$name.log"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		fail=1
		echo "!! $name failed (status $rc)"
	fi
}

mkdir -p "$BUILD/fuzz/render-seeds"
printf '42' >"$BUILD/fuzz/render-seeds/key"
printf '\x42%s' '18446744073709551615' >"$BUILD/fuzz/render-seeds/value"
printf '\x40%s' '01 02 03 04' >"$BUILD/fuzz/render-seeds/hex"
printf '\xc0%s' 'type=hash key=u32 value=u64 max_entries=1024' >"$BUILD/fuzz/render-seeds/spec"

libfuzz fuzz-elf "$BUILD/examples" "$BUILD/tests/bpf" tests/corpus/bad-elf
libfuzz fuzz-render "$BUILD/fuzz/render-seeds"
timed fuzz_verifier "$BUILD/tests/fuzz_verifier" --count 100000000 --seed "$RANDOM"
timed jit_diff "$BUILD/tests/jit_diff" --count 100000000 --size 150 --seed "$RANDOM"
[ "$fail" -eq 0 ] && echo "fuzz: no crash in 4 x $T s" || echo "fuzz: FAILED"
exit "$fail"
