#!/bin/bash
# Group look-ups that fail (an NSS back-end error, a group entry over the
# module's 1 MiB cap), simulated by a preloaded getgrnam_r/getgrgid_r that
# fails: users exempt without groups (uid below min_uid, exempt_users) still
# get their session with on_error = fail; a limited user is handled as
# on_error says, or (entry over the cap) limited by the rules that remain.
. "$(dirname "$0")/lib.sh"

GRSHIM=$BUILD/tests/grfail_shim.so
UA=${T_ID}a UL=${T_ID}l G1=${T_ID}g GX=${T_ID}x
add_group "$G1"
add_group "$GX"
add_user "$UA"
add_user "$UL" "$G1"
CONF=$TMP/pam_memcg.conf

conf() {
	write_conf "$CONF" <<EOF2
cgroup_parent  = "$TEST_PARENT"
min_uid        = 1000
exempt_users   = {"$UA"}
exempt_groups  = {"$GX"}
on_error       = $1
default { memory_max = "64M" }
group "$G1" { memory_max = "96M" }
EOF2
}
pam_service svc "conf=$CONF" debug

# cg_session USER OUT ERROR: a session with group look-ups failing with
# ERROR; OUT gets the open/close codes, OUT.cg the session's memory cgroup.
cg_session() {
	MEMCG_TEST_GRFAIL=$3 LD_PRELOAD="$SHIM $GRSHIM" "$PAMTEST" -d "$TMP/pam.d" svc "$1" \
		sh -c "awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 } \$1 == \"0\" && \"$MC_VERSION\" == 2 { print \$3 }' /proc/self/cgroup >$2.cg" >"$2"
}

# What the session's cgroup limit is, read from outside while it exists.
limit_of() { cat "$CG_MNT$1/$F_MAX" 2>/dev/null; }

t_exempt_despite_failure() {
	local err who
	conf fail
	for err in ERANGE EIO; do
		for who in "$UA" daemon; do
			cg_session "$who" "$TMP/o.$who" "$err"
			assert_contains "$TMP/o.$who" '^open=0$' "$who opens with getgrnam_r failing ($err, on_error = fail)"
			assert_eq "/$RUNNER_CG" "$(cat "$TMP/o.$who.cg" 2>/dev/null)" "$who stays where it was ($err)"
		done
		assert_not_contains "$MEMCG_TEST_SYSLOG" "cannot look up the groups" "no group look-up for exempt users ($err)"
	done
}

# EIO: nothing can be decided for a limited user: on_error says.
t_limited_user_eio() {
	conf fail
	cg_session "$UL" "$TMP/f.out" EIO
	assert_contains "$TMP/f.out" '^open=14$' "on_error = fail refuses (PAM_SESSION_ERR)"
	assert_contains "$MEMCG_TEST_SYSLOG" "cannot look up the groups of $UL \\(uid [0-9]+\\): Input/output error; .*session refused \\(on_error = fail\\)" "refusal logged with the reason"
	: >"$MEMCG_TEST_SYSLOG"
	conf ignore
	cg_session "$UL" "$TMP/i.out" EIO
	assert_contains "$TMP/i.out" '^open=0$' "on_error = ignore lets the session through"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*cannot look up the groups of $UL .*session not limited \\(on_error = ignore\\)" "not silently: logged at LOG_ERR"
}

# ERANGE at the cap: the group is no match, the user is still limited (by
# the default rule here, not G1's) and the log names the first group
# skipped (exempt_groups are looked up first).
t_limited_user_erange() {
	conf fail
	rm -f "$TMP/s.up" "$TMP/s.stop"
	MEMCG_TEST_GRFAIL=ERANGE LD_PRELOAD="$SHIM $GRSHIM" "$PAMTEST" -d "$TMP/pam.d" svc "$UL" \
		sh -c "touch $TMP/s.up; while [ ! -e $TMP/s.stop ]; do sleep 0.05; done" >"$TMP/r.out" &
	local s=$!
	T_PIDS+=("$s")
	wait_for "[ -e $TMP/s.up ]" 10 || fail "session did not start"
	assert_eq 67108864 "$(limit_of "/$(user_cg "$UL")")" "limited by the default rule"
	touch "$TMP/s.stop"
	wait "$s"
	assert_contains "$TMP/r.out" '^open=0$' "session opens"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<4> .*user $UL \\(uid [0-9]+\\): group $GX and others: entry larger than 1048576 bytes, taken as not listing the user" "skipped groups logged"
}

run_test exempt_despite_failure t_exempt_despite_failure
run_test limited_user_eio t_limited_user_eio
run_test limited_user_erange t_limited_user_erange
t_done
