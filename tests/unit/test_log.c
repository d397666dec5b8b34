/* Unit tests for lib/log.c: levels, and that a logged line stays one line
 * of text whatever the names it quotes contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static char got[2048];
static int got_prio, calls;

static void
sink(void *ctx, int prio, const char *line)
{
	(void)ctx;
	got_prio = prio;
	calls++;
	snprintf(got, sizeof(got), "%s", line);
}

static void
test_levels(void **state)
{
	struct mc_log log = { .emit = sink };

	(void)state;
	calls = 0;
	mc_log(&log, LOG_DEBUG, "hidden %d", 1);
	assert_int_equal(calls, 0);
	log.debug = true;
	mc_log(&log, LOG_DEBUG, "shown %d", 2);
	assert_int_equal(calls, 1);
	assert_string_equal(got, "shown 2");
	mc_log(&log, LOG_ERR, "err");
	assert_int_equal(got_prio, LOG_ERR);
	mc_log(NULL, LOG_ERR, "no sink");
	assert_int_equal(calls, 2);
}

static void
test_controls_escaped(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "a\nb", "a\\x0ab" },
		{ "a\r\nFAKE: line", "a\\x0d\\x0aFAKE: line" },
		{ "\x1b]0;title\x07", "\\x1b]0;title\\x07" },
		{ "del\x7f", "del\\x7f" },
		{ "c1 \xc2\x9b" "2J", "c1 \\x9b2J" },	/* UTF-8 CSI */
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },	/* kept */
		{ "tab\there", "tab\\x09here" },
	};
	struct mc_log log = { .emit = sink };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mc_log(&log, LOG_INFO, "%s", cases[i].in);
		assert_string_equal(got, cases[i].want);
	}
}

static void
test_long_line_cut(void **state)
{
	char big[3000];
	struct mc_log log = { .emit = sink };

	(void)state;
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mc_log(&log, LOG_INFO, "%s", big);
	assert_true(strlen(got) < 1024);
	assert_null(strchr(got, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_long_line_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
