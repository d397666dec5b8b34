#!/bin/bash
# Edges of a session's life: the caller's umask does not decide the modes
# of the cgroups the module makes; a process whose main thread has exited
# (its other threads still run) is live, so a logout neither waits for it
# nor removes its cgroup; memcgctl explain escapes names NSS gives it.
. "$(dirname "$0")/lib.sh"

U1=${T_ID}a
add_user "$U1"
CONF=$TMP/pam_memcg.conf
LEADERLESS=$BUILD/tests/leaderless
UID1=$(uid_of "$U1")

# The parent of the user cgroups is made by the module, two levels deep.
write_conf "$CONF" <<EOF2
cgroup_parent = "$TEST_PARENT/um/sub"
default { memory_max = "64M" }
EOF2
pam_service svc "conf=$CONF" debug
PDIR=$CG_MNT/$TEST_PARENT/um/sub

t_umask() {
	rm -f "$TMP/up" "$TMP/stop"
	(
		umask 077
		session svc "$U1" sh -c "touch $TMP/up; while [ ! -e $TMP/stop ]; do sleep 0.05; done" >"$TMP/um.out"
	) &
	local s=$! m
	T_PIDS+=("$s")
	wait_for "[ -e $TMP/up ]" 10 || fail "session did not start"
	for d in "$CG_MNT/$TEST_PARENT" "$CG_MNT/$TEST_PARENT/um" "$PDIR" "$PDIR/user-$UID1"; do
		m=$(stat -c %a "$d" 2>&1)
		assert_eq 755 "$m" "mode of $d made under umask 077"
	done
	# A user without privileges reads their own line.
	runuser -u "$U1" -- "$MEMCGCTL" status -c "$CONF" >"$TMP/st.out" 2>&1
	local rc=$?
	assert_eq 0 "$rc" "memcgctl status as $U1"
	assert_contains "$TMP/st.out" "^$UID1 +$U1 " "own line shown"
	touch "$TMP/stop"
	wait "$s"
	assert_contains "$TMP/um.out" '^close=0$' "session closes"
}

# pairs_ms N: milliseconds for N open/close pairs of U1.
pairs_ms() {
	local started=$EPOCHREALTIME rc
	session -n "$1" svc "$U1" true >/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || fail "$1 sessions did not all open (status $rc)"
	echo $(( (${EPOCHREALTIME/./} - ${started/./}) / 1000 ))
}

# leaderless: main thread gone (zombie leader, PF_EXITING), one thread
# running.  Started in the background from a session, it outlives it and
# keeps the user's cgroup; five more sessions beside it close as fast as
# beside a plain sleeping process (before, each close waited the whole
# 500 ms for an "exiting" process to go: 2.5 s more for five).
t_leaderless_is_live() {
	local pid sleeper base ms
	rm -f "$TMP/ll.stop" "$TMP/ll.pid" "$TMP/sl.pid"
	# The baseline, measured here and now (a VM under TCG is slow).
	session svc "$U1" sh -c "sleep 60 >/dev/null 2>&1 & echo \$! >$TMP/sl.pid" >/dev/null
	sleeper=$(cat "$TMP/sl.pid")
	T_PIDS+=("$sleeper")
	base=$(pairs_ms 5)
	kill "$sleeper"
	wait_for "! kill -0 $sleeper 2>/dev/null" 10 || fail "sleep did not end"
	session svc "$U1" true >/dev/null

	session svc "$U1" sh -c "$LEADERLESS $TMP/ll.stop 60 >$TMP/ll.pid &" >"$TMP/ll.out"
	wait_for "[ -s $TMP/ll.pid ]" 10 || fail "leaderless did not start"
	pid=$(cat "$TMP/ll.pid")
	T_PIDS+=("$pid")
	wait_for "[ \"\$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)\" = Z ]" 5 ||
		fail "main thread of $pid did not exit"
	assert_exists "$PDIR/user-$UID1" "cgroup kept for the live process"
	ms=$(pairs_ms 5)
	echo "    five open/close pairs: $base ms beside sleep, $ms ms beside a leaderless process"
	[ "$ms" -lt $((base + 1250)) ] || fail "five closes took $((ms - base)) ms more: each waited for a live process"
	assert_exists "$PDIR/user-$UID1" "cgroup still kept"
	grep -qx "$pid" "$PDIR/user-$UID1/cgroup.procs" || fail "$pid is no longer in user-$UID1"
	touch "$TMP/ll.stop"
	wait_for "! kill -0 $pid 2>/dev/null" 10 || fail "leaderless did not end"
	session svc "$U1" true >/dev/null
	assert_gone "$PDIR/user-$UID1" "cgroup removed once the process ended"
}

# A user and a group name with escape sequences, from NSS (nss_wrapper).
t_explain_sanitises() {
	local wrapper=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so esc=$'\e'
	printf 'root:x:0:0:root:/root:/bin/sh\nev%s[31mil:x:4242:4242::/nonexistent:/bin/sh\n' "$esc" >"$TMP/passwd"
	printf 'root:x:0:\ngr%s]0;x\apx:x:4242:\n' "$esc" >"$TMP/group"
	write_conf "$TMP/nss.conf" <<EOF2
cgroup_parent = "$TEST_PARENT/um/sub"
group_lookup  = initgroups
group "staff" { memory_max = "1G" }
EOF2
	LD_PRELOAD=$wrapper NSS_WRAPPER_PASSWD=$TMP/passwd NSS_WRAPPER_GROUP=$TMP/group \
		"$MEMCGCTL" explain -c "$TMP/nss.conf" "ev${esc}[31mil" >"$TMP/ex.out" 2>&1
	local rc=$?
	assert_eq 0 "$rc" "memcgctl explain of the user"
	! grep -q "$esc" "$TMP/ex.out" || fail "an ESC reached the output: $(cat -v "$TMP/ex.out")"
	! grep -q $'\a' "$TMP/ex.out" || fail "a BEL reached the output"
	assert_contains "$TMP/ex.out" '^user: +ev\\x1b\[31mil \(uid 4242\)' "user name escaped"
	assert_contains "$TMP/ex.out" '^groups: +gr\\x1b\]0;x\\x07px' "group name escaped"
}

run_test umask t_umask
run_test leaderless_is_live t_leaderless_is_live
run_test explain_sanitises t_explain_sanitises
t_done
