#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Mounting and unmounting bpffs-user, and the fixed top level of the tree:
# progs/ maps/ links/ hooks/ trace_pipe. One mount is shared by the file;
# the lifecycle tests start their own daemon under $BATS_TEST_TMPDIR so they
# can `wait` for its exit status.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'

bats_require_minimum_version 1.5.0

setup_file() {
	bpffs_mount
}

teardown_file() {
	bpffs_unmount
}

setup() {
	bpffs_require_mount
	M2="$BATS_TEST_TMPDIR/m2"
	mkdir -p "$M2"
}

teardown() {
	mountpoint -q "$M2" && fusermount3 -u "$M2"
	return 0
}

# start_own [args]: a second daemon on $M2, pid in $PID2
start_own() {
	"$BIN" "$M2" -f "$@" 3>&- 2>"$BATS_TEST_TMPDIR/d2.log" &
	PID2=$!
	wait_for mountpoint -q "$M2"
}

@test "the mount shows up as a fuse.bpffs filesystem" {
	run -0 findmnt -n -o FSTYPE "$MNT"
	assert_output "fuse.bpffs"
}

@test "progs, maps, links and hooks exist and are directories" {
	for d in progs maps links hooks; do
		[ -d "$MNT/$d" ]
		run -0 stat -c '%F %a' "$MNT/$d"
		assert_output "directory 755"
	done
}

@test "ls of the root lists the four directories and trace_pipe, nothing else" {
	run -0 ls "$MNT"
	assert_output "$(printf 'hooks\nlinks\nmaps\nprogs\ntrace_pipe')"
}

@test "ls -a of the root includes . and .." {
	run -0 ls -a "$MNT"
	assert_line "."
	assert_line ".."
}

@test "trace_pipe is a read-only regular file" {
	run -0 stat -c '%F %a' "$MNT/trace_pipe"
	assert_output --regexp '^regular (empty )?file 444$'
}

@test "an unknown name at the top level gives ENOENT" {
	run -1 stat "$MNT/no-such-entry"
	assert_output --partial "No such file or directory"
	run -2 ls "$MNT/links/none"
	assert_output --partial "No such file or directory"
}

@test "creating a file at the top level fails with EPERM" {
	run -1 touch "$MNT/newfile"
	assert_output --partial "Operation not permitted"
	[ ! -e "$MNT/newfile" ]
}

@test "creating a directory at the top level fails with EPERM, an existing one with EEXIST" {
	run -1 mkdir "$MNT/newdir"
	assert_output --partial "Operation not permitted"
	run -1 mkdir "$MNT/maps"
	assert_output --partial "File exists"
}

@test "the fixed directories cannot be removed" {
	run -1 rmdir "$MNT/progs"
	assert_output --partial "Operation not permitted"
	run -1 rm "$MNT/trace_pipe"
	[ -f "$MNT/trace_pipe" ]
}

@test "fusermount3 -u unmounts and the daemon exits 0" {
	start_own
	run -0 ls "$M2"
	assert_line "maps"
	run -0 fusermount3 -u "$M2"
	wait "$PID2" || fail "daemon exited with status $?"
	run ! mountpoint -q "$M2"
}

@test "SIGTERM unmounts and the daemon exits 0" {
	start_own
	kill -TERM "$PID2"
	wait "$PID2" || fail "daemon exited with status $?"
	run ! mountpoint -q "$M2"
	run -0 grep -q unmounted "$BATS_TEST_TMPDIR/d2.log"
}

@test "a single-threaded mount (-s) serves the same tree" {
	start_own -s
	run -0 ls "$M2"
	assert_line "progs"
	kill -TERM "$PID2"
	wait "$PID2" || fail "daemon exited with status $?"
}

@test "without -f the daemon detaches, keeps serving, and stops on unmount" {
	run -0 "$BIN" "$M2"
	wait_for mountpoint -q "$M2"
	run -0 ls "$M2"
	assert_line "hooks"
	run -0 fusermount3 -u "$M2"
	run ! mountpoint -q "$M2"
}

