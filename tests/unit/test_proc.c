/* Unit tests for lib/proc.c: the /proc/PID/cgroup and /proc/PID/stat
 * parsers, and telling an exiting process from a live one whose main
 * thread has exited. */
#include "unit.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "proc.h"

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

static void
test_proc_cgroup_parse_ctrl(void **state)
{
	static const char text[] =
		"9:name=systemd:/\n8:pids:/p/user-1000\n4:memory:/m/user-1000\n"
		"3:cpuset:/s\n2:cpu,cpuacct:/c/user-1000\n0::/u\n";
	char buf[256];

	(void)state;
	assert_int_equal(mc_proc_cgroup_parse_ctrl(text, 1, "cpu", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/c/user-1000");
	assert_int_equal(mc_proc_cgroup_parse_ctrl(text, 1, "cpuacct", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/c/user-1000");
	assert_int_equal(mc_proc_cgroup_parse_ctrl(text, 1, "pids", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/p/user-1000");
	assert_int_equal(mc_proc_cgroup_parse_ctrl(text, 1, "memory", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/m/user-1000");
	assert_int_equal(mc_proc_cgroup_parse_ctrl(text, 2, "cpu", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/u");
	assert_int_equal(mc_proc_cgroup_parse_ctrl("3:cpuset:/s\n", 1, "cpu", buf, sizeof(buf)),
			 -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_cgroup_parse),
		cmocka_unit_test(test_proc_cgroup_parse_buffer),
		cmocka_unit_test(test_proc_cgroup_parse_ctrl),
		cmocka_unit_test(test_proc_stat_exiting),
		cmocka_unit_test(test_pid_exiting_leaderless),
	};

	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
