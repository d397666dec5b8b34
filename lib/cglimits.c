/* A user's cgroup from login to logout: made with its limits written and
 * joined, left, removed; see cglimits.h.  Ordering of limit writes, the race
 * with a concurrent close and the v2 controller enabling live here. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgfs.h"
#include "cglimits.h"
#include "cgname.h"
#include "memfiles.h"
#include "parse.h"
#include "proc.h"

/* How often an open retries when a close removed the cgroup under it. */
#define JOIN_TRIES 32
/* How long (in 10 ms steps) a close waits for exiting processes. */
#define REMOVE_WAIT_STEPS 50

/* Makes the cgroup name below dirfd: 1 when made here, 0 when it was
 * there, or a negative errno. */
static int
mkdir_at(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) == 0)
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

/* The mode of a cgroup directory made here, fd opened by walk (no
 * symlinks): 0755 whatever the umask of the process that opens the
 * session (under su the user's own; root's is often 077, which would keep
 * every non-root user's memcgctl status out of the parent). */
static int
fix_mode(int fd)
{
	return fchmod(fd, 0755) < 0 ? -errno : 0;
}

static unsigned
ctrls_of(const struct mc_hier *h)
{
	return h->ctrls != 0 ? h->ctrls : MC_CTRL_MEMORY;
}

/* On v2 a child only gets memory.* (cpu.*, pids.*) files when every
 * ancestor enables the controller for its children.  Only the ones not on
 * yet are written: the write fails on a cgroup that holds processes (and
 * costs more). */
static int
enable_ctrls(int dirfd, unsigned ctrls)
{
	char ctl[512], add[64] = "";
	int r;

	if ((r = mc_read_small(dirfd, "cgroup.subtree_control", ctl, sizeof(ctl))) < 0)
		return r;
	ctl[strcspn(ctl, "\n")] = '\0';
	for (unsigned bit = MC_CTRL_MEMORY; bit <= MC_CTRL_PIDS; bit <<= 1) {
		/* cpuacct is v1 only; cpu.stat has the usage on v2. */
		if (!(ctrls & bit) || bit == MC_CTRL_CPUACCT ||
		    mc_has_word(ctl, mc_ctrl_name(bit), ' '))
			continue;
		snprintf(add + strlen(add), sizeof(add) - strlen(add), "%s+%s",
			 add[0] ? " " : "", mc_ctrl_name(bit));
	}
	if (add[0] == '\0')
		return 0;
	return mc_write_small(dirfd, "cgroup.subtree_control", add);
}

/* "memory", "memory, cpu and pids": the controllers of ctrls, for messages. */
static const char *
ctrl_list(unsigned ctrls, char *buf, size_t len)
{
	unsigned n = 0, total = 0;

	for (unsigned bit = MC_CTRL_MEMORY; bit <= MC_CTRL_PIDS; bit <<= 1)
		total += (ctrls & bit) && bit != MC_CTRL_CPUACCT;
	buf[0] = '\0';
	for (unsigned bit = MC_CTRL_MEMORY; bit <= MC_CTRL_PIDS; bit <<= 1) {
		if (!(ctrls & bit) || bit == MC_CTRL_CPUACCT)
			continue;
		n++;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 n == 1 ? "" : n == total ? " and " : ", ", mc_ctrl_name(bit));
	}
	return buf;
}

