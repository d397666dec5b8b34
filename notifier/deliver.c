/* Telling users: the per-user rate limit, terminals (from utmp and the
 * controlling terminals of the processes in the user's cgroup), mail through
 * the local MTA, the log line and the metrics file (rewritten at most once
 * per METRICS_INTERVAL_MS).  Nothing here blocks:
 * terminals are written without waiting (ttyq.c keeps what a busy one
 * does not take), sendmail runs as a child that the
 * SIGCHLD handler reaps, killed when it runs past mail_timeout_s. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctty.h"
#include "message.h"
#include "metrics.h"
#include "notifier.h"
#include "utmpsel.h"

#define MAX_TTYS 64

/* Why a terminal was not opened, for the log. */
static const char *
tty_refusal(int r)
{
	return r == -EACCES ? "mesg n" :
	       r == -EPERM ? "owned by someone else" :
	       r == -ENXIO ? "another device than the one the session holds" :
	       r == -ENOTTY ? "not a terminal" : strerror(-r);
}

/* Sessions without a utmp entry of the user (su -l, runuser -l run on the
 * caller's terminal): the controlling terminals of the processes in the
 * user's cgroup (the directory dirfd, rel for the log) and the cgroups
 * below it, except the devices in done (already handled through utmp).
 * Reads at most MC_CTTY_MAX_PIDS pids: /proc reads do not sleep, but a
 * cgroup of many thousand processes must not hold up the loop. */
