/* The watches' life cycle: user cgroups appearing and disappearing under
 * cgroup_parent, or user.slice with the systemd backend (inotify), each
 * watched from its user's look-up to its removal, and those that could not
 * be watched for want of fds tried again.  The events of a watch are
 * check.c's, its warn_at warn.c's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "account.h"
#include "cgfs.h"
#include "memfiles.h"
#include "notifier.h"
#include "sanitize.h"

/* Waits before trying again a user cgroup that could not be watched. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define MEMFILES_RETRY_MS 50	/* first look again at a cgroup without memory files */

static void mark_gone(struct nf *nf, struct watch *w, bool say);

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A user cgroup that could not be watched for want of fds, inotify
 * watches or memory: its user would get no notice until the cgroup is made
 * anew, so try again later (sooner when a removal frees fds).  Logged once;
 * the tries after that only at debug level. */
static void
retry_later(struct nf *nf, const char *what, const char *rel, int r)
{
	uint64_t now = nf_now_ms();

	mc_log(&nf->log, nf->retrying ? LOG_DEBUG : LOG_ERR, "cannot %s %s/%s: %s; will try again",
	       what, nf->h.mnt, rel, strerror(-r));
	if (nf->retry_ms == 0)
		nf->retry_ms = RETRY_MIN_MS;
	if (nf->retry_at == 0 || nf->retry_at > now + nf->retry_ms)
		nf->retry_at = now + nf->retry_ms;
}

/* A user cgroup whose directory is there but not its memory files: on v2
 * a cgroup made below a parent that does not (yet) give its children the
 * memory controller has none until the parent does, and pam_memcg turns
 * it on just before or after it makes the cgroup.  Watched at the next
 * retry, without an error. */
static void
memfiles_later(struct nf *nf, const char *rel)
{
	uint64_t now = nf_now_ms();

	mc_log(&nf->log, LOG_DEBUG, "%s/%s has no %s yet (no memory controller); will look again",
	       nf->h.mnt, rel, mc_memfiles(nf->h.version)->events);
	if (nf->retry_ms == 0)
		nf->retry_ms = MEMFILES_RETRY_MS;
	if (nf->retry_at == 0 || nf->retry_at > now + nf->retry_ms)
		nf->retry_at = now + nf->retry_ms;
}

/* Whether a watch failed because its cgroup was removed meanwhile (not
 * worth a word: the removal is the news).  ENOENT from a file is not
 * that: the directory decides. */
static bool
vanished(struct nf *nf, const char *rel, int r)
{
	int fd;

	if (r == -ENODEV)
		return true;
	fd = mc_cg_open_dir(&nf->h, rel);
	if (fd >= 0)
		close(fd);
	return fd == -ENOENT;
}

/* (Re)arms w's warn_at; one that failed for want of fds or memory is
 * tried again with the cgroups. */
static void
arm_warn(struct nf *nf, struct watch *w)
{
	char rel[PATH_MAX];
	int r = nf_warn_arm(nf, w);

	if (r < 0)
		retry_later(nf, "arm warn_at on", nf_watch_rel(nf, w, rel), r);
}

/* Records in uid's user record what its look-up found (acct NULL: NSS
 * does not know it) and the settings the rules give it.  Returns the
 * record, or NULL without memory. */
static struct user *
record_user(struct nf *nf, uid_t uid, const struct mc_account *acct)
{
	struct user *u = nf_user(nf, uid);
	struct mc_decision d;
	struct mc_limits lim;
	bool exempt = false;

	if (u == NULL)
		return NULL;
	if (acct != NULL) {
		mc_decide(nf->cfg, &acct->user, nf->ram, &d);
		exempt = d.exempt != MC_NOT_EXEMPT;
		lim = d.limits;
	} else {
		/* Nobody to write to; the log and the metrics still count. */
		mc_rule_limits(&nf->cfg->def, nf->ram, &lim);
		lim.tty = lim.mail = false;
	}
	if (acct == NULL || u->name == NULL || strcmp(u->name, acct->name) != 0) {
		free(u->name);
		u->name = acct != NULL ? strdup(acct->name) : NULL;
	}
	u->known = true;
	u->exempt = exempt;
	u->tty = lim.tty;
	u->mail = lim.mail;
	u->warn_at = lim.warn_at;
	u->tasks_max = mc_limits_use_pids(&lim);
	return u;
}