/* Creates the parent path component by component; returns its dir fd. */
static int
make_parent(const struct mc_hier *h, const char *parent, const struct mc_log *log)
{
	char *copy, *save = NULL, *comp, names[64];
	int fd, r;

	fd = mc_walk_dir(h->rootfd, "");
	if (fd < 0)
		return fd;
	if ((copy = strdup(parent)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (comp = strtok_r(copy, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		int next, made;

		if (h->version == 2 && (r = enable_ctrls(fd, ctrls_of(h))) < 0) {
			mc_log(log, LOG_ERR, "cannot enable the %s controller%s above %s/%s: %s",
			       ctrl_list(ctrls_of(h), names, sizeof(names)),
			       strchr(names, ' ') ? "s" : "", h->mnt, parent, strerror(-r));
			goto fail;
		}
		/* -ENOENT: a component was removed under us; the caller retries
		 * and reports if it keeps happening. */
		if ((made = mkdir_at(fd, comp)) < 0) {
			r = made;
			if (r != -ENOENT)
				mc_log(log, LOG_ERR, "cannot create cgroup %s/%s (at \"%s\"): %s",
				       h->mnt, parent, comp, strerror(-r));
			goto fail;
		}
		next = mc_walk(fd, comp, O_RDONLY | O_DIRECTORY);
		if (next < 0) {
			r = next;
			if (r != -ENOENT)
				mc_log(log, LOG_ERR, "cannot open cgroup %s/%s (at \"%s\"): %s",
				       h->mnt, parent, comp, strerror(-r));
			goto fail;
		}
		if (made && (r = fix_mode(next)) < 0)
			mc_log(log, LOG_WARNING, "cannot set mode 0755 on cgroup %s/%s (at \"%s\"): %s",
			       h->mnt, parent, comp, strerror(-r));
		close(fd);
		fd = next;
	}
	if (h->version == 2 && (r = enable_ctrls(fd, ctrls_of(h))) < 0) {
		mc_log(log, LOG_ERR, "cannot enable the %s controller%s in %s/%s: %s",
		       ctrl_list(ctrls_of(h), names, sizeof(names)),
		       strchr(names, ' ') ? "s" : "", h->mnt, parent, strerror(-r));
		goto fail;
	}
	free(copy);
	return fd;
fail:
	free(copy);
	close(fd);
	return r;
}

static void
fmt_limit(int version, uint64_t v, char *buf, size_t len)
{
	if (v == MC_UNLIMITED)
		snprintf(buf, len, "%s", version == 2 ? "max" : "-1");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static atomic_bool warned_oom_group_v1;

/* v1's memsw for a memory limit and a swap limit: their sum, unlimited
 * when either is or the sum is past the largest size. */
static uint64_t
memsw_of(uint64_t max, uint64_t swap)
{
	if (max != MC_UNLIMITED && swap != MC_UNLIMITED && swap <= MC_SIZE_LIMIT - max)
		return max + swap;
	return MC_UNLIMITED;
}

/* How many limits lower_v1 tries. */
#define LOWER_TRIES 4

/* After v1 refused a memory limit below usage (EBUSY; the write already
 * reclaimed what it could), the lowest limit it takes between that and
 * old (the limit in force): a MiB above usage, then half-way up to old
 * each time usage grew past the try.  *set gets the limit in force.
 * Returns 0 when one was written, -EBUSY when none was (old stays), or
 * another negative errno. */
static int
lower_v1(int fd, uint64_t old, uint64_t *set)
{
	const struct mc_memfiles *mf = mc_memfiles(1);
	uint64_t usage, c;
	char v[32];
	int r;

	*set = old;
	if ((r = mc_read_u64(fd, mf->usage, &usage)) < 0)
		return r;
	if (usage >= MC_SIZE_LIMIT / 2)
		return -EBUSY;
	c = ((usage >> 20) + 2) << 20;
	for (int i = 0; i < LOWER_TRIES && c < old; i++) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)c);
		if ((r = mc_write_small(fd, mf->limit, v)) == 0) {
			*set = c;
			return 0;
		}
		if (r != -EBUSY)
			return r;
		if (old == MC_UNLIMITED && c >= MC_SIZE_LIMIT / 4)
			break;
		c = old == MC_UNLIMITED ? 2 * c : c + (old - c) / 2;
	}
	return -EBUSY;
}

bool
mc_limit_differs(uint64_t configured, uint64_t in_force, uint64_t page_size)
{
	if (configured == MC_UNLIMITED || in_force == MC_UNLIMITED)
		return configured != in_force;
	if (page_size == 0)
		page_size = 1;
	return configured / page_size != in_force / page_size;
}

/* The CPU and task limits lim configures, for the controllers of h: v2
 * cpu.max ("<quota> <period>" or "max <period>"), cpu.weight, pids.max;
 * v1 cpu.cfs_period_us then cpu.cfs_quota_us (-1: none), cpu.shares,
 * pids.max.  Keys not configured are left as they are. */
static int
write_cpu_pids(const struct mc_hier *h, int fd, const char *path,
	       const struct mc_limits *lim, const struct mc_log *log)
{
	unsigned ctrls = ctrls_of(h);
	char v[64];
	const char *what = NULL;
	int r;

	if ((ctrls & MC_CTRL_CPU) && (lim->configured & MC_SET_CPU_MAX)) {
		if (h->version == 2) {
			mc_cpu_max_text(lim->cpu_quota_us, v, sizeof(v));
			r = mc_write_small(fd, what = "cpu.max", v);
		} else {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)MC_CPU_PERIOD_US);
			r = mc_write_small(fd, what = "cpu.cfs_period_us", v);
			if (r == 0) {
				fmt_limit(1, lim->cpu_quota_us, v, sizeof(v));
				r = mc_write_small(fd, what = "cpu.cfs_quota_us", v);
			}
		}
		if (r < 0)
			goto fail;
	}
	if ((ctrls & MC_CTRL_CPU) && (lim->configured & MC_SET_CPU_WEIGHT)) {
		if (h->version == 2) {
			snprintf(v, sizeof(v), "%u", lim->cpu_weight);
			r = mc_write_small(fd, what = "cpu.weight", v);
		} else {
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)mc_cpu_shares_of_weight(lim->cpu_weight));
			r = mc_write_small(fd, what = "cpu.shares", v);
		}
		if (r < 0)
			goto fail;
	}
	if ((ctrls & MC_CTRL_PIDS) && (lim->configured & MC_SET_TASKS_MAX)) {
		/* pids.max says "max" on both versions. */
		fmt_limit(2, lim->tasks_max, v, sizeof(v));
		if ((r = mc_write_small(fd, what = "pids.max", v)) < 0)
			goto fail;
	}
	return 0;
