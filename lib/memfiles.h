/* Which file of a memory cgroup holds what, for cgroup v1 and v2: the one
 * table of their names, for the backend, memcgctl and the notifier. */
#ifndef MEMCG_MEMFILES_H
#define MEMCG_MEMFILES_H

/* File names in a memory cgroup's directory; NULL where the version has
 * no such file. */
struct mc_memfiles {
	const char *limit;	/* the memory limit (v2 max, v1 limit_in_bytes) */
	const char *usage;	/* memory in use now */
	const char *peak;	/* the highest usage seen (v2: kernel 5.19 on) */
	const char *high;	/* v2's throttling point; v1's soft limit */
	const char *swap_limit;	/* v2: swap alone; v1 memsw: memory + swap */
	const char *swap_peak;	/* v1 only: peak of memory + swap */
	const char *events;	/* "key value" lines with oom_kill; on v1 also
				 * what an OOM eventfd is registered on */
	const char *failcnt;	/* v1 only: times usage hit the limit (v2:
				 * the "max" line of events) */
	const char *oom_group;	/* v2 only: kill the whole cgroup on OOM */
	const char *pressure;	/* v2 only: PSI, where triggers are set */
};

/* The names for hierarchy version 2, or for v1 given any other version
 * (as the rest of lib/ reads struct mc_hier's version).  Points at a
 * constant table; never NULL. */
const struct mc_memfiles *mc_memfiles(int version);

#endif
