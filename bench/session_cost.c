/* Session cost: open+close of one PAM session, timed in-process around
 * pam_open_session/pam_close_session only, for pam_permit, pam_memcg (memory
 * only, and with cpu_max and tasks_max too), libcgroup's pam_cgroup and the
 * same cgroupfs syscalls done directly.
 * bench/run.sh sets up users, services and cgroups and calls this. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "bench.h"

#define MAX_ROUNDS 100
#define MAX_LIMITS BENCH_MAX_LIMITS
/* v1: the cpu, cpuacct and pids hierarchies when mounted apart. */
#define MAX_EXTRA 3

struct user {
	const char *name;
	uid_t uid;
	gid_t gid;
};

enum kind { K_PAM, K_FLOOR };
enum module { M_PERMIT, M_MEMCG, M_PCG, M_FLOOR };

struct variant {
	const char *name;		/* for -v */
	const char *label;
	const char *what;		/* which case, for the table */
	enum kind kind;
	enum module module;
	const char *service;
	const struct user *user;
	bool create;			/* the session creates (and pam_memcg removes) it */
	bool budgets;			/* cpu_max and tasks_max too: every hierarchy */
	char cg[PATH_MAX];		/* the session's cgroup, relative to the mount */
	char leaf[64];			/* its last component (floor) */
	char limit_path[MAX_LIMITS][96];/* floor: "<leaf>/<file>" */
	char procs_path[96];
	uint64_t *samples;
	size_t nsamples;
	double round_med[MAX_ROUNDS], round_mean[MAX_ROUNDS];
	long failures, misplaced, leftover;
	bool enabled;
};

/* A hierarchy other than the memory one that the budgets' sessions join
 * (v1), with the runner's cgroup in it. */
struct extra {
	const char *ctrl;		/* the controller that names its line in /proc/PID/cgroup */
	const char *mnt;
	const char *orig;		/* the runner's cgroup there, relative to mnt */
	int mntfd, origfd;
};

static struct {
	const char *pamdir, *mnt, *orig, *base;
	int version;
	long iter, warmup, rounds;
	unsigned long long max_bytes, swap_bytes;
	int mntfd, origfd, floorfd;
	/* The budgets' rows (-b): their cgroup_parent, the same below every
	 * mount, and the limits the bench checks were written. */
	const char *bparent;
	long quota_us, tasks;
	struct extra extra[MAX_EXTRA];
	int nextra;
	char pid[24];
	const char *lim_file[MAX_LIMITS];
	char lim_val[MAX_LIMITS][32];
	int nlim;
	bool no_pcg;
	const char *only;		/* -v: comma-separated variant names */
} g = { .mntfd = -1, .origfd = -1, .floorfd = -1 };

static struct pam_conv conv = { bench_conv, NULL };

/* Write ends of the holders' control pipes, closed in every new child so
 * that each holder sees EOF when (and only when) we close its pipe. */
static int holder_fds[4];
static int n_holder_fds;

static void
die(const char *what, int err)
{
	fprintf(stderr, "session_cost: %s: %s\n", what, strerror(err));
	exit(2);
}

static int
lookup(const char *name, struct user *u)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return -ENOENT;
	u->name = name;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

/* Is this process in cgroup rel (relative to the mount)? */
static bool
in_cgroup(const char *rel)
{
	char have[PATH_MAX], want[PATH_MAX];

	if (bench_cgroup_of(0, g.version, have, sizeof(have)) < 0)
		return false;
	snprintf(want, sizeof(want), "/%s", rel);
	return strcmp(have, want) == 0;
}

/* Is this process in cgroup rel of every extra hierarchy (rel NULL: in
 * the runner's own there)? */
static bool
in_extras(const char *rel)
{
	char have[PATH_MAX], want[PATH_MAX];

	for (int i = 0; i < g.nextra; i++) {
		if (bench_cgroup_in(0, g.version, g.extra[i].ctrl, have, sizeof(have)) < 0)
			return false;
		snprintf(want, sizeof(want), "/%s", rel ? rel : g.extra[i].orig);
		if (strcmp(have, want) != 0)
			return false;
	}
	return true;
}

/* Where a session of v must have put this process: its cgroup in every
 * hierarchy it joins. */
