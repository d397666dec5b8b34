/* The harness of the memcg-notifier benchmarks (notifier_latency.c,
 * notifier_idle.c): the daemon run as our child with its log on a pipe we
 * time line by line (daemon.c), its numbers from /proc (procstat.c), many
 * user cgroups made and removed with plain mkdir/rmdir (usercgs.c), and the
 * options, set-up and end both benchmarks share (nfsetup.c). */
#ifndef MEMCG_NFBENCH_H
#define MEMCG_NFBENCH_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bench.h"

/* --- daemon.c: the notifier as our child -------------------------------- */

/* Set by SIGINT/SIGTERM/SIGHUP once nfb_catch_signals ran: every loop
 * gives up and cleans up. */
extern volatile sig_atomic_t nfb_stopping;

/* Catches SIGINT, SIGTERM and SIGHUP without SA_RESTART, so that poll()
 * and friends return EINTR. */
void nfb_catch_signals(void);

/* The daemon under test and what its log said so far. */
struct nfb_daemon {
	pid_t pid;
	int logfd;		/* read end of its stderr, non-blocking */
	FILE *save;		/* a copy of the log, for the reader */
	char part[2048];	/* the line being received */
	size_t plen;
	uint64_t t_spawn;	/* just before fork() */
	uint64_t t_started;	/* arrival of its "started: watching" line */
	uint64_t t_armed;	/* arrival of "warn_at: usage thresholds armed" */
	long armed;		/* how many that line counts */
	/* A start with many user cgroups watches some for OOM first and
	 * looks their users up after its "started" line: how many, and when
	 * that was done. */
	long deferred;
	uint64_t t_resolved;
	long watching;		/* "watching .../user-N (uid ...)" lines */
	long errors;		/* lines saying it could not do something */
	long lines;
	double stop_s;		/* SIGTERM to exit */
	bool started, eof, have_armed, have_resolved;
};

/* Starts `notifier -c conf -u utmp` (no -d: as a service runs it) with
 * its stderr on a pipe, the log copied to savepath (NULL: not copied) and
 * the soft open-file limit raised to the hard one.  d is the caller's and
 * is set up afresh; nfb_stop releases what it holds.  Returns 0 or a
 * negative errno. */
int nfb_spawn(struct nfb_daemon *d, char *notifier, char *conf, char *utmp,
	      const char *savepath);

/* Reads what the log pipe holds, waiting up to timeout_ms (-1: no limit)
 * for the first bytes.  Returns 0, or -1 once the daemon closed its end. */
int nfb_pump(struct nfb_daemon *d, int timeout_ms);

/* Waits until timeout_ms has passed, reading d's log meanwhile (d may be
 * NULL), or until a stop was asked for. */
void nfb_sleep(struct nfb_daemon *d, long timeout_ms);

/* Wait, reading the log, for its "started" line; after the start, for the
 * "thresholds armed" line; for the users a start left to look up to be
 * looked up (at once when it left none).  Each gives up timeout_s after
 * the spawn.  Returns 0, -ETIMEDOUT, -EINTR, or -ECHILD when the daemon
 * exited first. */
int nfb_wait_started(struct nfb_daemon *d, long timeout_s);
int nfb_wait_armed(struct nfb_daemon *d, long timeout_s);
int nfb_wait_resolved(struct nfb_daemon *d, long timeout_s);

/* Why an nfb_wait_* gave up, for a message: a constant string. */
const char *nfb_wait_why(int r);

/* SIGTERM, reads the log to its end (a minute at most: systemd's stop
 * timeout is 90 s), reaps, closes d's pipe and log copy.  Sets d->stop_s.
 * Returns the exit status, 128 + signal, or -1 when none was running. */
int nfb_stop(struct nfb_daemon *d);

/* --- procstat.c: what /proc says about a process ------------------------ */

struct nfb_proc {
	uint64_t vol, invol;	/* voluntary/nonvoluntary_ctxt_switches */
	uint64_t ticks;		/* utime + stime, clock ticks */
	uint64_t run_ns, slices;/* /proc/PID/schedstat: on-CPU time, times scheduled */
	long rss_kb, hwm_kb, anon_kb;
	long fds;
	bool have_sched;
};

