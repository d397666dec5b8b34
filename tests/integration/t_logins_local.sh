#!/bin/bash
# Real local logins end to end: login -f on a pty, su -l and runuser -l
# (through pam_wrapper: /etc/pam.d untouched).  From inside each session its
# cgroup, its limit, an OOM kill that spares the login shell, and
# memcg-notifier's notice of that kill on the session's terminal; after
# logout the cgroup is gone.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/logins_fixtures.sh
. "$(dirname "$0")/logins_fixtures.sh"

for u in "$UC" "$UU" "$UR"; do add_user "$u"; done

# --- the cases ---------------------------------------------------------------

t_console_login() {
	no_cgroup_yet "$UC" || return
	# login leaves the terminal at mode 0600 (TTYPERM in login.defs): mesg n,
	# which the notifier honours.  The user says mesg y first, as a user who
	# wants to be told does.
	term_open login1 "${WRAP[@]}" login -f "$UC" && shell_session login1 "mesg y"
	# No log check: login empties its environment before PAM starts, so the
	# syslog shim no longer knows where to write.
	check_logout login1 "$UC"
	term_close login1 "$LDIR/login1.txt"
	check_inside "$LDIR/login1.txt" "$UC"
	check_notice "$LDIR/login1.txt" 1 1
	show_on_failure "$LDIR/login1.txt" "$NLOG"
}

t_su_l() {
	local tty
	no_cgroup_yet "$UU" || return
	term_open su1 "${MESG_Y[@]}" "${WRAP[@]}" su -l "$UU" -c "$SHELL_CMD" &&
		tty=$(tm display-message -p -t su1 '#{pane_tty}') && noninteractive_session su1
	check_logout su1 "$UU" su-l
	term_close su1 "$LDIR/su1.txt"
	check_inside "$LDIR/su1.txt" "$UU"
	check_notice "$LDIR/su1.txt" 1 1
	# Root's terminal, held by root's su in the user's cgroup (su -c runs the
	# command in a session of its own, without a controlling terminal).
	assert_contains "$NLOG" "told $UU on ${tty:-/dev/pts/?} \\(controlling terminal in its cgroup\\)" \
		"the notifier found su's terminal through the user's cgroup"
	show_on_failure "$LDIR/su1.txt" "$NLOG"
}

t_runuser_l() {
	local tty
	no_cgroup_yet "$UR" || return
	term_open runuser1 "${MESG_Y[@]}" "${WRAP[@]}" runuser -l "$UR" -c "$SHELL_CMD" &&
		tty=$(tm display-message -p -t runuser1 '#{pane_tty}') && noninteractive_session runuser1
	check_logout runuser1 "$UR" runuser-l
	term_close runuser1 "$LDIR/runuser1.txt"
	check_inside "$LDIR/runuser1.txt" "$UR"
	check_notice "$LDIR/runuser1.txt" 1 1
	assert_contains "$NLOG" "told $UR on ${tty:-/dev/pts/?} \\(controlling terminal in its cgroup\\)" \
		"the notifier found runuser's terminal through the user's cgroup"
	show_on_failure "$LDIR/runuser1.txt" "$NLOG"
}

run_test console_login t_console_login
run_test su_l t_su_l
run_test runuser_l t_runuser_l
run_test notifier_stops t_notifier_stops
t_done
