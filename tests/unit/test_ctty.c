/* Unit tests for lib/ctty.c: /proc/PID/stat and status parsing, device
 * numbers and names, the terminal set and its dedup, the checks on an
 * opened terminal, and the scan against a fake /proc tree and against the
 * real one (a child that holds a pty as its controlling terminal). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctty.h"

struct stat_case {
	const char *text;
	int ret;
	int tty_nr;
};

static const struct stat_case stat_cases[] = {
	{ "1234 (bash) S 1000 1234 1234 34816 1234 4194560 102 0", 0, 34816 },
	/* No controlling terminal (su -c runs its command in a new session). */
	{ "7101 (cat) R 7093 7093 3371 0 -1 4194304", 0, 0 },
	/* Command names with spaces, parentheses, newlines, fake fields. */
	{ "42 (my prog) R 1 42 42 34817 42 0", 0, 34817 },
	{ "42 (a) b (c)) S 1 2 3 1025 5", 0, 1025 },
	{ "7 () S 1 2 3 4) S 0 7 7 0 -1", 0, 0 },
	{ "9 (a\nb) S 1 9 9 1024 9", 0, 1024 },
	{ "9 ()) S 1 9 9 1088 9", 0, 1088 },
	{ "9 ( ) S 1 9 9 1088 9", 0, 1088 },
	/* Field 7 last, or ending the line. */
	{ "1 (x) S 1 2 3 34816", 0, 34816 },
	{ "1 (x) S 1 2 3 34816\n", 0, 34816 },
	/* Bit 31 set: the kernel prints it as a negative int. */
	{ "1 (x) S 0 1 1 -2147448832 1", 0, -2147448832 },
	{ "1 (x) S 0 1 1 -2147483648 1", 0, INT_MIN },
	{ "1 (x) S 0 1 1 2147483647 1", 0, INT_MAX },
	/* Broken */
	{ "", -EINVAL, 0 },
	{ "1 (x)", -EINVAL, 0 },
	{ "1 (x) ", -EINVAL, 0 },
	{ "1 (x) S", -EINVAL, 0 },
	{ "1 (x) S 1 2 3", -EINVAL, 0 },
	{ "1 (x)S 1 2 3 4 5", -EINVAL, 0 },
	{ "1 (x) SS 1 2 3 4 5", -EINVAL, 0 },
	{ "1 (x) S 1  2 3 4 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 x4 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 4x 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 +4 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 - 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 2147483648 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 -2147483649 5", -EINVAL, 0 },
	{ "1 (x) S 1 2 3 99999999999999999999999 5", -EINVAL, 0 },
	{ "no parenthesis S 1 2 3 4 5", -EINVAL, 0 },
};

static void
test_stat_tty(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++) {
		const struct stat_case *c = &stat_cases[i];
		int v = 12345;

		if (mc_proc_stat_tty(c->text, &v) != c->ret || (c->ret == 0 && v != c->tty_nr))
			fail_msg("case %zu (\"%s\"): got %d, tty_nr %d", i, c->text,
				 mc_proc_stat_tty(c->text, &v), v);
		if (c->ret != 0)
			assert_int_equal(v, 12345);
	}
}

struct status_case {
	const char *text;
	int ret;
	uid_t ruid;
};

static const struct status_case status_cases[] = {
	{ "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n",
	  0, 1000 },
	{ "Name:\tsu\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 0, 0 },
	/* A set-uid program run by the user: the real uid counts. */
	{ "Name:\tpasswd\nUid:\t1000\t0\t0\t0\n", 0, 1000 },
	/* A name forging a line before the real one. */
	{ "Name:\tx\nUid:\t0\t0\t0\t0\nUid:\t1001\t1001\t1001\t1001\nGid:\t1\n", 0, 1001 },
	{ "Uid:\t4294967294\t0\t0\t0\n", 0, 4294967294u },
	{ "Uid: 7\n", 0, 7 },
	{ "Uid:\t7", 0, 7 },
	/* Broken */
	{ "", -EINVAL, 0 },
	{ "Name:\tbash\nGid:\t0\n", -EINVAL, 0 },
	{ "Name:\tbash\nXUid:\t5\n", -EINVAL, 0 },
	{ "Uid:\t\n", -EINVAL, 0 },
	{ "Uid:", -EINVAL, 0 },
	{ "Uid:\tabc\t0\n", -EINVAL, 0 },
	{ "Uid:\t-1\t0\n", -EINVAL, 0 },
	{ "Uid:\t4294967295\t0\n", -EINVAL, 0 },
	{ "Uid:\t99999999999999999999999999\n", -EINVAL, 0 },
};

static void
test_status_ruid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		const struct status_case *c = &status_cases[i];
		uid_t v = 12345;
		int r = mc_proc_status_ruid(c->text, &v);

		if (r != c->ret || (r == 0 && v != c->ruid))
			fail_msg("case %zu: got %d, ruid %u", i, r, (unsigned)v);
	}
}

