#!/bin/bash
# The PAM module through the real libpam on this machine's real memory
# hierarchy: placement, limit files, removal at last close, sharing between
# sessions, exemptions, rule resolution, on_error, bad configs, pamtester.
. "$(dirname "$0")/lib.sh"

U1=${T_ID}a U2=${T_ID}b U3=${T_ID}c G1=${T_ID}g GX=${T_ID}x
add_group "$G1"
add_group "$GX"
add_user "$U1"
add_user "$U2" "$G1"
add_user "$U3" "$GX"
CONF=$TMP/pam_memcg.conf

base_conf() {
	write_conf "$CONF" <<EOF
cgroup_version = auto
cgroup_parent  = "$TEST_PARENT"
min_uid        = 1000
exempt_users   = {"root"}
exempt_groups  = {"$GX"}
on_error       = ${1:-ignore}
default {
  memory_max  = "64M"
  memory_high = "48M"
  swap_max    = "16M"
}
group "$G1" { memory_max = "96M" }
user "$U2"  { memory_max = "128M" }
EOF
}
base_conf
pam_service svc "conf=$CONF" debug

# Prints, from inside the session, the cgroup of the shell and its limits.
inspect() {
	cat >"$TMP/inspect.sh" <<'EOF'
#!/bin/sh
out=$1
if [ -n "$MC_V2" ]; then
	cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
else
	cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
fi
d=$CG_MNT$cg
{
	echo "cg=$cg"
	for f in memory.max memory.high memory.swap.max memory.oom.group \
		memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes; do
		[ -e "$d/$f" ] && echo "$f=$(cat "$d/$f")"
	done
	echo "procs=$(wc -l <"$d/cgroup.procs")"
} >"$out"
EOF
	chmod 755 "$TMP/inspect.sh"
}
inspect
export CG_MNT MC_V2=$([ "$MC_VERSION" = 2 ] && echo 1)

val() { sed -n "s/^$2=//p" "$1"; }

t_placement_and_limits() {
	local out=$TMP/in.txt
	session svc "$U1" "$TMP/inspect.sh" "$out" >"$TMP/pam.out"
	assert_contains "$TMP/pam.out" '^open=0$' "open succeeds"
	assert_contains "$TMP/pam.out" '^close=0$' "close succeeds"
	assert_eq "/$(user_cg "$U1")" "$(val "$out" cg)" "session's cgroup"
	if [ "$MC_VERSION" = 2 ]; then
		assert_eq 67108864 "$(val "$out" memory.max)" "memory.max"
		assert_eq 50331648 "$(val "$out" memory.high)" "memory.high"
		assert_eq 16777216 "$(val "$out" memory.swap.max)" "memory.swap.max"
		assert_eq 0 "$(val "$out" memory.oom.group)" "memory.oom.group"
	else
		assert_eq 67108864 "$(val "$out" memory.limit_in_bytes)" "limit_in_bytes"
		assert_eq 50331648 "$(val "$out" memory.soft_limit_in_bytes)" "soft_limit_in_bytes"
		if [ -e "$CG_MNT/$RUNNER_CG/memory.memsw.limit_in_bytes" ]; then
			assert_eq 83886080 "$(val "$out" memory.memsw.limit_in_bytes)" "memsw = max + swap"
		fi
	fi
	assert_gone "$(user_cg_dir "$U1")" "cgroup removed at last close"
	assert_contains "$MEMCG_TEST_SYSLOG" "user $U1 \\(uid [0-9]+\\) in .*/user-[0-9]+: memory_max 67108864, default rule" "debug line"
}

# The limit is real: past it the kernel kills, below it nothing happens.
# (memory_high stays "max" here: on v2 memory.high throttles the allocator
# for a long time before memory.max is reached.)
t_limit_enforced() {
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
default { memory_max = "64M" }
EOF
	session svc "$U1" sh -c "$HOG 200; echo rc=\$? >$TMP/hog.rc" >/dev/null
	assert_contains "$TMP/hog.rc" '^rc=137$' "200 MiB in a 64 MiB session is SIGKILLed"
	session svc "$U1" sh -c "$HOG 16; echo rc=\$? >$TMP/hog2.rc" >/dev/null
	assert_contains "$TMP/hog2.rc" '^rc=0$' "16 MiB in a 64 MiB session survives"
	assert_gone "$(user_cg_dir "$U1")" "cgroup removed after the kill"
	base_conf
}

