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
# file adds a "not ok" line naming it (tests/san/run.sh). Suppressions
# (tests/san/*.supp) cover only deliberate behaviour and test-harness leaks.

SAN_DIR="$PWD/tests/san"
SAN_BUILD=${SAN_BUILD:-$BUILD-asan}
TSAN_BUILD=${TSAN_BUILD:-$BUILD-tsan}
# bats files that are too slow under ASan or that need timing (space separated)
SAN_BATS_SKIP=${SAN_BATS_SKIP:-}

export SAN_BUILD
SANRUN="$SAN_DIR/run.sh"

if [ -x "$SAN_BUILD/bpffs-user" ]; then
	for t in "$SAN_BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "asan:$(basename "$t")" "$SANRUN" unit "$t"
	done
	if [ -x "$SAN_BUILD/tests/conformance" ]; then
		conf=../shared/conformance
		run_suite asan:conformance-interp "$SANRUN" unit "$SAN_BUILD/tests/conformance" \
			--runtime interp $conf/tests
		run_suite asan:conformance-checked "$SANRUN" unit "$SAN_BUILD/tests/conformance" \
			--runtime checked $conf/tests
		run_suite asan:conformance-negative "$SANRUN" unit "$SAN_BUILD/tests/conformance" \
			--negative $conf/negative
		if "$SAN_BUILD/tests/conformance" --has-jit 2>/dev/null; then
			run_suite asan:conformance-jit "$SANRUN" unit "$SAN_BUILD/tests/conformance" \
				--runtime jit $conf/tests
		fi
	fi
	for b in tests/bats/*.bats; do
		[ -f "$b" ] || continue
		case " $SAN_BATS_SKIP " in *" $(basename "$b") "*) continue ;; esac
		run_suite "asan:$(basename "$b")" "$SANRUN" bats "$b"
	done
fi

# ThreadSanitizer: the concurrency tests only (built by `make check-tsan`).
for t in "$TSAN_BUILD"/tests/test_maps_stress "$TSAN_BUILD"/tests/test_stress \
	 "$TSAN_BUILD"/tests/test_state "$TSAN_BUILD"/tests/test_hooks_cpumap; do
	[ -x "$t" ] || continue
	run_suite "tsan:$(basename "$t")" env BUILD="$TSAN_BUILD" \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$t"
done