struct dev_case {
	int tty_nr;
	unsigned maj, min;
	const char *path;	/* NULL: -ENODEV */
};

static const struct dev_case dev_cases[] = {
	{ 0, 0, 0, NULL },
	{ 34816, 136, 0, "/dev/pts/0" },
	{ 34817, 136, 1, "/dev/pts/1" },
	{ 35071, 136, 255, "/dev/pts/255" },
	/* Minors above 255 go to bits 20-31. */
	{ 34816 | (256 << 12), 136, 256, "/dev/pts/256" },
	{ 34816 | 44 | (0x100 << 12), 136, 300, "/dev/pts/300" },
	{ (int)(34816u | 0x80000000u), 136, 0x80000, "/dev/pts/524288" },
	/* The old 8-bit split of the pty numbers. */
	{ 137 << 8 | 5, 137, 5, "/dev/pts/261" },
	{ 143 << 8 | 255, 143, 255, "/dev/pts/2047" },
	{ 1024, 4, 0, NULL },	/* tty0: "the current console", nobody's own */
	{ 1025, 4, 1, "/dev/tty1" },
	{ 1087, 4, 63, "/dev/tty63" },
	{ 1088, 4, 64, "/dev/ttyS0" },
	{ 1279, 4, 255, "/dev/ttyS191" },
	{ 1024 | (256 << 12), 4, 256, NULL },
	{ 1281, 5, 1, NULL },	/* /dev/console */
	{ 1280, 5, 0, NULL },	/* /dev/tty */
	{ 166 << 8 | 2, 166, 2, "/dev/ttyACM2" },
	{ 188 << 8, 188, 0, "/dev/ttyUSB0" },
	{ 135 << 8, 135, 0, NULL },
	{ 144 << 8, 144, 0, NULL },
};

static void
test_dev_names(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(dev_cases) / sizeof(dev_cases[0]); i++) {
		const struct dev_case *c = &dev_cases[i];
		dev_t d = mc_tty_nr_dev(c->tty_nr);
		int r;

		if (major(d) != c->maj || minor(d) != c->min)
			fail_msg("case %zu: tty_nr %d is %u:%u, not %u:%u", i, c->tty_nr,
				 major(d), minor(d), c->maj, c->min);
		r = mc_tty_dev_path(d, buf, sizeof(buf));
		if (c->path == NULL)
			assert_int_equal(r, -ENODEV);
		else if (r != 0 || strcmp(buf, c->path) != 0)
			fail_msg("case %zu: %u:%u gave %d \"%s\", not %s", i, c->maj, c->min, r,
				 r == 0 ? buf : "", c->path);
	}
	assert_true(mc_tty_nr_dev(0) == 0);
	/* The name must fit, NUL included. */
	assert_int_equal(mc_tty_dev_path(makedev(136, 300), buf, 13), 0);
	assert_string_equal(buf, "/dev/pts/300");
	assert_int_equal(mc_tty_dev_path(makedev(136, 300), buf, 12), -ENAMETOOLONG);
}

