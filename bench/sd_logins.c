/* What a login costs on a systemd machine: PAM sessions through
 * pam_systemd alone and with pam_memcg (cgroup_backend systemd or auto)
 * after it, each opened and closed in a process of its own, as a login
 * program does, so that logind makes a session and a scope for every one.
 * Session cost (serial, timed around pam_open_session and
 * pam_close_session) or, with -S, a login storm (workers at once).
 * bench/systemd_cost.sh sets up the users and services (in the systemd VM)
 * and calls this. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "bench.h"

#define MAX_SPECS 8
#define MAX_SVCS 2
#define MAX_USERS 64
#define MAX_ROUNDS 20

/* -s LABEL,SVC[:SVC2],LIMIT[:LIMIT2]: a PAM service (session i of a run
 * uses SVC, SVC2, SVC, ... in turn: two configs that differ make every
 * session change the slice's limits) and the memory.max in bytes the
 * user's slice must show from inside each session ("-": not checked). */
struct spec {
	char label[96];
	char svc[MAX_SVCS][64];
	uint64_t limit[MAX_SVCS];	/* 0: not checked */
	int nsvc;
	uint64_t *samples;
	size_t nsamples;
	double round_med[MAX_ROUNDS];
	long failures, misplaced;
};

/* What a session's process tells its parent. */
struct result {
	uint64_t open_ns, total_ns;
	int pam_open, pam_close;	/* PAM codes */
	bool placed, limited;
};

/* Per storm worker, in memory shared with the parent. */
struct wstat {
	long done, failures, misplaced;
	uint64_t open_ns[];		/* -n of them */
};

static struct {
	const char *pamdir;
	long iter, warmup, rounds, workers, sessions;
	struct spec specs[MAX_SPECS];
	int nspecs;
	char users[MAX_USERS][64];
	uid_t uids[MAX_USERS];
	int nusers;
	bool storm;
	bool blocks;		/* -B */
	bool bad;		/* a failure, a misplaced session, a slice left */
	long settle_s;
} g = { .iter = 20, .warmup = 5, .rounds = 3, .workers = 8, .sessions = 10, .settle_s = 40 };

static struct pam_conv conv = { bench_conv, NULL };

static void
die(const char *what, int err)
{
	fprintf(stderr, "sd_logins: %s: %s\n", what, strerror(err));
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sd_logins -d PAMDIR -u USER[,USER...] -s LABEL,SVC[:SVC2],LIMIT[:LIMIT2] ...\n"
			"         [-B] [-n ITER -w WARMUP -r ROUNDS] | -S [-W WORKERS -n SESSIONS -t SETTLE_S]\n");
	exit(2);
}

static uint64_t
parse_u64(const char *s)
{
	long v;

	if (strcmp(s, "-") == 0)
		return 0;
	if (bench_parse_long(s, 1, INT64_MAX, &v) < 0)
		usage();
	return (uint64_t)v;
}

static void
add_spec(char *arg)
{
	struct spec *s;
	char *label = strtok(arg, ","), *svcs = strtok(NULL, ","), *lims = strtok(NULL, ",");
	char *tok, *save = NULL;

	if (label == NULL || svcs == NULL || lims == NULL || g.nspecs == MAX_SPECS)
		usage();
	s = &g.specs[g.nspecs++];
	snprintf(s->label, sizeof(s->label), "%s", label);
	for (tok = strtok_r(svcs, ":", &save); tok != NULL && s->nsvc < MAX_SVCS;
	     tok = strtok_r(NULL, ":", &save))
		snprintf(s->svc[s->nsvc++], sizeof(s->svc[0]), "%s", tok);
	save = NULL;
	/* One limit per service; a missing one is "-". */
	for (int i = 0; i < s->nsvc; i++) {
		tok = strtok_r(i == 0 ? lims : NULL, ":", &save);
		s->limit[i] = parse_u64(tok != NULL ? tok : "-");
	}
}

/* Is this process in a session scope of uid's slice, and (limit > 0) does
 * the slice's memory.max read limit? */
