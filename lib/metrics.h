/* The Prometheus text format of the notifier's per-user numbers.  Pure; the
 * notifier writes the result atomically. */
#ifndef MEMCG_METRICS_H
#define MEMCG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"

struct mc_metric_user {
	uid_t uid;
	const char *user;	/* NULL: unknown */
	bool have_cgroup;	/* the gauges below are current */
	uint64_t limit, usage, peak;	/* MC_UNLIMITED: no limit */
	bool have_peak;
	uint64_t events[MC_EV_N];	/* seen since the notifier started */
	uint64_t oom_kills;		/* processes killed, all kinds */
};

/* Writes the metrics of n users into buf.  Returns the length or -ENOSPC. */
int mc_metrics_format(const struct mc_metric_user *u, size_t n, char *buf, size_t len);

#endif
