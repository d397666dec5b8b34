/* Unit tests for lib/sanitize.c: nothing that can act on a terminal gets
 * through, valid text does, and cutting keeps characters whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"

struct san_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;
};

static const struct san_case cases[] = {
	{ "python3", 0, "python3" },
	{ "", 0, "" },
	{ "a b-c_d.e", 0, "a b-c_d.e" },
	/* CSI sequences: colour, clear screen, cursor movement */
	{ "\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m" },
	{ "\x1b[2J\x1b[H", 0, "\\x1b[2J\\x1b[H" },
	/* OSC title change and OSC 52 clipboard write, BEL- and ST-terminated:
	 * the kinds of sequence wall(1) passed through in 2024 */
	{ "\x1b]0;owned\x07", 0, "\\x1b]0;owned\\x07" },
	{ "\x1b]52;c;ZWNobyBoaQ==\x1b\\", 0, "\\x1b]52;c;ZWNobyBoaQ==\\x1b\\\\" },
	/* DCS and a fake password prompt after a carriage return */
	{ "\x1bP+q\x1b\\", 0, "\\x1bP+q\\x1b\\\\" },
	{ "ok\rPassword: ", 0, "ok\\x0dPassword: " },
	/* every other C0 control, DEL */
	{ "\x01\x08\x09\x0a\x0b\x0c\x7f", 0, "\\x01\\x08\\x09\\x0a\\x0b\\x0c\\x7f" },
	/* C1 controls: raw 8-bit CSI is invalid UTF-8, encoded CSI is U+009B */
	{ "\x9b" "31m", 0, "\\x9b31m" },
	{ "\xc2\x9b" "31m", 0, "\\u009b31m" },
	{ "\xc2\x9d" "0;x\xc2\x9c", 0, "\\u009d0;x\\u009c" },
	/* valid UTF-8 stays */
	{ "gr\xc3\xbc\xc3\x9f", 0, "gr\xc3\xbc\xc3\x9f" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", 0, "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" },
	/* bidi override, zero width space, line separator */
	{ "a\xe2\x80\xae" "b", 0, "a\\u202eb" },
	{ "a\xe2\x80\x8b" "b", 0, "a\\u200bb" },
	{ "a\xe2\x80\xa8" "b", 0, "a\\u2028b" },
	/* invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF,
	 * truncated sequence */
	{ "\x80x", 0, "\\x80x" },
	{ "\xc0\xaf", 0, "\\xc0\\xaf" },
	{ "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf" },
	{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },
	{ "ab\xe6\x97", 0, "ab\\xe6\\x97" },
	{ "\xff\xfe", 0, "\\xff\\xfe" },
	/* NUL in the middle is escaped, not an end */
	{ "a\0b", 3, "a\\x00b" },
	/* backslash is doubled so escapes cannot be forged */
	{ "\\x1b", 0, "\\\\x1b" },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		size_t n = mc_sanitize(cases[i].in, len, out, sizeof(out), 0);

		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
		assert_int_equal(n, strlen(out));
	}
}

/* Whatever goes in, no byte below 0x20, DEL or 0x80..0x9f raw comes out. */
static void
test_all_bytes(void **state)
{
	char in[256], out[2048];

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	mc_sanitize(in, sizeof(in), out, sizeof(out), 0);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		assert_true(*p >= 0x20);
		assert_true(*p != 0x7f);
		assert_true(*p < 0x80);	/* all of 0x80..0xff alone is invalid UTF-8 */
	}
}

static void
test_ascii_mode(void **state)
{
	char out[64];

	(void)state;
	mc_sanitize_str("gr\xc3\xbc\xc3\x9f\r\n", out, sizeof(out), MC_SAN_ASCII);
	assert_string_equal(out, "gr\\u00fc\\u00df\\x0d\\x0a");
	mc_sanitize_str("\xf0\x9f\x98\x80", out, sizeof(out), MC_SAN_ASCII);
	assert_string_equal(out, "\\U0001f600");
}

static void
test_truncate(void **state)
{
	char out[8], big[4096], res[64];

	(void)state;
	/* Fits exactly: 7 bytes and the NUL. */
	assert_int_equal(mc_sanitize_str("1234567", out, sizeof(out), 0), 7);
	assert_string_equal(out, "1234567");
	/* One more: cut with "..." */
	mc_sanitize_str("12345678", out, sizeof(out), 0);
	assert_string_equal(out, "1234...");
	/* An escape is never cut in half. */
	mc_sanitize_str("ab\x1b\x1b\x1b", out, sizeof(out), 0);
	assert_string_equal(out, "ab...");
	/* Nor a UTF-8 character. */
	mc_sanitize_str("abcde\xe6\x97\xa5", out, sizeof(out), 0);
	assert_string_equal(out, "abcd...");
	/* Tiny buffers. */
	assert_int_equal(mc_sanitize_str("abc", out, 1, 0), 0);
	assert_string_equal(out, "");
	mc_sanitize_str("abc", out, 3, 0);
	assert_string_equal(out, "ab");
	assert_int_equal(mc_sanitize_str("abc", out, 0, 0), 0);
	/* A long name full of escapes stays within the buffer. */
	memset(big, '\x1b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_true(mc_sanitize_str(big, res, sizeof(res), 0) < sizeof(res));
	assert_int_equal(strlen(res), 63);
	assert_string_equal(res + 60, "...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_ascii_mode),
		cmocka_unit_test(test_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
