/* The names of user cgroups: the one place "user-<uid>" is spelled, where
 * each backend keeps them, and listing them; see cgname.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "cgname.h"
#include "parse.h"

/* What every user cgroup's name starts with, here and in logind's slices. */
static const char user_prefix[] = "user-";

int
mc_user_cgroup_name(const char *parent, uid_t uid, const char *suffix, char *buf,
		    size_t len)
{
	int n = snprintf(buf, len, "%s%s%s%u%s", parent != NULL ? parent : "",
			 parent != NULL ? "/" : "", user_prefix, (unsigned)uid,
			 suffix != NULL ? suffix : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
mc_user_cgroup(const char *parent, uid_t uid, char *buf, size_t len)
{
	return mc_user_cgroup_name(parent, uid, NULL, buf, len);
}

void
mc_layout_for(const struct mc_config *cfg, enum mc_backend b, struct mc_layout *l)
{
	if (b == MC_BACKEND_SYSTEMD) {
		l->parent = "user.slice";
		l->suffix = ".slice";
	} else {
		l->parent = cfg->cgroup_parent;
		l->suffix = "";
	}
}

int
mc_layout_user_cgroup(const struct mc_layout *l, uid_t uid, char *buf, size_t len)
{
	return mc_user_cgroup_name(l->parent, uid, l->suffix, buf, len);
}

bool
mc_layout_user_leaf(const struct mc_layout *l, const char *name, uid_t *uid)
{
	char canon[64], digits[16];
	size_t n, plen = sizeof(user_prefix) - 1, slen = strlen(l->suffix);
	uint64_t v;

	if (strncmp(name, user_prefix, plen) != 0)
		return false;
	n = strlen(name + plen);
	if (n <= slen || strcmp(name + plen + n - slen, l->suffix) != 0 ||
	    n - slen >= sizeof(digits))
		return false;
	memcpy(digits, name + plen, n - slen);
	digits[n - slen] = '\0';
	if (mc_parse_u64(digits, 0, UINT32_MAX - 1, &v) < 0)
		return false;
	/* Only the name we make: no leading zeros. */
	if (mc_user_cgroup_name(NULL, (uid_t)v, l->suffix, canon, sizeof(canon)) < 0 ||
	    strcmp(canon, name) != 0)
		return false;
	*uid = (uid_t)v;
	return true;
}

int
mc_cg_each_user(const struct mc_hier *h, const char *parent,
		int (*fn)(void *ctx, uid_t uid), void *ctx)
{
	struct mc_layout l = { .parent = parent, .suffix = "" };

	return mc_cg_each_user_in(h, &l, fn, ctx);
}

int
mc_cg_each_user_in(const struct mc_hier *h, const struct mc_layout *l,
		   int (*fn)(void *ctx, uid_t uid), void *ctx)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = mc_walk_dir(h->rootfd, l->parent);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (d == NULL) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		uid_t uid;

		if (!mc_layout_user_leaf(l, de->d_name, &uid))
			continue;
		if ((r = fn(ctx, uid)) != 0)
			break;
	}
	closedir(d);
	return r;
}
