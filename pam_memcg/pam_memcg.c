/* pam_memcg: the PAM session entry points.  open_session puts the calling
 * process into the user's memory cgroup (and, where the config gives CPU or
 * task limits, the user's cgroups of those controllers), or with the
 * systemd backend sets the limits on the user's user-<uid>.slice (and gives
 * a session outside it a scope there); close_session (cgroupfs only) takes
 * the process back out and removes the cgroups when the user's last session
 * ends. */
#define PAM_SM_SESSION
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "cgroup.h"
#include "config.h"
#include "log.h"
#include "machine.h"
#include "rules.h"
#include "sanitize.h"
#include "systemd.h"

#define STATE_KEY "pam_memcg_state"

struct args {
	const char *conf;
	bool conf_given;
	bool debug;
};

/* One hierarchy the session joined: the memory one, and on v1 those of
 * cpu (cpuacct) and pids where the limits use them. */
struct state_hier {
	int version;
	char mnt[PATH_MAX];	/* the hierarchy open found */
	char mnt_root[PATH_MAX];
	char ctrl[16];		/* v1: its controller's name in /proc/PID/cgroup */
	char orig[PATH_MAX];	/* cgroup the process came from */
};

/* What open_session did, for close_session in the same process. */
struct state {
	uid_t uid;
	char parent[PATH_MAX];
	size_t n;		/* hierarchies joined, memory's first */
	struct state_hier hs[MC_HIER_SET_MAX];
};

static atomic_bool told_no_config;
static atomic_bool told_oom_group;

static void
emit(void *ctx, int prio, const char *line)
{
	pam_syslog((const pam_handle_t *)ctx, prio, "%s", line);
}

static void
conf_error(void *ctx, const char *file, int line, const char *msg)
{
	if (line > 0)
		pam_syslog((const pam_handle_t *)ctx, LOG_ERR, "%s:%d: %s", file, line, msg);
	else
		pam_syslog((const pam_handle_t *)ctx, LOG_ERR, "%s: %s", file, msg);
}

static void
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	a->conf = MC_DEFAULT_CONF;
	a->conf_given = false;
	a->debug = false;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && argv[i][5] != '\0') {
			a->conf = argv[i] + 5;
			a->conf_given = true;
		} else if (strcmp(argv[i], "debug") == 0) {
			a->debug = true;
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown module argument ignored: %s", argv[i]);
		}
	}
}

static void
free_state(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* The answer when limits could not be applied. */
static int
failed(const struct mc_config *cfg)
{
	return cfg->on_error == MC_ON_ERROR_FAIL ? PAM_SESSION_ERR : PAM_IGNORE;
}

/* The systemd backend: the limits go onto user-<uid>.slice.  A session
 * pam_systemd has put into a scope there stays where it is; any other (a
 * stack without pam_systemd, such as cron's, or su from another user's
 * session) is moved into a new scope of its own in that slice, so that it
 * shares the user's one limit and systemd knows where it is.  close_session
 * has nothing to undo: the scope ends when its processes have exited.
 * Returns 0 or a negative errno (logged).  who: the user's name as it may
 * be logged (sanitised). */
static int
open_systemd(pam_handle_t *pamh, const struct mc_log *log, const struct mc_account *acct,
	     const char *who, const struct mc_decision *d)
{
	struct mc_sd_session s;
	char slice[64];
	int r;

	mc_sd_slice_name(acct->uid, slice, sizeof(slice));
	if ((r = mc_sd_open_session(acct->uid, &d->limits, log, &s)) < 0) {
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): limits not applied to %s (%s rule%s%s)",
			   who, (unsigned)acct->uid, slice, d->rule_kind,
			   d->rule->name ? " " : "", d->rule->name ? d->rule->name : "");
		return r;
	}
	/* systemd 252's logind creates session scopes with OOMPolicy=continue;
	 * with stop (older or changed systems) one OOM kill at the user's limit
	 * would end the whole session. */
	if (s.oom_policy[0] != '\0' && strcmp(s.oom_policy, "continue") != 0)
		pam_syslog(pamh, LOG_WARNING, "%s has OOMPolicy=%s: an OOM kill at the limit of %s ends the whole session; set OOMPolicy=continue in a drop-in session-.scope.d (see pam_memcg(8))",
			   s.unit, s.oom_policy, slice);
	if (d->limits.oom_group && !atomic_exchange(&told_oom_group, true))
		pam_syslog(pamh, LOG_WARNING, "oom_group is ignored with cgroup_backend = systemd: systemd keeps memory.oom.group of %s at 0 (see pam_memcg.conf(5))",
			   slice);
	/* nset 0: the slice's drop-ins held every limit already; nothing was
	 * sent to systemd. */
	mc_log(log, LOG_DEBUG, "user %s (uid %u): runtime limits %s %s (%s %s, OOMPolicy=%s): memory_max %llu, %s rule%s%s",
	       who, (unsigned)acct->uid, s.nset != 0 ? "set on" : "already on", slice,
	       s.new_scope ? "session outside logind, moved to new scope" : "session", s.unit,
	       s.oom_policy[0] ? s.oom_policy : "unknown",
	       (unsigned long long)d->limits.memory_max, d->rule_kind,
	       d->rule->name ? " " : "", d->rule->name ? d->rule->name : "");
	return 0;
}