/* Frees w, which is in neither nf->watches nor the table by uid. */
static void
free_watch(struct nf *nf, struct watch *w)
{
	nf_epoll_close(nf, &w->efd);
	nf_epoll_close(nf, &w->psi_fd);
	nf_tasks_unwatch(nf, w);
	close_fd(&w->dirfd);
	if (w->events_wd >= 0)
		inotify_rm_watch(nf->inofd, w->events_wd);
	if (w->limit_wd >= 0)
		inotify_rm_watch(nf->inofd, w->limit_wd);
	if (w->pop_wd >= 0)
		inotify_rm_watch(nf->inofd, w->pop_wd);
	free(w->victims);
	free(w);
}

/* v2, cgroupfs backend: watches cgroup.events of w's cgroup rel, whose
 * "populated" goes to 0 when its last process exits (nf_remove_if_empty).
 * Without it the cgroup is removed at the user's next logout, as on v1. */
static void
watch_populated(struct nf *nf, struct watch *w, const char *rel)
{
	char path[PATH_MAX * 2];

	if (snprintf(path, sizeof(path), "%s/%s/cgroup.events", nf->h.mnt, rel) >= (int)sizeof(path))
		return;
	w->pop_wd = inotify_add_watch(nf->inofd, path, IN_MODIFY | IN_DONT_FOLLOW);
	if (w->pop_wd < 0)
		mc_log(&nf->log, LOG_INFO, "cannot watch %s: %s; the cgroup is removed at the user's next logout once empty",
		       path, strerror(errno));
}

/* Room in nf->unresolved for one more uid; false: look it up now. */
static bool
unresolved_room(struct nf *nf)
{
	size_t cap;
	uid_t *n;

	if (nf->n_unresolved < nf->cap_unresolved)
		return true;
	cap = nf->cap_unresolved ? nf->cap_unresolved * 2 : 1024;
	if ((n = realloc(nf->unresolved, cap * sizeof(*n))) == NULL)
		return false;
	nf->unresolved = n;
	nf->cap_unresolved = cap;
	return true;
}

/* The rest of watching w, once its user is looked up. */
static void
finish_watch(struct nf *nf, struct watch *w)
{
	char rel[PATH_MAX], path[PATH_MAX * 2], shown[4 * 64 + 8];

	w->resolved = true;
	nf_watch_rel(nf, w, rel);
	/* pam_memcg writes the limits just after mkdir, and again at later
	 * logins: warn_at's threshold follows the writes. */
	if (snprintf(path, sizeof(path), "%s/%s/%s", nf->h.mnt, rel,
		     mc_memfiles(nf->h.version)->limit) < (int)sizeof(path))
		w->limit_wd = inotify_add_watch(nf->inofd, path, IN_CLOSE_WRITE | IN_MODIFY |
						IN_DONT_FOLLOW);
	/* The numbers are read when a notice needs them, and here only for
	 * warn_at's threshold (arm_warn reads them then). */
	arm_warn(nf, w);
	/* NSS names are data: shown sanitised, as everywhere. */
	mc_sanitize_str(w->user->name ? w->user->name : "unknown", shown, sizeof(shown), 0);
	mc_log(&nf->log, LOG_INFO, "watching %s/%s (uid %u, user %s)", nf->h.mnt, rel,
	       (unsigned)w->user->uid, shown);
}

