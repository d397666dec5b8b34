/* Unit tests for lib/cgroup.c: the pure parsers (mountinfo, /proc/PID/cgroup,
 * user cgroup names) and the backend run against fake v1 and v2 cgroup trees
 * in a temp dir, where the files the kernel would create are made up front. */
#include "unit.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/types.h>

#include "cgroup.h"
#include "parse.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
/* What v1 shows for "no limit": LONG_MAX rounded down to a page. */
#define V1_UNLIMITED "9223372036854771712\n"

/* ------------------------------------------------------------------ */
/* mc_mountinfo_scan                                                   */

static const char hybrid_mountinfo[] =
	"22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"23 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n"
	"27 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
	"31 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"32 31 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	"33 31 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
	"36 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
	"37 31 0:32 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,net_cls,net_prio\n"
	"40 31 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,memory\n"
	"41 31 0:36 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:20 - cgroup cgroup rw,pids\n";

static const char v2_mountinfo[] =
	"25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"30 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
	"33 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	"34 25 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:14 - debugfs debugfs rw\n";

static void
test_mountinfo_scan(void **state)
{
	static const struct {
		const char *what, *text;
		int found;
		const char *v1_mnt, *v1_root, *v2_mnt, *v2_root;
	} t[] = {
		{ "hybrid", hybrid_mountinfo, 3,
		  "/sys/fs/cgroup/memory", "/", "/sys/fs/cgroup/unified", "/" },
		{ "pure v2", v2_mountinfo, 2, NULL, NULL, "/sys/fs/cgroup", "/" },
		{ "legacy, memory co-mounted with cpuset",
		  "35 30 0:30 / /sys/fs/cgroup/cpuset,memory rw,nosuid - cgroup cgroup rw,cpuset,memory\n",
		  1, "/sys/fs/cgroup/cpuset,memory", "/", NULL, NULL },
		{ "container: a subtree, no optional fields",
		  "1321 1317 0:28 /system.slice/docker-4f2a.scope /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n",
		  2, NULL, NULL, "/sys/fs/cgroup", "/system.slice/docker-4f2a.scope" },
		{ "escaped space, tab and backslash",
		  "50 33 0:40 /a\\040b /mnt/my\\040cgroups\\011x\\134y rw,relatime shared:30 - cgroup2 none rw\n",
		  2, NULL, NULL, "/mnt/my cgroups\tx\\y", "/a b" },
		{ "escaped space in a v1 mount",
		  "51 33 0:41 / /srv/mem\\040cg rw,relatime shared:31 - cgroup none rw,memory\n",
		  1, "/srv/mem cg", "/", NULL, NULL },
		{ "many optional fields",
		  "60 1 0:50 / /cg rw shared:5 master:3 propagate_from:2 unbindable - cgroup2 cgroup2 rw\n",
		  2, NULL, NULL, "/cg", "/" },
		{ "no trailing newline",
		  "33 25 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw", 2,
		  NULL, NULL, "/sys/fs/cgroup", "/" },
		{ "the first cgroup2 mount wins",
		  "70 1 0:28 / /first rw - cgroup2 cgroup2 rw\n71 1 0:28 / /second rw - cgroup2 cgroup2 rw\n",
		  2, NULL, NULL, "/first", "/" },
		{ "the first v1 memory mount wins",
		  "72 1 0:29 / /m1 rw - cgroup cgroup rw,memory\n73 1 0:29 / /m2 rw - cgroup cgroup rw,memory\n",
		  1, "/m1", "/", NULL, NULL },
		{ "not memory: names that only contain the word",
		  "80 31 0:60 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,name=memory\n"
		  "81 31 0:61 / /sys/fs/cgroup/memory_x rw - cgroup cgroup rw,cpu\n"
		  "82 31 0:62 / /sys/fs/cgroup/m rw - cgroup cgroup rw,memory_recursiveprot\n"
		  "83 31 0:63 / /sys/fs/cgroup/t rw - tmpfs memory rw,memory\n",
		  0, NULL, NULL, NULL, NULL },
		{ "garbage and short lines",
		  "\n\nnot a mountinfo line\n1 2 3 4 5 6 - cgroup2\n- - - -\n", 0,
		  NULL, NULL, NULL, NULL },
		{ "empty", "", 0, NULL, NULL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_mount v1, v2;
		int found;

		memset(&v1, 0, sizeof(v1));
		memset(&v2, 0, sizeof(v2));
		found = mc_mountinfo_scan(t[i].text, &v1, &v2);
		if (found != t[i].found)
			fail_msg("%s: found %d, want %d", t[i].what, found, t[i].found);
		if (t[i].v1_mnt != NULL &&
		    (v1.version != 1 || strcmp(v1.mnt, t[i].v1_mnt) != 0 ||
		     strcmp(v1.mnt_root, t[i].v1_root) != 0))
			fail_msg("%s: v1 %d \"%s\" root \"%s\", want \"%s\" root \"%s\"",
				 t[i].what, v1.version, v1.mnt, v1.mnt_root, t[i].v1_mnt,
				 t[i].v1_root);
		if (t[i].v2_mnt != NULL &&
		    (v2.version != 2 || strcmp(v2.mnt, t[i].v2_mnt) != 0 ||
		     strcmp(v2.mnt_root, t[i].v2_root) != 0))
			fail_msg("%s: v2 %d \"%s\" root \"%s\", want \"%s\" root \"%s\"",
				 t[i].what, v2.version, v2.mnt, v2.mnt_root, t[i].v2_mnt,
				 t[i].v2_root);
	}
}

/* ------------------------------------------------------------------ */
/* mc_proc_cgroup_parse                                                */

static const char hybrid_proc[] =
	"12:pids:/user.slice/user-1000.slice/session-2.scope\n"
	"11:memory:/pam_memcg/user-1000\n"
	"10:cpu,cpuacct:/user.slice\n"
	"1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
	"0::/user.slice/user-1000.slice/session-2.scope\n";

static void
test_proc_cgroup_parse(void **state)
{
	static const struct {
		const char *what, *text;
		int version, want;
		const char *path;
	} t[] = {
		{ "v2", "0::/user.slice/user-1000.slice/session-3.scope\n", 2, 0,
		  "/user.slice/user-1000.slice/session-3.scope" },
		{ "v2 text asked for v1", "0::/user.slice\n", 1, -ENOENT, NULL },
		{ "hybrid, v1", hybrid_proc, 1, 0, "/pam_memcg/user-1000" },
		{ "hybrid, v2", hybrid_proc, 2, 0, "/user.slice/user-1000.slice/session-2.scope" },
		{ "co-mounted", "4:cpuset,memory:/pam_memcg/user-1001\n", 1, 0, "/pam_memcg/user-1001" },
		{ "memory last in the list", "4:cpu,memory:/x\n", 1, 0, "/x" },
		{ "a name= hierarchy is not memory",
		  "3:name=memory:/fake\n5:memory:/real\n", 1, 0, "/real" },
		{ "colons in the path", "0::/a:b/c:d\n", 2, 0, "/a:b/c:d" },
		{ "the root", "0::/\n", 2, 0, "/" },
		{ "no trailing newline", "7:memory:/pam_memcg/user-5", 1, 0, "/pam_memcg/user-5" },
		{ "id 0 only for v2", "10::/x\n", 2, -ENOENT, NULL },
		{ "v1 without memory", "10:cpu,cpuacct:/user.slice\n1:name=systemd:/\n", 1, -ENOENT, NULL },
		{ "garbage", "nonsense\n::\n", 1, -ENOENT, NULL },
		{ "empty", "", 2, -ENOENT, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[PATH_MAX];
		int r;

		strcpy(buf, "untouched");
		r = mc_proc_cgroup_parse(t[i].text, t[i].version, buf, sizeof(buf));
		if (r != t[i].want)
			fail_msg("%s: returned %d, want %d", t[i].what, r, t[i].want);
		if (r == 0 && strcmp(buf, t[i].path) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", t[i].what, buf, t[i].path);
	}
}

/* The path and its NUL must fit; one byte less is an error, not a cut. */
static void
test_proc_cgroup_parse_buffer(void **state)
{
	static const char text[] = "0::/pam_memcg/user-1000\n";
	size_t need = strlen("/pam_memcg/user-1000") + 1;
	char buf[64];

	(void)state;
	memset(buf, '#', sizeof(buf));
	assert_int_equal(mc_proc_cgroup_parse(text, 2, buf, need), 0);
	assert_string_equal(buf, "/pam_memcg/user-1000");
	memset(buf, '#', sizeof(buf));
	assert_int_equal(mc_proc_cgroup_parse(text, 2, buf, need - 1), -ENAMETOOLONG);
	assert_int_equal(buf[need - 1], '#');
	assert_int_equal(mc_proc_cgroup_parse(text, 2, buf, 1), -ENAMETOOLONG);
}

/* ------------------------------------------------------------------ */
/* mc_user_cgroup                                                      */

static void
test_user_cgroup(void **state)
{
	static const struct {
		const char *parent;
		uid_t uid;
		const char *want;
	} t[] = {
		{ "pam_memcg", 1000, "pam_memcg/user-1000" },
		{ "pam_memcg", 0, "pam_memcg/user-0" },
		{ "a/b/c", 65534, "a/b/c/user-65534" },
		{ "x", 4294967294u, "x/user-4294967294" },
		{ "x", (uid_t)-1, "x/user-4294967295" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[64];
		size_t need = strlen(t[i].want) + 1;

		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, sizeof(buf)), 0);
		assert_string_equal(buf, t[i].want);
		/* Exactly enough room, then one byte short. */
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, need), 0);
		assert_string_equal(buf, t[i].want);
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, need - 1),
				 -ENAMETOOLONG);
		assert_int_equal(mc_user_cgroup(t[i].parent, t[i].uid, buf, 1), -ENAMETOOLONG);
	}
	{
		char big[PATH_MAX + 16], buf[PATH_MAX];

		memset(big, 'p', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(mc_user_cgroup(big, 1000, buf, sizeof(buf)), -ENAMETOOLONG);
	}
}

