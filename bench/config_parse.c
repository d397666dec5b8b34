/* What reading the config costs at every login as it grows: configs of
 * many user and group sections, up to the 1 MiB the loader accepts, each
 * loaded with mc_config_load (open, checks, read, parse) as the module
 * does, beside a config of the usual size. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"

#define RAM ((uint64_t)16 << 30)

struct text {
	char *buf;
	size_t len, cap;
};

static int
put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *nb;

		while (cap < t->len + n + 1)
			cap *= 2;
		if ((nb = realloc(t->buf, cap)) == NULL)
			return -ENOMEM;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
	return 0;
}

static const char header[] =
	"cgroup_version = auto\n"
	"cgroup_parent  = \"pam_memcg\"\n"
	"min_uid        = 1000\n"
	"exempt_users   = {\"root\"}\n"
	"on_error       = ignore\n"
	"\n"
	"default {\n"
	"  memory_max  = \"25%\"\n"
	"  memory_high = \"max\"\n"
	"  swap_max    = \"max\"\n"
	"}\n";

/* Section i: every eighth a group rule, the others user rules, each with
 * one limit, as a site that lists its users one by one would write. */
static void
section(size_t i, char *buf, size_t len)
{
	if (i % 8 == 7)
		snprintf(buf, len, "group \"g%06zu\" { memory_max = \"4G\" }\n", i);
	else
		snprintf(buf, len, "user \"u%06zu\" { memory_max = \"2G\" }\n", i);
}

/* The header, then nsec sections; nsec 0 means as many as fit in
 * MC_CONF_MAX_BYTES.  Sets *count to the number written. */
static int
make_config(size_t nsec, struct text *t, size_t *count)
{
	char line[128];
	size_t i;

	t->len = 0;
	if (put(t, header) < 0)
		return -ENOMEM;
	for (i = 0; nsec == 0 || i < nsec; i++) {
		section(i, line, sizeof(line));
		if (nsec == 0 && t->len + strlen(line) > MC_CONF_MAX_BYTES)
			break;
		if (put(t, line) < 0)
			return -ENOMEM;
	}
	*count = i;
	return 0;
}

static int
write_file(const char *path, const struct text *t)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < t->len) {
		ssize_t n = write(fd, t->buf + off, t->len - off);

		if (n < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0)
		return -errno;
	return 0;
}

static void
print_err(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "config_parse: %s:%d: %s\n", file, line, msg);
}

/* On-CPU time of this thread: unlike the wall clock, not stretched by
 * other work on the machine. */
static uint64_t
cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Loads path rounds times; fills ns[] (wall) and cpu[] and checks what
 * came back. */
static int
measure(const char *path, size_t nsec, int rounds, uint64_t *ns, uint64_t *cpu)
{
	struct mc_errsink sink = { print_err, NULL };

	for (int r = 0; r < rounds; r++) {
		struct mc_config *cfg = NULL;
		uint64_t c0 = cpu_now_ns(), t0 = bench_now_ns();
		int e = mc_config_load(path, RAM, &sink, &cfg);

		ns[r] = bench_now_ns() - t0;
		cpu[r] = cpu_now_ns() - c0;
		if (e < 0) {
			fprintf(stderr, "config_parse: %s: %s\n", path, strerror(-e));
			return 1;
		}
		if (cfg->n_users + cfg->n_groups != nsec) {
			fprintf(stderr, "config_parse: %s: %zu users + %zu groups, want %zu sections\n",
				path, cfg->n_users, cfg->n_groups, nsec);
			mc_config_free(cfg);
			return 1;
		}
		mc_config_free(cfg);
	}
	return 0;
}

/* Median of v[0..n) (n >= 1); sorts v in place. */
static double
median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_u64cmp);
	return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: config_parse -t TMPDIR [-r ROUNDS] [-s N,N,...]\n"
		"  loads configs of the usual size, of N sections each (default\n"
		"  2000,8000) and of as many as fit in %d bytes, ROUNDS times each\n"
		"  (default 5); prints a Markdown table.\n", MC_CONF_MAX_BYTES);
}

