/* memcg-notifier's shared state: one daemon, one epoll loop.  Calls run
 * one way, top to bottom (docs/notifier.md):
 *   main.c    the loop, the signals, start and reload
 *   wake.c    what each wake-up runs: the timer's work, the events, the
 *             worker pools' answers handed down
 *   watch.c   the watches' life cycle: user cgroups made and removed, the
 *             users' look-ups answered, the retries
 *   victims.c the kernel log: who was killed, in which user cgroup
 *   check.c   reading a cgroup's events and deciding what they mean
 *   warn.c    warn_at: usage thresholds (v1), PSI triggers (v2)
 *   tasks.c   tasks_max: new processes refused (pids.events)
 *   thresh.c, lookup.c   the work the kernel and NSS force into threads;
 *             their answers go back to the loop, never to a watch
 *   pool.c    the worker threads both use
 *   deliver.c the notices (terminals, mail, rate limit, metrics)
 *   table.c   the clock, the users and the watches by uid
 * No file calls one above it. */
#ifndef MEMCG_NOTIFIER_H
#define MEMCG_NOTIFIER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "account.h"
#include "cgroup.h"
#include "cgstats.h"
#include "config.h"
#include "events.h"
#include "kmsg.h"
#include "log.h"
#include "ratelimit.h"
#include "rules.h"

/* How long a wake-up waits for the kill to show in the counters and the
 * log (v1 wakes before the kill; v2 counts "oom" before "oom_kill"). */
#define CHECK_WAIT_MS 250
/* A start looks up (NSS, rules, warn_at) the first RESOLVE_AT_START user
 * cgroups as it watches them; the others are watched for OOM first and
 * looked up after the "started" line, RESOLVE_BATCH between two looks at
 * the events (and any of them at once when it has news), so that a slow
 * or missing NSS answer does not keep thousands of cgroups unwatched. */
#define RESOLVE_AT_START 256
#define RESOLVE_BATCH 16
/* How long a counted kill waits for its line in the kernel log (also at
 * exit, before what is pending is told). */
#define VICTIM_WAIT_MS 25
/* At exit, how long pending checks wait for the kernel log lines. */
#define EXIT_WAIT_MS 100
/* A failed allocation right after a kill is the same OOM, not news. */
#define NOKILL_QUIET_MS 1000
#define MAX_VICTIMS 64
/* More sendmail children than this at once means the MTA is stuck. */
#define MAX_CHILDREN 32
/* How long a sendmail may run before it is killed (-m changes it). */
#define MAIL_TIMEOUT_S 30
/* The metrics file is rewritten at most once in this time, however many
 * events come: each rewrite formats every user ever seen. */
#define METRICS_INTERVAL_MS 1000
/* Worker threads that register v1 usage thresholds: each registration
 * waits for an RCU grace period in the kernel, and waits in parallel
 * overlap. */
#define THR_WORKERS 64
/* Worker threads that look users up (lookup.c): NSS may be slow. */
#define LOOKUP_WORKERS 4
/* How long a check waits for its user's look-up before it is told in the
 * log only (no name: no terminal, no mail). */
#define LOOKUP_WAIT_MS 10000

/* What an epoll event points at. */
enum src_type { SRC_SIGNAL, SRC_TIMER, SRC_INOTIFY, SRC_KMSG, SRC_OOM, SRC_THR_DONE, SRC_PSI,
		SRC_LOOKUP_DONE };

struct watch;
struct thr_pool;
struct lk_pool;
struct nf_lk_answer;
struct mc_account;
struct src {
	enum src_type type;
	struct watch *w;
};

/* warn_at's usage threshold on v1, registered by a worker thread. */
enum thr_state {
	THR_NONE,	/* none on the eventfd */
	THR_QUEUED,	/* waiting for a worker */
	THR_BUSY,	/* a worker is registering it */
	THR_ARMED,	/* registered */
};

/* Per uid for the daemon's lifetime, the one record of a user (table.c
 * owns it; its address never changes): who they are (the last look-up),
 * their settings, rate limit and counters.  A watch points at it. */
struct user {
	uid_t uid;
	char *name;		/* NULL when unknown */
	bool known;		/* looked up at least once: the fields below hold */
	bool exempt;
	bool lookup_pending;	/* queued or out in lookup.c */
	bool tty, mail;		/* notify settings for this user */
	uint32_t warn_at;	/* basis points of the limit; 0: off */
	bool tasks_max;		/* their rules set tasks_max */
	struct mc_rl rl;
	struct mc_cg_stats last;	/* the numbers at the last event told */
	bool have_last;
	struct mc_cg_cpustats cpu;	/* CPU and tasks then (have_ flags inside) */
	uint64_t events[MC_EV_N];
	uint64_t kills;
};

