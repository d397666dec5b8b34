/* The state of one cgroup, read from its memory files: what memcgctl
 * status and the notifier show. */
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

#endif
