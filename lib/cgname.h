/* The names of user cgroups: "user-<uid>" below cgroup_parent (made by
 * pam_memcg) or logind's "user-<uid>.slice" below user.slice, built and
 * recognised by the functions here only, and the listing of them. */
#ifndef MEMCG_CGNAME_H
#define MEMCG_CGNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "hier.h"

/* The one function that names a user's cgroup: "user-<uid><suffix>" into
 * buf, after "<parent>/" when parent is not NULL; suffix may be NULL ("").
 * Returns 0 or -ENAMETOOLONG (buf's contents then undefined). */
int mc_user_cgroup_name(const char *parent, uid_t uid, const char *suffix, char *buf,
			size_t len);

/* "<parent>/user-<uid>" into buf.  Returns 0 or -ENAMETOOLONG. */
int mc_user_cgroup(const char *parent, uid_t uid, char *buf, size_t len);

/* Where the user cgroups are: <parent>/user-<uid> made by pam_memcg (the
 * cgroupfs backend), or logind's user.slice/user-<uid>.slice (systemd). */
struct mc_layout {
	const char *parent;	/* relative to the mount point */
	const char *suffix;	/* after "user-<uid>": "" or ".slice" */
};

/* The layout of backend b (cgroupfs or systemd) under config cfg; parent
 * points into cfg or at a constant. */
void mc_layout_for(const struct mc_config *cfg, enum mc_backend b, struct mc_layout *l);

/* "<parent>/user-<uid><suffix>" into buf.  Returns 0 or -ENAMETOOLONG. */
int mc_layout_user_cgroup(const struct mc_layout *l, uid_t uid, char *buf, size_t len);

/* Pure: whether name is a user directory of layout l ("user-1000" or
 * "user-1000.slice", no leading zeros), and whose. */
bool mc_layout_user_leaf(const struct mc_layout *l, const char *name, uid_t *uid);

/* Calls fn for each user-<uid> directory under parent; stops early when fn
 * returns non-zero and returns that.  -ENOENT if parent does not exist. */
int mc_cg_each_user(const struct mc_hier *h, const char *parent,
		    int (*fn)(void *ctx, uid_t uid), void *ctx);
/* The same for any layout. */
int mc_cg_each_user_in(const struct mc_hier *h, const struct mc_layout *l,
		       int (*fn)(void *ctx, uid_t uid), void *ctx);

#endif
