#!/usr/bin/env bash
# Runs every test suite (C unit tests, the conformance runner, bats files) and
# prints one summary line "N passed, M failed, K skipped" counted from the
# suites' TAP output. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export BPFFS_BIN="$PWD/$BUILD/bpffs-user"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0 skip=0 broken=0

count_tap() {	# $1 = name, $2 = file with TAP output, $3 = exit status
	local p f s
	p=$(grep -cE '^ok ' "$2" | tr -d ' ')
	s=$(grep -ciE '^ok .*# skip' "$2" | tr -d ' ')
	f=$(grep -cE '^not ok ' "$2" | tr -d ' ')
	p=$((p - s))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a suite that died without reporting a failure counts as one
		f=1; broken=$((broken + 1))
		echo "!! $1 exited with status $3 without a failing test line"
	fi
	grep -E '^not ok ' "$2" | sed "s/^/!! $1: /"
	printf '%-32s %4d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

run_suite() {	# $1 = name, rest = command
	local name=$1; shift
	# a hung suite must not hang CI: it fails after SUITE_TIMEOUT seconds
	timeout "${SUITE_TIMEOUT:-600}" "$@" >"$out/$name.tap" 2>"$out/$name.err"
	local rc=$?
	count_tap "$name" "$out/$name.tap" "$rc"
	if [ "$rc" -ne 0 ]; then
		grep -E '^#' "$out/$name.tap" | head -40
		tail -20 "$out/$name.err"
	fi
}

# SUITES=san runs only the sanitizer suites (make check-asan)
if [ "${SUITES:-all}" != san ]; then
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done

if [ -x "$BUILD/tests/conformance" ]; then
	run_suite conformance-interp "$BUILD/tests/conformance" --runtime interp ../shared/conformance/tests
	run_suite conformance-checked "$BUILD/tests/conformance" --runtime checked ../shared/conformance/tests
	run_suite conformance-negative "$BUILD/tests/conformance" --negative ../shared/conformance/negative
	if "$BUILD/tests/conformance" --has-jit; then
		run_suite conformance-jit "$BUILD/tests/conformance" --runtime jit ../shared/conformance/tests
	fi
fi

for b in tests/bats/*.bats; do
	[ -f "$b" ] || continue
	run_suite "$(basename "$b")" bats --tap "$b"
done

fi

# The same suites under ASan+UBSan, concurrency tests under TSan (if built)
. tests/san/suites.sh

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
