#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# State directory (issue 9, `bpffs-user MNT --state DIR`): objects, maps made
# by mkdir (with their text formats) and map entries survive a clean restart
# with nothing lost, and a `kill -9` losing at most the updates of the flush
# window, never leaving a torn map; a damaged file is set aside, not loaded.
# Each test starts and stops its own daemons.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'
load 'test_helper/state'

bats_require_minimum_version 1.5.0

FLUSH_MS=50

setup() {
	state_setup
}

teardown() {
	stop_daemon
}

@test "a clean restart brings back objects, maps, formats and every entry" {
	start_daemon
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	mkdir "$MNT/maps/kv"
	echo 'type=hash key=u32 value=u64 max_entries=4096' >"$MNT/maps/kv/.info"
	for i in $(seq 1 500); do echo $((i * 3)) >"$MNT/maps/kv/$i"; done
	echo '01 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00' >"$MNT/maps/pkt_count/1"
	stop_daemon
	start_daemon
	run -0 ls "$MNT/progs"
	assert_line packet_counter.bpf.o
	assert_line count_packets
	run -0 cat "$MNT/progs/count_packets/info"
	assert_line "name: count_packets"
	run -0 cat "$MNT/maps/pkt_count/1"
	assert_output '{"packets": 1, "bytes": 64}'
	run -0 grep -x "entries: 500" "$MNT/maps/kv/.info"
	run -0 grep -x "key_format: u32" "$MNT/maps/kv/.info"
	lost=0
	for i in $(seq 1 500); do
		[ "$(cat "$MNT/maps/kv/$i")" = $((i * 3)) ] || lost=$((lost + 1))
	done
	echo "# entries lost on clean restart: $lost of 500" >&3
	[ "$lost" -eq 0 ]
	grep -q "restored 1 objects (0 failed), 2 maps (0 failed), 501 entries (0 failed)" "$LOG"
}

@test "what is removed stays removed after a restart" {
	start_daemon
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	mkdir "$MNT/maps/gone" && echo 'type=hash key=u32 value=u32 max_entries=4' >"$MNT/maps/gone/.info"
	echo 1 >"$MNT/maps/gone/1"
	sleep 0.3
	rm "$MNT/progs/packet_counter.bpf.o"
	rm "$MNT/maps/gone/1"
	rmdir "$MNT/maps/gone"
	stop_daemon
	start_daemon
	run -0 ls -A "$MNT/progs"
	assert_output ".log"
	[ ! -e "$MNT/maps/gone" ]
	[ ! -e "$MNT/maps/pkt_count" ]
}

@test "kill -9 under writes: entries older than the flush window survive, none torn" {
	local kills=5 k p1 lost=0 torn=0 inwin=0 total=0 last
	start_daemon
	mkdir "$MNT/maps/seq"
	echo 'type=hash key=u32 value=u64 max_entries=100000' >"$MNT/maps/seq/.info"
	echo 0 >"$BATS_TEST_TMPDIR/progress"
	for k in $(seq "$kills"); do
		# writer: key i gets value i * 7; progress holds the last acknowledged i
		(
			i=$(cat "$BATS_TEST_TMPDIR/progress")
			while echo $(((i + 1) * 7)) 2>/dev/null >"$MNT/maps/seq/$((i + 1))"; do
				i=$((i + 1))
				echo "$i" >"$BATS_TEST_TMPDIR/progress.tmp"
				mv "$BATS_TEST_TMPDIR/progress.tmp" "$BATS_TEST_TMPDIR/progress"
			done
		) &
		writer=$!
		sleep "0.$((RANDOM % 5 + 2))"
		p1=$(cat "$BATS_TEST_TMPDIR/progress")	# acknowledged before the window
		sleep $(((FLUSH_MS * 4) / 1000)).$(((FLUSH_MS * 4) % 1000 / 100))	# 4 windows later
		crash_daemon
		wait "$writer" 2>/dev/null || true
		last=$(cat "$BATS_TEST_TMPDIR/progress")
		start_daemon
		grep -q "maps (0 failed)" "$LOG" || { cat "$LOG"; false; }
		# every entry acknowledged before the window is there, with its value
		for i in $(seq 1 "$p1"); do
			v=$(cat "$MNT/maps/seq/$i" 2>/dev/null) || { lost=$((lost + 1)); continue; }
			[ "$v" = $((i * 7)) ] || torn=$((torn + 1))
		done
		# entries written inside the window: present ones must be whole
		for i in $(seq $((p1 + 1)) "$last"); do
			if v=$(cat "$MNT/maps/seq/$i" 2>/dev/null); then
				[ "$v" = $((i * 7)) ] || torn=$((torn + 1))
			else
				inwin=$((inwin + 1))
			fi
		done
		total=$last
		# the writer goes on from what survived
		n=$(grep -x 'entries: [0-9]*' "$MNT/maps/seq/.info" | cut -d' ' -f2)
		echo "$n" >"$BATS_TEST_TMPDIR/progress"
	done
	echo "# $kills kills: $total entries acknowledged, lost before the window: $lost," \
		"torn: $torn, lost inside the ${FLUSH_MS} ms window: $inwin" >&3
	[ "$lost" -eq 0 ]
	[ "$torn" -eq 0 ]
}

