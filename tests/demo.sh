#!/bin/bash
# `make demo`: the main job end to end, narrated.  A demo user logs in with
# login(1) on a terminal, gets a 64 MiB cgroup, runs a program that wants
# more, the kernel kills it, memcg-notifier tells the user on that terminal;
# logout removes the cgroup.  Exits non-zero if any step did not happen, and
# removes everything it made.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates a user and a cgroup)" >&2; exit 1; }

step=0
say() { step=$((step + 1)); printf '\n\033[1m[%d] %s\033[0m\n' "$step" "$*"; }
show() { sed 's/^/    | /'; }
die() { printf '\ndemo: FAILED at step %d: %s\n' "$step" "$*" >&2; exit 1; }

# --- where things go: below our own memory cgroup, like the tests ---------------
detect() {
	local mnt="" ver="" line f i
	while read -r line; do
		read -ra f <<<"$line"
		i=6
		while [ "${f[$i]}" != "-" ]; do i=$((i + 1)); done
		if [ "${f[$((i + 1))]}" = cgroup2 ] && grep -qw memory "${f[4]}/cgroup.controllers" 2>/dev/null; then
			mnt=${f[4]} ver=2
			break
		elif [ "${f[$((i + 1))]}" = cgroup ] && [[ ",${f[$((i + 3))]}," == *,memory,* ]]; then
			mnt=${f[4]} ver=1
		fi
	done </proc/self/mountinfo
	[ -n "$mnt" ] || die "no memory cgroup hierarchy on this machine"
	CG_MNT=$mnt MC_VERSION=$ver
	if [ "$ver" = 2 ]; then
		HERE=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	else
		HERE=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	fi
	HERE=${HERE#/}
}

USER_NAME=mcdemo$$
TMP=$(mktemp -d /tmp/memcg-demo.XXXXXX)
chmod 755 "$TMP"
NPID=""
tm() { env -u TMUX TMUX_TMPDIR="$TMP" tmux -L "memcg-demo-$$" -f "$TMP/tmux.conf" "$@"; }

cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	if id "$USER_NAME" >/dev/null 2>&1; then
		pkill -9 -u "$USER_NAME" 2>/dev/null
		sleep 0.2
		userdel -r -f "$USER_NAME" >/dev/null 2>&1
	fi
	if [ -n "${PARENT_DIR:-}" ] && [ -d "$PARENT_DIR" ]; then
		find "$PARENT_DIR" -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Installing what is missing and building"
"$TOP/tests/deps.sh" || die "could not install the dependencies"
make -s -C "$TOP" all build/tests/hog >/dev/null || die "build failed"
PWRAP=$(ldconfig -p | awk '$1 == "libpam_wrapper.so" { print $NF; exit }')
[ -n "$PWRAP" ] || die "libpam_wrapper.so not found"
echo "    built build/pam_memcg.so, build/memcgctl, build/memcg-notifier"

detect
PARENT=${HERE:+$HERE/}memcg-demo-$$
PARENT_DIR=$CG_MNT/$PARENT
say "Creating a demo user and a config with a 64 MiB limit"
useradd -m -s /bin/bash "$USER_NAME" || die "useradd failed"
UID_=$(id -u "$USER_NAME")
swap=max
[ -e "$CG_MNT/$HERE/memory.memsw.limit_in_bytes" ] || [ -e "$CG_MNT/$HERE/memory.swap.max" ] && swap=0
cat >"$TMP/pam_memcg.conf" <<EOF
# The demo's config (a real one lives in /etc/security/pam_memcg.conf).
cgroup_parent = "$PARENT"
default {
  memory_max = "64M"
  swap_max   = "$swap"
}
notify {
  tty = true
  warn_at = "off"
}
EOF
chmod 644 "$TMP/pam_memcg.conf"
echo "    user $USER_NAME (uid $UID_); cgroup v$MC_VERSION at $CG_MNT"
show <"$TMP/pam_memcg.conf"
"$B/memcgctl" explain -c "$TMP/pam_memcg.conf" "$USER_NAME" | show

say "Starting memcg-notifier"
# login(1) records the session in utmp; that is how the notifier finds the
# user's terminal.  A fresh machine may have no utmp file yet.
[ -e /run/utmp ] || { install -m 0664 -g utmp /dev/null /run/utmp || die "cannot create /run/utmp"; }
"$B/memcg-notifier" -d -c "$TMP/pam_memcg.conf" >"$TMP/notifier.log" 2>&1 &
NPID=$!
sleep 0.3
kill -0 "$NPID" 2>/dev/null || { show <"$TMP/notifier.log"; die "the notifier did not start"; }
echo "    pid $NPID, watching $PARENT_DIR"

say "Logging $USER_NAME in with login(1) on a terminal, through pam_memcg"
# login hard-codes the PAM service "login"; pam_wrapper points libpam at a
# private copy, so /etc/pam.d/login is not touched.
mkdir "$TMP/pam.d"
cat >"$TMP/pam.d/login" <<EOF
auth     required pam_unix.so
account  required pam_unix.so
password required pam_deny.so
session  required pam_unix.so
session  required $B/pam_memcg.so conf=$TMP/pam_memcg.conf
EOF
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' >"$TMP/pam.d/other"
printf 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 5000\n' >"$TMP/tmux.conf"
install -m 0755 "$B/tests/hog" "$TMP/hog"
tm new-session -d -s demo -x 120 -y 40 \
	"env LD_PRELOAD=$PWRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$TMP/pam.d login -f $USER_NAME" ||
	die "tmux could not start"
screen() { tm capture-pane -p -J -S - -t demo; }
wait_screen() {
	local deadline=$((SECONDS + ${2:-20}))
	until screen | grep -qE -- "$1"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
type_line() { tm send-keys -t demo -l -- "$1" && tm send-keys -t demo Enter; }
# login(1) on Debian leaves a new terminal at mode 0600 (TTYPERM): "mesg n",
# which the notifier honours.  The user says yes (ignore_mesg = true in the
# config would write anyway).
type_line "PS1='$USER_NAME\$ '; mesg y; clear"
wait_screen "^$USER_NAME\\$" 20 || { screen | show; die "no shell prompt after login"; }
echo "    logged in; the session's shell is pid $(pgrep -u "$USER_NAME" -x bash | head -1)"

say "Inside the session: its cgroup and its limit"
if [ "$MC_VERSION" = 2 ]; then
	limit=memory.max sel='$1 == "0"'
else
	limit=memory.limit_in_bytes sel='$2 ~ /(^|,)memory(,|$)/'
fi
cat >"$TMP/whereami" <<EOF
#!/bin/sh
cg=\$(awk -F: '$sel { print \$3 }' /proc/self/cgroup)
echo "cgroup: \$cg"
echo "limit: \$(cat "$CG_MNT\$cg/$limit")"
EOF
chmod 755 "$TMP/whereami"
type_line "$TMP/whereami"
wait_screen '^limit: [0-9]+' 10 || { screen | show; die "the session could not read its limit"; }
screen | grep -E '^(cgroup|limit):' | show
screen | grep -qE "^cgroup: /$PARENT/user-$UID_\$" || die "the session is not in $PARENT/user-$UID_"
screen | grep -qE '^limit: 67108864$' || die "the limit is not 64 MiB"

say "Running a program that allocates 200 MiB in a 64 MiB session"
type_line "$TMP/hog 200; echo exit status: \$?"
wait_screen '^exit status: [0-9]+' 60 || { screen | show; die "the program did not end"; }
screen | grep -qE '^exit status: 137$' || { screen | show; die "the program was not killed"; }
echo "    the kernel killed it:"
dmesg 2>/dev/null | grep -E "Killed process [0-9]+ \(hog\)|oom-kill:.*user-$UID_" | tail -2 | show
wait_screen 'memcg-notifier' 10 || { screen | show; show <"$TMP/notifier.log"; die "no notice on the user's terminal"; }
sleep 0.2
echo "    what $USER_NAME saw on their terminal:"
screen | sed -n "/hog 200/,\$p" | sed '/^$/d' | show
screen | grep -qE 'process: [0-9]+ \(hog\)' || die "the notice does not name the killed program"
echo "    the notifier's log:"
show <"$TMP/notifier.log"

say "memcgctl status (what an admin sees)"
"$B/memcgctl" status -c "$TMP/pam_memcg.conf" | show
"$B/memcgctl" status -c "$TMP/pam_memcg.conf" "$USER_NAME" | grep -qE "^$UID_ +$USER_NAME .* 1$" ||
	die "memcgctl status does not show one OOM kill"

say "Logging out"
type_line "exit"
deadline=$((SECONDS + 15))
while [ -d "$PARENT_DIR/user-$UID_" ]; do
	[ "$SECONDS" -ge "$deadline" ] && die "the cgroup $PARENT_DIR/user-$UID_ is still there"
	sleep 0.1
done
echo "    $PARENT_DIR/user-$UID_ is gone"

printf '\ndemo: every step happened; cleaning up (user, cgroups, notifier, terminal).\n'
exit 0
