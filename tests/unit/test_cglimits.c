/* Unit tests for lib/cglimits.c: joining (limits written, paths made,
 * symlinks refused), removing and attaching, run against fake v1 and v2
 * cgroup trees in a temp dir. */
#include "fakecg.h"

#include <limits.h>

/* ------------------------------------------------------------------ */
/* mc_cg_join                                                          */

static void
test_join_v2(void **state)
{
	static const struct {
		const char *parent;
		uid_t uid;
		struct mc_limits lim;
		pid_t pid;
		const char *max, *high, *swap, *oom, *procs;
	} t[] = {
		{ "pam_memcg", 1000, { GiB, 768 * MiB, MC_UNLIMITED, true, false, false, 0, 0, 0, 0, 0 }, 4242,
		  "1073741824", "805306368", "max", "1", "4242" },
		{ "pam_memcg", 1001, { MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 }, 1,
		  "max", "max", "max", "0", "1" },
		{ "a/b/c", 65534, { (uint64_t)INT64_MAX, MiB, 0, false, false, false, 0, 0, 0, 0, 0 }, INT_MAX,
		  "9223372036854775807", "1048576", "0", "0", "2147483647" },
		{ "user.slice/memcg", 4294967294u, { 4 * GiB, 3 * GiB, 2 * GiB, true, false, false, 0, 0, 0, 0, 0 }, 77,
		  "4294967296", "3221225472", "2147483648", "1", "77" },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32], leaf[1024], rel[1100];
		int r;

		pathf(name, sizeof(name), "v2-%zu", i);
		fake_root(f, name, 2, root, sizeof(root));
		fake_v2_user(root, t[i].parent, t[i].uid, true);
		r = mc_cg_join(&f->h, t[i].parent, t[i].uid, &t[i].lim, t[i].pid, &f->log, NULL);
		if (r != 0) {
			dump_log(f);
			fail_msg("row %zu: mc_cg_join returned %d", i, r);
		}
		pathf(leaf, sizeof(leaf), "%s/user-%u", t[i].parent, (unsigned)t[i].uid);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.max", leaf), t[i].max);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.high", leaf), t[i].high);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.swap.max", leaf), t[i].swap);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.oom.group", leaf), t[i].oom);
		expect_file(root, pathf(rel, sizeof(rel), "%s/cgroup.procs", leaf), t[i].procs);
		/* Nothing else moved: the parent keeps no process. */
		expect_file(root, pathf(rel, sizeof(rel), "%s/cgroup.procs", t[i].parent), "");
		assert_false(logrec_has(&f->rec, LOG_ERR, ""));
	}
}

/* Memory files that never show up (the controller is off above the user
 * cgroup): the join enables it along the path, retries a bounded number of
 * times and fails without attaching anything. */
static void
test_join_v2_enables_memory_along_path(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	char root[4096];
	int r;

	fake_root(f, "enable", 2, root, sizeof(root));
	put_str(root, "cgroup.subtree_control", "cpu memory pids\n");
	fake_parent(root, "a/b", 2, "");
	r = mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL);
	if (r >= 0) {
		dump_log(f);
		fail_msg("joined a cgroup that has no memory.max");
	}
	expect_file(root, "cgroup.subtree_control", "cpu memory pids\n");
	expect_file(root, "a/cgroup.subtree_control", "+memory");
	expect_file(root, "a/b/cgroup.subtree_control", "+memory");
	assert_true(path_exists(root, "a/b/user-1000"));
	assert_false(path_exists(root, "a/b/user-1000/cgroup.procs"));
	assert_false(path_exists(root, "a/b/user-1000/memory.max"));
	assert_true(logrec_has(&f->rec, LOG_ERR, "a/b/user-1000"));

	/* No parent at all: memory is enabled in the root before it is made. */
	fake_root(f, "enable-root", 2, root, sizeof(root));
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 4242, &f->log, NULL);
	assert_true(r < 0);
	expect_file(root, "cgroup.subtree_control", "+memory");
	assert_true(path_exists(root, "pam_memcg"));
	assert_false(path_exists(root, "pam_memcg/user-1000"));
}

