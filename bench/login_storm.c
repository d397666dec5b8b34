/* Login storm: N worker processes over M users open and close PAM sessions
 * in a loop, all at once.  Reports sessions per second, open latency
 * (p50/p99), failures, sessions found outside their cgroup (checked from
 * inside each session) and cgroups left behind.  Called by bench/run.sh. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "bench.h"

#define MAX_USERS 1024
#define MAX_WORKERS 4096
#define MAX_SPECS 8

/* One module under test: -s LABEL,SERVICE,CGPARENT,PREFIX,FLAGS.  The
 * session of user U must be in CGPARENT/PREFIX<uid>; FLAGS: r = the module
 * removes that cgroup at the last close (leftovers must be 0), k = it keeps
 * it (we count and remove them), j = judged (failures and misplaced
 * sessions must be 0), f = no PAM: the kernel floor, the same cgroupfs
 * calls made directly (SERVICE is ignored). */
struct spec {
	char label[64], service[64], parent[2048], prefix[32];
	bool removes, keeps, judged, floor;
};

/* Per worker, in memory shared with the parent. */
struct wstat {
	long failures, misplaced, done;
	int first_error;	/* PAM code of the first failure, for the log */
};

static struct {
	const char *pamdir, *mnt, *orig;
	int version;
	long workers, sessions;
	unsigned long long max_bytes, swap_bytes;
	const char *lim_file[BENCH_MAX_LIMITS];
	char lim_val[BENCH_MAX_LIMITS][32];
	int nlim;
	char names[MAX_USERS][64];
	uid_t uids[MAX_USERS];
	long nusers;
} g;

static struct pam_conv conv = { bench_conv, NULL };

/* Which call of the floor failed, for the message. */
static const char *floor_step;

/* The floor's "open": mkdir (it may exist), limits, attach; retried when
 * a concurrent "close" removed the cgroup in between, as pam_memcg does.
 * The writes go through one directory fd: by path, a remove and re-create
 * between two writes would split them over two cgroups (and v1 refuses a
 * memsw limit below the fresh cgroup's unlimited limit_in_bytes). */
