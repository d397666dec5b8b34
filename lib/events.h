/* What happened in a user's cgroup, decided from the kernel's counters and
 * the OOM lines of the kernel log.  Pure: the notifier reads the files and
 * the log, these functions only compare and classify. */
#ifndef MEMCG_EVENTS_H
#define MEMCG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kmsg.h"

/* v2: the memory.events keys.  v1: oom_kill from memory.oom_control, and
 * MC_C_MAX from memory.failcnt (times usage hit the limit). */
enum mc_counter {
	MC_C_OOM,
	MC_C_OOM_KILL,
	MC_C_OOM_GROUP_KILL,
	MC_C_HIGH,
	MC_C_MAX,
	MC_C_N
};

struct mc_counters {
	uint64_t v[MC_C_N];
	unsigned have;		/* bit (1 << MC_C_*) per counter read */
	bool under_oom;		/* v1 memory.oom_control */
};

/* Parses memory.events (version 2) or memory.oom_control (version 1) text
 * into c, leaving the counters the text lacks untouched.  Returns 0, or
 * -EINVAL when not one known key was found. */
int mc_counters_parse(int version, const char *text, struct mc_counters *c);

/* now - base per counter.  A counter that went down means the cgroup was
 * made anew under the same name: its whole value is new. */
void mc_counters_diff(const struct mc_counters *base, const struct mc_counters *now,
		      struct mc_counters *delta);

enum mc_event_kind {
	MC_EV_KILL,		/* killed: the user's sessions reached their limit */
	MC_EV_NOKILL,		/* the limit was reached, an allocation failed, no kill */
	MC_EV_GROUP_KILL,	/* the whole group was killed (memory.oom.group) */
	MC_EV_OUTSIDE_KILL,	/* killed for a system-wide or an ancestor's OOM */
	MC_EV_WARN,		/* usage crossed warn_at */
	MC_EV_TASKS,		/* a new process was refused at tasks_max (pids.max) */
	MC_EV_N
};

const char *mc_event_name(enum mc_event_kind k);

/* Parses pids.events text (v1 and v2: "max N" on a line of its own; v2
 * from 6.13 may add lines) into *max, the times a new process was refused
 * at a limit.  Returns 0, or -EINVAL when the line is missing or bad. */
int mc_pids_events_parse(const char *text, uint64_t *max);

/* A victim as the kernel log named it, matched to this cgroup. */
struct mc_victim {
	pid_t pid;		/* 0: unknown */
	char comm[MC_KMSG_COMM];
	enum { MC_SCOPE_UNKNOWN, MC_SCOPE_OWN, MC_SCOPE_ANCESTOR, MC_SCOPE_GLOBAL } scope;
	bool group;
};

/* Turns a kill line of the log into a victim of the cgroup at path (the
 * kernel's path of the user cgroup). */
void mc_victim_from_kmsg(const struct mc_kmsg_event *ev, const char *path,
			 struct mc_victim *v);

/* What the notifier knows about one cgroup when it decides. */
struct mc_check {
	int version;
	bool counters_ok;	/* the counters could be read (the cgroup exists) */
	struct mc_counters delta; /* since the last decision */
	const struct mc_victim *victims; /* kills the log attributed to this cgroup */
	size_t n_victims;
	bool kmsg_ok;		/* the kernel log is being read */
	bool own_oom_seen;	/* the log showed an OOM of this cgroup's own limit */
	/* v1: the peak usage (memory or memory+swap) reached this cgroup's own
	 * limit.  With a memsw limit the kernel moves neither failcnt at an
	 * OOM, and the log line naming the OOM's cgroup is rate-limited
	 * machine-wide, so this is what tells "own limit" from an ancestor's. */
	bool peak_at_limit;
	bool final;		/* the wait is over: decide with what there is */
};

struct mc_event {
	enum mc_event_kind kind;
	struct mc_victim victim;	/* pid 0: unknown */
	/* Processes this event covers: killed together (group kill), or
	 * refused (MC_EV_TASKS; 0 when the kernel log told of a refusal
	 * that no counter shows). */
	unsigned count;
};

/* Decides.  Returns the number of events written to out (at most max), 0
 * when there is nothing to say; *wait is set when more should come
 * (a kill is counted but its log line is missing, or an OOM began and its
 * outcome is not known) and the caller should ask again, final, later.
 * *used_victims says how many of the victims the events consumed. */
size_t mc_classify(const struct mc_check *c, struct mc_event *out, size_t max,
		   bool *wait, size_t *used_victims);

#endif
