/* account.c: users and the groups the rules name, with NSS answering from
 * files of the test's own (nss_wrapper: the program runs itself again with
 * libnss_wrapper preloaded and its passwd and group files). */
#include "unit.h"

#include <grp.h>
#include <pwd.h>

#include "account.h"

#define WRAPPER "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"

/* ada: primary group "lab" (gid 2001), listed in "ops", not in "web".
 * bob: primary group "web", listed in nothing. */
static const char passwd_text[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"ada:x:1501:2001:Ada:/home/ada:/bin/sh\n"
	"bob:x:1502:2003:Bob:/home/bob:/bin/sh\n";
static const char group_text[] =
	"root:x:0:\n"
	"lab:x:2001:\n"
	"ops:x:2002:bob2,ada,carol\n"
	"web:x:2003:bobby\n";
/* Appended to group_text: "huge" lists ada after more than MC_NSS_BUF_MAX
 * bytes of other members (few, long names: nss_wrapper's parsing is slow
 * per member, very much so under ASan). */
#define HUGE_MEMBERS 1100
#define HUGE_NAME 1000

static struct mc_config *
conf(const char *text)
{
	struct errlog l;
	struct mc_errsink errs = errlog_sink(&l);
	struct mc_config *c = NULL;

	if (mc_config_parse("test.conf", text, strlen(text), 1ULL << 30, &errs, &c) < 0) {
		errlog_dump(&l);
		fail_msg("config refused");
	}
	return c;
}

static bool
has(const struct mc_account *a, const char *group)
{
	for (size_t i = 0; i < a->n_groups; i++)
		if (strcmp(a->groups[i], group) == 0)
			return true;
	return false;
}

static void
test_by_name_and_uid(void **state)
{
	struct mc_account a;

	(void)state;
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(a.uid, 1501);
	assert_int_equal(a.gid, 2001);
	assert_string_equal(a.user.name, "ada");
	assert_int_equal(a.n_groups, 0);	/* none until asked for */
	mc_account_free(&a);
	assert_int_equal(mc_account_by_uid(1502, &a), 0);
	assert_string_equal(a.name, "bob");
	mc_account_free(&a);
	assert_int_equal(mc_account_by_name("nobody-here", &a), -ENOENT);
	assert_int_equal(mc_account_by_uid(4242, &a), -ENOENT);
	assert_int_equal(mc_group_known("ops"), 1);
	assert_int_equal(mc_group_known("op"), 0);
}

/* members: the primary group and member lists, only for the groups the
 * config names (an unknown one is no match, and no error); a name that is
 * a prefix of a member's is no match. */
static void
test_members(void **state)
{
	struct mc_config *c = conf("exempt_groups = {\"ops\", \"nosuch\"}\n"
				   "group \"lab\" { memory_max = \"1G\" }\n"
				   "group \"web\" { memory_max = \"2G\" }\n"
				   "group \"ops\" { memory_max = \"3G\" }\n");
	struct mc_account a;
	struct mc_decision d;

	(void)state;
	assert_int_equal(c->group_lookup, MC_GROUPS_MEMBERS);
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_groups, 2);	/* "ops" once, though named twice */
	assert_true(has(&a, "lab"));
	assert_true(has(&a, "ops"));
	assert_false(has(&a, "web"));
	mc_decide(c, &a.user, 1ULL << 30, &d);
	assert_int_equal(d.exempt, MC_EXEMPT_GROUP);
	mc_account_free(&a);

	assert_int_equal(mc_account_by_name("bob", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_groups, 1);
	assert_true(has(&a, "web"));	/* primary; "bobby" and "bob2" are others */
	mc_decide(c, &a.user, 1ULL << 30, &d);
	assert_int_equal(d.exempt, MC_NOT_EXEMPT);
	assert_string_equal(d.rule->name, "web");
	mc_account_free(&a);
	mc_config_free(c);
}

/* No rule names a group: nothing is looked up. */
static void
test_no_group_rules(void **state)
{
	struct mc_config *c = conf("group_lookup = initgroups\nuser \"ada\" { memory_max = \"1G\" }\n");
	struct mc_account a;

	(void)state;
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_groups, 0);
	assert_null(a.groups);
	mc_account_free(&a);
	mc_config_free(c);
}

