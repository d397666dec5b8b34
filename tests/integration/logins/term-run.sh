#!/bin/sh
# Runs a login program on a test terminal for t_logins_*.sh and records its pid
# (pam_wrapper's temp dir names it) in STATE.pid and its exit status in STATE
# once it has ended: tmux here sometimes reaps a pane's process only when the
# next child exits, so its pane status cannot be waited for.
#   term-run.sh STATE CMD [ARG...]
state=$1
shift
sh -c 'echo "$$" >"$0"; exec "$@"' "$state.pid" "$@"
echo "$?" >"$state.tmp" && mv "$state.tmp" "$state"
