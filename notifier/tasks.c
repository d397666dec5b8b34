/* tasks_max: new processes refused because a user's sessions reached
 * their limit on processes and threads (pids.max).  The kernel counts the
 * refusals in pids.events ("max"), in the user cgroup's own directory on
 * v2 and in its directory of the pids hierarchy on v1.  Three things wake
 * us to read it:
 *   - inotify on pids.events: v2, and v1 on kernels that still notify
 *     there (those since 6.13 do not);
 *   - on v1, a look every TASKS_POLL_MS at the users whose pids.max is a
 *     number, and only while there are such users (none: no wake-ups);
 *   - the kernel log's "fork rejected by pids controller in PATH", which
 *     the kernel writes for the first refusal in each cgroup: with the
 *     systemd backend on kernels before 6.13 the refusal is counted in the
 *     session's scope below the slice, and this line is all there is.
 * A burst of refusals (a fork loop) is told once, when it has been quiet
 * for TASKS_QUIET_MS (TASKS_BURST_MAX_MS after its first at the latest);
 * the rate limit shared with the OOM notices holds back the rest for the
 * summary. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgfs.h"
#include "notifier.h"

/* A burst is over when no refusal came for TASKS_QUIET_MS, and told
 * TASKS_BURST_MAX_MS after its first at the latest. */
#define TASKS_QUIET_MS 100
#define TASKS_BURST_MAX_MS 1000
/* v1 only: how often pids.events is read for users with a limit. */
#define TASKS_POLL_MS 1000
/* How long a new watch looks again for its pids files: pam_memcg makes
 * the user's cgroup in the pids hierarchy just after the memory one (v1),
 * or turns the controller on in the parent (v2). */
#define PIDS_RETRY_MS 50
#define PIDS_TRIES 6

/* mc_hier_set_add's lines go to the log at debug level: a controller
 * missing here is only a notice the notifier cannot give. */
static void
quiet_emit(void *ctx, int prio, const char *line)
{
	(void)prio;
	mc_log(ctx, LOG_DEBUG, "%s", line);
}

void
nf_tasks_start(struct nf *nf)
{
	struct mc_log quiet = { quiet_emit, &nf->log, true };
	unsigned missing = 0;

	nf->hs.h[0] = nf->h;	/* a copy: its rootfd stays nf->h's */
	nf->hs.n = 1;
	(void)mc_hier_set_add(&nf->hs, MC_CTRL_CPU | MC_CTRL_PIDS, &missing, &quiet);
	nf->tasks_poll_at = 0;
	if (missing & MC_CTRL_PIDS)
		mc_log(&nf->log, LOG_INFO, "no pids controller found: users are not told when tasks_max refuses a new process");
}

void
nf_tasks_stop(struct nf *nf)
{
	mc_hier_set_close_extra(&nf->hs);
	nf->hs.n = 0;
	nf->tasks_poll_at = 0;
}

/* The hierarchy that holds the pids controller, or NULL. */
static const struct mc_hier *
pids_hier(const struct nf *nf)
{
	for (size_t i = 0; i < nf->hs.n; i++)
		if (nf->hs.h[i].ctrls & MC_CTRL_PIDS)
			return &nf->hs.h[i];
	return NULL;
}

/* The directory fd to read w's pids.events through (w->dirfd on v2 and
 * where pids is mounted with memory), or -1. */
static int
pids_fd(const struct watch *w)
{
	return w->pids_dirfd >= 0 ? w->pids_dirfd : w->pids_on ? w->dirfd : -1;
}

/* Reads w's count of refused forks.  Returns 0 or a negative errno. */
static int
read_refused(const struct watch *w, uint64_t *n)
{
	char buf[256];
	int fd = pids_fd(w), r;

	if (fd < 0)
		return -ENOENT;
	if ((r = mc_read_small(fd, "pids.events", buf, sizeof(buf))) < 0)
		return r;
	return mc_pids_events_parse(buf, n);
}

/* Whether w's pids.max is a number (not "max"). */
static bool
limited(const struct watch *w)
{
	uint64_t max;

	return pids_fd(w) >= 0 && mc_read_u64(pids_fd(w), "pids.max", &max) == 0 &&
	       max != MC_UNLIMITED;
}

static void
close_pids(struct nf *nf, struct watch *w)
{
	if (w->pids_wd >= 0)
		inotify_rm_watch(nf->inofd, w->pids_wd);
	w->pids_wd = -1;
	if (w->pids_dirfd >= 0)
		close(w->pids_dirfd);
	w->pids_dirfd = -1;
	w->pids_on = false;
}

/* Finds w's pids files: the baseline, inotify, and on v1 the polling.
 * Returns 0, -ENOENT while they are not there, or another negative errno. */
static int
open_pids(struct nf *nf, struct watch *w)
{
	const struct mc_hier *h = pids_hier(nf);
	char rel[PATH_MAX], path[PATH_MAX * 2];
	int r;

	if (h == NULL || w->gone)
		return -ENODEV;
	nf_watch_rel(nf, w, rel);
	if (h->rootfd == nf->h.rootfd) {
		w->pids_on = true;
	} else if ((r = mc_cg_open_dir(h, rel)) >= 0) {
		w->pids_dirfd = r;
	} else {
		return r;
	}
	if ((r = read_refused(w, &w->pids_base)) < 0) {
		close_pids(nf, w);
		return r;
	}
	if (snprintf(path, sizeof(path), "%s/%s/pids.events", h->mnt, rel) < (int)sizeof(path))
		w->pids_wd = inotify_add_watch(nf->inofd, path, IN_MODIFY | IN_DONT_FOLLOW);
	if (h->version == 1 && nf->tasks_poll_at == 0 && limited(w))
		nf->tasks_poll_at = nf_now_ms() + TASKS_POLL_MS;
	mc_log(&nf->log, LOG_DEBUG, "%s/%s: refused processes counted from %llu", h->mnt, rel,
	       (unsigned long long)w->pids_base);
	return 0;
}

