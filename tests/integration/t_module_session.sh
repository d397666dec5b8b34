#!/bin/bash
# The PAM module as an application meets it: end to end with pamtester and
# a service in /etc/pam.d, and no descriptor of the module's in the session.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/module_fixtures.sh
. "$(dirname "$0")/module_fixtures.sh"

# End to end with pamtester and a service in /etc/pam.d.
t_pamtester() {
	local svc=memcg-test-$$
	system_pam_service "$svc" "session required $PAM_SO conf=$CONF debug
session required pam_permit.so"
	LD_PRELOAD=$SHIM pamtester -v "$svc" "$U1" open_session close_session >"$TMP/pt.out" 2>&1
	assert_eq 0 "$?" "pamtester open_session close_session"
	assert_contains "$MEMCG_TEST_SYSLOG" "user $U1 .*memory_max 67108864" "module ran under pamtester"
	assert_contains "$MEMCG_TEST_SYSLOG" "removed .*/user-[0-9]+ \\(last session" "cgroup removed at close"
	assert_gone "$(user_cg_dir "$U1")" "no cgroup left"
}

# No descriptor the module (or libpam) opened reaches the session: from
# inside a session, only 0, 1, 2 and the listing's own are open.
t_no_fd_leak() {
	local out=$TMP/fds.txt fd extra
	(
		# Start from 0, 1 and 2, whatever the test runner left open.
		for fd in "/proc/$BASHPID/fd/"*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
		done
		session svc "$U1" ls -l /proc/self/fd
	) >"$out" 2>&1
	assert_contains "$out" '^open=0$' "open succeeds"
	extra=$(awk '{ i = index($0, " -> "); if (!i) next
		n = split(substr($0, 1, i - 1), f, " "); t = substr($0, i + 4)
		if (f[n] > 2 && t !~ "^/proc/[0-9]+/fd$") print f[n] " -> " t }' "$out")
	[ -z "$extra" ] || fail "descriptors open in the session: $extra"
}

run_test pamtester t_pamtester
run_test no_fd_leak t_no_fd_leak
t_done
