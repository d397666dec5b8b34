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

/* ------------------------------------------------------------------ */
/* cpu and pids                                                        */

#define CPU_LIM(quota, weight, tasks, conf)                                 \
	{ GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0, (conf), (quota), (weight), (tasks) }

static void
put_empty(const char *root, const char *dir, const char *const *files, size_t n)
{
	char rel[1024];

	for (size_t i = 0; i < n; i++)
		put_str(root, pathf(rel, sizeof(rel), "%s/%s", dir, files[i]), "");
}

/* v2: cpu.max, cpu.weight and pids.max in the one user cgroup beside the
 * memory files; the controllers enabled along the path with memory. */
static void
test_join_v2_cpu_pids(void **state)
{
	static const char *const files[] = { "cpu.max", "cpu.weight", "pids.max" };
	struct fake *f = *state;
	struct mc_limits lim = CPU_LIM(50000, 200, 64, MC_SET_OPTIONAL_KEYS);
	char root[4096];

	fake_root(f, "v2-cpu", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, true);
	put_empty(root, "pam_memcg/user-1000", files, NELEM(files));
	f->h.ctrls = MC_CTRL_MEMORY | MC_CTRL_CPU | MC_CTRL_PIDS;
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 4242, &f->log, NULL), 0);
	expect_file(root, "pam_memcg/user-1000/memory.max", "1073741824");
	expect_file(root, "pam_memcg/user-1000/cpu.max", "50000 100000");
	expect_file(root, "pam_memcg/user-1000/cpu.weight", "200");
	expect_file(root, "pam_memcg/user-1000/pids.max", "64");
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "4242");

	/* "max", and keys not configured left alone. */
	fake_root(f, "v2-cpu-max", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, true);
	put_empty(root, "pam_memcg/user-1000", files, NELEM(files));
	f->h.ctrls = MC_CTRL_MEMORY | MC_CTRL_CPU | MC_CTRL_PIDS;
	lim = (struct mc_limits)CPU_LIM(MC_UNLIMITED, 300, MC_UNLIMITED,
					MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 4242, &f->log, NULL), 0);
	expect_file(root, "pam_memcg/user-1000/cpu.max", "max 100000");
	expect_file(root, "pam_memcg/user-1000/cpu.weight", "");
	expect_file(root, "pam_memcg/user-1000/pids.max", "max");

	/* The hierarchy has the controllers but nothing configures them. */
	fake_root(f, "v2-cpu-none", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, true);
	put_empty(root, "pam_memcg/user-1000", files, NELEM(files));
	f->h.ctrls = MC_CTRL_MEMORY | MC_CTRL_CPU | MC_CTRL_PIDS;
	lim = (struct mc_limits)CPU_LIM(50000, 200, 64, 0);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 4242, &f->log, NULL), 0);
	for (size_t i = 0; i < NELEM(files); i++)
		expect_file(root, pathf(root + 2048, 1024, "pam_memcg/user-1000/%s", files[i]), "");
}

/* v2: cpu and pids are enabled along the path with memory; a cgroup that
 * has them all on is not written.  (A fake file is not cgroupfs: the
 * join's retries rewrite what the first pass wrote, so only the words are
 * checked.) */
static void
test_join_v2_enables_cpu_pids(void **state)
{
	static const char *const dirs[] = { "a", "a/b" };
	struct fake *f = *state;
	struct mc_limits lim = CPU_LIM(50000, 100, 64, MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	char root[4096], path[4200], text[256];

	fake_root(f, "v2-enable-cpu", 2, root, sizeof(root));
	put_str(root, "cgroup.subtree_control", "cpu memory pids\n");
	fake_parent(root, "a/b", 2, "");
	f->h.ctrls = MC_CTRL_MEMORY | MC_CTRL_CPU | MC_CTRL_PIDS;
	/* The fake user cgroup gets no files: the join fails after enabling. */
	assert_true(mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL) < 0);
	expect_file(root, "cgroup.subtree_control", "cpu memory pids\n");
	for (size_t i = 0; i < NELEM(dirs); i++) {
		pathf(path, sizeof(path), "%s/%s/cgroup.subtree_control", root, dirs[i]);
		assert_int_equal(mc_read_small(AT_FDCWD, path, text, sizeof(text)), 0);
		if (!mc_has_word(text, "+memory", ' ') || !mc_has_word(text, "+cpu", ' ') ||
		    !mc_has_word(text, "+pids", ' '))
			fail_msg("%s holds \"%s\", want +memory, +cpu and +pids", path, text);
	}
	/* Memory only: neither cpu nor pids is asked for. */
	fake_root(f, "v2-enable-mem", 2, root, sizeof(root));
	fake_parent(root, "a", 2, "");
	assert_true(mc_cg_join(&f->h, "a", 1000, &lim, 4242, &f->log, NULL) < 0);
	expect_file(root, "a/cgroup.subtree_control", "+memory");
}

