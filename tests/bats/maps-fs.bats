#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Maps as files: `mkdir maps/NAME` + a one-line spec written to .info creates
# a map; entries are files named by their key (cat / echo / rm); .info shows
# the map's attributes live; listing pages through the keys. One mount per
# file; each test makes its own maps with unique names.

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
}

# mkmap NAME SPEC: create maps/NAME from a spec line
mkmap() {
	mkdir "$MNT/maps/$1" && echo "$2" >"$MNT/maps/$1/.info"
}

@test "mkdir makes a map directory waiting for its spec" {
	run -0 mkdir "$MNT/maps/pending1"
	[ -d "$MNT/maps/pending1" ]
	run -0 ls -A "$MNT/maps/pending1"
	assert_output ".info"
	run -0 cat "$MNT/maps/pending1/.info"
	assert_output --partial "state: no spec yet"
	run -0 rmdir "$MNT/maps/pending1"
	[ ! -e "$MNT/maps/pending1" ]
}

@test "writing a spec to .info creates the map with those attributes" {
	mkmap counts 'type=hash key=u32 value=u64 max_entries=1024'
	run -0 cat "$MNT/maps/counts/.info"
	assert_line "name: counts"
	assert_line "type: hash"
	assert_line "key_size: 4"
	assert_line "value_size: 8"
	assert_line "max_entries: 1024"
	assert_line "entries: 0"
	assert_line "key_format: u32"
	assert_line "value_format: u64"
	run -0 ls "$MNT/maps"
	assert_line "counts"
}

@test "a bad spec fails with EINVAL and .info tells why" {
	mkdir "$MNT/maps/badspec"
	run -1 --separate-stderr bash -c "echo 'type=nosuch key=4' > '$MNT/maps/badspec/.info'"
	[[ "$stderr" == *"Invalid argument"* ]]
	run -0 cat "$MNT/maps/badspec/.info"
	assert_output --partial "last error: spec: unknown map type 'nosuch'"
	run -1 bash -c "echo 'type=hash key=4 value=4 max_entries=0' > '$MNT/maps/badspec/.info'"
	run -0 cat "$MNT/maps/badspec/.info"
	assert_output --partial "max_entries"
}

@test "the spec of a live map cannot be rewritten" {
	mkmap fixed 'type=hash key=4 value=4 max_entries=4'
	run -1 --separate-stderr bash -c "echo 'type=array key=4 value=4 max_entries=4' > '$MNT/maps/fixed/.info'"
	[[ "$stderr" == *"File exists"* ]]
	run -0 grep -x "type: hash" "$MNT/maps/fixed/.info"
}

@test "mkdir of an existing map name fails with EEXIST" {
	mkmap dup 'type=hash key=4 value=4 max_entries=4'
	run -1 mkdir "$MNT/maps/dup"
	assert_output --partial "File exists"
}

@test "files cannot be created directly in maps/" {
	run -1 touch "$MNT/maps/plainfile"
	assert_output --partial "Operation not permitted"
}

@test "echo creates an entry, cat prints it, echo again updates it" {
	mkmap kv 'type=hash key=u32 value=u64 max_entries=16'
	echo 5 >"$MNT/maps/kv/42"
	run -0 cat "$MNT/maps/kv/42"
	assert_output "5"
	echo 18446744073709551615 >"$MNT/maps/kv/42"
	run -0 cat "$MNT/maps/kv/42"
	assert_output "18446744073709551615"
	run -0 grep -x "entries: 1" "$MNT/maps/kv/.info"
}

@test "ls lists the keys in decimal next to .info" {
	mkmap lst 'type=hash key=u32 value=u32 max_entries=16'
	for k in 3 1 2; do echo "$k" >"$MNT/maps/lst/$k"; done
	run -0 bash -c "ls '$MNT/maps/lst' | sort -n"
	assert_output "$(printf '1\n2\n3')"
	run -0 ls -A "$MNT/maps/lst"
	assert_line ".info"
}

@test "a missing key gives ENOENT for cat and rm" {
	mkmap miss 'type=hash key=u32 value=u32 max_entries=4'
	run -1 cat "$MNT/maps/miss/7"
	assert_output --partial "No such file or directory"
	run -1 rm "$MNT/maps/miss/7"
	assert_output --partial "No such file or directory"
	run -1 cat "$MNT/maps/miss/not-a-number"
	assert_output --partial "No such file or directory"
}

@test "rm deletes an entry" {
	mkmap del 'type=hash key=u32 value=u32 max_entries=4'
	echo 1 >"$MNT/maps/del/9"
	run -0 rm "$MNT/maps/del/9"
	[ ! -e "$MNT/maps/del/9" ]
	run -0 grep -x "entries: 0" "$MNT/maps/del/.info"
}

@test "a malformed value fails with EINVAL and the old value stays" {
	mkmap bad 'type=hash key=u32 value=u32 max_entries=4'
	echo 11 >"$MNT/maps/bad/1"
	run -1 --separate-stderr bash -c "echo banana > '$MNT/maps/bad/1'"
	[[ "$stderr" == *"Invalid argument"* ]]
	run -1 bash -c "echo 4294967296 > '$MNT/maps/bad/1'"
	run -0 cat "$MNT/maps/bad/1"
	assert_output "11"
}

@test "a key that cannot be a key is refused with EINVAL on create" {
	mkmap badkey 'type=hash key=u32 value=u32 max_entries=4'
	run -1 --separate-stderr bash -c "echo 1 > '$MNT/maps/badkey/xyz'"
	[[ "$stderr" == *"Invalid argument"* ]]
}

