#!/bin/bash
# memcg-notifier's life cycle against the real kernel: a user cgroup removed
# is not reported as a kill, a restart does not tell old kills again and
# still tells new ones, and SIGHUP with a broken config keeps the old one.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/notifier_fixtures.sh
. "$(dirname "$0")/notifier_fixtures.sh"

# --- tests ------------------------------------------------------------------

t_removal_not_reported() {
	local before lines
	before=$(stat -c %s "$TMP/u1.screen")
	lines=$(count "$NLOG" "oom_kill\|outside_kill\|oom_no_kill\|oom_group_kill")
	close_session "$U1"
	wait_for "grep -q 'user-$(id -u "$U1") was removed' '$NLOG'" 5 || fail "removal not seen"
	sleep 0.5
	assert_eq "$before" "$(stat -c %s "$TMP/u1.screen")" "pty bytes after the cgroup was removed"
	assert_eq "$lines" "$(count "$NLOG" "oom_kill\|outside_kill\|oom_no_kill\|oom_group_kill")" "events logged after removal"
}

t_restart_does_not_rereport() {
	local before2 before3
	stop_notifier
	before2=$(count "$TMP/u2.screen" "Message from")
	before3=$(count "$TMP/u3.screen" "Message from")
	start_notifier
	wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 7 ]" 5
	sleep 1
	assert_eq "$before2" "$(count "$TMP/u2.screen" "Message from")" "notices for $U2 after restart"
	assert_eq "$before3" "$(count "$TMP/u3.screen" "Message from")" "notices for $U3 after restart"
	# And it still works: one new kill, one new notice.
	kill_one "$U2" "$HOG"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u2.screen'" 5 || fail "no notice after restart"
	K3=$VICTIM
	assert_eq "$((before2 + 1))" "$(count "$TMP/u2.screen" "Message from")" "notices for $U2 after a new kill"
}

t_sighup_bad_config_kept() {
	cp "$CONF" "$CONF.good"
	write_conf "$CONF" <<<'notify { rate_limit = soon }'
	kill -HUP "$NPID"
	wait_for "grep -q 'not reloaded; keeping' '$NLOG'" 5 || fail "bad config was not refused"
	assert_contains "$NLOG" "pam_memcg.conf:1: 'rate_limit' must be a whole number" "reason logged with line"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died on a bad config"
	write_conf "$CONF" <"$CONF.good"
	kill -HUP "$NPID"
	wait_for "grep -q 'pam_memcg.conf reloaded' '$NLOG'" 5 || fail "good config was not reloaded"
}

t_latency() {
	$PY "$TMP/latency.py" "$TMP/u2.screen" "$K3" | sed 's/^/    /'
}

run_test removal_not_reported t_removal_not_reported
run_test restart_does_not_rereport t_restart_does_not_rereport
run_test sighup_bad_config_kept t_sighup_bad_config_kept
# Informational: latency targets belong to `make bench`, not to a test.
t_latency
stop_notifier
NPID=""
t_done
