/* Notifier idle cost and scale: for each point, N idle user cgroups are
 * made, memcg-notifier is started on them and timed until it says all are
 * watched for OOM events, and (v1 with warn_at) until its worker threads
 * have armed every usage threshold; then its RSS and fds, and over an idle
 * window its wake-ups and CPU time, from /proc, with a short strace after
 * the window to say where the wake-ups came from.  Called by bench/run.sh. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfbench.h"

#define MAX_POINTS 8

/* One run of the daemon: -p N,CONF,IDLE_SECS,FLAGS,LABEL.  FLAGS: s = the
 * small-RSS target applies (≤ 1.5 MiB), b = the big targets (RSS ≤ 8 MiB,
 * start ≤ 1 s), w = the wake-up target (none in the idle window), a = CONF
 * has warn_at: wait for the "usage thresholds armed" line and time it
 * (the RSS and fds are then read after it); "-" for none. */
struct point {
	long n;
	char *conf;
	long idle_s;
	bool small, big, wake, armed;
	char label[64];

	long made;
	bool ran, started;
	double start_s, armed_s;	/* armed_s < 0: no such line */
	double resolved_s;		/* < 0: none left to look up after the start */
	long deferred;
	long watched, errors, n_armed;
	struct nfb_proc at_start, a, b;
	long kmsg_records, kmsg_wakes, log_lines;
	bool sampled;
	char sources[256];	/* "/dev/kmsg 12, anon_inode:[timerfd] 1" */
	int exit_status;
	double stop_s;
};

static struct {
	struct nfb_bench nb;	/* -N -M -V -P -t -b -S */
	unsigned long long limit;
	long settle_ms, strace_s;
	const char *floor_prog;	/* -F: the reference program for RSS */
	long floor_rss_kb;	/* its VmRSS; 0: not measured */
	char *strace;
	struct point pt[MAX_POINTS];
	int npt;
	long clk_tck;
} g;

static void
usage(void)
{
	fprintf(stderr,
		"usage: notifier_idle -N NOTIFIER -M MOUNT -V 1|2 -P PARENT -t TMPDIR\n"
		"                     -p N,CONF,IDLE_SECS,FLAGS,LABEL [-p ...] [-b UID_BASE] [-L LIMIT]\n"
		"                     [-s SETTLE_MS] [-S START_TIMEOUT_S] [-X STRACE -T SECS] [-F FLOOR_PROG]\n"
		"PARENT is every CONF's cgroup_parent (below MOUNT).  FLAGS: s, b, w, a or - (see the source).\n");
	exit(2);
}

static int
parse_point(char *arg, struct point *pt)
{
	char *f[5], *save = NULL;
	int n = 0;

	for (char *w = strtok_r(arg, ",", &save); w && n < 5; w = strtok_r(NULL, ",", &save))
		f[n++] = w;
	if (n != 5 || bench_parse_long(f[0], 0, 1000000, &pt->n) < 0 ||
	    bench_parse_long(f[2], 0, 3600, &pt->idle_s) < 0)
		return -1;
	pt->conf = f[1];
	pt->small = strchr(f[3], 's') != NULL;
	pt->big = strchr(f[3], 'b') != NULL;
	pt->wake = strchr(f[3], 'w') != NULL;
	pt->armed = strchr(f[3], 'a') != NULL;
	snprintf(pt->label, sizeof(pt->label), "%s", f[4]);
	return 0;
}

/* Kernel log records that arrive while we wait: each one wakes the
 * daemon (it reads /dev/kmsg for victims), so they explain wake-ups. */
static int
kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static long
kmsg_count(int fd)
{
	char rec[8192];
	long n = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, rec, sizeof(rec));

		if (r < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (r <= 0)
			break;
		n++;
	}
	return n;
}

/* Waits out the idle window, reading the daemon's log and, like the
 * daemon, the kernel log: how often a kernel log reader was woken in the
 * window, and with how many records, is shown beside its wake-ups. */
static void
idle_window(struct nfb_daemon *d, int kfd, long ms, long *wakes, long *records)
{
	uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000u;

	while (!nfb_stopping) {
		struct pollfd p[2];
		uint64_t now = bench_now_ns();
		int np = 0, ik = -1, il = -1;

		if (now >= end)
			break;
		if (kfd >= 0) {
			ik = np;
			p[np++] = (struct pollfd){ .fd = kfd, .events = POLLIN };
		}
		if (!d->eof) {
			il = np;
			p[np++] = (struct pollfd){ .fd = d->logfd, .events = POLLIN };
		}
		if (poll(p, (nfds_t)np, (int)((end - now) / 1000000u) + 1) <= 0)
			continue;
		if (ik >= 0 && (p[ik].revents & POLLIN)) {
			(*wakes)++;
			*records += kmsg_count(kfd);
		}
		if (il >= 0 && (p[il].revents & (POLLIN | POLLHUP)))
			nfb_pump(d, 0);
	}
}

