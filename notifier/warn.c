/* warn_at: tells a user once when usage crosses their warn_at share of the
 * limit.  On v1 a usage threshold on the watch's eventfd (registered by
 * thresh.c's workers) wakes us; on v2 a PSI trigger on memory.pressure, or
 * a change of memory.events, makes us look.  Everything is read through
 * the watch's directory fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "memfiles.h"
#include "notifier.h"

/* PSI trigger for warn_at on v2: 100 ms of stall within 1 s. */
#define PSI_TRIGGER "some 100000 1000000"

static uint64_t
share_of(uint64_t limit, uint32_t basis_points)
{
	return limit / 10000 * basis_points + limit % 10000 * basis_points / 10000;
}

/* Whether r says the daemon ran short of fds or memory (worth a retry). */
static bool
short_of(int r)
{
	return r == -EMFILE || r == -ENFILE || r == -ENOMEM;
}

/* v1: puts the OOM registration on a fresh eventfd in place of w's, which
 * goes with whatever threshold it carries (closing an eventfd is the only
 * way to take a threshold off).  Returns 0 or a negative errno (w keeps
 * its eventfd). */
static int
renew_efd(struct nf *nf, struct watch *w)
{
	int efd = nf_v1_oom_efd(w->dirfd), r;

	if (efd < 0)
		return efd;
	w->efd_src = (struct src){ SRC_OOM, w };
	if ((r = nf_epoll_add(nf, efd, EPOLLIN, &w->efd_src)) < 0) {
		close(efd);
		return r;
	}
	nf_epoll_close(nf, &w->efd);
	w->efd = efd;
	w->efd_gen = ++nf->efd_gen;
	w->thr = THR_NONE;
	w->thr_bytes = 0;
	return 0;
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
			nf_warn_check(nf, w);
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
		       nf->h.mnt, nf_watch_rel(nf, w, rel), strerror(-r), (unsigned)w->user->uid);
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
		       nf->h.mnt, nf_watch_rel(nf, w, rel), strerror(-r), (unsigned)uid);
		w->thr = THR_NONE;
		w->thr_bytes = 0;
		return;
	}
	w->thr = THR_ARMED;
	/* Already above it: the eventfd only tells of crossings. */
	nf_warn_check(nf, w);
}

/* v2: a PSI trigger on w's memory.pressure, in the epoll set.  Returns 0
 * or a negative errno. */
static int
arm_psi(struct nf *nf, struct watch *w)
{
	int r;

	w->psi_fd = openat(w->dirfd, mc_memfiles(2)->pressure,
			   O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	r = w->psi_fd < 0 ? -errno : 0;
	if (r == 0 && write(w->psi_fd, PSI_TRIGGER, sizeof(PSI_TRIGGER)) < 0)
		r = -errno;
	if (r == 0)
		r = nf_epoll_add(nf, w->psi_fd, EPOLLPRI, &w->psi_src);
	if (r < 0)
		nf_epoll_close(nf, &w->psi_fd);
	return r;
}

int
nf_warn_arm(struct nf *nf, struct watch *w)
{
	const struct user *u = w->user;
	struct mc_cg_stats st;
	char rel[PATH_MAX];
	int r;

	if (nf->h.version == 1) {
		uint64_t want = 0;

		if (!w->gone && u->warn_at != 0 && mc_cg_stats_at(1, w->dirfd, &st) == 0 &&
		    st.max != MC_UNLIMITED)
			want = share_of(st.max, u->warn_at);
		v1_set_threshold(nf, w, want);
		return 0;
	}
	nf_epoll_close(nf, &w->psi_fd);
	w->warn_retry = false;
	if (w->gone || u->warn_at == 0)
		return 0;
	if ((r = mc_cg_stats_at(2, w->dirfd, &st)) < 0 || st.max == MC_UNLIMITED) {
		if (r < 0 && short_of(r)) {
			w->warn_retry = true;
			return r;
		}
		return 0;
	}
	if ((r = arm_psi(nf, w)) < 0 && !short_of(r))
		mc_log(&nf->log, LOG_INFO, "no PSI trigger on %s/%s/memory.pressure (%s): warn_at is checked on memory.events changes only",
		       nf->h.mnt, nf_watch_rel(nf, w, rel), strerror(-r));
	nf_warn_check(nf, w);
	if (r < 0 && short_of(r)) {
		w->warn_retry = true;
		return r;
	}
	return 0;
}

void
nf_warn_check(struct nf *nf, struct watch *w)
{
	const struct user *u = w->user;
	struct mc_cg_stats st;
	struct mc_event ev;
	uint64_t thr;

	if (w->gone || u->warn_at == 0 || mc_cg_stats_at(nf->h.version, w->dirfd, &st) < 0)
		return;
	w->last = st;
	w->have_last = true;
	if (st.max == MC_UNLIMITED)
		return;
	thr = share_of(st.max, u->warn_at);
	if (nf->h.version == 1 && w->thr_bytes != 0 && thr != w->thr_bytes) {
		/* The limit changed under us: move the threshold along. */
		(void)nf_warn_arm(nf, w);
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
