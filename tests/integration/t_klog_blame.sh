#!/bin/bash
# Cgroup names may hold ',' and '=', the separators of the kernel's
# "oom-kill:...,oom_memcg=...,task_memcg=...,task=...,pid=...,uid=..." line.
# A user who can make cgroups below their own (a delegated subtree) names
# them to spell another user's cgroup and runs out of memory there: the
# notifier must not tell that other user, and names a kill only to the user
# whose uid the kill line gives.  Real cgroups, real OOM kills, the real
# notifier with a pty per user; v1 here, v2 in the VM lane.
. "$(dirname "$0")/lib.sh"

PY=$(command -v python3) || { echo "t_klog_blame: python3 is needed" >&2; exit 1; }

UA=${T_ID}a UB=${T_ID}b
add_user "$UA" && add_user "$UB" || { echo "t_klog_blame: cannot add the test users" >&2; exit 1; }
A_UID=$(uid_of "$UA") B_UID=$(uid_of "$UB")
NPARENT=$TEST_PARENT/n
CONF=$TMP/notifier.conf
NLOG=$TMP/notifier.log
METRICS=$TMP/metrics.prom
UTMP=$TMP/utmp
NPID=""
: >"$UTMP"
mkdir -p "$TMP/mail"

# The kernel's path of the mount's root ("" for "/"): the kernel log shows
# paths from the hierarchy's root, not from where it is mounted.
KROOT=$(awk -v m="$CG_MNT" '$5 == m { print $4; exit }' /proc/self/mountinfo)
[ "$KROOT" = / ] && KROOT=""
# The kernel's path of a user cgroup of the notifier.
kpath() { echo "$KROOT/$NPARENT/user-$1"; }

cat >"$TMP/sendmail" <<EOF
#!/bin/sh
cat >"$TMP/mail/\$\$.eml"
EOF
chmod 755 "$TMP/sendmail"
write_conf "$CONF" <<EOF
cgroup_version = v$MC_VERSION
cgroup_parent = "$NPARENT"
default { memory_max = 64M }
notify {
	tty = true
	mail = true
	rate_limit = 0
	warn_at = "off"
	sendmail = "$TMP/sendmail"
	metrics_file = "$METRICS"
}
EOF

# A pty given to uid, what is written to it copied to a file.
cat >"$TMP/ptyhold.py" <<'EOF'
import grp, os, sys
uid, screen = int(sys.argv[1]), sys.argv[2]
master, slave = os.openpty()
name = os.ttyname(slave)
os.chown(name, uid, grp.getgrnam("tty").gr_gid)
os.chmod(name, 0o620)
out = open(screen, "ab", buffering=0)
open(screen + ".tty", "w").write(name + "\n")
while True:
    out.write(os.read(master, 65536))
EOF
# give_pty USER UID SCREEN: a pty for the user, listed in utmp (fixtures.sh
# writes utmp_add.py).
give_pty() {
	: >"$3"
	"$PY" "$TMP/ptyhold.py" "$2" "$3" &
	T_PIDS+=($!)
	wait_for "[ -s '$3.tty' ]" 10 || fail "pty for $1 did not come up"
	"$PY" "$TMP/utmp_add.py" "$UTMP" "$1" "$(sed 's|^/dev/||' "$3.tty")"
}

# A's delegated subtree, as a service manager hands one out: the directory
# and the files that let A make, fill and limit cgroups below it.
DELEG=$CG_MNT/$NPARENT/user-$A_UID/d
# user_mkcg REL [LIMIT]: A makes DELEG/REL, name by name (on v2 with the
# memory controller enabled on the way, as the owner may), and limits it.
user_mkcg() {
	setpriv --reuid="$A_UID" --regid="$A_UID" --clear-groups -- bash -c '
		d=$1 v=$3 IFS=/
		for c in $2; do
			[ "$v" = 2 ] && { echo +memory >"$d/cgroup.subtree_control" || exit 1; }
			d=$d/$c
			mkdir -p "$d" || exit 1
		done
		[ -z "$4" ] || echo "$4" >"$d/$5"' _ "$DELEG" "$1" "$MC_VERSION" "${2:-}" "$F_MAX"
}