/* ------------------------------------------------------------------ */
/* Fake cgroup trees                                                   */

struct fake {
	char *dir;		/* the temp dir; each test roots trees below it */
	struct mc_hier h;
	struct logrec rec;
	struct mc_log log;
};

static int
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

static int
teardown_fake(void **state)
{
	struct fake *f = *state;

	mc_hier_close(&f->h);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static const char *
pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static const char *
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
static const char *
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
static void
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

static const char *const v2_leaf_files[] = {
	"memory.max", "memory.high", "memory.swap.max", "memory.oom.group", "cgroup.procs",
};

/* parent/user-<uid> with the files the kernel makes when memory is on.
 * They start empty: a fake file keeps old bytes past the end of a write,
 * cgroupfs takes each write whole. */
static void
fake_v2_user(const char *root, const char *parent, uid_t uid, bool swap_file)
{
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
static void
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

static void
expect_file(const char *root, const char *rel, const char *want)
{
	char got[512];

	get_file(root, rel, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s/%s holds \"%s\", want \"%s\"", root, rel, got, want);
}

/* A fake file that held orig and got one write of text from offset 0. */
static void
expect_written(const char *root, const char *rel, const char *orig, const char *text)
{
	char want[512];
	size_t tl = strlen(text), ol = strlen(orig);

	snprintf(want, sizeof(want), "%s%s", text, ol > tl ? orig + tl : "");
	expect_file(root, rel, want);
}

static void
dump_log(const struct fake *f)
{
	for (int i = 0; i < f->rec.n && (size_t)i < NELEM(f->rec.l); i++)
		print_message("  log %d: %s\n", f->rec.l[i].prio, f->rec.l[i].line);
}

/* ------------------------------------------------------------------ */
/* mc_hier_open                                                        */

static void
test_hier_open(void **state)
{
	struct fake *f = *state;
	struct mc_hier h;
	char path[4096];

	/* A plain directory is not a cgroup filesystem of either version. */
	assert_int_equal(mc_hier_open(f->dir, "/", 2, false, &h), 0);
	assert_true(h.rootfd >= 0);
	assert_int_equal(h.version, 2);
	assert_string_equal(h.mnt, f->dir);
	assert_string_equal(h.mnt_root, "/");
	mc_hier_close(&h);
	assert_int_equal(h.rootfd, -1);
	mc_hier_close(&h);

	assert_true(mc_hier_open(f->dir, "/", 2, true, &h) < 0);
	assert_int_equal(h.rootfd, -1);
	assert_true(mc_hier_open(f->dir, "/", 1, true, &h) < 0);
	assert_int_equal(h.rootfd, -1);

	assert_int_equal(mc_hier_open(pathf(path, sizeof(path), "%s/absent", f->dir), "/", 2,
				      false, &h), -ENOENT);
	put_str(f->dir, "file", "");
	assert_int_equal(mc_hier_open(pathf(path, sizeof(path), "%s/file", f->dir), "/", 2,
				      false, &h), -ENOTDIR);
	assert_int_equal(mc_hier_open(f->dir, NULL, 1, false, &h), 0);
	assert_string_equal(h.mnt_root, "/");
	mc_hier_close(&h);
}

/* ------------------------------------------------------------------ */
/* mc_cg_join                                                          */

static void
test_join_v2(void **state)
{
	static const struct {
		const char *parent;
		uid_t uid;
		struct mc_limits lim;
		pid_t pid;
		const char *max, *high, *swap, *oom, *procs;
	} t[] = {
		{ "pam_memcg", 1000, { GiB, 768 * MiB, MC_UNLIMITED, true, false, false, 0 }, 4242,
		  "1073741824", "805306368", "max", "1", "4242" },
		{ "pam_memcg", 1001, { MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 }, 1,
		  "max", "max", "max", "0", "1" },
		{ "a/b/c", 65534, { (uint64_t)INT64_MAX, MiB, 0, false, false, false, 0 }, INT_MAX,
		  "9223372036854775807", "1048576", "0", "0", "2147483647" },
		{ "user.slice/memcg", 4294967294u, { 4 * GiB, 3 * GiB, 2 * GiB, true, false, false, 0 }, 77,
		  "4294967296", "3221225472", "2147483648", "1", "77" },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32], leaf[1024], rel[1100];
		int r;

		pathf(name, sizeof(name), "v2-%zu", i);
		fake_root(f, name, 2, root, sizeof(root));
		fake_v2_user(root, t[i].parent, t[i].uid, true);
		r = mc_cg_join(&f->h, t[i].parent, t[i].uid, &t[i].lim, t[i].pid, &f->log, NULL);
		if (r != 0) {
			dump_log(f);
			fail_msg("row %zu: mc_cg_join returned %d", i, r);
		}
		pathf(leaf, sizeof(leaf), "%s/user-%u", t[i].parent, (unsigned)t[i].uid);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.max", leaf), t[i].max);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.high", leaf), t[i].high);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.swap.max", leaf), t[i].swap);
		expect_file(root, pathf(rel, sizeof(rel), "%s/memory.oom.group", leaf), t[i].oom);
		expect_file(root, pathf(rel, sizeof(rel), "%s/cgroup.procs", leaf), t[i].procs);
		/* Nothing else moved: the parent keeps no process. */
		expect_file(root, pathf(rel, sizeof(rel), "%s/cgroup.procs", t[i].parent), "");
		assert_false(logrec_has(&f->rec, LOG_ERR, ""));
	}
}

