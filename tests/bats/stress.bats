#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Filesystem stress and leaks (issue 9), bounded in time for `make test`;
# `make stress` sets STRESS_SECS=60 and STRESS_CYCLES=5000.
#  - shells load and unload objects, echo into and rm map entries and list
#    directories concurrently for STRESS_SECS (default 4); afterwards the
#    daemon is alive, no shell saw an unexpected error, every entry a shell
#    owns holds what it last wrote; FS operations per second are printed;
#  - STRESS_CYCLES (default 1000) load/unload cycles through cp/rm leak no
#    file descriptor (/proc/PID/fd) and at most STRESS_RSS_KB (default 2048)
#    of resident memory after a warm-up; the figures are printed.

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
	SECS=${STRESS_SECS:-4}
	CYCLES=${STRESS_CYCLES:-1000}
}

# shells write their op and error counts here: "OPS ERRS"
result() {
	echo "$1 $2" >"$BATS_TEST_TMPDIR/res.$3"
}

loader_shell() {	# $1 = object, $2 = id
	local ops=0 errs=0 end=$((SECONDS + SECS))
	while [ "$SECONDS" -lt "$end" ]; do
		cp "$1" "$MNT/progs/" 2>/dev/null || errs=$((errs + 1))
		rm "$MNT/progs/$(basename "$1")" 2>/dev/null || errs=$((errs + 1))
		ops=$((ops + 2))
	done
	result "$ops" "$errs" "$2"
}

entry_shell() {	# $1 = first key of this shell's range, $2 = id
	local ops=0 errs=0 end=$((SECONDS + SECS)) k v n=0
	while [ "$SECONDS" -lt "$end" ]; do
		k=$(($1 + n % 50))
		v=$((n * 13 + $1))
		echo "$v" >"$MNT/maps/stress/$k" 2>/dev/null || errs=$((errs + 1))
		[ "$(cat "$MNT/maps/stress/$k" 2>/dev/null)" = "$v" ] || errs=$((errs + 1))
		if [ $((n % 3)) -eq 0 ]; then
			rm "$MNT/maps/stress/$k" 2>/dev/null || errs=$((errs + 1))
			echo "$k gone" >>"$BATS_TEST_TMPDIR/log.$2"
		else
			echo "$k $v" >>"$BATS_TEST_TMPDIR/log.$2"
		fi
		ops=$((ops + 2 + (n % 3 == 0)))
		n=$((n + 1))
	done
	result "$ops" "$errs" "$2"
}

lister_shell() {	# $1 = id
	local ops=0 errs=0 end=$((SECONDS + SECS))
	while [ "$SECONDS" -lt "$end" ]; do
		ls "$MNT/progs" "$MNT/maps" >/dev/null 2>&1 || errs=$((errs + 1))
		ls "$MNT/maps/stress" >/dev/null 2>&1 || errs=$((errs + 1))
		cat "$MNT/maps/stress/.info" >/dev/null 2>&1 || errs=$((errs + 1))
		ops=$((ops + 3))
	done
	result "$ops" "$errs" "$1"
}

@test "concurrent loads, unloads, echo, rm and ls: no error, nothing lost" {
	local pids=() f ops=0 errs=0 k v
	mkdir "$MNT/maps/stress"
	echo 'type=hash key=u32 value=u64 max_entries=1024' >"$MNT/maps/stress/.info"
	loader_shell "$EX/packet_counter.bpf.o" l1 & pids+=($!)
	loader_shell "$EX/xdp_firewall.bpf.o" l2 & pids+=($!)
	entry_shell 100 e1 & pids+=($!)
	entry_shell 200 e2 & pids+=($!)
	lister_shell s1 & pids+=($!)
	wait "${pids[@]}"
	kill -0 "$DAEMON_PID"
	for f in "$BATS_TEST_TMPDIR"/res.*; do
		read -r o e <"$f"
		echo "# $(basename "$f"): $o ops, $e errors" >&3
		ops=$((ops + o)); errs=$((errs + e))
	done
	echo "# $ops FS operations in $SECS s: $((ops / SECS)) ops/s" >&3
	[ "$errs" -eq 0 ]
	# each shell owns its keys: the last thing it did to a key is what is there
	local bad=0
	while read -r k v; do
		have=$(cat "$MNT/maps/stress/$k" 2>/dev/null || echo gone)
		[ "$have" = "$v" ] || { echo "key $k: have $have, expected $v"; bad=$((bad + 1)); }
	done < <(cat "$BATS_TEST_TMPDIR"/log.* | awk '{ last[$1] = $2 } END { for (k in last) print k, last[k] }')
	[ "$bad" -eq 0 ]
}

fd_count() {
	ls "/proc/$DAEMON_PID/fd" | wc -l
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"
}

