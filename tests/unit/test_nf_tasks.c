/* tasks_max as the user sees it (v2 fake tree, clock run by hand; see
 * fakenf.h): a burst of refused forks counted in pids.events is one notice
 * with the limit and the count, told once the burst is over; a later one
 * is held by the rate limit shared with the OOM notices and summed up; the
 * kernel log's line for a refusal in a session below the user's cgroup is
 * told even when the user's counter does not move; a path that is not the
 * user's names nobody. */
#include "fakenf.h"

#define REFUSED "your sessions together reached their limit on processes and threads (tasks_max)."
#define PERIOD_MS (60 * 1000)
/* notifier/tasks.c: a burst is over after this long without a refusal,
 * and told this long after its first at the latest. */
#define QUIET_MS 100
#define BURST_MAX_MS 1000

/* Sets user i's pids files as the kernel would after refusals. */
static void
pids(struct fnf *f, int i, unsigned max, unsigned current, unsigned refused)
{
	char text[64];

	snprintf(text, sizeof(text), "%u\n", max);
	put_str(f->u[i].dir, "pids.max", text);
	snprintf(text, sizeof(text), "%u\n", current);
	put_str(f->u[i].dir, "pids.current", text);
	snprintf(text, sizeof(text), "max %u\n", refused);
	put_str(f->u[i].dir, "pids.events", text);
	fnf_drain(f);
}

static void
test_burst_once(void **state)
{
	struct fnf *f = *state;
	char early[8192], first[8192], held[8192], summary[8192], other[8192];
	uint64_t t0 = fnf_now();

	pids(f, 0, 8, 8, 5);
	fnf_at(f, t0 + QUIET_MS - 1);
	pids(f, 0, 8, 8, 12);		/* the same burst goes on */
	fnf_at(f, t0 + 2 * QUIET_MS - 2);
	fnf_tty(f, 0, early, sizeof(early));
	fnf_at(f, t0 + 2 * QUIET_MS - 1);
	fnf_tty(f, 0, first, sizeof(first));
	/* A second burst a second later: held for the summary. */
	fnf_at(f, t0 + 1000);
	pids(f, 0, 8, 7, 15);
	fnf_settle(f, t0 + 2000);
	fnf_tty(f, 0, held, sizeof(held));
	/* The period began with the first notice. */
	fnf_settle(f, t0 + 2 * QUIET_MS - 1 + PERIOD_MS);
	fnf_tty(f, 0, summary, sizeof(summary));
	fnf_tty(f, 1, other, sizeof(other));

	fnf_expect(f, "before the burst is over", early, "memcg-notifier", 0);
	fnf_expect(f, "the burst", first, REFUSED, 1);
	fnf_expect(f, "the burst", first, "12 new processes of yours were refused", 1);
	fnf_expect(f, "the burst", first, "  limit:   8 processes and threads\r\n", 1);
	fnf_expect(f, "the burst", first, "  running: 8 now\r\n", 1);
	fnf_expect(f, "the burst", first, "MiB", 0);
	fnf_expect(f, "the second burst", held, "memcg-notifier", 0);
	fnf_expect(f, "the summary", summary, "1 more time since", 1);
	fnf_expect(f, "the summary", summary, "  running: 7 now\r\n", 1);
	fnf_expect(f, "the other user", other, "memcg-notifier", 0);
	assert_int_equal(fnf_log_count(f, 0, "tasks_max: user"), 2);
	assert_int_equal(fnf_log_count(f, 0, "refused 12 tasks 8 tasks_max 8"), 1);
	assert_int_equal(fnf_log_count(f, 0, "refused 3 tasks 7 tasks_max 8"), 1);
	/* Not kills. */
	assert_int_equal(f->nf.users[0]->kills + f->nf.users[1]->kills, 0);
}

/* A fork loop that goes on, one refusal every 50 ms: told a second after
 * its first refusal, not held for ever; what follows is the summary's. */
static void
test_long_burst(void **state)
{
	struct fnf *f = *state;
	char before[8192], at[8192];
	uint64_t t0 = fnf_now();
	unsigned n = 0;

	for (uint64_t t = t0; t < t0 + BURST_MAX_MS; t += 50) {
		fnf_at(f, t);
		pids(f, 0, 8, 8, ++n);
	}
	fnf_tty(f, 0, before, sizeof(before));
	fnf_at(f, t0 + BURST_MAX_MS);
	fnf_tty(f, 0, at, sizeof(at));

	fnf_expect(f, "during the first second", before, "memcg-notifier", 0);
	fnf_expect(f, "a second after the first", at, "20 new processes of yours were refused", 1);
}

/* The kernel log names a refusal in a cgroup below the user's (a session's
 * scope counts its own on older kernels): told, without a count. */
static void
test_kmsg_below(void **state)
{
	struct fnf *f = *state;
	char text[512], tty0[8192], tty1[8192];

	snprintf(text, sizeof(text), "cgroup: fork rejected by pids controller in /%s/session-3.scope",
		 f->u[0].rel);
	fnf_kmsg(f, text);
	/* Not the user's: another parent, a name that only begins like it. */
	snprintf(text, sizeof(text), "cgroup: fork rejected by pids controller in /other/%s", f->u[1].rel);
	fnf_kmsg(f, text);
	snprintf(text, sizeof(text), "cgroup: fork rejected by pids controller in /%s0", f->u[1].rel);
	fnf_kmsg(f, text);
	fnf_drain(f);
	fnf_settle(f, fnf_now() + 1000);
	fnf_tty(f, 0, tty0, sizeof(tty0));
	fnf_tty(f, 1, tty1, sizeof(tty1));

	fnf_expect(f, "the user's scope", tty0, "A new process of yours was refused: " REFUSED, 1);
	fnf_expect(f, "not the user's", tty1, "memcg-notifier", 0);
	assert_int_equal(fnf_log_count(f, 0, "refused 0 tasks 1 tasks_max none"), 1);
}

/* A counter that went down: the cgroup was made anew, all of it is new;
 * a pids.events that does not read is no notice. */
static void
test_counter_reset(void **state)
{
	struct fnf *f = *state;
	char tty[8192];

	pids(f, 0, 8, 8, 4);
	fnf_settle(f, fnf_now() + PERIOD_MS);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "four", tty, "4 new processes", 1);
	pids(f, 0, 8, 8, 2);
	fnf_settle(f, fnf_now() + PERIOD_MS);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "anew", tty, "2 new processes", 1);
	put_str(f->u[0].dir, "pids.events", "garbage\n");
	fnf_drain(f);
	fnf_settle(f, fnf_now() + PERIOD_MS);
	fnf_tty(f, 0, tty, sizeof(tty));
	fnf_expect(f, "unreadable", tty, "memcg-notifier", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FNF_V2(test_burst_once),
		FNF_V2(test_long_burst),
		FNF_V2(test_kmsg_below),
		FNF_V2(test_counter_reset),
	};

	return FNF_RUN("nf_tasks", tests);
}