static void
add_watch(struct nf *nf, uid_t uid)
{
	struct watch *w;
	struct user *u;
	char rel[PATH_MAX], path[PATH_MAX * 2];
	bool defer, known;
	int r;

	if (nf_find_watch(nf, uid) != NULL)
		return;
	/* The paths are derived from the uid later on: they must fit. */
	if (mc_layout_user_cgroup(&nf->lay, uid, rel, sizeof(rel)) < 0 ||
	    snprintf(path, sizeof(path), "%s/%s", nf->kroot, rel) >= PATH_MAX)
		return;
	if ((u = nf_user(nf, uid)) == NULL || (w = calloc(1, sizeof(*w))) == NULL) {
		mc_log(&nf->log, LOG_ERR, "out of memory watching uid %u", (unsigned)uid);
		return;
	}
	w->user = u;
	w->dirfd = w->efd = w->psi_fd = w->events_wd = w->limit_wd = w->pop_wd = -1;
	w->pids_dirfd = w->pids_wd = -1;
	w->efd_src = (struct src){ SRC_OOM, w };
	w->psi_src = (struct src){ SRC_PSI, w };
	/* A user seen before is told at once from their record; the look-up
	 * (always: groups and rules may have changed) only refreshes it.
	 * logind makes a slice for every user, root and exempt users too;
	 * pam_memcg limits only the others: with the systemd backend an
	 * exempt user's slice is not watched (one not known yet is, until its
	 * look-up says).  The cgroupfs backend's cgroups are all limited. */
	known = u->known;
	if (known && u->exempt && nf->backend == MC_BACKEND_SYSTEMD) {
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: uid %u is exempt; not watched", nf->h.mnt,
		       rel, (unsigned)uid);
		free_watch(nf, w);
		return;
	}
	defer = !known && nf->backend == MC_BACKEND_CGROUPFS && nf->deferring &&
		nf->n_watches >= RESOLVE_AT_START && unresolved_room(nf);
	/* The directory stays open: every read of the cgroup goes through
	 * it.  Whatever the counters say now is old news: the baseline. */
	if ((r = w->dirfd = mc_cg_open_dir(&nf->h, rel)) < 0 ||
	    (r = nf_read_counters(nf, w, &w->base)) < 0) {
		bool had_dir = w->dirfd >= 0;

		if (w->dirfd < 0)
			w->dirfd = -1;
		if (vanished(nf, rel, r))
			mc_log(&nf->log, LOG_DEBUG, "%s/%s: gone before it was watched (%s)", nf->h.mnt,
			       rel, strerror(-r));
		else if (had_dir && r == -ENOENT)
			memfiles_later(nf, rel);
		else
			retry_later(nf, "read the counters of", rel, r);
		free_watch(nf, w);
		return;
	}
	if (nf->h.version == 1) {
		r = nf_v1_oom_efd(w->dirfd);
		if (r >= 0) {
			w->efd = r;
			w->efd_gen = ++nf->efd_gen;
			r = nf_epoll_add(nf, w->efd, EPOLLIN, &w->efd_src);
		}
	} else {
		if (snprintf(path, sizeof(path), "%s/%s/%s", nf->h.mnt, rel,
			     mc_memfiles(2)->events) >= (int)sizeof(path))
			r = -ENAMETOOLONG;
		else if ((r = inotify_add_watch(nf->inofd, path, IN_MODIFY | IN_DONT_FOLLOW)) >= 0)
			w->events_wd = r;
		else
			r = -errno;
		if (r >= 0 && nf->backend == MC_BACKEND_CGROUPFS && !nf->keep_empty)
			watch_populated(nf, w, rel);
	}
	if (r < 0) {
		if (!vanished(nf, rel, r))
			retry_later(nf, "watch for OOM events", rel, r);
		free_watch(nf, w);
		return;
	}
	if (nf_watch_link(nf, w) < 0) {
		retry_later(nf, "watch for OOM events", rel, -ENOMEM);
		free_watch(nf, w);
		return;
	}
	nf_tasks_watch(nf, w);
	if (nf->batch_open && !known) {
		w->in_batch = true;
		nf->batch_pending++;
	}
	mc_log(&nf->log, LOG_DEBUG, "%s/%s: new; uid %u %s", nf->h.mnt, rel, (unsigned)uid,
	       defer ? "looked up later" : known ? "known" : "being looked up");
	if (defer) {
		nf->unresolved[nf->n_unresolved++] = uid;
		return;
	}
	if (known)
		finish_watch(nf, w);
	nf_lookup_want(nf, uid);
}