t_rules() {
	session svc "$U2" "$TMP/inspect.sh" "$TMP/u2.txt" >/dev/null
	# user rule wins over the group rule U2 also matches
	assert_eq 134217728 "$(val "$TMP/u2.txt" "$F_MAX")" "user rule for $U2"
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
group "$G1" { memory_max = "96M" }
EOF
	session svc "$U2" "$TMP/inspect.sh" "$TMP/u2g.txt" >/dev/null
	assert_eq 100663296 "$(val "$TMP/u2g.txt" "$F_MAX")" "group rule for $U2"
	base_conf
}

# A second session of the same user joins the same cgroup; closing it leaves
# the first one's cgroup and limit in place; the last close removes it.
t_shared_between_sessions() {
	local dir
	dir=$(user_cg_dir "$U1")
	session svc "$U1" sh -c "touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done" \
		>"$TMP/s1.out" &
	local s1=$!
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ]" 10 || fail "first session did not start"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/s2.txt" >"$TMP/s2.out"
	assert_contains "$TMP/s2.out" '^open=0$' "second open"
	assert_eq "/$(user_cg "$U1")" "$(val "$TMP/s2.txt" cg)" "second session in the same cgroup"
	[ "$(val "$TMP/s2.txt" procs)" -ge 3 ] ||
		fail "second session sees $(val "$TMP/s2.txt" procs) processes, expected both sessions'"
	assert_exists "$dir" "cgroup kept while the first session is open"
	assert_eq 67108864 "$(cat "$dir/$F_MAX")" "limit still in force"
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_contains "$TMP/s1.out" '^close=0$' "first close"
	assert_gone "$dir" "cgroup removed after the last session"
}

# Limits are rewritten at each open: raising and lowering while a session
# is alive (on v1 the memsw/limit write order matters to the kernel).
t_limits_follow_config() {
	local dir
	dir=$(user_cg_dir "$U1")
	rm -f "$TMP/s1.stop" "$TMP/s1.up"
	session svc "$U1" sh -c "touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done" \
		>/dev/null &
	local s1=$!
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ]" 10 || fail "first session did not start"
	local size
	for size in 256 32 512 64; do
		write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
default { memory_max = "${size}M"  swap_max = "$((size / 4))M" }
EOF
		session svc "$U1" true >"$TMP/re.out"
		assert_contains "$TMP/re.out" '^open=0$' "open with memory_max ${size}M"
		assert_eq $((size * 1048576)) "$(cat "$dir/$F_MAX")" "limit after config change to ${size}M"
		if [ "$MC_VERSION" = 1 ] && [ -e "$dir/memory.memsw.limit_in_bytes" ]; then
			assert_eq $((size * 1048576 * 5 / 4)) "$(cat "$dir/memory.memsw.limit_in_bytes")" "memsw at ${size}M"
		fi
	done
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_gone "$dir" "cgroup removed"
	base_conf
}

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
	local other=v1
	[ "$MC_VERSION" = 1 ] && other=v2
	local mode
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

# No descriptor the module (or libpam) opened reaches the session: from
# inside a session, only 0, 1, 2 and the listing's own are open.
t_no_fd_leak() {
	local out=$TMP/fds.txt fd extra
	(
		# Start from 0, 1 and 2, whatever the test runner left open.
		for fd in /proc/$BASHPID/fd/*; do
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

run_test placement_and_limits t_placement_and_limits
run_test limit_enforced t_limit_enforced
run_test rules t_rules
run_test shared_between_sessions t_shared_between_sessions
run_test limits_follow_config t_limits_follow_config
run_test exempt t_exempt
run_test on_error t_on_error
run_test bad_config t_bad_config
run_test unknown_argument t_unknown_argument
run_test pamtester t_pamtester
run_test memcgctl t_memcgctl
run_test no_fd_leak t_no_fd_leak
t_done