/* Attributes the daemon's wake-ups: strace it for g.strace_s seconds
 * (epoll_wait and read only) and count, for each epoll_wait that returned
 * events, the file behind the fd it read next.  Fills pt->sources. */
static void
wake_sources(struct nfb_daemon *d, struct point *pt)
{
	static char a_q[] = "-qq", a_e[] = "-e", a_t[] = "trace=epoll_wait,read", a_o[] = "-o",
		    a_p[] = "-p";
	struct { char name[96]; long n; } src[8];
	char out[PATH_MAX], pid[24], line[512];
	char *argv[] = { g.strace, a_q, a_e, a_t, a_o, out, a_p, pid, NULL };
	int nsrc = 0, st;
	bool after_wait = false;
	pid_t sp;
	FILE *f;

	snprintf(out, sizeof(out), "%s/strace-idle-%ld.txt", g.nb.tmp, pt->n);
	snprintf(pid, sizeof(pid), "%ld", (long)d->pid);
	if ((sp = fork()) < 0)
		return;
	if (sp == 0) {
		int nul = open("/dev/null", O_RDWR);

		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execv(g.strace, argv);
		_exit(127);
	}
	nfb_sleep(d, g.strace_s * 1000);
	kill(sp, SIGINT);	/* strace detaches and exits */
	while (waitpid(sp, &st, 0) < 0 && errno == EINTR)
		;
	if ((f = fopen(out, "re")) == NULL)
		return;
	pt->sampled = true;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *eq = strstr(line, ") = ");

		if (strncmp(line, "epoll_wait(", 11) == 0) {
			after_wait = eq != NULL && eq[4] >= '1' && eq[4] <= '9';
			continue;
		}
		if (!after_wait)
			continue;
		after_wait = false;
		if (strncmp(line, "read(", 5) == 0) {
			char fdpath[64], target[96], *end;
			unsigned long long fd;
			ssize_t n;
			int k;

			errno = 0;
			fd = strtoull(line + 5, &end, 10);
			if (errno != 0 || end == line + 5 || *end != ',')
				continue;
			snprintf(fdpath, sizeof(fdpath), "/proc/%ld/fd/%llu", (long)d->pid, fd);
			n = readlink(fdpath, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			if (n <= 0)
				snprintf(target, sizeof(target), "fd %llu", fd);
			for (k = 0; k < nsrc && strcmp(src[k].name, target) != 0; k++)
				;
			if (k == nsrc && nsrc < 8) {
				snprintf(src[nsrc].name, sizeof(src[nsrc].name), "%s", target);
				src[nsrc++].n = 0;
			}
			if (k < nsrc)
				src[k].n++;
		}
	}
	fclose(f);
	pt->sources[0] = '\0';
	for (int k = 0; k < nsrc; k++)
		snprintf(pt->sources + strlen(pt->sources), sizeof(pt->sources) - strlen(pt->sources),
			 "%s%s %ld", k ? ", " : "", src[k].name, src[k].n);
	if (nsrc == 0)
		snprintf(pt->sources, sizeof(pt->sources), "no wake-ups");
}