/* One user cgroup being watched: <cgroup_parent>/user-<uid>, or
 * user.slice/user-<uid>.slice with the systemd backend.  Only kernel
 * handles and the state of the watch: who the user is and what they want
 * is in their record.  Kept small (there may be tens of thousands): the
 * cgroup's path is derived from the layout and the uid (nf_watch_rel) for
 * log lines and inotify, files are read through dirfd, and victims are
 * allocated when a kill comes. */
struct watch {
	struct watch *next;	/* nf->watches */
	struct watch *hnext;	/* the same bucket of nf->wtab */
	struct user *user;	/* its user's record (table.c) */
	int dirfd;		/* the cgroup's directory; -1 once gone */

	/* v1: one eventfd for memory.oom_control and, with warn_at, the
	 * usage threshold on memory.usage_in_bytes. */
	int efd;
	unsigned efd_gen;	/* tells a worker's stale result from a current one */
	enum thr_state thr;
	struct src efd_src;
	uint64_t thr_bytes;	/* the threshold registered or wanted; 0: none */
	int limit_wd;		/* inotify on the limit file: warn_at follows it */
	int events_wd;		/* v2: inotify on memory.events */
	int pop_wd;		/* v2, cgroupfs backend: inotify on cgroup.events */
	int psi_fd;		/* v2: PSI trigger on memory.pressure */
	struct src psi_src;

	struct mc_counters base;	/* counters already told */
	struct mc_counters seen;	/* the last read of a pending check */
	uint64_t deadline_ms;		/* pending check; 0: none */
	uint64_t last_kill_ms;
	struct mc_victim *victims;	/* named by the log, not yet told */
	unsigned short n_victims, cap_victims;
	bool own_oom_seen;
	bool have_seen;		/* seen holds a read not yet made base */
	bool gone;		/* removed; freed once its check is done */
	bool empty_pending;	/* v2: emptied while a check was pending */
	bool name_asked;	/* this check asked NSS again for a nameless user */
	bool warned;		/* usage is above warn_at and was told */
	bool warn_retry;	/* v2: warn_at not armed for want of fds: retried */
	bool have_last;
	/* The user's record is filled (looked up, or known before), warn_at
	 * armed.  Until then its look-up is on its way (lookup.c), or queued
	 * by a start with many user cgroups (nf_watch_resolve). */
	bool resolved;
	bool in_batch;		/* counted in nf->batch_pending */
	bool lookup_wait;	/* a check waits for the look-up (LOOKUP_WAIT_MS) */
	struct mc_cg_stats last;	/* this cgroup's numbers at its last read */

	/* tasks_max (tasks.c): the directory in the pids hierarchy (v1, when
	 * mounted apart; -1 otherwise), or pids_on when pids.events is in
	 * dirfd; inotify on it; the refusals already told; a notice due. */
	int pids_dirfd;
	int pids_wd;
	bool pids_on;
	unsigned pids_tries;
	unsigned tasks_logged;		/* refusals the kernel log told of */
	uint64_t pids_base;
	uint64_t pids_retry_at;		/* look again for the pids files; 0: no */
	uint64_t tasks_due;		/* tell the refusals then; 0: none */
	uint64_t tasks_first;		/* the first refusal of that burst */
};

struct nf {
	struct mc_log log;
	const char *conf_path;
	const char *utmp_path;
	struct mc_config *cfg;
	uint64_t ram;
	struct mc_hier h;
	/* h (a copy: the rootfd is h's) and the cpu, cpuacct and pids
	 * hierarchies, for the tasks_max notices and the CPU and task figures
	 * (tasks.c opens and closes the others). */
	struct mc_hier_set hs;
	uint64_t tasks_poll_at;		/* v1: the next look at pids.events; 0: none */
	enum mc_backend backend;	/* cgroupfs or systemd, resolved */
	struct mc_layout lay;	/* where the user cgroups are */
	char kroot[PATH_MAX];	/* kernel path of the mount's root, "" for "/" */
	char host[256];

