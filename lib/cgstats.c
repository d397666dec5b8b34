/* The state of one cgroup as memcgctl status and the notifier show it:
 * usage, peak, limits, OOM kills, processes; see cgstats.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "cgstats.h"
#include "memfiles.h"
#include "parse.h"

/* "key value" lines, as in memory.events and memory.oom_control. */
static bool
keyed_value(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *p = text; p != NULL && *p; ) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			char num[32];
			size_t n = nl ? (size_t)(nl - p - klen - 1) : strlen(p + klen + 1);

			if (n >= sizeof(num))
				return false;
			memcpy(num, p + klen + 1, n);
			num[n] = '\0';
			return mc_parse_u64(num, 0, UINT64_MAX, out) == 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Lines in a file of any length (cgroup.procs can be long). */
static unsigned
count_lines_at(int dirfd, const char *file)
{
	char buf[4096];
	unsigned n = 0;
	ssize_t got;
	int fd;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
		for (ssize_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

int
mc_cg_stats(const struct mc_hier *h, const char *rel, struct mc_cg_stats *st)
{
	int fd = mc_walk_dir(h->rootfd, rel), r;

	if (fd < 0) {
		memset(st, 0, sizeof(*st));
		return fd;
	}
	r = mc_cg_stats_at(h->version, fd, st);
	close(fd);
	return r;
}

int
mc_cg_stats_at(int version, int fd, struct mc_cg_stats *st)
{
	const struct mc_memfiles *mf = mc_memfiles(version);
	char buf[4096] = "";
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = mc_read_u64(fd, mf->usage, &st->current)) < 0 ||
	    (r = mc_read_u64(fd, mf->limit, &st->max)) < 0)
		return r;
	st->have_peak = mc_read_u64(fd, mf->peak, &st->peak) == 0;
	if (mc_read_u64(fd, mf->high, &st->high) < 0)
		st->high = MC_UNLIMITED;
	st->swap_max = MC_UNLIMITED;
	if (version == 2) {
		(void)mc_read_u64(fd, mf->swap_limit, &st->swap_max);
	} else {
		uint64_t memsw;

		/* v1's is memory + swap. */
		if (mc_read_u64(fd, mf->swap_limit, &memsw) == 0 &&
		    memsw != MC_UNLIMITED && st->max != MC_UNLIMITED && memsw >= st->max)
			st->swap_max = memsw - st->max;
	}
	if (mc_read_small(fd, mf->events, buf, sizeof(buf)) == 0)
		(void)keyed_value(buf, "oom_kill", &st->oom_kills);
	st->nprocs = count_lines_at(fd, "cgroup.procs");
	return 0;
}

int
mc_parse_cpu_max(const char *text, uint64_t *quota_us)
{
	char buf[64], *sp;
	uint64_t q = 0, period;

	snprintf(buf, sizeof(buf), "%s", text);
	buf[strcspn(buf, "\n")] = '\0';
	if ((sp = strchr(buf, ' ')) == NULL)
		return -EINVAL;
	*sp = '\0';
	if (mc_parse_u64(sp + 1, 1, UINT32_MAX, &period) < 0)
		return -EINVAL;
	if (strcmp(buf, "max") == 0) {
		*quota_us = MC_UNLIMITED;
		return 0;
	}
	if (mc_parse_u64(buf, 1, UINT64_MAX / MC_CPU_PERIOD_US, &q) < 0)
		return -EINVAL;
	*quota_us = q * MC_CPU_PERIOD_US / period;
	return 0;
}

/* cpu.* (and v1 cpuacct.*) of the cgroup open at fd in a hierarchy of
 * version v with controllers ctrls. */
static void
cpu_files(int fd, int v, unsigned ctrls, struct mc_cg_cpustats *st)
{
	char buf[1024];
	uint64_t x, period;

	if ((ctrls & MC_CTRL_CPU) && mc_read_small(fd, "cpu.stat", buf, sizeof(buf)) == 0) {
		if (v == 2) {
			st->have_usage = keyed_value(buf, "usage_usec", &st->usage_us);
			(void)keyed_value(buf, "throttled_usec", &st->throttled_us);
		} else if (keyed_value(buf, "throttled_time", &x)) {
			st->throttled_us = x / 1000;	/* ns */
		}
		(void)keyed_value(buf, "nr_throttled", &st->nr_throttled);
		if (v == 2) {
			st->have_cpu = mc_read_small(fd, "cpu.max", buf, sizeof(buf)) == 0 &&
				       mc_parse_cpu_max(buf, &st->quota_us) == 0;
			if (mc_read_u64(fd, "cpu.weight", &st->weight) < 0)
				st->weight = 100;
		} else {
			/* cfs_quota_us is -1 for none, which mc_read_u64 refuses. */
			st->have_cpu = mc_read_small(fd, "cpu.cfs_quota_us", buf, sizeof(buf)) == 0 &&
				       mc_read_u64(fd, "cpu.cfs_period_us", &period) == 0 && period > 0;
			if (st->have_cpu) {
				buf[strcspn(buf, "\n")] = '\0';
				if (mc_parse_u64(buf, 0, UINT64_MAX / MC_CPU_PERIOD_US, &x) == 0)
					st->quota_us = x * MC_CPU_PERIOD_US / period;
				else
					st->quota_us = MC_UNLIMITED;
			}
			if (mc_read_u64(fd, "cpu.shares", &x) == 0)
				st->weight = x * 100 / 1024;
		}
	}
	if (v == 1 && (ctrls & MC_CTRL_CPUACCT) && mc_read_u64(fd, "cpuacct.usage", &x) == 0) {
		st->have_usage = true;
		st->usage_us = x / 1000;	/* ns */
	}
}

int
mc_cg_cpu_stats(const struct mc_hier_set *set, const char *rel, struct mc_cg_cpustats *st)
{
	memset(st, 0, sizeof(*st));
	st->quota_us = st->tasks_max = MC_UNLIMITED;
	for (size_t i = 0; i < set->n; i++) {
		const struct mc_hier *h = &set->h[i];
		int fd;

		if (!(h->ctrls & (MC_CTRL_CPU | MC_CTRL_CPUACCT | MC_CTRL_PIDS)))
			continue;
		if ((fd = mc_walk_dir(h->rootfd, rel)) < 0)
			continue;
		cpu_files(fd, h->version, h->ctrls, st);
		if ((h->ctrls & MC_CTRL_PIDS) && mc_read_u64(fd, "pids.current", &st->tasks) == 0) {
			st->have_pids = true;
			if (mc_read_u64(fd, "pids.max", &st->tasks_max) < 0)
				st->tasks_max = MC_UNLIMITED;
		}
		close(fd);
	}
	return 0;
}
