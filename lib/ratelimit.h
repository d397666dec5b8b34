/* At most one notice per user per period; what comes in between is counted
 * and told in one summary when the period ends.  Pure: the caller passes
 * the time (monotonic milliseconds, and the wall clock for "since"). */
#ifndef MEMCG_RATELIMIT_H
#define MEMCG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "events.h"
#include "message.h"

struct mc_rl {
	bool open;		/* a period is running */
	uint64_t end_ms;	/* when it ends */
	struct mc_summary held;	/* events held back in it */
	unsigned n_held;
};

enum mc_rl_verdict { MC_RL_SEND, MC_RL_HOLD };

/* An event of kind k at now_ms (wall: now).  SEND: tell it now (a period
 * starts).  HOLD: it was counted for the summary.  period_ms 0: always
 * SEND. */
enum mc_rl_verdict mc_rl_offer(struct mc_rl *rl, uint64_t now_ms, time_t now,
			       uint64_t period_ms, enum mc_event_kind k);

/* When the summary is due, or 0 when none is pending (no timer needed). */
uint64_t mc_rl_deadline(const struct mc_rl *rl);

/* Call at or after the deadline.  Returns true and fills *out when a
 * summary is to be sent now; that summary starts the next period. */
bool mc_rl_expire(struct mc_rl *rl, uint64_t now_ms, uint64_t period_ms,
		  struct mc_summary *out);

#endif
