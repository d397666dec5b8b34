#!/bin/bash
# Runs inside one VM of `make bench-protect` (bench/protect/run.sh boots it):
# sets up one protection, then runs each scenario as a cell: B (the
# neighbour) logs in through PAM and probes; after a baseline A (the
# aggressor) logs in through PAM and runs a hog; then both are stopped.
# Raw data goes to $MEMCG_VM_OUT/PROT/; bench/protect/report.sh reads it.
#   bench/protect/guest.sh PROT
# PROT: nothing | earlyoom | memcg-v2 | memcg-v1 | systemd | memcg-systemd
set -uo pipefail
prot=${1:?usage: guest.sh PROT}
top=$(cd "$(dirname "$0")/../.." && pwd)
P=$top/build/bench/protect/probe
PAM_SO=$top/build/pam_memcg.so
NOTIFIER=$top/build/memcg-notifier
debs=$top/build/protect/debs
out=$MEMCG_VM_OUT
BASE=${MEMCG_PROTECT_BASE:-6}
HOG=${MEMCG_PROTECT_HOG:-20}
# mem-many last: with nothing in place it hung the VM for minutes.
SCENARIOS=${MEMCG_PROTECT_SCENARIOS:-cpu storm mem-big mem-many}
STORM_MAX=${MEMCG_PROTECT_STORM_MAX:-3000}
KEEP_MIB=${MEMCG_PROTECT_KEEP_MIB:-200}
BIG_MIB=${MEMCG_PROTECT_BIG_MIB:-900}
mkdir -p "$out"

# The harness is never the OOM killer's choice; what it starts as a user is
# put back to 0 first (the value is inherited).
echo -1000 >/proc/self/oom_score_adj
# The task list in each OOM report would flood the kernel log (a storm has
# thousands); the choice of victim does not depend on it.
sysctl -q vm.oom_dump_tasks=0

up() { local u _r; read -r u _r </proc/uptime; echo "$u"; }
# stamp: prefixes each line with the time since boot (the kernel log's clock).
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$(up)" "$l"; done; }

A=protA B=protB
for u in "$A" "$B"; do useradd -m -s /bin/bash "$u" || exit 1; done
UID_A=$(id -u "$A") UID_B=$(id -u "$B")
install -d -o "$A" /tmp/pa
install -d -o "$B" /tmp/pb
dmesg -w >"$out/klog.txt" 2>&1 &

CONF=/tmp/pam_memcg.conf
limits='memory_max = "400M"  cpu_max = "1"  tasks_max = 200'
memcg_line=""
sd_line=""
case $prot in
memcg-*)
	backend=cgroupfs
	[ "$prot" = memcg-systemd ] && backend=systemd
	cat >"$CONF" <<EOF
cgroup_backend = $backend
cgroup_parent = "protect"
min_uid = 1000
default { $limits }
notify { tty = true  mail = false  rate_limit = 2  warn_at = "off" }
EOF
	memcg_line="session required $PAM_SO conf=$CONF"
	"$NOTIFIER" -c "$CONF" -d 2>&1 | stamp >"$out/notifier.log" &
	;;
earlyoom)
	# Debian's package, its default arguments (/etc/default/earlyoom),
	# unpacked in the guest only.
	mkdir -p /tmp/eo && dpkg -x "$debs"/earlyoom_*.deb /tmp/eo || exit 1
	# shellcheck disable=SC1091
	. /tmp/eo/etc/default/earlyoom
	# shellcheck disable=SC2086
	(echo 0 >/proc/self/oom_score_adj; exec stdbuf -oL /tmp/eo/usr/bin/earlyoom $EARLYOOM_ARGS) 2>&1 |
		stamp >"$out/earlyoom.log" &
	;;
systemd)
	mkdir -p /etc/systemd/system/user-.slice.d
	printf '[Slice]\nMemoryMax=400M\nCPUQuota=100%%\nTasksMax=200\n' \
		>/etc/systemd/system/user-.slice.d/50-protect.conf
	# Debian's systemd-oomd with its defaults, in the guest only: its files
	# copied in, its user made as its postinst would, started without
	# waiting. (dpkg -i took over a minute reading its database through 9p
	# on a loaded host; a first try, dpkg -i then a blocking start, never
	# came back.)
	# Unpacked aside and copied into the directories: `dpkg -x` over / made
	# /lib (a symlink into /usr on Debian 12) a directory and broke the guest.
	if dpkg -x "$debs"/systemd-oomd_*.deb /tmp/oomd >"$out/oomd-install.log" 2>&1 &&
		cp -a /tmp/oomd/etc/. /etc/ && cp -a /tmp/oomd/lib/. /lib/ && cp -a /tmp/oomd/usr/. /usr/ &&
		systemd-sysusers /usr/lib/sysusers.d/systemd-oom.conf >>"$out/oomd-install.log" 2>&1; then
		systemctl daemon-reload
		systemctl start --no-block systemd-oomd.socket systemd-oomd.service >>"$out/oomd-install.log" 2>&1
		for _ in $(seq 1 40); do
			systemctl is-active -q systemd-oomd && break
			sleep 0.5
		done
	fi
	systemctl is-active systemd-oomd >"$out/oomd-active" 2>&1
	oomctl >"$out/oomctl.txt" 2>&1
	systemctl daemon-reload
	;;
