#!/bin/bash
# The systemd backend for a session without pam_systemd (as cron's): beside
# a su -l login it gets a scope of its own in the user's slice and shares
# the one limit; alone it starts the slice; a scope name still taken makes
# it take the next; the scopes go when the sessions' processes have.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/systemd_fixtures.sh
. "$(dirname "$0")/systemd_fixtures.sh"

# scopes_left: the scopes the module made for the user that systemd still
# lists, and their cgroups.
scopes_left() {
	systemctl list-units --all --plain --no-legend "memcg-$UID_U-*.scope" 2>/dev/null | awk '{ print $1 }'
	find /sys/fs/cgroup/user.slice -name "memcg-$UID_U-*.scope" 2>/dev/null
}

# cron_session SERVICE OUT MIB: a session through a stack without
# pam_systemd (as cron's), run by root as cron is: the cgroup of its shell
# and the status of a hog of MIB MiB go to OUT.
cron_session() {
	pam_service "$1" "conf=$CONF debug"
	session "$1" "$U" sh -c "cat /proc/self/cgroup; $LDIR/hog $3; echo cronhog=\$?" >"$2" 2>&1
}

# With cgroup_backend = auto, a cron-like session of a user who is logged in
# joins the user's slice in a scope of its own and shares the one limit: a
# hog split across it and the su -l session is killed at that limit (with
# a second limit of its own it would have room).  No cgroupfs cgroup is made,
# and the scope goes when the session's processes have.
t_cron_like_shares_slice() {
	local n before after cg
	[ -n "$SID_SU" ] || { fail "no su -l session"; return; }
	BACKEND=auto write_config
	: >"$MEMCG_TEST_SYSLOG"
	# 20 MiB held in the login session...
	n=$(term_text su1 | grep -c '^survived')
	term_send su1 "$LDIR/hog 20 600; echo holder=\$?"
	wait_for "[ \$(term_text su1 | grep -c '^survived') -gt $n ]" 60 || fail "the holder in su -l did not allocate its 20 MiB"
	before=$(oom_kills)
	# ...and 50 MiB in the cron-like session: 70 MiB, over the one 64 MiB.
	cron_session cron "$TMP/cron.out" 50
	cg=$(sed -n 's/^0:://p' "$TMP/cron.out")
	[[ $cg =~ ^/user\.slice/$SLICE/memcg-$UID_U-[0-9]+\.scope$ ]] ||
		fail "the cron-like session's cgroup: expected /user.slice/$SLICE/memcg-$UID_U-PID.scope, got '$cg'"
	assert_eq 137 "$(sed -n 's/^cronhog=//p' "$TMP/cron.out")" "hog 50 in the cron-like session, 20 MiB held in su -l (SIGKILL at the one limit)"
	after=$(oom_kills)
	[ "${after:-0}" -gt "${before:-0}" ] || fail "oom_kill in $SLICE_DIR/memory.events did not grow ($before -> $after)"
	# The su -l login set the limits already: this one only adds its scope.
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\(cron:session\\): user $U \\(uid $UID_U\\): runtime limits already on $SLICE \\(session outside logind, moved to new scope ${cg##*/}, OOMPolicy=continue\\): memory_max $MAX" \
		"the module moved the cron-like session into a scope of the slice"
	check_limits "after the cron-like session"
	assert_gone "$CG_MNT/$TEST_PARENT" "a cgroupfs cgroup (cgroup_parent)"
	assert_gone /sys/fs/cgroup/pam_memcg "a cgroupfs cgroup (default cgroup_parent)"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left after the cron-like session ended: $(scopes_left | tr '\n' ' ')"
	# ^C ends the whole command line, the echo after the holder too.
	tm send-keys -t su1 C-c
	term_send su1 'echo holder-stopped'
	term_wait su1 '^holder-stopped' 20 || fail "the holder did not stop"
	session_alive "$SID_SU" "su -l after the kill in the cron-like session"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron.out" >&2
	show su1
	write_config
}

# With an explicit cgroup_backend = systemd and on_error = fail, a cron-like
# session of a user with no login session is not refused: starting its scope
# starts the slice, which gets the limits after; the hog is killed at them.
# The scope and the slice go away after it.
t_cron_like_alone() {
	local cg
	write_config "on_error = fail"
	[ ! -e "$SLICE_DIR" ] || fail "$SLICE_DIR exists before the cron-like session"
	cron_session cron2 "$TMP/cron2.out" 200
	assert_contains "$TMP/cron2.out" "^open=0$" "the session opened"
	cg=$(sed -n 's/^0:://p' "$TMP/cron2.out")
	[[ $cg =~ ^/user\.slice/$SLICE/memcg-$UID_U-[0-9]+\.scope$ ]] ||
		fail "the cron-like session's cgroup: expected /user.slice/$SLICE/memcg-$UID_U-PID.scope, got '$cg'"
	assert_eq 137 "$(sed -n 's/^cronhog=//p' "$TMP/cron2.out")" "hog 200 in the cron-like session (SIGKILL)"
	assert_eq "$MAX" "$(show_prop MemoryMax)" "MemoryMax of $SLICE set after the scope started it"
	assert_gone "$CG_MNT/$TEST_PARENT" "a cgroupfs cgroup (cgroup_parent)"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left after the cron-like session ended: $(scopes_left | tr '\n' ' ')"
	wait_for "[ ! -e '$SLICE_DIR' ]" 30 || fail "$SLICE_DIR still exists 30 s after the cron-like session"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron2.out" >&2
	write_config
}

# A scope of the name the module would pick still runs (the processes of an
# earlier session whose caller had the same pid): the next name is taken.
# The kernel's next pid is set through ns_last_pid; another fork in
# between spoils a try, so up to five are made.
t_cron_like_name_taken() {
	local p try got="" cg holder
	write_config
	pam_service cron3 "conf=$CONF debug"
	p=$(($(cat /proc/sys/kernel/ns_last_pid) + 1000))
	systemd-run --quiet --scope --unit="memcg-$UID_U-$p" --slice="$SLICE" sleep 300 &
	holder=$!
	SD_HOLDER=$holder
	wait_for "systemctl is-active -q memcg-$UID_U-$p.scope" 20 || { fail "memcg-$UID_U-$p.scope did not start"; kill "$holder"; return; }
	for try in 1 2 3 4 5; do
		: >"$MEMCG_TEST_SYSLOG"
		echo $((p - 1)) >/proc/sys/kernel/ns_last_pid
		LD_PRELOAD=$SHIM "$PAMTEST" -d "$TMP/pam.d" cron3 "$U" sh -c 'echo caller=$PPID; cat /proc/self/cgroup' >"$TMP/cron3.out" 2>&1
		got=$(sed -n 's/^caller=//p' "$TMP/cron3.out")
		[ "$got" = "$p" ] && break
	done
	if [ "$got" != "$p" ]; then
		fail "pamtest never got pid $p in $try tries (last $got)"
	else
		cg=$(sed -n 's/^0:://p' "$TMP/cron3.out")
		assert_eq "/user.slice/$SLICE/memcg-$UID_U-$p-1.scope" "$cg" "the cron-like session's cgroup, its first name taken"
		assert_contains "$MEMCG_TEST_SYSLOG" "moved to new scope memcg-$UID_U-$p-1\\.scope" "the module took the next name"
	fi
	assert_eq active "$(systemctl is-active "memcg-$UID_U-$p.scope")" "the scope that had the name"
	kill "$holder"
	wait "$holder" 2>/dev/null
	SD_HOLDER=""
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left: $(scopes_left | tr '\n' ' ')"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron3.out" "$MEMCG_TEST_SYSLOG" >&2
}

# cpu_max, cpu_weight and tasks_max go onto the slice in the same call:
# systemctl show and the slice's cgroup files agree (0.5 CPUs is 500 ms
# per second, cpu.max "50000 100000"); without them the slice kept
# logind's TasksMax.  (t_systemd_login's exempt_lifts_old_limits sees a
# later login of the user made exempt lift them.)
t_cpu_tasks_on_slice() {
	write_config "" 'cpu_max = "0.5"  cpu_weight = 200  tasks_max = 48'
	pam_service cron4 "conf=$CONF debug"
	session cron4 "$U" sh -c "cat $SLICE_DIR/cpu.max $SLICE_DIR/cpu.weight $SLICE_DIR/pids.max" \
		>"$TMP/cron4.out" 2>&1
	assert_contains "$TMP/cron4.out" "^open=0$" "the session opened"
	assert_contains "$TMP/cron4.out" "^50000 100000$" "$SLICE_DIR/cpu.max"
	assert_contains "$TMP/cron4.out" "^200$" "$SLICE_DIR/cpu.weight"
	assert_contains "$TMP/cron4.out" "^48$" "$SLICE_DIR/pids.max"
	assert_eq 500ms "$(show_prop CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec of $SLICE"
	assert_eq 200 "$(show_prop CPUWeight)" "CPUWeight of $SLICE"
	assert_eq 48 "$(show_prop TasksMax)" "TasksMax of $SLICE"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left: $(scopes_left | tr '\n' ' ')"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron4.out" "$MEMCG_TEST_SYSLOG" >&2
	write_config
}

# The login the first case shares the slice with.
login_su su1
run_test cron_like_shares_slice t_cron_like_shares_slice
# Alone: the login ends and systemd removes the slice first.
log_out su1 "su -l"
wait_for "[ ! -e '$SLICE_DIR' ]" 60
run_test cron_like_alone t_cron_like_alone
run_test cron_like_name_taken t_cron_like_name_taken
run_test cpu_tasks_on_slice t_cpu_tasks_on_slice
t_done