static void
check_place(uid_t uid, uint64_t limit, struct result *res)
{
	char cg[4096], prefix[96], path[256], text[64];

	snprintf(prefix, sizeof(prefix), "/user.slice/user-%u.slice/", (unsigned)uid);
	res->placed = bench_cgroup_of(0, 2, cg, sizeof(cg)) == 0 &&
		      strncmp(cg, prefix, strlen(prefix)) == 0 &&
		      strstr(cg + strlen(prefix), ".scope") != NULL;
	res->limited = true;
	if (limit == 0)
		return;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/user.slice/user-%u.slice/memory.max",
		 (unsigned)uid);
	res->limited = bench_read_file(path, text, sizeof(text)) == 0 &&
		       strtoull(text, NULL, 10) == limit;
}

/* One login in a child process: pam_start (outside the clock), open,
 * the placement check, close, pam_end.  Returns the child's report. */
static struct result
one_login(const char *svc, const char *user, uid_t uid, uint64_t limit)
{
	struct result res = { .pam_open = PAM_SYSTEM_ERR, .pam_close = PAM_SYSTEM_ERR };
	int p[2], st;
	pid_t pid;

	if (pipe(p) < 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0) {
		pam_handle_t *h = NULL;
		uint64_t t0, t1, t2;

		close(p[0]);
		if (pam_start_confdir(svc, user, &conv, g.pamdir, &h) == PAM_SUCCESS) {
			t0 = bench_now_ns();
			res.pam_open = pam_open_session(h, 0);
			t1 = bench_now_ns();
			if (res.pam_open == PAM_SUCCESS)
				check_place(uid, limit, &res);
			t2 = bench_now_ns();
			res.pam_close = res.pam_open == PAM_SUCCESS ? pam_close_session(h, 0)
								    : PAM_SUCCESS;
			res.total_ns = (bench_now_ns() - t2) + (t1 - t0);
			res.open_ns = t1 - t0;
			pam_end(h, res.pam_close);
		}
		if (write(p[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		res.pam_open = PAM_SYSTEM_ERR;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return res;
}

static bool
ok(const struct result *r)
{
	return r->pam_open == PAM_SUCCESS && r->pam_close == PAM_SUCCESS;
}

/* A session of user i held open by a child until its pipe closes: the
 * user's slice and user manager stay, as for a user already logged in
 * elsewhere.  Returns the pipe's write end. */
static int
hold(const char *svc, int i)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0) {
		pam_handle_t *h = NULL;

		close(p[1]);
		if (pam_start_confdir(svc, g.users[i], &conv, g.pamdir, &h) != PAM_SUCCESS ||
		    pam_open_session(h, 0) != PAM_SUCCESS)
			_exit(1);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		pam_close_session(h, 0);
		pam_end(h, PAM_SUCCESS);
		_exit(0);
	}
	close(p[0]);
	return p[1];
}

static void
release(int *fds, int n)
{
	int st;

	for (int i = 0; i < n; i++)
		close(fds[i]);
	while (wait(&st) > 0 || errno == EINTR)
		;
}

static void
cost(void)
{
	int holder;
	char a[32], b[32], c[32], d[32], e[32];
	double floor_med = 0;

	/* The first spec's service (pam_systemd alone) holds the session. */
	holder = hold(g.specs[0].svc[0], 0);
	/* Let the user manager come up before anything is timed. */
	for (int i = 0; i < 3; i++)
		(void)one_login(g.specs[0].svc[0], g.users[0], g.uids[0], 0);
	for (int k = 0; k < g.nspecs; k++)
		if ((g.specs[k].samples = calloc((size_t)(g.iter * g.rounds), sizeof(uint64_t))) == NULL)
			die("calloc", ENOMEM);
	for (long r = 0; r < g.rounds; r++) {
		size_t n0[MAX_SPECS];
		struct timespec m0, m1;

		for (int k = 0; k < g.nspecs; k++)
			n0[k] = g.specs[k].nsamples;
		/* Session by session, every stack in turn: the load of a shared
		 * machine comes and goes, and falls on them alike.  -B: one
		 * stack's sessions after another's, with their times on stderr
		 * (a bus monitor's time stamps then tell whose a message is). */
		for (int kb = 0; kb < (g.blocks ? g.nspecs : 1); kb++) {
			clock_gettime(CLOCK_REALTIME, &m0);
			for (long i = 0; i < g.warmup + g.iter; i++) {
				for (int k = g.blocks ? kb : 0; k < (g.blocks ? kb + 1 : g.nspecs); k++) {
					struct spec *s = &g.specs[k];
					int j = (int)(i % s->nsvc);
					struct result res = one_login(s->svc[j], g.users[0], g.uids[0],
								      s->limit[j]);

					if (!ok(&res))
						s->failures++;
					else if (!res.placed || !res.limited)
						s->misplaced++;
					if (i >= g.warmup)
						s->samples[s->nsamples++] = res.total_ns;
				}
			}
			clock_gettime(CLOCK_REALTIME, &m1);
			if (g.blocks)
				fprintf(stderr, "mark\t%d\t%ld.%06ld\t%ld.%06ld\t%ld\n", kb, (long)m0.tv_sec,
					m0.tv_nsec / 1000, (long)m1.tv_sec, m1.tv_nsec / 1000,
					g.warmup + g.iter);
		}
		for (int k = 0; k < g.nspecs; k++) {
			struct spec *s = &g.specs[k];

			s->round_med[r] = (double)bench_percentile(s->samples + n0[k],
								   s->nsamples - n0[k], 50);
		}
	}
	release(&holder, 1);

	printf("| PAM stack | per open+close (median) | vs pam_systemd alone | above pam_systemd | p90 | failures | outside the slice or limit not seen |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- |\n");
	for (int k = 0; k < g.nspecs; k++) {
		struct spec *s = &g.specs[k];
		double med = bench_median(s->round_med, (size_t)g.rounds);
		uint64_t p90 = bench_percentile(s->samples, s->nsamples, 90);

		if (k == 0)
			floor_med = med;
		bench_fmt_ns(med, a, sizeof(a));
		bench_fmt_ns(med - floor_med, b, sizeof(b));
		bench_fmt_ns((double)p90, c, sizeof(c));
		snprintf(d, sizeof(d), "%.2fx", floor_med > 0 ? med / floor_med : 0);
		snprintf(e, sizeof(e), "%ld", s->failures);
		g.bad |= s->failures > 0 || s->misplaced > 0;
		printf("| %s | %s | %s | %s | %s | %s | %ld |\n", s->label, a,
		       k == 0 ? "1.00x" : d, k == 0 ? "-" : b, c, e, s->misplaced);
	}
}

/* Slices of the storm's users that still exist. */
static int
slices_left(void)
{
	char path[128];
	int n = 0;

	for (int i = 0; i < g.nusers; i++) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/user.slice/user-%u.slice",
			 (unsigned)g.uids[i]);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void
storm(void)
{
	size_t wsize = sizeof(struct wstat) + sizeof(uint64_t) * (size_t)g.sessions;

	printf("| PAM stack | sessions | sessions/s | open p50 | open p99 | failures | outside the slice or limit not seen | slices left %lds after |\n",
	       g.settle_s);
	printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int k = 0; k < g.nspecs; k++) {
		struct spec *s = &g.specs[k];
		char *mem = mmap(NULL, wsize * (size_t)g.workers, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		int start[2], holders[MAX_USERS], st, left = -1;
		uint64_t t0, t1, *all;
		size_t nall = 0;
		long done = 0, fails = 0, mis = 0;
		char a[32], b[32], c[32];

		if (mem == MAP_FAILED)
			die("mmap", errno);
		/* Every user is logged in already (their managers run), as on a
		 * busy machine; the storm is the sessions on top. */
		for (int i = 0; i < g.nusers; i++)
			holders[i] = hold(g.specs[0].svc[0], i);
		for (int i = 0; i < g.nusers; i++)
			(void)one_login(g.specs[0].svc[0], g.users[i], g.uids[i], 0);
		if (pipe(start) < 0)
			die("pipe", errno);
		for (long w = 0; w < g.workers; w++) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork", errno);
			if (pid == 0) {
				struct wstat *ws = (struct wstat *)(mem + wsize * (size_t)w);
				int u = (int)(w % g.nusers);
				char ch;

				close(start[1]);
				while (read(start[0], &ch, 1) < 0 && errno == EINTR)
					;
				for (long i = 0; i < g.sessions; i++) {
					int j = (int)(i % s->nsvc);
					struct result res = one_login(s->svc[j], g.users[u], g.uids[u],
								      s->limit[j]);

					if (!ok(&res))
						ws->failures++;
					else if (!res.placed || !res.limited)
						ws->misplaced++;
					ws->open_ns[ws->done++] = res.open_ns;
				}
				_exit(0);
			}
		}
		close(start[0]);
		t0 = bench_now_ns();
		close(start[1]);
		for (long w = 0; w < g.workers; w++)
			while (wait(&st) < 0 && errno == EINTR)
				;
		t1 = bench_now_ns();
		if ((all = calloc((size_t)(g.workers * g.sessions), sizeof(uint64_t))) == NULL)
			die("calloc", ENOMEM);
		for (long w = 0; w < g.workers; w++) {
			struct wstat *ws = (struct wstat *)(mem + wsize * (size_t)w);

			done += ws->done;
			fails += ws->failures;
			mis += ws->misplaced;
			for (long i = 0; i < ws->done; i++)
				all[nall++] = ws->open_ns[i];
		}
		release(holders, g.nusers);
		/* logind stops a user UserStopDelaySec (10 s) after the last
		 * session, and the slice with it. */
		for (long i = 0; (left = slices_left()) > 0 && i < g.settle_s * 2; i++)
			usleep(500000);
		bench_fmt_ns((double)bench_percentile(all, nall, 50), a, sizeof(a));
		bench_fmt_ns((double)bench_percentile(all, nall, 99), b, sizeof(b));
		snprintf(c, sizeof(c), "%.1f", (double)done / ((double)(t1 - t0) / 1e9));
		g.bad |= fails > 0 || mis > 0 || left != 0;
		printf("| %s | %ld | %s | %s | %s | %ld | %ld | %d of %d |\n", s->label, done, c,
		       a, b, fails, mis, left, g.nusers);
		fflush(stdout);
		free(all);
		munmap(mem, wsize * (size_t)g.workers);
	}
}

int
main(int argc, char **argv)
{
	int o;
	long v;

	while ((o = getopt(argc, argv, "d:u:s:n:w:r:SBW:t:")) != -1) {
		switch (o) {
		case 'd':
			g.pamdir = optarg;
			break;
		case 'u': {
			char *save = NULL;

			for (char *t = strtok_r(optarg, ",", &save); t != NULL && g.nusers < MAX_USERS;
			     t = strtok_r(NULL, ",", &save)) {
				struct passwd *pw = getpwnam(t);

				if (pw == NULL)
					die(t, ENOENT);
				snprintf(g.users[g.nusers], sizeof(g.users[0]), "%s", t);
				g.uids[g.nusers++] = pw->pw_uid;
			}
			break;
		}
		case 's':
			add_spec(optarg);
			break;
		case 'n':
		case 'w':
		case 'r':
		case 'W':
		case 't':
			if (bench_parse_long(optarg, o == 'w' ? 0 : 1, o == 'r' ? MAX_ROUNDS : 100000, &v) < 0)
				usage();
			if (o == 'n')
				g.iter = g.sessions = v;
			else if (o == 'w')
				g.warmup = v;
			else if (o == 'r')
				g.rounds = v;
			else if (o == 'W')
				g.workers = v;
			else
				g.settle_s = v;
			break;
		case 'S':
			g.storm = true;
			break;
		case 'B':
			g.blocks = true;
			break;
		default:
			usage();
		}
	}
	if (g.pamdir == NULL || g.nusers == 0 || g.nspecs == 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (g.storm)
		storm();
	else
		cost();
	return g.bad ? 1 : 0;
}
