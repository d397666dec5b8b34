/* Unit tests for lib/memfiles.c: the memory file names of each cgroup
 * version, as the kernel's documentation gives them. */
#include "unit.h"

#include "memfiles.h"

static void
test_memfiles(void **state)
{
	const struct mc_memfiles *v1 = mc_memfiles(1), *v2 = mc_memfiles(2);

	(void)state;
	assert_string_equal(v2->limit, "memory.max");
	assert_string_equal(v2->usage, "memory.current");
	assert_string_equal(v2->peak, "memory.peak");
	assert_string_equal(v2->high, "memory.high");
	assert_string_equal(v2->swap_limit, "memory.swap.max");
	assert_null(v2->swap_peak);
	assert_string_equal(v2->events, "memory.events");
	assert_null(v2->failcnt);
	assert_string_equal(v2->oom_group, "memory.oom.group");
	assert_string_equal(v2->pressure, "memory.pressure");

	assert_string_equal(v1->limit, "memory.limit_in_bytes");
	assert_string_equal(v1->usage, "memory.usage_in_bytes");
	assert_string_equal(v1->peak, "memory.max_usage_in_bytes");
	assert_string_equal(v1->high, "memory.soft_limit_in_bytes");
	assert_string_equal(v1->swap_limit, "memory.memsw.limit_in_bytes");
	assert_string_equal(v1->swap_peak, "memory.memsw.max_usage_in_bytes");
	assert_string_equal(v1->events, "memory.oom_control");
	assert_string_equal(v1->failcnt, "memory.failcnt");
	assert_null(v1->oom_group);
	assert_null(v1->pressure);

	/* Any version but 2 reads as v1, as struct mc_hier's version does. */
	assert_ptr_equal(mc_memfiles(0), v1);
	assert_ptr_equal(mc_memfiles(3), v1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memfiles),
	};

	return cmocka_run_group_tests_name("memfiles", tests, NULL, NULL);
}
