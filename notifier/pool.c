/* A small pool of worker threads, for the system calls that block where
 * the loop must not (thresh.c: threshold registrations; lookup.c: NSS):
 * jobs go in, answers come back on a done list and an eventfd wakes the
 * loop.  Workers run only the job's function on the job's own bytes;
 * everything else stays in the loop's thread.  Also the queue of uids both
 * keep while every worker is busy. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "notifier.h"

/* Below each worker's stack, unmapped: an overflow faults. */
#define GUARD 4096

struct nf_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned max;		/* workers, and jobs out, at most */
	size_t stack_size, job_size;
	void (*run)(void *job);
	pthread_t *th;
	void **stack;		/* GUARD + stack_size each */
	unsigned n_threads;
	bool stop;
	/* One slot of job_size bytes per job out, from nf_pool_put to
	 * nf_pool_take: a worker runs the job in its slot. */
	unsigned char *slots;
	/* Under mu: slots handed out, and answered. */
	unsigned *todo, *done;
	unsigned n_todo, n_done;
	int donefd;		/* eventfd: answers are waiting */
	struct src done_src;

	/* Loop's thread only. */
	unsigned *free_slots;
	unsigned n_free;
	unsigned out;		/* jobs put, not taken yet */
};

static void *
slot(const struct nf_pool *p, unsigned i)
{
	return p->slots + (size_t)i * p->job_size;
}

