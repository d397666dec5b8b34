/* What both notifier benchmarks share: their common options, the parent
 * cgroup they work in, a start of the notifier beside N idle user cgroups
 * and its end; see nfbench.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nfbench.h"

void
nfb_bench_init(struct nfb_bench *b, const char *prog)
{
	memset(b, 0, sizeof(*b));
	b->prog = prog;
	/* Uids no NSS back-end is likely to know; nfb_bench_start checks. */
	b->base = 3000000000u;
	b->start_timeout_s = 120;
	b->parentfd = -1;
}

/* One of the common options: 1 (taken), 0 (not one of them) or -1 (a
 * value out of range). */
static int
common_option(struct nfb_bench *b, int c, char *arg)
{
	long v;

	switch (c) {
	case 'N': b->notifier = arg; return 1;
	case 'M': b->mnt = arg; return 1;
	case 'P': b->parent = arg; return 1;
	case 't': b->tmp = arg; return 1;
	case 'V':
		if (bench_parse_long(arg, 1, 2, &v) < 0)
			return -1;
		b->version = (int)v;
		return 1;
	case 'b':
		if (bench_parse_long(arg, 1000, 4000000000L, &v) < 0)
			return -1;
		b->base = (uid_t)v;
		return 1;
	case 'S':
		return bench_parse_long(arg, 1, 3600, &b->start_timeout_s) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

int
nfb_bench_options(struct nfb_bench *b, int argc, char **argv, const char *own_opts,
		  int (*own)(int c, char *arg))
{
	char optstring[64];
	int c;

	if ((size_t)snprintf(optstring, sizeof(optstring), "N:M:V:P:t:b:S:%s", own_opts) >=
	    sizeof(optstring))
		return -1;
	while ((c = getopt(argc, argv, optstring)) != -1) {
		int r = common_option(b, c, optarg);

		if (r == 0)
			r = c == '?' ? -1 : own(c, optarg);
		if (r < 0)
			return -1;
	}
	if (optind != argc)
		return -1;
	return b->notifier && b->mnt && b->version && b->parent && b->tmp ? 0 : -1;
}

int
nfb_parse_limit(const char *arg, unsigned long long *out)
{
	long v;
	int r;

	if ((r = bench_parse_long(arg, 4 << 20, LONG_MAX, &v)) < 0)
		return r;
	*out = (unsigned long long)v;
	return 0;
}

int
nfb_bench_open(struct nfb_bench *b)
{
	int mntfd, err = 0;

	nfb_catch_signals();
	mntfd = open(b->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mntfd < 0) {
		err = errno;
	} else {
		b->parentfd = openat(mntfd, b->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = errno;
		close(mntfd);
	}
	if (b->parentfd < 0) {
		fprintf(stderr, "%s: %s/%s: %s\n", b->prog, b->mnt, b->parent, strerror(err));
		return -1;
	}
	return 0;
}

void
nfb_bench_close(struct nfb_bench *b)
{
	if (b->parentfd >= 0)
		close(b->parentfd);
	b->parentfd = -1;
}

int
nfb_bench_start(struct nfb_bench *b, const char *label, long n, unsigned long long limit,
		char *conf, char *utmp, const char *save, struct nfb_daemon *d, long *made)
{
	int r;

	*made = 0;
	/* Not running until nfb_spawn says so: nfb_bench_end looks at pid. */
	memset(d, 0, sizeof(*d));
	d->pid = -1;
	d->logfd = -1;
	if (n > 0) {
		uint64_t t0 = bench_now_ns();

		if (!nfb_uids_unused(b->base, n)) {
			fprintf(stderr, "%s: some uid in %u..%u is a known user; pick another -b\n",
				b->prog, (unsigned)b->base, (unsigned)(b->base + (uid_t)n - 1));
			return 2;
		}
		*made = nfb_users_make(b->parentfd, b->version, b->base, n, limit);
		fprintf(stderr, "%s: %s: %ld user cgroups made in %.2f s\n", b->prog, label, *made,
			(double)(bench_now_ns() - t0) / 1e9);
		if (*made < n)
			return 2;
	}
	if ((r = nfb_spawn(d, b->notifier, conf, utmp, save)) < 0) {
		fprintf(stderr, "%s: cannot start %s: %s\n", b->prog, b->notifier, strerror(-r));
		return 2;
	}
	if ((r = nfb_wait_started(d, b->start_timeout_s)) < 0) {
		fprintf(stderr, "%s: %s: the notifier did not start (%s, %ld watched); its log is %s\n",
			b->prog, label, nfb_wait_why(r), d->watching, save);
		nfb_stop(d);
		return 2;
	}
	return 0;
}

int
nfb_bench_end(struct nfb_bench *b, const char *label, struct nfb_daemon *d,
	      const char *save, long made, int *status)
{
	int ret = 0;

	*status = 0;
	if (d->pid > 0) {
		*status = nfb_stop(d);
		if (*status != 0) {
			fprintf(stderr, "%s: %s: the notifier exited with status %d; its log is %s\n",
				b->prog, label, *status, save);
			ret = 1;
		}
	}
	if (made > 0) {
		uint64_t t0 = bench_now_ns();

		if (nfb_users_remove(b->parentfd, b->base, made) > 0)
			ret = 1;
		fprintf(stderr, "%s: %s: removed in %.2f s\n", b->prog, label,
			(double)(bench_now_ns() - t0) / 1e9);
	}
	return ret;
}
