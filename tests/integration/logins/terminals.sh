# Test terminals for the login tests (sourced by logins_fixtures.sh and
# systemd_fixtures.sh): one private tmux server, one session per login.  Uses
# LDIR (where tmux.conf, the socket and term-run.sh's state files live).
# shellcheck shell=bash

# term_setup FILE...: makes LDIR with tmux's config, term-run.sh and the
# FILEs (what the sessions run) in it.
term_setup() {
	mkdir -m 0755 "$LDIR" || return 1
	printf 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\nset -g default-shell /bin/bash\n' \
		>"$LDIR/tmux.conf"
	install -m 0755 "$TOP/tests/integration/logins/term-run.sh" "$@" "$LDIR/"
}

tm() { env -u TMUX TMUX_TMPDIR="$LDIR" tmux -L "memcg-test-$$" -f "$LDIR/tmux.conf" "$@"; }

# term_open NAME CMD...: runs CMD on a new pty (through logins/term-run.sh,
# which records its pid and exit status in $LDIR/NAME.state*).
term_open() {
	local name=$1 cmd
	shift
	cmd=$(printf '%q ' sh "$LDIR/term-run.sh" "$LDIR/$name.state" "$@")
	tm new-session -d -s "$name" -x 200 -y 50 "exec $cmd" || {
		fail "tmux could not start $name"
		return 1
	}
}

term_text() { tm capture-pane -p -J -S - -t "$1"; }

term_send() {
	tm send-keys -t "$1" -l -- "$2" && tm send-keys -t "$1" Enter
}

# term_wait NAME REGEX [TIMEOUT]: until a line on the terminal matches.
term_wait() {
	local deadline=$((SECONDS + ${3:-20})) text
	while :; do
		text=$(term_text "$1")
		grep -qE -- "$2" <<<"$text" && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# term_ended NAME [TIMEOUT]: until the program on the terminal has exited.
term_ended() {
	local deadline=$((SECONDS + ${2:-20}))
	until [ -e "$LDIR/$1.state" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

term_status() { cat "$LDIR/$1.state" 2>/dev/null; }

# term_close NAME FILE: saves what the terminal shows to FILE, hangs it up.
term_close() {
	term_text "$1" >"$2" 2>/dev/null
	tm kill-session -t "$1" 2>/dev/null
}
