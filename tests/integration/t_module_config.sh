#!/bin/bash
# The PAM module's and memcgctl's reading of the config: exemptions,
# on_error, broken and unsafe configs, unknown module arguments, memcgctl
# check and explain.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/module_fixtures.sh
. "$(dirname "$0")/module_fixtures.sh"

t_exempt() {
	session svc root "$TMP/inspect.sh" "$TMP/root.txt" >"$TMP/root.out"
	assert_contains "$TMP/root.out" '^open=0$' "root opens"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/root.txt" cg)" "root stays where it was"
	session svc "$U3" "$TMP/inspect.sh" "$TMP/u3.txt" >/dev/null
	assert_eq "/$RUNNER_CG" "$(val "$TMP/u3.txt" cg)" "member of an exempt group stays where it was"
	assert_contains "$MEMCG_TEST_SYSLOG" "$U3 .* is exempt: member of a group listed in exempt_groups" "exempt logged under debug"
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
min_uid = 4000000000
exempt_users = {"$U2"}
EOF
	session svc "$U1" "$TMP/inspect.sh" "$TMP/u1.txt" >/dev/null
	assert_eq "/$RUNNER_CG" "$(val "$TMP/u1.txt" cg)" "uid below min_uid stays where it was"
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
exempt_users = {"$U2"}
EOF
	session svc "$U2" "$TMP/inspect.sh" "$TMP/u2.txt" >/dev/null
	assert_eq "/$RUNNER_CG" "$(val "$TMP/u2.txt" cg)" "exempt user stays where it was"
	base_conf
}

# Limits that cannot be applied: a hierarchy version this machine lacks.
t_on_error() {
	local other mode
	other=$(other_version)
	for mode in ignore fail; do
		write_conf "$CONF" <<EOF
cgroup_version = $other
cgroup_parent = "$TEST_PARENT"
exempt_groups = {"$GX"}
on_error = $mode
EOF
		session svc "$U1" true >"$TMP/err.out"
		if [ "$mode" = fail ]; then
			assert_contains "$TMP/err.out" '^open=14$' "on_error = fail denies (PAM_SESSION_ERR)"
		else
			assert_contains "$TMP/err.out" '^open=0$' "on_error = ignore lets the session through"
		fi
		assert_contains "$MEMCG_TEST_SYSLOG" "cgroup_version = $other" "reason logged"
		session svc root true >"$TMP/err-root.out"
		assert_contains "$TMP/err-root.out" '^open=0$' "root is never denied (on_error = $mode)"
		session svc "$U3" true >"$TMP/err-ex.out"
		assert_contains "$TMP/err-ex.out" '^open=0$' "exempt user is never denied (on_error = $mode)"
	done
	base_conf
}

# A broken config never denies a session and says where it is broken.
t_bad_config() {
	printf 'on_error = fail\ndefault {\n  memory_max = "12Q"\n}\n' | write_conf "$CONF"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/bad.txt" >"$TMP/bad.out"
	assert_contains "$TMP/bad.out" '^open=0$' "broken config: session opens"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/bad.txt" cg)" "broken config: not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "$CONF:3: memory_max = \"12Q\"" "file:line in the log"
	base_conf
	chmod 0666 "$CONF"
	session svc "$U1" true >"$TMP/bad2.out"
	assert_contains "$TMP/bad2.out" '^open=0$' "world-writable config: session opens"
	assert_contains "$MEMCG_TEST_SYSLOG" "$CONF: is writable by group or others" "insecure config refused"
	base_conf
	ln -s "$CONF" "$TMP/link.conf"
	pam_service svclink "conf=$TMP/link.conf"
	session svclink "$U1" true >"$TMP/bad3.out"
	assert_contains "$TMP/bad3.out" '^open=0$' "symlinked config: session opens"
	assert_contains "$MEMCG_TEST_SYSLOG" "symbolic link" "symlink refused"
	pam_service svcmissing "conf=$TMP/nonexistent.conf"
	session svcmissing "$U1" true >"$TMP/bad4.out"
	assert_contains "$TMP/bad4.out" '^open=0$' "missing conf=: session opens"
	assert_contains "$MEMCG_TEST_SYSLOG" "nonexistent.conf: no such file \\(named by conf=\\)" "missing conf= is an error"
}

t_unknown_argument() {
	pam_service svcarg "conf=$CONF" bogus=1
	session svcarg "$U1" true >"$TMP/arg.out"
	assert_contains "$TMP/arg.out" '^open=0$' "unknown argument does not stop the session"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*unknown module argument ignored: bogus=1" "logged at LOG_ERR"
}

t_memcgctl() {
	"$MEMCGCTL" check -c "$CONF" >"$TMP/check.out" 2>&1
	assert_eq 0 "$?" "memcgctl check on a good config"
	printf 'min_uid = x\nfoo = 1\ndefault {\n  memory_high = "2G"\n  memory_max = "1G"\n}\n' | write_conf "$TMP/bad.conf"
	"$MEMCGCTL" check -c "$TMP/bad.conf" >"$TMP/check.out" 2>&1
	assert_eq 1 "$?" "memcgctl check on a bad config exits 1"
	assert_contains "$TMP/check.out" "^$TMP/bad.conf:1: 'min_uid' must be a whole number" "bad number with line"
	assert_contains "$TMP/check.out" "^$TMP/bad.conf:2: no such option 'foo'" "unknown key with line"
	printf 'default { memory_max = "1G" }\ngroup "nogrp-%s" { memory_max = "2G" }\n' $$ | write_conf "$TMP/typo.conf"
	"$MEMCGCTL" check -c "$TMP/typo.conf" >"$TMP/check.out" 2>&1
	assert_eq 0 "$?" "memcgctl check: an unknown group is a warning, not an error"
	assert_contains "$TMP/check.out" "^$TMP/typo.conf:2: warning: group \"nogrp-$$\": no such group" "unknown group named with its line"
	assert_contains "$TMP/check.out" "OK \(1 group rules, 0 user rules; 1 warning above\)" "summary counts the warning"
	"$MEMCGCTL" explain -c "$CONF" "$U2" >"$TMP/explain.out" 2>&1
	assert_contains "$TMP/explain.out" "^rule: +user \"$U2\"" "explain names the user rule"
	assert_contains "$TMP/explain.out" "^memory_max: +134217728 \\(128.0 MiB\\)" "explain gives bytes"
	assert_contains "$TMP/explain.out" "^cgroup: +$CG_MNT/$TEST_PARENT/user-$(uid_of "$U2")" "explain gives the cgroup"
	"$MEMCGCTL" explain -c "$CONF" "$U3" >"$TMP/explain3.out" 2>&1
	assert_contains "$TMP/explain3.out" "^exempt: +yes: member of a group listed in exempt_groups \\($GX\\)" "explain says why exempt"
}

run_test exempt t_exempt
run_test on_error t_on_error
run_test bad_config t_bad_config
run_test unknown_argument t_unknown_argument
run_test memcgctl t_memcgctl
t_done