/* v1 creates the whole parent path and the user cgroup itself. */
static void
test_join_v1_creates_path(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	char root[4096];

	fake_root(f, "v1-create", 1, root, sizeof(root));
	/* The fake user cgroup gets no files, so the join cannot finish. */
	assert_true(mc_cg_join(&f->h, "a/b/c", 1000, &lim, 4242, &f->log, NULL) < 0);
	assert_true(path_exists(root, "a/b/c/user-1000"));
	assert_false(path_exists(root, "a/b/c/user-1000/cgroup.procs"));
}

/* Directories the join makes are 0755 whatever the umask (under su the
 * user's, root's often 077); one that was there keeps its mode. */
static void
test_join_mode_ignores_umask(void **state)
{
	static const char *const made[] = { "a", "a/b", "a/b/user-1000" };
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	char root[4096], path[4200];
	struct stat st;
	mode_t old;

	fake_root(f, "umask", 1, root, sizeof(root));
	make_dirs(root, "kept");
	assert_int_equal(chmod(pathf(path, sizeof(path), "%s/kept", root), 0711), 0);
	old = umask(077);
	(void)mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL);
	(void)mc_cg_join(&f->h, "kept", 1000, &lim, 4242, &f->log, NULL);
	umask(old);
	for (size_t i = 0; i < NELEM(made); i++) {
		if (stat(pathf(path, sizeof(path), "%s/%s", root, made[i]), &st) < 0)
			fail_msg("%s: %s", made[i], strerror(errno));
		if ((st.st_mode & 07777) != 0755)
			fail_msg("%s: mode %o, want 755", made[i], (unsigned)(st.st_mode & 07777));
	}
	assert_int_equal(stat(pathf(path, sizeof(path), "%s/kept", root), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(stat(pathf(path, sizeof(path), "%s/kept/user-1000", root), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* Without swap accounting there is no memory.swap.max: fine for "max". */
static void
test_join_v2_no_swap_file(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	struct mc_join_result res;
	char root[4096];
	int r;

	fake_root(f, "noswap-ok", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, false);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, NULL), 0);
	expect_file(root, "pam_memcg/user-1000/memory.max", "1073741824");
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");

	/* A swap limit cannot be written: the cgroup existed (another
	 * session's) and has a memory limit in force, so it is joined, and
	 * the caller told. */
	fake_root(f, "noswap-limit", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, false);
	lim.swap_max = GiB;
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, 0);
	assert_int_equal(res.limit_err, -EOPNOTSUPP);
	assert_int_equal(res.max_in_force, GiB);
	assert_true(logrec_has(&f->rec, LOG_ERR, "swap"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");
}

/* A cgroup that existed with no memory limit in force, whose memory.max
 * cannot be written (a directory here), is never joined: the session
 * would run unlimited. */
static void
test_join_existing_unlimited_refused(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	struct mc_join_result res;
	char root[4096], max[4200];
	int r;

	fake_root(f, "unlimited-refused", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, true);
	assert_int_equal(unlink(pathf(max, sizeof(max), "%s/pam_memcg/user-1000/memory.max", root)), 0);
	make_dirs(root, "pam_memcg/user-1000/memory.max");
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, -EISDIR);
	assert_true(logrec_has(&f->rec, LOG_ERR, "no memory limit in force"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "");

	/* Nothing asked for: joined, whatever the write said. */
	lim.memory_max = MC_UNLIMITED;
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, 0);
	assert_int_equal(res.limit_err, -EISDIR);
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");
}

/* In force against configured, up to the kernel's rounding to pages. */
static void
test_limit_differs(void **state)
{
	static const struct {
		uint64_t cfg, in_force;
		bool differs;
	} t[] = {
		{ 64 * MiB, 64 * MiB, false },
		{ 16 * MiB, 64 * MiB, true },
		{ 64 * MiB, 16 * MiB, true },
		{ MC_UNLIMITED, MC_UNLIMITED, false },
		{ MC_UNLIMITED, GiB, true },
		{ GiB, MC_UNLIMITED, true },
		/* 10% of some RAM: the kernel keeps whole pages. */
		{ 838860800 + 4095, 838860800, false },
		{ 838860800 + 4096, 838860800, true },
		{ 4095, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mc_limit_differs(t[i].cfg, t[i].in_force, 4096) != t[i].differs)
			fail_msg("row %zu: %llu vs %llu", i, (unsigned long long)t[i].cfg,
				 (unsigned long long)t[i].in_force);
	assert_false(mc_limit_differs(5, 5, 0));
}

static void
test_join_v1(void **state)
{
	static const struct {
		struct mc_limits lim;
		const char *limit, *memsw, *soft;
	} t[] = {
		/* memsw is memory plus swap. */
		{ { GiB, MC_UNLIMITED, 512 * MiB, false, false, false, 0, 0, 0, 0, 0 },
		  "1073741824", "1610612736", "-1" },
		{ { GiB, 768 * MiB, 0, false, false, false, 0, 0, 0, 0, 0 },
		  "1073741824", "1073741824", "805306368" },
		/* "max" is -1 on v1. */
		{ { MC_UNLIMITED, GiB, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 },
		  "-1", "-1", "1073741824" },
		{ { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 },
		  "1073741824", "-1", "-1" },
		{ { MC_UNLIMITED, MC_UNLIMITED, GiB, false, false, false, 0, 0, 0, 0, 0 },
		  "-1", "-1", "-1" },
		/* The sum at the largest size, and past it. */
		{ { (uint64_t)INT64_MAX - GiB, MC_UNLIMITED, GiB, false, false, false, 0, 0, 0, 0, 0 },
		  "9223372035781033983", "9223372036854775807", "-1" },
		{ { (uint64_t)INT64_MAX - GiB, MC_UNLIMITED, GiB + 1, false, false, false, 0, 0, 0, 0, 0 },
		  "9223372035781033983", "-1", "-1" },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32];
		int r;

		pathf(name, sizeof(name), "v1-%zu", i);
		fake_root(f, name, 1, root, sizeof(root));
		fake_v1_user(root, "pam_memcg", 2000, true);
		r = mc_cg_join(&f->h, "pam_memcg", 2000, &t[i].lim, 31337, &f->log, NULL);
		if (r != 0) {
			dump_log(f);
			fail_msg("row %zu: mc_cg_join returned %d", i, r);
		}
		expect_written(root, "pam_memcg/user-2000/memory.limit_in_bytes",
			       V1_UNLIMITED, t[i].limit);
		expect_written(root, "pam_memcg/user-2000/memory.memsw.limit_in_bytes",
			       V1_UNLIMITED, t[i].memsw);
		expect_written(root, "pam_memcg/user-2000/memory.soft_limit_in_bytes",
			       V1_UNLIMITED, t[i].soft);
		expect_file(root, "pam_memcg/user-2000/cgroup.procs", "31337");
		expect_file(root, "pam_memcg/cgroup.procs", "");
	}
}

/* Without swap accounting (no memsw file) only an unlimited swap works. */
static void
test_join_v1_no_memsw(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };
	struct mc_join_result res;
	char root[4096];

	fake_root(f, "v1-nomemsw-ok", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, false);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, NULL), 0);
	expect_written(root, "pam_memcg/user-1000/memory.limit_in_bytes", V1_UNLIMITED,
		       "1073741824");
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");
	assert_false(path_exists(root, "pam_memcg/user-1000/memory.memsw.limit_in_bytes"));

	/* The cgroup existed and has its memory limit: joined, told. */
	fake_root(f, "v1-nomemsw-limit", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, false);
	lim.swap_max = 0;
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, &res), 0);
	assert_int_equal(res.limit_err, -EOPNOTSUPP);
	assert_true(res.max_in_force != MC_UNLIMITED);
	assert_true(logrec_has(&f->rec, LOG_ERR, "swap"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");
}

/* v1 has no oom_group: one warning per process, and the join goes on.
 * The only test that joins a v1 cgroup with oom_group set. */
static void
test_join_v1_oom_group_warns_once(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, true, false, false, 0, 0, 0, 0, 0 };
	char root[4096];

	fake_root(f, "v1-oom", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, true);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, NULL), 0);
	assert_true(logrec_has(&f->rec, LOG_WARNING, "oom_group"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");

	fake_v1_user(root, "pam_memcg", 1001, true);
	f->log = logrec_sink(&f->rec);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1001, &lim, 6, &f->log, NULL), 0);
	assert_int_equal(f->rec.n, 0);
}

