#!/bin/bash
# Faults around the real module and notifier: a cgroup tree that is
# missing, read-only, a file, another filesystem, without the memory
# controller, made or removed by someone else; and a notifier facing cgroup
# churn, its own restart in a burst of kills, broken reloads, terminals
# that hang up or stop reading, a broken MTA and too few fds.  Mount tricks
# happen in private mount namespaces: nothing outside them sees a change.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
for f in "$PY" /usr/bin/setpriv /usr/bin/unshare /usr/bin/prlimit "$NOTIFIER" "$PAMTEST" "$SHIM"; do
	[ -e "$f" ] || { echo "t_faults: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

U1=${T_ID}f U2=${T_ID}g UX=${T_ID}x
add_user "$U1" && add_user "$U2" && add_user "$UX" || { echo "cannot add users" >&2; exit 1; }
U1_UID=$(uid_of "$U1") U2_UID=$(uid_of "$U2")
CONF=$TMP/pam_memcg.conf
mkdir -p "$TEST_PARENT_DIR" "$TMP/mail"
NPID=""

other_version() { [ "$MC_VERSION" = 1 ] && echo v2 || echo v1; }

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

conf() { # conf PARENT ON_ERROR [CGROUP_VERSION]
	write_conf "$CONF" <<EOF
cgroup_version = ${3:-auto}
cgroup_parent  = "$1"
on_error       = $2
exempt_users   = {"root", "$UX"}
default {
  memory_max  = "64M"
  memory_high = "48M"
  swap_max    = "16M"
}
EOF
}
pam_service svc "conf=$CONF" debug

cat >"$TMP/inspect.sh" <<EOF
#!/bin/sh
if [ "$MC_VERSION" = 2 ]; then
	cg=\$(awk -F: '\$1 == "0" { print \$3 }' /proc/self/cgroup)
else
	cg=\$(awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 }' /proc/self/cgroup)
fi
echo "cg=\$cg" >"\$1"
for f in $F_MAX $F_HIGH memory.swap.max memory.memsw.limit_in_bytes; do
	[ -e "$CG_MNT\$cg/\$f" ] && echo "\$f=\$(cat "$CG_MNT\$cg/\$f")" >>"\$1"
done
exit 0
EOF
chmod 755 "$TMP/inspect.sh"
val() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }

# ns_session SETUP USER [CMD...]: a session in a private mount namespace
# after the shell commands SETUP ran there.
ns_session() {
	local setup=$1
	shift
	unshare -m --propagation private -- /bin/bash -c "$setup"' || exit 97
		exec env LD_PRELOAD="$1" MEMCG_TEST_SYSLOG="$2" "$3" -d "$4" svc "${@:5}"' \
		_ "$SHIM" "$MEMCG_TEST_SYSLOG" "$PAMTEST" "$TMP/pam.d" "$@"
}

# refused_in SETUP WHY WHAT [keep]: with on_error = fail the user is denied, with
# ignore let through unmoved; root and exempt users get in either way; the
# log says why (WHY, a regular expression) at LOG_ERR.  The config's
# parent comes from the caller (conf PARENT).  "keep": the user's cgroup
# existed before and stays.
refused_in() {
	local setup=$1 why=$2 what=$3 keep=${4:-} parent mode
	parent=$(sed -n 's/^cgroup_parent *= *"\(.*\)"/\1/p' "$CONF")
	for mode in fail ignore; do
		sed -i "s/^on_error .*/on_error       = $mode/" "$CONF"
		: >"$MEMCG_TEST_SYSLOG"
		rm -f "$TMP/in.txt"
		ns_session "$setup" "$U1" "$TMP/inspect.sh" "$TMP/in.txt" >"$TMP/in.out"
		if [ "$mode" = fail ]; then
			assert_contains "$TMP/in.out" '^open=14$' "$what: on_error = fail denies (PAM_SESSION_ERR)"
		else
			assert_contains "$TMP/in.out" '^open=0$' "$what: on_error = ignore lets the session through"
			assert_eq "/$RUNNER_CG" "$(val "$TMP/in.txt" cg)" "$what: not moved"
		fi
		assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*$why" "$what ($mode): reason logged"
		assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*user $U1 \\(uid $U1_UID\\): limits not applied" \
			"$what ($mode): consequence logged"
		ns_session "$setup" root true >"$TMP/root.out"
		assert_contains "$TMP/root.out" '^open=0$' "$what ($mode): root gets in"
		ns_session "$setup" "$UX" true >"$TMP/ux.out"
		assert_contains "$TMP/ux.out" '^open=0$' "$what ($mode): exempt user gets in"
	done
	[ -n "$keep" ] || assert_gone "$CG_MNT/$parent/user-$U1_UID" "$what: no user cgroup left"
}

