/* memcg-notifier's shared state: one daemon, one epoll loop.  main.c owns
 * the loop and the signals, watch.c the cgroups and the kernel log,
 * deliver.c the notices (terminals, mail, rate limit, metrics). */
#ifndef MEMCG_NOTIFIER_H
#define MEMCG_NOTIFIER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "events.h"
#include "kmsg.h"
#include "log.h"
#include "ratelimit.h"
#include "rules.h"

/* How long a wake-up waits for the kill to show in the counters and the
 * log (v1 wakes before the kill; v2 counts "oom" before "oom_kill"). */
#define CHECK_WAIT_MS 250
/* How long a counted kill waits for its line in the kernel log. */
#define VICTIM_WAIT_MS 25
/* A failed allocation right after a kill is the same OOM, not news. */
#define NOKILL_QUIET_MS 1000
#define MAX_VICTIMS 64

/* What an epoll event points at. */
enum src_type { SRC_SIGNAL, SRC_TIMER, SRC_INOTIFY, SRC_KMSG, SRC_OOM, SRC_THRESH, SRC_PSI };

struct watch;
struct src {
	enum src_type type;
	struct watch *w;
};

/* One user cgroup being watched: <cgroup_parent>/user-<uid>, or
 * user.slice/user-<uid>.slice with the systemd backend. */
struct watch {
	struct watch *next;
	uid_t uid;
	char rel[PATH_MAX];	/* below the mount point */
	char kpath[PATH_MAX];	/* as the kernel log names it */
	char *name;		/* user name; NULL when NSS does not know the uid */
	struct mc_limits lim;	/* tty, mail, warn_at for this user */

	int oom_efd;		/* v1: eventfd on memory.oom_control */
	struct src oom_src;
	int thr_efd;		/* v1: eventfd on memory.usage_in_bytes */
	struct src thr_src;
	uint64_t thr_bytes;
	int limit_wd;		/* inotify on the limit file: warn_at follows it */
	int events_wd;		/* v2: inotify on memory.events */
	int psi_fd;		/* v2: PSI trigger on memory.pressure */
	struct src psi_src;

	struct mc_counters base;	/* counters already told */
	uint64_t deadline_ms;		/* pending check; 0: none */
	struct mc_victim victims[MAX_VICTIMS];
	size_t n_victims;
	bool own_oom_seen;
	bool gone;		/* removed; freed once its check is done */
	uint64_t last_kill_ms;
	bool warned;		/* usage is above warn_at and was told */
	struct mc_cg_stats last;	/* numbers at the last read */
	bool have_last;
};

/* Per uid for the daemon's lifetime: rate limit and counters. */
struct user {
	uid_t uid;
	char name[64];		/* "" when unknown */
	bool tty, mail;		/* last decision */
	struct mc_rl rl;
	struct mc_cg_stats last;
	bool have_last;
	uint64_t events[MC_EV_N];
	uint64_t kills;
};

struct nf {
	struct mc_log log;
	const char *conf_path;
	const char *utmp_path;
	struct mc_config *cfg;
	uint64_t ram;
	struct mc_hier h;
	enum mc_backend backend;	/* cgroupfs or systemd, resolved */
	struct mc_layout lay;	/* where the user cgroups are */
	char kroot[PATH_MAX];	/* kernel path of the mount's root, "" for "/" */
	char host[256];

	int epfd, sigfd, timerfd, inofd, kmsgfd;
	struct src sig_src, timer_src, ino_src, kmsg_src;
	struct mc_kmsg_state kst;
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
	struct user *users;
	size_t n_users, cap_users;
	unsigned children;	/* sendmail processes not yet reaped */
};

uint64_t nf_now_ms(void);
struct user *nf_user(struct nf *nf, uid_t uid);

/* watch.c */
int nf_watch_start(struct nf *nf);
void nf_watch_stop(struct nf *nf);
void nf_watch_refresh(struct nf *nf);
/* Frees removed cgroups' watches; only between epoll batches. */
void nf_watch_sweep(struct nf *nf);
void nf_on_inotify(struct nf *nf);
void nf_on_kmsg(struct nf *nf);
void nf_on_src(struct nf *nf, struct src *s, uint32_t events);
void nf_on_deadlines(struct nf *nf, uint64_t now);
/* At exit: decides every pending check now, so that what the kernel has
 * counted is told before the next start takes it as its baseline. */
void nf_watch_flush(struct nf *nf);
uint64_t nf_next_deadline(const struct nf *nf);

/* deliver.c */
void nf_deliver(struct nf *nf, struct watch *w, const struct mc_event *ev);
void nf_summaries(struct nf *nf, uint64_t now);
uint64_t nf_summary_deadline(const struct nf *nf);
void nf_reap(struct nf *nf);
void nf_write_metrics(struct nf *nf);

#endif
