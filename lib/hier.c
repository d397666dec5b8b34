/* Finding and opening this machine's memory cgroup hierarchy (v1, v2 or
 * hybrid), and opening and reading paths beneath its root; see hier.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgfs.h"
#include "hier.h"
#include "memfiles.h"
#include "proc.h"

static void
unescape_mount(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' &&
		    p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* The fields of one mountinfo line: mount root, mount point, type and
 * super options; false for a line that does not parse. */
struct mnt_line {
	char buf[4096];
	const char *root, *mnt, *type, *super;
};

static bool
mnt_line_parse(const char *line, size_t len, struct mnt_line *l)
{
	char *field[16], *save = NULL, *tok;
	int nf = 0, dash = -1;

	if (len >= sizeof(l->buf))
		return false;
	memcpy(l->buf, line, len);
	l->buf[len] = '\0';
	for (tok = strtok_r(l->buf, " ", &save); tok && nf < 16; tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "-") == 0 && dash < 0)
			dash = nf;
		field[nf++] = tok;
	}
	/* id parent maj:min root mountpoint opts [optional...] - type src superopts */
	if (dash < 6 || dash + 3 >= nf)
		return false;
	l->root = field[3];
	l->mnt = field[4];
	l->type = field[dash + 1];
	l->super = field[dash + 3];
	return true;
}

int
mc_mountinfo_scan(const char *text, struct mc_mount *v1, struct mc_mount *v2)
{
	int found = 0;
	const char *line = text;

	while (line != NULL && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct mnt_line l;
		struct mc_mount *m = NULL;

		if (mnt_line_parse(line, len, &l)) {
			if (strcmp(l.type, "cgroup") == 0 && mc_has_word(l.super, "memory", ',') &&
			    !(found & 1)) {
				m = v1;
				found |= 1;
				m->version = 1;
			} else if (strcmp(l.type, "cgroup2") == 0 && !(found & 2)) {
				m = v2;
				found |= 2;
				m->version = 2;
			}
		}
		if (m != NULL) {
			snprintf(m->mnt, sizeof(m->mnt), "%s", l.mnt);
			snprintf(m->mnt_root, sizeof(m->mnt_root), "%s", l.root);
			unescape_mount(m->mnt);
			unescape_mount(m->mnt_root);
		}
		line = nl ? nl + 1 : NULL;
	}
	return found;
}

static const char *const ctrl_names[] = { "memory", "cpu", "cpuacct", "pids" };

const char *
mc_ctrl_name(unsigned bit)
{
	for (unsigned i = 0; i < sizeof(ctrl_names) / sizeof(ctrl_names[0]); i++)
		if (bit == 1u << i)
			return ctrl_names[i];
	return "?";
}