int
main(int argc, char **argv)
{
	const char *tmp = NULL, *sizes = "2000,8000";
	size_t rows[16];
	size_t nrows = 0;
	long rounds = 5;
	struct text t = { 0 };
	char path[4096];
	uint64_t *ns = NULL, *cpu = NULL;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "t:r:s:")) != -1) {
		switch (c) {
		case 't':
			tmp = optarg;
			break;
		case 'r':
			if (bench_parse_long(optarg, 1, 1000, &rounds) < 0) {
				usage();
				return 2;
			}
			break;
		case 's':
			sizes = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (tmp == NULL || optind != argc) {
		usage();
		return 2;
	}
	/* Row 0: the usual size (SIZE_MAX); then the
	 * sizes asked for; last, as many as fit (0). */
	rows[nrows++] = SIZE_MAX;
	for (const char *p = sizes; *p != '\0' && nrows < sizeof(rows) / sizeof(rows[0]) - 1;) {
		char num[32];
		size_t n = strcspn(p, ",");
		long v;

		if (n == 0 || n >= sizeof(num)) {
			usage();
			return 2;
		}
		memcpy(num, p, n);
		num[n] = '\0';
		if (bench_parse_long(num, 1, 100000, &v) < 0) {
			usage();
			return 2;
		}
		rows[nrows++] = (size_t)v;
		p += n + (p[n] == ',');
	}
	rows[nrows++] = 0;

	if ((ns = calloc((size_t)rounds, sizeof(*ns))) == NULL ||
	    (cpu = calloc((size_t)rounds, sizeof(*cpu))) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/config-parse.conf", tmp);

	printf("| config | bytes | user + group sections | mc_config_load (median of %ld) | min | max | CPU (median) | CPU per section |\n",
	       rounds);
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < nrows; i++) {
		char med[32], lo[32], hi[32], cmed[32], per[32];
		size_t count = 0;
		double m, cm;
		int e;

		if (rows[i] == SIZE_MAX) {
			/* The usual size: a default, one group, one user. */
			t.len = 0;
			e = put(&t, header) < 0 || put(&t, "group \"staff\" { memory_max = \"2G\" }\n") < 0 ||
			    put(&t, "user  \"alice\" { memory_max = \"8G\"  memory_high = \"7G\" }\n") < 0
				? -ENOMEM : 0;
			count = 2;
		} else {
			e = make_config(rows[i], &t, &count);
		}
		if (e == 0)
			e = write_file(path, &t);
		if (e < 0) {
			fprintf(stderr, "config_parse: %s: %s\n", path, strerror(-e));
			rc = 2;
			break;
		}
		if (measure(path, count, (int)rounds, ns, cpu) != 0) {
			rc = 1;
			break;
		}
		m = median(ns, (size_t)rounds);
		cm = median(cpu, (size_t)rounds);
		bench_fmt_ns(m, med, sizeof(med));
		bench_fmt_ns((double)ns[0], lo, sizeof(lo));
		bench_fmt_ns((double)ns[rounds - 1], hi, sizeof(hi));
		bench_fmt_ns(cm, cmed, sizeof(cmed));
		snprintf(per, sizeof(per), "%.2f us", cm / 1e3 / (double)count);
		printf("| %s | %zu | %zu | %s | %s | %s | %s | %s |\n",
		       rows[i] == SIZE_MAX ? "usual size (default, 1 group, 1 user)"
		       : rows[i] == 0 ? "as many as fit in 1 MiB" : "many sections",
		       t.len, count, med, lo, hi, cmed, rows[i] == SIZE_MAX ? "-" : per);
	}
	unlink(path);
	free(ns);
	free(cpu);
	free(t.buf);
	return rc;
}