@test "mounting on a busy mountpoint fails clearly and leaves the first mount alone" {
	run -1 --separate-stderr "$BIN" "$MNT" -f
	assert_output --partial ""
	[[ "$stderr" == *"already a mount point"* ]]
	run -0 ls "$MNT"
	assert_line "progs"
}

@test "a mountpoint that does not exist fails with its reason and exits 2" {
	run -2 "$BIN" "$BATS_TEST_TMPDIR/missing" -f
	assert_output --partial "No such file or directory"
}

@test "an unknown option prints usage and exits 2" {
	run -2 "$BIN" "$M2" -x
	assert_output --partial "usage: bpffs-user MOUNTPOINT"
	run ! mountpoint -q "$M2"
}

@test "an unknown -o option prints usage and exits 2" {
	run -2 "$BIN" "$M2" -f -o no_such_option
	assert_output --partial "unknown option"
	assert_output --partial "usage:"
}

@test "no mount point prints usage and exits 2" {
	run -2 "$BIN"
	assert_output --partial "no mount point given"
	assert_output --partial "usage:"
}

@test "-h prints usage and exits 0" {
	run -0 "$BIN" -h
	assert_output --partial "usage: bpffs-user MOUNTPOINT"
}

@test "-o ro mounts read-only" {
	start_own -o ro
	run -0 findmnt -n -o OPTIONS "$M2"
	assert_output --regexp '(^|,)ro(,|$)'
	kill -TERM "$PID2"
	wait "$PID2" || fail "daemon exited with status $?"
}

@test "reading trace_pipe blocks while there is no trace output" {
	run -124 timeout 0.5 cat "$MNT/trace_pipe"
	assert_output ""
}

@test "a non-blocking read of an empty trace_pipe fails with EAGAIN" {
	run -0 python3 -c "
import os, errno
fd = os.open('$MNT/trace_pipe', os.O_RDONLY | os.O_NONBLOCK)
try:
    os.read(fd, 100)
    print('data')
except OSError as e:
    print(errno.errorcode[e.errno])
"
	assert_output "EAGAIN"
}

# poll_trace PROG: poll trace_pipe (300 ms: nothing), then test-run PROG
# (tests/bpf/streams.bpf.o) while a second poll waits; prints both results
# and the line read
poll_trace() {
	local tb
	tb="$(dirname "$(bpffs_bin)")/tests/bpf"
	[ -f "$tb/streams.bpf.o" ] || skip "no $tb/streams.bpf.o (make bpf-objs)"
	[ -e "$MNT/progs/streams.bpf.o" ] || cp "$tb/streams.bpf.o" "$MNT/progs/"
	dd if="$MNT/trace_pipe" iflag=nonblock of=/dev/null 2>/dev/null || true	# drain
	python3 - "$MNT/trace_pipe" "$MNT/progs/$1/run" <<-'EOF'
		import os, select, sys, threading, time
		fd = os.open(sys.argv[1], os.O_RDONLY)
		p = select.poll()
		p.register(fd, select.POLLIN)
		print("empty", p.poll(300))
		def run():
		    time.sleep(0.5)	# while the poll below waits
		    with open(sys.argv[2], "wb") as f:
		        f.write(b"abcd")
		threading.Thread(target=run).start()
		t = time.time()
		ev = p.poll(5000)
		print("ready", [e & select.POLLIN for _, e in ev], "waited", time.time() - t >= 0.4)
		print(os.read(fd, 4096).decode().strip().split(": ", 1)[1])
	EOF
}

@test "poll on trace_pipe times out while empty and wakes when a program prints" {
	run -0 poll_trace say_hello
	assert_line "empty []"
	assert_line "ready [1] waited True"
	assert_line "bpf_trace_printk: hello 4"
}

@test "SIGTERM unmounts even while a reader is blocked in trace_pipe" {
	start_own
	cat "$M2/trace_pipe" >/dev/null 2>&1 3>&- &
	local reader=$!
	sleep 0.3
	kill -TERM "$PID2"
	wait "$PID2" || fail "daemon exited with status $?"
	run ! mountpoint -q "$M2"
	wait_for bash -c "! kill -0 $reader 2>/dev/null" || { kill "$reader"; fail "reader still blocked"; }
}