/* Memory files that never show up (the controller is off above the user
 * cgroup): the join enables it along the path, retries a bounded number of
 * times and fails without attaching anything. */
static void
test_join_v2_enables_memory_along_path(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	char root[4096];
	int r;

	fake_root(f, "enable", 2, root, sizeof(root));
	put_str(root, "cgroup.subtree_control", "cpu memory pids\n");
	fake_parent(root, "a/b", 2, "");
	r = mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL);
	if (r >= 0) {
		dump_log(f);
		fail_msg("joined a cgroup that has no memory.max");
	}
	expect_file(root, "cgroup.subtree_control", "cpu memory pids\n");
	expect_file(root, "a/cgroup.subtree_control", "+memory");
	expect_file(root, "a/b/cgroup.subtree_control", "+memory");
	assert_true(path_exists(root, "a/b/user-1000"));
	assert_false(path_exists(root, "a/b/user-1000/cgroup.procs"));
	assert_false(path_exists(root, "a/b/user-1000/memory.max"));
	assert_true(logrec_has(&f->rec, LOG_ERR, "a/b/user-1000"));

	/* No parent at all: memory is enabled in the root before it is made. */
	fake_root(f, "enable-root", 2, root, sizeof(root));
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 4242, &f->log, NULL);
	assert_true(r < 0);
	expect_file(root, "cgroup.subtree_control", "+memory");
	assert_true(path_exists(root, "pam_memcg"));
	assert_false(path_exists(root, "pam_memcg/user-1000"));
}

