#!/bin/bash
# The notifier facing a broken MTA: sendmail missing, not executable,
# failing, killed, hanging.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/faults_nf_fixtures.sh
. "$(dirname "$0")/faults_nf_fixtures.sh"

# The MTA: sendmail missing, not executable, failing, killed, hanging
# without reading.  Terminal notices go out regardless; each failure is
# logged; 32 hung sendmails stop further mail (logged) without slowing the
# loop; once they are gone, mail works again.
t_nf_mta_faults() {
	local kind sm ms i
	nf_setup
	cat >"$TMP/sm-fail" <<'EOF'
#!/bin/sh
cat >/dev/null
exit 75
EOF
	cat >"$TMP/sm-signal" <<'EOF'
#!/bin/sh
kill -SEGV $$
EOF
	cp "$TMP/sm-ok" "$TMP/sm-noexec"
	chmod 755 "$TMP/sm-fail" "$TMP/sm-signal"
	chmod 644 "$TMP/sm-noexec"
	for kind in missing noexec fail signal; do
		case $kind in
		missing) sm=$TMP/no-such-sendmail ;;
		*) sm=$TMP/sm-$kind ;;
		esac
		nconf "mail = true
	sendmail = \"$sm\""
		kill -HUP "$NPID"
		wait_for "[ \$(grep -c 'notifier.conf reloaded' '$NLOG') -ge 1 ]" 3
		: >"$TMP/u1.screen"
		kill_one "$U1"
		wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "$kind: no terminal notice"
	done
	wait_for "grep -q 'was killed by signal 11' '$NLOG'" 3
	assert_contains "$NLOG" "cannot run $(re "$TMP")/no-such-sendmail to mail $U1: No such file or directory" "missing sendmail logged"
	assert_contains "$NLOG" "cannot run $(re "$TMP")/sm-noexec to mail $U1: Permission denied" "sendmail not executable logged"
	assert_contains "$NLOG" "sendmail \\(pid [0-9]+\\) failed with exit status 75" "failing sendmail logged"
	assert_contains "$NLOG" "sendmail \\(pid [0-9]+\\) was killed by signal 11" "crashing sendmail logged"

	nconf "mail = true
	sendmail = \"$TMP/sm-hang\""
	kill -HUP "$NPID"
	sleep 0.2
	for i in $(seq 33); do kill_one "$U1"; done
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "hanging MTA: no terminal notice"
	assert_contains "$NLOG" "32 sendmail processes are still running; no mail to $U1" "hung MTA: the cap is logged"
	assert_eq 32 "$(ls "$TMP"/mail/hang.*.pid 2>/dev/null | wc -l)" "hung sendmails at the cap"
	kill_one "$U2"
	ms=$(ms_until "$TMP/u2.screen" "process: $VICTIM (python3)" 5)
	echo "    (notice to $U2 $ms ms after its kill, with 32 sendmails hung)"
	[ "$ms" -lt 1000 ] || fail "notice to $U2 took $ms ms with the MTA hung"
	# The stuck MTA goes away: mail flows again.
	for i in "$TMP"/mail/hang.*.pid; do kill "$(cat "$i")" 2>/dev/null; done
	nconf "mail = true
	sendmail = \"$TMP/sm-ok\""
	kill -HUP "$NPID"
	wait_for "[ \$(grep -c 'was killed by signal 15' '$NLOG') -ge 32 ]" 5 || fail "hung sendmails not reaped"
	kill_one "$U1"
	wait_for "grep -qs 'process: $VICTIM (python3)' $TMP/mail/ok.*.eml" 5 || fail "no mail once the MTA works again"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
	nconf
	kill -HUP "$NPID"
}

run nf_mta_faults t_nf_mta_faults
t_done