@test "a damaged map file is set aside with a warning, the rest is restored" {
	start_daemon
	mkdir "$MNT/maps/good" && echo 'type=hash key=u32 value=u32 max_entries=4' >"$MNT/maps/good/.info"
	mkdir "$MNT/maps/bad" && echo 'type=hash key=u32 value=u32 max_entries=4' >"$MNT/maps/bad/.info"
	echo 1 >"$MNT/maps/good/1"
	echo 2 >"$MNT/maps/bad/2"
	stop_daemon
	# flip one byte in the middle of bad.map
	f="$STATE/maps/bad.map"
	off=$(($(stat -c %s "$f") / 2))
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\x%02x' $((b ^ 255)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
	start_daemon
	run -0 cat "$MNT/maps/good/1"
	assert_output "1"
	[ ! -e "$MNT/maps/bad" ]
	grep -q "maps/bad.map could not be restored" "$LOG"
	[ -f "$STATE/failed/maps.bad.map" ]
}

@test "a state directory that cannot be created refuses to mount" {
	run "$BIN" "$MNT" -f --state /proc/nonexistent/state
	assert_failure
	assert_output --partial "state directory"
}

# pop_all MAP: every value popped, one a line
pop_all() {
	local v
	while v=$(cat "$MNT/maps/$1/pop" 2>/dev/null); do echo "$v"; done
}

@test "queues and stacks come back with their values in order (clean and kill -9)" {
	start_daemon
	mkdir "$MNT/maps/q" "$MNT/maps/s"
	echo 'type=queue value=u32 max_entries=6' >"$MNT/maps/q/.info"
	echo 'type=stack value=u64 max_entries=6' >"$MNT/maps/s/.info"
	# wrap the queue's ring: 5 pushed, 3 popped, 4 more pushed -> 4 5 6 7 8 9
	for v in 1 2 3 4 5; do echo "$v" >"$MNT/maps/q/push"; done
	for v in 1 2 3; do cat "$MNT/maps/q/pop" >/dev/null; done
	for v in 6 7 8 9; do echo "$v" >"$MNT/maps/q/push"; done
	for v in 10 20 30; do echo "$v" >"$MNT/maps/s/push"; done
	stop_daemon
	start_daemon
	grep -q "2 maps (0 failed), 9 entries (0 failed)" "$LOG"
	run -0 cat "$MNT/maps/q/peek"
	assert_output "4"
	run -0 cat "$MNT/maps/s/peek"
	assert_output "30"
	# after kill -9 (past the flush window) the same values, in the same order
	sleep 0.3
	crash_daemon
	start_daemon
	run -0 pop_all q
	assert_output "$(printf '4\n5\n6\n7\n8\n9')"
	run -0 pop_all s
	assert_output "$(printf '30\n20\n10')"
}

@test "prog array slots set from the shell come back by name" {
	start_daemon
	cp "$EX/tail_dispatch.bpf.o" "$MNT/progs/"
	echo handle_udp >"$MNT/maps/jmp_table/6"
	echo handle_icmp >"$MNT/maps/jmp_table/200"
	stop_daemon
	start_daemon
	run -0 cat "$MNT/maps/jmp_table/6"
	assert_output "handle_udp"
	run -0 cat "$MNT/maps/jmp_table/200"
	assert_output "handle_icmp"
	run -0 cat "$MNT/maps/jmp_table/1"	# the object's own slots too
	assert_output "handle_icmp"
	run ! cat "$MNT/maps/jmp_table/7"
	grep -q "restored 1 objects (0 failed), 2 maps (0 failed), .* entries (0 failed)" "$LOG"
}

