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

/* ------------------------------------------------------------------ */
/* mc_cg_cpu_stats, mc_parse_cpu_max                                   */

static void
test_parse_cpu_max(void **state)
{
	uint64_t q = 0;

	(void)state;
	assert_int_equal(mc_parse_cpu_max("50000 100000\n", &q), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(mc_parse_cpu_max("max 100000\n", &q), 0);
	assert_int_equal(q, MC_UNLIMITED);
	/* Another period: per 100 ms all the same. */
	assert_int_equal(mc_parse_cpu_max("25000 50000", &q), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(mc_parse_cpu_max("50000", &q), -EINVAL);
	assert_int_equal(mc_parse_cpu_max("50000 0", &q), -EINVAL);
	assert_int_equal(mc_parse_cpu_max("-1 100000", &q), -EINVAL);
	assert_int_equal(mc_parse_cpu_max("", &q), -EINVAL);
}

static void
test_cpu_stats_v2(void **state)
{
	struct fake *f = *state;
	struct mc_hier_set set = { .n = 1 };
	struct mc_cg_cpustats cs;
	char root[4096];

	fake_root(f, "cpu-v2", 2, root, sizeof(root));
	make_dirs(root, "p/user-1000");
	put_str(root, "p/user-1000/cpu.stat",
		"usage_usec 7000000\nuser_usec 6000000\nsystem_usec 1000000\n"
		"nr_periods 90\nnr_throttled 40\nthrottled_usec 2500000\n");
	put_str(root, "p/user-1000/cpu.max", "50000 100000\n");
	put_str(root, "p/user-1000/cpu.weight", "200\n");
	put_str(root, "p/user-1000/pids.current", "12\n");
	put_str(root, "p/user-1000/pids.max", "max\n");
	f->h.ctrls = MC_CTRL_MEMORY | MC_CTRL_CPU | MC_CTRL_PIDS;
	set.h[0] = f->h;
	assert_int_equal(mc_cg_cpu_stats(&set, "p/user-1000", &cs), 0);
	assert_true(cs.have_cpu && cs.have_usage && cs.have_pids);
	assert_int_equal(cs.usage_us, 7000000);
	assert_int_equal(cs.throttled_us, 2500000);
	assert_int_equal(cs.nr_throttled, 40);
	assert_int_equal(cs.quota_us, 50000);
	assert_int_equal(cs.weight, 200);
	assert_int_equal(cs.tasks, 12);
	assert_int_equal(cs.tasks_max, MC_UNLIMITED);

	/* Memory only: nothing known. */
	set.h[0].ctrls = MC_CTRL_MEMORY;
	assert_int_equal(mc_cg_cpu_stats(&set, "p/user-1000", &cs), 0);
	assert_false(cs.have_cpu || cs.have_usage || cs.have_pids);
}

/* v1 with cpu, cpuacct and pids each in a hierarchy of its own. */
static void
test_cpu_stats_v1_apart(void **state)
{
	struct fake *f = *state;
	struct mc_hier_set set = { .n = 0 };
	struct mc_cg_cpustats cs;
	char root[4096];
	static const struct {
		const char *name;
		unsigned ctrls;
	} h[] = {
		{ "v1-memory", MC_CTRL_MEMORY },
		{ "v1-cpu", MC_CTRL_CPU },
		{ "v1-cpuacct", MC_CTRL_CPUACCT },
		{ "v1-pids", MC_CTRL_PIDS },
	};

	for (size_t i = 0; i < NELEM(h); i++) {
		fake_root(f, h[i].name, 1, root, sizeof(root));
		make_dirs(root, "p/user-1000");
		if (h[i].ctrls == MC_CTRL_CPU) {
			put_str(root, "p/user-1000/cpu.stat",
				"nr_periods 20\nnr_throttled 15\nthrottled_time 1500000000\n");
			put_str(root, "p/user-1000/cpu.cfs_quota_us", "50000\n");
			put_str(root, "p/user-1000/cpu.cfs_period_us", "100000\n");
			put_str(root, "p/user-1000/cpu.shares", "2048\n");
		} else if (h[i].ctrls == MC_CTRL_CPUACCT) {
			put_str(root, "p/user-1000/cpuacct.usage", "1157476564\n");
		} else if (h[i].ctrls == MC_CTRL_PIDS) {
			put_str(root, "p/user-1000/pids.current", "24\n");
			put_str(root, "p/user-1000/pids.max", "24\n");
		}
		set.h[set.n] = f->h;
		set.h[set.n++].ctrls = h[i].ctrls;
		/* The set holds the fd now; fake_root closes f->h's. */
		f->h.rootfd = dup(f->h.rootfd);
	}
	assert_int_equal(mc_cg_cpu_stats(&set, "p/user-1000", &cs), 0);
	assert_true(cs.have_cpu && cs.have_usage && cs.have_pids);
	assert_int_equal(cs.usage_us, 1157476);
	assert_int_equal(cs.throttled_us, 1500000);
	assert_int_equal(cs.nr_throttled, 15);
	assert_int_equal(cs.quota_us, 50000);
	assert_int_equal(cs.weight, 200);
	assert_int_equal(cs.tasks, 24);
	assert_int_equal(cs.tasks_max, 24);

	/* No quota (-1); the user's cgroup missing in the pids hierarchy. */
	put_str(root, "p/user-1000/pids.current", "");
	assert_int_equal(rmdir(pathf(root + 2048, 1024, "%s/p/user-1000", root)) == 0 ||
			 errno == ENOTEMPTY, 1);
	fake_root(f, "v1-cpu-nolimit", 1, root, sizeof(root));
	make_dirs(root, "p/user-1000");
	put_str(root, "p/user-1000/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
	put_str(root, "p/user-1000/cpu.cfs_quota_us", "-1\n");
	put_str(root, "p/user-1000/cpu.cfs_period_us", "100000\n");
	mc_hier_close(&set.h[1]);
	set.h[1] = f->h;
	set.h[1].ctrls = MC_CTRL_CPU;
	f->h.rootfd = dup(f->h.rootfd);
	mc_hier_close(&set.h[3]);
	set.n = 3;
	assert_int_equal(mc_cg_cpu_stats(&set, "p/user-1000", &cs), 0);
	assert_true(cs.have_cpu);
	assert_int_equal(cs.quota_us, MC_UNLIMITED);
	assert_false(cs.have_pids);
	for (size_t i = 0; i < set.n; i++)
		mc_hier_close(&set.h[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_stats_v1, setup_fake, teardown_fake),
		cmocka_unit_test(test_parse_cpu_max),
		cmocka_unit_test_setup_teardown(test_cpu_stats_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_cpu_stats_v1_apart, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cgstats", tests, NULL, NULL);
}