static void
drop_unresolved(struct nf *nf)
{
	free(nf->unresolved);
	nf->unresolved = NULL;
	nf->n_unresolved = nf->cap_unresolved = nf->next_unresolved = 0;
}

/* A start or reload has what it asked for: every look-up it made is
 * answered (or its cgroup gone).  Its thresholds are all queued then. */
static void
batch_check(struct nf *nf)
{
	if (!nf->batch_open || nf->deferring || nf->batch_pending != 0 ||
	    nf->next_unresolved < nf->n_unresolved)
		return;
	nf->batch_open = false;
	if (nf->n_unresolved != 0)
		mc_log(&nf->log, LOG_INFO, "looked up the users of the %zu user cgroups watched first, %.2f s after the start",
		       nf->n_unresolved, (double)(nf_now_ms() - nf->resolve_from_ms) / 1000.0);
	drop_unresolved(nf);
	nf_thr_batch(nf, false);
}

/* w's look-up counted for the start or reload is answered, or moot. */
static void
batch_done(struct nf *nf, struct watch *w)
{
	if (!w->in_batch)
		return;
	w->in_batch = false;
	nf->batch_pending--;
	batch_check(nf);
}

bool
nf_watch_resolve(struct nf *nf, size_t max)
{
	size_t done = 0;

	while (nf->next_unresolved < nf->n_unresolved && done < max) {
		struct watch *w = nf_find_watch(nf, nf->unresolved[nf->next_unresolved++]);

		if (w != NULL && !w->resolved) {
			nf_lookup_want(nf, w->user->uid);
			done++;
		}
	}
	batch_check(nf);
	return nf->next_unresolved < nf->n_unresolved;
}

void
nf_watch_looked_up(struct nf *nf, uid_t uid, int r, int groups_r,
		   const struct mc_account *acct)
{
	struct user *u;
	struct watch *w;
	char rel[PATH_MAX];

	if (r < 0 && r != -ENOENT) {
		/* Out of fds or memory, or NSS failing: nothing learnt, the
		 * record stays as it was; a watch without one tries again. */
		if ((u = nf_user(nf, uid)) != NULL)
			u->lookup_pending = false;
		if ((w = nf_find_watch(nf, uid)) == NULL)
			return;
		if (!w->resolved)
			retry_later(nf, "look up the user of", nf_watch_rel(nf, w, rel), r);
		else
			mc_log(&nf->log, LOG_WARNING, "cannot look up uid %u again: %s; its settings stay",
			       (unsigned)uid, strerror(-r));
		batch_done(nf, w);
		return;
	}
	if (groups_r < 0)
		mc_log(&nf->log, LOG_WARNING, "cannot look up the groups of uid %u: %s; group rules may not apply",
		       (unsigned)uid, strerror(-groups_r));
	if ((u = record_user(nf, uid, acct)) == NULL) {
		mc_log(&nf->log, LOG_ERR, "out of memory: the look-up of uid %u is lost", (unsigned)uid);
		return;
	}
	u->lookup_pending = false;
	if ((w = nf_find_watch(nf, uid)) == NULL)
		return;
	if (u->exempt && nf->backend == MC_BACKEND_SYSTEMD) {
		/* Not watched after all (a known exempt user's never is). */
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: uid %u is exempt; not watched", nf->h.mnt,
		       nf_watch_rel(nf, w, rel), (unsigned)uid);
		batch_done(nf, w);
		mark_gone(nf, w, false);
		return;
	}
	if (!w->resolved)
		finish_watch(nf, w);
	else
		arm_warn(nf, w);
	nf_tasks_recheck(nf, w);
	batch_done(nf, w);
	/* A check that waited for the name goes on as if it began now. */
	if (w->lookup_wait) {
		w->lookup_wait = false;
		if (w->deadline_ms > nf_now_ms() + CHECK_WAIT_MS)
			w->deadline_ms = nf_now_ms() + CHECK_WAIT_MS;
		nf_evaluate(nf, w, false);
	}
}

