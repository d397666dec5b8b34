#!/usr/bin/env bash
# Runs one command inside a throwaway VM (Debian 12 kernel, the host's root
# read-only under a tmpfs overlay) and exits with the command's status; for
# tests that need a cgroup layout the host lacks, such as pure cgroup v2.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Our own failures use these so they are not read as the command's status
# (124 as timeout(1) does, 125 as container runners do).
EXIT_TIMEOUT=124
EXIT_VM=125

usage() {
	cat <<'EOF'
usage: tests/vm/run.sh [--mode v2|v1|systemd] [--timeout SECONDS] [--mem MB]
                       [--out DIR] [--verbose] -- CMD [ARGS...]

Boots a VM and runs CMD with ARGS (an argv, no shell involved) as root, in
the directory run.sh was started from, with PATH, HOME=/root, TERM=dumb and
the host's MEMCG_* variables. Its output streams to stdout; run.sh exits
with its status.

  --mode v2     cgroup v2 only, mounted at /sys/fs/cgroup (default)
  --mode v1     hybrid like the host: v1 controllers under /sys/fs/cgroup/NAME,
                an empty cgroup2 at /sys/fs/cgroup/unified
  --mode systemd
                /lib/systemd/systemd as PID 1 with the unified hierarchy;
                logind and dbus run, CMD runs from a oneshot unit
                (system.slice/memcg-vm-job.service)
  --timeout S   kill the VM after S seconds, boot included (default 600)
  --mem MB      guest memory (default 2048)
  --out DIR     host directory shared read-write as $MEMCG_VM_OUT and kept
                (default: a temp dir, removed at exit)
  --verbose     show the kernel's boot log and init's steps

Exit status: CMD's, or 124 on timeout, 125 when the VM itself failed
(kernel panic, init failure, no exit status came back) or on bad usage.
EOF
}

die() {
	printf 'vm: %s\n' "$*" >&2
	exit "$EXIT_VM"
}

mode=v2
timeout_s=600
mem_mb=2048
out_dir=
verbose=0
while [ $# -gt 0 ]; do
	case $1 in
	--mode) [ $# -ge 2 ] || die "--mode needs a value"; mode=$2; shift 2 ;;
	--mode=*) mode=${1#*=}; shift ;;
	--timeout) [ $# -ge 2 ] || die "--timeout needs a value"; timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--mem) [ $# -ge 2 ] || die "--mem needs a value"; mem_mb=$2; shift 2 ;;
	--mem=*) mem_mb=${1#*=}; shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out_dir=$2; shift 2 ;;
	--out=*) out_dir=${1#*=}; shift ;;
	--verbose | -v) verbose=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { usage >&2; die "no command given"; }
case $mode in v1 | v2 | systemd) ;; *) die "--mode must be v1, v2 or systemd, not '$mode'" ;; esac
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds"
if ! [[ $mem_mb =~ ^[1-9][0-9]*$ ]] || [ "$mem_mb" -lt 256 ]; then
	die "--mem must be a number of MB, at least 256"
fi

bash "$here/prepare.sh" || die "prepare.sh failed"
# shellcheck source=/dev/null
. "$repo/build/vm/current.env"

qemu_pid=
filter_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memcg-vm.XXXXXX")
cleanup() {
	local rc=$?
	# The pid is timeout(1)'s: it passes the signal on to qemu.
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	if [ -n "$filter_pid" ] && kill -0 "$filter_pid" 2>/dev/null; then
		kill "$filter_pid" 2>/dev/null || true
		wait "$filter_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$out_dir" ]; then
	mkdir -p "$out_dir"
	out=$(cd "$out_dir" && pwd)
else
	out=$tmp/out
	mkdir "$out"
fi
ctl=$out/.vm
rm -rf "$ctl"
mkdir "$ctl"

# A per-run token marks where the command's output starts and ends on the
# console, so nothing the command prints can be mistaken for the markers.
token="memcg-vm-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

cat >"$ctl/config" <<EOF
VM_MODE=$mode
VM_TOKEN=$token
VM_VERBOSE=$verbose
VM_HOSTNAME=memcg-vm
EOF

