/* The notifier under test as our child: started with its log on a pipe,
 * the log read and timed line by line, waited for, stopped; see nfbench.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfbench.h"

volatile sig_atomic_t nfb_stopping;

static void
on_signal(int sig)
{
	(void)sig;
	nfb_stopping = 1;
}

void
nfb_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* One whole line of the log, which arrived at now. */
static void
log_line(struct nfb_daemon *d, const char *line, uint64_t now)
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

int
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
				log_line(d, d->part, now);
				d->plen = 0;
			} else if (d->plen + 1 < sizeof(d->part)) {
				d->part[d->plen++] = buf[i];
			}
		}
	}
}

void
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

/* Closes the log pipe and the log's copy. */
static void
release(struct nfb_daemon *d)
{
	if (d->logfd >= 0)
		close(d->logfd);
	d->logfd = -1;
	if (d->save)
		fclose(d->save);
	d->save = NULL;
}

/* The open-file limit is raised so that the daemon's own fd use is what is
 * measured, not ours. */
int
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

		close(p[1]);
		d->logfd = p[0];
		release(d);
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

/* Reads the log until done(d), the timeout (timeout_s after the spawn),
 * a stop, or the daemon's end. */
static int
wait_for(struct nfb_daemon *d, long timeout_s, bool (*done)(const struct nfb_daemon *))
{
	uint64_t end = d->t_spawn + (uint64_t)timeout_s * 1000000000u;

	while (!done(d)) {
		uint64_t now = bench_now_ns();

		if (nfb_stopping)
			return -EINTR;
		if (now >= end)
			return -ETIMEDOUT;
		if (nfb_pump(d, (int)((end - now) / 1000000u) + 1) < 0 && !done(d))
			return -ECHILD;
	}
	return 0;
}

static bool
is_started(const struct nfb_daemon *d)
{
	return d->started;
}

static bool
is_armed(const struct nfb_daemon *d)
{
	return d->have_armed;
}

static bool
is_resolved(const struct nfb_daemon *d)
{
	return d->deferred <= 0 || d->have_resolved;
}

int
nfb_wait_started(struct nfb_daemon *d, long timeout_s)
{
	return wait_for(d, timeout_s, is_started);
}

int
nfb_wait_armed(struct nfb_daemon *d, long timeout_s)
{
	return wait_for(d, timeout_s, is_armed);
}

int
nfb_wait_resolved(struct nfb_daemon *d, long timeout_s)
{
	return wait_for(d, timeout_s, is_resolved);
}

const char *
nfb_wait_why(int r)
{
	return r == -ETIMEDOUT ? "timed out" : r == -ECHILD ? "it exited" : "interrupted";
}

int
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
	release(d);
	return r;
}
