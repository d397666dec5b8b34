/* Unit tests for lib/cgfs.c: paths stay beneath the root they are walked
 * from, and the small-file reader's cap. */
#include "fakecg.h"

/* ------------------------------------------------------------------ */
/* Paths stay beneath the hierarchy's root                             */

static void
test_paths_beneath_root(void **state)
{
	struct fake *f = *state;
	char root[4096], buf[64];
	int fd;

	fake_root(f, "beneath", 2, root, sizeof(root));
	put_str(f->dir, "outside", "secret\n");
	make_dirs(root, "pam_memcg/user-1000");
	put_str(root, "pam_memcg/user-1000/memory.current", "4096\n");
	put_str(root, "pam_memcg/user-1000/cgroup.procs", "");

	assert_int_equal(mc_cg_read(&f->h, "pam_memcg/user-1000", "memory.current", buf,
				    sizeof(buf)), 0);
	assert_string_equal(buf, "4096\n");
	fd = mc_cg_open_dir(&f->h, "");
	assert_true(fd >= 0);
	close(fd);

	assert_true(mc_cg_read(&f->h, "..", "outside", buf, sizeof(buf)) < 0);
	assert_true(mc_cg_read(&f->h, "pam_memcg/../..", "outside", buf, sizeof(buf)) < 0);
	assert_true(mc_cg_open_dir(&f->h, "/") < 0);
	assert_true(mc_cg_open_dir(&f->h, "/etc") < 0);
	assert_true(mc_cg_attach(&f->h, "..", 1) < 0);
	expect_file(f->dir, "outside", "secret\n");

	assert_int_equal(mc_cg_attach(&f->h, "pam_memcg/user-1000", 321), 0);
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "321");
	assert_int_equal(mc_cg_attach(&f->h, "pam_memcg/user-9", 321), -ENOENT);
}

/* The small-file reader: the buffer size is the cap, the text always ends
 * in NUL, an error leaves "", and a symlink at the end is refused. */
static void
test_read_small(void **state)
{
	struct fake *f = *state;
	char buf[8], path[4200];
	int dirfd;

	put_str(f->dir, "short", "12\n");
	put_str(f->dir, "exact", "1234567");
	put_str(f->dir, "long", "123456789abcdef");
	put_str(f->dir, "empty", "");
	assert_int_equal(symlink("short", pathf(path, sizeof(path), "%s/link", f->dir)), 0);
	dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);

	assert_int_equal(mc_read_small(dirfd, "short", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "12\n");
	assert_int_equal(mc_read_small(dirfd, "exact", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(mc_read_small(dirfd, "long", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(mc_read_small(dirfd, "long", buf, 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mc_read_small(dirfd, "empty", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mc_read_small(dirfd, "short", buf, 0), -EINVAL);

	strcpy(buf, "old");
	assert_int_equal(mc_read_small(dirfd, "absent", buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	strcpy(buf, "old");
	assert_int_equal(mc_read_small(dirfd, "link", buf, sizeof(buf)), -ELOOP);
	assert_string_equal(buf, "");

	/* An absolute path, as for /proc files. */
	assert_int_equal(mc_read_small(AT_FDCWD, pathf(path, sizeof(path), "%s/short", f->dir),
				       buf, sizeof(buf)), 0);
	assert_string_equal(buf, "12\n");
	close(dirfd);
}

/* One-number files: "max" and v1's "no limit" are unlimited. */
static void
test_read_u64(void **state)
{
	static const struct {
		const char *text;
		int want;
		uint64_t v;
	} t[] = {
		{ "0\n", 0, 0 },
		{ "1073741824\n", 0, GiB },
		{ "max\n", 0, MC_UNLIMITED },
		{ "max", 0, MC_UNLIMITED },
		{ V1_UNLIMITED, 0, MC_UNLIMITED },
		{ "9223372036854775807\n", 0, MC_UNLIMITED },
		{ "12 bytes\n", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "-1\n", -EINVAL, 0 },
	};
	struct fake *f = *state;
	int dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	for (size_t i = 0; i < NELEM(t); i++) {
		uint64_t v = 7;
		int r;

		put_str(f->dir, "n", t[i].text);
		r = mc_read_u64(dirfd, "n", &v);
		if (r != t[i].want || (r == 0 && v != t[i].v))
			fail_msg("row %zu: \"%s\": returned %d, %llu", i, t[i].text, r,
				 (unsigned long long)v);
	}
	close(dirfd);
}

static void
test_has_word(void **state)
{
	(void)state;
	assert_true(mc_has_word("cpu memory pids", "memory", ' '));
	assert_true(mc_has_word("memory", "memory", ' '));
	assert_true(mc_has_word("rw,cpuset,memory", "memory", ','));
	assert_false(mc_has_word("rw,name=memory", "memory", ','));
	assert_false(mc_has_word("memory_recursiveprot", "memory", ','));
	assert_false(mc_has_word("cpu memory", "memory", ','));
	assert_false(mc_has_word("", "memory", ' '));
	assert_false(mc_has_word(NULL, "memory", ' '));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_beneath_root, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_read_small, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_read_u64, setup_fake, teardown_fake),
		cmocka_unit_test(test_has_word),
	};

	return cmocka_run_group_tests_name("cgfs", tests, NULL, NULL);
}