void
nf_tasks_watch(struct nf *nf, struct watch *w)
{
	w->pids_dirfd = w->pids_wd = -1;
	w->pids_on = false;
	w->pids_retry_at = 0;
	nf_tasks_recheck(nf, w);
}

void
nf_tasks_recheck(struct nf *nf, struct watch *w)
{
	const struct mc_hier *h = pids_hier(nf);

	if (h == NULL || w->gone)
		return;
	if (pids_fd(w) >= 0) {
		/* A tasks_max written since: v1 looks at it from now on. */
		if (h->version == 1 && nf->tasks_poll_at == 0 && limited(w))
			nf->tasks_poll_at = nf_now_ms() + TASKS_POLL_MS;
		return;
	}
	if (w->pids_retry_at != 0)
		return;
	/* Looked for again a while only for a user whose rules set
	 * tasks_max: pam_memcg makes the files. */
	if (open_pids(nf, w) == -ENOENT && w->user->known && w->user->tasks_max) {
		w->pids_tries = 1;
		w->pids_retry_at = nf_now_ms() + PIDS_RETRY_MS;
	}
}

void
nf_tasks_unwatch(struct nf *nf, struct watch *w)
{
	close_pids(nf, w);
	w->pids_retry_at = 0;
	w->tasks_due = 0;
}

/* A refusal may have happened in w's cgroup: told once its burst is over
 * (quiet for TASKS_QUIET_MS; a fork loop under load may refuse one fork
 * every few ms for a while). */
static void
due_soon(struct watch *w)
{
	uint64_t now = nf_now_ms(), due;

	if (w->tasks_due == 0)
		w->tasks_first = now;
	due = now + TASKS_QUIET_MS;
	if (due > w->tasks_first + TASKS_BURST_MAX_MS)
		due = w->tasks_first + TASKS_BURST_MAX_MS;
	w->tasks_due = due;
}

bool
nf_tasks_on_inotify(struct nf *nf, struct watch *w, const struct inotify_event *e)
{
	(void)nf;
	if (w->pids_wd < 0 || w->pids_wd != e->wd)
		return false;
	if (e->mask & IN_IGNORED)
		w->pids_wd = -1;
	else if (e->mask & IN_MODIFY)
		due_soon(w);
	return true;
}

void
nf_tasks_refused(struct nf *nf, struct watch *w)
{
	/* The log line may come before the files could be found. */
	if (pids_fd(w) < 0)
		(void)open_pids(nf, w);
	w->tasks_logged++;
	due_soon(w);
}

/* Tells what the counter (and the kernel log) show since the last notice. */
static void
tell(struct nf *nf, struct watch *w)
{
	struct mc_event ev = { .kind = MC_EV_TASKS };
	uint64_t n = 0, d = 0;
	bool counted = read_refused(w, &n) == 0;

	w->tasks_due = 0;
	if (counted) {
		/* Made anew under the same name: all of it is new. */
		d = n >= w->pids_base ? n - w->pids_base : n;
		w->pids_base = n;
	}
	if (d == 0 && w->tasks_logged == 0)
		return;
	ev.count = d > UINT32_MAX ? UINT32_MAX : (unsigned)d;
	w->tasks_logged = 0;
	nf_deliver(nf, w, &ev);
}

void
nf_tasks_due(struct nf *nf, uint64_t now)
{
	/* Only v1 polls (open_pids starts it). */
	bool poll = nf->tasks_poll_at != 0 && nf->tasks_poll_at <= now;
	bool any_limited = false;

	for (struct watch *w = nf->watches; w != NULL; w = w->next) {
		if (w->gone)
			continue;
		if (w->pids_retry_at != 0 && w->pids_retry_at <= now) {
			w->pids_retry_at = 0;
			if (open_pids(nf, w) == -ENOENT && w->pids_tries < PIDS_TRIES)
				w->pids_retry_at = now + ((uint64_t)PIDS_RETRY_MS << w->pids_tries++);
		}
		if (poll && limited(w)) {
			uint64_t n;

			any_limited = true;
			if (read_refused(w, &n) == 0 && n != w->pids_base)
				due_soon(w);
		}
		if (w->tasks_due != 0 && w->tasks_due <= now)
			tell(nf, w);
	}
	if (poll)
		nf->tasks_poll_at = any_limited ? now + TASKS_POLL_MS : 0;
}

uint64_t
nf_tasks_deadline(const struct nf *nf)
{
	uint64_t next = nf->tasks_poll_at;

	for (const struct watch *w = nf->watches; w != NULL; w = w->next) {
		const uint64_t d[] = { w->pids_retry_at, w->tasks_due };

		for (size_t i = 0; i < 2; i++)
			if (d[i] != 0 && (next == 0 || d[i] < next))
				next = d[i];
	}
	return next;
}
