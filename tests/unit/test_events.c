/* Unit tests for lib/events.c: counter parsing and diffing (v1 and v2
 * files, several events in one wake-up, a cgroup made anew) and the
 * classification of what happened. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

static void
test_parse_v2(void **state)
{
	struct mc_counters c = { 0 };

	(void)state;
	assert_int_equal(mc_counters_parse(2, "low 0\nhigh 12\nmax 30\noom 2\noom_kill 1\noom_group_kill 0\n", &c), 0);
	assert_int_equal(c.v[MC_C_HIGH], 12);
	assert_int_equal(c.v[MC_C_MAX], 30);
	assert_int_equal(c.v[MC_C_OOM], 2);
	assert_int_equal(c.v[MC_C_OOM_KILL], 1);
	assert_int_equal(c.have, (1u << MC_C_N) - 1);
	/* Older kernels lack oom_group_kill. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(mc_counters_parse(2, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", &c), 0);
	assert_false(c.have & (1u << MC_C_OOM_GROUP_KILL));
	assert_int_equal(mc_counters_parse(2, "garbage\n", &c), -EINVAL);
	assert_int_equal(mc_counters_parse(2, "oom -1\n", &c), -EINVAL);
	assert_int_equal(mc_counters_parse(2, "", &c), -EINVAL);
}

static void
test_parse_v1(void **state)
{
	struct mc_counters c = { 0 };

	(void)state;
	assert_int_equal(mc_counters_parse(1, "oom_kill_disable 0\nunder_oom 1\noom_kill 3\n", &c), 0);
	assert_int_equal(c.v[MC_C_OOM_KILL], 3);
	assert_true(c.under_oom);
	assert_false(c.have & (1u << MC_C_OOM));
	/* Kernels before 4.13 had no oom_kill line. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(mc_counters_parse(1, "oom_kill_disable 0\nunder_oom 0\n", &c), 0);
	assert_false(c.have & (1u << MC_C_OOM_KILL));
}

static void
test_pids_events(void **state)
{
	uint64_t n = 7;

	(void)state;
	assert_int_equal(mc_pids_events_parse("max 0\n", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mc_pids_events_parse("max 42\n", &n), 0);
	assert_int_equal(n, 42);
	/* Newer kernels: other keys beside it, "max.imposed" not taken for it. */
	assert_int_equal(mc_pids_events_parse("max.imposed 9\nmax 3\n", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(mc_pids_events_parse("max 18446744073709551615", &n), 0);
	assert_int_equal(n, UINT64_MAX);
	assert_int_equal(mc_pids_events_parse("max.imposed 9\n", &n), -EINVAL);
	assert_int_equal(mc_pids_events_parse("max x\n", &n), -EINVAL);
	assert_int_equal(mc_pids_events_parse("max -1\n", &n), -EINVAL);
	assert_int_equal(mc_pids_events_parse("", &n), -EINVAL);
	assert_string_equal(mc_event_name(MC_EV_TASKS), "tasks_max");
}

static void
test_diff(void **state)
{
	struct mc_counters a = { 0 }, b = { 0 }, d;

	(void)state;
	mc_counters_parse(2, "high 5\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n", &a);
	/* One wake-up covering three kills. */
	mc_counters_parse(2, "high 9\nmax 4\noom 4\noom_kill 4\noom_group_kill 0\n", &b);
	mc_counters_diff(&a, &b, &d);
	assert_int_equal(d.v[MC_C_OOM_KILL], 3);
	assert_int_equal(d.v[MC_C_OOM], 3);
	assert_int_equal(d.v[MC_C_HIGH], 4);
	/* Same again: nothing new. */
	mc_counters_diff(&b, &b, &d);
	for (int i = 0; i < MC_C_N; i++)
		assert_int_equal(d.v[i], 0);
	/* The cgroup was made anew: counters start over. */
	memset(&a, 0, sizeof(a));
	mc_counters_parse(2, "high 0\nmax 0\noom 1\noom_kill 1\noom_group_kill 0\n", &a);
	mc_counters_diff(&b, &a, &d);
	assert_int_equal(d.v[MC_C_OOM_KILL], 1);
	/* No baseline for a counter: all of it is new. */
	memset(&a, 0, sizeof(a));
	mc_counters_diff(&a, &b, &d);
	assert_int_equal(d.v[MC_C_OOM_KILL], 4);
	/* Near the top of the range. */
	a.v[MC_C_OOM_KILL] = UINT64_MAX - 1;
	a.have = 1u << MC_C_OOM_KILL;
	b.v[MC_C_OOM_KILL] = UINT64_MAX;
	mc_counters_diff(&a, &b, &d);
	assert_int_equal(d.v[MC_C_OOM_KILL], 1);
}

static struct mc_check
check(int version, uint64_t oom, uint64_t kill, uint64_t group, uint64_t max)
{
	struct mc_check c = { .version = version, .counters_ok = true, .kmsg_ok = true };

	c.delta.v[MC_C_OOM] = oom;
	c.delta.v[MC_C_OOM_KILL] = kill;
	c.delta.v[MC_C_OOM_GROUP_KILL] = group;
	c.delta.v[MC_C_MAX] = max;
	c.delta.have = (1u << MC_C_N) - 1;
	return c;
}

static struct mc_victim
victim(pid_t pid, const char *comm, int scope)
{
	struct mc_victim v = { .pid = pid, .scope = scope };

	strcpy(v.comm, comm);
	return v;
}

static void
test_classify_v2(void **state)
{
	struct mc_event ev[8];
	struct mc_victim vs[3];
	struct mc_check c;
	bool wait;
	size_t used, n;

	(void)state;
	/* Counters moved, log line not yet read: wait a moment. */
	c = check(2, 1, 1, 0, 1);
	assert_int_equal(mc_classify(&c, ev, 8, &wait, &used), 0);
	assert_true(wait);
	/* The log line came. */
	vs[0] = victim(123, "python3", MC_SCOPE_OWN);
	c.victims = vs;
	c.n_victims = 1;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 1);
	assert_false(wait);
	assert_int_equal(used, 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	assert_int_equal(ev[0].victim.pid, 123);
	assert_string_equal(ev[0].victim.comm, "python3");
	/* Never came: say unknown, but still the user's own limit (oom moved). */
	c.n_victims = 0;
	c.final = true;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	assert_int_equal(ev[0].victim.pid, 0);
	/* No log at all: no waiting. */
	c = check(2, 1, 1, 0, 1);
	c.kmsg_ok = false;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 1);
	assert_false(wait);
	/* A kill with no oom of our own: it came from outside. */
	c = check(2, 0, 1, 0, 0);
	c.final = true;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(ev[0].kind, MC_EV_OUTSIDE_KILL);
	/* The log knows it was system-wide. */
	vs[0] = victim(5, "x", MC_SCOPE_GLOBAL);
	c.victims = vs;
	c.n_victims = 1;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(ev[0].kind, MC_EV_OUTSIDE_KILL);
	assert_int_equal(ev[0].victim.scope, MC_SCOPE_GLOBAL);
	/* An ancestor's limit, though our oom moved too (hierarchical). */
	c = check(2, 1, 1, 0, 0);
	vs[0] = victim(6, "y", MC_SCOPE_ANCESTOR);
	c.victims = vs;
	c.n_victims = 1;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(ev[0].kind, MC_EV_OUTSIDE_KILL);
	/* The limit was reached without a kill: only told when final. */
	c = check(2, 1, 0, 0, 3);
	assert_int_equal(mc_classify(&c, ev, 8, &wait, &used), 0);
	assert_true(wait);
	c.final = true;
	assert_int_equal(mc_classify(&c, ev, 8, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_NOKILL);
	/* Only high/max moved: nothing to say, nothing to wait for. */
	c = check(2, 0, 0, 0, 7);
	c.delta.v[MC_C_HIGH] = 40;
	assert_int_equal(mc_classify(&c, ev, 8, &wait, &used), 0);
	assert_false(wait);
	/* Group kill: one event for all. */
	c = check(2, 1, 3, 1, 1);
	vs[0] = victim(10, "a", MC_SCOPE_OWN);
	vs[1] = victim(11, "b", MC_SCOPE_OWN);
	vs[1].group = true;
	vs[2] = victim(12, "c", MC_SCOPE_OWN);
	vs[2].group = true;
	c.victims = vs;
	c.n_victims = 3;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, MC_EV_GROUP_KILL);
	assert_int_equal(ev[0].count, 3);
	assert_int_equal(ev[0].victim.pid, 10);
	assert_int_equal(used, 3);
	/* Three kills in one wake-up, two named. */
	c = check(2, 3, 3, 0, 3);
	c.victims = vs;
	c.n_victims = 2;
	vs[1].group = false;
	c.final = true;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 3);
	assert_int_equal(ev[1].victim.pid, 11);
	assert_int_equal(ev[2].victim.pid, 0);
	assert_int_equal(used, 2);
	/* More kills than room: the last event counts the rest. */
	c = check(2, 20, 20, 0, 20);
	c.final = true;
	n = mc_classify(&c, ev, 8, &wait, &used);
	assert_int_equal(n, 8);
	assert_int_equal(ev[7].count, 13);
}

