# Fixtures for the small notifier test files (sourced after lib.sh, not
# run): users with their own cgroups under a private parent, a config, ptys
# with utmp entries, real OOM kills, and the notifier started and stopped.
# shellcheck shell=bash

PY=/usr/bin/python3
for f in "$PY" /usr/bin/setpriv "$NOTIFIER"; do
	[ -e "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

NPARENT=$TEST_PARENT/n
NCONF=$TMP/notifier.conf
NLOG=$TMP/notifier.log
UTMP=$TMP/utmp
NPID=""
: >"$UTMP"
mkdir -p "$TMP/mail"

re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }

# mkcg DIR: a cgroup made by hand; on v2 with the memory controller enabled
# along the path first, as the module does.
mkcg() {
	local d=$CG_MNT rel=${1#"$CG_MNT"/} c
	if [ "$MC_VERSION" = 2 ]; then
		for c in ${rel//\// }; do
			grep -qw memory "$d/cgroup.subtree_control" || echo +memory >"$d/cgroup.subtree_control"
			d=$d/$c
			mkdir -p "$d"
		done
	fi
	mkdir -p "$1"
}

nconf() { # nconf [EXTRA NOTIFY LINES]; rate_limit from $RATE
	write_conf "$NCONF" <<EOF
cgroup_version = v$MC_VERSION
cgroup_parent = "$NPARENT"
default { memory_max = 64M }
notify {
	tty = true
	rate_limit = ${RATE:-0}
	warn_at = "${WARN:-off}"
	${1:-}
}
EOF
}

# A pty given to uid, its screen copied to a file (and each chunk's
# CLOCK_MONOTONIC arrival to FILE.times).
cat >"$TMP/ptyhold.py" <<'EOF'
import grp, os, sys, time
uid, mode, screen = int(sys.argv[1]), int(sys.argv[2], 8), sys.argv[3]
master, slave = os.openpty()
name = os.ttyname(slave)
os.chown(name, uid, grp.getgrnam("tty").gr_gid)
os.chmod(name, mode)
out = open(screen, "ab", buffering=0)
open(screen + ".tty", "w").write(name + "\n")
while True:
    data = os.read(master, 65536)
    out.write(data)
    with open(screen + ".times", "a") as t:
        t.write("%.6f %d\n" % (time.clock_gettime(time.CLOCK_MONOTONIC), len(data)))
EOF

cat >"$TMP/utmp_add.py" <<'EOF'
import os, struct, sys, time
FMT = "<hhi32s4s32s256shhiii4i20s"      # struct utmp on x86_64 glibc
path, user, line = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
rec = struct.pack(FMT, 7, 0, os.getpid(), line, b"mc%02d" % (os.getpid() % 100), user,
                  b"memcg-test", 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")
with open(path, "ab") as f:
    f.write(rec)
EOF

start_pty() { # start_pty USER MODE SCREEN: with a utmp entry
	: >"$3"
	rm -f "$3.tty" "$3.times"
	$PY "$TMP/ptyhold.py" "$(uid_of "$1")" "$2" "$3" &
	T_PIDS+=($!)
	wait_for "[ -s '$3.tty' ]" 10 || fail "pty for $1 did not come up"
	$PY "$TMP/utmp_add.py" "$UTMP" "$1" "$(sed 's|^/dev/||' "$3.tty")"
}

make_cg() { # make_cg UID: a user cgroup under the notifier's parent, 64 MiB
	local d=$CG_MNT/$NPARENT/user-$1
	mkcg "$d" && echo 67108864 >"$d/$F_MAX"
}

HOG='a = []
while True:
    a.append(bytearray(1 << 20))'

# kill_one USER: a process of USER in its cgroup allocates until killed;
# VICTIM is its pid.
kill_one() {
	local uid gid rc
	uid=$(uid_of "$1") gid=$(id -g "$1")
	VICTIM=$(bash -c 'echo $$ >&3; echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$3" --clear-groups -- "$4" -c "$5"' \
		_ "$CG_MNT/$NPARENT/user-$uid" "$uid" "$gid" "$PY" "$HOG" 3>&1 1>/dev/null 2>/dev/null)
	rc=$?
	[ "$rc" -eq 137 ] || fail "the allocating process of $1 was not killed (status $rc)"
}

# start_notifier [LOG] [WRAPPER...]: NF_ARGS (words) go to the notifier;
# unset, -k: the cgroups made here have no session in them and would go
# (on v2) as their last process is killed.
start_notifier() {
	local log=${1:-$NLOG}
	shift 2>/dev/null
	touch "$log"
	# shellcheck disable=SC2086 # NF_ARGS is a list of words
	"$@" "$NOTIFIER" -c "$NCONF" -d -u "$UTMP" ${NF_ARGS--k} >>"$log" 2>&1 &
	NPID=$!
	T_PIDS+=("$NPID")
	wait_for "grep -q 'started: watching' '$log'" 10 || fail "notifier did not start"
}

stop_notifier() {
	[ -n "$NPID" ] || return 0
	kill -TERM "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
	NPID=""
}

# Milliseconds from now until PATTERN shows in FILE (or TIMEOUT_S passes).
ms_until() { # ms_until FILE PATTERN TIMEOUT_S
	local t0=$EPOCHREALTIME
	wait_for "grep -aq '$2' '$1'" "$3" || { echo 999999; return; }
	echo $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
}

nf_cleanup() {
	local f
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null
	for f in "$TMP"/mail/*.pid; do
		[ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	{
		for f in "${T_PIDS[@]}"; do kill -TERM "$f"; done
		sleep 0.2
		for f in "${T_PIDS[@]}"; do kill -KILL "$f"; done
		wait
	} 2>/dev/null
	t_cleanup
}
trap nf_cleanup EXIT

# run NAME FUNCTION: run_test, or skipped when T_ONLY (a glob) does not
# match NAME.
run() {
	# shellcheck disable=SC2053 # T_ONLY is a glob
	[ -z "${T_ONLY:-}" ] || [[ $1 == $T_ONLY ]] || return 0
	run_test "$@"
}
