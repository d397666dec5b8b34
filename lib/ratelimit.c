/* Per-user rate limit; see ratelimit.h. */
#include <string.h>

#include "ratelimit.h"

enum mc_rl_verdict
mc_rl_offer(struct mc_rl *rl, uint64_t now_ms, time_t now, uint64_t period_ms,
	    enum mc_event_kind k)
{
	if (period_ms == 0 || !rl->open || (now_ms >= rl->end_ms && rl->n_held == 0)) {
		rl->open = period_ms != 0;
		rl->end_ms = now_ms + period_ms;
		return MC_RL_SEND;
	}
	/* Held events wait for the summary even when it is overdue: the
	 * summary goes first, then this one is in the next period. */
	if (rl->n_held == 0)
		rl->held.since = now;
	if (k < MC_EV_N)
		rl->held.count[k]++;
	rl->n_held++;
	return MC_RL_HOLD;
}

uint64_t
mc_rl_deadline(const struct mc_rl *rl)
{
	return rl->open && rl->n_held > 0 ? rl->end_ms : 0;
}

bool
mc_rl_expire(struct mc_rl *rl, uint64_t now_ms, uint64_t period_ms,
	     struct mc_summary *out)
{
	if (!rl->open || now_ms < rl->end_ms)
		return false;
	if (rl->n_held == 0) {
		rl->open = false;
		return false;
	}
	*out = rl->held;
	memset(&rl->held, 0, sizeof(rl->held));
	rl->n_held = 0;
	rl->end_ms = now_ms + period_ms;
	return true;
}
