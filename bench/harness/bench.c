/* The benchmark programs' shared helpers; see bench.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
bench_u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
bench_rank_index(size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank - 1;
}

uint64_t
bench_percentile(uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_u64cmp);
	return v[bench_rank_index(n, p)];
}

static int
i64cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int64_t
bench_percentile_i64(int64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), i64cmp);
	return v[bench_rank_index(n, p)];
}

static int
dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dblcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void
bench_fmt_ns(double ns, char *buf, size_t len)
{
	if (ns >= 1e7)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
}

void
bench_fmt_ms(int64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
}

void
bench_fmt_mib(long kb, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f MiB", (double)kb / 1024.0);
}

void
bench_fmt_count(long v, char *buf, size_t len)
{
	if (v >= 1000000)
		snprintf(buf, len, "%ld,%03ld,%03ld", v / 1000000, v / 1000 % 1000, v % 1000);
	else if (v >= 1000)
		snprintf(buf, len, "%ld,%03ld", v / 1000, v % 1000);
	else
		snprintf(buf, len, "%ld", v);
}

int
bench_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
bench_write_at(int dirfd, const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	close(fd);
	return r;
}

int
bench_read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return 0;
}

int
bench_cgroup_of(pid_t pid, int version, char *buf, size_t len)
{
	return bench_cgroup_in(pid, version, "memory", buf, len);
}

int
bench_cgroup_in(pid_t pid, int version, const char *ctrl_name, char *buf, size_t len)
{
	char proc[64], text[8192];
	int r;

	if (pid == 0)
		snprintf(proc, sizeof(proc), "/proc/self/cgroup");
	else
		snprintf(proc, sizeof(proc), "/proc/%ld/cgroup", (long)pid);
	if ((r = bench_read_file(proc, text, sizeof(text))) < 0)
		return r;
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		char *c1, *c2, *ctl;
		int match = 0;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if ((c1 = strchr(line, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2 = '\0';
		ctl = c1 + 1;
		if (version == 2) {
			match = c1 == line + 1 && line[0] == '0' && *ctl == '\0';
		} else {
			for (char *save = NULL, *w = strtok_r(ctl, ",", &save); w;
			     w = strtok_r(NULL, ",", &save))
				if (strcmp(w, ctrl_name) == 0)
					match = 1;
		}
		if (match) {
			if ((size_t)snprintf(buf, len, "%s", c2 + 1) >= len)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}

int
bench_limits(int version, unsigned long long max, unsigned long long swap,
	     const char *file[BENCH_MAX_LIMITS], char val[BENCH_MAX_LIMITS][32])
{
	if (version == 1) {
		file[0] = "memory.limit_in_bytes";
		snprintf(val[0], 32, "%llu", max);
		file[1] = "memory.memsw.limit_in_bytes";
		snprintf(val[1], 32, "%llu", max + swap);
		file[2] = "memory.soft_limit_in_bytes";
		snprintf(val[2], 32, "-1");
		return 3;
	}
	file[0] = "memory.max";
	snprintf(val[0], 32, "%llu", max);
	file[1] = "memory.high";
	snprintf(val[1], 32, "max");
	file[2] = "memory.swap.max";
	snprintf(val[2], 32, "%llu", swap);
	file[3] = "memory.oom.group";
	snprintf(val[3], 32, "0");
	return 4;
}

int
bench_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}