static bool
placed(const struct variant *v)
{
	return in_cgroup(v->cg) && (!v->budgets || in_extras(v->cg));
}

/* Does v's cgroup exist in any hierarchy it uses? */
static bool
cg_exists(const struct variant *v)
{
	if (faccessat(g.mntfd, v->cg, F_OK, 0) == 0)
		return true;
	for (int i = 0; v->budgets && i < g.nextra; i++)
		if (faccessat(g.extra[i].mntfd, v->cg, F_OK, 0) == 0)
			return true;
	return false;
}

/* Removes v's cgroup wherever it is (what a session left behind). */
static void
cg_remove(const struct variant *v)
{
	(void)unlinkat(g.mntfd, v->cg, AT_REMOVEDIR);
	for (int i = 0; v->budgets && i < g.nextra; i++)
		(void)unlinkat(g.extra[i].mntfd, v->cg, AT_REMOVEDIR);
}

static void
move_home(void)
{
	int r = bench_write_at(g.origfd, "cgroup.procs", g.pid);

	if (r < 0)
		die("cannot move back to the runner's cgroup", -r);
}

static void
move_home_all(void)
{
	move_home();
	for (int i = 0; i < g.nextra; i++) {
		int r = bench_write_at(g.extra[i].origfd, "cgroup.procs", g.pid);

		if (r < 0)
			die("cannot move back to the runner's cgroup in an extra hierarchy", -r);
	}
}

/* The directory fd of the mount that carries controller ctrl: an extra
 * hierarchy's, or the memory one's (v2, or co-mounted with memory). */
static int
ctrl_fd(const char *ctrl)
{
	for (int i = 0; i < g.nextra; i++)
		if (strcmp(g.extra[i].ctrl, ctrl) == 0)
			return g.extra[i].mntfd;
	return g.mntfd;
}

/* Whether file of cgroup rel (below the mount of ctrl) says want, first
 * line; what it says instead goes to stderr. */
static bool
file_says(const char *ctrl, const char *rel, const char *file, const char *want)
{
	char path[PATH_MAX], have[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", rel, file);
	fd = openat(ctrl_fd(ctrl), path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "session_cost: cannot open %s (%s hierarchy): %s\n", path, ctrl,
			strerror(errno));
		return false;
	}
	n = read(fd, have, sizeof(have) - 1);
	close(fd);
	have[n > 0 ? n : 0] = '\0';
	have[strcspn(have, "\n")] = '\0';
	if (strcmp(have, want) == 0)
		return true;
	fprintf(stderr, "session_cost: %s (%s hierarchy) says \"%s\", not \"%s\"\n", path, ctrl,
		have, want);
	return false;
}

/* That the budgets' session put all three limits on the user's cgroup
 * (checked once, on the held session's): the row measures them or fails. */
static bool
budgets_written(const struct variant *v)
{
	char max[32], quota[48], tasks[32];
	bool ok;

	snprintf(max, sizeof(max), "%llu", g.max_bytes);
	snprintf(tasks, sizeof(tasks), "%ld", g.tasks);
	if (g.version == 2) {
		snprintf(quota, sizeof(quota), "%ld 100000", g.quota_us);
		ok = file_says("memory", v->cg, "memory.max", max);
		ok = file_says("cpu", v->cg, "cpu.max", quota) && ok;
	} else {
		snprintf(quota, sizeof(quota), "%ld", g.quota_us);
		ok = file_says("memory", v->cg, "memory.limit_in_bytes", max);
		ok = file_says("cpu", v->cg, "cpu.cfs_period_us", "100000") && ok;
		ok = file_says("cpu", v->cg, "cpu.cfs_quota_us", quota) && ok;
	}
	return file_says("pids", v->cg, "pids.max", tasks) && ok;
}

/* --- the held session: another session of the user, alive throughout ---- */

struct holder {
	pid_t pid;
	int ctl;
};

