#!/bin/bash
# memcg-notifier against the real kernel: a burst of 20 OOM kills is one
# notice and one summary, warn_at warns only the user it is set for, and
# memcgctl status reads the same cgroup after the burst.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/notifier_fixtures.sh
. "$(dirname "$0")/notifier_fixtures.sh"

# --- tests ------------------------------------------------------------------

# The kills that summaries on FILE report, added up.
summarised() {
	grep -aoE '[0-9]+ more process(es were| was) killed since' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

t_burst_one_message_one_summary() {
	local i start pids=() rc killed=0 took summaries
	# The 20 hogs run side by side, as a parallel build's jobs would: one
	# after the other, each OOM kill costs the kernel about 0.2 s, and 20
	# of them came close to rate_limit on a busy machine.
	# in_cg_hog's hogs are the OOM killer's first choice (oom_score_adj
	# 1000): side by side each is small at first, and the session's own
	# processes (large under ASan) could be the largest for a moment.
	# Where root may lower it, the session's are out of the choice too.
	for i in $(cat "$(user_cg_dir "$U3")/cgroup.procs"); do
		echo -1000 >"/proc/$i/oom_score_adj" 2>/dev/null
	done
	start=$EPOCHREALTIME
	for i in $(seq 20); do
		in_cg_hog "$U3" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
		rc=$?
		[ "$rc" -eq 137 ] && killed=$((killed + 1))
	done
	assert_eq 20 "$killed" "hogs of $U3 killed by SIGKILL"
	took=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
	echo "    (20 kills took $took ms; rate_limit is $RATE_LIMIT s)"
	# The 19 kills after the first are told in summaries, one per
	# rate_limit period they span: one when the burst is shorter than
	# rate_limit, as it is but on a very busy machine.
	wait_for "[ \"\$(summarised '$TMP/u3.screen')\" -ge 19 ]" $((RATE_LIMIT * (took / 1000 / RATE_LIMIT + 2) + 10)) ||
		fail "the summaries do not add up to 19 kills: $(summarised "$TMP/u3.screen")"
	sleep 0.5
	assert_eq 1 "$(count "$TMP/u3.screen" 'A process of yours was killed')" "notices for the burst"
	assert_eq 19 "$(summarised "$TMP/u3.screen")" "kills in the summaries"
	summaries=$(count "$TMP/u3.screen" 'killed since')
	[ "$summaries" -ge 1 ] && [ "$summaries" -le $((took / 1000 / RATE_LIMIT + 1)) ] ||
		fail "$summaries summaries for a burst of $took ms with rate_limit $RATE_LIMIT s"
	assert_eq 20 "$(count "$NLOG" "oom_kill: user $U3 ")" "kills logged for the burst"
}

# warn_at (set for this user only): a threshold eventfd on v1, a PSI
# trigger on v2 (which needs pressure, so v1 only sees a plain crossing).
t_warn_at() {
	local code='import time
a = bytearray(40 << 20)
a[::4096] = b"x" * len(a[::4096])
time.sleep(1)'
	in_cg "$U4" "$code" 3>/dev/null
	if [ "$MC_VERSION" = 1 ]; then
		wait_for "grep -q 'of their memory limit (the warning is at 50%)' '$TMP/u4.screen'" 5 ||
			fail "no warning on the pty of $U4"
		assert_contains "$NLOG" "warn: user $U4 " "warning logged"
	fi
	# The others have warn_at off.
	assert_not_contains "$NLOG" "warn: user $U1 " "no warning for $U1"
}

# memcgctl status against the same real cgroup after the burst: two
# processes (pamtest, which the module moved in, and its sleeping command).
t_memcgctl_status() {
	local json table uid
	uid=$(id -u "$U3")
	json=$("$MEMCGCTL" status -c "$CONF" "$U3" --json)
	for want in "\"uid\":$uid," "\"user\":\"$U3\"" "\"procs\":2," "\"limit\":67108864," \
		"\"high\":null," "\"swap\":null," "\"oom_kills\":20}"; do
		[[ $json == *"$want"* ]] || fail "memcgctl status --json: no $want in $json"
	done
	[[ $json =~ \"peak\":6[0-9]{7}, ]] || fail "memcgctl status --json: peak not near the limit: $json"
	table=$("$MEMCGCTL" status -c "$CONF" "$U3")
	grep -qE "^$uid +$U3 +2 +.* +64\.0 MiB +64\.0 MiB +max +max +20\$" <<<"$table" ||
		fail "memcgctl status table: $table"
}

run_test burst_one_message_one_summary t_burst_one_message_one_summary
run_test warn_at t_warn_at
run_test memcgctl_status t_memcgctl_status
stop_notifier
NPID=""
t_done
