/* The systemd backend: when systemd and logind manage the user's sessions,
 * the limits go onto the user's user-<uid>.slice as runtime unit properties
 * through systemd's D-Bus API; a session outside that slice gets a scope of
 * its own inside it.  Also the choice between this backend and the
 * cgroupfs one (cgroup_backend = auto). */
#ifndef MEMCG_SYSTEMD_H
#define MEMCG_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"
#include "rules.h"

/* What cgroup_backend = auto looks at. */
struct mc_sd_facts {
	bool pid1_systemd;	/* /run/systemd/system is a directory */
	bool unified;		/* cgroup2 mounted at /sys/fs/cgroup */
	bool logind;		/* /run/systemd/seats is a directory */
	bool libsystemd;	/* MC_SD_LIBRARY loads with what the backend uses */
};

/* The backend talks to systemd through this library, loaded with dlopen()
 * only while it needs it, so that nothing links it. */
#define MC_SD_LIBRARY "libsystemd.so.0"

/* Pure: the backend for want (auto, cgroupfs or systemd) on a machine with
 * facts f.  auto is systemd when all four facts hold, else cgroupfs; an
 * explicit choice is returned as it is. */
enum mc_backend mc_backend_choose(enum mc_backend want, const struct mc_sd_facts *f);

/* Fills f for this machine from the filesystem, in the order of the
 * struct, up to the first fact that does not hold (the rest stay false);
 * the library is loaded (and unloaded again) only when the other three
 * facts hold.  When it does not
 * load, the reason ("libsystemd.so.0: cannot open shared object file: ...")
 * is in why. */
void mc_sd_probe(struct mc_sd_facts *f, char *why, size_t whylen);

/* Whether soname loads and has every function the backend calls: 0, or
 * -ELIBACC with dlerror()'s text, which names the library, in why.  The
 * library is unloaded again before returning.  The probe passes
 * MC_SD_LIBRARY; tests pass others. */
int mc_sd_lib_check(const char *soname, char *why, size_t whylen);

/* The backend to use for want on this machine: MC_BACKEND_CGROUPFS or
 * MC_BACKEND_SYSTEMD in *out.  Returns 0, or -ENXIO (logged) when want is
 * systemd and this machine does not run systemd with logind on the unified
 * hierarchy.  auto on a systemd machine where MC_SD_LIBRARY does not load
 * is cgroupfs, and says so in the log; only auto loads the library here
 * (an explicit systemd leaves that to the call that needs it, which logs
 * and fails when it does not load). */
int mc_backend_resolve(enum mc_backend want, enum mc_backend *out,
		       const struct mc_log *log);

const char *mc_backend_name(enum mc_backend b);

/* "user-<uid>.slice" into buf.  Returns 0 or -ENAMETOOLONG. */
int mc_sd_slice_name(uid_t uid, char *buf, size_t len);

/* Pure: given the cgroup2 path of a process ("/user.slice/user-1000.slice/
 * session-3.scope", as in /proc/PID/cgroup), writes the unit directly below
 * the user's slice ("session-3.scope") to unit.  Returns 0; -ENOENT when
 * the path is not below user.slice/user-<uid>.slice; -ENAMETOOLONG. */
int mc_sd_unit_in_slice(const char *cgpath, uid_t uid, char *unit, size_t len);

/* Whether the calling process is below user.slice/user-<uid>.slice (where
 * pam_systemd puts a session). */
bool mc_sd_in_user_slice(uid_t uid);

/* Pure: "memcg-<uid>-<pid>.scope", the transient scope a session outside
 * the user's slice is given; with n > 0 "memcg-<uid>-<pid>-<n>.scope" (for
 * when a scope of that name still runs: its processes outlived the session
 * of an earlier process with the same pid).  Returns 0 or -ENAMETOOLONG. */
int mc_sd_scope_name(uid_t uid, pid_t pid, unsigned n, char *buf, size_t len);

/* What the StartTransientUnit call for such a scope asks of systemd. */
struct mc_sd_scope {
	char name[64];		/* mc_sd_scope_name() */
	char slice[64];		/* Slice=: "user-<uid>.slice" */
	char description[96];	/* Description= */
	uint32_t pid;		/* PIDs=[pid]: the process moved into it */
	const char *oom_policy;	/* OOMPolicy=: "continue" */
	const char *collect_mode; /* CollectMode=: "inactive-or-failed" */
};

/* Pure: fills out for the scope of pid (the n-th name tried) of uid.
 * Returns 0, -EINVAL for a pid below 1, or -ENAMETOOLONG. */
int mc_sd_scope_props(uid_t uid, pid_t pid, unsigned n, struct mc_sd_scope *out);

/* Pure: the result JobRemoved gives for a job ("done", "failed",
 * "timeout", ...) as 0 for "done" or a negative errno. */
int mc_sd_job_result(const char *result);

