#!/bin/bash
# CPU and task limits beside memory on the real kernel: the files written in
# each hierarchy (v1: cpu, cpuacct and pids alone or co-mounted; v2: the
# unified one), a CPU hog held to cpu_max, a process storm stopped at
# tasks_max, two sessions sharing both, nothing left after the last logout,
# and a controller the machine lacks.
. "$(dirname "$0")/lib.sh"

U1=${T_ID}a U2=${T_ID}b
add_user "$U1"
add_user "$U2"
CONF=$TMP/pam_memcg.conf
TASKS=24

# The user-cgroup parents in the cpu, cpuacct and pids hierarchies (on v2
# all of them are TEST_PARENT_DIR; cpuacct has none there).
follow_test_parent cpu CPU_PARENT || { echo "no cpu controller on this machine" >&2; exit 1; }
follow_test_parent pids PIDS_PARENT || { echo "no pids controller on this machine" >&2; exit 1; }
ACCT_PARENT=""
[ "$MC_VERSION" = 1 ] && follow_test_parent cpuacct ACCT_PARENT

conf() { # conf [ON_ERROR [DEFAULT KEYS]]
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = ${1:-fail}
default {
  memory_max = "256M"
  cpu_max    = "0.5"
  tasks_max  = $TASKS
  ${2:-}
}
user "$U2" { cpu_weight = 200  cpu_max = "max" }
EOF
}
conf
pam_service svc "conf=$CONF" debug

# $TMP/probe.sh OUT: from inside the session, each controller's cgroup of
# the shell and what its files say.
cat >"$TMP/probe.sh" <<'EOF'
#!/bin/bash
out=$1
cg_of() { # the shell's cgroup in the hierarchy of controller $1
	if [ -n "$MC_V2" ]; then awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup
	else awk -F: -v c="$1" '{ n = split($2, o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $3 }' /proc/self/cgroup; fi
}
{
	for c in memory cpu cpuacct pids; do echo "cg_$c=$(cg_of $c)"; done
	for f in cpu.max cpu.weight pids.max; do
		[ -n "$MC_V2" ] && echo "$f=$(cat "$CG_MNT$(cg_of cpu)/$f")"
	done
	if [ -z "$MC_V2" ]; then
		echo "cpu.cfs_quota_us=$(cat "$CPU_MNT$(cg_of cpu)/cpu.cfs_quota_us")"
		echo "cpu.cfs_period_us=$(cat "$CPU_MNT$(cg_of cpu)/cpu.cfs_period_us")"
		echo "cpu.shares=$(cat "$CPU_MNT$(cg_of cpu)/cpu.shares")"
		echo "pids.max=$(cat "$PIDS_MNT$(cg_of pids)/pids.max" 2>/dev/null)"
	fi
} >"$out"
EOF

# $TMP/hogs.sh N TAG: runs N busy loops in this session until $TMP/TAG.stop
# appears ($TMP/TAG.up says they run).  The CPU time is measured from
# outside, by the test: a shell inside waits for the quota like the hogs,
# and would stretch the interval it measures.
cat >"$TMP/hogs.sh" <<'EOF'
#!/bin/bash
exec 2>/dev/null	# not the shell's notes of the hogs it kills
pids=()
for ((i = 0; i < $1; i++)); do (while :; do :; done) & pids+=($!); done
touch "$TMP/$2.up"
while [ ! -e "$TMP/$2.stop" ]; do sleep 0.1; done
kill -9 "${pids[@]}"
wait "${pids[@]}"
EOF

# $TMP/storm.py OUT: forks sleepers until the kernel refuses, then reports
# how many it got and what pids.current said at that moment.
cat >"$TMP/storm.py" <<'EOF'
#!/usr/bin/env python3
import os, signal, sys, time
out = sys.argv[1]
def cg_of(c):
    for line in open("/proc/self/cgroup"):
        n, ctl, path = line.rstrip("\n").split(":", 2)
        if (os.environ.get("MC_V2") and n == "0") or c in ctl.split(","):
            return path
mnt = os.environ.get("PIDS_MNT") or os.environ["CG_MNT"]
d = mnt + cg_of("pids")
kids, err = [], ""
for _ in range(500):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.strerror
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    kids.append(pid)
current = open(d + "/pids.current").read().strip()
for k in kids:
    os.kill(k, signal.SIGKILL)
