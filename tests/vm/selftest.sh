#!/usr/bin/env bash
# Self-test of the VM test lane: boots run.sh in every mode (v2, v1,
# systemd) and checks the layout, memcg OOM kills, ptys, the environment, the output share and
# that exit statuses come back. Exits 0 only if every check passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run.sh

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/memcg-vm-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Helpers shared by the in-guest scripts; each check prints one TAP line,
# which the host counts.
guest_lib='
t() {
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fi
}
fstype() { stat -fc %T "$1"; }
# Fills 256 MiB (bytes multiplication touches every page, unlike calloc).
hog() {
	local procs=$1
	sh -c "echo \$\$ > $procs && exec /usr/bin/python3 -c \"b = b\\\"x\\\" * (256 << 20)\""
}
'

# Runs a guest script in one VM and counts its TAP lines; the run itself
# must exit 0 too.
guest_checks() {
	local label=$1 mode=$2 script=$3
	shift 3
	local log=$work/$label.log rc
	mkdir -p "$work/$label.out"
	{
		"$run" --mode "$mode" --out "$work/$label.out" -- \
			bash -c "$guest_lib$script" selftest "$@" 2>&1 &&
			echo 0 >"$work/$label.rc" || echo $? >"$work/$label.rc"
	} | tee "$log"
	rc=$(cat "$work/$label.rc")
	passed=$((passed + $(grep -c '^ok - ' "$log" || true)))
	failed=$((failed + $(grep -c '^not ok - ' "$log" || true)))
	if [ "$rc" = 0 ]; then pass "$label: run.sh exited 0"; else fail "$label: run.sh exited $rc"; fi
}

expect_status() {
	local label=$1 want=$2
	shift 2
	local rc=0
	"$run" "$@" || rc=$?
	if [ "$rc" = "$want" ]; then pass "$label: exit status $rc"; else fail "$label: exit status $rc, wanted $want"; fi
}

