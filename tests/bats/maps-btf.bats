#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Typed map entries (issue 7, "Map entries"): a map made by an object with
# BTF names integer keys in decimal and shows values in bpftool's JSON form;
# what cat printed is accepted back by echo, the hex form always works, and
# malformed text fails with EINVAL leaving the old value.
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
	TB="$(dirname "$(bpffs_bin)")/tests/bpf"
	for o in packet_counter sampler; do
		[ -f "$EX/$o.bpf.o" ] || skip "no $EX/$o.bpf.o (make bpf-objs)"
		[ -e "$MNT/progs/$o.bpf.o" ] || cp "$EX/$o.bpf.o" "$MNT/progs/"
	done
	PC="$MNT/maps/pkt_count"
}

@test "a struct value written as JSON reads back as the same JSON under a decimal key" {
	echo '{"packets": 5, "bytes": 100}' >"$PC/6"
	run -0 ls "$PC"
	assert_line "6"
	refute_line "06000000"
	run -0 cat "$PC/6"
	assert_output '{"packets": 5, "bytes": 100}'
	rm "$PC/6"
}

@test "what cat printed is accepted back by echo" {
	echo '{"bytes": 0x20, "packets": 3}' >"$PC/7"	# any order, hex numbers
	run -0 cat "$PC/7"
	assert_output '{"packets": 3, "bytes": 32}'
	cat "$PC/7" >"$PC/8"
	run -0 cat "$PC/8"
	assert_output '{"packets": 3, "bytes": 32}'
	echo '{"bytes": 9}' >"$PC/8"			# missing members are zero
	run -0 cat "$PC/8"
	assert_output '{"packets": 0, "bytes": 9}'
	rm "$PC/7" "$PC/8"
}

@test "malformed JSON fails with EINVAL and leaves the old value" {
	echo '{"packets": 1, "bytes": 2}' >"$PC/9"
	for bad in '{"packets": x}' '{"packets": 1' '{"nosuch": 1}' \
		   '{"packets": 18446744073709551616}' '[1, 2]' 'hello' '{"packets": 1} 5'; do
		run -1 bash -c "echo '$bad' >'$PC/9'"
		assert_output --partial "Invalid argument"
	done
	run -0 cat "$PC/9"
	assert_output '{"packets": 1, "bytes": 2}'
	rm "$PC/9"
}

@test "the hex byte form always works" {
	echo '05 00 00 00 00 00 00 00 64 00 00 00 00 00 00 00' >"$PC/10"
	run -0 cat "$PC/10"
	assert_output '{"packets": 5, "bytes": 100}'
	rm "$PC/10"
}

@test "a __u64 array shows plain decimal numbers" {
	run -0 cat "$MNT/maps/samples/0"
	assert_output "0"
	echo 7 >"$MNT/maps/samples/1"
	run -0 cat "$MNT/maps/samples/1"
	assert_output "7"
	echo '08 00 00 00 00 00 00 00' >"$MNT/maps/samples/1"
	run -0 cat "$MNT/maps/samples/1"
	assert_output "8"
	run -1 bash -c "echo seven >'$MNT/maps/samples/1'"
	run -0 cat "$MNT/maps/samples/1"
	assert_output "8"
}

@test ".info names the BTF key and value types" {
	run -0 cat "$PC/.info"
	assert_line "btf_key: __u32"
	assert_line "btf_value: struct proto_stats"
	assert_line "key_format: u32"
	assert_line "value_format: btf"
	run -0 cat "$MNT/maps/samples/.info"
	assert_line "btf_value: __u64"
}

@test "global data maps show their DATASEC as bpftool does: section, list of variables" {
	[ -f "$TB/multi.bpf.o" ] || skip "no $TB/multi.bpf.o"
	[ -e "$MNT/progs/multi.bpf.o" ] || cp "$TB/multi.bpf.o" "$MNT/progs/"
	run -0 cat "$MNT/maps/multi.data/0"
	assert_output '{".data": [{"hits": 7}]}'
	echo '{"zeroed": 42}' >"$MNT/maps/multi.bss/0"		# the flat form is accepted too
	run -0 cat "$MNT/maps/multi.bss/0"
	assert_output '{".bss": [{"zeroed": 42}]}'
	run -0 grep -x "btf_value: datasec .bss" "$MNT/maps/multi.bss/.info"
}

