/* Unit tests for the notifier's own decisions that need no kernel:
 * notifier/table.c (the users and the watches by uid) and when
 * cgroup.events says a cgroup is empty (nf_unpopulated, check.c). */
#include "unit.h"

#include <stdlib.h>

#include "notifier.h"

/* A user record per uid, found again after the table grew (uids
 * consecutive, as they often are, and far apart). */
static void
test_users(void **state)
{
	struct nf nf;
	size_t n = 0;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	for (uid_t uid = 1000; uid < 3000; uid++, n++) {
		struct user *u = nf_user(&nf, uid);

		assert_non_null(u);
		assert_int_equal(u->uid, uid);
		assert_false(u->known);
		u->kills = uid;
	}
	for (uid_t uid = 0; uid < 4000000000u - 1000; uid += 400000000u, n++)
		assert_non_null(nf_user(&nf, uid + 5));
	assert_int_equal(nf.n_users, n);
	for (uid_t uid = 1000; uid < 3000; uid++) {
		struct user *u = nf_user(&nf, uid);

		assert_int_equal(u->uid, uid);
		assert_int_equal(u->kills, uid);
	}
	/* Asking again makes none. */
	assert_int_equal(nf.n_users, n);
	assert_true(nf.utab_size >= 2 * nf.n_users);
	nf_users_free(&nf);
	assert_int_equal(nf.n_users, 0);
	assert_null(nf.users);
}

/* Watches by uid: found while live, not once gone (the gone one stays in
 * its chain until unhashed), and the table keeps them all as it grows. */
static void
test_watches(void **state)
{
	enum { N = 500 };
	struct watch *w[N];
	struct nf nf;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	assert_null(nf_find_watch(&nf, 1000));
	assert_null(nf_watch_chain(&nf, 1000));
	for (size_t i = 0; i < N; i++) {
		w[i] = calloc(1, sizeof(*w[i]));
		assert_non_null(w[i]);
		w[i]->user = nf_user(&nf, (uid_t)(1000 + i));
		assert_non_null(w[i]->user);
		assert_int_equal(nf_watch_link(&nf, w[i]), 0);
	}
	assert_int_equal(nf.n_watches, N);
	assert_true(nf.wtab_size >= 2 * N);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(nf_find_watch(&nf, (uid_t)(1000 + i)), w[i]);
	assert_null(nf_find_watch(&nf, 999));
	assert_null(nf_find_watch(&nf, 1000 + N));

	w[7]->gone = true;
	assert_null(nf_find_watch(&nf, 1007));
	{
		bool in_chain = false;

		for (struct watch *x = nf_watch_chain(&nf, 1007); x != NULL; x = x->hnext)
			in_chain |= x == w[7];
		assert_true(in_chain);
	}
	nf_watch_unhash(&nf, w[7]);
	assert_int_equal(nf.n_watches, N - 1);
	for (struct watch *x = nf_watch_chain(&nf, 1007); x != NULL; x = x->hnext)
		assert_ptr_not_equal(x, w[7]);
	for (size_t i = 0; i < N; i++)
		if (i != 7)
			assert_ptr_equal(nf_find_watch(&nf, (uid_t)(1000 + i)), w[i]);
	for (size_t i = 0; i < N; i++)
		free(w[i]);
	free(nf.wtab);
	nf_users_free(&nf);
}

static void
test_unpopulated(void **state)
{
	static const struct {
		const char *text;
		bool empty;
	} t[] = {
		{ "populated 0\nfrozen 0\n", true },
		{ "frozen 0\npopulated 0\n", true },
		{ "populated 1\nfrozen 0\n", false },
		{ "frozen 0\npopulated 1\n", false },
		{ "", false },
		/* A line of its own, whole. */
		{ "populated 0", false },
		{ "xpopulated 0\n", false },
		{ "frozen 0\nxpopulated 0\n", false },
		{ "populated 00\n", false },
		{ "populated 10\n", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (nf_unpopulated(t[i].text) != t[i].empty)
			fail_msg("\"%s\": want %s", t[i].text, t[i].empty ? "empty" : "populated");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_watches),
		cmocka_unit_test(test_unpopulated),
	};

	return cmocka_run_group_tests_name("nf_table", tests, NULL, NULL);
}