/* v1 creates the whole parent path and the user cgroup itself. */
static void
test_join_v1_creates_path(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	char root[4096];

	fake_root(f, "v1-create", 1, root, sizeof(root));
	/* The fake user cgroup gets no files, so the join cannot finish. */
	assert_true(mc_cg_join(&f->h, "a/b/c", 1000, &lim, 4242, &f->log, NULL) < 0);
	assert_true(path_exists(root, "a/b/c/user-1000"));
	assert_false(path_exists(root, "a/b/c/user-1000/cgroup.procs"));
}

/* Directories the join makes are 0755 whatever the umask (under su the
 * user's, root's often 077); one that was there keeps its mode. */
static void
test_join_mode_ignores_umask(void **state)
{
	static const char *const made[] = { "a", "a/b", "a/b/user-1000" };
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	char root[4096], path[4200];
	struct stat st;
	mode_t old;

	fake_root(f, "umask", 1, root, sizeof(root));
	make_dirs(root, "kept");
	assert_int_equal(chmod(pathf(path, sizeof(path), "%s/kept", root), 0711), 0);
	old = umask(077);
	(void)mc_cg_join(&f->h, "a/b", 1000, &lim, 4242, &f->log, NULL);
	(void)mc_cg_join(&f->h, "kept", 1000, &lim, 4242, &f->log, NULL);
	umask(old);
	for (size_t i = 0; i < NELEM(made); i++) {
		if (stat(pathf(path, sizeof(path), "%s/%s", root, made[i]), &st) < 0)
			fail_msg("%s: %s", made[i], strerror(errno));
		if ((st.st_mode & 07777) != 0755)
			fail_msg("%s: mode %o, want 755", made[i], (unsigned)(st.st_mode & 07777));
	}
	assert_int_equal(stat(pathf(path, sizeof(path), "%s/kept", root), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(stat(pathf(path, sizeof(path), "%s/kept/user-1000", root), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* Without swap accounting there is no memory.swap.max: fine for "max". */
static void
test_join_v2_no_swap_file(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	struct mc_join_result res;
	char root[4096];
	int r;

	fake_root(f, "noswap-ok", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, false);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, NULL), 0);
	expect_file(root, "pam_memcg/user-1000/memory.max", "1073741824");
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");

	/* A swap limit cannot be written: the cgroup existed (another
	 * session's) and has a memory limit in force, so it is joined, and
	 * the caller told. */
	fake_root(f, "noswap-limit", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, false);
	lim.swap_max = GiB;
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, 0);
	assert_int_equal(res.limit_err, -EOPNOTSUPP);
	assert_int_equal(res.max_in_force, GiB);
	assert_true(logrec_has(&f->rec, LOG_ERR, "swap"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");
}

/* A cgroup that existed with no memory limit in force, whose memory.max
 * cannot be written (a directory here), is never joined: the session
 * would run unlimited. */
static void
test_join_existing_unlimited_refused(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	struct mc_join_result res;
	char root[4096], max[4200];
	int r;

	fake_root(f, "unlimited-refused", 2, root, sizeof(root));
	fake_v2_user(root, "pam_memcg", 1000, true);
	assert_int_equal(unlink(pathf(max, sizeof(max), "%s/pam_memcg/user-1000/memory.max", root)), 0);
	make_dirs(root, "pam_memcg/user-1000/memory.max");
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, -EISDIR);
	assert_true(logrec_has(&f->rec, LOG_ERR, "no memory limit in force"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "");

	/* Nothing asked for: joined, whatever the write said. */
	lim.memory_max = MC_UNLIMITED;
	r = mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 99, &f->log, &res);
	assert_int_equal(r, 0);
	assert_int_equal(res.limit_err, -EISDIR);
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "99");
}

/* /proc/PID/stat text: state (field 3) and PF_EXITING in flags (field 9),
 * after the last ')' of the command name. */
static void
test_proc_stat_exiting(void **state)
{
	static const struct {
		const char *text;
		bool exiting;
	} t[] = {
		{ "42 (sleep) S 1 42 42 0 -1 4194560 93 0 1 0 0 0", false },
		{ "42 (sleep) R 1 42 42 0 -1 4194304 93 0 1 0 0 0", false },
		{ "42 (sleep) Z 1 42 42 0 -1 4194560 93 0 1 0 0 0", true },
		{ "42 (sleep) X 1 42 42 0 -1 4194560 93 0 1 0 0 0", true },
		{ "42 (sleep) D 1 42 42 0 -1 4194572 93 0 1 0 0 0", true },	/* PF_EXITING */
		/* A main thread after pthread_exit, as this kernel shows it. */
		{ "6605 (lt) Z 6596 6589 3996 0 -1 4227084 93 0 1 0", true },
		{ "42 (a) Z (b) S 1 42 42 0 -1 4194560 93", false },
		{ "42 (x y) R 1 42 42 0 -1 4", true },
		{ "42 (short) S 1", false },
		{ "garbage", false },
		{ "42 (x) S 1 42 42 0 -1 notanumber 93", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mc_proc_stat_exiting(t[i].text) != t[i].exiting)
			fail_msg("row %zu: \"%s\": want %d", i, t[i].text, t[i].exiting);
}

static void *
idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A process whose main thread has exited while another runs is live; once
 * killed it is gone (exiting). */
static void
test_pid_exiting_leaderless(void **state)
{
	pid_t child;
	int status;

	(void)state;
	assert_false(mc_pid_exiting(getpid()));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, idle_thread, NULL) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	/* Until the main thread has exited, it is live anyway. */
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)child);
		if ((fd = open(path, O_RDONLY)) < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && (buf[n] = '\0', mc_proc_stat_exiting(buf)))
			break;
		usleep(10000);
	}
	assert_false(mc_pid_exiting(child));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(mc_pid_exiting(child));
}