/* Symlinks anywhere on the way are refused and nothing is written through
 * them. */
static void
test_join_refuses_symlinks(void **state)
{
	static const struct {
		const char *what, *parent;
		const char *link, *target;	/* link made at root/link */
		const char *untouched;		/* a file that must stay empty */
	} t[] = {
		{ "parent is a symlink", "pam_memcg", "pam_memcg", "elsewhere",
		  "elsewhere/user-1000/cgroup.procs" },
		{ "a parent component is a symlink", "a/b", "a", "elsewhere",
		  "elsewhere/b/user-1000/cgroup.procs" },
		{ "user cgroup is a symlink", "pam_memcg", "pam_memcg/user-1000",
		  "../elsewhere/user-1000", "elsewhere/user-1000/memory.max" },
		{ "memory.max is a symlink", "pam_memcg", "pam_memcg/user-1000/memory.max",
		  "../../victim", "victim" },
		{ "cgroup.procs is a symlink", "pam_memcg", "pam_memcg/user-1000/cgroup.procs",
		  "../../victim", "victim" },
	};
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, 0, 0, 0, 0 };

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32], link[4200];
		int r;

		pathf(name, sizeof(name), "link-%zu", i);
		fake_root(f, name, 2, root, sizeof(root));
		put_str(root, "victim", "");
		/* The real files the link points at. */
		fake_v2_user(root, "elsewhere", 1000, true);
		fake_v2_user(root, "elsewhere/b", 1000, true);
		pathf(link, sizeof(link), "%s/%s", root, t[i].link);
		if (strncmp(t[i].link, t[i].parent, strlen(t[i].parent)) == 0 &&
		    strcmp(t[i].link, t[i].parent) != 0) {
			/* The link is below the parent: the rest is real. */
			fake_v2_user(root, t[i].parent, 1000, true);
			remove_tree(link);
		}
		if (symlink(t[i].target, link) < 0)
			fail_msg("%s: symlink %s: %s", t[i].what, link, strerror(errno));

		r = mc_cg_join(&f->h, t[i].parent, 1000, &lim, 4242, &f->log, NULL);
		if (r >= 0) {
			dump_log(f);
			fail_msg("%s: join returned %d", t[i].what, r);
		}
		expect_file(root, t[i].untouched, "");
		expect_file(root, "elsewhere/user-1000/cgroup.procs", "");
		expect_file(root, "elsewhere/user-1000/memory.max", "");
		expect_file(root, "victim", "");
	}
}

