/* memcg-notifier: tells users when their memory cgroup (pam_memcg's
 * <cgroup_parent>/user-<uid>, or logind's user-<uid>.slice with the systemd
 * backend) hits its limit.  One thread sleeping in epoll until the kernel
 * reports something does all the work (thresh.c's workers only register v1
 * usage thresholds, lookup.c's only ask NSS); see --help. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <paths.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "notifier.h"
#include "parse.h"
#include "systemd.h"

/* Exit codes (also in --help). */
#define EX_OK 0		/* stopped by SIGTERM or SIGINT */
#define EX_CONFIG 1	/* the config file is missing or invalid */
#define EX_USAGE 2	/* bad command line */
#define EX_SYSTEM 3	/* no memory cgroup hierarchy, or a system call failed at start */

static char prog[] = "memcg-notifier";

static void
usage(FILE *fp)
{
	fprintf(fp,
		"Usage: %s [-c CONF] [-s] [-d] [-u UTMP] [-m SECONDS] [-k]\n"
		"\n"
		"Watches every user-<uid> memory cgroup that pam_memcg makes under\n"
		"cgroup_parent (with cgroup_backend = systemd: every user-<uid>.slice\n"
		"under user.slice, minus exempt users) and tells the user, on their terminals and by mail, when\n"
		"their sessions together reach their memory limit: a process was killed\n"
		"(pid and command from the kernel log, named only when the kill line's\n"
		"uid is the user's and the line reads one way; else \"unknown\"), the limit was\n"
		"reached without a kill, the whole group was killed (memory.oom.group),\n"
		"a kill came from outside their limit (system-wide or an ancestor's), or\n"
		"usage crossed warn_at.  Settings: the notify section of the config.\n"
		"\n"
		"  -c, --config CONF  config file (default %s)\n"
		"  -s, --syslog       log to syslog (daemon facility) instead of stderr\n"
		"  -d, --debug        log debug lines too\n"
		"  -u, --utmp UTMP    utmp file to find terminals in (default %s)\n"
		"  -m, --mail-timeout SECONDS\n"
		"                     kill (SIGKILL) a sendmail still running after\n"
		"                     SECONDS, 1 to 3600 (default %d)\n"
		"  -k, --keep-empty   never remove a user cgroup that empties (cgroup v2)\n"
		"  -h, --help         show this help\n"
		"\n"
		"Terminals: the user's utmp entries, and the controlling terminals of\n"
		"the processes in their cgroup and below it (4096 at most), which\n"
		"finds su -l and runuser -l sessions on the caller's terminal.  A\n"
		"terminal is written to when it is owned by the user, or by the real\n"
		"uid of a process in the cgroup that holds it (root's su), and is\n"
		"group-writable (mesg y) unless ignore_mesg.\n"
		"\n"
		"Events: cgroup v1 uses an eventfd on memory.oom_control (the oom_kill\n"
		"count confirms a kill) and, for warn_at, a usage threshold on\n"
		"memory.usage_in_bytes on the same eventfd, registered by worker threads\n"
		"after the start (the kernel waits about 10 ms in each).  cgroup v2\n"
		"watches memory.events with inotify\n"
		"and compares its counters with those seen last; warn_at on v2 is a PSI\n"
		"trigger on memory.pressure (\"some 100ms in 1s\"): usage is compared\n"
		"with warn_at when the cgroup is under memory pressure or its\n"
		"memory.events change, so usage that sits above warn_at without any\n"
		"pressure is not reported.  Counters found at start are the baseline, so\n"
		"a restart never repeats old events.\n"
		"\n"
		"Users are looked up (NSS, rules, warn_at) by worker threads, so a slow\n"
		"name service delays nobody else's notice; what was found is kept, so a\n"
		"user seen before is told at once (and looked up again meanwhile).  A\n"
		"kill of a user never looked up waits 10 s at most for the answer, then\n"
		"is logged only.  With more than 256 user cgroups at start, the look-ups\n"
		"of those past the first 256 are queued after the start, between events.\n"
		"\n"
		"On cgroup v2 (cgroupfs backend) a user cgroup whose last process exits\n"
		"after the last logout (cgroup.events: populated 0) is removed, unless\n"
		"-k; on v1 it stays until the user's next logout.\n"
		"\n"
		"Signals: SIGHUP re-reads the config (an invalid one is logged and the\n"
		"old one kept); SIGTERM and SIGINT stop the daemon.\n"
		"\n"
		"Exit status: 0 stopped by a signal, 1 config missing or invalid,\n"
		"2 usage error, 3 no memory cgroup hierarchy or a system error at start.\n",
		prog, MC_DEFAULT_CONF, _PATH_UTMP, MAIL_TIMEOUT_S);
}

