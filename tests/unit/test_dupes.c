/* Unit tests for lib/dupes.c: the first index of every name, on small
 * tables with the edge cases and on a long generated list. */
#include "unit.h"

#include "dupes.h"

static void
test_small_lists(void **state)
{
	static const struct {
		const char *names[8];
		size_t n;
		size_t first[8];
	} t[] = {
		{ { NULL }, 0, { 0 } },
		{ { "a" }, 1, { 0 } },
		{ { "a", "b", "c" }, 3, { 0, 1, 2 } },
		{ { "a", "a" }, 2, { 0, 0 } },
		{ { "a", "b", "a", "a", "c", "b" }, 6, { 0, 1, 0, 0, 4, 1 } },
		{ { "", "x", "" }, 3, { 0, 1, 0 } },
		/* Prefixes of each other are different names. */
		{ { "ab", "a", "abc", "a", "ab" }, 5, { 0, 1, 2, 1, 0 } },
		/* Case matters, as in libconfuse without CFGF_NOCASE. */
		{ { "Alice", "alice", "ALICE", "alice" }, 4, { 0, 1, 2, 1 } },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		size_t first[8];

		memset(first, 0xff, sizeof(first));
		assert_int_equal(mc_first_seen(t[i].names, t[i].n, first), 0);
		for (size_t j = 0; j < t[i].n; j++)
			if (first[j] != t[i].first[j])
				fail_msg("table %zu: first[%zu] = %zu, want %zu", i, j,
					 first[j], t[i].first[j]);
	}
}

/* 100,000 names, every 997th a repeat of one 5,000 places before it: the
 * table grows past its first sizes and probes run over similar hashes. */
static void
test_long_list(void **state)
{
	enum { N = 100000 };
	char (*buf)[16] = calloc(N, sizeof(*buf));
	const char **names = calloc(N, sizeof(*names));
	size_t *first = calloc(N, sizeof(*first));
	size_t repeats = 0;

	(void)state;
	assert_non_null(buf);
	assert_non_null(names);
	assert_non_null(first);
	for (size_t i = 0; i < N; i++) {
		if (i >= 5000 && i % 997 == 0)
			names[i] = names[i - 5000];
		else {
			snprintf(buf[i], sizeof(buf[i]), "u%06zu", i);
			names[i] = buf[i];
		}
	}
	assert_int_equal(mc_first_seen(names, N, first), 0);
	for (size_t i = 0; i < N; i++) {
		size_t want = i;

		if (i >= 5000 && i % 997 == 0) {
			/* Never itself a repeat: 5000 is no multiple of 997. */
			want = i - 5000;
			repeats++;
		}
		if (first[i] != want)
			fail_msg("first[%zu] = %zu, want %zu (%s)", i, first[i], want, names[i]);
	}
	assert_true(repeats > 90);
	free(buf);
	free(names);
	free(first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_lists),
		cmocka_unit_test(test_long_list),
	};

	return cmocka_run_group_tests_name("dupes", tests, NULL, NULL);
}
