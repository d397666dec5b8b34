/* The bottom of memcg-notifier: the clock, the table of users (one record
 * per uid for the daemon's lifetime) and the table of watches by uid, with
 * the path of a watch's cgroup and its fds in the epoll set.  Calls
 * nothing in the other notifier files: every other one may call it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "notifier.h"

uint64_t nf_test_now_ms;

uint64_t
nf_now_ms(void)
{
	struct timespec ts;

	if (nf_test_now_ms != 0)
		return nf_test_now_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The slot of uid in nf->utab: where its index is, or the empty slot
 * where it would go (open addressing, linear probing). */
static size_t
user_slot(const struct nf *nf, uid_t uid)
{
	uint32_t h = (uint32_t)uid * 2654435769u;	/* uids are often consecutive */
	size_t mask = nf->utab_size - 1, i = (h ^ h >> 16) & mask;

	while (nf->utab[i] != 0 && nf->users[nf->utab[i] - 1]->uid != uid)
		i = (i + 1) & mask;
	return i;
}

/* Grows the table by uid to keep it at most half full.  Returns 0 or
 * -ENOMEM. */
static int
grow_utab(struct nf *nf)
{
	size_t size = nf->utab_size ? nf->utab_size * 2 : 64;
	uint32_t *t = calloc(size, sizeof(*t)), *old = nf->utab;

	if (t == NULL)
		return -ENOMEM;
	nf->utab = t;
	nf->utab_size = size;
	for (size_t i = 0; i < nf->n_users; i++)
		t[user_slot(nf, nf->users[i]->uid)] = (uint32_t)(i + 1);
	free(old);
	return 0;
}

struct user *
nf_user(struct nf *nf, uid_t uid)
{
	struct user *u;
	size_t slot;

	if (nf->utab_size != 0) {
		slot = user_slot(nf, uid);
		if (nf->utab[slot] != 0)
			return nf->users[nf->utab[slot] - 1];
	}
	if ((nf->n_users + 1) * 2 > nf->utab_size && grow_utab(nf) < 0)
		return NULL;
	if (nf->n_users == nf->cap_users) {
		size_t cap = nf->cap_users ? nf->cap_users * 2 : 16;
		struct user **n = realloc(nf->users, cap * sizeof(struct user *));

		if (n == NULL)
			return NULL;
		nf->users = n;
		nf->cap_users = cap;
	}
	/* A record of its own: watches keep its address. */
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->uid = uid;
	nf->users[nf->n_users] = u;
	nf->utab[user_slot(nf, uid)] = (uint32_t)(nf->n_users + 1);
	nf->n_users++;
	return u;
}

void
nf_users_free(struct nf *nf)
{
	for (size_t i = 0; i < nf->n_users; i++) {
		free(nf->users[i]->name);
		free(nf->users[i]);
	}
	free(nf->users);
	free(nf->utab);
	nf->users = NULL;
	nf->utab = NULL;
	nf->n_users = nf->cap_users = nf->utab_size = 0;
}

const char *
nf_watch_rel(const struct nf *nf, const struct watch *w, char *buf)
{
	/* add_watch made sure that it fits. */
	if (mc_layout_user_cgroup(&nf->lay, w->user->uid, buf, PATH_MAX) < 0)
		buf[0] = '\0';
	return buf;
}

static size_t
bucket_of(const struct nf *nf, uid_t uid)
{
	uint32_t h = (uint32_t)uid * 2654435769u;	/* uids are often consecutive */

	return (size_t)(h ^ h >> 16) & (nf->wtab_size - 1);
}

int
nf_watch_link(struct nf *nf, struct watch *w)
{
	if (nf->n_watches + 1 > nf->wtab_size / 2) {
		size_t size = nf->wtab_size ? nf->wtab_size * 2 : 64;
		struct watch **t = calloc(size, sizeof(struct watch *)), **old = nf->wtab;

		if (t == NULL)
			return -ENOMEM;
		nf->wtab = t;
		nf->wtab_size = size;
		for (struct watch *x = nf->watches; x != NULL; x = x->next) {
			size_t b = bucket_of(nf, x->user->uid);

			x->hnext = t[b];
			t[b] = x;
		}
		free(old);
	}
	{
		size_t b = bucket_of(nf, w->user->uid);

		w->hnext = nf->wtab[b];
		nf->wtab[b] = w;
	}
	w->next = nf->watches;
	nf->watches = w;
	nf->n_watches++;
	return 0;
}

void
nf_watch_unhash(struct nf *nf, struct watch *w)
{
	struct watch **pp = &nf->wtab[bucket_of(nf, w->user->uid)];

	while (*pp != NULL && *pp != w)
		pp = &(*pp)->hnext;
	if (*pp != NULL)
		*pp = w->hnext;
	nf->n_watches--;
}

struct watch *
nf_watch_chain(const struct nf *nf, uid_t uid)
{
	return nf->wtab_size == 0 ? NULL : nf->wtab[bucket_of(nf, uid)];
}

struct watch *
nf_find_watch(struct nf *nf, uid_t uid)
{
	if (nf->wtab_size == 0)
		return NULL;
	for (struct watch *w = nf->wtab[bucket_of(nf, uid)]; w != NULL; w = w->hnext)
		if (w->user->uid == uid && !w->gone)
			return w;
	return NULL;
}

int
nf_epoll_add(struct nf *nf, int fd, uint32_t events, struct src *s)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	return epoll_ctl(nf->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void
nf_epoll_close(struct nf *nf, int *fd)
{
	if (*fd >= 0) {
		epoll_ctl(nf->epfd, EPOLL_CTL_DEL, *fd, NULL);
		close(*fd);
	}
	*fd = -1;
}
