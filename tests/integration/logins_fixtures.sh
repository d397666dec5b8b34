# Fixtures of the login tests (t_logins_*.sh; sourced after lib.sh): the
# config, the login programs' PAM stacks under pam_wrapper, the terminals
# (logins/terminals.sh), what runs inside the sessions, memcg-notifier
# running for the whole file, and the checks every login path shares.  The
# users are named here and added by each file; t_logins_ssh.sh starts the
# private sshd (logins/sshd.sh).
# shellcheck shell=bash

US=${T_ID}s UC=${T_ID}c UU=${T_ID}u UR=${T_ID}r UT=${T_ID}t
LIMIT=67108864 # memory_max = "64M"
CONF=$TMP/pam_memcg.conf
LDIR=$TMP/logins           # what the sessions run, terminals, PAM stacks
PWDIR=$LDIR/pam.d-wrapper  # services libpam reads under pam_wrapper
SSHD_DIR=$LDIR/sshd        # host and client keys, sshd_config, log
SSHD_NAME=sshd-memcg-test-$$
SSHD_PID="" SSHD_PORT="" RUN_SSHD_MADE=0
NLOG=$TMP/notifier.log NPID=""

missing=()
for c in tmux ssh ssh-keygen sshd login su runuser; do
	command -v "$c" >/dev/null || missing+=("$c")