/* In force against configured, up to the kernel's rounding to pages. */
static void
test_limit_differs(void **state)
{
	static const struct {
		uint64_t cfg, in_force;
		bool differs;
	} t[] = {
		{ 64 * MiB, 64 * MiB, false },
		{ 16 * MiB, 64 * MiB, true },
		{ 64 * MiB, 16 * MiB, true },
		{ MC_UNLIMITED, MC_UNLIMITED, false },
		{ MC_UNLIMITED, GiB, true },
		{ GiB, MC_UNLIMITED, true },
		/* 10% of some RAM: the kernel keeps whole pages. */
		{ 838860800 + 4095, 838860800, false },
		{ 838860800 + 4096, 838860800, true },
		{ 4095, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mc_limit_differs(t[i].cfg, t[i].in_force, 4096) != t[i].differs)
			fail_msg("row %zu: %llu vs %llu", i, (unsigned long long)t[i].cfg,
				 (unsigned long long)t[i].in_force);
	assert_false(mc_limit_differs(5, 5, 0));
}

static void
test_join_v1(void **state)
{
	static const struct {
		struct mc_limits lim;
		const char *limit, *memsw, *soft;
	} t[] = {
		/* memsw is memory plus swap. */
		{ { GiB, MC_UNLIMITED, 512 * MiB, false, false, false, 0 },
		  "1073741824", "1610612736", "-1" },
		{ { GiB, 768 * MiB, 0, false, false, false, 0 },
		  "1073741824", "1073741824", "805306368" },
		/* "max" is -1 on v1. */
		{ { MC_UNLIMITED, GiB, MC_UNLIMITED, false, false, false, 0 },
		  "-1", "-1", "1073741824" },
		{ { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 },
		  "1073741824", "-1", "-1" },
		{ { MC_UNLIMITED, MC_UNLIMITED, GiB, false, false, false, 0 },
		  "-1", "-1", "-1" },
		/* The sum at the largest size, and past it. */
		{ { (uint64_t)INT64_MAX - GiB, MC_UNLIMITED, GiB, false, false, false, 0 },
		  "9223372035781033983", "9223372036854775807", "-1" },
		{ { (uint64_t)INT64_MAX - GiB, MC_UNLIMITED, GiB + 1, false, false, false, 0 },
		  "9223372035781033983", "-1", "-1" },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32];
		int r;

		pathf(name, sizeof(name), "v1-%zu", i);
		fake_root(f, name, 1, root, sizeof(root));
		fake_v1_user(root, "pam_memcg", 2000, true);
		r = mc_cg_join(&f->h, "pam_memcg", 2000, &t[i].lim, 31337, &f->log, NULL);
		if (r != 0) {
			dump_log(f);
			fail_msg("row %zu: mc_cg_join returned %d", i, r);
		}
		expect_written(root, "pam_memcg/user-2000/memory.limit_in_bytes",
			       V1_UNLIMITED, t[i].limit);
		expect_written(root, "pam_memcg/user-2000/memory.memsw.limit_in_bytes",
			       V1_UNLIMITED, t[i].memsw);
		expect_written(root, "pam_memcg/user-2000/memory.soft_limit_in_bytes",
			       V1_UNLIMITED, t[i].soft);
		expect_file(root, "pam_memcg/user-2000/cgroup.procs", "31337");
		expect_file(root, "pam_memcg/cgroup.procs", "");
	}
}

