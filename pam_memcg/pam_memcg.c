/* pam_memcg: the PAM session entry points.  open_session puts the calling
 * process into the user's memory cgroup; close_session takes it back out and
 * removes the cgroup when the user's last session ends. */
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
#include "rules.h"

#define STATE_KEY "pam_memcg_state"

struct args {
	const char *conf;
	bool conf_given;
	bool debug;
};

/* What open_session did, for close_session in the same process. */
struct state {
	int version;
	char mnt[PATH_MAX];	/* the hierarchy open found */
	char mnt_root[PATH_MAX];
	uid_t uid;
	char parent[PATH_MAX];
	char orig[PATH_MAX];	/* cgroup the process came from */
};

static atomic_bool told_no_config;

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

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mc_log log = { .emit = emit, .ctx = pamh };
	struct mc_errsink errs = { .fn = conf_error, .ctx = pamh };
	struct mc_account acct = { 0 };
	struct mc_config *cfg = NULL;
	struct mc_hier h = { .rootfd = -1 };
	struct mc_decision d;
	struct state *st = NULL;
	const void *item = NULL;
	const char *user;
	struct args a;
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
	r = mc_account_by_name_nogroups(user, &acct);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up user \"%s\": %s; session not limited",
			   user, r == -ENOENT ? "unknown user" : strerror(-r));
		return PAM_IGNORE;
	}
	/* root never waits on a config file, and never fails here. */
	if (acct.uid == 0) {
		mc_log(&log, LOG_DEBUG, "user %s has uid 0: not limited", acct.name);
		goto out;
	}

	r = mc_config_load(a.conf, 0, &errs, &cfg);
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
			   a.conf, acct.name);
		goto out;
	}

	/* Group look-ups only when a rule names a group. */
	if ((cfg->n_groups > 0 || cfg->n_exempt_groups > 0) &&
	    (r = mc_account_load_groups(&acct)) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up the groups of %s: %s",
			   acct.name, strerror(-r));
		ret = failed(cfg);
		goto out;
	}
	mc_decide(cfg, &acct.user, mc_ram_bytes(), &d);
	if (d.exempt != MC_NOT_EXEMPT) {
		mc_log(&log, LOG_DEBUG, "user %s (uid %u) is exempt: %s", acct.name,
		       (unsigned)acct.uid, mc_exempt_reason(d.exempt));
		goto out;
	}

	ret = failed(cfg);
	if ((r = mc_hier_find(cfg->cgroup_version, &h, &log)) < 0)
		goto out;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		pam_syslog(pamh, LOG_CRIT, "out of memory");
		goto out;
	}
	st->version = h.version;
	snprintf(st->mnt, sizeof(st->mnt), "%s", h.mnt);
	snprintf(st->mnt_root, sizeof(st->mnt_root), "%s", h.mnt_root);
	st->uid = acct.uid;
	snprintf(st->parent, sizeof(st->parent), "%s", cfg->cgroup_parent);
	if ((r = mc_cg_of_pid(&h, 0, st->orig, sizeof(st->orig))) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot tell which cgroup pid %ld is in: %s",
			   (long)getpid(), strerror(-r));
		goto out;
	}
	r = mc_cg_join(&h, cfg->cgroup_parent, acct.uid, &d.limits, getpid(), &log);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "user %s (uid %u): limits not applied (%s rule%s%s)",
			   acct.name, (unsigned)acct.uid, d.rule_kind,
			   d.rule->name ? " " : "", d.rule->name ? d.rule->name : "");
		goto out;
	}
	if (pam_set_data(pamh, STATE_KEY, st, free_state) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot keep session state; the cgroup of %s will outlive this session",
			   acct.name);
	} else {
		st = NULL;
	}
	mc_log(&log, LOG_DEBUG, "user %s (uid %u) in %s/%s/user-%u: memory_max %llu, %s rule%s%s",
	       acct.name, (unsigned)acct.uid, h.mnt, cfg->cgroup_parent,
	       (unsigned)acct.uid, (unsigned long long)d.limits.memory_max,
	       d.rule_kind, d.rule->name ? " " : "", d.rule->name ? d.rule->name : "");
	ret = PAM_SUCCESS;
out:
	free(st);
	mc_hier_close(&h);
	mc_config_free(cfg);
	mc_account_free(&acct);
	return ret;
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mc_log log = { .emit = emit, .ctx = pamh };
	struct mc_hier h = { .rootfd = -1 };
	const void *data = NULL;
	const struct state *st;
	char here[PATH_MAX], mine[PATH_MAX];
	struct args a;
	int r;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	log.debug = a.debug;
	if (pam_get_data(pamh, STATE_KEY, &data) != PAM_SUCCESS || data == NULL)
		return PAM_IGNORE;
	st = data;
	if ((r = mc_hier_open(st->mnt, st->mnt_root, st->version, true, &h)) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot open the memory hierarchy at %s: %s",
			   st->mnt, strerror(-r));
		return PAM_SUCCESS;
	}

	/* Step out of the user's cgroup, or it can never be removed. */
	if (mc_user_cgroup(st->parent, st->uid, mine, sizeof(mine)) == 0 &&
	    mc_cg_of_pid(&h, 0, here, sizeof(here)) == 0 && strcmp(here, mine) == 0) {
		r = mc_cg_attach(&h, st->orig, getpid());
		if (r < 0)
			pam_syslog(pamh, LOG_ERR, "cannot move pid %ld back to %s/%s: %s",
				   (long)getpid(), h.mnt, st->orig, strerror(-r));
	}
	r = mc_cg_remove_user(&h, st->parent, st->uid);
	if (r == 0)
		mc_log(&log, LOG_DEBUG, "removed %s/%s (last session of uid %u)",
		       h.mnt, mine, (unsigned)st->uid);
	else if (r == -EBUSY)
		mc_log(&log, LOG_DEBUG, "%s/%s still in use: kept", h.mnt, mine);
	else if (r != -ENOENT)
		pam_syslog(pamh, LOG_ERR, "cannot remove %s/%s: %s", h.mnt, mine, strerror(-r));
	mc_hier_close(&h);
	return PAM_SUCCESS;
}
