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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_beneath_root, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cgfs", tests, NULL, NULL);
}