@test "1000 load/unload cycles leak no fd and no memory" {
	local i fd0 fd1 rss0 rss1 obj="$EX/packet_counter.bpf.o"
	for i in $(seq 20); do	# warm-up: allocator arenas, JIT pages, caches
		cp "$obj" "$MNT/progs/" && rm "$MNT/progs/packet_counter.bpf.o"
	done
	fd0=$(fd_count); rss0=$(rss_kb)
	for i in $(seq "$CYCLES"); do
		cp "$obj" "$MNT/progs/" || { echo "cp failed at cycle $i"; false; }
		rm "$MNT/progs/packet_counter.bpf.o" || { echo "rm failed at cycle $i"; false; }
	done
	sleep 0.2	# RCU-deferred frees
	fd1=$(fd_count); rss1=$(rss_kb)
	echo "# $CYCLES cycles: fds $fd0 -> $fd1, RSS $rss0 -> $rss1 kB ($((rss1 - rss0)) kB)" >&3
	[ "$fd1" -le "$fd0" ]
	[ $((rss1 - rss0)) -le "${STRESS_RSS_KB:-2048}" ]
}

# le_u64 "6b 05 00 ...": a little-endian value as cat prints it
le_u64() {
	local b=($1) i v=0
	[[ "$1" =~ ^[0-9]+$ ]] && { echo "$1"; return; }	# BTF __u64: decimal
	for ((i = 7; i >= 0; i--)); do v=$(((v << 8) | 16#${b[i]})); done
	echo "$v"
}

@test "timer programs fire while shells churn: the atomic counter equals the runs" {
	[ -d "$MNT/hooks/timer" ] || skip "no hooks/timer in this build"
	local pids=() runs count f o e ops=0
	rm -f "$BATS_TEST_TMPDIR"/res.*
	cp "$EX/sampler.bpf.o" "$MNT/progs/"
	mkdir -p "$MNT/hooks/timer/1ms" "$MNT/hooks/timer/3ms"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/1ms/"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/3ms/"
	mkdir -p "$MNT/maps/stress2"
	echo 'type=hash key=u32 value=u64 max_entries=1024' >"$MNT/maps/stress2/.info"
	loader_shell "$EX/packet_counter.bpf.o" l1 & pids+=($!)
	lister_shell s1 & pids+=($!)
	wait "${pids[@]}"
	rm "$MNT/hooks/timer/1ms/sample" "$MNT/hooks/timer/3ms/sample"	# no run after this
	kill -0 "$DAEMON_PID"
	runs=$(awk '$1 == "run_cnt:" { print $2 }' "$MNT/progs/sample/stats")
	count=$(le_u64 "$(cat "$MNT/maps/samples/0")")
	for f in "$BATS_TEST_TMPDIR"/res.*; do read -r o e <"$f"; ops=$((ops + o)); [ "$e" -eq 0 ]; done
	echo "# $SECS s: $runs timer runs ($((runs / SECS)) events/s) during $ops FS ops ($((ops / SECS)) ops/s); counter $count" >&3
	[ "$runs" -gt 0 ]
	[ "$count" -eq "$runs" ]
	rmdir "$MNT/hooks/timer/1ms" "$MNT/hooks/timer/3ms"
	rm "$MNT/progs/sampler.bpf.o"
}

@test "a socket filter on lo counts pings while shells churn: counters sum exactly to the runs" {
	[ "$(id -u)" -eq 0 ] || skip "AF_PACKET needs root"
	local pids=() f o e ops=0 runs sum icmp tx rx drops id
	rm -f "$BATS_TEST_TMPDIR"/res.*
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/" || skip "cannot attach to lo"
	loader_shell "$EX/xdp_firewall.bpf.o" l1 & pids+=($!)
	lister_shell s1 & pids+=($!)
	ping -q -i 0.01 -w "$SECS" 127.0.0.1 >"$BATS_TEST_TMPDIR/ping.out" & pids+=($!)
	wait "${pids[@]}" || true	# ping's status says whether every reply came
	sleep 0.2	# the ring's last block (1 ms timeout) and the worker
	id=$(ls "$MNT/links")
	drops=$(awk '$1 == "ring_drops:" { print $2 }' "$MNT/links/$id")
	rm "$MNT/hooks/socket/lo/count_packets"	# no run after this
	kill -0 "$DAEMON_PID"
	runs=$(awk '$1 == "run_cnt:" { print $2 }' "$MNT/progs/count_packets/stats")
	sum=0
	for f in "$MNT"/maps/pkt_count/*; do
		[ -f "$f" ] || continue
		sum=$((sum + $(sed 's/.*"packets": \([0-9]*\).*/\1/' "$f")))
	done
	icmp=$(sed 's/.*"packets": \([0-9]*\).*/\1/' "$MNT/maps/pkt_count/1")
	read -r tx rx < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$BATS_TEST_TMPDIR/ping.out")
	for f in "$BATS_TEST_TMPDIR"/res.*; do read -r o e <"$f"; ops=$((ops + o)); [ "$e" -eq 0 ]; done
	echo "# $SECS s: $runs socket runs ($((runs / SECS)) events/s), $tx pings, $rx replies, ICMP frames $icmp, ring drops $drops, during $ops FS ops ($((ops / SECS)) ops/s)" >&3
	[ "$tx" -gt 0 ]
	[ "$sum" -eq "$runs" ]	# one atomic increment per run, every run counted
	# each echo request and reply crosses lo twice (out, in); other ICMP on lo only adds
	[ $((icmp + drops)) -ge $((2 * (tx + rx))) ]
	rm "$MNT/progs/packet_counter.bpf.o"
}
