#!/bin/bash
# What a login costs with the systemd backend, measured in the systemd VM
# (tests/vm/run.sh --mode systemd: systemd as PID 1, logind, dbus; the host
# has no systemd as PID 1): PAM sessions through pam_systemd alone and with
# pam_memcg after it, this tree's build beside the build of an earlier
# commit (BENCH_SD_BEFORE), in one run; the D-Bus messages per login; a
# login storm.  Replaces only its own section, "## systemd backend (VM,
# TCG)", in bench/results/latest.md (bench/run.sh keeps it when it writes
# the rest).  Needs root (the VM; users and PAM services exist only in the
# guest, whose root is a throwaway overlay).
#
# Environment (defaults in brackets):
#   BENCH_SD_BEFORE [facba3a]  the build to compare with (the last commit
#                              before the slice's drop-ins were looked at);
#                              empty: no "before" rows
#   BENCH_SD_ITER [15] BENCH_SD_WARMUP [3] BENCH_SD_ROUNDS [3]  session cost
#   BENCH_SD_COUNT [10]  sessions per stack while the bus is monitored
#   BENCH_SD_STEPS [30]  times each step of the module's bus calls is timed
#   BENCH_SD_WORKERS [8] BENCH_SD_USERS [4] BENCH_SD_SESSIONS [8]  storm
#   BENCH_OUT [bench/results/latest.md]
# Exit status: 0 when every session opened, closed and was in its slice
# with the limit, and no slice was left; 1 when not; 2 when it could not run.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "bench-systemd: $*" >&2; }
SECTION="## systemd backend (VM, TCG)"

# --- in the guest --------------------------------------------------------

