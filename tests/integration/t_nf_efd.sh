#!/bin/bash
# memcg-notifier's eventfds against removals (cgroup v1, warn_at on): a
# removed user cgroup's eventfd leaves the epoll set at once, even while a
# threshold worker still holds a duplicate of it (registrations made slow
# with a preloaded shim); and cgroups made and removed, with reloads that
# start the watches over, while workers arm thresholds.  Run under
# AddressSanitizer too (tests/hardening/asan.sh t_nf_efd).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

if [ "$MC_VERSION" != 1 ]; then
	echo "SKIP t_nf_efd: usage thresholds on eventfds are cgroup v1's"
	exit 0
fi
SLOW_SHIM=$BUILD/tests/slow_shim.so
need "$SLOW_SHIM"

nf_users e f
# Watched from the start, with a threshold: the workers' eventfd is in the
# epoll set before anything is counted.
make_cg "$U2_UID"

# start_slow MS: the notifier with threshold registrations slowed by MS,
# once the start's threshold is armed.
start_slow() {
	: >"$NLOG"
	start_notifier "$NLOG" env LD_PRELOAD="$SLOW_SHIM" MEMCG_TEST_SLOW_THRESHOLD_MS="$1"
	wait_for "grep -q 'warn_at: usage thresholds armed on 1 user' '$NLOG'" 10 ||
		fail "the start's threshold was not armed"
}

# The fds in the notifier's epoll set (its fdinfo lists one tfd line each).
epoll_fds() {
	local fd
	for fd in /proc/"$NPID"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:[eventpoll]" ] || continue
		grep -c '^tfd:' "/proc/$NPID/fdinfo/${fd##*/}"
		return
	done
	echo "none"
}

# A user cgroup removed while the worker registering its threshold (3 s,
# through the shim) holds a duplicate of its eventfd: its entry leaves the
# epoll set at the removal; the notifier neither crashes nor logs an error.
t_efd_removed_leaves_epoll() {
	local base during after rc
	WARN=50% nconf
	start_slow 3000
	base=$(epoll_fds)
	make_cg "$U1_UID"
	wait_for "grep -q 'watching .*/user-$U1_UID ' '$NLOG'" 5 || fail "user cgroup not watched"
	# The limit is written after the mkdir: the threshold follows it.
	sleep 0.5
	rmdir "$CG_MNT/$NPARENT/user-$U1_UID"
	wait_for "grep -q 'user-$U1_UID was removed' '$NLOG'" 5 || fail "removal not seen"
	sleep 0.2
	during=$(epoll_fds)
	assert_eq "$base" "$during" "epoll set while the worker still holds the eventfd (base $base)"
	sleep 3.5
	kill -0 "$NPID" 2>/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || fail "notifier died"
	after=$(epoll_fds)
	assert_eq "$base" "$after" "epoll set after the worker is done"
	assert_not_contains "$NLOG" 'ERROR|AddressSanitizer' "no error logged"
	stop_notifier
}

# Cgroups made (with a limit: a threshold each) and removed, 300 times,
# while workers register thresholds (slowed to 20 ms) and every 50 a reload
# moves the watches to another parent and back: the notifier keeps going,
# ends with the fds it had, and tells a real kill after.
t_efd_churn_with_workers() {
	local base after i n=300 p1=$NPARENT p2=$TEST_PARENT/n2
	mkdir -p "$CG_MNT/$p2"
	WARN=50% nconf
	start_slow 20
	base=$(fds_of "$NPID")
	for i in $(seq "$n"); do
		d=$CG_MNT/$NPARENT/user-$((4000000000 + i % 50))
		mkdir "$d" && echo 67108864 >"$d/$F_MAX"
		[ $((i % 3)) -eq 0 ] && sleep 0.01
		rmdir "$d"
		if [ $((i % 50)) -eq 0 ]; then
			NPARENT=$p2 WARN=50% nconf
			kill -HUP "$NPID"
			sleep 0.05
			WARN=50% nconf
			kill -HUP "$NPID"
		fi
	done
	NPARENT=$p1
	kill -0 "$NPID" 2>/dev/null || { fail "notifier died during the churn"; return; }
	wait_for "[ \$(fds_of $NPID) -eq $base ]" 10 ||
		fail "fds after the churn: $(fds_of "$NPID"), before: $base"
	make_cg "$U1_UID"
	wait_for "grep -q 'watching .*/user-$U1_UID ' '$NLOG'" 5 || fail "user cgroup not watched"
	kill_one "$U1"
	wait_for "grep -q 'victim $VICTIM ' '$NLOG'" 5 || fail "kill after the churn not logged"
	assert_not_contains "$NLOG" 'AddressSanitizer|runtime error' "no sanitizer report in the log"
	stop_notifier
	rmdir "$CG_MNT/$NPARENT/user-$U1_UID" "$CG_MNT/$p2" 2>/dev/null
}

run efd_removed_leaves_epoll t_efd_removed_leaves_epoll
run efd_churn_with_workers t_efd_churn_with_workers
t_done
