#!/bin/bash
# Hostile user names through the real module: /, .., escape sequences, 32
# and 40 characters, a name that is another user's uid, users NSS does not
# know, uid 0 under another name, 300 supplementary groups.  The odd users
# exist only in a private mount namespace (hostile_fixtures.sh).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/hostile_fixtures.sh
. "$(dirname "$0")/hostile_fixtures.sh"

# ============================================================================
# Users
# ============================================================================

# placed NAME UID WHAT: a session of NAME lands in user-UID with the limit.
placed() {
	local name=$1 uid=$2 what=$3
	: >"$MEMCG_TEST_SYSLOG"
	ns_session svc "$name" "$TMP/inspect.sh" "$TMP/p.txt" >"$TMP/p.out"
	assert_contains "$TMP/p.out" '^open=0$' "$what: session opens"
	assert_contains "$TMP/p.out" '^close=0$' "$what: session closes"
	assert_eq "/$TEST_PARENT/user-$uid" "$(val "$TMP/p.txt" cg)" "$what: in the cgroup of its uid"
	[ "$(val "$TMP/p.txt" cg)" = "/$TEST_PARENT/user-$uid" ] || sed 's/^/      | /' "$MEMCG_TEST_SYSLOG" "$TMP/p.out" >&2
	assert_eq 67108864 "$(val "$TMP/p.txt" max)" "$what: limited"
	assert_gone "$CG_MNT/$TEST_PARENT/user-$uid" "$what: cgroup removed at close"
	assert_contains "$MEMCG_TEST_SYSLOG" "\\(uid $uid\\) in $CG_MNT/$TEST_PARENT/user-$uid" "$what: debug line"
	if LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$MEMCG_TEST_SYSLOG"; then
		fail "$what: a control character reached the log: $(cat -v "$MEMCG_TEST_SYSLOG")"
	fi
}

t_users_odd_names() {
	base_conf fail
	placed "$N_SLASH" "$N_SLASH_UID" "name with /"
	placed "$N_DOTDOT" "$N_DOTDOT_UID" "name .."
	placed "$N_ESC" "$N_ESC_UID" "name with OSC and CSI sequences"
	assert_contains "$MEMCG_TEST_SYSLOG" 'user mc\\x1b\]0;owned\\x07\\x1b\[2J' "escapes shown escaped"
	placed "$N_OSC52" "$N_OSC52_UID" "name with an OSC 52 clipboard write"
	placed "$N_CR" "$N_CR_UID" "name with a carriage return"
	placed "$N_AT" "$N_AT_UID" "name with a remote mail domain"
	placed "$N_32" "$N_32_UID" "name of 32 characters"
	placed "$N_40" "$N_40_UID" "name of 40 characters"
}

# A name that is another user's uid is a name: its own uid decides, and a
# rule for that name does not reach the user with that uid.
t_users_numeric_name() {
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
default { memory_max = "64M" }
user "$N_NUM" { memory_max = "96M" }
EOF
	ns_session svc "$N_NUM" "$TMP/inspect.sh" "$TMP/n.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$N_NUM_UID" "$(val "$TMP/n.txt" cg)" "user \"$N_NUM\" is uid $N_NUM_UID"
	assert_eq 100663296 "$(val "$TMP/n.txt" max)" "rule for \"$N_NUM\" applies to that name"
	ns_session svc "$U1" "$TMP/inspect.sh" "$TMP/n1.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/n1.txt" cg)" "uid $U1_UID is $U1"
	assert_eq 67108864 "$(val "$TMP/n1.txt" max)" "rule for \"$N_NUM\" does not reach uid $N_NUM"
	base_conf
}

