# Fixtures of the notifier tests (t_notifier_*.sh; sourced after lib.sh):
# four users with a PAM session each, ptys with /run/utmp entries whose
# screens are copied to files, kills in a user's cgroup, memcg-notifier
# started and stopped (start_notifier, stop_notifier), a real local MTA
# (exim4), and the kill-to-pty latency measure.  Everything is set up and
# running when this file has been sourced.
# shellcheck shell=bash


PY=/usr/bin/python3
HOG='import sys
a = []
while True:
    a.append(bytearray(1 << 20))'
# Renames itself with escape sequences (15 bytes at most), then allocates.
EVIL_HOG='open("/proc/self/comm", "w").write("\x1b]0;PW\x07\x1b[2J\x1b[5m")
'"$HOG"

for f in "$NOTIFIER" "$PY" /usr/sbin/exim4 /usr/bin/setpriv; do
	[ -x "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

# /run/utmp may not exist on a fresh machine: create it the way login
# expects, and leave it.
[ -e /run/utmp ] || install -m 0664 -o root -g utmp /dev/null /run/utmp

U1=mcn$$a U2=mcn$$b U3=mcn$$c U4=mcn$$d
NLOG=$TMP/notifier.log
CONF=$TMP/pam_memcg.conf
NPID=""
EXIM_PID=$TMP/exim.pid

# Long enough for a burst of 20 kills to fit in one period; the VM lane
# (software emulation) needs more than this machine does.
RATE_LIMIT=${MEMCG_TEST_RATE_LIMIT:-6}

write_config() { # write_config [EXTRA NOTIFY LINES]
	write_conf "$CONF" <<EOF
cgroup_version = v$MC_VERSION
cgroup_parent = "$TEST_PARENT"
default {
	memory_max = 64M
}
user "$U4" {
	warn_at = "50%"
}
notify {
	tty = true
	mail = true
	rate_limit = $RATE_LIMIT
	warn_at = "off"
	sendmail = "/usr/sbin/sendmail"
	${1:-}
}
EOF
}

# --- helpers ----------------------------------------------------------------

# A pty owned by a user, with a utmp USER_PROCESS entry, whose screen is
# copied to a file (and each chunk's CLOCK_MONOTONIC arrival time to
# FILE.times).  The entry is removed when the holder is stopped.
cat >"$TMP/ptyhold.py" <<'EOF'
import fcntl, grp, os, pwd, signal, struct, sys, time
user, mode, screen = sys.argv[1], int(sys.argv[2], 8), sys.argv[3]
UTMP = "/run/utmp"
FMT = "<hhi32s4s32s256shhiii4i20s"      # struct utmp on x86_64 glibc
USER_PROCESS = 7
master, slave = os.openpty()
name = os.ttyname(slave)
pw = pwd.getpwnam(user)
os.chown(name, pw.pw_uid, grp.getgrnam("tty").gr_gid)
os.chmod(name, mode)
line = name[len("/dev/"):].encode()
ut_id = ("t%03d" % (os.getpid() % 1000)).encode()[:4]
now = time.time()
rec = struct.pack(FMT, USER_PROCESS, 0, os.getpid(), line, ut_id, user.encode(),
                  b"memcg-test", 0, 0, 0, int(now), 0, 0, 0, 0, 0, b"")
assert len(rec) == 384

def utmp_edit(fn):
    fd = os.open(UTMP, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        fn(fd)
    finally:
        os.close(fd)

def add(fd):
    os.lseek(fd, 0, os.SEEK_END)
    os.write(fd, rec)

def remove(fd):
    data = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    keep = [data[i:i + 384] for i in range(0, len(data) - len(data) % 384, 384)
            if data[i:i + 384] != rec]
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, b"".join(keep))

def stop(*_):
    utmp_edit(remove)
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
utmp_edit(add)
out = open(screen, "ab", buffering=0)
times = open(screen + ".times", "a", buffering=1)
open(screen + ".tty", "w").write(name + "\n")
pos = 0
while True:
    data = os.read(master, 65536)
    t = time.clock_gettime(time.CLOCK_MONOTONIC)
    out.write(data)
    times.write("%.6f %d %d\n" % (t, pos, len(data)))
    pos += len(data)
EOF

start_pty() { # start_pty USER MODE SCREEN
	: >"$3"
	$PY "$TMP/ptyhold.py" "$1" "$2" "$3" &
	T_PIDS+=($!)
	wait_for "[ -s '$3.tty' ]" 10 || fail "pty for $1 did not come up"
}

# open_session USER: a PAM session through the built module that stays
# open (its holder process sleeps) until close_session USER.  In a session
# of its own: root's processes in the user's cgroup would otherwise hold
# the terminal the tests run on, and the notifier would write there too.
open_session() {
	local holder=$TMP/holder.$1
	(exec setsid env LD_PRELOAD="$SHIM" "$PAMTEST" -d "$TMP/pam.d" notifier "$1" \
		sh -c "echo \$\$ >$holder; exec sleep 1000") >/dev/null &
	T_PIDS+=($!)
	wait_for "[ -s $holder ] && [ -d '$(user_cg_dir "$1")' ]" 10 ||
		fail "session for $1 did not open"
}

close_session() {
	local holder=$TMP/holder.$1
	[ -s "$holder" ] && kill "$(cat "$holder")" 2>/dev/null
	wait_for "[ ! -d '$(user_cg_dir "$1")' ]" 10 || fail "cgroup of $1 was not removed"
}

# in_cg USER PYTHON-CODE: runs python as USER inside USER's cgroup and
# prints its pid on fd 3 first.
in_cg() {
	local u=$1 code=$2 uid gid
	uid=$(id -u "$u") gid=$(id -g "$u")
	bash -c 'echo $$ >&3; echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$3" --init-groups -- "$4" -c "$5"' \
		_ "$(user_cg_dir "$u")" "$uid" "$gid" "$PY" "$code" 2>/dev/null
}

# in_cg_hog USER: build/tests/hog (C; quicker to start and to fill its
# limit than python, which matters under software emulation) as USER in
# USER's cgroup, the OOM killer's first choice there (oom_score_adj 1000:
# raising it needs no privilege, lowering the others' would).
in_cg_hog() {
	local u=$1 uid gid
	uid=$(id -u "$u") gid=$(id -g "$u")
	bash -c 'echo 1000 >/proc/self/oom_score_adj && echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$3" --init-groups -- "$4" 200' \
		_ "$(user_cg_dir "$u")" "$uid" "$gid" "$BUILD/tests/hog" >/dev/null 2>&1
}

# kill_one USER CODE: one process of USER allocates until the kernel
# kills it; sets VICTIM to its pid.
kill_one() {
	local rc
	VICTIM=$(in_cg "$1" "$2" 3>&1 1>/dev/null)
	rc=$?
	[ "$rc" -eq 137 ] || fail "the allocating process of $1 was not killed by SIGKILL (status $rc)"
}

start_notifier() {
	touch "$NLOG"
	# NOTIFIER_WRAP: e.g. "valgrind --leak-check=full --error-exitcode=99"
	# shellcheck disable=SC2086
	${NOTIFIER_WRAP:-} "$NOTIFIER" -c "$CONF" -d >>"$NLOG" 2>&1 &
	NPID=$!
	T_PIDS+=("$NPID")
	wait_for "grep -q 'started: watching' '$NLOG'" 10 || fail "notifier did not start"
}

stop_notifier() {
	local rc
	kill -TERM "$NPID" 2>/dev/null
	wait "$NPID"
	rc=$?
	assert_eq 0 "$rc" "notifier exit status after SIGTERM"
}

start_mta() {
	# A queue runner only (no listening socket); submissions through
	# sendmail deliver at once by themselves.
	/usr/sbin/exim4 -q30m -oP "$EXIM_PID" || fail "exim4 did not start"
	wait_for "[ -s $EXIM_PID ]" 5 || fail "exim4 wrote no pid file"
}

stop_mta() {
	[ -s "$EXIM_PID" ] && kill "$(cat "$EXIM_PID")" 2>/dev/null
	rm -f "$EXIM_PID"
}


# Latency from the kill (its kmsg line, converted to CLOCK_MONOTONIC with a
# marker written to /dev/kmsg) to the first byte of the notice on the pty.
cat >"$TMP/latency.py" <<'EOF'
import os, re, sys, time
screen, pids = sys.argv[1], sys.argv[2:]
marker = "memcg-test latency marker %d" % os.getpid()
fd = os.open("/dev/kmsg", os.O_RDWR | os.O_NONBLOCK)
t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
os.write(fd, marker.encode() + b"\n")
t1 = time.clock_gettime(time.CLOCK_MONOTONIC)
os.lseek(fd, 0, os.SEEK_SET)
kills, offset = {}, None
while True:
    try:
        rec = os.read(fd, 8192).decode(errors="replace")
    except BlockingIOError:
        break
    except BrokenPipeError:
        continue
    head, _, text = rec.partition(";")
    ts = int(head.split(",")[2]) / 1e6
    if marker in text:
        offset = ts - (t0 + t1) / 2
    m = re.search(r"Killed process (\d+) ", text)
    if m:
        kills[m.group(1)] = ts
data = open(screen, "rb").read()
chunks = [tuple(map(float, l.split())) for l in open(screen + ".times")]
for pid in pids:
    at = data.find(("process: %s (" % pid).encode())
    if at < 0 or pid not in kills or offset is None:
        print("pid %s: not measured" % pid)
        continue
    start = data.rfind(b"Message from", 0, at)
    arrival = next(t for t, pos, n in chunks if pos <= start < pos + n)
    print("pid %s: %.1f ms from kill to pty" % (pid, (arrival - (kills[pid] - offset)) * 1000))
EOF

cleanup_notifier_test() {
	local h
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null
	# Session holders run as root: end them so their sessions close.
	for h in "$TMP"/holder.*; do
		[ -s "$h" ] && kill "$(cat "$h")" 2>/dev/null
	done
	for p in "${T_PIDS[@]}"; do
		# The pty holders remove their utmp entries on SIGTERM.
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	stop_mta
	t_cleanup
}
trap cleanup_notifier_test EXIT

# --- setup ------------------------------------------------------------------

write_config
pam_service notifier "conf=$CONF"
add_user "$U1" && add_user "$U2" && add_user "$U3" && add_user "$U4" || { echo "cannot add users" >&2; exit 1; }
start_mta
start_notifier
open_session "$U1"
open_session "$U2"
open_session "$U3"
open_session "$U4"
start_pty "$U1" 0620 "$TMP/u1.screen"
start_pty "$U1" 0600 "$TMP/u1-mesg-n.screen"
start_pty "$U2" 0620 "$TMP/u2.screen"
start_pty "$U3" 0620 "$TMP/u3.screen"
start_pty "$U4" 0620 "$TMP/u4.screen"
wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 4 ]" 10 || fail "notifier did not see the user cgroups"
LIMIT_TEXT="64.0 MiB"
