/* The rate limit as the user sees it: N kills inside rate_limit are one
 * notice, then one summary of the N-1 others when the period ends; a kill
 * after the period is a notice of its own.  rate_limit is 60 s here, on a
 * clock run by hand; see fakenf.h. */
#include "fakenf.h"

#define KILLED "A process of yours was killed: your sessions together reached their memory limit."
#define PERIOD_MS (60 * 1000)

/* Kill number k (from 1) of user i, counted and named by the log. */
static void
kill_named(struct fnf *f, int i, unsigned k)
{
	char comm[32];

	snprintf(comm, sizeof(comm), "hog%u", k);
	fnf_counters(f, i, k, k, 0, k);
	fnf_kmsg_kill(f, i, f->u[i].uid, FNF_PID + (pid_t)k, comm);
	fnf_drain(f);
}

/* Five kills a second apart: the first is told at once, the other four
 * are held until the period that the first began ends, then told in one
 * summary, not before. */
static void
test_burst(void **state)
{
	struct fnf *f = *state;
	char first[8192], held[8192], early[8192], summary[8192];
	uint64_t t0 = fnf_now();
	size_t summaries;

	kill_named(f, 0, 1);
	fnf_tty(f, 0, first, sizeof(first));
	for (unsigned k = 2; k <= 5; k++) {
		fnf_at(f, t0 + (k - 1) * 1000);
		kill_named(f, 0, k);
	}
	fnf_tty(f, 0, held, sizeof(held));
	fnf_settle(f, t0 + PERIOD_MS - 1);
	fnf_tty(f, 0, early, sizeof(early));
	fnf_settle(f, t0 + PERIOD_MS);
	fnf_tty(f, 0, summary, sizeof(summary));
	summaries = fnf_log_count(f, 0, "summary: user");

	fnf_expect(f, "the first kill", first, KILLED, 1);
	fnf_expect(f, "the first kill", first, "process: 90000001 (hog1)", 1);
	fnf_expect(f, "kills 2 to 5", held, "memcg-notifier", 0);
	fnf_expect(f, "just before the period ends", early, "memcg-notifier", 0);
	fnf_expect(f, "the summary", summary, "4 more processes were killed since", 1);
	fnf_expect(f, "the summary", summary, KILLED, 0);
	assert_int_equal(summaries, 1);
}

/* Five kills counted at once, no log line: the same, one notice and a
 * summary of four. */
static void
test_burst_at_once(void **state)
{
	struct fnf *f = *state;
	char first[8192], summary[8192];
	uint64_t t0 = fnf_now();

	fnf_counters(f, 0, 1, 5, 0, 1);
	fnf_drain(f);
	fnf_settle(f, t0 + PERIOD_MS - 1000);
	fnf_tty(f, 0, first, sizeof(first));
	fnf_settle(f, t0 + 2 * PERIOD_MS);
	fnf_tty(f, 0, summary, sizeof(summary));

	fnf_expect(f, "the kills", first, KILLED, 1);
	fnf_expect(f, "the kills", first, "more processes", 0);
	fnf_expect(f, "the summary", summary, "4 more processes were killed since", 1);
	fnf_expect(f, "the summary", summary, KILLED, 0);
}

/* A kill after the period (nothing held in it) is told at once, and no
 * summary follows either. */
static void
test_after_window(void **state)
{
	struct fnf *f = *state;
	char first[8192], second[8192], later[8192];
	uint64_t t0 = fnf_now();

	kill_named(f, 0, 1);
	fnf_tty(f, 0, first, sizeof(first));
	fnf_settle(f, t0 + PERIOD_MS + 1000);
	kill_named(f, 0, 2);
	fnf_tty(f, 0, second, sizeof(second));
	fnf_settle(f, t0 + 4 * PERIOD_MS);
	fnf_tty(f, 0, later, sizeof(later));

	fnf_expect(f, "the first kill", first, KILLED, 1);
	fnf_expect(f, "the kill after the period", second, KILLED, 1);
	fnf_expect(f, "the kill after the period", second, "process: 90000002 (hog2)", 1);
	fnf_expect(f, "the periods after", later, "memcg-notifier", 0);
}

/* The summary begins a period of its own: a kill in it is held for the
 * next summary; a kill after that one's period is a notice again. */
static void
test_summary_then_next(void **state)
{
	struct fnf *f = *state;
	char first[8192], sum1[8192], sum2[8192], last[8192];
	uint64_t t0 = fnf_now();

	kill_named(f, 0, 1);
	fnf_at(f, t0 + 1000);
	kill_named(f, 0, 2);
	fnf_tty(f, 0, first, sizeof(first));
	fnf_settle(f, t0 + PERIOD_MS);
	fnf_tty(f, 0, sum1, sizeof(sum1));
	/* Inside the summary's period. */
	fnf_at(f, t0 + PERIOD_MS + 10 * 1000);
	kill_named(f, 0, 3);
	fnf_settle(f, t0 + 2 * PERIOD_MS);
	fnf_tty(f, 0, sum2, sizeof(sum2));
	/* Well after it. */
	fnf_settle(f, t0 + 4 * PERIOD_MS);
	kill_named(f, 0, 4);
	fnf_tty(f, 0, last, sizeof(last));

	fnf_expect(f, "kills 1 and 2", first, KILLED, 1);
	fnf_expect(f, "the first summary", sum1, "1 more process was killed since", 1);
	fnf_expect(f, "kill 3 and the second summary", sum2, KILLED, 0);
	fnf_expect(f, "kill 3 and the second summary", sum2, "1 more process was killed since", 1);
	fnf_expect(f, "kill 4", last, KILLED, 1);
	fnf_expect(f, "kill 4", last, "process: 90000004 (hog4)", 1);
	fnf_expect(f, "kill 4", last, "more process", 0);
}

/* The limit is per user: user 0's period holds nothing of user 1's. */
static void
test_per_user(void **state)
{
	struct fnf *f = *state;
	char tty0[8192], tty1[8192];
	uint64_t t0 = fnf_now();

	kill_named(f, 0, 1);
	fnf_at(f, t0 + 1000);
	kill_named(f, 0, 2);
	kill_named(f, 1, 1);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));

	fnf_expect(f, "user 0's terminal", tty0, KILLED, 1);
	fnf_expect(f, "user 1's terminal", tty1, KILLED, 1);
	fnf_expect(f, "user 1's terminal", tty1, "process: 90000001 (hog1)", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FNF_V2(test_burst),
		FNF_V1(test_burst),
		FNF_V2(test_burst_at_once),
		FNF_V1(test_burst_at_once),
		FNF_V2(test_after_window),
		FNF_V1(test_after_window),
		FNF_V2(test_summary_then_next),
		FNF_V2(test_per_user),
	};

	return FNF_RUN("nf_ratelimit", tests);
}