/* The cgroup was removed: stop listening; the struct lives on while a
 * check is pending (a kill just before the removal is still news). */
static void
mark_gone(struct nf *nf, struct watch *w, bool say)
{
	char rel[PATH_MAX];

	batch_done(nf, w);
	w->gone = true;
	nf->n_gone++;
	nf_epoll_close(nf, &w->efd);
	w->thr = THR_NONE;
	nf_epoll_close(nf, &w->psi_fd);
	nf_tasks_unwatch(nf, w);
	close_fd(&w->dirfd);
	if (w->events_wd >= 0)
		inotify_rm_watch(nf->inofd, w->events_wd);
	if (w->limit_wd >= 0)
		inotify_rm_watch(nf->inofd, w->limit_wd);
	if (w->pop_wd >= 0)
		inotify_rm_watch(nf->inofd, w->pop_wd);
	w->events_wd = w->limit_wd = w->pop_wd = -1;
	if (say)
		mc_log(&nf->log, LOG_INFO, "%s/%s was removed", nf->h.mnt, nf_watch_rel(nf, w, rel));
	/* Its fds are free: a cgroup left unwatched for want of them may
	 * be watched now. */
	if (nf->retry_at != 0) {
		nf->retry_at = nf_now_ms();
		nf->retry_ms = RETRY_MIN_MS;
	}
}

void
nf_watch_sweep(struct nf *nf)
{
	struct watch **pp = &nf->watches;

	/* After every epoll batch: no walk while nothing was removed. */
	if (nf->n_gone == 0)
		return;
	while (*pp != NULL) {
		struct watch *w = *pp;

		if (w->gone && w->deadline_ms == 0) {
			*pp = w->next;
			nf_watch_unhash(nf, w);
			nf->n_gone--;
			free_watch(nf, w);
		} else {
			pp = &w->next;
		}
	}
}

static int
scan_cb(void *ctx, uid_t uid)
{
	add_watch(ctx, uid);
	return 0;
}

/* Brings the watch list in line with the directory: after start, an
 * inotify overflow or the parent appearing. */
static void
rescan(struct nf *nf)
{
	/* New watches go to the head of the list: those from here on were
	 * there before the scan and may have lost their cgroup. */
	struct watch *old = nf->watches;
	int r = -ENOENT;

	if (!nf->parent_missing)
		r = mc_cg_each_user_in(&nf->h, &nf->lay, scan_cb, nf);
	if (r < 0 && r != -ENOENT)
		retry_later(nf, "list", nf->lay.parent, r);
	for (struct watch *w = old; w != NULL; w = w->next) {
		char rel[PATH_MAX];
		int fd;

		if (w->gone)
			continue;
		/* By its path: the watch's open directory outlives a removal. */
		fd = mc_cg_open_dir(&nf->h, nf_watch_rel(nf, w, rel));
		if (fd >= 0)
			close(fd);
		else if (fd == -ENOENT)
			mark_gone(nf, w, true);
	}
}

/* Watches the parent of the user cgroups, or while it does not exist its
 * nearest existing ancestor, to see it appear. */
