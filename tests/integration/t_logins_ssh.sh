#!/bin/bash
# Real ssh logins end to end (a real `ssh -tt` into a private sshd with its
# own PAM service): from inside each session its cgroup, its limit, an OOM
# kill that spares the login shell, and memcg-notifier's notice of that kill
# on the session's own terminal; two sessions of one user share a cgroup;
# after logout the cgroup is gone.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/logins_fixtures.sh
. "$(dirname "$0")/logins_fixtures.sh"

for u in "$US" "$UT"; do add_user "$u"; done

# --- a private sshd (logins/sshd.sh) -------------------------------------------

. "$TOP/tests/integration/logins/sshd.sh"
start_sshd "$US" "$UT" && authorize_key "$US" && authorize_key "$UT"
SSHD_OK=$?

sshd_ready() {
	[ "$SSHD_OK" -eq 0 ] && return 0
	fail "the private sshd did not start"
	sed 's/^/      | /' "$SSHD_DIR/log" >&2 2>/dev/null
	return 1
}

# --- the cases ---------------------------------------------------------------

t_ssh() {
	sshd_ready && no_cgroup_yet "$US" || return
	ssh_open ssh1 "$US" && shell_session ssh1
	check_logout ssh1 "$US" "$SSHD_NAME"
	term_close ssh1 "$LDIR/ssh1.txt"
	check_inside "$LDIR/ssh1.txt" "$US"
	check_notice "$LDIR/ssh1.txt" 1 1
	show_on_failure "$LDIR/ssh1.txt" "$SSHD_DIR/log" "$NLOG"
}

# Two ssh sessions of one user share a cgroup.  A kill in the second while
# both are open: the notice reaches both, as the notifier tells every
# terminal of the user about their shared limit (the session of the kill,
# and the other one, where the user may be looking).  Then the first logout
# leaves the cgroup and its limit to the second (which still gets
# OOM-killed past it, and told, in that session only); the second logout
# removes it.
t_ssh_two_sessions() {
	local uid dir a=$LDIR/twoA.txt b=$LDIR/twoB.txt shell_a
	sshd_ready && no_cgroup_yet "$UT" || return
	uid=$(uid_of "$UT")
	dir=$(user_cg_dir "$UT")
	ssh_open twoA "$UT" && ssh_open twoB "$UT" || return
	if ! { term_wait twoA "$PROMPT" 20 && term_wait twoB "$PROMPT" 20; }; then
		fail "no shell prompts"
		term_close twoA "$a"
		term_close twoB "$b"
		show_on_failure "$a" "$b" "$SSHD_DIR/log"
		return
	fi
	term_send twoA "$PROBE 1 \$\$"
	term_send twoB "$PROBE 1 \$\$"
	term_wait twoA '^probe1: end' 20 || fail "first probe did not answer in the first session"
	term_wait twoB '^probe1: end' 20 || fail "first probe did not answer in the second session"
	term_text twoA >"$a"
	term_text twoB >"$b"
	shell_a=$(probe "$a" 1 shell)
	assert_eq "/$TEST_PARENT/user-$uid" "$(probe "$a" 1 cg)" "first session's cgroup"
	assert_eq "/$TEST_PARENT/user-$uid" "$(probe "$b" 1 cg)" "second session's cgroup"
	assert_eq "$LIMIT" "$(probe "$b" 1 max)" "$F_MAX seen from the second session"
	[[ -n "$shell_a" && " $(probe "$b" 1 procs) " == *" $shell_a "* ]] ||
		fail "the second session does not see the first one's shell $shell_a in $(probe "$b" 1 procs)"

	# The kill in the second session, both open.
	term_send twoB "sh $LDIR/hog-run.sh 1 200; $PROBE 2 \$\$ \$?"
	term_wait twoB '^probe2: end' 30 || fail "no probe after the hog in the second session"
	wait_notice twoB 1
	term_text twoB >"$b"
	term_wait twoA "process: $(hog_pid "$b" 1) \\(hog\\)" 10 ||
		fail "no notice in the first session about the kill in the second"
	term_text twoA >"$a"
	assert_eq 137 "$(probe "$b" 2 status)" "hog 200 in the second session (SIGKILL)"
	assert_eq 1 "$(probe "$b" 2 oom_kill)" "OOM kills counted"
	check_notice "$b" 1 1
	check_notice "$a" 1 1 "$b"

	term_send twoA exit
	term_ended twoA 20 || fail "first ssh still running after logout"
	assert_eq 0 "$(term_status twoA)" "first ssh's exit status"
	wait_for "grep -q 'user-$uid still in use: kept' '$MEMCG_TEST_SYSLOG'" 10
	assert_contains "$MEMCG_TEST_SYSLOG" "pam_memcg\\($SSHD_NAME:session\\): .*/user-$uid still in use: kept" \
		"first close keeps the cgroup"
	assert_exists "$dir" "cgroup while the second session is open"
	assert_eq "$LIMIT" "$(cat "$dir/$F_MAX" 2>/dev/null)" "limit after the first logout"

	term_send twoB "sh $LDIR/hog-run.sh 2 200; $PROBE 3 \$\$ \$?"
	term_wait twoB '^probe3: end' 30 || fail "no probe after the hog in the second session"
	wait_notice twoB 2
	term_text twoB >"$b"
	assert_eq "$LIMIT" "$(probe "$b" 3 max)" "$F_MAX seen from the second session after the first logout"
	assert_eq 137 "$(probe "$b" 3 status)" "hog 200 after the first logout (SIGKILL)"
	assert_eq 2 "$(probe "$b" 3 oom_kill)" "OOM kills counted"
	assert_eq "/$TEST_PARENT/user-$uid" "$(probe "$b" 3 cg)" "second shell's cgroup after the kill"
	[[ " $(probe "$b" 3 procs) " != *" $shell_a "* ]] ||
		fail "the first session's shell $shell_a is still in the cgroup"
	check_notice "$b" 2 2

	term_send twoB exit
	check_logout twoB "$UT" "$SSHD_NAME"
	term_close twoA "$a"
	term_close twoB "$b"
	show_on_failure "$a" "$b" "$SSHD_DIR/log" "$NLOG"
}

run_test ssh t_ssh
run_test ssh_two_sessions t_ssh_two_sessions
run_test notifier_stops t_notifier_stops
t_done
