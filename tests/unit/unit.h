/* Helpers shared by the cmocka unit tests: sinks that record what lib/
 * reports, temporary directories removed at the end, small file helpers. */
#ifndef MEMCG_UNIT_H
#define MEMCG_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Everything an mc_errsink was told, in order. */
struct errlog {
	int n;			/* calls, even past the ones kept */
	struct {
		char file[256];
		int line;
		char msg[512];
	} e[32];
};

static inline void
errlog_fn(void *ctx, const char *file, int line, const char *msg)
{
	struct errlog *l = ctx;

	if ((size_t)l->n < NELEM(l->e)) {
		snprintf(l->e[l->n].file, sizeof(l->e[0].file), "%s", file ? file : "(null)");
		l->e[l->n].line = line;
		snprintf(l->e[l->n].msg, sizeof(l->e[0].msg), "%s", msg);
	}
	l->n++;
}

static inline struct mc_errsink
errlog_sink(struct errlog *l)
{
	memset(l, 0, sizeof(*l));
	return (struct mc_errsink){ .fn = errlog_fn, .ctx = l };
}

/* Prints what was reported, to make a failing assertion readable. */
static inline void
errlog_dump(const struct errlog *l)
{
	for (int i = 0; i < l->n && (size_t)i < NELEM(l->e); i++)
		print_message("  reported %s:%d: %s\n", l->e[i].file, l->e[i].line,
			      l->e[i].msg);
}

/* Everything an mc_log sink was given, in order. */
struct logrec {
	int n;
	struct {
		int prio;
		char line[1024];
	} l[64];
};

static inline void
logrec_emit(void *ctx, int prio, const char *line)
{
	struct logrec *r = ctx;

	if ((size_t)r->n < NELEM(r->l)) {
		r->l[r->n].prio = prio;
		snprintf(r->l[r->n].line, sizeof(r->l[0].line), "%s", line);
	}
	r->n++;
}

static inline struct mc_log
logrec_sink(struct logrec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct mc_log){ .emit = logrec_emit, .ctx = r, .debug = true };
}

/* True when some kept line has priority prio and contains text. */
static inline bool
logrec_has(const struct logrec *r, int prio, const char *text)
{
	for (int i = 0; i < r->n && (size_t)i < NELEM(r->l); i++)
		if (r->l[i].prio == prio && strstr(r->l[i].line, text) != NULL)
			return true;
	return false;
}

/* A fresh directory under $TMPDIR (or /tmp); free with tmpdir_remove(). */
static inline char *
tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/pam_memcg-unit.XXXXXX", base) < 0)
		fail_msg("asprintf: out of memory");
	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

static inline int
tmpdir_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

/* Removes path and everything below it (symlinks themselves, never their
 * targets). */
static inline void
remove_tree(const char *path)
{
	if (nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		print_message("warning: could not remove %s: %s\n", path, strerror(errno));
}

/* Removes a tmpdir_make() directory and frees its name. */
static inline void
tmpdir_remove(char *path)
{
	if (path == NULL)
		return;
	remove_tree(path);
	free(path);
}

/* dir/name into buf; a path that does not fit fails the test. */
static inline const char *
join_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long: %s/%s", dir, name);
	return buf;
}

/* Writes len bytes to dir/name (created or truncated) with the given mode. */
static inline void
put_file(const char *dir, const char *name, const char *text, size_t len, mode_t mode)
{
	char path[4096];
	int fd;

	join_path(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len > 0 && write(fd, text, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0)
		fail_msg("chmod %s: %s", path, strerror(errno));
	close(fd);
}

static inline void
put_str(const char *dir, const char *name, const char *text)
{
	put_file(dir, name, text, strlen(text), 0644);
}

/* Reads dir/name whole into buf (NUL-terminated); fails the test when the
 * file cannot be read. */
static inline void
get_file(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4096];
	size_t got = 0;
	int fd;

	join_path(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0)
			fail_msg("read %s: %s", path, strerror(errno));
		if (n == 0 || (got += (size_t)n) == len - 1)
			break;
	}
	buf[got] = '\0';
	close(fd);
}

/* mkdir -p of dir/rel. */
static inline void
make_dirs(const char *dir, const char *rel)
{
	char path[4096];

	join_path(path, sizeof(path), dir, rel);
	for (char *p = path + strlen(dir) + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", path, strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
}

static inline bool
path_exists(const char *dir, const char *rel)
{
	char path[4096];
	struct stat st;

	join_path(path, sizeof(path), dir, rel);
	return lstat(path, &st) == 0;
}

#endif
