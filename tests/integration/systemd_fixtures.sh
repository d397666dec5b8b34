# Fixtures of the systemd backend tests (t_systemd_*.sh; sourced after
# lib.sh): a machine where systemd is PID 1 with logind on cgroup v2 (make
# check-systemd boots one), else a SKIP line and no result
# (MEMCG_REQUIRE_SYSTEMD=1 turns that into a failure, for the systemd lane);
# a test user, the config, su -l under pam_wrapper and a private sshd with
# pam_systemd before pam_memcg as on a stock Debian, the terminals
# (logins/terminals.sh), logins, and what the cases look at.
# shellcheck shell=bash

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
SSHD_PID="" SSHD_PORT="" SSHD_OK=1 RUN_SSHD_MADE=0 NPID="" NLOG=$TMP/notifier.log
UID_U="" SLICE="" SLICE_DIR="" SD_HOLDER=""
SID_SU="" SID_SSH=""
# Under software emulation sshd takes longer to start listening and to
# answer.
SSHD_START_TIMEOUT=15 SSH_CONNECT_TIMEOUT=20

# shellcheck source=tests/integration/logins/terminals.sh
. "$TOP/tests/integration/logins/terminals.sh"
# shellcheck source=tests/integration/logins/sshd.sh
. "$TOP/tests/integration/logins/sshd.sh"

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
		# What still runs in the slice goes with it: the next file's user
		# may get the same uid, and expects no slice before its first login.
		systemctl stop "$SLICE" >/dev/null 2>&1
		# The runtime properties the module set outlive the slice.
		systemctl revert "$SLICE" >/dev/null 2>&1
	fi
	t_cleanup
}
trap sd_cleanup EXIT

# --- the user, the config, the PAM stacks -------------------------------------

term_setup "$HOG"
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

# sd_start_sshd: the private sshd, which only U may log in to; SSHD_OK is 0
# when it listens.
sd_start_sshd() {
	start_sshd "$U" && authorize_key "$U"
	SSHD_OK=$?
}

# --- logins ------------------------------------------------------------------

# whoami_in TERM: the shell prints its session, pid and cgroup.
whoami_in() {
	term_send "$1" 'echo sid=$XDG_SESSION_ID; echo shell=$$; echo cg=$(cut -d: -f3 /proc/self/cgroup)'
	term_wait "$1" '^cg=/' 20 || fail "$1: the shell did not answer"
}

# session_of TERM: the logind session id a terminal's shell printed.
session_of() { term_text "$1" | sed -n 's/^sid=\([A-Za-z0-9]*\)$/\1/p' | tail -n 1; }
shell_of() { term_text "$1" | sed -n 's/^shell=\([0-9]*\)$/\1/p' | head -n 1; }
# cgroup_of TERM: the cgroup a terminal's shell printed.
cgroup_of() { term_text "$1" | sed -n 's/^cg=//p' | tail -n 1; }

# login_su TERM: U logs in with su -l on a new terminal; SID_SU is the
# logind session its shell reports.
login_su() {
	term_open "$1" "${WRAP[@]}" su -l "$U" || return 1
	term_wait "$1" '\$ *$' 30 || { fail "su -l: no shell prompt"; show "$1"; return 1; }
	whoami_in "$1"
	SID_SU=$(session_of "$1")
}

# login_ssh TERM: U logs in through the private sshd on a new terminal;
# SID_SSH is the logind session its shell reports.
login_ssh() {
	[ "$SSHD_OK" -eq 0 ] || { fail "the private sshd did not start"; sed 's/^/      | /' "$SSHD_DIR/log" >&2; return 1; }
	ssh_open "$1" "$U" || return 1
	term_wait "$1" '\$ *$' 40 || { fail "ssh: no shell prompt"; show "$1"; sed 's/^/      | /' "$SSHD_DIR/log" >&2; return 1; }
	whoami_in "$1"
	SID_SSH=$(session_of "$1")
}

# log_out TERM WHAT: exit in the terminal's shell, until the login has ended.
log_out() {
	term_send "$1" exit
	term_ended "$1" 20 || fail "$2 still running after exit"
}

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

# session_alive SID WHAT: logind lists it and its scope is active.
session_alive() {
	loginctl list-sessions --no-legend 2>/dev/null | awk '{ print $1 }' | grep -qx "$1" ||
		fail "$2: session $1 is no longer listed by loginctl"
	assert_eq active "$(systemctl is-active "session-$1.scope" 2>/dev/null)" "$2: session-$1.scope"
}

# oom_kills: the slice's oom_kill count (memory.events).
oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$SLICE_DIR/memory.events"; }
