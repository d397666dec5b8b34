# Fixtures of the notifier's small test files (t_nf_*.sh; sourced after
# lib.sh, and by faults_nf_fixtures.sh for t_faults_nf_*.sh): users with
# their own cgroups under a private parent, a config, ptys with entries in a
# utmp file of the test, sendmails, real OOM kills, the notifier started
# and stopped, and a cleanup that ends hung sendmails and pty holders.
# shellcheck shell=bash

PY=/usr/bin/python3
need "$PY" /usr/bin/setpriv "$NOTIFIER"

NPARENT=$TEST_PARENT/n
NCONF=$TMP/notifier.conf
NLOG=$TMP/notifier.log
UTMP=$TMP/utmp
NPID=""
# What start_notifier gives the notifier when NF_ARGS is unset; -k: the
# cgroups made here have no session in them and would go (on v2) as their
# last process is killed.
NF_DEFAULT_ARGS=-k
: >"$UTMP"
mkdir -p "$TMP/mail"

# nf_users SUFFIX...: a user for each suffix, named T_ID and the suffix, in
# U1, U2, ... with their uids in U1_UID, U2_UID, ...; and the test's parent
# cgroup directory.
nf_users() {
	local i=1 s
	for s in "$@"; do
		add_user "$T_ID$s" || { echo "cannot add users" >&2; exit 1; }
		printf -v "U$i" '%s' "$T_ID$s"
		printf -v "U${i}_UID" '%s' "$(uid_of "$T_ID$s")"
		i=$((i + 1))
	done
	mkdir -p "$TEST_PARENT_DIR"
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

# Sendmails: sm-ok stores each mail in $TMP/mail/ok.PID.eml; sm-hang
# records its pid in $TMP/mail/hang.PID.pid and never ends.
cat >"$TMP/sm-hang" <<EOF
#!/bin/sh
echo \$\$ >$TMP/mail/hang.\$\$.pid
exec sleep 1000
EOF
cat >"$TMP/sm-ok" <<EOF
#!/bin/sh
cat >$TMP/mail/ok.\$\$.eml
EOF
chmod 755 "$TMP/sm-hang" "$TMP/sm-ok"

# A pty given to uid, its screen copied to a file (and each chunk's
# CLOCK_MONOTONIC arrival to FILE.times); "hangup" closes the master (the
# session ended, a stale utmp entry stays), "block" never reads it after
# filling its buffer (a terminal that does not take output).
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
	rm -f "$3.tty" "$3.times"
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

# start_notifier [LOG] [WRAPPER...]: NF_ARGS (words; NF_DEFAULT_ARGS when
# unset) go to the notifier.
start_notifier() {
	local log=${1:-$NLOG}
	shift 2>/dev/null
	touch "$log"
	# shellcheck disable=SC2086 # NF_ARGS is a list of words
	"$@" "$NOTIFIER" -c "$NCONF" -d -u "$UTMP" ${NF_ARGS-$NF_DEFAULT_ARGS} >>"$log" 2>&1 &
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

# fds_of PID: how many descriptors the process has open.
fds_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

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
	end_pids
	t_cleanup
}
trap nf_cleanup EXIT
