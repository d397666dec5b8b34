/* Looks a user up in NSS (passwd, group) with the reentrant calls, for the
 * rules in rules.h. */
#ifndef MEMCG_ACCOUNT_H
#define MEMCG_ACCOUNT_H

#include <sys/types.h>

#include "rules.h"

struct mc_config;

struct mc_account {
	struct mc_user user;	/* points into the fields below */
	char *name;
	uid_t uid;
	gid_t gid;
	char **groups;		/* names; a gid without a name is "#<gid>" */
	size_t n_groups;
	/* Groups whose entry is larger than MC_NSS_BUF_MAX: taken as not
	 * listing the user; the first one's name, for the caller to log. */
	size_t n_oversized;
	char *oversized;
};

/* NSS buffers grow until the entry fits, up to this. */
#define MC_NSS_BUF_MAX (1024 * 1024)

/* Fills a by user name, without groups.  Returns 0, -ENOENT for an unknown
 * user, or another negative errno.  Free with mc_account_free(). */
int mc_account_by_name(const char *name, struct mc_account *a);
/* The same, by uid. */
int mc_account_by_uid(uid_t uid, struct mc_account *a);
/* The groups cfg's rules ask about (exempt_groups, group sections), as
 * cfg->group_lookup says: with members, the names of those the user is in
 * (a getgrnam per named group); with initgroups, all the user's groups
 * (getgrouplist, which asks every NSS back-end and can cost more than the
 * rest of a login).  Nothing when the config names no group.  A group
 * entry over MC_NSS_BUF_MAX is no match and counted in a->n_oversized (no
 * error).  Returns 0 or a negative errno (an NSS back-end failing); a->groups
 * holds what was found so far either way.  Callers decide the exemptions
 * that need no group first (mc_exempt_by_identity): a failing look-up must
 * not cost those users their session. */
int mc_account_load_groups(struct mc_account *a, const struct mc_config *cfg);
void mc_account_free(struct mc_account *a);
/* Whether NSS knows a group of that name: 1, 0, or a negative errno. */
int mc_group_known(const char *name);

#endif
