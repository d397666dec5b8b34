#!/bin/bash
# Runs the benchmarks side by side against this machine's kernel and libpam
# and writes one Markdown report to stdout and bench/results/latest.md.
# Needs root: it creates users, PAM services and cgroups (all below its own
# cgroup), and for pam_cgroup /etc/cgrules.conf and /etc/cgconfig.conf; it
# removes or restores all of it on exit, pass or fail.
#
# Environment (defaults in brackets):
#   BENCH_ITER [2000] BENCH_WARMUP [200] BENCH_ROUNDS [5]   session cost
#   BENCH_STORM_WORKERS [64] BENCH_STORM_USERS [16]          login storm
#   BENCH_STORM_SESSIONS [100]  sessions per worker
#   BENCH_BREAKDOWN_ITER [1000]  where pam_memcg's time goes, step by step
#   BENCH_CONFIG_ROUNDS [20]  config loads per size (usual size to 1 MiB)
#   BENCH_NOTIFIER_KILLS [50] BENCH_NOTIFIER_GAP_MS [600]    notifier latency:
#   BENCH_NOTIFIER_BURST [20]     spaced kills, then back-to-back ones
#   BENCH_NOTIFIER_USERS [10000]  idle user cgroups for the scale runs
#   BENCH_NOTIFIER_IDLE_USERS [1000] BENCH_NOTIFIER_IDLE_SECS [60]  idle cost
#   BENCH_OUT [bench/results/latest.md]
# Exit status: 0 when every correctness check held (performance targets are
# reported as PASS/MISS but do not fail the run), 1 when one did not, 2 when
# the benchmark could not run.
# shellcheck disable=SC2317 # the clean-up functions run from the EXIT trap
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$TOP/build
OUT=${BENCH_OUT:-$TOP/bench/results/latest.md}
ITER=${BENCH_ITER:-2000}
WARMUP=${BENCH_WARMUP:-200}
ROUNDS=${BENCH_ROUNDS:-5}
WORKERS=${BENCH_STORM_WORKERS:-64}
SUSERS=${BENCH_STORM_USERS:-16}
SESSIONS=${BENCH_STORM_SESSIONS:-100}
# The limits every module applies: 256M of memory, 64M of swap on top.
MAX_BYTES=268435456
SWAP_BYTES=67108864
# The session-cost rows with all three budgets add these to the memory
# limits: cpu_max = "2" (200 ms per 100 ms period) and tasks_max = 512.
BUDGET_CPUS=2
BUDGET_QUOTA_US=200000
BUDGET_TASKS=512
BREAKDOWN_ITER=${BENCH_BREAKDOWN_ITER:-1000}
CONFIG_ROUNDS=${BENCH_CONFIG_ROUNDS:-20}
NKILLS=${BENCH_NOTIFIER_KILLS:-50}
NGAP=${BENCH_NOTIFIER_GAP_MS:-600}
NBURST=${BENCH_NOTIFIER_BURST:-20}
NUSERS=${BENCH_NOTIFIER_USERS:-10000}
NIDLE_USERS=${BENCH_NOTIFIER_IDLE_USERS:-1000}
NIDLE_SECS=${BENCH_NOTIFIER_IDLE_SECS:-60}
# Idle user cgroups stand for uids from here on, which NSS must not know.
NUID_BASE=3000000000
PROGS=("$BUILD/bench/session_cost" "$BUILD/bench/login_storm" "$BUILD/bench/breakdown"
       "$BUILD/bench/config_parse"
       "$BUILD/bench/notifier_latency" "$BUILD/bench/notifier_idle")

