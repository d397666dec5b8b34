#!/bin/bash
# memcg-notifier with a slow name service: user look-ups run off the main
# loop, so a look-up that takes seconds (getpwuid_r/getpwnam_r of one uid
# made to sleep by a preloaded shim) delays nobody else's notice; a user
# seen before needs no look-up for their notice.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

SLOW_SHIM=$BUILD/tests/slow_shim.so
need "$SLOW_SHIM"

nf_users k l
make_cg "$U1_UID"
# Long enough for a kill under emulation (the VM lanes) to fit inside it.
NSS_MS=15000
# How soon a notice must come: 200 ms here; the VM lanes (software
# emulation, where a plain notice takes 30-230 ms) set more.
NOTICE_MS=${MEMCG_TEST_NOTICE_MS:-200}

# Milliseconds from the end of kill_one (the victim reaped) until the
# notice shows on the screen.
told_ms() { # told_ms SCREEN VICTIM
	ms_until "$1" "process: $2 (python3)" 5
}

# U2's cgroup appears while looking U2 up takes 15 s; U1 (watched) is
# killed meanwhile: told within NOTICE_MS, and U2 is watched once its
# look-up answers.  Then U2, now known, logs out and in again (its cgroup
# removed and made anew) while the look-up is still slow: its own kill is
# told within NOTICE_MS too, without waiting for NSS.
t_slow_lookup_delays_nobody() {
	local ms t0
	nconf
	start_pty "$U1" 0620 "$TMP/u1.screen"
	start_pty "$U2" 0620 "$TMP/u2.screen"
	start_notifier "$NLOG" env LD_PRELOAD="$SLOW_SHIM" MEMCG_TEST_SLOW_UID="$U2_UID" \
		MEMCG_TEST_SLOW_NSS_MS="$NSS_MS"
	wait_for "grep -q 'watching .*/user-$U1_UID ' '$NLOG'" 5 || fail "U1 not watched"
	t0=$EPOCHREALTIME
	make_cg "$U2_UID"
	sleep 0.3
	kill_one "$U1"
	ms=$(told_ms "$TMP/u1.screen" "$VICTIM")
	echo "    (U1 told $ms ms after its kill, with U2's look-up under way)"
	[ "$ms" -le "$NOTICE_MS" ] || fail "U1's notice took $ms ms while U2 was looked up (at most $NOTICE_MS)"
	grep -q "watching .*/user-$U2_UID " "$NLOG"
	local rc=$? el=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
	[ "$el" -lt $((NSS_MS - 500)) ] || fail "the kill took $el ms, longer than the slowed look-up: nothing was shown"
	[ "$rc" -ne 0 ] || fail "U2 watched before its look-up could have answered (the shim did not slow it)"
	wait_for "grep -q 'watching .*/user-$U2_UID (uid $U2_UID, user $U2)' '$NLOG'" $((NSS_MS / 1000 + 5)) ||
		fail "U2 not watched after its look-up"
	echo "    (U2 watched $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 )) ms after its cgroup appeared)"
	# Known now: a new cgroup of U2's is watched and told from its record.
	rmdir "$CG_MNT/$NPARENT/user-$U2_UID"
	wait_for "grep -q 'user-$U2_UID was removed' '$NLOG'" 5 || fail "U2's removal not seen"
	make_cg "$U2_UID"
	wait_for "[ \$(grep -c 'watching .*/user-$U2_UID (uid $U2_UID, user $U2)' '$NLOG') -ge 2 ]" 1 ||
		fail "U2's new cgroup not watched at once"
	kill_one "$U2"
	ms=$(told_ms "$TMP/u2.screen" "$VICTIM")
	echo "    (U2, known, told $ms ms after its kill, its refresh look-up under way)"
	[ "$ms" -le "$NOTICE_MS" ] || fail "U2's notice took $ms ms (at most $NOTICE_MS)"
	stop_notifier
}

# A user NSS is slow for, killed before anyone looked them up: the notice
# waits for the look-up (not for ever) and is told once it answers.
t_slow_lookup_then_told() {
	local ms
	rmdir "$CG_MNT/$NPARENT/user-$U2_UID" 2>/dev/null
	nconf
	: >"$TMP/u2.screen"
	start_notifier "$NLOG.2" env LD_PRELOAD="$SLOW_SHIM" MEMCG_TEST_SLOW_UID="$U2_UID" \
		MEMCG_TEST_SLOW_NSS_MS=3000
	make_cg "$U2_UID"
	sleep 0.3
	kill_one "$U2"
	ms=$(ms_until "$TMP/u2.screen" "process: $VICTIM (python3)" 8)
	echo "    (U2, not known yet, told $ms ms after its kill)"
	[ "$ms" -le 5000 ] || fail "U2's notice took $ms ms"
	stop_notifier
}

run slow_lookup_delays_nobody t_slow_lookup_delays_nobody
run slow_lookup_then_told t_slow_lookup_then_told
t_done
