/* utmp look-up and terminal checks; see utmpsel.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utmp.h>

#include "utmpsel.h"

bool
mc_tty_line_ok(const char *line)
{
	const char *p = line;

	if (line[0] == '\0' || line[0] == '/')
		return false;
	while (*p) {
		const char *start = p;
		size_t n;

		while (*p && *p != '/') {
			char c = *p;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
				return false;
			p++;
		}
		n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		if (*p == '/') {
			p++;
			if (*p == '\0')
				return false;
		}
	}
	return true;
}

int
mc_utmp_ttys(const char *path, const char *user, char (*paths)[MC_TTY_PATH],
	     size_t max)
{
	struct utmp ut;
	size_t n = 0, ulen = strlen(user);
	int fd;

	if (ulen == 0 || ulen > sizeof(ut.ut_user))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		char line[sizeof(ut.ut_line) + 1], dev[MC_TTY_PATH];
		ssize_t got = read(fd, &ut, sizeof(ut));
		bool seen = false;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		if ((size_t)got < sizeof(ut))
			break;
		if (ut.ut_type != USER_PROCESS ||
		    strncmp(ut.ut_user, user, sizeof(ut.ut_user)) != 0 ||
		    (ulen < sizeof(ut.ut_user) && ut.ut_user[ulen] != '\0'))
			continue;
		memcpy(line, ut.ut_line, sizeof(ut.ut_line));
		line[sizeof(ut.ut_line)] = '\0';
		if (!mc_tty_line_ok(line))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", line);
		for (size_t i = 0; i < n; i++)
			if (strcmp(paths[i], dev) == 0)
				seen = true;
		if (seen || n == max)
			continue;
		memcpy(paths[n++], dev, sizeof(dev));
	}
	close(fd);
	return (int)n;
}

int
mc_tty_check_stat(const struct stat *st, uid_t uid, bool ignore_mesg)
{
	if (!S_ISCHR(st->st_mode))
		return -ENOTTY;
	if (st->st_uid != uid)
		return -EPERM;
	if (!ignore_mesg && !(st->st_mode & S_IWGRP))
		return -EACCES;
	return 0;
}

int
mc_tty_check_fd(int fd, uid_t uid, bool ignore_mesg)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((r = mc_tty_check_stat(&st, uid, ignore_mesg)) < 0)
		return r;
	return isatty(fd) ? 0 : -ENOTTY;
}

/* Terminal device majors: ttyN/ttySN, pts, ttyACM, ttyUSB, ttyAMA. */
static bool
tty_major(unsigned maj)
{
	return maj == 4 || (maj >= 136 && maj <= 143) || maj == 166 || maj == 188 ||
	       maj == 204;
}

int
mc_tty_open_checked(const char *path, int (*check)(const struct stat *, const void *),
		    const void *arg, dev_t *rdev)
{
	struct open_how how = {
		/* No O_NOFOLLOW: with O_PATH it would open a final symlink
		 * itself; RESOLVE_NO_SYMLINKS refuses it (ELOOP) instead. */
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st, st2;
	char self[64];
	int pfd, fd, r;

	if (rdev != NULL)
		*rdev = 0;
	if (strncmp(path, "/dev/", 5) != 0)
		return -ENOTTY;
	/* An O_PATH descriptor opens nothing: no device sees an open() until
	 * the checks below have passed (opening some devices has effects). */
	pfd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (pfd < 0 && errno == ENOSYS)
		pfd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		r = -ELOOP;	/* the O_NOFOLLOW fallback opened the link */
		goto out;
	}
	/* The device is reported even when refused (callers dedup by it). */
	if (S_ISCHR(st.st_mode) && rdev != NULL)
		*rdev = st.st_rdev;
	if (!S_ISCHR(st.st_mode) || !tty_major(major(st.st_rdev))) {
		r = -ENOTTY;
		goto out;
	}
	if ((r = check(&st, arg)) < 0)
		goto out;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &st2) < 0 || st2.st_rdev != st.st_rdev || !isatty(fd)) {
		close(fd);
		r = -ENOTTY;
		goto out;
	}
	r = fd;
out:
	close(pfd);
	return r;
}

struct tty_want {
	uid_t uid;
	bool ignore_mesg;
};

static int
check_owner(const struct stat *st, const void *arg)
{
	const struct tty_want *w = arg;

	return mc_tty_check_stat(st, w->uid, w->ignore_mesg);
}

int
mc_tty_open(const char *path, uid_t uid, bool ignore_mesg, dev_t *rdev)
{
	struct tty_want w = { uid, ignore_mesg };

	return mc_tty_open_checked(path, check_owner, &w, rdev);
}
