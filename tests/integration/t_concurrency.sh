#!/bin/bash
# Many sessions of several users opening and closing at once: 32 loops over
# 8 users, thousands of open/close cycles.  Nobody may fail, every session
# must be in its user's cgroup, and no cgroup may be left behind.
. "$(dirname "$0")/lib.sh"

LOOPS=${MEMCG_CONC_LOOPS:-32}
USERS=${MEMCG_CONC_USERS:-8}
CYCLES=${MEMCG_CONC_CYCLES:-100}
CONF=$TMP/pam_memcg.conf
write_conf "$CONF" <<EOF
cgroup_parent = "$TEST_PARENT"
on_error = fail
default { memory_max = "256M"  swap_max = "64M" }
EOF
pam_service svc "conf=$CONF"
for i in $(seq 1 "$USERS"); do add_user "${T_ID}u$i"; done

# Run inside every session: is this process in its user's cgroup?
cat >"$TMP/where.sh" <<EOF
#!/bin/sh
want="/$TEST_PARENT/user-\$(id -u "\$1")"
if [ "$MC_VERSION" = 2 ]; then
	have=\$(awk -F: '\$1 == "0" { print \$3 }' /proc/self/cgroup)
else
	have=\$(awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 }' /proc/self/cgroup)
fi
[ "\$have" = "\$want" ] || { echo "misplaced: \$have != \$want" >&2; exit 1; }
EOF
chmod 755 "$TMP/where.sh"

t_parallel_sessions() {
	local pids=() i u rc=0
	for i in $(seq 1 "$LOOPS"); do
		u=${T_ID}u$(((i - 1) % USERS + 1))
		# Half the loops run a command in each session (placement check), half
		# only open and close, so that opens race closes as tightly as they can.
		if [ $((i % 2)) -eq 0 ]; then
			session -n "$CYCLES" svc "$u" "$TMP/where.sh" "$u" 2>>"$TMP/errors" &
		else
			session -n "$CYCLES" svc "$u" 2>>"$TMP/errors" &
		fi
		pids+=($!)
	done
	T_PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	assert_eq 0 "$rc" "every open, close and placement check succeeded ($((LOOPS * CYCLES)) cycles)"
	if [ -s "$TMP/errors" ]; then
		fail "errors:"
		head -5 "$TMP/errors" >&2
	fi
	local left
	left=$(find "$TEST_PARENT_DIR" -mindepth 1 -maxdepth 1 -type d -name 'user-*' | wc -l)
	assert_eq 0 "$left" "user cgroups left behind"
	assert_not_contains "$MEMCG_TEST_SYSLOG" "^<[0-3]> pam_memcg" "no error logged"
	grep "^<[0-3]> pam_memcg" "$MEMCG_TEST_SYSLOG" | sort | uniq -c | head -5 >&2
}

run_test parallel_sessions t_parallel_sessions
t_done
