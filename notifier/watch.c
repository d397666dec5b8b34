/* The watchers: user cgroups appearing and disappearing under
 * cgroup_parent, or user.slice with the systemd backend (inotify), OOM and
 * threshold eventfds (v1), memory.events and PSI triggers (v2), and the
 * kernel log.  Every wake-up ends in evaluate(),
 * which asks events.c what happened and hands the answer to deliver.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "account.h"
#include "cgfs.h"
#include "memfiles.h"
#include "notifier.h"
#include "parse.h"
#include "sanitize.h"

/* PSI trigger for warn_at on v2: 100 ms of stall within 1 s. */
#define PSI_TRIGGER "some 100000 1000000"
/* Waits before trying again a user cgroup that could not be watched. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define MEMFILES_RETRY_MS 50	/* first look again at a cgroup without memory files */

static void start_check(struct nf *nf, struct watch *w);
static void warn_check(struct nf *nf, struct watch *w);
static void finish_watch(struct nf *nf, struct watch *w);
static void mark_gone(struct nf *nf, struct watch *w, bool say);
static void evaluate(struct nf *nf, struct watch *w, bool final);
static void retry_later(struct nf *nf, const char *what, const char *rel, int r);

/* As the kernel log names the cgroup of w. */
static const char *
watch_kpath(const struct nf *nf, const struct watch *w, char *buf, size_t len)
{
	char rel[PATH_MAX];
	int n = snprintf(buf, len, "%s/%s", nf->kroot, nf_watch_rel(nf, w, rel));

	/* add_watch made sure that it fits. */
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}

/* The uid of the user cgroup that holds the kernel path, when it lies in
 * one: "<kroot>/<parent>/user-<uid><suffix>[/...]", the way watch_kpath
 * builds it. */
static bool
uid_of_kpath(const struct nf *nf, const char *path, uid_t *uid)
{
	char prefix[PATH_MAX * 2], leaf[64];
	size_t plen, llen;
	int n = snprintf(prefix, sizeof(prefix), "%s/%s/", nf->kroot, nf->lay.parent);

	if (n < 0 || (size_t)n >= sizeof(prefix))
		return false;
	plen = (size_t)n;
	if (strncmp(path, prefix, plen) != 0)
		return false;
	llen = strcspn(path + plen, "/");
	if (llen == 0 || llen >= sizeof(leaf))
		return false;
	memcpy(leaf, path + plen, llen);
	leaf[llen] = '\0';
	return mc_layout_user_leaf(&nf->lay, leaf, uid);
}

/* The watch whose cgroup holds the kernel path, preferring live ones. */
static struct watch *
watch_for_path(struct nf *nf, const char *path)
{
	struct watch *gone = NULL;
	uid_t uid;

	if (!uid_of_kpath(nf, path, &uid))
		return NULL;
	for (struct watch *w = nf_watch_chain(nf, uid); w != NULL; w = w->hnext) {
		if (w->uid != uid)
			continue;
		if (!w->gone)
			return w;
		if (gone == NULL && w->deadline_ms != 0)
			gone = w;
	}
	return gone;
}

