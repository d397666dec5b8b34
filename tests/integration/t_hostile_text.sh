#!/bin/bash
# Text the notifier writes to terminals and into mail, under an evil host
# name: escaped host and command names, user names that are no mail address,
# and utmp entries that point at another user's terminal, a file or a fifo.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/hostile_fixtures.sh
. "$(dirname "$0")/hostile_fixtures.sh"

# ============================================================================
# Terminal and mail text (the notifier, with an evil host name)
# ============================================================================

# Mail headers: exactly the expected ones, no CR, no control characters.
check_mail_headers() { # FILE WHAT
	local f=$1 what=$2
	$PY - "$f" <<'EOF' || fail "$what: $(cat "$TMP/hdr.err")"
import re, sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\n\n")
bad = []
if not sep:
    bad.append("no blank line after the headers")
if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", data):
    bad.append("control character in the message")
names = [l.split(b":", 1)[0] for l in head.split(b"\n")]
want = [b"To", b"From", b"Subject", b"Date", b"Auto-Submitted", b"MIME-Version",
        b"Content-Type", b"Content-Transfer-Encoding"]
if names != want:
    bad.append("headers %r" % names)
if bad:
    open(sys.argv[1] + ".why", "w").write("; ".join(bad))
    sys.exit(1)
EOF
	[ -e "$f.why" ] && cp "$f.why" "$TMP/hdr.err"
}