int
mc_mountinfo_find_v1(const char *text, const char *ctrl, struct mc_mount *m,
		     unsigned *ctrls)
{
	const char *line = text;

	while (line != NULL && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct mnt_line l;

		if (mnt_line_parse(line, len, &l) && strcmp(l.type, "cgroup") == 0 &&
		    mc_has_word(l.super, ctrl, ',')) {
			m->version = 1;
			snprintf(m->mnt, sizeof(m->mnt), "%s", l.mnt);
			snprintf(m->mnt_root, sizeof(m->mnt_root), "%s", l.root);
			unescape_mount(m->mnt);
			unescape_mount(m->mnt_root);
			*ctrls = 0;
			for (unsigned i = 0; i < sizeof(ctrl_names) / sizeof(ctrl_names[0]); i++)
				if (mc_has_word(l.super, ctrl_names[i], ','))
					*ctrls |= 1u << i;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int
mc_hier_open(const char *path, const char *mnt_root, int version,
	     bool check_fs, struct mc_hier *h)
{
	struct statfs sfs;
	int r;

	memset(h, 0, sizeof(*h));
	h->rootfd = -1;
	h->version = version;
	h->ctrls = MC_CTRL_MEMORY;
	snprintf(h->mnt, sizeof(h->mnt), "%s", path);
	snprintf(h->mnt_root, sizeof(h->mnt_root), "%s", mnt_root ? mnt_root : "/");
	h->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->rootfd < 0)
		return -errno;
	if (check_fs) {
		if (fstatfs(h->rootfd, &sfs) < 0) {
			r = -errno;
			goto fail;
		}
		if ((version == 1 && sfs.f_type != CGROUP_SUPER_MAGIC) ||
		    (version == 2 && sfs.f_type != CGROUP2_SUPER_MAGIC)) {
			r = -ENOTDIR;
			goto fail;
		}
	}
	return 0;
fail:
	close(h->rootfd);
	h->rootfd = -1;
	return r;
}

void
mc_hier_close(struct mc_hier *h)
{
	if (h->rootfd >= 0)
		close(h->rootfd);
	h->rootfd = -1;
}

/* Opens path (showing the cgroup mnt_root) as a usable memory hierarchy of
 * the given version: cgroup2 whose root offers the memory controller, or
 * a v1 memory mount. */
static int
open_known(const char *path, const char *mnt_root, int version, struct mc_hier *h)
{
	char ctl[512];
	bool usable;

	if (mc_hier_open(path, mnt_root, version, true, h) < 0)
		return -ENOENT;
	if (version == 2)
		usable = mc_read_small(h->rootfd, "cgroup.controllers", ctl, sizeof(ctl)) == 0 &&
			 (ctl[strcspn(ctl, "\n")] = '\0', mc_has_word(ctl, "memory", ' '));
	else
		usable = faccessat(h->rootfd, mc_memfiles(version)->limit, F_OK, 0) == 0;
	if (!usable) {
		mc_hier_close(h);
		return -ENOENT;
	}
	return 0;
}

static bool
fs_is(const char *path, long type)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == (__typeof__(sfs.f_type))type;
}

/* Where systemd and every distribution mount cgroups: /sys/fs/cgroup is
 * cgroup2 (unified), or a tmpfs with v1 mounts below it and perhaps cgroup2
 * at unified (hybrid).  A controller is bound to one hierarchy at a time,
 * so a v1 memory mount means memory is not on cgroup2.  A few opens and
 * statfs are several times cheaper than generating and scanning
 * mountinfo, which matters at every login.  self: this process's cgroup
 * below the mount, read once here (the caller needs it too); may be NULL. */
static int
find_at_known_places(enum mc_cg_version want, struct mc_hier *h, char *self, size_t len)
{
	char buf[PATH_MAX];
	int fd, r = -ENOENT;

	/* open_known checks the filesystem type of what it opens. */
	if (want != MC_CG_V2)
		r = open_known("/sys/fs/cgroup/memory", "/", 1, h);
	if (r < 0 && want != MC_CG_V1) {
		r = open_known("/sys/fs/cgroup", "/", 2, h);
		if (r < 0 && fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
			r = open_known("/sys/fs/cgroup/unified", "/", 2, h);
	}
	if (r < 0)
		return r;
	/* The mount must show the whole hierarchy (mount root "/"), or our
	 * own cgroup is not where /proc/self/cgroup says: only mountinfo
	 * knows the mount root then. */
	if (self == NULL || len == 0) {
		self = buf;
		len = sizeof(buf);
	}
	self[0] = '\0';
	fd = mc_cg_of_pid(h, 0, self, len) == 0 ? mc_cg_open_dir(h, self) : -1;
	if (fd < 0) {
		mc_hier_close(h);
		return -ENOENT;
	}
	close(fd);
	return 0;
}

int
mc_hier_find(enum mc_cg_version want, struct mc_hier *h,
	     const struct mc_log *log)
{
	return mc_hier_find_self(want, h, NULL, 0, log);
}

int
mc_hier_find_self(enum mc_cg_version want, struct mc_hier *h, char *self, size_t len,
		  const struct mc_log *log)
{
	struct mc_mount v1 = { 0 }, v2 = { 0 };
	char *text = NULL;
	int fd, found, r;

	if (find_at_known_places(want, h, self, len) == 0)
		return 0;
	memset(h, 0, sizeof(*h));
	h->rootfd = -1;
	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		mc_log(log, LOG_ERR, "cannot read /proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	if ((r = mc_read_whole(fd, 65536, &text)) < 0)
		goto out;
	found = mc_mountinfo_scan(text, &v1, &v2);

	if ((found & 2) && want != MC_CG_V1) {
		struct mc_hier t;

		/* The unified hierarchy is only ours when it offers memory. */
		if (open_known(v2.mnt, v2.mnt_root, 2, &t) == 0) {
			*h = t;
			r = 0;
			goto out;
		}
		if (want == MC_CG_V2) {
			r = -ENOENT;
			mc_log(log, LOG_ERR, "cgroup_version = v2, but the cgroup2 mount at %s offers no memory controller",
			       v2.mnt);
			goto out;
		}
	}
	if (want == MC_CG_V2) {
		r = -ENOENT;
		mc_log(log, LOG_ERR, "cgroup_version = v2, but no cgroup2 filesystem is mounted");
		goto out;
	}
	if (!(found & 1)) {
		r = -ENOENT;
		if (want == MC_CG_V1)
			mc_log(log, LOG_ERR, "cgroup_version = v1, but no v1 memory hierarchy is mounted");
		else
			mc_log(log, LOG_ERR, "no memory cgroup hierarchy found (neither cgroup2 with memory nor a v1 memory mount)");
		goto out;
	}
	r = mc_hier_open(v1.mnt, v1.mnt_root, 1, true, h);
	if (r < 0)
		mc_log(log, LOG_ERR, "cannot open the v1 memory hierarchy at %s: %s",
		       v1.mnt, strerror(-r));
out:
	if (r == 0 && self != NULL && (r = mc_cg_of_pid(h, 0, self, len)) < 0) {
		mc_log(log, LOG_ERR, "cannot tell which cgroup of %s this process is in: %s",
		       h->mnt, strerror(-r));
		mc_hier_close(h);
	}
	free(text);
	close(fd);
	return r;
}

int
mc_cg_open_dir(const struct mc_hier *h, const char *rel)
{
	return mc_walk(h->rootfd, rel, O_RDONLY | O_DIRECTORY);
}

int
mc_cg_read(const struct mc_hier *h, const char *rel, const char *file,
	   char *buf, size_t len)
{
	int fd, r;

	fd = mc_walk_dir(h->rootfd, rel);
	if (fd < 0)
		return fd;
	r = mc_read_small(fd, file, buf, len);
	close(fd);
	return r;
}

/* v2: whether the unified hierarchy's root offers every controller of
 * want; the ones it lacks go to *missing, logged. */
static int
add_v2(struct mc_hier *h, unsigned want, unsigned *missing, const struct mc_log *log)
{
	char ctl[512];
	int r;

	if ((r = mc_read_small(h->rootfd, "cgroup.controllers", ctl, sizeof(ctl))) < 0) {
		mc_log(log, LOG_ERR, "cannot read %s/cgroup.controllers: %s", h->mnt, strerror(-r));
		*missing |= want;
		return r;
	}
	ctl[strcspn(ctl, "\n")] = '\0';
	r = 0;
	for (unsigned bit = MC_CTRL_CPU; bit <= MC_CTRL_PIDS; bit <<= 1) {
		if (!(want & bit))
			continue;
		if (mc_has_word(ctl, mc_ctrl_name(bit), ' ')) {
			h->ctrls |= bit;
		} else {
			mc_log(log, LOG_ERR, "the cgroup2 hierarchy at %s does not offer the %s controller (cgroup.controllers: \"%s\")",
			       h->mnt, mc_ctrl_name(bit), ctl);
			*missing |= bit;
			r = -ENOENT;
		}
	}
	return r;
}

/* v1: the hierarchy that carries bit, added to set (or marked on one of
 * its hierarchies when co-mounted there).  quiet: a missing one is not
 * logged (cpuacct, which only gives usage). */
static int
add_v1(struct mc_hier_set *set, const char *mountinfo, unsigned bit, bool quiet,
       const struct mc_log *log)
{
	struct mc_mount m;
	struct mc_hier *h;
	unsigned with = 0;
	int r;

	if (mc_mountinfo_find_v1(mountinfo, mc_ctrl_name(bit), &m, &with) < 0) {
		if (!quiet)
			mc_log(log, LOG_ERR, "no cgroup v1 hierarchy with the %s controller is mounted",
			       mc_ctrl_name(bit));
		return -ENOENT;
	}
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->h[i].mnt, m.mnt) == 0) {
			set->h[i].ctrls |= bit;
			return 0;
		}
	}
	if (set->n == MC_HIER_SET_MAX)
		return -ENOSPC;
	h = &set->h[set->n];
	if ((r = mc_hier_open(m.mnt, m.mnt_root, 1, true, h)) < 0) {
		if (!quiet)
			mc_log(log, LOG_ERR, "cannot open the v1 %s hierarchy at %s: %s",
			       mc_ctrl_name(bit), m.mnt, strerror(-r));
		return r;
	}
	h->ctrls = bit;
	snprintf(h->ctrl, sizeof(h->ctrl), "%s", mc_ctrl_name(bit));
	set->n++;
	return 0;
}

