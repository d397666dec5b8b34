/* Paths beneath a directory fd and small-file reads and writes; see
 * cgfs.h.  The openat2 walk and its fallback for older kernels live here. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgfs.h"
#include "parse.h"

/* Without openat2 (kernels before 5.6, valgrind): one component at a time,
 * none of them a symlink, "." or "..", none on another filesystem. */
static int
walk_components(int rootfd, const char *rel, int flags)
{
	char *copy, *save = NULL, *comp, *next;
	struct stat root_st, st;
	int fd, r;

	if (strcmp(rel, ".") == 0 || *rel == '\0') {
		/* The root itself, opened with the caller's flags (the loop
		 * below refuses "."). */
		fd = openat(rootfd, ".", flags | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		return fd;
	}
	if (fstat(rootfd, &root_st) < 0)
		return -errno;
	if ((copy = strdup(rel)) == NULL)
		return -ENOMEM;
	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (comp = strtok_r(copy, "/", &save); comp != NULL; comp = next) {
		int nfd;

		next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			r = -EXDEV;
			goto out;
		}
		nfd = openat(fd, comp, (next != NULL ? O_PATH | O_DIRECTORY : flags) |
				       O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			r = errno == ELOOP ? -ELOOP : -errno;
			goto out;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0) {
			r = -errno;
			goto out;
		}
		if (st.st_dev != root_st.st_dev) {
			r = -EXDEV;
			goto out;
		}
	}
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}


int
mc_walk(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	static atomic_bool no_openat2;
	long fd;

	if (rel[0] == '\0')
		rel = ".";
	if (!atomic_load(&no_openat2)) {
		fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		atomic_store(&no_openat2, true);
	}
	return walk_components(rootfd, rel, flags);
}

int
mc_walk_dir(int rootfd, const char *rel)
{
	return mc_walk(rootfd, rel, O_RDONLY | O_DIRECTORY);
}

int
mc_write_fd(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);

	if (n < 0)
		return -errno;
	return (size_t)n != len ? -EIO : 0;
}

int
mc_write_small(int dirfd, const char *file, const char *text)
{
	int fd, r;

	fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = mc_write_fd(fd, text);
	close(fd);
	return r;
}

int
mc_read_whole(int fd, size_t cap, char **out)
{
	size_t got = 0;
	char *buf = malloc(cap);

	*out = NULL;
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (nb == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
}

int
mc_read_small(int dirfd, const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd, r = 0;

	if (len == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		buf[0] = '\0';
		return -errno;
	}
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			got = 0;	/* nothing half-read for the caller */
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return r;
}

int
mc_read_u64(int dirfd, const char *file, uint64_t *out)
{
	char buf[64];
	uint64_t v;
	int r;

	if ((r = mc_read_small(dirfd, file, buf, sizeof(buf))) < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "max") == 0) {
		*out = MC_UNLIMITED;
		return 0;
	}
	if ((r = mc_parse_u64(buf, 0, UINT64_MAX, &v)) < 0)
		return r;
	/* v1 reports "no limit" as the page-rounded LONG_MAX. */
	*out = v >= (MC_SIZE_LIMIT & ~(uint64_t)0xfffff) ? MC_UNLIMITED : v;
	return 0;
}

bool
mc_has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p != NULL && *p; ) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}
