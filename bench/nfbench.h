/* Helpers shared by the memcg-notifier benchmarks (notifier_latency.c,
 * notifier_idle.c): the daemon run as our child with its log on a pipe we
 * time line by line, its numbers from /proc, many user cgroups made and
 * removed with plain mkdir/rmdir, and a stop flag for SIGINT/SIGTERM. */
#ifndef MEMCG_NFBENCH_H
#define MEMCG_NFBENCH_H

#include <dirent.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

/* Set by SIGINT/SIGTERM/SIGHUP: every loop gives up and cleans up. */
static volatile sig_atomic_t nfb_stopping;

static inline void
nfb_on_signal(int sig)
{
	(void)sig;
	nfb_stopping = 1;
}

/* Without SA_RESTART, so that poll() and friends return EINTR. */
static inline void
nfb_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nfb_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The daemon under test and what its log said so far. */
struct nfb_daemon {
	pid_t pid;
	int logfd;		/* read end of its stderr, non-blocking */
	FILE *save;		/* a copy of the log, for the reader */
	char part[2048];	/* the line being received */
	size_t plen;
	uint64_t t_spawn;	/* just before fork() */
	uint64_t t_started;	/* arrival of its "started: watching" line */
	uint64_t t_armed;	/* arrival of "warn_at: usage thresholds armed" */
	long armed;		/* how many that line counts */
	/* A start with many user cgroups watches some for OOM first and
	 * looks their users up after its "started" line: how many, and when
	 * that was done. */
	long deferred;
	uint64_t t_resolved;
	long watching;		/* "watching .../user-N (uid ...)" lines */
	long errors;		/* lines saying it could not do something */
	long lines;
	double stop_s;		/* SIGTERM to exit */
	bool started, eof, have_armed, have_resolved;
};

static inline void
nfb_line(struct nfb_daemon *d, const char *line, uint64_t now)
{
	const char *p;

	d->lines++;
	if (d->save)
		fprintf(d->save, "%s\n", line);
	/* main() logs this after the start-up scan has registered every
	 * user cgroup it found: the moment all of them are watched. */
	if (!d->started && strstr(line, "started: watching ") != NULL) {
		d->started = true;
		d->t_started = now;
	}
	/* On v1 with warn_at, worker threads register the usage thresholds
	 * after the start; this line says when all of them are. */
	if (!d->have_armed && (p = strstr(line, "warn_at: usage thresholds armed on ")) != NULL) {
		d->have_armed = true;
		d->t_armed = now;
		d->armed = strtol(p + strlen("warn_at: usage thresholds armed on "), NULL, 10);
	}
	if ((p = strstr(line, ": ")) != NULL && strstr(line, " user cgroups watched for OOM; their users are looked up after the start") != NULL)
		d->deferred = strtol(p + 2, NULL, 10);
	if (!d->have_resolved && strstr(line, "looked up the users of the ") != NULL) {
		d->have_resolved = true;
		d->t_resolved = now;
	}
	if (strstr(line, ": watching ") != NULL && strstr(line, "/user-") != NULL &&
	    strstr(line, " (uid ") != NULL)
		d->watching++;
	if (strstr(line, "cannot ") != NULL || strstr(line, "out of memory") != NULL)
		d->errors++;
}

/* Reads what the log pipe holds, waiting up to timeout_ms (-1: no limit)
 * for the first bytes.  Returns 0, or -1 once the daemon closed its end. */
static inline int
nfb_pump(struct nfb_daemon *d, int timeout_ms)
{
	struct pollfd p = { .fd = d->logfd, .events = POLLIN };
	char buf[65536];

	if (d->eof)
		return -1;
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	for (;;) {
		ssize_t n = read(d->logfd, buf, sizeof(buf));
		uint64_t now = bench_now_ns();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (n == 0) {
			d->eof = true;
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				d->part[d->plen] = '\0';
				nfb_line(d, d->part, now);
				d->plen = 0;
			} else if (d->plen + 1 < sizeof(d->part)) {
				d->part[d->plen++] = buf[i];
			}
		}
	}
}

/* Waits until timeout_ms has passed, reading the log meanwhile, or until
 * a stop was asked for. */
static inline void
nfb_sleep(struct nfb_daemon *d, long timeout_ms)
{
	uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!nfb_stopping) {
		uint64_t now = bench_now_ns();

		if (now >= end)
			break;
		if (d != NULL && !d->eof) {
			nfb_pump(d, (int)((end - now) / 1000000u) + 1);
		} else {
			struct timespec ts = { .tv_sec = 0, .tv_nsec = 10000000 };

			nanosleep(&ts, NULL);
		}
	}
}

/* Starts `notifier -c conf -u utmp` (no -d: as a service runs it) with
 * its stderr on a pipe and the soft open-file limit raised to the hard
 * one, so that the daemon's own fd use is what is measured, not ours.
 * Returns 0 or a negative errno. */