	int epfd, sigfd, timerfd, inofd, kmsgfd;
	struct src sig_src, timer_src, ino_src, kmsg_src;
	struct mc_kmsg_state kst;
	uint64_t kmsg_unattributed;	/* kills the log named to nobody */
	int parent_wd;		/* on lay.parent, or on its nearest ancestor */
	bool parent_missing;	/* parent_wd watches an ancestor */
	uint64_t timer_at;	/* armed for; 0: disarmed */
	/* User cgroups that could not be watched (out of fds, inotify
	 * watches or memory) are tried again at retry_at (0: none pending),
	 * waiting retry_ms longer each time. */
	uint64_t retry_at;
	unsigned retry_ms;
	bool retrying;		/* in such a try: its failures are known already */

	struct watch *watches;
	struct watch **wtab;	/* by uid, chained through hnext */
	size_t wtab_size, n_watches;
	size_t n_gone;		/* removed, waiting for nf_watch_sweep */
	unsigned restarts;	/* nf_watch_stop calls: every watch was freed */
	unsigned efd_gen;	/* the last one handed out */
	/* Watched at start but not looked up yet, by uid, oldest first. */
	uid_t *unresolved;
	size_t n_unresolved, cap_unresolved, next_unresolved;
	bool deferring;		/* in the start's scan */
	uint64_t resolve_from_ms;	/* the start they come from */
	struct thr_pool *thr;	/* thresh.c; NULL until a threshold is wanted */
	struct lk_pool *lk;	/* lookup.c; NULL until a look-up is wanted */
	/* A start or reload: the watches it looks up, not answered yet; its
	 * end is logged when they are (thresholds, the deferred ones). */
	size_t batch_pending;
	bool batch_open;
	bool thr_batching;	/* a start or reload is queueing thresholds */
	uint64_t thr_batch_ms;	/* since then */
	struct user **users;	/* each allocated once: watches point at them */
	size_t n_users, cap_users;
	uint32_t *utab;		/* by uid: index into users + 1; 0 empty */
	/* Look-ups that could not be queued, done in the loop's thread: their
	 * answers wait here for the loop as the workers' do (lookup.c). */
	struct nf_lk_answer *lk_here;
	size_t n_lk_here, cap_lk_here;
	size_t utab_size;
	/* sendmail processes not yet reaped; one that has not finished by
	 * its kill_at is killed (SIGKILL; kill_at 0 then). */
	struct mail_child {
		pid_t pid;
		uid_t uid;
		uint64_t kill_at;
	} children[MAX_CHILDREN];
	unsigned n_children;
	unsigned mail_timeout_s;	/* -m */
	bool keep_empty;		/* -k: user cgroups that empty stay */
	uint64_t metrics_at;	/* the metrics file is out of date, due then; 0: not */
	struct nf_ttyq *ttyq;	/* notices a busy terminal did not take yet (ttyq.c) */
};

/* table.c: the bottom, calls no other notifier file */
/* CLOCK_MONOTONIC in ms, or nf_test_now_ms when that is not 0. */
uint64_t nf_now_ms(void);
/* A test hook: the unit tests run the notifier's clock by hand through it
 * (tests/unit/fakenf.h).  Always 0 in the daemon. */
extern uint64_t nf_test_now_ms;
/* uid's record, made (zeroed but for the uid) if there is none yet; NULL
 * when out of memory.  The record stays where it is until nf_users_free. */
struct user *nf_user(struct nf *nf, uid_t uid);
/* Frees every user record. */
void nf_users_free(struct nf *nf);

/* The cgroup of w below the mount point, into buf (PATH_MAX bytes): the
 * layout's path for its uid.  For log lines and inotify: files are read
 * through w->dirfd.  Returns buf. */
const char *nf_watch_rel(const struct nf *nf, const struct watch *w, char *buf);
/* The live watch of uid, or NULL. */
struct watch *nf_find_watch(struct nf *nf, uid_t uid);
/* The first watch in the chain (through hnext) that holds uid's watches,
 * live or gone, among others; NULL when none. */
struct watch *nf_watch_chain(const struct nf *nf, uid_t uid);
/* Adds w (its user set) to nf->watches and to the table by uid, which
 * grows to keep its chains short.  Returns 0 or -ENOMEM. */
int nf_watch_link(struct nf *nf, struct watch *w);
/* Takes w out of the table by uid (the caller unlinks it from the list). */
void nf_watch_unhash(struct nf *nf, struct watch *w);
/* Adds fd to the epoll set, events pointing at s.  Returns 0 or a
 * negative errno. */
int nf_epoll_add(struct nf *nf, int fd, uint32_t events, struct src *s);
/* Closes *fd (if open) and sets it to -1, taking it out of the epoll set
 * first: epoll forgets an fd only when its file goes, and a threshold
 * worker may hold a duplicate of a watch's eventfd (thresh.c), so the
 * entry, pointing into the watch, could outlive the watch. */
