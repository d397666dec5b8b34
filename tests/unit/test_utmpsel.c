/* Unit tests for lib/utmpsel.c: which terminals of a user a utmp file
 * (written by the test) names, and the checks on an opened terminal. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>

#include <cmocka.h>

#include "utmpsel.h"

static char path[64];

static void
put(int fd, short type, const char *user, const char *line)
{
	struct utmp ut;

	memset(&ut, 0, sizeof(ut));
	ut.ut_type = type;
	ut.ut_pid = 1;
	strncpy(ut.ut_user, user, sizeof(ut.ut_user));
	strncpy(ut.ut_line, line, sizeof(ut.ut_line));
	assert_int_equal(write(fd, &ut, sizeof(ut)), sizeof(ut));
}

static int
setup(void **state)
{
	char user32[sizeof(((struct utmp *)0)->ut_user) + 1];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_utmpsel.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	put(fd, USER_PROCESS, "alice", "pts/1");
	put(fd, DEAD_PROCESS, "alice", "pts/2");
	put(fd, USER_PROCESS, "bob", "pts/3");
	put(fd, USER_PROCESS, "alice", "pts/1");	/* a repeat */
	put(fd, USER_PROCESS, "alice", "../etc/passwd");
	put(fd, USER_PROCESS, "alice", "/dev/sda");
	put(fd, USER_PROCESS, "alice", "pts/../../x");
	put(fd, USER_PROCESS, "alice", "tty1");
	put(fd, USER_PROCESS, "alicex", "pts/9");
	put(fd, USER_PROCESS, "alic", "pts/8");
	put(fd, LOGIN_PROCESS, "alice", "tty2");
	put(fd, USER_PROCESS, "alice", "pts/4");
	memset(user32, 'u', sizeof(user32) - 1);
	user32[sizeof(user32) - 1] = '\0';
	put(fd, USER_PROCESS, user32, "pts/7");
	/* A torn last record is ignored. */
	assert_int_equal(write(fd, "xx", 2), 2);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
test_select(void **state)
{
	char ttys[8][MC_TTY_PATH], user32[40];
	int n;

	(void)state;
	n = mc_utmp_ttys(path, "alice", ttys, 8);
	assert_int_equal(n, 3);
	assert_string_equal(ttys[0], "/dev/pts/1");
	assert_string_equal(ttys[1], "/dev/tty1");
	assert_string_equal(ttys[2], "/dev/pts/4");
	assert_int_equal(mc_utmp_ttys(path, "bob", ttys, 8), 1);
	assert_string_equal(ttys[0], "/dev/pts/3");
	assert_int_equal(mc_utmp_ttys(path, "carol", ttys, 8), 0);
	assert_int_equal(mc_utmp_ttys(path, "", ttys, 8), 0);
	/* At most max. */
	assert_int_equal(mc_utmp_ttys(path, "alice", ttys, 1), 1);
	/* A name that fills ut_user without a NUL. */
	memset(user32, 'u', 32);
	user32[32] = '\0';
	assert_int_equal(mc_utmp_ttys(path, user32, ttys, 8), 1);
	assert_string_equal(ttys[0], "/dev/pts/7");
	/* Longer than ut_user can hold: nobody. */
	strcat(user32, "u");
	assert_int_equal(mc_utmp_ttys(path, user32, ttys, 8), 0);
	assert_int_equal(mc_utmp_ttys("/nonexistent/utmp", "alice", ttys, 8), -ENOENT);
}

static void
test_line_ok(void **state)
{
	(void)state;
	assert_true(mc_tty_line_ok("pts/0"));
	assert_true(mc_tty_line_ok("tty1"));
	assert_true(mc_tty_line_ok("ttyS0"));
	assert_false(mc_tty_line_ok(""));
	assert_false(mc_tty_line_ok("/dev/tty1"));
	assert_false(mc_tty_line_ok(".."));
	assert_false(mc_tty_line_ok("pts/.."));
	assert_false(mc_tty_line_ok("pts//1"));
	assert_false(mc_tty_line_ok("pts/"));
	assert_false(mc_tty_line_ok("a b"));
	assert_false(mc_tty_line_ok("pts/1\n"));
	assert_false(mc_tty_line_ok(":0"));
}

static void
test_check_stat(void **state)
{
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFCHR | 0620;
	st.st_uid = 1000;
	assert_int_equal(mc_tty_check_stat(&st, 1000, false), 0);
	assert_int_equal(mc_tty_check_stat(&st, 1001, false), -EPERM);
	st.st_mode = S_IFCHR | 0600;	/* mesg n */
	assert_int_equal(mc_tty_check_stat(&st, 1000, false), -EACCES);
	assert_int_equal(mc_tty_check_stat(&st, 1000, true), 0);
	st.st_mode = S_IFREG | 0620;
	assert_int_equal(mc_tty_check_stat(&st, 1000, true), -ENOTTY);
	st.st_mode = S_IFLNK | 0777;
	assert_int_equal(mc_tty_check_stat(&st, 1000, true), -ENOTTY);
}

static void
test_open(void **state)
{
	struct stat st;
	dev_t rdev;
	int m, fd;
	char *slave;

	(void)state;
	/* A regular file, and a character device that is not a terminal. */
	assert_int_equal(mc_tty_open(path, getuid(), true, &rdev), -ENOTTY);
	assert_true(rdev == 0);
	fd = mc_tty_open("/dev/null", 0, true, &rdev);
	assert_true(fd == -ENOTTY || fd == -EPERM);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(rdev == st.st_rdev);
	/* A real pty of ours. */
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	slave = ptsname(m);
	assert_non_null(slave);
	assert_int_equal(stat(slave, &st), 0);
	assert_int_equal(chmod(slave, 0600), 0);
	/* Refused, but the device is still reported (for the dedup). */
	assert_int_equal(mc_tty_open(slave, getuid(), false, &rdev), -EACCES);
	assert_true(rdev == st.st_rdev);
	assert_int_equal(mc_tty_open(slave, getuid() + 1, true, &rdev), -EPERM);
	assert_true(rdev == st.st_rdev);
	assert_int_equal(chmod(slave, 0620), 0);
	fd = mc_tty_open(slave, getuid(), false, &rdev);
	assert_true(fd >= 0);
	assert_true(rdev == st.st_rdev);
	assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	assert_int_equal(write(fd, "hi\r\n", 4), 4);
	close(fd);
	close(m);
	/* A symlink is not followed. */
	assert_int_equal(mc_tty_open("/dev/stdin", getuid(), true, &rdev), -ELOOP);
	assert_true(rdev == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_line_ok),
		cmocka_unit_test(test_check_stat),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
