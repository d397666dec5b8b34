#!/bin/bash
# memcg-notifier and tasks_max on the real kernel: a fork loop stopped at
# the user's pids.max is told once, on their terminal and by mail, with the
# limit and the count, and the log lines count every refusal the kernel
# counted; a second loop later is seen too (v1 kernels that log only the
# first refusal of a cgroup and send no inotify event: the poll) and held
# by rate_limit; the metrics file has the task figures; a user without a
# limit costs no wake-ups.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

nf_users t
TASKS=8
METRICS=$TMP/memcg.prom
make_cg "$U1_UID"
follow_test_parent pids PIDS_PARENT || { echo "no pids controller on this machine" >&2; exit 1; }
PIDS_MNT=$(ctrl_mnt pids)
# The user's cgroup in the pids hierarchy: on v2 the memory one, with the
# controller turned on along the path as pam_memcg does; on v1 the same
# path in the pids hierarchy.
if [ "$MC_VERSION" = 2 ]; then
	d=$CG_MNT
	for c in ${NPARENT//\// } user-$U1_UID; do
		grep -qw pids "$d/cgroup.subtree_control" || echo +pids >"$d/cgroup.subtree_control"
		d=$d/$c
	done
	PCG=$CG_MNT/$NPARENT/user-$U1_UID
else
	PCG=$PIDS_MNT/$NPARENT/user-$U1_UID
	mkdir -p "$PCG"
fi
echo "$TASKS" >"$PCG/pids.max" || { echo "cannot write $PCG/pids.max" >&2; exit 1; }

# The loop, readable by the test user.
install -m 0644 "$TOP/tests/integration/logins/forkloop.py" "$TMP/forkloop.py"

# storm OUT: the loop as U1, in U1's cgroups; what it says goes to OUT.
storm() {
	local rc
	bash -c 'echo $$ >"$1/cgroup.procs" && { [ "$2" = "$1" ] || echo $$ >"$2/cgroup.procs"; } &&
		exec setpriv --reuid="$3" --regid="$3" --clear-groups -- "$4" "$5"' \
		_ "$CG_MNT/$NPARENT/user-$U1_UID" "$PCG" "$U1_UID" "$PY" "$TMP/forkloop.py" >"$1" 2>/dev/null
	rc=$?
	[ "$rc" -eq 0 ] && [ -s "$1" ] || fail "the fork loop did not run (status $rc)"
}

refused_count() { sed -n 's/^max //p' "$PCG/pids.events"; }
notices() { grep -ac 'Message from memcg-notifier' "$TMP/u1.screen"; }
# The refusals the notifier's log lines count, added up, and the lines.
logged_refusals() { awk '/tasks_max: user .* refused [0-9]+ / { for (i = 1; i < NF; i++) if ($i == "refused") n += $(i + 1) } END { print n + 0 }' "$NLOG"; }
logged_events() { grep -c 'tasks_max: user .* refused [0-9]' "$NLOG"; }

# Told once, with the limit and the count; mailed too; the log lines add
# up to what pids.events counted.  rate_limit (60 s) is longer than the
# test: a loop split by a busy machine into more than one burst is still
# one notice.
t_storm_told() {
	local before after n
	: >"$NLOG"
	rm -f "$TMP"/mail/ok.*.eml
	RATE=60 nconf "mail = true
	sendmail = \"$TMP/sm-ok\"
	metrics_file = \"$METRICS\""
	start_pty "$U1" 0620 "$TMP/u1.screen"
	start_notifier
	wait_for "grep -q 'refused processes counted from' '$NLOG'" 20 ||
		fail "the notifier did not find $PCG/pids.events"
	before=$(refused_count)
	FIRST=$before
	storm "$TMP/storm1.txt"
	echo "    first loop: $(cat "$TMP/storm1.txt")"
	wait_for "grep -aq 'refused: your sessions together reached their limit on processes' '$TMP/u1.screen'" 20 ||
		fail "no notice of the refused processes on the pty"
	after=$(refused_count)
	n=$((after - before))
	[ "$n" -ge 1 ] || fail "pids.events counted no refusal ($before, then $after)"
	wait_for "[ \$(logged_refusals) -eq $n ]" 10 ||
		fail "the log lines count $(logged_refusals) refusals, pids.events $n"
	echo "    $n refusals, told in $(logged_events) log line(s)"
	assert_contains "$TMP/u1.screen" "limit: +$TASKS processes and threads" "the limit in the notice"
	assert_contains "$TMP/u1.screen" "running: +[0-9]+ now" "the count in the notice"
	sleep 1.5
	assert_eq 1 "$(notices)" "notices for one fork loop"
	wait_for "grep -qs 'refused' '$TMP'/mail/ok.*.eml" 5 || fail "no mail of the refused processes"
	grep -qs "^Subject: .*a new process was refused at your process limit" "$TMP"/mail/ok.*.eml
	local rc=$?
	assert_eq 0 "$rc" "the mail's subject"
}

# A second loop in the same cgroup: the kernel logs no line for it on any
# kernel, and v1 on recent kernels sends no inotify event either.  Seen
# (the log lines add up again), held back by rate_limit (no second notice).
t_second_storm() {
	local n
	storm "$TMP/storm2.txt"
	echo "    second loop: $(cat "$TMP/storm2.txt")"
	n=$(($(refused_count) - FIRST))
	wait_for "[ \$(logged_refusals) -eq $n ]" 10 ||
		fail "the second loop was not seen: the log lines count $(logged_refusals) refusals, pids.events $n"
	assert_eq 1 "$(notices)" "notices after two loops within rate_limit"
	wait_for "grep -q '^pam_memcg_events_total{uid=\"$U1_UID\",[^}]*event=\"tasks_max\"} $(logged_events)$' '$METRICS'" 5 ||
		fail "the metrics file does not count $(logged_events) tasks_max events: $(grep tasks "$METRICS" 2>/dev/null)"
	assert_contains "$METRICS" "^pam_memcg_tasks_limit\\{uid=\"$U1_UID\",[^}]*\\} $TASKS$" "the limit in the metrics file"
	assert_contains "$METRICS" "^pam_memcg_tasks\\{uid=\"$U1_UID\"," "the task count in the metrics file"
	assert_contains "$METRICS" "^pam_memcg_oom_kills_total\\{uid=\"$U1_UID\",[^}]*\\} 0$" "refusals are not kills"
	stop_notifier
}

# No limit (pids.max "max"): nothing to look at, the daemon sleeps.
t_no_limit_no_wakeups() {
	local a b
	echo max >"$PCG/pids.max"
	: >"$NLOG"
	nconf
	start_notifier
	sleep 0.5
	a=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$NPID/status")
	sleep 3
	b=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$NPID/status")
	echo "    wake-ups in 3 s with one user and no tasks_max: $((b - a))"
	[ $((b - a)) -le 1 ] || fail "$((b - a)) wake-ups in 3 s of idle"
	stop_notifier
	echo "$TASKS" >"$PCG/pids.max"
}

run storm_told t_storm_told
run second_storm t_second_storm
run no_limit_no_wakeups t_no_limit_no_wakeups
t_done
