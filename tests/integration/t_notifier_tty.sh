#!/bin/bash
# memcg-notifier against the real kernel: a process OOM-killed for real is
# told on a real pty of its user (with a utmp entry the test writes and
# removes), not on one with mesg n, and in the user's mailbox through a real
# local MTA (exim4), its command name's escape sequences neutralised.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/notifier_fixtures.sh
. "$(dirname "$0")/notifier_fixtures.sh"

# --- tests ------------------------------------------------------------------

t_kill_reaches_pty() {
	kill_one "$U1" "$HOG"
	K1=$VICTIM
	wait_for "grep -q 'process: $K1 (python3)' '$TMP/u1.screen'" 5 ||
		fail "no notice with the victim on the pty of $U1"
	assert_contains "$TMP/u1.screen" "A process of yours was killed: your sessions together reached their memory limit" "what happened"
	assert_contains "$TMP/u1.screen" "limit: +$LIMIT_TEXT" "limit"
	assert_contains "$TMP/u1.screen" "Message from memcg-notifier@$(hostname)" "host"
	assert_contains "$TMP/u1.screen" "memcgctl status" "hint"
	assert_contains "$NLOG" "oom_kill: user $U1 .* victim $K1 \\(python3\\) limit $LIMIT_TEXT" "log line"
	# Lines end in \r\n (the pty adds its own \r to each \n).
	grep -q $'memcgctl status.*\r$' "$TMP/u1.screen" || fail "lines do not end in CR LF"
}

t_mesg_n_honoured() {
	sleep 0.3
	[ ! -s "$TMP/u1-mesg-n.screen" ] || fail "a notice reached the pty with mesg n"
	assert_contains "$NLOG" "not writing to .* of $U1: mesg n" "mesg n logged"
}

t_mail_delivered() {
	local box=/var/mail/$U1
	wait_for "grep -qs 'process: $K1 (python3)' '$box'" 15 || fail "no mail with the victim in $box"
	assert_contains "$box" "^Subject: \\[$(hostname)\\] a process was killed at your memory limit" "subject"
	assert_contains "$box" "^Auto-Submitted: auto-generated" "auto-submitted"
	assert_contains "$box" "^From: root" "from"
	assert_contains "$box" "^To: $U1(@|$)" "to"
	assert_contains "$box" "limit: +$LIMIT_TEXT" "limit in mail"
}

t_escapes_neutralised() {
	kill_one "$U2" "$EVIL_HOG"
	K2=$VICTIM
	wait_for "grep -q 'process: $K2 ' '$TMP/u2.screen'" 5 || fail "no notice for the renamed process"
	grep -qF "process: $K2 (\\x1b]0;PW\\x07\\x1b[2J\\x1b[5m)" "$TMP/u2.screen" ||
		fail "command name not shown escaped: $(grep -a 'process:' "$TMP/u2.screen" | cat -v)"
	if grep -q $'\x1b\|\x07' "$TMP/u2.screen"; then fail "a raw escape byte reached the pty"; fi
	if grep -aq $'\x1b' "$NLOG"; then fail "a raw escape byte reached the log"; fi
	wait_for "grep -qs 'process: $K2 ' /var/mail/$U2" 15 || fail "no mail for the renamed process"
	if grep -aq $'\x1b' "/var/mail/$U2"; then fail "a raw escape byte reached the mail"; fi
}

t_latency() {
	$PY "$TMP/latency.py" "$TMP/u1.screen" "$K1" | sed 's/^/    /'
	$PY "$TMP/latency.py" "$TMP/u2.screen" "$K2" | sed 's/^/    /'
}

run_test kill_reaches_pty t_kill_reaches_pty
run_test mesg_n_honoured t_mesg_n_honoured
run_test mail_delivered t_mail_delivered
run_test escapes_neutralised t_escapes_neutralised
# Informational: latency targets belong to `make bench`, not to a test.
t_latency
stop_notifier
NPID=""
t_done