fail:
	if (r != -ENOENT && r != -ENODEV)
		mc_log(log, LOG_ERR, "cannot write %s/%s/%s: %s", h->mnt, path, what,
		       strerror(-r));
	return r;
}

static int write_memory(const struct mc_hier *h, int fd, const char *path, bool fresh,
			const struct mc_limits *lim, const struct mc_log *log);

/* Every limit of lim that goes into h's controllers.  Returns 0, -EBUSY
 * (v1: less memory limit than asked is in force) or a negative errno. */
static int
write_limits(const struct mc_hier *h, int fd, const char *path, bool fresh,
	     const struct mc_limits *lim, const struct mc_log *log)
{
	int r = 0, rc;

	if ((ctrls_of(h) & MC_CTRL_MEMORY) &&
	    (r = write_memory(h, fd, path, fresh, lim, log)) < 0 && r != -EBUSY)
		return r;
	if ((rc = write_cpu_pids(h, fd, path, lim, log)) < 0)
		return rc;
	return r;
}

/* The memory limit files of one user cgroup.  A file the kernel lacks (swap
 * accounting off) is fine when the limit is "max".  -ENOENT/-ENODEV from
 * the cgroup's own files mean it was removed under us. */
static int
write_memory(const struct mc_hier *h, int fd, const char *path, bool fresh,
	     const struct mc_limits *lim, const struct mc_log *log)
{
	const struct mc_memfiles *mf = mc_memfiles(h->version);
	char v[32], sw[32];
	const char *what;
	int r;

	if (h->version == 2) {
		fmt_limit(2, lim->memory_max, v, sizeof(v));
		if ((r = mc_write_small(fd, what = mf->limit, v)) < 0)
			goto fail;
		fmt_limit(2, lim->memory_high, v, sizeof(v));
		if ((r = mc_write_small(fd, what = mf->high, v)) < 0)
			goto fail;
		fmt_limit(2, lim->swap_max, v, sizeof(v));
		r = mc_write_small(fd, what = mf->swap_limit, v);
		if (r == -ENOENT && faccessat(fd, mf->limit, F_OK, 0) == 0) {
			if (lim->swap_max != MC_UNLIMITED) {
				r = -EOPNOTSUPP;
				goto fail;
			}
			r = 0;
		}
		if (r < 0)
			goto fail;
		r = mc_write_small(fd, what = mf->oom_group, lim->oom_group ? "1" : "0");
		if (r < 0)
			goto fail;
		return 0;
	}

	/* v1: memsw must never be below limit_in_bytes.  Raising or keeping
	 * the limits, memsw goes first; when the new memsw is below the
	 * current limit the kernel says EINVAL, and the limit goes first (at
	 * once for a fresh cgroup, whose limit is unlimited).  No memsw file:
	 * no swap accounting (or the cgroup is gone, which the limit write
	 * tells).  A limit below usage is EBUSY once reclaim cannot get there
	 * (anonymous memory without swap): on a cgroup in use the limit goes
	 * as low as the kernel takes it, memsw follows it, and -EBUSY tells
	 * the caller that less than asked is in force. */
	uint64_t set = lim->memory_max, old = MC_UNLIMITED;
	bool memsw_done = false, no_memsw = false, busy = false;

	if (!fresh)
		(void)mc_read_u64(fd, mf->limit, &old);
	fmt_limit(1, lim->memory_max, v, sizeof(v));
	fmt_limit(1, memsw_of(lim->memory_max, lim->swap_max), sw, sizeof(sw));
	r = fresh ? -EINVAL : mc_write_small(fd, what = mf->swap_limit, sw);
	if (r == 0)
		memsw_done = true;
	else if (r == -ENOENT)
		no_memsw = true;
	else if (r == -EBUSY && !fresh)
		busy = true;	/* swap in use above it: after the limit, again */
	else if (r != -EINVAL)
		goto fail;
	r = mc_write_small(fd, what = mf->limit, v);
	if (r == -EBUSY && !fresh) {
		busy = true;
		if ((r = lower_v1(fd, old, &set)) < 0 && r != -EBUSY)
			goto fail;
		r = 0;
	}
	if (r < 0)
		goto fail;
	if (!memsw_done && !no_memsw) {
		fmt_limit(1, memsw_of(set, lim->swap_max), sw, sizeof(sw));
		r = mc_write_small(fd, what = mf->swap_limit, sw);
		if (r == -ENOENT && faccessat(fd, mf->limit, F_OK, 0) == 0) {
			no_memsw = true;
			r = 0;
		} else if (r == -EBUSY && !fresh) {
			/* The old memsw stays, at or above the old limit and so
			 * above the one now in force. */
			busy = true;
			r = 0;
		}
		if (r < 0)
			goto fail;
	}
	if (no_memsw && lim->swap_max != MC_UNLIMITED) {
		what = mf->swap_limit;
		r = -EOPNOTSUPP;
		goto fail;
	}
	fmt_limit(1, lim->memory_high, v, sizeof(v));
	if ((r = mc_write_small(fd, what = mf->high, v)) < 0)
		goto fail;
	if (lim->oom_group && !atomic_exchange(&warned_oom_group_v1, true))
		mc_log(log, LOG_WARNING, "oom_group is not supported on cgroup v1; ignored for %s/%s",
		       h->mnt, path);
	return busy ? -EBUSY : 0;
fail:
	if (r != -ENOENT && r != -ENODEV)
		mc_log(log, LOG_ERR, "cannot write %s/%s/%s: %s", h->mnt, path,
		       what, r == -EOPNOTSUPP
			     ? "this kernel has no swap accounting (swap_max must be \"max\")"
			     : strerror(-r));
	return r;
}