v2_script='
cg=/sys/fs/cgroup
t "v2: cgroup2 at /sys/fs/cgroup" [ "$(fstype $cg)" = cgroup2fs ]
t "v2: no v1 hierarchy mounted" eval "! grep -q \" cgroup \" /proc/mounts"
t "v2: memory in cgroup.controllers" grep -qw memory $cg/cgroup.controllers
t "v2: nothing enabled in subtree_control" [ -z "$(cat $cg/cgroup.subtree_control)" ]
echo +memory >$cg/cgroup.subtree_control
mkdir $cg/selftest
t "v2: child has memory.max" [ -f $cg/selftest/memory.max ]
echo 64M >$cg/selftest/memory.max
rc=0; { hog $cg/selftest/cgroup.procs; } 2>/dev/null || rc=$?
t "v2: allocation past memory.max is SIGKILLed" [ "$rc" = 137 ]
t "v2: memory.events shows oom_kill 1" grep -qx "oom_kill 1" $cg/selftest/memory.events
rmdir $cg/selftest
t "pty: script -qc true /dev/null" script -qc true /dev/null
t "pty: script gets a /dev/pts tty" eval "script -qc tty /dev/null | grep -q ^/dev/pts/"
t "pty: tmux starts a session" eval "tmux -S /tmp/selftest.tmux new-session -d \"sleep 30\" && tmux -S /tmp/selftest.tmux kill-server"
t "env: HOME=/root" [ "$HOME" = /root ]
t "env: TERM=dumb" [ "$TERM" = dumb ]
t "env: PATH has /usr/sbin" eval "case :\$PATH: in *:/usr/sbin:*) true;; *) false;; esac"
t "env: MEMCG_ variable passed through" [ "${MEMCG_SELFTEST_VALUE:-}" = "$1" ]
t "env: other host variables dropped" [ -z "${SELFTEST_NOT_PASSED:-}" ]
t "cwd is the caller directory" [ "$PWD" = "$2" ]
t "argv: quoting kept" [ "$3|$4|$5|$6" = "a b|c'"'"'d|\$HOME|*" ]
t "hostname is memcg-vm" [ "$(hostname)" = memcg-vm ]
t "loopback carries TCP" /usr/bin/python3 -c "import socket; s = socket.create_server((\"127.0.0.1\", 0)); socket.create_connection(s.getsockname()).close()"
t "/tmp /run /dev/shm are tmpfs" [ "$(fstype /tmp) $(fstype /run) $(fstype /dev/shm)" = "tmpfs tmpfs tmpfs" ]
t "root is writable (overlay)" touch /etc/memcg-vm-selftest
t "output share is writable" eval "echo artifact >\"\$MEMCG_VM_OUT/artifact\""
'

v1_script='
cg=/sys/fs/cgroup
t "v1: tmpfs at /sys/fs/cgroup" [ "$(fstype $cg)" = tmpfs ]
t "v1: memory.limit_in_bytes exists" [ -f $cg/memory/memory.limit_in_bytes ]
t "v1: cgroup2 at unified/" [ "$(fstype $cg/unified)" = cgroup2fs ]
t "v1: unified/ has no controllers" [ -z "$(cat $cg/unified/cgroup.controllers)" ]
mkdir $cg/memory/selftest
echo 64M >$cg/memory/selftest/memory.limit_in_bytes
rc=0; { hog $cg/memory/selftest/cgroup.procs; } 2>/dev/null || rc=$?
t "v1: allocation past the limit is SIGKILLed" [ "$rc" = 137 ]
t "v1: memory.oom_control shows oom_kill 1" grep -qx "oom_kill 1" $cg/memory/selftest/memory.oom_control
rmdir $cg/memory/selftest
t "pty: script -qc true /dev/null" script -qc true /dev/null
'

value=$'two words,\n a newline and \'quotes\''
cwd=$(cd "$here/.." && pwd)
(
	cd "$cwd"
	export MEMCG_SELFTEST_VALUE=$value SELFTEST_NOT_PASSED=1
	guest_checks v2 v2 "$v2_script" "$value" "$cwd" "a b" "c'd" '$HOME' '*'
	echo "$passed $failed" >"$work/counts"
)
read -r passed failed <"$work/counts"
if [ "$(cat "$work/v2.out/artifact" 2>/dev/null)" = artifact ]; then
	pass "output share: guest file reached the host"
else
	fail "output share: guest file did not reach the host"
fi
if [ ! -e /etc/memcg-vm-selftest ]; then
	pass "guest writes to / stay out of the host"
else
	fail "guest write to /etc reached the host"
fi

guest_checks v1 v1 "$v1_script"

systemd_script='
t "systemd: PID 1 is systemd" [ "$(cat /proc/1/comm)" = systemd ]
t "systemd: cgroup2 at /sys/fs/cgroup" [ "$(fstype /sys/fs/cgroup)" = cgroup2fs ]
t "systemd: the job runs in its unit" grep -qx "0::/system.slice/memcg-vm-job.service" /proc/self/cgroup
t "systemd: logind on the bus" eval "busctl --system status org.freedesktop.login1 >/dev/null"
t "systemd: /run/systemd/seats" [ -d /run/systemd/seats ]
t "systemd: ssh.service masked" [ "$(systemctl is-enabled ssh.service 2>/dev/null)" = masked ]
t "env: HOME=/root" [ "$HOME" = /root ]
t "output share is writable" eval "echo artifact >\"\$MEMCG_VM_OUT/artifact\""
'
guest_checks systemd systemd "$systemd_script"

expect_status "v2: false" 1 --mode v2 -- false
expect_status "v1: exit 7" 7 --mode v1 -- sh -c 'exit 7'
expect_status "systemd: exit 3" 3 --mode systemd -- sh -c 'exit 3'
# 3 s is less than a boot takes, so this always ends in the timeout path.
expect_status "timeout" 124 --timeout 3 -- sleep 600

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