static int
arm_parent(struct nf *nf)
{
	char path[PATH_MAX * 2];
	size_t base;
	int wd;

	if (nf->parent_wd >= 0)
		inotify_rm_watch(nf->inofd, nf->parent_wd);
	nf->parent_wd = -1;
	snprintf(path, sizeof(path), "%s/%s", nf->h.mnt, nf->lay.parent);
	base = strlen(nf->h.mnt);
	for (int tries = 0; tries < 16; tries++) {
		char anc[PATH_MAX * 2];

		wd = inotify_add_watch(nf->inofd, path,
				       IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
				       IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW);
		if (wd >= 0) {
			nf->parent_wd = wd;
			nf->parent_missing = false;
			return 0;
		}
		if (errno != ENOENT)
			break;
		/* The nearest ancestor that exists. */
		snprintf(anc, sizeof(anc), "%s", path);
		for (;;) {
			char *slash = strrchr(anc, '/');

			if (slash == NULL || (size_t)(slash - anc) < base)
				break;
			*slash = '\0';
			wd = inotify_add_watch(nf->inofd, anc, IN_CREATE | IN_MOVED_TO |
					       IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW);
			if (wd >= 0 || errno != ENOENT)
				break;
			if ((size_t)(slash - anc) == base)
				break;
		}
		if (wd < 0)
			break;
		nf->parent_wd = wd;
		nf->parent_missing = true;
		/* It may have appeared in between. */
		if (access(path, F_OK) != 0)
			return 0;
		inotify_rm_watch(nf->inofd, wd);
		nf->parent_wd = -1;
	}
	mc_log(&nf->log, LOG_ERR, "cannot watch %s: %s", path, strerror(errno));
	return -errno;
}

int
nf_watch_start(struct nf *nf)
{
	int r;

	if (strcmp(nf->h.mnt_root, "/") == 0)
		nf->kroot[0] = '\0';
	else
		snprintf(nf->kroot, sizeof(nf->kroot), "%s", nf->h.mnt_root);
	nf->parent_wd = -1;
	if ((r = arm_parent(nf)) < 0)
		return r;
	nf_tasks_start(nf);
	if (nf->parent_missing)
		mc_log(&nf->log, LOG_INFO, "%s/%s does not exist yet; waiting for it",
		       nf->h.mnt, nf->lay.parent);
	nf_thr_batch(nf, true);
	drop_unresolved(nf);
	nf->resolve_from_ms = nf_now_ms();
	nf->batch_open = true;
	nf->deferring = true;
	rescan(nf);
	nf->deferring = false;
	if (nf->n_unresolved != 0)
		mc_log(&nf->log, LOG_INFO, "%zu user cgroups watched for OOM; their users are looked up after the start",
		       nf->n_unresolved);
	/* Ends once the look-ups are answered, unless there are none. */
	batch_check(nf);
	return 0;
}

void
nf_watch_stop(struct nf *nf)
{
	nf->restarts++;
	while (nf->watches != NULL) {
		struct watch *w = nf->watches;

		nf->watches = w->next;
		free_watch(nf, w);
	}
	free(nf->wtab);
	nf->wtab = NULL;
	nf->wtab_size = nf->n_watches = nf->n_gone = 0;
	nf->batch_pending = 0;
	nf->batch_open = false;
	drop_unresolved(nf);
	if (nf->parent_wd >= 0)
		inotify_rm_watch(nf->inofd, nf->parent_wd);
	nf->parent_wd = -1;
	nf_tasks_stop(nf);
}

void
nf_watch_refresh(struct nf *nf)
{
	/* Every user anew: the rules changed, and the groups they name.  The
	 * settings in use stay until the answers come. */
	nf_thr_batch(nf, true);
	nf->batch_open = true;
	for (struct watch *w = nf->watches; w != NULL; w = w->next) {
		if (w->gone)
			continue;
		if (!w->in_batch) {
			w->in_batch = true;
			nf->batch_pending++;
		}
		nf_lookup_want(nf, w->user->uid);
	}
	batch_check(nf);
}

/* An inotify event on a file of a watch: its cgroup emptied (v2), its
 * limit was written, or its memory.events changed (v2).  Returns whether
 * the event was one of w's. */
