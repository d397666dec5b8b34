/* Unit tests for lib/confuse_guard.c: the screen, the three re-lexers on
 * tables of small texts, and the parse lock with its context. */
#include "unit.h"

#include <pthread.h>
#include <time.h>

#include "confuse_guard.h"

static void
test_screen(void **state)
{
	static const struct {
		const char *text;
		size_t len;	/* 0: strlen(text) */
		int line;	/* 0: accepted */
		const char *why;	/* part of the reason */
	} t[] = {
		{ "min_uid = 1000\n", 0, 0, NULL },
		{ "", 0, 0, NULL },
		{ "a = \"$HOME $ {x}\"\n", 0, 0, NULL },
		{ "a = \"$\"", 0, 0, NULL },
		{ "\n\na = \"${HOME}\"\n", 0, 3, "${" },
		{ "${", 0, 1, "${" },
		{ "a\nb\0c", 5, 2, "NUL" },
		{ "\0", 1, 1, "NUL" },
		{ "user \"\xc3\xa9lodie\" {}", 0, 0, NULL },
		{ "a = \"\xf0\x9f\x98\x80\"", 0, 0, NULL },
		{ "a = \"\xef\xbf\xbf\"", 0, 0, NULL },
		{ "a\n\xff", 0, 2, "UTF-8" },
		{ "\x80", 0, 1, "UTF-8" },
		{ "\xc3", 0, 1, "UTF-8" },			/* cut short */
		{ "\xc3(", 0, 1, "UTF-8" },			/* not a continuation */
		{ "\xc0\x80", 0, 1, "UTF-8" },			/* overlong NUL */
		{ "\xe0\x80\x80", 0, 1, "UTF-8" },		/* overlong */
		{ "\xed\xa0\x80", 0, 1, "UTF-8" },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0, 1, "UTF-8" },	/* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 0, 1, "UTF-8" },
		/* The first problem wins. */
		{ "\xff\n${", 0, 1, "UTF-8" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].text);
		const char *why = NULL;
		int line = mc_confuse_screen(t[i].text, len, &why);

		if (line != t[i].line)
			fail_msg("table %zu: line %d, want %d", i, line, t[i].line);
		if (t[i].why != NULL && (why == NULL || strstr(why, t[i].why) == NULL))
			fail_msg("table %zu: why \"%s\", want \"%s\" in it", i,
				 why ? why : "(null)", t[i].why);
	}
}

static void
test_blank_comments(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "a = 1\n", "a = 1\n" },
		{ "a # c\nb", "a    \nb" },
		{ "x // c\n", "x     \n" },
		{ "a//b\n", "a//b\n" },			/* a word */
		{ "a /* x\ny */ b", "a     \n     b" },	/* newline kept */
		{ "/* open", "       " },
		{ "\"# not\" # yes", "\"# not\"      " },
		{ "'a/*b'", "'a/*b'" },
		{ "a = \"x\\\"#\" # c", "a = \"x\\\"#\"    " },
		{ "{ \"a\", # one\n \"b\" }", "{ \"a\",      \n \"b\" }" },
		{ "/**/x", "    x" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[64];
		size_t len = strlen(t[i].in);

		memcpy(buf, t[i].in, len + 1);
		mc_confuse_blank_comments(buf, len);
		if (strcmp(buf, t[i].out) != 0)
			fail_msg("table %zu: \"%s\", want \"%s\"", i, buf, t[i].out);
	}
}

static void
test_ends_open(void **state)
{
	static const struct {
		const char *text;
		int line;
	} t[] = {
		{ "a {\n}\n", 0 },
		{ "a {\nb = 1\n", 3 },
		{ "a {\nb = 1", 2 },
		{ "/* x\n", 2 },
		{ "a = \"{\"\n", 0 },
		{ "a = '{\n'", 0 },
		{ "# {\n", 0 },
		{ "// {\nx", 0 },
		{ "}", 0 },
		{ "a { /* } */\n", 2 },
		{ "a { b { } }", 0 },
		{ "a { b { }", 1 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int line = mc_confuse_ends_open(t[i].text, strlen(t[i].text));

		if (line != t[i].line)
			fail_msg("table %zu: %d, want %d", i, line, t[i].line);
	}
}

static void
test_section_lines(void **state)
{
	static const struct {
		const char *text, *kind;
		size_t n;
		int lines[4];
	} t[] = {
		{ "user \"a\" {\n}\nuser \"b\"\n{\n}\n", "user", 2, { 1, 4 } },
		{ "group \"a\" {}\nuser \"b\" {}", "user", 1, { 2 } },
		{ "group \"a\" {}\nuser \"b\" {}", "group", 1, { 1 } },
		{ "user \"a\\\"\n{\" {}", "user", 1, { 2 } },	/* a quoted newline */
		{ "x { user \"a\" { } }", "user", 0, { 0 } },	/* not at the top */
		{ "username \"a\" {}\nuser a {}", "user", 1, { 2 } },
		{ "user = \"x\"\n{}", "user", 0, { 0 } },
		{ "user \"a\" \"b\" {}", "user", 0, { 0 } },
		{ "user \"a\" {}", "", 0, { 0 } },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int lines[4] = { 0 };
		size_t n = mc_confuse_section_lines(t[i].text, strlen(t[i].text),
						    t[i].kind, lines, NELEM(lines));

		if (n != t[i].n)
			fail_msg("table %zu: %zu sections, want %zu", i, n, t[i].n);
		for (size_t j = 0; j < n; j++)
			if (lines[j] != t[i].lines[j])
				fail_msg("table %zu: section %zu at line %d, want %d", i,
					 j, lines[j], t[i].lines[j]);
	}
}

/* No more than max lines are stored. */
static void
test_section_lines_max(void **state)
{
	const char *text = "user \"a\" {}\nuser \"b\" {}\nuser \"c\" {}\n";
	int lines[3] = { 0, 0, -1 };

	(void)state;
	assert_int_equal(mc_confuse_section_lines(text, strlen(text), "user", lines, 2), 2);
	assert_int_equal(lines[0], 1);
	assert_int_equal(lines[1], 2);
	assert_int_equal(lines[2], -1);
	assert_int_equal(mc_confuse_section_lines(text, strlen(text), "user", lines, 0), 0);
}

static int other_got_in;

static void *
other_parse(void *arg)
{
	mc_confuse_lock(arg);
	__atomic_store_n(&other_got_in, 1, __ATOMIC_SEQ_CST);
	mc_confuse_unlock();
	return NULL;
}

/* The context is the locker's until it unlocks, and a second parse waits. */
static void
test_lock(void **state)
{
	int mine = 1, theirs = 2;
	pthread_t th;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	(void)state;
	assert_null(mc_confuse_ctx());
	mc_confuse_lock(&mine);
	assert_ptr_equal(mc_confuse_ctx(), &mine);
	assert_int_equal(pthread_create(&th, NULL, other_parse, &theirs), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(__atomic_load_n(&other_got_in, __ATOMIC_SEQ_CST), 0);
	assert_ptr_equal(mc_confuse_ctx(), &mine);
	mc_confuse_unlock();
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(other_got_in, 1);
	assert_null(mc_confuse_ctx());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_blank_comments),
		cmocka_unit_test(test_ends_open),
		cmocka_unit_test(test_section_lines),
		cmocka_unit_test(test_section_lines_max),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests_name("confuse_guard", tests, NULL, NULL);
}