# oom_in DIR UID: hog as uid inside DIR until the kernel kills it; VICTIM
# is its pid.
oom_in() {
	local rc
	VICTIM=$(bash -c 'echo $$ >&3; echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" 200' \
		_ "$1" "$2" "$HOG" 3>&1 1>/dev/null 2>/dev/null)
	rc=$?
	[ "$rc" -eq 137 ] || fail "the hog of uid $2 in $1 was not killed (status $rc)"
}

# The kernel's records of the kill of pid, for the fixtures of the unit tests.
show_records() {
	dmesg -r | grep -a -E "oom-kill:.*,pid=$1,|Killed process $1 " | sed "s/^/    kmsg($T_CUR)| /"
}

# oom_kills UID: that user's oom_kills in the metrics file (0 when absent).
oom_kills() {
	local v
	v=$(sed -n "s/^pam_memcg_oom_kills_total{uid=\"$1\",.*} //p" "$METRICS" 2>/dev/null)
	echo "${v:-0}"
}

cleanup_blame() {
	end_pids
	t_cleanup
}
trap cleanup_blame EXIT

for u in "$A_UID" "$B_UID"; do
	mkcg "$CG_MNT/$NPARENT/user-$u" && echo 67108864 >"$CG_MNT/$NPARENT/user-$u/$F_MAX"
done
mkcg "$DELEG"
chown "$UA" "$DELEG" "$DELEG/cgroup.procs"
[ "$MC_VERSION" = 2 ] && chown "$UA" "$DELEG/cgroup.subtree_control"
# B has something in its cgroup, as a logged-in user would.
bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- sleep 1000' \
	_ "$CG_MNT/$NPARENT/user-$B_UID" "$B_UID" &
T_PIDS+=($!)
SA=$TMP/a.screen SB=$TMP/b.screen
give_pty "$UA" "$A_UID" "$SA"
give_pty "$UB" "$B_UID" "$SB"

: >"$NLOG"
# -k: the test's cgroups hold no session; on v2 the notifier would remove
# an emptied one (t_nf_release tests that).
"$NOTIFIER" -c "$CONF" -u "$UTMP" -d -k >>"$NLOG" 2>&1 &
NPID=$!
T_PIDS+=("$NPID")
wait_for "grep -q 'started: watching' '$NLOG'" 10 || fail "notifier did not start"
wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 2 ]" 10 || fail "notifier did not see the user cgroups"