static int
run_point(struct point *pt)
{
	struct nfb_daemon d;
	char save[PATH_MAX], utmp[PATH_MAX];
	int r, ret = 0, kfd = -1;

	pt->ran = true;
	/* Nobody is logged in: an empty utmp of our own. */
	snprintf(utmp, sizeof(utmp), "%s/utmp-idle", g.nb.tmp);
	if ((r = open(utmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) >= 0)
		close(r);
	snprintf(save, sizeof(save), "%s/notifier-idle-%ld.log", g.nb.tmp, pt->n);
	ret = nfb_bench_start(&g.nb, pt->label, pt->n, g.limit, pt->conf, utmp, save, &d,
			      &pt->made);
	pt->watched = d.watching;
	if (ret != 0)
		goto out;
	pt->started = true;
	nfb_proc_read(d.pid, &pt->at_start);
	pt->start_s = (double)(d.t_started - d.t_spawn) / 1e9;
	pt->errors = d.errors;
	fprintf(stderr, "notifier_idle: %s: all %ld watched after %.2f s\n", pt->label, pt->watched,
		pt->start_s);
	pt->armed_s = -1;
	if (pt->armed && pt->n > 0) {
		if ((r = nfb_wait_armed(&d, g.nb.start_timeout_s)) < 0) {
			fprintf(stderr, "notifier_idle: %s: no \"thresholds armed\" line (%s); its log is %s\n",
				pt->label, nfb_wait_why(r), save);
			ret = 1;
		} else {
			pt->armed_s = (double)(d.t_armed - d.t_spawn) / 1e9;
			pt->n_armed = d.armed;
			fprintf(stderr, "notifier_idle: %s: %ld thresholds armed after %.2f s\n", pt->label,
				pt->n_armed, pt->armed_s);
		}
	}
	/* A start with many user cgroups looks some users up after its
	 * "started" line: wait for that too, and count the watching lines
	 * (one per user cgroup, when looked up) after it. */
	pt->resolved_s = -1;
	pt->deferred = d.deferred;
	if ((r = nfb_wait_resolved(&d, g.nb.start_timeout_s)) < 0) {
		fprintf(stderr, "notifier_idle: %s: the users of %ld cgroups were not looked up (%s); its log is %s\n",
			pt->label, d.deferred, nfb_wait_why(r), save);
		ret = 1;
	} else if (d.deferred > 0) {
		pt->resolved_s = (double)(d.t_resolved - d.t_spawn) / 1e9;
		fprintf(stderr, "notifier_idle: %s: the users of the %ld cgroups watched first looked up after %.2f s\n",
			pt->label, d.deferred, pt->resolved_s);
	}
	/* Let what the start left behind (allocator, page cache) settle. */
	nfb_sleep(&d, g.settle_ms);
	pt->watched = d.watching;
	nfb_proc_read(d.pid, &pt->a);
	if (pt->idle_s > 0) {
		long lines = d.lines;

		fprintf(stderr, "notifier_idle: %s: idle for %ld s\n", pt->label, pt->idle_s);
		kfd = kmsg_open();
		nfb_proc_read(d.pid, &pt->a);
		idle_window(&d, kfd, pt->idle_s * 1000, &pt->kmsg_wakes, &pt->kmsg_records);
		nfb_proc_read(d.pid, &pt->b);
		pt->log_lines = d.lines - lines;
		if (g.strace != NULL && g.strace_s > 0)
			wake_sources(&d, pt);
		if (kfd >= 0)
			close(kfd);
	}
out:
	if (nfb_bench_end(&g.nb, pt->label, &d, save, pt->made, &pt->exit_status) > ret)
		ret = 1;
	pt->stop_s = d.stop_s;
	return ret;
}

static const struct point *
find_point(bool (*pred)(const struct point *))
{
	for (int i = 0; i < g.npt; i++)
		if (g.pt[i].ran && g.pt[i].started && pred(&g.pt[i]))
			return &g.pt[i];
	return NULL;
}

static bool
is_zero(const struct point *p)
{
	return p->n == 0;
}

static void
print_tables(void)
{
	const struct point *zero = find_point(is_zero);
	char b[14][64];

	printf("| user cgroups watched | config | start → all watched | start → all users looked up | start → all thresholds armed | watched (log) | CPU to start | fds | VmRSS idle | RssAnon | RSS per user above 0 users | idle window | wake-ups (vol + invol) | times on CPU | CPU in the window | kernel log in the window: records (times a reader was woken) | stop (SIGTERM → exit) |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (int i = 0; i < g.npt; i++) {
		const struct point *pt = &g.pt[i];

		if (!pt->ran)
			continue;
		bench_fmt_count(pt->n, b[0], sizeof(b[0]));
		if (!pt->started) {
			printf("| %s | %s | did not start (%ld watched) | | | | | | | | | | | | | | |\n", b[0],
			       pt->label, pt->watched);
			continue;
		}
		bench_fmt_count(pt->watched, b[1], sizeof(b[1]));
		if (pt->errors)
			snprintf(b[1] + strlen(b[1]), sizeof(b[1]) - strlen(b[1]), ", %ld errors",
				 pt->errors);
		bench_fmt_mib(pt->a.rss_kb, b[2], sizeof(b[2]));
		if (zero && pt->n > 0)
			snprintf(b[3], sizeof(b[3]), "%.1f KiB",
				 (double)(pt->a.rss_kb - zero->a.rss_kb) / (double)pt->n);
		else
			snprintf(b[3], sizeof(b[3]), "-");
		bench_fmt_count(pt->a.fds, b[4], sizeof(b[4]));
		if (pt->at_start.have_sched)
			snprintf(b[5], sizeof(b[5]), "%.2f s", (double)pt->at_start.run_ns / 1e9);
		else
			snprintf(b[5], sizeof(b[5]), "%.2f s",
				 (double)pt->at_start.ticks / (double)g.clk_tck);
		if (pt->idle_s > 0) {
			uint64_t wk = (pt->b.vol - pt->a.vol) + (pt->b.invol - pt->a.invol);

			snprintf(b[6], sizeof(b[6]), "%ld s", pt->idle_s);
			snprintf(b[7], sizeof(b[7]), "%llu (%llu + %llu)", (unsigned long long)wk,
				 (unsigned long long)(pt->b.vol - pt->a.vol),
				 (unsigned long long)(pt->b.invol - pt->a.invol));
			if (pt->b.have_sched)
				snprintf(b[8], sizeof(b[8]), "%llu",
					 (unsigned long long)(pt->b.slices - pt->a.slices));
			else
				snprintf(b[8], sizeof(b[8]), "n/a");
			snprintf(b[9], sizeof(b[9]), "%llu ticks (%.0f ms); %.3f ms on CPU",
				 (unsigned long long)(pt->b.ticks - pt->a.ticks),
				 (double)(pt->b.ticks - pt->a.ticks) * 1000.0 / (double)g.clk_tck,
				 pt->b.have_sched ? (double)(pt->b.run_ns - pt->a.run_ns) / 1e6 : 0.0);
			snprintf(b[10], sizeof(b[10]), "%ld (%ld)", pt->kmsg_records, pt->kmsg_wakes);
		} else {
			for (int k = 6; k <= 10; k++)
				snprintf(b[k], sizeof(b[k]), "-");
		}
		bench_fmt_mib(pt->a.anon_kb, b[11], sizeof(b[11]));
		if (pt->armed_s >= 0)
			snprintf(b[12], sizeof(b[12]), "%.2f s (%ld)", pt->armed_s, pt->n_armed);
		else
			snprintf(b[12], sizeof(b[12]), "-");
		if (pt->resolved_s >= 0)
			snprintf(b[13], sizeof(b[13]), "%.2f s (%ld after the start)", pt->resolved_s,
				 pt->deferred);
		else
			snprintf(b[13], sizeof(b[13]), "with the start");
		printf("| %s | %s | %.2f s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f s |\n",
		       b[0], pt->label, pt->start_s, b[13], b[12], b[1], b[5], b[4], b[2], b[11], b[3],
		       b[6], b[7], b[8], b[9], b[10], pt->stop_s);
	}

	printf("\n| target | measured | verdict | ratio |\n| --- | ---: | --- | ---: |\n");
	for (int i = 0; i < g.npt; i++) {
		const struct point *pt = &g.pt[i];

		if (!pt->ran || !pt->started)
			continue;
		bench_fmt_count(pt->n, b[0], sizeof(b[0]));
		if (pt->wake && pt->idle_s > 0) {
			uint64_t wk = (pt->b.vol - pt->a.vol) + (pt->b.invol - pt->a.invol);

			printf("| zero wake-ups in %ld s idle, %s users (%s) | %llu | %s | %s |\n",
			       pt->idle_s, b[0], pt->label, (unsigned long long)wk,
			       wk == 0 ? "PASS" : "MISS",
			       wk == 0 ? "-" : (snprintf(b[1], sizeof(b[1]), "%.2f per second",
						       (double)wk / (double)pt->idle_s), b[1]));
			if (pt->sampled)
				printf("| (where the wake-ups came from: %ld s of strace after the window, each epoll_wait return by the fd read next) | %s | info | - |\n",
				       g.strace_s, pt->sources);
		}
		if (pt->small) {
			printf("| RSS idle ≤ 1.5 MiB, %s users (%s) | %.2f MiB | %s | %.2fx the target |\n",
			       b[0], pt->label, (double)pt->a.rss_kb / 1024.0,
			       pt->a.rss_kb <= 1536 ? "PASS" : "MISS", (double)pt->a.rss_kb / 1536.0);
			if (g.floor_rss_kb > 0)
				printf("| (floor) VmRSS of a program that only calls malloc, fprintf and pause, linked as the notifier (glibc, dynamic) | %.2f MiB | info | the notifier %.2f MiB above it; %.2fx |\n",
				       (double)g.floor_rss_kb / 1024.0,
				       (double)(pt->a.rss_kb - g.floor_rss_kb) / 1024.0,
				       (double)pt->a.rss_kb / (double)g.floor_rss_kb);
		}
		if (pt->big) {
			printf("| RSS idle ≤ 8 MiB, %s users (%s) | %.2f MiB | %s | %.2fx the target |\n",
			       b[0], pt->label, (double)pt->a.rss_kb / 1024.0,
			       pt->a.rss_kb <= 8192 ? "PASS" : "MISS", (double)pt->a.rss_kb / 8192.0);
			printf("| start → all %s watched ≤ 1 s (%s) | %.2f s | %s | %.2fx the target |\n",
			       b[0], pt->label, pt->start_s, pt->start_s <= 1.0 ? "PASS" : "MISS",
			       pt->start_s);
			if (pt->resolved_s >= 0)
				printf("| (then, between events) start → the users of all %s looked up in NSS (%s) | %.2f s | info | - |\n",
				       b[0], pt->label, pt->resolved_s);
			if (pt->armed_s >= 0)
				printf("| (then, in the background) start → all %s usage thresholds armed (%s) | %.2f s | info | - |\n",
				       b[0], pt->label, pt->armed_s);
		}
	}
	/* Same config at two sizes: linear growth is 1x per user. */
	for (int i = 0; i < g.npt; i++)
		for (int j = 0; j < g.npt; j++) {
			const struct point *s = &g.pt[i], *l = &g.pt[j];

			if (!s->started || !l->started || s->n == 0 || l->n <= s->n ||
			    strcmp(s->conf, l->conf) != 0 || !zero)
				continue;
			bench_fmt_count(s->n, b[0], sizeof(b[0]));
			bench_fmt_count(l->n, b[1], sizeof(b[1]));
			printf("| (scale) %s vs %s users, %s: start time, RSS above 0 users | %.2f s vs %.2f s; %.2f MiB vs %.2f MiB | info | start %.1fx, RSS %.1fx for %.0fx the users |\n",
			       b[1], b[0], s->label, l->start_s, s->start_s,
			       (double)(l->a.rss_kb - zero->a.rss_kb) / 1024.0,
			       (double)(s->a.rss_kb - zero->a.rss_kb) / 1024.0,
			       s->start_s > 0 ? l->start_s / s->start_s : 0.0,
			       s->a.rss_kb > zero->a.rss_kb ?
				       (double)(l->a.rss_kb - zero->a.rss_kb) /
					       (double)(s->a.rss_kb - zero->a.rss_kb) : 0.0,
			       (double)l->n / (double)s->n);
		}
}

/* The floor for an idle daemon's VmRSS: a program that does nothing but
 * malloc, fprintf and pause, linked like the notifier (dynamically, glibc),
 * measured as the notifier is, after the same settling time. */
static void
measure_floor(void)
{
	struct nfb_proc pr;
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(g.floor_prog, g.floor_prog, (char *)NULL);
		_exit(127);
	}
	usleep((useconds_t)g.settle_ms * 1000);
	if (nfb_proc_read(pid, &pr) == 0)
		g.floor_rss_kb = pr.rss_kb;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fprintf(stderr, "notifier_idle: the reference program: VmRSS %ld kB\n", g.floor_rss_kb);
}