int
mc_hier_set_add(struct mc_hier_set *set, unsigned want, unsigned *missing,
		const struct mc_log *log)
{
	char *text = NULL;
	int fd, r = 0;

	*missing = 0;
	want &= MC_CTRL_CPU | MC_CTRL_PIDS;
	if (want == 0)
		return 0;
	if (set->h[0].version == 2)
		return add_v2(&set->h[0], want, missing, log);
	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r = mc_read_whole(fd, 65536, &text)) < 0) {
		r = fd < 0 ? -errno : r;
		mc_log(log, LOG_ERR, "cannot read /proc/self/mountinfo: %s", strerror(-r));
		*missing = want;
		goto out;
	}
	for (unsigned bit = MC_CTRL_CPU; bit <= MC_CTRL_PIDS; bit <<= 1) {
		int e;

		if (!(want & bit))
			continue;
		if ((e = add_v1(set, text, bit, false, log)) < 0) {
			*missing |= bit;
			r = e;
		} else if (bit == MC_CTRL_CPU) {
			(void)add_v1(set, text, MC_CTRL_CPUACCT, true, log);
		}
	}
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return r;
}

void
mc_hier_set_close_extra(struct mc_hier_set *set)
{
	for (size_t i = 1; i < set->n; i++)
		mc_hier_close(&set->h[i]);
	if (set->n > 1)
		set->n = 1;
}