for k in kids:
    os.waitpid(k, 0)
open(out, "w").write("forked=%d current=%s err=%s\n" % (len(kids), current, err.replace(" ", "_")))
EOF
chmod 755 "$TMP/probe.sh" "$TMP/hogs.sh" "$TMP/storm.py"
export TMP CG_MNT MC_V2=$([ "$MC_VERSION" = 2 ] && echo 1)
export CPU_MNT=$([ "$MC_VERSION" = 1 ] && ctrl_mnt cpu) PIDS_MNT=$([ "$MC_VERSION" = 1 ] && ctrl_mnt pids)
export ACCT_MNT=$([ "$MC_VERSION" = 1 ] && ctrl_mnt cpuacct)

# user-<uid> is gone from every hierarchy the module used.
assert_all_gone() { # assert_all_gone USER WHAT
	local leaf d
	leaf=user-$(uid_of "$1")
	for d in "$TEST_PARENT_DIR" "$CPU_PARENT" "$PIDS_PARENT" ${ACCT_PARENT:+"$ACCT_PARENT"}; do
		assert_gone "$d/$leaf" "$2"
	done
}

# usage_ns USER: CPU time the user's cgroup has used (v1 cpuacct.usage,
# v2 cpu.stat usage_usec), in nanoseconds.
usage_ns() {
	local leaf=user-$(uid_of "$1")
	if [ "$MC_VERSION" = 2 ]; then
		# Digits only: mawk's printf "%d" stops at 2^31 (2.1 s in ns).
		awk '$1 == "usage_usec" { print $2 "000" }' "$CPU_PARENT/$leaf/cpu.stat"
	else
		cat "$ACCT_PARENT/$leaf/cpuacct.usage"
	fi
}
throttled() { awk '$1 == "nr_throttled" { print $2 }' "$CPU_PARENT/user-$(uid_of "$1")/cpu.stat"; }

# measure USER OUT: the user's CPU use per wall-clock time over two
# seconds, and the periods throttled meanwhile, from outside the cgroup.
measure() {
	local u0 u1 t0 t1 th0 th1
	u0=$(usage_ns "$1") t0=${EPOCHREALTIME/./} th0=$(throttled "$1")
	sleep 2
	u1=$(usage_ns "$1") t1=${EPOCHREALTIME/./} th1=$(throttled "$1")
	echo "used_ns=$((u1 - u0)) wall_ns=$(((t1 - t0) * 1000)) throttled=$((th1 - th0))" >"$2"
}

share() { # share FILE: used CPU per wall-clock time, two decimals
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { printf "%.2f", v["used_ns"] / v["wall_ns"] }' "$1"
}

in_band() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

t_files() {
	local out=$TMP/probe.txt rc
	session svc "$U1" "$TMP/probe.sh" "$out" >"$TMP/pam.out"
	rc=$?
	assert_eq 0 "$rc" "pamtest exit status"
	assert_contains "$TMP/pam.out" '^open=0$' "open succeeds"
	local c want=/$(user_cg "$U1")
	for c in memory cpu pids; do
		assert_eq "$want" "$(val "$out" "cg_$c")" "session's $c cgroup"
	done
	if [ "$MC_VERSION" = 2 ]; then
		assert_eq "50000 100000" "$(val "$out" cpu.max)" "cpu.max for 0.5 CPUs"
		assert_eq 100 "$(val "$out" cpu.weight)" "cpu.weight untouched without cpu_weight"
	else
		assert_eq "$want" "$(val "$out" cg_cpuacct)" "session's cpuacct cgroup"
		assert_eq 50000 "$(val "$out" cpu.cfs_quota_us)" "cfs_quota_us for 0.5 CPUs"
		assert_eq 100000 "$(val "$out" cpu.cfs_period_us)" "cfs_period_us"
		assert_eq 1024 "$(val "$out" cpu.shares)" "cpu.shares untouched without cpu_weight"
	fi
	assert_eq "$TASKS" "$(val "$out" pids.max)" "pids.max"
	# U2: cpu_weight 200 and cpu_max "max" from the user rule, tasks_max from default.
	session svc "$U2" "$TMP/probe.sh" "$out" >/dev/null
	if [ "$MC_VERSION" = 2 ]; then
		assert_eq "max 100000" "$(val "$out" cpu.max)" "cpu.max for \"max\""
		assert_eq 200 "$(val "$out" cpu.weight)" "cpu.weight"
	else
		assert_eq -1 "$(val "$out" cpu.cfs_quota_us)" "cfs_quota_us for \"max\""
		assert_eq 2048 "$(val "$out" cpu.shares)" "cpu.shares = weight * 1024 / 100"
	fi
	assert_eq "$TASKS" "$(val "$out" pids.max)" "pids.max from default"
	assert_all_gone "$U1" "after logout"
	assert_all_gone "$U2" "after logout"
}