@test "a full hash map refuses a new key with E2BIG and keeps the others" {
	mkmap full 'type=hash key=u32 value=u32 max_entries=2'
	echo 1 >"$MNT/maps/full/1"
	echo 2 >"$MNT/maps/full/2"
	run -1 --separate-stderr bash -c "echo 3 > '$MNT/maps/full/3'"
	[[ "$stderr" == *"Argument list too long"* ]]
	run -0 cat "$MNT/maps/full/2"
	assert_output "2"
	echo 22 >"$MNT/maps/full/2"	# updating an existing key still works
	run -0 cat "$MNT/maps/full/2"
	assert_output "22"
}

@test "noclobber (O_EXCL) creates a new key but refuses an existing one" {
	mkmap excl 'type=hash key=u32 value=u32 max_entries=4'
	run -0 bash -c "set -o noclobber; echo 1 > '$MNT/maps/excl/5'"
	run -1 bash -c "set -o noclobber; echo 2 > '$MNT/maps/excl/5'"
	run -0 cat "$MNT/maps/excl/5"
	assert_output "1"
}

@test "an array map lists every index, refuses rm and out-of-range keys" {
	mkmap arr 'type=array key=4 value=4 max_entries=3'
	run -0 ls "$MNT/maps/arr"
	assert_output "$(printf '0\n1\n2')"
	run -0 cat "$MNT/maps/arr/1"
	assert_output "00 00 00 00"
	run -1 rm "$MNT/maps/arr/1"
	assert_output --partial "Invalid argument"
	run -1 --separate-stderr bash -c "echo 1 > '$MNT/maps/arr/3'"
	[[ "$stderr" == *"Argument list too long"* ]]
}

@test "hex values print as bytes and read back what cat printed" {
	mkmap hx 'type=array key=4 value=4 max_entries=2'
	echo '01 02 0a ff' >"$MNT/maps/hx/0"
	run -0 cat "$MNT/maps/hx/0"
	assert_output "01 02 0a ff"
	cat "$MNT/maps/hx/0" >"$MNT/maps/hx/1"
	run -0 cat "$MNT/maps/hx/1"
	assert_output "01 02 0a ff"
	echo 0x10 >"$MNT/maps/hx/1"	# one number in host byte order
	run -0 cat "$MNT/maps/hx/1"
	assert_output "10 00 00 00"
}

@test "hex keys name entries by their raw bytes" {
	mkmap hk 'type=hash key=6 value=u8 max_entries=4'
	echo 7 >"$MNT/maps/hk/0a00000100ff"
	run -0 ls "$MNT/maps/hk"
	assert_output "0a00000100ff"
	run -0 cat "$MNT/maps/hk/0A00000100FF"
	assert_output "7"
	run -1 bash -c "echo 1 > '$MNT/maps/hk/0a00'"
}

@test "signed values keep their sign" {
	mkmap sg 'type=hash key=u32 value=s32 max_entries=4'
	echo -5 >"$MNT/maps/sg/1"
	run -0 cat "$MNT/maps/sg/1"
	assert_output "-5"
}

@test "a per-CPU map prints one line per CPU and takes one value for all" {
	mkmap pc 'type=percpu_hash key=u32 value=u32 max_entries=4'
	echo 3 >"$MNT/maps/pc/1"
	run -0 cat "$MNT/maps/pc/1"
	assert_line "cpu0: 3"
	assert_line "cpu1: 3"
	cat "$MNT/maps/pc/1" | sed 's/cpu0: 3/cpu0: 9/' >"$MNT/maps/pc/1"
	run -0 cat "$MNT/maps/pc/1"
	assert_line "cpu0: 9"
	assert_line "cpu1: 3"
}

@test "stat reports the size of the rendered value" {
	mkmap sz 'type=hash key=u32 value=u64 max_entries=4'
	echo 12345 >"$MNT/maps/sz/1"
	run -0 stat -c %s "$MNT/maps/sz/1"
	assert_output "6"
}

@test "rmdir removes a map and its name can be reused" {
	mkmap gone 'type=hash key=u32 value=u32 max_entries=4'
	echo 1 >"$MNT/maps/gone/1"
	run -0 rmdir "$MNT/maps/gone"
	[ ! -e "$MNT/maps/gone" ]
	mkmap gone 'type=array key=4 value=8 max_entries=2'
	run -0 grep -x "type: array" "$MNT/maps/gone/.info"
}

@test "values are never stale: a second reader sees each update" {
	mkmap live 'type=hash key=u32 value=u32 max_entries=4'
	local v	# not $i: bats' run uses that name
	for v in 1 2 3 4 5; do
		echo "$v" >"$MNT/maps/live/1"
		run -0 cat "$MNT/maps/live/1"
		assert_output "$v"
	done
}

@test "ls of 20000 entries lists them all, paging through readdir" {
	mkmap big 'type=hash key=u32 value=u32 max_entries=20000'
	for ((i = 0; i < 20000; i++)); do echo 1 >"$MNT/maps/big/$i"; done
	run -0 bash -c "ls -f '$MNT/maps/big' | grep -cv '^\\.'"
	assert_output "20000"
	run -0 bash -c "ls -f '$MNT/maps/big' | grep -v '^\\.' | sort -n | uniq | wc -l"
	assert_output "20000"
	run -0 grep -x "entries: 20000" "$MNT/maps/big/.info"
}

@test "concurrent writers to one entry leave a value one of them wrote" {
	mkmap conc 'type=hash key=u32 value=u64 max_entries=4'
	for w in 1 2 3 4; do
		(for ((i = 0; i < 200; i++)); do echo "$w$i" >"$MNT/maps/conc/7"; done) &
	done
	wait
	run -0 cat "$MNT/maps/conc/7"
	assert_output --regexp '^[1-4]199$'
	run -0 grep -x "entries: 1" "$MNT/maps/conc/.info"
}