static void
to_cgroup_ttys(struct nf *nf, uid_t uid, const char *name, int dirfd, const char *rel,
	       const dev_t *done, size_t n_done, const char *text, size_t len)
{
	struct mc_ctty_set *s = NULL;
	int proc = -1, r;

	if ((proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		mc_log(&nf->log, LOG_WARNING, "cannot open /proc: %s; terminals of sessions without a utmp entry not told",
		       strerror(errno));
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	if ((r = mc_ctty_scan_tree(dirfd, proc, MC_CTTY_MAX_PIDS, s)) < 0) {
		if (r != -ENOENT)
			mc_log(&nf->log, LOG_WARNING, "cannot read %s/%s/cgroup.procs: %s; terminals of sessions without a utmp entry not told",
			       nf->h.mnt, rel, strerror(-r));
		goto out;
	}
	if (s->capped)
		mc_log(&nf->log, LOG_INFO, "%s/%s: only the terminals of the first %u processes (in %u cgroups) were looked at",
		       nf->h.mnt, rel, s->pids, s->dirs);
	mc_ctty_drop(s, done, n_done);
	for (size_t i = 0; i < s->n; i++) {
		char path[MC_TTY_PATH];
		int fd;

		if ((r = mc_tty_dev_path(s->t[i].rdev, path, sizeof(path))) < 0) {
			mc_log(&nf->log, LOG_DEBUG, "no device name for terminal %u:%u in %s/%s",
			       major(s->t[i].rdev), minor(s->t[i].rdev), nf->h.mnt, rel);
			continue;
		}
		fd = mc_ctty_open(path, &s->t[i], uid, nf->cfg->notify.ignore_mesg);
		if (fd < 0) {
			mc_log(&nf->log, fd == -EACCES ? LOG_DEBUG : LOG_INFO,
			       "not writing to %s of %s (a controlling terminal in its cgroup): %s",
			       path, name, tty_refusal(fd));
			continue;
		}
		nf_ttyq_write(nf, fd, path, "controlling terminal in its cgroup", name, text, len,
			      nf_now_ms());
	}
out:
	free(s);
	if (proc >= 0)
		close(proc);
}

/* The user's utmp terminals, then the other controlling terminals in their
 * cgroup (the directory dirfd, -1 when it is gone; rel for the log). */
static void
to_ttys(struct nf *nf, uid_t uid, const char *name, int dirfd, const char *rel,
	const char *text, size_t len)
{
	char (*paths)[MC_TTY_PATH] = NULL;
	dev_t done[MAX_TTYS];
	size_t n_done = 0;
	int n;

	if ((paths = calloc(MAX_TTYS, sizeof(*paths))) == NULL)
		return;
	n = mc_utmp_ttys(nf->utmp_path, name, paths, MAX_TTYS);
	if (n < 0)
		mc_log(&nf->log, LOG_WARNING, "cannot read %s: %s; no notice for %s on terminals it lists",
		       nf->utmp_path, strerror(-n), name);
	for (int i = 0; i < n; i++) {
		dev_t rdev;
		int fd = mc_tty_open(paths[i], uid, nf->cfg->notify.ignore_mesg, &rdev);

		/* Someone else's terminal may still be this session's (root's,
		 * under su -l): the cgroup's processes decide that below. */
		if (rdev != 0 && fd != -EPERM)
			done[n_done++] = rdev;
		if (fd < 0) {
			mc_log(&nf->log, fd == -EACCES ? LOG_DEBUG : LOG_INFO,
			       "not writing to %s of %s: %s", paths[i], name, tty_refusal(fd));
			continue;
		}
		nf_ttyq_write(nf, fd, paths[i], "utmp", name, text, len, nf_now_ms());
	}
	free(paths);
	if (dirfd >= 0)
		to_cgroup_ttys(nf, uid, name, dirfd, rel, done, n_done, text, len);
}

static void
spawn_sendmail(struct nf *nf, uid_t uid, const char *to, const char *msg, size_t len)
{
	static char a0[] = "sendmail", a1[] = "-t", a2[] = "-oi";
	static char e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *argv[] = { a0, a1, a2, NULL };
	char *envp[] = { e0, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int p[2], r;
	pid_t pid;
	ssize_t w;

	if (nf->n_children >= MAX_CHILDREN) {
		mc_log(&nf->log, LOG_ERR, "%u sendmail processes are still running; no mail to %s",
		       nf->n_children, to);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		mc_log(&nf->log, LOG_ERR, "pipe for sendmail: %s", strerror(errno));
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, nf->cfg->notify.sendmail, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[0]);
	if (r != 0) {
		mc_log(&nf->log, LOG_ERR, "cannot run %s to mail %s: %s", nf->cfg->notify.sendmail,
		       to, strerror(r));
		close(p[1]);
		return;
	}
	/* Reaped by nf_reap; killed by nf_mail_due if it hangs. */
	nf->children[nf->n_children++] = (struct mail_child){
		.pid = pid, .uid = uid,
		.kill_at = nf_now_ms() + (uint64_t)nf->mail_timeout_s * 1000,
	};
	/* An empty pipe takes a whole notice; never wait for a slow MTA. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	w = write(p[1], msg, len);
	if (w < 0 || (size_t)w < len)
		mc_log(&nf->log, LOG_ERR, "%s (pid %ld) did not take the whole mail to %s: %s",
		       nf->cfg->notify.sendmail, (long)pid, to,
		       w < 0 ? strerror(errno) : "short write");
	close(p[1]);
	mc_log(&nf->log, LOG_DEBUG, "mailing %s through %s (pid %ld)", to,
	       nf->cfg->notify.sendmail, (long)pid);
}

static void
to_mail(struct nf *nf, const char *name, const struct mc_msg *m, const struct mc_summary *s)
{
	char body[4096], subject[256], msg[6144];
	struct mc_mail mail;
	int r;

	r = s ? mc_msg_format_summary(m, s, "\n", body, sizeof(body))
	      : mc_msg_format(m, "\n", body, sizeof(body));
	if (r < 0)
		return;
	mc_msg_subject(m, s, subject, sizeof(subject));
	mail = (struct mc_mail){ .from = nf->cfg->notify.mail_from, .to = name,
				 .subject = subject, .date = m->when, .body = body };
	if ((r = mc_mail_build(&mail, msg, sizeof(msg))) < 0) {
		mc_log(&nf->log, LOG_WARNING, "no mail for uid %u: %s", (unsigned)m->uid,
		       r == -EINVAL ? "the user name is not a plain mail address" : strerror(-r));
		return;
	}
	spawn_sendmail(nf, m->uid, name, msg, (size_t)r);
}

/* Sends an event (s == NULL) or a summary to u's terminals and mailbox,
 * as their settings say; w is the watch of their cgroup, NULL when there
 * is none. */
static void
send_notice(struct nf *nf, const struct user *u, const struct watch *w,
	    const struct mc_msg *m, const struct mc_summary *s)
{
	char text[4096], rel[PATH_MAX];
	int r;

	if (u->name == NULL || u->name[0] == '\0')
		return;
	if (u->tty && nf->cfg->notify.tty) {
		r = s ? mc_msg_format_summary(m, s, "\r\n", text, sizeof(text))
		      : mc_msg_format(m, "\r\n", text, sizeof(text));
		if (r > 0)
			to_ttys(nf, m->uid, u->name, w != NULL ? w->dirfd : -1,
				w != NULL ? nf_watch_rel(nf, w, rel) : "", text, (size_t)r);
	}
	if (u->mail && nf->cfg->notify.mail)
		to_mail(nf, u->name, m, s);
}

static void
fill_msg(struct nf *nf, struct mc_msg *m, uid_t uid, const char *name, const char *cgroup,
	 const struct mc_cg_stats *st, bool have)
{
	memset(m, 0, sizeof(*m));
	m->host = nf->host;
	m->when = time(NULL);
	m->user = name;
	m->uid = uid;
	m->cgroup = cgroup;
	m->limit = have ? st->max : MC_UNLIMITED;
	m->usage = have ? st->current : 0;
	m->peak = have ? st->peak : 0;
	m->have_peak = have && st->have_peak;
}

void
nf_deliver(struct nf *nf, struct watch *w, const struct mc_event *ev)
{
	struct user *u = w->user;
	struct mc_cg_stats st;
	struct mc_msg m;
	char line[1024], cgroup[PATH_MAX * 2], rel[PATH_MAX];
	uint64_t now = nf_now_ms();
	bool have;

	if (!w->gone && mc_cg_stats_at(nf->h.version, w->dirfd, &st) == 0) {
		w->last = st;
		w->have_last = true;
	}
	st = w->last;
	have = w->have_last;
	nf_watch_rel(nf, w, rel);
	/* The CPU and task figures, for the metrics and tasks_max's notice. */
	if (!w->gone)
		(void)mc_cg_cpu_stats(&nf->hs, rel, &u->cpu);
	snprintf(cgroup, sizeof(cgroup), "%s/%s", nf->h.mnt, rel);
	fill_msg(nf, &m, u->uid, u->name, cgroup, &st, have);
	m.ev = *ev;
	m.warn_at = u->warn_at;
	m.have_tasks = u->cpu.have_pids;
	m.tasks = u->cpu.tasks;
	m.tasks_max = u->cpu.tasks_max;
	if (mc_msg_logline(&m, line, sizeof(line)) >= 0)
		mc_log(&nf->log, ev->kind == MC_EV_WARN ? LOG_NOTICE : LOG_WARNING, "%s", line);
	u->last = st;
	u->have_last = have;
	u->events[ev->kind]++;
	if (ev->kind != MC_EV_NOKILL && ev->kind != MC_EV_WARN && ev->kind != MC_EV_TASKS)
		u->kills += ev->count ? ev->count : 1;
	if (mc_rl_offer(&u->rl, now, m.when, (uint64_t)nf->cfg->notify.rate_limit * 1000,
			ev->kind) == MC_RL_SEND)
		send_notice(nf, u, w->gone ? NULL : w, &m, NULL);
	else
		mc_log(&nf->log, LOG_DEBUG, "uid %u: held back by rate_limit for the summary",
		       (unsigned)u->uid);
	nf_metrics_dirty(nf);
}

void
nf_summaries(struct nf *nf, uint64_t now)
{
	for (size_t i = 0; i < nf->n_users; i++) {
		struct user *u = nf->users[i];
		struct watch *w;
		struct mc_summary s;
		struct mc_msg m;
		struct mc_cg_stats st;
		char cgroup[PATH_MAX * 2] = "", rel[PATH_MAX];
		uint64_t dl = mc_rl_deadline(&u->rl);
		unsigned total = 0;

		if (dl == 0 || dl > now)
			continue;
		if (!mc_rl_expire(&u->rl, now, (uint64_t)nf->cfg->notify.rate_limit * 1000, &s))
			continue;
		w = nf_find_watch(nf, u->uid);
		if (w != NULL && mc_cg_stats_at(nf->h.version, w->dirfd, &st) == 0) {
			u->last = st;
			u->have_last = true;
		}
		if (w != NULL)
			snprintf(cgroup, sizeof(cgroup), "%s/%s", nf->h.mnt, nf_watch_rel(nf, w, rel));
		fill_msg(nf, &m, u->uid, u->name, cgroup, &u->last, u->have_last);
		if (w != NULL)
			(void)mc_cg_cpu_stats(&nf->hs, nf_watch_rel(nf, w, rel), &u->cpu);
		m.have_tasks = u->cpu.have_pids;
		m.tasks = u->cpu.tasks;
		m.tasks_max = u->cpu.tasks_max;
		for (int k = 0; k < MC_EV_N; k++)
			total += s.count[k];
		mc_log(&nf->log, LOG_NOTICE, "summary: user %s (uid %u): %u more events held back by rate_limit",
		       u->name ? u->name : "?", (unsigned)u->uid, total);
		send_notice(nf, u, w, &m, &s);
	}
}

uint64_t
nf_summary_deadline(const struct nf *nf)
{
	uint64_t next = nf->metrics_at;

	for (unsigned i = 0; i < nf->n_children; i++) {
		uint64_t d = nf->children[i].kill_at;

		if (d != 0 && (next == 0 || d < next))
			next = d;
	}

	for (size_t i = 0; i < nf->n_users; i++) {
		uint64_t d = mc_rl_deadline(&nf->users[i]->rl);

		if (d != 0 && (next == 0 || d < next))
			next = d;
	}
	return next;
}

void
nf_mail_due(struct nf *nf, uint64_t now)
{
	for (unsigned i = 0; i < nf->n_children; i++) {
		struct mail_child *c = &nf->children[i];

		if (c->kill_at == 0 || c->kill_at > now)
			continue;
		c->kill_at = 0;
		/* Our own child, not reaped yet: its pid is still its own. */
		if (kill(c->pid, SIGKILL) < 0)
			mc_log(&nf->log, LOG_ERR, "cannot kill sendmail (pid %ld, mail to uid %u): %s",
			       (long)c->pid, (unsigned)c->uid, strerror(errno));
		else
			mc_log(&nf->log, LOG_ERR, "sendmail (pid %ld, mail to uid %u) did not finish within %u s; killed",
			       (long)c->pid, (unsigned)c->uid, nf->mail_timeout_s);
	}
}

void
nf_reap(struct nf *nf)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (unsigned i = 0; i < nf->n_children; i++) {
			if (nf->children[i].pid == pid) {
				nf->children[i] = nf->children[--nf->n_children];
				break;
			}
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			mc_log(&nf->log, LOG_DEBUG, "sendmail (pid %ld) done", (long)pid);
		else if (WIFEXITED(status))
			mc_log(&nf->log, LOG_ERR, "sendmail (pid %ld) failed with exit status %d",
			       (long)pid, WEXITSTATUS(status));
		else
			mc_log(&nf->log, LOG_ERR, "sendmail (pid %ld) was killed by signal %d",
			       (long)pid, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
}

/* Opens a new file next to path for writing: a random name, created here
 * (O_EXCL: no symlink, FIFO or file planted at the name is ever opened),
 * mode 0644 whatever the umask.  Its name goes into tmp (PATH_MAX bytes).
 * Returns the fd or a negative errno. */
static int
open_tmp_beside(const char *path, char *tmp)
{
	struct stat sb;
	int fd, r;

	if (snprintf(tmp, PATH_MAX, "%s.XXXXXX", path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || fstat(fd, &sb) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(tmp);
	return r;
}

/* Rewrites the metrics file from the numbers read at each user's last
 * event (no cgroup is read here: the cost is one format and one write). */
static void
write_metrics(struct nf *nf)
{
	const char *path = nf->cfg->notify.metrics_file;
	struct mc_metric_user *mu = NULL;
	char *buf = NULL, tmp[PATH_MAX];
	size_t cap;
	int fd, len;
	bool ok;

	if (path == NULL || path[0] == '\0')
		return;
	cap = 4096 + nf->n_users * 2048;
	if ((mu = calloc(nf->n_users + 1, sizeof(*mu))) == NULL || (buf = malloc(cap)) == NULL) {
		mc_log(&nf->log, LOG_ERR, "out of memory: metrics file %s not written", path);
		goto out;
	}
	for (size_t i = 0; i < nf->n_users; i++) {
		const struct user *u = nf->users[i];

		mu[i].uid = u->uid;
		mu[i].user = u->name;
		if (u->have_last && nf_find_watch(nf, u->uid) != NULL) {
			mu[i].have_cgroup = true;
			mu[i].limit = u->last.max;
			mu[i].usage = u->last.current;
			mu[i].peak = u->last.peak;
			mu[i].have_peak = u->last.have_peak;
			mu[i].have_tasks = u->cpu.have_pids;
			mu[i].tasks = u->cpu.tasks;
			mu[i].tasks_max = u->cpu.tasks_max;
			mu[i].have_cpu_usage = u->cpu.have_usage;
			mu[i].cpu_usage_us = u->cpu.usage_us;
			mu[i].cpu_throttled_us = u->cpu.throttled_us;
			mu[i].have_cpu_quota = u->cpu.have_cpu;
			mu[i].cpu_quota_us = u->cpu.quota_us;
		}
		memcpy(mu[i].events, u->events, sizeof(mu[i].events));
		mu[i].oom_kills = u->kills;
	}
	if ((len = mc_metrics_format(mu, nf->n_users, buf, cap)) < 0)
		goto out;
	if ((fd = open_tmp_beside(path, tmp)) < 0) {
		mc_log(&nf->log, LOG_ERR, "cannot create a temporary file beside the metrics file %s: %s",
		       path, strerror(-fd));
		goto out;
	}
	ok = write(fd, buf, (size_t)len) == len;
	if (close(fd) < 0)
		ok = false;
	/* rename() makes the new file appear whole or not at all. */
	if (!ok || rename(tmp, path) < 0) {
		mc_log(&nf->log, LOG_ERR, "cannot write the metrics file %s: %s", path,
		       strerror(errno));
		unlink(tmp);
		goto out;
	}
	mc_log(&nf->log, LOG_DEBUG, "metrics file %s written (%zu users)", path, nf->n_users);
out:
	free(buf);
	free(mu);
}

void
nf_metrics_dirty(struct nf *nf)
{
	const char *path = nf->cfg->notify.metrics_file;

	if (path != NULL && path[0] != '\0' && nf->metrics_at == 0)
		nf->metrics_at = nf_now_ms() + METRICS_INTERVAL_MS;
}

void
nf_metrics_due(struct nf *nf, uint64_t now)
{
	if (nf->metrics_at == 0 || nf->metrics_at > now)
		return;
	nf->metrics_at = 0;
	write_metrics(nf);
}
