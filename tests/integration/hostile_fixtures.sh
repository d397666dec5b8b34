# Fixtures of the hostile-input tests (t_hostile_*.sh; sourced after lib.sh):
# a limited user and its config, a private passwd and group with odd users
# (seen only in private mount namespaces: nothing on the machine changes),
# and a notifier that runs there under an evil host name, with its own utmp
# file, terminals and fake MTA.
# shellcheck shell=bash

PY=/usr/bin/python3
for f in "$PY" /usr/bin/setpriv /usr/bin/unshare "$NOTIFIER" "$PAMTEST" "$SHIM"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
done

U1=${T_ID}h
add_user "$U1" || { echo "cannot add $U1" >&2; exit 1; }
U1_UID=$(uid_of "$U1")
CONF=$TMP/pam_memcg.conf
NS=$TMP/ns
mkdir -p "$NS" "$TMP/mail" "$TMP/kl"
chmod 755 "$TMP/kl"
DEVDIRS=()		# what this test puts in /dev, removed at exit
NPID=""

base_conf() { # base_conf [on_error]
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = ${1:-fail}
default { memory_max = "64M" }
EOF
}
base_conf
pam_service svc "conf=$CONF" debug

# Run inside a session: the cgroup of the shell, and its limits.
write_inspect "$TMP/inspect.sh"

# --- odd users: a private passwd and group ------------------------------------

# uids far from anything useradd hands out.
B=$((2000000000 + ($$ % 100000) * 100))
N_SLASH="mc$$/x"		N_SLASH_UID=$((B + 1))
N_DOTDOT=".."			N_DOTDOT_UID=$((B + 2))
N_ESC=$'mc\e]0;owned\a\e[2J'$$	N_ESC_UID=$((B + 3))
N_OSC52=$'mc\e]52;c;ZXZpbA==\a'	N_OSC52_UID=$((B + 4))
N_NUM=$U1_UID			N_NUM_UID=$((B + 5))	# looks like U1's uid
N_32=$(printf '%.32s' "mc$$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")	N_32_UID=$((B + 6))
N_40=${N_32}yyyyyyyy		N_40_UID=$((B + 7))
N_TOOR=toor$$			# uid 0
N_CR=$'mc\rBcc evil'$$	N_CR_UID=$((B + 8))	# no ':' or '\n' in passwd
N_AT=mc$$@evil.example.org	N_AT_UID=$((B + 9))	# no '-' first either (nss_files skips it)
N_GROUPS=mcg$$			N_GROUPS_UID=$((B + 10))
N_ONEGROUP=mcs$$		N_ONEGROUP_UID=$((B + 11))
N_LOW=mcl$$			N_LOW_UID=$((500 + $$ % 400))	# below min_uid
N_KA=mcka$$			N_KA_UID=$((B + 12))
N_KB=mckb$$			N_KB_UID=$((B + 13))
N_T=mct$$			N_T_UID=$((B + 14))
N_OTHER=mco$$			N_OTHER_UID=$((B + 15))
NGROUPS=300
G0=$((B + 20))

cp /etc/passwd "$NS/passwd"
cp /etc/group "$NS/group"
{
	for pair in "$N_SLASH:$N_SLASH_UID" "$N_DOTDOT:$N_DOTDOT_UID" "$N_ESC:$N_ESC_UID" \
		"$N_OSC52:$N_OSC52_UID" "$N_NUM:$N_NUM_UID" "$N_32:$N_32_UID" "$N_40:$N_40_UID" \
		"$N_CR:$N_CR_UID" "$N_AT:$N_AT_UID" "$N_ONEGROUP:$N_ONEGROUP_UID" \
		"$N_LOW:$N_LOW_UID" "$N_KA:$N_KA_UID" "$N_KB:$N_KB_UID" "$N_T:$N_T_UID" \
		"$N_OTHER:$N_OTHER_UID"; do
		printf '%s:x:%s:%s::/nonexistent:/bin/sh\n' "${pair%:*}" "${pair##*:}" "${pair##*:}"
	done
	printf '%s:x:0:0::/root:/bin/sh\n' "$N_TOOR"
	printf '%s:x:%s:%s::/nonexistent:/bin/sh\n' "$N_GROUPS" "$N_GROUPS_UID" "$G0"
} >>"$NS/passwd"
{
	printf 'mcg%sp:x:%s:\n' "$$" "$G0"
	for i in $(seq 1 "$NGROUPS"); do printf 'mcg%s_%s:x:%s:%s\n' "$$" "$i" $((G0 + i)) "$N_GROUPS"; done
} >>"$NS/group"

