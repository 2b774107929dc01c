#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# XDP on the socket hook through the mount, with real traffic: two network
# namespaces A and B, each joined by a veth pair to this namespace (where the
# daemon and its hooks/socket/ live). A pings B; the echo requests reach the
# veth end RA here, where tests/bpf/xdp_forward.bpf.o runs. The program's
# mode map says what it does with them: redirect through a DEVMAP out of RB
# (B then counts them in IcmpInEchos), XDP_DROP (B counts nothing), or
# redirect through a CPUMAP to a worker (counted as cpumap_pass on the link).
# Needs root; skips when namespaces cannot be created. Every namespace and
# veth is removed in teardown, also after a failure.

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
	OBJ="$(dirname "$(bpffs_bin)")/tests/bpf/xdp_forward.bpf.o"
	[ -f "$OBJ" ] || skip "no $OBJ (make bpf-objs)"
	[ -e "$MNT/progs/xdp_forward" ] || cp "$OBJ" "$MNT/progs/" || {
		cat "$MNT/progs/.log" >&2
		false
	}
}

# need_net: the two namespaces and veth pairs, or skip
need_net() {
	[ "$(id -u)" = 0 ] || skip "veths, namespaces and AF_PACKET need root"
	command -v ping >/dev/null || skip "no ping"
	# short unique names: interface names have at most 15 bytes
	ID=$(( ($$ + BATS_TEST_NUMBER * 7919) % 100000 ))
	NSA="bpffs-xa-$ID" NSB="bpffs-xb-$ID"
	RA="bxra$ID" RB="bxrb$ID"
	NET="10.$(( ID % 200 + 20 )).$(( ID / 200 % 250 ))"
	make_net || skip "cannot create network namespaces and veths here"
}

teardown() {
	[ -n "${RA:-}" ] || return 0
	rm -f "$MNT/hooks/socket/$RA/xdp_forward" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip link del "$RA" 2>/dev/null
	ip link del "$RB" 2>/dev/null
	true
}

# A (NET.1 on xa0) <-> RA here;  B (NET.2 on xb0) <-> RB here. A knows B's MAC
# (no ARP needed across the one-way path); this namespace gives RA and RB no
# address and IPv6 is off there, so the kernel sends nothing of its own on RB.
make_net() {
	ip netns add "$NSA" 2>/dev/null && ip netns add "$NSB" 2>/dev/null || return 1
	ip link add "$RA" type veth peer name xa0 netns "$NSA" &&
	ip link add "$RB" type veth peer name xb0 netns "$NSB" || return 1
	sysctl -qw "net.ipv6.conf.$RA.disable_ipv6=1" "net.ipv6.conf.$RB.disable_ipv6=1"
	ip link set "$RA" up && ip link set "$RB" up &&
	ip -n "$NSA" addr add "$NET.1/24" dev xa0 && ip -n "$NSA" link set dev xa0 up &&
	ip -n "$NSB" addr add "$NET.2/24" dev xb0 && ip -n "$NSB" link set dev xb0 up || return 1
	local mac_b
	mac_b="$(ip netns exec "$NSB" cat /sys/class/net/xb0/address)" || return 1
	ip -n "$NSA" neigh replace "$NET.2" lladdr "$mac_b" dev xa0 nud permanent
}

# echo requests B received so far
b_echos() {
	ip netns exec "$NSB" awk '$1 == "Icmp:" { if (!c) { for (i = 2; i <= NF; i++)
		if ($i == "InEchos") c = i } else print $c }' /proc/net/snmp
}

# ping_b N: N echo requests from A to B (no replies come back: the path is one-way)
ping_b() {
	ip netns exec "$NSA" ping -q -n -c "$1" -i 0.05 -w "$(( $1 / 10 + 2 ))" "$NET.2" >/dev/null 2>&1 ||
		true
}

# link_id: the id of the link on RA (none: fails)
link_id() {
	local id
	for id in $(ls "$MNT/links"); do
		[ "$(awk '$1 == "target:" { print $2 }' "$MNT/links/$id" 2>/dev/null)" = "$RA" ] &&
			{ echo "$id"; return 0; }
	done
	return 1
}

# link_field KEY: a "key: value" line of the link on RA
link_field() {
	awk -v k="$1:" '$1 == k { print $2 }' "$MNT/links/$(link_id)"
}

