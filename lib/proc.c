/* What /proc says about a process: its cgroup (/proc/PID/cgroup) and
 * whether it is exiting (/proc/PID/stat and its threads'); see proc.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "parse.h"
#include "proc.h"

int
mc_proc_cgroup_parse(const char *text, int version, char *buf, size_t len)
{
	return mc_proc_cgroup_parse_ctrl(text, version, "memory", buf, len);
}

int
mc_proc_cgroup_parse_ctrl(const char *text, int version, const char *ctrl,
			  char *buf, size_t len)
{
	const char *line = text;

	while (line != NULL && *line) {
		const char *nl = strchr(line, '\n');
		size_t llen = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', llen);
		const char *c2 = c1 ? memchr(c1 + 1, ':', llen - (size_t)(c1 + 1 - line)) : NULL;

		if (c2 != NULL) {
			char ctl[256];
			size_t clen = (size_t)(c2 - c1 - 1);
			bool match;

			if (clen >= sizeof(ctl))
				clen = sizeof(ctl) - 1;
			memcpy(ctl, c1 + 1, clen);
			ctl[clen] = '\0';
			if (version == 2)
				match = (c1 - line) == 1 && line[0] == '0' && clen == 0;
			else
				match = mc_has_word(ctl, ctrl, ',');
			if (match) {
				size_t plen = llen - (size_t)(c2 + 1 - line);

				if (plen >= len)
					return -ENAMETOOLONG;
				memcpy(buf, c2 + 1, plen);
				buf[plen] = '\0';
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int
mc_cg_of_pid(const struct mc_hier *h, pid_t pid, char *buf, size_t len)
{
	char proc[64], text[8192], path[PATH_MAX];
	const char *rel;
	size_t rootlen;
	int r;

	if (pid == 0)
		snprintf(proc, sizeof(proc), "/proc/self/cgroup");
	else
		snprintf(proc, sizeof(proc), "/proc/%ld/cgroup", (long)pid);
	if ((r = mc_read_small(AT_FDCWD, proc, text, sizeof(text))) < 0)
		return r;
	if ((r = mc_proc_cgroup_parse_ctrl(text, h->version, h->ctrl[0] ? h->ctrl : "memory",
					   path, sizeof(path))) < 0)
		return r;
	/* The mount may show only a subtree (mnt_root); paths are below it. */
	rootlen = strlen(h->mnt_root);
	if (strcmp(h->mnt_root, "/") == 0)
		rootlen = 0;
	if (strncmp(path, h->mnt_root, rootlen) != 0 ||
	    (path[rootlen] != '/' && path[rootlen] != '\0'))
		return -EXDEV;
	rel = path + rootlen;
	while (*rel == '/')
		rel++;
	if (strlen(rel) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, rel, strlen(rel) + 1);
	return 0;
}

bool
mc_proc_stat_exiting(const char *text)
{
	char buf[1024], *p, *save = NULL, *tok;
	uint64_t flags = 0;
	char state;

	snprintf(buf, sizeof(buf), "%s", text);
	/* The command name may hold spaces and parentheses: fields start after
	 * the last ')'.  Then state (field 3) ... flags (field 9). */
	if ((p = strrchr(buf, ')')) == NULL || (tok = strtok_r(p + 1, " ", &save)) == NULL)
		return false;
	state = tok[0];
	for (int field = 4; field <= 9; field++)
		if ((tok = strtok_r(NULL, " ", &save)) == NULL)
			return false;
	if (mc_parse_u64(tok, 0, UINT64_MAX, &flags) < 0)
		return false;
	return state == 'Z' || state == 'X' || (flags & 0x4) != 0;	/* PF_EXITING */
}

/* Reads a /proc stat file: 1 exiting (or gone), 0 live. */
static bool
stat_file_exiting(int dirfd, const char *path)
{
	char buf[1024];
	ssize_t n;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;	/* gone already */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	return mc_proc_stat_exiting(buf);
}

bool
mc_pid_exiting(pid_t pid)
{
	char path[64], self[24];
	struct dirent *de;
	bool exiting = true;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!stat_file_exiting(AT_FDCWD, path))
		return false;
	/* The stat of a process is its main thread's, which may have exited
	 * (pthread_exit) while other threads run: a zombie leader with PF_EXITING
	 * set, in a process that is alive.  Any thread not exiting makes it
	 * live. */
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	snprintf(self, sizeof(self), "%ld", (long)pid);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return true;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return true;
	}
	while (exiting && (de = readdir(d)) != NULL) {
		char stat[300];

		if (de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
			continue;
		snprintf(stat, sizeof(stat), "%s/stat", de->d_name);
		exiting = stat_file_exiting(dirfd(d), stat);
	}
	closedir(d);
	return exiting;
}
