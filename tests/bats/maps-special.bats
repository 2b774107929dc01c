#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Special maps from the shell: a ring buffer's records read from
# maps/NAME/stream (live, blocking, O_NONBLOCK -> EAGAIN, Ctrl-C ends it),
# PROG_ARRAY slots set, read and cleared by program name, queue and stack
# maps through push / pop / peek (typed by BTF: tests/bpf/streams.bpf.o). The
# ring buffer is filled by the event_log example on inotify events; prog
# arrays use the tail_dispatch example.

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
}

mkmap() {
	mkdir "$MNT/maps/$1" && echo "$2" >"$MNT/maps/$1/.info"
}

# load OBJ: copy $EX/OBJ.bpf.o into progs/ once
load_obj() {
	local obj="$1.bpf.o"
	[ -f "$EX/$obj" ] || skip "no $EX/$obj (make bpf-objs)"
	[ -e "$MNT/progs/$obj" ] && return 0
	cp "$EX/$obj" "$MNT/progs/" || { cat "$MNT/progs/.log" >&2; return 1; }
}

# map_u64 FILE: the first 8 bytes of a value as a number (decimal or hex bytes)
map_u64() {
	local v
	v="$(cat "$1")" || return 1
	if [[ "$v" =~ ^[0-9]+$ ]]; then
		echo "$v"
		return 0
	fi
	set -- $v
	echo $((16#${8}${7}${6}${5}${4}${3}${2}${1}))
}

# ---- queue and stack ---------------------------------------------------------

@test "a queue map lists push, pop and peek and pops in FIFO order" {
	mkmap q1 'type=queue value=u32 max_entries=8'
	run -0 ls "$MNT/maps/q1"
	assert_output "$(printf 'peek\npop\npush')"
	echo 10 >"$MNT/maps/q1/push"
	printf '20\n30\n' >"$MNT/maps/q1/push"
	run -0 cat "$MNT/maps/q1/peek"
	assert_output "10"
	run -0 cat "$MNT/maps/q1/pop"
	assert_output "10"
	run -0 cat "$MNT/maps/q1/pop"
	assert_output "20"
	run -0 cat "$MNT/maps/q1/pop"
	assert_output "30"
}

@test "a stack map pops in LIFO order" {
	mkmap s1 'type=stack value=u64 max_entries=8'
	for v in 1 2 3; do
		echo "$v" >"$MNT/maps/s1/push"
	done
	run -0 cat "$MNT/maps/s1/pop"
	assert_output "3"
	run -0 cat "$MNT/maps/s1/peek"
	assert_output "2"
	run -0 cat "$MNT/maps/s1/pop"
	assert_output "2"
	run -0 cat "$MNT/maps/s1/pop"
	assert_output "1"
}

@test "pop and peek of an empty queue fail with ENOENT" {
	mkmap q2 'type=queue value=u32 max_entries=2'
	run -1 cat "$MNT/maps/q2/pop"
	assert_output --partial "No such file or directory"
	run -1 cat "$MNT/maps/q2/peek"
	assert_output --partial "No such file or directory"
	echo 5 >"$MNT/maps/q2/push"
	run -0 cat "$MNT/maps/q2/pop"
	assert_output "5"
	run -1 cat "$MNT/maps/q2/pop"
}

@test "pushing onto a full queue fails with E2BIG, a malformed value with EINVAL" {
	mkmap q3 'type=queue value=u32 max_entries=2'
	echo 1 >"$MNT/maps/q3/push"
	echo 2 >"$MNT/maps/q3/push"
	run -1 bash -c "echo 3 > '$MNT/maps/q3/push'"
	assert_output --partial "Argument list too long"
	run -1 bash -c "echo nope > '$MNT/maps/q3/push'"
	assert_output --partial "Invalid argument"
	run -0 cat "$MNT/maps/q3/pop"
	assert_output "1"
	run -0 cat "$MNT/maps/q3/pop"
	assert_output "2"
}

@test "a value without a newline is pushed at close" {
	mkmap q4 'type=queue value=u32 max_entries=4'
	printf '42' >"$MNT/maps/q4/push"
	run -0 cat "$MNT/maps/q4/pop"
	assert_output "42"
}

@test "four shells pushing at once: every value is popped exactly once" {
	mkmap q5 'type=queue value=u32 max_entries=1024'
	for w in 1 2 3 4; do
		( for i in $(seq 50); do echo $((w * 1000 + i)) >"$MNT/maps/q5/push"; done ) &
	done
	wait
	out="$BATS_TEST_TMPDIR/popped"
	while cat "$MNT/maps/q5/pop" 2>/dev/null; do :; done >"$out"
	run -0 wc -l <"$out"
	assert_output "200"
	run -0 bash -c "sort -n '$out' | uniq | wc -l"
	assert_output "200"
	# each writer's values come out in the order it pushed them
	for w in 1 2 3 4; do
		run -0 bash -c "awk '\$1 > $w*1000 && \$1 < ($w+1)*1000' '$out' | sort -c -n"
	done
}

# ---- ring buffer stream ------------------------------------------------------

@test "a ring buffer map shows a stream file; reading it empty with O_NONBLOCK is EAGAIN" {
	mkmap rb1 'type=ringbuf max_entries=4096'
	run -0 ls "$MNT/maps/rb1"
	assert_output "stream"
	run -1 dd if="$MNT/maps/rb1/stream" iflag=nonblock bs=4096 count=1
	assert_output --partial "Resource temporarily unavailable"
}

@test "reading an empty ring buffer's stream blocks, and Ctrl-C ends it" {
	mkmap rb2 'type=ringbuf max_entries=4096'
	run -124 timeout 0.5 cat "$MNT/maps/rb2/stream"
	assert_output ""
	( trap - INT; exec cat "$MNT/maps/rb2/stream" >/dev/null ) 3>&- &
	local reader=$!
	sleep 0.3
	kill -0 "$reader"
	kill -INT "$reader"
	wait_for bash -c "! kill -0 $reader 2>/dev/null" || { kill "$reader"; false; }
}

@test "stopping the daemon (SIGTERM) ends a reader blocked in a stream" {
	local m2="$BATS_TEST_TMPDIR/m2"
	mkdir -p "$m2"
	"$BIN" "$m2" -f 3>&- 2>"$BATS_TEST_TMPDIR/d2.log" &
	local pid2=$!
	wait_for mountpoint -q "$m2"
	mkmap_at() { mkdir "$m2/maps/$1" && echo "$2" >"$m2/maps/$1/.info"; }
	mkmap_at rbt 'type=ringbuf max_entries=4096'
	cat "$m2/maps/rbt/stream" >/dev/null 2>&1 3>&- &
	local reader=$!
	sleep 0.3
	kill -0 "$reader"
	kill -TERM "$pid2"
	wait "$pid2" || fail "daemon exited with status $?"
	run ! mountpoint -q "$m2"
	wait_for bash -c "! kill -0 $reader 2>/dev/null" || { kill "$reader"; fail "reader still blocked"; }
}

@test "event_log: inotify events come out of the stream live, one record per line in hex" {
	load_obj event_log
	dir="$BATS_TEST_TMPDIR/watched"
	mkdir -p "$dir"
	hook="$MNT/hooks/inotify/$(systemd-escape --path "$dir")"
	mkdir "$hook"
	ln -s "$MNT/progs/log_event" "$hook/"
	out="$BATS_TEST_TMPDIR/stream.out"
	cat "$MNT/maps/events/stream" >"$out" 3>&- &
	local reader=$!
	sleep 0.3
	touch "$dir/hello"                          # IN_CREATE (0x100) among others
	wait_for grep -q '^00 01 00 00 05 00 00 00 68 65 6c 6c 6f' "$out"
	kill "$reader"
	# struct event { u32 mask; u32 name_len; char name[32]; }: 40 bytes a line
	run -0 awk 'NF != 40 { bad = 1 } END { exit bad }' "$out"
	# consumed: nothing left for the next reader
	rm "$hook/log_event"
	rmdir "$hook"
	run -1 dd if="$MNT/maps/events/stream" iflag=nonblock bs=4096 count=1
	assert_output --partial "Resource temporarily unavailable"
}

@test "poll on the stream waits for a record, then reports it readable" {
	load_obj event_log
	dir="$BATS_TEST_TMPDIR/polled"
	mkdir -p "$dir"
	hook="$MNT/hooks/inotify/$(systemd-escape --path "$dir")"
	mkdir "$hook"
	ln -s "$MNT/progs/log_event" "$hook/"
	out="$BATS_TEST_TMPDIR/poll.out"
	python3 - "$MNT/maps/events/stream" >"$out" 2>&1 3>&- <<-'EOF' &
		import os, select, sys
		fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
		p = select.poll()
		p.register(fd, select.POLLIN)
		print("first", p.poll(300), flush=True)
		print("second", p.poll(5000), flush=True)
		print(os.read(fd, 4096).decode().split("\n")[0][:11])
	EOF
	local poller=$!
	wait_for grep -q '^first' "$out"
	touch "$dir/f"
	wait "$poller"
	rm "$hook/log_event"
	rmdir "$hook"
	run -0 cat "$out"
	assert_line "first []"
	assert_line --regexp '^second \[\([0-9]+, 1\)\]$'
	assert_line "00 01 00 00"
}

# load_streams: tests/bpf/streams.bpf.o (queue "job_queue" of struct job, stack
# "delta_stack" of __s32, ring buffer "job_ring" declared with records of struct job)
load_streams() {
	local tb
	tb="$(dirname "$(bpffs_bin)")/tests/bpf"
	[ -f "$tb/streams.bpf.o" ] || skip "no $tb/streams.bpf.o (make bpf-objs)"
	[ -e "$MNT/progs/streams.bpf.o" ] && return 0
	cp "$tb/streams.bpf.o" "$MNT/progs/" || { cat "$MNT/progs/.log" >&2; return 1; }
}

@test "queues and stacks with BTF pop, peek and push values in bpftool's JSON form" {
	load_streams
	while cat "$MNT/maps/job_queue/pop" >/dev/null 2>&1; do :; done
	while cat "$MNT/maps/delta_stack/pop" >/dev/null 2>&1; do :; done
	printf 'abcde' >"$MNT/progs/push_job/run"		# pushes job 5 "net", delta -5
	run -0 cat "$MNT/maps/job_queue/peek"
	assert_output '{"id": 5, "name": "net"}'
	printf '{"id": 7, "name": "disk"}\n{"name": "x"}\n' >"$MNT/maps/job_queue/push"
	run -0 cat "$MNT/maps/job_queue/pop"
	assert_output '{"id": 5, "name": "net"}'
	run -0 cat "$MNT/maps/job_queue/pop"
	assert_output '{"id": 7, "name": "disk"}'
	run -0 cat "$MNT/maps/job_queue/pop"
	assert_output '{"id": 0, "name": "x"}'
	echo '-9' >"$MNT/maps/delta_stack/push"
	run -0 cat "$MNT/maps/delta_stack/pop"
	assert_output "-9"
	run -0 cat "$MNT/maps/delta_stack/pop"
	assert_output "-5"
	run -0 grep -x "value_format: btf" "$MNT/maps/job_queue/.info"
}

@test "typed queue push: the hex form works, malformed JSON fails with EINVAL" {
	load_streams
	while cat "$MNT/maps/job_queue/pop" >/dev/null 2>&1; do :; done
	echo '03 00 00 00 61 62 00 00 00 00 00 00' >"$MNT/maps/job_queue/push"
	run -0 cat "$MNT/maps/job_queue/pop"
	assert_output '{"id": 3, "name": "ab"}'
	run -1 bash -c "echo '{\"nosuch\": 1}' >'$MNT/maps/job_queue/push'"
	assert_output --partial "Invalid argument"
	run -1 cat "$MNT/maps/job_queue/pop"			# nothing was pushed
	assert_output --partial "No such file or directory"
}

@test "a ring buffer declared with a record type streams its records as JSON" {
	load_streams
	timeout 0.3 cat "$MNT/maps/job_ring/stream" >/dev/null || true	# drain
	printf 'abcdef' >"$MNT/progs/push_job/run"
	printf 'abcdefgh' >"$MNT/progs/push_job/run"
	run -124 timeout 0.5 cat "$MNT/maps/job_ring/stream"
	assert_output "$(printf '{"id": 6, "name": "net"}\n{"id": 8, "name": "net"}')"
	run -0 grep -x "btf_value: struct job" "$MNT/maps/job_ring/.info"
}

@test "poll on a perf event array's stream waits for bpf_perf_event_output" {
	load_streams
	run -0 python3 - "$MNT/maps/job_perf/stream" "$MNT/progs/push_job/run" <<-'EOF'
		import os, select, sys, threading, time
		fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)	# opens the rings
		try:
		    os.read(fd, 65536)		# drain
		except BlockingIOError:
		    pass
		p = select.poll()
		p.register(fd, select.POLLIN)
		print("empty", p.poll(300))
		def run():
		    time.sleep(0.5)
		    with open(sys.argv[2], "wb") as f:
		        f.write(b"abcd")
		threading.Thread(target=run).start()
		t = time.time()
		ev = p.poll(5000)
		print("ready", [e & select.POLLIN for _, e in ev], "waited", time.time() - t >= 0.4)
		print(os.read(fd, 4096).decode().strip())
	EOF
	assert_line "empty []"
	assert_line "ready [1] waited True"
	assert_line "04 00 00 00 6e 65 74 00 00 00 00 00"
}

@test "a perf event array lists only .info and stream; an empty stream is EAGAIN non-blocking" {
	mkmap pe1 'type=perf_event_array key=4 value=4 max_entries=4'
	run -0 ls -A "$MNT/maps/pe1"
	assert_output "$(printf '.info\nstream')"
	run -1 dd if="$MNT/maps/pe1/stream" iflag=nonblock bs=4096 count=1
	assert_output --partial "Resource temporarily unavailable"
	run -124 timeout 0.5 cat "$MNT/maps/pe1/stream"
}

@test "the stream is read-only" {
	mkmap rb3 'type=ringbuf max_entries=4096'
	run -1 bash -c "echo x > '$MNT/maps/rb3/stream'"
	assert_output --partial "Permission denied"
}

# ---- PROG_ARRAY slots ---------------------------------------------------------

@test "prog array slots show the program names the object put there; empty slots are not listed" {
	load_obj tail_dispatch
	run -0 ls "$MNT/maps/jmp_table"
	assert_output "$(printf '1\n17')"
	run -0 cat "$MNT/maps/jmp_table/1"
	assert_output "handle_icmp"
	run -0 cat "$MNT/maps/jmp_table/17"
	assert_output "handle_udp"
	run -1 cat "$MNT/maps/jmp_table/3"
	assert_output --partial "No such file or directory"
}

@test "echo NAME sets a prog array slot, cat reads it, rm clears it" {
	load_obj tail_dispatch
	run -0 bash -c "echo handle_udp > '$MNT/maps/jmp_table/3'"
	run -0 cat "$MNT/maps/jmp_table/3"
	assert_output "handle_udp"
	run -0 bash -c "echo handle_icmp > '$MNT/maps/jmp_table/3'"
	run -0 cat "$MNT/maps/jmp_table/3"
	assert_output "handle_icmp"
	run -0 ls "$MNT/maps/jmp_table"
	assert_line "3"
	run -0 rm "$MNT/maps/jmp_table/3"
	run -1 cat "$MNT/maps/jmp_table/3"
	run -1 rm "$MNT/maps/jmp_table/3"
	assert_output --partial "No such file or directory"
}

@test "an unknown program is ENOENT, a wrong-type program EINVAL, a slot past the end E2BIG" {
	load_obj tail_dispatch
	load_obj xdp_firewall
	run -1 bash -c "echo no_such_prog > '$MNT/maps/jmp_table/4'"
	assert_output --partial "No such file or directory"
	run -1 bash -c "echo xdp_firewall > '$MNT/maps/jmp_table/4'"
	assert_output --partial "Invalid argument"
	run -1 cat "$MNT/maps/jmp_table/4"
	run -1 bash -c "echo handle_udp > '$MNT/maps/jmp_table/256'"
	assert_output --partial "Argument list too long"
	run -0 cat "$MNT/maps/jmp_table/17"
	assert_output "handle_udp"
}

@test "a slot set from the shell is where the tail call goes (TCP on lo -> handle_udp)" {
	[ -d "$MNT/hooks/socket/lo" ] || skip "no lo interface"
	[ "$(id -u)" = 0 ] || skip "AF_PACKET needs root (CAP_NET_RAW)"
	load_obj tail_dispatch
	ln -s "$MNT/progs/dispatch" "$MNT/hooks/socket/lo/"
	# a TCP SYN to a closed port on lo (and its RST) go through the hook
	tcp_lo() {
		for i in 1 2 3; do
			timeout 1 bash -c "echo > /dev/tcp/127.0.0.1/9" 2>/dev/null || true
		done
	}
	# slot 6 (IPPROTO_TCP) empty: the tail call falls through to count 0
	none="$(map_u64 "$MNT/maps/dispatch_count/0")"
	before="$(map_u64 "$MNT/maps/dispatch_count/2")"
	tcp_lo
	for i in $(seq 50); do
		[ "$(map_u64 "$MNT/maps/dispatch_count/0")" -gt "$none" ] && break
		sleep 0.1
	done
	[ "$(map_u64 "$MNT/maps/dispatch_count/0")" -gt "$none" ]
	[ "$(map_u64 "$MNT/maps/dispatch_count/2")" -eq "$before" ]
	echo handle_udp >"$MNT/maps/jmp_table/6"
	tcp_lo
	for i in $(seq 50); do
		[ "$(map_u64 "$MNT/maps/dispatch_count/2")" -gt "$before" ] && break
		sleep 0.1
	done
	[ "$(map_u64 "$MNT/maps/dispatch_count/2")" -gt "$before" ]
	rm "$MNT/hooks/socket/lo/dispatch"
	rm "$MNT/maps/jmp_table/6"
}
