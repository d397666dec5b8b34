/* Rule resolution; see rules.h. */
#include <string.h>

#include "machine.h"
#include "rules.h"

static bool
in_list(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static bool
member_of(const struct mc_user *u, const char *group)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (strcmp(u->groups[i], group) == 0)
			return true;
	return false;
}

/* The machine's CPUs, asked only when r's cpu_max is a share of them:
 * the count is a sysfs read, and most logins have no such rule. */
static unsigned
ncpus_for(const struct mc_rule *r)
{
	return r->cpu_max.kind == MC_CPU_PERCENT ? mc_ncpus() : 1;
}

void
mc_rule_limits(const struct mc_rule *r, uint64_t ram_bytes,
	       struct mc_limits *out)
{
	mc_rule_limits_on(r, ram_bytes, ncpus_for(r), out);
}

bool
mc_limits_use_cpu(const struct mc_limits *lim)
{
	return (lim->configured & MC_SET_CPU_KEYS) != 0;
}

bool
mc_limits_use_pids(const struct mc_limits *lim)
{
	return (lim->configured & MC_SET_TASKS_MAX) != 0;
}

void
mc_rule_limits_on(const struct mc_rule *r, uint64_t ram_bytes, unsigned ncpus,
		  struct mc_limits *out)
{
	out->memory_max = mc_size_resolve(&r->memory_max, ram_bytes);
	out->memory_high = mc_size_resolve(&r->memory_high, ram_bytes);
	out->swap_max = mc_size_resolve(&r->swap_max, ram_bytes);
	out->oom_group = r->oom_group;
	out->tty = r->tty;
	out->mail = r->mail;
	out->warn_at = r->warn_at;
	out->configured = (r->set | r->inherited) & MC_SET_OPTIONAL_KEYS;
	out->cpu_quota_us = mc_cpu_quota_us(&r->cpu_max, ncpus);
	out->cpu_weight = r->cpu_weight;
	out->tasks_max = r->tasks_max;
}

enum mc_exempt
mc_exempt_by_identity(const struct mc_config *cfg, const struct mc_user *u,
		      const char **by)
{
	if (by != NULL)
		*by = NULL;
	if (u->uid == 0)
		return MC_EXEMPT_ROOT;
	if (u->uid < cfg->min_uid)
		return MC_EXEMPT_MIN_UID;
	if (in_list(cfg->exempt_users, cfg->n_exempt_users, u->name)) {
		if (by != NULL)
			*by = u->name;
		return MC_EXEMPT_USER;
	}
	return MC_NOT_EXEMPT;
}

void
mc_decide(const struct mc_config *cfg, const struct mc_user *u,
	  uint64_t ram_bytes, struct mc_decision *d)
{
	/* The rule first; the CPUs only if its cpu_max needs them. */
	mc_decide_on(cfg, u, ram_bytes, 1, d);
	if (d->rule->cpu_max.kind == MC_CPU_PERCENT)
		mc_rule_limits_on(d->rule, ram_bytes, mc_ncpus(), &d->limits);
}

void
mc_decide_on(const struct mc_config *cfg, const struct mc_user *u,
	     uint64_t ram_bytes, unsigned ncpus, struct mc_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->exempt = mc_exempt_by_identity(cfg, u, &d->exempt_by);
	for (size_t i = 0; d->exempt == MC_NOT_EXEMPT && i < cfg->n_exempt_groups; i++) {
		if (member_of(u, cfg->exempt_groups[i])) {
			d->exempt = MC_EXEMPT_GROUP;
			d->exempt_by = cfg->exempt_groups[i];
		}
	}

	d->rule = &cfg->def;
	d->rule_kind = "default";
	for (size_t i = 0; i < cfg->n_users; i++) {
		if (strcmp(cfg->users[i].name, u->name) == 0) {
			d->rule = &cfg->users[i];
			d->rule_kind = "user";
			break;
		}
	}
	if (d->rule == &cfg->def) {
		for (size_t i = 0; i < cfg->n_groups; i++) {
			if (member_of(u, cfg->groups[i].name)) {
				d->rule = &cfg->groups[i];
				d->rule_kind = "group";
				break;
			}
		}
	}
	mc_rule_limits_on(d->rule, ram_bytes, ncpus, &d->limits);
}

const char *
mc_exempt_reason(enum mc_exempt e)
{
	switch (e) {
	case MC_EXEMPT_ROOT:
		return "uid 0 is never limited";
	case MC_EXEMPT_MIN_UID:
		return "uid is below min_uid";
	case MC_EXEMPT_USER:
		return "listed in exempt_users";
	case MC_EXEMPT_GROUP:
		return "member of a group listed in exempt_groups";
	case MC_NOT_EXEMPT:
	default:
		return "not exempt";
	}
}
