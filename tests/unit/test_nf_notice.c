/* The notifier's decision from a cgroup's counters to a notice on the
 * user's terminal: a kill is one kill notice, a counter that is not a kill
 * is none, a removed cgroup's last kill is still told.  Fake v1 and v2
 * trees; see fakenf.h. */
#include "fakenf.h"

#define KILLED "A process of yours was killed: your sessions together reached their memory limit."
#define NOKILL "no process was killed."

/* One kill counted, no log line: after the wait, one kill notice on the
 * user's terminal, none on the other user's, and one log line. */
static void
test_kill(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192], line[256];
	size_t logged;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));
	snprintf(line, sizeof(line), "oom_kill: user %s (uid %u)", f->u[0].name,
		 (unsigned)f->u[0].uid);
	logged = fnf_log_count(f, 0, line);

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty0, "Message from memcg-notifier@testhost", 1);
	fnf_expect(f, "user 1's terminal", tty1, "memcg-notifier", 0);
	assert_int_equal(logged, 1);
}

/* Two more kills later: each is news once, the old one is not told again. */
static void
test_kill_counts_from_last(void **state)
{
	struct fnf *f = *state;
	char tty[8192];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "after the first kill", tty, KILLED, 1);

	/* Past rate_limit: a kill then is a notice of its own. */
	fnf_at(f, fnf_now() + 61 * 1000);
	fnf_counters(f, 0, 2, 2, 0, 2);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "after the second kill", tty, KILLED, 1);

	/* The same counters again (a write that changed nothing): no news. */
	fnf_at(f, fnf_now() + 61 * 1000);
	fnf_counters(f, 0, 2, 2, 0, 2);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "after an unchanged write", tty, "memcg-notifier", 0);
}

/* v2: "high" and "max" move without an OOM (reclaim at the limit): no
 * notice at all.  "oom" without "oom_kill": the no-kill notice, not the
 * kill one. */
static void
test_not_a_kill(void **state)
{
	struct fnf *f = *state;
	char tty_hm[8192], tty_oom[8192];
	size_t kills_logged, nokill_logged;

	fnf_counters(f, 0, 0, 0, 5, 3);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty_hm, sizeof(tty_hm));

	fnf_at(f, fnf_now() + 61 * 1000);
	fnf_counters(f, 0, 1, 0, 9, 7);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty_oom, sizeof(tty_oom));
	kills_logged = fnf_log_count(f, 0, "oom_kill:");
	nokill_logged = fnf_log_count(f, 0, "oom_no_kill:");

	fnf_expect(f, "after high and max", tty_hm, "memcg-notifier", 0);
	fnf_expect(f, "after oom without oom_kill", tty_oom, KILLED, 0);
	fnf_expect(f, "after oom without oom_kill", tty_oom, NOKILL, 1);
	assert_int_equal(kills_logged, 0);
	assert_int_equal(nokill_logged, 1);
}

/* The kill is counted, then the cgroup is removed (the user's last
 * logout), then the kernel log line comes: the kill is told, with its
 * victim. */
static void
test_removed_then_line(void **state)
{
	struct fnf *f = *state;
	char tty[8192], removed[PATH_MAX + 128];
	size_t said_removed;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_remove_cgroup(f, 0);
	fnf_drain(f);
	snprintf(removed, sizeof(removed), "%s/%s was removed", f->root, f->u[0].rel);
	said_removed = fnf_log_count(f, 0, removed);
	fnf_kmsg_kill(f, 0, f->u[0].uid, FNF_PID + 1, "lastgasp");
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));

	assert_int_equal(said_removed, 1);
	fnf_expect(f, "user 0's terminal", tty, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty, "process: 90000001 (lastgasp)", 1);
}

/* The kill is counted, then the cgroup is removed before its log line,
 * which never comes (unreadable as one reading, or its uid not the
 * user's): the kill is still told, without a name (check.c keeps what
 * the pending check read; it was forgotten before: no notice, no log
 * line). */
static void
test_removed_no_line(void **state)
{
	struct fnf *f = *state;
	char tty[8192];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_remove_cgroup(f, 0);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));

	fnf_expect(f, "user 0's terminal", tty, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty, "process: unknown", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FNF_V2(test_kill),
		FNF_V1(test_kill),
		FNF_V2(test_kill_counts_from_last),
		FNF_V1(test_kill_counts_from_last),
		FNF_V2(test_not_a_kill),
		FNF_V2(test_removed_then_line),
		FNF_V1(test_removed_then_line),
		FNF_V2(test_removed_no_line),
		FNF_V1(test_removed_no_line),
	};

	return FNF_RUN("nf_notice", tests);
}