/* Without swap accounting (no memsw file) only an unlimited swap works. */
static void
test_join_v1_no_memsw(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };
	struct mc_join_result res;
	char root[4096];

	fake_root(f, "v1-nomemsw-ok", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, false);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, NULL), 0);
	expect_written(root, "pam_memcg/user-1000/memory.limit_in_bytes", V1_UNLIMITED,
		       "1073741824");
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");
	assert_false(path_exists(root, "pam_memcg/user-1000/memory.memsw.limit_in_bytes"));

	/* The cgroup existed and has its memory limit: joined, told. */
	fake_root(f, "v1-nomemsw-limit", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, false);
	lim.swap_max = 0;
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, &res), 0);
	assert_int_equal(res.limit_err, -EOPNOTSUPP);
	assert_true(res.max_in_force != MC_UNLIMITED);
	assert_true(logrec_has(&f->rec, LOG_ERR, "swap"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");
}

/* v1 has no oom_group: one warning per process, and the join goes on.
 * The only test that joins a v1 cgroup with oom_group set. */
static void
test_join_v1_oom_group_warns_once(void **state)
{
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, true, false, false, 0 };
	char root[4096];

	fake_root(f, "v1-oom", 1, root, sizeof(root));
	fake_v1_user(root, "pam_memcg", 1000, true);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1000, &lim, 5, &f->log, NULL), 0);
	assert_true(logrec_has(&f->rec, LOG_WARNING, "oom_group"));
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "5");

	fake_v1_user(root, "pam_memcg", 1001, true);
	f->log = logrec_sink(&f->rec);
	assert_int_equal(mc_cg_join(&f->h, "pam_memcg", 1001, &lim, 6, &f->log, NULL), 0);
	assert_int_equal(f->rec.n, 0);
}

/* Symlinks anywhere on the way are refused and nothing is written through
 * them. */
static void
test_join_refuses_symlinks(void **state)
{
	static const struct {
		const char *what, *parent;
		const char *link, *target;	/* link made at root/link */
		const char *untouched;		/* a file that must stay empty */
	} t[] = {
		{ "parent is a symlink", "pam_memcg", "pam_memcg", "elsewhere",
		  "elsewhere/user-1000/cgroup.procs" },
		{ "a parent component is a symlink", "a/b", "a", "elsewhere",
		  "elsewhere/b/user-1000/cgroup.procs" },
		{ "user cgroup is a symlink", "pam_memcg", "pam_memcg/user-1000",
		  "../elsewhere/user-1000", "elsewhere/user-1000/memory.max" },
		{ "memory.max is a symlink", "pam_memcg", "pam_memcg/user-1000/memory.max",
		  "../../victim", "victim" },
		{ "cgroup.procs is a symlink", "pam_memcg", "pam_memcg/user-1000/cgroup.procs",
		  "../../victim", "victim" },
	};
	struct fake *f = *state;
	struct mc_limits lim = { GiB, MC_UNLIMITED, MC_UNLIMITED, false, false, false, 0 };

	for (size_t i = 0; i < NELEM(t); i++) {
		char root[4096], name[32], link[4200];
		int r;

		pathf(name, sizeof(name), "link-%zu", i);
		fake_root(f, name, 2, root, sizeof(root));
		put_str(root, "victim", "");
		/* The real files the link points at. */
		fake_v2_user(root, "elsewhere", 1000, true);
		fake_v2_user(root, "elsewhere/b", 1000, true);
		pathf(link, sizeof(link), "%s/%s", root, t[i].link);
		if (strncmp(t[i].link, t[i].parent, strlen(t[i].parent)) == 0 &&
		    strcmp(t[i].link, t[i].parent) != 0) {
			/* The link is below the parent: the rest is real. */
			fake_v2_user(root, t[i].parent, 1000, true);
			remove_tree(link);
		}
		if (symlink(t[i].target, link) < 0)
			fail_msg("%s: symlink %s: %s", t[i].what, link, strerror(errno));

		r = mc_cg_join(&f->h, t[i].parent, 1000, &lim, 4242, &f->log, NULL);
		if (r >= 0) {
			dump_log(f);
			fail_msg("%s: join returned %d", t[i].what, r);
		}
		expect_file(root, t[i].untouched, "");
		expect_file(root, "elsewhere/user-1000/cgroup.procs", "");
		expect_file(root, "elsewhere/user-1000/memory.max", "");
		expect_file(root, "victim", "");
	}
}

/* ------------------------------------------------------------------ */
/* mc_cg_remove_user                                                   */

static void
test_remove_user(void **state)
{
	struct fake *f = *state;
	char root[4096], link[4200];

	fake_root(f, "remove", 2, root, sizeof(root));
	fake_parent(root, "pam_memcg", 2, "memory\n");
	make_dirs(root, "pam_memcg/user-1000");
	make_dirs(root, "pam_memcg/user-1001");
	fake_v2_user(root, "pam_memcg", 1002, true);

	/* Empty: removed, and only that one. */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1000, true), 0);
	assert_false(path_exists(root, "pam_memcg/user-1000"));
	assert_true(path_exists(root, "pam_memcg/user-1001"));
	/* Gone already. */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1000, true), -ENOENT);
	/* Still in use (a fake cgroup with files in it). */
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1002, true), -EBUSY);
	assert_int_equal(mc_cg_remove_user(&f->h, "pam_memcg", 1002, false), -EBUSY);
	assert_true(path_exists(root, "pam_memcg/user-1002/cgroup.procs"));
	/* No such parent. */
	assert_int_equal(mc_cg_remove_user(&f->h, "absent", 1001, true), -ENOENT);
	assert_true(path_exists(root, "pam_memcg/user-1001"));

	/* A symlinked parent or user cgroup is not followed. */
	make_dirs(root, "real/user-1003");
	assert_int_equal(symlink("real", pathf(link, sizeof(link), "%s/linked", root)), 0);
	assert_true(mc_cg_remove_user(&f->h, "linked", 1003, true) < 0);
	assert_true(path_exists(root, "real/user-1003"));
	assert_int_equal(symlink("../real/user-1003",
				 pathf(link, sizeof(link), "%s/pam_memcg/user-1004", root)), 0);
	assert_true(mc_cg_remove_user(&f->h, "pam_memcg", 1004, true) < 0);
	assert_true(path_exists(root, "real/user-1003"));
}

