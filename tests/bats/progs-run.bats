#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Test runs through the mount (BPF_PROG_TEST_RUN): bytes written to
# progs/NAME/run are the packet (XDP, socket filter) or the raw context
# (timer) of one run when the writer closes; `cat run` prints retval,
# duration_ns and, for packet programs, the data after the run; run_repeat
# sets a repeat count. Uses the compiled examples ($BUILD/examples).

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
	for o in xdp_firewall packet_counter sampler; do
		[ -f "$EX/$o.bpf.o" ] || skip "no $EX/$o.bpf.o (make bpf-objs)"
		[ -e "$MNT/progs/$o.bpf.o" ] || cp "$EX/$o.bpf.o" "$MNT/progs/"
	done
	FW="$MNT/progs/xdp_firewall"
}

# frame_hex SADDR [PROTO]: hex of a 34-byte Ethernet + IPv4 header frame from
# SADDR (8 hex digits) to 10.0.0.2, IP protocol PROTO (2 hex digits, ICMP 01)
frame_hex() {
	echo "020000000001020000000002""0800""4500001400000000""40${2:-01}0000""$1""0a000002"
}

# is_u64 N: $output is the u64 value N (< 256), in decimal (BTF) or hex bytes
is_u64() {
	[[ "$output" == "$1" || "$output" == "$(printf '%02x 00 00 00 00 00 00 00' "$1")" ]] ||
		fail "expected the u64 $1, got: $output"
}

@test "run and run_repeat are listed in a program's directory" {
	run -0 ls "$FW"
	assert_line run
	assert_line run_repeat
	run -0 cat "$FW/run_repeat"
	assert_output 1
}

@test "XDP on a short packet: retval XDP_PASS, data is exactly the input" {
	printf 'abc' >"$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 2"
	assert_line --regexp '^duration_ns: [0-9]+$'
	assert_line "data: 616263"
}

@test "XDP firewall drops a source address put in its blocked LPM map" {
	frame_hex 0a000001 | xxd -r -p >"$BATS_TEST_TMPDIR/pkt"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/pkt")" -eq 34 ]
	cp "$BATS_TEST_TMPDIR/pkt" "$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 2"
	assert_line "data: $(frame_hex 0a000001)"
	# key: prefixlen 32 (u32, little endian) then 10.0.0.1 (network order)
	echo 01000000 >"$MNT/maps/blocked/200000000a000001"
	before="$(cat "$MNT/maps/verdicts/1")"
	cp "$BATS_TEST_TMPDIR/pkt" "$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 1"
	run -0 cat "$MNT/maps/verdicts/1"
	refute_output "$before"
	# another source still passes
	frame_hex 0a000009 | xxd -r -p >"$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 2"
}

@test "socket filter packet_counter returns the length of an ICMP frame and counts it" {
	frame_hex 0a000005 | xxd -r -p >"$MNT/progs/count_packets/run"
	run -0 cat "$MNT/progs/count_packets/run"
	assert_line "retval: 34"
	assert_line "data: $(frame_hex 0a000005)"
	# key 1 (u32, named in decimal from the BTF); value: packets 1, bytes 34
	run -0 cat "$MNT/maps/pkt_count/1"
	assert_output '{"packets": 1, "bytes": 34}'
	# a TCP frame (protocol 6) is counted but not kept
	frame_hex 0a000005 06 | xxd -r -p >"$MNT/progs/count_packets/run"
	run -0 cat "$MNT/progs/count_packets/run"
	assert_line "retval: 0"
}

@test "timer program gets the bytes as its context, zero-padded" {
	# now_ns = 5, period_ns = 0, expirations = 3 (little endian u64s)
	printf '\x05\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0' >"$MNT/progs/sample/run"
	run -0 cat "$MNT/progs/sample/run"
	assert_line "retval: 0"
	refute_line --partial "data:"
	run -0 cat "$MNT/maps/samples/2"
	is_u64 5
	# only 8 bytes: expirations reads as 0, now_ns = 7
	printf '\x07\0\0\0\0\0\0\0' >"$MNT/progs/sample/run"
	run -0 cat "$MNT/maps/samples/2"
	is_u64 7
}

@test "run_repeat runs the program N times and reports the last run" {
	before="$(sed -n 's/^run_cnt: //p' "$FW/stats")"
	echo 50 >"$FW/run_repeat"
	run -0 cat "$FW/run_repeat"
	assert_output 50
	printf 'abcd' >"$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 2"
	after="$(sed -n 's/^run_cnt: //p' "$FW/stats")"
	[ "$((after - before))" -eq 50 ]
	echo 1 >"$FW/run_repeat"
	# tee reports the error close(2) returns (bash's `>` ignores it)
	run -1 --separate-stderr bash -c "echo 0 | tee '$FW/run_repeat'"
	[[ "$stderr" == *"Invalid argument"* ]]
	run -1 --separate-stderr bash -c "echo lots | tee '$FW/run_repeat'"
	run -1 --separate-stderr bash -c "echo 1000001 | tee '$FW/run_repeat'"
	run -0 cat "$FW/run_repeat"
	assert_output 1
}

@test "an empty packet fails with EINVAL at close, cat run says why" {
	run -1 --separate-stderr cp /dev/null "$FW/run"
	[[ "$stderr" == *"Invalid argument"* ]]
	run -0 cat "$FW/run"
	assert_output --partial "error: Invalid argument"
	refute_line --partial "retval:"
}

@test "more than 64 KiB fails with E2BIG, nothing runs" {
	head -c 65536 /dev/zero >"$BATS_TEST_TMPDIR/max"
	run -0 cp "$BATS_TEST_TMPDIR/max" "$FW/run"
	run -0 cat "$FW/run"
	assert_line "retval: 2"
	head -c 65537 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -1 --separate-stderr cp "$BATS_TEST_TMPDIR/big" "$FW/run"
	[[ "$stderr" == *"Argument list too long"* ]]
	run -0 cat "$FW/run"
	assert_output --partial "error: Argument list too long"
}

@test "a context longer than the program's is refused with EINVAL" {
	head -c 25 /dev/zero >"$BATS_TEST_TMPDIR/ctx"
	run -1 --separate-stderr cp "$BATS_TEST_TMPDIR/ctx" "$MNT/progs/sample/run"
	run -0 cat "$MNT/progs/sample/run"
	assert_output --partial "24 bytes"
}
