/* The controlling terminals of the processes in a cgroup: where sessions
 * without a utmp entry of the user (su -l, runuser -l) are read.  The
 * parsing, the device-name table and the set are pure; mc_ctty_scan() reads
 * cgroup.procs and /proc through fds the caller opens, so tests can give it
 * a fake tree. */
#ifndef MEMCG_CTTY_H
#define MEMCG_CTTY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MC_CTTY_MAX 64		/* distinct terminals kept per scan */
#define MC_CTTY_HOLDERS 8	/* distinct real uids kept per terminal */
#define MC_CTTY_MAX_PIDS 4096	/* pids read from cgroup.procs per scan */
#define MC_CTTY_MAX_DIRS 256	/* cgroups read per scan of a tree */
#define MC_CTTY_MAX_DEPTH 8	/* levels below the top cgroup */

/* One terminal and the real uids of the processes that hold it as their
 * controlling terminal. */
struct mc_ctty {
	dev_t rdev;
	uid_t holders[MC_CTTY_HOLDERS];
	size_t n_holders;
};

/* What a scan found.  Starts zeroed; the scans add to it. */
struct mc_ctty_set {
	struct mc_ctty t[MC_CTTY_MAX];
	size_t n;
	unsigned pids;		/* pids read from cgroup.procs files */
	unsigned dirs;		/* cgroup directories looked at */
	bool capped;		/* there was more than the caps let it read */
};

/* The tty_nr (field 7) of /proc/PID/stat text.  The command name (field 2)
 * may hold spaces, parentheses and newlines, so fields are counted from the
 * last ')'.  Returns 0 or -EINVAL. */
int mc_proc_stat_tty(const char *text, int *tty_nr);

/* The real uid (first number of the "Uid:" line) of /proc/PID/status text.
 * Returns 0 or -EINVAL. */
int mc_proc_status_ruid(const char *text, uid_t *ruid);

/* The device a tty_nr names: the kernel's 32-bit encoding, major in bits
 * 8-19, minor in bits 0-7 and 20-31.  0 (no controlling terminal) stays 0. */
dev_t mc_tty_nr_dev(int tty_nr);

/* The /dev path of a terminal device: /dev/pts/N (majors 136-143),
 * /dev/ttyN (4, minors 1-63), /dev/ttySN (4, minors 64-255), /dev/ttyACMN
 * (166), /dev/ttyUSBN (188).  Returns 0, -ENODEV (no name known here, such
 * as /dev/console) or -ENAMETOOLONG. */
int mc_tty_dev_path(dev_t dev, char *buf, size_t len);

/* Records that a process with real uid ruid holds rdev (not 0) as its
 * controlling terminal.  Returns 0, or -ENOSPC when the set or that
 * terminal's holder list is full (nothing is recorded then). */
int mc_ctty_note(struct mc_ctty_set *s, dev_t rdev, uid_t ruid);

/* Removes the terminals whose device is one of done[0..n): those already
 * handled through utmp. */
void mc_ctty_drop(struct mc_ctty_set *s, const dev_t *done, size_t n);

/* The checks on an opened terminal of the set: a character device whose
 * device is t->rdev, owned by uid or by one of t's holders (root, when it
 * was root's su -l that the module moved into the user's cgroup), and
 * writable by its group (mesg y) unless ignore_mesg.  Returns 0, -ENOTTY
 * (not a character device), -ENXIO (another device), -EPERM (owned by
 * someone else) or -EACCES (mesg n). */
int mc_ctty_check_stat(const struct stat *st, const struct mc_ctty *t, uid_t uid,
		       bool ignore_mesg);

/* Opens path for writing without blocking, without following a symlink and
 * without making it our controlling terminal, then mc_ctty_check_stat()
 * and isatty().  Returns the fd or a negative errno. */
int mc_ctty_open(const char *path, const struct mc_ctty *t, uid_t uid, bool ignore_mesg);

/* Reads pids from procs_fd (a cgroup.procs) until s->pids reaches
 * max_pids, and notes the controlling terminal of each, with its real uid,
 * from proc_fd (a /proc directory) into s.  Processes that exit in between
 * are skipped.  Returns 0 or a negative errno (cgroup.procs could not be
 * read). */
int mc_ctty_scan(int procs_fd, int proc_fd, unsigned max_pids, struct mc_ctty_set *s);

/* mc_ctty_scan() on the cgroup.procs of the cgroup directory cg_fd and of
 * the cgroups below it (MC_CTTY_MAX_DEPTH levels, MC_CTTY_MAX_DIRS
 * cgroups, max_pids pids in all; subdirectories are opened without
 * following symlinks): a user's processes may sit in child cgroups (a
 * systemd slice's session scopes).  Returns 0 or a negative errno when
 * cg_fd's own cgroup.procs cannot be read. */
int mc_ctty_scan_tree(int cg_fd, int proc_fd, unsigned max_pids, struct mc_ctty_set *s);

#endif