/* ------------------------------------------------------------------ */
/* mc_cg_stats                                                         */

static void
test_stats_v2(void **state)
{
	struct fake *f = *state;
	struct mc_cg_stats st;
	char root[4096];

	fake_root(f, "stats-v2", 2, root, sizeof(root));
	make_dirs(root, "pam_memcg/user-1000");
	put_str(root, "pam_memcg/user-1000/memory.current", "123456789\n");
	put_str(root, "pam_memcg/user-1000/memory.peak", "223456789\n");
	put_str(root, "pam_memcg/user-1000/memory.max", "max\n");
	put_str(root, "pam_memcg/user-1000/memory.high", "1073741824\n");
	put_str(root, "pam_memcg/user-1000/memory.swap.max", "0\n");
	put_str(root, "pam_memcg/user-1000/memory.events",
		"low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n");
	put_str(root, "pam_memcg/user-1000/cgroup.procs", "100\n200\n300\n");
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1000", &st), 0);
	assert_int_equal(st.current, 123456789);
	assert_true(st.have_peak);
	assert_int_equal(st.peak, 223456789);
	assert_int_equal(st.max, MC_UNLIMITED);
	assert_int_equal(st.high, GiB);
	assert_int_equal(st.swap_max, 0);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.nprocs, 3);

	/* Optional files missing; oom_kill after a key that starts alike. */
	make_dirs(root, "pam_memcg/user-1001");
	put_str(root, "pam_memcg/user-1001/memory.current", "0\n");
	put_str(root, "pam_memcg/user-1001/memory.max", "2147483648\n");
	put_str(root, "pam_memcg/user-1001/memory.events",
		"oom_group_kill 9\noom 4\noom_kill 17");
	put_str(root, "pam_memcg/user-1001/cgroup.procs", "");
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1001", &st), 0);
	assert_int_equal(st.current, 0);
	assert_false(st.have_peak);
	assert_int_equal(st.max, 2 * GiB);
	assert_int_equal(st.high, MC_UNLIMITED);
	assert_int_equal(st.swap_max, MC_UNLIMITED);
	assert_int_equal(st.oom_kills, 17);
	assert_int_equal(st.nprocs, 0);

	/* Without memory.current or the cgroup itself there are no stats. */
	make_dirs(root, "pam_memcg/user-1002");
	put_str(root, "pam_memcg/user-1002/memory.max", "max\n");
	assert_true(mc_cg_stats(&f->h, "pam_memcg/user-1002", &st) < 0);
	assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1003", &st), -ENOENT);
	put_str(root, "pam_memcg/user-1002/memory.current", "12 bytes\n");
	assert_true(mc_cg_stats(&f->h, "pam_memcg/user-1002", &st) < 0);
}