void nf_epoll_close(struct nf *nf, int *fd);

/* watch.c: the watches' life cycle */
int nf_watch_start(struct nf *nf);
void nf_watch_stop(struct nf *nf);
void nf_watch_refresh(struct nf *nf);
/* Looks up some of the user cgroups that the start left unresolved (up to
 * max).  Returns whether any are left. */
bool nf_watch_resolve(struct nf *nf, size_t max);
/* Frees removed cgroups' watches; only between epoll batches. */
void nf_watch_sweep(struct nf *nf);
/* inotify: user cgroups made and removed, and the files of a watch. */
void nf_on_inotify(struct nf *nf);
/* The checks that are due at now, and the retries. */
void nf_on_deadlines(struct nf *nf, uint64_t now);
/* At exit: decides every pending check now, so that what the kernel has
 * counted is told before the next start takes it as its baseline. */
void nf_watch_flush(struct nf *nf);
/* An answer of lookup.c for uid (handed on by the loop): r is 0 (acct
 * holds the user and the groups found; groups_r the group look-up's
 * result), -ENOENT (NSS does not know the uid) or another negative errno.
 * acct stays the caller's. */
void nf_watch_looked_up(struct nf *nf, uid_t uid, int r, int groups_r,
			const struct mc_account *acct);

/* victims.c: the kernel log */
/* Reads the kernel log records there are: OOMs and kills in the user
 * cgroups, their victims handed to their watches' checks. */
void nf_on_kmsg(struct nf *nf);

/* check.c: reading a cgroup's events and deciding what they mean */
/* Whether cgroup.events text says that no process is left in the cgroup
 * or below it ("populated 0" on a line of its own). */
bool nf_unpopulated(const char *events);
/* The counters of w's cgroup (the v1 failcnt among them) into c.  Returns
 * 0 or a negative errno. */
int nf_read_counters(const struct nf *nf, const struct watch *w, struct mc_counters *c);
/* Something happened in w's cgroup: a check begins (CHECK_WAIT_MS at
 * most), unless one is pending, and looks at once. */
void nf_start_check(struct nf *nf, struct watch *w);
/* Decides what happened since the baseline and hands it to deliver.c, or
 * waits for more (the deadline tells when); final: decides now. */
void nf_evaluate(struct nf *nf, struct watch *w, bool final);
/* v2, cgroupfs backend: removes w's cgroup if its last process exited,
 * once a pending check is done. */
void nf_remove_if_empty(struct nf *nf, struct watch *w);
/* An eventfd (v1 OOM or threshold) or a PSI trigger (v2) of a watch. */
void nf_on_src(struct nf *nf, struct src *s, uint32_t events);
/* Whether a check is pending: an OOM wake-up or a kill counted whose
 * kernel log line has not been read yet. */
bool nf_victims_pending(struct nf *nf);
uint64_t nf_next_deadline(const struct nf *nf);

/* warn.c: warn_at */
/* (Re)arms w's warn_at: a usage threshold (v1) or a PSI trigger (v2), and
 * checks the usage.  Returns 0, or a negative errno when it could not be
 * armed for want of fds or memory (w->warn_retry is set: the caller
 * retries later). */
int nf_warn_arm(struct nf *nf, struct watch *w);
/* Compares w's usage with warn_at and tells a crossing once. */
void nf_warn_check(struct nf *nf, struct watch *w);
/* A worker's answer for the threshold of uid's watch (gen: its efd_gen
 * then); r is 0 or a negative errno.  Called by the loop with what
 * nf_thr_take collected. */
void nf_watch_thr_done(struct nf *nf, uid_t uid, unsigned gen, int r);

/* wake.c: what a wake-up of the loop runs (main.c's loop, and the unit
 * tests' harness) */
/* The timer's due work at now, and when it is next due (0: nothing is). */
void nf_on_timer(struct nf *nf, uint64_t now);
uint64_t nf_timer_deadline(const struct nf *nf);
/* An event of the epoll set other than a signal or the timer. */
void nf_on_event(struct nf *nf, struct src *s, uint32_t events);
/* The look-up workers' answers (lookup.c never calls up into watch.c),
 * with those of look-ups done in the loop's thread; the threshold
 * workers' the same way. */
void nf_on_lookup_done(struct nf *nf);
void nf_on_thr_done(struct nf *nf);

