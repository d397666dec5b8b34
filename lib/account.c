/* NSS look-ups for the rules; see account.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "config.h"


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
		errno = 0;
		r = name != NULL ? getpwnam_r(name, &pw, buf, len, &res)
				 : getpwuid_r(uid, &pw, buf, len, &res);
		if (r < 0)
			r = errno > 0 ? errno : EIO;
		if (r != ERANGE || len >= MC_NSS_BUF_MAX)
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

/* The group entry called name (or, name NULL, with gid), into gr with its
 * strings in *buf (free it).  Returns 1, 0 for a group NSS does not know,
 * or a negative errno (-ERANGE: larger than MC_NSS_BUF_MAX). */
static int
group_entry(const char *name, gid_t gid, struct group *gr, char **buf)
{
	struct group *res = NULL;
	size_t len = 1024;
	int r;

	*buf = NULL;
	for (;;) {
		char *n = realloc(*buf, len);

		if (n == NULL) {
			free(*buf);
			*buf = NULL;
			return -ENOMEM;
		}
		*buf = n;
		errno = 0;
		r = name != NULL ? getgrnam_r(name, gr, *buf, len, &res)
				 : getgrgid_r(gid, gr, *buf, len, &res);
		/* The error number is the result; some wrappers return -1 and
		 * set errno instead, which must not read as "found". */
		if (r < 0)
			r = errno > 0 ? errno : EIO;
		if (r != ERANGE || len >= MC_NSS_BUF_MAX)
			break;
		len *= 2;
	}
	if (r == 0 && res != NULL)
		return 1;
	free(*buf);
	*buf = NULL;
	/* Not found is 0 with res NULL; some back-ends say ENOENT. */
	return r == 0 || r == ENOENT || r == ESRCH ? 0 : -r;
}

/* Counts a group whose entry is over the cap; keeps the first name. */
static int
note_oversized(struct mc_account *a, const char *name)
{
	if (a->n_oversized++ == 0 && (a->oversized = strdup(name)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The name of gid into *out, or "#<gid>" for a gid without one (or whose
 * entry is over the cap, which is noted in a). */
static int
group_name(struct mc_account *a, gid_t gid, char **out)
{
	struct group gr;
	char *buf, tmp[32];
	int r = group_entry(NULL, gid, &gr, &buf);

	snprintf(tmp, sizeof(tmp), "#%u", (unsigned)gid);
	if (r == -ERANGE && note_oversized(a, tmp) < 0)
		return -ENOMEM;
	*out = strdup(r > 0 ? gr.gr_name : tmp);
	free(buf);
	return *out == NULL ? -ENOMEM : 0;
}

/* Every group of the user, by initgroups (all NSS back-ends' idea of them,
 * which can cost more than the rest of a login). */
static int
all_groups(struct mc_account *a)
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
		if ((r = group_name(a, gids[i], &a->groups[i])) < 0)
			goto out;
		a->n_groups++;
	}
out:
	free(gids);
	return r;
}

int
mc_group_known(const char *name)
{
	struct group gr;
	char *buf;
	int r = group_entry(name, 0, &gr, &buf);

	free(buf);
	return r;
}

/* Whether the user is in the group called name: it is their primary group,
 * or its entry lists them (pam_succeed_if's "user ingroup").  Returns 1, 0
 * (also for a group NSS does not know) or a negative errno. */
static int
in_group(const struct mc_account *a, const char *name)
{
	struct group gr;
	char *buf;
	int r = group_entry(name, 0, &gr, &buf);

	if (r <= 0)
		return r;
	r = gr.gr_gid == a->gid;
	for (char **m = gr.gr_mem; !r && m != NULL && *m != NULL; m++)
		r = strcmp(*m, a->name) == 0;
	free(buf);
	return r;
}

/* Adds name to a->groups unless it is there (a config may name a group
 * twice: in exempt_groups and in a rule). */
static int
add_group(struct mc_account *a, const char *name, size_t cap)
{
	for (size_t i = 0; i < a->n_groups; i++)
		if (strcmp(a->groups[i], name) == 0)
			return 0;
	if (a->n_groups >= cap)
		return -EOVERFLOW;
	if ((a->groups[a->n_groups] = strdup(name)) == NULL)
		return -ENOMEM;
	a->n_groups++;
	return 0;
}

static int
named_groups(struct mc_account *a, const struct mc_config *cfg)
{
	size_t cap = cfg->n_exempt_groups + cfg->n_groups;
	int r = 0;

	if ((a->groups = calloc(cap, sizeof(char *))) == NULL)
		return -ENOMEM;
	a->n_groups = 0;
	for (size_t i = 0; i < cap && r >= 0; i++) {
		const char *name = i < cfg->n_exempt_groups ? cfg->exempt_groups[i]
			: cfg->groups[i - cfg->n_exempt_groups].name;

		/* Over the cap: no match (the caller logs it), rather than no
		 * session for everyone the config names groups for. */
		if ((r = in_group(a, name)) == -ERANGE)
			r = note_oversized(a, name);
		else if (r > 0)
			r = add_group(a, name, cap);
	}
	return r < 0 ? r : 0;
}

int
mc_account_load_groups(struct mc_account *a, const struct mc_config *cfg)
{
	int r;

	if (a->groups != NULL)
		return 0;
	if (cfg->n_exempt_groups == 0 && cfg->n_groups == 0)
		return 0;
	r = cfg->group_lookup == MC_GROUPS_INITGROUPS ? all_groups(a) : named_groups(a, cfg);
	a->user.groups = (const char *const *)a->groups;
	a->user.n_groups = a->n_groups;
	return r;
}

int
mc_account_by_name(const char *name, struct mc_account *a)
{
	return by(name, 0, a);
}

int
mc_account_by_uid(uid_t uid, struct mc_account *a)
{
	return by(NULL, uid, a);
}

void
mc_account_free(struct mc_account *a)
{
	free(a->name);
	for (size_t i = 0; i < a->n_groups; i++)
		free(a->groups[i]);
	free(a->groups);
	free(a->oversized);
	memset(a, 0, sizeof(*a));
}