static int
attach_fd(int fd, pid_t pid)
{
	char v[24];

	snprintf(v, sizeof(v), "%ld", (long)pid);
	return mc_write_small(fd, "cgroup.procs", v);
}

/* After a limit write failed (r) on a cgroup that existed: whether to join
 * it anyway, which is when a memory limit is in force (or none is asked
 * for); fills res. */
static bool
join_anyway(const struct mc_hier *h, int fd, const char *path, const struct mc_limits *lim,
	    int r, const struct mc_log *log, struct mc_join_result *res)
{
	const struct mc_memfiles *mf = mc_memfiles(h->version);

	res->limit_err = r;
	/* Elsewhere the old CPU and task limits stay: joined, and logged. */
	if (!(ctrls_of(h) & MC_CTRL_MEMORY))
		return true;
	if (mc_read_u64(fd, mf->limit, &res->max_in_force) < 0)
		res->max_in_force = MC_UNLIMITED;
	if (mc_read_u64(fd, mf->usage, &res->usage) < 0)
		res->usage = 0;
	if (res->max_in_force == MC_UNLIMITED && lim->memory_max != MC_UNLIMITED) {
		mc_log(log, LOG_ERR, "%s/%s has no memory limit in force and memory_max %llu cannot be written (%s): not joined",
		       h->mnt, path, (unsigned long long)lim->memory_max, strerror(-r));
		return false;
	}
	return true;
}

