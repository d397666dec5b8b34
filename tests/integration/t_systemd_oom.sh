#!/bin/bash
# The systemd backend at an OOM kill, with a user logged in with su -l and
# over ssh: a kill in either session spares the login shells and both
# sessions; the notifier's notice reaches the ssh terminal; memcgctl reads
# the systemd layout; a fork loop stopped at tasks_max is told once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/systemd_fixtures.sh
. "$(dirname "$0")/systemd_fixtures.sh"

# The two sessions the cases kill in (t_systemd_login.sh checks them).
sd_start_sshd
login_su su1
login_ssh ssh1

# hog_in TERM N: runs the hog past the limit, then prints its status and the
# shell's pid again.
hog_in() {
	term_send "$1" "$LDIR/hog 200; echo hog$2=\$?; echo after$2=\$\$"
	term_wait "$1" "^after$2=[0-9]+" 120 || fail "$1: no answer after the hog"
}

# A process past the limit is killed; the login shell, its session and
# the other session live on.
t_oom_su() {
	local before after
	[ -n "$SID_SU" ] || { fail "no su -l session"; return; }
	before=$(oom_kills)
	hog_in su1 1
	assert_eq 137 "$(term_text su1 | sed -n 's/^hog1=//p' | tail -n 1)" "hog 200 in the su -l session (SIGKILL)"
	term_text su1 | grep -q '^survived' && fail "the hog got past the limit"
	assert_eq "$(shell_of su1)" "$(term_text su1 | sed -n 's/^after1=//p' | tail -n 1)" "the su -l shell after the kill"
	after=$(oom_kills)
	[ "${after:-0}" -gt "${before:-0}" ] || fail "oom_kill in $SLICE_DIR/memory.events did not grow ($before -> $after)"
	sleep 1 # systemd reacts to memory.events asynchronously
	session_alive "$SID_SU" "su -l after the OOM kill"
	[ -n "$SID_SSH" ] && session_alive "$SID_SSH" "ssh after the kill in the su -l session"
	journalctl -b --no-pager -u "session-$SID_SU.scope" 2>/dev/null | grep -q "killed by the OOM killer" ||
		fail "systemd did not log the OOM kill for session-$SID_SU.scope"
	show su1
}

# Over ssh, with the notifier running: the kill and the notice on the
# session's terminal.
t_oom_ssh_notice() {
	[ -n "$SID_SSH" ] || { fail "no ssh session"; return; }
	"$NOTIFIER" -c "$CONF" -d >"$NLOG" 2>&1 &
	NPID=$!
	wait_for "grep -q 'started: watching' '$NLOG'" 20 || { fail "the notifier did not start"; sed 's/^/      | /' "$NLOG" >&2; return; }
	assert_contains "$NLOG" "started: watching /sys/fs/cgroup/user.slice \\(cgroup v2, systemd backend\\)" "the notifier's layout"
	assert_contains "$NLOG" "watching /sys/fs/cgroup/user.slice/$SLICE \\(uid $UID_U" "the notifier watches the user's slice"
	assert_not_contains "$NLOG" "watching /sys/fs/cgroup/user.slice/user-0.slice" "root's slice is not watched"
	hog_in ssh1 2
	assert_eq 137 "$(term_text ssh1 | sed -n 's/^hog2=//p' | tail -n 1)" "hog 200 in the ssh session (SIGKILL)"
	assert_eq "$(shell_of ssh1)" "$(term_text ssh1 | sed -n 's/^after2=//p' | tail -n 1)" "the ssh shell after the kill"
	term_wait ssh1 'Message from memcg-notifier@' 20 || fail "no notice on the ssh terminal"
	term_wait ssh1 'A process of yours was killed' 5 || fail "the notice does not say a process was killed"
	term_wait ssh1 'limit: +64\.0 MiB' 5 || fail "the notice does not give the 64 MiB limit"
	sleep 1
	session_alive "$SID_SSH" "ssh after the OOM kill"
	session_alive "$SID_SU" "su -l after the kill in the ssh session"
	# memcgctl reads the systemd layout.
	"$MEMCGCTL" status -c "$CONF" "$U" >"$TMP/status" 2>&1 || fail "memcgctl status failed"
	assert_contains "$TMP/status" "^$UID_U +$U .* 64\\.0 MiB +63\\.0 MiB +0 B +[1-9]" "memcgctl status of the slice"
	"$MEMCGCTL" explain -c "$CONF" "$U" >"$TMP/explain" 2>&1
	assert_contains "$TMP/explain" "cgroup: +/sys/fs/cgroup/user.slice/$SLICE \\(cgroup v2\\)" "memcgctl explain: the slice"
	show ssh1
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$NLOG" >&2
}

# A fork loop in the ssh session stops at tasks_max (set on the slice by a
# new login) and the notifier, still running, tells it once on the ssh
# terminal.  On kernels before 6.13 the refusal is counted in the session's
# scope, not the slice: the kernel log's line is what tells it then.
t_tasks_storm_notice() {
	[ -n "$SID_SSH" ] && [ -n "$NPID" ] || { fail "no ssh session or no notifier"; return; }
	install -m 0644 "$TOP/tests/integration/logins/forkloop.py" "$LDIR/forkloop.py"
	write_config "" 'tasks_max = 40'
	login_su su2
	assert_eq 40 "$(show_prop TasksMax)" "TasksMax of $SLICE after a login with tasks_max"
	term_send ssh1 "python3 $LDIR/forkloop.py"
	term_wait ssh1 '^forked=[0-9]+ refused=2[01]' 60 || fail "the fork loop was not refused"
	term_wait ssh1 'new processe?s? of yours (was|were) refused: your sessions together reached their limit on processes' 20 ||
		fail "no notice of the refused processes on the ssh terminal"
	term_wait ssh1 'limit: +40 processes and threads' 5 || fail "the notice does not give the limit"
	sleep 2
	assert_eq 1 "$(term_text ssh1 | grep -c 'of yours w[a-z]* refused')" "notices of one fork loop"
	assert_contains "$NLOG" "tasks_max: user $U \\(uid $UID_U\\) cgroup /sys/fs/cgroup/user.slice/$SLICE refused [0-9]+ tasks [0-9]+ tasks_max 40" "the notifier's log line"
	session_alive "$SID_SSH" "ssh after the fork loop"
	show ssh1
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$NLOG" >&2
	write_config
}

run_test oom_su_l t_oom_su
run_test oom_ssh_notice t_oom_ssh_notice
run_test tasks_storm_notice t_tasks_storm_notice
t_done
