/* Which process a kill notice names: the kernel log's kill record for the
 * user's cgroup and uid names it; a record with another user's uid names
 * nothing to this user; a kill without a record is told without a name
 * once the wait is over.  Fake v1 and v2 trees; see fakenf.h. */
#include "fakenf.h"

#define KILLED "A process of yours was killed: your sessions together reached their memory limit."
#define UNKNOWN "process: unknown"

/* The kill is counted first, its record comes while the check waits. */
static void
test_named(void **state)
{
	struct fnf *f = *state;
	char tty[8192];
	size_t logged;
	uint64_t pending;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_kmsg_kill(f, 0, f->u[0].uid, FNF_PID + 10, "hogname");
	fnf_drain(f);
	/* Told at once: nothing is left to wait for. */
	pending = nf_next_deadline(&f->nf);
	fnf_tty(f, 0, tty, sizeof(tty));
	logged = fnf_log_count(f, 0, "victim 90000010 (hogname)");

	fnf_expect(f, "user 0's terminal", tty, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty, "process: 90000010 (hogname)", 1);
	fnf_expect(f, "user 0's terminal", tty, UNKNOWN, 0);
	assert_int_equal(logged, 1);
	assert_int_equal(pending, 0);
}

/* The counters and the record are ready together: whichever the notifier
 * reads first, one notice, with the name. */
static void
test_named_same_batch(void **state)
{
	struct fnf *f = *state;
	char tty[8192];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_kmsg_kill(f, 0, f->u[0].uid, FNF_PID + 11, "hogname");
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty, sizeof(tty));

	fnf_expect(f, "user 0's terminal", tty, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty, "process: 90000011 (hogname)", 1);
}

/* A record for user 0's cgroup whose uid is user 1's (a process of
 * someone else's running there): the kill is told to user 0 without that
 * name, and to user 1 not at all. */
static void
test_other_uid_not_named(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192];
	size_t unattributed;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_kmsg_kill(f, 0, f->u[1].uid, FNF_PID + 12, "intruder");
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));
	unattributed = fnf_log_count(f, 0, "its uid is not that of the cgroup's user");

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty0, UNKNOWN, 1);
	fnf_expect(f, "user 0's terminal", tty0, "intruder", 0);
	fnf_expect(f, "user 1's terminal", tty1, "memcg-notifier", 0);
	assert_int_equal(unattributed, 1);
}

/* Both users have a kill counted; only user 1's has a record.  Each is
 * told their own: user 1 by name, user 0 without one (not user 1's). */
static void
test_other_users_kill(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_counters(f, 1, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_kmsg_kill(f, 1, f->u[1].uid, FNF_PID + 13, "theirs");
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty0, UNKNOWN, 1);
	fnf_expect(f, "user 0's terminal", tty0, "theirs", 0);
	fnf_expect(f, "user 1's terminal", tty1, KILLED, 1);
	fnf_expect(f, "user 1's terminal", tty1, "process: 90000013 (theirs)", 1);
}

/* The kill line alone (the kernel rate-limits the summary line that names
 * the cgroup): its uid finds the user whose counters show an unnamed
 * kill.  With the other user's uid it names nobody. */
static void
test_pathless_line(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192], text[512];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	snprintf(text, sizeof(text), "Memory cgroup out of memory: Killed process %d (stranger) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:%u pgtables:1kB oom_score_adj:0",
		 FNF_PID + 14, (unsigned)f->u[1].uid);
	fnf_kmsg(f, text);
	snprintf(text, sizeof(text), "Memory cgroup out of memory: Killed process %d (mine) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:%u pgtables:1kB oom_score_adj:0",
		 FNF_PID + 15, (unsigned)f->u[0].uid);
	fnf_kmsg(f, text);
	fnf_drain(f);
	fnf_settle(f, 0);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty0, "process: 90000015 (mine)", 1);
	fnf_expect(f, "user 0's terminal", tty0, "stranger", 0);
	fnf_expect(f, "user 1's terminal", tty1, "memcg-notifier", 0);
}

/* No record: nothing is told before the check's deadline, which is a
 * short wait (at most CHECK_WAIT_MS); at the deadline the kill is told
 * without a name. */
static void
test_no_record(void **state)
{
	struct fnf *f = *state;
	char before[8192], after[8192];
	uint64_t t0 = fnf_now(), due, pending;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	due = nf_next_deadline(&f->nf);
	assert_true(due > t0);
	assert_true(due <= t0 + CHECK_WAIT_MS);
	fnf_at(f, due - 1);
	fnf_tty(f, 0, before, sizeof(before));
	fnf_at(f, due);
	pending = nf_next_deadline(&f->nf);
	fnf_tty(f, 0, after, sizeof(after));

	fnf_expect(f, "before the deadline", before, "memcg-notifier", 0);
	fnf_expect(f, "at the deadline", after, KILLED, 1);
	fnf_expect(f, "at the deadline", after, UNKNOWN, 1);
	assert_int_equal(pending, 0);
}

/* At exit a pending kill is told at once (nf_watch_flush), its record
 * read first if it came. */
static void
test_flush(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192];

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_counters(f, 1, 1, 1, 0, 1);
	fnf_drain(f);
	fnf_kmsg_kill(f, 1, f->u[1].uid, FNF_PID + 16, "atexit");
	nf_watch_flush(&f->nf);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty0, UNKNOWN, 1);
	fnf_expect(f, "user 1's terminal", tty1, "process: 90000016 (atexit)", 1);
}

/* The kernel log cannot be read: nothing to wait for, the kill is told
 * at once without a name. */
static void
test_no_kmsg(void **state)
{
	struct fnf *f = *state;
	char tty[8192];
	uint64_t pending;

	fnf_counters(f, 0, 1, 1, 0, 1);
	fnf_drain(f);
	pending = nf_next_deadline(&f->nf);
	fnf_tty(f, 0, tty, sizeof(tty));

	assert_int_equal(pending, 0);
	fnf_expect(f, "user 0's terminal", tty, KILLED, 1);
	fnf_expect(f, "user 0's terminal", tty, UNKNOWN, 1);
}

static int
setup_v2_no_kmsg(void **state)
{
	return fnf_setup(state, 2, 60, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FNF_V2(test_named),
		FNF_V1(test_named),
		FNF_V2(test_named_same_batch),
		FNF_V1(test_named_same_batch),
		FNF_V2(test_other_uid_not_named),
		FNF_V1(test_other_uid_not_named),
		FNF_V2(test_other_users_kill),
		FNF_V1(test_other_users_kill),
		FNF_V2(test_pathless_line),
		FNF_V1(test_pathless_line),
		FNF_V2(test_no_record),
		FNF_V1(test_no_record),
		FNF_V2(test_flush),
		FNF_V1(test_flush),
		{ "test_no_kmsg_v2", test_no_kmsg, setup_v2_no_kmsg, fnf_teardown, NULL },
	};

	return FNF_RUN("nf_victim", tests);
}
