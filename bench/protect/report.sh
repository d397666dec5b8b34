#!/bin/bash
# The table of `make bench-protect` from the raw data its VMs left
# (bench/protect/guest.sh): Markdown on stdout.
#   bench/protect/report.sh OUTDIR [RUN_TIME [HOST_LOAD]]
set -uo pipefail
dir=${1:?usage: report.sh OUTDIR [RUN_TIME [HOST_LOAD]]}
total=${2:-?}
load=${3:-?}
prots=(nothing earlyoom memcg-v2 memcg-v1 systemd memcg-systemd)
read -r -a scens <<<"${MEMCG_PROTECT_SCENARIOS:-cpu storm mem-big mem-many}"

declare -A label=(
	[nothing]="nothing (v2)"
	[earlyoom]="earlyoom (v2)"
	[memcg-v2]="pam_memcg cgroupfs v2"
	[memcg-v1]="pam_memcg cgroupfs v1"
	[systemd]="systemd drop-in + oomd"
	[memcg-systemd]="pam_memcg systemd"
)
declare -A scen_label=(
	[cpu]="CPU hog"
	[storm]="process storm"
	[mem-many]="6 × 150 MiB"
	[mem-big]="1 × ${MEMCG_PROTECT_BIG_MIB:-900} MiB"
)

# lat FILE FROM TO [EXTRA_US]: "N P50 P99 MAX" of the latencies (us) of
# the probes started in [FROM, TO), EXTRA_US added as one more sample
# when given; "0 - - -" when there are none.
lat() {
	{
		# Whole lines only: the copy of a VM that hung may end mid-line.
		awk -v a="$2" -v b="$3" '/^[0-9]+\.[0-9]+ [0-9]+( forkfail)?$/ && $1 >= a && $1 < b { print $2 }' "$1" 2>/dev/null
		[ -n "${4:-}" ] && echo "$4"
	} | sort -n | awk '
		{ v[++n] = $1 }
		END {
			if (n == 0) { print "0 - - -"; exit }
			i50 = int(0.5 * n + 0.999999); i99 = int(0.99 * n + 0.999999)
			print n, v[i50], v[i99], v[n]
		}'
}
ratio() { awk -v x="$1" -v b="$2" 'BEGIN { if (x == "-" || b == "-" || b == 0) print "-"; else printf "%.1f×", x / b }'; }
meta() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }

# kills OUT FROM TO UID: "COUNT FIRST_S" of the kills of UID's processes in
# [FROM, TO] by the kernel (klog), earlyoom or systemd-oomd.
kills() {
	{
		sed -n 's/^\[ *\([0-9.]*\)\].*Killed process \([0-9]*\) .*UID:\([0-9]*\) .*/\1 \2 \3/p' "$1/klog.txt" 2>/dev/null
		sed -n 's/^\([0-9.]*\) .*sending SIG[A-Z]* to process \([0-9]*\) uid \([0-9]*\) .*/\1 \2 \3/p' "$1/earlyoom.log" 2>/dev/null
		sed -n 's/^\[ *\([0-9.]*\)\].*systemd-oomd.*Killed .*user-\([0-9]*\)\.slice.*/\1 cg \2/p' "$1/oomd.log" 2>/dev/null
	} | awk -v a="$2" -v b="$3" -v u="$4" '
		$1 >= a && $1 <= b && $3 == u && !seen[$2]++ { n++; if (first == "" || $1 < first) first = $1 }
		END { print n + 0, (first == "" ? "-" : first) }'
}

env_of() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$dir/$1/env" 2>/dev/null; }
first=""
for p in "${prots[@]}"; do [ -s "$dir/$p/env" ] && { first=$p; break; }; done