static void
conf_error(void *ctx, const char *file, int line, const char *msg)
{
	struct nf *nf = ctx;

	if (line > 0)
		mc_log(&nf->log, LOG_ERR, "%s:%d: %s", file, line, msg);
	else
		mc_log(&nf->log, LOG_ERR, "%s: %s", file, msg);
}

static int
load_config(struct nf *nf, struct mc_config **out)
{
	struct mc_errsink errs = { .fn = conf_error, .ctx = nf };
	int r = mc_config_load(nf->conf_path, nf->ram, &errs, out);

	if (r == -ENOENT)
		mc_log(&nf->log, LOG_ERR, "%s: no such file", nf->conf_path);
	return r;
}

/* Resolves the backend of cfg and opens its hierarchy into nf (the
 * systemd backend's slices are on the unified hierarchy).  Returns 0 or a
 * negative errno, logged. */
static int
open_hier(struct nf *nf, const struct mc_config *cfg)
{
	enum mc_backend b;
	int r;

	if ((r = mc_backend_resolve(cfg->cgroup_backend, &b, &nf->log)) < 0)
		return r;
	if ((r = mc_hier_find(b == MC_BACKEND_SYSTEMD ? MC_CG_V2 : cfg->cgroup_version,
			      &nf->h, &nf->log)) < 0)
		return r;
	nf->backend = b;
	mc_layout_for(cfg, b, &nf->lay);
	return 0;
}

static void
reload(struct nf *nf)
{
	struct mc_config *cfg = NULL, *old = nf->cfg;
	bool same;

	if (load_config(nf, &cfg) < 0) {
		mc_log(&nf->log, LOG_ERR, "%s: not reloaded; keeping the configuration in use",
		       nf->conf_path);
		return;
	}
	same = strcmp(cfg->cgroup_parent, old->cgroup_parent) == 0 &&
	       cfg->cgroup_version == old->cgroup_version &&
	       cfg->cgroup_backend == old->cgroup_backend;
	if (same) {
		nf->cfg = cfg;
		/* The layout points into the config. */
		mc_layout_for(cfg, nf->backend, &nf->lay);
		nf_watch_refresh(nf);
		nf_lookup_retire(nf, old);
		mc_log(&nf->log, LOG_INFO, "%s reloaded", nf->conf_path);
		return;
	}
	/* Another hierarchy or parent: start over, with a fresh baseline. */
	nf_watch_stop(nf);
	nf_watch_sweep(nf);
	mc_hier_close(&nf->h);
	if (open_hier(nf, cfg) < 0) {
		mc_log(&nf->log, LOG_ERR, "%s: not reloaded; keeping the configuration in use",
		       nf->conf_path);
		mc_config_free(cfg);
		if (open_hier(nf, old) < 0)
			return;
	} else {
		nf->cfg = cfg;
		nf_lookup_retire(nf, old);
		mc_log(&nf->log, LOG_INFO, "%s reloaded; now watching %s/%s", nf->conf_path,
		       nf->h.mnt, nf->lay.parent);
	}
	nf_watch_start(nf);
}

