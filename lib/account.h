/* Looks a user up in NSS (passwd, group) with the reentrant calls, for the
 * rules in rules.h. */
#ifndef MEMCG_ACCOUNT_H
#define MEMCG_ACCOUNT_H

#include <sys/types.h>

#include "rules.h"

struct mc_account {
	struct mc_user user;	/* points into the fields below */
	char *name;
	uid_t uid;
	gid_t gid;
	char **groups;		/* names; a gid without a name is "#<gid>" */
	size_t n_groups;
};

/* Fills a by user name.  Returns 0, -ENOENT for an unknown user, or another
 * negative errno.  Free with mc_account_free(). */
int mc_account_by_name(const char *name, struct mc_account *a);
/* The same, by uid. */
int mc_account_by_uid(uid_t uid, struct mc_account *a);
/* By name, without the groups: getgrouplist() can cost more than the rest
 * of a login (NSS modules), so callers load them only when rules need them
 * with mc_account_load_groups().  Same returns. */
int mc_account_by_name_nogroups(const char *name, struct mc_account *a);
int mc_account_load_groups(struct mc_account *a);
void mc_account_free(struct mc_account *a);

#endif
