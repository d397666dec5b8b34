#!/bin/bash
# The notifier given a broken config at SIGHUP: the old one stays and
# keeps working.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/faults_nf_fixtures.sh
. "$(dirname "$0")/faults_nf_fixtures.sh"

# A broken config at SIGHUP: a fifo (no hang), a symlink, a world-writable
# file, no file, a hierarchy this machine lacks.  The old config stays and
# keeps working.
t_nf_sighup_broken() {
	local n=0 kind
	nf_setup
	cp "$NCONF" "$TMP/good.conf"
	for kind in fifo symlink writable missing version; do
		rm -f "$NCONF"
		case $kind in
		fifo) mkfifo -m 0644 "$NCONF" ;;
		symlink) ln -s "$TMP/good.conf" "$NCONF" ;;
		writable) cp "$TMP/good.conf" "$NCONF" && chmod 0666 "$NCONF" ;;
		missing) ;;
		version) sed "s/^cgroup_version = .*/cgroup_version = $(other_version)/" "$TMP/good.conf" | write_conf "$NCONF" ;;
		esac
		n=$((n + 1))
		kill -HUP "$NPID"
		wait_for "[ \$(grep -c 'not reloaded; keeping' '$NLOG') -ge $n ]" 3 ||
			fail "$kind: not refused within 3 s"
		kill -0 "$NPID" 2>/dev/null || { fail "$kind: notifier died"; return; }
	done
	assert_contains "$NLOG" "$(re "$NCONF"): is not a regular file" "fifo refused"
	assert_contains "$NLOG" "$(re "$NCONF"): is a symbolic link" "symlink refused"
	assert_contains "$NLOG" "$(re "$NCONF"): is writable by group or others" "writable refused"
	assert_contains "$NLOG" "$(re "$NCONF"): no such file" "missing refused"
	assert_contains "$NLOG" "cgroup_version = $(other_version), but" "missing hierarchy refused"
	rm -f "$NCONF"
	write_conf "$NCONF" <"$TMP/good.conf"
	# Still watching with the old config (the version reload started over).
	wait_for "[ \$(grep -c 'watching .*/user-$U2_UID' '$NLOG') -ge 2 ]" 3 || fail "watches not made again"
	kill_one "$U2"
	wait_for "grep -q 'process: $VICTIM (python3)' '$TMP/u2.screen'" 5 || fail "no notice after the broken reloads"
	kill -HUP "$NPID"
	wait_for "grep -q 'pam_memcg.conf reloaded\|notifier.conf reloaded' '$NLOG'" 3 || fail "good config not reloaded"
}

run nf_sighup_broken t_nf_sighup_broken
t_done
