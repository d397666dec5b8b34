/* Where pam_memcg's session time goes: the steps pam_sm_open_session and
 * pam_sm_close_session take (pam_memcg/pam_memcg.c), called one by one
 * through lib/ and timed each on its own, plus the NSS calls inside the
 * user look-up.  Keep the step list in step with pam_memcg.c. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

#include "account.h"
#include "bench.h"
#include "cgroup.h"
#include "config.h"
#include "log.h"
#include "rules.h"
#include "systemd.h"

enum step {
	S_ACCOUNT, S_CONFIG, S_GROUPS, S_DECIDE, S_BACKEND, S_HIER_OPEN, S_JOIN, S_FREE,
	S_HIER_CLOSE, S_WHERE, S_DETACH, S_REMOVE, S_HCLOSE2,
	S_NSS_PW, S_NSS_GRNAM, S_NSS_GROUPLIST, S_NSS_GRNAMES, S_RAM, S_SELF_CGROUP,
	S_MOUNTINFO_READ, NSTEPS
};

static const char *const step_name[NSTEPS] = {
	[S_ACCOUNT] = "open: user look-up (mc_account_by_name)",
	[S_CONFIG] = "open: RAM size, config load + parse (mc_ram_bytes, mc_config_load)",
	[S_GROUPS] = "open: groups the rules name (mc_account_load_groups)",
	[S_DECIDE] = "open: rule resolution (mc_decide)",
	[S_BACKEND] = "open: which backend (mc_backend_resolve)",
	[S_HIER_OPEN] = "open: find the hierarchy and this process's cgroup (mc_hier_find_self)",
	[S_JOIN] = "open: join: walk, mkdir, limits, attach (mc_cg_join)",
	[S_FREE] = "open: free config and account",
	[S_HIER_CLOSE] = "close: open the hierarchy open found (mc_hier_open)",
	[S_WHERE] = "close: who is in the user's cgroup (mc_cg_occupancy)",
	[S_DETACH] = "close: move back (mc_cg_attach)",
	[S_REMOVE] = "close: rmdir, waiting for exiting processes when no live one was seen (mc_cg_remove_user)",
	[S_HCLOSE2] = "close: close the hierarchy",
	[S_NSS_PW] = "inside the look-up: getpwnam_r",
	[S_NSS_GRNAM] = "inside the groups: getgrnam_r of each group the config names (group_lookup = members)",
	[S_NSS_GROUPLIST] = "for comparison: getgrouplist (group_lookup = initgroups)",
	[S_NSS_GRNAMES] = "for comparison: getgrgid_r for each of those groups",
	[S_RAM] = "inside the config step: mc_ram_bytes",
	[S_SELF_CGROUP] = "inside hier_find_self: read /proc/self/cgroup only",
	[S_MOUNTINFO_READ] = "for comparison: read /proc/self/mountinfo only (the slow path)",
};

static uint64_t *samples[2][NSTEPS];
static size_t nsamples[2][NSTEPS];

static void
quiet(void *ctx, int prio, const char *line)
{
	(void)ctx;
	fprintf(stderr, "breakdown: <%d> %s\n", prio, line);
}

static void
conf_err(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "breakdown: %s:%d: %s\n", file, line, msg);
}

static void
rec(int c, enum step s, uint64_t t0, uint64_t t1)
{
	samples[c][s][nsamples[c][s]++] = t1 - t0;
}

/* One session's worth of the module's steps; returns 0 or -1. */
static int
one(int c, const char *conf, const char *user, bool record)
{
	struct mc_log log = { .emit = quiet };
	struct mc_errsink errs = { .fn = conf_err };
	struct mc_account acct = { 0 };
	struct mc_config *cfg = NULL;
	struct mc_hier h = { .rootfd = -1 };
	struct mc_decision d;
	enum mc_backend backend;
	struct mc_cg_occupancy occ;
	char orig[PATH_MAX], mine[PATH_MAX], parent[PATH_MAX];
	char mnt[PATH_MAX], mnt_root[PATH_MAX];
	uint64_t t[16], ram;
	int r = -1, version;
	uid_t uid;

	t[0] = bench_now_ns();
	if (mc_account_by_name(user, &acct) < 0)
		goto out;
	t[1] = bench_now_ns();
	ram = mc_ram_bytes();
	if (mc_config_load(conf, ram, &errs, &cfg) < 0)
		goto out;
	t[2] = bench_now_ns();
	if (mc_account_load_groups(&acct, cfg) < 0)
		goto out;
	t[3] = bench_now_ns();
	mc_decide(cfg, &acct.user, ram, &d);
	if (d.exempt != MC_NOT_EXEMPT)
		goto out;
	t[4] = bench_now_ns();
	if (mc_backend_resolve(cfg->cgroup_backend, &backend, &log) < 0 ||
	    backend != MC_BACKEND_CGROUPFS)
		goto out;
	t[5] = bench_now_ns();
	if (mc_hier_find_self(cfg->cgroup_version, &h, orig, sizeof(orig), &log) < 0)
		goto out;
	t[6] = bench_now_ns();
	if (mc_cg_join(&h, cfg->cgroup_parent, acct.uid, &d.limits, getpid(), &log, NULL) < 0)
		goto out;
	t[7] = bench_now_ns();
	/* What the module keeps for close_session. */
	version = h.version;
	uid = acct.uid;
	snprintf(parent, sizeof(parent), "%s", cfg->cgroup_parent);
	snprintf(mnt, sizeof(mnt), "%s", h.mnt);
	snprintf(mnt_root, sizeof(mnt_root), "%s", h.mnt_root);
	mc_user_cgroup(parent, uid, mine, sizeof(mine));
	mc_hier_close(&h);
	mc_config_free(cfg);
	cfg = NULL;
	mc_account_free(&acct);
	t[8] = bench_now_ns();

	t[9] = bench_now_ns();
	if (mc_hier_open(mnt, mnt_root, version, true, &h) < 0)
		goto out;
	t[10] = bench_now_ns();
	if (mc_cg_occupancy(&h, mine, getpid(), &occ) < 0 || !occ.has_pid)
		goto out;
	t[11] = bench_now_ns();
	if (mc_cg_attach(&h, orig, getpid()) < 0)
		goto out;
	t[12] = bench_now_ns();
	(void)mc_cg_remove_user(&h, parent, uid, !occ.others_live);
	t[13] = bench_now_ns();
	mc_hier_close(&h);
	t[14] = bench_now_ns();
	if (record) {
		for (int s = S_ACCOUNT; s <= S_FREE; s++)
			rec(c, (enum step)s, t[s], t[s + 1]);
		for (int s = S_HIER_CLOSE; s <= S_HCLOSE2; s++)
			rec(c, (enum step)s, t[s + 1], t[s + 2]);
	}
	r = 0;
out:
	mc_hier_close(&h);
	mc_config_free(cfg);
	mc_account_free(&acct);
	return r;
}

