#!/bin/bash
# The systemd backend end to end, on a machine where systemd is PID 1 with
# logind on cgroup v2 (make check-systemd boots one): a test user logs in
# with su -l and through a private sshd, pam_systemd before pam_memcg as on
# a stock Debian.  The limits land on user-<uid>.slice (systemctl show and
# cgroupfs agree), survive daemon-reload, are shared by both sessions; an
# OOM kill spares the login shells and the sessions; the notifier's notice
# reaches the ssh terminal; a cron-like session (no pam_systemd) gets a
# scope of its own in the same slice and shares the one limit; systemd
# removes the scope and the slice after the last logout.
# Elsewhere it prints a SKIP line and records no result (MEMCG_REQUIRE_SYSTEMD=1
# turns that into a failure, for the systemd lane).
. "$(dirname "$0")/lib.sh"

# --- is this a systemd machine? ----------------------------------------------

skip_reason=""
if [ ! -d /run/systemd/system ]; then
	skip_reason="systemd is not PID 1 (no /run/systemd/system)"
elif [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
	skip_reason="/sys/fs/cgroup is not the unified hierarchy"
elif ! busctl --system status org.freedesktop.login1 >/dev/null 2>&1; then
	skip_reason="systemd-logind is not on the system bus"
fi
missing=()
for c in tmux ssh ssh-keygen sshd su loginctl systemctl busctl; do
	command -v "$c" >/dev/null || missing+=("$c")
done
PWRAP_LIB=$(ldconfig -p | awk '$1 == "libpam_wrapper.so" { print $NF; exit }')
[ -n "$PWRAP_LIB" ] || missing+=(libpam_wrapper.so)
PAM_SYSTEMD=$(dirname "$(ldconfig -p | awk '$1 == "libpam.so.0" { print $NF; exit }')")/security/pam_systemd.so
[ -e "$PAM_SYSTEMD" ] || missing+=(pam_systemd.so)
if [ -z "$skip_reason" ] && [ ${#missing[@]} -gt 0 ]; then
	skip_reason="not installed: ${missing[*]}"
fi
if [ -n "$skip_reason" ]; then
	if [ "${MEMCG_REQUIRE_SYSTEMD:-0}" = 1 ]; then
		t_requirements() { fail "$skip_reason"; }
		run_test requirements t_requirements
		t_done
		exit
	fi
	# summary.sh counts PASS and FAIL lines only: a skip is neither.
	echo "SKIP $T_NAME: $skip_reason"
	echo "SKIP $T_NAME ($skip_reason)" >>"$RESULTS/integration"
	exit 0
fi

U=${T_ID}y
# memory_high just below memory_max: above it the kernel throttles the hog
# (seconds under TCG per MiB of the gap) before the OOM kill at max.
MAX=67108864 HIGH=66060288 SWAP=0 # 64M, 63M, 0
CONF=$TMP/pam_memcg.conf
LDIR=$TMP/logins
PWDIR=$LDIR/pam.d-wrapper
SSHD_DIR=$LDIR/sshd
SSHD_NAME=sshd-memcg-test-$$
SSHD_PID="" SSHD_PORT="" RUN_SSHD_MADE=0 NPID="" NLOG=$TMP/notifier.log
UID_U="" SLICE="" SLICE_DIR="" SD_HOLDER=""

# --- terminals (as in t_logins_*.sh): one private tmux server ------------------

tm() { env -u TMUX TMUX_TMPDIR="$LDIR" tmux -L "memcg-sd-$$" -f "$LDIR/tmux.conf" "$@"; }
term_open() {
	local name=$1 cmd
	shift
	cmd=$(printf '%q ' sh "$LDIR/term-run.sh" "$LDIR/$name.state" "$@")
	tm new-session -d -s "$name" -x 200 -y 50 "exec $cmd" || {
		fail "tmux could not start $name"
		return 1
	}
}
term_text() { tm capture-pane -p -J -S - -t "$1"; }
term_send() { tm send-keys -t "$1" -l -- "$2" && tm send-keys -t "$1" Enter; }
term_wait() {
	local deadline=$((SECONDS + ${3:-20})) text
	while :; do
		text=$(term_text "$1")
		grep -qE -- "$2" <<<"$text" && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
term_ended() {
	local deadline=$((SECONDS + ${2:-20}))
	until [ -e "$LDIR/$1.state" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
# show TERM: what a terminal shows, indented, when the case failed.
show() {
	[ "$T_CUR_FAILED" -eq 0 ] && return
	echo "    --- terminal $1" >&2
	term_text "$1" 2>/dev/null | grep -v '^$' | sed 's/^/      | /' >&2
}

sd_cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$SD_HOLDER" ] && kill "$SD_HOLDER" 2>/dev/null
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	[ "$RUN_SSHD_MADE" -eq 1 ] && rmdir /run/sshd 2>/dev/null
	if [ -n "$UID_U" ]; then
		loginctl terminate-user "$UID_U" 2>/dev/null
		# The runtime properties the module set outlive the slice.
		systemctl revert "$SLICE" >/dev/null 2>&1
	fi
	t_cleanup
}
trap sd_cleanup EXIT

# --- fixtures -----------------------------------------------------------------

mkdir -m 0755 "$LDIR"
printf 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\nset -g default-shell /bin/bash\n' \
	>"$LDIR/tmux.conf"
install -m 0755 "$TOP/tests/integration/logins/term-run.sh" "$HOG" "$LDIR/"
add_user "$U"
UID_U=$(uid_of "$U")
SLICE=user-$UID_U.slice
SLICE_DIR=/sys/fs/cgroup/user.slice/$SLICE

write_config() { # write_config [TOP-LEVEL LINES [DEFAULT KEYS]]; BACKEND=auto for auto
	# cgroup_parent: where a cgroupfs fallback would go, below the runner.
	write_conf "$CONF" <<EOF
cgroup_backend = ${BACKEND:-systemd}
cgroup_parent = "$TEST_PARENT"
min_uid = 1000
${1:-}
default { memory_max = "64M"  memory_high = "63M"  swap_max = "0"  ${2:-} }
notify { tty = true  mail = false  rate_limit = 2  warn_at = "off" }
EOF
}
write_config

# The stacks of a stock Debian (common-session): pam_unix, pam_systemd, then
# the built module.  su -l reads them through pam_wrapper (/etc/pam.d/su-l
# untouched); the private sshd reads its own /etc/pam.d file, removed at exit.
session_lines="session required pam_unix.so
session optional pam_systemd.so
session required $PAM_SO conf=$CONF debug"
mkdir -m 0755 "$PWDIR"
printf 'auth sufficient pam_rootok.so\nauth required pam_deny.so\naccount required pam_unix.so\npassword required pam_deny.so\n%s\n' \
	"$session_lines" >"$PWDIR/su-l"
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' \
	>"$PWDIR/other"
WRAP=(env "LD_PRELOAD=$PWRAP_LIB $SHIM" PAM_WRAPPER=1 "PAM_WRAPPER_SERVICE_DIR=$PWDIR"
	PAM_WRAPPER_USE_SYSLOG=1 "MEMCG_TEST_SYSLOG=$MEMCG_TEST_SYSLOG")

. "$TOP/tests/integration/logins/sshd.sh"
# Under software emulation sshd takes longer to start listening.
SSHD_START_TIMEOUT=15 start_sshd "$U" && authorize_key "$U"
SSHD_OK=$?

# --- what the cases look at ---------------------------------------------------

# show_prop PROPERTY: the slice's property as systemd reports it.
show_prop() { systemctl show -P "$1" "$SLICE" 2>/dev/null; }

# check_limits WHEN: systemctl show and cgroupfs both carry the limits.
check_limits() {
	assert_eq "$MAX" "$(show_prop MemoryMax)" "MemoryMax of $SLICE ($1, systemctl show)"
	assert_eq "$HIGH" "$(show_prop MemoryHigh)" "MemoryHigh of $SLICE ($1, systemctl show)"
	assert_eq "$SWAP" "$(show_prop MemorySwapMax)" "MemorySwapMax of $SLICE ($1, systemctl show)"
	assert_eq "$MAX" "$(cat "$SLICE_DIR/memory.max" 2>/dev/null)" "$SLICE_DIR/memory.max ($1)"
	assert_eq "$HIGH" "$(cat "$SLICE_DIR/memory.high" 2>/dev/null)" "$SLICE_DIR/memory.high ($1)"
	assert_eq "$SWAP" "$(cat "$SLICE_DIR/memory.swap.max" 2>/dev/null)" "$SLICE_DIR/memory.swap.max ($1)"
}

# session_of TERM: the logind session id a terminal's shell printed.
session_of() { term_text "$1" | sed -n 's/^sid=\([A-Za-z0-9]*\)$/\1/p' | tail -n 1; }
shell_of() { term_text "$1" | sed -n 's/^shell=\([0-9]*\)$/\1/p' | head -n 1; }

# whoami_in TERM: the shell prints its session, pid and cgroup.
whoami_in() {
	term_send "$1" 'echo sid=$XDG_SESSION_ID; echo shell=$$; echo cg=$(cut -d: -f3 /proc/self/cgroup)'
	term_wait "$1" '^cg=/' 20 || fail "$1: the shell did not answer"
}

# hog_in TERM N: runs the hog past the limit, then prints its status and the
# shell's pid again.
hog_in() {
	term_send "$1" "$LDIR/hog 200; echo hog$2=\$?; echo after$2=\$\$"
	term_wait "$1" "^after$2=[0-9]+" 120 || fail "$1: no answer after the hog"
}

# session_alive SID WHAT: logind lists it and its scope is active.
session_alive() {
	loginctl list-sessions --no-legend 2>/dev/null | awk '{ print $1 }' | grep -qx "$1" ||
		fail "$2: session $1 is no longer listed by loginctl"
	assert_eq active "$(systemctl is-active "session-$1.scope" 2>/dev/null)" "$2: session-$1.scope"
}

SID_SU="" SID_SSH=""

# --- the cases ---------------------------------------------------------------

t_su_l() {
	local cg
	[ ! -e "$SLICE_DIR" ] || { fail "$SLICE_DIR exists before the first login"; return; }
	term_open su1 "${WRAP[@]}" su -l "$U" || return
	term_wait su1 '\$ *$' 30 || { fail "su -l: no shell prompt"; show su1; return; }
	whoami_in su1
	SID_SU=$(session_of su1)
	cg=$(term_text su1 | sed -n 's/^cg=//p' | tail -n 1)
	[ -n "$SID_SU" ] || fail "su -l: pam_systemd set no XDG_SESSION_ID"
	assert_eq "/user.slice/$SLICE/session-$SID_SU.scope" "$cg" "the su -l shell's cgroup (pam_systemd's scope; nothing moved it)"
	check_limits "after su -l"
	session_alive "$SID_SU" "su -l"
	assert_eq continue "$(systemctl show -P OOMPolicy "session-$SID_SU.scope")" "OOMPolicy logind gave the session scope"
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\(su-l:session\\): user $U \\(uid $UID_U\\): runtime limits set on $SLICE \\(session session-$SID_SU.scope, OOMPolicy=continue\\): memory_max $MAX" \
		"the module set the limits on the slice"
	assert_gone /sys/fs/cgroup/pam_memcg "a cgroupfs-backend cgroup"
	show su1
}

t_daemon_reload() {
	systemctl daemon-reload || fail "systemctl daemon-reload failed"
	check_limits "after daemon-reload"
	[ -n "$SID_SU" ] && session_alive "$SID_SU" "su -l after daemon-reload"
}

ssh_open() {
	term_open "$1" ssh -tt -F /dev/null -i "$SSHD_DIR/client_key" -o IdentitiesOnly=yes \
		-o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=20 -p "$SSHD_PORT" "$U@127.0.0.1"
}

# The second session (ssh) lands in its own scope in the same slice, with
# the same limit.
t_ssh_second_session() {
	local cg n
	[ "$SSHD_OK" -eq 0 ] || { fail "the private sshd did not start"; sed 's/^/      | /' "$SSHD_DIR/log" >&2; return; }
	: >"$MEMCG_TEST_SYSLOG"
	ssh_open ssh1 || return
	term_wait ssh1 '\$ *$' 40 || { fail "ssh: no shell prompt"; show ssh1; sed 's/^/      | /' "$SSHD_DIR/log" >&2; return; }
	whoami_in ssh1
	SID_SSH=$(session_of ssh1)
	cg=$(term_text ssh1 | sed -n 's/^cg=//p' | tail -n 1)
	[ -n "$SID_SSH" ] && [ "$SID_SSH" != "$SID_SU" ] || fail "ssh: no session of its own ('$SID_SSH')"
	assert_eq "/user.slice/$SLICE/session-$SID_SSH.scope" "$cg" "the ssh shell's cgroup"
	n=$(loginctl list-sessions --no-legend | awk -v u="$U" '$3 == u' | wc -l)
	assert_eq 2 "$n" "sessions of $U listed by loginctl"
	check_limits "with two sessions"
	wait_for "grep -q 'runtime limits set on $SLICE' '$MEMCG_TEST_SYSLOG'" 5
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\($SSHD_NAME:session\\): user $U \\(uid $UID_U\\): runtime limits set on $SLICE \\(session session-$SID_SSH.scope" \
		"the module ran in sshd's session stack"
	show ssh1
}

# A process past the limit is killed; the login shell, its session and
# the other session live on.
t_oom_su() {
	local before after
	[ -n "$SID_SU" ] || { fail "no su -l session"; return; }
	before=$(awk '$1 == "oom_kill" { print $2 }' "$SLICE_DIR/memory.events")
	hog_in su1 1
	assert_eq 137 "$(term_text su1 | sed -n 's/^hog1=//p' | tail -n 1)" "hog 200 in the su -l session (SIGKILL)"
	term_text su1 | grep -q '^survived' && fail "the hog got past the limit"
	assert_eq "$(shell_of su1)" "$(term_text su1 | sed -n 's/^after1=//p' | tail -n 1)" "the su -l shell after the kill"
	after=$(awk '$1 == "oom_kill" { print $2 }' "$SLICE_DIR/memory.events")
	[ "${after:-0}" -gt "${before:-0}" ] || fail "oom_kill in $SLICE_DIR/memory.events did not grow ($before -> $after)"
	sleep 1 # systemd reacts to memory.events asynchronously
	session_alive "$SID_SU" "su -l after the OOM kill"
	[ -n "$SID_SSH" ] && session_alive "$SID_SSH" "ssh after the kill in the su -l session"
	journalctl -b --no-pager -u "session-$SID_SU.scope" 2>/dev/null | grep -q "killed by the OOM killer" ||
		fail "systemd did not log the OOM kill for session-$SID_SU.scope"
	show su1
}

# Over ssh, with the notifier running: the kill and the notice on the
# session's terminal.
t_oom_ssh_notice() {
	[ -n "$SID_SSH" ] || { fail "no ssh session"; return; }
	"$NOTIFIER" -c "$CONF" -d >"$NLOG" 2>&1 &
	NPID=$!
	wait_for "grep -q 'started: watching' '$NLOG'" 20 || { fail "the notifier did not start"; sed 's/^/      | /' "$NLOG" >&2; return; }
	assert_contains "$NLOG" "started: watching /sys/fs/cgroup/user.slice \\(cgroup v2, systemd backend\\)" "the notifier's layout"
	assert_contains "$NLOG" "watching /sys/fs/cgroup/user.slice/$SLICE \\(uid $UID_U" "the notifier watches the user's slice"
	assert_not_contains "$NLOG" "watching /sys/fs/cgroup/user.slice/user-0.slice" "root's slice is not watched"
	hog_in ssh1 2
	assert_eq 137 "$(term_text ssh1 | sed -n 's/^hog2=//p' | tail -n 1)" "hog 200 in the ssh session (SIGKILL)"
	assert_eq "$(shell_of ssh1)" "$(term_text ssh1 | sed -n 's/^after2=//p' | tail -n 1)" "the ssh shell after the kill"
	term_wait ssh1 'Message from memcg-notifier@' 20 || fail "no notice on the ssh terminal"
	term_wait ssh1 'A process of yours was killed' 5 || fail "the notice does not say a process was killed"
	term_wait ssh1 'limit: +64\.0 MiB' 5 || fail "the notice does not give the 64 MiB limit"
	sleep 1
	session_alive "$SID_SSH" "ssh after the OOM kill"
	session_alive "$SID_SU" "su -l after the kill in the ssh session"
	# memcgctl reads the systemd layout.
	"$MEMCGCTL" status -c "$CONF" "$U" >"$TMP/status" 2>&1 || fail "memcgctl status failed"
	assert_contains "$TMP/status" "^$UID_U +$U .* 64\\.0 MiB +63\\.0 MiB +0 B +[1-9]" "memcgctl status of the slice"
	"$MEMCGCTL" explain -c "$CONF" "$U" >"$TMP/explain" 2>&1
	assert_contains "$TMP/explain" "cgroup: +/sys/fs/cgroup/user.slice/$SLICE \\(cgroup v2\\)" "memcgctl explain: the slice"
	show ssh1
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$NLOG" >&2
}

# After the last logout systemd stops the slice (logind's UserStopDelaySec
# first) and removes its cgroup; the module had nothing to undo.
t_logout() {
	term_send su1 exit
	term_send ssh1 exit
	term_ended su1 20 || fail "su -l still running after exit"
	term_ended ssh1 20 || fail "ssh still running after exit"
	wait_for "[ ! -e '$SLICE_DIR' ]" 60 || fail "$SLICE_DIR still exists 60 s after the last logout"
	assert_eq inactive "$(systemctl is-active "$SLICE" 2>/dev/null)" "$SLICE after the last logout"
	# systemd keeps runtime properties in /run/systemd/system.control until
	# reboot or systemctl revert; the next login writes them again.
	assert_exists "/run/systemd/system.control/$SLICE.d/50-MemoryMax.conf" "runtime MemoryMax of the stopped slice"
}

# cpu_max, cpu_weight and tasks_max go onto the slice in the same call:
# systemctl show and the slice's cgroup files agree (0.5 CPUs is 500 ms
# per second, cpu.max "50000 100000"); without them the slice kept
# logind's TasksMax.
t_cpu_tasks_on_slice() {
	local tasks_before
	write_config "" 'cpu_max = "0.5"  cpu_weight = 200  tasks_max = 48'
	pam_service cron4 "conf=$CONF debug"
	session cron4 "$U" sh -c "cat $SLICE_DIR/cpu.max $SLICE_DIR/cpu.weight $SLICE_DIR/pids.max" \
		>"$TMP/cron4.out" 2>&1
	assert_contains "$TMP/cron4.out" "^open=0$" "the session opened"
	assert_contains "$TMP/cron4.out" "^50000 100000$" "$SLICE_DIR/cpu.max"
	assert_contains "$TMP/cron4.out" "^200$" "$SLICE_DIR/cpu.weight"
	assert_contains "$TMP/cron4.out" "^48$" "$SLICE_DIR/pids.max"
	assert_eq 500ms "$(show_prop CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec of $SLICE"
	assert_eq 200 "$(show_prop CPUWeight)" "CPUWeight of $SLICE"
	assert_eq 48 "$(show_prop TasksMax)" "TasksMax of $SLICE"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left: $(scopes_left | tr '\n' ' ')"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron4.out" "$MEMCG_TEST_SYSLOG" >&2
	write_config
}

# A user who became exempt gets the limits an earlier login left lifted.
t_exempt_lifts_old_limits() {
	write_config "exempt_users = {\"root\", \"$U\"}"
	: >"$MEMCG_TEST_SYSLOG"
	term_open su2 "${WRAP[@]}" su -l "$U" -c 'echo sid=$XDG_SESSION_ID; cat /sys/fs/cgroup/user.slice/user-$(id -u).slice/memory.max' || return
	term_ended su2 60 || fail "su -l -c did not end"
	term_wait su2 '^max$' 5 || fail "memory.max seen from the exempt session is not max"
	assert_eq infinity "$(show_prop MemoryMax)" "MemoryMax of $SLICE for an exempt user"
	assert_eq infinity "$(show_prop CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec of $SLICE for an exempt user"
	assert_eq infinity "$(show_prop TasksMax)" "TasksMax of $SLICE for an exempt user"
	assert_contains "$MEMCG_TEST_SYSLOG" "$SLICE: limits from an earlier login lifted" "the module lifted the old limits"
	show su2
}

# scopes_left: the scopes the module made for the user that systemd still
# lists, and their cgroups.
scopes_left() {
	systemctl list-units --all --plain --no-legend "memcg-$UID_U-*.scope" 2>/dev/null | awk '{ print $1 }'
	find /sys/fs/cgroup/user.slice -name "memcg-$UID_U-*.scope" 2>/dev/null
}

# cron_session SERVICE OUT MIB: a session through a stack without
# pam_systemd (as cron's), run by root as cron is: the cgroup of its shell
# and the status of a hog of MIB MiB go to OUT.
cron_session() {
	pam_service "$1" "conf=$CONF debug"
	session "$1" "$U" sh -c "cat /proc/self/cgroup; $LDIR/hog $3; echo cronhog=\$?" >"$2" 2>&1
}

# With cgroup_backend = auto, a cron-like session of a user who is logged in
# joins the user's slice in a scope of its own and shares the one limit: a
# hog split across it and the su -l session is killed at that limit (with
# a second limit of its own it would have room).  No cgroupfs cgroup is made,
# and the scope goes when the session's processes have.
t_cron_like_shares_slice() {
	local n before after cg
	[ -n "$SID_SU" ] || { fail "no su -l session"; return; }
	BACKEND=auto write_config
	: >"$MEMCG_TEST_SYSLOG"
	# 20 MiB held in the login session...
	n=$(term_text su1 | grep -c '^survived')
	term_send su1 "$LDIR/hog 20 600; echo holder=\$?"
	wait_for "[ \$(term_text su1 | grep -c '^survived') -gt $n ]" 60 || fail "the holder in su -l did not allocate its 20 MiB"
	before=$(awk '$1 == "oom_kill" { print $2 }' "$SLICE_DIR/memory.events")
	# ...and 50 MiB in the cron-like session: 70 MiB, over the one 64 MiB.
	cron_session cron "$TMP/cron.out" 50
	cg=$(sed -n 's/^0:://p' "$TMP/cron.out")
	[[ $cg =~ ^/user\.slice/$SLICE/memcg-$UID_U-[0-9]+\.scope$ ]] ||
		fail "the cron-like session's cgroup: expected /user.slice/$SLICE/memcg-$UID_U-PID.scope, got '$cg'"
	assert_eq 137 "$(sed -n 's/^cronhog=//p' "$TMP/cron.out")" "hog 50 in the cron-like session, 20 MiB held in su -l (SIGKILL at the one limit)"
	after=$(awk '$1 == "oom_kill" { print $2 }' "$SLICE_DIR/memory.events")
	[ "${after:-0}" -gt "${before:-0}" ] || fail "oom_kill in $SLICE_DIR/memory.events did not grow ($before -> $after)"
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\(cron:session\\): user $U \\(uid $UID_U\\): runtime limits set on $SLICE \\(session outside logind, moved to new scope ${cg##*/}, OOMPolicy=continue\\): memory_max $MAX" \
		"the module moved the cron-like session into a scope of the slice"
	check_limits "after the cron-like session"
	assert_gone "$CG_MNT/$TEST_PARENT" "a cgroupfs cgroup (cgroup_parent)"
	assert_gone /sys/fs/cgroup/pam_memcg "a cgroupfs cgroup (default cgroup_parent)"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left after the cron-like session ended: $(scopes_left | tr '\n' ' ')"
	# ^C ends the whole command line, the echo after the holder too.
	tm send-keys -t su1 C-c
	term_send su1 'echo holder-stopped'
	term_wait su1 '^holder-stopped' 20 || fail "the holder did not stop"
	session_alive "$SID_SU" "su -l after the kill in the cron-like session"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron.out" >&2
	show su1
	write_config
}

# With an explicit cgroup_backend = systemd and on_error = fail, a cron-like
# session of a user with no login session is not refused: starting its scope
# starts the slice, which gets the limits after; the hog is killed at them.
# The scope and the slice go away after it.
t_cron_like_alone() {
	local cg
	write_config "on_error = fail"
	[ ! -e "$SLICE_DIR" ] || fail "$SLICE_DIR exists before the cron-like session"
	cron_session cron2 "$TMP/cron2.out" 200
	assert_contains "$TMP/cron2.out" "^open=0$" "the session opened"
	cg=$(sed -n 's/^0:://p' "$TMP/cron2.out")
	[[ $cg =~ ^/user\.slice/$SLICE/memcg-$UID_U-[0-9]+\.scope$ ]] ||
		fail "the cron-like session's cgroup: expected /user.slice/$SLICE/memcg-$UID_U-PID.scope, got '$cg'"
	assert_eq 137 "$(sed -n 's/^cronhog=//p' "$TMP/cron2.out")" "hog 200 in the cron-like session (SIGKILL)"
	assert_eq "$MAX" "$(show_prop MemoryMax)" "MemoryMax of $SLICE set after the scope started it"
	assert_gone "$CG_MNT/$TEST_PARENT" "a cgroupfs cgroup (cgroup_parent)"
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left after the cron-like session ended: $(scopes_left | tr '\n' ' ')"
	wait_for "[ ! -e '$SLICE_DIR' ]" 30 || fail "$SLICE_DIR still exists 30 s after the cron-like session"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron2.out" >&2
	write_config
}

# A scope of the name the module would pick still runs (the processes of an
# earlier session whose caller had the same pid): the next name is taken.
# The kernel's next pid is set through ns_last_pid; another fork in
# between spoils a try, so up to five are made.
t_cron_like_name_taken() {
	local p try got="" cg holder
	write_config
	pam_service cron3 "conf=$CONF debug"
	p=$(($(cat /proc/sys/kernel/ns_last_pid) + 1000))
	systemd-run --quiet --scope --unit="memcg-$UID_U-$p" --slice="$SLICE" sleep 300 &
	holder=$!
	SD_HOLDER=$holder
	wait_for "systemctl is-active -q memcg-$UID_U-$p.scope" 20 || { fail "memcg-$UID_U-$p.scope did not start"; kill "$holder"; return; }
	for try in 1 2 3 4 5; do
		: >"$MEMCG_TEST_SYSLOG"
		echo $((p - 1)) >/proc/sys/kernel/ns_last_pid
		LD_PRELOAD=$SHIM "$PAMTEST" -d "$TMP/pam.d" cron3 "$U" sh -c 'echo caller=$PPID; cat /proc/self/cgroup' >"$TMP/cron3.out" 2>&1
		got=$(sed -n 's/^caller=//p' "$TMP/cron3.out")
		[ "$got" = "$p" ] && break
	done
	if [ "$got" != "$p" ]; then
		fail "pamtest never got pid $p in $try tries (last $got)"
	else
		cg=$(sed -n 's/^0:://p' "$TMP/cron3.out")
		assert_eq "/user.slice/$SLICE/memcg-$UID_U-$p-1.scope" "$cg" "the cron-like session's cgroup, its first name taken"
		assert_contains "$MEMCG_TEST_SYSLOG" "moved to new scope memcg-$UID_U-$p-1\\.scope" "the module took the next name"
	fi
	assert_eq active "$(systemctl is-active "memcg-$UID_U-$p.scope")" "the scope that had the name"
	kill "$holder"
	wait "$holder" 2>/dev/null
	SD_HOLDER=""
	wait_for "[ -z \"\$(scopes_left)\" ]" 20 || fail "scopes left: $(scopes_left | tr '\n' ' ')"
	[ "$T_CUR_FAILED" -eq 0 ] || sed 's/^/      | /' "$TMP/cron3.out" "$MEMCG_TEST_SYSLOG" >&2
}

run_test su_l t_su_l
run_test daemon_reload t_daemon_reload
run_test ssh_second_session t_ssh_second_session
run_test oom_su_l t_oom_su
run_test oom_ssh_notice t_oom_ssh_notice
run_test cron_like_shares_slice t_cron_like_shares_slice
run_test logout_removes_slice t_logout
run_test cron_like_alone t_cron_like_alone
run_test cron_like_name_taken t_cron_like_name_taken
run_test cpu_tasks_on_slice t_cpu_tasks_on_slice
run_test exempt_lifts_old_limits t_exempt_lifts_old_limits
t_done