@test "a section of several variables prints each one at its symbol's offset" {
	[ -f "$TB/globals.bpf.o" ] || skip "no $TB/globals.bpf.o"
	[ -e "$MNT/progs/globals.bpf.o" ] || cp "$TB/globals.bpf.o" "$MNT/progs/"
	local D="$MNT/maps/globals.data"
	run -0 cat "$D/0"
	assert_output '{".data": [{"counter": 3}, {"name": "abc"}, {"origin": {"x": -1, "y": 2}}, {"hidden": 9}]}'
	run -0 cat "$MNT/maps/globals.rodata/0"
	assert_output '{".rodata": [{"k1": 1}, {"k2": "xy"}]}'
	# a test run bumps counter and hidden: the program and the file agree on offsets
	printf 'abc' >"$MNT/progs/globals_bump/run"
	run -0 cat "$D/0"
	assert_output '{".data": [{"counter": 4}, {"name": "abc"}, {"origin": {"x": -1, "y": 2}}, {"hidden": 10}]}'
	run -0 cat "$MNT/maps/globals.bss/0"
	assert_output '{".bss": [{"zero2": 130}, {"zero1": 0}]}'	# hidden 10 + k1 1 + k2[0] 'x' 120 + origin.x -1
	# what cat printed goes back, edited
	cat "$D/0" | sed 's/"counter": 4/"counter": 40/; s/"abc"/"xyz"/' >"$BATS_TEST_TMPDIR/v"
	cp "$BATS_TEST_TMPDIR/v" "$D/0"
	run -0 cat "$D/0"
	assert_output '{".data": [{"counter": 40}, {"name": "xyz"}, {"origin": {"x": -1, "y": 2}}, {"hidden": 10}]}'
	run -1 bash -c "echo '{\".data\": [{\"nosuch\": 1}]}' >'$D/0'"
	assert_output --partial "Invalid argument"
	run -0 cat "$D/0"
	assert_output --partial '{"counter": 40}'
	run -1 bash -c "echo '{\"k1\": 5}' >'$MNT/maps/globals.rodata/0'"	# frozen
}

load_typed() {
	[ -f "$TB/typed.bpf.o" ] || skip "no $TB/typed.bpf.o"
	[ -e "$MNT/progs/typed.bpf.o" ] || cp "$TB/typed.bpf.o" "$MNT/progs/"
}

@test "signed keys, char arrays, bit fields and _Bool round-trip" {
	load_typed
	echo '{"delta": -5, "name": "eth0", "flags": 5, "mode": 31, "on": true}' \
		>"$MNT/maps/typed_kv/-3"
	run -0 ls "$MNT/maps/typed_kv"
	assert_line -- "-3"
	run -0 cat "$MNT/maps/typed_kv/-3"
	assert_output '{"delta": -5, "name": "eth0", "flags": 5, "mode": 31, "on": true}'
	run -1 bash -c "echo '{\"flags\": 8}' >'$MNT/maps/typed_kv/-3'"	# 3 bits
	run -1 bash -c "echo '{\"name\": \"much too long\"}' >'$MNT/maps/typed_kv/-3'"
	run -0 cat "$MNT/maps/typed_kv/-3"
	assert_output '{"delta": -5, "name": "eth0", "flags": 5, "mode": 31, "on": true}'
	run -0 grep -x "key_format: s32" "$MNT/maps/typed_kv/.info"
}

@test "per-CPU maps keep one cpuN line per CPU, each typed" {
	load_typed
	local P="$MNT/maps/typed_pcpu/1" n
	echo '{"delta": 2, "name": "lo"}' >"$P"		# one value for every CPU
	run -0 cat "$P"
	assert_line --index 0 'cpu0: {"delta": 2, "name": "lo", "flags": 0, "mode": 0, "on": false}'
	n=${#lines[@]}
	[ "$n" -ge 1 ]
	# cat's lines with one CPU changed are accepted back
	cat "$P" | sed 's/^cpu0: {"delta": 2/cpu0: {"delta": -7/' >"$BATS_TEST_TMPDIR/v"
	cp "$BATS_TEST_TMPDIR/v" "$P"
	run -0 cat "$P"
	assert_line --index 0 'cpu0: {"delta": -7, "name": "lo", "flags": 0, "mode": 0, "on": false}'
	[ "$n" -eq 1 ] || assert_line --index 1 'cpu1: {"delta": 2, "name": "lo", "flags": 0, "mode": 0, "on": false}'
}
