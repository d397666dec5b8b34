/* The notifier's unit test harness: a fake v1 or v2 tree, a utmp file and
 * a real pty per user, the kernel log on a socket, a clock run by hand; the
 * notifier is driven as main.c drives it and read back from ptys and log. */
#ifndef MEMCG_FAKENF_H
#define MEMCG_FAKENF_H

#include "fakecg.h"

#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <utmp.h>

#include "notifier.h"

#define FNF_USERS 2
#define FNF_PARENT "pam_memcg"
/* The users' memory limit in the fake tree: 512 MiB. */
#define FNF_LIMIT "536870912\n"
/* Usage now: 100 MiB; the peak is at the limit.  warn_at is off: on v1
 * its threshold would take cgroup.event_control's last write (fnf_counters
 * reads the OOM eventfd there). */
#define FNF_USAGE "104857600\n"
/* Where the fake clock starts (0 would mean the real clock). */
#define FNF_T0 1000000
/* How long the harness waits in real time for what the notifier's worker
 * threads do (look-ups) or the kernel passes on (pty output); a bound for
 * a hang, never a pace. */
#define FNF_REAL_WAIT_MS 5000
/* Victims' pids: above the kernel's PID_MAX_LIMIT, so that no process on
 * the machine running the test is ever taken for one. */
#define FNF_PID 90000000

/* One user: a real NSS account, its cgroup in the fake tree, its pty. */
struct fnf_user {
	uid_t uid;
	char name[64];
	char rel[64];		/* FNF_PARENT/user-<uid> */
	char dir[PATH_MAX + 64];	/* the cgroup's directory */
	int master, slave;	/* the test reads the master */
	char line[32];		/* pts/N, as in utmp */
};

struct fnf {
	char *dir;			/* the temp dir */
	char root[PATH_MAX];		/* the fake hierarchy's mount point */
	char utmp[PATH_MAX];
	int version;
	struct nf nf;
	int kmsg_w;			/* the test's end of the kernel log */
	unsigned kmsg_seq;
	unsigned marks;
	struct fnf_user u[FNF_USERS];
	char **log;			/* every line the notifier logged */
	size_t n_log, cap_log;
};

static inline void
fnf_emit(void *ctx, int prio, const char *line)
{
	struct fnf *f = ctx;

	if (f->n_log == f->cap_log) {
		size_t cap = f->cap_log ? f->cap_log * 2 : 256;
		char **n = realloc(f->log, cap * sizeof(*n));

		if (n == NULL)
			return;
		f->log = n;
		f->cap_log = cap;
	}
	if (asprintf(&f->log[f->n_log], "<%d> %s", prio, line) >= 0)
		f->n_log++;
}

/* How many log lines from line `from` on contain text. */
static inline size_t
fnf_log_count(const struct fnf *f, size_t from, const char *text)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_log; i++)
		if (strstr(f->log[i], text) != NULL)
			n++;
	return n;
}

static inline void
fnf_dump_log(const struct fnf *f)
{
	for (size_t i = 0; i < f->n_log; i++)
		print_message("  log: %s\n", f->log[i]);
}

/* How many times needle occurs in text. */
static inline size_t
fnf_count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Fails, showing what was written and logged, unless text holds needle
 * exactly want times. */
static inline void
fnf_expect(const struct fnf *f, const char *what, const char *text, const char *needle,
	   size_t want)
{
	size_t got = fnf_count(text, needle);

	if (got == want)
		return;
	print_message("%s:\n---\n%s\n---\n", what, text);
	fnf_dump_log(f);
	fail_msg("%s: \"%s\" %zu times, want %zu", what, needle, got, want);
}

static inline uint64_t
fnf_now(void)
{
	return nf_test_now_ms;
}

/* Hands what is ready in the notifier's epoll set to it, as main.c's loop
 * does (the timer aside: fnf_at runs the clock), waiting up to timeout_ms
 * for the first event.  Returns how many events there were. */