guest_out=/mnt/vmout
{
	echo '# Written by tests/vm/run.sh; run by bash inside the guest root.'
	printf 'cwd=%q\n' "$PWD"
	# Start from an empty environment: init's comes from the kernel command line.
	echo 'for v in $(compgen -e); do unset "$v"; done'
	echo 'cd -- "$cwd" 2>/dev/null || { echo "vm: working directory $cwd does not exist in the guest: it sees the host root, but /tmp, /run and /dev there are fresh" >&2; exit 125; }'
	while IFS= read -r name; do
		[[ $name == MEMCG_* ]] || continue
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(compgen -e)
	printf 'export PATH=%q HOME=/root TERM=dumb PWD="$cwd" MEMCG_VM_OUT=%q MEMCG_VM_MODE=%q\n' \
		/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$guest_out" "$mode"
	printf 'exec --'
	printf ' %q' "$@"
	printf '\n'
} >"$ctl/job"

append="console=ttyS0 panic=1"
[ "$verbose" = 1 ] || append="$append quiet"
[ "$mode" = v2 ] && append="$append cgroup_no_v1=all"
# systemd reads its options from the kernel command line; show_status=0
# keeps its boot and shutdown lines off the console the output comes on.
[ "$mode" = systemd ] &&
	append="$append systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 systemd.log_target=journal"

mkfifo "$tmp/console"
if [ "$verbose" = 1 ]; then
	cat <"$tmp/console" &
else
	# Shows only what lies between the markers, one line at a time as it
	# comes; firmware and boot noise before and the power-off note after stay
	# in the console log (.vm/console.log in the output directory).
	awk -v start="$token:start" -v end="$token:end" '
		state == 0 { if (index($0, start)) state = 1; next }
		state == 1 {
			i = index($0, end)
			if (i) {
				if (i > 1) print substr($0, 1, i - 1)
				state = 2
			} else {
				print
			}
			fflush()
		}
	' <"$tmp/console" &
fi
filter_pid=$!

# qemu options are comma-separated: a comma in a path must be doubled.
t0=$(date +%s.%N)
timeout --kill-after=10 "$timeout_s" \
	qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m "$mem_mb" \
	-nographic -nodefaults -no-reboot \
	-chardev "stdio,id=con,signal=off,logfile=${ctl//,/,,}/console.log" -serial chardev:con \
	-kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$append" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=${out//,/,,},mount_tag=vmout,security_model=none,multidevs=remap" \
	-device virtio-rng-pci \
	</dev/null >"$tmp/console" &
qemu_pid=$!
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=
wait "$filter_pid" || true
filter_pid=
t_end=$(date +%s.%N)

# Once the command has started its output, panic included, is already on
# stdout; before that, the console log is the only account of what went wrong.
console_tail() {
	if [ -s "$ctl/console.log" ] && ! grep -q -e "$token:start" "$ctl/console.log"; then
		echo "vm: the command never started; last lines of the console:" >&2
		# Firmware writes terminal escapes and the serial line CRLF.
		sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g; s/\r$//' "$ctl/console.log" |
			tail -n 40 | awk '{ print "vm: | " $0 }' >&2
	fi
}

if [ -f "$ctl/exit-code" ]; then
	rc=$(cat "$ctl/exit-code")
	[[ $rc =~ ^[0-9]+$ ]] || die "guest wrote a bad exit code '$rc'"
	started=$(stat -c %.3Y "$ctl/started")
	ended=$(stat -c %.3Y "$ctl/exit-code")
	awk -v m="$mode" -v t0="$t0" -v s="$started" -v e="$ended" -v t1="$t_end" -v rc="$rc" 'BEGIN {
		printf "vm: mode %s: boot to command %.1f s, command %.1f s, total %.1f s, exit status %d\n",
			m, s - t0, e - s, t1 - t0, rc
	}' >&2
	exit "$rc"
fi
console_tail
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	printf 'vm: timed out after %s s; qemu killed\n' "$timeout_s" >&2
	exit "$EXIT_TIMEOUT"
fi
if grep -q 'Kernel panic' "$ctl/console.log" 2>/dev/null; then
	die "the guest kernel panicked: $(grep -m1 'Kernel panic' "$ctl/console.log" | tr -d '\r')"
fi
if [ -s "$ctl/init-error" ]; then
	die "guest init failed: $(cat "$ctl/init-error")"
fi
die "no exit status came back from the guest (qemu exited with $qemu_rc)"
