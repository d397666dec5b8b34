#!/bin/bash
# Hostile input against the real module and notifier: config files that are
# not what they seem, user names nobody should have, text that would act on
# a terminal or a mail header, and kernel log lines forged by a user.  Odd
# users exist only in a private mount namespace (a copy of /etc/passwd and
# /etc/group bound over the real ones), so nothing on the machine changes.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
for f in "$PY" /usr/bin/setpriv /usr/bin/unshare "$NOTIFIER" "$PAMTEST" "$SHIM"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "t_hostile: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
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

# Run inside a session: the cgroup of the shell, and its limit.
cat >"$TMP/inspect.sh" <<EOF
#!/bin/sh
if [ "$MC_VERSION" = 2 ]; then
	cg=\$(awk -F: '\$1 == "0" { print \$3 }' /proc/self/cgroup)
else
	cg=\$(awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 }' /proc/self/cgroup)
fi
echo "cg=\$cg" >"\$1"
[ -e "$CG_MNT\$cg/$F_MAX" ] && echo "max=\$(cat "$CG_MNT\$cg/$F_MAX")" >>"\$1"
exit 0
EOF
chmod 755 "$TMP/inspect.sh"
val() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# Regular expression for a literal string.
re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }

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

# utmp_add FILE USER LINE: a USER_PROCESS entry (names are bytes as given).
cat >"$TMP/utmp_add.py" <<'EOF'
import os, struct, sys, time
FMT = "<hhi32s4s32s256shhiii4i20s"      # struct utmp on x86_64 glibc
path, user, line = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
rec = struct.pack(FMT, 7, 0, os.getpid(), line, b"mc%02d" % (os.getpid() % 100), user,
                  b"memcg-test", 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")
with open(path, "ab") as f:
    f.write(rec)
EOF

start_pty() { # start_pty UID MODE SCREEN
	: >"$3"
	$PY "$TMP/ptyhold.py" "$1" "$2" "$3" &
	T_PIDS+=($!)
	wait_for "[ -s '$3.tty' ]" 10 || fail "pty for uid $1 did not come up"
}
tty_of() { sed 's|^/dev/||' "$1.tty"; }

# mkcg DIR: a cgroup made by hand; on v2 with the memory controller enabled
# along the path first, as the module does.
mkcg() {
	local d=$CG_MNT rel=${1#"$CG_MNT"/} c
	if [ "$MC_VERSION" = 2 ]; then
		for c in ${rel//\// }; do
			grep -qw memory "$d/cgroup.subtree_control" || echo +memory >"$d/cgroup.subtree_control"
			d=$d/$c
			mkdir -p "$d"
		done
	fi
	mkdir -p "$1"
}

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

start_notifier() {
	: >"$NLOG"
	unshare -m -u --propagation private -- /bin/bash -c \
		'mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group || exit 97
		"$2" -c "import socket, sys; socket.sethostname(sys.argv[1])" "$3" || exit 98
		exec "$4" -c "$5" -u "$6"' \
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
	# Our background processes, quietly (no job status lines).
	{
		for f in "${T_PIDS[@]}"; do kill -TERM "$f"; done
		sleep 0.2
		for f in "${T_PIDS[@]}"; do kill -KILL "$f"; done
		wait
	} 2>/dev/null
	t_cleanup
}
trap cleanup_hostile EXIT

# ============================================================================
# Config files
# ============================================================================

# refused PATH REASON WHAT: a session through conf=PATH opens at once, is not
# moved, and the log names the file and the reason.
refused() {
	local path=$1 why=$2 what=$3 svc=r$RANDOM rc t0
	pam_service "$svc" "conf=$path" debug
	: >"$MEMCG_TEST_SYSLOG"
	rm -f "$TMP/r.txt"
	t0=$SECONDS
	timeout 10 bash -c 'LD_PRELOAD=$1 "$2" -d "$3" "$4" "$5" "$6" "$7"' _ \
		"$SHIM" "$PAMTEST" "$TMP/pam.d" "$svc" "$U1" "$TMP/inspect.sh" "$TMP/r.txt" >"$TMP/r.out"
	rc=$?
	[ "$rc" -ne 124 ] || fail "$what: the session hung"
	[ $((SECONDS - t0)) -le 2 ] || fail "$what: the session took $((SECONDS - t0)) s"
	assert_contains "$TMP/r.out" '^open=0$' "$what: the session opens"
	assert_contains "$TMP/r.out" '^close=0$' "$what: the session closes"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/r.txt" cg)" "$what: the session is not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> .*$(re "$path")$why" "$what: file and reason logged at LOG_ERR"
	assert_contains "$MEMCG_TEST_SYSLOG" "config $(re "$path") is unusable: session of $U1 not limited" \
		"$what: the consequence logged"
	assert_gone "$CG_MNT/$TEST_PARENT/user-$U1_UID" "$what: no cgroup made"
}

t_conf_not_a_file() {
	mkfifo -m 0644 "$TMP/fifo.conf"
	refused "$TMP/fifo.conf" ': is not a regular file' "fifo nobody writes to"
	# A fifo with a writer that never finishes its line.
	sleep 30 >"$TMP/fifo.conf" &
	local w=$!
	T_PIDS+=("$w")
	refused "$TMP/fifo.conf" ': is not a regular file' "fifo with a silent writer"
	kill "$w" 2>/dev/null
	mkdir -m 0755 "$TMP/dir.conf"
	refused "$TMP/dir.conf" ': is not a regular file' "directory"
	refused /dev/zero ': is not a regular file' "endless character device"
	base_conf
	ln -s "$CONF" "$TMP/link.conf"
	refused "$TMP/link.conf" ': is a symbolic link; refusing to follow it' "symlink to a good config"
	ln -s "$TMP/nowhere" "$TMP/dangling.conf"
	refused "$TMP/dangling.conf" ': is a symbolic link' "dangling symlink"
}

t_conf_unsafe_owner_mode() {
	local m
	for m in 0664 0646 0660 0606; do
		base_conf
		cp -p "$CONF" "$TMP/m$m.conf" && chmod "$m" "$TMP/m$m.conf"
		refused "$TMP/m$m.conf" ": is writable by group or others \\(mode $m\\)" "mode $m"
	done
	cp -p "$CONF" "$TMP/owned.conf" && chown "$U1" "$TMP/owned.conf"
	refused "$TMP/owned.conf" ": is owned by uid $U1_UID, not root" "owned by the user"
}

t_conf_huge_binary_not_utf8() {
	# One byte over the cap; and a sparse 8 GiB file (refused unread: fast).
	$PY -c 'import sys; sys.stdout.write("on_error = fail\n" + ("#" * 63 + "\n") * 16384)' |
		write_conf "$TMP/huge.conf"
	refused "$TMP/huge.conf" ': is larger than 1048576 bytes' "1 MiB + 16 bytes"
	truncate -s 8G "$TMP/sparse.conf" && chmod 0644 "$TMP/sparse.conf"
	refused "$TMP/sparse.conf" ': is larger than 1048576 bytes' "sparse 8 GiB"
	printf 'on_error = fail\nmin_uid = 1\0000\ndefault { memory_max = "64M" }\n' | write_conf "$TMP/nul.conf"
	refused "$TMP/nul.conf" ':2: contains a NUL byte \(binary file\?\)' "NUL byte"
	# A real binary: the file's first bad byte is reported, whatever it is.
	cp /bin/true "$TMP/elf.conf" && chmod 0644 "$TMP/elf.conf"
	refused "$TMP/elf.conf" ':1: (contains a NUL byte|is not valid UTF-8)' "ELF binary"
	printf 'on_error = fail\n# caf\xe9 (Latin-1)\ndefault { memory_max = "64M" }\n' | write_conf "$TMP/latin1.conf"
	refused "$TMP/latin1.conf" ':2: is not valid UTF-8' "Latin-1"
	printf 'on_error = fail\nuser "\xc0\xafetc" { memory_max = "64M" }\n' | write_conf "$TMP/overlong.conf"
	refused "$TMP/overlong.conf" ':2: is not valid UTF-8' "overlong UTF-8"
}

# include() would read another file (unchecked), ${VAR} would read the
# environment, which under su is the user's.
t_conf_include_and_env() {
	write_conf "$TMP/inc.conf" <<<'exempt_users = {"'"$U1"'"}'
	write_conf "$TMP/include.conf" <<EOF
on_error = fail
cgroup_parent = "$TEST_PARENT"
include("$TMP/inc.conf")
EOF
	refused "$TMP/include.conf" ":3: no such option 'include'" "include()"
	write_conf "$TMP/env.conf" <<EOF
on_error = fail
cgroup_parent = "\${MEMCG_EVIL}"
EOF
	export MEMCG_EVIL=$TEST_PARENT/evil
	refused "$TMP/env.conf" ':2: "\$\{" is not allowed \(no environment expansion\)' '${VAR}'
	unset MEMCG_EVIL
	assert_gone "$CG_MNT/$TEST_PARENT/evil" '${VAR}: nothing made where the environment pointed'
	# Hidden in a comment, and in single quotes: refused all the same.
	printf "on_error = fail\n# \${HOME}\n" | write_conf "$TMP/env2.conf"
	refused "$TMP/env2.conf" ':2: "\$\{" is not allowed' '${VAR} in a comment'
}

# An empty file is refused (a write caught half-way, not a wish for every
# default with a parent at the hierarchy's root): the session opens
# unmoved and the log says why.
t_conf_empty() {
	: | write_conf "$TMP/empty.conf"
	pam_service svcempty "conf=$TMP/empty.conf" debug
	session svcempty "$U1" "$TMP/inspect.sh" "$TMP/e.txt" >"$TMP/e.out"
	assert_contains "$TMP/e.out" '^open=0$' "empty config: session opens"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/e.txt" cg)" "empty config: not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "^<3> pam_memcg.*$TMP/empty.conf: is empty" "empty config: refused with the reason"
	"$MEMCGCTL" check -c "$TMP/empty.conf" >"$TMP/e.check" 2>&1
	assert_eq 1 "$?" "memcgctl check refuses an empty config"
}

# Sessions open while the file changes: they keep their cgroup; the next
# open gets the new limits; a broken edit locks nobody out and leaves the
# limits in force alone; opens racing atomic replacements never fail.
t_conf_changed_while_open() {
	local dir=$CG_MNT/$TEST_PARENT/user-$U1_UID holder i flips
	base_conf fail
	session svc "$U1" sh -c "echo \$\$ >$TMP/holder.a; exec sleep 1000" >"$TMP/a.out" &
	T_PIDS+=($!)
	wait_for "[ -s $TMP/holder.a ] && [ -d $dir ]" 10 || fail "first session did not open"
	holder=$(cat "$TMP/holder.a")
	assert_eq 67108864 "$(cat "$dir/$F_MAX" 2>/dev/null)" "limit at first open"

	# An atomic replacement (as editors and config managers do).
	sed 's/64M/128M/' "$CONF" >"$CONF.new" && chmod 0644 "$CONF.new" && mv "$CONF.new" "$CONF"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/b.txt" >"$TMP/b.out"
	assert_contains "$TMP/b.out" '^open=0$' "open after the change"
	assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/b.txt" cg)" "same cgroup after the change"
	assert_eq 134217728 "$(val "$TMP/b.txt" max)" "next open gets the new limit"

	# A broken edit in place, half written.
	printf 'cgroup_parent = "%s"\non_error = fail\ndefault {\n  memory_max = "256M"\n' "$TEST_PARENT" >"$CONF"
	session svc "$U1" "$TMP/inspect.sh" "$TMP/c.txt" >"$TMP/c.out"
	assert_contains "$TMP/c.out" '^open=0$' "half-written config: session opens (on_error = fail not honoured from a broken file)"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/c.txt" cg)" "half-written config: not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "$(re "$CONF"):[45]: ends inside a section" "half-written config: file and line"
	assert_eq 134217728 "$(cat "$dir/$F_MAX" 2>/dev/null)" "half-written config: limit in force untouched"
	kill -0 "$holder" 2>/dev/null || fail "first session's process died"
	assert_contains /proc/"$holder"/cgroup "/$TEST_PARENT/user-$U1_UID\$" "first session still in its cgroup"

	# Fixed again: the next open applies it; its close keeps the cgroup.
	base_conf fail
	session svc "$U1" true >"$TMP/d.out"
	assert_contains "$TMP/d.out" '^close=0$' "close of a later session"
	assert_eq 67108864 "$(cat "$dir/$F_MAX" 2>/dev/null)" "fixed config applied"
	assert_exists "$dir" "cgroup kept while the first session is open"

	# 200 opens while the file is replaced 100 times under them.
	: >"$MEMCG_TEST_SYSLOG"
	session -n 200 svc "$U1" true >/dev/null 2>"$TMP/storm.err" &
	local storm=$!
	flips=0
	while kill -0 "$storm" 2>/dev/null && [ "$flips" -lt 100 ]; do
		for i in 96M 64M; do
			sed "s/\"[0-9]*M\"/\"$i\"/" "$CONF" >"$CONF.new" && chmod 0644 "$CONF.new" && mv "$CONF.new" "$CONF"
		done
		flips=$((flips + 1))
	done
	wait "$storm"
	assert_eq 0 "$?" "200 opens during $flips replacements all succeeded"
	assert_not_contains "$MEMCG_TEST_SYSLOG" '^<3> pam_memcg' "no error during the replacements"

	kill "$holder"
	wait_for "grep -q '^close=0' $TMP/a.out" 10 || fail "first session did not close"
	assert_gone "$dir" "cgroup removed at the last close"
	base_conf
}

# ============================================================================
# Users
# ============================================================================

# placed NAME UID WHAT: a session of NAME lands in user-UID with the limit.
placed() {
	local name=$1 uid=$2 what=$3
	: >"$MEMCG_TEST_SYSLOG"
	ns_session svc "$name" "$TMP/inspect.sh" "$TMP/p.txt" >"$TMP/p.out"
	assert_contains "$TMP/p.out" '^open=0$' "$what: session opens"
	assert_contains "$TMP/p.out" '^close=0$' "$what: session closes"
	assert_eq "/$TEST_PARENT/user-$uid" "$(val "$TMP/p.txt" cg)" "$what: in the cgroup of its uid"
	[ "$(val "$TMP/p.txt" cg)" = "/$TEST_PARENT/user-$uid" ] || sed 's/^/      | /' "$MEMCG_TEST_SYSLOG" "$TMP/p.out" >&2
	assert_eq 67108864 "$(val "$TMP/p.txt" max)" "$what: limited"
	assert_gone "$CG_MNT/$TEST_PARENT/user-$uid" "$what: cgroup removed at close"
	assert_contains "$MEMCG_TEST_SYSLOG" "\\(uid $uid\\) in $CG_MNT/$TEST_PARENT/user-$uid" "$what: debug line"
	if LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$MEMCG_TEST_SYSLOG"; then
		fail "$what: a control character reached the log: $(cat -v "$MEMCG_TEST_SYSLOG")"
	fi
}

t_users_odd_names() {
	base_conf fail
	placed "$N_SLASH" "$N_SLASH_UID" "name with /"
	placed "$N_DOTDOT" "$N_DOTDOT_UID" "name .."
	placed "$N_ESC" "$N_ESC_UID" "name with OSC and CSI sequences"
	assert_contains "$MEMCG_TEST_SYSLOG" 'user mc\\x1b\]0;owned\\x07\\x1b\[2J' "escapes shown escaped"
	placed "$N_OSC52" "$N_OSC52_UID" "name with an OSC 52 clipboard write"
	placed "$N_CR" "$N_CR_UID" "name with a carriage return"
	placed "$N_AT" "$N_AT_UID" "name with a remote mail domain"
	placed "$N_32" "$N_32_UID" "name of 32 characters"
	placed "$N_40" "$N_40_UID" "name of 40 characters"
}

# A name that is another user's uid is a name: its own uid decides, and a
# rule for that name does not reach the user with that uid.
t_users_numeric_name() {
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
default { memory_max = "64M" }
user "$N_NUM" { memory_max = "96M" }
EOF
	ns_session svc "$N_NUM" "$TMP/inspect.sh" "$TMP/n.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$N_NUM_UID" "$(val "$TMP/n.txt" cg)" "user \"$N_NUM\" is uid $N_NUM_UID"
	assert_eq 100663296 "$(val "$TMP/n.txt" max)" "rule for \"$N_NUM\" applies to that name"
	ns_session svc "$U1" "$TMP/inspect.sh" "$TMP/n1.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$U1_UID" "$(val "$TMP/n1.txt" cg)" "uid $U1_UID is $U1"
	assert_eq 67108864 "$(val "$TMP/n1.txt" max)" "rule for \"$N_NUM\" does not reach uid $N_NUM"
	base_conf
}

# PAM_USER that NSS does not know: logged (neutralised), let through.
t_users_unknown() {
	local mode name
	for mode in fail ignore; do
		base_conf "$mode"
		for name in "nosuch$$" $'nosuch\nFAKE: session opened for user root' $'nosuch\e]0;x\a'; do
			: >"$MEMCG_TEST_SYSLOG"
			session svc "$name" "$TMP/inspect.sh" "$TMP/u.txt" >"$TMP/u.out"
			assert_contains "$TMP/u.out" '^open=0$' "unknown user ($mode): let through"
			assert_eq "/$RUNNER_CG" "$(val "$TMP/u.txt" cg)" "unknown user ($mode): not moved"
			assert_contains "$MEMCG_TEST_SYSLOG" '^<3> .*cannot look up user "nosuch.*": unknown user; session not limited' \
				"unknown user ($mode): logged"
			assert_not_contains "$MEMCG_TEST_SYSLOG" '^FAKE' "unknown user ($mode): no forged log line"
			if LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$MEMCG_TEST_SYSLOG"; then
				fail "unknown user ($mode): a control character reached the log: $(cat -v "$MEMCG_TEST_SYSLOG")"
			fi
		done
	done
	assert_contains "$MEMCG_TEST_SYSLOG" 'nosuch\\x1b\]0;x\\x07' "unknown user: escapes shown escaped"
	base_conf
}

# uid 0 under another name is root: never limited, never denied, even
# when a rule names it, nothing exempts it and the hierarchy is broken.
t_users_uid0_alias() {
	local other=v1
	[ "$MC_VERSION" = 1 ] && other=v2
	write_conf "$CONF" <<EOF
cgroup_version = $other
cgroup_parent = "$TEST_PARENT"
min_uid = 0
exempt_users = {}
on_error = fail
user "$N_TOOR" { memory_max = "64M" }
EOF
	ns_session svc "$N_TOOR" "$TMP/inspect.sh" "$TMP/t.txt" >"$TMP/t.out"
	assert_contains "$TMP/t.out" '^open=0$' "$N_TOOR (uid 0) gets in"
	assert_eq "/$RUNNER_CG" "$(val "$TMP/t.txt" cg)" "$N_TOOR (uid 0) not moved"
	assert_contains "$MEMCG_TEST_SYSLOG" "user $N_TOOR has uid 0: not limited" "uid 0 logged under debug"
	ns_session svc root true >"$TMP/t2.out"
	assert_contains "$TMP/t2.out" '^open=0$' "root gets in"
	ns_run "$MEMCGCTL" explain -c "$CONF" "$N_TOOR" >"$TMP/t.explain" 2>&1
	assert_contains "$TMP/t.explain" "^exempt: +yes: uid 0" "memcgctl: uid 0 is exempt"
	base_conf
}

# 300 supplementary groups: a rule for the last one still matches, and the
# cost of an open is measured against a user in one group.
t_users_300_groups() {
	local t0 t1 per300 per1
	write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
exempt_groups = {"mcg$$-none"}
default { memory_max = "64M" }
group "mcg$$_$NGROUPS" { memory_max = "96M" }
EOF
	ns_run id -G "$N_GROUPS" | wc -w >"$TMP/g.count"
	assert_eq $((NGROUPS + 1)) "$(cat "$TMP/g.count")" "NSS sees $NGROUPS supplementary groups"
	ns_session svc "$N_GROUPS" "$TMP/inspect.sh" "$TMP/g.txt" >/dev/null
	assert_eq "/$TEST_PARENT/user-$N_GROUPS_UID" "$(val "$TMP/g.txt" cg)" "user in $NGROUPS groups placed"
	assert_eq 100663296 "$(val "$TMP/g.txt" max)" "rule for group $NGROUPS matched"
	t0=$EPOCHREALTIME
	ns_session -n 50 svc "$N_GROUPS" >/dev/null || fail "50 opens in $NGROUPS groups"
	t1=$EPOCHREALTIME
	per300=$(( (${t1/./} - ${t0/./}) / 50 ))
	t0=$EPOCHREALTIME
	ns_session -n 50 svc "$N_ONEGROUP" >/dev/null || fail "50 opens in 1 group"
	t1=$EPOCHREALTIME
	per1=$(( (${t1/./} - ${t0/./}) / 50 ))
	echo "    (open+close: $per300 us in $NGROUPS groups, $per1 us in 1 group)"
	# A pathological cost (group names looked up one by one over and over)
	# would be hundreds of times the cost in one group.
	[ "$per300" -lt $((per1 * 10 + 20000)) ] || fail "an open in $NGROUPS groups took $per300 us, in 1 group $per1 us"
	base_conf
}

# ============================================================================
# Terminal and mail text (the notifier, with an evil host name)
# ============================================================================

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

# Mail headers: exactly the expected ones, no CR, no control characters.
check_mail_headers() { # FILE WHAT
	local f=$1 what=$2
	$PY - "$f" <<'EOF' || fail "$what: $(cat "$TMP/hdr.err")"
import re, sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\n\n")
bad = []
if not sep:
    bad.append("no blank line after the headers")
if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", data):
    bad.append("control character in the message")
names = [l.split(b":", 1)[0] for l in head.split(b"\n")]
want = [b"To", b"From", b"Subject", b"Date", b"Auto-Submitted", b"MIME-Version",
        b"Content-Type", b"Content-Transfer-Encoding"]
if names != want:
    bad.append("headers %r" % names)
if bad:
    open(sys.argv[1] + ".why", "w").write("; ".join(bad))
    sys.exit(1)
EOF
	[ -e "$f.why" ] && cp "$f.why" "$TMP/hdr.err"
}

t_text_host_name() {
	local screen=$TMP/t.screen m
	notifier_setup
	rm -f "$TMP"/mail/*.eml
	kill_one "$N_T_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM (python3)' '$screen'" 5 || fail "no notice on the pty"
	assert_contains "$screen" 'Message from memcg-notifier@mc\\x0d\\x0aBcc: evil@example.org\\x1b\]0;T\\x07 at ' \
		"host name shown escaped on the terminal"
	if grep -q $'\e\|\a' "$screen"; then fail "a raw escape byte reached the pty"; fi
	wait_for "ls $TMP/mail/*.eml >/dev/null 2>&1" 5 || fail "no mail"
	m=$(ls "$TMP"/mail/*.eml 2>/dev/null | head -1)
	check_mail_headers "$m" "mail with an evil host name"
	assert_contains "$m" '^Subject: \[mc\\x0d\\x0aBcc: evil@example.org\\x1b\]0;T\\x07\] a process was killed' \
		"host name escaped in the subject"
	assert_contains "$m" "^To: $N_T\$" "mail to the user"
}

# Command names built from the sequences that abused wall(1) in 2024: OSC
# 52 (clipboard), DCS, C1 CSI in both encodings, a carriage return before
# a fake prompt.  (t_notifier covers OSC 0 and CSI.)  rate_limit is 0:
# every kill is told.
t_text_command_names() {
	local screen=$TMP/t.screen comm i
	notifier_setup
	local names=(
		'\x1b]52;c;ZXZp\x07'
		'\x1bP+q544e\x1b\\'
		'\xc2\x9b2J\xc2\x9d0;x'
		'\x9b31m\x9b2J'
		'ok\rPassword: '
	)
	local shown=(
		'\x1b]52;c;ZXZp\x07'
		'\x1bP+q544e\x1b\\'
		'\u009b2J\u009d0;x'
		'\x9b31m\x9b2J'
		'ok\x0dPassword: '
	)
	for i in "${!names[@]}"; do
		comm=${names[$i]}
		kill_one "$N_T_UID" "open(\"/proc/self/comm\", \"wb\").write(b\"$comm\")
$HOG"
		wait_for "grep -aq 'process: $VICTIM ' '$screen'" 5 ||
			{ fail "no notice for command $comm: $(grep -a "$VICTIM" "$NLOG" "$screen" | cat -v)"; continue; }
		grep -aqF "process: $VICTIM (${shown[$i]})" "$screen" ||
			fail "command $comm not shown as ${shown[$i]}: $(grep -a "process: $VICTIM" "$screen" | cat -v)"
	done
	if LC_ALL=C grep -aq $'[\x1b\x07\x9b\x9d]' "$screen"; then
		fail "a raw escape or C1 byte reached the pty: $(LC_ALL=C grep -a $'[\x1b\x07\x9b\x9d]' "$screen" | cat -v)"
	fi
	if LC_ALL=C grep -aq $'[\x1b\x07\x9b\x9d]' "$NLOG"; then fail "a raw escape byte reached the log"; fi
	for m in "$TMP"/mail/*.eml; do
		check_mail_headers "$m" "mail $(basename "$m")"
	done
}

# User names: escapes in the log are neutralised; a name that is no plain
# local mail address (a CR, an escape, a remote domain) gets no mail, with
# a reason in the log; the terminal notice still goes out.  A name of 32
# characters fills utmp's ut_user without a NUL and is still found.
t_text_user_names() {
	local s_esc=$TMP/esc.screen s_cr=$TMP/cr.screen s_at=$TMP/at.screen s32=$TMP/32.screen
	notifier_setup
	start_pty "$N_ESC_UID" 0620 "$s_esc"
	start_pty "$N_CR_UID" 0620 "$s_cr"
	start_pty "$N_AT_UID" 0620 "$s_at"
	start_pty "$N_32_UID" 0620 "$s32"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_ESC" "$(tty_of "$s_esc")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_CR" "$(tty_of "$s_cr")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_AT" "$(tty_of "$s_at")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_32" "$(tty_of "$s32")"
	rm -f "$TMP"/mail/*.eml
	kill_one "$N_ESC_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_esc'" 5 || fail "no notice for the user with escapes in the name"
	kill_one "$N_CR_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_cr'" 5 ||
		fail "no notice for the user with a CR in the name: $(grep -a "$VICTIM\|$N_CR_UID" "$NLOG" | cat -v; cat -v "$s_cr")"
	kill_one "$N_AT_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_at'" 5 || fail "no notice for the user $N_AT"
	kill_one "$N_32_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s32'" 5 || fail "no notice for the user with 32 characters (utmp full)"
	sleep 0.3
	assert_contains "$NLOG" "no mail for uid $N_CR_UID: the user name is not a plain mail address" "CR name: no mail, reason"
	assert_contains "$NLOG" "no mail for uid $N_AT_UID: the user name is not a plain mail address" "remote name: no mail, reason"
	assert_contains "$NLOG" "no mail for uid $N_ESC_UID: the user name is not a plain mail address" "ESC name: no mail, reason"
	assert_eq 1 "$(ls "$TMP"/mail/*.eml 2>/dev/null | wc -l)" "only the plain name got mail"
	assert_contains "$NLOG" "oom_kill: user mc\\\\x1b\]0;owned\\\\x07\\\\x1b\[2J$$ \\(uid $N_ESC_UID\\)" "ESC name escaped in the event line"
	assert_contains "$NLOG" "\\(uid $N_ESC_UID, user mc\\\\x1b" "ESC name escaped in the watching line"
	if LC_ALL=C grep -aq $'[\x01-\x09\x0b-\x1f\x7f]' "$NLOG"; then
		fail "a control character reached the notifier log: $(LC_ALL=C grep -a $'[\x01-\x09\x0b-\x1f\x7f]' "$NLOG" | cat -v)"
	fi
}

# utmp entries that point elsewhere: another user's terminal (directly, by
# a symlink, by a symlinked directory), a file, a fifo with a reader, all in
# a directory of the user's below /dev (as /dev/shm is everyone's).
# Nothing but the user's own terminal may receive a byte.
t_text_utmp_targets() {
	local mine=$TMP/mine.screen other=$TMP/other.screen ot f fifo_reader
	notifier_setup
	start_pty "$N_KA_UID" 0620 "$mine"
	start_pty "$N_OTHER_UID" 0620 "$other"
	ot=$(tty_of "$other")
	f=/dev/mc$$
	mkdir -m 0755 "$f" && DEVDIRS+=("$f")
	chown "$N_KA_UID" "$f"
	ln -s "/dev/$ot" "$f/link"
	ln -s /dev "$f/dir"
	: >"$f/file" && chown "$N_KA_UID" "$f/file" && chmod 0620 "$f/file"
	mkfifo -m 0620 "$f/fifo" && chown "$N_KA_UID" "$f/fifo"
	cat "$f/fifo" >"$TMP/fifo.out" &
	fifo_reader=$!
	T_PIDS+=("$fifo_reader")
	for line in "$ot" "mc$$/link" "mc$$/dir/$ot" "mc$$/file" "mc$$/fifo" "$(tty_of "$mine")"; do
		$PY "$TMP/utmp_add.py" "$UTMP" "$N_KA" "$line"
	done
	kill_one "$N_KA_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$mine'" 5 || fail "no notice on the user's own terminal"
	sleep 0.3
	[ ! -s "$other" ] || fail "another user's terminal received: $(cat -v "$other")"
	[ ! -s "$f/file" ] || fail "a plain file named in utmp was written to"
	kill "$fifo_reader" 2>/dev/null
	[ ! -s "$TMP/fifo.out" ] || fail "a fifo named in utmp was written to"
	assert_contains "$NLOG" "not writing to /dev/$ot of $N_KA: owned by someone else" "someone else's tty logged"
	assert_contains "$NLOG" "not writing to /dev/mc$$/link of $N_KA: .*(symbolic|link)" "symlink logged"
	assert_contains "$NLOG" "not writing to /dev/mc$$/file of $N_KA: not a terminal" "plain file logged"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
}

# ============================================================================
# Kernel log
# ============================================================================

# A program that crashes: the kernel logs "<comm>[pid]: segfault at ... in
# <its file name>[...]", and any user chooses that file name.
printf 'int main(void) { return *(volatile int *)0; }\n' >"$TMP/kl/segv.c"
cc -O0 -o "$TMP/kl/segv" "$TMP/kl/segv.c" || { echo "t_hostile: cannot build a crasher" >&2; exit 1; }

# Whether the kernel log holds a text (grep reads it all: with pipefail,
# grep -q would make dmesg die of SIGPIPE and the pipe fail).
klog_has() { dmesg | grep -F -- "$1" >/dev/null; }

# Fires the crasher under a forged name; returns once the kernel has
# logged the crash (printk is rate-limited: retried).
forge() { # forge UID NAME
	local uid=$1 name=$2 _try
	cp "$TMP/kl/segv" "$TMP/kl/$name" && chmod 755 "$TMP/kl/$name"
	for _try in 1 2 3; do
		{ bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3"' \
			_ "$CG_MNT/$NPARENT/user-$uid" "$uid" "$TMP/kl/$name"; } 2>/dev/null
		wait_for "klog_has '$name'" 2 && return 0
		sleep 5
	done
	fail "the kernel never logged the crash of \"$name\" (printk rate limit?)"
}

# A user names another user's process as "killed" in the kernel log: nobody
# is told, nothing is logged as a kill.
t_klog_forged_kill_line() {
	local sb=$TMP/kb.screen bpid before
	notifier_setup
	start_pty "$N_KB_UID" 0620 "$sb"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_KB" "$(tty_of "$sb")"
	# A live process in B's cgroup, so that /proc ties its pid to B.
	bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- sleep 1000' \
		_ "$CG_MNT/$NPARENT/user-$N_KB_UID" "$N_KB_UID" &
	bpid=$!
	T_PIDS+=("$bpid")
	sleep 0.1
	before=$(count "$NLOG" 'oom_kill\|outside_kill\|oom_group_kill')
	forge "$N_KA_UID" "x Killed process $bpid (sshd) total-vm:0kB"
	forge "$N_KA_UID" "Memory cgroup out of memory: Killed process $bpid (sshd) total-vm:0kB"
	sleep 0.5
	[ ! -s "$sb" ] || fail "a forged kill line reached the other user: $(cat -v "$sb")"
	assert_eq "$before" "$(count "$NLOG" 'oom_kill\|outside_kill\|oom_group_kill')" "kills logged after forged lines"
	assert_not_contains "$NLOG" "victim $bpid " "forged victim not logged"
	kill "$bpid" 2>/dev/null
}

# Decoys in the same cgroup as a real OOM: named like kernel log lines
# (prctl and exec of a copy), and forged segfault lines while the OOM is
# being reported.  The victim told and logged is the process really killed.
t_klog_real_victim_named() {
	local sa=$TMP/ka.screen d1 d2 d3 i
	notifier_setup
	: >"$sa"
	start_pty "$N_KA_UID" 0620 "$sa"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_KA" "$(tty_of "$sa")"
	in_cg "$N_KA_UID" 'import time
open("/proc/self/comm", "w").write("Killed process ")
time.sleep(1000)' 3>"$TMP/d1.pid" &
	T_PIDS+=($!)
	in_cg "$N_KA_UID" 'import time
open("/proc/self/comm", "w").write("oom-kill:constr")
time.sleep(1000)' 3>"$TMP/d2.pid" &
	T_PIDS+=($!)
	cp /bin/sleep "$TMP/kl/x invoked oom-killer: gfp_mask=0x0" && chmod 755 "$TMP/kl/x invoked oom-killer: gfp_mask=0x0"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" 1000' \
		_ "$CG_MNT/$NPARENT/user-$N_KA_UID" "$N_KA_UID" "$TMP/kl/x invoked oom-killer: gfp_mask=0x0" &
	d3=$!
	T_PIDS+=("$d3")
	wait_for "[ -s $TMP/d1.pid ] && [ -s $TMP/d2.pid ]" 5
	d1=$(cat "$TMP/d1.pid") d2=$(cat "$TMP/d2.pid")
	T_PIDS+=("$d1" "$d2")
	# Forged kill lines naming the decoys, fired while the real OOM runs.
	for i in "$d1" "$d2" "$d3"; do
		cp "$TMP/kl/segv" "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
		chmod 755 "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
	done
	(
		sleep 0.03
		for i in "$d1" "$d2" "$d3"; do
			bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3"' \
				_ "$CG_MNT/$NPARENT/user-$N_KA_UID" "$N_KA_UID" "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
		done
	) 2>/dev/null &
	local forger=$!
	kill_one "$N_KA_UID" "$HOG"
	wait "$forger"
	wait_for "grep -q 'process: $VICTIM (python3)' '$sa'" 5 || fail "the real victim $VICTIM was not told"
	sleep 0.5
	assert_eq 1 "$(count "$sa" 'A process of yours was killed')" "one notice for one kill"
	assert_contains "$NLOG" "oom_kill: user $N_KA .* victim $VICTIM \\(python3\\)" "real victim logged"
	for i in "$d1" "$d2" "$d3"; do
		assert_not_contains "$NLOG" "victim $i " "decoy $i not logged as a victim"
		kill -0 "$i" 2>/dev/null || fail "decoy $i was killed instead of the hog"
	done
	klog_has "Killed process $VICTIM (python3)" || fail "the kernel log does not show the real kill"
}

# run NAME FUNCTION: run_test, or skipped when T_ONLY (a glob) does not
# match NAME (for running one case while working on it).
run() {
	# shellcheck disable=SC2053 # T_ONLY is a glob
	[ -z "${T_ONLY:-}" ] || [[ $1 == $T_ONLY ]] || return 0
	run_test "$@"
}

run conf_not_a_file t_conf_not_a_file
run conf_unsafe_owner_mode t_conf_unsafe_owner_mode
run conf_huge_binary_not_utf8 t_conf_huge_binary_not_utf8
run conf_include_and_env t_conf_include_and_env
run conf_empty t_conf_empty
run conf_changed_while_open t_conf_changed_while_open
run users_odd_names t_users_odd_names
run users_numeric_name t_users_numeric_name
run users_unknown t_users_unknown
run users_uid0_alias t_users_uid0_alias
run users_300_groups t_users_300_groups
run text_host_name t_text_host_name
run text_command_names t_text_command_names
run text_user_names t_text_user_names
run text_utmp_targets t_text_utmp_targets
run klog_forged_kill_line t_klog_forged_kill_line
run klog_real_victim_named t_klog_real_victim_named
t_done
