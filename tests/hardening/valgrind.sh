#!/bin/bash
# valgrind memcheck over the normal build (`make valgrind`): a loop of PAM
# session opens and closes through the real libpam (build/tests/pamtest -n),
# one pamtester open/close, and a short memcg-notifier run (start, one real OOM kill, a mail through a
# stand-in sendmail, SIGHUP, SIGTERM).  Any memcheck error, any leak
# (definite, indirect or possible) not in valgrind.supp, and any descriptor
# left open besides 0-2 fails.  Needs root, like the integration tests.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

HERE=$TOP/tests/hardening
NODLCLOSE=$BUILD/tests/nodlclose.so
CYCLES=${MEMCG_VALGRIND_CYCLES:-25}
for f in "$PAM_SO" "$NOTIFIER" "$PAMTEST" "$SHIM" "$HOG" "$NODLCLOSE" /usr/bin/valgrind /usr/bin/pamtester; do
	[ -e "$f" ] || { echo "valgrind.sh: $f is missing (make valgrind builds it)" >&2; exit 1; }
done

# --errors-for-leak-kinds: a leak is an error, so --error-exitcode sees it.
# --track-fds: descriptors still open at exit are listed (a module that
# leaked one per session would show CYCLES of them).
VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=${MEMCG_VG_SHOW:-definite,indirect,possible}
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --track-fds=yes --track-origins=yes --child-silent-after-fork=yes
    --suppressions="$HERE/valgrind.supp" --gen-suppressions=all)

U1=${T_ID}v
add_user "$U1"
CONF=$TMP/pam_memcg.conf
write_conf "$CONF" <<END
cgroup_parent = "$TEST_PARENT"
on_error = fail
default { memory_max = "64M"  swap_max = "0" }
notify {
	tty = true
	mail = true
	sendmail = "$TMP/sendmail"
	rate_limit = 1
}
END
pam_service svc "conf=$CONF" debug
# A stand-in MTA: the notifier's fork, pipe and exec path without exim.
printf '#!/bin/sh\ncat >>%s/mail.out\n' "$TMP" >"$TMP/sendmail"
chmod 755 "$TMP/sendmail"

# check_vg LOG WHAT: no memcheck error or leak, and no descriptor open at
# exit that the program opened itself, in the memcheck log LOG.
check_vg() {
	local log=$1 what=$2
	[ -s "$log" ] || { fail "$what: no valgrind log"; return; }
	assert_contains "$log" 'ERROR SUMMARY: 0 errors' "$what: memcheck errors"
	# Descriptors the test harness handed down are not the program's.
	local own
	own=$(awk '/Open file descriptor [0-9]+/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$log")
	[ -z "$own" ] || fail "$what: descriptors open at exit: $own"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$log" | head -150 >&2; [ "$T_CUR_FAILED" -eq 0 ] || { echo "      syslog:"; sed "s/^/      | /" "$MEMCG_TEST_SYSLOG"; cat "$TMP/loop.out"; } >&2
}

t_pam_session_loop() {
	local log=$TMP/vg-pam.log rc
	LD_PRELOAD="$SHIM $NODLCLOSE" "${VG[@]}" --log-file="$log" \
		"$PAMTEST" -d "$TMP/pam.d" -n "$CYCLES" svc "$U1" >"$TMP/loop.out" 2>&1
	rc=$?
	assert_eq 0 "$rc" "pamtest -n $CYCLES under memcheck (99: memcheck errors)"
	check_vg "$log" "$CYCLES open/close cycles"
	[ "$(grep -c 'removed .*/user-[0-9]* (last session' "$MEMCG_TEST_SYSLOG")" = "$CYCLES" ] ||
		fail "expected $CYCLES sessions opened and closed (see $MEMCG_TEST_SYSLOG)"
	assert_gone "$(user_cg_dir "$U1")" "no cgroup left"
}

# The same through pamtester and a service in /etc/pam.d (pamtester's own
# code and libpam's reading of /etc/pam.d included).
t_pamtester() {
	local log=$TMP/vg-pamtester.log rc svc=memcg-vg-$$
	system_pam_service "$svc" "session required $PAM_SO conf=$CONF debug
session required pam_permit.so"
	LD_PRELOAD="$SHIM $NODLCLOSE" "${VG[@]}" --log-file="$log" \
		pamtester -v "$svc" "$U1" open_session close_session >"$TMP/pt.out" 2>&1
	rc=$?
	assert_eq 0 "$rc" "pamtester under memcheck (99: memcheck errors)"
	check_vg "$log" "pamtester"
	assert_contains "$MEMCG_TEST_SYSLOG" "removed .*/user-[0-9]+ \\(last session" "session really opened and closed"
}

t_notifier_run() {
	local log=$TMP/vg-notifier.log nlog=$TMP/notifier.log npid rc holder=$TMP/holder
	: >"$nlog"
	"${VG[@]}" --log-file="$log" "$NOTIFIER" -c "$CONF" -d >>"$nlog" 2>&1 &
	npid=$!
	T_PIDS+=("$npid")
	wait_for "grep -q 'started: watching' '$nlog'" 60 || fail "notifier did not start under memcheck"
	# A session that stays open, so that the cgroup outlives the kill.
	session svc "$U1" sh -c "echo \$\$ >$holder; exec sleep 1000" >/dev/null &
	T_PIDS+=($!)
	wait_for "[ -s $holder ] && grep -q 'watching .*/user-' '$nlog'" 60 ||
		fail "notifier did not see the user's cgroup"
	session svc "$U1" "$HOG" 200 >/dev/null 2>&1
	wait_for "grep -q 'oom_kill: user $U1' '$nlog'" 60 || fail "no OOM kill logged by the notifier"
	wait_for "grep -qs '^To: $U1' '$TMP/mail.out'" 30 || fail "no mail handed to sendmail"
	kill -HUP "$npid"
	wait_for "grep -q 'reloaded' '$nlog'" 60 || fail "SIGHUP: config not reloaded"
	kill "$(cat "$holder")"
	wait_for "[ ! -d '$(user_cg_dir "$U1")' ]" 30 || fail "holder session did not close"
	kill -TERM "$npid"
	wait "$npid"
	rc=$?
	assert_eq 0 "$rc" "notifier exit status after SIGTERM under memcheck (99: memcheck errors)"
	check_vg "$log" "notifier"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$nlog" >&2
}

run_test pam_session_loop t_pam_session_loop
run_test pamtester t_pamtester
run_test notifier_run t_notifier_run
t_done
