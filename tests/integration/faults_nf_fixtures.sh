# Fixtures of the notifier fault tests (t_faults_nf_*.sh; sourced after
# lib.sh): two users with cgroups under the notifier's own parent and a
# terminal each with an entry in a utmp file of the test, a notifier config
# (nconf), ptys that read, hang up or block, kills, the notifier started
# and stopped (under a wrapper such as prlimit), and a cleanup that ends
# hung sendmails and pty holders.
# shellcheck shell=bash

PY=/usr/bin/python3
for f in "$PY" /usr/bin/setpriv /usr/bin/unshare /usr/bin/prlimit "$NOTIFIER" "$PAMTEST" "$SHIM"; do
	[ -e "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

U1=${T_ID}f U2=${T_ID}g
add_user "$U1" && add_user "$U2" || { echo "cannot add users" >&2; exit 1; }
U1_UID=$(uid_of "$U1") U2_UID=$(uid_of "$U2")
mkdir -p "$TEST_PARENT_DIR" "$TMP/mail"
NPID=""

NPARENT=$TEST_PARENT/n
NCONF=$TMP/notifier.conf
NLOG=$TMP/notifier.log
UTMP=$TMP/utmp
: >"$UTMP"

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

# A pty given to uid, its screen copied to a file; "hangup" closes the
# master (the session ended, a stale utmp entry stays), "block" never reads
# it after filling its buffer (a terminal that does not take output).
cat >"$TMP/ptyhold.py" <<'EOF'
import fcntl, grp, os, signal, sys, time
uid, mode, screen = int(sys.argv[1]), int(sys.argv[2], 8), sys.argv[3]
how = sys.argv[4] if len(sys.argv) > 4 else "read"
master, slave = os.openpty()
name = os.ttyname(slave)
os.chown(name, uid, grp.getgrnam("tty").gr_gid)
os.chmod(name, mode)
out = open(screen, "ab", buffering=0)
if how == "hangup":
    os.close(master)
elif how == "block":
    # The kernel moves output on to the master's side a moment later,
    # making room again: fill until a write after a pause still fails.
    fcntl.fcntl(slave, fcntl.F_SETFL, fcntl.fcntl(slave, fcntl.F_GETFL) | os.O_NONBLOCK)
    full = 0
    while full < 3:
        try:
            os.write(slave, b"x")
            full = 0
        except BlockingIOError:
            full += 1
            time.sleep(0.05)
open(screen + ".tty", "w").write(name + "\n")
if how != "read":
    while True:
        time.sleep(1000)
while True:
    data = os.read(master, 65536)
    out.write(data)
    with open(screen + ".times", "a") as t:
        t.write("%.6f %d\n" % (time.clock_gettime(time.CLOCK_MONOTONIC), len(data)))
EOF

start_pty() { # start_pty USER MODE SCREEN [HOW]: with a utmp entry
	: >"$3"
	rm -f "$3.tty"
	$PY "$TMP/ptyhold.py" "$(uid_of "$1")" "$2" "$3" "${4:-read}" &
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

start_notifier() { # start_notifier [LOG] [WRAPPER...]
	local log=${1:-$NLOG}
	shift 2>/dev/null
	touch "$log"
	# -m 600: nf_mta_faults holds 32 sendmails hung for longer than the
	# default 30 s on a loaded machine; t_nf_mail_timeout tests the kill.
	# -k: these cgroups have no session in them and would go (on v2) as
	# their last process is killed; t_nf_release tests the removal.
	"$@" "$NOTIFIER" -c "$NCONF" -d -u "$UTMP" -m 600 -k >>"$log" 2>&1 &
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

fds_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# Milliseconds from now until PATTERN shows in FILE (or TIMEOUT_S passes).
ms_until() { # ms_until FILE PATTERN TIMEOUT_S
	local t0=$EPOCHREALTIME
	wait_for "grep -aq '$2' '$1'" "$3" || { echo 999999; return; }
	echo $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
}

cleanup_faults() {
	local f
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null
	for f in "$TMP"/holder.* "$TMP"/mail/*.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	{
		for f in "${T_PIDS[@]}"; do kill -TERM "$f"; done
		sleep 0.2
		for f in "${T_PIDS[@]}"; do kill -KILL "$f"; done
		wait
	} 2>/dev/null
	t_cleanup
}
trap cleanup_faults EXIT

# The notifier's users: cgroups and terminals made once; a notifier
# started when none runs.
NF_BASE=""
nf_setup() {
	if [ -z "$NF_BASE" ]; then
		NF_BASE=1
		nconf
		make_cg "$U1_UID"
		make_cg "$U2_UID"
		start_pty "$U1" 0620 "$TMP/u1.screen"
		start_pty "$U2" 0620 "$TMP/u2.screen"
	fi
	if [ -z "$NPID" ]; then
		start_notifier
		wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 2 ]" 10 || fail "notifier did not see the user cgroups"
	fi
}