static void *
worker(void *arg)
{
	struct nf_pool *p = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned i;

		while (p->n_todo == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		i = p->todo[--p->n_todo];
		pthread_mutex_unlock(&p->mu);
		p->run(slot(p, i));
		pthread_mutex_lock(&p->mu);
		p->done[p->n_done++] = i;
		(void)!write(p->donefd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
pool_free(struct nf_pool *p)
{
	free(p->th);
	free(p->stack);
	free(p->slots);
	free(p->todo);
	free(p->done);
	free(p->free_slots);
	free(p);
}

struct nf_pool *
nf_pool_new(struct nf *nf, unsigned max, size_t stack_size, size_t job_size,
	    void (*run)(void *job), enum src_type type)
{
	struct nf_pool *p = calloc(1, sizeof(*p));
	struct epoll_event ev;
	int e;

	if (p == NULL)
		return NULL;
	p->max = max;
	p->stack_size = stack_size;
	p->job_size = job_size;
	p->run = run;
	p->donefd = -1;
	if ((p->th = calloc(max, sizeof(*p->th))) == NULL ||
	    (p->stack = calloc(max, sizeof(*p->stack))) == NULL ||
	    (p->slots = calloc(max, job_size)) == NULL ||
	    (p->todo = calloc(max, sizeof(*p->todo))) == NULL ||
	    (p->done = calloc(max, sizeof(*p->done))) == NULL ||
	    (p->free_slots = calloc(max, sizeof(*p->free_slots))) == NULL ||
	    (p->donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto fail;
	p->done_src = (struct src){ type, NULL };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &p->done_src };
	if (epoll_ctl(nf->epfd, EPOLL_CTL_ADD, p->donefd, &ev) < 0)
		goto fail;
	for (unsigned i = 0; i < max; i++)
		p->free_slots[p->n_free++] = max - 1 - i;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
fail:
	/* The caller logs why. */
	e = errno;
	if (p->donefd >= 0)
		close(p->donefd);
	pool_free(p);
	errno = e;
	return NULL;
}

bool
nf_pool_room(const struct nf_pool *p)
{
	return p->out < p->max;
}

unsigned
nf_pool_out(const struct nf_pool *p)
{
	return p->out;
}

/* One more worker while there are fewer than jobs out.  The threads
 * inherit the signal mask of main(): every signal stays blocked in them
 * and goes to the signalfd.  Their stacks are ours, unmapped when they
 * end: glibc would keep the stacks of its own making, touched pages and
 * all, for threads to come. */
static void
add_worker(struct nf_pool *p)
{
	pthread_attr_t at;
	char *stack;

	if (p->n_threads >= p->max || p->n_threads >= p->out)
		return;
	/* cppcheck's posix library wants fd >= 0: MAP_ANONYMOUS takes -1. */
	stack = mmap(NULL, GUARD + p->stack_size, PROT_READ | PROT_WRITE,
		     // cppcheck-suppress invalidFunctionArg
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return;
	if (mprotect(stack, GUARD, PROT_NONE) < 0 || pthread_attr_init(&at) != 0) {
		munmap(stack, GUARD + p->stack_size);
		return;
	}
	if (pthread_attr_setstack(&at, stack + GUARD, p->stack_size) == 0 &&
	    pthread_create(&p->th[p->n_threads], &at, worker, p) == 0)
		p->stack[p->n_threads++] = stack;
	else
		munmap(stack, GUARD + p->stack_size);
	pthread_attr_destroy(&at);
}

/* The slot of a new job out, holding a copy of job. */
static unsigned
take_slot(struct nf_pool *p, const void *job)
{
	unsigned i = p->free_slots[--p->n_free];

	memcpy(slot(p, i), job, p->job_size);
	p->out++;
	return i;
}

/* Puts slot i on the done list, for the loop to collect. */
static void
hand_back(struct nf_pool *p, unsigned i)
{
	const uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	p->done[p->n_done++] = i;
	(void)!write(p->donefd, &one, sizeof(one));
	pthread_mutex_unlock(&p->mu);
}

void
nf_pool_put(struct nf_pool *p, const void *job)
{
	unsigned i = take_slot(p, job);

	add_worker(p);
	if (p->n_threads == 0) {
		/* No thread could be made: run here, waiting. */
		p->run(slot(p, i));
		hand_back(p, i);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->todo[p->n_todo++] = i;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
nf_pool_answer(struct nf_pool *p, const void *job)
{
	hand_back(p, take_slot(p, job));
}

unsigned
nf_pool_take(struct nf_pool *p, void *answers)
{
	unsigned n;
	uint64_t v;

	(void)!read(p->donefd, &v, sizeof(v));
	pthread_mutex_lock(&p->mu);
	n = p->n_done;
	for (unsigned k = 0; k < n; k++) {
		memcpy((unsigned char *)answers + (size_t)k * p->job_size, slot(p, p->done[k]),
		       p->job_size);
		p->free_slots[p->n_free++] = p->done[k];
	}
	p->n_done = 0;
	pthread_mutex_unlock(&p->mu);
	p->out -= n;
	return n;
}

/* Tells every worker to stop and joins them, giving their stacks back. */
static void
end_workers(struct nf_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++) {
		pthread_join(p->th[i], NULL);
		munmap(p->stack[i], GUARD + p->stack_size);
	}
	p->n_threads = 0;
	p->stop = false;
}

void
nf_pool_rest(struct nf_pool *p)
{
	if (p->out == 0 && p->n_threads != 0)
		end_workers(p);
}

bool
nf_pool_stop(struct nf *nf, struct nf_pool *p, bool wait, void (*drop)(void *job))
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	/* A worker in a call that hangs is not waited for unless asked: the
	 * process exits. */
	if (!wait && p->out != 0)
		return false;
	end_workers(p);
	for (unsigned i = 0; i < p->n_todo && drop != NULL; i++)
		drop(slot(p, p->todo[i]));
	epoll_ctl(nf->epfd, EPOLL_CTL_DEL, p->donefd, NULL);
	close(p->donefd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pool_free(p);
	return true;
}

int
nf_ring_push(struct nf_ring *r, uid_t uid)
{
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		uid_t *n = malloc(cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		/* Unroll the ring into the new array. */
		for (size_t i = 0; i < r->len; i++)
			n[i] = r->v[(r->head + i) % r->cap];
		free(r->v);
		r->v = n;
		r->cap = cap;
		r->head = 0;
	}
	r->v[(r->head + r->len) % r->cap] = uid;
	r->len++;
	return 0;
}

uid_t
nf_ring_pop(struct nf_ring *r)
{
	uid_t uid = r->v[r->head];

	r->head = (r->head + 1) % r->cap;
	r->len--;
	return uid;
}

void
nf_ring_free(struct nf_ring *r)
{
	free(r->v);
	*r = (struct nf_ring){ 0 };
}