/* tasks.c: tasks_max, new processes refused */
/* Finds the pids (and cpu) hierarchies of nf->h's machine into nf->hs. */
void nf_tasks_start(struct nf *nf);
void nf_tasks_stop(struct nf *nf);
/* A new watch: its pids files (looked for again for a while when not there
 * yet).  nf_tasks_unwatch: its cgroup is gone, or the watch freed. */
void nf_tasks_watch(struct nf *nf, struct watch *w);
void nf_tasks_unwatch(struct nf *nf, struct watch *w);
/* Looks again: w's user was looked up (their rules may set tasks_max), or
 * pam_memcg wrote w's limits (a login). */
void nf_tasks_recheck(struct nf *nf, struct watch *w);
/* An inotify event: whether it was w's pids.events (then handled). */
struct inotify_event;
bool nf_tasks_on_inotify(struct nf *nf, struct watch *w, const struct inotify_event *e);
/* The kernel log named a refused fork in w's cgroup or below it. */
void nf_tasks_refused(struct nf *nf, struct watch *w);
/* Tells the refusals whose burst is over, polls (v1), looks again for
 * pids files.  nf_tasks_deadline: when next; 0: never. */
void nf_tasks_due(struct nf *nf, uint64_t now);
uint64_t nf_tasks_deadline(const struct nf *nf);

/* pool.c: worker threads for blocking calls, shared by thresh.c and
 * lookup.c; calls no other notifier file.  Only the loop's thread calls
 * these. */
struct nf_pool;
/* A pool of at most max workers (made when jobs come, ended by
 * nf_pool_rest), each with a stack of stack_size bytes, running run on
 * jobs of job_size bytes; its eventfd, in the epoll set as type, wakes the
 * loop when answers wait.  NULL with errno set when it cannot be made. */
struct nf_pool *nf_pool_new(struct nf *nf, unsigned max, size_t stack_size, size_t job_size,
			    void (*run)(void *job), enum src_type type);
/* Whether one more job may be put (fewer than max are out). */
bool nf_pool_room(const struct nf_pool *p);
/* Jobs put and not taken back yet. */
unsigned nf_pool_out(const struct nf_pool *p);
/* Copies job in and hands it to a worker; when no thread can be made, it
 * runs here, waiting.  Its answer comes back through nf_pool_take either
 * way.  Needs nf_pool_room. */
void nf_pool_put(struct nf_pool *p, const void *job);
/* Puts job, answered already (it failed before it could run), where the
 * answers go.  Needs nf_pool_room. */
void nf_pool_answer(struct nf_pool *p, const void *job);
/* Copies the answers waiting (max at most, job_size bytes each) into
 * answers.  Returns how many. */
unsigned nf_pool_take(struct nf_pool *p, void *answers);
/* Ends the workers (their stacks go back) when no job is out. */
void nf_pool_rest(struct nf_pool *p);
/* Stops the workers and frees p, calling drop on each job never run.
 * wait false: returns false, freeing nothing, when a job is still out (a
 * worker may hang in it; the process is exiting). */
bool nf_pool_stop(struct nf *nf, struct nf_pool *p, bool wait, void (*drop)(void *job));
/* A queue of uids, oldest first (a ring that grows). */
struct nf_ring {
	uid_t *v;
	size_t head, len, cap;
};
/* Returns 0 or -ENOMEM. */
int nf_ring_push(struct nf_ring *r, uid_t uid);
/* The oldest uid, taken out; r->len must not be 0. */
uid_t nf_ring_pop(struct nf_ring *r);
void nf_ring_free(struct nf_ring *r);

/* thresh.c */
/* Registers efd for file (with arg, if any) of the cgroup directory dirfd
 * through its cgroup.event_control.  Thread-safe.  Returns 0 or a negative
 * errno. */
int nf_v1_register_at(int dirfd, int efd, const char *file, const char *arg);
/* v1: a new eventfd that the kernel signals at OOM (memory.oom_control)
 * of the cgroup directory dirfd.  Returns it or a negative errno. */
int nf_v1_oom_efd(int dirfd);
/* Hands w's threshold (w->thr_bytes, on w->efd) to the workers; w->thr
 * must be THR_QUEUED.  Its answer comes back through the loop (SRC_THR_DONE),
 * even when it was registered, or failed, here. */
void nf_thr_queue(struct nf *nf, struct watch *w);
/* A start or reload begins (begin true) or has queued what it had: the
 * line that says every threshold is armed counts from its beginning. */
void nf_thr_batch(struct nf *nf, bool begin);
/* A registration's answer: for the threshold of uid's watch when its
 * efd_gen was gen; r is 0 or a negative errno. */
