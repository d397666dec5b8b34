#!/bin/bash
# Which notifier/*.c file calls which (docs/notifier.md lists it): the
# functions a file defines without "static", found called in another file.
# Prints "file -> callees" lines; exits 1 when the calls make a circle.
set -uo pipefail
cd "$(dirname "$0")/../../notifier" || exit 2

declare -A owner
for f in *.c; do
	# A definition: the name at the start of a line, its type on the line
	# before (the house style).
	while read -r fn; do
		[ "$fn" = main ] && continue
		grep -B1 -E "^$fn\(" "$f" | head -1 | grep -q '^static' && continue
		owner[$fn]=${f%.c}
	done < <(grep -oE '^[a-z_][a-z0-9_]*\(' "$f" | tr -d '(')
done

pairs=()
for f in *.c; do
	callees=()
	for fn in "${!owner[@]}"; do
		[ "${owner[$fn]}" = "${f%.c}" ] && continue
		grep -qE "\\b$fn\\(" "$f" && callees+=("${owner[$fn]}")
	done
	mapfile -t callees < <(printf '%s\n' "${callees[@]}" | sed '/^$/d' | sort -u)
	echo "${f%.c} -> ${callees[*]:-(none)}"
	for c in "${callees[@]}"; do pairs+=("${f%.c} $c"); done
done
# tsort fails on a circle.
printf '%s\n' "${pairs[@]}" | tsort >/dev/null 2>&1 || {
	echo "the notifier's files call each other in a circle" >&2
	exit 1
}