# Two busy loops (up to two CPUs' worth) held to half a CPU.
# Other load on the machine can leave them less than the quota allows (the
# periods throttled, printed, then fall towards 0): hence the wide band.
t_cpu_hog() {
	rm -f "$TMP/h1.up" "$TMP/h1.stop"
	session svc "$U1" "$TMP/hogs.sh" 2 h1 >"$TMP/pam.out" &
	local s1=$! s
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/h1.up ]" 10 || fail "the hogs did not start"
	sleep 0.5
	measure "$U1" "$TMP/use.txt"
	touch "$TMP/h1.stop"
	wait "$s1"
	assert_contains "$TMP/pam.out" '^open=0$' "open succeeds"
	s=$(share "$TMP/use.txt")
	echo "    CPU used by 2 hogs under cpu_max 0.5: $s CPUs ($(cat "$TMP/use.txt"))"
	in_band "$s" 0.3 0.7 || fail "CPU share $s not within 0.3-0.7"
	assert_all_gone "$U1" "after logout"
}

t_task_storm() {
	session svc "$U1" "$TMP/storm.py" "$TMP/storm.txt" >"$TMP/pam.out"
	assert_contains "$TMP/pam.out" '^open=0$' "open succeeds"
	echo "    storm under tasks_max $TASKS: $(cat "$TMP/storm.txt")"
	assert_contains "$TMP/storm.txt" "current=$TASKS " "pids.current at the limit when fork failed"
	assert_contains "$TMP/storm.txt" "err=Resource_temporarily_unavailable" "fork refused with EAGAIN"
	local n
	n=$(sed -n 's/^forked=\([0-9]*\).*/\1/p' "$TMP/storm.txt")
	[ -n "$n" ] && [ "$n" -lt "$TASKS" ] || fail "forked $n processes, not fewer than $TASKS"
	assert_all_gone "$U1" "after logout"
}

# A second session of the same user shares the first one's budgets: its hog
# and the first one's together get half a CPU, and its storm stops where
# the first session's processes leave off.
t_two_sessions_share() {
	rm -f "$TMP/s1.up" "$TMP/s1.stop"
	session svc "$U1" bash -c "(while :; do :; done) & h=\$!; for i in 1 2 3 4 5 6 7 8; do sleep 60 & done; touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done; kill -9 \$h \$(jobs -p); wait" 2>/dev/null \
		>"$TMP/s1.out" &
	local s1=$!
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ]" 10 || fail "first session did not start"
	rm -f "$TMP/h2.up" "$TMP/h2.stop"
	session svc "$U1" "$TMP/hogs.sh" 1 h2 >"$TMP/s2.out" &
	local s2=$! s
	T_PIDS+=("$s2")
	wait_for "[ -e $TMP/h2.up ]" 10 || fail "the second session's hog did not start"
	sleep 0.5
	measure "$U1" "$TMP/use2.txt"
	touch "$TMP/h2.stop"
	wait "$s2"
	assert_contains "$TMP/s2.out" '^open=0$' "second open"
	s=$(share "$TMP/use2.txt")
	echo "    CPU used by a hog in each of two sessions under cpu_max 0.5: $s CPUs"
	in_band "$s" 0.3 0.7 || fail "CPU share of the two sessions $s not within 0.3-0.7"
	session svc "$U1" "$TMP/storm.py" "$TMP/storm2.txt" >/dev/null
	echo "    storm beside a session holding 10 sleepers and a hog: $(cat "$TMP/storm2.txt")"
	assert_contains "$TMP/storm2.txt" "current=$TASKS " "both sessions count against tasks_max"
	local n
	n=$(sed -n 's/^forked=\([0-9]*\).*/\1/p' "$TMP/storm2.txt")
	[ -n "$n" ] && [ "$n" -le $((TASKS - 10)) ] ||
		fail "second session forked $n, expected at most $((TASKS - 10)) beside the first's 10"
	assert_exists "$PIDS_PARENT/user-$(uid_of "$U1")" "pids cgroup kept while the first session is open"
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_contains "$TMP/s1.out" '^close=0$' "first close"
	assert_all_gone "$U1" "after the last logout"
}

