/* Unit tests for lib/cgname.c: user cgroup names and listing them on a
 * fake tree in a temp dir. */
#include "fakecg.h"

#include <limits.h>

/* ------------------------------------------------------------------ */
/* mc_user_cgroup                                                      */

static void
test_user_cgroup(void **state)
{
	static const struct {
		const char *parent;
		uid_t uid;
		const char *want;
	} t[] = {
		{ "pam_memcg", 1000, "pam_memcg/user-1000" },
		{ "pam_memcg", 0, "pam_memcg/user-0" },
		{ "a/b/c", 65534, "a/b/c/user-65534" },
		{ "x", 4294967294u, "x/user-4294967294" },
		{ "x", (uid_t)-1, "x/user-4294967295" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[64];
		size_t need = strlen(t[i].want) + 1;

		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, sizeof(buf)), 0);
		assert_string_equal(buf, t[i].want);
		/* Exactly enough room, then one byte short. */
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, need), 0);
		assert_string_equal(buf, t[i].want);
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, need - 1),
				 -ENAMETOOLONG);
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, 1), -ENAMETOOLONG);
	}
	{
		char big[PATH_MAX + 16], buf[PATH_MAX];

		memset(big, 'p', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(mc_user_cgroup(big, 1000, buf, sizeof(buf)), -ENAMETOOLONG);
	}
}

/* ------------------------------------------------------------------ */
/* mc_cg_each_user                                                     */

struct seen {
	uid_t uids[32];
	int n;
	int stop_after;		/* return 7 after this many; 0: never */
};

static int
collect(void *ctx, uid_t uid)
{
	struct seen *s = ctx;

	if ((size_t)s->n < NELEM(s->uids))
		s->uids[s->n] = uid;
	s->n++;
	return s->stop_after != 0 && s->n == s->stop_after ? 7 : 0;
}

static int
cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_each_user(void **state)
{
	static const char *const dirs[] = {
		"user-1000", "user-0", "user-4294967294", "user-65534",
		/* Not user-<digits> with a uid: */
		"user-4294967295", "user-99999999999", "user-", "user-abc", "user-12a",
		"user--1", "user-+5", "user- 5", "user-5 ", "user", "xuser-5", "User-7",
		"user-01000", "user-00",
		"session-3.scope",
	};
	static const uid_t want[] = { 0, 1000, 65534, 4294967294u };
	struct fake *f = *state;
	struct seen s = { .n = 0 };
	char root[4096], rel[256], link[4200];

	fake_root(f, "each", 2, root, sizeof(root));
	fake_parent(root, "pam_memcg", 2, "memory\n");
	for (size_t i = 0; i < NELEM(dirs); i++)
		make_dirs(root, pathf(rel, sizeof(rel), "pam_memcg/%s", dirs[i]));
	put_str(root, "pam_memcg/memory.max", "max\n");

	assert_int_equal(mc_cg_each_user(&f->h, "pam_memcg", collect, &s), 0);
	if (s.n != (int)NELEM(want))
		fail_msg("listed %d user cgroups, want %zu", s.n, NELEM(want));
	qsort(s.uids, (size_t)s.n, sizeof(s.uids[0]), cmp_uid);
	for (size_t i = 0; i < NELEM(want); i++)
		if (s.uids[i] != want[i])
			fail_msg("listed uid %u, want %u", (unsigned)s.uids[i], (unsigned)want[i]);

	/* The callback stops the walk and its value comes back. */
	s = (struct seen){ .stop_after = 2 };
	assert_int_equal(mc_cg_each_user(&f->h, "pam_memcg", collect, &s), 7);
	assert_int_equal(s.n, 2);

	/* An empty parent lists nothing; a missing one is -ENOENT. */
	s = (struct seen){ .n = 0 };
	fake_parent(root, "empty", 2, "");
	assert_int_equal(mc_cg_each_user(&f->h, "empty", collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(mc_cg_each_user(&f->h, "absent", collect, &s), -ENOENT);

	/* A symlinked parent is not followed. */
	assert_int_equal(symlink("pam_memcg", pathf(link, sizeof(link), "%s/linked", root)), 0);
	assert_true(mc_cg_each_user(&f->h, "linked", collect, &s) < 0);
	assert_int_equal(s.n, 0);
}

/* The one naming function: with and without a parent and a suffix. */
static void
test_user_cgroup_name(void **state)
{
	static const struct {
		const char *parent;
		uid_t uid;
		const char *suffix, *want;
	} t[] = {
		{ NULL, 1000, NULL, "user-1000" },
		{ NULL, 1000, "", "user-1000" },
		{ NULL, 0, ".slice", "user-0.slice" },
		{ "pam_memcg", 1000, NULL, "pam_memcg/user-1000" },
		{ "user.slice", 4294967294u, ".slice", "user.slice/user-4294967294.slice" },
		{ "", 5, NULL, "/user-5" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[64];
		size_t need = strlen(t[i].want) + 1;

		assert_int_equal(mc_user_cgroup_name(t[i].parent, t[i].uid, t[i].suffix, buf,
						     sizeof(buf)), 0);
		assert_string_equal(buf, t[i].want);
		assert_int_equal(mc_user_cgroup_name(t[i].parent, t[i].uid, t[i].suffix, buf,
						     need), 0);
		assert_string_equal(buf, t[i].want);
		assert_int_equal(mc_user_cgroup_name(t[i].parent, t[i].uid, t[i].suffix, buf,
						     need - 1), -ENAMETOOLONG);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_cgroup),
		cmocka_unit_test(test_user_cgroup_name),
		cmocka_unit_test_setup_teardown(test_each_user, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cgname", tests, NULL, NULL);
}
