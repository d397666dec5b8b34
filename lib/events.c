/* Counter diffing and event classification; see events.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "parse.h"

static const char *const counter_keys[MC_C_N] = {
	[MC_C_OOM] = "oom",
	[MC_C_OOM_KILL] = "oom_kill",
	[MC_C_OOM_GROUP_KILL] = "oom_group_kill",
	[MC_C_HIGH] = "high",
	[MC_C_MAX] = "max",
};

int
mc_counters_parse(int version, const char *text, struct mc_counters *c)
{
	int found = 0;

	for (const char *p = text; p != NULL && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *sp = memchr(p, ' ', len);
		char key[32], num[32];
		size_t klen, nlen;
		uint64_t v;

		if (sp != NULL) {
			klen = (size_t)(sp - p);
			nlen = len - klen - 1;
			if (klen < sizeof(key) && nlen < sizeof(num)) {
				memcpy(key, p, klen);
				key[klen] = '\0';
				memcpy(num, sp + 1, nlen);
				num[nlen] = '\0';
				if (mc_parse_u64(num, 0, UINT64_MAX, &v) == 0) {
					if (version == 1 && strcmp(key, "under_oom") == 0) {
						c->under_oom = v != 0;
						found++;
					} else if (version == 1 && strcmp(key, "oom_kill") == 0) {
						c->v[MC_C_OOM_KILL] = v;
						c->have |= 1u << MC_C_OOM_KILL;
						found++;
					} else if (version == 2) {
						for (int i = 0; i < MC_C_N; i++) {
							if (strcmp(key, counter_keys[i]) == 0) {
								c->v[i] = v;
								c->have |= 1u << i;
								found++;
							}
						}
					}
				}
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return found > 0 ? 0 : -EINVAL;
}

void
mc_counters_diff(const struct mc_counters *base, const struct mc_counters *now,
		 struct mc_counters *delta)
{
	memset(delta, 0, sizeof(*delta));
	for (int i = 0; i < MC_C_N; i++) {
		if (!(now->have & (1u << i)))
			continue;
		delta->have |= 1u << i;
		if (!(base->have & (1u << i)) || now->v[i] < base->v[i])
			delta->v[i] = now->v[i];
		else
			delta->v[i] = now->v[i] - base->v[i];
	}
	delta->under_oom = now->under_oom;
}

int
mc_pids_events_parse(const char *text, uint64_t *max)
{
	for (const char *p = text; p != NULL && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char num[32];

		/* Exactly the key "max": not "max.imposed" or another. */
		if (len > 4 && len - 4 < sizeof(num) && memcmp(p, "max ", 4) == 0) {
			memcpy(num, p + 4, len - 4);
			num[len - 4] = '\0';
			return mc_parse_u64(num, 0, UINT64_MAX, max) == 0 ? 0 : -EINVAL;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -EINVAL;
}

const char *
mc_event_name(enum mc_event_kind k)
{
	switch (k) {
	case MC_EV_KILL:
		return "oom_kill";
	case MC_EV_NOKILL:
		return "oom_no_kill";
	case MC_EV_GROUP_KILL:
		return "oom_group_kill";
	case MC_EV_OUTSIDE_KILL:
		return "outside_kill";
	case MC_EV_WARN:
		return "warn";
	case MC_EV_TASKS:
		return "tasks_max";
	case MC_EV_N:
	default:
		return "unknown";
	}
}

void
mc_victim_from_kmsg(const struct mc_kmsg_event *ev, const char *path,
		    struct mc_victim *v)
{
	memset(v, 0, sizeof(*v));
	v->pid = ev->pid;
	snprintf(v->comm, sizeof(v->comm), "%s", ev->comm);
	v->group = ev->group;
	if (ev->global)
		v->scope = MC_SCOPE_GLOBAL;
	else if (ev->oom_memcg[0] == '\0')
		v->scope = MC_SCOPE_UNKNOWN;
	else if (mc_path_within(ev->oom_memcg, path))
		v->scope = MC_SCOPE_OWN;
	else
		v->scope = MC_SCOPE_ANCESTOR;
}

/* Whether this cgroup's own limit was reached, from the counters alone. */
static bool
own_limit_hit(const struct mc_check *c)
{
	if (!c->counters_ok)
		return c->own_oom_seen;
	if (c->version == 2)
		return c->delta.v[MC_C_OOM] > 0 || c->own_oom_seen;
	return c->delta.v[MC_C_MAX] > 0 || c->own_oom_seen || c->peak_at_limit;
}

size_t
mc_classify(const struct mc_check *c, struct mc_event *out, size_t max,
	    bool *wait, size_t *used_victims)
{
	uint64_t kills = c->counters_ok ? c->delta.v[MC_C_OOM_KILL] : 0;
	bool group = c->counters_ok && c->delta.v[MC_C_OOM_GROUP_KILL] > 0;
	size_t n = 0;

	*wait = false;
	*used_victims = 0;
	/* v1 counts kills only in the victim's own cgroup, so a kill in a
	 * child cgroup shows in the log alone. */
	if (kills < c->n_victims)
		kills = c->n_victims;
	for (size_t i = 0; i < c->n_victims; i++)
		if (c->victims[i].group)
			group = true;

	if (kills == 0) {
		bool nokill;

		if (c->version == 2)
			nokill = c->counters_ok && c->delta.v[MC_C_OOM] > 0;
		else
			nokill = c->counters_ok &&
				 (c->own_oom_seen || (!c->kmsg_ok && c->delta.under_oom));
		/* v1 wakes before the kill; v2 counts "oom" before "oom_kill". */
		if (!c->final && (nokill || c->version == 1)) {
			*wait = true;
			return 0;
		}
		if (!nokill || max == 0)
			return 0;
		memset(&out[0], 0, sizeof(out[0]));
		out[0].kind = MC_EV_NOKILL;
		out[0].count = 1;
		return 1;
	}
	if (c->n_victims < kills && c->kmsg_ok && !c->final) {
		*wait = true;
		return 0;
	}
	if (max == 0)
		return 0;
	if (group) {
		memset(&out[0], 0, sizeof(out[0]));
		out[0].kind = MC_EV_GROUP_KILL;
		if (c->n_victims > 0)
			out[0].victim = c->victims[0];
		out[0].count = (unsigned)(kills > UINT32_MAX ? UINT32_MAX : kills);
		*used_victims = c->n_victims;
		return 1;
	}
	for (uint64_t i = 0; i < kills && n < max; i++) {
		struct mc_event *e = &out[n++];
		int scope = MC_SCOPE_UNKNOWN;

		memset(e, 0, sizeof(*e));
		e->count = 1;
		if (i < c->n_victims) {
			e->victim = c->victims[i];
			scope = c->victims[i].scope;
		}
		if (scope == MC_SCOPE_UNKNOWN)
			scope = own_limit_hit(c) ? MC_SCOPE_OWN : MC_SCOPE_ANCESTOR;
		e->kind = scope == MC_SCOPE_OWN ? MC_EV_KILL : MC_EV_OUTSIDE_KILL;
		e->victim.scope = scope;
	}
	/* Kills beyond max fold into the last event's count. */
	if (kills > n && n > 0)
		out[n - 1].count += (unsigned)(kills - n > UINT32_MAX ? UINT32_MAX : kills - n);
	*used_victims = c->n_victims < kills ? c->n_victims : (size_t)kills;
	return n;
}