# ============================================================================
# The cgroup tree
# ============================================================================

t_tree_parent_missing() {
	local p=$TEST_PARENT/a/b/c
	conf "$p" fail
	assert_gone "$CG_MNT/$TEST_PARENT/a" "parent absent before"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/pm.txt" >"$TMP/pm.out"
	assert_contains "$TMP/pm.out" '^open=0$' "open with the parent missing"
	assert_eq "/$p/user-$U1_UID" "$(val "$TMP/pm.txt" cg)" "parent path made, session placed"
	assert_eq 67108864 "$(val "$TMP/pm.txt" "$F_MAX")" "limit written"
	assert_gone "$CG_MNT/$p/user-$U1_UID" "user cgroup removed at close"
}

# cgroupfs ignores modes for root: a read-only mount is what stops writes
# (containers mount /sys/fs/cgroup so).  The whole hierarchy is remounted
# read-only in the namespace; the parent missing, present, and the user's
# cgroup present.
t_tree_read_only() {
	local ro="mount -o remount,bind,ro '$CG_MNT'"
	conf "$TEST_PARENT/ro1" fail
	refused_in "$ro" "$(re "$CG_MNT/$TEST_PARENT/ro1").*Read-only file system" "read-only, parent missing"
	mkdir -p "$CG_MNT/$TEST_PARENT/ro2"
	conf "$TEST_PARENT/ro2" fail
	refused_in "$ro" "cannot create cgroup $(re "$CG_MNT/$TEST_PARENT/ro2/user-$U1_UID"): Read-only file system" \
		"read-only, parent present"
	mkcg "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID"
	echo 1073741824 >"$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID/$F_MAX"
	conf "$TEST_PARENT/ro3" fail
	refused_in "$ro" "cannot write $(re "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID")/.*: Read-only file system" \
		"read-only, user cgroup present" keep
	assert_eq 1073741824 "$(cat "$CG_MNT/$TEST_PARENT/ro3/user-$U1_UID/$F_MAX")" "read-only: the old limit stands"
}

# A cgroup_parent that names a file (cgroupfs has them: the control files).
t_tree_parent_is_file() {
	conf "$TEST_PARENT/$F_MAX" fail
	refused_in "true" "$(re "$CG_MNT/$TEST_PARENT/$F_MAX").*Not a directory" "parent is a file"
}

# cgroupfs holds no symlinks, fifos or files of ours: nothing there can be
# "replaced by a symlink" except through a mount (the next test).  The walk
# itself (openat2 RESOLVE_NO_SYMLINKS, or O_NOFOLLOW per component) is
# checked against symlinks on a fake tree by tests/unit/test_cglimits.c
# and test_cgfs.c.
t_tree_no_symlinks_on_cgroupfs() {
	local d=$TEST_PARENT_DIR
	if ln -s / "$d/lnk" 2>/dev/null; then fail "a symlink could be made on cgroupfs"; fi
	if touch "$d/file" 2>/dev/null; then fail "a file could be made on cgroupfs"; fi
	if mkfifo "$d/fifo" 2>/dev/null; then fail "a fifo could be made on cgroupfs"; fi
	rm -f "$d/lnk" "$d/file" "$d/fifo" 2>/dev/null
}

