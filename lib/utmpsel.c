/* utmp look-up and terminal checks; see utmpsel.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

int
mc_tty_open(const char *path, uid_t uid, bool ignore_mesg, dev_t *rdev)
{
	struct stat st;
	int fd, r;

	*rdev = 0;
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
		*rdev = st.st_rdev;
	if ((r = mc_tty_check_fd(fd, uid, ignore_mesg)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}