static void
test_set_and_dedup(void **state)
{
	struct mc_ctty_set *s = calloc(1, sizeof(*s));
	dev_t a = makedev(136, 0), b = makedev(136, 1), c = makedev(4, 1);
	dev_t done[2];

	(void)state;
	assert_non_null(s);
	assert_int_equal(mc_ctty_note(s, a, 1000), 0);
	assert_int_equal(mc_ctty_note(s, a, 0), 0);
	assert_int_equal(mc_ctty_note(s, a, 1000), 0);	/* a repeat */
	assert_int_equal(mc_ctty_note(s, b, 1000), 0);
	assert_int_equal(mc_ctty_note(s, c, 1000), 0);
	assert_int_equal(s->n, 3);
	assert_true(s->t[0].rdev == a);
	assert_int_equal(s->t[0].n_holders, 2);
	assert_int_equal(s->t[0].holders[0], 1000);
	assert_int_equal(s->t[0].holders[1], 0);
	assert_int_equal(s->t[1].n_holders, 1);

	/* Dedup with the utmp set: what utmp handled goes, order is kept. */
	mc_ctty_drop(s, done, 0);
	assert_int_equal(s->n, 3);
	done[0] = b;
	done[1] = makedev(136, 9);
	mc_ctty_drop(s, done, 2);
	assert_int_equal(s->n, 2);
	assert_true(s->t[0].rdev == a);
	assert_int_equal(s->t[0].n_holders, 2);
	assert_true(s->t[1].rdev == c);
	done[0] = a;
	done[1] = c;
	mc_ctty_drop(s, done, 2);
	assert_int_equal(s->n, 0);

	/* Full: more terminals, more holders of one terminal. */
	for (unsigned i = 0; i < MC_CTTY_MAX; i++)
		assert_int_equal(mc_ctty_note(s, makedev(136, i), 1000), 0);
	assert_int_equal(mc_ctty_note(s, makedev(136, MC_CTTY_MAX), 1000), -ENOSPC);
	assert_int_equal(s->n, MC_CTTY_MAX);
	assert_int_equal(mc_ctty_note(s, makedev(136, 0), 1000), 0);
	for (unsigned i = 1; i < MC_CTTY_HOLDERS; i++)
		assert_int_equal(mc_ctty_note(s, makedev(136, 0), 2000 + i), 0);
	assert_int_equal(mc_ctty_note(s, makedev(136, 0), 3000), -ENOSPC);
	assert_int_equal(s->t[0].n_holders, MC_CTTY_HOLDERS);
	free(s);
}

static void
test_check_stat(void **state)
{
	struct mc_ctty t = { .rdev = makedev(136, 3), .holders = { 1000, 0 }, .n_holders = 2 };
	struct mc_ctty user_only = { .rdev = makedev(136, 3), .holders = { 1000 }, .n_holders = 1 };
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFCHR | 0620;
	st.st_rdev = makedev(136, 3);
	st.st_uid = 1000;
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, false), 0);
	/* Root's terminal under su -l: root's su holds it too. */
	st.st_uid = 0;
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, false), 0);
	assert_int_equal(mc_ctty_check_stat(&st, &user_only, 1000, false), -EPERM);
	/* The user's own terminal, whoever holds it. */
	st.st_uid = 1000;
	assert_int_equal(mc_ctty_check_stat(&st, &user_only, 1000, false), 0);
	st.st_uid = 1002;
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, true), -EPERM);
	/* mesg n, unless ignore_mesg. */
	st.st_uid = 0;
	st.st_mode = S_IFCHR | 0600;
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, false), -EACCES);
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, true), 0);
	/* Another device, or no device at all. */
	st.st_rdev = makedev(136, 4);
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, true), -ENXIO);
	st.st_mode = S_IFREG | 0620;
	assert_int_equal(mc_ctty_check_stat(&st, &t, 1000, true), -ENOTTY);
}

