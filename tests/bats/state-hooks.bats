#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# State directory, hooks part (issue 9): hook directories made with mkdir
# and links made with ln -s come back in a new daemon started with the same
# --state DIR, after a clean unmount and after kill -9 (DIR/hooks is written
# before mkdir/rmdir/ln/rm return), and the programs run again; what was
# detached or removed stays so; a link that cannot be re-made is reported
# and the rest comes back. Each test starts and stops its own daemons.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'test_helper/mount'
load 'test_helper/state'

bats_require_minimum_version 1.5.0

FLUSH_MS=50

setup() {
	state_setup
	WATCHED="$BATS_TEST_TMPDIR/watched"
	mkdir -p "$WATCHED"
	W="$MNT/hooks/inotify/$(systemd-escape --path "$WATCHED")"
}

teardown() {
	stop_daemon
}

# u64 "6b 05 00 ..." (little-endian hex) or decimal, as cat prints it
le_u64() {
	local b=($1) i v=0
	[[ "$1" =~ ^[0-9]+$ ]] && { echo "$1"; return; }
	for ((i = 7; i >= 0; i--)); do v=$(((v << 8) | 16#${b[i]})); done
	echo "$v"
}

runs() {
	le_u64 "$(cat "$MNT/maps/samples/0")"
}

# the timer program runs again: its counter grows by ~20 runs in 0.3 s at 10 ms
assert_sampling() {
	local c1 c2
	c1=$(runs)
	sleep 0.3
	c2=$(runs)
	echo "# counter $c1 -> $c2" >&3
	[ "$c2" -gt $((c1 + 5)) ]
}

# load sampler and file_activity, a 10ms timer and an inotify watch, both attached
make_hooks() {
	cp "$EX/sampler.bpf.o" "$EX/file_activity.bpf.o" "$MNT/progs/"
	mkdir "$MNT/hooks/timer/10ms" "$MNT/hooks/timer/1s" "$W"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/10ms/"
	ln -s "$MNT/progs/file_activity" "$W/"
}

assert_hooks_back() {
	run -0 readlink "$MNT/hooks/timer/10ms/sample"
	assert_output "../../../progs/sample"
	run -0 readlink "$W/file_activity"
	assert_output "../../../progs/file_activity"
	[ -d "$MNT/hooks/timer/1s" ]	# a directory without links comes back too
	run -0 ls "$MNT/links"
	[ "${#lines[@]}" -eq 2 ]
	grep -q "restored 3 hook directories (0 failed), 2 links (0 failed)" "$LOG"
	assert_sampling
	# the inotify program runs again: one create counted
	local c0
	c0=$(le_u64 "$(cat "$MNT/maps/file_events/0")")
	touch "$WATCHED/new.$RANDOM"
	sleep 0.2
	[ "$(le_u64 "$(cat "$MNT/maps/file_events/0")")" -eq $((c0 + 1)) ]
}

@test "hook directories and links come back after a clean unmount; programs run again" {
	start_daemon
	make_hooks
	assert_sampling
	stop_daemon
	start_daemon
	assert_hooks_back
}

@test "hook directories and links come back after kill -9 right after ln -s" {
	start_daemon
	make_hooks
	crash_daemon	# no wait: DIR/hooks was written before ln returned
	start_daemon
	assert_hooks_back
}

@test "the counter goes on from the saved value: nothing lost on clean unmount" {
	local before after
	start_daemon
	cp "$EX/sampler.bpf.o" "$MNT/progs/"
	mkdir "$MNT/hooks/timer/10ms"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/10ms/"
	sleep 0.5
	stop_daemon	# links are stopped before the last flush
	before=$(le_u64 "$(od -An -tx1 -j $(($(stat -c %s "$STATE/maps/samples.map") - 32 - 3 * 12 + 4)) -N 8 "$STATE/maps/samples.map")")
	start_daemon
	after=$(runs)
	echo "# saved $before, first read after restart $after" >&3
	[ "$before" -gt 0 ]
	[ "$after" -ge "$before" ]
}

@test "detach and rmdir stay done after kill -9" {
	start_daemon
	make_hooks
	rm "$MNT/hooks/timer/10ms/sample"
	rmdir "$MNT/hooks/timer/10ms"
	rm "$MNT/links/$(ls "$MNT/links")"	# the inotify link, through links/
	crash_daemon
	start_daemon
	[ ! -e "$MNT/hooks/timer/10ms" ]
	[ -d "$MNT/hooks/timer/1s" ]
	[ -d "$W" ]
	run -0 ls "$MNT/links"
	assert_output ""
	grep -q "restored 2 hook directories (0 failed), 0 links (0 failed)" "$LOG"
}

@test "a link that cannot be re-made is reported; the others come back" {
	start_daemon
	make_hooks
	stop_daemon
	rmdir "$WATCHED"	# the inotify target is gone
	start_daemon
	grep -q "hook hooks/inotify/.* cannot be restored: No such file or directory" "$LOG"
	grep -q "link hooks/inotify/.*/file_activity cannot be restored" "$LOG"
	grep -q "restored 2 hook directories (1 failed), 1 links (1 failed)" "$LOG"
	ls "$STATE"/failed/hooks.*
	run -0 readlink "$MNT/hooks/timer/10ms/sample"
	assert_sampling
}

@test "a socket filter on lo is re-attached (root)" {
	[ "$(id -u)" -eq 0 ] || skip "AF_PACKET needs CAP_NET_RAW"
	start_daemon
	cp "$EX/packet_counter.bpf.o" "$MNT/progs/"
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/" || skip "cannot attach to lo"
	crash_daemon
	start_daemon
	run -0 readlink "$MNT/hooks/socket/lo/count_packets"
	ping -c 3 -i 0.05 -q 127.0.0.1 >/dev/null
	sleep 0.1
	run -0 cat "$MNT/maps/pkt_count/1"	# ICMP frames counted by the re-attached filter
	assert_output --regexp '"packets": [1-9]'
}

@test "a damaged hooks file is set aside; objects and maps still come back" {
	start_daemon
	make_hooks
	stop_daemon
	sed -i 's/10ms/20ms/' "$STATE/hooks"
	start_daemon
	grep -q "hooks is damaged; no hook or link is restored" "$LOG"
	ls "$STATE"/failed/hooks.*
	run -0 ls "$MNT/progs"
	assert_line sample
	run -0 ls "$MNT/links"
	assert_output ""
}

@test "kill -9 at random moments under load: links back, maps whole, counters within the window" {
	local kills=${STATE_KILLS:-5} k c_before c_after lost=0 inwin=0 p1 last i v writer
	start_daemon
	cp "$EX/sampler.bpf.o" "$MNT/progs/"
	mkdir "$MNT/hooks/timer/2ms" "$MNT/maps/kv"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/2ms/"
	echo 'type=hash key=u32 value=u64 max_entries=100000' >"$MNT/maps/kv/.info"
	echo 0 >"$BATS_TEST_TMPDIR/progress"
	for k in $(seq "$kills"); do
		(	# writer: key i = i * 5; progress holds the last acknowledged i
			i=$(cat "$BATS_TEST_TMPDIR/progress")
			while echo $(((i + 1) * 5)) 2>/dev/null >"$MNT/maps/kv/$((i + 1))"; do
				i=$((i + 1))
				echo "$i" >"$BATS_TEST_TMPDIR/progress.tmp"
				mv "$BATS_TEST_TMPDIR/progress.tmp" "$BATS_TEST_TMPDIR/progress"
			done
		) &
		writer=$!
		sleep "0.$((RANDOM % 7 + 2))"
		c_before=$(runs)			# counted more than a window before the kill
		p1=$(cat "$BATS_TEST_TMPDIR/progress")
		sleep 0.$((RANDOM % 3 + 2))		# 4..6 flush windows of 50 ms
		crash_daemon
		wait "$writer" 2>/dev/null || true
		last=$(cat "$BATS_TEST_TMPDIR/progress")
		start_daemon
		grep -q "maps (0 failed)" "$LOG"
		run -0 readlink "$MNT/hooks/timer/2ms/sample"
		c_after=$(runs)
		[ "$c_after" -ge "$c_before" ] || { echo "counter $c_before -> $c_after"; false; }
		for i in $(seq 1 "$p1"); do
			[ "$(cat "$MNT/maps/kv/$i" 2>/dev/null)" = $((i * 5)) ] || lost=$((lost + 1))
		done
		for i in $(seq $((p1 + 1)) "$last"); do	# written inside the window: whole or absent
			v=$(cat "$MNT/maps/kv/$i" 2>/dev/null) || { inwin=$((inwin + 1)); continue; }
			[ "$v" = $((i * 5)) ] || lost=$((lost + 1))
		done
		grep -x 'entries: [0-9]*' "$MNT/maps/kv/.info" | cut -d' ' -f2 >"$BATS_TEST_TMPDIR/progress"
	done
	echo "# $kills kills: last counter $c_after, $(cat "$BATS_TEST_TMPDIR/progress") entries;" \
		"lost or torn before the window: $lost, lost inside the 50 ms window: $inwin" >&3
	[ "$(grep -c "restored 1 hook directories (0 failed), 1 links (0 failed)" "$LOG")" -eq "$kills" ]
	[ "$lost" -eq 0 ]
	assert_sampling
}

@test "load, mkdir, attach, detach, rmdir, unload cycles with --state leak no fd, no memory, no file" {
	local i fd0 fd1 rss0 rss1 n=${STATE_CYCLES:-200} t0 t1
	start_daemon
	cycle() {
		cp "$EX/sampler.bpf.o" "$MNT/progs/" &&
		mkdir "$MNT/hooks/timer/5ms" &&
		ln -s "$MNT/progs/sample" "$MNT/hooks/timer/5ms/" &&
		rm "$MNT/hooks/timer/5ms/sample" &&
		rmdir "$MNT/hooks/timer/5ms" &&
		rm "$MNT/progs/sampler.bpf.o"
	}
	# warm-up: malloc arenas of the timer threads, caches; RSS levels off after a few hundred
	for i in $(seq "${STATE_WARMUP:-100}"); do cycle; done
	sleep 0.2
	fd0=$(ls "/proc/$PID/fd" | wc -l); rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	t0=$(date +%s%N)
	for i in $(seq "$n"); do cycle || { echo "cycle $i failed"; false; }; done
	t1=$(date +%s%N)
	sleep 0.3	# RCU-deferred frees, one flush
	fd1=$(ls "/proc/$PID/fd" | wc -l); rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	echo "# $n cycles (6 FS ops each) in $(((t1 - t0) / 1000000)) ms: fds $fd0 -> $fd1, RSS $rss0 -> $rss1 kB ($((rss1 - rss0)) kB)" >&3
	[ "$fd1" -le "$fd0" ]
	[ $((rss1 - rss0)) -le "${STRESS_RSS_KB:-2048}" ]
	run -0 ls -A "$STATE/objects" "$STATE/tmp"
	assert_output "$(printf '%s/objects:\n\n%s/tmp:' "$STATE" "$STATE")"
	run -0 grep -c . "$STATE/hooks"	# magic and digest lines only
	assert_output "2"
}
