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
	/* CPU and tasks, where the user's hierarchies have the controllers
	 * (read at the last event, as the memory figures). */
	bool have_tasks, have_cpu_usage, have_cpu_quota;
	uint64_t tasks, tasks_max;	/* tasks_max MC_UNLIMITED: none */
	uint64_t cpu_usage_us, cpu_throttled_us;
	uint64_t cpu_quota_us;		/* per 100 ms (MC_CPU_PERIOD_US); MC_UNLIMITED: none */
	uint64_t events[MC_EV_N];	/* seen since the notifier started */
	uint64_t oom_kills;		/* processes killed, all kinds */
};

/* Writes the metrics of n users into buf.  Returns the length or -ENOSPC. */
int mc_metrics_format(const struct mc_metric_user *u, size_t n, char *buf, size_t len);

#endif