static bool
on_watch_file(struct nf *nf, struct watch *w, const struct inotify_event *e)
{
	if (w->gone)
		return false;
	if (w->pop_wd == e->wd) {
		if (e->mask & IN_IGNORED)
			w->pop_wd = -1;
		else
			nf_remove_if_empty(nf, w);
		return true;
	}
	if (w->limit_wd == e->wd) {
		if (e->mask & IN_IGNORED) {
			w->limit_wd = -1;
		} else {
			arm_warn(nf, w);
			nf_tasks_recheck(nf, w);
		}
		return true;
	}
	if (nf_tasks_on_inotify(nf, w, e))
		return true;
	if (w->events_wd != e->wd)
		return false;
	if (e->mask & IN_IGNORED) {
		w->events_wd = -1;
	} else if (e->mask & IN_MODIFY) {
		nf_start_check(nf, w);
		if (w->psi_fd < 0)
			nf_warn_check(nf, w);
	}
	return true;
}

void
nf_on_inotify(struct nf *nf)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool rearm = false, rescan_needed = false;

	for (;;) {
		ssize_t n = read(nf->inofd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			uid_t uid;

			p += sizeof(*e) + e->len;
			if (e->mask & IN_Q_OVERFLOW) {
				rescan_needed = true;
				continue;
			}
			if (e->wd == nf->parent_wd && e->wd >= 0) {
				if (nf->parent_missing ||
				    (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
					rearm = true;
					continue;
				}
				if (!(e->mask & IN_ISDIR) || e->len == 0 || !mc_layout_user_leaf(&nf->lay, e->name, &uid))
					continue;
				mc_log(&nf->log, LOG_DEBUG, "%s/%s: %s uid %u", nf->h.mnt, nf->lay.parent,
				       e->mask & (IN_CREATE | IN_MOVED_TO) ? "new cgroup of" : "cgroup gone of",
				       (unsigned)uid);
				if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
					add_watch(nf, uid);
				} else if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
					struct watch *w = nf_find_watch(nf, uid);

					if (w != NULL)
						mark_gone(nf, w, true);
				}
				continue;
			}
			for (struct watch *w = nf->watches; w != NULL; w = w->next)
				if (on_watch_file(nf, w, e))
					break;
		}
	}
	if (rearm) {
		if (arm_parent(nf) == 0 && !nf->parent_missing)
			mc_log(&nf->log, LOG_INFO, "watching %s/%s for user cgroups", nf->h.mnt,
			       nf->lay.parent);
		rescan_needed = true;
	}
	if (rescan_needed)
		rescan(nf);
}

void
nf_on_deadlines(struct nf *nf, uint64_t now)
{
	for (struct watch *w = nf->watches; w != NULL; w = w->next)
		if (w->deadline_ms != 0 && w->deadline_ms <= now)
			nf_evaluate(nf, w, true);
	if (nf->retry_at != 0 && nf->retry_at <= now) {
		nf->retry_at = 0;
		nf->retry_ms = nf->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : nf->retry_ms * 2;
		nf->retrying = true;
		rescan(nf);
		/* And those whose look-up or warn_at failed. */
		for (struct watch *w = nf->watches; w != NULL; w = w->next) {
			if (!w->gone && !w->resolved)
				nf_lookup_want(nf, w->user->uid);
			else if (!w->gone && w->warn_retry)
				arm_warn(nf, w);
		}
		nf->retrying = false;
		if (nf->retry_at == 0) {
			nf->retry_ms = 0;
			mc_log(&nf->log, LOG_INFO, "every user cgroup under %s/%s is watched again",
			       nf->h.mnt, nf->lay.parent);
		}
	}
}

void
nf_watch_flush(struct nf *nf)
{
	if (nf->kmsgfd >= 0)
		nf_on_kmsg(nf);
	for (struct watch *w = nf->watches; w != NULL; w = w->next)
		if (!w->gone || w->deadline_ms != 0)
			nf_evaluate(nf, w, true);
}
