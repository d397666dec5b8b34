/* What /proc says about a process: which cgroup it is in, and whether it
 * is exiting.  The parsers of the text are pure and tested on their own. */
#ifndef MEMCG_PROC_H
#define MEMCG_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hier.h"

/* The cgroup of pid (0: the caller) in this hierarchy, relative to the
 * mount point, without leading '/' ("" is the mount point itself).
 * Returns 0, -EXDEV (outside what the mount shows), -ENAMETOOLONG, or a
 * negative errno. */
int mc_cg_of_pid(const struct mc_hier *h, pid_t pid, char *buf, size_t len);

/* Finds this hierarchy's line in /proc/PID/cgroup text and writes its path
 * (with leading '/') to buf: the v2 line, or the v1 memory line.  Pure;
 * returns 0 or -ENOENT. */
int mc_proc_cgroup_parse(const char *text, int version, char *buf, size_t len);
/* The same for the v1 line of controller ctrl ("cpu", "pids"). */
int mc_proc_cgroup_parse_ctrl(const char *text, int version, const char *ctrl,
			      char *buf, size_t len);

/* Whether process pid is gone, a zombie, or exiting (PF_EXITING): its main
 * thread is, and so is every other thread (a main thread that called
 * pthread_exit leaves a live process). */
bool mc_pid_exiting(pid_t pid);

/* Pure: whether the text of one /proc/PID/stat (or task/TID/stat) says
 * zombie, dead or PF_EXITING.  Unparsable text is not exiting. */
bool mc_proc_stat_exiting(const char *text);

#endif
