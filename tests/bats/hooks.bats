#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Hooks from the shell: mkdir of timer and inotify targets, socket targets
# listed from the system, `ln -s MNT/progs/NAME MNT/hooks/TYPE/TARGET/`
# attaches, readlink, rm (in the hook directory or in links/) detaches,
# rmdir with links is ENOTEMPTY, failures land in hooks/.log, and the socket
# capture stream is a pcap file tcpdump reads. Real events: timers, inotify
# on a temporary directory, ICMP on lo (sent with ping, or a raw socket from
# python3 when ping is absent). Uses the compiled examples ($BUILD/examples).

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
	[ -f "$EX/packet_counter.bpf.o" ] || skip "no $EX/packet_counter.bpf.o (make bpf-objs)"
}

# load OBJ: copy $EX/OBJ.bpf.o into progs/ once. A verifier that does not yet
# know the program type is a skip that says so; any other failure fails.
load_obj() {
	local obj="$1.bpf.o"
	[ -e "$MNT/progs/$obj" ] && return 0
	if ! cp "$EX/$obj" "$MNT/progs/" 2>/dev/null; then
		if grep -q "unsupported program type" "$MNT/progs/.log"; then
			skip "the verifier rejects $obj: $(grep -m1 unsupported "$MNT/progs/.log")"
		fi
		cat "$MNT/progs/.log" >&2
		return 1
	fi
}