esac
if [ "$MEMCG_VM_MODE" = systemd ]; then
	sd_line="session optional pam_systemd.so"
	# The users' service managers (user@UID.service) are not started: the
	# logins here are su -l sessions (session scopes), and on a loaded host
	# the managers' start timed out and held each login up meanwhile.
	systemctl mask -q user@.service
	systemctl daemon-reload
fi

# The PAM stack of su -l in the guest (its /etc is a tmpfs overlay).
cat >/etc/pam.d/su-l <<EOF
auth sufficient pam_rootok.so
auth required pam_deny.so
account required pam_permit.so
password required pam_deny.so
session required pam_unix.so
$sd_line
$memcg_line
EOF
{
	echo "kernel $(uname -r)"
	echo "mode $MEMCG_VM_MODE"
	echo "mem_kib $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
	echo "swap_kib $(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)"
	echo "cpus $(nproc)"
	echo "uid_a $UID_A"
	echo "uid_b $UID_B"
} >"$out/env"

# as_user USER CMD: a PAM login (su -l), no terminal.
as_user() { (echo 0 >/proc/self/oom_score_adj; exec su -l "$1" -c "$2") </dev/null >/dev/null 2>&1; }
# as_user_tty USER CMD FILE: the same on a pty whose output goes to FILE.
as_user_tty() {
	(echo 0 >/proc/self/oom_score_adj; exec script -qfec "su -l $1 -c '$2'" "$3") </dev/null >/dev/null 2>&1
}
pids_of() { ps -o pid= -u "$1" 2>/dev/null | tr -d ' '; }
# stop_user USER: SIGKILL to every process of the user, by pid, until none.
stop_user() {
	local _ pids
	for _ in $(seq 1 100); do
		pids=$(pids_of "$1")
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		sleep 0.3
	done
	return 1
}

hog_cmd() {
	case $1 in
	cpu) echo "stress-ng --cpu 4 --timeout ${HOG}s" ;;
	storm) echo "$P storm $STORM_MAX /tmp/pa/storm.txt" ;;
	mem-many) echo "for i in 1 2 3 4 5 6; do (while :; do $P hog 150; done) & done; wait" ;;
	# One mapping larger than RAM + swap is refused at mmap under the
	# default overcommit heuristic (stress-ng then skips the stressor): 900
	# MiB is near all of the VM's 958 and far above what is free beside B.
	mem-big) echo "stress-ng --vm 1 --vm-bytes ${BIG_MIB}M --vm-keep --timeout ${HOG}s" ;;
	esac
}

cell() {
	local s=$1 d=$out/$1 rootp bsu asu copier t_start t_hog t_end keeper probe_alive t0 t1
	mkdir -p "$d"
	: >"$d/meta"
	rm -f /tmp/pb/probe.txt /tmp/pa/storm.txt
	echo "bench-protect: $prot $s start" >/dev/kmsg
	t_start=$(up)
	echo "t_start $t_start" >>"$d/meta"
	"$P" probe "$d/root.txt" 4 50 &
	rootp=$!
	as_user "$B" "$P keep $KEEP_MIB & exec $P probe /tmp/pb/probe.txt 64 50" &
	bsu=$!
	# B's samples reach the output share every 2 s, so that a VM that
	# hangs still leaves them.
	(while :; do cp /tmp/pb/probe.txt "$d/b.txt" 2>/dev/null; sleep 2; done) &
	copier=$!
	# The baseline starts once B's probe answers (a login after a heavy
	# cell took over 15 s on a loaded host).
	for _ in $(seq 1 120); do
		[ -s /tmp/pb/probe.txt ] && break
		sleep 0.5
	done
	sleep "$BASE"
	t_hog=$(up)
	echo "t_hog $t_hog" >>"$d/meta"
	as_user_tty "$A" "$(hog_cmd "$s")" "$d/a_term.txt" &
	asu=$!
	sleep "$HOG"
	t_end=$(up)
	# shellcheck disable=SC2009 # by uid and argv, not by name
	probe_alive=$(ps -o args= -u "$B" 2>/dev/null | grep -c "probe probe")
	t0=$(up)
	stop_user "$A"
	t1=$(up)
	# The keeper counts as killed whenever it died before A was stopped.
	# shellcheck disable=SC2009
	keeper=$(ps -o args= -u "$B" 2>/dev/null | grep -c "probe keep")
	stop_user "$B"
	kill "$rootp" "$copier" 2>/dev/null
	wait "$rootp" "$bsu" "$asu" "$copier" 2>/dev/null
	cp /tmp/pb/probe.txt "$d/b.txt" 2>/dev/null
	cp /tmp/pa/storm.txt "$d/storm.txt" 2>/dev/null
	cat >>"$d/meta" <<EOF
t_end $t_end
keeper_alive $keeper
probe_alive $probe_alive
t_clean $t1
a_stop_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
EOF
	if [ "$MEMCG_VM_MODE" = systemd ]; then
		journalctl -b -o short-monotonic --no-pager -u systemd-oomd >"$out/oomd.log" 2>/dev/null
	fi
	echo "bench-protect: $prot $s done" >/dev/kmsg
	echo "protect: $prot $s done ($(awk -v a="$t_start" -v b="$(up)" 'BEGIN { printf "%.0f", b - a }') s)"
	sync
	sleep 2
}

for s in $SCENARIOS; do cell "$s"; done
echo finished >"$out/finished"
