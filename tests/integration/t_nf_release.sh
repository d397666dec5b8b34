#!/bin/bash
# cgroup v2: a user cgroup whose processes outlived the last logout is
# removed by memcg-notifier once the last of them exits (cgroup.events
# "populated 0"); logins racing with that removal still land in their
# cgroup.  On cgroup v1 (notify_on_release is the system's, not ours) the
# cgroup stays until the user's next logout: SKIP there.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/nf_fixtures.sh
. "$(dirname "$0")/nf_fixtures.sh"

if [ "$MC_VERSION" != 2 ]; then
	echo "SKIP t_nf_release: cgroup v2 only (v1 keeps an empty user cgroup until the next logout)"
	exit 0
fi
need "$PAMTEST" "$SHIM"

nf_users r
mkcg "$CG_MNT/$NPARENT"
CGDIR=$CG_MNT/$NPARENT/user-$U1_UID
nconf
pam_service svc "conf=$NCONF"

# In the session: where we are, and a background process that outlives it.
cat >"$TMP/linger.sh" <<'EOF'
#!/bin/sh
echo "cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)" >"$1"
sleep "$2" </dev/null >/dev/null 2>&1 &
echo "bg=$!" >>"$1"
EOF
chmod 755 "$TMP/linger.sh"

# A session leaves a process behind (2 s): the cgroup outlives the logout,
# and is removed within a second of that process's exit.
t_release_after_logout() {
	local bg ms t0 rc
	NF_ARGS="" start_notifier
	session svc "$U1" "$TMP/linger.sh" "$TMP/in.txt" 2 >"$TMP/out.txt"
	assert_contains "$TMP/out.txt" '^open=0$' "session opened"
	assert_eq "/$NPARENT/user-$U1_UID" "$(sed -n 's/^cg=//p' "$TMP/in.txt")" "session in the user cgroup"
	bg=$(sed -n 's/^bg=//p' "$TMP/in.txt")
	[ -d "$CGDIR" ]
	rc=$?
	[ "$rc" -eq 0 ] || fail "the cgroup is gone while $bg still runs in it"
	wait_for "[ ! -e /proc/$bg ]" 10 || fail "the lingering process $bg did not end"
	t0=$EPOCHREALTIME
	wait_for "[ ! -d '$CGDIR' ]" 3
	rc=$?
	ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
	echo "    (cgroup removed $ms ms after its last process exited)"
	[ "$rc" -eq 0 ] && [ "$ms" -le 1000 ] || fail "the empty cgroup stayed ($ms ms)"
	assert_contains "$NLOG" "removed $(re "$CGDIR"): its last process exited after the last logout" "removal logged"
	stop_notifier
}

# A user cgroup that appears before its parent gives it the memory
# controller has no memory files for a moment: the notifier watches it
# once they appear (it took the missing memory.events for a removal and
# never watched the cgroup: release_after_logout failed so when it came
# first after the test's parent was made).
t_memory_files_late() {
	local rc
	rmdir "$CGDIR" 2>/dev/null
	echo -memory >"$CG_MNT/$NPARENT/cgroup.subtree_control"
	rc=$?
	[ "$rc" -eq 0 ] || fail "cannot take the memory controller off $NPARENT"
	NF_ARGS="" start_notifier
	mkdir "$CGDIR"
	[ ! -e "$CGDIR/memory.events" ]
	rc=$?
	[ "$rc" -eq 0 ] || fail "$CGDIR has memory.events before the controller is on"
	sleep 0.3
	echo +memory >"$CG_MNT/$NPARENT/cgroup.subtree_control"
	wait_for "grep -qF 'watching $CGDIR (uid $U1_UID' '$NLOG'" 5
	rc=$?
	[ "$rc" -eq 0 ] || fail "the cgroup is not watched after its memory files appeared"
	assert_not_contains "$NLOG" "cannot read the counters" "no error for the missing memory files"
	stop_notifier
	rmdir "$CGDIR"
}

# 40 sessions in a row, each leaving a process of 0.1 s behind, so that
# the notifier's removal keeps racing with the next login's join: every
# session opens and runs in the user cgroup, none gives up.
t_release_races_login() {
	local i bad=0 cg
	NF_ARGS="" start_notifier
	for i in $(seq 40); do
		session svc "$U1" "$TMP/linger.sh" "$TMP/in.$i" 0.1 >"$TMP/out.$i"
		grep -q '^open=0$' "$TMP/out.$i" || bad=$((bad + 1))
		cg=$(sed -n 's/^cg=//p' "$TMP/in.$i" 2>/dev/null)
		[ "$cg" = "/$NPARENT/user-$U1_UID" ] || bad=$((bad + 1))
		sleep 0.$((RANDOM % 2))5
	done
	assert_eq 0 "$bad" "sessions that failed or ran outside the user cgroup"
	assert_not_contains "$MEMCG_TEST_SYSLOG" 'gave up' "no join gave up"
	wait_for "[ ! -d '$CGDIR' ]" 3 || fail "the cgroup stayed after the last session"
	echo "    ($(grep -c 'its last process exited after the last logout' "$NLOG") removals by the notifier)"
	stop_notifier
}

# With -k the empty cgroup stays (until the next logout).
t_release_keep_empty() {
	local bg rc
	NF_ARGS="-k" start_notifier
	session svc "$U1" "$TMP/linger.sh" "$TMP/in.txt" 1 >"$TMP/out.txt"
	bg=$(sed -n 's/^bg=//p' "$TMP/in.txt")
	wait_for "[ ! -e /proc/$bg ]" 10 || fail "the lingering process $bg did not end"
	sleep 1
	[ -d "$CGDIR" ]
	rc=$?
	[ "$rc" -eq 0 ] || fail "-k: the empty cgroup was removed"
	stop_notifier
	rmdir "$CGDIR" 2>/dev/null
}

run memory_files_late t_memory_files_late
run release_after_logout t_release_after_logout
run release_keep_empty t_release_keep_empty
run release_races_login t_release_races_login
t_done