static inline int
fnf_pump(struct fnf *f, int timeout_ms)
{
	struct epoll_event evs[32];
	struct nf *nf = &f->nf;
	int n;

	do
		n = epoll_wait(nf->epfd, evs, 32, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail_msg("epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		nf_on_event(nf, evs[i].data.ptr, evs[i].events);
	nf_watch_sweep(nf);
	return n;
}

/* Everything that is ready now, and nothing that is not. */
static inline void
fnf_drain(struct fnf *f)
{
	while (fnf_pump(f, 0) > 0)
		;
}

/* Sets the clock to now and runs what main.c's timer runs, then what that
 * made ready. */
static inline void
fnf_at(struct fnf *f, uint64_t now)
{
	struct nf *nf = &f->nf;

	if (now < nf_test_now_ms)
		fail_msg("the clock goes back from %llu to %llu",
			 (unsigned long long)nf_test_now_ms, (unsigned long long)now);
	nf_test_now_ms = now;
	nf_on_timer(nf, now);
	fnf_drain(f);
}

/* When main.c's timer would fire next; 0: nothing is pending. */
static inline uint64_t
fnf_next(const struct fnf *f)
{
	return nf_timer_deadline(&f->nf);
}

/* Runs the clock from deadline to deadline until nothing is pending or
 * until, if not 0. */
static inline void
fnf_settle(struct fnf *f, uint64_t until)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t next = fnf_next(f);

		if (next == 0 || (until != 0 && next > until))
			break;
		fnf_at(f, next > fnf_now() ? next : fnf_now());
	}
	if (until != 0 && until > fnf_now())
		fnf_at(f, until);
}

/* What the notifier wrote to user i's terminal since the last call: a
 * mark is written after it through the same pty and the master is read up
 * to the mark, so nothing is left in flight. */
static inline void
fnf_tty(struct fnf *f, int i, char *buf, size_t len)
{
	char mark[32];
	size_t got = 0, mlen;
	char *at;

	mlen = (size_t)snprintf(mark, sizeof(mark), "\n[mark %u]\n", ++f->marks);
	if (write(f->u[i].slave, mark, mlen) != (ssize_t)mlen)
		fail_msg("write to the pty of %s: %s", f->u[i].name, strerror(errno));
	buf[0] = '\0';
	while ((at = strstr(buf, mark)) == NULL) {
		struct pollfd p = { .fd = f->u[i].master, .events = POLLIN };
		ssize_t n;

		if (got + 1 >= len)
			fail_msg("more than %zu bytes on the pty of %s", len, f->u[i].name);
		if (poll(&p, 1, FNF_REAL_WAIT_MS) <= 0)
			fail_msg("the pty of %s: no mark within %d ms", f->u[i].name,
				 FNF_REAL_WAIT_MS);
		n = read(f->u[i].master, buf + got, len - 1 - got);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("read the pty of %s: %s", f->u[i].name, strerror(errno));
		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
	}
	*at = '\0';
}

/* Sends one kernel log record, as /dev/kmsg shows it. */
static inline void
fnf_kmsg(struct fnf *f, const char *text)
{
	char rec[2048];
	int n = snprintf(rec, sizeof(rec), "3,%u,%llu,-;%s\n", ++f->kmsg_seq,
			 (unsigned long long)fnf_now() * 1000, text);

	if (n < 0 || (size_t)n >= sizeof(rec))
		fail_msg("kernel log record too long");
	if (send(f->kmsg_w, rec, (size_t)n, 0) != n)
		fail_msg("send to the kernel log: %s", strerror(errno));
}

/* The kernel's lines for a kill in user cg's cgroup at its own limit: the
 * summary line, then the kill line, both with uid. */
static inline void
fnf_kmsg_kill(struct fnf *f, int cg, uid_t uid, pid_t pid, const char *comm)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
		 comm);
	fnf_kmsg(f, text);
	snprintf(text, sizeof(text), "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/%s,task_memcg=/%s,task=%s,pid=%d,uid=%u",
		 f->u[cg].rel, f->u[cg].rel, comm, (int)pid, (unsigned)uid);
	fnf_kmsg(f, text);
	snprintf(text, sizeof(text), "Memory cgroup out of memory: Killed process %d (%s) total-vm:60768kB, anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:%u pgtables:156kB oom_score_adj:0",
		 (int)pid, comm, (unsigned)uid);
	fnf_kmsg(f, text);
}

/* Writes user i's event counters: v2 memory.events; v1
 * memory.oom_control and memory.failcnt (max). */
