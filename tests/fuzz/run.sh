#!/bin/bash
# Runs each libFuzzer target in build/fuzz (`make fuzz-build`) for SECONDS
# seconds (default 60), one after the other, starting from the committed
# seeds in tests/fuzz/corpus/<target>/ (and the dictionary <target>.dict
# when there is one).  Inputs found on the way go to build/fuzz/corpus/,
# never into the repository.  A crash, a leak, a sanitizer report, a timeout
# or a broken invariant fails the target; the input that did it is kept in
# build/fuzz/artifacts/ (reproduce: build/fuzz/fuzz_<target> FILE).
# Records PASS/FAIL lines in build/results/fuzz for tests/summary.sh.
#   tests/fuzz/run.sh [SECONDS [TARGET...]]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fb=$top/build/fuzz
results=$top/build/results
secs=${1:-60}
shift || true
mkdir -p "$results" "$fb/artifacts"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		t=$(basename "$f" .c)
		targets+=("${t#fuzz_}")
	done
fi

# halt_on_error etc. are libFuzzer's defaults under ASan; UBSan is built
# with -fno-sanitize-recover, so any report ends the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0
for t in "${targets[@]}"; do
	bin=$fb/fuzz_$t
	log=$fb/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$t (not built: make fuzz-build)" >&2
		echo "FAIL fuzz/$t" >>"$results/fuzz"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$fb/corpus/$t"
	opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
	      -artifact_prefix="$fb/artifacts/$t-")
	[ -f "$here/$t.dict" ] && opts+=(-dict="$here/$t.dict")
	started=$SECONDS
	if "$bin" "${opts[@]}" "$fb/corpus/$t" "$here/corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "PASS fuzz/$t ($((SECONDS - started)) s, ${runs:-?} inputs)"
		echo "PASS fuzz/$t" >>"$results/fuzz"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz/$t ($((SECONDS - started)) s); log: $log"
		grep -a -m1 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" | sed 's/^/    /'
		grep -a 'Test unit written to' "$log" | sed 's/^/    /'
		echo "FAIL fuzz/$t" >>"$results/fuzz"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
