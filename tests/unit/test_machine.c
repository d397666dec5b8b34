/* Unit tests for lib/machine.c: the RAM it reports is the kernel's own
 * total, as sysinfo(2) gives it. */
#include "unit.h"

#include <sys/sysinfo.h>

#include "machine.h"

static void
test_ram_bytes(void **state)
{
	struct sysinfo si;
	uint64_t ram = mc_ram_bytes();

	(void)state;
	assert_int_equal(sysinfo(&si), 0);
	assert_true(ram > 0);
	assert_int_equal(ram, (uint64_t)si.totalram * si.mem_unit);
	assert_int_equal(ram % (uint64_t)sysconf(_SC_PAGESIZE), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_bytes),
	};

	return cmocka_run_group_tests_name("machine", tests, NULL, NULL);
}
