/* A user's cgroup from login to logout: mc_cg_join makes it, writes its
 * limits and moves the session in; mc_cg_attach moves a process back out;
 * mc_cg_occupancy and mc_cg_remove_user take it away after the last one. */
#ifndef MEMCG_CGLIMITS_H
#define MEMCG_CGLIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hier.h"
#include "log.h"
#include "rules.h"

/* What a join did with the limits, for the caller to report. */
struct mc_join_result {
	/* 0, or the negative errno of a limit write that failed on a cgroup
	 * that existed already and was joined anyway: its old limits stay,
	 * and on v1 a memory limit below usage (EBUSY) is lowered as far as
	 * the kernel takes it. */
	int limit_err;
	uint64_t max_in_force;	/* memory limit in force after the join */
	uint64_t usage;		/* usage when limit_err was set */
};

/* Puts pid into <parent>/user-<uid>, creating it (and the parent path; on
 * v2 enabling h's controllers along it) and writing the limits of h's
 * controllers (h->ctrls: memory's; cpu_max and cpu_weight where h has cpu,
 * tasks_max where it has pids, each only when lim configures it) first.  Directories made here get mode 0755 whatever the umask.  A
 * cgroup made here whose limits cannot be written is removed, never
 * joined.  One that existed (another session's) still has limits: it is
 * joined even when a write fails, unless no memory limit is in force while
 * lim has one.  Retries when a concurrent close removes the cgroup in
 * between.  Returns 0 (res, which may be NULL, says what is in force) or a
 * negative errno, with the reason logged. */
int mc_cg_join(const struct mc_hier *h, const char *parent, uid_t uid,
	       const struct mc_limits *lim, pid_t pid, const struct mc_log *log,
	       struct mc_join_result *res);

/* Pure: whether a limit in force differs from the configured one beyond
 * the kernel's rounding down to whole pages of page_size bytes. */
bool mc_limit_differs(uint64_t configured, uint64_t in_force, uint64_t page_size);

/* Moves pid to the cgroup rel (relative to the mount point, as returned by
 * mc_cg_of_pid).  Returns 0 or a negative errno. */
int mc_cg_attach(const struct mc_hier *h, const char *rel, pid_t pid);

/* Who is in cgroup rel, from one read of its cgroup.procs: pid itself,
 * and other processes, live or exiting (looked up until a live one is
 * found).  Returns 0, or a negative errno (-ENOENT: no such cgroup).  On a
 * v1 or hybrid machine this is cheaper than mc_cg_of_pid, whose
 * /proc/PID/cgroup lists every hierarchy, followed by a look at who else
 * is there. */
struct mc_cg_occupancy {
	bool has_pid;
	bool others_live;
	bool others_exiting;
};
int mc_cg_occupancy(const struct mc_hier *h, const char *rel, pid_t pid,
		    struct mc_cg_occupancy *o);

/* Removes <parent>/user-<uid> if no process is left in it.  Returns 0
 * (removed), -EBUSY (still in use) or -ENOENT (already gone), or another
 * negative errno.  wait_exiting: when only exiting processes keep it, wait
 * for them (half a second at most); the caller passes false when it knows
 * a live process is there. */
int mc_cg_remove_user(const struct mc_hier *h, const char *parent, uid_t uid,
		      bool wait_exiting);

#endif
