#!/bin/bash
# The systemd backend at login: su -l and ssh sessions land in their logind
# scopes in user-<uid>.slice, whose limits (systemctl show and cgroupfs
# agree) survive daemon-reload and are shared; systemd removes the slice
# after the last logout; a user become exempt gets the old limits lifted.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/systemd_fixtures.sh
. "$(dirname "$0")/systemd_fixtures.sh"

sd_start_sshd

t_su_l() {
	local cg
	[ ! -e "$SLICE_DIR" ] || { fail "$SLICE_DIR exists before the first login"; return; }
	login_su su1 || return
	cg=$(cgroup_of su1)
	[ -n "$SID_SU" ] || fail "su -l: pam_systemd set no XDG_SESSION_ID"
	assert_eq "/user.slice/$SLICE/session-$SID_SU.scope" "$cg" "the su -l shell's cgroup (pam_systemd's scope; nothing moved it)"
	check_limits "after su -l"
	session_alive "$SID_SU" "su -l"
	assert_eq continue "$(systemctl show -P OOMPolicy "session-$SID_SU.scope")" "OOMPolicy logind gave the session scope"
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\(su-l:session\\): user $U \\(uid $UID_U\\): runtime limits set on $SLICE \\(session session-$SID_SU.scope, OOMPolicy=continue\\): memory_max $MAX" \
		"the module set the limits on the slice"
	assert_gone /sys/fs/cgroup/pam_memcg "a cgroupfs-backend cgroup"
	show su1
}

t_daemon_reload() {
	systemctl daemon-reload || fail "systemctl daemon-reload failed"
	check_limits "after daemon-reload"
	[ -n "$SID_SU" ] && session_alive "$SID_SU" "su -l after daemon-reload"
}

# The second session (ssh) lands in its own scope in the same slice, with
# the same limit.
t_ssh_second_session() {
	local cg n
	: >"$MEMCG_TEST_SYSLOG"
	login_ssh ssh1 || return
	cg=$(cgroup_of ssh1)
	[ -n "$SID_SSH" ] && [ "$SID_SSH" != "$SID_SU" ] || fail "ssh: no session of its own ('$SID_SSH')"
	assert_eq "/user.slice/$SLICE/session-$SID_SSH.scope" "$cg" "the ssh shell's cgroup"
	n=$(loginctl list-sessions --no-legend | awk -v u="$U" '$3 == u' | wc -l)
	assert_eq 2 "$n" "sessions of $U listed by loginctl"
	check_limits "with two sessions"
	# The su -l login set the limits: this one finds them there already.
	wait_for "grep -q 'runtime limits already on $SLICE' '$MEMCG_TEST_SYSLOG'" 5
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\($SSHD_NAME:session\\): user $U \\(uid $UID_U\\): runtime limits already on $SLICE \\(session session-$SID_SSH.scope" \
		"the module ran in sshd's session stack, and sent systemd nothing"
	show ssh1
}

# After the last logout systemd stops the slice (logind's UserStopDelaySec
# first) and removes its cgroup; the module had nothing to undo.
t_logout() {
	log_out su1 "su -l"
	log_out ssh1 ssh
	wait_for "[ ! -e '$SLICE_DIR' ]" 60 || fail "$SLICE_DIR still exists 60 s after the last logout"
	assert_eq inactive "$(systemctl is-active "$SLICE" 2>/dev/null)" "$SLICE after the last logout"
	# systemd keeps runtime properties in /run/systemd/system.control until
	# reboot or systemctl revert; the next login writes them again.
	assert_exists "/run/systemd/system.control/$SLICE.d/50-MemoryMax.conf" "runtime MemoryMax of the stopped slice"
}

# A user who became exempt gets the limits an earlier login left lifted.
t_exempt_lifts_old_limits() {
	# CPU and task limits on the slice first, from a session outside logind.
	write_config "" 'cpu_max = "0.5"  tasks_max = 48'
	pam_service cron5 "conf=$CONF debug"
	session cron5 "$U" true >"$TMP/cron5.out" 2>&1
	assert_contains "$TMP/cron5.out" "^open=0$" "the session that sets CPU and task limits opened"
	assert_eq 500ms "$(show_prop CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec of $SLICE before the exempt login"
	write_config "exempt_users = {\"root\", \"$U\"}"
	: >"$MEMCG_TEST_SYSLOG"
	term_open su2 "${WRAP[@]}" su -l "$U" -c 'echo sid=$XDG_SESSION_ID; cat /sys/fs/cgroup/user.slice/user-$(id -u).slice/memory.max' || return
	term_ended su2 60 || fail "su -l -c did not end"
	term_wait su2 '^max$' 5 || fail "memory.max seen from the exempt session is not max"
	assert_eq infinity "$(show_prop MemoryMax)" "MemoryMax of $SLICE for an exempt user"
	assert_eq infinity "$(show_prop CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec of $SLICE for an exempt user"
	assert_eq infinity "$(show_prop TasksMax)" "TasksMax of $SLICE for an exempt user"
	assert_contains "$MEMCG_TEST_SYSLOG" "$SLICE: limits from an earlier login lifted" "the module lifted the old limits"
	show su2
}

run_test su_l t_su_l
run_test daemon_reload t_daemon_reload
run_test ssh_second_session t_ssh_second_session
run_test logout_removes_slice t_logout
run_test exempt_lifts_old_limits t_exempt_lifts_old_limits
t_done
