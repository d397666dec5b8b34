/* warn_at on cgroup v1: usage thresholds registered through
 * cgroup.event_control by worker threads (pool.c).  The kernel waits for
 * an RCU grace period in every threshold registration (about 10 ms), so
 * 10,000 users in a row would take minutes; in THR_WORKERS threads the
 * waits overlap, and the main loop never waits at all.  The workers only
 * make system calls on fds handed to them; everything else stays in the
 * main thread.  Also the OOM eventfd registration of v1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "memfiles.h"
#include "notifier.h"

/* Workers need little stack: a few system calls and one snprintf. */
#define WORKER_STACK (64 * 1024)

/* One registration: the fds are the job's own (dups of the watch's
 * directory fd and eventfd), so that the main thread may close the
 * watch's meanwhile. */
struct job {
	uid_t uid;
	unsigned gen;
	int dirfd, efd;
	uint64_t bytes;
	int r;
};

struct thr_pool {
	struct nf_pool *pool;	/* pool.c: the workers */
	struct nf_ring wait;	/* uids whose watch is THR_QUEUED, in order */
	bool batch;		/* a start or reload is arming */
	uint64_t batch_ms;	/* when it began */
	size_t armed, failed;	/* in this batch */
};

int
nf_v1_register_at(int dirfd, int efd, const char *file, const char *arg)
{
	char line[96];
	int cfd = -1, ecfd = -1, r = 0;

	if ((cfd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    (ecfd = openat(dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = -errno;
		goto out;
	}
	snprintf(line, sizeof(line), "%d %d%s%s", efd, cfd, arg ? " " : "", arg ? arg : "");
	if (write(ecfd, line, strlen(line)) < 0)
		r = -errno;
out:
	if (cfd >= 0)
		close(cfd);
	if (ecfd >= 0)
		close(ecfd);
	return r;
}

int
nf_v1_oom_efd(int dirfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), r;

	r = efd < 0 ? -errno : nf_v1_register_at(dirfd, efd, mc_memfiles(1)->events, NULL);
	if (r < 0 && efd >= 0)
		close(efd);
	return r < 0 ? r : efd;
}

/* In a worker (or, when no thread could be made, in the loop's thread). */
static void
run_job(void *arg)
{
	struct job *j = arg;
	char num[32];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)j->bytes);
	j->r = nf_v1_register_at(j->dirfd, j->efd, mc_memfiles(1)->usage, num);
	close(j->dirfd);
	close(j->efd);
	j->dirfd = j->efd = -1;
}

/* A job never run: its fds go. */
static void
drop_job(void *arg)
{
	struct job *j = arg;

	close(j->dirfd);
	close(j->efd);
}

/* The pool, made on first use: most machines never need it (v2, or
 * warn_at off).  NULL when it cannot be made (logged). */
static struct thr_pool *
pool(struct nf *nf)
{
	struct thr_pool *p;

	if (nf->thr != NULL)
		return nf->thr;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if ((p->pool = nf_pool_new(nf, THR_WORKERS, WORKER_STACK, sizeof(struct job), run_job,
				   SRC_THR_DONE)) == NULL) {
		free(p);
		goto fail;
	}
	/* Made by a start or reload: its line counts from its beginning. */
	p->batch = nf->thr_batching;
	p->batch_ms = nf->thr_batch_ms;
	nf->thr = p;
	return p;
fail:
	mc_log(&nf->log, LOG_ERR, "cannot set up the threshold workers: %s; warn_at thresholds are set one by one",
	       strerror(errno));
	return NULL;
}

static void
announce(struct nf *nf, struct thr_pool *p)
{
	if (!p->batch || nf->thr_batching || nf_pool_out(p->pool) != 0 || p->wait.len != 0)
		return;
	p->batch = false;
	if (p->armed + p->failed == 0)
		return;
	if (p->failed)
		mc_log(&nf->log, LOG_INFO, "warn_at: usage thresholds armed on %zu user cgroups, %zu failed, in %.2f s",
		       p->armed, p->failed, (double)(nf_now_ms() - p->batch_ms) / 1000.0);
	else
		mc_log(&nf->log, LOG_INFO, "warn_at: usage thresholds armed on %zu user cgroups in %.2f s",
		       p->armed, (double)(nf_now_ms() - p->batch_ms) / 1000.0);
}

