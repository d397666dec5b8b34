# Shared helpers for the integration tests (sourced, not run).  Finds the
# memory hierarchy and the runner's own cgroup, creates users, configs and
# PAM services for a test, and removes all of it on exit, pass or fail.
# shellcheck shell=bash

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${MEMCG_BUILD:-$TOP/build}
PAM_SO=$BUILD/pam_memcg.so
MEMCGCTL=$BUILD/memcgctl
NOTIFIER=$BUILD/memcg-notifier
PAMTEST=$BUILD/tests/pamtest
SHIM=$BUILD/tests/syslog_shim.so
HOG=$BUILD/tests/hog
RESULTS=${MEMCG_RESULTS:-$BUILD/results}
mkdir -p "$RESULTS"

T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0
T_USERS=()
T_GROUPS=()
T_PAMD=()
T_PIDS=()
T_CG_TREES=()	# "DIR|HOME": cgroup trees of other hierarchies to remove
T_CG_DIRS=()	# their ancestors the tests made, removed when empty

# --- the memory hierarchy and our place in it -------------------------------

# Sets MC_VERSION (1 or 2), CG_MNT (mount point) and RUNNER_CG (the cgroup
# this shell is in, relative to CG_MNT, "" for the root).
detect_cgroup() {
	local line fields
	MC_VERSION="" CG_MNT=""
	while read -r line; do
		# shellcheck disable=SC2206
		fields=($line)
		local i=6
		while [ "${fields[$i]}" != "-" ]; do i=$((i + 1)); done
		local type=${fields[$((i + 1))]} super=${fields[$((i + 3))]}
		if [ "$type" = cgroup2 ] && [ -z "$CG_MNT" ] &&
			grep -qw memory "${fields[4]}/cgroup.controllers" 2>/dev/null; then
			MC_VERSION=2 CG_MNT=${fields[4]}
		elif [ "$type" = cgroup ] && [[ ",$super," == *,memory,* ]] && [ "$MC_VERSION" != 2 ]; then
			MC_VERSION=1 CG_MNT=${fields[4]}
		fi
	done </proc/self/mountinfo
	[ -n "$CG_MNT" ] || { echo "no memory cgroup hierarchy found" >&2; exit 1; }
	if [ "$MC_VERSION" = 2 ]; then
		RUNNER_CG=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	else
		RUNNER_CG=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	fi
	RUNNER_CG=${RUNNER_CG#/}
}

# ctrl_mnt NAME: the mount point of the hierarchy with controller NAME (cpu,
# cpuacct, pids): on v2 the unified one when its root offers NAME (cpuacct:
# none, cpu.stat has the usage), on v1 the mount that carries it, alone or
# co-mounted; nothing when there is none.
ctrl_mnt() {
	if [ "$MC_VERSION" = 2 ]; then
		[ "$1" != cpuacct ] && grep -qw "$1" "$CG_MNT/cgroup.controllers" && echo "$CG_MNT"
		return 0
	fi
	awk -v c="$1" '{ for (i = 7; $i != "-"; i++); n = split($(i + 3), o, ",")
		if ($(i + 1) != "cgroup") next
		for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' /proc/self/mountinfo
}

# ctrl_runner_cg NAME: the runner's cgroup in the hierarchy of controller
# NAME, relative to its mount point ("" for the root).
ctrl_runner_cg() {
	local cg
	if [ "$MC_VERSION" = 2 ]; then
		cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	else
		cg=$(awk -F: -v c="$1" '{ n = split($2, o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $3 }' /proc/self/cgroup)
	fi
	cg=${cg#/}
	echo "$cg"
}

# follow_test_parent NAME VAR: the module puts a user's cgroup at TEST_PARENT in
# every hierarchy it uses.  In the hierarchy of controller NAME that path
# may begin above the runner's cgroup there (v1: the runner sits elsewhere
# in each hierarchy), so the part of it that does not exist yet is noted
# now and removed at exit (TEST_PARENT's own tree, and each ancestor made
# for it when it is empty): what the test made, nothing else.  Sets VAR to
# the user cgroups' parent directory in that hierarchy; fails when no
# hierarchy has the controller.
follow_test_parent() {
	local mnt home rel="" c
	mnt=$(ctrl_mnt "$1")
	[ -n "$mnt" ] || return 1
	home=$mnt/$(ctrl_runner_cg "$1")
	for c in ${TEST_PARENT//\// }; do
		rel=${rel:+$rel/}$c
		[ "$rel" != "$TEST_PARENT" ] && [ ! -d "$mnt/$rel" ] && T_CG_DIRS+=("$mnt/$rel")
	done
	[ "$mnt" != "$CG_MNT" ] && T_CG_TREES+=("$mnt/$TEST_PARENT|$home")
	printf -v "$2" '%s' "$mnt/$TEST_PARENT"
}

detect_cgroup
# Every cgroup a test makes lives below this one.
T_ID=mct$$
TEST_PARENT=${RUNNER_CG:+$RUNNER_CG/}memcg-test-$$
TEST_PARENT_DIR=$CG_MNT/$TEST_PARENT
TMP=$(mktemp -d /tmp/memcg-test.XXXXXX)
chmod 755 "$TMP"
export MEMCG_TEST_SYSLOG=$TMP/syslog

# Files a v1 or v2 cgroup shows for each limit.
if [ "$MC_VERSION" = 2 ]; then
	F_MAX=memory.max F_HIGH=memory.high F_OOMCTL=memory.events
else
	F_MAX=memory.limit_in_bytes F_HIGH=memory.soft_limit_in_bytes F_OOMCTL=memory.oom_control
fi

# --- cleanup ----------------------------------------------------------------

# remove_cgroup_tree DIR [HOME]: removes a cgroup tree bottom-up, first
# moving any process still in it (only ours can be there) back to HOME, the
# runner's cgroup directory in that hierarchy (default: in the memory one).
remove_cgroup_tree() {
	local top=$1 home=${2:-$CG_MNT/$RUNNER_CG} d p
	[ -d "$top" ] || return 0
	while read -r d; do
		if [ -f "$d/cgroup.procs" ]; then
			while read -r p; do
				echo "$p" >"$home/cgroup.procs" 2>/dev/null || kill -9 "$p" 2>/dev/null
			done <"$d/cgroup.procs"
		fi
		rmdir "$d" 2>/dev/null || { sleep 0.2; rmdir "$d" 2>/dev/null; } ||
			echo "cleanup: could not remove cgroup $d" >&2
	done < <(find "$top" -depth -type d)
}

t_cleanup() {
	local p u g f
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for u in "${T_USERS[@]}"; do
		pkill -9 -u "$u" 2>/dev/null
		userdel -r -f "$u" >/dev/null 2>&1
	done
	for g in "${T_GROUPS[@]}"; do groupdel "$g" >/dev/null 2>&1; done
	for f in "${T_PAMD[@]}"; do rm -f "$f"; done
	remove_cgroup_tree "$TEST_PARENT_DIR"
	for f in "${T_CG_TREES[@]}"; do remove_cgroup_tree "${f%%|*}" "${f#*|}"; done
	# Ancestors of those made for them, deepest first; only when empty
	# (another run may share them).
	for ((f = ${#T_CG_DIRS[@]} - 1; f >= 0; f--)); do rmdir "${T_CG_DIRS[$f]}" 2>/dev/null; done
	rm -rf "$TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# --- fixtures ---------------------------------------------------------------

# add_group NAME
add_group() {
	T_GROUPS+=("$1")
	groupadd "$1"
}

# add_user NAME [SUPPLEMENTARY_GROUPS]: a regular user with a home directory.
add_user() {
	local extra=()
	[ -n "${2:-}" ] && extra=(-G "$2")
	T_USERS+=("$1")
	useradd -m -s /bin/bash "${extra[@]}" "$1"
}

uid_of() { id -u "$1"; }

# write_conf PATH: the config from stdin, owned by root, mode 0644.
write_conf() {
	cat >"$1" && chmod 0644 "$1" && chown root:root "$1"
}

# pam_service NAME [MODULE ARGS...]: a service in $TMP/pam.d using the built
# module, then pam_permit (so that PAM_IGNORE from us still opens a session).
pam_service() {
	local name=$1
	shift
	mkdir -p "$TMP/pam.d"
	printf 'session required %s %s\nsession required pam_permit.so\n' \
		"$PAM_SO" "$*" >"$TMP/pam.d/$name"
}

# system_pam_service NAME CONTENT: a service in /etc/pam.d, removed at exit.
system_pam_service() {
	printf '%s\n' "$2" >"/etc/pam.d/$1"
	T_PAMD+=("/etc/pam.d/$1")
}

# session SERVICE USER [CMD...]: opens a session through $TMP/pam.d, runs CMD
# in it, closes it.  The module's syslog lines go to $MEMCG_TEST_SYSLOG.
session() {
	LD_PRELOAD=$SHIM "$PAMTEST" -d "$TMP/pam.d" "$@"
}

user_cg() { echo "$TEST_PARENT/user-$(uid_of "$1")"; }
user_cg_dir() { echo "$CG_MNT/$(user_cg "$1")"; }

# --- assertions -------------------------------------------------------------

T_CUR=""
T_CUR_FAILED=0

fail() {
	echo "    not ok: $*" >&2
	T_CUR_FAILED=1
}

assert_eq() { # assert_eq EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_contains() { # assert_contains FILE PATTERN WHAT
	grep -qE -- "$2" "$1" 2>/dev/null || {
		fail "$3: no line matching /$2/ in $1"
		sed 's/^/      | /' "$1" >&2 2>/dev/null
	}
}

assert_not_contains() {
	! grep -qE -- "$2" "$1" 2>/dev/null || fail "$3: unexpected line matching /$2/ in $1"
}

assert_gone() { [ ! -e "$1" ] || fail "$2: $1 still exists"; }
assert_exists() { [ -e "$1" ] || fail "$2: $1 does not exist"; }

# run_test NAME FUNCTION: runs one test case, records PASS or FAIL.
run_test() {
	local started=$EPOCHREALTIME
	T_CUR=$1
	T_CUR_FAILED=0
	: >"$MEMCG_TEST_SYSLOG"
	"$2"
	local ms=$(( (${EPOCHREALTIME/./} - ${started/./}) / 1000 ))
	if [ "$T_CUR_FAILED" -eq 0 ]; then
		echo "PASS $T_NAME/$1 (${ms} ms)"
		echo "PASS $T_NAME/$1" >>"$RESULTS/integration"
		T_PASS=$((T_PASS + 1))
	else
		echo "FAIL $T_NAME/$1 (${ms} ms)"
		echo "FAIL $T_NAME/$1" >>"$RESULTS/integration"
		T_FAIL=$((T_FAIL + 1))
	fi
}

# t_done: at the end of a test file.
t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# wait_for COND_COMMAND [TIMEOUT_SECONDS]: polls until the command succeeds.
wait_for() {
	local deadline=$((SECONDS + ${2:-10}))
	until eval "$1"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# Fixtures shared by several test files.
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "${BASH_SOURCE[0]}")/fixtures.sh"
