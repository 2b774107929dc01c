#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Loading through the mount: `cp OBJ.o MNT/progs/` loads (or fails at close
# with the loader's errno and a reason in progs/.log), the object reads back
# byte for byte, each program gets a directory with info, xlated, jited,
# verifier_log and stats, the object's maps appear in maps/, and rm unloads.
# Uses the compiled examples ($BUILD/examples, `make bpf-objs`).

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
	EX="$(dirname "$(bpffs_bin)")/examples"
	PC="$EX/packet_counter.bpf.o"
	[ -f "$PC" ] || skip "no $PC (make bpf-objs)"
}

# load_as NAME: copy packet_counter.bpf.o into progs/ under NAME, once
load_pc() {
	[ -e "$MNT/progs/packet_counter.bpf.o" ] || cp "$PC" "$MNT/progs/"
}

@test "cp of an object into progs/ loads it and shows it as a file" {
	load_pc
	run -0 ls "$MNT/progs"
	assert_line "packet_counter.bpf.o"
	assert_line "count_packets"
	[ -d "$MNT/progs/count_packets" ]
}

@test "reading the loaded object returns the ELF bytes it was loaded from" {
	load_pc
	run -0 cmp "$PC" "$MNT/progs/packet_counter.bpf.o"
	run -0 stat -c %s "$MNT/progs/packet_counter.bpf.o"
	assert_output "$(stat -c %s "$PC")"
}

@test "the object's maps appear under maps/" {
	load_pc
	run -0 ls "$MNT/maps"
	assert_line "pkt_count"
	run -0 grep -x "type: hash" "$MNT/maps/pkt_count/.info"
	run -0 grep -x "max_entries: 256" "$MNT/maps/pkt_count/.info"
}

@test "a program directory holds info, xlated, jited, verifier_log, stats and run files" {
	load_pc
	run -0 ls "$MNT/progs/count_packets"
	assert_output "$(printf 'info\njited\nrun\nrun_repeat\nstats\nverifier_log\nxlated')"
}

@test "info names the program, its type, section, maps and object" {
	load_pc
	run -0 cat "$MNT/progs/count_packets/info"
	assert_line "name: count_packets"
	assert_line "type: socket_filter"
	assert_line "section: socket"
	assert_line "maps: pkt_count"
	assert_line "object: packet_counter"
	assert_line --regexp '^insns: [1-9][0-9]*$'
}

@test "xlated disassembles every instruction and ends with exit" {
	load_pc
	run -0 cat "$MNT/progs/count_packets/xlated"
	assert_line --regexp '^ +0: '
	assert_line --regexp '^ +[0-9]+: exit$'
	assert_output --partial "packet_counter.bpf.c"	# source lines from BTF
	# map references show as bpftool does, never as an undecodable slot
	assert_line --regexp '^ +[0-9]+: lddw %r1, map\[id:[0-9]+ pkt_count\]$'
	refute_output --partial "(bad)"
}

@test "jited shows the native code or says why there is none" {
	load_pc
	run -0 cat "$MNT/progs/count_packets/jited"
	[ -n "$output" ]
	if grep -qx "runtime: jit" "$MNT/progs/count_packets/info"; then
		assert_output --partial "push"
	else
		assert_output --partial "no native image"
	fi
}

@test "verifier_log holds at least the statistics line" {
	load_pc
	run -0 cat "$MNT/progs/count_packets/verifier_log"
	assert_output --partial "processed"
}

@test "stats start at zero" {
	load_pc
	run -0 cat "$MNT/progs/count_packets/stats"
	assert_line "run_cnt: 0"
	assert_line "run_time_ns: 0"
}

@test "copying the same object again fails with EEXIST" {
	load_pc
	run -1 cp "$PC" "$MNT/progs/"
	assert_output --partial "File exists"
}

@test "garbage fails to load with EINVAL at close, nothing appears, .log says why" {
	head -c 64 /dev/urandom >"$BATS_TEST_TMPDIR/junk.o"
	run -1 cp "$BATS_TEST_TMPDIR/junk.o" "$MNT/progs/"
	assert_output --partial "Invalid argument"
	[ ! -e "$MNT/progs/junk.o" ]
	run -0 cat "$MNT/progs/.log"
	assert_output --partial "junk.o: load failed: Invalid argument"
	assert_output --partial "not an ELF file"
}

@test "a later successful load clears the object's entry in .log" {
	head -c 64 /dev/zero >"$BATS_TEST_TMPDIR/retry.o"
	run -1 cp "$BATS_TEST_TMPDIR/retry.o" "$MNT/progs/"
	run -0 grep -c "^retry.o:" "$MNT/progs/.log"
	cp "$PC" "$BATS_TEST_TMPDIR/retry.o"
	# the programs' names clash with packet_counter if it is loaded: unload it first
	rm -f "$MNT/progs/packet_counter.bpf.o"
	run -0 cp "$BATS_TEST_TMPDIR/retry.o" "$MNT/progs/"
	run -1 grep "^retry.o:" "$MNT/progs/.log"
	rm "$MNT/progs/retry.o"
}

@test "rm of the object unloads its programs and the maps only it used" {
	load_pc
	run -0 rm "$MNT/progs/packet_counter.bpf.o"
	[ ! -e "$MNT/progs/packet_counter.bpf.o" ]
	[ ! -e "$MNT/progs/count_packets" ]
	[ ! -e "$MNT/maps/pkt_count" ]
}

@test "rm of an object that is not loaded gives ENOENT" {
	run -1 rm "$MNT/progs/nothing.o"
	assert_output --partial "No such file or directory"
}

@test "program directories cannot be removed or created directly" {
	load_pc
	run -1 rmdir "$MNT/progs/count_packets"
	assert_output --partial "Operation not permitted"
	run -1 mkdir "$MNT/progs/newprog"
	assert_output --partial "Operation not permitted"
	run -1 bash -c "echo 1 > '$MNT/progs/count_packets/info'"
	assert_output --partial "Permission denied"
}

@test "a map of a loaded object can be read and written through its files" {
	load_pc
	# struct proto_stats { u64 packets, bytes; } under a u32 key, typed from the BTF
	echo '01 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00' >"$MNT/maps/pkt_count/1"
	run -0 ls "$MNT/maps/pkt_count"
	assert_output "1"
	run -0 cat "$MNT/maps/pkt_count/1"
	assert_output '{"packets": 1, "bytes": 64}'
	run -0 rm "$MNT/maps/pkt_count/1"
}
