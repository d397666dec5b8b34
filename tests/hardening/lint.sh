#!/bin/bash
# `make lint`: cppcheck and clang-tidy (checks in .clang-tidy) over lib/,
# pam_memcg/, notifier/, memcgctl/ and the fuzz and hardening sources, and
# no circle of calls between the notifier's files.  Any finding fails.
# Records PASS/FAIL lines in build/results/lint.
# Suppressions, each with its reason, are in docs/hardening.md and
# .clang-tidy; in-line ones name the check and say why.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
results=$top/build/results
log=$top/build/lint
mkdir -p "$results" "$log"
files=(lib/*.c pam_memcg/*.c notifier/*.c memcgctl/*.c tests/fuzz/*.c tests/hardening/*.c)
rc=0

record() { # record NAME STATUS
	if [ "$2" -eq 0 ]; then
		echo "PASS lint/$1"
		echo "PASS lint/$1" >>"$results/lint"
	else
		echo "FAIL lint/$1 (see build/lint/$1.log)" >&2
		echo "FAIL lint/$1" >>"$results/lint"
		rc=1
	fi
}

# variableScope: declarations at the top of a function are the house
# style.  readdirCalled: readdir_r is deprecated; readdir on a DIR of one's
# own is thread-safe in glibc.  missingIncludeSystem: cppcheck need not
# read the system headers to check our code.
cppcheck --enable=warning,style,performance,portability --std=c11 \
	-D_GNU_SOURCE -D__linux__ -D__x86_64__ -Ilib --library=posix \
	--inline-suppr --quiet --error-exitcode=1 \
	--suppress=missingIncludeSystem --suppress=variableScope --suppress=readdirCalled \
	--template='{file}:{line}: {severity}: {message} [{id}]' \
	"${files[@]}" >"$log/cppcheck.log" 2>&1
st=$?
[ -s "$log/cppcheck.log" ] && { cat "$log/cppcheck.log" >&2; st=1; }
record cppcheck "$st"

# One clang-tidy per file, as many at once as there are CPUs.
printf '%s\n' "${files[@]}" |
	xargs -P "$(nproc)" -I{} clang-tidy --quiet {} -- -D_GNU_SOURCE -Ilib -std=gnu11 \
	>"$log/clang-tidy.log" 2>"$log/clang-tidy.err"
st=$?
if grep -qE '(warning|error):' "$log/clang-tidy.log" "$log/clang-tidy.err"; then
	grep -hE '(warning|error):' "$log/clang-tidy.log" "$log/clang-tidy.err" >&2
	st=1
fi
record clang-tidy "$st"

# The notifier's files call one way, top to bottom (docs/notifier.md).
"$top/tests/hardening/nf_calls.sh" >"$log/nf_calls.log" 2>&1
record nf_calls $?
exit $rc