# Another filesystem at the parent's path (a tmpfs holding a symlink and a
# fake user cgroup), a bind mount of another cgroup there, and a tmpfs over
# the hierarchy's root: refused, nothing written into them.
t_tree_not_cgroupfs() {
	local m=$TEST_PARENT_DIR/mnt
	mkdir -p "$m" "$TEST_PARENT_DIR/mnt2" "$TEST_PARENT_DIR/elsewhere"
	local tmpfs="mount -t tmpfs -o mode=0755 none '$m' && mkdir '$m/user-$U1_UID' && ln -s '$TEST_PARENT_DIR/elsewhere' '$m/sub'"
	conf "$TEST_PARENT/mnt" fail
	refused_in "$tmpfs" "$(re "$CG_MNT/$TEST_PARENT/mnt").*Invalid cross-device link" "tmpfs at the parent"
	conf "$TEST_PARENT/mnt/sub" fail
	refused_in "$tmpfs" "$(re "$CG_MNT/$TEST_PARENT/mnt/sub").*Invalid cross-device link" "symlink on a tmpfs at the parent"
	assert_gone "$TEST_PARENT_DIR/elsewhere/user-$U1_UID" "nothing made where the symlink points"
	# What the session left in the tmpfs, seen from inside the namespace.
	unshare -m --propagation private -- /bin/bash -c "$tmpfs"' && LD_PRELOAD="$1" MEMCG_TEST_SYSLOG=/dev/null "$2" -d "$3" svc "$4" true >/dev/null
		find "$5" -mindepth 1 | sort' _ "$SHIM" "$PAMTEST" "$TMP/pam.d" "$U1" "$m" >"$TMP/tmpfs.ls"
	assert_eq "$m/sub $m/user-$U1_UID" "$(tr '\n' ' ' <"$TMP/tmpfs.ls" | sed 's/ $//')" "nothing written into the tmpfs"
	conf "$TEST_PARENT/mnt2" fail
	refused_in "mount --bind '$TEST_PARENT_DIR/elsewhere' '$TEST_PARENT_DIR/mnt2'" \
		"$(re "$CG_MNT/$TEST_PARENT/mnt2").*Invalid cross-device link" "another cgroup bound at the parent"
	conf "$TEST_PARENT" fail
	refused_in "mount -t tmpfs none '$CG_MNT' && mkdir -p '$CG_MNT/$RUNNER_CG'" \
		"(no memory cgroup hierarchy found|cannot open the v[12] memory hierarchy at $(re "$CG_MNT"))" "tmpfs over the hierarchy"
}

# No memory controller at all (the hierarchy unmounted in the namespace),
# and the version this machine lacks forced in the config.
t_tree_no_memory_controller() {
	conf "$TEST_PARENT" fail
	refused_in "umount -l '$CG_MNT'" "no memory cgroup hierarchy found" "memory hierarchy unmounted"
	conf "$TEST_PARENT" fail "$(other_version)"
	refused_in "true" "cgroup_version = $(other_version), but" "cgroup_version = $(other_version) forced"
}

# Someone else made user-<uid> with other limits: ours are written, whether
# theirs were above or below (v1 orders the memsw and limit writes).
t_tree_precreated() {
	local d=$CG_MNT/$TEST_PARENT/user-$U1_UID size
	conf "$TEST_PARENT" fail
	for size in 1073741824 33554432; do
		mkcg "$d"
		# Their limits, from "max" down (limit before memsw on v1).
		echo "$size" >"$d/$F_MAX" && echo "$size" >"$d/$F_HIGH"
		[ ! -e "$d/memory.memsw.limit_in_bytes" ] || echo "$size" >"$d/memory.memsw.limit_in_bytes"
		[ ! -e "$d/memory.swap.max" ] || echo "$size" >"$d/memory.swap.max"
		session svc "$U1" "$TMP/inspect.sh" "$TMP/pc.txt" >"$TMP/pc.out"
		assert_contains "$TMP/pc.out" '^open=0$' "open into a user cgroup made by someone else ($size)"
		assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/pc.txt" cg)" "placed ($size)"
		assert_eq 67108864 "$(val "$TMP/pc.txt" "$F_MAX")" "our memory_max over $size"
		assert_eq 50331648 "$(val "$TMP/pc.txt" "$F_HIGH")" "our memory_high over $size"
		if [ -n "$(val "$TMP/pc.txt" memory.memsw.limit_in_bytes)" ]; then
			assert_eq 83886080 "$(val "$TMP/pc.txt" memory.memsw.limit_in_bytes)" "our memsw over $size"
		fi
		assert_gone "$d" "removed at the last close ($size)"
	done
}

