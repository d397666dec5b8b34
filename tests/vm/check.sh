#!/bin/bash
# Runs the integration suite inside the VM lane in one cgroup mode (v2: pure
# cgroup v2; v1: the v1 memory controller on Debian's stable kernel) and
# records each result in build/results/vm-MODE, prefixed with the lane.
#   tests/vm/check.sh v2|v1 [TEST_FILE...]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?usage: check.sh v2|v1 [TEST_FILE...]}
shift
cd "$top"
results=$top/build/results
mkdir -p "$results"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	# Everything that exercises the kernel; installation is checked on the host.
	for f in tests/integration/t_*.sh; do
		[ "$(basename "$f")" = t_install.sh ] || files+=("$f")
	done
fi
out=$(mktemp -d /var/tmp/memcg-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
# Fewer concurrency cycles under software emulation; the same loops and users.
MEMCG_RESULTS=/mnt/vmout/results MEMCG_CONC_CYCLES=${MEMCG_VM_CONC_CYCLES:-25} \
	MEMCG_TEST_RATE_LIMIT=${MEMCG_TEST_RATE_LIMIT:-30} \
	"$top/tests/vm/run.sh" --mode "$mode" --out "$out" --timeout "${MEMCG_VM_TIMEOUT:-900}" \
	-- tests/integration/run.sh "${files[@]}"
rc=$?
: >"$results/vm-$mode"
if [ -f "$out/results/integration" ]; then
	sed "s|^\(PASS\|FAIL\) |\1 vm-$mode:|" "$out/results/integration" >>"$results/vm-$mode"
fi
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$results/vm-$mode"; then
	echo "FAIL vm-$mode:lane (exit status $rc: the VM or the suite did not finish)" >>"$results/vm-$mode"
fi
grep -c '^PASS ' "$results/vm-$mode" | xargs -I{} echo "vm-$mode: {} passed, $(grep -c '^FAIL ' "$results/vm-$mode") failed"
exit "$rc"