/* The options of this benchmark beside nfb_bench_options' own. */
static int
idle_option(int c, char *arg)
{
	switch (c) {
	case 'p':
		if (g.npt == MAX_POINTS || parse_point(arg, &g.pt[g.npt]) < 0)
			return -1;
		g.npt++;
		return 0;
	case 'L':
		return nfb_parse_limit(arg, &g.limit);
	case 's':
		return bench_parse_long(arg, 0, 600000, &g.settle_ms);
	case 'X': g.strace = arg; return 0;
	case 'F': g.floor_prog = arg; return 0;
	case 'T':
		return bench_parse_long(arg, 0, 3600, &g.strace_s);
	default:
		return -1;
	}
}

int
main(int argc, char **argv)
{
	int ret = 0;

	nfb_bench_init(&g.nb, "notifier_idle");
	g.limit = 256ull << 20;
	g.settle_ms = 1000;
	g.clk_tck = sysconf(_SC_CLK_TCK);
	if (nfb_bench_options(&g.nb, argc, argv, "p:L:s:X:T:F:", idle_option) < 0 || g.npt == 0 ||
	    g.clk_tck <= 0)
		usage();
	if (nfb_bench_open(&g.nb) < 0)
		return 2;
	if (g.floor_prog != NULL)
		measure_floor();
	for (int i = 0; i < g.npt && !nfb_stopping; i++) {
		int r = run_point(&g.pt[i]);

		if (r > ret)
			ret = r;
	}
	if (!nfb_stopping)
		print_tables();
	nfb_bench_close(&g.nb);
	return nfb_stopping ? 130 : ret;
}
