/* warn_at on cgroup v1: usage thresholds registered through
 * cgroup.event_control by worker threads.  The kernel waits for an RCU
 * grace period in every threshold registration (about 10 ms), so 10,000
 * users in a row would take minutes; in THR_WORKERS threads the waits
 * overlap, and the main loop never waits at all.  The workers only make
 * system calls on fds handed to them; everything else stays in the main
 * thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfiles.h"
#include "notifier.h"

/* Workers need little stack: a few system calls and one snprintf.  They
 * end when no threshold is left to register, and their stacks are ours
 * (with a guard page below), unmapped then: glibc would keep the stacks of
 * its own making, touched pages and all, for threads to come. */
#define WORKER_STACK (64 * 1024)
#define GUARD 4096

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
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[THR_WORKERS];
	void *stack[THR_WORKERS];	/* GUARD + WORKER_STACK each */
	unsigned n_threads;
	bool stop;
	/* Under mu: handed out, and answered.  At most THR_WORKERS jobs are
	 * out at a time, so these never overflow. */
	struct job todo[THR_WORKERS], done[THR_WORKERS];
	unsigned n_todo, n_done;
	int donefd;		/* eventfd: answers are waiting */
	struct src done_src;

	/* Main thread only. */
	unsigned out;		/* jobs handed out, not yet answered */
	uid_t *wait;		/* uids whose watch is THR_QUEUED, in order */
	size_t wait_head, wait_len, wait_cap;
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

static void
run_job(struct job *j)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)j->bytes);
	j->r = nf_v1_register_at(j->dirfd, j->efd, mc_memfiles(1)->usage, arg);
	close(j->dirfd);
	close(j->efd);
	j->dirfd = j->efd = -1;
}

