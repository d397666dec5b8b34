#!/bin/bash
# Runs the integration suite inside the VM lane in one cgroup mode (v2: pure
# cgroup v2; v1: the v1 memory controller on Debian's stable kernel; systemd:
# systemd as PID 1 with logind, where t_systemd_*.sh run) and records each
# result in build/results/vm-MODE, prefixed with the lane.  The lane's
# output is kept in build/results/logs/vm-MODE.log; when it fails, the
# guest's journal, kernel log and console are kept in logs/vm-MODE-guest/.
#   tests/vm/check.sh v2|v1|systemd [TEST_FILE...]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?usage: check.sh v2|v1|systemd [TEST_FILE...]}
shift
cd "$top"
results=$top/build/results
# A directory: summary.sh adds up the files directly in results/ only.
logs=$results/logs
mkdir -p "$results" "$logs"
log=$logs/vm-$mode.log
guest_logs=$logs/vm-$mode-guest
files=("$@")
extra_env=()
if [ "$mode" = systemd ]; then
	# The guest is this machine's root: what PID 1, logind and the PAM stack
	# of the lane come from must be installed here.
	"$top/tests/deps.sh" systemd dbus libpam-systemd || exit 1
	# The other files make cgroups below the runner's, which under systemd
	# is a service with processes in it (cgroup v2 forbids that); and a
	# skip would be a silent pass here.
	[ ${#files[@]} -gt 0 ] || files=(tests/integration/t_systemd_*.sh)
	extra_env=(MEMCG_REQUIRE_SYSTEMD=1)
fi
if [ ${#files[@]} -eq 0 ]; then
	if [ "$mode" = v1 ]; then
		# v1 runs in full on the host; here the core suite checks the same
		# paths on Debian's stable kernel.
		files=(tests/integration/t_module_*.sh tests/integration/t_concurrency.sh
		       tests/integration/t_notifier_tty.sh tests/integration/t_notifier_burst.sh
		       tests/integration/t_notifier_lifecycle.sh tests/integration/t_nf_tasks.sh
		       tests/integration/t_logins_ssh.sh tests/integration/t_logins_local.sh)
	else
		# Everything that exercises the kernel; installation is checked on
		# the host, t_systemd_* in their own lane.
		for f in tests/integration/t_*.sh; do
			case "$(basename "$f")" in
			t_install.sh | t_systemd_*.sh) ;;
			*) files+=("$f") ;;
			esac
		done
	fi
fi
out=$(mktemp -d /var/tmp/memcg-vm.XXXXXX)
stage=""
trap 'rm -rf "$out" ${stage:+"$stage"}' EXIT
# The guest sees the host's root, but with fresh /tmp, /run and /dev: a
# checkout there (a CI clone, say) is copied, with its build, to /var/tmp.
case "$top/" in
/tmp/* | /run/* | /dev/*)
	stage=$(mktemp -d /var/tmp/memcg-vm-src.XXXXXX)
	tar -C "$top" --exclude=./build/vm --exclude=./.git -cf - . | tar -C "$stage" -xf -
	cd "$stage"
	;;
esac
# Fewer concurrency cycles under software emulation; the same loops and users.
env "${extra_env[@]}" MEMCG_RESULTS=/mnt/vmout/results MEMCG_CONC_CYCLES=${MEMCG_VM_CONC_CYCLES:-25} \
	MEMCG_TEST_RATE_LIMIT=${MEMCG_TEST_RATE_LIMIT:-30} \
	MEMCG_TEST_NOTICE_MS=${MEMCG_TEST_NOTICE_MS:-1000} \
	"$top/tests/vm/run.sh" --mode "$mode" --out "$out" --timeout "${MEMCG_VM_TIMEOUT:-1800}" \
	-- tests/integration/run.sh "${files[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
rm -rf "$guest_logs"
if [ "$rc" -ne 0 ]; then
	mkdir -p "$guest_logs"
	for f in journal.txt dmesg.txt console.log; do
		[ -f "$out/.vm/$f" ] && cp "$out/.vm/$f" "$guest_logs/"
	done
	echo "vm-$mode: failed (exit status $rc); output kept in ${log#"$top"/}, the guest's logs in ${guest_logs#"$top"/}/"
fi
: >"$results/vm-$mode"
if [ -f "$out/results/integration" ]; then
	sed "s|^\(PASS\|FAIL\) |\1 vm-$mode:|" "$out/results/integration" >>"$results/vm-$mode"
fi
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$results/vm-$mode"; then
	echo "FAIL vm-$mode:lane (exit status $rc: the VM or the suite did not finish)" >>"$results/vm-$mode"
fi
grep -c '^PASS ' "$results/vm-$mode" | xargs -I{} echo "vm-$mode: {} passed, $(grep -c '^FAIL ' "$results/vm-$mode") failed"
exit "$rc"