static void
test_open(void **state)
{
	struct mc_ctty t = { .holders = { 0 }, .n_holders = 1 };
	struct stat st;
	char *slave;
	int m, fd;

	(void)state;
	/* /dev/null: a character device of root's, not a terminal. */
	assert_int_equal(stat("/dev/null", &st), 0);
	t.rdev = st.st_rdev;
	assert_int_equal(mc_ctty_open("/dev/null", &t, 0, true), -ENOTTY);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	slave = ptsname(m);
	assert_non_null(slave);
	assert_int_equal(stat(slave, &st), 0);
	/* The path names another device than the one held. */
	assert_int_equal(mc_ctty_open(slave, &t, getuid(), true), -ENXIO);
	t.rdev = st.st_rdev;
	t.holders[0] = getuid() + 1;
	assert_int_equal(mc_ctty_open(slave, &t, getuid() + 2, true), -EPERM);
	assert_int_equal(chmod(slave, 0600), 0);
	assert_int_equal(mc_ctty_open(slave, &t, getuid(), false), -EACCES);
	t.holders[0] = getuid();
	assert_int_equal(chmod(slave, 0620), 0);
	fd = mc_ctty_open(slave, &t, getuid() + 2, false);
	assert_true(fd >= 0);
	assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	assert_int_equal(write(fd, "hi\r\n", 4), 4);
	close(fd);
	close(m);
	assert_int_equal(mc_ctty_open("/dev/stdin", &t, getuid(), true), -ELOOP);
}

/* --- mc_ctty_scan against a fake /proc -------------------------------- */

static char tree[64];

static void
put_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
put_proc(int pid, const char *stat, const char *status)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/proc/%d", tree, pid);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "proc/%d/stat", pid);
	put_file(p, stat);
	if (status != NULL) {
		snprintf(p, sizeof(p), "proc/%d/status", pid);
		put_file(p, status);
	}
}

static int
open_in_tree(const char *rel, int flags)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	return open(p, flags | O_CLOEXEC);
}

static int
scan(const char *procs, unsigned max, struct mc_ctty_set *s)
{
	int pfd, dfd, r;

	put_file("cgroup.procs", procs);
	pfd = open_in_tree("cgroup.procs", O_RDONLY);
	dfd = open_in_tree("proc", O_RDONLY | O_DIRECTORY);
	assert_true(pfd >= 0 && dfd >= 0);
	memset(s, 0, sizeof(*s));
	r = mc_ctty_scan(pfd, dfd, max, s);
	close(pfd);
	close(dfd);
	return r;
}

