/* Prometheus text exposition; see metrics.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "cglimits.h"
#include "parse.h"
#include "sanitize.h"

struct out {
	char *buf;
	size_t len, pos;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = 1;
		return;
	}
	o->pos += (size_t)n;
}

/* A label value: sanitised, then '\' and '"' escaped as the format wants. */
static void
label(const char *in, char *buf, size_t len)
{
	char tmp[256];
	size_t w = 0;

	mc_sanitize_str(in, tmp, sizeof(tmp), MC_SAN_ASCII);
	for (const char *p = tmp; *p && w + 3 < len; p++) {
		if (*p == '\\' || *p == '"')
			buf[w++] = '\\';
		buf[w++] = *p;
	}
	buf[w] = '\0';
}

static void
gauge(struct out *o, const char *name, const char *help,
      const struct mc_metric_user *u, size_t n, int which)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < n; i++) {
		char user[600];
		uint64_t v = which == 0 ? u[i].limit : which == 1 ? u[i].usage : u[i].peak;

		if (!u[i].have_cgroup || v == MC_UNLIMITED || (which == 2 && !u[i].have_peak))
			continue;
		label(u[i].user ? u[i].user : "", user, sizeof(user));
		put(o, "%s{uid=\"%u\",user=\"%s\"} %llu\n", name, (unsigned)u[i].uid, user,
		    (unsigned long long)v);
	}
}

/* The CPU and task series, and a user's value of each (false: none). */
enum series { S_TASKS, S_TASKS_MAX, S_CPU_USAGE, S_CPU_THROTTLED, S_CPU_LIMIT };

static bool
value(const struct mc_metric_user *u, enum series k, double *v)
{
	switch (k) {
	case S_TASKS:
		*v = (double)u->tasks;
		return u->have_tasks;
	case S_TASKS_MAX:
		*v = (double)u->tasks_max;
		return u->have_tasks && u->tasks_max != MC_UNLIMITED;
	case S_CPU_USAGE:
		*v = (double)u->cpu_usage_us / 1e6;
		return u->have_cpu_usage;
	case S_CPU_THROTTLED:
		*v = (double)u->cpu_throttled_us / 1e6;
		return u->have_cpu_usage;
	case S_CPU_LIMIT:
	default:
		*v = (double)u->cpu_quota_us / (double)MC_CPU_PERIOD_US;
		return u->have_cpu_quota && u->cpu_quota_us != MC_UNLIMITED;
	}
}

static void
series(struct out *o, const char *name, const char *help, const struct mc_metric_user *u,
       size_t n, enum series k)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < n; i++) {
		char user[600];
		double v;

		if (!u[i].have_cgroup || !value(&u[i], k, &v))
			continue;
		label(u[i].user ? u[i].user : "", user, sizeof(user));
		put(o, "%s{uid=\"%u\",user=\"%s\"} %.6g\n", name, (unsigned)u[i].uid, user, v);
	}
}

int
mc_metrics_format(const struct mc_metric_user *u, size_t n, char *buf, size_t len)
{
	struct out o = { buf, len, 0, len == 0 };

	if (len > 0)
		buf[0] = '\0';
	gauge(&o, "pam_memcg_memory_limit_bytes",
	      "Memory limit of the user's cgroup (absent when unlimited).", u, n, 0);
	gauge(&o, "pam_memcg_memory_usage_bytes",
	      "Memory used by the user's cgroup at the last event.", u, n, 1);
	gauge(&o, "pam_memcg_memory_peak_bytes",
	      "Peak memory use of the user's cgroup.", u, n, 2);
	series(&o, "pam_memcg_tasks",
	       "Processes and threads in the user's cgroup at the last event.", u, n, S_TASKS);
	series(&o, "pam_memcg_tasks_limit",
	       "Limit on the user's processes and threads (absent when unlimited).", u, n,
	       S_TASKS_MAX);
	series(&o, "pam_memcg_cpu_usage_seconds",
	       "CPU time used by the user's cgroup since it was made, at the last event.", u, n,
	       S_CPU_USAGE);
	series(&o, "pam_memcg_cpu_throttled_seconds",
	       "Time the user's cgroup was held back by its CPU limit, at the last event.", u, n,
	       S_CPU_THROTTLED);
	series(&o, "pam_memcg_cpu_limit_cpus",
	       "CPU limit of the user's cgroup in CPUs (absent when unlimited).", u, n, S_CPU_LIMIT);
	put(&o, "# HELP pam_memcg_oom_kills_total Processes of the user killed by the OOM killer since the notifier started.\n"
		"# TYPE pam_memcg_oom_kills_total counter\n");
	for (size_t i = 0; i < n; i++) {
		char user[600];

		label(u[i].user ? u[i].user : "", user, sizeof(user));
		put(&o, "pam_memcg_oom_kills_total{uid=\"%u\",user=\"%s\"} %llu\n",
		    (unsigned)u[i].uid, user, (unsigned long long)u[i].oom_kills);
	}
	put(&o, "# HELP pam_memcg_events_total Memory events of the user since the notifier started, by kind.\n"
		"# TYPE pam_memcg_events_total counter\n");
	for (size_t i = 0; i < n; i++) {
		char user[600];

		label(u[i].user ? u[i].user : "", user, sizeof(user));
		for (int k = 0; k < MC_EV_N; k++)
			put(&o, "pam_memcg_events_total{uid=\"%u\",user=\"%s\",event=\"%s\"} %llu\n",
			    (unsigned)u[i].uid, user, mc_event_name((enum mc_event_kind)k),
			    (unsigned long long)u[i].events[k]);
	}
	return o.full ? -ENOSPC : (int)o.pos;
}
