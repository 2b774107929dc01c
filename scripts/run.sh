#!/usr/bin/env bash
# `make run`: mount bpffs-user at $MNT (default /tmp/bpffs) in the foreground,
# load the compiled examples through the mount, print what to try, and wait
# until Ctrl-C (SIGINT) or SIGTERM, which unmount cleanly. Works without a
# terminal too: `MNT=... ./scripts/run.sh & ...; kill -INT $!`.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MNT=${MNT:-/tmp/bpffs}
BIN=$BUILD/bpffs-user
pid=

say() { printf 'run: %s\n' "$*"; }

if [ ! -x "$BIN" ]; then
	say "$BIN not built; run 'make' (or 'make run') first" >&2
	exit 1
fi
mkdir -p "$MNT" || exit 1
# a mount left by a killed daemon answers ENOTCONN: clear it first
if ! stat "$MNT" >/dev/null 2>&1; then
	say "clearing a stale mount at $MNT"
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
fi
if mountpoint -q "$MNT"; then
	say "$MNT is already mounted; unmount it with: fusermount3 -u $MNT" >&2
	exit 1
fi

stop() {
	trap - INT TERM EXIT
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "unmounting $MNT"
		fusermount3 -u "$MNT" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		status=$?
	else
		wait "$pid" 2>/dev/null
		status=$?
	fi
	mountpoint -q "$MNT" && { say "$MNT still mounted" >&2; status=1; }
	[ "$status" -eq 0 ] && say "unmounted cleanly" || say "daemon exited with status $status"
	exit "$status"
}
trap stop INT TERM EXIT

"$BIN" "$MNT" -f 3>&- &
pid=$!
for _ in $(seq 100); do
	mountpoint -q "$MNT" && break
	kill -0 "$pid" 2>/dev/null || { say "bpffs-user failed to mount $MNT" >&2; pid=; exit 1; }
	sleep 0.05
done
mountpoint -q "$MNT" || { say "$MNT did not appear as a mount point" >&2; exit 1; }
say "mounted at $MNT (daemon pid $pid)"

# Load the examples through the mount; a failure is reported, not fatal.
shopt -s nullglob
objs=("$BUILD"/examples/*.bpf.o)
if [ ${#objs[@]} -eq 0 ]; then
	say "no compiled examples in $BUILD/examples (make bpf-objs builds them)"
fi
for o in "${objs[@]}"; do
	if err=$(cp "$o" "$MNT/progs/" 2>&1); then
		say "loaded $(basename "$o")"
	else
		say "could not load $(basename "$o"): ${err##*: }"
		# this object's block of progs/.log (newest first, one block per name)
		awk -v n="$(basename "$o")" '
			index($0, n ": load failed:") == 1 { on = 1; next }
			/^[^ ]+: load failed: / { on = 0 }
			on { print "       " $0 }' "$MNT/progs/.log" 2>/dev/null | head -6
	fi
done

cat <<EOF

Try, in another shell:
  ls $MNT $MNT/progs $MNT/maps
  mkdir $MNT/maps/counts && echo 'type=hash key=u32 value=u64 max_entries=1024' > $MNT/maps/counts/.info
  echo 5 > $MNT/maps/counts/42 && cat $MNT/maps/counts/42 && ls $MNT/maps/counts
  cat $MNT/maps/counts/.info
  cat $MNT/progs/NAME/info $MNT/progs/NAME/xlated   (for a loaded program NAME)
  cat $MNT/progs/.log                               (why the last load failed)

Press Ctrl-C to unmount and stop.
EOF

# wait returns early on a trapped signal; the trap unmounts
wait "$pid"