static inline int
nfb_spawn(struct nfb_daemon *d, char *notifier, char *conf, char *utmp, const char *savepath)
{
	static char opt_c[] = "-c", opt_u[] = "-u";
	int p[2];

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	d->logfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* 10,000 "watching" lines must not fill the pipe while we look away. */
	(void)fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	d->save = savepath ? fopen(savepath, "we") : NULL;
	d->t_spawn = bench_now_ns();
	d->pid = fork();
	if (d->pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (d->pid == 0) {
		char *argv[] = { notifier, opt_c, conf, opt_u, utmp, NULL };
		struct rlimit rl;
		int nul = open("/dev/null", O_RDWR);

		/* If we die, so does the daemon: nothing is left behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execv(notifier, argv);
		_exit(127);
	}
	close(p[1]);
	d->logfd = p[0];
	fcntl(d->logfd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Waits for the "started" line.  Returns 0, -ETIMEDOUT, -EINTR, or
 * -ECHILD when the daemon exited first. */
static inline int
nfb_wait_started(struct nfb_daemon *d, long timeout_s)
{
	uint64_t end = d->t_spawn + (uint64_t)timeout_s * 1000000000u;

	while (!d->started) {
		uint64_t now = bench_now_ns();

		if (nfb_stopping)
			return -EINTR;
		if (now >= end)
			return -ETIMEDOUT;
		if (nfb_pump(d, (int)((end - now) / 1000000u) + 1) < 0 && !d->started)
			return -ECHILD;
	}
	return 0;
}

/* After the start: waits for the "thresholds armed" line.  Returns 0,
 * -ETIMEDOUT, -EINTR, or -ECHILD when the daemon exited first. */
static inline int
nfb_wait_armed(struct nfb_daemon *d, long timeout_s)
{
	uint64_t end = d->t_spawn + (uint64_t)timeout_s * 1000000000u;

	while (!d->have_armed) {
		uint64_t now = bench_now_ns();

		if (nfb_stopping)
			return -EINTR;
		if (now >= end)
			return -ETIMEDOUT;
		if (nfb_pump(d, (int)((end - now) / 1000000u) + 1) < 0 && !d->have_armed)
			return -ECHILD;
	}
	return 0;
}

/* Waits until the users a start left to look up are looked up (at once
 * when it left none).  Returns 0, -ETIMEDOUT, -EINTR or -ECHILD. */
static inline int
nfb_wait_resolved(struct nfb_daemon *d, long timeout_s)
{
	uint64_t end = d->t_spawn + (uint64_t)timeout_s * 1000000000u;

	while (d->deferred > 0 && !d->have_resolved) {
		uint64_t now = bench_now_ns();

		if (nfb_stopping)
			return -EINTR;
		if (now >= end)
			return -ETIMEDOUT;
		if (nfb_pump(d, (int)((end - now) / 1000000u) + 1) < 0 && !d->have_resolved)
			return -ECHILD;
	}
	return 0;
}

/* SIGTERM, reads the log to its end (a minute at most: systemd's stop
 * timeout is 90 s), reaps.  Sets d->stop_s.  Returns the exit status,
 * 128 + signal, or -1. */
static inline int
nfb_stop(struct nfb_daemon *d)
{
	int st = 0, r = -1;

	if (d->pid > 0) {
		uint64_t t0 = bench_now_ns();

		kill(d->pid, SIGTERM);
		for (int i = 0; i < 3000 && !d->eof; i++)
			nfb_pump(d, 20);
		if (!d->eof)
			kill(d->pid, SIGKILL);
		while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR)
			;
		r = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
		d->stop_s = (double)(bench_now_ns() - t0) / 1e9;
		d->pid = -1;
	}
	if (d->logfd >= 0)
		close(d->logfd);
	d->logfd = -1;
	if (d->save)
		fclose(d->save);
	d->save = NULL;
	return r;
}

/* What /proc says about a process. */
struct nfb_proc {
	uint64_t vol, invol;	/* voluntary/nonvoluntary_ctxt_switches */
	uint64_t ticks;		/* utime + stime, clock ticks */
	uint64_t run_ns, slices;/* /proc/PID/schedstat: on-CPU time, times scheduled */
	long rss_kb, hwm_kb, anon_kb;
	long fds;
	bool have_sched;
};

static inline int
nfb_read_file(const char *path, char *buf, size_t len)
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

/* A decimal number at *p that ends in a blank, a newline or the end of
 * the text; moves *p past it.  False when there is no such number. */
static inline bool
nfb_u64_at(const char **p, uint64_t *out)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n'))
		return false;
	*p = end;
	return true;
}

static inline bool
nfb_status_field(const char *text, const char *key, uint64_t *out)
{
	const char *p = strstr(text, key);

	if (p == NULL)
		return false;
	p += strlen(key);
	return nfb_u64_at(&p, out);
}

static inline int
nfb_proc_read(pid_t pid, struct nfb_proc *pr)
{
	char path[64], text[8192];
	uint64_t v;
	DIR *dir;
	int r;

	memset(pr, 0, sizeof(*pr));
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((r = nfb_read_file(path, text, sizeof(text))) < 0)
		return r;
	nfb_status_field(text, "\nvoluntary_ctxt_switches:", &pr->vol);
	nfb_status_field(text, "\nnonvoluntary_ctxt_switches:", &pr->invol);
	if (nfb_status_field(text, "\nVmRSS:", &v))
		pr->rss_kb = (long)v;
	if (nfb_status_field(text, "\nVmHWM:", &v))
		pr->hwm_kb = (long)v;
	if (nfb_status_field(text, "\nRssAnon:", &v))
		pr->anon_kb = (long)v;

	/* utime and stime are fields 14 and 15; the command (field 2) may
	 * hold spaces, so count from its closing parenthesis. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((r = nfb_read_file(path, text, sizeof(text))) < 0)
		return r;
	{
		const char *p = strrchr(text, ')');
		uint64_t ut = 0, stm = 0;

		/* The blank before field 3 follows ")"; stop at the one before 14. */
		for (int field = 3; p != NULL && field <= 14; field++)
			p = strchr(p + 1, ' ');
		if (p == NULL || !nfb_u64_at(&p, &ut) || !nfb_u64_at(&p, &stm))
			return -EINVAL;
		pr->ticks = ut + stm;
	}
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	if (nfb_read_file(path, text, sizeof(text)) == 0) {
		const char *p = text;
		uint64_t wait;

		pr->have_sched = nfb_u64_at(&p, &pr->run_ns) && nfb_u64_at(&p, &wait) &&
				 nfb_u64_at(&p, &pr->slices);
	}
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) != NULL) {
		struct dirent *de;

		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				pr->fds++;
		closedir(dir);
	}
	return 0;
}

