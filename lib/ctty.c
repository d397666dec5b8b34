/* Controlling terminals of a cgroup's processes; see ctty.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgfs.h"
#include "ctty.h"
#include "utmpsel.h"
#include "parse.h"

/* Copies the field at *p (up to ' ', '\n' or the end) into tok and steps
 * past it and one following space.  False when empty or too long. */
static bool
next_field(const char **p, char *tok, size_t len)
{
	size_t n = strcspn(*p, " \n");

	if (n == 0 || n >= len)
		return false;
	memcpy(tok, *p, n);
	tok[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return true;
}

static int
parse_int(const char *s, int *out)
{
	bool neg = s[0] == '-';
	uint64_t v;
	int r;

	r = mc_parse_u64(s + neg, 0, neg ? (uint64_t)INT_MAX + 1 : (uint64_t)INT_MAX, &v);
	if (r < 0)
		return -EINVAL;
	*out = neg ? (int)(-(int64_t)v) : (int)v;
	return 0;
}

int
mc_proc_stat_tty(const char *text, int *tty_nr)
{
	/* Nothing after the command name can hold a ')'. */
	const char *p = strrchr(text, ')');
	char tok[24];
	int v = 0;

	if (p == NULL || p[1] != ' ')
		return -EINVAL;
	p += 2;
	/* Field 3, the state, is one letter. */
	if (!next_field(&p, tok, sizeof(tok)) || tok[1] != '\0')
		return -EINVAL;
	/* Fields 4 to 6 (ppid, pgrp, session), then 7. */
	for (int field = 4; field <= 7; field++)
		if (!next_field(&p, tok, sizeof(tok)) || parse_int(tok, &v) < 0)
			return -EINVAL;
	*tty_nr = v;
	return 0;
}

int
mc_proc_status_ruid(const char *text, uid_t *ruid)
{
	const char *line = NULL;
	char tok[24];
	uint64_t v;
	size_t n;

	/* The last "Uid:" line: the command name (Name:) comes before it, so
	 * even an unescaped name could not forge one after it. */
	for (const char *p = text; p != NULL && *p != '\0'; ) {
		if (strncmp(p, "Uid:", 4) == 0)
			line = p + 4;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	if (line == NULL)
		return -EINVAL;
	line += strspn(line, " \t");
	n = strcspn(line, " \t\n");
	if (n == 0 || n >= sizeof(tok))
		return -EINVAL;
	memcpy(tok, line, n);
	tok[n] = '\0';
	if (mc_parse_u64(tok, 0, (uint64_t)UINT32_MAX - 1, &v) < 0)
		return -EINVAL;
	*ruid = (uid_t)v;
	return 0;
}

dev_t
mc_tty_nr_dev(int tty_nr)
{
	uint32_t v = (uint32_t)tty_nr;

	return makedev((v >> 8) & 0xfff, (v & 0xff) | ((v >> 12) & 0xfff00));
}

int
mc_tty_dev_path(dev_t dev, char *buf, size_t len)
{
	unsigned maj = major(dev), min = minor(dev);
	int n;

	/* Today every pty is 136:N (20-bit minors); 137-143 are the old
	 * 8-bit-minor split of the same numbers. */
	if (maj >= 136 && maj <= 143)
		n = snprintf(buf, len, "/dev/pts/%u", (maj - 136) * 256 + min);
	else if (maj == 4 && min >= 1 && min <= 63)
		n = snprintf(buf, len, "/dev/tty%u", min);
	else if (maj == 4 && min >= 64 && min <= 255)
		n = snprintf(buf, len, "/dev/ttyS%u", min - 64);
	else if (maj == 166)
		n = snprintf(buf, len, "/dev/ttyACM%u", min);
	else if (maj == 188)
		n = snprintf(buf, len, "/dev/ttyUSB%u", min);
	else
		return -ENODEV;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
mc_ctty_note(struct mc_ctty_set *s, dev_t rdev, uid_t ruid)
{
	struct mc_ctty *t = NULL;

	for (size_t i = 0; i < s->n && t == NULL; i++)
		if (s->t[i].rdev == rdev)
			t = &s->t[i];
	if (t == NULL) {
		if (s->n == MC_CTTY_MAX)
			return -ENOSPC;
		t = &s->t[s->n++];
		memset(t, 0, sizeof(*t));
		t->rdev = rdev;
	}
	for (size_t i = 0; i < t->n_holders; i++)
		if (t->holders[i] == ruid)
			return 0;
	if (t->n_holders == MC_CTTY_HOLDERS)
		return -ENOSPC;
	t->holders[t->n_holders++] = ruid;
	return 0;
}

void
mc_ctty_drop(struct mc_ctty_set *s, const dev_t *done, size_t n)
{
	size_t keep = 0;

	for (size_t i = 0; i < s->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = done[j] == s->t[i].rdev;
		if (!seen)
			s->t[keep++] = s->t[i];
	}
	s->n = keep;
}

int
mc_ctty_check_stat(const struct stat *st, const struct mc_ctty *t, uid_t uid,
		   bool ignore_mesg)
{
	bool owner = st->st_uid == uid;

	if (!S_ISCHR(st->st_mode))
		return -ENOTTY;
	if (st->st_rdev != t->rdev)
		return -ENXIO;
	for (size_t i = 0; i < t->n_holders && !owner; i++)
		owner = st->st_uid == t->holders[i];
	if (!owner)
		return -EPERM;
	if (!ignore_mesg && !(st->st_mode & S_IWGRP))
		return -EACCES;
	return 0;
}

struct ctty_want {
	const struct mc_ctty *t;
	uid_t uid;
	bool ignore_mesg;
};

static int
check_ctty(const struct stat *st, const void *arg)
{
	const struct ctty_want *w = arg;

	return mc_ctty_check_stat(st, w->t, w->uid, w->ignore_mesg);
}

int
mc_ctty_open(const char *path, const struct mc_ctty *t, uid_t uid, bool ignore_mesg)
{
	struct ctty_want w = { t, uid, ignore_mesg };

	return mc_tty_open_checked(path, check_ctty, &w, NULL);
}

static void
note_pid(int proc_fd, const char *pid, struct mc_ctty_set *s)
{
	char path[32], text[4096];
	uint64_t v;
	uid_t ruid;
	int tty_nr;
	dev_t dev;

	if (mc_parse_u64(pid, 1, INT_MAX, &v) < 0)
		return;
	snprintf(path, sizeof(path), "%llu/stat", (unsigned long long)v);
	if (mc_read_small(proc_fd, path, text, sizeof(text)) < 0 ||
	    mc_proc_stat_tty(text, &tty_nr) < 0 || (dev = mc_tty_nr_dev(tty_nr)) == 0)
		return;
	snprintf(path, sizeof(path), "%llu/status", (unsigned long long)v);
	if (mc_read_small(proc_fd, path, text, sizeof(text)) < 0 ||
	    mc_proc_status_ruid(text, &ruid) < 0)
		return;
	(void)mc_ctty_note(s, dev, ruid);
}

int
mc_ctty_scan(int procs_fd, int proc_fd, unsigned max_pids, struct mc_ctty_set *s)
{
	char buf[4096], line[24];
	size_t n = 0;
	bool toolong = false;

	for (;;) {
		ssize_t got = read(procs_fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (n < sizeof(line) - 1)
					line[n++] = buf[i];
				else
					toolong = true;
				continue;
			}
			line[n] = '\0';
			if (n > 0 && !toolong) {
				if (s->pids == max_pids) {
					s->capped = true;
					return 0;
				}
				s->pids++;
				note_pid(proc_fd, line, s);
			}
			n = 0;
			toolong = false;
		}
	}
	return 0;
}

static int
scan_dir(int cg_fd, int proc_fd, unsigned max_pids, unsigned depth, struct mc_ctty_set *s)
{
	struct dirent *de;
	DIR *d = NULL;
	int fd, r;

	if (s->dirs == MC_CTTY_MAX_DIRS || s->pids == max_pids) {
		s->capped = true;
		return 0;
	}
	s->dirs++;
	if ((fd = openat(cg_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	r = mc_ctty_scan(fd, proc_fd, max_pids, s);
	close(fd);
	if (r < 0 || depth == MC_CTTY_MAX_DEPTH)
		return r;
	if ((fd = openat(cg_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		/* The cgroup itself was read; only the ones below are missed. */
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		bool dir = de->d_type == DT_DIR;
		struct stat st;
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_UNKNOWN)
			dir = fstatat(cg_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			      S_ISDIR(st.st_mode);
		if (!dir)
			continue;
		sub = openat(cg_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;	/* removed meanwhile */
		(void)scan_dir(sub, proc_fd, max_pids, depth + 1, s);
		close(sub);
		if (s->capped)
			break;
	}
	closedir(d);
	return 0;
}

int
mc_ctty_scan_tree(int cg_fd, int proc_fd, unsigned max_pids, struct mc_ctty_set *s)
{
	return scan_dir(cg_fd, proc_fd, max_pids, 0, s);
}
