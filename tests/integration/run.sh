#!/bin/bash
# Runs every integration test file (tests/integration/t_*.sh, or those named
# as arguments) against the real kernel and libpam.  Needs root.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they create users, cgroups and PAM services)" >&2
	exit 1
fi
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$here"/t_*.sh)
rc=0
for f in "${files[@]}"; do
	echo "== $(basename "$f")"
	bash "$f" || rc=1
done
exit $rc
