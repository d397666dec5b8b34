#!/bin/bash
# What only cgroup v2 has: memory.oom.group (oom_group = true) killing the
# user's whole cgroup, reported as a group kill; and memory.events counters
# diffed right when one wake-up of the notifier carries several kills.
# On v1 it prints a SKIP line and records no result (the VM lane runs it).
. "$(dirname "$0")/lib.sh"

if [ "$MC_VERSION" != 2 ]; then
	echo "SKIP t_v2: the memory controller here is cgroup v1"
	exit 0
fi

U1=${T_ID}g U2=${T_ID}w
add_user "$U1"
add_user "$U2"
CONF=$TMP/pam_memcg.conf
NLOG=$TMP/notifier.log
write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
default { memory_max = "64M" }
user "$U1" { memory_max = "64M"  oom_group = true }
notify { tty = false  rate_limit = 0  warn_at = "off" }
EOF
pam_service svc "conf=$CONF"
NPID=""
"$NOTIFIER" -c "$CONF" -d >"$NLOG" 2>&1 &
NPID=$!
T_PIDS+=("$NPID")
wait_for "grep -q 'started: watching' '$NLOG'" 10 || { echo "t_v2: the notifier did not start" >&2; cat "$NLOG" >&2; exit 1; }

count() { grep -c -- "$2" "$1" 2>/dev/null; }
event() { sed -n "s/^$2 //p" "$1/memory.events"; }

# oom_group: the allocation past the limit takes every process of the
# user's cgroup with it, the session's own included.
t_oom_group_kills_all() {
	local dir
	dir=$(user_cg_dir "$U1")
	session svc "$U1" sh -c "sleep 300 & echo \$! >$TMP/sleep.pid; $HOG 200; echo survived >$TMP/g.rc" \
		>"$TMP/g.out" 2>&1
	local rc=$?
	[ -e "$TMP/g.rc" ] && fail "the session's shell survived the group kill"
	[ "$rc" -ne 0 ] || fail "the session process survived the group kill (status $rc)"
	local sp
	sp=$(cat "$TMP/sleep.pid" 2>/dev/null)
	[ -n "$sp" ] || fail "the background process never started"
	wait_for "! kill -0 $sp 2>/dev/null" 5 || fail "the background sleep $sp survived"
	if [ -d "$dir" ]; then
		assert_eq 1 "$(cat "$dir/memory.oom.group")" "memory.oom.group written"
		[ "$(event "$dir" oom_group_kill)" -ge 1 ] || fail "memory.events shows no oom_group_kill"
	fi
	wait_for "grep -q 'oom_group_kill: user $U1 ' '$NLOG'" 10 || fail "the notifier did not report a group kill"
}

# Three kills while the notifier is stopped arrive as one wake-up: it must
# count three, no more, no less.
t_several_kills_one_wakeup() {
	local dir i
	dir=$(user_cg_dir "$U2")
	rm -f "$TMP/h.up" "$TMP/h.stop"
	session svc "$U2" sh -c "touch $TMP/h.up; while [ ! -e $TMP/h.stop ]; do sleep 0.05; done" >/dev/null &
	local holder=$!
	T_PIDS+=("$holder")
	wait_for "[ -e $TMP/h.up ]" 10 || fail "holder session did not start"
	wait_for "grep -q 'watching .*/user-$(uid_of "$U2") ' '$NLOG'" 10 || fail "the notifier never watched $U2"
	kill -STOP "$NPID"
	for i in 1 2 3; do
		sh -c "echo \$\$ >$dir/cgroup.procs && exec $HOG 200" >/dev/null 2>&1
	done
	assert_eq 3 "$(event "$dir" oom_kill)" "memory.events oom_kill after three kills"
	kill -CONT "$NPID"
	wait_for "[ \$(grep -c 'oom_kill: user $U2 ' '$NLOG') -ge 3 ]" 10
	sleep 0.5
	assert_eq 3 "$(count "$NLOG" "oom_kill: user $U2 ")" "kills the notifier reported for one wake-up"
	touch "$TMP/h.stop"
	wait "$holder"
}

run_test oom_group_kills_all t_oom_group_kills_all
run_test several_kills_one_wakeup t_several_kills_one_wakeup
kill -TERM "$NPID" 2>/dev/null
t_done
