#!/bin/bash
# The notifier facing terminals that hung up or take no output: the
# loop stays responsive, others are told at once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/faults_nf_fixtures.sh
. "$(dirname "$0")/faults_nf_fixtures.sh"

# Terminals that hung up (the node is gone) or take no output (buffer full,
# nobody reads): the loop stays responsive, others are told at once.
t_nf_dead_terminals() {
	local ms
	nf_setup
	start_pty "$U1" 0620 "$TMP/block.screen" block
	start_pty "$U1" 0620 "$TMP/hang.screen" hangup
	local hang block
	hang=$(cat "$TMP/hang.screen.tty") block=$(cat "$TMP/block.screen.tty")
	kill_one "$U1"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u1.screen'" 5 || fail "no notice on the working pty of $U1"
	# (Its number may already be someone else's pty: refused as such.)
	assert_contains "$NLOG" "$(re "$hang") of $U1: (No such file or directory|owned by someone else)" \
		"hung-up terminal logged"
	# The blocked one is tried again for 2 s, then given up, with a word.
	wait_for "grep -qE 'cannot write to $(re "$block") of $U1: the terminal took no output for 2000 ms' '$NLOG'" 5 ||
		fail "blocked terminal: no line that it was given up in $NLOG"
	# Five more kills at the stuck terminals, then one for U2: told at once.
	local i
	for i in 1 2 3 4 5; do kill_one "$U1"; done
	kill_one "$U2"
	ms=$(ms_until "$TMP/u2.screen" "process: $VICTIM (python3)" 5)
	echo "    (notice to $U2 $ms ms after its kill, with $U1's terminals stuck)"
	[ "$ms" -lt 1000 ] || fail "notice to $U2 took $ms ms"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
}

run nf_dead_terminals t_nf_dead_terminals
t_done
