#!/bin/bash
# Runs the cmocka unit test programs given as arguments; records a pass or
# fail per program in build/results and prints a one-line total.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/results
mkdir -p "$results"
pass=0 fail=0
for t in "$@"; do
	name=$(basename "$t")
	if "$t"; then
		echo "PASS unit/$name" >>"$results/unit"
		pass=$((pass + 1))
	else
		echo "FAIL unit/$name" >>"$results/unit"
		echo "FAILED: unit/$name" >&2
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
