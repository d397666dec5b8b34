/* The kernel log (/dev/kmsg): an OOM in a user cgroup starts its check,
 * and a kill line names the victim, matched to its user cgroup by the
 * line's path or the victim's pid, and to its user by the line's uid.  The
 * victims wait in the watch for check.c to tell them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "notifier.h"
#include "sanitize.h"

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
		if (w->user->uid != uid)
			continue;
		if (!w->gone)
			return w;
		if (gone == NULL && w->deadline_ms != 0)
			gone = w;
	}
	return gone;
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

		if (w->gone || (have_uid && w->user->uid != uid) || nf_read_counters(nf, w, &c) < 0)
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
			nf_start_check(nf, w);
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
		if (!ev->have_uid || ev->uid != w->user->uid) {
			unattributed(nf, ev, "its uid is not that of the cgroup's user");
			break;
		}
		if (victim_room(w))
			mc_victim_from_kmsg(ev, watch_kpath(nf, w, kpath, sizeof(kpath)),
					    &w->victims[w->n_victims++]);
		if (w->deadline_ms == 0)
			w->deadline_ms = nf_now_ms() + VICTIM_WAIT_MS;
		nf_evaluate(nf, w, false);
		break;
	case MC_KMSG_FORK_REFUSED:
		/* In the user cgroup or below it (a session's scope). */
		if (uid_of_kpath(nf, ev->memcg, &uid) && (w = nf_find_watch(nf, uid)) != NULL)
			nf_tasks_refused(nf, w);
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
			nf_epoll_close(nf, &nf->kmsgfd);
			break;
		}
		if (mc_kmsg_feed(&nf->kst, rec, (size_t)n, &ev) != MC_KMSG_NONE)
			on_kmsg_event(nf, &ev);
	}
}