# The user's cgroup (and its parent) removed while a session is open: the
# next open makes them again; closes do not fail.  And the cgroup a session
# came from removed before its close: the process goes to the nearest
# ancestor, and the user's cgroup does not stay behind.
t_tree_removed_while_open() {
	local p=$TEST_PARENT/rm d holder pid _round
	d=$CG_MNT/$p/user-$U1_UID
	conf "$p" fail
	mkdir -p "$TEST_PARENT_DIR/aside"
	session svc "$U1" sh -c "echo \$\$ >$TMP/holder.rm; exec sleep 1000" >"$TMP/rm-a.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.rm ] && [ -d $d ]" 10 || fail "session did not open"
	holder=$(cat "$TMP/holder.rm")
	# Someone moves the session's processes away and removes the cgroups.
	# (cgroup.procs is read whole first: moving while reading skips some.)
	for _round in 1 2 3; do
		for pid in $(cat "$d/cgroup.procs"); do echo "$pid" >"$TEST_PARENT_DIR/aside/cgroup.procs"; done
		[ -s "$d/cgroup.procs" ] || break
	done
	rmdir "$d" "$CG_MNT/$p" || fail "could not remove the user's cgroup and parent"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/rm-b.txt" >"$TMP/rm-b.out"
	assert_contains "$TMP/rm-b.out" '^open=0$' "open after the removal"
	assert_eq "/$p/user-$U1_UID" "$(val "$TMP/rm-b.txt" cg)" "cgroup and parent made again"
	assert_eq 67108864 "$(val "$TMP/rm-b.txt" "$F_MAX")" "limit written again"
	assert_contains "$TMP/rm-b.out" '^close=0$' "close of the new session"
	kill "$holder"
	wait_for "grep -q '^close=' $TMP/rm-a.out" 10 || fail "first session did not close"
	assert_contains "$TMP/rm-a.out" '^close=0$' "close of the session whose cgroup was removed"
	assert_gone "$d" "nothing left"

	# The session's origin removed while it is open.
	mkdir -p "$TEST_PARENT_DIR/origin"
	: >"$MEMCG_TEST_SYSLOG"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec env LD_PRELOAD="$2" "$3" -d "$4" svc "$5" sh -c "echo \$\$ >$6; exec sleep 1000"' \
		_ "$TEST_PARENT_DIR/origin" "$SHIM" "$PAMTEST" "$TMP/pam.d" "$U1" "$TMP/holder.or" >"$TMP/or.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.or ] && [ -d $d ]" 10 || fail "session from origin did not open"
	rmdir "$TEST_PARENT_DIR/origin" || fail "could not remove the origin"
	kill "$(cat "$TMP/holder.or")"
	wait_for "grep -q '^close=' $TMP/or.out" 10 || fail "session from origin did not close"
	assert_contains "$TMP/or.out" '^close=0$' "close with the origin gone"
	wait_for "[ ! -d $d ]" 2 || fail "user cgroup left behind when the origin was gone: $(cat "$MEMCG_TEST_SYSLOG")"
	assert_contains "$MEMCG_TEST_SYSLOG" "$(re "$TEST_PARENT_DIR")/origin is gone: pid [0-9]+ moved to $(re "$CG_MNT")[^ ]* instead" \
		"the move to the ancestor logged"
}

# ============================================================================
# The notifier
# ============================================================================

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

