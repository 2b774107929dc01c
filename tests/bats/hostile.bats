#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Hostile input corpus (issue 9): every input that tests/hostile/gen.sh
# writes goes through the mounted filesystem — malformed ELF objects and bad
# bytecode copied into progs/, malformed values and keys echoed into map
# entries, odd names given to mkdir, cp and map entries. Each must fail with
# a clear errno (never EIO, ENOTCONN or a crash), the daemon must be alive
# after every single input, and a failed write must leave the maps as they
# were. The number of inputs tried is written to $HOSTILE_COUNT_FILE (if
# set) and printed as a TAP comment.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'

bats_require_minimum_version 1.5.0

setup_file() {
	bpffs_mount
	CORPUS="$BATS_FILE_TMPDIR/corpus"
	export CORPUS
	local root
	root="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	"$root/tests/hostile/gen.sh" "$CORPUS" "$(dirname "$(bpffs_bin)")/examples" \
		>"$BATS_FILE_TMPDIR/gen.log" 2>&1 || true
	echo 0 >"$BATS_FILE_TMPDIR/count"
}

teardown_file() {
	local n
	n=$(cat "$BATS_FILE_TMPDIR/count" 2>/dev/null || echo 0)
	echo "# hostile inputs tried: $n" >&3
	[ -z "${HOSTILE_COUNT_FILE:-}" ] || echo "$n" >"$HOSTILE_COUNT_FILE"
	bpffs_unmount
}

setup() {
	bpffs_require_mount
	[ -d "$CORPUS/elf/must-fail" ] || skip "corpus not generated: $(cat "$BATS_FILE_TMPDIR/gen.log")"
	BAD=()
	TRIED=0
}

# Errors a user can act on. EIO, ENOTCONN, ECONNABORTED and ENOSYS are not.
CLEAR='Invalid argument|Permission denied|Argument list too long|Operation not supported|Operation not permitted|No such file or directory|File exists|File name too long|Cannot allocate memory|Bad message|Not a directory|Is a directory|Numerical result out of range|No space left on device|Exec format error|Device or resource busy|Directory not empty|Invalid or incomplete multibyte'

alive() {
	kill -0 "$DAEMON_PID" 2>/dev/null && mountpoint -q "$MNT"
}

# note INPUT WHY: record a bad outcome; fail_if_bad fails the test listing them
note() {
	BAD+=("$1: $2")
}

fail_if_bad() {
	local n
	n=$(cat "$BATS_FILE_TMPDIR/count")
	echo $((n + TRIED)) >"$BATS_FILE_TMPDIR/count"
	echo "# $TRIED inputs" >&3
	if [ "${#BAD[@]}" -gt 0 ]; then
		printf '%s\n' "${BAD[@]}" | head -40
		return 1
	fi
}

# after INPUT: the daemon must live on; stop the test at once if it died
after() {
	TRIED=$((TRIED + 1))
	if ! alive; then
		note "$1" "daemon dead or mount gone after this input"
		tail -30 "$DAEMON_LOG"
		fail_if_bad
		return 1
	fi
	if ! ls "$MNT/progs" "$MNT/maps" >/dev/null 2>"$BATS_TEST_TMPDIR/ls.err"; then
		note "$1" "listing fails after this input: $(head -1 "$BATS_TEST_TMPDIR/ls.err")"
		fail_if_bad
		return 1
	fi
}

# clear_failure INPUT STATUS OUTPUT: the command must have failed clearly
clear_failure() {
	if [ "$2" -eq 0 ]; then
		note "$1" "accepted"
	elif ! grep -qE "$CLEAR" <<<"$3"; then
		note "$1" "unclear error: $3"
	fi
}

snapshot() {	# the visible state: names of objects, programs and maps
	ls -A "$MNT/progs" "$MNT/maps"
}