done
PWRAP_LIB=$(ldconfig -p | awk '$1 == "libpam_wrapper.so" { print $NF; exit }')
[ -n "$PWRAP_LIB" ] || missing+=(libpam_wrapper.so)
[ -x "$NOTIFIER" ] || missing+=("$NOTIFIER (make)")
if [ ${#missing[@]} -gt 0 ]; then
	t_requirements() { fail "not installed: ${missing[*]} (tests/deps.sh installs them)"; }
	run_test requirements t_requirements
	t_done
	exit
fi

# --- terminals: one private tmux server, one session per login ---------------

# shellcheck source=tests/integration/logins/terminals.sh
. "$TOP/tests/integration/logins/terminals.sh"

# --- cleanup: hang up the terminals first, so every login closes its session -

# proc_live PID: the process exists and is not a zombie (PID 1 here reaps
# orphans only now and then).
proc_live() {
	local state
	state=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# sshd_alive: is any sshd running?
sshd_alive() {
	local p
	for p in $(pgrep '^sshd'); do proc_live "$p" && return 0; done
	return 1
}

logins_cleanup() {
	local pids=() f p q d alive
	for f in "$LDIR"/*.state.pid; do
		[ -f "$f" ] && pids+=("$(cat "$f")")
	done
	tm kill-server 2>/dev/null
	for _ in $(seq 50); do
		alive=0
		for p in "${pids[@]}"; do proc_live "$p" && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	# pam_wrapper's copy of the services, left behind only by a killed login.
	for d in /tmp/pam.?; do
		[ -f "$d/pid" ] || continue
		p=$(cat "$d/pid" 2>/dev/null)
		for q in "${pids[@]}"; do
			[ "$p" = "$q" ] && ! proc_live "$p" && rm -rf "$d"
		done
	done
	# /run/sshd is every sshd's privsep directory: keep it while any runs
	# (ours end a moment after their clients hang up).
	if [ "$RUN_SSHD_MADE" -eq 1 ] && wait_for '! sshd_alive' 3; then
		rmdir /run/sshd 2>/dev/null
	fi
	if [ -n "$NPID" ]; then
		kill -TERM "$NPID" 2>/dev/null
		wait_for "! proc_live $NPID" 5 || kill -KILL "$NPID" 2>/dev/null
		wait "$NPID" 2>/dev/null
	fi
	t_cleanup
}
trap logins_cleanup EXIT

# --- what runs inside the sessions -------------------------------------------

term_setup "$TOP/tests/integration/logins/probe.sh" "$TOP/tests/integration/logins/hog-run.sh" "$HOG"
printf 'CG_MNT=%s\nMC_VERSION=%s\nF_MAX=%s\nF_OOM=%s\n' "$CG_MNT" "$MC_VERSION" "$F_MAX" "$F_OOMCTL" \
	>"$LDIR/probe.env"
chmod 0644 "$LDIR/probe.env"
PROBE="sh $LDIR/probe.sh"

# probe FILE N KEY: a value a probe printed inside a session.
probe() { sed -n "s/^probe$2: $3=//p" "$1" | head -n 1; }

# Swap would let the hog page out instead of being killed: forbid it where the
# kernel accounts for it.
swap=max
if [ -e "$CG_MNT/$RUNNER_CG/memory.memsw.limit_in_bytes" ] || [ -e "$CG_MNT/$RUNNER_CG/memory.swap.max" ]; then
	swap=0
fi
# For memcg-notifier: kills only (a warn_at warning would be one notice
# more), and no rate limit, so that every kill is told at once and the
# notices on a terminal can be counted.
write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
min_uid       = 1000
default { memory_max = "64M"  swap_max = "$swap" }
notify  { warn_at = "off"  rate_limit = 0 }
EOF

# The session stack every login below uses: pam_unix, then the built module.
session_lines="session required pam_unix.so
session required $PAM_SO conf=$CONF debug"

# login, su and runuser hard-code their service names; pam_wrapper makes libpam
# read those services from $PWDIR, so /etc/pam.d/{login,su-l,runuser-l} are
# never touched.  login -f (run by root) skips auth but still calls setcred,
# which pam_unix grants.
mkdir -m 0755 "$PWDIR"
printf 'auth required pam_unix.so\naccount required pam_unix.so\npassword required pam_deny.so\n%s\n' \
	"$session_lines" >"$PWDIR/login"
for svc in su-l runuser-l; do
	printf 'auth sufficient pam_rootok.so\nauth required pam_deny.so\naccount required pam_unix.so\npassword required pam_deny.so\n%s\n' \
		"$session_lines" >"$PWDIR/$svc"
done
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' \
	>"$PWDIR/other"
WRAP=(env "LD_PRELOAD=$PWRAP_LIB $SHIM" PAM_WRAPPER=1 "PAM_WRAPPER_SERVICE_DIR=$PWDIR"
	PAM_WRAPPER_USE_SYSLOG=1 "MEMCG_TEST_SYSLOG=$MEMCG_TEST_SYSLOG")

# --- memcg-notifier -----------------------------------------------------------

# The notifier for this config, run as root like its service, logging to
# $NLOG; stopped by the cleanup.  sshd and login write utmp entries, and on
# a fresh machine /run/utmp may not exist: create it the way login expects,
# and leave it.
[ -e /run/utmp ] || install -m 0664 -o root -g utmp /dev/null /run/utmp
: >"$NLOG"
"$NOTIFIER" -c "$CONF" -d >>"$NLOG" 2>&1 &
NPID=$!
wait_for "grep -q 'started: watching' '$NLOG'" 10 ||
	echo "$T_NAME: memcg-notifier did not start; see the failures below" >&2

# --- checks shared by every login path --------------------------------------

# no_cgroup_yet USER: a case starts from a user without a cgroup.
no_cgroup_yet() {
	[ ! -e "$(user_cg_dir "$1")" ] || {
		fail "$(user_cg_dir "$1") exists before the login"
		return 1
	}
}

# A shell prompt ($ and a space, which capture-pane -J keeps).
PROMPT='\$ *$'

# hog_pid FILE N: the pid "hog-run.sh N" printed in a session.
hog_pid() { sed -n "s/^hog$2: pid=\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1; }

# wait_notice NAME N: until the notifier's notice about the kill of hog N
# is on terminal NAME.
wait_notice() {
	local pid
	pid=$(hog_pid <(term_text "$1") "$2")
	[ -n "$pid" ] || { fail "$1: hog $2 printed no pid"; return 1; }
	term_wait "$1" "process: $pid \\(hog\\)" 10 ||
		{ fail "$1: no notice about the kill of hog $2 (pid $pid) within 10 s"; return 1; }
}

# shell_session NAME [FIRST_COMMAND]: drives the interactive login shell on
# terminal NAME: FIRST_COMMAND, probe, hog past the limit, probe again, wait
# for the notifier's notice, log out.
shell_session() {
	term_wait "$1" "$PROMPT" 20 || { fail "$1: no shell prompt"; return 1; }
	[ -z "${2:-}" ] || term_send "$1" "$2"
	term_send "$1" "$PROBE 1 \$\$"
	term_wait "$1" '^probe1: end' 20 || { fail "$1: first probe did not answer"; return 1; }
	term_send "$1" "sh $LDIR/hog-run.sh 1 200; $PROBE 2 \$\$ \$?"
	term_wait "$1" '^probe2: end' 30 || { fail "$1: no probe after the hog"; return 1; }
	wait_notice "$1" 1
	term_send "$1" exit
}

# The same, non-interactive: the command su -l / runuser -l run in the
# user's login shell.  It ends only after a line from the terminal, which
# the test sends once it has seen the notice: su writes no utmp entry, so
# the notifier finds su's terminal through the processes in the user's
# cgroup, and the cgroup goes when the session ends.
SHELL_CMD="$PROBE 1 \$\$; sh $LDIR/hog-run.sh 1 200; $PROBE 2 \$\$ \$?; read -r _"

# noninteractive_session NAME: the session on terminal NAME runs SHELL_CMD;
# waits for its notice, then lets it end.
noninteractive_session() {
	term_wait "$1" '^probe2: end' 30 || fail "$1: no probe after the hog"
	wait_notice "$1" 1
	tm send-keys -t "$1" Enter
}

# Run as root on a test terminal before su -l / runuser -l.  The ptys of
# tmux (run as root) are root's, at mode 0600 where devpts is mounted with
# mode=600 as here: mesg n, which the notifier honours.  The case under
# test is root's terminal with mesg y.
MESG_Y=(sh -c 'mesg y && exec "$@"' mesg-y)

# check_inside FILE USER: what the session reported from inside.
check_inside() {
	local f=$1 uid
	uid=$(uid_of "$2")
	assert_eq "$uid" "$(probe "$f" 1 uid)" "the session runs as $2"
	assert_eq "/$TEST_PARENT/user-$uid" "$(probe "$f" 1 cg)" "the login shell's memory cgroup"
	assert_eq "$LIMIT" "$(probe "$f" 1 max)" "$F_MAX seen from the session"
	assert_eq 0 "$(probe "$f" 1 oom_kill)" "no OOM kill before the hog"
	assert_eq 137 "$(probe "$f" 2 status)" "hog 200 exit status (SIGKILL)"
	assert_not_contains "$f" '^survived' "the hog never got past the limit"
	assert_eq 1 "$(probe "$f" 2 oom_kill)" "OOM kills counted in the user's cgroup"
	assert_eq "$(probe "$f" 1 shell)" "$(probe "$f" 2 shell)" "the login shell ran on after the kill"
	assert_eq "/$TEST_PARENT/user-$uid" "$(probe "$f" 2 cg)" "the login shell's cgroup after the kill"
}

# check_notice FILE N NOTICES [HOG_FILE]: the notifier's notice about the
# kill of hog N (which printed its pid in HOG_FILE, by default FILE) is on
# the terminal text FILE, naming the victim's pid and command and the
# limit; FILE holds NOTICES notices in all (a terminal that both utmp and
# the user's cgroup lead to is told once).
check_notice() {
	local f=$1 pid
	pid=$(hog_pid "${4:-$1}" "$2")
	[ -n "$pid" ] || { fail "hog $2 printed no pid on the terminal"; return; }
	# Which limit it names (the user's own or a shared one) depends on the
	# kernel's OOM report, which the kernel rate-limits machine-wide; that
	# is t_notifier_*'s to test.  Here: a kill notice reached this terminal.
	assert_contains "$f" "^A process of yours was killed" "the notice on the session's terminal"
	assert_contains "$f" "^ *process: $pid \\(hog\\)" "the victim (pid $pid, hog) in the notice"
	assert_contains "$f" "^ *limit: +64\\.0 MiB" "the limit in the notice"
	assert_eq "$3" "$(grep -c 'Message from memcg-notifier@' "$f")" "notices on the terminal"
}

# check_logout NAME USER [SERVICE]: the login program ended cleanly and the
# cgroup is gone; with SERVICE, the module's log says it ran under that PAM
# service and removed the cgroup itself at close.
check_logout() {
	local uid dir
	uid=$(uid_of "$2")
	dir=$(user_cg_dir "$2")
	term_ended "$1" 20 || fail "$1 still running after logout"
	assert_eq 0 "$(term_status "$1")" "exit status on $1"
	wait_for "[ ! -e '$dir' ]" 10
	[ ! -e "$dir" ] ||
		fail "cgroup after logout: $dir still exists, holding [$(tr '\n' ' ' <"$dir/cgroup.procs" 2>/dev/null)]"
	[ -n "${3:-}" ] || return 0
	wait_for "grep -q 'removed .*/user-$uid (last session\\|/user-$uid is gone already' '$MEMCG_TEST_SYSLOG'" 5
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\($3:session\\): user $2 \\(uid $uid\\) in .*/user-$uid: memory_max $LIMIT" \
		"the module ran in PAM service $3"
	# On v2 the notifier removes a user cgroup as it empties; the close's
	# step-out empties it just before the module's own rmdir, so either
	# may remove it.  The module then says it found it gone.
	assert_contains "$MEMCG_TEST_SYSLOG" \
		"pam_memcg\\($3:session\\): (removed .*/user-$uid \\(last session|.*/user-$uid is gone already)" \
		"the module removed the cgroup at close, or found it removed"
}

# show_on_failure FILE...: what the terminals showed, when the case failed.
show_on_failure() {
	[ "$T_CUR_FAILED" -eq 0 ] && return
	local f
	for f in "$@"; do
		echo "    --- $f" >&2
		sed 's/^/      | /' "$f" >&2 2>/dev/null
	done
}

# The notifier ran through every case and stops cleanly.
t_notifier_stops() {
	local rc
	kill -0 "$NPID" 2>/dev/null || { fail "memcg-notifier is not running"; return; }
	kill -TERM "$NPID"
	wait "$NPID"
	rc=$?
	NPID=""
	assert_eq 0 "$rc" "memcg-notifier's exit status after SIGTERM"
	assert_contains "$NLOG" "stopping on signal" "memcg-notifier logged its stop"
	show_on_failure "$NLOG"
}
