/* This machine's memory cgroup hierarchy, and those of cpu, cpuacct and
 * pids where they are mounted apart (v1): where each is mounted, which
 * version, and a directory fd of its root that every path is walked from
 * (a parameter, so tests can use a fake tree). */
#ifndef MEMCG_HIER_H
#define MEMCG_HIER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "log.h"

/* The controllers whose files a hierarchy's user cgroups get written and
 * read: memory always has its own (found by mc_hier_find); cpu (with
 * cpuacct, for its usage on v1) and pids only when the limits use them. */
enum {
	MC_CTRL_MEMORY = 1 << 0,
	MC_CTRL_CPU = 1 << 1,
	MC_CTRL_CPUACCT = 1 << 2,
	MC_CTRL_PIDS = 1 << 3,
};

/* An open hierarchy.  Whoever opened it (mc_hier_find, mc_hier_open) owns
 * rootfd and closes it with mc_hier_close. */
struct mc_hier {
	int version;		/* 1 or 2 */
	int rootfd;		/* directory fd of the mount point */
	char mnt[PATH_MAX];	/* mount point, for messages */
	char mnt_root[PATH_MAX];/* which cgroup the mount shows ("/" normally) */
	/* MC_CTRL_* this code uses here; mc_hier_open sets MC_CTRL_MEMORY
	 * (0 is taken as that too). */
	unsigned ctrls;
	/* v1: the controller that names this hierarchy's line in
	 * /proc/PID/cgroup; "" is "memory".  Unused on v2. */
	char ctrl[16];
};

/* A memory hierarchy as found in mountinfo text. */
struct mc_mount {
	int version;
	char mnt[PATH_MAX];
	char mnt_root[PATH_MAX];
};

/* Finds the v1 memory mount and the cgroup2 mount in mountinfo text.
 * Returns bit 1 set when a v1 memory mount was found, bit 2 for cgroup2. */
int mc_mountinfo_scan(const char *text, struct mc_mount *v1, struct mc_mount *v2);

/* Pure: finds the v1 mount that carries controller ctrl ("cpu", "pids")
 * in mountinfo text into m; *ctrls gets the MC_CTRL_* of every controller
 * co-mounted there (cpu,cpuacct).  Returns 0 or -ENOENT. */
int mc_mountinfo_find_v1(const char *text, const char *ctrl, struct mc_mount *m,
			 unsigned *ctrls);

/* Pure: the name of one MC_CTRL_* bit ("memory", "cpu", "cpuacct",
 * "pids"), or "?" */
const char *mc_ctrl_name(unsigned bit);

/* The hierarchies a user's cgroup lives in: h[0] the memory one, and where
 * cpu, cpuacct and pids are not there (v1, mounted apart), one each. */
#define MC_HIER_SET_MAX 4
struct mc_hier_set {
	struct mc_hier h[MC_HIER_SET_MAX];
	size_t n;
};

/* Adds the controllers in want (MC_CTRL_CPU, MC_CTRL_PIDS) to set, whose
 * h[0] is the memory hierarchy, open: on v2 to h[0], when the unified
 * hierarchy offers them; on v1 to h[0] when co-mounted with memory, else
 * to a hierarchy of their own, found in /proc/self/mountinfo and opened
 * (cpuacct goes with cpu where it is mounted, for its usage; where it is
 * not, only the usage is missing).  Every controller wanted and not found
 * is logged, by name and reason, and its bit is in *missing.  Returns 0
 * when all were found, or a negative errno (-ENOENT: one is missing). */
int mc_hier_set_add(struct mc_hier_set *set, unsigned want, unsigned *missing,
		    const struct mc_log *log);

/* Closes every hierarchy of set after h[0] (the caller's own), n = 1. */
void mc_hier_set_close_extra(struct mc_hier_set *set);

/* Finds and opens this machine's memory hierarchy: want v1, v2, or auto (v2
 * when the unified hierarchy offers the memory controller, else v1).
 * Returns 0, or -ENOENT/-errno with the reason logged. */
int mc_hier_find(enum mc_cg_version want, struct mc_hier *h,
		 const struct mc_log *log);
/* The same, and this process's cgroup below the mount into self (as
 * mc_cg_of_pid), which finding the hierarchy reads anyway. */
int mc_hier_find_self(enum mc_cg_version want, struct mc_hier *h, char *self, size_t len,
		      const struct mc_log *log);

/* Opens path as the root of a hierarchy of the given version.  check_fs
 * makes sure it really is a cgroup filesystem of that version (only tests
 * pass false, to use a fake tree).  Returns 0 or a negative errno (h->rootfd
 * is -1 then). */
int mc_hier_open(const char *path, const char *mnt_root, int version,
		 bool check_fs, struct mc_hier *h);
/* Closes rootfd (-1 after; closing twice is harmless). */
void mc_hier_close(struct mc_hier *h);

/* Opens the directory rel (relative to the mount point) beneath the root,
 * refusing symlinks and other mounts.  Returns an O_CLOEXEC fd the caller
 * closes, or a negative errno. */
int mc_cg_open_dir(const struct mc_hier *h, const char *rel);

/* Reads the small file rel/file beneath the root into buf with
 * mc_read_small (NUL-terminated, at most len - 1 bytes).  Returns 0 or a
 * negative errno. */
int mc_cg_read(const struct mc_hier *h, const char *rel, const char *file,
	       char *buf, size_t len);

#endif