/* Removes the cgroup leaf of parent made by this join, whose limits could
 * not be written (best effort: a session that joined it meanwhile keeps
 * it). */
static void
unmake(const struct mc_hier *h, const char *parent, const char *leaf)
{
	int pfd = mc_walk_dir(h->rootfd, parent);

	if (pfd >= 0) {
		(void)unlinkat(pfd, leaf, AT_REMOVEDIR);
		close(pfd);
	}
}

int
mc_cg_join(const struct mc_hier *h, const char *parent, uid_t uid,
	   const struct mc_limits *lim, pid_t pid, const struct mc_log *log,
	   struct mc_join_result *res)
{
	struct mc_join_result ignored;
	char path[PATH_MAX], leaf[32];
	bool fresh;
	int r;

	if (res == NULL)
		res = &ignored;
	memset(res, 0, sizeof(*res));
	res->max_in_force = lim->memory_max;
	if ((r = mc_user_cgroup(parent, uid, path, sizeof(path))) < 0)
		return r;
	if ((r = mc_user_cgroup_name(NULL, uid, NULL, leaf, sizeof(leaf))) < 0)
		return r;
	for (int tries = 0; tries < JOIN_TRIES; tries++) {
		int pfd, fd;

		/* Fastest path: another session of the user made it. */
		fd = tries == 0 ? mc_walk_dir(h->rootfd, path) : -ENOENT;
		fresh = false;
		if (fd >= 0)
			goto limits;
		if (fd != -ENOENT) {
			mc_log(log, LOG_ERR, "cannot open cgroup %s/%s: %s",
			       h->mnt, path, strerror(-fd));
			return fd;
		}
		/* Fast path: the parent usually exists already. */
		pfd = mc_walk_dir(h->rootfd, parent);
		if (pfd == -ENOENT || (pfd >= 0 && tries > 0 && h->version == 2)) {
			if (pfd >= 0)
				close(pfd);
			pfd = make_parent(h, parent, log);
		}
		if (pfd < 0) {
			r = pfd;
			if (r == -ENOENT)
				continue;
			mc_log(log, LOG_ERR, "cannot open cgroup %s/%s: %s",
			       h->mnt, parent, strerror(-r));
			return r;
		}
		/* v2: a parent made by someone else may not give its children
		 * the controllers; the user's cgroup should have their files
		 * from the start.  When this fails, the steps that need it
		 * fail and say why (mkdir on a read-only tree; the limits,
		 * then make_parent's own enable, otherwise). */
		if (h->version == 2)
			(void)enable_ctrls(pfd, ctrls_of(h));
		/* Made here: its limits are the kernel's defaults. */
		r = mkdir_at(pfd, leaf);
		fresh = r == 1;
		if (r < 0) {
			close(pfd);
			if (r == -ENOENT)
				continue;
			mc_log(log, LOG_ERR, "cannot create cgroup %s/%s: %s",
			       h->mnt, path, strerror(-r));
			return r;
		}
		fd = mc_walk(pfd, leaf, O_RDONLY | O_DIRECTORY);
		close(pfd);
		if (fd < 0) {
			r = fd;
			if (r == -ENOENT)
				continue;
			mc_log(log, LOG_ERR, "cannot open cgroup %s/%s: %s",
			       h->mnt, path, strerror(-r));
			return r;
		}
		if (fresh && (r = fix_mode(fd)) < 0)
			mc_log(log, LOG_WARNING, "cannot set mode 0755 on cgroup %s/%s: %s",
			       h->mnt, path, strerror(-r));
limits:
		r = write_limits(h, fd, path, fresh, lim, log);
		/* A cgroup in use keeps its old limits when new ones cannot be
		 * written: better there than out of any. */
		if (r < 0 && r != -ENOENT && r != -ENODEV && !fresh &&
		    join_anyway(h, fd, path, lim, r, log, res))
			r = 0;
		if (r == 0) {
			r = attach_fd(fd, pid);
			if (r < 0 && r != -ENOENT && r != -ENODEV)
				mc_log(log, LOG_ERR, "cannot move pid %ld into %s/%s: %s",
				       (long)pid, h->mnt, path, strerror(-r));
		}
		close(fd);
		/* Removed between mkdir (or the fastest path's open) and attach
		 * by the last session's close: start over. */
		if (r == -ENOENT || r == -ENODEV)
			continue;
		/* Made here without its limits: nobody may join it later and
		 * find it unlimited. */
		if (r < 0 && fresh)
			unmake(h, parent, leaf);
		return r;
	}
	mc_log(log, LOG_ERR, "gave up on %s/%s after %d attempts: %s",
	       h->mnt, path, JOIN_TRIES,
	       r == -ENOENT || r == -ENODEV ? "it or its parent kept disappearing"
					    : strerror(-r));
	return r < 0 ? r : -EAGAIN;
}

