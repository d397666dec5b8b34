/* User look-ups off the main loop: NSS (the passwd entry, and the groups
 * the rules ask about) can take seconds on a slow directory, and every
 * user's notice would wait behind it.  LOOKUP_WORKERS threads take uids
 * from a queue and hand back mc_account records through an eventfd to the
 * loop (main.c), which gives them to watch.c: only the main thread
 * touches watches and users, and this file never calls up into them.  A
 * look-up that cannot be queued is done in the loop's thread, and its
 * answer goes the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "notifier.h"

/* NSS modules want more stack than a threshold registration. */
#define WORKER_STACK (256 * 1024)

struct retired {
	struct retired *next;
	struct mc_config *cfg;
};

struct lk_pool {
	struct nf_pool *pool;	/* pool.c: the workers; a job is an answer */
	struct nf_ring wait;	/* queued uids, oldest first */
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

/* A job of the pool: looks up the answer's uid, waiting. */
static void
run_job(void *job)
{
	look_up(job);
}

/* The pool, made on first use.  NULL when it cannot be made (logged). */
static struct lk_pool *
pool(struct nf *nf)
{
	struct lk_pool *p;

	if (nf->lk != NULL)
		return nf->lk;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if ((p->pool = nf_pool_new(nf, LOOKUP_WORKERS, WORKER_STACK, sizeof(struct nf_lk_answer),
				   run_job, SRC_LOOKUP_DONE)) == NULL) {
		free(p);
		goto fail;
	}
	nf->lk = p;
	return p;
fail:
	mc_log(&nf->log, LOG_ERR, "cannot set up the user look-up workers: %s; users are looked up in the main loop",
	       strerror(errno));
	return NULL;
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

/* Hands out queued uids while workers are free. */
static void
dispatch(struct nf *nf, struct lk_pool *p)
{
	while (p->wait.len > 0 && nf_pool_room(p->pool)) {
		struct nf_lk_answer a = { .uid = nf_ring_pop(&p->wait), .cfg = nf->cfg };

		nf_pool_put(p->pool, &a);
	}
}

int
nf_lookup_queue(struct nf *nf, uid_t uid)
{
	struct lk_pool *p = pool(nf);

	if (p == NULL || nf_ring_push(&p->wait, uid) < 0)
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

	if (n == 0)
		return 0;
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
	unsigned n = p != NULL ? nf_pool_take(p->pool, got) : 0, k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (got[i].cfg != nf->cfg) {
			/* Looked up for rules that were replaced meanwhile:
			 * again, or (no memory to queue it) an answer that
			 * says so, which the watch retries later. */
			if (got[i].r == 0)
				mc_account_free(&got[i].acct);
			if (nf_ring_push(&p->wait, got[i].uid) == 0)
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
	if (nf_pool_out(p->pool) == 0) {
		free_retired(p);
		if (p->wait.len == 0) {
			nf_pool_rest(p->pool);
			/* A start's queue of thousands is not kept. */
			nf_ring_free(&p->wait);
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

	if (p == NULL || nf_pool_out(p->pool) == 0) {
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
	if (!nf_pool_stop(nf, p->pool, false, NULL))
		return false;
	free_retired(p);
	nf_ring_free(&p->wait);
	free(p);
	nf->lk = NULL;
	return true;
}