# Each case starts with empty screens and mailbox; its log is what the
# notifier wrote since (in $TMP/case.log, by case_log).
case_start() {
	: >"$SA"
	: >"$SB"
	rm -f "$TMP"/mail/*.eml
	LOG_AT=$(wc -l <"$NLOG")
	B_KILLS=$(oom_kills "$B_UID")
}
case_log() { tail -n "+$((LOG_AT + 1))" "$NLOG" >"$TMP/case.log"; }

# B was told nothing: no notice on the pty, no mail, no kill in the log or
# the metrics.
b_untold() {
	case_log
	[ ! -s "$SB" ] || fail "$1: user B was told: $(cat -v "$SB")"
	! grep -l "^To: $UB" "$TMP"/mail/*.eml >/dev/null 2>&1 || fail "$1: a mail went to user B"
	assert_not_contains "$TMP/case.log" "(oom_kill|outside_kill|oom_group_kill|oom_nokill): user $UB " "$1: a kill logged for user B"
	# The notifier rewrites the metrics file at most once a second after
	# an event: a kill counted for B would be there by then.
	sleep 1.5
	assert_eq "$B_KILLS" "$(oom_kills "$B_UID")" "$1: user B's oom_kills in the metrics"
}

# A names a cgroup of its subtree "x,task_memcg=" and spells the path of
# B's cgroup below it with directories; the OOM is at a limit down there.
# The kernel's line reads oom_memcg=F,task_memcg=F with F = A/d/x,task_memcg=B/s.
# A, whose process it was, is told; B is not.
t_path_names_other_user() {
	local rel leaf
	rel="x,task_memcg=$(kpath "$B_UID")/s"
	leaf=$DELEG/$rel
	user_mkcg "$rel" 33554432
	rc=$?
	[ "$rc" -eq 0 ] || { fail "user A cannot make $leaf"; return; }
	assert_eq "$A_UID" "$(stat -c %u "$leaf")" "the owner of the cgroup user A made"
	case_start
	oom_in "$leaf" "$A_UID"
	wait_for "grep -q 'process: $VICTIM (hog)' '$SA'" 5 || fail "user A was not told of the kill of $VICTIM"
	sleep 0.5
	show_records "$VICTIM"
	dmesg -r | grep -a -F "task_memcg=$(kpath "$A_UID")/d/$rel,task=hog,pid=$VICTIM," >/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || fail "the kernel's summary line does not carry the forged path"
	b_untold "forged path"
	assert_contains "$TMP/case.log" "oom_kill: user $UA .* victim $VICTIM \\(hog\\)" "the kill logged for user A"
	wait_for "[ \"\$(oom_kills $A_UID)\" = 1 ]" 5
	assert_eq 1 "$(oom_kills "$A_UID")" "user A's oom_kills in the metrics"
}

# Names that make the line read two ways, each with the victim's memcg
# within the OOM's: E/b,task_memcg=E,task_memcg=E/b/c below A's cgroup E,
# the OOM at E's limit.  Nobody is named; the log says so.
t_two_readings_unnamed() {
	local e rel
	e=$(kpath "$A_UID")/d/e
	rel="e/b,task_memcg=$e,task_memcg=$e/b/c"
	user_mkcg e 50331648 && user_mkcg "$rel"
	rc=$?
	[ "$rc" -eq 0 ] || { fail "user A cannot make $DELEG/$rel"; return; }
	case_start
	oom_in "$DELEG/$rel" "$A_UID"
	wait_for "grep -q 'kill of pid $VICTIM (hog), uid $A_UID, in unknown not attributed to any user: its oom-kill line reads more than one way' '$NLOG'" 5 ||
		fail "the kill of $VICTIM was not logged as unattributed"
	sleep 0.5
	show_records "$VICTIM"
	b_untold "two readings"
	assert_not_contains "$TMP/case.log" "victim $VICTIM " "the victim $VICTIM named in an event"
	! grep -q "process: $VICTIM " "$SA" || fail "user A was told the victim by name"
}

# A process of B's uid in A's cgroup: the path says A, the kill line's uid
# says B; neither is told it by name.
t_uid_not_the_cgroups() {
	local leaf=$CG_MNT/$NPARENT/user-$A_UID/s2
	mkcg "$leaf"
	case_start
	oom_in "$leaf" "$B_UID"
	wait_for "grep -q 'kill of pid $VICTIM (hog), uid $B_UID, in .*user-$A_UID/s2 not attributed to any user: its uid is not that of the cgroup' '$NLOG'" 5 ||
		{ fail "the kill of $VICTIM was not logged as unattributed"; case_log; sed 's/^/      | /' "$TMP/case.log" >&2; }
	sleep 0.5
	b_untold "other uid"
	assert_not_contains "$TMP/case.log" "victim $VICTIM " "the victim $VICTIM named in an event"
	! grep -q "process: $VICTIM " "$SA" || fail "user A was told another uid's process by name"
}

run_test path_names_other_user t_path_names_other_user
run_test two_readings_unnamed t_two_readings_unnamed
run_test uid_not_the_cgroups t_uid_not_the_cgroups
t_done
