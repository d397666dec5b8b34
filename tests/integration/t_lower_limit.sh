#!/bin/bash
# Lowering a logged-in user's limit below their usage: the next login
# still joins user-<uid> (never runs outside it), the log says what is in
# force, memcgctl shows configured against in force, and once usage allows
# a later login applies the configured limit.  On v1 the kernel refuses a
# limit below usage (EBUSY); on v2 it reclaims and kills to meet it.
. "$(dirname "$0")/lib.sh"

U=${T_ID}u
add_user "$U"
CONF=$TMP/pam_memcg.conf
conf() {
	write_conf "$CONF" <<EOF2
cgroup_parent = "$TEST_PARENT"
on_error      = fail
default { memory_max = "$1"  swap_max = "${2:-max}" }
EOF2
}
conf 64M
pam_service svc "conf=$CONF" debug
UIDU=$(uid_of "$U")
DIR=$CG_MNT/$TEST_PARENT/user-$UIDU

# The memory cgroup of the calling shell, as the kernel lists it.
cat >"$TMP/where.sh" <<EOF2
#!/bin/sh
if [ "$MC_VERSION" = 2 ]; then
	awk -F: '\$1 == "0" { print \$3 }' /proc/self/cgroup >"\$1"
else
	awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 }' /proc/self/cgroup >"\$1"
fi
EOF2
chmod 755 "$TMP/where.sh"

t_lower_below_usage() {
	# Session 1: 40 MiB held in a 64 MiB cgroup (hog's pid in hog.pid).
	session svc "$U" sh -c "$HOG 40 120 >$TMP/hog.out & echo \$! >$TMP/hog.pid; touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done; kill \$(cat $TMP/hog.pid) 2>/dev/null; wait" \
		>"$TMP/s1.out" &
	local s1=$! hog
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ] && grep -q survived $TMP/hog.out 2>/dev/null" 20 || fail "first session did not start"
	hog=$(cat "$TMP/hog.pid")
	T_PIDS+=("$hog")
	# Only the hog is the kernel's to kill: on v2 the lowered memory.max
	# kills, and when the hog's memory is slow to go (the OOM reaper
	# marks it done first) the kernel took the next largest, the first
	# session's own pamtest, whose logout then never came.  The hog is
	# the first choice (raising oom_score_adj needs no privilege); the
	# rest are taken out of the choice where root may lower it (not in
	# every container, but there on v1 the lowered limit kills nothing).
	echo 1000 >"/proc/$hog/oom_score_adj"
	local p
	for p in $(cat "$DIR/cgroup.procs"); do
		[ "$p" = "$hog" ] || echo -1000 >"/proc/$p/oom_score_adj" 2>/dev/null
	done

	conf 16M
	session svc "$U" "$TMP/where.sh" "$TMP/s2.cg" >"$TMP/s2.out"
	assert_contains "$TMP/s2.out" '^open=0$' "second login opens (on_error = fail)"
	assert_eq "/$TEST_PARENT/user-$UIDU" "$(cat "$TMP/s2.cg" 2>/dev/null)" "second session is in user-$UIDU"
	local in_force
	in_force=$(cat "$DIR/$F_MAX")
	if [ "$MC_VERSION" = 1 ]; then
		# Lowered as far as the kernel takes it: below 64 MiB, above usage.
		[ "$in_force" -lt 67108864 ] && [ "$in_force" -gt 41943040 ] ||
			fail "limit in force $in_force: not stepped down between 40 and 64 MiB"
		assert_contains "$MEMCG_TEST_SYSLOG" "^<4> .*user $U \\(uid $UIDU\\): .*/user-$UIDU: memory_max configured 16777216, in force $in_force \\(usage [0-9]+\\): the kernel refused a limit below usage \\(EBUSY\\); session joined" "what is in force is logged"
		"$MEMCGCTL" status -c "$CONF" "$U" >"$TMP/status.out" 2>&1
		assert_eq 0 "$?" "memcgctl status"
		assert_contains "$TMP/status.out" "^ +limit in force [0-9.]+ MiB, configured memory_max 16.0 MiB \\(usage was above it" "status shows configured against in force"
		"$MEMCGCTL" status -c "$CONF" "$U" --json >"$TMP/status.json" 2>&1
		assert_contains "$TMP/status.json" "\"limit\":$in_force,\"limit_configured\":16777216,\"limit_differs\":true" "--json carries both"
		"$MEMCGCTL" explain -c "$CONF" "$U" >"$TMP/explain.out" 2>&1
		assert_contains "$TMP/explain.out" "^in force: +memory_max [0-9.]+ MiB, usage [0-9.]+ MiB \\(not the 16.0 MiB configured" "explain shows it"
	else
		# v2: the kernel reclaimed and killed the hog to meet memory.max.
		assert_eq 16777216 "$in_force" "memory.max written"
	fi

	# Usage drops (the hog ends): the next login applies 16 MiB.
	kill "$hog" 2>/dev/null
	wait_for "! kill -0 $hog 2>/dev/null" 10 || fail "hog did not end"
	session svc "$U" true >"$TMP/s3.out"
	assert_contains "$TMP/s3.out" '^open=0$' "third login opens"
	assert_eq 16777216 "$(cat "$DIR/$F_MAX")" "configured limit in force once usage allows"
	"$MEMCGCTL" status -c "$CONF" "$U" --json >"$TMP/status2.json" 2>&1
	assert_contains "$TMP/status2.json" "\"limit\":16777216,\"limit_configured\":16777216,\"limit_differs\":false" "status agrees afterwards"
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_gone "$DIR" "cgroup removed after the last session"
	conf 64M
}

