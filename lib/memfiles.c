/* The names of the memory files of cgroup v1 and v2; see memfiles.h. */
#include <stddef.h>

#include "memfiles.h"

static const struct mc_memfiles v1 = {
	.limit = "memory.limit_in_bytes",
	.usage = "memory.usage_in_bytes",
	.peak = "memory.max_usage_in_bytes",
	.high = "memory.soft_limit_in_bytes",
	.swap_limit = "memory.memsw.limit_in_bytes",
	.swap_peak = "memory.memsw.max_usage_in_bytes",
	.events = "memory.oom_control",
	.failcnt = "memory.failcnt",
	.oom_group = NULL,
	.pressure = NULL,
};

static const struct mc_memfiles v2 = {
	.limit = "memory.max",
	.usage = "memory.current",
	.peak = "memory.peak",
	.high = "memory.high",
	.swap_limit = "memory.swap.max",
	.swap_peak = NULL,
	.events = "memory.events",
	.failcnt = NULL,
	.oom_group = "memory.oom.group",
	.pressure = "memory.pressure",
};

const struct mc_memfiles *
mc_memfiles(int version)
{
	return version == 2 ? &v2 : &v1;
}
