#!/bin/bash
# The notifier under load: 2,000 cgroups made and removed, too few fds
# for the cgroups there are, 400 cgroups at start (those past the first
# 256 looked up after it).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/faults_nf_fixtures.sh
. "$(dirname "$0")/faults_nf_fixtures.sh"

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

# Too few fds (RLIMIT_NOFILE 64) for the user cgroups there are: each one
# that cannot be watched is logged with its path and the reason; once
# removals free fds, every one of them is watched, and a kill is told.
t_nf_out_of_fds() {
	local i uid log=$TMP/fds.log failed watched missing=""
	nf_setup
	stop_notifier
	# A watch holds its cgroup's directory open, and on v1 an OOM eventfd;
	# v2 watches memory.events with inotify (no fd); warn_at adds a PSI fd.
	if [ "$MC_VERSION" = 2 ]; then WARN=50% nconf; else nconf; fi
	# Limited, so that v2's warn_at arms a PSI trigger (an fd) on each.
	# Two fds each: 40 do not fit in 64 fds, and those left once the
	# watched ones are removed do.
	for i in $(seq 40); do make_cg $((4100000000 + i)); done
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
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || {
		fail "no notice after the fds came back"
		sed 's/^/      | /' "$TMP/u1.screen" >&2
		tail -n 40 "$log" | sed 's/^/      | /' >&2
	}
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

run nf_churn t_nf_churn
run nf_out_of_fds t_nf_out_of_fds
run nf_many_at_start t_nf_many_at_start
t_done
