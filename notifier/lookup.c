/* User look-ups off the main loop: NSS (the passwd entry, and the groups
 * the rules ask about) can take seconds on a slow directory, and every
 * user's notice would wait behind it.  LOOKUP_WORKERS threads take uids
 * from a queue and hand back mc_account records through an eventfd to the
 * loop (main.c), which gives them to watch.c: only the main thread
 * touches watches and users, and this file never calls up into them.  A
 * look-up that cannot be queued is done in the loop's thread, and its
 * answer goes the same way. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "account.h"
#include "notifier.h"

/* NSS modules want more stack than a threshold registration; the stacks
 * are ours and unmapped when the workers end (see thresh.c). */
#define WORKER_STACK (256 * 1024)
#define GUARD 4096

struct retired {
	struct retired *next;
	struct mc_config *cfg;
};

struct lk_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[LOOKUP_WORKERS];
	void *stack[LOOKUP_WORKERS];
	unsigned n_threads;
	bool stop;
	/* Under mu: jobs handed out (at most LOOKUP_WORKERS), answers. */
	struct nf_lk_answer todo[LOOKUP_WORKERS], done[LOOKUP_WORKERS];
	unsigned n_todo, n_done;
	int donefd;
	struct src done_src;

	/* Main thread only. */
	unsigned out;		/* handed out, not answered yet */
	uid_t *wait;		/* queued uids, oldest first (a ring) */
	size_t wait_head, wait_len, wait_cap;
	struct retired *retired;	/* replaced configs workers may still read */
};

/* Looks a up (a.uid, for the rules a.cfg), waiting. */
static void
look_up(struct nf_lk_answer *a)
{
	a->r = mc_account_by_uid(a->uid, &a->acct);
	/* The groups found so far stay either way. */
	a->groups_r = a->r == 0 ? mc_account_load_groups(&a->acct, a->cfg) : 0;
}

