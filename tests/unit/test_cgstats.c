/* Unit tests for lib/cgstats.c: a cgroup's state read from fake v1 and v2
 * trees in a temp dir. */
#include "fakecg.h"

#include <inttypes.h>

/* ------------------------------------------------------------------ */
/* mc_cg_stats                                                         */

static void
test_stats_v2(void **state)
{
	struct fake *f = *state;
	struct mc_cg_stats st;
	char root[4096];

	fake_root(f, "stats-v2", 2, root, sizeof(root));
	make_dirs(root, "pam_memcg/user-1000");
	put_str(root, "pam_memcg/user-1000/memory.current", "123456789\n");
	put_str(root, "pam_memcg/user-1000/memory.peak", "223456789\n");
	put_str(root, "pam_memcg/user-1000/memory.max", "max\n");
	put_str(root, "pam_memcg/user-1000/memory.high", "1073741824\n");
	put_str(root, "pam_memcg/user-1000/memory.swap.max", "0\n");
	put_str(root, "pam_memcg/user-1000/memory.events",
		"low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n");
	put_str(root, "pam_memcg/user-1000/cgroup.procs", "100\n200\n300\n");
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1000", &st), 0);
	assert_int_equal(st.current, 123456789);
	assert_true(st.have_peak);
	assert_int_equal(st.peak, 223456789);
	assert_int_equal(st.max, MC_UNLIMITED);
	assert_int_equal(st.high, GiB);
	assert_int_equal(st.swap_max, 0);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.nprocs, 3);

	/* Optional files missing; oom_kill after a key that starts alike. */
	make_dirs(root, "pam_memcg/user-1001");
	put_str(root, "pam_memcg/user-1001/memory.current", "0\n");
	put_str(root, "pam_memcg/user-1001/memory.max", "2147483648\n");
	put_str(root, "pam_memcg/user-1001/memory.events",
		"oom_group_kill 9\noom 4\noom_kill 17");
	put_str(root, "pam_memcg/user-1001/cgroup.procs", "");
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1001", &st), 0);
	assert_int_equal(st.current, 0);
	assert_false(st.have_peak);
	assert_int_equal(st.max, 2 * GiB);
	assert_int_equal(st.high, MC_UNLIMITED);
	assert_int_equal(st.swap_max, MC_UNLIMITED);
	assert_int_equal(st.oom_kills, 17);
	assert_int_equal(st.nprocs, 0);

	/* Without memory.current or the cgroup itself there are no stats. */
	make_dirs(root, "pam_memcg/user-1002");
	put_str(root, "pam_memcg/user-1002/memory.max", "max\n");
	assert_true(mc_cg_stats(&f->h, "pam_memcg/user-1002", &st) < 0);
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1003", &st), -ENOENT);
	put_str(root, "pam_memcg/user-1002/memory.current", "12 bytes\n");
	assert_true(mc_cg_stats(&f->h, "pam_memcg/user-1002", &st) < 0);
}

static void
test_stats_v1(void **state)
{
	static const struct {
		const char *limit, *memsw, *soft;
		uint64_t max, swap, high;
	} t[] = {
		{ "1073741824\n", "1610612736\n", V1_UNLIMITED, GiB, 512 * MiB, MC_UNLIMITED },
		{ "1073741824\n", "1073741824\n", "536870912\n", GiB, 0, 512 * MiB },
		{ V1_UNLIMITED, V1_UNLIMITED, V1_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED },
		{ "1073741824\n", V1_UNLIMITED, V1_UNLIMITED, GiB, MC_UNLIMITED, MC_UNLIMITED },
		{ "9223372036854775807\n", "9223372036854775807\n", "9223372036854775807\n",
		  MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_cg_stats st;
		char root[4096], name[32];

		pathf(name, sizeof(name), "stats-v1-%zu", i);
		fake_root(f, name, 1, root, sizeof(root));
		make_dirs(root, "pam_memcg/user-1000");
		put_str(root, "pam_memcg/user-1000/memory.usage_in_bytes", "52428800\n");
		put_str(root, "pam_memcg/user-1000/memory.max_usage_in_bytes", "104857600\n");
		put_str(root, "pam_memcg/user-1000/memory.limit_in_bytes", t[i].limit);
		put_str(root, "pam_memcg/user-1000/memory.memsw.limit_in_bytes", t[i].memsw);
		put_str(root, "pam_memcg/user-1000/memory.soft_limit_in_bytes", t[i].soft);
		put_str(root, "pam_memcg/user-1000/memory.oom_control",
			"oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
		put_str(root, "pam_memcg/user-1000/cgroup.procs", "1\n2\n");
		assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1000", &st), 0);
		if (st.current != 52428800 || !st.have_peak || st.peak != 104857600 ||
		    st.max != t[i].max || st.swap_max != t[i].swap || st.high != t[i].high ||
		    st.oom_kills != 4 || st.nprocs != 2)
			fail_msg("row %zu: current %" PRIu64 " peak %" PRIu64 " max %" PRIu64
				 " swap %" PRIu64 " high %" PRIu64 " oom %" PRIu64 " procs %u",
				 i, st.current, st.peak, st.max, st.swap_max, st.high,
				 st.oom_kills, st.nprocs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_stats_v1, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cgstats", tests, NULL, NULL);
}
