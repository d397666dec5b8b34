/* What each kind of wake-up of the loop runs, for main.c's loop and the
 * unit tests' harness alike: the timer's due work and when it is next
 * due, the events of the epoll set but the signals, and the worker pools'
 * answers handed down to the watches. */
#include "notifier.h"

void
nf_on_timer(struct nf *nf, uint64_t now)
{
	nf_on_deadlines(nf, now);
	nf_tasks_due(nf, now);
	nf_summaries(nf, now);
	nf_metrics_due(nf, now);
	nf_mail_due(nf, now);
	nf_ttyq_due(nf, now);
}

uint64_t
nf_timer_deadline(const struct nf *nf)
{
	const uint64_t d[] = { nf_next_deadline(nf), nf_summary_deadline(nf), nf_ttyq_deadline(nf),
			       nf_tasks_deadline(nf) };
	uint64_t at = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] != 0 && (at == 0 || d[i] < at))
			at = d[i];
	return at;
}

void
nf_on_thr_done(struct nf *nf)
{
	struct nf_thr_answer got[THR_WORKERS];
	unsigned n = nf_thr_take(nf, got);

	for (unsigned i = 0; i < n; i++)
		nf_watch_thr_done(nf, got[i].uid, got[i].gen, got[i].r);
	nf_thr_more(nf);
}

void
nf_on_lookup_done(struct nf *nf)
{
	struct nf_lk_answer got[LOOKUP_WORKERS];
	unsigned n = nf_lookup_take(nf, got);

	for (unsigned i = 0; i < n; i++)
		nf_watch_looked_up(nf, got[i].uid, got[i].r, got[i].groups_r,
				   got[i].r == 0 ? &got[i].acct : NULL);
	nf_lookup_more(nf, got, n);
}

void
nf_on_event(struct nf *nf, struct src *s, uint32_t events)
{
	switch (s->type) {
	case SRC_INOTIFY:
		nf_on_inotify(nf);
		break;
	case SRC_KMSG:
		nf_on_kmsg(nf);
		break;
	case SRC_THR_DONE:
		nf_on_thr_done(nf);
		break;
	case SRC_LOOKUP_DONE:
		nf_on_lookup_done(nf);
		break;
	case SRC_SIGNAL:
	case SRC_TIMER:
		/* The loop's own. */
		break;
	case SRC_OOM:
	case SRC_PSI:
	default:
		nf_on_src(nf, s, events);
		break;
	}
}
