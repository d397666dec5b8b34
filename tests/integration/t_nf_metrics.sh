#!/bin/bash
# memcg-notifier's metrics file: written through a temporary file of its
# own making (nothing planted beside it is opened or followed), and at most
# once per interval however many events come, correct after a burst.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

nf_users m
MDIR=$TMP/metrics
METRICS=$MDIR/memcg.prom
mkdir -p "$MDIR"
make_cg "$U1_UID"

# Counts the files renamed into the metrics directory (each rewrite is one)
# until stopped; the count goes to FILE.
cat >"$TMP/count_renames.py" <<'EOF'
import ctypes, os, signal, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
IN_MOVED_TO = 0x80
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, os.fsencode(sys.argv[1]), IN_MOVED_TO) < 0:
    sys.exit(1)
n = 0
def done(*_):
    open(sys.argv[2], "w").write("%d\n" % n)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2], "w").write("ready\n")
while True:
    buf = os.read(fd, 4096)
    off = 0
    while off < len(buf):
        _, mask, _, ln = struct.unpack_from("iIII", buf, off)
        off += 16 + ln
        if mask & IN_MOVED_TO:
            n += 1
EOF

# Stops the notifier, KILLs it when it does not end within 5 s (a daemon
# stuck in open() of a FIFO never reads its SIGTERM).
stop_or_kill() {
	[ -n "$NPID" ] || return 0
	kill -TERM "$NPID" 2>/dev/null
	wait_for "! grep -qs '^[0-9]* (.*) [RSD]' /proc/$NPID/stat" 5 || kill -KILL "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
	NPID=""
}

# The kernel's oom_kill count of the cgroup of uid $1.
kernel_kills() {
	sed -n 's/^oom_kill //p' "$CG_MNT/$NPARENT/user-$1/$F_OOMCTL"
}

kills_in_metrics() { # the oom_kills_total value of uid $1 in the file
	sed -n "s/^pam_memcg_oom_kills_total{uid=\"$1\",[^}]*} //p" "$METRICS" 2>/dev/null
}

# A symlink and a FIFO at the temporary file name the notifier used before
# (METRICS.PID.tmp): neither is opened or followed, the daemon does not hang,
# and the metrics file is written as a regular file.
t_metrics_planted() {
	local kind target=$TMP/victim-file
	for kind in symlink fifo; do
		rm -f "$METRICS" "$MDIR"/*.tmp
		echo "do not touch" >"$target"
		: >"$NLOG"
		nconf "metrics_file = \"$METRICS\""
		start_notifier
		case $kind in
		symlink) ln -s "$target" "$METRICS.$NPID.tmp" ;;
		fifo) mkfifo "$METRICS.$NPID.tmp" ;;
		esac
		kill_one "$U1"
		wait_for "[ \"\$(kills_in_metrics $U1_UID)\" = 1 ]" 5 ||
			fail "$kind: the metrics file does not count the kill"
		[ -f "$METRICS" ] && [ ! -L "$METRICS" ] || fail "$kind: the metrics file is not a regular file"
		assert_eq "do not touch" "$(cat "$target")" "$kind: the symlink's target is untouched"
		# Still answering: a second kill is logged.
		kill_one "$U1"
		wait_for "grep -q 'victim $VICTIM ' '$NLOG'" 5 || fail "$kind: the notifier stopped answering"
		stop_or_kill
		case $kind in
		symlink) [ -L "$METRICS.$NPID.tmp" ] || [ -L "$MDIR"/memcg.prom.*.tmp ] ;;
		fifo) [ -p "$MDIR"/memcg.prom.*.tmp ] ;;
		esac 2>/dev/null
		local rc=$?
		[ "$rc" -eq 0 ] || fail "$kind: the planted file was replaced"
		local left
		left=$(find "$MDIR" -name 'memcg.prom.*' ! -name '*.tmp' | wc -l)
		assert_eq 0 "$left" "$kind: no temporary file left behind"
		rm -f "$MDIR"/*.tmp
	done
}

# A burst of N events: one kill in each of N user cgroups (uids NSS does
# not know) at once.  Far fewer than N rewrites (at most one a second, plus
# one), and after the burst the file counts every kill the kernel counted.
t_metrics_burst() {
	local n=20 i t0 secs writes events rc bad=0 p want got pids=()
	local base=4000000100
	for i in $(seq 0 $((n - 1))); do make_cg $((base + i)); done
	rm -f "$METRICS"
	: >"$NLOG"
	RATE=60 nconf "metrics_file = \"$METRICS\""
	start_notifier
	$PY "$TMP/count_renames.py" "$MDIR" "$TMP/renames" &
	local counter=$!
	T_PIDS+=("$counter")
	wait_for "[ -s '$TMP/renames' ]" 5 || fail "rename counter did not start"
	t0=$SECONDS
	for i in $(seq 0 $((n - 1))); do
		bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" -c "$4"' \
			_ "$CG_MNT/$NPARENT/user-$((base + i))" $((base + i)) "$PY" "$HOG" >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		{ wait "$p"; } 2>/dev/null
		rc=$?
		[ "$rc" -eq 137 ] || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ] || fail "$bad of the $n allocating processes were not killed"
	secs=$((SECONDS - t0 + 1))
	for i in $(seq 0 $((n - 1))); do
		want=$(kernel_kills $((base + i)))
		wait_for "[ \"\$(kills_in_metrics $((base + i)))\" = '$want' ]" 5
		rc=$?
		[ "$rc" -eq 0 ] || fail "uid $((base + i)): the file counts $(kills_in_metrics $((base + i))) kills, the kernel $want"
	done
	sleep 1.2
	kill -TERM "$counter"
	wait "$counter" 2>/dev/null
	writes=$(cat "$TMP/renames")
	events=$(grep -c "kill: user .* (uid 40000001[0-9][0-9])" "$NLOG")
	echo "    ($events events in about $secs s: $writes rewrites of the metrics file)"
	[ "$events" -ge "$n" ] || fail "only $events events logged for $n cgroups"
	[ "$writes" -ge 1 ] && [ "$writes" -le $((secs + 2)) ] && [ "$writes" -lt $((events / 2)) ] ||
		fail "$writes rewrites for $events events in $secs s"
	stop_or_kill
	got=$(grep -c "^pam_memcg_oom_kills_total{uid=\"40000001[0-9][0-9]\",user=\"\"} [1-9]" "$METRICS")
	assert_eq "$n" "$got" "kills of every uid in the file after the exit"
	assert_contains "$METRICS" "^pam_memcg_memory_limit_bytes\\{uid=\"$base\",user=\"\"\\} 67108864\$" \
		"the limit gauge"
	for i in $(seq 0 $((n - 1))); do rmdir "$CG_MNT/$NPARENT/user-$((base + i))"; done
}

run metrics_planted t_metrics_planted
run metrics_burst t_metrics_burst
t_done
