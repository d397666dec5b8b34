/* Which terminals a user is logged in on (utmp USER_PROCESS entries), and
 * whether an opened terminal may be written to.  The utmp path is a
 * parameter so tests can use a file they write. */
#ifndef MEMCG_UTMPSEL_H
#define MEMCG_UTMPSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MC_TTY_PATH 64

/* Whether a utmp ut_line names a terminal below /dev that we may open:
 * letters, digits, '/', '.', '_', '-'; no empty, "." or ".." component;
 * not absolute. */
bool mc_tty_line_ok(const char *line);

/* Reads the utmp file at path and writes "/dev/<ut_line>" of each
 * USER_PROCESS entry of user into paths (without repeats, at most max).
 * Entries with an unusable ut_line are skipped.  Returns how many were
 * written, or a negative errno (-ENOENT when there is no utmp file). */
int mc_utmp_ttys(const char *path, const char *user, char (*paths)[MC_TTY_PATH],
		 size_t max);

/* The checks on an opened terminal: a character device, owned by uid, and
 * writable by its group (mesg y) unless ignore_mesg.  Returns 0, -ENOTTY
 * (not a character device), -EPERM (someone else's) or -EACCES (mesg n). */
int mc_tty_check_stat(const struct stat *st, uid_t uid, bool ignore_mesg);

/* mc_tty_check_stat() on fd, plus isatty().  Same results. */
int mc_tty_check_fd(int fd, uid_t uid, bool ignore_mesg);

/* Opens a terminal under /dev for writing, with no symlink anywhere on the
 * path and only after check(st, arg) accepted its stat (taken through an
 * O_PATH descriptor, so no device is opened first): a character device of
 * a terminal major, reopened and verified to be the same tty.  *rdev (may
 * be NULL) receives its device number once known.  Returns the fd or a
 * negative errno (-ENOTTY, -EPERM, -EACCES from check, ...). */
int mc_tty_open_checked(const char *path, int (*check)(const struct stat *, const void *),
			const void *arg, dev_t *rdev);

/* Opens tty path for writing without blocking and without making it our
 * controlling terminal, then checks it.  Returns the fd or a negative
 * errno.  *rdev is set to the device opened when it is a character device,
 * whatever the checks said (callers skip it among the controlling terminals
 * of ctty.h), else to 0. */
int mc_tty_open(const char *path, uid_t uid, bool ignore_mesg, dev_t *rdev);

#endif