/* Reads a file to its end, as a reader that wants all of it would. */
static void
read_through(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	while (fd >= 0 && read(fd, buf, len) > 0)
		;
	if (fd >= 0)
		close(fd);
}

/* The NSS calls and the smaller pieces, on their own. */
static void
pieces(int c, const char *user, const struct mc_config *cfg)
{
	char buf[16384];
	struct passwd pw, *pwr;
	struct group gr, *grr;
	gid_t gids[256];
	int n = 256;
	uint64_t t0, t1;

	t0 = bench_now_ns();
	getpwnam_r(user, &pw, buf, sizeof(buf), &pwr);
	t1 = bench_now_ns();
	rec(c, S_NSS_PW, t0, t1);
	if (pwr == NULL)
		return;
	t0 = bench_now_ns();
	for (size_t i = 0; i < cfg->n_exempt_groups + cfg->n_groups; i++)
		getgrnam_r(i < cfg->n_exempt_groups ? cfg->exempt_groups[i]
			   : cfg->groups[i - cfg->n_exempt_groups].name,
			   &gr, buf, sizeof(buf), &grr);
	t1 = bench_now_ns();
	rec(c, S_NSS_GRNAM, t0, t1);
	t0 = bench_now_ns();
	getgrouplist(user, pw.pw_gid, gids, &n);
	t1 = bench_now_ns();
	rec(c, S_NSS_GROUPLIST, t0, t1);
	t0 = bench_now_ns();
	for (int i = 0; i < n; i++)
		getgrgid_r(gids[i], &gr, buf, sizeof(buf), &grr);
	t1 = bench_now_ns();
	rec(c, S_NSS_GRNAMES, t0, t1);
	t0 = bench_now_ns();
	(void)mc_ram_bytes();
	t1 = bench_now_ns();
	rec(c, S_RAM, t0, t1);
	t0 = bench_now_ns();
	read_through("/proc/self/cgroup", buf, sizeof(buf));
	t1 = bench_now_ns();
	rec(c, S_SELF_CGROUP, t0, t1);
	t0 = bench_now_ns();
	read_through("/proc/self/mountinfo", buf, sizeof(buf));
	t1 = bench_now_ns();
	rec(c, S_MOUNTINFO_READ, t0, t1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: breakdown -c CONF -M MOUNT -e USER_EXISTING -x EXISTING_CG -u USER_CREATE [-n ITER]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *mnt = NULL, *ue = NULL, *uc = NULL, *excg = NULL;
	long iter = 2000, n;
	int opt, rc = 0, pfd[2];
	pid_t held = -1;
	struct mc_config *pcfg = NULL;
	char c;

	while ((opt = getopt(argc, argv, "c:M:e:x:u:n:")) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'M': mnt = optarg; break;
		case 'e': ue = optarg; break;
		case 'x': excg = optarg; break;
		case 'u': uc = optarg; break;
		case 'n':
			if (bench_parse_long(optarg, 1, 10000000, &n) < 0)
				usage();
			iter = n;
			break;
		default:
			usage();
		}
	}
	if (!conf || !mnt || !ue || !uc || !excg || optind != argc)
		usage();
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < NSTEPS; s++)
			if ((samples[k][s] = calloc((size_t)iter, sizeof(uint64_t))) == NULL)
				return 2;

	/* The existing case: a process kept in the user's cgroup. */
	{
		char path[PATH_MAX], pid[24];
		int r;

		snprintf(path, sizeof(path), "%s/%s", mnt, excg);
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			return 2;
		}
		if (pipe(pfd) < 0)
			return 2;
		held = fork();
		if (held == 0) {
			close(pfd[1]);
			(void)!read(pfd[0], &c, 1);
			_exit(0);
		}
		close(pfd[0]);
		snprintf(pid, sizeof(pid), "%ld", (long)held);
		snprintf(path, sizeof(path), "%s/%s/cgroup.procs", mnt, excg);
		if ((r = bench_write_at(AT_FDCWD, path, pid)) < 0) {
			fprintf(stderr, "breakdown: %s: %s\n", path, strerror(-r));
			rc = 2;
			goto out;
		}
	}

	{
		struct mc_errsink errs = { .fn = conf_err };

		if (mc_config_load(conf, 0, &errs, &pcfg) < 0) {
			rc = 2;
			goto out;
		}
	}
	for (long i = 0; i < iter + iter / 10; i++) {
		bool record = i >= iter / 10;

		for (int k = 0; k < 2; k++) {
			if (one(k, conf, k == 0 ? ue : uc, record) < 0) {
				fprintf(stderr, "breakdown: a step failed\n");
				rc = 1;
				goto out;
			}
			if (record)
				pieces(k, k == 0 ? ue : uc, pcfg);
		}
	}

	printf("| step | existing cgroup: p50 | create + remove: p50 |\n| --- | ---: | ---: |\n");
	{
		double tot[2] = { 0, 0 };

		for (int s = 0; s < NSTEPS; s++) {
			double p[2];

			for (int k = 0; k < 2; k++) {
				p[k] = (double)bench_percentile(samples[k][s], nsamples[k][s], 50) / 1000.0;
				if (s <= S_HCLOSE2)
					tot[k] += p[k];
			}
			if (s == S_NSS_PW)
				printf("| **sum of the steps above** | **%.1f us** | **%.1f us** |\n",
				       tot[0], tot[1]);
			printf("| %s | %.1f us | %.1f us |\n", step_name[s], p[0], p[1]);
		}
	}
out:
	if (held > 0) {
		char path[PATH_MAX];

		close(pfd[1]);
		waitpid(held, NULL, 0);
		snprintf(path, sizeof(path), "%s/%s", mnt, excg);
		rmdir(path);
	}
	mc_config_free(pcfg);
	return rc;
}