/* initgroups: every group of the user, named or not. */
static void
test_initgroups(void **state)
{
	struct mc_config *c = conf("group_lookup = initgroups\n"
				   "group \"web\" { memory_max = \"2G\" }\n");
	struct mc_account a;

	(void)state;
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_groups, 3);
	assert_true(has(&a, "lab"));
	assert_true(has(&a, "ops"));
	assert_true(has(&a, "#2004"));	/* "huge", over the cap */
	/* Loaded once: a second call keeps what is there. */
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_groups, 3);
	mc_account_free(&a);
	mc_config_free(c);
}

/* A group entry over the buffer cap is no match and counted, not an error
 * (before, the whole look-up failed and with on_error = fail nobody the
 * config names groups for could log in); the others still match. */
static void
test_oversized_group(void **state)
{
	struct mc_config *c = conf("exempt_groups = {\"huge\"}\n"
				   "group \"ops\" { memory_max = \"3G\" }\n");
	struct mc_account a;
	struct mc_decision d;

	(void)state;
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_oversized, 1);
	assert_string_equal(a.oversized, "huge");
	assert_false(has(&a, "huge"));
	assert_true(has(&a, "ops"));
	mc_decide(c, &a.user, 1ULL << 30, &d);
	assert_int_equal(d.exempt, MC_NOT_EXEMPT);
	assert_string_equal(d.rule->name, "ops");
	mc_account_free(&a);
	mc_config_free(c);

	/* initgroups: the gid is named "#<gid>" and counted. */
	c = conf("group_lookup = initgroups\ngroup \"ops\" { memory_max = \"3G\" }\n");
	assert_int_equal(mc_account_by_name("ada", &a), 0);
	assert_int_equal(mc_account_load_groups(&a, c), 0);
	assert_int_equal(a.n_oversized, 1);
	assert_string_equal(a.oversized, "#2004");
	assert_true(has(&a, "ops"));
	mc_account_free(&a);
	mc_config_free(c);
}

/* Writes the NSS files and runs this program again with nss_wrapper. */
static void
reexec_wrapped(char **argv)
{
	char dir[] = "/tmp/memcg-account-XXXXXX", pw[64], gr[64];
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	snprintf(gr, sizeof(gr), "%s/group", dir);
	if ((f = fopen(pw, "w")) == NULL || fputs(passwd_text, f) < 0 || fclose(f) != 0 ||
	    (f = fopen(gr, "w")) == NULL || fputs(group_text, f) < 0) {
		perror(dir);
		exit(1);
	}
	fputs("huge:x:2004:", f);
	for (int i = 0; i < HUGE_MEMBERS; i++)
		fprintf(f, "m%0*d,", HUGE_NAME - 1, i);
	if (fputs("ada\n", f) < 0 || fclose(f) != 0) {
		perror(gr);
		exit(1);
	}
	/* Under ASan (make asan) the preloaded library comes before ASan's
	 * runtime, which ASan refuses unless told. */
	{
		const char *o = getenv("ASAN_OPTIONS");
		char opts[512];

		snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", o ? o : "",
			 o && *o ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	setenv("LD_PRELOAD", WRAPPER, 1);
	setenv("NSS_WRAPPER_PASSWD", pw, 1);
	setenv("NSS_WRAPPER_GROUP", gr, 1);
	setenv("MEMCG_TEST_NSS_DIR", dir, 1);
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_name_and_uid),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_no_group_rules),
		cmocka_unit_test(test_initgroups),
		cmocka_unit_test(test_oversized_group),
	};
	const char *dir = getenv("MEMCG_TEST_NSS_DIR");
	char path[96];
	int r;

	(void)argc;
	if (dir == NULL) {
		if (access(WRAPPER, R_OK) != 0) {
			fprintf(stderr, "test_account: %s is missing (Debian libnss-wrapper; make deps)\n",
				WRAPPER);
			return 1;
		}
		reexec_wrapped(argv);
	}
	unsetenv("LD_PRELOAD");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/group", dir);
	unlink(path);
	rmdir(dir);
	return r;
}
