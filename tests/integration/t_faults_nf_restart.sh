#!/bin/bash
# The notifier restarted in the middle of a burst of kills: no kill
# told twice, none lost.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/faults_nf_fixtures.sh
. "$(dirname "$0")/faults_nf_fixtures.sh"

# Restart in the middle of a burst of kills.  "Lost" means: a kill whose
# kernel log line came while a notifier ran (before the stop marker for the
# first, after the start marker for the second) that its log does not name,
# or a kill a log names that the user was never told of (a notice, or a
# count in a summary: rate_limit holds the rest).  Kills between the two
# markers cannot be seen by a notifier that is not running and keeps no
# state (the next one takes the counters as its baseline): they may be
# told once at most.  No kill may be told twice.
t_nf_restart_mid_burst() {
	local screen=$TMP/u2.screen la=$TMP/a.log lb=$TMP/b.log burst i
	nf_setup
	stop_notifier
	RATE=3 nconf
	: >"$screen" && : >"$TMP/burst.pids"
	start_notifier "$la"
	wait_for "grep -q 'watching .*/user-$U2_UID' '$la'" 5 || fail "first notifier does not watch $U2"
	(
		for i in $(seq 30); do
			kill_one "$U2"
			echo "$VICTIM" >>"$TMP/burst.pids"
		done
	) &
	burst=$!
	wait_for "[ \$(wc -l <$TMP/burst.pids) -ge 10 ]" 90 || fail "burst too slow"
	echo "memcg-test $$ stop marker" >/dev/kmsg
	stop_notifier
	sleep 0.3
	start_notifier "$lb"
	echo "memcg-test $$ start marker" >/dev/kmsg
	wait "$burst"
	# What the second notifier holds back goes out rate_limit seconds after
	# its last notice or summary.
	wait_for "grep -q 'summary: ' '$lb'" 8 || fail "no summary from the second notifier"
	sleep 4
	$PY - "$$" "$TMP/burst.pids" "$la" "$lb" "$screen" >"$TMP/restart.txt" <<'EOF'
import os, re, sys
tag, pidfile, la, lb, screen = sys.argv[1:]
pids = [l.strip() for l in open(pidfile) if l.strip()]
fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
seq_of, stop, start = {}, None, None
while True:
    try:
        rec = os.read(fd, 8192).decode(errors="replace")
    except BlockingIOError:
        break
    except BrokenPipeError:
        continue
    head, _, text = rec.partition(";")
    seq = int(head.split(",")[1])
    if "memcg-test %s stop marker" % tag in text:
        stop = seq
    elif "memcg-test %s start marker" % tag in text:
        start = seq
    m = re.match(r"(?:Memory cgroup out of memory: )?Killed process (\d+) ", text)
    if m and m.group(1) in pids:
        seq_of[m.group(1)] = seq
def logged(path):
    out = {}
    for l in open(path, errors="replace"):
        m = re.search(r"oom_kill: .* victim (\d+|unknown)", l)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out
a, b = logged(la), logged(lb)
bad = []
if stop is None or start is None:
    bad.append("markers not found in the kernel log")
pre = [p for p in pids if p in seq_of and seq_of[p] < stop]
post = [p for p in pids if p in seq_of and seq_of[p] > start]
gap = [p for p in pids if p in seq_of and stop < seq_of[p] < start]
missing_k = [p for p in pids if p not in seq_of]
if missing_k:
    bad.append("kills not in the kernel log: %s" % missing_k)
for p in pre:
    if a.get(p, 0) != 1 or b.get(p, 0) != 0:
        bad.append("kill %s before the stop: first log %d, second %d" % (p, a.get(p, 0), b.get(p, 0)))
for p in post:
    if b.get(p, 0) != 1 or a.get(p, 0) != 0:
        bad.append("kill %s after the start: first log %d, second %d" % (p, a.get(p, 0), b.get(p, 0)))
for p in gap:
    if a.get(p, 0) + b.get(p, 0) > 1:
        bad.append("kill %s between the markers told %d times" % (p, a.get(p, 0) + b.get(p, 0)))
if "unknown" in a or "unknown" in b:
    bad.append("victims logged as unknown: %d, %d" % (a.get("unknown", 0), b.get("unknown", 0)))
logged_total = sum(a.values()) + sum(b.values())
text = open(screen, "rb").read().decode(errors="replace")
notices = text.count("A process of yours was killed")
held = sum(int(n) for n in re.findall(r"(\d+) more process(?:es were| was) killed since", text))
if notices + held != logged_total:
    bad.append("the user was told of %d kills (%d notices + %d in summaries), the logs name %d"
               % (notices + held, notices, held, logged_total))
sums = [len(re.findall("summary: ", open(p, errors="replace").read())) for p in (la, lb)]
print("kills %d: %d before the stop, %d between, %d after the start; logged %d+%d; told %d notices + %d in %d+%d summaries"
      % (len(pids), len(pre), len(gap), len(post), sum(a.values()), sum(b.values()), notices, held, sums[0], sums[1]))
for x in bad:
    print("BAD " + x)
EOF
	sed -n '1s/^/    (/p' "$TMP/restart.txt" | sed '1s/$/)/'
	while read -r line; do fail "${line#BAD }"; done < <(grep '^BAD ' "$TMP/restart.txt")
	NLOG=$lb
	nconf
	kill -HUP "$NPID"
}

run nf_restart_mid_burst t_nf_restart_mid_burst
t_done
