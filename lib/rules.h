/* Which limits a user gets: pure functions from a config and a user's
 * identity to a decision.  No NSS, no files. */
#ifndef MEMCG_RULES_H
#define MEMCG_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* A user as the rules see it.  groups: names of the primary and every
 * supplementary group. */
struct mc_user {
	const char *name;
	uid_t uid;
	const char *const *groups;
	size_t n_groups;
};

enum mc_exempt {
	MC_NOT_EXEMPT,
	MC_EXEMPT_ROOT,		/* uid 0, whatever the name */
	MC_EXEMPT_MIN_UID,	/* uid below min_uid */
	MC_EXEMPT_USER,		/* listed in exempt_users */
	MC_EXEMPT_GROUP,	/* member of a group in exempt_groups */
};

/* Limits in bytes; MC_UNLIMITED for "max".  The CPU and task limits are
 * applied only when configured (the bit of their key is in configured:
 * given by the rule or by default); otherwise their controllers are not
 * used at all. */
struct mc_limits {
	uint64_t memory_max, memory_high, swap_max;
	bool oom_group;
	bool tty, mail;
	uint32_t warn_at;	/* basis points of memory_max; 0 = off */
	unsigned configured;	/* MC_SET_OPTIONAL_KEYS in force */
	uint64_t cpu_quota_us;	/* per MC_CPU_PERIOD_US; MC_UNLIMITED: "max" */
	uint32_t cpu_weight;	/* 1..10000 */
	uint64_t tasks_max;	/* MC_UNLIMITED: "max" */
};

struct mc_decision {
	enum mc_exempt exempt;
	const char *exempt_by;		/* the list entry that matched, or NULL */
	const struct mc_rule *rule;	/* user rule, group rule or &cfg->def */
	const char *rule_kind;		/* "user", "group" or "default" */
	struct mc_limits limits;
};

/* Decides for user u.  Pointers in *d point into cfg and u.  The
 * exemptions that need no group (uid 0, min_uid, exempt_users) are decided
 * as mc_exempt_by_identity() does, before any group is looked at. */
void mc_decide(const struct mc_config *cfg, const struct mc_user *u,
	       uint64_t ram_bytes, struct mc_decision *d);

/* The exemption of u that needs no group: uid 0, a uid below min_uid, a
 * name in exempt_users; MC_NOT_EXEMPT otherwise (exempt_groups may still
 * exempt u).  u->groups is not read, so callers decide this before any
 * group look-up, whose failure must not refuse such users.  *by (by may be
 * NULL) gets the exempt_users entry that matched, or NULL. */
enum mc_exempt mc_exempt_by_identity(const struct mc_config *cfg, const struct mc_user *u,
				     const char **by);

/* mc_decide on a machine with ncpus CPUs (what cpu_max percentages are
 * shares of); mc_decide asks mc_ncpus() only for a rule whose cpu_max is
 * a percentage. */
void mc_decide_on(const struct mc_config *cfg, const struct mc_user *u,
		  uint64_t ram_bytes, unsigned ncpus, struct mc_decision *d);

/* Limits of one rule on a machine with ram_bytes of RAM and ncpus CPUs;
 * mc_rule_limits uses mc_ncpus() when r's cpu_max is a percentage. */
void mc_rule_limits_on(const struct mc_rule *r, uint64_t ram_bytes, unsigned ncpus,
		       struct mc_limits *out);
void mc_rule_limits(const struct mc_rule *r, uint64_t ram_bytes,
		    struct mc_limits *out);

/* Whether lim uses the cpu controller (cpu_max or cpu_weight configured),
 * or the pids controller (tasks_max). */
bool mc_limits_use_cpu(const struct mc_limits *lim);
bool mc_limits_use_pids(const struct mc_limits *lim);

const char *mc_exempt_reason(enum mc_exempt e);

#endif
