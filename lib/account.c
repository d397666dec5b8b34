/* NSS look-ups for the rules; see account.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"

/* NSS buffers grow until the entry fits, up to this. */
#define NSS_BUF_MAX (1024 * 1024)

static int
group_name(gid_t gid, char **out)
{
	struct group gr, *res = NULL;
	size_t len = 1024;
	char *buf = NULL;
	int r;

	for (;;) {
		char *n = realloc(buf, len);

		if (n == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = n;
		r = getgrgid_r(gid, &gr, buf, len, &res);
		if (r != ERANGE || len >= NSS_BUF_MAX)
			break;
		len *= 2;
	}
	if (r == 0 && res != NULL) {
		*out = strdup(gr.gr_name);
	} else {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "#%u", (unsigned)gid);
		*out = strdup(tmp);
	}
	free(buf);
	return *out == NULL ? -ENOMEM : 0;
}

static int
fill_groups(struct mc_account *a)
{
	int ngroups = 64;
	gid_t *gids = NULL;
	int r = 0;

	for (;;) {
		gid_t *n = realloc(gids, (size_t)ngroups * sizeof(*gids));
		int want = ngroups;

		if (n == NULL) {
			r = -ENOMEM;
			goto out;
		}
		gids = n;
		if (getgrouplist(a->name, a->gid, gids, &want) >= 0) {
			ngroups = want;
			break;
		}
		if (want <= ngroups || want > 65536) {
			r = -EOVERFLOW;
			goto out;
		}
		ngroups = want;
	}
	a->groups = calloc((size_t)ngroups, sizeof(char *));
	if (a->groups == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < ngroups; i++) {
		if ((r = group_name(gids[i], &a->groups[i])) < 0)
			goto out;
		a->n_groups++;
	}
out:
	free(gids);
	return r;
}

static int
by(const char *name, uid_t uid, struct mc_account *a)
{
	struct passwd pw, *res = NULL;
	size_t len = 1024;
	char *buf = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	for (;;) {
		char *n = realloc(buf, len);

		if (n == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = n;
		r = name != NULL ? getpwnam_r(name, &pw, buf, len, &res)
				 : getpwuid_r(uid, &pw, buf, len, &res);
		if (r != ERANGE || len >= NSS_BUF_MAX)
			break;
		len *= 2;
	}
	if (r != 0 || res == NULL) {
		free(buf);
		return r != 0 ? -r : -ENOENT;
	}
	a->uid = pw.pw_uid;
	a->gid = pw.pw_gid;
	a->name = strdup(pw.pw_name);
	free(buf);
	if (a->name == NULL)
		return -ENOMEM;
	a->user.name = a->name;
	a->user.uid = a->uid;
	return 0;
}

int
mc_account_load_groups(struct mc_account *a)
{
	int r;

	if (a->groups != NULL)
		return 0;
	if ((r = fill_groups(a)) < 0)
		return r;
	a->user.groups = (const char *const *)a->groups;
	a->user.n_groups = a->n_groups;
	return 0;
}

static int
with_groups(struct mc_account *a, int r)
{
	if (r == 0 && (r = mc_account_load_groups(a)) < 0)
		mc_account_free(a);
	return r;
}

int
mc_account_by_name(const char *name, struct mc_account *a)
{
	return with_groups(a, by(name, 0, a));
}

int
mc_account_by_uid(uid_t uid, struct mc_account *a)
{
	return with_groups(a, by(NULL, uid, a));
}

int
mc_account_by_name_nogroups(const char *name, struct mc_account *a)
{
	return by(name, 0, a);
}

void
mc_account_free(struct mc_account *a)
{
	free(a->name);
	for (size_t i = 0; i < a->n_groups; i++)
		free(a->groups[i]);
	free(a->groups);
	memset(a, 0, sizeof(*a));
}
