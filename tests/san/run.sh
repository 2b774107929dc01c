#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One sanitizer suite (called through tests/san/suites.sh, under run-all's
# timeout, so it must be a program rather than a shell function):
#   tests/san/run.sh unit BINARY          a unit test or tool, reports on stderr
#   tests/san/run.sh bats FILE            bats against the ASan daemon; each
#                                         daemon report file adds a "not ok" line
# Environment: SAN_BUILD (the ASan+UBSan build directory).
set -uo pipefail
SAN_DIR="$(cd "$(dirname "$0")" && pwd)"
SAN_BUILD=${SAN_BUILD:?}

san_env() {	# $1 = directory for report files ("" = stderr)
	local lp=""
	[ -n "$1" ] && lp=":log_path=$1/report"
	export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=86$lp"
	export LSAN_OPTIONS="suppressions=$SAN_DIR/lsan.supp:print_suppressions=0"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SAN_DIR/ubsan.supp$lp"
}

case $1 in
unit)
	shift
	san_env ""
	BUILD="$SAN_BUILD" exec "$@"
	;;
bats)
	logs=$(mktemp -d)
	trap 'rm -rf "$logs"' EXIT
	san_env "$logs"
	# shorter stress under ASan; its quarantine makes RSS figures meaningless
	BPFFS_BIN="$PWD/$SAN_BUILD/bpffs-user" BUILD="$SAN_BUILD" \
		STRESS_SECS=2 STRESS_CYCLES=200 STRESS_RSS_KB=1000000 bats --tap "$2"
	rc=$?
	n=900
	for f in "$logs"/report*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		echo "not ok $n - sanitizer report from the daemon ($(basename "$f"))"
		sed 's/^/# /' "$f" | head -40
		rc=1
	done
	exit $rc
	;;
*)
	echo "usage: $0 unit BINARY [ARGS] | bats FILE" >&2
	exit 2
	;;
esac