struct nf_thr_answer {
	uid_t uid;
	unsigned gen;
	int r;
};
/* SRC_THR_DONE: takes the answers (THR_WORKERS at most) into got, for the
 * loop to hand to their watches (nf_watch_thr_done).  Returns how many. */
unsigned nf_thr_take(struct nf *nf, struct nf_thr_answer *got);
/* After nf_thr_take's answers are handed on: hands out more work, ends
 * the workers when none is left. */
void nf_thr_more(struct nf *nf);
/* Stops the workers (waiting for registrations under way) and frees. */
void nf_thr_stop(struct nf *nf);

/* lookup.c */
/* A look-up's answer: r is 0 (acct holds the user and the groups found;
 * groups_r the group look-up's result), -ENOENT (NSS does not know the
 * uid) or another negative errno. */
struct nf_lk_answer {
	uid_t uid;
	const struct mc_config *cfg;	/* the rules the groups were looked up for */
	int r;
	int groups_r;			/* when r is 0 */
	struct mc_account acct;		/* when r is 0; nf_lookup_more frees it */
};
/* Queues uid's look-up (NSS, the groups the rules name) for a worker; the
 * answer comes back through the loop (SRC_LOOKUP_DONE), even when no
 * thread could be made and it was looked up here.  Returns 0, or -ENOMEM
 * when it could not be queued. */
int nf_lookup_queue(struct nf *nf, uid_t uid);
/* Asks for uid's look-up, unless one is on its way (its user record
 * says).  One that cannot be queued is done here, waiting, and its answer
 * waits for the loop all the same (nf_lookup_ready). */
void nf_lookup_want(struct nf *nf, uid_t uid);
/* Whether answers of look-ups done in the loop's thread wait for
 * nf_lookup_take (no eventfd tells of them). */
bool nf_lookup_ready(const struct nf *nf);
/* SRC_LOOKUP_DONE, or nf_lookup_ready: takes the answers (LOOKUP_WORKERS
 * at most) into got, for the loop to hand to watch.c
 * (nf_watch_looked_up); those looked up for rules replaced since are
 * queued again instead.  Returns how many. */
unsigned nf_lookup_take(struct nf *nf, struct nf_lk_answer *got);
/* After nf_lookup_take's n answers are handed on: frees them, hands out
 * more work, ends the workers when none is left. */
void nf_lookup_more(struct nf *nf, struct nf_lk_answer *got, unsigned n);
/* Frees a replaced config now, or once no worker may be reading it. */
void nf_lookup_retire(struct nf *nf, struct mc_config *cfg);
/* Stops the workers and frees.  Returns false when a worker is still
 * inside NSS (not waited for): nf->cfg must then stay. */
bool nf_lookup_stop(struct nf *nf);

/* deliver.c */
/* Tells ev of w's cgroup: the log line, the user's counters, and, as the
 * rate limit allows, their terminals and mailbox. */
void nf_deliver(struct nf *nf, struct watch *w, const struct mc_event *ev);
void nf_summaries(struct nf *nf, uint64_t now);
/* The next summary's time, or the metrics file's or a sendmail's to be
 * killed if sooner; 0: none. */
uint64_t nf_summary_deadline(const struct nf *nf);
void nf_reap(struct nf *nf);
/* Kills (SIGKILL) the sendmail children that have run past their time at
 * now; nf_reap reaps them. */
void nf_mail_due(struct nf *nf, uint64_t now);

/* ttyq.c: writes text to the terminal fd (path, found through via, of the
 * user name) without waiting, and owns fd from then on: what a busy
 * terminal does not take is tried again (nf_ttyq_due) for a while. */
void nf_ttyq_write(struct nf *nf, int fd, const char *path, const char *via, const char *name,
		   const char *text, size_t len, uint64_t now);
void nf_ttyq_due(struct nf *nf, uint64_t now);
uint64_t nf_ttyq_deadline(const struct nf *nf);
/* One last try of what is pending, then closes it all. */
void nf_ttyq_free(struct nf *nf);
/* An event changed the numbers: the metrics file is rewritten when
 * METRICS_INTERVAL_MS have passed (one timer, armed by the first change;
 * none while nothing changes). */
void nf_metrics_dirty(struct nf *nf);
/* Rewrites the metrics file if it is out of date and due at now
 * (UINT64_MAX: at exit, whatever the time). */
void nf_metrics_due(struct nf *nf, uint64_t now);

#endif