/* What mc_sd_open_session() found out about the session's unit. */
struct mc_sd_session {
	char unit[256];		/* "session-3.scope", or our "memcg-1000-42.scope" */
	bool new_scope;		/* unit is a scope mc_sd_open_session() started */
	char oom_policy[32];	/* the unit's OOMPolicy; "" when unreadable or
				 * not asked (the bus was not needed) */
	size_t nset;		/* how many properties SetUnitProperties set
				 * (0: the slice had them all already) */
};

/* One unit property SetUnitProperties sets on the user's slice; every one
 * the backend sets has D-Bus type "t" (UINT64_MAX: infinity, or for
 * CPUWeight: unset, systemd's default). */
struct mc_sd_prop {
	const char *name;
	uint64_t value;
};
#define MC_SD_PROPS_MAX 6

/* Pure: the properties for lim into out (at most max; returns how many
 * there are): MemoryMax, MemoryHigh, MemorySwapMax always; CPUQuotaPerSecUSec
 * (cpu_max per second), CPUWeight and TasksMax only when configured, so
 * that the slice keeps systemd's and logind's defaults otherwise. */
size_t mc_sd_slice_props(const struct mc_limits *lim, struct mc_sd_prop *out, size_t max);

/* Pure: whether drop-in text (as systemd writes for SetUnitProperties,
 * "[Slice]\nTasksMax=48\n") sets setting name ("MemoryMax", "CPUQuota",
 * "CPUWeight", "TasksMax") to something other than off, its value for no
 * limit ("infinity"; "" for back to the default).  The last line wins. */
bool mc_sd_dropin_sets(const char *text, const char *name, const char *off);

/* The drop-in file name of property name ("CPUQuotaPerSecUSec" is kept
 * as "CPUQuota"; the others under their own name). */
const char *mc_sd_dropin_setting(const char *prop);

/* Pure: the value drop-in text (as systemd 252 writes for
 * SetUnitProperties: "[Slice]\nMemoryMax=268435456\n") gives property
 * prop, in the property's own unit, into *out: bytes or a count for the
 * memory and task settings ("infinity": UINT64_MAX), microseconds per
 * second for CPUQuota ("50%", "12.5%"; "" : UINT64_MAX, no quota), the
 * weight for CPUWeight ("": UINT64_MAX, the default).  The last line
 * that sets it wins.  Returns 0, -ENOENT when no line sets it, -EINVAL
 * for a value written some other way (a percentage of RAM, a unit
 * suffix): then nobody can tell without asking systemd. */
int mc_sd_dropin_value(const char *text, const char *prop, uint64_t *out);

/* What the slice already has for one wanted property, as far as its
 * runtime drop-in tells (mc_sd_dropin_value): known, and then value. */
struct mc_sd_have {
	bool known;
	uint64_t value;
};

/* Pure: of the n properties want, those that have (have[i] for want[i])
 * does not show with exactly the wanted value, into todo (room for n),
 * in order.  Returns how many: 0 when the slice already has them all,
 * and SetUnitProperties can be left out. */
size_t mc_sd_props_todo(const struct mc_sd_prop *want, const struct mc_sd_have *have,
			size_t n, struct mc_sd_prop *todo);

/* The calls below load MC_SD_LIBRARY for the time of the call and fail
 * with -ELIBACC (logged, naming the library) when it does not load. */

/* A session of uid shares the limits on user-<uid>.slice.  When the calling
 * process is in user.slice/user-<uid>.slice/<unit> (pam_systemd put it
 * there), nothing is moved.  Otherwise (a stack without pam_systemd, such
 * as cron's, or su from another user's session) it is moved into a new
 * transient scope in user-<uid>.slice (systemd starts the slice when it
 * does not run), named by mc_sd_scope_name(), with OOMPolicy=continue; the
 * scope ends when its processes have exited.  Then sets the limits on the
 * slice as runtime properties (mc_sd_slice_props): only those that the
 * slice's runtime drop-ins in /run/systemd/system.control (what the last
 * SetUnitProperties wrote there) do not already show with the wanted
 * value, and none (no call) when they all do (mc_sd_props_todo); a
 * setting that a persistent drop-in in /etc/systemd/system.control may
 * override is always set.  When it used the bus, reads the unit's
 * OOMPolicy into out.  A login that needs neither a scope nor a property
 * loads no library and does not connect.  Returns 0, or a negative errno
 * when systemd refused or did not answer in time; every failure is
 * logged. */
int mc_sd_open_session(uid_t uid, const struct mc_limits *lim,
		       const struct mc_log *log, struct mc_sd_session *out);

/* For a user who is not limited (exempt): when an earlier login left
 * runtime limits on user-<uid>.slice (systemd keeps them in
 * /run/systemd/system.control until reboot), sets them back to infinity
 * (memory, CPUQuota, TasksMax) or the default (CPUWeight), each only where
 * a drop-in sets it.
 * Returns 0 (also when there was nothing to do) or a negative errno,
 * logged. */
int mc_sd_clear_slice(uid_t uid, const struct mc_log *log);

#endif
