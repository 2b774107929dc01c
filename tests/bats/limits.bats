#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Per-mount resource limits given as mount options (issue 9,
# docs/reliability.md): reaching one fails the cp or the map spec with
# E2BIG / ENOMEM and says which limit; a bad limit refuses to mount.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'

bats_require_minimum_version 1.5.0

setup_file() {
	bpffs_mount -o max_progs=1,max_maps=3,map_mem=2M,max_insns=4096
}

teardown_file() {
	bpffs_unmount
}

setup() {
	bpffs_require_mount
	EX="$(dirname "$(bpffs_bin)")/examples"
}

@test "a second object over max_progs fails with E2BIG and .log names the limit" {
	run -0 cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	run -1 cp "$EX/xdp_firewall.bpf.o" "$MNT/progs/"
	assert_output --partial "Argument list too long"
	run -0 cat "$MNT/progs/.log"
	assert_output --partial "max_progs=1"
	[ ! -e "$MNT/progs/xdp_firewall.bpf.o" ]
	run -0 rm "$MNT/progs/packet_counter.bpf.o"
	run -0 cp "$EX/xdp_firewall.bpf.o" "$MNT/progs/"
	run -0 rm "$MNT/progs/xdp_firewall.bpf.o"
}

@test "a map over map_mem fails with ENOMEM and nothing is created" {
	mkdir "$MNT/maps/huge"
	run -1 --separate-stderr bash -c "echo 'type=array key=4 value=4096 max_entries=1024' > '$MNT/maps/huge/.info'"
	[[ "$stderr" == *"Cannot allocate memory"* ]]
	run -0 cat "$MNT/maps/huge/.info"
	assert_output --partial "limits"
	rmdir "$MNT/maps/huge"
	mkdir "$MNT/maps/small"
	run -0 bash -c "echo 'type=array key=4 value=4096 max_entries=16' > '$MNT/maps/small/.info'"
	run -0 rmdir "$MNT/maps/small"
}

@test "maps over max_maps fail with E2BIG" {
	local i
	for i in 1 2 3; do
		mkdir "$MNT/maps/lim$i"
		echo 'type=hash key=u32 value=u32 max_entries=4' >"$MNT/maps/lim$i/.info"
	done
	mkdir "$MNT/maps/lim4"
	run -1 --separate-stderr bash -c "echo 'type=hash key=u32 value=u32 max_entries=4' > '$MNT/maps/lim4/.info'"
	[[ "$stderr" == *"Argument list too long"* ]]
	rmdir "$MNT/maps/lim4"
	for i in 1 2 3; do rmdir "$MNT/maps/lim$i"; done
	[ ! -e "$MNT/maps/lim1" ]
}

@test "an unknown or malformed limit refuses to mount" {
	mkdir -p "$BATS_TEST_TMPDIR/m"
	run "$BIN" "$BATS_TEST_TMPDIR/m" -f -o map_mem=12Q
	assert_failure 2
	assert_output --partial "bad value in 'map_mem=12Q'"
	run "$BIN" "$BATS_TEST_TMPDIR/m" -f -o max_bogus=1
	assert_failure
	assert_output --partial "max_bogus"
}