cat >"$TMP/utmp_add.py" <<'EOF'
import os, struct, sys, time
FMT = "<hhi32s4s32s256shhiii4i20s"      # struct utmp on x86_64 glibc
path, user, line = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
rec = struct.pack(FMT, 7, 0, os.getpid(), line, b"mc%02d" % (os.getpid() % 100), user,
                  b"memcg-test", 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")
with open(path, "ab") as f:
    f.write(rec)
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

# 2,000 user cgroups made and removed as fast as possible: the notifier
# keeps up, logs no error, ends with the fds it had, and still reports a
# real kill correctly.
t_nf_churn() {
	local base after t0
	nf_setup
	base=$(fds_of "$NPID")
	t0=$EPOCHREALTIME
	$PY - "$CG_MNT/$NPARENT" <<'EOF' || fail "churn failed"
import os, sys
parent = sys.argv[1]
for i in range(2000):
    d = "%s/user-%d" % (parent, 4000000000 + i % 250)
    os.mkdir(d)
    os.rmdir(d)
EOF
	echo "    (2,000 cgroups made and removed in $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 )) ms)"
	wait_for "[ \$(fds_of $NPID) -eq $base ]" 10 ||
		fail "fds after the churn: $(fds_of "$NPID"), before: $base"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
	assert_not_contains "$NLOG" 'cannot|error' "no error logged for cgroups that came and went"
	kill_one "$U1"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "kill after the churn not told"
	assert_contains "$NLOG" "oom_kill: user $U1 .* victim $VICTIM \\(python3\\)" "kill after the churn logged"
	after=$(grep -c 'watching .*/user-4' "$NLOG")
	echo "    ($after of the 2,000 were seen long enough to be watched)"
}

# Terminals that hung up (the node is gone) or take no output (buffer full,
# nobody reads): the loop stays responsive, others are told at once.
t_nf_dead_terminals() {
	local ms
	nf_setup
	start_pty "$U1" 0620 "$TMP/block.screen" block
	start_pty "$U1" 0620 "$TMP/hang.screen" hangup
	local hang block
	hang=$(cat "$TMP/hang.screen.tty") block=$(cat "$TMP/block.screen.tty")
	kill_one "$U1"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "no notice on the working pty of $U1"
	# (Its number may already be someone else's pty: refused as such.)
	assert_contains "$NLOG" "$(re "$hang") of $U1: (No such file or directory|owned by someone else)" \
		"hung-up terminal logged"
	assert_contains "$NLOG" "(cannot write to $(re "$block") of $U1: the terminal is not taking output|$(re "$block") of $U1 took only)" \
		"blocked terminal logged"
	# Five more kills at the stuck terminals, then one for U2: told at once.
	local i
	for i in 1 2 3 4 5; do kill_one "$U1"; done
	kill_one "$U2"
	ms=$(ms_until "$TMP/u2.screen" "process: $VICTIM (python3)" 5)
	echo "    (notice to $U2 $ms ms after its kill, with $U1's terminals stuck)"
	[ "$ms" -lt 1000 ] || fail "notice to $U2 took $ms ms"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
}

# A broken config at SIGHUP: a fifo (no hang), a symlink, a world-writable
# file, no file, a hierarchy this machine lacks.  The old config stays and
# keeps working.
t_nf_sighup_broken() {
	local n=0 kind
	nf_setup
	cp "$NCONF" "$TMP/good.conf"
	for kind in fifo symlink writable missing version; do
		rm -f "$NCONF"
		case $kind in
		fifo) mkfifo -m 0644 "$NCONF" ;;
		symlink) ln -s "$TMP/good.conf" "$NCONF" ;;
		writable) cp "$TMP/good.conf" "$NCONF" && chmod 0666 "$NCONF" ;;
		missing) ;;
		version) sed "s/^cgroup_version = .*/cgroup_version = $(other_version)/" "$TMP/good.conf" | write_conf "$NCONF" ;;
		esac
		n=$((n + 1))
		kill -HUP "$NPID"
		wait_for "[ \$(grep -c 'not reloaded; keeping' '$NLOG') -ge $n ]" 3 ||
			fail "$kind: not refused within 3 s"
		kill -0 "$NPID" 2>/dev/null || { fail "$kind: notifier died"; return; }
	done
	assert_contains "$NLOG" "$(re "$NCONF"): is not a regular file" "fifo refused"
	assert_contains "$NLOG" "$(re "$NCONF"): is a symbolic link" "symlink refused"
	assert_contains "$NLOG" "$(re "$NCONF"): is writable by group or others" "writable refused"
	assert_contains "$NLOG" "$(re "$NCONF"): no such file" "missing refused"
	assert_contains "$NLOG" "cgroup_version = $(other_version), but" "missing hierarchy refused"
	rm -f "$NCONF"
	write_conf "$NCONF" <"$TMP/good.conf"
	# Still watching with the old config (the version reload started over).
	wait_for "[ \$(grep -c 'watching .*/user-$U2_UID' '$NLOG') -ge 2 ]" 3 || fail "watches not made again"
	kill_one "$U2"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u2.screen'" 5 || fail "no notice after the broken reloads"
	kill -HUP "$NPID"
	wait_for "grep -q 'pam_memcg.conf reloaded\|notifier.conf reloaded' '$NLOG'" 3 || fail "good config not reloaded"
}

