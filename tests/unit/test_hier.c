/* Unit tests for lib/hier.c: the mountinfo scan, and opening a hierarchy
 * on a fake tree in a temp dir. */
#include "fakecg.h"

#include <limits.h>

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
/* mc_mountinfo_find_v1, mc_ctrl_name                                  */

static void
test_mountinfo_find_v1(void **state)
{
	static const char split[] =
		"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
		"33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
		"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"38 30 0:35 /sub /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
		"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	static const char comounted[] =
		"25 24 0:22 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
		"26 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
		"27 24 0:24 / /sys/fs/cgroup/memory,pids rw - cgroup cgroup rw,memory,pids\n"
		"28 24 0:25 / /sys/fs/cgroup/odd\040name rw - cgroup cgroup rw,name=cpu\n";
	struct mc_mount m;
	unsigned with = 0;

	(void)state;
	assert_int_equal(mc_mountinfo_find_v1(split, "cpu", &m, &with), 0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup/cpu");
	assert_int_equal(with, MC_CTRL_CPU);
	assert_int_equal(mc_mountinfo_find_v1(split, "cpuacct", &m, &with), 0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup/cpuacct");
	assert_int_equal(with, MC_CTRL_CPUACCT);
	assert_int_equal(mc_mountinfo_find_v1(split, "pids", &m, &with), 0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup/pids");
	assert_string_equal(m.mnt_root, "/sub");
	assert_int_equal(m.version, 1);

	assert_int_equal(mc_mountinfo_find_v1(comounted, "cpu", &m, &with), 0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(with, MC_CTRL_CPU | MC_CTRL_CPUACCT);
	assert_int_equal(mc_mountinfo_find_v1(comounted, "pids", &m, &with), 0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup/memory,pids");
	assert_int_equal(with, MC_CTRL_MEMORY | MC_CTRL_PIDS);

	/* cgroup2 and "name=cpu" do not count; cpuset is not cpu. */
	assert_int_equal(mc_mountinfo_find_v1(
		"40 30 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		"28 24 0:25 / /x rw - cgroup cgroup rw,name=cpu\n"
		"33 30 0:30 / /y rw - cgroup cgroup rw,cpuset\n", "cpu", &m, &with), -ENOENT);
	assert_int_equal(mc_mountinfo_find_v1("", "pids", &m, &with), -ENOENT);

	assert_string_equal(mc_ctrl_name(MC_CTRL_MEMORY), "memory");
	assert_string_equal(mc_ctrl_name(MC_CTRL_CPU), "cpu");
	assert_string_equal(mc_ctrl_name(MC_CTRL_CPUACCT), "cpuacct");
	assert_string_equal(mc_ctrl_name(MC_CTRL_PIDS), "pids");
	assert_string_equal(mc_ctrl_name(MC_CTRL_CPU | MC_CTRL_PIDS), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_scan),
		cmocka_unit_test(test_mountinfo_find_v1),
		cmocka_unit_test_setup_teardown(test_hier_open, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests_name("hier", tests, NULL, NULL);
}