static void leave_one(pam_handle_t *pamh, const struct mc_log *log,
		      const struct state_hier *sh, const char *parent, uid_t uid);

/* Notes hierarchy h, the i-th of the set, in st as joined (close_session
 * leaves it).  Where this process came from in it is st->hs[i].orig
 * (filled when it was found); hierarchies not joined are left out, so the
 * entry moves down to st->n <= i. */
static void
keep_hier(struct state *st, const struct mc_hier *h, size_t i)
{
	struct state_hier *sh;

	if (st->n == MC_HIER_SET_MAX || i < st->n)
		return;
	sh = &st->hs[st->n];
	if (i != st->n)
		memcpy(sh->orig, st->hs[i].orig, sizeof(sh->orig));
	sh->version = h->version;
	snprintf(sh->mnt, sizeof(sh->mnt), "%s", h->mnt);
	snprintf(sh->mnt_root, sizeof(sh->mnt_root), "%s", h->mnt_root);
	snprintf(sh->ctrl, sizeof(sh->ctrl), "%s", h->ctrl);
	st->n++;
}

/* Finds the hierarchies of the cpu and pids controllers the limits use
 * (set->h[0], the memory one, is open) and where this process is in each
 * (into st, in the order of set).  A controller the machine does not
 * offer is an error for its limits: logged, and with on_error = fail the
 * session is refused (returns -1); with ignore it goes on without them
 * (returns 0). */