guest() {
	local new=$TOP/build before=$1/before/build tmp rc=0 have_before=0 u i
	local max=268435456 max_b=201326592
	tmp=$(mktemp -d /tmp/sdbench.XXXXXX)
	chmod 755 "$tmp"
	[ -f "$before/pam_memcg.so" ] && have_before=1
	local pam_sd
	pam_sd=$(dirname "$(ldconfig -p | awk '$1 == "libpam.so.0" { print $NF; exit }')")/security/pam_systemd.so
	[ -f "$pam_sd" ] || { say "no pam_systemd.so"; return 2; }
	useradd -m -s /bin/sh sdb1 || return 2
	local storm_users=""
	for i in $(seq 1 "${BENCH_SD_USERS:-4}"); do
		useradd -m -s /bin/sh "sdbs$i" || return 2
		storm_users+="${storm_users:+,}sdbs$i"
	done
	conf() { # FILE BACKEND MEMORY_MAX
		cat >"$1" <<EOF
cgroup_backend = $2
min_uid = 1000
default {
  memory_max  = "$3"
  memory_high = "max"
  swap_max    = "64M"
  cpu_max     = "2"
  tasks_max   = 512
}
EOF
		chmod 0644 "$1"
		"$new/memcgctl" check -c "$1" >/dev/null || { say "memcgctl check rejects $1"; return 2; }
	}
	conf "$tmp/sd.conf" systemd 256M || return 2
	conf "$tmp/auto.conf" auto 256M || return 2
	conf "$tmp/sd-b.conf" systemd 192M || return 2
	mkdir "$tmp/pam.d"
	svc() { # NAME [MODULE CONF]
		{
			echo "session required $pam_sd"
			[ $# -gt 1 ] && echo "session required $2 conf=$3"
		} >"$tmp/pam.d/$1"
	}
	svc sd
	svc new-sd "$new/pam_memcg.so" "$tmp/sd.conf"
	svc new-auto "$new/pam_memcg.so" "$tmp/auto.conf"
	svc new-sd-b "$new/pam_memcg.so" "$tmp/sd-b.conf"
	svc old-sd "$before/pam_memcg.so" "$tmp/sd.conf"
	svc old-auto "$before/pam_memcg.so" "$tmp/auto.conf"

	local specs=("pam_systemd alone,sd,-")
	[ "$have_before" = 1 ] && specs+=("+ pam_memcg before (systemd),old-sd,$max")
	specs+=("+ pam_memcg after (systemd),new-sd,$max")
	[ "$have_before" = 1 ] && specs+=("+ pam_memcg before (auto),old-auto,$max")
	specs+=("+ pam_memcg after (auto),new-auto,$max"
		"+ pam_memcg after (systemd) the limits changed at every login,new-sd:new-sd-b,$max:$max_b")
	local sargs=() storm_args=() s
	for s in "${specs[@]}"; do sargs+=(-s "$s"); done
	storm_args=(-s "pam_systemd alone,sd,-")
	[ "$have_before" = 1 ] && storm_args+=(-s "+ pam_memcg before (systemd),old-sd,$max")
	storm_args+=(-s "+ pam_memcg after (systemd),new-sd,$max")

	# 1. D-Bus messages per login, counted by a monitor of the system bus
	# while a few sessions of each stack run (apart from the timed ones:
	# the monitor has a cost of its own).
	say "D-Bus messages per login: ${BENCH_SD_COUNT:-10} sessions per stack under dbus-monitor"
	dbus-monitor --system --profile >"$tmp/monitor.txt" 2>&1 &
	local mon=$!
	sleep 2
	"$new/bench/sd_logins" -B -d "$tmp/pam.d" -u sdb1 "${sargs[@]}" -n "${BENCH_SD_COUNT:-10}" -w 0 -r 1 \
		>"$tmp/count-cost.md" 2>"$tmp/marks.txt"
	[ $? -le 1 ] || rc=2
	sleep 1
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	# Per stack: method calls and signals inside its sessions' time span,
	# per session, by interface.member (the bus's own Hello and AddMatch
	# included).
	awk -F'\t' -v labels="$(printf '%s\n' "${specs[@]}" | cut -d, -f1 | paste -sd'|')" '
		FILENAME ~ /marks/ && $1 == "mark" { k[++nm] = $2; t0[nm] = $3; t1[nm] = $4; n[nm] = $5; next }
		FILENAME ~ /monitor/ && ($1 == "mc" || $1 == "sig" || $1 == "mr" || $1 == "err") {
			for (i = 1; i <= nm; i++) if ($2 >= t0[i] && $2 <= t1[i]) {
				if ($1 == "mc") { mc[i]++; m[i, $7 "." $8]++; if (!seen[i, $7 "." $8]++) keys[i] = keys[i] SUBSEP $7 "." $8 }
				else if ($1 == "sig") sig[i]++
				else rep[i]++
			}
		}
		END {
			split(labels, lab, "|")
			print "| PAM stack | method calls per login | replies | signals | the calls, per login |"
			print "| --- | --- | --- | --- | --- |"
			for (i = 1; i <= nm; i++) {
				nk = split(keys[i], kk, SUBSEP); s = ""
				for (j = 2; j <= nk; j++) {
					name = kk[j]; sub(/^org\.freedesktop\./, "", name)
					s = s (s == "" ? "" : ", ") sprintf("%s %.1f", name, m[i, kk[j]] / n[i])
				}
				printf "| %s | %.1f | %.1f | %.1f | %s |\n", lab[k[i] + 1], mc[i] / n[i], rep[i] / n[i], sig[i] / n[i], s
			}
		}' "$tmp/marks.txt" "$tmp/monitor.txt" >"$MEMCG_VM_OUT/dbus.md"

	# 2. Session cost, every stack in turn in each round.
	say "session cost: ${BENCH_SD_ROUNDS:-3} rounds x (${BENCH_SD_WARMUP:-3} + ${BENCH_SD_ITER:-15}) sessions per stack"
	"$new/bench/sd_logins" -d "$tmp/pam.d" -u sdb1 "${sargs[@]}" -n "${BENCH_SD_ITER:-15}" \
		-w "${BENCH_SD_WARMUP:-3}" -r "${BENCH_SD_ROUNDS:-3}" >"$MEMCG_VM_OUT/cost.md" 2>/dev/null
	s=$?
	[ "$s" -gt "$rc" ] && rc=$s

	# 3. Where the time goes: the module's bus steps one by one.
	say "where the time goes: each step ${BENCH_SD_STEPS:-30} times"
	"$new/bench/sd_steps" "user-$(id -u sdb1).slice" "${BENCH_SD_STEPS:-30}" >"$MEMCG_VM_OUT/steps.md" || rc=2

	# 4. The storm.
	say "login storm: ${BENCH_SD_WORKERS:-8} workers x ${BENCH_SD_SESSIONS:-8} sessions over ${BENCH_SD_USERS:-4} users, per stack"
	"$new/bench/sd_logins" -S -d "$tmp/pam.d" -u "$storm_users" "${storm_args[@]}" \
		-W "${BENCH_SD_WORKERS:-8}" -n "${BENCH_SD_SESSIONS:-8}" -t 40 >"$MEMCG_VM_OUT/storm.md"
	s=$?
	[ "$s" -gt "$rc" ] && rc=$s
	{
		echo "systemd $(systemctl --version | awk 'NR == 1 { print $2 }'), dbus $(dbus-daemon --version | awk 'NR == 1 { print $NF }'), kernel $(uname -r)"
	} >"$MEMCG_VM_OUT/versions.txt"
	for u in sdb1 ${storm_users//,/ }; do loginctl terminate-user "$u" 2>/dev/null; done
	rm -rf "$tmp"
	return "$rc"
}

if [ "${1:-}" = --guest ]; then
	guest "$2"
	exit
fi

# --- on the host ---------------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	say "needs root (the VM)"
	exit 2
fi
OUT=${BENCH_OUT:-$TOP/bench/results/latest.md}
BEFORE=${BENCH_SD_BEFORE-facba3a}
# The guest sees the host's root, except /tmp, /run and /dev.
STAGE=$TOP/build/bench-systemd
case "$TOP/" in
/tmp/* | /run/* | /dev/*) say "the checkout must not be under /tmp, /run or /dev (the VM does not see them)"; exit 2 ;;
esac
"$TOP/tests/deps.sh" systemd dbus libpam-systemd >&2 || exit 2
make -s -C "$TOP" build/pam_memcg.so build/memcgctl build/bench/sd_logins build/bench/sd_steps >&2 || { say "build failed"; exit 2; }
rm -rf "$STAGE"
mkdir -p "$STAGE/vmout"
before_note="no earlier build (BENCH_SD_BEFORE is empty)"
if [ -n "$BEFORE" ]; then
	if git -C "$TOP" cat-file -e "$BEFORE^{commit}" 2>/dev/null &&
		mkdir -p "$STAGE/before" && git -C "$TOP" archive "$BEFORE" | tar -x -C "$STAGE/before" &&
		make -s -C "$STAGE/before" build/pam_memcg.so >&2; then
		before_note="before: pam_memcg at commit $(git -C "$TOP" rev-parse --short "$BEFORE"), built alike"
	else
		say "cannot build commit $BEFORE: no before rows"
		rm -rf "$STAGE/before"
		before_note="no earlier build (commit $BEFORE could not be built)"
	fi
fi
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "booting the systemd VM (2 vCPUs under TCG)"
cd "$TOP" || exit 2
t0=$(date +%s)
"$TOP/tests/vm/run.sh" --mode systemd --out "$STAGE/vmout" --timeout "${BENCH_SD_TIMEOUT:-1800}" \
	-- bench/systemd_cost.sh --guest "$STAGE" >&2
rc=$?
t1=$(date +%s)
V=$STAGE/vmout
if [ ! -s "$V/cost.md" ]; then
	say "the VM run gave no results (exit status $rc)"
	exit 2
fi

section=$(
	echo "$SECTION"
	echo
	echo "Measured by \`bench/systemd_cost.sh\` (\`make bench-systemd\`) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "in the systemd VM of tests/vm (qemu TCG, 2 vCPUs, $(cat "$V/versions.txt" 2>/dev/null));"
	echo "host load average at start $LOAD0, $((t1 - t0)) s in all. after: pam_memcg at commit"
	echo "$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown) (work tree as built); $before_note."
	echo "Under emulation every number is many times a real machine's: compare"
	echo "within the tables, not with the host rows above."
	echo
	echo "Each session is a process of its own (as a login program is), forked"
	echo "by the bench, which runs as root in a system service: pam_start_confdir,"
	echo "then pam_open_session and pam_close_session (timed), pam_end. pam_systemd"
	echo "asks logind for a session (its scope in user-UID.slice); the pam_memcg"
	echo "stacks add \`session required pam_memcg.so\` after it, with memory_max"
	echo "256M, memory_high max, swap_max 64M, cpu_max 2 and tasks_max 512. The"
	echo "user has another session open throughout (its slice and user manager"
	echo "run), as a user who logs in again. From inside each session the bench"
	echo "checks it is in a scope of the user's slice and that the slice's"
	echo "memory.max is the configured one. *the limits changed at every login*:"
	echo "two configs (256M and 192M) in turn, so every login must set them."
	echo
	echo "### Session cost"
	echo
	echo "Median over rounds of each round's median (${BENCH_SD_ROUNDS:-3} rounds of ${BENCH_SD_ITER:-15} timed"
	echo "sessions per stack after ${BENCH_SD_WARMUP:-3} untimed; session by session, every stack in"
	echo "turn, so that the load of the shared machine falls on all alike); p90"
	echo "over all timed sessions. *vs pam_systemd alone* is the ratio of medians."
	echo
	cat "$V/cost.md"
	echo
	echo "### Where the time goes"
	echo
	echo "The steps of a login that sets the limits (mc_sd_open_session), made one by"
	echo "one by \`bench/sd_steps.c\` as root in the VM and timed each, ${BENCH_SD_STEPS:-30} times;"
	echo "the first two rows are mc_backend_resolve as pam_memcg calls it, the third"
	echo "the drop-in reads that decide whether the rest is needed."
	echo
	cat "$V/steps.md" 2>/dev/null || echo "(did not run)"
	echo
	echo "### D-Bus messages per login"
	echo
	echo "Everything on the system bus while ${BENCH_SD_COUNT:-10} sessions of each stack ran"
	echo "(\`dbus-monitor --system --profile\`, apart from the timed runs), per"
	echo "session: pam_systemd's calls to logind, logind's to systemd, systemd's"
	echo "signals, and pam_memcg's own connection (Hello, AddMatch, SetUnitProperties,"
	echo "Properties.Get)."
	echo
	cat "$V/dbus.md"
	echo
	echo "### Login storm"
	echo
	echo "${BENCH_SD_WORKERS:-8} workers over ${BENCH_SD_USERS:-4} users (each user already logged in once),"
	echo "each opening and closing ${BENCH_SD_SESSIONS:-8} sessions in a row, each in a process of its"
	echo "own; sessions/s over the wall time; open latency is pam_open_session"
	echo "alone. Then the held sessions close and the bench waits up to 40 s"
	echo "(logind's UserStopDelaySec is 10 s) for the users' slices to go."
	echo
	cat "$V/storm.md"
)

# Only this section is replaced (or appended); the rest of the report is
# bench/run.sh's.
mkdir -p "$(dirname "$OUT")"
[ -f "$OUT" ] || echo "# pam_memcg benchmarks" >"$OUT"
awk -v sec="$SECTION" '
	$0 == sec { skip = 1; next }
	skip && /^## / { skip = 0 }
	!skip { line[++n] = $0 }
	END { while (n > 0 && line[n] == "") n--; for (i = 1; i <= n; i++) print line[i] }' "$OUT" >"$STAGE/rest.md"
{
	cat "$STAGE/rest.md"
	echo
	printf '%s\n' "$section"
} >"$OUT"
printf '%s\n' "$section"
say "section written to $OUT"
[ "$rc" -le 2 ] || rc=2
exit "$rc"