# PAM_USER that NSS does not know: logged (neutralised), let through.
t_users_unknown() {
	local mode name
	for mode in fail ignore; do
		base_conf "$mode"
		for name in "nosuch$$" $'nosuch\nFAKE: session opened for user root' $'nosuch\e]0;x\a'; do
			: >"$MEMCG_TEST_SYSLOG"
			session svc "$name" "$TMP/inspect.sh" "$TMP/u.txt" >"$TMP/u.out"
			assert_contains "$TMP/u.out" '^open=0$' "unknown user ($mode): let through"
			assert_eq "/$RUNNER_CG" "$(val "$TMP/u.txt" cg)" "unknown user ($mode): not moved"
			assert_contains "$MEMCG_TEST_SYSLOG" '^<3> .*cannot look up user "nosuch.*": unknown user; session not limited' \
				"unknown user ($mode): logged"
			assert_not_contains "$MEMCG_TEST_SYSLOG" '^FAKE' "unknown user ($mode): no forged log line"
			if LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$MEMCG_TEST_SYSLOG"; then
				fail "unknown user ($mode): a control character reached the log: $(cat -v "$MEMCG_TEST_SYSLOG")"
			fi
		done
	done
	assert_contains "$MEMCG_TEST_SYSLOG" 'nosuch\\x1b\]0;x\\x07' "unknown user: escapes shown escaped"
	base_conf
}

# uid 0 under another name is root: never limited, never denied, even
# when a rule names it, nothing exempts it and the hierarchy is broken.
t_users_uid0_alias() {
	local other=v1
	[ "$MC_VERSION" = 1 ] && other=v2
	write_conf "$CONF" <<EOF
cgroup_version = $other
cgroup_parent = "$TEST_PARENT"
min_uid = 0
exempt_users = {}
on_error = fail
user "$N_TOOR" { memory_max = "64M" }
EOF
	ns_session svc "$N_TOOR" "$TMP/inspect.sh" "$TMP/t.txt" >"$TMP/t.out"
	assert_contains "$TMP/t.out" '^open=0$' "$N_TOOR (uid 0) gets in"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/t.txt" cg)" "$N_TOOR (uid 0) not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "user $N_TOOR has uid 0: not limited" "uid 0 logged under debug"
	ns_session svc root true >"$TMP/t2.out"
	assert_contains "$TMP/t2.out" '^open=0$' "root gets in"
	ns_run "$MEMCGCTL" explain -c "$CONF" "$N_TOOR" >"$TMP/t.explain" 2>&1
	assert_contains "$TMP/t.explain" "^exempt: +yes: uid 0" "memcgctl: uid 0 is exempt"
	base_conf
}

# 300 supplementary groups: a rule for the last one still matches, and the
# cost of an open is measured against a user in one group.
t_users_300_groups() {
	local t0 t1 per300 per1
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
exempt_groups = {"mcg$$-none"}
default { memory_max = "64M" }
group "mcg$$_$NGROUPS" { memory_max = "96M" }
EOF
	ns_run id -G "$N_GROUPS" | wc -w >"$TMP/g.count"
	assert_eq $((NGROUPS + 1)) "$(cat "$TMP/g.count")" "NSS sees $NGROUPS supplementary groups"
	ns_session svc "$N_GROUPS" "$TMP/inspect.sh" "$TMP/g.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$N_GROUPS_UID" "$(val "$TMP/g.txt" cg)" "user in $NGROUPS groups placed"
	assert_eq 100663296 "$(val "$TMP/g.txt" max)" "rule for group $NGROUPS matched"
	t0=$EPOCHREALTIME
	ns_session -n 50 svc "$N_GROUPS" >/dev/null || fail "50 opens in $NGROUPS groups"
	t1=$EPOCHREALTIME
	per300=$(( (${t1/./} - ${t0/./}) / 50 ))
	t0=$EPOCHREALTIME
	ns_session -n 50 svc "$N_ONEGROUP" >/dev/null || fail "50 opens in 1 group"
	t1=$EPOCHREALTIME
	per1=$(( (${t1/./} - ${t0/./}) / 50 ))
	echo "    (open+close: $per300 us in $NGROUPS groups, $per1 us in 1 group)"
	# A pathological cost (group names looked up one by one over and over)
	# would be hundreds of times the cost in one group.
	[ "$per300" -lt $((per1 * 10 + 20000)) ] || fail "an open in $NGROUPS groups took $per300 us, in 1 group $per1 us"
	base_conf
}

run users_odd_names t_users_odd_names
run users_numeric_name t_users_numeric_name
run users_unknown t_users_unknown
run users_uid0_alias t_users_uid0_alias
run users_300_groups t_users_300_groups
t_done