static void
test_classify_v1(void **state)
{
	struct mc_event ev[4];
	struct mc_victim vs[1];
	struct mc_check c;
	bool wait;
	size_t used;

	(void)state;
	/* The eventfd fires before the kill: nothing counted yet, wait. */
	c = check(1, 0, 0, 0, 0);
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 0);
	assert_true(wait);
	/* The removal of the cgroup also fires it: nothing to read, nothing
	 * in the log.  Final: not an OOM, not reported. */
	c.counters_ok = false;
	c.final = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 0);
	assert_false(wait);
	/* Removed right after a kill the log saw: still told. */
	vs[0] = victim(99, "sh", MC_SCOPE_OWN);
	c.victims = vs;
	c.n_victims = 1;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	/* Kill counted, log unreadable: failcnt says it was our own limit. */
	c = check(1, 0, 1, 0, 5);
	c.kmsg_ok = false;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	/* ... or not: an ancestor's limit or the system. */
	c = check(1, 0, 1, 0, 0);
	c.kmsg_ok = false;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_OUTSIDE_KILL);
	/* With a memsw limit neither failcnt moves: a peak at the own limit
	 * still says it was ours (the log line naming the OOM's cgroup is
	 * rate-limited machine-wide and may be missing). */
	c.peak_at_limit = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	c = check(1, 0, 1, 0, 0);
	c.final = true;
	c.peak_at_limit = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_KILL);
	/* The log showed our own OOM, and no kill came: no killable process. */
	c = check(1, 0, 0, 0, 3);
	c.own_oom_seen = true;
	c.final = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_NOKILL);
	/* An ancestor's OOM woke us (v1 notifies the subtree): no kill here,
	 * no OOM of our own, nothing to say. */
	c = check(1, 0, 0, 0, 0);
	c.final = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 0);
	/* Stuck under OOM with the log unreadable (oom_kill_disable). */
	c.kmsg_ok = false;
	c.delta.under_oom = true;
	assert_int_equal(mc_classify(&c, ev, 4, &wait, &used), 1);
	assert_int_equal(ev[0].kind, MC_EV_NOKILL);
}