static void
arm_timer(struct nf *nf)
{
	struct itimerspec its = { 0 };
	uint64_t at = nf_timer_deadline(nf);

	if (at == nf->timer_at)
		return;
	if (at != 0) {
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
	}
	/* it_value 0 disarms: no timer while nothing is pending. */
	if (timerfd_settime(nf->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		nf->timer_at = at;
}

/* Returns false when the daemon should stop. */
static bool
on_signals(struct nf *nf)
{
	struct signalfd_siginfo si;
	bool run = true;

	while (read(nf->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(nf);
			break;
		case SIGTERM:
		case SIGINT:
			mc_log(&nf->log, LOG_INFO, "stopping on signal %u", si.ssi_signo);
			run = false;
			break;
		case SIGCHLD:
			nf_reap(nf);
			break;
		default:
			break;
		}
	}
	return run;
}

static int
setup(struct nf *nf)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (nf->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (nf->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (nf->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (nf->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		mc_log(&nf->log, LOG_ERR, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	nf->sig_src = (struct src){ SRC_SIGNAL, NULL };
	nf->timer_src = (struct src){ SRC_TIMER, NULL };
	nf->ino_src = (struct src){ SRC_INOTIFY, NULL };
	nf->kmsg_src = (struct src){ SRC_KMSG, NULL };
	struct epoll_event es = { .events = EPOLLIN, .data.ptr = &nf->sig_src };
	struct epoll_event et = { .events = EPOLLIN, .data.ptr = &nf->timer_src };
	struct epoll_event ei = { .events = EPOLLIN, .data.ptr = &nf->ino_src };
	if (epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->sigfd, &es) < 0 ||
	    epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->timerfd, &et) < 0 ||
	    epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->inofd, &ei) < 0) {
		mc_log(&nf->log, LOG_ERR, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	/* The kernel log names the victims; read from its current end. */
	nf->kmsgfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (nf->kmsgfd >= 0 && lseek(nf->kmsgfd, 0, SEEK_END) < 0) {
		close(nf->kmsgfd);
		nf->kmsgfd = -1;
	}
	if (nf->kmsgfd >= 0) {
		struct epoll_event ek = { .events = EPOLLIN, .data.ptr = &nf->kmsg_src };

		if (epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->kmsgfd, &ek) < 0) {
			close(nf->kmsgfd);
			nf->kmsgfd = -1;
		}
	}
	if (nf->kmsgfd < 0)
		mc_log(&nf->log, LOG_WARNING, "cannot read /dev/kmsg (%s): victims will be reported as unknown",
		       strerror(errno));
	return 0;
}

/* Handles one batch of epoll events.  Returns false when the daemon
 * should stop.  stopping: signals are left alone (the exit is under way). */
static bool
handle(struct nf *nf, const struct epoll_event *evs, int n, bool stopping)
{
	unsigned restarts = nf->restarts;
	bool run = true;

	for (int i = 0; i < n; i++) {
		struct src *s = evs[i].data.ptr;
		uint64_t ticks;

		/* A reload that started the watches over freed them: the rest
		 * of the batch may point at them.  What is still ready is
		 * reported again by the next epoll_wait. */
		if (nf->restarts != restarts)
			break;

		switch (s->type) {
		case SRC_SIGNAL:
			if (!stopping && !on_signals(nf))
				run = false;
			break;
		case SRC_TIMER:
			if (read(nf->timerfd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
				break;
			nf->timer_at = 0;
			nf_on_timer(nf, nf_now_ms());
			break;
		default:
			nf_on_event(nf, s, evs[i].events);
			break;
		}
	}
	/* Only now may removed cgroups' watches go: the batch above could
	 * still point at them. */
	nf_watch_sweep(nf);
	return run;
}

static void
loop(struct nf *nf)
{
	struct epoll_event evs[32];
	bool run = true;

	while (run) {
		/* Users a start left to look up: a batch queued after each
		 * look at the events, which does not wait then; nor does it
		 * while answers of look-ups done here wait (no eventfd). */
		bool more = nf->next_unresolved < nf->n_unresolved;
		int n;

		arm_timer(nf);
		n = epoll_wait(nf->epfd, evs, 32, more || nf_lookup_ready(nf) ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_log(&nf->log, LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		run = handle(nf, evs, n, false);
		if (run && nf_lookup_ready(nf))
			nf_on_lookup_done(nf);
		if (more && run)
			(void)nf_watch_resolve(nf, RESOLVE_BATCH);
	}
}

/* At exit: a pending check would be decided with what is known now, and a
 * kill whose kernel log line has not been read yet (or, on v1, that the
 * OOM wake-up came just before) told as "victim unknown"; the line is
 * usually a few ms away, so wait for it, EXIT_WAIT_MS at most. */
static void
wait_for_victims(struct nf *nf)
{
	struct epoll_event evs[32];
	uint64_t end = nf_now_ms() + EXIT_WAIT_MS;
	int n;

	/* OOM wake-ups that came with the signal start their checks first
	 * (one batch: a signal left unread would keep the loop busy). */
	if ((n = epoll_wait(nf->epfd, evs, 32, 0)) > 0)
		(void)handle(nf, evs, n, true);
	while (nf->kmsgfd >= 0 && nf_victims_pending(nf)) {
		struct pollfd p = { .fd = nf->kmsgfd, .events = POLLIN };
		uint64_t now = nf_now_ms();

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		nf_on_kmsg(nf);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "syslog", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "utmp", required_argument, NULL, 'u' },
		{ "mail-timeout", required_argument, NULL, 'm' },
		{ "keep-empty", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nf nf;
	bool use_syslog = false;
	uint64_t secs;
	int c, ret = EX_SYSTEM;

	memset(&nf, 0, sizeof(nf));
	nf.epfd = nf.sigfd = nf.timerfd = nf.inofd = nf.kmsgfd = nf.parent_wd = -1;
	nf.h.rootfd = -1;
	nf.conf_path = MC_DEFAULT_CONF;
	nf.utmp_path = _PATH_UTMP;
	nf.log = (struct mc_log){ .emit = mc_log_stderr, .ctx = prog };
	nf.mail_timeout_s = MAIL_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, "c:sdu:m:kh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			nf.conf_path = optarg;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'd':
			nf.log.debug = true;
			break;
		case 'u':
			nf.utmp_path = optarg;
			break;
		case 'm':
			if (mc_parse_u64(optarg, 1, 3600, &secs) < 0) {
				fprintf(stderr, "%s: --mail-timeout: \"%s\" is not a number of seconds from 1 to 3600\n",
					prog, optarg);
				return EX_USAGE;
			}
			nf.mail_timeout_s = (unsigned)secs;
			break;
		case 'k':
			nf.keep_empty = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (use_syslog) {
		openlog(prog, LOG_PID, LOG_DAEMON);
		nf.log.emit = mc_log_syslog;
		nf.log.ctx = NULL;
	} else {
		/* One line each, even when stderr is a pipe to a journal. */
		setvbuf(stderr, NULL, _IOLBF, 0);
	}
	/* One malloc arena: the look-up workers' allocations would otherwise
	 * get arenas of their own, whose touched pages stay after they end. */
	mallopt(M_ARENA_MAX, 1);
	nf.ram = mc_ram_bytes();
	if (load_config(&nf, &nf.cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (gethostname(nf.host, sizeof(nf.host) - 1) < 0)
		snprintf(nf.host, sizeof(nf.host), "localhost");
	if (open_hier(&nf, nf.cfg) < 0)
		goto out;
	if (setup(&nf) < 0 || nf_watch_start(&nf) < 0)
		goto out;
	mc_log(&nf.log, LOG_INFO, "started: watching %s/%s (cgroup v%d, %s backend), kernel log %s",
	       nf.h.mnt, nf.lay.parent, nf.h.version, mc_backend_name(nf.backend),
	       nf.kmsgfd >= 0 ? "read" : "unreadable");
	loop(&nf);
	/* Told now or never: the next start takes the counters as its
	 * baseline, so pending checks are decided and the summaries that
	 * rate_limit holds back are sent before exit.  Kernel log records
	 * that came with the signal are read first: they name the victims. */
	if (nf.kmsgfd >= 0)
		nf_on_kmsg(&nf);
	wait_for_victims(&nf);
	nf_watch_flush(&nf);
	nf_summaries(&nf, UINT64_MAX);
	nf_metrics_due(&nf, UINT64_MAX);
	nf_ttyq_free(&nf);
	ret = EX_OK;
out:
	nf_thr_stop(&nf);
	/* A worker still in NSS may read the config: it stays then. */
	if (!nf_lookup_stop(&nf))
		nf.cfg = NULL;
	nf_watch_stop(&nf);
	if (nf.kmsgfd >= 0)
		close(nf.kmsgfd);
	if (nf.inofd >= 0)
		close(nf.inofd);
	if (nf.timerfd >= 0)
		close(nf.timerfd);
	if (nf.sigfd >= 0)
		close(nf.sigfd);
	if (nf.epfd >= 0)
		close(nf.epfd);
	mc_hier_close(&nf.h);
	mc_config_free(nf.cfg);
	nf_users_free(&nf);
	if (use_syslog)
		closelog();
	return ret;
}