echo "# Neighbour protection (make bench-protect)"
echo
echo "Measured $(date -u +%Y-%m-%d) in throwaway VMs (qemu TCG, 2 vCPUs), kernel $(env_of "$first" kernel), memory $(awk -v k="$(env_of "$first" mem_kib)" 'BEGIN { printf "%.0f MiB", k / 1024 }') usable, swap $(env_of "$first" swap_kib) KiB;"
echo "each protection in its own VM; per cell a ${MEMCG_PROTECT_BASE:-6} s baseline (its last $((${MEMCG_PROTECT_BASE:-6} - 1)) s compared), then ${MEMCG_PROTECT_HOG:-20} s of A's hog."
echo "Limits for both users: memory 400M, 1 CPU, 200 tasks (pam_memcg: memory_max, cpu_max, tasks_max; systemd: MemoryMax, CPUQuota=100%, TasksMax in a user-.slice.d drop-in)."
echo "Run time: ${total}; host load average at the end: ${load} (2 cores shared with other VMs)."
echo
echo "B = the neighbour (probe: touch 64 MiB + fork/exec /bin/true every 50 ms, and a ${MEMCG_PROTECT_KEEP_MIB:-200} MiB long-lived process, the keeper);"
echo "latencies are multiples of the same probe's idle median just before A started (1.0× = unaffected). root = the same probe (4 MiB) as root, never killed."
echo
echo "| protection | A runs | B p50 | B p99 | B max | B probes | B killed | B keeper | A stopped after | A told | root p50 | root p99 | root max |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: |"
for p in "${prots[@]}"; do
	o=$dir/$p
	[ -d "$o" ] || continue
	rc=$(cat "$o/vm-rc" 2>/dev/null || echo "?")
	ua=$(env_of "$p" uid_a) ub=$(env_of "$p" uid_b)
	for s in "${scens[@]}"; do
		m=$o/$s/meta
		if [ ! -s "$m" ] || ! grep -q '^t_hog ' "$m"; then
			case $rc in
			0) why="not run" ;;
			124) why="VM hung (timed out, killed) in this cell" ;;
			*) why="VM failed (exit $rc) in this cell" ;;
			esac
			[ "$rc" != 0 ] && [ ! -d "$o/$s" ] && why="not reached: the VM hung or failed before"
			echo "| ${label[$p]} | ${scen_label[$s]} | $why | | | | | | | | | | |"
			continue
		fi
		ts=$(meta "$m" t_start) th=$(meta "$m" t_hog) te=$(meta "$m" t_end)
		hung=""
		if [ -z "$te" ]; then
			# The VM never finished this cell: what its probes wrote until
			# it stopped answering is all there is.
			last=$(tail -n 1 "$o/$s/root.txt" 2>/dev/null | awk -v h="$th" '{ printf "%.0f", $1 + $2 / 1e6 - h }')
			hung="VM hung (exit $rc): the root probe's last answer ${last:-?} s after A started"
			te=1e9
		fi
		# A probe still alive at the end but silent for a while is stalled:
		# the time since its last probe ended counts as one more sample.
		extra=""
		if [ "$(meta "$m" probe_alive)" = 1 ] && [ -s "$o/$s/b.txt" ]; then
			extra=$(tail -n 1 "$o/$s/b.txt" | awk -v e="$te" '{ g = (e - ($1 + $2 / 1e6)) * 1e6; if (g > 1e6) printf "%.0f", g }')
		fi
		# The baseline: the last BASE-1 s before A started (B's first probe
		# comes right after its login).
		ts=$(awk -v h="$th" -v b="${MEMCG_PROTECT_BASE:-6}" -v s="$ts" 'BEGIN { t = h - b + 1; print (t > s ? t : s) }')
		read -r bn b50 _ _ < <(lat "$o/$s/b.txt" "$ts" "$th")
		read -r hn h50 h99 hmax < <(lat "$o/$s/b.txt" "$th" "$te" "$extra")
		read -r _ r50 _ _ < <(lat "$o/$s/root.txt" "$ts" "$th")
		read -r _ q50 q99 qmax < <(lat "$o/$s/root.txt" "$th" "$te")
		# Kills count until A was stopped: under thrashing the kernel's
		# first one may come after the hog's window.
		tc=$(meta "$m" t_clean)
		[ -n "$tc" ] || tc=1e9
		read -r bk _ < <(kills "$o" "$th" "$tc" "$ub")
		read -r ak af < <(kills "$o" "$th" "$tc" "$ua")
		keeper=alive
		[ "$(meta "$m" keeper_alive)" = 1 ] || keeper="**killed**"
		probes="$hn"
		[ "$(meta "$m" probe_alive)" = 1 ] || probes="$hn, **probe killed**"
		if [ -n "$hung" ]; then
			probes="$hn; $hung"
			keeper="?"
			[ "$bk" -gt 0 ] && keeper="**killed**"
		fi
		[ "$bn" -gt 0 ] || probes="$probes (no baseline)"
		case $s in
		cpu) stopped="not stopped (limited at most)" ;;
		storm)
			stopped=$(awk -v h="$th" '{ if ($4 < 0) printf "never refused (%d forked)", $2; else printf "fork refused after %.1f s (%d forked)", $4 - h, $2 }' "$o/$s/storm.txt" 2>/dev/null)
			[ -n "$stopped" ] || stopped="?"
			;;
		*)
			if [ "$ak" -gt 0 ]; then
				stopped=$(awk -v f="$af" -v h="$th" -v n="$ak" 'BEGIN { printf "%.1f s (%d kill%s)", f - h, n, n == 1 ? "" : "s" }')
			else
				stopped="not stopped"
			fi
			;;
		esac
		told=no
		if grep -q "memcg-notifier" "$o/$s/a_term.txt" 2>/dev/null; then
			told=yes
			if [ "$af" != "-" ]; then
				t=$(awk -v a="$af" -v b="$te" '$1 >= a && / told / { printf "%.1f", $1 - a; exit }' "$o/notifier.log" 2>/dev/null)
				[ -n "$t" ] && told="yes, ${t} s after the kill"
			fi
		fi
		echo "| ${label[$p]} | ${scen_label[$s]} | $(ratio "$h50" "$b50") | $(ratio "$h99" "$b50") | $(ratio "$hmax" "$b50") | $probes | $bk | $keeper | $stopped | $told | $(ratio "$q50" "$r50") | $(ratio "$q99" "$r50") | $(ratio "$qmax" "$r50") |"
	done
done
echo
echo "VM lanes: $(for p in "${prots[@]}"; do [ -d "$dir/$p" ] && printf '%s: mode %s, exit %s, %s s; ' "$p" "$(env_of "$p" mode)" "$(cat "$dir/$p/vm-rc" 2>/dev/null)" "$(cat "$dir/$p/vm-seconds" 2>/dev/null)"; done)"
if [ -s "$dir/systemd/oomd-active" ]; then
	echo
	echo "systemd-oomd in the systemd VM: $(cat "$dir/systemd/oomd-active") (Debian's defaults: it watches user@.service for memory pressure and the root slice for swap; none here)."
fi