static void *
worker(void *arg)
{
	struct thr_pool *p = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job j;

		while (p->n_todo == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		j = p->todo[--p->n_todo];
		pthread_mutex_unlock(&p->mu);
		run_job(&j);
		pthread_mutex_lock(&p->mu);
		p->done[p->n_done++] = j;
		(void)!write(p->donefd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
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
	p->donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->done_src = (struct src){ SRC_THR_DONE, NULL };
	if (p->donefd < 0) {
		free(p);
		goto fail;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->done_src };

		if (epoll_ctl(nf->epfd, EPOLL_CTL_ADD, p->donefd, &ev) < 0) {
			close(p->donefd);
			free(p);
			goto fail;
		}
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
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

/* One more worker while there are fewer than jobs out.  The threads
 * inherit the signal mask of main(): every signal stays blocked in them
 * and goes to the signalfd. */
static void
add_worker(struct thr_pool *p)
{
	pthread_attr_t at;
	char *stack;

	if (p->n_threads >= THR_WORKERS || p->n_threads >= p->out)
		return;
	/* cppcheck's posix library wants fd >= 0: MAP_ANONYMOUS takes -1. */
	stack = mmap(NULL, GUARD + WORKER_STACK, PROT_READ | PROT_WRITE,
		     // cppcheck-suppress invalidFunctionArg
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return;
	if (mprotect(stack, GUARD, PROT_NONE) < 0 || pthread_attr_init(&at) != 0) {
		munmap(stack, GUARD + WORKER_STACK);
		return;
	}
	if (pthread_attr_setstack(&at, stack + GUARD, WORKER_STACK) == 0 &&
	    pthread_create(&p->th[p->n_threads], &at, worker, p) == 0)
		p->stack[p->n_threads++] = stack;
	else
		munmap(stack, GUARD + WORKER_STACK);
	pthread_attr_destroy(&at);
}

/* Joins every worker (told to stop) and gives their stacks back. */
static void
join_workers(struct thr_pool *p)
{
	for (unsigned i = 0; i < p->n_threads; i++) {
		pthread_join(p->th[i], NULL);
		munmap(p->stack[i], GUARD + WORKER_STACK);
	}
	p->n_threads = 0;
}

/* Nothing queued and nothing out: the idle workers end (their stacks go
 * back); add_worker makes them again for the next thresholds. */
static void
end_workers(struct thr_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	join_workers(p);
	p->stop = false;
}

static void
announce(struct nf *nf, struct thr_pool *p)
{
	if (!p->batch || nf->thr_batching || p->out != 0 || p->wait_len != 0)
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

/* Puts j's answer where the workers put theirs, for the loop to collect
 * (nf_thr_take): the answer of a job done or failed here goes back to the
 * loop as well, never straight to the watch.  j is counted in p->out. */
static void
hand_back(struct thr_pool *p, const struct job *j)
{
	const uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	p->done[p->n_done++] = *j;
	(void)!write(p->donefd, &one, sizeof(one));
	pthread_mutex_unlock(&p->mu);
}

/* Hands out queued thresholds while workers are free. */
static void
dispatch(struct nf *nf, struct thr_pool *p)
{
	while (p->wait_len > 0 && p->out < THR_WORKERS) {
		uid_t uid = p->wait[p->wait_head];
		struct watch *w = nf_find_watch(nf, uid);
		struct job j;

		p->wait_head = (p->wait_head + 1) % p->wait_cap;
		p->wait_len--;
		/* Gone, or its threshold dropped or taken by another entry. */
		if (w == NULL || w->thr != THR_QUEUED)
			continue;
		j = (struct job){ .uid = uid, .gen = w->efd_gen, .bytes = w->thr_bytes, .r = 0 };
		/* The job's own copies: the watch may go meanwhile. */
		j.dirfd = fcntl(w->dirfd, F_DUPFD_CLOEXEC, 0);
		j.dirfd = j.dirfd < 0 ? -errno : j.dirfd;
		j.efd = j.dirfd < 0 ? -1 : fcntl(w->efd, F_DUPFD_CLOEXEC, 0);
		w->thr = THR_BUSY;
		p->out++;
		if (j.dirfd < 0 || j.efd < 0) {
			j.r = j.dirfd < 0 ? j.dirfd : -errno;
			if (j.dirfd >= 0)
				close(j.dirfd);
			j.dirfd = j.efd = -1;
			hand_back(p, &j);
			continue;
		}
		add_worker(p);
		if (p->n_threads == 0) {
			/* No thread could be made: do it here, waiting. */
			run_job(&j);
			hand_back(p, &j);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		p->todo[p->n_todo++] = j;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
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
	if (p->wait_len == p->wait_cap) {
		size_t cap = p->wait_cap ? p->wait_cap * 2 : 64;
		uid_t *n = malloc(cap * sizeof(*n));

		if (n == NULL) {
			mc_log(&nf->log, LOG_ERR, "out of memory: no usage threshold for uid %u; warn_at is off for it",
			       (unsigned)w->user->uid);
			w->thr = THR_NONE;
			w->thr_bytes = 0;
			return;
		}
		/* Unroll the ring into the new array. */
		for (size_t i = 0; i < p->wait_len; i++)
			n[i] = p->wait[(p->wait_head + i) % p->wait_cap];
		free(p->wait);
		p->wait = n;
		p->wait_cap = cap;
		p->wait_head = 0;
	}
	p->wait[(p->wait_head + p->wait_len) % p->wait_cap] = w->user->uid;
	p->wait_len++;
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
	unsigned n;
	uint64_t v;

	if (p == NULL)
		return 0;
	(void)!read(p->donefd, &v, sizeof(v));
	pthread_mutex_lock(&p->mu);
	n = p->n_done;
	for (unsigned i = 0; i < n; i++)
		got[i] = (struct nf_thr_answer){ .uid = p->done[i].uid, .gen = p->done[i].gen,
						 .r = p->done[i].r };
	p->n_done = 0;
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < n; i++) {
		p->out--;
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
	if (p->out == 0 && p->wait_len == 0)
		end_workers(p);
}

void
nf_thr_stop(struct nf *nf)
{
	struct thr_pool *p = nf->thr;

	if (p == NULL)
		return;
	/* Registrations under way end within a grace period or so. */
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	join_workers(p);
	for (unsigned i = 0; i < p->n_todo; i++) {
		close(p->todo[i].dirfd);
		close(p->todo[i].efd);
	}
	epoll_ctl(nf->epfd, EPOLL_CTL_DEL, p->donefd, NULL);
	close(p->donefd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->wait);
	free(p);
	nf->thr = NULL;
}