static int
tree_setup(void **state)
{
	char p[128];

	(void)state;
	snprintf(tree, sizeof(tree), "/tmp/test_ctty.XXXXXX");
	if (mkdtemp(tree) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/proc", tree);
	if (mkdir(p, 0755) < 0)
		return -1;
	put_proc(107, "107 (vim) S 1 107 107 34821 107 0", "Uid:\t1000\t1000\t1000\t1000\n");
	put_proc(108, "108 (vim) S 1 108 108 34822 108 0", "Uid:\t1000\t1000\t1000\t1000\n");
	/* ssh: the login shell on its pty. */
	put_proc(100, "100 (bash) S 99 100 100 34816 100 0", "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\n");
	/* su -l on root's terminal: su holds it; its command has none. */
	put_proc(101, "101 (su) S 1 101 101 34817 101 0", "Name:\tsu\nUid:\t0\t0\t0\t0\n");
	put_proc(102, "102 (bash) S 101 102 102 0 -1 0", "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\n");
	/* A name made to look like more fields. */
	put_proc(103, "103 (x) S 1 1 1 1025) S 1 103 103 34818 103 0",
		 "Name:\tx) S 1 1 1 1025\nUid:\t1000\t1000\t1000\t1000\n");
	/* Gone between the two reads; unreadable. */
	put_proc(104, "104 (sh) S 1 104 104 34819 104 0", NULL);
	put_proc(106, "106 (x", "Uid:\t1000\t1000\t1000\t1000\n");
	return 0;
}

static int
tree_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_scan_fake(void **state)
{
	struct mc_ctty_set *s = calloc(1, sizeof(*s));
	size_t big_len = 6 + 1022 * 4 + 4 + 1;
	char *big = malloc(big_len);
	int fd;

	(void)state;
	assert_non_null(s);
	assert_non_null(big);
	/* 105 does not exist (exited); "abc" and blank lines are no pids. */
	assert_int_equal(scan("100\n101\n102\n103\n104\n105\n106\nabc\n\n", MC_CTTY_MAX_PIDS, s), 0);
	assert_int_equal(s->pids, 8);
	assert_false(s->capped);
	assert_int_equal(s->n, 3);
	assert_true(s->t[0].rdev == makedev(136, 0));
	assert_int_equal(s->t[0].n_holders, 1);
	assert_int_equal(s->t[0].holders[0], 1000);
	assert_true(s->t[1].rdev == makedev(136, 1));
	assert_int_equal(s->t[1].n_holders, 1);
	assert_int_equal(s->t[1].holders[0], 0);
	assert_true(s->t[2].rdev == makedev(136, 2));

	/* The cap: at most max pids are read, and it says so. */
	assert_int_equal(scan("100\n101\n102\n", 2, s), 0);
	assert_int_equal(s->pids, 2);
	assert_true(s->capped);
	assert_int_equal(s->n, 2);
	assert_int_equal(scan("100\n101\n", 2, s), 0);
	assert_false(s->capped);
	assert_int_equal(scan("", 2, s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(s->pids, 0);
	/* A last line without its newline is not a whole pid. */
	assert_int_equal(scan("100\n101", 8, s), 0);
	assert_int_equal(s->pids, 1);

	/* A pid split across two reads of cgroup.procs. */
	memcpy(big, "99999\n", 6);
	for (int i = 0; i < 1022; i++)
		memcpy(big + 6 + i * 4, "100\n", 4);
	memcpy(big + 6 + 1022 * 4, "101\n", 5);
	assert_int_equal(scan(big, MC_CTTY_MAX_PIDS, s), 0);
	assert_int_equal(s->pids, 1024);
	assert_int_equal(s->n, 2);
	assert_true(s->t[1].rdev == makedev(136, 1));

	/* cgroup.procs that cannot be read. */
	fd = open_in_tree("proc", O_RDONLY | O_DIRECTORY);
	assert_int_equal(mc_ctty_scan(fd, fd, 8, s), -EISDIR);
	close(fd);
	free(big);
	free(s);
}

static const struct mc_ctty *
find(const struct mc_ctty_set *s, dev_t rdev)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].rdev == rdev)
			return &s->t[i];
	return NULL;
}

static int
scan_tree(const char *rel, unsigned max, struct mc_ctty_set *s)
{
	int cfd, dfd, r;

	cfd = open_in_tree(rel, O_RDONLY | O_DIRECTORY);
	dfd = open_in_tree("proc", O_RDONLY | O_DIRECTORY);
	assert_true(cfd >= 0 && dfd >= 0);
	memset(s, 0, sizeof(*s));
	r = mc_ctty_scan_tree(cfd, dfd, max, s);
	close(cfd);
	close(dfd);
	return r;
}

/* A user's processes in child cgroups: a systemd slice's session scopes
 * and user@.service, nested to the depth limit. */