# ns_run CMD...: CMD in a private mount namespace that sees the odd users.
ns_run() {
	unshare -m --propagation private -- /bin/bash -c \
		'mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group || exit 97
		shift; exec "$@"' _ "$NS" "$@"
}
# ns_session SERVICE USER [CMD...]: lib.sh's session, in that namespace.
ns_session() {
	ns_run env LD_PRELOAD="$SHIM" MEMCG_TEST_SYSLOG="$MEMCG_TEST_SYSLOG" "$PAMTEST" -d "$TMP/pam.d" "$@"
}

# --- notifier fixtures ---------------------------------------------------------

NPARENT=$TEST_PARENT/n
NCONF=$TMP/notifier.conf
NLOG=$TMP/notifier.log
UTMP=$TMP/utmp
: >"$UTMP"
EVIL_HOST=$'mc\r\nBcc: evil@example.org\e]0;T\a'

# The fake MTA keeps each message it is given.
cat >"$TMP/sendmail" <<EOF
#!/bin/sh
cat >"$TMP/mail/\$\$.eml"
EOF
chmod 755 "$TMP/sendmail"

cat >"$NCONF.in" <<EOF
cgroup_version = v$MC_VERSION
cgroup_parent = "$NPARENT"
default { memory_max = 64M }
notify {
	tty = true
	mail = true
	rate_limit = 0
	warn_at = "off"
	sendmail = "$TMP/sendmail"
}
EOF
write_conf "$NCONF" <"$NCONF.in"

# A pty given to uid, its screen copied to a file.
cat >"$TMP/ptyhold.py" <<'EOF'
import grp, os, sys
uid, mode, screen = int(sys.argv[1]), int(sys.argv[2], 8), sys.argv[3]
master, slave = os.openpty()
name = os.ttyname(slave)
os.chown(name, uid, grp.getgrnam("tty").gr_gid)
os.chmod(name, mode)
out = open(screen, "ab", buffering=0)
open(screen + ".tty", "w").write(name + "\n")
while True:
    out.write(os.read(master, 65536))
EOF

start_pty() { # start_pty UID MODE SCREEN
	: >"$3"
	$PY "$TMP/ptyhold.py" "$1" "$2" "$3" &
	T_PIDS+=($!)
	wait_for "[ -s '$3.tty' ]" 10 || fail "pty for uid $1 did not come up"
}
tty_of() { sed 's|^/dev/||' "$1.tty"; }

# make_cg UID: a user cgroup under the notifier's parent, limited to 64 MiB.
make_cg() {
	local d=$CG_MNT/$NPARENT/user-$1
	mkcg "$d" && echo 67108864 >"$d/$F_MAX"
}

# in_cg UID CODE: python as UID inside its cgroup; its pid goes to fd 3.
in_cg() {
	bash -c 'echo $$ >&3; echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" -c "$4"' \
		_ "$CG_MNT/$NPARENT/user-$1" "$1" "$PY" "$2" 2>/dev/null
}

HOG='import sys
a = []
while True:
    a.append(bytearray(1 << 20))'

# kill_one UID CODE: allocates until the kernel kills it; VICTIM = its pid.
kill_one() {
	local rc
	VICTIM=$(in_cg "$1" "$2" 3>&1 1>/dev/null)
	rc=$?
	[ "$rc" -eq 137 ] || fail "the allocating process of uid $1 was not killed (status $rc)"
}

# -k: these cgroups hold no session, and on v2 the notifier would remove
# one as its last process is killed (t_nf_release tests that).
start_notifier() {
	: >"$NLOG"
	unshare -m -u --propagation private -- /bin/bash -c \
		'mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group || exit 97
		"$2" -c "import socket, sys; socket.sethostname(sys.argv[1])" "$3" || exit 98
		exec "$4" -c "$5" -u "$6" -k' \
		_ "$NS" "$PY" "$EVIL_HOST" "$NOTIFIER" "$NCONF" "$UTMP" >>"$NLOG" 2>&1 &
	NPID=$!
	T_PIDS+=("$NPID")
	wait_for "grep -q 'started: watching' '$NLOG'" 10 || fail "notifier did not start"
}

cleanup_hostile() {
	local f
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null
	for f in "${DEVDIRS[@]}"; do rm -rf "$f"; done
	for f in "$TMP"/holder.*; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	end_pids
	t_cleanup
}
trap cleanup_hostile EXIT

# notifier_setup: the odd users' cgroups, the notifier and a terminal of
# N_T with its utmp entry, made once.
notifier_setup() {
	local u
	[ -z "$NPID" ] || return 0
	for u in "$N_ESC_UID" "$N_CR_UID" "$N_AT_UID" "$N_32_UID" "$N_KA_UID" "$N_KB_UID" "$N_T_UID" "$N_OTHER_UID"; do
		make_cg "$u"
	done
	start_notifier
	wait_for "[ \$(grep -c 'watching .*/user-' '$NLOG') -ge 8 ]" 10 || fail "notifier did not see the user cgroups"
	start_pty "$N_T_UID" 0620 "$TMP/t.screen"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_T" "$(tty_of "$TMP/t.screen")"
}