# The MTA: sendmail missing, not executable, failing, killed, hanging
# without reading.  Terminal notices go out regardless; each failure is
# logged; 32 hung sendmails stop further mail (logged) without slowing the
# loop; once they are gone, mail works again.
t_nf_mta_faults() {
	local kind sm ms i
	nf_setup
	cat >"$TMP/sm-fail" <<'EOF'
#!/bin/sh
cat >/dev/null
exit 75
EOF
	cat >"$TMP/sm-signal" <<'EOF'
#!/bin/sh
kill -SEGV $$
EOF
	cat >"$TMP/sm-hang" <<EOF
#!/bin/sh
echo \$\$ >$TMP/mail/hang.\$\$.pid
exec sleep 1000
EOF
	cat >"$TMP/sm-ok" <<EOF
#!/bin/sh
cat >$TMP/mail/ok.\$\$.eml
EOF
	cp "$TMP/sm-ok" "$TMP/sm-noexec"
	chmod 755 "$TMP/sm-fail" "$TMP/sm-signal" "$TMP/sm-hang" "$TMP/sm-ok"
	chmod 644 "$TMP/sm-noexec"
	for kind in missing noexec fail signal; do
		case $kind in
		missing) sm=$TMP/no-such-sendmail ;;
		*) sm=$TMP/sm-$kind ;;
		esac
		nconf "mail = true
	sendmail = \"$sm\""
		kill -HUP "$NPID"
		wait_for "[ \$(grep -c 'notifier.conf reloaded' '$NLOG') -ge 1 ]" 3
		: >"$TMP/u1.screen"
		kill_one "$U1"
		wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "$kind: no terminal notice"
	done
	wait_for "grep -q 'was killed by signal 11' '$NLOG'" 3
	assert_contains "$NLOG" "cannot run $(re "$TMP")/no-such-sendmail to mail $U1: No such file or directory" "missing sendmail logged"
	assert_contains "$NLOG" "cannot run $(re "$TMP")/sm-noexec to mail $U1: Permission denied" "sendmail not executable logged"
	assert_contains "$NLOG" "sendmail \\(pid [0-9]+\\) failed with exit status 75" "failing sendmail logged"
	assert_contains "$NLOG" "sendmail \\(pid [0-9]+\\) was killed by signal 11" "crashing sendmail logged"

	nconf "mail = true
	sendmail = \"$TMP/sm-hang\""
	kill -HUP "$NPID"
	sleep 0.2
	for i in $(seq 33); do kill_one "$U1"; done
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "hanging MTA: no terminal notice"
	assert_contains "$NLOG" "32 sendmail processes are still running; no mail to $U1" "hung MTA: the cap is logged"
	assert_eq 32 "$(ls "$TMP"/mail/hang.*.pid 2>/dev/null | wc -l)" "hung sendmails at the cap"
	kill_one "$U2"
	ms=$(ms_until "$TMP/u2.screen" "process: $VICTIM (python3)" 5)
	echo "    (notice to $U2 $ms ms after its kill, with 32 sendmails hung)"
	[ "$ms" -lt 1000 ] || fail "notice to $U2 took $ms ms with the MTA hung"
	# The stuck MTA goes away: mail flows again.
	for i in "$TMP"/mail/hang.*.pid; do kill "$(cat "$i")" 2>/dev/null; done
	nconf "mail = true
	sendmail = \"$TMP/sm-ok\""
	kill -HUP "$NPID"
	wait_for "[ \$(grep -c 'was killed by signal 15' '$NLOG') -ge 32 ]" 5 || fail "hung sendmails not reaped"
	kill_one "$U1"
	wait_for "grep -qs 'process: $VICTIM (python3)' $TMP/mail/ok.*.eml" 5 || fail "no mail once the MTA works again"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
	nconf
	kill -HUP "$NPID"
}