# at_least KEY N: the link's KEY counter reaches N within 5 s
at_least() {
	local i
	for i in $(seq 100); do
		[ "$(link_field "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "# $1 is $(link_field "$1"), wanted $2" >&3
	return 1
}

# echos_reach N: B counted N echo requests within 5 s
echos_reach() {
	local i
	for i in $(seq 100); do
		[ "$(b_echos)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "# B received $(b_echos) echo requests, wanted $1" >&3
	return 1
}

@test "xdp: a DEVMAP redirect forwards A's pings to B; switched to XDP_DROP, nothing passes" {
	need_net
	echo 0 >"$MNT/maps/xdp_mode/0"
	echo "$(cat "/sys/class/net/$RB/ifindex")" >"$MNT/maps/tx_ports/0"
	run -0 cat "$MNT/maps/tx_ports/0"
	assert_output --partial "$(cat "/sys/class/net/$RB/ifindex")"
	# without the program nothing crosses: the kernel does not forward here
	e0="$(b_echos)"
	ping_b 5
	[ "$(b_echos)" = "$e0" ]

	run -0 ln -s "$MNT/progs/xdp_forward" "$MNT/hooks/socket/$RA/"
	sleep 0.2
	ping_b 20
	at_least xdp_redirect 20
	echos_reach $((e0 + 20))            # every request crossed (the program forwards all)
	e1="$(b_echos)"
	[ "$(link_field xdp_errors)" = 0 ]

	echo 1 >"$MNT/maps/xdp_mode/0"
	sleep 0.1
	ping_b 20
	at_least xdp_drop 20
	sleep 0.3
	[ "$(b_echos)" = "$e1" ]            # dropped: not one more reached B

	echo 0 >"$MNT/maps/xdp_mode/0"      # and back: traffic passes again
	ping_b 5
	echos_reach $((e1 + 5))
}

@test "xdp: a CPUMAP redirect hands frames to the worker set with echo QSIZE" {
	need_net
	echo 2 >"$MNT/maps/xdp_mode/0"
	echo 64 >"$MNT/maps/cpus/0"
	run -0 cat "$MNT/maps/cpus/0"
	assert_output --partial "64"
	run -0 ln -s "$MNT/progs/xdp_forward" "$MNT/hooks/socket/$RA/"
	sleep 0.2
	e0="$(b_echos)"
	ping_b 20
	at_least cpumap_pass 20
	[ "$(link_field cpumap_drops)" = 0 ]
	[ "$(link_field xdp_redirect)" -ge 20 ]
	[ "$(b_echos)" = "$e0" ]            # a cpumap pass transmits nothing
	# qsize 0 deletes the entry: bpf_redirect_map then returns its flags (XDP_ABORTED)
	echo 0 >"$MNT/maps/cpus/0"
	run -1 cat "$MNT/maps/cpus/0"
	p="$(link_field cpumap_pass)"
	ping_b 5
	at_least xdp_aborted 5
	[ "$(link_field cpumap_pass)" = "$p" ]
	# more than the kernel's limit of 16384 frames is refused
	run -1 bash -c "echo 16385 > '$MNT/maps/cpus/0'"
	kill -0 "$DAEMON_PID"
}

@test "xdp: attach and detach while frames flow; forwarding stops after detach" {
	need_net
	echo 0 >"$MNT/maps/xdp_mode/0"
	echo "$(cat "/sys/class/net/$RB/ifindex")" >"$MNT/maps/tx_ports/0"
	ip netns exec "$NSA" ping -q -n -i 0.01 -w 4 "$NET.2" >/dev/null 2>&1 &
	flow=$!
	for i in $(seq 10); do
		ln -s "$MNT/progs/xdp_forward" "$MNT/hooks/socket/$RA/"
		sleep 0.1
		rm "$MNT/hooks/socket/$RA/xdp_forward"
		sleep 0.05
	done
	wait "$flow" || true
	[ -z "$(link_id)" ]
	e0="$(b_echos)"
	[ "$e0" -gt 0 ]                     # some crossed while attached
	ping_b 10
	sleep 0.3
	[ "$(b_echos)" = "$e0" ]            # none after the last detach
	kill -0 "$DAEMON_PID"
}

@test "xdp: an XDP program on a timer fails with EINVAL and says why" {
	mkdir -p "$MNT/hooks/timer/25ms"
	run -1 ln -s "$MNT/progs/xdp_forward" "$MNT/hooks/timer/25ms/"
	assert_output --partial "Invalid argument"
	run -0 cat "$MNT/hooks/.log"
	assert_output --partial "program 'xdp_forward' has type xdp; hooks/timer does not run that type"
	rmdir "$MNT/hooks/timer/25ms"
}
