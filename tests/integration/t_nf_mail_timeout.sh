#!/bin/bash
# memcg-notifier and a sendmail that never ends: killed (SIGKILL, its own
# child, by pid) once --mail-timeout has passed, reaped and logged; mail
# goes out again afterwards.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

nf_users s
make_cg "$U1_UID"

# Three mails to a sendmail that hangs, with --mail-timeout 1: each is
# killed about a second after it started, reaped, and both are logged; the
# hung processes are gone.  Then, with a working sendmail, a mail arrives.
t_mail_hung_killed() {
	local f pid n=0 rc i
	nconf "mail = true
	sendmail = \"$TMP/sm-hang\""
	NF_ARGS="-k -m 1" start_notifier
	for i in 1 2 3; do kill_one "$U1"; done
	wait_for "[ \$(ls '$TMP'/mail/hang.*.pid 2>/dev/null | wc -l) -ge 3 ]" 5 || fail "sendmail not run three times"
	for f in "$TMP"/mail/hang.*.pid; do
		pid=$(cat "$f")
		n=$((n + 1))
		wait_for "grep -q 'sendmail (pid $pid, mail to uid $U1_UID) did not finish within 1 s; killed' '$NLOG'" 5
		rc=$?
		[ "$rc" -eq 0 ] || fail "hung sendmail $pid not killed (logged)"
		wait_for "grep -q 'sendmail (pid $pid) was killed by signal 9' '$NLOG'" 3
		rc=$?
		[ "$rc" -eq 0 ] || fail "killed sendmail $pid not reaped (logged)"
		[ ! -e "/proc/$pid" ]
		rc=$?
		[ "$rc" -eq 0 ] || fail "sendmail $pid still exists"
	done
	assert_eq 3 "$n" "hung sendmails"
	nconf "mail = true
	sendmail = \"$TMP/sm-ok\""
	kill -HUP "$NPID"
	wait_for "grep -q 'notifier.conf reloaded' '$NLOG'" 3 || fail "not reloaded"
	kill_one "$U1"
	wait_for "grep -qs 'process: $VICTIM (python3)' $TMP/mail/ok.*.eml" 5 || fail "no mail after the hung ones"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
	stop_notifier
}

# --mail-timeout takes 1 to 3600 seconds, nothing else (exit status 2).
t_mail_timeout_option() {
	local v rc
	for v in 0 3601 1x -1 ""; do
		"$NOTIFIER" -c "$NCONF" -m "$v" >"$TMP/opt.out" 2>&1
		rc=$?
		assert_eq 2 "$rc" "--mail-timeout '$v' refused"
		assert_contains "$TMP/opt.out" "mail-timeout" "--mail-timeout '$v': the message names the option"
	done
	"$NOTIFIER" --help >"$TMP/help.out"
	assert_contains "$TMP/help.out" "--mail-timeout SECONDS" "--help lists the option"
}

run mail_hung_killed t_mail_hung_killed
run mail_timeout_option t_mail_timeout_option
t_done
