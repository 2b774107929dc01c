# SPDX-License-Identifier: MIT
#
# Mounting a fresh bpffs-user for one bats file (load from setup_file):
#   bpffs_mount [extra daemon args]   sets MNT, DAEMON_PID, DAEMON_LOG
#   bpffs_unmount                     fusermount3 -u, waits for the daemon
# The daemon runs in the foreground with fd 3 closed (bats waits on fd 3).

bpffs_bin() {
	local root
	root="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	echo "${BPFFS_BIN:-$root/build/bpffs-user}"
}

# wait_for CMD...: retry for up to 5 s
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# Never fails (skip does not work in setup_file on Debian's bats 1.8):
# tests call bpffs_require_mount from setup() and skip when it is absent.
bpffs_mount() {
	BIN="$(bpffs_bin)"
	MNT="$BATS_FILE_TMPDIR/mnt"
	DAEMON_LOG="$BATS_FILE_TMPDIR/daemon.log"
	export BIN MNT DAEMON_LOG
	mkdir -p "$MNT"
	[ -x "$BIN" ] && [ -e /dev/fuse ] || return 0
	"$BIN" "$MNT" -f "$@" 3>&- >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	export DAEMON_PID
	wait_for mountpoint -q "$MNT" || true
}

bpffs_require_mount() {
	[ -x "$BIN" ] || skip "no $BIN (build first)"
	[ -e /dev/fuse ] || skip "no /dev/fuse"
	mountpoint -q "$MNT" || skip "mount failed: $(tail -3 "$DAEMON_LOG" 2>/dev/null)"
}

bpffs_unmount() {
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	if [ -n "${DAEMON_PID:-}" ]; then
		wait_for bash -c "! kill -0 $DAEMON_PID 2>/dev/null" || kill -KILL "$DAEMON_PID"
		# same shell as setup_file: the daemon's status (ASan reports make it 1)
		local st=0
		wait "$DAEMON_PID" || st=$?
		if [ "$st" -ne 0 ]; then
			echo "# daemon exited with status $st:" >&3
			sed 's/^/#   /' "$DAEMON_LOG" | tail -30 >&3
			return 1
		fi
	fi
	return 0
}
