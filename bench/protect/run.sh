#!/bin/bash
# `make bench-protect`: what a neighbour sees while another user runs a
# memory hog, a CPU hog or a process storm, under each protection, each
# protection in its own throwaway VM (tests/vm/run.sh, 1 GiB, 2 vCPUs, no
# swap).  Writes bench/results/protect.md.  As root; see bench/README.md.
#   bench/protect/run.sh [PROT...]   (default: all, in the order below)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
MEM=${MEMCG_PROTECT_MEM:-1024}
VM_TIMEOUT=${MEMCG_PROTECT_VM_TIMEOUT:-540}
report=${MEMCG_PROTECT_REPORT:-$top/bench/results/protect.md}
# PROT:MODE, one VM each; the VMs that may hang come first in each lane.
all=(nothing:v2 earlyoom:v2 memcg-v2:v2 memcg-v1:v1 systemd:systemd memcg-systemd:systemd)
want=("$@")

# stress-ng runs in the guests, which see this machine's root: it is
# installed here (harmless: nothing starts it).  earlyoom and systemd-oomd
# have services, so they are only downloaded, and unpacked in a guest.
tests/deps.sh stress-ng || exit 1
[ -x build/bench/protect/probe ] || { echo "protect: build/bench/protect/probe missing (make bench-protect builds it)" >&2; exit 1; }
mkdir -p build/protect/debs
if ! ls build/protect/debs/earlyoom_*.deb build/protect/debs/systemd-oomd_*.deb >/dev/null 2>&1; then
	# systemd-oomd must be the version of the installed systemd.
	(cd build/protect/debs && apt-get download -q earlyoom \
		"systemd-oomd=$(dpkg-query -W -f='${Version}' systemd)") || exit 1
fi
# The systemd VM's PID 1, logind and pam_systemd come from this machine.
tests/deps.sh systemd dbus libpam-systemd || exit 1

# Raw data of each protection's VM: build/protect/out/PROT (kept for
# report.sh; a run naming some protections replaces only theirs).
raw=$top/build/protect/out
[ ${#want[@]} -gt 0 ] || rm -rf "$raw"
mkdir -p "$raw"
work=$(mktemp -d /var/tmp/memcg-protect.XXXXXX)
src=$top
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# The guest sees this machine's root but a fresh /tmp, /run and /dev: a
# checkout there is copied, with its build, to the work directory.
case "$top/" in
/tmp/* | /run/* | /dev/*)
	src=$work/src
	mkdir "$src"
	tar -C "$top" --exclude=./build/vm --exclude=./.git -cf - . | tar -C "$src" -xf -
	;;
esac

t0=$(date +%s)
for pm in "${all[@]}"; do
	prot=${pm%%:*} mode=${pm#*:}
	if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $prot "* ]]; then continue; fi
	rm -rf "${raw:?}/$prot"
	mkdir -p "$raw/$prot"
	echo "protect: $prot (VM $mode, ${MEM} MB)"
	s=$(date +%s)
	(cd "$src" && tests/vm/run.sh --mode "$mode" --mem "$MEM" --timeout "$VM_TIMEOUT" \
		--out "$raw/$prot" -- bash bench/protect/guest.sh "$prot") 2>&1 |
		sed -u 's/^/  | /'
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$raw/$prot/vm-rc"
	echo "$(($(date +%s) - s))" >"$raw/$prot/vm-seconds"
	echo "protect: $prot: VM exit $rc after $(cat "$raw/$prot/vm-seconds") s"
done
total=$(($(date +%s) - t0))
load=$(cut -d' ' -f1-3 /proc/loadavg)
bash bench/protect/report.sh "$raw" "$total s (this run: ${want[*]:-all})" "$load" >"$report.tmp" && mv "$report.tmp" "$report"
rm -f "$report.tmp"
cat "$report"