# map_u64 FILE: the first 8 bytes of a value as a number (decimal or hex bytes)
map_u64() {
	local v
	v="$(cat "$1")" || return 1
	if [[ "$v" =~ ^[0-9]+$ ]]; then
		echo "$v"
		return 0
	fi
	if [[ "$v" =~ ^\{\"[a-z_]+\":\ ([0-9]+) ]]; then	# BTF: {"packets": 12, ...}
		echo "${BASH_REMATCH[1]}"
		return 0
	fi
	set -- $(echo "$v" | tr -d '[]{},"' | tr ' ' '\n' | grep -E '^(0x)?[0-9a-f]{2}$' | head -8 |
		sed 's/^0x//')
	echo $((16#${8}${7}${6}${5}${4}${3}${2}${1}))
}

# link_field ID KEY: one "key: value" line of links/ID
link_field() {
	awk -v k="$2:" '$1 == k { print $2 }' "$MNT/links/$1"
}

# link_id_of HOOKDIR NAME: the id of the link NAME in hooks/HOOKDIR
link_id_of() {
	local id
	for id in $(ls "$MNT/links"); do
		if [ "$(link_field "$id" prog)" = "$2" ] &&
		   [ "$(link_field "$id" target)" = "$(basename "$1")" ]; then
			echo "$id"
			return 0
		fi
	done
	return 1
}

# icmp N: N echo requests to 127.0.0.1
icmp() {
	if command -v ping >/dev/null; then
		ping -q -c "$1" -i 0.2 127.0.0.1 >/dev/null
	else
		python3 - "$1" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for i in range(int(sys.argv[1])):
    h = struct.pack('!BBHHH', 8, 0, 0, 0x4242, i) + b'bpffs-hk'
    s.sendto(struct.pack('!BBHHH', 8, 0, csum(h), 0x4242, i) + b'bpffs-hk', ('127.0.0.1', 0))
EOF
	fi
}

# no_entry DIR NAME: DIR lists no NAME
no_entry() {
	! ls -A "$1" | grep -qxF "$2"
}

need_icmp() {
	command -v ping >/dev/null && return 0
	command -v python3 >/dev/null || skip "no ping and no python3"
	[ "$(id -u)" = 0 ] || skip "raw ICMP socket needs root"
}

need_lo() {
	[ -d "$MNT/hooks/socket/lo" ] || skip "no lo interface"
	[ "$(id -u)" = 0 ] || skip "AF_PACKET needs root (CAP_NET_RAW)"
}

@test "hooks/ lists the hook types and .log; socket targets are the interfaces" {
	run -0 ls -A "$MNT/hooks"
	assert_line ".log"
	assert_line "socket"
	assert_line "timer"
	assert_line "inotify"
	run -0 ls "$MNT/hooks/socket"
	for ifc in /sys/class/net/*; do
		assert_line "$(basename "$ifc")"
	done
}

@test "mkdir and rmdir of a timer target" {
	run -0 mkdir "$MNT/hooks/timer/250ms"
	run -0 ls "$MNT/hooks/timer"
	assert_line "250ms"
	run -0 rmdir "$MNT/hooks/timer/250ms"
	no_entry "$MNT/hooks/timer" "250ms"
}

@test "a bad period, a missing path, a made-up interface fail with their errno and a log line" {
	run -1 mkdir "$MNT/hooks/timer/soon"
	assert_output --partial "Invalid argument"
	run -0 cat "$MNT/hooks/.log"
	assert_output --partial "mkdir hooks/timer/soon: Invalid argument (-22)"
	assert_output --partial "not a period"

	run -1 mkdir "$MNT/hooks/inotify/$(systemd-escape --path /no/such/dir-$$)"
	assert_output --partial "No such file or directory"
	run -0 cat "$MNT/hooks/.log"
	assert_output --partial "cannot watch /no/such/dir-$$"

	run -1 mkdir "$MNT/hooks/socket/nosuchif0"
	assert_output --partial "Operation not permitted"
	run -2 ls "$MNT/hooks/socket/nosuchif0"
	assert_output --partial "No such file or directory"
	load_obj packet_counter
	run -1 ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/nosuchif0/"
	assert_output --partial "No such file or directory"
}

@test "attaching a program of the wrong type fails with EINVAL and a log line" {
	load_obj packet_counter
	mkdir -p "$MNT/hooks/timer/20ms"
	run -1 ln -s "$MNT/progs/count_packets" "$MNT/hooks/timer/20ms/"
	assert_output --partial "Invalid argument"
	run -0 ls -A "$MNT/hooks/timer/20ms"
	assert_output ""
	run -0 cat "$MNT/hooks/.log"
	assert_output --partial "program 'count_packets' has type socket_filter; hooks/timer does not run that type"
	rmdir "$MNT/hooks/timer/20ms"
}

@test "attaching an unknown program fails with ENOENT; the link must carry the program's name" {
	mkdir -p "$MNT/hooks/timer/30ms"
	run -1 ln -s "$MNT/progs/nosuchprog" "$MNT/hooks/timer/30ms/"
	assert_output --partial "No such file or directory"
	run -0 cat "$MNT/hooks/.log"
	assert_output --partial "no program 'nosuchprog' in progs/"
	load_obj packet_counter
	run -1 ln -s "$MNT/progs/count_packets" "$MNT/hooks/timer/30ms/other"
	assert_output --partial "Invalid argument"
	rmdir "$MNT/hooks/timer/30ms"
}

@test "socket: a filter on lo counts ICMP while it flows; links/ID describes it; rm detaches" {
	need_lo
	need_icmp
	load_obj packet_counter
	run -0 ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
	run -0 readlink "$MNT/hooks/socket/lo/count_packets"
	assert_output "../../../progs/count_packets"
	[ "$(readlink -f "$MNT/hooks/socket/lo/count_packets")" = "$MNT/progs/count_packets" ]
	id="$(link_id_of lo count_packets)"
	[ -n "$id" ]
	run -0 cat "$MNT/links/$id"
	assert_line "hook: socket"
	assert_line "target: lo"
	assert_line "prog: count_packets"
	assert_line "prog_type: socket_filter"

	icmp 3
	# ICMP key: the u32 1 (named in decimal from the BTF); on lo every frame is seen out and in
	wait_for test -e "$MNT/maps/pkt_count/1"
	wait_for bash -c "[ \$(awk '\$1 == \"run_count:\" {print \$2}' '$MNT/links/$id') -ge 12 ]"
	n="$(map_u64 "$MNT/maps/pkt_count/1")"
	[ "$n" -ge 12 ]          # 3 requests + 3 replies, each seen twice
	[ "$n" -le 40 ]          # loose: nothing else on lo speaks ICMP much

	run -0 rm "$MNT/hooks/socket/lo/count_packets"
	no_entry "$MNT/hooks/socket/lo" "count_packets"
	run -1 cat "$MNT/links/$id"
	before="$(map_u64 "$MNT/maps/pkt_count/1")"
	icmp 2
	sleep 0.3
	[ "$(map_u64 "$MNT/maps/pkt_count/1")" = "$before" ]
}

@test "rm links/ID detaches like rm of the symlink" {
	need_lo
	load_obj packet_counter
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
	id="$(link_id_of lo count_packets)"
	[ -n "$id" ]
	run -0 ls "$MNT/links"
	assert_line "$id"
	run -0 rm "$MNT/links/$id"
	no_entry "$MNT/links" "$id"
	no_entry "$MNT/hooks/socket/lo" "count_packets"
	run -1 rm "$MNT/links/$id"
	assert_output --partial "No such file or directory"
}

@test "socket capture: tcpdump -r reads the frames the filter kept" {
	need_lo
	need_icmp
	command -v tcpdump >/dev/null || skip "no tcpdump"
	load_obj packet_counter
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
	pcap="$BATS_TEST_TMPDIR/cap.pcap"
	timeout 3 cat "$MNT/hooks/socket/lo/capture" >"$pcap" &
	cat_pid=$!
	sleep 0.5
	icmp 2
	wait "$cat_pid" || true
	rm "$MNT/hooks/socket/lo/count_packets"
	run tcpdump -nr "$pcap"
	assert_output --partial "link-type EN10MB"
	assert_output --partial "127.0.0.1 > 127.0.0.1: ICMP echo request"
	assert_output --partial "127.0.0.1 > 127.0.0.1: ICMP echo reply"
	# only ICMP was kept
	refute_output --regexp "UDP|TCP|Flags"
}

@test "socket capture: poll reports readable only when a frame is there" {
	need_lo
	need_icmp
	command -v python3 >/dev/null || skip "no python3"
	load_obj packet_counter
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
	run -0 python3 - "$MNT/hooks/socket/lo/capture" "$BATS_TEST_DIRNAME" <<'EOF'
import os, select, socket, struct, sys, threading, time
def ping():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(struct.pack('!BBHHH', 8, 0, 0xf7ff, 0, 0), ('127.0.0.1', 0))
fd = os.open(sys.argv[1], os.O_RDONLY)
p = select.poll()
p.register(fd, select.POLLIN)
assert p.poll(1000), "the pcap header is readable at once"
assert len(os.read(fd, 65536)) == 24
assert not p.poll(300), "nothing kept yet"
threading.Timer(0.3, ping).start()
t = time.time()
assert p.poll(5000), "an ICMP frame wakes poll"
print("woke after %.2fs" % (time.time() - t))
assert len(os.read(fd, 65536)) > 16
EOF
	rm "$MNT/hooks/socket/lo/count_packets"
}

@test "attach and detach while frames flow: no crash, counts stop after detach" {
	need_lo
	need_icmp
	load_obj packet_counter
	( for i in $(seq 15); do icmp 5; sleep 0.05; done ) &
	flow=$!
	for i in $(seq 10); do
		ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
		sleep 0.05
		rm "$MNT/hooks/socket/lo/count_packets"
	done
	wait "$flow"
	no_entry "$MNT/hooks/socket/lo" "count_packets"
	before="$(map_u64 "$MNT/maps/pkt_count/1")"
	icmp 3
	sleep 0.3
	[ "$(map_u64 "$MNT/maps/pkt_count/1")" = "$before" ]
	kill -0 "$DAEMON_PID"
}

@test "timer: a program on 10ms increments an array map; rmdir with a link is ENOTEMPTY" {
	load_obj sampler
	run -0 mkdir "$MNT/hooks/timer/10ms"
	run -0 ln -s "$MNT/progs/sample" "$MNT/hooks/timer/10ms/"
	run -0 readlink "$MNT/hooks/timer/10ms/sample"
	assert_output "../../../progs/sample"
	sleep 1
	a="$(map_u64 "$MNT/maps/samples/0")"
	sleep 1
	b="$(map_u64 "$MNT/maps/samples/0")"
	# ~100 runs a second: loose bounds for a busy 2-core machine
	[ "$a" -ge 20 ]
	[ "$b" -gt "$a" ]
	[ $((b - a)) -ge 20 ]
	[ $((b - a)) -le 150 ]
	run -1 rmdir "$MNT/hooks/timer/10ms"
	assert_output --partial "Directory not empty"
	run -0 rm "$MNT/hooks/timer/10ms/sample"
	c="$(map_u64 "$MNT/maps/samples/0")"
	sleep 0.3
	[ "$(map_u64 "$MNT/maps/samples/0")" = "$c" ]
	run -0 rmdir "$MNT/hooks/timer/10ms"
}

@test "inotify: creates, modifies and deletes are counted exactly" {
	load_obj file_activity
	dir="$BATS_TEST_TMPDIR/watched"
	mkdir -p "$dir"
	hook="$MNT/hooks/inotify/$(systemd-escape --path "$dir")"
	run -0 mkdir "$hook"
	run -0 ls "$MNT/hooks/inotify"
	assert_line "$(systemd-escape --path "$dir")"
	run -0 ln -s "$MNT/progs/file_activity" "$hook/"
	c0="$(map_u64 "$MNT/maps/file_events/0")"
	m0="$(map_u64 "$MNT/maps/file_events/1")"
	d0="$(map_u64 "$MNT/maps/file_events/2")"
	for i in 1 2 3; do
		touch "$dir/f$i"                 # IN_CREATE
	done
	for i in 1 2; do
		echo "x$i" >>"$dir/f$i"          # one IN_MODIFY each (different names:
	done                                     # the kernel cannot coalesce them)
	rm "$dir/f2" "$dir/f3"                 # IN_DELETE x2
	wait_for bash -c "[ \$(awk '\$1 == \"run_count:\" {print \$2}' '$MNT/links/$(link_id_of "$(basename "$hook")" file_activity)') -ge 1 ]"
	sleep 0.3
	[ $(( $(map_u64 "$MNT/maps/file_events/0") - c0 )) -eq 3 ]
	[ $(( $(map_u64 "$MNT/maps/file_events/1") - m0 )) -eq 2 ]
	[ $(( $(map_u64 "$MNT/maps/file_events/2") - d0 )) -eq 2 ]
	run -1 rmdir "$hook"
	assert_output --partial "Directory not empty"
	run -0 rm "$hook/file_activity"
	touch "$dir/after"
	sleep 0.3
	[ $(( $(map_u64 "$MNT/maps/file_events/0") - c0 )) -eq 3 ]
	run -0 rmdir "$hook"
}

@test "socket capture: Ctrl-C ends a blocked read" {
	need_lo
	load_obj packet_counter
	ln -s "$MNT/progs/count_packets" "$MNT/hooks/socket/lo/"
	# background jobs ignore SIGINT unless told otherwise
	( trap - INT; exec cat "$MNT/hooks/socket/lo/capture" >/dev/null ) &
	reader=$!
	sleep 0.5
	kill -0 "$reader"                   # blocked: nothing kept yet
	kill -INT "$reader"
	wait_for bash -c "! kill -0 $reader 2>/dev/null"
	rm "$MNT/hooks/socket/lo/count_packets"
}

@test "following the link shows the program's directory" {
	load_obj sampler
	mkdir -p "$MNT/hooks/timer/1s"
	ln -s "$MNT/progs/sample" "$MNT/hooks/timer/1s/"
	run -0 ls "$MNT/hooks/timer/1s/sample/"
	assert_equal "$output" "$(ls "$MNT/progs/sample/")"
	rm "$MNT/hooks/timer/1s/sample"
	rmdir "$MNT/hooks/timer/1s"
}

@test "unmounting with links attached detaches them and the daemon exits" {
	load_obj sampler
	local mnt2="$BATS_TEST_TMPDIR/mnt2"
	mkdir -p "$mnt2"
	"$BIN" "$mnt2" -f 3>&- >"$BATS_TEST_TMPDIR/d2.log" 2>&1 &
	local pid=$!
	wait_for mountpoint -q "$mnt2"
	cp "$EX/sampler.bpf.o" "$mnt2/progs/"
	mkdir "$mnt2/hooks/timer/2ms"
	ln -s "$mnt2/progs/sample" "$mnt2/hooks/timer/2ms/"
	sleep 0.2
	fusermount3 -u "$mnt2"
	wait_for bash -c "! kill -0 $pid 2>/dev/null" || { kill -KILL "$pid"; false; }
	wait "$pid"                         # exit status 0: a clean unmount
}

@test "-o timer_sched=other forces the timer thread's policy; a bad value exits 2" {
	local mnt2="$BATS_TEST_TMPDIR/mnt2"
	mkdir -p "$mnt2"
	run -2 "$BIN" "$mnt2" -f -o timer_sched=rt
	assert_output --partial "bad timer_sched=rt (auto, fifo or other)"
	"$BIN" "$mnt2" -f -o timer_sched=other 3>&- >"$BATS_TEST_TMPDIR/d2.log" 2>&1 &
	local pid=$!
	wait_for mountpoint -q "$mnt2"
	cp "$EX/sampler.bpf.o" "$mnt2/progs/"
	mkdir "$mnt2/hooks/timer/2ms"
	ln -s "$mnt2/progs/sample" "$mnt2/hooks/timer/2ms/"
	local id
	id=$(ls "$mnt2/links")
	run -0 cat "$mnt2/links/$id"
	assert_line "sched: other"
	assert_line "sched_mode: other"
	fusermount3 -u "$mnt2"
	wait_for bash -c "! kill -0 $pid 2>/dev/null" || { kill -KILL "$pid"; false; }
	wait "$pid"
}