@test "malformed ELF objects and bad bytecode are refused clearly and change nothing" {
	local f i=0 before
	before=$(snapshot)
	for f in "$CORPUS"/elf/must-fail/*; do
		i=$((i + 1))
		run cp "$f" "$MNT/progs/hostile$i.o"
		clear_failure "$(basename "$f")" "$status" "$output"
		if [ "$status" -eq 0 ]; then	# unload it, or its names mask the next inputs
			rm -f "$MNT/progs/hostile$i.o"
			after "$(basename "$f")" || return 1
			continue
		fi
		after "$(basename "$f")" || return 1
		[ ! -e "$MNT/progs/hostile$i.o" ] || note "$(basename "$f")" "object visible after a failed load"
		grep -q "^hostile$i.o: load failed" "$MNT/progs/.log" ||
			note "$(basename "$f")" "no reason in progs/.log"
		[ "$(snapshot)" = "$before" ] || { note "$(basename "$f")" "tree changed"; before=$(snapshot); }
	done
	[ "$i" -gt 90 ]
	fail_if_bad
}

@test "an empty object file is refused, not silently ignored" {
	run cp "$CORPUS/elf/empty.o" "$MNT/progs/empty.o"
	TRIED=1
	after empty.o || return 1
	assert_failure
	assert_output --regexp "$CLEAR"
	[ ! -e "$MNT/progs/empty.o" ]
	fail_if_bad
}

@test "bit-flipped real objects either load or fail clearly, and unload cleanly" {
	local f i=0 before loaded=0
	before=$(snapshot)
	for f in "$CORPUS"/elf/may-load/*; do
		i=$((i + 1))
		run cp "$f" "$MNT/progs/flip$i.o"
		if [ "$status" -eq 0 ]; then
			loaded=$((loaded + 1))
			run rm "$MNT/progs/flip$i.o"
			[ "$status" -eq 0 ] || note "$(basename "$f")" "loaded but rm failed: $output"
		else
			clear_failure "$(basename "$f")" "$status" "$output"
		fi
		after "$(basename "$f")" || return 1
		[ "$(snapshot)" = "$before" ] || { note "$(basename "$f")" "tree changed"; before=$(snapshot); }
	done
	echo "# $loaded of $i loaded despite the damage" >&3
	[ "$i" -gt 90 ]
	fail_if_bad
}

# check_map DIR EXPECTED: the map holds exactly these "key=value" lines
map_dump() {
	local k
	for k in $(ls "$1" | sort); do
		echo "$k=$(cat "$1/$k")"
	done
}

@test "malformed values and keys are refused and the map keeps its entries" {
	local v m="$MNT/maps/hostile_u64" x="$MNT/maps/hostile_hex" want wantx
	mkdir "$m" && echo 'type=hash key=u32 value=u64 max_entries=8' >"$m/.info"
	mkdir "$x" && echo 'type=array key=4 value=4 max_entries=2' >"$x/.info"
	echo 7 >"$m/1"
	echo '01 02 03 04' >"$x/00000000"
	want=$(map_dump "$m")
	wantx=$(map_dump "$x")
	while IFS= read -r v; do
		for k in 1 2; do	# an existing entry and a new one
			run bash -c 'printf "%b\n" "$1" >"$2"' _ "$v" "$m/$k"
			clear_failure "u64 value '$v' -> $k" "$status" "$output"
			after "u64 value '$v'" || return 1
		done
		[ "$(map_dump "$m")" = "$want" ] || { note "u64 value '$v'" "map changed"; want=$(map_dump "$m"); }
	done <"$CORPUS/values-u64"
	while IFS= read -r v; do
		run bash -c 'printf "%b\n" "$1" >"$2"' _ "$v" "$x/00000000"
		clear_failure "hex value '$v'" "$status" "$output"
		after "hex value '$v'" || return 1
		[ "$(map_dump "$x")" = "$wantx" ] || { note "hex value '$v'" "map changed"; wantx=$(map_dump "$x"); }
	done <"$CORPUS/values-hex4"
	while IFS= read -r v; do
		run bash -c 'echo 5 >"$1"' _ "$m/$v"
		clear_failure "u32 key '$v'" "$status" "$output"
		after "u32 key '$v'" || return 1
		[ "$(map_dump "$m")" = "$want" ] || { note "u32 key '$v'" "map changed"; want=$(map_dump "$m"); }
	done <"$CORPUS/keys-u32"
	rm -rf "$m" "$x" 2>/dev/null || true
	fail_if_bad
}

@test "odd names for maps, objects and entries fail clearly or work end to end" {
	local raw n obj before m="$MNT/maps/hostile_names"
	obj="$(dirname "$(bpffs_bin)")/examples/packet_counter.bpf.o"
	mkdir "$m" && echo 'type=hash key=u32 value=u32 max_entries=8' >"$m/.info"
	echo 3 >"$m/3"
	before=$(snapshot)
	while IFS= read -r raw; do
		n=$(printf '%b' "$raw")
		# a map directory of that name
		run mkdir "$MNT/maps/$n"
		if [ "$status" -eq 0 ]; then
			run bash -c 'echo "type=array key=4 value=4 max_entries=1" >"$1/.info"' _ "$MNT/maps/$n"
			[ "$status" -eq 0 ] || note "mkdir '$raw'" "map dir made but spec refused: $output"
			ls -A "$MNT/maps" | grep -qxF -- "$n" || note "mkdir '$raw'" "not listed"
			run rmdir "$MNT/maps/$n"
			[ "$status" -eq 0 ] || run rm -rf "$MNT/maps/$n"
		else
			clear_failure "mkdir '$raw'" "$status" "$output"
		fi
		after "mkdir '$raw'" || return 1
		# an object of that name ("." and ".." name directories: cp would
		# copy into them under the object's own name, which is not the point)
		if [ "$n" != . ] && [ "$n" != .. ]; then
			run cp "$obj" "$MNT/progs/$n"
			if [ "$status" -eq 0 ]; then
				run rm "$MNT/progs/$n"
				[ "$status" -eq 0 ] || note "cp '$raw'" "loaded but rm failed: $output"
			else
				clear_failure "cp '$raw'" "$status" "$output"
			fi
			after "cp '$raw'" || return 1
		fi
		# an entry of that name (no name here is a u32)
		run bash -c 'echo 9 >"$1"' _ "$m/$n"
		clear_failure "entry '$raw'" "$status" "$output"
		after "entry '$raw'" || return 1
		[ "$(snapshot)" = "$before" ] || { note "'$raw'" "tree changed"; before=$(snapshot); }
		[ "$(map_dump "$m")" = "3=3" ] || note "entry '$raw'" "map changed"
	done <"$CORPUS/names"
	rm -rf "$m" 2>/dev/null || true
	fail_if_bad
}
