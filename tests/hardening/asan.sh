#!/bin/bash
# Runs the unit tests and the integration tests (default t_module_*,
# t_concurrency, t_notifier_*, t_nf_efd) against the ASan+UBSan build in build/asan
# (`make asan` builds it).  Any sanitizer report fails the run.  Records
# PASS/FAIL lines in build/results/asan for tests/summary.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ab=$top/build/asan
results=$top/build/results
logs=$ab/logs
rm -rf "$logs" "$ab/results"
mkdir -p "$logs" "$results"
: >"$results/asan"

# The sanitized module is loaded by build/asan/tests/pamtest, itself built
# with ASan (libasan.so is its first dependency), or by pamtester, which gets
# the runtime through LD_PRELOAD (bin/pamtester).  pamtest runs with
# LD_PRELOAD=syslog_shim.so, which puts the shim ahead of libasan: harmless
# (the shim defines no allocator), hence verify_asan_link_order=0.
# Reports go to files under build/asan/logs: a sanitized process whose
# stderr is a user's pty or /dev/null must still be heard.
MEMCG_ASAN_RT=$(realpath "$(${CC:-cc} -print-file-name=libasan.so)")
export MEMCG_ASAN_RT
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99:verify_asan_link_order=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export MEMCG_BUILD=$ab MEMCG_RESULTS=$ab/results
export PATH=$here/bin:$PATH

rc=0
record() { # record PASS|FAIL NAME
	echo "$1 asan/$2" >>"$results/asan"
	[ "$1" = PASS ] || rc=1
}

echo "== unit tests (ASan+UBSan)"
for t in "$ab"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t" >"$logs/$(basename "$t").out" 2>&1; then
		record PASS "unit/$(basename "$t")"
	else
		record FAIL "unit/$(basename "$t")"
		tail -20 "$logs/$(basename "$t").out" >&2
	fi
done

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(t_module_limits t_module_config t_module_session t_concurrency t_notifier_tty t_notifier_burst t_notifier_lifecycle t_nf_efd)
args=()
for f in "${files[@]}"; do args+=("$top/tests/integration/${f%.sh}.sh"); done
"$top/tests/integration/run.sh" "${args[@]}"
sed -n 's/^\(PASS\|FAIL\) /\1 asan\//p' "$ab/results/integration" >>"$results/asan" 2>/dev/null
grep -q '^FAIL ' "$results/asan" && rc=1

# Every report is a failure, whoever's stderr it would have reached.
reports=("$logs"/asan.* "$logs"/ubsan.*)
found=0
for f in "${reports[@]}"; do
	[ -s "$f" ] || continue
	found=1
	echo "--- sanitizer report $f" >&2
	head -60 "$f" >&2
done
if [ "$found" -eq 0 ]; then
	record PASS sanitizer-reports
else
	record FAIL sanitizer-reports
fi
echo "asan: $(grep -c '^PASS' "$results/asan") passed, $(grep -c '^FAIL' "$results/asan") failed"
exit $rc
