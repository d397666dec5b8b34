#!/bin/bash
# The PAM module through the real libpam on this machine's real memory
# hierarchy: placement, limit files, enforcement, rule resolution, sharing
# between sessions, limits following the config, removal at last close.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/module_fixtures.sh
. "$(dirname "$0")/module_fixtures.sh"

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

run_test placement_and_limits t_placement_and_limits
run_test limit_enforced t_limit_enforced
run_test rules t_rules
run_test shared_between_sessions t_shared_between_sessions
run_test limits_follow_config t_limits_follow_config
t_done