static inline void
fnf_write_counters(struct fnf *f, int i, uint64_t oom, uint64_t kills, uint64_t high,
		   uint64_t max)
{
	char text[256];

	if (f->version == 2) {
		snprintf(text, sizeof(text), "low 0\nhigh %llu\nmax %llu\noom %llu\noom_kill %llu\noom_group_kill 0\n",
			 (unsigned long long)high, (unsigned long long)max,
			 (unsigned long long)oom, (unsigned long long)kills);
		put_str(f->u[i].dir, "memory.events", text);
		return;
	}
	snprintf(text, sizeof(text), "oom_kill_disable 0\nunder_oom 0\noom_kill %llu\n",
		 (unsigned long long)kills);
	put_str(f->u[i].dir, "memory.oom_control", text);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)max);
	put_str(f->u[i].dir, "memory.failcnt", text);
}

/* Sets user i's event counters as the kernel would and lets it be known:
 * on v2 inotify sees the write; on v1 the OOM eventfd that the notifier
 * gave cgroup.event_control is signalled. */
static inline void
fnf_counters(struct fnf *f, int i, uint64_t oom, uint64_t kills, uint64_t high, uint64_t max)
{
	char ctl[64], *end;
	uint64_t one = 1;
	long efd;

	fnf_write_counters(f, i, oom, kills, high, max);
	if (f->version == 2)
		return;
	/* "<eventfd> <fd of memory.oom_control>", as the notifier wrote it. */
	get_file(f->u[i].dir, "cgroup.event_control", ctl, sizeof(ctl));
	errno = 0;
	efd = strtol(ctl, &end, 10);
	if (errno != 0 || end == ctl || *end != ' ' || efd < 0)
		fail_msg("%s/cgroup.event_control holds \"%s\"", f->u[i].dir, ctl);
	if (write((int)efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		fail_msg("signal the OOM eventfd %ld of %s: %s", efd, f->u[i].name, strerror(errno));
}

/* Removes user i's cgroup as the kernel's rmdir would (its files with
 * it). */
static inline void
fnf_remove_cgroup(struct fnf *f, int i)
{
	remove_tree(f->u[i].dir);
	if (path_exists(f->root, f->u[i].rel))
		fail_msg("could not remove %s", f->u[i].dir);
}

static inline void
fnf_make_cgroup(struct fnf *f, int i)
{
	const char *d = f->u[i].dir;

	make_dirs(f->root, f->u[i].rel);
	put_str(d, "cgroup.procs", "");
	if (f->version == 2) {
		put_str(d, "memory.max", FNF_LIMIT);
		put_str(d, "memory.high", "max\n");
		put_str(d, "memory.swap.max", "max\n");
		put_str(d, "memory.current", FNF_USAGE);
		put_str(d, "memory.peak", "536870912\n");
		put_str(d, "memory.oom.group", "0\n");
		put_str(d, "cgroup.events", "populated 1\nfrozen 0\n");
		put_str(d, "pids.max", "max\n");
		put_str(d, "pids.current", "1\n");
		put_str(d, "pids.events", "max 0\n");
	} else {
		put_str(d, "memory.limit_in_bytes", FNF_LIMIT);
		put_str(d, "memory.soft_limit_in_bytes", V1_UNLIMITED);
		put_str(d, "memory.usage_in_bytes", FNF_USAGE);
		put_str(d, "memory.max_usage_in_bytes", "536870912\n");
		put_str(d, "cgroup.event_control", "");
	}
	fnf_write_counters(f, i, 0, 0, 0, 0);
}

/* Two accounts NSS knows on any Debian system, other than root. */
static inline int
fnf_pick_users(struct fnf *f)
{
	static const char *const cand[] = { "nobody", "daemon", "bin", "sys", "games", "man" };
	int n = 0;

	for (size_t c = 0; c < NELEM(cand) && n < FNF_USERS; c++) {
		struct passwd *pw = getpwnam(cand[c]);

		if (pw == NULL || pw->pw_uid == 0)
			continue;
		f->u[n].uid = pw->pw_uid;
		snprintf(f->u[n].name, sizeof(f->u[n].name), "%s", pw->pw_name);
		n++;
	}
	return n == FNF_USERS ? 0 : -1;
}

/* User i's pty, owned by the user with mesg y, raw (what is written is
 * what is read), and its utmp entry. */
static inline void
fnf_make_tty(struct fnf *f, int i, int utmpfd)
{
	struct fnf_user *u = &f->u[i];
	struct termios t;
	struct utmp ut;
	const char *name;

	if (openpty(&u->master, &u->slave, NULL, NULL, NULL) < 0)
		fail_msg("openpty: %s", strerror(errno));
	if (tcgetattr(u->slave, &t) < 0)
		fail_msg("tcgetattr: %s", strerror(errno));
	cfmakeraw(&t);
	if (tcsetattr(u->slave, TCSANOW, &t) < 0 ||
	    fchown(u->slave, u->uid, (gid_t)-1) < 0 || fchmod(u->slave, 0620) < 0)
		fail_msg("set up the pty of %s: %s", u->name, strerror(errno));
	fcntl(u->master, F_SETFL, O_NONBLOCK);
	if ((name = ttyname(u->slave)) == NULL || strncmp(name, "/dev/", 5) != 0)
		fail_msg("no name for the pty of %s", u->name);
	snprintf(u->line, sizeof(u->line), "%s", name + 5);
	memset(&ut, 0, sizeof(ut));
	ut.ut_type = USER_PROCESS;
	ut.ut_pid = getpid();
	strncpy(ut.ut_user, u->name, sizeof(ut.ut_user));
	strncpy(ut.ut_line, u->line, sizeof(ut.ut_line));
	if (write(utmpfd, &ut, sizeof(ut)) != (ssize_t)sizeof(ut))
		fail_msg("write the utmp file: %s", strerror(errno));
}

/* Waits (real time, for the look-up workers) until every user's cgroup
 * is watched with its user's name. */
static inline void
fnf_wait_watched(struct fnf *f)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int done = 0;

		for (int i = 0; i < FNF_USERS; i++) {
			char want[PATH_MAX + 128];

			snprintf(want, sizeof(want), "watching %s/%s (uid %u, user %s)", f->root,
				 f->u[i].rel, (unsigned)f->u[i].uid, f->u[i].name);
			done += fnf_log_count(f, 0, want) > 0;
		}
		if (done == FNF_USERS)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > FNF_REAL_WAIT_MS) {
			fnf_dump_log(f);
			fail_msg("the users' cgroups are not watched after %d ms", FNF_REAL_WAIT_MS);
		}
		fnf_pump(f, 100);
	}
}

