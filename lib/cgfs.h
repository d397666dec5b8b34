/* Opening paths beneath a directory fd without following symlinks or
 * crossing mounts, and the small-file reads and writes cgroupfs and /proc
 * take.  No knowledge of cgroups here: only fds, paths and text. */
#ifndef MEMCG_CGFS_H
#define MEMCG_CGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens rel beneath rootfd with flags (O_CLOEXEC and O_NOFOLLOW added):
 * no component may be a symlink, "..", or on another filesystem ("" is
 * rootfd itself).  openat2 when the kernel has it, else one component at
 * a time.  Returns an fd the caller closes, or a negative errno. */
int mc_walk(int rootfd, const char *rel, int flags);

/* mc_walk for a directory opened for reading (O_RDONLY | O_DIRECTORY). */
int mc_walk_dir(int rootfd, const char *rel);

/* One write(2) of all of text, as cgroupfs files take them.  Returns 0,
 * -EIO for a short write, or a negative errno. */
int mc_write_fd(int fd, const char *text);

/* Opens file below dirfd (O_WRONLY, not following a symlink at the last
 * component) and writes text with mc_write_fd.  Returns as mc_write_fd. */
int mc_write_small(int dirfd, const char *file, const char *text);

/* The one reader for small files (cgroup files, /proc/PID/stat, status,
 * cgroup, drop-ins): opens path below dirfd (AT_FDCWD and absolute paths
 * work) with O_NOFOLLOW on the last component and O_NOCTTY, and reads it
 * into buf until end of file or until len - 1 bytes, the cap: the rest of
 * a longer file is not read.  buf is always NUL-terminated ("" on an
 * error).  Returns 0, -EINVAL when len is 0, or a negative errno. */
int mc_read_small(int dirfd, const char *path, char *buf, size_t len);

/* All of fd, into a buffer that starts at cap bytes (cap > 0) and grows:
 * *out is NUL-terminated and the caller frees it (NULL on an error).
 * Returns 0 or a negative errno. */
int mc_read_whole(int fd, size_t cap, char **out);

/* Reads a one-number file below dirfd with mc_read_small: "max" and v1's
 * page-rounded LONG_MAX both become MC_UNLIMITED.  Returns 0 or a negative
 * errno (-EINVAL, -ERANGE: not one number). */
int mc_read_u64(int dirfd, const char *file, uint64_t *out);

/* Pure: whether list (words separated by sep, as in "cpu memory pids" or
 * "rw,memory") holds word exactly. */
bool mc_has_word(const char *list, const char *word, char sep);

#endif
