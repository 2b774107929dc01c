# SPDX-License-Identifier: MIT
#
# Sanitizer suites, sourced by tests/run-all.sh (uses its run_suite): the C
# unit tests, the conformance runner and the bats suite against the
# ASan+UBSan build in $SAN_BUILD (`make san-build`, default $BUILD-asan), and
# the concurrency tests against the ThreadSanitizer build in $TSAN_BUILD
# (default $BUILD-tsan). Suites are named "asan:..." and "tsan:...".
#
# Any sanitizer report fails its suite: unit tests and tools halt with a
# non-zero status (reported as a failure by run_suite); the daemon under bats
# writes its reports to files (log_path), and each report found after a bats
# file adds a "not ok" line naming it. Suppressions (tests/san/*.supp) cover
# only deliberate behaviour and test-harness leaks.

SAN_DIR="$PWD/tests/san"
SAN_BUILD=${SAN_BUILD:-$BUILD-asan}
TSAN_BUILD=${TSAN_BUILD:-$BUILD-tsan}
# bats files that are too slow under ASan or that need timing (space separated)
SAN_BATS_SKIP=${SAN_BATS_SKIP:-}

san_env() {	# $1 = directory for report files ("" = stderr)
	local lp=""
	[ -n "$1" ] && lp=":log_path=$1/report"
	export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=86$lp"
	export LSAN_OPTIONS="suppressions=$SAN_DIR/lsan.supp:print_suppressions=0"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SAN_DIR/ubsan.supp$lp"
}

# san_bats FILE: bats against the ASan daemon, then one "not ok" per report file.
san_bats() {
	local logs rc n=900 f
	logs=$(mktemp -d)
	# shorter stress under ASan; its quarantine makes RSS figures meaningless
	(san_env "$logs"; BPFFS_BIN="$PWD/$SAN_BUILD/bpffs-user" BUILD="$SAN_BUILD" \
		STRESS_SECS=2 STRESS_CYCLES=200 STRESS_RSS_KB=1000000 bats --tap "$1")
	rc=$?
	for f in "$logs"/report*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		echo "not ok $n - sanitizer report from the daemon ($(basename "$f"))"
		sed 's/^/# /' "$f" | head -40
		rc=1
	done
	rm -rf "$logs"
	return $rc
}

san_unit() {	# $1 = test binary
	(san_env ""; BUILD="$SAN_BUILD" "$1")
}

san_conformance() {
	(san_env ""; "$SAN_BUILD/tests/conformance" "$@")
}

if [ -x "$SAN_BUILD/bpffs-user" ]; then
	for t in "$SAN_BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "asan:$(basename "$t")" san_unit "$t"
	done
	if [ -x "$SAN_BUILD/tests/conformance" ]; then
		conf=../shared/conformance
		run_suite asan:conformance-interp san_conformance --runtime interp $conf/tests
		run_suite asan:conformance-checked san_conformance --runtime checked $conf/tests
		run_suite asan:conformance-negative san_conformance --negative $conf/negative
		if "$SAN_BUILD/tests/conformance" --has-jit 2>/dev/null; then
			run_suite asan:conformance-jit san_conformance --runtime jit $conf/tests
		fi
	fi
	for b in tests/bats/*.bats; do
		[ -f "$b" ] || continue
		case " $SAN_BATS_SKIP " in *" $(basename "$b") "*) continue ;; esac
		run_suite "asan:$(basename "$b")" san_bats "$b"
	done
fi

# ThreadSanitizer: the concurrency tests only (built by `make check-tsan`).
for t in "$TSAN_BUILD"/tests/test_maps_stress "$TSAN_BUILD"/tests/test_stress; do
	[ -x "$t" ] || continue
	run_suite "tsan:$(basename "$t")" env BUILD="$TSAN_BUILD" \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$t"
done
