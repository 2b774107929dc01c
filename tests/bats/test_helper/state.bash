# SPDX-License-Identifier: MIT
#
# A daemon with a state directory that tests stop cleanly or kill -9 and
# start again (state*.bats). Load after test_helper/mount. Each file sets
# FLUSH_MS (the flush window, -o state_flush_ms) before starting.

# state_setup: skip without a binary or /dev/fuse; MNT, STATE, LOG, EX in
# the test's temporary directory.
state_setup() {
	BIN="$(bpffs_bin)"
	[ -x "$BIN" ] || skip "no $BIN (build first)"
	[ -e /dev/fuse ] || skip "no /dev/fuse"
	EX="$(dirname "$BIN")/examples"
	MNT="$BATS_TEST_TMPDIR/mnt"
	STATE="$BATS_TEST_TMPDIR/state"
	LOG="$BATS_TEST_TMPDIR/daemon.log"
	mkdir -p "$MNT"
	PID=
}

# start_daemon [args]: mount MNT with --state STATE in the foreground
start_daemon() {
	"$BIN" "$MNT" -f --state "$STATE" -o "state_flush_ms=$FLUSH_MS" "$@" 3>&- >>"$LOG" 2>&1 &
	PID=$!
	wait_for mountpoint -q "$MNT" || { cat "$LOG"; return 1; }
}

stop_daemon() {	# clean: unmount, the daemon flushes and exits
	[ -n "${PID:-}" ] || return 0
	mountpoint -q "$MNT" && fusermount3 -u "$MNT"
	wait_for bash -c "! kill -0 $PID 2>/dev/null" || kill -KILL "$PID"
	PID=
}

crash_daemon() {	# kill -9 and clear the dead mount
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null || true
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	PID=
}