static void
test_victim_from_kmsg(void **state)
{
	struct mc_kmsg_event ev = { .kind = MC_KMSG_KILL, .pid = 4 };
	struct mc_victim v;

	(void)state;
	strcpy(ev.comm, "x");
	strcpy(ev.memcg, "/p/user-1");
	strcpy(ev.oom_memcg, "/p/user-1");
	mc_victim_from_kmsg(&ev, "/p/user-1", &v);
	assert_int_equal(v.scope, MC_SCOPE_OWN);
	strcpy(ev.oom_memcg, "/p");
	mc_victim_from_kmsg(&ev, "/p/user-1", &v);
	assert_int_equal(v.scope, MC_SCOPE_ANCESTOR);
	strcpy(ev.oom_memcg, "/p/user-1/sub");
	mc_victim_from_kmsg(&ev, "/p/user-1", &v);
	assert_int_equal(v.scope, MC_SCOPE_OWN);
	ev.oom_memcg[0] = '\0';
	mc_victim_from_kmsg(&ev, "/p/user-1", &v);
	assert_int_equal(v.scope, MC_SCOPE_UNKNOWN);
	ev.global = true;
	mc_victim_from_kmsg(&ev, "/p/user-1", &v);
	assert_int_equal(v.scope, MC_SCOPE_GLOBAL);
	assert_int_equal(v.pid, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v2),
		cmocka_unit_test(test_parse_v1),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_pids_events),
		cmocka_unit_test(test_classify_v2),
		cmocka_unit_test(test_classify_v1),
		cmocka_unit_test(test_victim_from_kmsg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