static void
test_scan_tree(void **state)
{
	struct mc_ctty_set *s = calloc(1, sizeof(*s));
	char rel[256], p[512];

	(void)state;
	assert_non_null(s);
	snprintf(p, sizeof(p), "%s/cg", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file("cg/cgroup.procs", "100\n");
	put_file("cg/memory.max", "67108864\n");
	snprintf(p, sizeof(p), "%s/cg/session-1.scope", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file("cg/session-1.scope/cgroup.procs", "101\n102\n");
	snprintf(p, sizeof(p), "%s/cg/user@1000.service", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file("cg/user@1000.service/cgroup.procs", "");
	snprintf(p, sizeof(p), "%s/cg/user@1000.service/app.slice", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file("cg/user@1000.service/app.slice/cgroup.procs", "103\n");
	/* A cgroup removed while it is read, and a symlink (not followed). */
	snprintf(p, sizeof(p), "%s/cg/gone.scope", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/proc", tree);
	snprintf(rel, sizeof(rel), "%s/cg/link", tree);
	assert_int_equal(symlink(p, rel), 0);
	/* Depth 8 is read, depth 9 is not. */
	snprintf(rel, sizeof(rel), "cg");
	for (int depth = 1; depth <= 9; depth++) {
		size_t n = strlen(rel);

		snprintf(rel + n, sizeof(rel) - n, "/d%d", depth);
		snprintf(p, sizeof(p), "%s/%s", tree, rel);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/cgroup.procs", rel);
		put_file(p, depth == 8 ? "107\n" : depth == 9 ? "108\n" : "");
	}

	assert_int_equal(scan_tree("cg", MC_CTTY_MAX_PIDS, s), 0);
	assert_false(s->capped);
	assert_int_equal(s->pids, 5);
	/* cg, its 3 child directories, app.slice, d1 to d8. */
	assert_int_equal(s->dirs, 13);
	assert_int_equal(s->n, 4);
	assert_non_null(find(s, makedev(136, 0)));
	assert_non_null(find(s, makedev(136, 1)));
	assert_int_equal(find(s, makedev(136, 1))->holders[0], 0);
	assert_non_null(find(s, makedev(136, 2)));
	assert_non_null(find(s, makedev(136, 5)));
	assert_null(find(s, makedev(136, 6)));

	/* The pid cap holds across cgroups. */
	assert_int_equal(scan_tree("cg", 2, s), 0);
	assert_int_equal(s->pids, 2);
	assert_true(s->capped);
	/* A leaf, and a top cgroup without cgroup.procs. */
	assert_int_equal(scan_tree("cg/user@1000.service/app.slice", 8, s), 0);
	assert_int_equal(s->dirs, 1);
	assert_int_equal(s->n, 1);
	assert_true(s->t[0].rdev == makedev(136, 2));
	assert_int_equal(scan_tree("cg/gone.scope", 8, s), -ENOENT);

	/* The cgroup cap. */
	snprintf(p, sizeof(p), "%s/wide", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file("wide/cgroup.procs", "");
	for (int i = 0; i < MC_CTTY_MAX_DIRS + 4; i++) {
		snprintf(p, sizeof(p), "%s/wide/s%d", tree, i);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(rel, sizeof(rel), "wide/s%d/cgroup.procs", i);
		put_file(rel, "");
	}
	assert_int_equal(scan_tree("wide", MC_CTTY_MAX_PIDS, s), 0);
	assert_int_equal(s->dirs, MC_CTTY_MAX_DIRS);
	assert_true(s->capped);
	free(s);
}

/* The real kernel: a child whose controlling terminal is a new pty is found
 * through the real /proc, with the device the pty's node has. */
static void
test_scan_real(void **state)
{
	struct mc_ctty_set *s = calloc(1, sizeof(*s));
	char procs[32], path[64], *slave, c;
	int m, ready[2], done[2], status, dfd, pfd;
	struct stat st;
	pid_t pid;

	(void)state;
	assert_non_null(s);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	slave = ptsname(m);
	assert_non_null(slave);
	assert_int_equal(stat(slave, &st), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A session leader without a terminal gets the first one it
		 * opens as its controlling terminal. */
		if (setsid() < 0 || open(slave, O_RDWR) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	snprintf(procs, sizeof(procs), "%ld\n", (long)pid);
	put_file("real.procs", procs);
	pfd = open_in_tree("real.procs", O_RDONLY);
	dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(pfd >= 0 && dfd >= 0);
	memset(s, 0, sizeof(*s));
	assert_int_equal(mc_ctty_scan(pfd, dfd, 8, s), 0);
	close(pfd);
	close(dfd);
	assert_int_equal(write(done[1], "d", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(s->n, 1);
	assert_true(s->t[0].rdev == st.st_rdev);
	assert_int_equal(s->t[0].n_holders, 1);
	assert_int_equal(s->t[0].holders[0], getuid());
	assert_int_equal(mc_tty_dev_path(s->t[0].rdev, path, sizeof(path)), 0);
	assert_string_equal(path, slave);
	close(ready[0]);
	close(done[1]);
	close(m);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_tty),
		cmocka_unit_test(test_status_ruid),
		cmocka_unit_test(test_dev_names),
		cmocka_unit_test(test_set_and_dedup),
		cmocka_unit_test(test_check_stat),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_scan_fake),
		cmocka_unit_test(test_scan_tree),
		cmocka_unit_test(test_scan_real),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
