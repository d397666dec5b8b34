/* Unit tests for lib/ratelimit.c with a fake clock: one notice per period,
 * the rest counted into one summary at the end of the period. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

#define P 60000	/* 60 s in ms */

static void
test_burst(void **state)
{
	struct mc_rl rl = { 0 };
	struct mc_summary s;
	uint64_t t = 1000000;

	(void)state;
	assert_int_equal(mc_rl_deadline(&rl), 0);
	assert_int_equal(mc_rl_offer(&rl, t, 5000, P, MC_EV_KILL), MC_RL_SEND);
	/* Nothing held: no timer. */
	assert_int_equal(mc_rl_deadline(&rl), 0);
	/* A burst of 19 more kills and a warning within the period. */
	for (int i = 1; i < 20; i++)
		assert_int_equal(mc_rl_offer(&rl, t + (uint64_t)i * 100, 5001, P, MC_EV_KILL),
				 MC_RL_HOLD);
	assert_int_equal(mc_rl_offer(&rl, t + 5000, 5005, P, MC_EV_WARN), MC_RL_HOLD);
	assert_int_equal(mc_rl_deadline(&rl), t + P);
	/* Too early. */
	assert_false(mc_rl_expire(&rl, t + P - 1, P, &s));
	assert_true(mc_rl_expire(&rl, t + P, P, &s));
	assert_int_equal(s.count[MC_EV_KILL], 19);
	assert_int_equal(s.count[MC_EV_WARN], 1);
	assert_int_equal(s.since, 5001);
	/* The summary was this period's message: the next event waits. */
	assert_int_equal(mc_rl_deadline(&rl), 0);
	assert_int_equal(mc_rl_offer(&rl, t + P + 10, 5070, P, MC_EV_KILL), MC_RL_HOLD);
	assert_int_equal(mc_rl_deadline(&rl), t + 2 * P);
	assert_true(mc_rl_expire(&rl, t + 2 * P + 3, P, &s));
	assert_int_equal(s.count[MC_EV_KILL], 1);
	/* A quiet period ends the limit: the next event goes out at once. */
	assert_false(mc_rl_expire(&rl, t + 3 * P + 10, P, &s));
	assert_int_equal(mc_rl_offer(&rl, t + 3 * P + 20, 6000, P, MC_EV_KILL), MC_RL_SEND);
}

static void
test_quiet_gap(void **state)
{
	struct mc_rl rl = { 0 };

	(void)state;
	assert_int_equal(mc_rl_offer(&rl, 0, 0, P, MC_EV_KILL), MC_RL_SEND);
	/* Just before the end: held.  At the end with nothing held: sent. */
	assert_int_equal(mc_rl_offer(&rl, P, 60, P, MC_EV_KILL), MC_RL_SEND);
	assert_int_equal(mc_rl_offer(&rl, 2 * P - 1, 119, P, MC_EV_KILL), MC_RL_HOLD);
}

static void
test_disabled(void **state)
{
	struct mc_rl rl = { 0 };

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(mc_rl_offer(&rl, 10, 0, 0, MC_EV_KILL), MC_RL_SEND);
	assert_int_equal(mc_rl_deadline(&rl), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_quiet_gap),
		cmocka_unit_test(test_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