t_text_host_name() {
	local screen=$TMP/t.screen m
	notifier_setup
	rm -f "$TMP"/mail/*.eml
	kill_one "$N_T_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM (python3)' '$screen'" 5 || fail "no notice on the pty"
	assert_contains "$screen" 'Message from memcg-notifier@mc\\x0d\\x0aBcc: evil@example.org\\x1b\]0;T\\x07 at ' \
		"host name shown escaped on the terminal"
	if grep -q $'\e\|\a' "$screen"; then fail "a raw escape byte reached the pty"; fi
	wait_for "ls $TMP/mail/*.eml >/dev/null 2>&1" 5 || fail "no mail"
	m=$(ls "$TMP"/mail/*.eml 2>/dev/null | head -1)
	check_mail_headers "$m" "mail with an evil host name"
	assert_contains "$m" '^Subject: \[mc\\x0d\\x0aBcc: evil@example.org\\x1b\]0;T\\x07\] a process was killed' \
		"host name escaped in the subject"
	assert_contains "$m" "^To: $N_T\$" "mail to the user"
}

# Command names built from the sequences that abused wall(1) in 2024: OSC
# 52 (clipboard), DCS, C1 CSI in both encodings, a carriage return before
# a fake prompt.  (t_notifier_tty covers OSC 0 and CSI.)  rate_limit is 0:
# every kill is told.
t_text_command_names() {
	local screen=$TMP/t.screen comm i
	notifier_setup
	local names=(
		'\x1b]52;c;ZXZp\x07'
		'\x1bP+q544e\x1b\\'
		'\xc2\x9b2J\xc2\x9d0;x'
		'\x9b31m\x9b2J'
		'ok\rPassword: '
	)
	local shown=(
		'\x1b]52;c;ZXZp\x07'
		'\x1bP+q544e\x1b\\'
		'\u009b2J\u009d0;x'
		'\x9b31m\x9b2J'
		'ok\x0dPassword: '
	)
	for i in "${!names[@]}"; do
		comm=${names[$i]}
		kill_one "$N_T_UID" "open(\"/proc/self/comm\", \"wb\").write(b\"$comm\")
$HOG"
		wait_for "grep -aq 'process: $VICTIM ' '$screen'" 5 ||
			{ fail "no notice for command $comm: $(grep -a "$VICTIM" "$NLOG" "$screen" | cat -v)"; continue; }
		grep -aqF "process: $VICTIM (${shown[$i]})" "$screen" ||
			fail "command $comm not shown as ${shown[$i]}: $(grep -a "process: $VICTIM" "$screen" | cat -v)"
	done
	if LC_ALL=C grep -aq $'[\x1b\x07\x9b\x9d]' "$screen"; then
		fail "a raw escape or C1 byte reached the pty: $(LC_ALL=C grep -a $'[\x1b\x07\x9b\x9d]' "$screen" | cat -v)"
	fi
	if LC_ALL=C grep -aq $'[\x1b\x07\x9b\x9d]' "$NLOG"; then fail "a raw escape byte reached the log"; fi
	for m in "$TMP"/mail/*.eml; do
		check_mail_headers "$m" "mail $(basename "$m")"
	done
}

# User names: escapes in the log are neutralised; a name that is no plain
# local mail address (a CR, an escape, a remote domain) gets no mail, with
# a reason in the log; the terminal notice still goes out.  A name of 32
# characters fills utmp's ut_user without a NUL and is still found.
t_text_user_names() {
	local s_esc=$TMP/esc.screen s_cr=$TMP/cr.screen s_at=$TMP/at.screen s32=$TMP/32.screen
	notifier_setup
	start_pty "$N_ESC_UID" 0620 "$s_esc"
	start_pty "$N_CR_UID" 0620 "$s_cr"
	start_pty "$N_AT_UID" 0620 "$s_at"
	start_pty "$N_32_UID" 0620 "$s32"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_ESC" "$(tty_of "$s_esc")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_CR" "$(tty_of "$s_cr")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_AT" "$(tty_of "$s_at")"
	$PY "$TMP/utmp_add.py" "$UTMP" "$N_32" "$(tty_of "$s32")"
	rm -f "$TMP"/mail/*.eml
	kill_one "$N_ESC_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_esc'" 5 || fail "no notice for the user with escapes in the name"
	kill_one "$N_CR_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_cr'" 5 ||
		fail "no notice for the user with a CR in the name: $(grep -a "$VICTIM\|$N_CR_UID" "$NLOG" | cat -v; cat -v "$s_cr")"
	kill_one "$N_AT_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s_at'" 5 || fail "no notice for the user $N_AT"
	kill_one "$N_32_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$s32'" 5 || fail "no notice for the user with 32 characters (utmp full)"
	sleep 0.3
	assert_contains "$NLOG" "no mail for uid $N_CR_UID: the user name is not a plain mail address" "CR name: no mail, reason"
	assert_contains "$NLOG" "no mail for uid $N_AT_UID: the user name is not a plain mail address" "remote name: no mail, reason"
	assert_contains "$NLOG" "no mail for uid $N_ESC_UID: the user name is not a plain mail address" "ESC name: no mail, reason"
	assert_eq 1 "$(ls "$TMP"/mail/*.eml 2>/dev/null | wc -l)" "only the plain name got mail"
	assert_contains "$NLOG" "oom_kill: user mc\\\\x1b\]0;owned\\\\x07\\\\x1b\[2J$$ \\(uid $N_ESC_UID\\)" "ESC name escaped in the event line"
	assert_contains "$NLOG" "\\(uid $N_ESC_UID, user mc\\\\x1b" "ESC name escaped in the watching line"
	if LC_ALL=C grep -aq $'[\x01-\x09\x0b-\x1f\x7f]' "$NLOG"; then
		fail "a control character reached the notifier log: $(LC_ALL=C grep -a $'[\x01-\x09\x0b-\x1f\x7f]' "$NLOG" | cat -v)"
	fi
}

# utmp entries that point elsewhere: another user's terminal (directly, by
# a symlink, by a symlinked directory), a file, a fifo with a reader, all in
# a directory of the user's below /dev (as /dev/shm is everyone's).
# Nothing but the user's own terminal may receive a byte.
t_text_utmp_targets() {
	local mine=$TMP/mine.screen other=$TMP/other.screen ot f fifo_reader
	notifier_setup
	start_pty "$N_KA_UID" 0620 "$mine"
	start_pty "$N_OTHER_UID" 0620 "$other"
	ot=$(tty_of "$other")
	f=/dev/mc$$
	mkdir -m 0755 "$f" && DEVDIRS+=("$f")
	chown "$N_KA_UID" "$f"
	ln -s "/dev/$ot" "$f/link"
	ln -s /dev "$f/dir"
	: >"$f/file" && chown "$N_KA_UID" "$f/file" && chmod 0620 "$f/file"
	mkfifo -m 0620 "$f/fifo" && chown "$N_KA_UID" "$f/fifo"
	cat "$f/fifo" >"$TMP/fifo.out" &
	fifo_reader=$!
	T_PIDS+=("$fifo_reader")
	for line in "$ot" "mc$$/link" "mc$$/dir/$ot" "mc$$/file" "mc$$/fifo" "$(tty_of "$mine")"; do
		$PY "$TMP/utmp_add.py" "$UTMP" "$N_KA" "$line"
	done
	kill_one "$N_KA_UID" "$HOG"
	wait_for "grep -q 'process: $VICTIM ' '$mine'" 5 || fail "no notice on the user's own terminal"
	sleep 0.3
	[ ! -s "$other" ] || fail "another user's terminal received: $(cat -v "$other")"
	[ ! -s "$f/file" ] || fail "a plain file named in utmp was written to"
	kill "$fifo_reader" 2>/dev/null
	[ ! -s "$TMP/fifo.out" ] || fail "a fifo named in utmp was written to"
	assert_contains "$NLOG" "not writing to /dev/$ot of $N_KA: owned by someone else" "someone else's tty logged"
	assert_contains "$NLOG" "not writing to /dev/mc$$/link of $N_KA: .*(symbolic|link)" "symlink logged"
	assert_contains "$NLOG" "not writing to /dev/mc$$/file of $N_KA: not a terminal" "plain file logged"
	kill -0 "$NPID" 2>/dev/null || fail "notifier died"
}

run text_host_name t_text_host_name
run text_command_names t_text_command_names
run text_user_names t_text_user_names
run text_utmp_targets t_text_utmp_targets
t_done