/* Hands out queued thresholds while workers are free. */
static void
dispatch(struct nf *nf, struct thr_pool *p)
{
	while (p->wait.len > 0 && nf_pool_room(p->pool)) {
		uid_t uid = nf_ring_pop(&p->wait);
		struct watch *w = nf_find_watch(nf, uid);
		struct job j;

		/* Gone, or its threshold dropped or taken by another entry. */
		if (w == NULL || w->thr != THR_QUEUED)
			continue;
		j = (struct job){ .uid = uid, .gen = w->efd_gen, .bytes = w->thr_bytes, .r = 0 };
		/* The job's own copies: the watch may go meanwhile. */
		j.dirfd = fcntl(w->dirfd, F_DUPFD_CLOEXEC, 0);
		j.dirfd = j.dirfd < 0 ? -errno : j.dirfd;
		j.efd = j.dirfd < 0 ? -1 : fcntl(w->efd, F_DUPFD_CLOEXEC, 0);
		w->thr = THR_BUSY;
		if (j.dirfd < 0 || j.efd < 0) {
			/* Its answer goes back through the loop as well, never
			 * straight to the watch. */
			j.r = j.dirfd < 0 ? j.dirfd : -errno;
			if (j.dirfd >= 0)
				close(j.dirfd);
			j.dirfd = j.efd = -1;
			nf_pool_answer(p->pool, &j);
			continue;
		}
		nf_pool_put(p->pool, &j);
	}
	announce(nf, p);
}

void
nf_thr_queue(struct nf *nf, struct watch *w)
{
	struct thr_pool *p = pool(nf);

	if (p == NULL) {
		w->thr = THR_NONE;
		w->thr_bytes = 0;
		return;
	}
	if (nf_ring_push(&p->wait, w->user->uid) < 0) {
		mc_log(&nf->log, LOG_ERR, "out of memory: no usage threshold for uid %u; warn_at is off for it",
		       (unsigned)w->user->uid);
		w->thr = THR_NONE;
		w->thr_bytes = 0;
		return;
	}
	dispatch(nf, p);
}

void
nf_thr_batch(struct nf *nf, bool begin)
{
	struct thr_pool *p = nf->thr;

	nf->thr_batching = begin;
	if (!begin) {
		/* Nothing queued, or all of it done already. */
		if (p != NULL)
			announce(nf, p);
		return;
	}
	nf->thr_batch_ms = nf_now_ms();
	if (p == NULL)
		return;
	p->batch = true;
	p->batch_ms = nf->thr_batch_ms;
	p->armed = p->failed = 0;
}

unsigned
nf_thr_take(struct nf *nf, struct nf_thr_answer *got)
{
	struct thr_pool *p = nf->thr;
	struct job jobs[THR_WORKERS];
	unsigned n;

	if (p == NULL)
		return 0;
	n = nf_pool_take(p->pool, jobs);
	for (unsigned i = 0; i < n; i++) {
		got[i] = (struct nf_thr_answer){ .uid = jobs[i].uid, .gen = jobs[i].gen, .r = jobs[i].r };
		if (got[i].r < 0)
			p->failed++;
		else
			p->armed++;
	}
	return n;
}

void
nf_thr_more(struct nf *nf)
{
	struct thr_pool *p = nf->thr;

	if (p == NULL)
		return;
	dispatch(nf, p);
	if (p->wait.len == 0)
		nf_pool_rest(p->pool);
}

void
nf_thr_stop(struct nf *nf)
{
	struct thr_pool *p = nf->thr;

	if (p == NULL)
		return;
	/* Registrations under way end within a grace period or so. */
	(void)nf_pool_stop(nf, p->pool, true, drop_job);
	nf_ring_free(&p->wait);
	free(p);
	nf->thr = NULL;
}
