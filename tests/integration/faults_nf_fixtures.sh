# Fixtures of the notifier fault tests (t_faults_nf_*.sh; sourced after
# lib.sh): those of nf_fixtures.sh (a notifier config, ptys that read, hang
# up or block, kills, the notifier started and stopped under a wrapper such
# as prlimit, and its cleanup), and two users with cgroups under the
# notifier's own parent and a terminal each (nf_setup).
# shellcheck shell=bash

# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "${BASH_SOURCE[0]}")/nf_fixtures.sh"
need /usr/bin/unshare /usr/bin/prlimit "$PAMTEST" "$SHIM"

nf_users f g
# -m 600 as well: nf_mta_faults holds 32 sendmails hung for longer than
# the default 30 s on a loaded machine; t_nf_mail_timeout tests the kill.
NF_DEFAULT_ARGS="-m 600 -k"

# The notifier's users: cgroups and terminals made once; a notifier
# started when none runs.
NF_BASE=""
nf_setup() {
	if [ -z "$NF_BASE" ]; then
		NF_BASE=1
		nconf
		make_cg "$U1_UID"
		make_cg "$U2_UID"
		start_pty "$U1" 0620 "$TMP/u1.screen"
		start_pty "$U2" 0620 "$TMP/u2.screen"
	fi
	if [ -z "$NPID" ]; then
		start_notifier
		wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 2 ]" 10 || fail "notifier did not see the user cgroups"
	fi
}
