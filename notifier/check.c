/* Reading a user cgroup's events and deciding what they mean: every
 * wake-up (an eventfd, memory.events, the kernel log) ends in
 * nf_evaluate, which reads the counters through the watch's directory fd,
 * asks events.c what happened and hands the answer to deliver.c.  Also the
 * removal of a v2 cgroup emptied during a check, which waits for it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cgfs.h"
#include "memfiles.h"
#include "notifier.h"
#include "parse.h"

int
nf_read_counters(const struct nf *nf, const struct watch *w, struct mc_counters *c)
{
	const struct mc_memfiles *mf = mc_memfiles(nf->h.version);
	char buf[1024];
	uint64_t v;
	int r;

	memset(c, 0, sizeof(*c));
	if (w->dirfd < 0)
		return -ENOENT;
	if ((r = mc_read_small(w->dirfd, mf->events, buf, sizeof(buf))) < 0 ||
	    (r = mc_counters_parse(nf->h.version, buf, c)) < 0)
		return r;
	if (nf->h.version == 2)
		return 0;
	if (mc_read_small(w->dirfd, mf->failcnt, buf, sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (mc_parse_u64(buf, 0, UINT64_MAX, &v) == 0) {
			c->v[MC_C_MAX] = v;
			c->have |= 1u << MC_C_MAX;
		}
	}
	return 0;
}

/* v1: whether usage peaked at the cgroup's own limit (memory, or memory +
 * swap), within a page of it.  See peak_at_limit in events.h. */
static bool
v1_peak_at_limit(const struct watch *w)
{
	const struct mc_memfiles *mf = mc_memfiles(1);
	const char *const pairs[][2] = {
		{ mf->peak, mf->limit },
		{ mf->swap_peak, mf->swap_limit },
	};
	char buf[64];
	bool at = false;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]) && !at; i++) {
		uint64_t peak, limit;

		if (mc_read_small(w->dirfd, pairs[i][0], buf, sizeof(buf)) < 0 ||
		    (buf[strcspn(buf, "\n")] = '\0', mc_parse_u64(buf, 0, UINT64_MAX, &peak)) < 0 ||
		    mc_read_small(w->dirfd, pairs[i][1], buf, sizeof(buf)) < 0 ||
		    (buf[strcspn(buf, "\n")] = '\0', mc_parse_u64(buf, 0, UINT64_MAX, &limit)) < 0)
			continue;
		at = limit < MC_SIZE_LIMIT && peak + 4096 >= limit;
	}
	return at;
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
void
nf_remove_if_empty(struct nf *nf, struct watch *w)
{
	char rel[PATH_MAX], buf[256];
	const char *leaf;
	int pfd, r;

	/* A kill that emptied the cgroup (oom.group) is told first: its
	 * counters live in the cgroup.  nf_evaluate calls back when done.
	 * (Not for a wait on the user's name alone.) */
	nf_watch_rel(nf, w, rel);
	if (w->deadline_ms != 0 && !w->lookup_wait) {
		mc_log(&nf->log, LOG_DEBUG, "%s/%s: populated changed during a check; looked at after it",
		       nf->h.mnt, rel);
		w->empty_pending = true;
		return;
	}
	if (mc_read_small(w->dirfd, "cgroup.events", buf, sizeof(buf)) < 0 || !nf_unpopulated(buf)) {
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

void
nf_evaluate(struct nf *nf, struct watch *w, bool final)
{
	const struct user *u = w->user;
	struct mc_counters now_c, delta;
	struct mc_event ev[16];
	struct mc_check c;
	uint64_t now = nf_now_ms();
	size_t n, used;
	bool fresh, ok, wait;

	/* Whom to tell, and how, before anything is told: the look-up's
	 * answer evaluates again (LOOKUP_WAIT_MS at most, then the log
	 * alone tells). */
	if (!w->resolved && !w->gone)
		nf_lookup_want(nf, u->uid);
	if (!w->resolved && !w->gone && !final) {
		if (!w->lookup_wait)
			w->deadline_ms = now + LOOKUP_WAIT_MS;
		w->lookup_wait = true;
		return;
	}
	/* NSS said "no such user": glibc says so too when the look-up itself
	 * failed (out of fds, say).  Ask once more for this check. */
	if (w->resolved && !w->gone && !final && !w->name_asked && u->known && u->name == NULL) {
		w->name_asked = true;
		nf_lookup_want(nf, u->uid);
		w->deadline_ms = now + LOOKUP_WAIT_MS;
		w->lookup_wait = true;
		return;
	}
	memset(&delta, 0, sizeof(delta));
	fresh = !w->gone && nf_read_counters(nf, w, &now_c) == 0;
	if (fresh) {
		w->seen = now_c;
		w->have_seen = true;
	} else if (w->have_seen) {
		/* Removed since this check read a kill: what it read is
		 * still news, told without a victim if the log names none. */
		now_c = w->seen;
	}
	ok = fresh || w->have_seen;
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
		.peak_at_limit = fresh && nf->h.version == 1 && v1_peak_at_limit(w),
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
	w->have_seen = false;
	drop_victims(w, used);
	w->deadline_ms = 0;
	w->lookup_wait = false;
	w->name_asked = false;
	w->own_oom_seen = false;
	if (fresh && nf->h.version == 2 && (delta.v[MC_C_HIGH] || delta.v[MC_C_MAX]))
		nf_warn_check(nf, w);
	if (w->empty_pending && !w->gone) {
		w->empty_pending = false;
		nf_remove_if_empty(nf, w);
	}
}

void
nf_start_check(struct nf *nf, struct watch *w)
{
	if (w->deadline_ms == 0)
		w->deadline_ms = nf_now_ms() + CHECK_WAIT_MS;
	nf_evaluate(nf, w, false);
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
		nf_start_check(nf, w);
		if (w->thr == THR_ARMED)
			nf_warn_check(nf, w);
		break;
	case SRC_PSI:
		if (events & (EPOLLERR | EPOLLHUP)) {
			/* The cgroup is going away. */
			nf_epoll_close(nf, &w->psi_fd);
			return;
		}
		nf_warn_check(nf, w);
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

bool
nf_victims_pending(struct nf *nf)
{
	if (nf->kmsgfd < 0)
		return false;
	for (struct watch *w = nf->watches; w != NULL; w = w->next) {
		struct mc_counters c, d;

		if (w->deadline_ms == 0 || w->gone || nf_read_counters(nf, w, &c) < 0)
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