static int
add_other_hiers(pam_handle_t *pamh, struct mc_hier_set *set, struct state *st,
		const struct mc_decision *d, const char *who, uid_t uid,
		const struct mc_config *cfg)
{
	struct mc_log log = { .emit = emit, .ctx = pamh };
	unsigned want = 0, missing = 0;
	char what[64] = "";

	if (mc_limits_use_cpu(&d->limits))
		want |= MC_CTRL_CPU;
	if (mc_limits_use_pids(&d->limits))
		want |= MC_CTRL_PIDS;
	if (want == 0)
		return 0;
	(void)mc_hier_set_add(set, want, &missing, &log);
	/* Where this process is in each: close_session moves it back. */
	for (size_t i = 1; i < set->n; i++) {
		char self[PATH_MAX];
		int r = mc_cg_of_pid(&set->h[i], 0, self, sizeof(self));

		if (r < 0) {
			pam_syslog(pamh, LOG_ERR, "cannot tell which cgroup of %s this process is in: %s",
				   set->h[i].mnt, strerror(-r));
			missing |= set->h[i].ctrls & want;
			/* Not joined: dropped from the set. */
			mc_hier_close(&set->h[i]);
			memmove(&set->h[i], &set->h[i + 1], (set->n - i - 1) * sizeof(set->h[0]));
			set->n--;
			i--;
			continue;
		}
		snprintf(st->hs[i].orig, sizeof(st->hs[i].orig), "%s", self);
	}
	if (missing == 0)
		return 0;
	if (missing & MC_CTRL_CPU)
		snprintf(what, sizeof(what), "cpu_max and cpu_weight");
	if (missing & MC_CTRL_PIDS)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%stasks_max",
			 what[0] ? " and " : "");
	pam_syslog(pamh, LOG_ERR, "user %s (uid %u): %s not applied (no usable %s controller); %s",
		   who, (unsigned)uid, what,
		   missing == (MC_CTRL_CPU | MC_CTRL_PIDS) ? "cpu or pids"
		   : missing & MC_CTRL_CPU ? "cpu" : "pids",
		   cfg->on_error == MC_ON_ERROR_FAIL ? "session refused (on_error = fail)"
						     : "session goes on without them");
	return cfg->on_error == MC_ON_ERROR_FAIL ? -1 : 0;
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mc_log log = { .emit = emit, .ctx = pamh };
	struct mc_errsink errs = { .fn = conf_error, .ctx = pamh };
	struct mc_account acct = { 0 };
	struct mc_config *cfg = NULL;
	struct mc_hier_set set = { .h = { { .rootfd = -1 } }, .n = 0 };
	struct mc_decision d;
	struct mc_join_result jr;
	enum mc_backend backend = MC_BACKEND_CGROUPFS;
	struct state *st = NULL;
	const void *item = NULL;
	const char *user;
	/* User names reach syslog, and from there terminals: PAM_USER is what
	 * the application was given, and NSS names are data too. */
	char who[4 * 64 + 8];
	struct args a;
	uint64_t ram;
	int r, ret = PAM_IGNORE;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	log.debug = a.debug;

	if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL ||
	    *(const char *)item == '\0') {
		pam_syslog(pamh, LOG_ERR, "no user name set; session not limited");
		return PAM_IGNORE;
	}
	user = item;
	mc_sanitize_str(user, who, sizeof(who), 0);
	r = mc_account_by_name(user, &acct);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up user \"%s\": %s; session not limited",
			   who, r == -ENOENT ? "unknown user" : strerror(-r));
		return PAM_IGNORE;
	}
	mc_sanitize_str(acct.name, who, sizeof(who), 0);
	/* root never waits on a config file, and never fails here. */
	if (acct.uid == 0) {
		mc_log(&log, LOG_DEBUG, "user %s has uid 0: not limited", who);
		goto out;
	}

	ram = mc_ram_bytes();
	r = mc_config_load(a.conf, ram, &errs, &cfg);
	if (r == -ENOENT && !a.conf_given) {
		if (!atomic_exchange(&told_no_config, true))
			pam_syslog(pamh, LOG_INFO, "no %s: sessions are not limited", a.conf);
		goto out;
	}
	if (r < 0) {
		/* Without a readable config there is no on_error to honour, and
		 * a typo must not lock every user out. */
		if (r == -ENOENT)
			pam_syslog(pamh, LOG_ERR, "%s: no such file (named by conf=)", a.conf);
		pam_syslog(pamh, LOG_ERR, "config %s is unusable: session of %s not limited",
			   a.conf, who);
		goto out;
	}

	/* Group look-ups only when a rule names a group, and only for users
	 * no exemption without groups (uid, exempt_users) covers: a failing
	 * NSS back-end must not refuse a system account or an exempt admin. */
	if (mc_exempt_by_identity(cfg, &acct.user, NULL) == MC_NOT_EXEMPT &&
	    (r = mc_account_load_groups(&acct, cfg)) < 0) {
		ret = failed(cfg);
		pam_syslog(pamh, LOG_ERR, "cannot look up the groups of %s (uid %u): %s; exempt_groups and group rules cannot be decided: %s",
			   who, (unsigned)acct.uid, strerror(-r), ret == PAM_SESSION_ERR
			   ? "session refused (on_error = fail)"
			   : "session not limited (on_error = ignore)");
		goto out;
	}
	if (acct.n_oversized > 0) {
		char grp[4 * 64 + 8];

		mc_sanitize_str(acct.oversized, grp, sizeof(grp), 0);
		pam_syslog(pamh, LOG_WARNING, "user %s (uid %u): group %s%s: entry larger than %d bytes, taken as not listing the user",
			   who, (unsigned)acct.uid, grp, acct.n_oversized > 1 ? " and others" : "",
			   MC_NSS_BUF_MAX);
	}
	mc_decide(cfg, &acct.user, ram, &d);
	if (d.exempt != MC_NOT_EXEMPT) {
		mc_log(&log, LOG_DEBUG, "user %s (uid %u) is exempt: %s", who,
		       (unsigned)acct.uid, mc_exempt_reason(d.exempt));
		/* systemd keeps runtime limits after the slice is gone: lift
		 * those of a user who was limited before. */
		if (cfg->cgroup_backend != MC_BACKEND_CGROUPFS &&
		    mc_backend_resolve(cfg->cgroup_backend, &backend, &log) == 0 &&
		    backend == MC_BACKEND_SYSTEMD && mc_sd_in_user_slice(acct.uid))
			(void)mc_sd_clear_slice(acct.uid, &log);
		goto out;
	}

	ret = failed(cfg);
	if ((r = mc_backend_resolve(cfg->cgroup_backend, &backend, &log)) < 0) {
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): limits not applied", who,
			   (unsigned)acct.uid);
		goto out;
	}
	if (backend == MC_BACKEND_SYSTEMD) {
		if (open_systemd(pamh, &log, &acct, who, &d) == 0)
			ret = PAM_SUCCESS;
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		pam_syslog(pamh, LOG_CRIT, "out of memory");
		goto out;
	}
	/* Also where this process is: close_session moves it back there. */
	if ((r = mc_hier_find_self(cfg->cgroup_version, &set.h[0], st->hs[0].orig,
				   sizeof(st->hs[0].orig), &log)) < 0) {
		/* The line above says why; this one whom it costs what. */
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): limits not applied (no usable memory hierarchy); %s",
			   who, (unsigned)acct.uid, ret == PAM_SESSION_ERR
			   ? "session refused (on_error = fail)" : "session not limited");
		goto out;
	}
	set.n = 1;
	st->uid = acct.uid;
	snprintf(st->parent, sizeof(st->parent), "%s", cfg->cgroup_parent);
	/* The CPU and task limits, where configured: their controllers, on
	 * the memory hierarchy (v2, co-mounted) or their own (v1). */
	if (add_other_hiers(pamh, &set, st, &d, who, acct.uid, cfg) < 0)
		goto out;
	r = mc_cg_join(&set.h[0], cfg->cgroup_parent, acct.uid, &d.limits, getpid(), &log, &jr);
	/* v2: the CPU and task limits share the cgroup with memory; when it
	 * cannot have them (a controller not enabled along the path), that is
	 * their error, and memory's limits still go on without them. */
	if (r < 0 && set.h[0].version == 2 && (set.h[0].ctrls & (MC_CTRL_CPU | MC_CTRL_PIDS))) {
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): %s not applied (%s rule%s%s); %s",
			   who, (unsigned)acct.uid,
			   (set.h[0].ctrls & MC_CTRL_CPU) && (set.h[0].ctrls & MC_CTRL_PIDS)
			   ? "cpu and pids limits" : set.h[0].ctrls & MC_CTRL_CPU ? "cpu limits" : "pids limits",
			   d.rule_kind, d.rule->name ? " " : "", d.rule->name ? d.rule->name : "",
			   cfg->on_error == MC_ON_ERROR_FAIL ? "session refused (on_error = fail)"
							     : "trying the memory limits alone");
		if (cfg->on_error == MC_ON_ERROR_FAIL)
			goto out;
		set.h[0].ctrls = MC_CTRL_MEMORY;
		r = mc_cg_join(&set.h[0], cfg->cgroup_parent, acct.uid, &d.limits, getpid(), &log, &jr);
	}
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): limits not applied (%s rule%s%s)",
			   who, (unsigned)acct.uid, d.rule_kind,
			   d.rule->name ? " " : "", d.rule->name ? d.rule->name : "");
		goto out;
	}
	keep_hier(st, &set.h[0], 0);
	/* Another session's cgroup, whose old limits the kernel kept (v1: a
	 * limit below usage, lowered as far as it would go): joined anyway. */
	if (jr.limit_err < 0)
		pam_syslog(pamh, LOG_WARNING, "user %s (uid %u): %s/%s/user-%u: memory_max configured %llu, in force %llu (usage %llu): %s; session joined with the limit in force, the next login tries again",
			   who, (unsigned)acct.uid, set.h[0].mnt, cfg->cgroup_parent, (unsigned)acct.uid,
			   (unsigned long long)d.limits.memory_max,
			   (unsigned long long)jr.max_in_force, (unsigned long long)jr.usage,
			   jr.limit_err == -EBUSY && set.h[0].version == 1
			   ? "the kernel refused a limit below usage (EBUSY)" : strerror(-jr.limit_err));
	for (size_t i = 1; i < set.n; i++) {
		if (mc_cg_join(&set.h[i], cfg->cgroup_parent, acct.uid, &d.limits, getpid(),
			       &log, NULL) == 0) {
			keep_hier(st, &set.h[i], i);
			continue;
		}
		/* v1's cpuacct alone holds no limit, only the usage status shows. */
		if (!(set.h[i].ctrls & (MC_CTRL_CPU | MC_CTRL_PIDS))) {
			pam_syslog(pamh, LOG_WARNING, "user %s (uid %u): not in a cgroup of %s: memcgctl status shows no CPU use",
				   who, (unsigned)acct.uid, set.h[i].mnt);
			continue;
		}
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): %s limits not applied (%s rule%s%s); %s",
			   who, (unsigned)acct.uid, mc_ctrl_name(set.h[i].ctrls & -set.h[i].ctrls),
			   d.rule_kind, d.rule->name ? " " : "", d.rule->name ? d.rule->name : "",
			   cfg->on_error == MC_ON_ERROR_FAIL ? "session refused (on_error = fail)"
							     : "session goes on without them");
		if (cfg->on_error == MC_ON_ERROR_FAIL) {
			for (size_t j = st->n; j-- > 0;)
				leave_one(pamh, &log, &st->hs[j], st->parent, st->uid);
			goto out;
		}
	}
	if (pam_set_data(pamh, STATE_KEY, st, free_state) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot keep session state; the cgroup of %s will outlive this session",
			   who);
	} else {
		st = NULL;
	}
	mc_log(&log, LOG_DEBUG, "user %s (uid %u) in %s/%s/user-%u: memory_max %llu, %s rule%s%s",
	       who, (unsigned)acct.uid, set.h[0].mnt, cfg->cgroup_parent,
	       (unsigned)acct.uid, (unsigned long long)d.limits.memory_max,
	       d.rule_kind, d.rule->name ? " " : "", d.rule->name ? d.rule->name : "");
	ret = PAM_SUCCESS;