# Opens racing closes of one user's sessions: every one is placed in the
# user's cgroup of each controller, and none is left in any hierarchy.
cat >"$TMP/where.sh" <<'EOF'
#!/bin/bash
for c in memory cpu pids; do
	if [ -n "$MC_V2" ]; then have=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	else have=$(awk -F: -v c="$c" '{ n = split($2, o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $3 }' /proc/self/cgroup); fi
	[ "$have" = "$1" ] || { echo "misplaced in $c: $have != $1" >&2; exit 1; }
done
EOF
chmod 755 "$TMP/where.sh"

t_concurrent_sessions() {
	local pids=() i rc=0
	# Room for eight sessions at once; the limits are what is written.
	TASKS=400 conf
	: >"$TMP/errors"
	for i in 1 2 3 4 5 6 7 8; do
		if [ $((i % 2)) -eq 0 ]; then
			session -n 25 svc "$U1" "$TMP/where.sh" "/$(user_cg "$U1")" >/dev/null 2>>"$TMP/errors" &
		else
			session -n 25 svc "$U1" >/dev/null 2>>"$TMP/errors" &
		fi
		pids+=($!)
	done
	T_PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	assert_eq 0 "$rc" "every open, close and placement check succeeded (200 cycles)"
	[ -s "$TMP/errors" ] && { fail "errors:"; head -5 "$TMP/errors" >&2; }
	assert_all_gone "$U1" "after the last of them"
	assert_not_contains "$MEMCG_TEST_SYSLOG" "^<[0-3]> pam_memcg" "no error logged"
	conf
}

# A machine without the pids controller (v1: its hierarchy unmounted in a
# mount namespace of the session's own): an error naming the controller;
# on_error decides.
t_missing_controller() {
	local pm
	pm=$(ctrl_mnt pids)
	unshare -m --propagation private bash -c "umount '$pm' && LD_PRELOAD=$SHIM '$PAMTEST' -d '$TMP/pam.d' svc '$U1' true" \
		>"$TMP/miss.out"
	assert_contains "$TMP/miss.out" '^open=(14|PAM_SESSION_ERR)' "open refused with on_error = fail"
	assert_contains "$MEMCG_TEST_SYSLOG" 'no cgroup v1 hierarchy with the pids controller is mounted' "log names the controller"
	assert_contains "$MEMCG_TEST_SYSLOG" 'tasks_max not applied \(no usable pids controller\); session refused' "log says what it costs"
	assert_all_gone "$U1" "nothing made for a refused session"
	unshare -m --propagation private bash -c "umount '$pm' && '$MEMCGCTL' explain -c '$CONF' '$U1'" \
		>"$TMP/miss.explain" 2>&1
	assert_contains "$TMP/miss.explain" "^not applied: +tasks_max: no usable pids controller on this machine \\(on_error = fail" "explain says so"
	conf ignore
	: >"$MEMCG_TEST_SYSLOG"
	unshare -m --propagation private bash -c "umount '$pm' && LD_PRELOAD=$SHIM '$PAMTEST' -d '$TMP/pam.d' svc '$U1' '$TMP/probe.sh' '$TMP/miss.txt'" \
		>"$TMP/miss2.out"
	assert_contains "$TMP/miss2.out" '^open=0$' "open goes on with on_error = ignore"
	assert_contains "$MEMCG_TEST_SYSLOG" 'tasks_max not applied .*session goes on without them' "log says so"
	assert_eq "/$(user_cg "$U1")" "$(val "$TMP/miss.txt" cg_memory)" "memory limit still applied"
	assert_eq "/$(user_cg "$U1")" "$(val "$TMP/miss.txt" cg_cpu)" "cpu limit still applied"
	assert_all_gone "$U1" "after logout"
	conf
}