/* v1: a cpu hierarchy of its own gets cfs_period_us, cfs_quota_us and
 * shares and no memory file; a pids one pids.max. */
static void
test_join_v1_cpu_pids_apart(void **state)
{
	static const char *const cpu_files[] = {
		"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares", "cgroup.procs",
	};
	static const char *const pids_files[] = { "pids.max", "cgroup.procs" };
	struct fake *f = *state;
	struct mc_limits lim = CPU_LIM(150000, 50, 4096, MC_SET_OPTIONAL_KEYS);
	char root[4096];

	fake_root(f, "v1-cpu", 1, root, sizeof(root));
	fake_parent(root, "a/b", 1, "");
	make_dirs(root, "a/b/user-1000");
	put_empty(root, "a/b/user-1000", cpu_files, NELEM(cpu_files));
	f->h.ctrls = MC_CTRL_CPU | MC_CTRL_CPUACCT;
	assert_int_equal(mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL), 0);
	expect_file(root, "a/b/user-1000/cpu.cfs_period_us", "100000");
	expect_file(root, "a/b/user-1000/cpu.cfs_quota_us", "150000");
	expect_file(root, "a/b/user-1000/cpu.shares", "512");
	expect_file(root, "a/b/user-1000/cgroup.procs", "4242");
	assert_false(path_exists(root, "a/b/user-1000/memory.limit_in_bytes"));

	fake_root(f, "v1-cpu-max", 1, root, sizeof(root));
	fake_parent(root, "p", 1, "");
	make_dirs(root, "p/user-1000");
	put_empty(root, "p/user-1000", cpu_files, NELEM(cpu_files));
	f->h.ctrls = MC_CTRL_CPU;
	lim = (struct mc_limits)CPU_LIM(MC_UNLIMITED, 100, 64, MC_SET_CPU_MAX);
	assert_int_equal(mc_cg_join(&f->h, "p", 1000, &lim, 4242, &f->log, NULL), 0);
	expect_file(root, "p/user-1000/cpu.cfs_quota_us", "-1");
	expect_file(root, "p/user-1000/cpu.shares", "");

	fake_root(f, "v1-pids", 1, root, sizeof(root));
	fake_parent(root, "p", 1, "");
	make_dirs(root, "p/user-1000");
	put_empty(root, "p/user-1000", pids_files, NELEM(pids_files));
	f->h.ctrls = MC_CTRL_PIDS;
	lim = (struct mc_limits)CPU_LIM(50000, 100, 4096, MC_SET_OPTIONAL_KEYS);
	assert_int_equal(mc_cg_join(&f->h, "p", 1000, &lim, 4242, &f->log, NULL), 0);
	expect_file(root, "p/user-1000/pids.max", "4096");
	expect_file(root, "p/user-1000/cgroup.procs", "4242");
	/* Removed again at the last close, as the memory one is. */
	put_str(root, "p/user-1000/cgroup.procs", "");
}

/* A cpu file that cannot be written on a cgroup made here: not joined,
 * removed again, logged with the path. */
static void
test_join_v1_cpu_write_fails(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = CPU_LIM(50000, 100, 64, MC_SET_CPU_MAX);
	char root[4096];

	fake_root(f, "v1-cpu-fail", 1, root, sizeof(root));
	fake_parent(root, "p", 1, "");
	make_dirs(root, "p/user-1000");
	make_dirs(root, "p/user-1000/cpu.cfs_period_us");	/* EISDIR */
	f->h.ctrls = MC_CTRL_CPU;
	assert_true(mc_cg_join(&f->h, "p", 1000, &lim, 4242, &f->log, NULL) < 0);
	assert_true(logrec_has(&f->rec, LOG_ERR, "p/user-1000/cpu.cfs_period_us"));
	assert_false(path_exists(root, "p/user-1000/cgroup.procs"));
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
		cmocka_unit_test_setup_teardown(test_join_v2_cpu_pids, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2_enables_cpu_pids, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_cpu_pids_apart, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_cpu_write_fails, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cglimits", tests, NULL, NULL);
}