# Restart in the middle of a burst of kills.  "Lost" means: a kill whose
# kernel log line came while a notifier ran (before the stop marker for the
# first, after the start marker for the second) that its log does not name,
# or a kill a log names that the user was never told of (a notice, or a
# count in a summary: rate_limit holds the rest).  Kills between the two
# markers cannot be seen by a notifier that is not running and keeps no
# state (the next one takes the counters as its baseline): they may be
# told once at most.  No kill may be told twice.
t_nf_restart_mid_burst() {
	local screen=$TMP/u2.screen la=$TMP/a.log lb=$TMP/b.log burst i
	nf_setup
	stop_notifier
	RATE=3 nconf
	: >"$screen" && : >"$TMP/burst.pids"
	start_notifier "$la"
	wait_for "grep -q 'watching .*/user-$U2_UID' '$la'" 5 || fail "first notifier does not watch $U2"
	(
		for i in $(seq 30); do
			kill_one "$U2"
			echo "$VICTIM" >>"$TMP/burst.pids"
		done
	) &
	burst=$!
	wait_for "[ \$(wc -l <$TMP/burst.pids) -ge 10 ]" 90 || fail "burst too slow"
	echo "memcg-test $$ stop marker" >/dev/kmsg
	stop_notifier
	sleep 0.3
	start_notifier "$lb"
	echo "memcg-test $$ start marker" >/dev/kmsg
	wait "$burst"
	# What the second notifier holds back goes out rate_limit seconds after
	# its last notice or summary.
	wait_for "grep -q 'summary: ' '$lb'" 8 || fail "no summary from the second notifier"
	sleep 4
	$PY - "$$" "$TMP/burst.pids" "$la" "$lb" "$screen" >"$TMP/restart.txt" <<'EOF'
import os, re, sys
tag, pidfile, la, lb, screen = sys.argv[1:]
pids = [l.strip() for l in open(pidfile) if l.strip()]
fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
seq_of, stop, start = {}, None, None
while True:
    try:
        rec = os.read(fd, 8192).decode(errors="replace")
    except BlockingIOError:
        break
    except BrokenPipeError:
        continue
    head, _, text = rec.partition(";")
    seq = int(head.split(",")[1])
    if "memcg-test %s stop marker" % tag in text:
        stop = seq
    elif "memcg-test %s start marker" % tag in text:
        start = seq
    m = re.match(r"(?:Memory cgroup out of memory: )?Killed process (\d+) ", text)
    if m and m.group(1) in pids:
        seq_of[m.group(1)] = seq
def logged(path):
    out = {}
    for l in open(path, errors="replace"):
        m = re.search(r"oom_kill: .* victim (\d+|unknown)", l)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out
a, b = logged(la), logged(lb)
bad = []
if stop is None or start is None:
    bad.append("markers not found in the kernel log")
pre = [p for p in pids if p in seq_of and seq_of[p] < stop]
post = [p for p in pids if p in seq_of and seq_of[p] > start]
gap = [p for p in pids if p in seq_of and stop < seq_of[p] < start]
missing_k = [p for p in pids if p not in seq_of]
if missing_k:
    bad.append("kills not in the kernel log: %s" % missing_k)
for p in pre:
    if a.get(p, 0) != 1 or b.get(p, 0) != 0:
        bad.append("kill %s before the stop: first log %d, second %d" % (p, a.get(p, 0), b.get(p, 0)))
for p in post:
    if b.get(p, 0) != 1 or a.get(p, 0) != 0:
        bad.append("kill %s after the start: first log %d, second %d" % (p, a.get(p, 0), b.get(p, 0)))
for p in gap:
    if a.get(p, 0) + b.get(p, 0) > 1:
        bad.append("kill %s between the markers told %d times" % (p, a.get(p, 0) + b.get(p, 0)))
if "unknown" in a or "unknown" in b:
    bad.append("victims logged as unknown: %d, %d" % (a.get("unknown", 0), b.get("unknown", 0)))
logged_total = sum(a.values()) + sum(b.values())
text = open(screen, "rb").read().decode(errors="replace")
notices = text.count("A process of yours was killed")
held = sum(int(n) for n in re.findall(r"(\d+) more process(?:es were| was) killed since", text))
if notices + held != logged_total:
    bad.append("the user was told of %d kills (%d notices + %d in summaries), the logs name %d"
               % (notices + held, notices, held, logged_total))
sums = [len(re.findall("summary: ", open(p, errors="replace").read())) for p in (la, lb)]
print("kills %d: %d before the stop, %d between, %d after the start; logged %d+%d; told %d notices + %d in %d+%d summaries"
      % (len(pids), len(pre), len(gap), len(post), sum(a.values()), sum(b.values()), notices, held, sums[0], sums[1]))
for x in bad:
    print("BAD " + x)
EOF
	sed -n '1s/^/    (/p' "$TMP/restart.txt" | sed '1s/$/)/'
	while read -r line; do fail "${line#BAD }"; done < <(grep '^BAD ' "$TMP/restart.txt")
	NLOG=$lb
	nconf
	kill -HUP "$NPID"
}

# Too few fds (RLIMIT_NOFILE 64) for the user cgroups there are: each one
# that cannot be watched is logged with its path and the reason; once
# removals free fds, every one of them is watched, and a kill is told.
t_nf_out_of_fds() {
	local i uid log=$TMP/fds.log failed watched missing=""
	nf_setup
	stop_notifier
	# v2 watches memory.events with inotify (no fd); warn_at adds a PSI fd.
	if [ "$MC_VERSION" = 2 ]; then WARN=50% nconf; else nconf; fi
	# Limited, so that v2's warn_at arms a PSI trigger (an fd) on each.
	for i in $(seq 80); do make_cg $((4100000000 + i)); done
	start_notifier "$log" prlimit --nofile=64:64
	if ! wait_for "grep -q 'Too many open files' '$log'" 5 && grep -q 'no PSI trigger' "$log"; then
		echo "    (skipped: no fd per cgroup on v2 without PSI)"
		stop_notifier
		return
	fi
	grep -q 'Too many open files' "$log" || fail "no fd exhaustion logged"
	assert_contains "$log" "^memcg-notifier: cannot .* $(re "$CG_MNT/$NPARENT")/user-[0-9]+: Too many open files; will try again" \
		"failure names the cgroup and the reason"
	failed=$(sed -n 's|.*/user-\([0-9]*\): Too many open files.*|\1|p' "$log" | sort -u)
	watched=$(sed -n 's|^memcg-notifier: watching .*/user-\([0-9]*\) .*|\1|p' "$log" | sort -u)
	echo "    ($(echo "$watched" | wc -w) cgroups watched, $(echo "$failed" | wc -w) not, at 64 fds)"
	[ -n "$failed" ] || { fail "nothing failed at 64 fds"; return; }
	# The watched ones go (their fds with them): the others must follow.
	for uid in $watched; do
		[ "$uid" = "$U1_UID" ] || rmdir "$CG_MNT/$NPARENT/user-$uid"
	done
	wait_for "grep -q 'every user cgroup under .* is watched again' '$log'" 10 ||
		fail "not every cgroup watched again"
	for uid in $failed; do
		grep -q "watching .*/user-$uid " "$log" || missing="$missing $uid"
	done
	[ -z "$missing" ] || fail "never watched after fds were free:$missing"
	kill_one "$U1"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "no notice after the fds came back"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
	stop_notifier
}