# With a swap limit: v1's memsw (memory + swap) must never be below the
# memory limit; it follows the limit in force, keeping the swap allowance.
t_lower_with_swap() {
	rm -f "$TMP/s1.up" "$TMP/s1.stop" "$TMP/hog.out"
	conf 64M 16M
	session svc "$U" sh -c "$HOG 40 120 >$TMP/hog.out & echo \$! >$TMP/hog.pid; touch $TMP/s1.up; while [ ! -e $TMP/s1.stop ]; do sleep 0.05; done; kill \$(cat $TMP/hog.pid) 2>/dev/null; wait" \
		>/dev/null &
	local s1=$! hog lim sw
	T_PIDS+=("$s1")
	wait_for "[ -e $TMP/s1.up ] && grep -q survived $TMP/hog.out 2>/dev/null" 20 || fail "first session did not start"
	hog=$(cat "$TMP/hog.pid")
	T_PIDS+=("$hog")
	# Only the hog is the kernel's to kill: on v2 the lowered memory.max
	# kills, and when the hog's memory is slow to go (the OOM reaper
	# marks it done first) the kernel took the next largest, the first
	# session's own pamtest, whose logout then never came.  The hog is
	# the first choice (raising oom_score_adj needs no privilege); the
	# rest are taken out of the choice where root may lower it (not in
	# every container, but there on v1 the lowered limit kills nothing).
	echo 1000 >"/proc/$hog/oom_score_adj"
	local p
	for p in $(cat "$DIR/cgroup.procs"); do
		[ "$p" = "$hog" ] || echo -1000 >"/proc/$p/oom_score_adj" 2>/dev/null
	done
	conf 16M 16M
	session svc "$U" "$TMP/where.sh" "$TMP/w.cg" >"$TMP/w.out"
	assert_contains "$TMP/w.out" '^open=0$' "login opens"
	assert_eq "/$TEST_PARENT/user-$UIDU" "$(cat "$TMP/w.cg" 2>/dev/null)" "session is in user-$UIDU"
	lim=$(cat "$DIR/$F_MAX")
	if [ "$MC_VERSION" = 1 ] && [ -e "$DIR/memory.memsw.limit_in_bytes" ]; then
		sw=$(cat "$DIR/memory.memsw.limit_in_bytes")
		[ "$lim" -lt 67108864 ] && [ "$lim" -gt 41943040 ] || fail "limit in force $lim not stepped down"
		assert_eq $((lim + 16777216)) "$sw" "memsw = limit in force + swap_max"
	elif [ "$MC_VERSION" = 2 ]; then
		assert_eq 16777216 "$lim" "memory.max written"
		assert_eq 16777216 "$(cat "$DIR/memory.swap.max")" "memory.swap.max written"
	fi
	kill "$hog" 2>/dev/null
	wait_for "! kill -0 $hog 2>/dev/null" 10 || fail "hog did not end"
	session svc "$U" true >/dev/null
	assert_eq 16777216 "$(cat "$DIR/$F_MAX")" "16 MiB once usage allows"
	if [ "$MC_VERSION" = 1 ] && [ -e "$DIR/memory.memsw.limit_in_bytes" ]; then
		assert_eq 33554432 "$(cat "$DIR/memory.memsw.limit_in_bytes")" "memsw 32 MiB then"
	fi
	touch "$TMP/s1.stop"
	wait "$s1"
	assert_gone "$DIR" "cgroup removed after the last session"
	conf 64M
}

run_test lower_below_usage t_lower_below_usage
run_test lower_with_swap t_lower_with_swap
t_done
