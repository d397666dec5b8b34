#!/bin/sh
# Run by a test user inside a real login session: prints, as "probeN: key=value"
# lines, where the login shell SHELL_PID is and what its memory cgroup holds.
#   probe.sh N SHELL_PID [STATUS_OF_THE_COMMAND_BEFORE]
# probe.env beside this file (written by logins_fixtures.sh) sets CG_MNT, MC_VERSION,
# F_MAX and F_OOM.
. "${0%/*}/probe.env"
n=$1 shell=$2
if [ "$MC_VERSION" = 2 ]; then
	cg=$(awk -F: '$1 == "0" { print $3 }' "/proc/$shell/cgroup")
else
	cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$shell/cgroup")
fi
d=$CG_MNT$cg
echo "probe$n: uid=$(id -u)"
echo "probe$n: shell=$shell"
echo "probe$n: cg=$cg"
echo "probe$n: max=$(cat "$d/$F_MAX")"
echo "probe$n: oom_kill=$(awk '$1 == "oom_kill" { print $2 }' "$d/$F_OOM")"
echo "probe$n: procs=$(tr '\n' ' ' <"$d/cgroup.procs")"
[ $# -ge 3 ] && echo "probe$n: status=$3"
echo "probe$n: end"