/* A notifier watching the fake tree (cgroup version, rate_limit in
 * seconds) of two users, started, their users looked up.  The kernel log
 * is readable unless no_kmsg. */
static inline int
fnf_setup(void **state, int version, unsigned rate_limit, bool no_kmsg)
{
	struct fnf *f = calloc(1, sizeof(*f));
	struct nf *nf;
	struct errlog errs;
	struct mc_errsink sink;
	char conf[512];
	int sv[2], utmpfd;

	if (f == NULL)
		return -1;
	*state = f;
	f->kmsg_w = -1;
	for (int i = 0; i < FNF_USERS; i++)
		f->u[i].master = f->u[i].slave = -1;
	nf = &f->nf;
	nf->epfd = nf->sigfd = nf->timerfd = nf->inofd = nf->kmsgfd = nf->parent_wd = -1;
	nf->h.rootfd = -1;
	if (fnf_pick_users(f) < 0) {
		print_message("fewer than %d accounts other than root; skipped\n", FNF_USERS);
		return -1;
	}
	nf_test_now_ms = FNF_T0;
	f->version = version;
	f->dir = tmpdir_make();
	snprintf(f->root, sizeof(f->root), "%s/cg", f->dir);
	snprintf(f->utmp, sizeof(f->utmp), "%s/utmp", f->dir);

	/* The tree, as fake_root and fake_parent make it for lib/'s tests. */
	make_dirs(f->dir, "cg");
	if (version == 2) {
		put_str(f->root, "cgroup.controllers", "cpuset cpu io memory pids\n");
		put_str(f->root, "cgroup.subtree_control", "memory\n");
	}
	put_str(f->root, "cgroup.procs", "1\n");
	fake_parent(f->root, FNF_PARENT, version, "memory\n");
	for (int i = 0; i < FNF_USERS; i++) {
		snprintf(f->u[i].rel, sizeof(f->u[i].rel), FNF_PARENT "/user-%u",
			 (unsigned)f->u[i].uid);
		pathf(f->u[i].dir, sizeof(f->u[i].dir), "%s/%s", f->root, f->u[i].rel);
		fnf_make_cgroup(f, i);
	}
	if ((utmpfd = open(f->utmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		fail_msg("create %s: %s", f->utmp, strerror(errno));
	for (int i = 0; i < FNF_USERS; i++)
		fnf_make_tty(f, i, utmpfd);
	close(utmpfd);

	snprintf(conf, sizeof(conf),
		 "cgroup_backend = cgroupfs\n"
		 "cgroup_version = v%d\n"
		 "cgroup_parent = \"" FNF_PARENT "\"\n"
		 "min_uid = 1\n"
		 "exempt_users = {}\n"
		 "default { memory_max = \"512M\" }\n"
		 "notify {\n  tty = true\n  mail = false\n  warn_at = \"off\"\n  rate_limit = %u\n}\n",
		 version, rate_limit);
	sink = errlog_sink(&errs);
	if (mc_config_parse("test.conf", conf, strlen(conf), 8 * GiB, &sink, &nf->cfg) < 0) {
		errlog_dump(&errs);
		fail_msg("the test's config does not parse");
	}

	/* struct nf as main() and setup() make it, with the test's ends. */
	nf->conf_path = "test.conf";
	nf->utmp_path = f->utmp;
	nf->log = (struct mc_log){ .emit = fnf_emit, .ctx = f, .debug = true };
	nf->mail_timeout_s = MAIL_TIMEOUT_S;
	nf->ram = 8 * GiB;
	snprintf(nf->host, sizeof(nf->host), "testhost");
	nf->backend = MC_BACKEND_CGROUPFS;
	mc_layout_for(nf->cfg, nf->backend, &nf->lay);
	assert_int_equal(mc_hier_open(f->root, "/", version, false, &nf->h), 0);
	if ((nf->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (nf->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		fail_msg("epoll or inotify: %s", strerror(errno));
	nf->ino_src = (struct src){ SRC_INOTIFY, NULL };
	nf->kmsg_src = (struct src){ SRC_KMSG, NULL };
	{
		struct epoll_event ei = { .events = EPOLLIN, .data.ptr = &nf->ino_src };

		assert_int_equal(epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->inofd, &ei), 0);
	}
	/* One record per read, as /dev/kmsg gives them. */
	if (!no_kmsg) {
		struct epoll_event ek = { .events = EPOLLIN, .data.ptr = &nf->kmsg_src };

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			fail_msg("socketpair: %s", strerror(errno));
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		nf->kmsgfd = sv[0];
		f->kmsg_w = sv[1];
		assert_int_equal(epoll_ctl(nf->epfd, EPOLL_CTL_ADD, nf->kmsgfd, &ek), 0);
	}
	if (nf_watch_start(nf) < 0) {
		fnf_dump_log(f);
		fail_msg("nf_watch_start failed");
	}
	fnf_wait_watched(f);
	return 0;
}

static inline int
fnf_teardown(void **state)
{
	struct fnf *f = *state;
	struct nf *nf;

	if (f == NULL)
		return 0;
	nf = &f->nf;
	nf_thr_stop(nf);
	if (!nf_lookup_stop(nf))
		nf->cfg = NULL;
	nf_watch_stop(nf);
	if (nf->kmsgfd >= 0)
		close(nf->kmsgfd);
	if (f->kmsg_w >= 0)
		close(f->kmsg_w);
	if (nf->inofd >= 0)
		close(nf->inofd);
	if (nf->epfd >= 0)
		close(nf->epfd);
	mc_hier_close(&nf->h);
	mc_config_free(nf->cfg);
	nf_users_free(nf);
	for (int i = 0; i < FNF_USERS; i++) {
		if (f->u[i].master >= 0)
			close(f->u[i].master);
		if (f->u[i].slave >= 0)
			close(f->u[i].slave);
	}
	tmpdir_remove(f->dir);
	for (size_t i = 0; i < f->n_log; i++)
		free(f->log[i]);
	free(f->log);
	free(f);
	nf_test_now_ms = 0;
	return 0;
}

static inline int
fnf_setup_v1(void **state)
{
	return fnf_setup(state, 1, 60, false);
}

static inline int
fnf_setup_v2(void **state)
{
	return fnf_setup(state, 2, 60, false);
}

/* Runs a test program's tests; they need root (the ptys are given to
 * other users), as test_config does. */
#define FNF_RUN(name, tests)                                                           \
	(geteuid() != 0 ? (fprintf(stderr, "%s: must run as root (it gives ptys to other users)\n", \
				   name), 1)                                            \
			: cmocka_run_group_tests_name(name, tests, NULL, NULL))

/* A test run on the v1 or the v2 tree, named for it. */
#define FNF_V1(t) { #t "_v1", t, fnf_setup_v1, fnf_teardown, NULL }
#define FNF_V2(t) { #t "_v2", t, fnf_setup_v2, fnf_teardown, NULL }

#endif