static int
epoll_add(struct nf *nf, int fd, uint32_t events, struct src *s)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	return epoll_ctl(nf->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Closes an fd of a watch that is in the epoll set, taking it out first.
 * A close alone would not: epoll forgets an fd only when its file goes,
 * and a threshold worker may hold a duplicate of the eventfd (thresh.c),
 * so the entry, pointing into the watch, could outlive the watch. */
static void
unwatch_fd(struct nf *nf, int *fd)
{
	if (*fd >= 0)
		epoll_ctl(nf->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close_fd(fd);
}

/* The counters of the cgroup directory dirfd. */
static int
counters_at(const struct nf *nf, int dirfd, struct mc_counters *c)
{
	char buf[1024];
	uint64_t v;
	int r;

	const struct mc_memfiles *mf = mc_memfiles(nf->h.version);

	memset(c, 0, sizeof(*c));
	if ((r = mc_read_small(dirfd, mf->events, buf, sizeof(buf))) < 0 ||
	    (r = mc_counters_parse(nf->h.version, buf, c)) < 0)
		return r;
	if (nf->h.version == 2)
		return 0;
	if (mc_read_small(dirfd, mf->failcnt, buf, sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (mc_parse_u64(buf, 0, UINT64_MAX, &v) == 0) {
			c->v[MC_C_MAX] = v;
			c->have |= 1u << MC_C_MAX;
		}
	}
	return 0;
}

static int
read_counters(struct nf *nf, struct watch *w, struct mc_counters *c)
{
	char rel[PATH_MAX];
	int dirfd = mc_cg_open_dir(&nf->h, nf_watch_rel(nf, w, rel)), r;

	if (dirfd < 0)
		return dirfd;
	r = counters_at(nf, dirfd, c);
	close(dirfd);
	return r;
}

/* v1: whether usage peaked at the cgroup's own limit (memory, or memory +
 * swap), within a page of it.  See peak_at_limit in events.h. */
static bool
v1_peak_at_limit(struct nf *nf, const struct watch *w)
{
	const struct mc_memfiles *mf = mc_memfiles(1);
	const char *const pairs[][2] = {
		{ mf->peak, mf->limit },
		{ mf->swap_peak, mf->swap_limit },
	};
	char buf[64], rel[PATH_MAX];
	int dirfd = mc_cg_open_dir(&nf->h, nf_watch_rel(nf, w, rel));
	bool at = false;

	/* One walk from the root for the four files. */
	if (dirfd < 0)
		return false;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]) && !at; i++) {
		uint64_t peak, limit;

		if (mc_read_small(dirfd, pairs[i][0], buf, sizeof(buf)) < 0 ||
		    (buf[strcspn(buf, "\n")] = '\0', mc_parse_u64(buf, 0, UINT64_MAX, &peak)) < 0 ||
		    mc_read_small(dirfd, pairs[i][1], buf, sizeof(buf)) < 0 ||
		    (buf[strcspn(buf, "\n")] = '\0', mc_parse_u64(buf, 0, UINT64_MAX, &limit)) < 0)
			continue;
		at = limit < MC_SIZE_LIMIT && peak + 4096 >= limit;
	}
	close(dirfd);
	return at;
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
	return u;
}

/* Gives w the name and settings of its user record.  Returns whether the
 * rules exempt the user. */
static bool
apply_user(struct watch *w, const struct user *u)
{
	if (w->name == NULL || u->name == NULL || strcmp(w->name, u->name) != 0) {
		free(w->name);
		w->name = u->name != NULL ? strdup(u->name) : NULL;
	}
	w->tty = u->tty;
	w->mail = u->mail;
	w->warn_at = u->warn_at;
	return u->exempt;
}

/* No look-up worker could take uid: looked up here, waiting. */
static void
look_up_here(struct nf *nf, uid_t uid)
{
	struct mc_account acct;
	int r = mc_account_by_uid(uid, &acct), g = r == 0 ? mc_account_load_groups(&acct, nf->cfg) : 0;

	nf_watch_looked_up(nf, uid, r, g, r == 0 ? &acct : NULL);
	if (r == 0)
		mc_account_free(&acct);
}

/* Asks for uid's look-up, unless one is on its way. */
static void
want_lookup(struct nf *nf, uid_t uid)
{
	struct user *u = nf_user(nf, uid);

	if (u == NULL) {
		mc_log(&nf->log, LOG_ERR, "out of memory: uid %u is not looked up", (unsigned)uid);
		return;
	}
	if (u->lookup_pending)
		return;
	u->lookup_pending = true;
	if (nf_lookup_queue(nf, uid) < 0)
		look_up_here(nf, uid);
}

/* v1: a new eventfd that the kernel signals at OOM (memory.oom_control)
 * of the cgroup directory dirfd.  Returns it or a negative errno. */
static int
v1_oom_efd(int dirfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), r;

	r = efd < 0 ? -errno : nf_v1_register_at(dirfd, efd, mc_memfiles(1)->events, NULL);
	if (r < 0 && efd >= 0)
		close(efd);
	return r < 0 ? r : efd;
}

/* v1: puts the OOM registration on a fresh eventfd in place of w's, which
 * goes with whatever threshold it carries (closing an eventfd is the only
 * way to take a threshold off).  Returns 0 or a negative errno (w keeps
 * its eventfd). */
static int
renew_efd(struct nf *nf, struct watch *w)
{
	char rel[PATH_MAX];
	int dirfd = mc_cg_open_dir(&nf->h, nf_watch_rel(nf, w, rel)), efd, r;

	if (dirfd < 0)
		return dirfd;
	efd = v1_oom_efd(dirfd);
	close(dirfd);
	if (efd < 0)
		return efd;
	w->efd_src = (struct src){ SRC_OOM, w };
	if ((r = epoll_add(nf, efd, EPOLLIN, &w->efd_src)) < 0) {
		close(efd);
		return r;
	}
	unwatch_fd(nf, &w->efd);
	w->efd = efd;
	w->efd_gen = ++nf->efd_gen;
	w->thr = THR_NONE;
	w->thr_bytes = 0;
	return 0;
}

