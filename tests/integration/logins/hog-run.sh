#!/bin/sh
# Run by a test user inside a login session for t_logins_*.sh: prints its pid
# as "hogN: pid=PID", then becomes the hog (same pid, command "hog"), so the
# test knows which victim the notifier's notice must name.
#   hog-run.sh N MIB
n=$1
shift
echo "hog$n: pid=$$"
exec "${0%/*}/hog" "$@"
