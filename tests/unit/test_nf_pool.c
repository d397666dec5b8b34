/* Unit tests for notifier/pool.c: the worker pool that thresh.c and
 * lookup.c share (jobs in, answers out through an eventfd the loop
 * waits on), and the queue of uids they keep. */
#include "unit.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "notifier.h"

struct sq {
	int in, out;
};

static void
square(void *job)
{
	struct sq *j = job;

	j->out = j->in * j->in;
}

/* Every answer comes back once, through the eventfd, as often as the
 * pool is filled and emptied; the workers end when it is idle. */
static void
test_pool_answers(void **state)
{
	enum { MAX = 4, ROUNDS = 50 };
	struct nf nf;
	struct nf_pool *p;
	bool seen[MAX * ROUNDS] = { false };

	(void)state;
	memset(&nf, 0, sizeof(nf));
	nf.epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(nf.epfd >= 0);
	p = nf_pool_new(&nf, MAX, 64 * 1024, sizeof(struct sq), square, SRC_THR_DONE);
	assert_non_null(p);
	for (int r = 0; r < ROUNDS; r++) {
		unsigned got = 0;

		for (int i = 0; i < MAX; i++) {
			struct sq j = { .in = r * MAX + i, .out = -1 };

			assert_true(nf_pool_room(p));
			nf_pool_put(p, &j);
		}
		assert_false(nf_pool_room(p));
		assert_int_equal(nf_pool_out(p), MAX);
		while (got < MAX) {
			struct epoll_event ev;
			struct sq a[MAX];
			unsigned n;

			assert_int_equal(epoll_wait(nf.epfd, &ev, 1, 5000), 1);
			assert_int_equal(((struct src *)ev.data.ptr)->type, SRC_THR_DONE);
			n = nf_pool_take(p, a);
			for (unsigned k = 0; k < n; k++) {
				assert_true(a[k].in >= 0 && a[k].in < MAX * ROUNDS);
				assert_false(seen[a[k].in]);
				seen[a[k].in] = true;
				assert_int_equal(a[k].out, a[k].in * a[k].in);
			}
			got += n;
		}
		assert_int_equal(got, MAX);
		assert_int_equal(nf_pool_out(p), 0);
		nf_pool_rest(p);
	}
	for (int i = 0; i < MAX * ROUNDS; i++)
		assert_true(seen[i]);
	assert_true(nf_pool_stop(&nf, p, true, NULL));
	close(nf.epfd);
}

/* A job answered before it could run comes back as it was put, and a
 * stop that must not wait says so while a job is out. */
static void
test_pool_answer_and_stop(void **state)
{
	struct nf nf;
	struct nf_pool *p;
	struct sq j = { .in = 7, .out = -2 }, a[2];
	struct epoll_event ev;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	nf.epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(nf.epfd >= 0);
	p = nf_pool_new(&nf, 2, 64 * 1024, sizeof(struct sq), square, SRC_LOOKUP_DONE);
	assert_non_null(p);
	nf_pool_answer(p, &j);
	assert_int_equal(nf_pool_out(p), 1);
	assert_false(nf_pool_stop(&nf, p, false, NULL));
	assert_int_equal(epoll_wait(nf.epfd, &ev, 1, 5000), 1);
	assert_int_equal(nf_pool_take(p, a), 1);
	assert_int_equal(a[0].in, 7);
	assert_int_equal(a[0].out, -2);
	assert_true(nf_pool_stop(&nf, p, false, NULL));
	close(nf.epfd);
}

/* The queue of uids keeps its order across the ring's end and its growth. */
static void
test_ring(void **state)
{
	struct nf_ring r = { 0 };
	uid_t next_in = 0, next_out = 0;

	(void)state;
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 50 + round * 13; i++)
			assert_int_equal(nf_ring_push(&r, next_in++), 0);
		for (int i = 0; i < 40 + round * 11; i++)
			assert_int_equal(nf_ring_pop(&r), next_out++);
	}
	assert_int_equal(r.len, next_in - next_out);
	while (r.len > 0)
		assert_int_equal(nf_ring_pop(&r), next_out++);
	assert_int_equal(next_out, next_in);
	nf_ring_free(&r);
	assert_null(r.v);
	assert_int_equal(r.cap, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_answers),
		cmocka_unit_test(test_pool_answer_and_stop),
		cmocka_unit_test(test_ring),
	};

	return cmocka_run_group_tests_name("nf_pool", tests, NULL, NULL);
}
