# Small fixtures shared by several integration test files (sourced by lib.sh,
# after its own setup: $TMP, $CG_MNT and $MC_VERSION are known).  The
# fixtures of one family of files live beside them: hostile_fixtures.sh,
# faults_nf_fixtures.sh, logins_fixtures.sh, module_fixtures.sh,
# nf_fixtures.sh, notifier_fixtures.sh, systemd_fixtures.sh.
# shellcheck shell=bash

# need FILE...: ends the test file with a message when one is missing.
need() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || { echo "$T_NAME: $f is missing (run make and tests/deps.sh)" >&2; exit 1; }
	done
}

# end_pids: the background processes in T_PIDS asked to stop (SIGTERM),
# killed 0.2 s later and reaped, quietly (no job status lines).
end_pids() {
	local p
	{
		for p in "${T_PIDS[@]}"; do kill -TERM "$p"; done
		sleep 0.2
		for p in "${T_PIDS[@]}"; do kill -KILL "$p"; done
		wait
	} 2>/dev/null
}

# val FILE KEY: the value of a KEY=VALUE line in FILE.
val() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }
# count FILE PATTERN: how many lines of FILE match (0 when none or no file).
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# Regular expression for a literal string.
re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }

# The cgroup version this machine does not use (v1 or v2).
other_version() { [ "$MC_VERSION" = 1 ] && echo v2 || echo v1; }

# write_inspect FILE: a script to run inside a session, writing to its
# first argument the shell's memory cgroup (cg=), each limit file there
# that exists (FILE=value) and the memory limit under one name for both
# versions (max=).
write_inspect() {
	cat >"$1" <<EOF
#!/bin/sh
if [ "$MC_VERSION" = 2 ]; then
	cg=\$(awk -F: '\$1 == "0" { print \$3 }' /proc/self/cgroup)
else
	cg=\$(awk -F: '\$2 ~ /(^|,)memory(,|\$)/ { print \$3 }' /proc/self/cgroup)
fi
echo "cg=\$cg" >"\$1"
for f in $F_MAX $F_HIGH memory.swap.max memory.memsw.limit_in_bytes; do
	[ -e "$CG_MNT\$cg/\$f" ] && echo "\$f=\$(cat "$CG_MNT\$cg/\$f")" >>"\$1"
done
[ -e "$CG_MNT\$cg/$F_MAX" ] && echo "max=\$(cat "$CG_MNT\$cg/$F_MAX")" >>"\$1"
exit 0
EOF
	chmod 755 "$1"
}

# mkcg DIR: a cgroup made by hand; on v2 with the memory controller enabled
# along the path first, as the module does.
mkcg() {
	local d=$CG_MNT rel=${1#"$CG_MNT"/} c
	if [ "$MC_VERSION" = 2 ]; then
		for c in ${rel//\// }; do
			grep -qw memory "$d/cgroup.subtree_control" || echo +memory >"$d/cgroup.subtree_control"
			d=$d/$c
			mkdir -p "$d"
		done
	fi
	mkdir -p "$1"
}

# $TMP/utmp_add.py FILE USER LINE: appends a USER_PROCESS entry to the utmp
# file FILE (names are bytes as given).
cat >"$TMP/utmp_add.py" <<'PYEOF'
import os, struct, sys, time
FMT = "<hhi32s4s32s256shhiii4i20s"      # struct utmp on x86_64 glibc
path, user, line = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
rec = struct.pack(FMT, 7, 0, os.getpid(), line, b"mc%02d" % (os.getpid() % 100), user,
                  b"memcg-test", 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")
with open(path, "ab") as f:
    f.write(rec)
PYEOF

# run NAME FUNCTION: run_test, or skipped when T_ONLY (a glob) does not
# match NAME (for running one case while working on it).
run() {
	# shellcheck disable=SC2053 # T_ONLY is a glob
	[ -z "${T_ONLY:-}" ] || [[ $1 == $T_ONLY ]] || return 0
	run_test "$@"
}