/* The limit file a user cgroup gets (pam_memcg writes it at login). */
static inline const char *
nfb_limit_file(int version)
{
	return version == 2 ? "memory.max" : "memory.limit_in_bytes";
}

/* True when NSS knows no uid in [base, base + n): those cgroups stand for
 * users who are not in the passwd database, as the notifier will see. */
static inline bool
nfb_uids_unused(uid_t base, long n)
{
	struct passwd *pw;
	bool ok = true;

	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid >= base && (uint64_t)pw->pw_uid < (uint64_t)base + (uint64_t)n)
			ok = false;
	endpwent();
	return ok;
}

/* mkdir parent/user-<base+i> for i in [0, n) and writes the limit.
 * Returns how many were made (all of them, or it stopped at an error,
 * reported on stderr). */
static inline long
nfb_users_make(int parentfd, int version, uid_t base, long n, unsigned long long limit)
{
	const char *file = nfb_limit_file(version);
	char name[64], path[128], val[32];
	long i;

	snprintf(val, sizeof(val), "%llu", limit);
	for (i = 0; i < n && !nfb_stopping; i++) {
		int r;

		snprintf(name, sizeof(name), "user-%u", (unsigned)(base + (uid_t)i));
		if (mkdirat(parentfd, name, 0755) < 0) {
			fprintf(stderr, "notifier bench: mkdir %s: %s\n", name, strerror(errno));
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", name, file);
		if ((r = bench_write_at(parentfd, path, val)) < 0) {
			fprintf(stderr, "notifier bench: %s: %s\n", path, strerror(-r));
			i++;
			break;
		}
	}
	return i;
}

/* rmdir of what nfb_users_make made.  Returns how many could not go. */
static inline long
nfb_users_remove(int parentfd, uid_t base, long n)
{
	char name[64];
	long failed = 0;

	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user-%u", (unsigned)(base + (uid_t)i));
		if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			if (failed == 0)
				fprintf(stderr, "notifier bench: rmdir %s: %s\n", name,
					strerror(errno));
			failed++;
		}
	}
	return failed;
}

static inline int
nfb_i64cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of signed samples; sorts v in place. */
static inline int64_t
nfb_percentile(int64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), nfb_i64cmp);
	return v[bench_rank_index(n, p)];
}

/* A signed duration for the tables, in milliseconds. */
static inline void
nfb_fmt_ms(int64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
}

/* A size in KiB for the tables, in MiB. */
static inline void
nfb_fmt_mib(long kb, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f MiB", (double)kb / 1024.0);
}

/* "12,345" */
static inline void
nfb_fmt_count(long v, char *buf, size_t len)
{
	if (v >= 1000000)
		snprintf(buf, len, "%ld,%03ld,%03ld", v / 1000000, v / 1000 % 1000, v % 1000);
	else if (v >= 1000)
		snprintf(buf, len, "%ld,%03ld", v / 1000, v % 1000);
	else
		snprintf(buf, len, "%ld", v);
}

#endif