/* Fills the caller's pr from /proc/PID/{status,stat,schedstat,fd}.
 * Returns 0 or a negative errno (status or stat unreadable). */
int nfb_proc_read(pid_t pid, struct nfb_proc *pr);

/* --- usercgs.c: many user cgroups --------------------------------------- */

/* The limit file a user cgroup gets (pam_memcg writes it at login): a
 * constant string. */
const char *nfb_limit_file(int version);

/* True when NSS knows no uid in [base, base + n): those cgroups stand for
 * users who are not in the passwd database, as the notifier will see. */
bool nfb_uids_unused(uid_t base, long n);

/* mkdir parent/user-<base+i> for i in [0, n) and writes the limit.
 * Returns how many were made (all of them, or it stopped at an error,
 * reported on stderr); nfb_users_remove removes them. */
long nfb_users_make(int parentfd, int version, uid_t base, long n, unsigned long long limit);

/* rmdir of what nfb_users_make made.  Returns how many could not go. */
long nfb_users_remove(int parentfd, uid_t base, long n);

/* --- nfsetup.c: what both notifier benchmarks share --------------------- */

/* Their common options, and the cgroup they make user cgroups in. */
struct nfb_bench {
	const char *prog;	/* names the program in messages */
	char *notifier;		/* -N NOTIFIER */
	const char *mnt;	/* -M MOUNT: the memory hierarchy */
	const char *parent;	/* -P PARENT: the configs' cgroup_parent, below MOUNT */
	const char *tmp;	/* -t TMPDIR: logs, utmp files */
	int version;		/* -V 1|2 */
	uid_t base;		/* -b UID_BASE: the idle user cgroups' first uid */
	long start_timeout_s;	/* -S START_TIMEOUT_S */
	int parentfd;		/* MOUNT/PARENT, open between nfb_bench_open and _close */
};

/* Sets b to the defaults for program prog (a constant the caller keeps). */
void nfb_bench_init(struct nfb_bench *b, const char *prog);

/* Parses argv with getopt: -N -M -V -P -t -b -S into b (the strings are
 * argv's, not copied), each option of own_opts (getopt letters) with
 * own(letter, its argument), which returns 0, or below 0 for a bad value.
 * Returns 0, or -1 when an option is unknown or bad, a required one (-N
 * -M -V -P -t) is missing, or an argument is left over. */
int nfb_bench_options(struct nfb_bench *b, int argc, char **argv, const char *own_opts,
		      int (*own)(int c, char *arg));

/* A memory limit option (bytes, at least 4 MiB) into *out.  Returns 0 or
 * -EINVAL/-ERANGE. */
int nfb_parse_limit(const char *arg, unsigned long long *out);

/* Catches the stop signals and opens MOUNT/PARENT into b->parentfd, which
 * nfb_bench_close closes.  Returns 0, or -1 with the reason on stderr. */
int nfb_bench_open(struct nfb_bench *b);
void nfb_bench_close(struct nfb_bench *b);

/* Makes n idle user cgroups (uids from b->base, that NSS must not know)
 * with the given limit, starts the notifier on conf and utmp into the
 * caller's d with its log copied to save, and waits for its "started"
 * line; label names the run in messages.  *made says how many user
 * cgroups were made, whatever is returned: nfb_bench_end removes them.
 * Returns 0 (running), or 2, the benchmarks' "could not run", with the
 * reason on stderr; then the notifier, if it was started, is stopped, and
 * d->watching says how many it watched. */
int nfb_bench_start(struct nfb_bench *b, const char *label, long n, unsigned long long limit,
		    char *conf, char *utmp, const char *save, struct nfb_daemon *d, long *made);

/* Stops the notifier if it runs (its exit status into *status, 0 when it
 * was not running) and removes the made user cgroups.  Returns 1 when the
 * status was not 0 or a cgroup could not go (said on stderr), else 0. */
int nfb_bench_end(struct nfb_bench *b, const char *label, struct nfb_daemon *d,
		  const char *save, long made, int *status);

#endif