out:
	free(st);
	mc_hier_set_close_extra(&set);
	mc_hier_close(&set.h[0]);
	mc_config_free(cfg);
	mc_account_free(&acct);
	return ret;
}

/* Takes pid out of the user's cgroup in one hierarchy the session
 * joined, and removes that cgroup when nobody else is in it. */
static void
leave_one(pam_handle_t *pamh, const struct mc_log *log, const struct state_hier *sh,
	  const char *parent, uid_t uid)
{
	struct mc_hier h = { .rootfd = -1 };
	struct mc_cg_occupancy occ;
	char mine[PATH_MAX];
	int r;

	if ((r = mc_hier_open(sh->mnt, sh->mnt_root, sh->version, true, &h)) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot open the cgroup hierarchy at %s: %s",
			   sh->mnt, strerror(-r));
		return;
	}
	snprintf(h.ctrl, sizeof(h.ctrl), "%s", sh->ctrl);
	if (mc_user_cgroup(parent, uid, mine, sizeof(mine)) < 0) {
		mc_hier_close(&h);
		return;
	}
	/* One read of the user's cgroup.procs: is this process still there,
	 * and does anyone else keep the cgroup in use? */
	r = mc_cg_occupancy(&h, mine, getpid(), &occ);
	if (r == -ENOENT) {
		mc_log(log, LOG_DEBUG, "%s/%s is gone already", h.mnt, mine);
		mc_hier_close(&h);
		return;
	}
	if (r < 0) {
		char here[PATH_MAX];

		pam_syslog(pamh, LOG_ERR, "cannot read %s/%s/cgroup.procs: %s", h.mnt, mine,
			   strerror(-r));
		/* Ask the other way round; rmdir will tell who is left. */
		occ = (struct mc_cg_occupancy){
			.has_pid = mc_cg_of_pid(&h, 0, here, sizeof(here)) == 0 &&
				   strcmp(here, mine) == 0,
		};
	}

	/* Step out of the user's cgroup, or it can never be removed. */
	if (occ.has_pid) {
		char back[PATH_MAX];

		snprintf(back, sizeof(back), "%s", sh->orig);
		r = mc_cg_attach(&h, back, getpid());
		/* The cgroup it came from is gone: its nearest ancestor still
		 * there will do, or the user's cgroup could never be removed.
		 * (On v2 an ancestor that enables controllers for its children
		 * takes no process, EBUSY: the next one up may.) */
		while ((r == -ENOENT || (r == -EBUSY && h.version == 2 && strcmp(back, sh->orig) != 0)) &&
		       back[0] != '\0') {
			char *slash = strrchr(back, '/');

			if (slash != NULL)
				*slash = '\0';
			else
				back[0] = '\0';
			r = mc_cg_attach(&h, back, getpid());
		}
		if (r < 0)
			pam_syslog(pamh, LOG_ERR, "cannot move pid %ld back to %s/%s: %s",
				   (long)getpid(), h.mnt, sh->orig, strerror(-r));
		else if (strcmp(back, sh->orig) != 0)
			pam_syslog(pamh, LOG_WARNING, "%s/%s is gone: pid %ld moved to %s/%s instead",
				   h.mnt, sh->orig, (long)getpid(), h.mnt, back);
	}
	/* The rmdir is tried even when another session's process was there a
	 * moment ago: that session may have stepped out meanwhile, and seen
	 * this one, so that neither would remove it.  Only then is it no use
	 * waiting for exiting processes. */
	r = mc_cg_remove_user(&h, parent, uid, !occ.others_live);
	if (r == 0)
		mc_log(log, LOG_DEBUG, "removed %s/%s (last session of uid %u)",
		       h.mnt, mine, (unsigned)uid);
	else if (r == -EBUSY)
		mc_log(log, LOG_DEBUG, "%s/%s still in use: kept", h.mnt, mine);
	else if (r == -ENOENT)	/* on v2 memcg-notifier removes it as it empties */
		mc_log(log, LOG_DEBUG, "%s/%s is gone already", h.mnt, mine);
	else
		pam_syslog(pamh, LOG_ERR, "cannot remove %s/%s: %s", h.mnt, mine, strerror(-r));
	mc_hier_close(&h);
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mc_log log = { .emit = emit, .ctx = pamh };
	const void *data = NULL;
	const struct state *st;
	struct args a;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	log.debug = a.debug;
	if (pam_get_data(pamh, STATE_KEY, &data) != PAM_SUCCESS || data == NULL)
		return PAM_IGNORE;
	st = data;
	/* The other hierarchies first, memory's last: as open joined them in
	 * the reverse order. */
	for (size_t i = st->n; i-- > 0;)
		leave_one(pamh, &log, &st->hs[i], st->parent, st->uid);
	return PAM_SUCCESS;
}