/* "<rel>/cgroup.procs" ("cgroup.procs" for the root) into buf. */
static int
procs_path(const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%scgroup.procs", rel, rel[0] != '\0' ? "/" : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
mc_cg_attach(const struct mc_hier *h, const char *rel, pid_t pid)
{
	char path[PATH_MAX], v[24];
	int fd, r;

	if ((r = procs_path(rel, path, sizeof(path))) < 0)
		return r;
	/* The file itself, walked as the directories are: one open. */
	fd = mc_walk(h->rootfd, path, O_WRONLY);
	if (fd < 0)
		return fd;
	snprintf(v, sizeof(v), "%ld", (long)pid);
	r = mc_write_fd(fd, v);
	close(fd);
	return r;
}

/* The whole of a cgroup.procs file at path below dirfd, into *out (free
 * it).  Returns 0 or a negative errno. */
static int
read_procs(int dirfd, const char *path, char **out)
{
	int fd, r;

	if ((fd = mc_walk(dirfd, path, O_RDONLY)) < 0)
		return fd;
	r = mc_read_whole(fd, 4096, out);
	close(fd);
	return r;
}

/* Reads the cgroup.procs at path below dirfd into o, pid apart.  Returns 0
 * or a negative errno. */
static int
occupancy_at(int dirfd, const char *path, pid_t pid, struct mc_cg_occupancy *o)
{
	char *text = NULL, *save = NULL;
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = read_procs(dirfd, path, &text)) < 0 || text == NULL)
		return r < 0 ? r : -EIO;
	for (char *tok = strtok_r(text, "\n", &save); tok != NULL;
	     tok = strtok_r(NULL, "\n", &save)) {
		uint64_t v;

		if (mc_parse_u64(tok, 1, INT32_MAX, &v) < 0) {
			o->others_live = true;	/* not ours to judge */
		} else if (pid > 0 && (pid_t)v == pid) {
			o->has_pid = true;
		} else if (!o->others_live) {
			/* One live process settles it: no more look-ups. */
			if (mc_pid_exiting((pid_t)v))
				o->others_exiting = true;
			else
				o->others_live = true;
		}
	}
	free(text);
	return 0;
}

int
mc_cg_occupancy(const struct mc_hier *h, const char *rel, pid_t pid,
		struct mc_cg_occupancy *o)
{
	char path[PATH_MAX];
	int r;

	if ((r = procs_path(rel, path, sizeof(path))) < 0)
		return r;
	return occupancy_at(h->rootfd, path, pid, o);
}

int
mc_cg_remove_user(const struct mc_hier *h, const char *parent, uid_t uid, bool wait_exiting)
{
	char leaf[32], path[64];
	int pfd, r = 0;

	if ((r = mc_user_cgroup_name(NULL, uid, NULL, leaf, sizeof(leaf))) < 0)
		return r;
	pfd = mc_walk_dir(h->rootfd, parent);
	if (pfd < 0)
		return pfd;
	snprintf(path, sizeof(path), "%s/cgroup.procs", leaf);
	/* sshd's monitor closes the session while the session's last process
	 * is still exiting: wait for such stragglers (never for a live
	 * process), up to REMOVE_WAIT_STEPS * 10 ms. */
	for (int step = 0;; step++) {
		struct mc_cg_occupancy o;

		r = unlinkat(pfd, leaf, AT_REMOVEDIR) < 0 ? -errno : 0;
		/* A fake tree is a plain directory with files in it. */
		if (r == -ENOTEMPTY)
			r = -EBUSY;
		if (r != -EBUSY || step == REMOVE_WAIT_STEPS || !wait_exiting)
			break;
		if (occupancy_at(pfd, path, 0, &o) < 0 || o.others_live || !o.others_exiting)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	close(pfd);
	return r;
}
