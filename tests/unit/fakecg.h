/* Fake cgroup trees in a temp dir for the unit tests of the cgroupfs
 * backend: the directories and files the kernel would make, made up front,
 * and a hierarchy opened on them (mc_hier_open without the fs check). */
#ifndef MEMCG_FAKECG_H
#define MEMCG_FAKECG_H

#include "unit.h"

#include <stdarg.h>
#include <sys/types.h>

#include "cgroup.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
/* What v1 shows for "no limit": LONG_MAX rounded down to a page. */
#define V1_UNLIMITED "9223372036854771712\n"

struct fake {
	char *dir;		/* the temp dir; each test roots trees below it */
	struct mc_hier h;
	struct logrec rec;
	struct mc_log log;
};

static inline int
setup_fake(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->dir = tmpdir_make();
	f->h.rootfd = -1;
	f->log = logrec_sink(&f->rec);
	*state = f;
	return 0;
}

static inline int
teardown_fake(void **state)
{
	struct fake *f = *state;

	mc_hier_close(&f->h);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static inline const char *
pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline const char *
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long");
	return buf;
}

/* Makes <root>/<name> a fresh tree root and opens it as a hierarchy. */
static inline const char *
fake_root(struct fake *f, const char *name, int version, char *root, size_t len)
{
	mc_hier_close(&f->h);
	pathf(root, len, "%s/%s", f->dir, name);
	make_dirs(f->dir, name);
	if (version == 2) {
		put_str(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
		put_str(root, "cgroup.subtree_control", "");
	}
	put_str(root, "cgroup.procs", "1\n");
	assert_int_equal(mc_hier_open(root, "/", version, false, &f->h), 0);
	assert_int_equal(f->h.version, version);
	f->log = logrec_sink(&f->rec);
	return root;
}

/* The directories of parent, each with the files a cgroup has; on v2 the
 * subtree_control files say subtree; no user cgroup. */
static inline void
fake_parent(const char *root, const char *parent, int version, const char *subtree)
{
	char rel[1024];
	size_t n = strlen(parent);

	for (size_t i = 0; i <= n; i++) {
		if (parent[i] != '/' && parent[i] != '\0')
			continue;
		pathf(rel, sizeof(rel), "%.*s", (int)i, parent);
		make_dirs(root, rel);
		pathf(rel, sizeof(rel), "%.*s/cgroup.procs", (int)i, parent);
		put_str(root, rel, "");
		if (version == 2) {
			pathf(rel, sizeof(rel), "%.*s/cgroup.subtree_control", (int)i, parent);
			put_str(root, rel, subtree);
		}
	}
}

/* parent/user-<uid> with the files the kernel makes when memory is on.
 * They start empty: a fake file keeps old bytes past the end of a write,
 * cgroupfs takes each write whole. */
static inline void
fake_v2_user(const char *root, const char *parent, uid_t uid, bool swap_file)
{
	static const char *const v2_leaf_files[] = {
		"memory.max", "memory.high", "memory.swap.max", "memory.oom.group",
		"cgroup.procs",
	};
	char rel[1024];

	fake_parent(root, parent, 2, "memory\n");
	pathf(rel, sizeof(rel), "%s/user-%u", parent, (unsigned)uid);
	make_dirs(root, rel);
	for (size_t i = 0; i < NELEM(v2_leaf_files); i++) {
		if (!swap_file && strcmp(v2_leaf_files[i], "memory.swap.max") == 0)
			continue;
		pathf(rel, sizeof(rel), "%s/user-%u/%s", parent, (unsigned)uid,
		      v2_leaf_files[i]);
		put_str(root, rel, "");
	}
}

/* The v1 files show "no limit", as in a new cgroup: write_limits reads
 * memory.limit_in_bytes to order its writes. */
static inline void
fake_v1_user(const char *root, const char *parent, uid_t uid, bool memsw_file)
{
	char rel[1024];

	fake_parent(root, parent, 1, "");
	pathf(rel, sizeof(rel), "%s/user-%u", parent, (unsigned)uid);
	make_dirs(root, rel);
	pathf(rel, sizeof(rel), "%s/user-%u/memory.limit_in_bytes", parent, (unsigned)uid);
	put_str(root, rel, V1_UNLIMITED);
	pathf(rel, sizeof(rel), "%s/user-%u/memory.soft_limit_in_bytes", parent, (unsigned)uid);
	put_str(root, rel, V1_UNLIMITED);
	if (memsw_file) {
		pathf(rel, sizeof(rel), "%s/user-%u/memory.memsw.limit_in_bytes", parent,
		      (unsigned)uid);
		put_str(root, rel, V1_UNLIMITED);
	}
	pathf(rel, sizeof(rel), "%s/user-%u/cgroup.procs", parent, (unsigned)uid);
	put_str(root, rel, "");
}

static inline void
expect_file(const char *root, const char *rel, const char *want)
{
	char got[512];

	get_file(root, rel, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s/%s holds \"%s\", want \"%s\"", root, rel, got, want);
}

/* A fake file that held orig and got one write of text from offset 0. */
static inline void
expect_written(const char *root, const char *rel, const char *orig, const char *text)
{
	char want[512];
	size_t tl = strlen(text), ol = strlen(orig);

	snprintf(want, sizeof(want), "%s%s", text, ol > tl ? orig + tl : "");
	expect_file(root, rel, want);
}

static inline void
dump_log(const struct fake *f)
{
	for (int i = 0; i < f->rec.n && (size_t)i < NELEM(f->rec.l); i++)
		print_message("  log %d: %s\n", f->rec.l[i].prio, f->rec.l[i].line);
}

#endif