static uint64_t
share_of(uint64_t limit, uint32_t basis_points)
{
	return limit / 10000 * basis_points + limit % 10000 * basis_points / 10000;
}

/* v1: makes the usage threshold on w's eventfd want bytes (0: none).  The
 * registration waits for an RCU grace period in the kernel, so the
 * workers of thresh.c do it; nf_watch_thr_done checks the usage after. */
static void
v1_set_threshold(struct nf *nf, struct watch *w, uint64_t want)
{
	char rel[PATH_MAX];
	int r;

	if (w->thr != THR_NONE && w->thr_bytes == want) {
		/* Already there or on its way, as arming anew would have it. */
		if (w->thr == THR_ARMED)
			warn_check(nf, w);
		return;
	}
	if (w->thr == THR_QUEUED) {
		/* Not handed out yet: the worker takes the new value. */
		w->thr_bytes = want;
		if (want == 0)
			w->thr = THR_NONE;
		return;
	}
	if (w->thr != THR_NONE && (r = renew_efd(nf, w)) < 0) {
		mc_log(&nf->log, LOG_WARNING, "cannot move the usage threshold on %s/%s: %s; warn_at stays at the old limit for uid %u",
		       nf->h.mnt, nf_watch_rel(nf, w, rel), strerror(-r), (unsigned)w->uid);
		return;
	}
	if (want == 0)
		return;
	w->thr_bytes = want;
	w->thr = THR_QUEUED;
	nf_thr_queue(nf, w);
}

void
nf_watch_thr_done(struct nf *nf, uid_t uid, unsigned gen, int r)
{
	struct watch *w = nf_find_watch(nf, uid);
	char rel[PATH_MAX];

	/* Registered on an eventfd closed since: the kernel dropped it. */
	if (w == NULL || w->efd_gen != gen || w->thr != THR_BUSY)
		return;
	if (r < 0) {
		mc_log(&nf->log, LOG_WARNING, "cannot set a usage threshold on %s/%s: %s; warn_at is off for uid %u",
		       nf->h.mnt, nf_watch_rel(nf, w, rel), strerror(-r), (unsigned)w->uid);
		w->thr = THR_NONE;
		w->thr_bytes = 0;
		return;
	}
	w->thr = THR_ARMED;
	/* Already above it: the eventfd only tells of crossings. */
	warn_check(nf, w);
}

/* Whether r says the daemon ran short of fds or memory (worth a retry). */
static bool
short_of(int r)
{
	return r == -EMFILE || r == -ENFILE || r == -ENOMEM;
}

/* v2: warn_at could not be armed on w for want of fds or memory: the
 * retry timer arms it again. */
static void
warn_retry(struct nf *nf, struct watch *w, const char *rel, int r)
{
	w->warn_retry = true;
	retry_later(nf, "arm warn_at on", rel, r);
}

/* (Re)arms the warn_at watch: a usage threshold (v1) or a PSI trigger
 * (v2). */
