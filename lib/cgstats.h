/* The state of one cgroup, read from its memory files (and cpu, cpuacct,
 * pids files): what memcgctl status and the notifier show. */
#ifndef MEMCG_CGSTATS_H
#define MEMCG_CGSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "hier.h"

/* What memcgctl status and the notifier show for one user cgroup. */
struct mc_cg_stats {
	uint64_t current, peak, max, high, swap_max;	/* MC_UNLIMITED = max */
	uint64_t oom_kills;
	unsigned nprocs;
	bool have_peak;
};

/* Reads the state of rel (a path relative to the mount point) into st.
 * Returns 0, or a negative errno when the cgroup or its usage or memory
 * limit cannot be read; the other numbers are optional (unlimited, 0). */
int mc_cg_stats(const struct mc_hier *h, const char *rel, struct mc_cg_stats *st);
/* The same for the cgroup directory fd of hierarchy version (1 or 2), for
 * a caller that keeps the directory open.  fd stays the caller's. */
int mc_cg_stats_at(int version, int fd, struct mc_cg_stats *st);

/* CPU and task figures of one user cgroup, where its hierarchies have the
 * controllers.  Times in microseconds; MC_UNLIMITED = max. */
struct mc_cg_cpustats {
	bool have_cpu;		/* cpu.max / cfs_quota_us read */
	bool have_usage;	/* v2 cpu.stat usage_usec, v1 cpuacct.usage */
	bool have_pids;		/* pids.current read */
	uint64_t usage_us;	/* CPU time used since the cgroup was made */
	uint64_t throttled_us;	/* time held back by the quota */
	uint64_t nr_throttled;	/* periods in which it was */
	uint64_t quota_us;	/* per MC_CPU_PERIOD_US */
	uint64_t weight;	/* v2 cpu.weight; v1 cpu.shares * 100 / 1024 */
	uint64_t tasks, tasks_max;
};

/* Reads st for rel in each hierarchy of set that has cpu, cpuacct or pids
 * (set->h[0] included).  A controller not there or a cgroup not made in
 * it leaves its have_ flag false.  Returns 0. */
int mc_cg_cpu_stats(const struct mc_hier_set *set, const char *rel, struct mc_cg_cpustats *st);

/* Pure: the quota of v2 cpu.max text ("50000 100000", "max 100000") per
 * MC_CPU_PERIOD_US.  Returns 0 or -EINVAL. */
int mc_parse_cpu_max(const char *text, uint64_t *quota_us);

#endif