say() { echo "bench: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	say "needs root (creates users, PAM services and cgroups)"
	exit 2
fi

# --- what the benchmarks need ---------------------------------------------

need=(build-essential pkg-config libpam0g-dev libconfuse-dev libpam-modules
      libpam-cgroup cgroup-tools passwd procps strace)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update -qq || ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		say "apt-get failed"
		exit 2
	fi
fi

make -s -C "$TOP" build/pam_memcg.so build/memcgctl build/memcg-notifier "${PROGS[@]#"$TOP"/}" >&2 ||
	{ say "build failed"; exit 2; }
NOTIFIER=$BUILD/memcg-notifier

PAM_SO=$BUILD/pam_memcg.so
PERMIT_SO=$(dpkg -L libpam-modules | grep '/security/pam_permit\.so$' | head -1)
PCG_SO=$(dpkg -L libpam-cgroup | grep '/security/pam_cgroup\.so$' | head -1)
if [ ! -f "$PERMIT_SO" ] || [ ! -f "$PCG_SO" ]; then
	say "pam_permit.so or pam_cgroup.so not found"
	exit 2
fi

# --- the memory hierarchy and our place in it (as tests/integration/lib.sh) --

MC_VERSION="" CG_MNT="" V2_MNT="" V1_ANY=0
while read -r line; do
	# shellcheck disable=SC2206
	mf=($line)
	i=6
	while [ "${mf[$i]}" != "-" ]; do i=$((i + 1)); done
	type=${mf[$((i + 1))]} super=${mf[$((i + 3))]}
	if [ "$type" = cgroup2 ]; then
		[ -n "$V2_MNT" ] || V2_MNT=${mf[4]}
		if [ -z "$CG_MNT" ] || [ "$MC_VERSION" = 1 ]; then
			if grep -qw memory "${mf[4]}/cgroup.controllers" 2>/dev/null; then
				MC_VERSION=2 CG_MNT=${mf[4]}
			fi
		fi
	elif [ "$type" = cgroup ]; then
		V1_ANY=1
		if [[ ",$super," == *,memory,* ]] && [ "$MC_VERSION" != 2 ]; then
			MC_VERSION=1 CG_MNT=${mf[4]}
		fi
	fi
done </proc/self/mountinfo
[ -n "$CG_MNT" ] || { say "no memory cgroup hierarchy found"; exit 2; }
if [ "$MC_VERSION" = 2 ]; then
	RUNNER_CG=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	CG_MODE="cgroup v2 (memory on the unified hierarchy at $CG_MNT)"
	[ "$V1_ANY" = 1 ] && CG_MODE="hybrid, memory on cgroup v2 at $CG_MNT"
else
	RUNNER_CG=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	CG_MODE="cgroup v1 (memory hierarchy at $CG_MNT)"
	[ -n "$V2_MNT" ] && CG_MODE="hybrid: memory on cgroup v1 at $CG_MNT; cgroup2 at $V2_MNT without the memory controller"
fi
RUNNER_CG=${RUNNER_CG#/}

# --- the hierarchies of cpu, cpuacct and pids (the budgets' rows) ----------
# A session with cpu_max and tasks_max joins the hierarchies of cpu,
# cpuacct (for its usage) and pids besides the memory one, each at the same
# cgroup_parent below its mount.  That parent must lie below the runner's
# cgroup in every one of them: below the deepest of the runner's cgroups,
# which works when the others lie on its path.  EXTRA: "CTRL:MOUNT:RUNNER"
# of each v1 hierarchy apart from the memory one; BUDGET_SKIP: why the rows
# cannot run here ("" when they can).
EXTRA=() BUDGET_SKIP="" BUDGET_HIERS="the memory hierarchy"
runner_cg_of() { # CTRL: the runner's cgroup in that v1 hierarchy, no leading /
	local cg
	cg=$(awk -F: -v c="$1" '{ n = split($2, o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $3 }' /proc/self/cgroup)
	echo "${cg#/}"
}
mount_of() { # CTRL: the mount point of the v1 hierarchy with that controller
	awk -v c="$1" '{ for (i = 7; $i != "-"; i++); n = split($(i + 3), o, ",")
		if ($(i + 1) != "cgroup") next
		for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' /proc/self/mountinfo
}
DEEP=$RUNNER_CG
if [ "$MC_VERSION" = 2 ]; then
	# One hierarchy.  Enabling a controller in a cgroup the bench did not
	# make is not its business: the rows need cpu and pids enabled down to
	# the runner's cgroup already.
	path=""
	for comp in "" ${RUNNER_CG//\// }; do
		path=${path:+$path/}$comp
		for c in cpu pids; do
			grep -qw "$c" "$CG_MNT/$path/cgroup.subtree_control" 2>/dev/null ||
				BUDGET_SKIP="the $c controller is not enabled in $CG_MNT/$path/cgroup.subtree_control"
		done
	done
else
	names=()
	for c in cpu cpuacct pids; do
		m=$(mount_of "$c")
		if [ -z "$m" ]; then
			[ "$c" = cpuacct ] || BUDGET_SKIP="no cgroup v1 hierarchy has the $c controller"
			continue
		fi
		[ "$m" = "$CG_MNT" ] && continue
		dup=0
		for e in "${EXTRA[@]}"; do
			e=${e#*:}
			[ "${e%%:*}" = "$m" ] && dup=1
		done
		[ "$dup" = 1 ] && continue
		r=$(runner_cg_of "$c")
		EXTRA+=("$c:$m:$r")
		names+=("$(basename "$m")")
		# Deepest so far, or on its path; otherwise no parent is below both.
		if [ -z "$DEEP" ] || [ "$r" = "$DEEP" ] || [[ "$r" == "$DEEP"/* ]]; then
			DEEP=$r
		elif [ -n "$r" ] && [[ "$DEEP" != "$r"/* ]]; then
			BUDGET_SKIP="the runner's cgroups in the memory hierarchy (/$RUNNER_CG) and in $m (/$r) are not on one path, so no cgroup_parent lies below both"
		fi
	done
	if [ ${#names[@]} -gt 0 ]; then
		BUDGET_HIERS="the hierarchies of memory"
		for ((i = 0; i < ${#names[@]}; i++)); do
			BUDGET_HIERS+="$( [ "$i" = $((${#names[@]} - 1)) ] && echo " and" || echo ",") ${names[$i]}"
		done
	fi
fi
# Where the budgets' users get their cgroups, below every mount.
BUDGET_PARENT=${DEEP:+$DEEP/}memcg-bench-$$/budgets

# Everything the benchmarks create lives below the runner's own cgroup.
ID=mcb$$
BASE=${RUNNER_CG:+$RUNNER_CG/}memcg-bench-$$
BASE_DIR=$CG_MNT/$BASE
TMP=$(mktemp -d /tmp/memcg-bench.XXXXXX)
chmod 755 "$TMP"
USERS=()
GROUPS_MADE=()
SAVED=()
CG_TREES=()	# "DIR|HOME": the bench's cgroup trees outside BASE_DIR
CG_DIRS=()	# the ancestors it made for them, top-down; removed when empty

# --- cleanup ---------------------------------------------------------------

# remove_cgroup_tree DIR [HOME]: moves any process left in our cgroups
# (only ours can be there) back to HOME, the runner's cgroup in that
# hierarchy (default: in the memory one), or kills it, then removes the
# tree bottom-up.
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
			say "cleanup: could not remove cgroup $d"
	done < <(find "$top" -depth -type d)
}

save_system_file() {
	local f=$1 k=$2
	mkdir -p "$TMP/saved"
	if [ -e "$f" ] || [ -L "$f" ]; then
		cp -a "$f" "$TMP/saved/$k" || { say "cannot save $f"; exit 2; }
		SAVED+=("$f=$k")
	else
		SAVED+=("$f=")
	fi
}

restore_system_files() {
	local e f k
	for e in "${SAVED[@]}"; do
		f=${e%%=*} k=${e#*=}
		if [ -z "$k" ]; then
			rm -f "$f"
		else
			if ! cp -a "$TMP/saved/$k" "$f" || ! cmp -s "$TMP/saved/$k" "$f"; then
				say "cleanup: could not restore $f (a copy is in $TMP/saved/$k)"
			fi
		fi
	done
}

cleanup() {
	local rc=$? u p i
	remove_cgroup_tree "$BASE_DIR"
	for p in "${CG_TREES[@]}"; do remove_cgroup_tree "${p%%|*}" "${p#*|}"; done
	# Another run may have made its own cgroups in them meanwhile: then
	# they are not empty and stay.
	for ((i = ${#CG_DIRS[@]} - 1; i >= 0; i--)); do rmdir "${CG_DIRS[$i]}" 2>/dev/null; done
	for u in "${USERS[@]}"; do
		for p in $(pgrep -u "$u" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		userdel -f "$u" >/dev/null 2>&1 || say "cleanup: could not remove user $u"
	done
	for u in "${GROUPS_MADE[@]}"; do
		groupdel "$u" >/dev/null 2>&1 || say "cleanup: could not remove group $u"
	done
	restore_system_files
	# Keep the saved copies if a restore failed.
	if [ -d "$TMP/saved" ] && ! restore_check; then
		rm -rf "${TMP:?}/pam.d"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}

restore_check() {
	local e f k
	for e in "${SAVED[@]}"; do
		f=${e%%=*} k=${e#*=}
		if [ -z "$k" ]; then
			[ ! -e "$f" ] || return 1
		else
			cmp -s "$TMP/saved/$k" "$f" || return 1
		fi
	done
}

trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- set-up ----------------------------------------------------------------

mkdir -p "$BASE_DIR/memcg" "$BASE_DIR/pcg" "$BASE_DIR/floor" "$BASE_DIR/notifier" || exit 2
if [ "$MC_VERSION" = 2 ]; then
	# Children only get memory.* files when every ancestor enables it.
	path=""
	for comp in ${RUNNER_CG//\// } "memcg-bench-$$"; do
		grep -qw memory "$CG_MNT/$path/cgroup.subtree_control" ||
			echo +memory >"$CG_MNT/$path/cgroup.subtree_control" ||
			{ say "cannot enable memory in $CG_MNT/$path"; exit 2; }
		path=${path:+$path/}$comp
	done
	grep -qw memory "$BASE_DIR/cgroup.subtree_control" ||
		echo +memory >"$BASE_DIR/cgroup.subtree_control" || exit 2
	for d in memcg pcg floor notifier; do echo +memory >"$BASE_DIR/$d/cgroup.subtree_control" || exit 2; done
fi

# BUDGET_PARENT in each hierarchy the budgets' sessions join (mount, the
# runner's cgroup there): the part above memcg-bench-PID is made only where
# missing (and noted, to be removed when empty), memcg-bench-PID must be new
# (it is ours, removed whole); in the memory hierarchy it may be BASE_DIR.
make_budget_parent() { # MOUNT RUNNER_CG
	local mnt=$1 home=$1/$2 rel=$2 rest c
	rest=${BUDGET_PARENT#"$2"}
	rest=${rest#/}
	for c in ${rest//\// }; do
		rel=${rel:+$rel/}$c
		if [ "$c" = "memcg-bench-$$" ]; then
			[ "$mnt/$rel" = "$BASE_DIR" ] && continue
			mkdir "$mnt/$rel" || { say "cannot make cgroup $mnt/$rel"; return 1; }
			CG_TREES+=("$mnt/$rel|$home")
		elif [[ "/$rel" == *"/memcg-bench-$$/"* ]]; then
			mkdir "$mnt/$rel" || { say "cannot make cgroup $mnt/$rel"; return 1; }
		elif mkdir "$mnt/$rel" 2>/dev/null; then
			CG_DIRS+=("$mnt/$rel")
		elif [ ! -d "$mnt/$rel" ]; then
			say "cannot make cgroup $mnt/$rel"
			return 1
		fi
	done
}
if [ -z "$BUDGET_SKIP" ]; then
	make_budget_parent "$CG_MNT" "$RUNNER_CG" || exit 2
	for e in "${EXTRA[@]}"; do
		m=${e#*:}
		make_budget_parent "${m%%:*}" "${m#*:}" || exit 2
	done
	if [ "$MC_VERSION" = 2 ]; then
		# Ours from memcg-bench-PID down.
		for d in "$BASE_DIR" "$BASE_DIR/budgets"; do
			echo "+memory +cpu +pids" >"$d/cgroup.subtree_control" || exit 2
		done
	fi
else
	say "the session-cost rows with cpu_max and tasks_max cannot run: $BUDGET_SKIP"
fi

add_user() {
	useradd -M -N -s /usr/sbin/nologin "$1" || { say "useradd $1 failed"; exit 2; }
	USERS+=("$1")
	[ "$(id -u "$1")" -ge 1000 ] || { say "user $1 got a uid below 1000"; exit 2; }
}
UE=${ID}e # the user whose cgroup exists (another session of theirs is alive)
UC=${ID}c # the user whose session creates and removes it
UN=${ID}n # the user whose processes the kernel kills for the notifier
UBE=${ID}be # the same two with cpu_max and tasks_max too
UBC=${ID}bc
add_user "$UE"
add_user "$UC"
add_user "$UN"
add_user "$UBE"
add_user "$UBC"
for i in $(seq 1 "$SUSERS"); do add_user "${ID}s$i"; done

# A config of the usual size, with sections that do not match the bench
# users, so that rule resolution runs through them.  The group rule names a
# group that exists (as on a real machine), with nobody of the bench in it:
# a rule for a group NSS does not know would cost a fruitless search of
# every back-end at each login (nss_systemd: about 130 us here).
RGROUP=${ID}g
groupadd "$RGROUP" || { say "groupadd $RGROUP failed"; exit 2; }
GROUPS_MADE+=("$RGROUP")
# The budgets' config (CONF_BUDGETS) is the same with cpu_max and tasks_max
# in default and its own cgroup_parent.
write_memcg_conf() { # FILE PARENT [EXTRA-DEFAULT-KEYS]
	cat >"$1" <<EOF
# pam_memcg config written by bench/run.sh for one run.
cgroup_version = auto
cgroup_parent  = "$2"
min_uid        = 1000
exempt_users   = {"root"}
exempt_groups  = {}
on_error       = fail          # a session that is not limited is a failure here

default {
  memory_max  = "$((MAX_BYTES / 1048576))M"
  memory_high = "max"
  swap_max    = "$((SWAP_BYTES / 1048576))M"
  oom_group   = false${3:+
$3}
}
group "$RGROUP" { memory_max = "2G" }
user  "alice"    { memory_max = "8G"  memory_high = "7G" }
EOF
	chown root:root "$1" && chmod 0644 "$1"
	"$BUILD/memcgctl" check -c "$1" >&2 || { say "memcgctl check rejects $1"; exit 2; }
}
CONF=$TMP/pam_memcg.conf
CONF_BUDGETS=$TMP/pam_memcg-budgets.conf
write_memcg_conf "$CONF" "$BASE/memcg"
write_memcg_conf "$CONF_BUDGETS" "$BUDGET_PARENT" "  cpu_max     = \"$BUDGET_CPUS\"
  tasks_max   = $BUDGET_TASKS"

# The notifier's configs: the shipped notify settings but no mail
# (notifier.conf); the same with warn_at off (notifier-nowarn.conf); and for
# the latency runs also rate_limit = 0 (notifier-latency.conf), which
# lib/config.c allows (0 to 86400 s) and which sends every event at once,
# so that no notice is held back for a summary.  warn_at is off there
# because its notice would otherwise reach the pty first and be timed.
write_notifier_conf() { # FILE NOTIFY-SETTINGS
	cat >"$1" <<EOF
# memcg-notifier config written by bench/run.sh for one run.
cgroup_version = auto
cgroup_parent  = "$BASE/notifier"
min_uid        = 1000
default {
  memory_max  = "$((MAX_BYTES / 1048576))M"
}
notify {
  tty  = true
  mail = false
  $2
}
EOF
	chown root:root "$1" && chmod 0644 "$1"
	"$BUILD/memcgctl" check -c "$1" >&2 || { say "memcgctl check rejects $1"; exit 2; }
}
NCONF=$TMP/notifier.conf
NCONF_NOWARN=$TMP/notifier-nowarn.conf
NCONF_LAT=$TMP/notifier-latency.conf
write_notifier_conf "$NCONF" ""
write_notifier_conf "$NCONF_NOWARN" 'warn_at = "off"'
write_notifier_conf "$NCONF_LAT" 'warn_at = "off"
  rate_limit = 0'

mkdir -p "$TMP/pam.d"
printf 'session required %s\n' "$PERMIT_SO" >"$TMP/pam.d/permit"
printf 'session required %s conf=%s\nsession required %s\n' "$PAM_SO" "$CONF" "$PERMIT_SO" >"$TMP/pam.d/memcg"
printf 'session required %s conf=%s\nsession required %s\n' "$PAM_SO" "$CONF_BUDGETS" "$PERMIT_SO" >"$TMP/pam.d/budgets"
printf 'session required %s\nsession required %s\n' "$PCG_SO" "$PERMIT_SO" >"$TMP/pam.d/pcg"

# pam_cgroup reads only /etc/cgrules.conf and /etc/cgconfig.conf: save them
# byte for byte, write ours, restore at exit.  %U is the uid in libcgroup 2.
save_system_file /etc/cgrules.conf cgrules.conf
save_system_file /etc/cgconfig.conf cgconfig.conf
{
	echo "# written by pam_memcg's bench/run.sh (pid $$) for one run; restored at its end"
	for u in "${USERS[@]}"; do echo "$u memory $BASE/pcg/u%U"; done
} >/etc/cgrules.conf
if [ "$MC_VERSION" = 2 ]; then
	limits="memory.max = $MAX_BYTES; memory.high = max; memory.swap.max = $SWAP_BYTES;"
else
	# memsw must never be below limit_in_bytes: limit first (libcgroup
	# writes in file order, and a failed write leaves the rest unset).
	limits="memory.limit_in_bytes = $MAX_BYTES; memory.memsw.limit_in_bytes = $((MAX_BYTES + SWAP_BYTES)); memory.soft_limit_in_bytes = -1;"
fi
cat >/etc/cgconfig.conf <<EOF
# written by pam_memcg's bench/run.sh (pid $$) for one run; restored at its end
template $BASE/pcg/u%U {
	memory {
		$limits
	}
}
EOF

# --- the measures ----------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
say "1. session cost: $ROUNDS rounds x ($WARMUP warm-up + $ITER timed) per variant"
budget_args=()
if [ -z "$BUDGET_SKIP" ]; then
	budget_args=(-b "$BUDGET_PARENT" -E "$UBE" -C "$UBC" -q "$BUDGET_QUOTA_US" -t "$BUDGET_TASKS")
	for e in "${EXTRA[@]}"; do budget_args+=(-H "$e"); done
fi
"$BUILD/bench/session_cost" -d "$TMP/pam.d" -M "$CG_MNT" -V "$MC_VERSION" -O "$RUNNER_CG" \
	-B "$BASE" -e "$UE" -c "$UC" -L "$MAX_BYTES" -S "$SWAP_BYTES" "${budget_args[@]}" \
	-n "$ITER" -w "$WARMUP" -r "$ROUNDS" >"$TMP/cost.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r

say "2. login storm: $WORKERS workers x $SESSIONS sessions over $SUSERS users, per module"
"$BUILD/bench/login_storm" -d "$TMP/pam.d" -M "$CG_MNT" -V "$MC_VERSION" -O "$RUNNER_CG" \
	-u "${ID}s" -m "$SUSERS" -w "$WORKERS" -n "$SESSIONS" -L "$MAX_BYTES" -S "$SWAP_BYTES" \
	-s "pam_permit,permit,,,j" \
	-s "pam_memcg,memcg,$BASE/memcg,user-,rj" \
	-s "pam_cgroup,pcg,$BASE/pcg,u,k" \
	-s "kernel floor,-,$BASE/floor,user-,fr" >"$TMP/storm.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r

say "where pam_memcg's time goes: $BREAKDOWN_ITER sessions, step by step"
"$BUILD/bench/breakdown" -c "$CONF" -M "$CG_MNT" -e "$UE" -x "$BASE/memcg/user-$(id -u "$UE")" \
	-u "$UC" -n "$BREAKDOWN_ITER" >"$TMP/breakdown.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r

say "config size: mc_config_load of configs from the usual size to 1 MiB, $CONFIG_ROUNDS times each"
"$BUILD/bench/config_parse" -t "$TMP" -r "$CONFIG_ROUNDS" >"$TMP/confparse.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r

say "3. notifier latency: $NKILLS kills ${NGAP} ms apart, then $NBURST back to back, with 1 and $((NUSERS + 1)) user cgroups watched"
"$BUILD/bench/notifier_latency" -N "$NOTIFIER" -c "$NCONF_LAT" -M "$CG_MNT" -V "$MC_VERSION" \
	-P "$BASE/notifier" -u "$UN" -t "$TMP" -n "$NKILLS" -g "$NGAP" -B "$NBURST" \
	-i "0,$NUSERS" -b "$NUID_BASE" -I "$MAX_BYTES" >"$TMP/nlat.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r

say "4. notifier idle cost and scale: 0, $NIDLE_USERS (idle $NIDLE_SECS s) and $NUSERS user cgroups"
# The floor for an idle daemon's RSS: a program that only calls malloc,
# fprintf and pause, built and linked as the notifier is (glibc, dynamic).
cat >"$TMP/idle_floor.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) { char *p = malloc(64); fprintf(stderr, "%p\n", (void *)p); pause(); return 0; }
EOF
cc -O2 -pie -fPIE -Wl,-z,relro,-z,now -o "$TMP/idle_floor" "$TMP/idle_floor.c" || exit 2
"$BUILD/bench/notifier_idle" -N "$NOTIFIER" -M "$CG_MNT" -V "$MC_VERSION" -P "$BASE/notifier" \
	-t "$TMP" -b "$NUID_BASE" -L "$MAX_BYTES" -X "$(command -v strace)" -T 10 -F "$TMP/idle_floor" \
	-p "0,$NCONF,0,s,shipped settings: warn_at 90%" \
	-p "$NIDLE_USERS,$NCONF,$NIDLE_SECS,wa,shipped settings: warn_at 90%" \
	-p "$NIDLE_USERS,$NCONF_NOWARN,0,-,warn_at off" \
	-p "$NUSERS,$NCONF_NOWARN,0,b,warn_at off" \
	-p "$NUSERS,$NCONF,0,ba,shipped settings: warn_at 90%" >"$TMP/nidle.md"
r=$?
[ "$r" -gt "$rc" ] && rc=$r
NOFILE_HARD=$(ulimit -Hn)

# --- the report ------------------------------------------------------------

verdicts=$(awk -F'|' '/^\| pam_memcg .*(PASS|MISS) \|/ { print $4 }' "$TMP/cost.md" | tr -d ' ')
met=$(grep -c PASS <<<"$verdicts")
total=$(grep -cE 'PASS|MISS' <<<"$verdicts")
# "existing cgroup: 1.23x (A us vs B us), create + remove: ..." from the
# budgets' table (above pam_permit, medians).
budgets_summary=$(awk -F'|' '$2 ~ /^ *(existing cgroup|create \+ remove) *$/ && $6 ~ /x/ {
	for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i)
	printf "%s%s: %s (%s)", sep, $2, $6, $5; sep = ", " }' "$TMP/cost.md")
# Target rows are "| TARGET | MEASURED | PASS or MISS | RATIO |".
targets_met() { # FILE [EXCLUDE-REGEX]
	awk -F'|' -v ex="${2:-^$}" '$4 ~ /^ *(PASS|MISS) *$/ && $2 !~ ex { n++; if ($4 ~ /PASS/) m++ }
		END { printf "%d of %d", m, n }' "$1"
}
# "p50 X / p99 Y (N of M told right)" per number of users watched, from
# the latency rows of kills that had the kernel's OOM report.
nlat_summary=$(awk -F'|' '$3 ~ /printed/ {
	for (i = 2; i <= 10; i++) gsub(/^ +| +$/, "", $i)
	w = $2; sub(/ \(.*/, "", w)
	n = $4; sub(/ \(.*/, "", n)
	printf "%s%s watched: p50 %s, p99 %s (%s of %s told right)", sep, w, $9, $10, $5, n; sep = "; " }' "$TMP/nlat.md")
nburst=$(awk -F'|' '$3 ~ /rate-limited/ {
	for (i = 2; i <= 11; i++) gsub(/^ +| +$/, "", $i)
	w = $2; sub(/ \(.*/, "", w)
	n = $4; sub(/ \(.*/, "", n)
	printf "%s%s watched: p50 %s, max %s (%s of %s told right)", sep, w, $9, $11, $5, n; sep = "; " }' "$TMP/nlat.md")
# "TARGET: MEASURED VERDICT" for each judged row of measure 4.
nidle_summary=$(awk -F'|' '$4 ~ /^ *(PASS|MISS) *$/ {
	for (i = 2; i <= 4; i++) gsub(/^ +| +$/, "", $i)
	printf "%s%s: %s %s", sep, $2, $3, $4; sep = "; " }' "$TMP/nidle.md")
# "usual size X; N sections (1 MiB) Y" from the config size rows.
confparse_summary=$(awk -F'|' '$2 ~ /usual size|1 MiB/ {
	for (i = 2; i <= 9; i++) gsub(/^ +| +$/, "", $i)
	if ($2 ~ /usual/) printf "%susual size %s (CPU %s)", sep, $5, $8
	else printf "%s%s sections in %s bytes %s (CPU %s)", sep, $4, $3, $5, $8
	sep = "; " }' "$TMP/confparse.md")
storm_memcg=$(awk -F'|' '$2 ~ /^ *pam_memcg *$/ {
	for (i = 2; i <= 11; i++) gsub(/^ +| +$/, "", $i)
	printf "%s: %s, %s sessions/s, open p50 %s / p99 %s, %s failures, %s misplaced, %s cgroups left over",
		$11, $3, $5, $6, $7, $8, $9, $10 }' "$TMP/storm.md")
{
	echo "# pam_memcg benchmarks"
	echo
	echo "| | |"
	echo "| --- | --- |"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
	echo "| machine | $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM |"
	echo "| kernel | $(uname -r) |"
	echo "| cgroup mode | $CG_MODE |"
	echo "| software | libpam $(dpkg-query -W -f='${Version}' libpam0g), libcgroup (pam_cgroup) $(dpkg-query -W -f='${Version}' libpam-cgroup), pam_memcg at commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown) (work tree as built) |"
	echo "| load average at start | $LOAD0 (other work on the machine makes the numbers noisier) |"
	echo "| settings | BENCH_ITER=$ITER BENCH_WARMUP=$WARMUP BENCH_ROUNDS=$ROUNDS BENCH_STORM_WORKERS=$WORKERS BENCH_STORM_USERS=$SUSERS BENCH_STORM_SESSIONS=$SESSIONS |"
	echo
	echo "## Summary"
	echo
	echo "| measure | result |"
	echo "| --- | --- |"
	echo "| 1. session cost | $met of $total targets met (targets, not assertions; see 1); with cpu_max and tasks_max too, above pam_permit, against memory only: ${budgets_summary:-not measured${BUDGET_SKIP:+ ($BUDGET_SKIP)}} |"
	echo "| 2. login storm | pam_memcg: ${storm_memcg:-did not run} |"
	echo "| config size (mc_config_load, median) | ${confparse_summary:-did not run} |"
	echo "| 3. notifier latency | $(targets_met "$TMP/nlat.md") targets met; kill to first byte on the pty, kills with the kernel's OOM report: ${nlat_summary:-did not run}; without it (kernel rate limit): ${nburst:-none}; the sshrc notifier in use today: ≥ 4000 ms |"
	echo "| 4. notifier idle cost and scale | $(targets_met "$TMP/nidle.md") targets met: ${nidle_summary:-did not run} |"
	echo
	echo "## 1. Session cost"
	echo
	echo "One PAM session opened and closed in this process, timed around"
	echo "pam_open_session and pam_close_session only (pam_start_confdir and"
	echo "pam_end are outside the clock), $ITER timed sessions after $WARMUP warm-up"
	echo "ones, in $ROUNDS rounds that take every variant in turn. *per open+close* is the"
	echo "median over rounds of each round's median; *mean* the median over rounds of"
	echo "each round's mean; p99 is over all timed sessions; the targets use the"
	echo "medians (the means carry the kernel's tail, see the note below). Each"
	echo "module's service is \`session required MODULE\` then \`session required"
	echo "pam_permit.so\` (absolute paths); *above pam_permit* subtracts the"
	echo "pam_permit-only service. *existing*: another session of the user (a root"
	echo "session process plus a process running as the user) stays in the user's"
	echo "cgroup throughout. *create*: the user has no cgroup before the session."
	echo "The kernel floor is the same cgroupfs work done directly in C with directory"
	echo "fds opened once: create = mkdir, $( [ "$MC_VERSION" = 2 ] && echo 4 || echo 3) limit writes,"
	echo "attach, detach, rmdir; existing = the limit writes, attach, detach. Limits"
	echo "everywhere: memory 256M, swap 64M on top, soft limit / memory.high unlimited."
	echo "The pam_memcg rows *+ cpu_max $BUDGET_CPUS, tasks_max $BUDGET_TASKS* are the same service with"
	echo "those two keys added to the config's default (its own users and"
	echo "cgroup_parent): the session's cgroup is made, limited, joined, left and"
	echo "removed in $BUDGET_HIERS$( [ "$MC_VERSION" = 1 ] && echo " (cpuacct for the usage memcgctl status shows)"),"
	echo "and the bench checks from inside each session that it is in that cgroup in"
	echo "every one of them, and once that the three limits were written. The last"
	echo "table sets them beside the memory-only rows of the same case."
	[ -n "$BUDGET_SKIP" ] && echo "They did not run here: $BUDGET_SKIP."
	echo
	cat "$TMP/cost.md"
	echo
	echo "How pam_cgroup's template creation works here: at every open, pam_cgroup"
	echo "calls cgroup_init() (reads /proc/cgroups and /proc/mounts), parses"
	echo "/etc/cgrules.conf, looks the user up in NSS, substitutes the rule's"
	echo "destination (\`$BASE/pcg/u%U\`; %U is the uid), checks with opendir"
	echo "whether each path prefix exists, and when the cgroup is missing parses"
	echo "/etc/cgconfig.conf again, finds the \`template\` of the same name, does"
	echo "mkdir -p on the whole path, chowns every file of the new cgroup, writes"
	echo "the template's values in file order, and finally writes the pid to"
	echo "\`tasks\` and walks /proc/PID/task. Its close_session does nothing: the"
	echo "process is not moved out and the cgroup is never removed, so for the"
	echo "pam_cgroup rows the bench moves itself back and (create case) removes the"
	echo "cgroup after pam_close_session, outside the clock: pam_cgroup's numbers"
	echo "leave out the detach and rmdir that pam_memcg's include."
	echo
	echo "The tail: moving a process between cgroups takes cgroup_threadgroup_rwsem"
	echo "for writing, which waits for an RCU grace period unless another move"
	echo "happened a moment before. Back-to-back sessions, as here, mostly skip that"
	echo "wait; a session that follows a quiet spell pays it (milliseconds on this"
	echo "machine), whichever module it runs. It shows in the p99 and mean columns,"
	echo "and pam_cgroup's create loop is slow enough to pay it more often."
	echo
	echo "## 2. Login storm"
	echo
	echo "$WORKERS worker processes over $SUSERS users (worker i is user i mod $SUSERS) start"
	echo "together; each runs pam_start_confdir, pam_open_session, a placement check"
	echo "from inside the session (/proc/self/cgroup must name the user's cgroup),"
	echo "pam_close_session, pam_end, $SESSIONS times. sessions/s is all sessions over"
	echo "the wall time from start to the last worker's exit; open latency is"
	echo "pam_open_session alone. Left-over cgroups are counted after the storm."
	echo "The kernel floor row makes the same cgroupfs calls directly (mkdir, limits,"
	echo "attach; detach, rmdir when unused) with no PAM at all: what the kernel"
	echo "itself costs under this contention. pam_cgroup never removes a cgroup, so"
	echo "after each user's first session it only ever attaches to an existing one."
	echo
	cat "$TMP/storm.md"
	echo
	echo "## Where pam_memcg's time goes"
	echo
	echo "The steps of pam_sm_open_session and pam_sm_close_session"
	echo "(pam_memcg/pam_memcg.c) called one by one through lib/ in this process"
	echo "(bench/breakdown.c; no PAM, no dlopen), each timed on its own, median of"
	echo "$BREAKDOWN_ITER sessions; the last rows time pieces inside those steps. The"
	echo "module's measured cost in 1 is higher than the sum: there the module and"
	echo "libconfuse are mapped afresh by every pam_start (page faults on first use)."
	echo
	cat "$TMP/breakdown.md"
	echo
	echo "## Config size"
	echo
	echo "What reading the config costs at each login as it grows (bench/config_parse.c):"
	echo "mc_config_load (open, file checks, read, parse, rules built) of a file in a"
	echo "temp dir, $CONFIG_ROUNDS times per size: the usual size (default, one group, one"
	echo "user), then a header and N one-line sections (\`user \"u000001\" { memory_max ="
	echo "\"2G\" }\`, every eighth a group), up to as many as fit in the loader's 1 MiB"
	echo "cap. *CPU*: this thread's on-CPU time (CLOCK_THREAD_CPUTIME_ID), which other"
	echo "work on the machine does not stretch as it does the wall clock. *CPU per"
	echo "section*: its median over the number of sections, flat when the cost is"
	echo "linear in the file (libconfuse by itself compares each new"
	echo "section's title with all before it: 3.8 s for the 1 MiB file before"
	echo "lib/config.c took sections out of it as they close)."
	echo
	cat "$TMP/confparse.md"
	echo
	echo "## 3. Notifier latency"
	echo
	echo "memcg-notifier (\`$NOTIFIER -c CONF -u UTMP\`, no -d, as the service runs it)"
	echo "with \`cgroup_parent = \"$BASE/notifier\"\` and the shipped notify settings except"
	echo "\`mail = false\`, \`warn_at = \"off\"\` (its notice would reach the pty first) and"
	echo "\`rate_limit = 0\` (lib/config.c allows 0 to 86400 s; 0 sends every event at"
	echo "once, none is held back for a summary). The user $UN owns a pty the"
	echo "bench made (slave mode 0620, \"mesg y\") and is listed on it as USER_PROCESS in"
	echo "a utmp file of the bench's own, passed with -u (/run/utmp is not touched);"
	echo "the cgroup user-<uid> has memory_max 32 MiB and no swap limit (pam_memcg's"
	echo "default swap_max = max). Each kill: a child of the bench joins that cgroup,"
	echo "becomes the user and touches 1 MiB chunks until the kernel kills it. $NKILLS"
	echo "kills ${NGAP} ms apart, then $NBURST back to back, with the notifier started afresh"
	echo "for each row group; the second has $NUSERS idle user cgroups watched beside it"
	echo "(see 4 for how they are made)."
	echo
	echo "The clock: **from** the timestamp of the kernel's \"Killed process PID\" record"
	echo "in /dev/kmsg (printk stamps it just after SIGKILL is sent, before the victim"
	echo "can die), put on CLOCK_MONOTONIC with two marker lines the bench writes to"
	echo "/dev/kmsg before and after the kills (the offset is interpolated; the kernel"
	echo "rate-limits such writes, so there are only two) **to** the first byte of the"
	echo "notice read from the pty master (poll on the master, the victim's pidfd and"
	echo "/dev/kmsg). Not from waitpid: the parent sees the victim's death only after"
	echo "it has printed its kill line on the console and exited (*kill → exit*), and"
	echo "on cgroup v1 the notifier is woken by memory.oom_control before the kill, so"
	echo "most notices are on the pty before waitpid returns (*victim's exit → pty* is"
	echo "negative): the waitpid clock would flatter the notifier. *kill → kernel log"
	echo "readable* is when a reader of /dev/kmsg like the notifier (the bench's own)"
	echo "was woken with the kill line: the floor for any notifier that names the"
	echo "victim from the kernel log. The kernel prints its OOM report, with the"
	echo "\"oom-kill:\" line that names the victim's cgroup, for at most 10 kills in 5 s"
	echo "machine-wide; kills past that have only the \"Killed process\" line and are"
	echo "shown in rows of their own. Percentiles are nearest-rank over every kill that"
	echo "got a notice (of fewer than 100 kills, p99 is the largest); *told right* means the"
	echo "notice said \"A process of yours was killed: your sessions together reached"
	echo "their memory limit\" and named the victim's pid. The targets (p50 ≤ 5 ms,"
	echo "p99 ≤ 25 ms) are judged on each row. Reference: the sshrc-launched notifier in"
	echo "use today sleeps 4 s before it writes (stated here, not run)."
	echo
	cat "$TMP/nlat.md"
	echo
	echo "## 4. Notifier idle cost and scale"
	echo
	echo "For each row: N directories user-<uid> made with mkdir(2) under"
	echo "$BASE/notifier (uids from $NUID_BASE on, which NSS does not know: the notifier"
	echo "watches them as \"user unknown\" and would never write to a terminal for them),"
	echo "each with memory_max $((MAX_BYTES / 1048576)) MiB written as pam_memcg does; then the notifier is"
	echo "started on them with an empty utmp file. *start → all watched*: from fork to"
	echo "its \"started: watching\" log line, which main() logs once the start-up scan has"
	echo "registered every user cgroup it found for OOM events (*fds* confirms). The scan"
	echo "looks up the users of the first 256 (NSS, rules, warn_at) as it goes and of the"
	echo "others after that line, between looks at the events (a kill in one of them is"
	echo "looked up at once): *start → all users looked up* is from fork to its"
	echo "\"looked up the users of the N user cgroups watched first\" line, and the"
	echo "*watched* column counts its \"watching ... (uid N, user ...)\" lines, one per"
	echo "cgroup once looked up. *start → all thresholds armed* (rows with warn_at on cgroup v1):"
	echo "from fork to its \"warn_at: usage thresholds armed on N user cgroups\" line,"
	echo "logged when its worker threads have registered every user's threshold; the"
	echo "daemon runs its event loop meanwhile. *CPU to start*: its on-CPU time at the"
	echo "\"started\" line (/proc/PID/schedstat). VmRSS, RssAnon and fds 1 s after the"
	echo "start (after the thresholds are armed, where there are any). Idle window: the change in"
	echo "voluntary_ctxt_switches + nonvoluntary_ctxt_switches (/proc/PID/status; each"
	echo "return from epoll_wait is one), in times scheduled (schedstat), and in"
	echo "utime + stime (/proc/PID/stat, 10 ms ticks) and on-CPU time (schedstat), with"
	echo "nothing done to the cgroups meanwhile; every kernel log record wakes the"
	echo "notifier (it reads /dev/kmsg to name victims), so the records that arrived in"
	echo "the window are counted beside, with the times a reader of it (the bench's"
	echo "own) was woken. Right after the window, 10 s of \`strace -e"
	echo "trace=epoll_wait,read\` on the daemon attribute its wake-ups: each return of"
	echo "epoll_wait with events, by the file behind the fd it reads next (strace is"
	echo "attached only then: it would add switches of its own to the counts)."
	echo "*stop*: SIGTERM to exit. On cgroup v1 a user's OOM wake-ups and warn_at"
	echo "threshold share one eventfd (one fd per user; this machine's hard open-file"
	echo "limit is $NOFILE_HARD and the bench raises the daemon's soft limit to it), and each"
	echo "threshold registration waits for an RCU grace period in the kernel, so"
	echo "worker threads register them in parallel after the start. The latency with"
	echo "$NUSERS users watched is in 3."
	echo
	cat "$TMP/nidle.md"
	echo
	echo "Where the notifier's time and memory go: see bench/README.md, \"Reading the"
	echo "notifier numbers\"."
} >"$TMP/report.md"

# The report names neither this checkout's place nor the runner's cgroup.
report=$(<"$TMP/report.md")
report=${report//"$TOP/"/}
for cg in "$DEEP" "$RUNNER_CG"; do
	[ -n "$cg" ] && report=${report//"$cg/memcg-bench-"/"<runner's cgroup>/memcg-bench-"}
done
printf '%s\n' "$report" >"$TMP/report.md"
mkdir -p "$(dirname "$OUT")"
# The systemd backend's section is bench/systemd_cost.sh's (in a VM): kept
# as it was.
if [ -f "$OUT" ] && grep -qx '## systemd backend (VM, TCG)' "$OUT"; then
	{
		echo
		awk '$0 == "## systemd backend (VM, TCG)" { keep = 1 }
			keep && /^## / && $0 != "## systemd backend (VM, TCG)" { keep = 0 }
			keep { print }' "$OUT"
	} >>"$TMP/report.md"
fi
cp "$TMP/report.md" "$OUT"
cat "$TMP/report.md"
say "report written to $OUT"
exit "$rc"