# More user cgroups at start than the notifier looks up at once (256): the
# rest are watched for OOM before its "started" line and their users looked
# up after it.  Every cgroup gets its one "watching" line, the look-ups end
# with their line, and a kill in a cgroup looked up after the start is
# told (in the log: its uid is unknown to NSS).
t_nf_many_at_start() {
	local i n=400 base=4200000000 log=$TMP/many.log deferred late victim rc total dirs=()
	nf_setup
	stop_notifier
	# One mkdir and shell built-ins: 400 processes would take minutes in
	# the VM lanes' emulated CPU.  The parent is there (nf_setup).
	for i in $(seq "$n"); do dirs+=("$CG_MNT/$NPARENT/user-$((base + i))"); done
	mkdir "${dirs[@]}" || { fail "cannot make $n cgroups"; return; }
	for i in "${dirs[@]}"; do echo 67108864 >"$i/$F_MAX"; done
	# With those the earlier cases left (U1's and U2's at least).
	total=$(find "$CG_MNT/$NPARENT" -mindepth 1 -maxdepth 1 -type d -name 'user-*' | wc -l)
	start_notifier "$log"
	assert_contains "$log" "^memcg-notifier: [0-9]+ user cgroups watched for OOM; their users are looked up after the start" \
		"the start says how many it looks up later"
	deferred=$(sed -n 's/^memcg-notifier: \([0-9]*\) user cgroups watched for OOM.*/\1/p' "$log")
	assert_eq $((total - 256)) "$deferred" "all but the first 256 left for after the start"
	wait_for "grep -q 'looked up the users of the $deferred user cgroups watched first' '$log'" 10 ||
		fail "the look-ups after the start did not end"
	assert_eq "$total" "$(grep -c 'watching .*/user-[0-9]* (uid' "$log")" "one watching line per user cgroup"
	assert_eq "$total" "$(sed -n 's|.*watching .*/user-\([0-9]*\) (uid.*|\1|p' "$log" | sort -u | wc -l)" \
		"each cgroup once"
	# One of those looked up after the start line.
	late=$(sed -n '/started: watching/,$ s|.*watching .*/user-\(4200[0-9]*\) (uid.*|\1|p' "$log" | head -1)
	[ -n "$late" ] || { fail "no cgroup was looked up after the start"; return; }
	victim=$(bash -c 'echo $$ >&3; echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" -c "$4"' \
		_ "$CG_MNT/$NPARENT/user-$late" "$late" "$PY" "$HOG" 3>&1 1>/dev/null 2>/dev/null)
	rc=$?
	[ "$rc" -eq 137 ] || fail "the allocating process of uid $late was not killed (status $rc)"
	wait_for "grep -q 'user ? (uid $late) .* victim $victim' '$log'" 5 ||
		fail "the kill of pid $victim (uid $late, looked up after the start) was not told"
	stop_notifier
	rmdir "${dirs[@]}"
}

# run NAME FUNCTION: run_test, or skipped when T_ONLY (a glob) does not
# match NAME (for running one case while working on it).
run() {
	# shellcheck disable=SC2053 # T_ONLY is a glob
	[ -z "${T_ONLY:-}" ] || [[ $1 == $T_ONLY ]] || return 0
	run_test "$@"
}

run tree_parent_missing t_tree_parent_missing
run tree_read_only t_tree_read_only
run tree_parent_is_file t_tree_parent_is_file
run tree_no_symlinks_on_cgroupfs t_tree_no_symlinks_on_cgroupfs
run tree_not_cgroupfs t_tree_not_cgroupfs
run tree_no_memory_controller t_tree_no_memory_controller
run tree_precreated t_tree_precreated
run tree_removed_while_open t_tree_removed_while_open
run nf_churn t_nf_churn
run nf_dead_terminals t_nf_dead_terminals
run nf_sighup_broken t_nf_sighup_broken
run nf_mta_faults t_nf_mta_faults
run nf_restart_mid_burst t_nf_restart_mid_burst
run nf_out_of_fds t_nf_out_of_fds
run nf_many_at_start t_nf_many_at_start
t_done