static _Noreturn void
holder_main(const struct variant *v, int ready, int ctl)
{
	const struct user *u = v->user;
	pam_handle_t *h = NULL;
	int r, up[2];
	pid_t gc;
	char c;

	if (pam_start_confdir(v->service, u->name, &conv, g.pamdir, &h) != PAM_SUCCESS)
		_exit(1);
	r = pam_open_session(h, 0);
	if (r != PAM_SUCCESS || !placed(v)) {
		(void)!write(ready, r != PAM_SUCCESS ? "F" : "M", 1);
		_exit(1);
	}
	/* The user's own process (a shell, in a real login), kept in the
	 * cgroup until we are told to end. */
	if (pipe(up) < 0)
		_exit(1);
	gc = fork();
	if (gc == 0) {
		close(up[0]);
		if (setgroups(0, NULL) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0)
			_exit(1);
		(void)!write(up[1], "U", 1);
		close_range(0, ~0U, 0);
		for (;;)
			pause();
	}
	close(up[1]);
	if (gc < 0 || read(up[0], &c, 1) != 1) {
		(void)!write(ready, "U", 1);
		_exit(1);
	}
	close(up[0]);
	(void)!write(ready, "R", 1);
	close(ready);
	while (read(ctl, &c, 1) < 0 && errno == EINTR)
		;
	kill(gc, SIGKILL);
	waitpid(gc, NULL, 0);
	r = pam_close_session(h, 0);
	pam_end(h, r);
	_exit(r == PAM_SUCCESS ? 0 : 1);
}

static int
holder_start(const struct variant *v, struct holder *hd)
{
	int ready[2], ctl[2];
	pid_t pid;
	char c = 0;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (int i = 0; i < n_holder_fds; i++)
			close(holder_fds[i]);
		close(ready[0]);
		close(ctl[1]);
		holder_main(v, ready[1], ctl[0]);
	}
	close(ready[1]);
	close(ctl[0]);
	if (read(ready[0], &c, 1) != 1 || c != 'R') {
		fprintf(stderr, "session_cost: the held %s session of %s did not start (%c)\n",
			v->service, v->user->name, c ? c : '-');
		close(ready[0]);
		close(ctl[1]);
		waitpid(pid, NULL, 0);
		return -EIO;
	}
	close(ready[0]);
	hd->pid = pid;
	hd->ctl = ctl[1];
	holder_fds[n_holder_fds++] = ctl[1];
	return 0;
}