/* ------------------------------------------------------------------ */
/* mc_cg_remove_user                                                   */

static void
test_remove_user(void **state)
{
	struct fake *f = *state;
	char root[4096], link[4200];

	fake_root(f, "remove", 2, root, sizeof(root));
	fake_parent(root, "pam_memcg", 2, "memory\n");
	make_dirs(root, "pam_memcg/user-1000");
	make_dirs(root, "pam_memcg/user-1001");
	fake_v2_user(root, "pam_memcg", 1002, true);

	/* Empty: removed, and only that one. */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1000, true), 0);
	assert_false(path_exists(root, "pam_memcg/user-1000"));
	assert_true(path_exists(root, "pam_memcg/user-1001"));
	/* Gone already. */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1000, true), -ENOENT);
	/* Still in use (a fake cgroup with files in it). */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1002, true), -EBUSY);
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1002, false), -EBUSY);
	assert_true(path_exists(root, "pam_memcg/user-1002/cgroup.procs"));
	/* No such parent. */
	assert_int_equal(mc_cg_remove_user(&f->h, "absent", 1001, true), -ENOENT);
	assert_true(path_exists(root, "pam_memcg/user-1001"));

	/* A symlinked parent or user cgroup is not followed. */
	make_dirs(root, "real/user-1003");
	assert_int_equal(symlink("real", pathf(link, sizeof(link), "%s/linked", root)), 0);
	assert_true(mc_cg_remove_user(&f->h, "linked", 1003, true) < 0);
	assert_true(path_exists(root, "real/user-1003"));
	assert_int_equal(symlink("../real/user-1003",
				 pathf(link, sizeof(link), "%s/pam_memcg/user-1004", root)), 0);
	assert_true(mc_cg_remove_user(&f->h, "pam_memcg", 1004, true) < 0);
	assert_true(path_exists(root, "real/user-1003"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2_enables_memory_along_path,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_creates_path, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_mode_ignores_umask, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2_no_swap_file, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_existing_unlimited_refused, setup_fake, teardown_fake),
		cmocka_unit_test(test_limit_differs),
		cmocka_unit_test_setup_teardown(test_join_v1, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_no_memsw, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_oom_group_warns_once,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_refuses_symlinks, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_remove_user, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cglimits", tests, NULL, NULL);
}
