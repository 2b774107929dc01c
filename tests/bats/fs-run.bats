#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# scripts/run.sh (`make run`) without a terminal: it mounts, loads the
# examples it finds, reports the ones that fail, and unmounts on SIGINT or
# SIGTERM with status 0.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'

bats_require_minimum_version 1.5.0

setup() {
	BIN="$(bpffs_bin)"
	[ -x "$BIN" ] || skip "no $BIN (build first)"
	[ -e /dev/fuse ] || skip "no /dev/fuse"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	RUN_MNT="$BATS_TEST_TMPDIR/mnt"
	RUN_LOG="$BATS_TEST_TMPDIR/run.log"
}

teardown() {
	mountpoint -q "$RUN_MNT" && fusermount3 -u "$RUN_MNT"
	return 0
}

# start_run: run.sh in the background with SIGINT not ignored (bash ignores
# it for background jobs of a non-interactive shell); pid in $RUN_PID
start_run() {
	env --default-signal=INT env BUILD="$(dirname "$BIN")" MNT="$RUN_MNT" \
		"$ROOT/scripts/run.sh" >"$RUN_LOG" 2>&1 3>&- &
	RUN_PID=$!
	wait_for grep -q "Press Ctrl-C" "$RUN_LOG"
}

@test "run.sh mounts, prints what to try, and SIGINT unmounts with status 0" {
	start_run
	run -0 mountpoint -q "$RUN_MNT"
	run -0 ls "$RUN_MNT"
	assert_line "progs"
	run -0 grep -q "Try, in another shell" "$RUN_LOG"
	kill -INT "$RUN_PID"
	wait "$RUN_PID" || fail "run.sh exited with status $?"
	run ! mountpoint -q "$RUN_MNT"
	run -0 grep -q "unmounted cleanly" "$RUN_LOG"
}

@test "run.sh loads the compiled examples and reports each one" {
	ls "$(dirname "$BIN")"/examples/*.bpf.o >/dev/null 2>&1 || skip "no compiled examples"
	start_run
	run -0 grep -cE "^run: (loaded|could not load) " "$RUN_LOG"
	assert_output "$(ls "$(dirname "$BIN")"/examples/*.bpf.o | wc -l)"
	if grep -q "^run: loaded packet_counter.bpf.o" "$RUN_LOG"; then
		[ -d "$RUN_MNT/progs/count_packets" ]
	fi
	kill -TERM "$RUN_PID"
	wait "$RUN_PID" || fail "run.sh exited with status $?"
	run ! mountpoint -q "$RUN_MNT"
}

@test "run.sh refuses a mount point that is already mounted" {
	start_run
	run -1 env BUILD="$(dirname "$BIN")" MNT="$RUN_MNT" "$ROOT/scripts/run.sh"
	assert_output --partial "already mounted"
	kill -TERM "$RUN_PID"
	wait "$RUN_PID" || fail "run.sh exited with status $?"
}