static void *
worker(void *arg)
{
	struct lk_pool *p = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct nf_lk_answer a;

		while (p->n_todo == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		a = p->todo[--p->n_todo];
		pthread_mutex_unlock(&p->mu);
		look_up(&a);
		pthread_mutex_lock(&p->mu);
		p->done[p->n_done++] = a;
		(void)!write(p->donefd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The pool, made on first use.  NULL when it cannot be made (logged). */
static struct lk_pool *
pool(struct nf *nf)
{
	struct lk_pool *p;
	struct epoll_event ev;

	if (nf->lk != NULL)
		return nf->lk;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if ((p->donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(p);
		goto fail;
	}
	p->done_src = (struct src){ SRC_LOOKUP_DONE, NULL };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &p->done_src };
	if (epoll_ctl(nf->epfd, EPOLL_CTL_ADD, p->donefd, &ev) < 0) {
		close(p->donefd);
		free(p);
		goto fail;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	nf->lk = p;
	return p;
fail:
	mc_log(&nf->log, LOG_ERR, "cannot set up the user look-up workers: %s; users are looked up in the main loop",
	       strerror(errno));
	return NULL;
}

/* One more worker while there are fewer than jobs out.  They inherit
 * main()'s signal mask: every signal goes to the signalfd. */
static void
add_worker(struct lk_pool *p)
{
	pthread_attr_t at;
	char *stack;

	if (p->n_threads >= LOOKUP_WORKERS || p->n_threads >= p->out)
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

/* Tells every worker to stop, joins them, gives their stacks back. */
static void
end_workers(struct lk_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++) {
		pthread_join(p->th[i], NULL);
		munmap(p->stack[i], GUARD + WORKER_STACK);
	}
	p->n_threads = 0;
	p->stop = false;
}

static void
free_retired(struct lk_pool *p)
{
	while (p->retired != NULL) {
		struct retired *r = p->retired;

		p->retired = r->next;
		mc_config_free(r->cfg);
		free(r);
	}
}

/* Looks a up in the main thread, waiting (no worker could be made), and
 * puts the answer where the workers put theirs, for the loop to collect.
 * a is counted in p->out. */
static void
answer_here(struct lk_pool *p, struct nf_lk_answer a)
{
	const uint64_t one = 1;

	look_up(&a);
	pthread_mutex_lock(&p->mu);
	p->done[p->n_done++] = a;
	(void)!write(p->donefd, &one, sizeof(one));
	pthread_mutex_unlock(&p->mu);
}

/* Hands out queued uids while workers are free. */
static void
dispatch(struct nf *nf, struct lk_pool *p)
{
	while (p->wait_len > 0 && p->out < LOOKUP_WORKERS) {
		struct nf_lk_answer a = { .uid = p->wait[p->wait_head], .cfg = nf->cfg };

		p->wait_head = (p->wait_head + 1) % p->wait_cap;
		p->wait_len--;
		p->out++;
		add_worker(p);
		if (p->n_threads == 0) {
			answer_here(p, a);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		p->todo[p->n_todo++] = a;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Adds uid at the end of the queue.  Returns 0 or -ENOMEM. */
static int
enqueue(struct lk_pool *p, uid_t uid)
{
	if (p->wait_len == p->wait_cap) {
		size_t cap = p->wait_cap ? p->wait_cap * 2 : 64;
		uid_t *n = malloc(cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < p->wait_len; i++)
			n[i] = p->wait[(p->wait_head + i) % p->wait_cap];
		free(p->wait);
		p->wait = n;
		p->wait_cap = cap;
		p->wait_head = 0;
	}
	p->wait[(p->wait_head + p->wait_len) % p->wait_cap] = uid;
	p->wait_len++;
	return 0;
}

int
nf_lookup_queue(struct nf *nf, uid_t uid)
{
	struct lk_pool *p = pool(nf);

	if (p == NULL || enqueue(p, uid) < 0)
		return -ENOMEM;
	dispatch(nf, p);
	return 0;
}

/* No worker could take uid's look-up: done here, waiting, and its answer
 * put in nf->lk_here for the loop (nf_lookup_ready). */
static void
look_up_here(struct nf *nf, struct user *u)
{
	struct nf_lk_answer a = { .uid = u->uid, .cfg = nf->cfg };

	if (nf->n_lk_here == nf->cap_lk_here) {
		size_t cap = nf->cap_lk_here ? nf->cap_lk_here * 2 : LOOKUP_WORKERS;
		struct nf_lk_answer *n = realloc(nf->lk_here, cap * sizeof(*n));

		if (n == NULL) {
			mc_log(&nf->log, LOG_ERR, "out of memory: uid %u is not looked up",
			       (unsigned)u->uid);
			u->lookup_pending = false;
			return;
		}
		nf->lk_here = n;
		nf->cap_lk_here = cap;
	}
	look_up(&a);
	nf->lk_here[nf->n_lk_here++] = a;
}

void
nf_lookup_want(struct nf *nf, uid_t uid)
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
		look_up_here(nf, u);
}

bool
nf_lookup_ready(const struct nf *nf)
{
	return nf->n_lk_here != 0;
}

/* Moves up to room answers of nf->lk_here into got; those looked up for
 * rules replaced since are looked up again first.  Returns how many. */
static unsigned
take_here(struct nf *nf, struct nf_lk_answer *got, unsigned room)
{
	unsigned n = nf->n_lk_here < room ? (unsigned)nf->n_lk_here : room;

	for (unsigned i = 0; i < n; i++) {
		got[i] = nf->lk_here[i];
		if (got[i].cfg != nf->cfg) {
			if (got[i].r == 0)
				mc_account_free(&got[i].acct);
			got[i].cfg = nf->cfg;
			look_up(&got[i]);
		}
	}
	nf->n_lk_here -= n;
	memmove(nf->lk_here, nf->lk_here + n, nf->n_lk_here * sizeof(nf->lk_here[0]));
	return n;
}

unsigned
nf_lookup_take(struct nf *nf, struct nf_lk_answer *got)
{
	struct lk_pool *p = nf->lk;
	unsigned n = 0, k = 0;
	uint64_t v;

	if (p != NULL) {
		(void)!read(p->donefd, &v, sizeof(v));
		pthread_mutex_lock(&p->mu);
		n = p->n_done;
		memcpy(got, p->done, n * sizeof(got[0]));
		p->n_done = 0;
		pthread_mutex_unlock(&p->mu);
	}
	for (unsigned i = 0; i < n; i++) {
		p->out--;
		if (got[i].cfg != nf->cfg) {
			/* Looked up for rules that were replaced meanwhile:
			 * again, or (no memory to queue it) an answer that
			 * says so, which the watch retries later. */
			if (got[i].r == 0)
				mc_account_free(&got[i].acct);
			if (enqueue(p, got[i].uid) == 0)
				continue;
			got[i].r = -ENOMEM;
			got[i].cfg = nf->cfg;
		}
		got[k++] = got[i];
	}
	return k + take_here(nf, got + k, LOOKUP_WORKERS - k);
}

void
nf_lookup_more(struct nf *nf, struct nf_lk_answer *got, unsigned n)
{
	struct lk_pool *p = nf->lk;

	for (unsigned i = 0; i < n; i++)
		if (got[i].r == 0)
			mc_account_free(&got[i].acct);
	if (p == NULL)
		return;
	dispatch(nf, p);
	if (p->out == 0) {
		free_retired(p);
		if (p->wait_len == 0) {
			end_workers(p);
			/* A start's queue of thousands is not kept. */
			free(p->wait);
			p->wait = NULL;
			p->wait_cap = p->wait_head = 0;
		}
	}
}

void
nf_lookup_retire(struct nf *nf, struct mc_config *cfg)
{
	struct lk_pool *p = nf->lk;
	struct retired *r;

	/* Answers looked up here for cfg are looked up again when taken
	 * (its address may come back with another config). */
	for (size_t i = 0; i < nf->n_lk_here; i++)
		if (nf->lk_here[i].cfg == cfg)
			nf->lk_here[i].cfg = NULL;

	if (p == NULL || p->out == 0) {
		mc_config_free(cfg);
		return;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		/* Rather a small leak than a worker reading freed rules. */
		mc_log(&nf->log, LOG_ERR, "out of memory: the replaced configuration is kept");
		return;
	}
	*r = (struct retired){ .next = p->retired, .cfg = cfg };
	p->retired = r;
}

bool
nf_lookup_stop(struct nf *nf)
{
	struct lk_pool *p = nf->lk;

	for (size_t i = 0; i < nf->n_lk_here; i++)
		if (nf->lk_here[i].r == 0)
			mc_account_free(&nf->lk_here[i].acct);
	free(nf->lk_here);
	nf->lk_here = NULL;
	nf->n_lk_here = nf->cap_lk_here = 0;
	if (p == NULL)
		return true;
	/* A worker in a hung NSS call is not waited for: the process exits. */
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->out != 0)
		return false;
	end_workers(p);
	epoll_ctl(nf->epfd, EPOLL_CTL_DEL, p->donefd, NULL);
	close(p->donefd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free_retired(p);
	free(p->wait);
	free(p);
	nf->lk = NULL;
	return true;
}