static void
test_stats_v1(void **state)
{
	static const struct {
		const char *limit, *memsw, *soft;
		uint64_t max, swap, high;
	} t[] = {
		{ "1073741824\n", "1610612736\n", V1_UNLIMITED, GiB, 512 * MiB, MC_UNLIMITED },
		{ "1073741824\n", "1073741824\n", "536870912\n", GiB, 0, 512 * MiB },
		{ V1_UNLIMITED, V1_UNLIMITED, V1_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED },
		{ "1073741824\n", V1_UNLIMITED, V1_UNLIMITED, GiB, MC_UNLIMITED, MC_UNLIMITED },
		{ "9223372036854775807\n", "9223372036854775807\n", "9223372036854775807\n",
		  MC_UNLIMITED, MC_UNLIMITED, MC_UNLIMITED },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_cg_stats st;
		char root[4096], name[32];

		pathf(name, sizeof(name), "stats-v1-%zu", i);
		fake_root(f, name, 1, root, sizeof(root));
		make_dirs(root, "pam_memcg/user-1000");
		put_str(root, "pam_memcg/user-1000/memory.usage_in_bytes", "52428800\n");
		put_str(root, "pam_memcg/user-1000/memory.max_usage_in_bytes", "104857600\n");
		put_str(root, "pam_memcg/user-1000/memory.limit_in_bytes", t[i].limit);
		put_str(root, "pam_memcg/user-1000/memory.memsw.limit_in_bytes", t[i].memsw);
		put_str(root, "pam_memcg/user-1000/memory.soft_limit_in_bytes", t[i].soft);
		put_str(root, "pam_memcg/user-1000/memory.oom_control",
			"oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
		put_str(root, "pam_memcg/user-1000/cgroup.procs", "1\n2\n");
		assert_int_equal(mc_cg_stats(&f->h, "pam_memcg/user-1000", &st), 0);
		if (st.current != 52428800 || !st.have_peak || st.peak != 104857600 ||
		    st.max != t[i].max || st.swap_max != t[i].swap || st.high != t[i].high ||
		    st.oom_kills != 4 || st.nprocs != 2)
			fail_msg("row %zu: current %" PRIu64 " peak %" PRIu64 " max %" PRIu64
				 " swap %" PRIu64 " high %" PRIu64 " oom %" PRIu64 " procs %u",
				 i, st.current, st.peak, st.max, st.swap_max, st.high,
				 st.oom_kills, st.nprocs);
	}
}

/* ------------------------------------------------------------------ */
/* mc_cg_each_user                                                     */

struct seen {
	uid_t uids[32];
	int n;
	int stop_after;		/* return 7 after this many; 0: never */
};

static int
collect(void *ctx, uid_t uid)
{
	struct seen *s = ctx;

	if ((size_t)s->n < NELEM(s->uids))
		s->uids[s->n] = uid;
	s->n++;
	return s->stop_after != 0 && s->n == s->stop_after ? 7 : 0;
}

static int
cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_each_user(void **state)
{
	static const char *const dirs[] = {
		"user-1000", "user-0", "user-4294967294", "user-65534",
		/* Not user-<digits> with a uid: */
		"user-4294967295", "user-99999999999", "user-", "user-abc", "user-12a",
		"user--1", "user-+5", "user- 5", "user-5 ", "user", "xuser-5", "User-7",
		"user-01000", "user-00",
		"session-3.scope",
	};
	static const uid_t want[] = { 0, 1000, 65534, 4294967294u };
	struct fake *f = *state;
	struct seen s = { .n = 0 };
	char root[4096], rel[256], link[4200];

	fake_root(f, "each", 2, root, sizeof(root));
	fake_parent(root, "pam_memcg", 2, "memory\n");
	for (size_t i = 0; i < NELEM(dirs); i++)
		make_dirs(root, pathf(rel, sizeof(rel), "pam_memcg/%s", dirs[i]));
	put_str(root, "pam_memcg/memory.max", "max\n");

	assert_int_equal(mc_cg_each_user(&f->h, "pam_memcg", collect, &s), 0);
	if (s.n != (int)NELEM(want))
		fail_msg("listed %d user cgroups, want %zu", s.n, NELEM(want));
	qsort(s.uids, (size_t)s.n, sizeof(s.uids[0]), cmp_uid);
	for (size_t i = 0; i < NELEM(want); i++)
		if (s.uids[i] != want[i])
			fail_msg("listed uid %u, want %u", (unsigned)s.uids[i], (unsigned)want[i]);

	/* The callback stops the walk and its value comes back. */
	s = (struct seen){ .stop_after = 2 };
	assert_int_equal(mc_cg_each_user(&f->h, "pam_memcg", collect, &s), 7);
	assert_int_equal(s.n, 2);

	/* An empty parent lists nothing; a missing one is -ENOENT. */
	s = (struct seen){ .n = 0 };
	fake_parent(root, "empty", 2, "");
	assert_int_equal(mc_cg_each_user(&f->h, "empty", collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(mc_cg_each_user(&f->h, "absent", collect, &s), -ENOENT);

	/* A symlinked parent is not followed. */
	assert_int_equal(symlink("pam_memcg", pathf(link, sizeof(link), "%s/linked", root)), 0);
	assert_true(mc_cg_each_user(&f->h, "linked", collect, &s) < 0);
	assert_int_equal(s.n, 0);
}

/* ------------------------------------------------------------------ */
/* Paths stay beneath the hierarchy's root                             */

static void
test_paths_beneath_root(void **state)
{
	struct fake *f = *state;
	char root[4096], buf[64];
	int fd;

	fake_root(f, "beneath", 2, root, sizeof(root));
	put_str(f->dir, "outside", "secret\n");
	make_dirs(root, "pam_memcg/user-1000");
	put_str(root, "pam_memcg/user-1000/memory.current", "4096\n");
	put_str(root, "pam_memcg/user-1000/cgroup.procs", "");

	assert_int_equal(mc_cg_read(&f->h, "pam_memcg/user-1000", "memory.current", buf,
				    sizeof(buf)), 0);
	assert_string_equal(buf, "4096\n");
	fd = mc_cg_open_dir(&f->h, "");
	assert_true(fd >= 0);
	close(fd);

	assert_true(mc_cg_read(&f->h, "..", "outside", buf, sizeof(buf)) < 0);
	assert_true(mc_cg_read(&f->h, "pam_memcg/../..", "outside", buf, sizeof(buf)) < 0);
	assert_true(mc_cg_open_dir(&f->h, "/") < 0);
	assert_true(mc_cg_open_dir(&f->h, "/etc") < 0);
	assert_true(mc_cg_attach(&f->h, "..", 1) < 0);
	expect_file(f->dir, "outside", "secret\n");

	assert_int_equal(mc_cg_attach(&f->h, "pam_memcg/user-1000", 321), 0);
	expect_file(root, "pam_memcg/user-1000/cgroup.procs", "321");
	assert_int_equal(mc_cg_attach(&f->h, "pam_memcg/user-9", 321), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_scan),
		cmocka_unit_test(test_proc_cgroup_parse),
		cmocka_unit_test(test_proc_cgroup_parse_buffer),
		cmocka_unit_test(test_user_cgroup),
		cmocka_unit_test_setup_teardown(test_hier_open, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2_enables_memory_along_path,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_creates_path, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_mode_ignores_umask, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v2_no_swap_file, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_existing_unlimited_refused, setup_fake, teardown_fake),
		cmocka_unit_test(test_limit_differs),
		cmocka_unit_test(test_proc_stat_exiting),
		cmocka_unit_test(test_pid_exiting_leaderless),
		cmocka_unit_test_setup_teardown(test_join_v1, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_no_memsw, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_v1_oom_group_warns_once,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_join_refuses_symlinks, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_remove_user, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_stats_v2, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_stats_v1, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_each_user, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_paths_beneath_root, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
