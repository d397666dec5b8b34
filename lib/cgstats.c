/* The state of one cgroup as memcgctl status and the notifier show it:
 * usage, peak, limits, OOM kills, processes; see cgstats.h. */
#include <errno.h>
#include <fcntl.h>
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