# A config naming a bad value is refused with file:line.
t_bad_values() {
	write_conf "$TMP/bad.conf" <<EOF
default {
  cpu_max = "0.001"
  cpu_weight = 0
  tasks_max = "lots"
}
user "$U1" { cpu_max = "120%" }
EOF
	"$MEMCGCTL" check -c "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err"
	local rc=$?
	assert_eq 1 "$rc" "memcgctl check exit status"
	assert_contains "$TMP/bad.err" "bad.conf:2: cpu_max = \"0.001\": below the smallest" "cpu_max too small"
	assert_contains "$TMP/bad.err" "bad.conf:3: cpu_weight = \"0\"" "cpu_weight 0"
	assert_contains "$TMP/bad.err" "bad.conf:4: tasks_max = \"lots\"" "tasks_max not a number"
	assert_contains "$TMP/bad.err" "bad.conf:6: cpu_max = \"120%\"" "cpu_max over 100%"
}

# explain names the three limits and the rule of each; status, while a
# session runs a hog, shows CPU time used and throttled and the tasks
# against their limits, in the table and in --json.
t_memcgctl() {
	"$MEMCGCTL" explain -c "$CONF" "$U2" >"$TMP/explain.out" 2>&1
	local rc=$?
	assert_eq 0 "$rc" "explain exit status"
	assert_contains "$TMP/explain.out" "^cpu_max: +max, from user \"$U2\" \(.*:[0-9]+\)" "cpu_max and its rule"
	assert_contains "$TMP/explain.out" "^cpu_weight: +200 \(v1 cpu.shares 2048\), from user \"$U2\"" "cpu_weight and its rule"
	assert_contains "$TMP/explain.out" "^tasks_max: +$TASKS, from default \(.*:[0-9]+\)" "tasks_max from default"
	"$MEMCGCTL" explain -c "$CONF" "$U1" >"$TMP/explain1.out" 2>&1
	assert_contains "$TMP/explain1.out" "^cpu_max: +0.50 CPUs \(50000 us per 100000 us\), from default" "U1's cpu_max"
	assert_contains "$TMP/explain1.out" "^cpu_weight: +not configured" "cpu_weight not configured"
	rm -f "$TMP/s1.up" "$TMP/s1.stop"
	session svc "$U1" bash -c "(while :; do :; done) & h=\$!; touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done; kill -9 \$h; wait" 2>/dev/null \
		>"$TMP/s1.out" &
	local s1=$!
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ]" 10 || fail "session did not start"
	sleep 1
	"$MEMCGCTL" status -c "$CONF" "$U1" >"$TMP/status.out" 2>&1
	rc=$?
	assert_eq 0 "$rc" "status exit status"
	assert_contains "$TMP/status.out" "^$(uid_of "$U1") +$U1 " "status row"
	assert_contains "$TMP/status.out" "^ +cpu used [0-9]+\\.[0-9]s, throttled [0-9]+\\.[0-9]s, cpu_max 0\\.50 CPUs, cpu_weight 100; tasks [1-9][0-9]* of tasks_max $TASKS\$" "status line below the row"
	"$MEMCGCTL" status -c "$CONF" "$U1" --json >"$TMP/status.json" 2>&1
	assert_contains "$TMP/status.json" '"cpu_usage_usec":[1-9][0-9]*,"cpu_throttled_usec":[0-9]+,"cpu_nr_throttled":[0-9]+,"cpu_max_usec":50000,"cpu_period_usec":100000' "json cpu"
	assert_contains "$TMP/status.json" "\"tasks\":[1-9][0-9]*,\"tasks_max\":$TASKS,\"oom_kills\":0}" "json tasks"
	"$MEMCGCTL" explain -c "$CONF" "$U1" >"$TMP/explain2.out" 2>&1
	assert_contains "$TMP/explain2.out" "^in force: +cpu_max 0\\.50 CPUs, cpu_weight 100, tasks [1-9][0-9]* of $TASKS\$" "explain: CPU and tasks in force"
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_all_gone "$U1" "after logout"
}

run files t_files
run memcgctl t_memcgctl
run cpu_hog t_cpu_hog
run task_storm t_task_storm
run two_sessions_share t_two_sessions_share
run concurrent_sessions t_concurrent_sessions
# Only a v1 pids hierarchy of its own can be taken away without a reboot
# (cgroup2 offers what the kernel has): elsewhere no result is recorded.
if [ "$MC_VERSION" = 1 ] && [ "$(ctrl_mnt pids)" != "$CG_MNT" ]; then
	run missing_controller t_missing_controller
else
	echo "SKIP $T_NAME/missing_controller: pids is not a v1 hierarchy of its own here"
fi
run bad_values t_bad_values
t_done
