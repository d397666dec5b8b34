/* Facts about this machine (its physical RAM and CPUs), kept apart from the config
 * and rule code that uses them so that those stay pure. */
#include <stdint.h>
#include <unistd.h>

#include "machine.h"

uint64_t
mc_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long psize = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psize <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)psize;
}

unsigned
mc_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}
