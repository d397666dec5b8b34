#!/bin/bash
# Adds up the per-suite result files in DIR; prints failures and the total,
# and exits non-zero when anything failed or nothing ran.
set -uo pipefail
dir=${1:?usage: summary.sh RESULTS_DIR}
pass=$(cat "$dir"/* 2>/dev/null | grep -c '^PASS ')
fail=$(cat "$dir"/* 2>/dev/null | grep -c '^FAIL ')
if [ "$fail" -gt 0 ]; then
	echo "Failed:"
	grep -hs '^FAIL ' "$dir"/* | sed 's/^FAIL /  /'
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