static void
arm_warn(struct nf *nf, struct watch *w)
{
	struct mc_cg_stats st;
	char rel[PATH_MAX];
	int r;

	nf_watch_rel(nf, w, rel);
	if (nf->h.version == 1) {
		uint64_t want = 0;

		if (!w->gone && w->warn_at != 0 && mc_cg_stats(&nf->h, rel, &st) == 0 &&
		    st.max != MC_UNLIMITED)
			want = share_of(st.max, w->warn_at);
		v1_set_threshold(nf, w, want);
		return;
	}
	unwatch_fd(nf, &w->psi_fd);
	w->warn_retry = false;
	if (w->gone || w->warn_at == 0)
		return;
	if ((r = mc_cg_stats(&nf->h, rel, &st)) < 0 || st.max == MC_UNLIMITED) {
		if (r < 0 && short_of(r))
			warn_retry(nf, w, rel, r);
		return;
	}
	{
		int dirfd = mc_cg_open_dir(&nf->h, rel);

		if (dirfd < 0) {
			if (short_of(dirfd))
				warn_retry(nf, w, rel, dirfd);
			return;
		}
		w->psi_fd = openat(dirfd, mc_memfiles(2)->pressure,
				   O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		r = w->psi_fd < 0 ? -errno : 0;
		close(dirfd);
		if (r == 0 && write(w->psi_fd, PSI_TRIGGER, sizeof(PSI_TRIGGER)) < 0)
			r = -errno;
		if (r == 0)
			r = epoll_add(nf, w->psi_fd, EPOLLPRI, &w->psi_src);
		if (r < 0) {
			unwatch_fd(nf, &w->psi_fd);
			if (short_of(r))
				warn_retry(nf, w, rel, r);
			else
				mc_log(&nf->log, LOG_INFO, "no PSI trigger on %s/%s/memory.pressure (%s): warn_at is checked on memory.events changes only",
				       nf->h.mnt, rel, strerror(-r));
		}
		warn_check(nf, w);
	}
}

/* Frees w, which is in neither nf->watches nor the table by uid. */
static void
free_watch(struct nf *nf, struct watch *w)
{
	unwatch_fd(nf, &w->efd);
	unwatch_fd(nf, &w->psi_fd);
	if (w->events_wd >= 0)
		inotify_rm_watch(nf->inofd, w->events_wd);
	if (w->limit_wd >= 0)
		inotify_rm_watch(nf->inofd, w->limit_wd);
	if (w->pop_wd >= 0)
		inotify_rm_watch(nf->inofd, w->pop_wd);
	free(w->victims);
	free(w->name);
	free(w);
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

/* A user cgroup without memory files yet (see vanished): watched at the
 * next retry, without an error (pam_memcg enables the controller just
 * before or after it makes the cgroup). */
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
 * worth a word: the removal is the news). */
static bool
vanished(struct nf *nf, const char *rel, int r)
{
	int fd;

	if (r == -ENODEV)
		return true;
	/* ENOENT of a file is not the cgroup's removal: on v2 a cgroup made
	 * below a parent that does not yet give its children the memory
	 * controller has no memory files until the parent does. */
	fd = mc_cg_open_dir(&nf->h, rel);
	if (fd >= 0)
		close(fd);
	return fd == -ENOENT;
}

/* v2, cgroupfs backend: watches cgroup.events of w's cgroup rel, whose
 * "populated" goes to 0 when its last process exits (remove_if_empty).
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

bool
nf_unpopulated(const char *events)
{
	static const char key[] = "populated 0\n";

	return strncmp(events, key, sizeof(key) - 1) == 0 || strstr(events, "\npopulated 0\n") != NULL;
}

/* v2, cgroupfs backend: a user cgroup whose processes outlived the last
 * logout (pam_memcg's rmdir found it busy then) is removed once the last
 * of them exits.  A login racing in is safe: rmdir fails with EBUSY once a
 * process has joined, and pam_memcg's join starts over when the cgroup
 * vanishes between its open and its attach.  Only on a change: a cgroup
 * just made by a login is empty too, until the login joins it. */
static void
remove_if_empty(struct nf *nf, struct watch *w)
{
	char rel[PATH_MAX], buf[256];
	const char *leaf;
	int pfd, r;

	/* A kill that emptied the cgroup (oom.group) is told first: its
	 * counters live in the cgroup.  evaluate() calls back when done.
	 * (Not for a wait on the user's name alone.) */
	nf_watch_rel(nf, w, rel);
	if (w->deadline_ms != 0 && !w->lookup_wait) {
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: populated changed during a check; looked at after it",
		       nf->h.mnt, rel);
		w->empty_pending = true;
		return;
	}
	if (mc_cg_read(&nf->h, rel, "cgroup.events", buf, sizeof(buf)) < 0 || !nf_unpopulated(buf)) {
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: populated changed; not empty", nf->h.mnt, rel);
		return;
	}
	leaf = strrchr(rel, '/');
	leaf = leaf != NULL ? leaf + 1 : rel;
	if ((pfd = mc_cg_open_dir(&nf->h, nf->lay.parent)) < 0) {
		if (pfd != -ENOENT)
			mc_log(&nf->log, LOG_WARNING, "cannot open %s/%s to remove the empty %s: %s",
			       nf->h.mnt, nf->lay.parent, leaf, strerror(-pfd));
		return;
	}
	r = unlinkat(pfd, leaf, AT_REMOVEDIR) < 0 ? -errno : 0;
	close(pfd);
	if (r == 0)
		mc_log(&nf->log, LOG_INFO, "removed %s/%s: its last process exited after the last logout",
		       nf->h.mnt, rel);
	else if (r == -EBUSY || r == -ENOENT)
		mc_log(&nf->log, LOG_DEBUG, "%s/%s not removed: %s", nf->h.mnt, rel,
		       r == -EBUSY ? "in use again" : "already gone");
	else
		mc_log(&nf->log, LOG_WARNING, "cannot remove the empty %s/%s: %s", nf->h.mnt, rel,
		       strerror(-r));
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

static void
add_watch(struct nf *nf, uid_t uid)
{
	struct watch *w;
	struct user *u;
	char rel[PATH_MAX], path[PATH_MAX * 2];
	bool defer, known;
	int dirfd, r;

	if (nf_find_watch(nf, uid) != NULL)
		return;
	/* The paths are derived from the uid later on: they must fit. */
	if (mc_layout_user_cgroup(&nf->lay, uid, rel, sizeof(rel)) < 0 ||
	    snprintf(path, sizeof(path), "%s/%s", nf->kroot, rel) >= PATH_MAX)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		mc_log(&nf->log, LOG_ERR, "out of memory watching uid %u", (unsigned)uid);
		return;
	}
	w->uid = uid;
	w->efd = w->psi_fd = w->events_wd = w->limit_wd = w->pop_wd = -1;
	w->efd_src = (struct src){ SRC_OOM, w };
	w->psi_src = (struct src){ SRC_PSI, w };
	/* A user seen before is told at once from their record; the look-up
	 * (always: groups and rules may have changed) only refreshes it.
	 * logind makes a slice for every user, root and exempt users too;
	 * pam_memcg limits only the others: with the systemd backend an
	 * exempt user's slice is not watched (one not known yet is, until its
	 * look-up says).  The cgroupfs backend's cgroups are all limited. */
	u = nf_user(nf, uid);
	known = u != NULL && u->known;
	if (known && apply_user(w, u) && nf->backend == MC_BACKEND_SYSTEMD) {
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: uid %u is exempt; not watched", nf->h.mnt,
		       rel, (unsigned)uid);
		free_watch(nf, w);
		return;
	}
	defer = !known && nf->backend == MC_BACKEND_CGROUPFS && nf->deferring &&
		nf->n_watches >= RESOLVE_AT_START && unresolved_room(nf);
	/* Whatever the counters say now is old news: the baseline. */
	if ((dirfd = mc_cg_open_dir(&nf->h, rel)) < 0 ||
	    (r = counters_at(nf, dirfd, &w->base)) < 0) {
		if (dirfd < 0)
			r = dirfd;
		else
			close(dirfd);
		if (r == -ENOENT && !vanished(nf, rel, r))
			memfiles_later(nf, rel);
		else if (!vanished(nf, rel, r))
			retry_later(nf, "read the counters of", rel, r);
		else
			mc_log(&nf->log, LOG_DEBUG, "%s/%s: gone before it was watched (%s)", nf->h.mnt,
			       rel, strerror(-r));
		free_watch(nf, w);
		return;
	}
	if (nf->h.version == 1) {
		r = v1_oom_efd(dirfd);
		if (r >= 0) {
			w->efd = r;
			w->efd_gen = ++nf->efd_gen;
			r = epoll_add(nf, w->efd, EPOLLIN, &w->efd_src);
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
	close(dirfd);
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
	want_lookup(nf, uid);
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
	mc_sanitize_str(w->name ? w->name : "unknown", shown, sizeof(shown), 0);
	mc_log(&nf->log, LOG_INFO, "watching %s/%s (uid %u, user %s)", nf->h.mnt, rel,
	       (unsigned)w->uid, shown);
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
			want_lookup(nf, w->uid);
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
	if (apply_user(w, u) && nf->backend == MC_BACKEND_SYSTEMD) {
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
	batch_done(nf, w);
	/* A check that waited for the name goes on as if it began now. */
	if (w->lookup_wait) {
		w->lookup_wait = false;
		if (w->deadline_ms > nf_now_ms() + CHECK_WAIT_MS)
			w->deadline_ms = nf_now_ms() + CHECK_WAIT_MS;
		evaluate(nf, w, false);
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
	unwatch_fd(nf, &w->efd);
	w->thr = THR_NONE;
	unwatch_fd(nf, &w->psi_fd);
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
		want_lookup(nf, w->uid);
	}
	batch_check(nf);
}

static void
drop_victims(struct watch *w, size_t n)
{
	if (n >= w->n_victims) {
		/* Most cgroups never see a kill: give the memory back. */
		free(w->victims);
		w->victims = NULL;
		w->n_victims = w->cap_victims = 0;
		return;
	}
	memmove(w->victims, w->victims + n, (w->n_victims - n) * sizeof(w->victims[0]));
	w->n_victims = (unsigned short)(w->n_victims - n);
}

/* Decides what happened since the baseline, or waits for more. */
static void
evaluate(struct nf *nf, struct watch *w, bool final)
{
	struct mc_counters now_c, delta;
	struct mc_event ev[16];
	struct mc_check c;
	uint64_t now = nf_now_ms();
	size_t n, used;
	bool ok, wait;

	/* Whom to tell, and how, before anything is told: the look-up's
	 * answer evaluates again (LOOKUP_WAIT_MS at most, then the log
	 * alone tells). */
	if (!w->resolved && !w->gone)
		want_lookup(nf, w->uid);
	if (!w->resolved && !w->gone && !final) {
		if (!w->lookup_wait)
			w->deadline_ms = now + LOOKUP_WAIT_MS;
		w->lookup_wait = true;
		return;
	}
	/* NSS said "no such user": glibc says so too when the look-up itself
	 * failed (out of fds, say).  Ask once more for this check. */
	if (w->resolved && !w->gone && !final && !w->name_asked) {
		const struct user *u = nf_user(nf, w->uid);

		if (u != NULL && u->known && u->name == NULL) {
			w->name_asked = true;
			want_lookup(nf, w->uid);
			w->deadline_ms = now + LOOKUP_WAIT_MS;
			w->lookup_wait = true;
			return;
		}
	}
	memset(&delta, 0, sizeof(delta));
	ok = !w->gone && read_counters(nf, w, &now_c) == 0;
	if (ok)
		mc_counters_diff(&w->base, &now_c, &delta);
	c = (struct mc_check){
		.version = nf->h.version,
		.counters_ok = ok,
		.delta = delta,
		.victims = w->victims,
		.n_victims = w->n_victims,
		.kmsg_ok = nf->kmsgfd >= 0,
		.own_oom_seen = w->own_oom_seen,
		.peak_at_limit = ok && nf->h.version == 1 && v1_peak_at_limit(nf, w),
		.final = final,
	};
	n = mc_classify(&c, ev, sizeof(ev) / sizeof(ev[0]), &wait, &used);
	if (wait && !final) {
		/* A counted kill only waits a moment for its log line. */
		if (ok && delta.v[MC_C_OOM_KILL] > w->n_victims && c.kmsg_ok &&
		    w->deadline_ms > now + VICTIM_WAIT_MS)
			w->deadline_ms = now + VICTIM_WAIT_MS;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind == MC_EV_NOKILL && w->last_kill_ms != 0 &&
		    now - w->last_kill_ms < NOKILL_QUIET_MS) {
			char rel[PATH_MAX];

			mc_log(&nf->log, LOG_DEBUG, "%s/%s: OOM without a kill right after a kill; not told",
			       nf->h.mnt, nf_watch_rel(nf, w, rel));
			continue;
		}
		if (ev[i].kind != MC_EV_NOKILL)
			w->last_kill_ms = now;
		nf_deliver(nf, w, &ev[i]);
	}
	if (ok)
		w->base = now_c;
	drop_victims(w, used);
	w->deadline_ms = 0;
	w->lookup_wait = false;
	w->name_asked = false;
	w->own_oom_seen = false;
	if (ok && nf->h.version == 2 && (delta.v[MC_C_HIGH] || delta.v[MC_C_MAX]))
		warn_check(nf, w);
	if (w->empty_pending && !w->gone) {
		w->empty_pending = false;
		remove_if_empty(nf, w);
	}
}

static void
start_check(struct nf *nf, struct watch *w)
{
	if (w->deadline_ms == 0)
		w->deadline_ms = nf_now_ms() + CHECK_WAIT_MS;
	evaluate(nf, w, false);
}

static void
warn_check(struct nf *nf, struct watch *w)
{
	struct mc_cg_stats st;
	struct mc_event ev;
	char rel[PATH_MAX];
	uint64_t thr;

	if (w->gone || w->warn_at == 0 || mc_cg_stats(&nf->h, nf_watch_rel(nf, w, rel), &st) < 0)
		return;
	w->last = st;
	w->have_last = true;
	if (st.max == MC_UNLIMITED)
		return;
	thr = share_of(st.max, w->warn_at);
	if (nf->h.version == 1 && w->thr_bytes != 0 && thr != w->thr_bytes) {
		/* The limit changed under us: move the threshold along. */
		arm_warn(nf, w);
		return;
	}
	if (st.current < thr) {
		w->warned = false;
		return;
	}
	if (w->warned)
		return;
	w->warned = true;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MC_EV_WARN;
	ev.count = 1;
	nf_deliver(nf, w, &ev);
}

void
nf_on_src(struct nf *nf, struct src *s, uint32_t events)
{
	struct watch *w = s->w;
	uint64_t v;

	if (w == NULL || w->gone)
		return;
	switch (s->type) {
	case SRC_OOM:
		if (read(w->efd, &v, sizeof(v)) < 0 && errno == EAGAIN)
			return;
		/* One eventfd tells of OOMs and of threshold crossings alike:
		 * a check that finds no OOM says nothing. */
		start_check(nf, w);
		if (w->thr == THR_ARMED)
			warn_check(nf, w);
		break;
	case SRC_PSI:
		if (events & (EPOLLERR | EPOLLHUP)) {
			/* The cgroup is going away. */
			unwatch_fd(nf, &w->psi_fd);
			return;
		}
		warn_check(nf, w);
		break;
	case SRC_SIGNAL:
	case SRC_TIMER:
	case SRC_INOTIFY:
	case SRC_KMSG:
	case SRC_THR_DONE:
	default:
		break;
	}
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
			for (struct watch *w = nf->watches; w != NULL; w = w->next) {
				if (w->pop_wd == e->wd && !w->gone) {
					if (e->mask & IN_IGNORED)
						w->pop_wd = -1;
					else
						remove_if_empty(nf, w);
					break;
				}
				if (w->limit_wd == e->wd && !w->gone) {
					if (e->mask & IN_IGNORED)
						w->limit_wd = -1;
					else
						arm_warn(nf, w);
					break;
				}
				if (w->events_wd != e->wd || w->gone)
					continue;
				if (e->mask & IN_IGNORED) {
					w->events_wd = -1;
				} else if (e->mask & IN_MODIFY) {
					start_check(nf, w);
					if (w->psi_fd < 0)
						warn_check(nf, w);
				}
				break;
			}
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

/* The watch a kill line without a cgroup path belongs to (the kernel
 * rate-limits the summary line that has it: a burst of kills): where /proc
 * still shows the live victim, else the one watch of the victim's uid (when
 * the line gives it: other users' and other containers' kills on the same
 * kernel must not be taken for ours) whose counters show a kill the log has
 * not named yet. */
static struct watch *
watch_for_pid(struct nf *nf, pid_t pid, bool have_uid, uid_t uid)
{
	char rel[PATH_MAX], kpath[PATH_MAX * 2];
	struct watch *found = NULL, *w;
	int candidates = 0;

	/* An exiting or exited victim shows in the root cgroup in /proc, not
	 * where it was killed. */
	if (!mc_pid_exiting(pid) && mc_cg_of_pid(&nf->h, pid, rel, sizeof(rel)) == 0) {
		snprintf(kpath, sizeof(kpath), "%s/%s", nf->kroot, rel);
		if ((found = watch_for_path(nf, kpath)) != NULL || !mc_pid_exiting(pid))
			return found;
		/* It began to exit between the two looks (and showed in the
		 * root cgroup): the counters tell, below. */
	}
	/* With the uid, only its bucket. */
	w = have_uid ? nf_watch_chain(nf, uid) : nf->watches;
	for (; w != NULL; w = have_uid ? w->hnext : w->next) {
		struct mc_counters c, d;

		if (w->gone || (have_uid && w->uid != uid) || read_counters(nf, w, &c) < 0)
			continue;
		mc_counters_diff(&w->base, &c, &d);
		if (d.v[MC_C_OOM_KILL] > w->n_victims) {
			found = w;
			candidates++;
		}
	}
	return candidates == 1 ? found : NULL;
}

/* Room for one more victim in w (at most MAX_VICTIMS).  Returns false
 * when there is none. */
static bool
victim_room(struct watch *w)
{
	struct mc_victim *v;
	unsigned cap;

	if (w->n_victims < w->cap_victims)
		return true;
	if (w->cap_victims >= MAX_VICTIMS)
		return false;
	cap = w->cap_victims ? w->cap_victims * 2u : 4u;
	if (cap > MAX_VICTIMS)
		cap = MAX_VICTIMS;
	if ((v = realloc(w->victims, cap * sizeof(*v))) == NULL)
		return false;
	w->victims = v;
	w->cap_victims = (unsigned short)cap;
	return true;
}

/* A kill the log shows but that is named to nobody: logged and counted.
 * The user's counters still tell of it, without a name. */
static void
unattributed(struct nf *nf, const struct mc_kmsg_event *ev, const char *why)
{
	char comm[4 * MC_KMSG_COMM], memcg[4 * MC_KMSG_PATH], uid[16] = "unknown";

	nf->kmsg_unattributed++;
	mc_sanitize_str(ev->comm, comm, sizeof(comm), 0);
	mc_sanitize_str(ev->memcg[0] ? ev->memcg : "unknown", memcg, sizeof(memcg), 0);
	if (ev->have_uid)
		snprintf(uid, sizeof(uid), "%u", (unsigned)ev->uid);
	mc_log(&nf->log, LOG_NOTICE, "kernel log: kill of pid %d (%s), uid %s, in %s not attributed to any user: %s (%llu so far)",
	       (int)ev->pid, comm, uid, memcg, why, (unsigned long long)nf->kmsg_unattributed);
}

static void
on_kmsg_event(struct nf *nf, const struct mc_kmsg_event *ev)
{
	char kpath[PATH_MAX];
	struct watch *w;
	uid_t uid;

	switch (ev->kind) {
	case MC_KMSG_OOM:
		/* The OOM's memcg is the user cgroup or one below it. */
		if (uid_of_kpath(nf, ev->memcg, &uid) && (w = nf_find_watch(nf, uid)) != NULL) {
			w->own_oom_seen = true;
			start_check(nf, w);
		}
		break;
	case MC_KMSG_KILL:
		if (ev->ambiguous) {
			unattributed(nf, ev, "its oom-kill line reads more than one way");
			break;
		}
		w = ev->memcg[0] ? watch_for_path(nf, ev->memcg)
				 : watch_for_pid(nf, ev->pid, ev->have_uid, ev->uid);
		if (w == NULL)
			break;
		/* A cgroup path names no owner: the kill line's uid does. */
		if (!ev->have_uid || ev->uid != w->uid) {
			unattributed(nf, ev, "its uid is not that of the cgroup's user");
			break;
		}
		if (victim_room(w))
			mc_victim_from_kmsg(ev, watch_kpath(nf, w, kpath, sizeof(kpath)),
					    &w->victims[w->n_victims++]);
		if (w->deadline_ms == 0)
			w->deadline_ms = nf_now_ms() + VICTIM_WAIT_MS;
		evaluate(nf, w, false);
		break;
	case MC_KMSG_NO_VICTIM:
	case MC_KMSG_NONE:
	default:
		break;
	}
}

void
nf_on_kmsg(struct nf *nf)
{
	char rec[8192];
	struct mc_kmsg_event ev;

	for (;;) {
		ssize_t n = read(nf->kmsgfd, rec, sizeof(rec) - 1);

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: older records were overwritten */
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			mc_log(&nf->log, LOG_ERR, "reading /dev/kmsg: %s; victims will be reported as unknown",
			       n < 0 ? strerror(errno) : "end of file");
			epoll_ctl(nf->epfd, EPOLL_CTL_DEL, nf->kmsgfd, NULL);
			close_fd(&nf->kmsgfd);
			break;
		}
		if (mc_kmsg_feed(&nf->kst, rec, (size_t)n, &ev) != MC_KMSG_NONE)
			on_kmsg_event(nf, &ev);
	}
}

void
nf_on_deadlines(struct nf *nf, uint64_t now)
{
	for (struct watch *w = nf->watches; w != NULL; w = w->next)
		if (w->deadline_ms != 0 && w->deadline_ms <= now)
			evaluate(nf, w, true);
	if (nf->retry_at != 0 && nf->retry_at <= now) {
		nf->retry_at = 0;
		nf->retry_ms = nf->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : nf->retry_ms * 2;
		nf->retrying = true;
		rescan(nf);
		/* And those whose look-up or warn_at failed. */
		for (struct watch *w = nf->watches; w != NULL; w = w->next) {
			if (!w->gone && !w->resolved)
				want_lookup(nf, w->uid);
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
			evaluate(nf, w, true);
}

bool
nf_victims_pending(struct nf *nf)
{
	if (nf->kmsgfd < 0)
		return false;
	for (struct watch *w = nf->watches; w != NULL; w = w->next) {
		struct mc_counters c, d;

		if (w->deadline_ms == 0 || w->gone || read_counters(nf, w, &c) < 0)
			continue;
		mc_counters_diff(&w->base, &c, &d);
		/* A kill not named yet, or none counted yet: on v1 the OOM
		 * wake-up comes before the kill. */
		if (d.v[MC_C_OOM_KILL] > w->n_victims || d.v[MC_C_OOM_KILL] == 0)
			return true;
	}
	return false;
}

uint64_t
nf_next_deadline(const struct nf *nf)
{
	uint64_t next = nf->retry_at;

	for (const struct watch *w = nf->watches; w != NULL; w = w->next)
		if (w->deadline_ms != 0 && (next == 0 || w->deadline_ms < next))
			next = w->deadline_ms;
	return next;
}