static int
holder_stop(struct holder *hd)
{
	int status = 0;

	if (hd->pid <= 0)
		return 0;
	close(hd->ctl);
	waitpid(hd->pid, &status, 0);
	hd->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* --- the measured loops --------------------------------------------------- */

/* What a session leaves behind that the next one must not find. */
static void
after_pam(struct variant *v)
{
	if (v->module == M_PCG) {
		/* pam_cgroup's close does nothing: leave its cgroup ourselves,
		 * and remove it so that the next session creates it again. */
		move_home();
		if (v->create && unlinkat(g.mntfd, v->cg, AT_REMOVEDIR) < 0)
			v->leftover++;
		return;
	}
	if (v->module != M_MEMCG)
		return;
	if (!in_cgroup(g.orig) || (v->budgets && !in_extras(NULL))) {
		v->misplaced++;
		move_home_all();
	}
	if (v->create && cg_exists(v)) {
		v->leftover++;
		cg_remove(v);
	}
}

static void
run_pam(struct variant *v, long count, bool record)
{
	for (long i = 0; i < count; i++) {
		pam_handle_t *h = NULL;
		uint64_t t0, t1, t2, t3;
		int r, rc;

		r = pam_start_confdir(v->service, v->user->name, &conv, g.pamdir, &h);
		if (r != PAM_SUCCESS)
			die("pam_start_confdir", EINVAL);
		t0 = bench_now_ns();
		r = pam_open_session(h, 0);
		t1 = bench_now_ns();
		if (r != PAM_SUCCESS)
			v->failures++;
		else if (v->module != M_PERMIT && !placed(v))
			v->misplaced++;
		t2 = bench_now_ns();
		rc = pam_close_session(h, 0);
		t3 = bench_now_ns();
		if (rc != PAM_SUCCESS)
			v->failures++;
		pam_end(h, rc);
		after_pam(v);
		if (record)
			v->samples[v->nsamples++] = (t1 - t0) + (t3 - t2);
	}
}

/* The cgroupfs work pam_memcg's session amounts to, and nothing else:
 * create: mkdir, limit writes, attach, detach, rmdir; existing: limit
 * writes, attach, detach.  Directory fds are opened once, outside. */
static int
floor_once(const struct variant *v)
{
	int r;

	if (v->create && mkdirat(g.floorfd, v->leaf, 0755) < 0)
		return -errno;
	for (int i = 0; i < g.nlim; i++)
		if ((r = bench_write_at(g.floorfd, v->limit_path[i], g.lim_val[i])) < 0)
			return r;
	if ((r = bench_write_at(g.floorfd, v->procs_path, g.pid)) < 0)
		return r;
	if ((r = bench_write_at(g.origfd, "cgroup.procs", g.pid)) < 0)
		return r;
	if (v->create && unlinkat(g.floorfd, v->leaf, AT_REMOVEDIR) < 0)
		return -errno;
	return 0;
}

static void
run_floor(struct variant *v, long count, bool record)
{
	for (long i = 0; i < count; i++) {
		uint64_t t0, t1;
		int r;

		t0 = bench_now_ns();
		r = floor_once(v);
		t1 = bench_now_ns();
		if (r < 0) {
			if (v->failures++ == 0)
				fprintf(stderr, "session_cost: floor (%s): %s\n", v->what, strerror(-r));
			move_home();
			if (v->create)
				(void)unlinkat(g.floorfd, v->leaf, AT_REMOVEDIR);
		}
		if (record)
			v->samples[v->nsamples++] = t1 - t0;
	}
}

/* --- output ----------------------------------------------------------------- */

/* The median over rounds of a per-round statistic. */
static double
over_rounds(const double *per_round)
{
	double m[MAX_ROUNDS];

	memcpy(m, per_round, sizeof(double) * (size_t)g.rounds);
	return bench_median(m, (size_t)g.rounds);
}

static void
us(double ns, char *buf, size_t len)
{
	bench_fmt_ns(ns, buf, len);
}

/* One target row: ratio = above[num] / above[den] on the medians, met
 * when <= limit (or >= limit with at_least); the same ratio on the means
 * beside it.  n/a unless both variants and pam_permit ran. */
static void
target(const char *what, const struct variant *v, const double *above, const double *above_mean,
       int num, int den, double limit, bool at_least, const char *note)
{
	double ratio;

	if (!v[num].enabled || !v[den].enabled || !v[0].enabled) {
		printf("| %s | n/a | n/a | n/a | not run |\n", what);
		return;
	}
	ratio = above[num] / above[den];
	printf("| %s | %.2fx | %s | %.2fx | %s |\n", what, ratio,
	       (at_least ? ratio >= limit : ratio <= limit) ? "PASS" : "MISS",
	       above_mean[num] / above_mean[den], note);
}

/* The budgets' rows against the memory-only ones of the same case: whole
 * open+close and above pam_permit, on the medians and on the means. */
static void
budgets_table(const struct variant *v, const double *med, const double *above,
	      const double *above_mean, int b_ex, int mc_ex, int b_cr, int mc_cr)
{
	const int pair[2][2] = { { b_ex, mc_ex }, { b_cr, mc_cr } };
	const char *what[2] = { "existing cgroup", "create + remove" };

	printf("\n| with cpu_max and tasks_max too vs memory only | per open+close (medians) | ratio | above pam_permit | ratio | ratio on means (above pam_permit) |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (int k = 0; k < 2; k++) {
		int b = pair[k][0], m = pair[k][1];
		char x[32], y[32], xa[32], ya[32];

		if (!v[b].enabled || !v[m].enabled || !v[0].enabled) {
			printf("| %s | not run | | | | |\n", what[k]);
			continue;
		}
		us(med[b], x, sizeof(x));
		us(med[m], y, sizeof(y));
		us(above[b], xa, sizeof(xa));
		us(above[m], ya, sizeof(ya));
		printf("| %s | %s vs %s | %.2fx | %s vs %s | %.2fx | %.2fx |\n", what[k], x, y,
		       med[b] / med[m], xa, ya, above[b] / above[m], above_mean[b] / above_mean[m]);
	}
}

static bool
listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: session_cost -d PAMDIR -M MOUNT -V 1|2 -O RUNNER_CG -B BENCH_CG\n"
		"                    -e USER_EXISTING -c USER_CREATE -L MAX_BYTES -S SWAP_BYTES\n"
		"                    [-b BUDGETS_PARENT -E USER_EXISTING -C USER_CREATE\n"
		"                     -q CPU_QUOTA_US -t TASKS_MAX [-H CTRL:MOUNT:RUNNER_CG]...]\n"
		"                    [-n ITER] [-w WARMUP] [-r ROUNDS] [-P] [-v VARIANT,...]\n"
		"variants: permit memcg-existing budgets-existing memcg-create budgets-create\n"
		"          pcg-existing pcg-create floor-existing floor-create\n"
		"          (-P: none of pam_cgroup's; without -b: none of the budgets')\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *ue_name = NULL, *uc_name = NULL, *be_name = NULL, *bc_name = NULL;
	struct user ue, uc, be = { 0 }, bc = { 0 };
	struct holder hold_memcg = { 0 }, hold_budgets = { 0 }, hold_pcg = { 0 };
	struct variant v[9];
	enum { PERMIT, MC_EX, B_EX, MC_CR, B_CR, PCG_EX, PCG_CR, FL_EX, FL_CR, NV };
	char b_ex_what[128], b_cr_what[128];
	long n;
	int opt, rc = 0;

	g.iter = 2000;
	g.warmup = 200;
	g.rounds = 5;
	while ((opt = getopt(argc, argv, "d:M:V:O:B:e:c:L:S:n:w:r:Pv:b:E:C:q:t:H:")) != -1) {
		switch (opt) {
		case 'd': g.pamdir = optarg; break;
		case 'M': g.mnt = optarg; break;
		case 'O': g.orig = optarg; break;
		case 'B': g.base = optarg; break;
		case 'e': ue_name = optarg; break;
		case 'c': uc_name = optarg; break;
		case 'P': g.no_pcg = true; break;
		case 'v': g.only = optarg; break;
		case 'b': g.bparent = optarg; break;
		case 'E': be_name = optarg; break;
		case 'C': bc_name = optarg; break;
		case 'q':
		case 't':
			if (bench_parse_long(optarg, 1, 100000000, &n) < 0)
				usage();
			*(opt == 'q' ? &g.quota_us : &g.tasks) = n;
			break;
		case 'H': {
			/* CTRL:MOUNT:RUNNER_CG; the runner's cgroup last, as it
			 * may hold a colon. */
			char *c1 = strchr(optarg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

			if (c2 == NULL || g.nextra == MAX_EXTRA)
				usage();
			*c1 = *c2 = '\0';
			g.extra[g.nextra++] = (struct extra){ .ctrl = optarg, .mnt = c1 + 1,
				.orig = c2 + 1, .mntfd = -1, .origfd = -1 };
			break;
		}
		case 'V':
			if (bench_parse_long(optarg, 1, 2, &n) < 0)
				usage();
			g.version = (int)n;
			break;
		case 'L':
		case 'S':
			if (bench_parse_long(optarg, 1024 * 1024, LONG_MAX, &n) < 0)
				usage();
			*(opt == 'L' ? &g.max_bytes : &g.swap_bytes) = (unsigned long long)n;
			break;
		case 'n':
		case 'w':
		case 'r':
			if (bench_parse_long(optarg, opt == 'w' ? 0 : 1,
					     opt == 'r' ? MAX_ROUNDS : 100000000, &n) < 0)
				usage();
			*(opt == 'n' ? &g.iter : opt == 'w' ? &g.warmup : &g.rounds) = n;
			break;
		default:
			usage();
		}
	}
	if (!g.pamdir || !g.mnt || !g.version || !g.orig || !g.base || !ue_name || !uc_name ||
	    !g.max_bytes || !g.swap_bytes || optind != argc)
		usage();
	if (g.bparent && (!be_name || !bc_name || !g.quota_us || !g.tasks))
		usage();
	if (lookup(ue_name, &ue) < 0 || lookup(uc_name, &uc) < 0)
		die("unknown user", ENOENT);
	if (g.bparent && (lookup(be_name, &be) < 0 || lookup(bc_name, &bc) < 0))
		die("unknown user", ENOENT);

	snprintf(g.pid, sizeof(g.pid), "%ld", (long)getpid());
	if ((g.mntfd = open(g.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(g.mnt, errno);
	g.origfd = openat(g.mntfd, g.orig[0] ? g.orig : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.origfd < 0)
		die("the runner's cgroup", errno);
	if (!in_cgroup(g.orig))
		die("this process is not in the runner's cgroup given by -O", EINVAL);
	for (int i = 0; i < g.nextra; i++) {
		struct extra *x = &g.extra[i];

		if ((x->mntfd = open(x->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			die(x->mnt, errno);
		x->origfd = openat(x->mntfd, x->orig[0] ? x->orig : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (x->origfd < 0)
			die("the runner's cgroup in an extra hierarchy", errno);
	}
	if (!in_extras(NULL))
		die("this process is not in the runner's cgroups given by -H", EINVAL);

	g.nlim = bench_limits(g.version, g.max_bytes, g.swap_bytes, g.lim_file, g.lim_val);

	memset(v, 0, sizeof(v));
	v[PERMIT] = (struct variant){ .name = "permit", .label = "pam_permit", .what = "PAM framework floor",
		.kind = K_PAM, .module = M_PERMIT, .service = "permit", .user = &ue };
	v[MC_EX] = (struct variant){ .name = "memcg-existing", .label = "pam_memcg", .what = "existing cgroup",
		.kind = K_PAM, .module = M_MEMCG, .service = "memcg", .user = &ue };
	v[MC_CR] = (struct variant){ .name = "memcg-create", .label = "pam_memcg", .what = "create + remove",
		.kind = K_PAM, .module = M_MEMCG, .service = "memcg", .user = &uc, .create = true };
	/* The same memory limits with a CPU quota and a task limit: a cgroup
	 * in every hierarchy of memory, cpu, cpuacct and pids. */
	snprintf(b_ex_what, sizeof(b_ex_what),
		 "existing cgroup; + cpu_max %.3g, tasks_max %ld (%d hierarch%s)",
		 (double)g.quota_us / 100000.0, g.tasks, 1 + g.nextra, g.nextra ? "ies" : "y");
	snprintf(b_cr_what, sizeof(b_cr_what),
		 "create + remove; + cpu_max %.3g, tasks_max %ld (%d hierarch%s)",
		 (double)g.quota_us / 100000.0, g.tasks, 1 + g.nextra, g.nextra ? "ies" : "y");
	v[B_EX] = (struct variant){ .name = "budgets-existing", .label = "pam_memcg", .what = b_ex_what,
		.kind = K_PAM, .module = M_MEMCG, .service = "budgets", .user = &be, .budgets = true };
	v[B_CR] = (struct variant){ .name = "budgets-create", .label = "pam_memcg", .what = b_cr_what,
		.kind = K_PAM, .module = M_MEMCG, .service = "budgets", .user = &bc, .create = true,
		.budgets = true };
	v[PCG_EX] = (struct variant){ .name = "pcg-existing", .label = "pam_cgroup", .what = "existing cgroup",
		.kind = K_PAM, .module = M_PCG, .service = "pcg", .user = &ue };
	v[PCG_CR] = (struct variant){ .name = "pcg-create", .label = "pam_cgroup", .what = "create (removal untimed, see notes)",
		.kind = K_PAM, .module = M_PCG, .service = "pcg", .user = &uc, .create = true };
	v[FL_EX] = (struct variant){ .name = "floor-existing", .label = "kernel floor", .what = "existing cgroup",
		.kind = K_FLOOR, .module = M_FLOOR, .user = &ue };
	v[FL_CR] = (struct variant){ .name = "floor-create", .label = "kernel floor", .what = "create + remove",
		.kind = K_FLOOR, .module = M_FLOOR, .user = &uc, .create = true };
	for (int i = 0; i < NV; i++) {
		const char *dir = v[i].module == M_PCG ? "pcg" : v[i].module == M_FLOOR ? "floor" : "memcg";
		const char *pfx = v[i].module == M_PCG ? "u" : "user-";

		v[i].enabled = !(g.no_pcg && v[i].module == M_PCG) &&
			       !(g.bparent == NULL && v[i].budgets) &&
			       (g.only == NULL || listed(g.only, v[i].name));
		snprintf(v[i].leaf, sizeof(v[i].leaf), "%s%u", pfx, (unsigned)v[i].user->uid);
		if (v[i].budgets)
			snprintf(v[i].cg, sizeof(v[i].cg), "%s/%s", g.bparent ? g.bparent : "-",
				 v[i].leaf);
		else
			snprintf(v[i].cg, sizeof(v[i].cg), "%s/%s/%s", g.base, dir, v[i].leaf);
		for (int l = 0; l < g.nlim; l++)
			snprintf(v[i].limit_path[l], sizeof(v[i].limit_path[l]), "%s/%s",
				 v[i].leaf, g.lim_file[l]);
		snprintf(v[i].procs_path, sizeof(v[i].procs_path), "%s/cgroup.procs", v[i].leaf);
		v[i].samples = calloc((size_t)(g.iter * g.rounds), sizeof(uint64_t));
		if (v[i].samples == NULL)
			die("calloc", ENOMEM);
	}

	/* Set-up: the floor's parent (and its existing cgroup), and one held
	 * session of the "existing" user for each module. */
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/floor", g.base);
		if ((g.floorfd = openat(g.mntfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			die(p, errno);
		if (mkdirat(g.floorfd, v[FL_EX].leaf, 0755) < 0 && errno != EEXIST)
			die("mkdir floor cgroup", errno);
	}
	for (int i = 0; i < NV; i++)
		if (v[i].enabled && v[i].create && cg_exists(&v[i]))
			die("a cgroup the create case must create exists already", EEXIST);
	if (v[MC_EX].enabled && holder_start(&v[MC_EX], &hold_memcg) < 0) {
		rc = 2;
		goto out;
	}
	if (v[B_EX].enabled && holder_start(&v[B_EX], &hold_budgets) < 0) {
		rc = 2;
		goto out;
	}
	if (v[B_EX].enabled && !budgets_written(&v[B_EX])) {
		fprintf(stderr, "session_cost: the budgets' session did not write the limits it should\n");
		rc = 2;
		goto out;
	}
	if (v[PCG_EX].enabled && holder_start(&v[PCG_EX], &hold_pcg) < 0) {
		rc = 2;
		goto out;
	}

	/* Rounds: every variant in turn, so that drift hits all alike. */
	for (long r = 0; r < g.rounds; r++) {
		for (int i = 0; i < NV; i++) {
			size_t first;
			uint64_t sum = 0;

			if (!v[i].enabled)
				continue;
			if (v[i].kind == K_PAM)
				run_pam(&v[i], g.warmup, false);
			else
				run_floor(&v[i], g.warmup, false);
			first = v[i].nsamples;
			if (v[i].kind == K_PAM)
				run_pam(&v[i], g.iter, true);
			else
				run_floor(&v[i], g.iter, true);
			for (size_t k = first; k < v[i].nsamples; k++)
				sum += v[i].samples[k];
			v[i].round_mean[r] = (double)sum / (double)(v[i].nsamples - first);
			{
				size_t cnt = v[i].nsamples - first;
				uint64_t *copy = malloc(cnt * sizeof(uint64_t));

				if (copy == NULL)
					die("malloc", ENOMEM);
				memcpy(copy, v[i].samples + first, cnt * sizeof(uint64_t));
				v[i].round_med[r] = (double)bench_percentile(copy, cnt, 50);
				free(copy);
			}
		}
		fprintf(stderr, "session_cost: round %ld/%ld done\n", r + 1, g.rounds);
	}

	/* The table. */
	{
		double med[NV], mean[NV], above[NV] = { 0 }, above_mean[NV] = { 0 };
		char a[32], b[32], c[32], d[32], e[32];

		for (int i = 0; i < NV; i++) {
			med[i] = v[i].enabled ? over_rounds(v[i].round_med) : 0;
			mean[i] = v[i].enabled ? over_rounds(v[i].round_mean) : 0;
			above[i] = v[i].kind == K_FLOOR ? med[i] : med[i] - med[PERMIT];
			above_mean[i] = v[i].kind == K_FLOOR ? mean[i] : mean[i] - mean[PERMIT];
		}
		printf("| module | case | per open+close | above pam_permit | mean | p99 | round medians | failures | misplaced | left over |\n");
		printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
		for (int i = 0; i < NV; i++) {
			double lo = 1e300, hi = 0;

			if (!v[i].enabled) {
				printf("| %s | %s | not run | | | | | | | |\n", v[i].label, v[i].what);
				continue;
			}
			for (long r = 0; r < g.rounds; r++) {
				lo = v[i].round_med[r] < lo ? v[i].round_med[r] : lo;
				hi = v[i].round_med[r] > hi ? v[i].round_med[r] : hi;
			}
			us(med[i], a, sizeof(a));
			if (i == PERMIT)
				snprintf(b, sizeof(b), "-");
			else if (v[i].kind == K_FLOOR)
				snprintf(b, sizeof(b), "(no PAM)");
			else
				us(above[i], b, sizeof(b));
			us(mean[i], c, sizeof(c));
			us((double)bench_percentile(v[i].samples, v[i].nsamples, 99), d, sizeof(d));
			snprintf(e, sizeof(e), "%.1f-%.1f us", lo / 1000.0, hi / 1000.0);
			printf("| %s | %s | %s | %s | %s | %s | %s | %ld | %ld | %ld |\n", v[i].label,
			       v[i].what, a, b, c, d, e, v[i].failures, v[i].misplaced, v[i].leftover);
			if (v[i].failures || v[i].misplaced || (v[i].leftover && v[i].module != M_PCG))
				rc = 1;
		}
		printf("\n| target | measured (medians) | verdict | on means | note |\n| --- | ---: | --- | ---: | --- |\n");
		target("pam_memcg above pam_permit <= 1.5x kernel floor, existing cgroup",
		       v, above, above_mean, MC_EX, FL_EX, 1.5, false, "(pam_memcg - pam_permit) / floor");
		target("pam_memcg above pam_permit <= 1.5x kernel floor, create + remove",
		       v, above, above_mean, MC_CR, FL_CR, 1.5, false, "(pam_memcg - pam_permit) / floor");
		target("pam_memcg >= 10x cheaper than pam_cgroup (above pam_permit), existing cgroup",
		       v, above, above_mean, PCG_EX, MC_EX, 10, true,
		       "(pam_cgroup - pam_permit) / (pam_memcg - pam_permit)");
		{
			char note[160] = "same ratio";

			if (v[PCG_CR].enabled && v[FL_CR].enabled && v[PERMIT].enabled)
				snprintf(note, sizeof(note),
					 "same ratio; a module costing exactly the kernel floor would reach %.2fx",
					 above[PCG_CR] / above[FL_CR]);
			target("pam_memcg >= 10x cheaper than pam_cgroup (above pam_permit), create",
			       v, above, above_mean, PCG_CR, MC_CR, 10, true, note);
		}
		budgets_table(v, med, above, above_mean, B_EX, MC_EX, B_CR, MC_CR);
	}

out:
	if (holder_stop(&hold_memcg) < 0 || holder_stop(&hold_budgets) < 0 ||
	    holder_stop(&hold_pcg) < 0) {
		fprintf(stderr, "session_cost: a held session did not close cleanly\n");
		rc = rc ? rc : 1;
	}
	/* pam_memcg removed its cgroups; the rest are ours to remove. */
	{
		char p[PATH_MAX];

		(void)unlinkat(g.floorfd, v[FL_EX].leaf, AT_REMOVEDIR);
		if (!g.no_pcg)
			(void)unlinkat(g.mntfd, v[PCG_EX].cg, AT_REMOVEDIR);
		snprintf(p, sizeof(p), "%s/memcg/%s", g.base, v[MC_EX].leaf);
		if (faccessat(g.mntfd, p, F_OK, 0) == 0) {
			fprintf(stderr, "session_cost: %s left behind after the held session closed\n", p);
			(void)unlinkat(g.mntfd, p, AT_REMOVEDIR);
			rc = rc ? rc : 1;
		}
		if (v[B_EX].enabled && cg_exists(&v[B_EX])) {
			fprintf(stderr, "session_cost: %s left behind after the held session closed\n",
				v[B_EX].cg);
			cg_remove(&v[B_EX]);
			rc = rc ? rc : 1;
		}
	}
	return rc;
}
