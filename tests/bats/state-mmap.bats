#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# State directory, file-backed maps (issue 9): with --state DIR a
# BPF_F_MMAPABLE array keeps its values in DIR/maps/NAME.GEN.mmap, mapped
# MAP_SHARED, so what programs and shells stored survives a kill -9 with no
# flush window; the file is linked only once its object is published, named
# by the map's record, replaced on a reload and removed on rm. The flusher is
# slowed to a minute so that only the file can bring values back.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'
load 'test_helper/state'

bats_require_minimum_version 1.5.0

FLUSH_MS=60000

setup() {
	state_setup
	OBJ="$(dirname "$BIN")/tests/bpf/mmap_count.bpf.o"
	[ -f "$OBJ" ] || skip "no $OBJ (make bpf-objs)"
}

teardown() {
	stop_daemon
}

last_restore() {
	grep "restored [0-9]* objects" "$LOG" | tail -1
}

# the backing files of mm_counts, one a line
backing_files() {
	ls "$STATE/maps" | grep '^mm_counts\..*\.mmap$' || true
}

@test "a program's counts in a BPF_F_MMAPABLE array survive kill -9 with no window" {
	local before after tail
	start_daemon
	cp "$OBJ" "$MNT/progs/"
	mkdir "$MNT/hooks/timer/5ms"
	ln -s "$MNT/progs/mm_tick" "$MNT/hooks/timer/5ms/"
	sleep 1
	before=$(cat "$MNT/maps/mm_counts/0")
	crash_daemon
	start_daemon
	after=$(cat "$MNT/maps/mm_counts/0")
	tail=$(cat "$MNT/maps/mm_counts/1023")
	echo "# runs read just before kill -9: $before, just after the restart: $after" >&3
	[ "$before" -gt 100 ]
	[ "$after" -ge "$before" ]
	[ "$tail" -ge $((2 * before)) ]
	run -0 last_restore
	assert_output --partial "restored 1 objects (0 failed), 1 maps (0 failed), 1024 entries (0 failed)"
	run -0 backing_files
	[ "${#lines[@]}" -eq 1 ]
	[ "$(stat -c %s "$STATE/maps/${lines[0]}")" -eq 8192 ]
}

@test "shell writes are in the file when they return; a reload gets a new file; rm removes it" {
	local first second
	start_daemon
	cp "$OBJ" "$MNT/progs/"
	for k in 0 7 512 1023; do echo $((k + 1000)) >"$MNT/maps/mm_counts/$k"; done
	crash_daemon
	start_daemon
	for k in 0 7 512 1023; do
		run -0 cat "$MNT/maps/mm_counts/$k"
		assert_output "$((k + 1000))"
	done
	first=$(backing_files)
	# a reload under the same name is a new map: the old values must not come back into it
	rm "$MNT/progs/mmap_count.bpf.o"
	[ -z "$(backing_files)" ]
	cp "$OBJ" "$MNT/progs/"
	second=$(backing_files)
	[ -n "$second" ] && [ "$second" != "$first" ]
	echo 5 >"$MNT/maps/mm_counts/1"
	# a load that fails after making its maps (its program name clashes) leaves no file
	run ! cp "$OBJ" "$MNT/progs/again.o"
	[ "$(backing_files)" = "$second" ]
	run -0 ls -A "$STATE/tmp"
	assert_output ""
	crash_daemon
	start_daemon
	run -0 cat "$MNT/maps/mm_counts/7"
	assert_output "0"
	run -0 cat "$MNT/maps/mm_counts/1"
	assert_output "5"
	rm "$MNT/progs/mmap_count.bpf.o"
	crash_daemon
	[ -z "$(backing_files)" ]
	[ ! -e "$STATE/maps/mm_counts.map" ]
	start_daemon
	[ ! -e "$MNT/maps/mm_counts" ]
	run -0 ls -A "$STATE/failed"
	assert_output ""
}

@test "a clean restart keeps the values and one file; a file of the wrong size is set aside" {
	local f
	start_daemon
	cp "$OBJ" "$MNT/progs/"
	echo 42 >"$MNT/maps/mm_counts/3"
	stop_daemon
	start_daemon
	run -0 cat "$MNT/maps/mm_counts/3"
	assert_output "42"
	run -0 backing_files
	[ "${#lines[@]}" -eq 1 ]
	f="${lines[0]}"
	stop_daemon
	truncate -s 4096 "$STATE/maps/$f"
	start_daemon
	grep -q "not the size of the map" "$LOG"
	[ -f "$STATE/failed/maps.$f" ]
	run -0 cat "$MNT/maps/mm_counts/3"
	assert_output "0"
	run -0 last_restore
	assert_output --partial "restored 1 objects (0 failed), 0 maps (1 failed)"
	run -0 backing_files	# the map has a file again
	[ "${#lines[@]}" -eq 1 ]
}

@test "a BPF_F_MMAPABLE map made with mkdir is file-backed too" {
	start_daemon
	mkdir "$MNT/maps/mm"
	echo 'type=array key=u32 value=u32 max_entries=2000 flags=1024' >"$MNT/maps/mm/.info"
	stop_daemon	# the map's record is written by the flusher (or at unmount)
	start_daemon
	echo 77 >"$MNT/maps/mm/1999"
	crash_daemon
	start_daemon
	run -0 cat "$MNT/maps/mm/1999"
	assert_output "77"
}