@test "map-in-map slots set from the shell come back by name" {
	local obj
	obj="$(dirname "$BIN")/tests/bpf/mapinmap.bpf.o"
	[ -f "$obj" ] || skip "no $obj (make bpf-objs)"
	start_daemon
	cp "$obj" "$MNT/progs/"
	echo inner_b >"$MNT/maps/outer/1"
	rm "$MNT/maps/outer/3"
	crash_daemon_after_window
	start_daemon
	run -0 cat "$MNT/maps/outer/1"
	assert_output "inner_b"
	run -0 cat "$MNT/maps/outer/0"
	assert_output "inner_a"
	# a slot the object sets statically comes back with the object, even if it was cleared
	run -0 cat "$MNT/maps/outer/3"
	assert_output "inner_b"
}

crash_daemon_after_window() {
	sleep 0.3	# > FLUSH_MS plus one flush
	crash_daemon
}

# last_restore: the daemon log's latest "restored N objects ..." line
last_restore() {
	grep "restored [0-9]* objects" "$LOG" | tail -1
}

@test "cp and rm are on disk when they return: a kill -9 right after keeps them" {
	local slow=60000	# no flusher pass during the test: only cp and rm write
	FLUSH_MS=$slow start_daemon
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	cp "$EX/sampler.bpf.o" "$MNT/progs/renamed.o"
	crash_daemon
	cmp "$EX/packet_counter.bpf.o" "$STATE/objects/packet_counter.bpf.o"
	[ -f "$STATE/maps/pkt_count.map" ]
	FLUSH_MS=$slow start_daemon
	run -0 last_restore
	assert_output --partial "restored 2 objects (0 failed), 2 maps (0 failed)"
	run -0 ls "$MNT/progs"
	assert_line packet_counter.bpf.o
	assert_line count_packets
	assert_line renamed.o
	[ -d "$MNT/maps/pkt_count" ] && [ -d "$MNT/maps/samples" ]
	# unload, and load another object under the same file name
	rm "$MNT/progs/packet_counter.bpf.o"
	rm "$MNT/progs/renamed.o"
	cp "$EX/tail_dispatch.bpf.o" "$MNT/progs/renamed.o"
	crash_daemon
	[ ! -e "$STATE/objects/packet_counter.bpf.o" ]
	[ ! -e "$STATE/maps/pkt_count.map" ]
	cmp "$EX/tail_dispatch.bpf.o" "$STATE/objects/renamed.o"
	FLUSH_MS=$slow start_daemon
	run -0 last_restore
	assert_output --partial "restored 1 objects (0 failed)"
	run -0 ls -A "$MNT/progs"
	refute_line packet_counter.bpf.o
	refute_line count_packets
	assert_line renamed.o
	assert_line handle_udp
	[ ! -e "$MNT/maps/pkt_count" ] && [ ! -e "$MNT/maps/samples" ]
	run -0 ls -A "$STATE/failed"
	assert_output ""
}

@test "a map removed by rmdir does not come back to clash with an object loaded after it" {
	start_daemon
	mkdir "$MNT/maps/pkt_count"
	echo 'type=hash key=u32 value=u32 max_entries=4' >"$MNT/maps/pkt_count/.info"
	echo 5 >"$MNT/maps/pkt_count/1"
	stop_daemon	# DIR/maps/pkt_count.map: a map made by mkdir, re-created first on start
	FLUSH_MS=60000 start_daemon
	rm "$MNT/maps/pkt_count/1"
	rmdir "$MNT/maps/pkt_count"
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"	# its own map pkt_count replaces the file
	crash_daemon
	start_daemon
	run -0 last_restore
	assert_output --partial "restored 1 objects (0 failed), 1 maps (0 failed)"
	run -0 ls "$MNT/progs"
	assert_line count_packets
	run -0 grep -x "entries: 0" "$MNT/maps/pkt_count/.info"
}