static int
floor_open(int mntfd, const char *cg, const char *pid)
{
	int r = -ENOENT;

	for (int tries = 0; tries < 32 && (r == -ENOENT || r == -ENODEV); tries++) {
		int fd;

		floor_step = "mkdir";
		if (mkdirat(mntfd, cg, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			continue;
		}
		floor_step = "open";
		if ((fd = openat(mntfd, cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			r = -errno;
			continue;
		}
		r = 0;
		for (int i = 0; i < g.nlim && r == 0; i++) {
			floor_step = g.lim_file[i];
			r = bench_write_at(fd, g.lim_file[i], g.lim_val[i]);
		}
		if (r == 0) {
			floor_step = "attach";
			r = bench_write_at(fd, "cgroup.procs", pid);
		}
		close(fd);
	}
	return r;
}

static int
floor_close(int mntfd, int origfd, const char *cg, const char *pid)
{
	int r;

	floor_step = "detach";
	if ((r = bench_write_at(origfd, "cgroup.procs", pid)) < 0)
		return r;
	floor_step = "rmdir";
	if (unlinkat(mntfd, cg, AT_REMOVEDIR) < 0 && errno != EBUSY && errno != ENOENT)
		return -errno;
	return 0;
}

static _Noreturn void
worker(long idx, const struct spec *s, int start, uint64_t *lat, struct wstat *ws)
{
	long u = idx % g.nusers;
	char want[PATH_MAX], have[PATH_MAX];
	char c;

	snprintf(want, sizeof(want), "/%s/%s%u", s->parent, s->prefix, (unsigned)g.uids[u]);
	/* Everybody starts when the parent closes the pipe. */
	while (read(start, &c, 1) < 0 && errno == EINTR)
		;
	close(start);
	if (s->floor) {
		char pid[24];
		int mntfd = open(g.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int origfd = mntfd < 0 ? -1 : openat(mntfd, g.orig[0] ? g.orig : ".",
						     O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (origfd < 0)
			_exit(1);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		for (long i = 0; i < g.sessions; i++) {
			uint64_t t0, t1;
			int r;

			t0 = bench_now_ns();
			r = floor_open(mntfd, want + 1, pid);
			t1 = bench_now_ns();
			lat[i] = t1 - t0;
			if (r < 0) {
				if (ws->failures++ == 0)
					ws->first_error = -r;
				fprintf(stderr, "login_storm: kernel floor: %s: %s\n", floor_step, strerror(-r));
			} else if (bench_cgroup_of(0, g.version, have, sizeof(have)) < 0 ||
				   strcmp(have, want) != 0) {
				ws->misplaced++;
			}
			if ((r = floor_close(mntfd, origfd, want + 1, pid)) < 0) {
				if (ws->failures++ == 0)
					ws->first_error = -r;
				fprintf(stderr, "login_storm: kernel floor: %s: %s\n", floor_step, strerror(-r));
			}
			ws->done++;
		}
		_exit(0);
	}
	for (long i = 0; i < g.sessions; i++) {
		pam_handle_t *h = NULL;
		uint64_t t0, t1;
		int r, rc;

		r = pam_start_confdir(s->service, g.names[u], &conv, g.pamdir, &h);
		if (r != PAM_SUCCESS) {
			if (ws->failures++ == 0)
				ws->first_error = r;
			continue;
		}
		t0 = bench_now_ns();
		r = pam_open_session(h, 0);
		t1 = bench_now_ns();
		lat[i] = t1 - t0;
		if (r != PAM_SUCCESS) {
			if (ws->failures++ == 0)
				ws->first_error = r;
		} else if (s->parent[0] != '\0' &&
			   (bench_cgroup_of(0, g.version, have, sizeof(have)) < 0 ||
			    strcmp(have, want) != 0)) {
			ws->misplaced++;
		}
		rc = pam_close_session(h, 0);
		if (rc != PAM_SUCCESS && ws->failures++ == 0)
			ws->first_error = rc;
		pam_end(h, rc);
		ws->done++;
	}
	_exit(0);
}

/* Counts (and with remove, removes) the PREFIX* cgroups below parent. */
static long
user_cgroups(const struct spec *s, bool remove)
{
	char path[PATH_MAX];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", g.mnt, s->parent);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strncmp(de->d_name, s->prefix, strlen(s->prefix)) != 0)
			continue;
		n++;
		if (remove && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
			fprintf(stderr, "login_storm: cannot remove %s/%s: %s\n", path,
				de->d_name, strerror(errno));
	}
	closedir(d);
	return n;
}

static int
run_spec(const struct spec *s)
{
	size_t nlat = (size_t)(g.workers * g.sessions);
	size_t bytes = nlat * sizeof(uint64_t) + (size_t)g.workers * sizeof(struct wstat);
	struct wstat *ws, tot = { 0 };
	uint64_t *lat, t0, t1;
	int start[2], bad = 0;
	long left = 0, started = 0;
	void *shm;
	char leftcol[64];
	double wall;

	shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perror("login_storm: mmap");
		return 2;
	}
	lat = shm;
	ws = (struct wstat *)(lat + nlat);
	if (pipe2(start, O_CLOEXEC) < 0) {
		perror("login_storm: pipe");
		return 2;
	}
	fflush(NULL);
	for (long w = 0; w < g.workers; w++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(start[1]);
			worker(w, s, start[0], lat + w * g.sessions, &ws[w]);
		}
		if (pid < 0) {
			perror("login_storm: fork");
			bad = 1;
			break;
		}
		started++;
	}
	close(start[0]);
	t0 = bench_now_ns();
	close(start[1]);
	for (long w = 0; w < started; w++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	t1 = bench_now_ns();
	wall = (double)(t1 - t0) / 1e9;

	for (long w = 0; w < g.workers; w++) {
		tot.failures += ws[w].failures;
		tot.misplaced += ws[w].misplaced;
		tot.done += ws[w].done;
		if (ws[w].failures && !tot.first_error)
			tot.first_error = ws[w].first_error;
	}
	if (tot.first_error)
		fprintf(stderr, "login_storm: %s: first failure: %s\n", s->label,
			s->floor ? strerror(tot.first_error) : pam_strerror(NULL, tot.first_error));
	if (bad) {
		fprintf(stderr, "login_storm: %s: a worker did not finish cleanly\n", s->label);
		tot.failures++;
	}
	if (s->parent[0] != '\0')
		left = user_cgroups(s, s->keeps);
	if (s->parent[0] == '\0')
		snprintf(leftcol, sizeof(leftcol), "n/a");
	else if (s->keeps)
		snprintf(leftcol, sizeof(leftcol), "%ld kept (never removes; removed by the bench)", left);
	else
		snprintf(leftcol, sizeof(leftcol), "%ld", left);

	{
		uint64_t p50 = bench_percentile(lat, nlat, 50), p99 = bench_percentile(lat, nlat, 99);
		bool fail = tot.failures || tot.misplaced || (s->removes && left);

		char a[32], b[32];

		bench_fmt_ns((double)p50, a, sizeof(a));
		bench_fmt_ns((double)p99, b, sizeof(b));
		printf("| %s | %ld x %ld over %ld users | %.2f s | %.0f | %s | %s | %ld | %ld | %s | %s |\n",
		       s->label, g.workers, g.sessions, g.nusers, wall, (double)tot.done / wall,
		       a, b, tot.failures, tot.misplaced,
		       leftcol, !s->judged ? "info" : fail ? "FAIL" : "PASS");
		fflush(stdout);
		munmap(shm, bytes);
		return s->judged && fail ? 1 : 0;
	}
}

static int
parse_spec(char *arg, struct spec *s)
{
	char *f[5], *p = arg;
	int n;

	memset(s, 0, sizeof(*s));
	/* strsep keeps empty fields (pam_permit has no cgroup). */
	for (n = 0; n < 5 && p != NULL; n++)
		f[n] = strsep(&p, ",");
	if (n != 5 || p != NULL)
		return -EINVAL;
	snprintf(s->label, sizeof(s->label), "%s", f[0]);
	snprintf(s->service, sizeof(s->service), "%s", f[1]);
	snprintf(s->parent, sizeof(s->parent), "%s", f[2]);
	snprintf(s->prefix, sizeof(s->prefix), "%s", f[3]);
	s->removes = strchr(f[4], 'r') != NULL;
	s->keeps = strchr(f[4], 'k') != NULL;
	s->judged = strchr(f[4], 'j') != NULL;
	s->floor = strchr(f[4], 'f') != NULL;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: login_storm -d PAMDIR -M MOUNT -V 1|2 -O RUNNER_CG -u USER_PREFIX -m NUSERS\n"
		"                   -L MAX_BYTES -S SWAP_BYTES -w WORKERS -n SESSIONS_PER_WORKER -s LABEL,SERVICE,CGPARENT,PREFIX,FLAGS...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct spec specs[MAX_SPECS];
	const char *uprefix = NULL;
	int nspecs = 0, opt, rc = 0;
	long n;

	g.workers = 64;
	g.nusers = 16;
	g.sessions = 100;
	while ((opt = getopt(argc, argv, "d:M:V:O:u:m:w:n:s:L:S:")) != -1) {
		switch (opt) {
		case 'd': g.pamdir = optarg; break;
		case 'M': g.mnt = optarg; break;
		case 'O': g.orig = optarg; break;
		case 'u': uprefix = optarg; break;
		case 'V':
			if (bench_parse_long(optarg, 1, 2, &n) < 0)
				usage();
			g.version = (int)n;
			break;
		case 'm':
		case 'w':
		case 'n':
			if (bench_parse_long(optarg, 1, opt == 'm' ? MAX_USERS : opt == 'w' ? MAX_WORKERS : 10000000,
					     &n) < 0)
				usage();
			*(opt == 'm' ? &g.nusers : opt == 'w' ? &g.workers : &g.sessions) = n;
			break;
		case 'L':
		case 'S':
			if (bench_parse_long(optarg, 1024 * 1024, LONG_MAX, &n) < 0)
				usage();
			*(opt == 'L' ? &g.max_bytes : &g.swap_bytes) = (unsigned long long)n;
			break;
		case 's':
			if (nspecs == MAX_SPECS || parse_spec(optarg, &specs[nspecs++]) < 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (!g.pamdir || !g.mnt || !g.version || !g.orig || !uprefix || !nspecs ||
	    !g.max_bytes || !g.swap_bytes || optind != argc)
		usage();
	g.nlim = bench_limits(g.version, g.max_bytes, g.swap_bytes, g.lim_file, g.lim_val);
	for (long i = 0; i < g.nusers; i++) {
		struct passwd *pw;

		snprintf(g.names[i], sizeof(g.names[i]), "%s%ld", uprefix, i + 1);
		if ((pw = getpwnam(g.names[i])) == NULL) {
			fprintf(stderr, "login_storm: no user %s\n", g.names[i]);
			return 2;
		}
		g.uids[i] = pw->pw_uid;
	}
	printf("| module | sessions (workers x each) | wall | sessions/s | open p50 | open p99 | failures | misplaced | left-over cgroups | verdict |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
	for (int i = 0; i < nspecs; i++) {
		int r;

		if (specs[i].parent[0] != '\0' && user_cgroups(&specs[i], false) != 0) {
			fprintf(stderr, "login_storm: %s: user cgroups exist before the storm\n",
				specs[i].label);
			return 2;
		}
		r = run_spec(&specs[i]);
		if (r > rc)
			rc = r;
	}
	return rc;
}
