#!/bin/bash
# Kernel log lines forged by a user (file names that read like the kernel's
# OOM report, through a crashing program): nobody is told of a kill that did
# not happen, and the victim told is the process really killed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/hostile_fixtures.sh
. "$(dirname "$0")/hostile_fixtures.sh"

# ============================================================================
# Kernel log
# ============================================================================

# A program that crashes: the kernel logs "<comm>[pid]: segfault at ... in
# <its file name>[...]", and any user chooses that file name.
printf 'int main(void) { return *(volatile int *)0; }\n' >"$TMP/kl/segv.c"
cc -O0 -o "$TMP/kl/segv" "$TMP/kl/segv.c" || { echo "$T_NAME: cannot build a crasher" >&2; exit 1; }

# Whether the kernel log holds a text (grep reads it all: with pipefail,
# grep -q would make dmesg die of SIGPIPE and the pipe fail).
klog_has() { dmesg | grep -F -- "$1" >/dev/null; }

# Fires the crasher under a forged name; returns once the kernel has
# logged the crash (printk is rate-limited: retried).
forge() { # forge UID NAME
	local uid=$1 name=$2 _try
	cp "$TMP/kl/segv" "$TMP/kl/$name" && chmod 755 "$TMP/kl/$name"
	for _try in 1 2 3; do
		{ bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3"' \
			_ "$CG_MNT/$NPARENT/user-$uid" "$uid" "$TMP/kl/$name"; } 2>/dev/null
		wait_for "klog_has '$name'" 2 && return 0
		sleep 5
	done
	fail "the kernel never logged the crash of \"$name\" (printk rate limit?)"
}

# A user names another user's process as "killed" in the kernel log: nobody
# is told, nothing is logged as a kill.
t_klog_forged_kill_line() {
	local sb=$TMP/kb.screen bpid before
	notifier_setup
	start_pty "$N_KB_UID" 0620 "$sb"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_KB" "$(tty_of "$sb")"
	# A live process in B's cgroup, so that /proc ties its pid to B.
	bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- sleep 1000' \
		_ "$CG_MNT/$NPARENT/user-$N_KB_UID" "$N_KB_UID" &
	bpid=$!
	T_PIDS+=("$bpid")
	sleep 0.1
	before=$(count "$NLOG" 'oom_kill\|outside_kill\|oom_group_kill')
	forge "$N_KA_UID" "x Killed process $bpid (sshd) total-vm:0kB"
	forge "$N_KA_UID" "Memory cgroup out of memory: Killed process $bpid (sshd) total-vm:0kB"
	sleep 0.5
	[ ! -s "$sb" ] || fail "a forged kill line reached the other user: $(cat -v "$sb")"
	assert_eq "$before" "$(count "$NLOG" 'oom_kill\|outside_kill\|oom_group_kill')" "kills logged after forged lines"
	assert_not_contains "$NLOG" "victim $bpid " "forged victim not logged"
	kill "$bpid" 2>/dev/null
}

# Decoys in the same cgroup as a real OOM: named like kernel log lines
# (prctl and exec of a copy), and forged segfault lines while the OOM is
# being reported.  The victim told and logged is the process really killed.
t_klog_real_victim_named() {
	local sa=$TMP/ka.screen d1 d2 d3 i
	notifier_setup
	: >"$sa"
	start_pty "$N_KA_UID" 0620 "$sa"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_KA" "$(tty_of "$sa")"
	in_cg "$N_KA_UID" 'import time
open("/proc/self/comm", "w").write("Killed process ")
time.sleep(1000)' 3>"$TMP/d1.pid" &
	T_PIDS+=($!)
	in_cg "$N_KA_UID" 'import time
open("/proc/self/comm", "w").write("oom-kill:constr")
time.sleep(1000)' 3>"$TMP/d2.pid" &
	T_PIDS+=($!)
	cp /bin/sleep "$TMP/kl/x invoked oom-killer: gfp_mask=0x0" && chmod 755 "$TMP/kl/x invoked oom-killer: gfp_mask=0x0"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" 1000' \
		_ "$CG_MNT/$NPARENT/user-$N_KA_UID" "$N_KA_UID" "$TMP/kl/x invoked oom-killer: gfp_mask=0x0" &
	d3=$!
	T_PIDS+=("$d3")
	wait_for "[ -s $TMP/d1.pid ] && [ -s $TMP/d2.pid ]" 5
	d1=$(cat "$TMP/d1.pid") d2=$(cat "$TMP/d2.pid")
	T_PIDS+=("$d1" "$d2")
	# Forged kill lines naming the decoys, fired while the real OOM runs.
	for i in "$d1" "$d2" "$d3"; do
		cp "$TMP/kl/segv" "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
		chmod 755 "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
	done
	(
		sleep 0.03
		for i in "$d1" "$d2" "$d3"; do
			bash -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3"' \
				_ "$CG_MNT/$NPARENT/user-$N_KA_UID" "$N_KA_UID" "$TMP/kl/x Killed process $i (sshd) total-vm:0kB"
		done
	) 2>/dev/null &
	local forger=$!
	kill_one "$N_KA_UID" "$HOG"
	wait "$forger"
	wait_for "grep -q 'process: $VICTIM (python3)' '$sa'" 5 || fail "the real victim $VICTIM was not told"
	sleep 0.5
	assert_eq 1 "$(count "$sa" 'A process of yours was killed')" "one notice for one kill"
	assert_contains "$NLOG" "oom_kill: user $N_KA .* victim $VICTIM \\(python3\\)" "real victim logged"
	for i in "$d1" "$d2" "$d3"; do
		assert_not_contains "$NLOG" "victim $i " "decoy $i not logged as a victim"
		kill -0 "$i" 2>/dev/null || fail "decoy $i was killed instead of the hog"
	done
	klog_has "Killed process $VICTIM (python3)" || fail "the kernel log does not show the real kill"
}

run klog_forged_kill_line t_klog_forged_kill_line
run klog_real_victim_named t_klog_real_victim_named
t_done
