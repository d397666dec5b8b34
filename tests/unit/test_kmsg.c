/* Unit tests for lib/kmsg.c against kernel log lines as real kernels print
 * them (the v1 ones were taken from this machine's 6.18 dmesg after a kill
 * in a test cgroup; the v2 ones follow mm/oom_kill.c of 6.1), and against
 * command names built to confuse the parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kmsg.h"

#define V1_PATH "/process_api/6a50b78ab3f04b45f85fc06784b1916a/exp/user-1234"

static void
test_summary_v1(void **state)
{
	struct mc_kmsg_summary s;

	(void)state;
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		"oom_memcg=" V1_PATH ",task_memcg=" V1_PATH ",task=python3,pid=7342,uid=0", NULL, &s), 0);
	assert_string_equal(s.constraint, "CONSTRAINT_MEMCG");
	assert_string_equal(s.oom_memcg, V1_PATH);
	assert_string_equal(s.task_memcg, V1_PATH);
	assert_string_equal(s.task, "python3");
	assert_int_equal(s.pid, 7342);
	assert_true(s.have_uid);
	assert_int_equal(s.uid, 0);
	assert_false(s.global);
}

static void
test_summary_v2(void **state)
{
	struct mc_kmsg_summary s;

	(void)state;
	/* Limit on the user's slice, victim in a session scope below it. */
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		"oom_memcg=/pam_memcg/user-1000,task_memcg=/pam_memcg/user-1000,task=python3,pid=123,uid=1000", NULL,
		&s), 0);
	assert_string_equal(s.oom_memcg, "/pam_memcg/user-1000");
	assert_int_equal(s.uid, 1000);
	/* System-wide OOM. */
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
		"global_oom,task_memcg=/pam_memcg/user-1000,task=stress-ng,pid=4242,uid=1000", NULL, &s), 0);
	assert_true(s.global);
	assert_string_equal(s.oom_memcg, "");
	assert_string_equal(s.task_memcg, "/pam_memcg/user-1000");
	assert_string_equal(s.task, "stress-ng");
	/* A kernel without the uid field (4.19). */
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		"oom_memcg=/a,task_memcg=/a/b,task=x,pid=9", NULL, &s), 0);
	assert_false(s.have_uid);
	assert_int_equal(s.pid, 9);
	assert_string_equal(s.task_memcg, "/a/b");
}

static void
test_summary_hostile(void **state)
{
	struct mc_kmsg_summary s;

	(void)state;
	/* A command name that imitates the fields after it. */
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		"oom_memcg=/p/user-1000,task_memcg=/p/user-1000,task=a,pid=1,uid=0,pid=555,uid=1000", NULL, &s), 0);
	assert_int_equal(s.pid, 555);
	assert_int_equal(s.uid, 1000);
	assert_string_equal(s.task, "a,pid=1,uid=0");
	assert_string_equal(s.task_memcg, "/p/user-1000");
	/* One that contains ",task=". */
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		"oom_memcg=/p/user-1,task_memcg=/p/user-1,task=x,task=y,pid=7,uid=1", NULL, &s), 0);
	assert_string_equal(s.task_memcg, "/p/user-1");
	assert_string_equal(s.task, "x,task=y");
	/* Not a summary, or broken ones. */
	assert_int_equal(mc_kmsg_parse_summary("oom-kill:", NULL, &s), -EINVAL);
	assert_int_equal(mc_kmsg_parse_summary("hello", NULL, &s), -EINVAL);
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=x,pid=,uid=1", NULL, &s), -EINVAL);
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task=x,pid=1,uid=1", NULL, &s), -EINVAL);
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=x,pid=99999999999,uid=1", NULL, &s), -EINVAL);
}

static void
test_killed(void **state)
{
	char comm[64], prefix[64];
	pid_t pid;

	(void)state;
	assert_int_equal(mc_kmsg_parse_killed(
		"Memory cgroup out of memory: Killed process 7342 (python3) total-vm:60768kB, "
		"anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:0 pgtables:156kB oom_score_adj:0",
		&pid, comm, sizeof(comm), prefix, sizeof(prefix)), 0);
	assert_int_equal(pid, 7342);
	assert_string_equal(comm, "python3");
	assert_string_equal(prefix, "Memory cgroup out of memory");
	assert_int_equal(mc_kmsg_parse_killed(
		"Out of memory: Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1kB oom_score_adj:0",
		&pid, comm, sizeof(comm), prefix, sizeof(prefix)), 0);
	assert_string_equal(prefix, "Out of memory");
	/* Names with parentheses and a fake tail. */
	assert_int_equal(mc_kmsg_parse_killed(
		"Memory cgroup out of memory: Killed process 12 (a) total-vm:b) total-vm:1kB, anon-rss:1kB",
		&pid, comm, sizeof(comm), NULL, 0), 0);
	assert_string_equal(comm, "a) total-vm:b");
	assert_int_equal(mc_kmsg_parse_killed(
		"Memory cgroup out of memory: Killed process 12 ((sd-pam)) total-vm:1kB",
		&pid, comm, sizeof(comm), NULL, 0), 0);
	assert_string_equal(comm, "(sd-pam)");
	/* The old two-step form's first line is not a kill. */
	assert_int_equal(mc_kmsg_parse_killed(
		"Memory cgroup out of memory: Kill process 12 (x) score 1 or sacrifice child",
		&pid, comm, sizeof(comm), NULL, 0), -EINVAL);
	assert_int_equal(mc_kmsg_parse_killed("Killed process x (y) total-vm:1kB",
					      &pid, comm, sizeof(comm), NULL, 0), -EINVAL);
}

static void
test_split(void **state)
{
	char text[64];
	uint64_t seq, ts;
	const char rec[] = "3,424,631903770,-;a\\x1b[31m\\x5c\\xZZ\n SUBSYSTEM=x\n";

	(void)state;
	assert_int_equal(mc_kmsg_split(rec, sizeof(rec) - 1, &seq, &ts, text, sizeof(text)), 0);
	assert_int_equal(seq, 424);
	assert_int_equal(ts, 631903770);
	assert_string_equal(text, "a\x1b[31m\\\\xZZ");
	assert_int_equal(mc_kmsg_split("no header", 9, &seq, &ts, text, sizeof(text)), -EINVAL);
	assert_int_equal(mc_kmsg_split("6,x,1,-;t", 9, &seq, &ts, text, sizeof(text)), -EINVAL);
	/* A NUL written as \x00 ends the text. */
	assert_int_equal(mc_kmsg_split("6,1,1,-;ab\\x00cd", 16, &seq, &ts, text, sizeof(text)), 0);
	assert_string_equal(text, "ab");
}

static enum mc_kmsg_kind
feed(struct mc_kmsg_state *st, const char *text, struct mc_kmsg_event *ev)
{
	char rec[2048];
	static unsigned seq = 100;
	int n = snprintf(rec, sizeof(rec), "6,%u,5000,-;%s\n", seq++, text);

	return mc_kmsg_feed(st, rec, (size_t)n, ev);
}

/* The order of lines of one memcg OOM kill on this machine (v1). */
static void
test_feed_sequence(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	assert_int_equal(feed(&st, "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "memory: usage 51200kB, limit 51200kB, failcnt 305", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "Memory cgroup stats for " V1_PATH ":", &ev), MC_KMSG_OOM);
	assert_string_equal(ev.memcg, V1_PATH);
	assert_int_equal(feed(&st, "[   7342]     0  7342    15192    14292    12704     1588         0   159744        0             0 python3", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=" V1_PATH ",task_memcg=" V1_PATH ",task=python3,pid=7342,uid=0", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 7342 (python3) total-vm:60768kB, anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:0 pgtables:156kB oom_score_adj:0", &ev), MC_KMSG_KILL);
	assert_int_equal(ev.pid, 7342);
	assert_string_equal(ev.comm, "python3");
	assert_string_equal(ev.memcg, V1_PATH);
	assert_string_equal(ev.oom_memcg, V1_PATH);
	assert_false(ev.global);
	assert_false(ev.group);
	assert_int_equal(ev.seq, 105);
}

/* v2 with memory.oom.group: members have no summary line of their own. */
static void
test_feed_group(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	feed(&st, "bash invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0", &ev);
	feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/pam_memcg/user-1000,task_memcg=/pam_memcg/user-1000,task=hog,pid=50,uid=1000", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 50 (hog) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1kB oom_score_adj:0", &ev), MC_KMSG_KILL);
	assert_false(ev.group);
	assert_int_equal(feed(&st, "Tasks in /pam_memcg/user-1000 are going to be killed due to memory.oom.group set", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 51 (bash) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1kB oom_score_adj:0", &ev), MC_KMSG_KILL);
	assert_true(ev.group);
	assert_int_equal(ev.pid, 51);
	assert_string_equal(ev.memcg, "/pam_memcg/user-1000");
	assert_string_equal(ev.oom_memcg, "/pam_memcg/user-1000");
	/* A new episode forgets the group. */
	feed(&st, "x invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 60 (y) total-vm:1kB", &ev), MC_KMSG_KILL);
	assert_false(ev.group);
	assert_string_equal(ev.memcg, "");
	assert_false(ev.global);
	assert_int_equal(feed(&st, "Out of memory: Killed process 61 (z) total-vm:1kB", &ev), MC_KMSG_KILL);
	assert_true(ev.global);
	assert_false(ev.have_uid);
	/* Without a summary the uid comes from the kill line itself, from its
	 * last ", UID:" (a command name cannot fake the kernel's own). */
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 62 (a, UID:7 b) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:1001 pgtables:1kB oom_score_adj:0", &ev), MC_KMSG_KILL);
	assert_true(ev.have_uid);
	assert_int_equal(ev.uid, 1001);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 63 (, UID:7) total-vm:1kB", &ev), MC_KMSG_KILL);
	assert_int_equal(ev.pid, 63);
	assert_int_equal(feed(&st, "Out of memory and no killable processes...", &ev), MC_KMSG_NO_VICTIM);
}

/* A refused fork: the path runs to the end of the record (a cgroup name
 * may hold spaces and the words of the line); nothing else reads as one. */
static void
test_feed_fork_refused(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	assert_int_equal(feed(&st, "cgroup: fork rejected by pids controller in /pam_memcg/user-1000", &ev),
			 MC_KMSG_FORK_REFUSED);
	assert_string_equal(ev.memcg, "/pam_memcg/user-1000");
	assert_int_equal(feed(&st, "cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/session-3.scope", &ev),
			 MC_KMSG_FORK_REFUSED);
	assert_string_equal(ev.memcg, "/user.slice/user-1000.slice/session-3.scope");
	assert_int_equal(feed(&st, "cgroup: fork rejected by pids controller in /a/x in /b", &ev),
			 MC_KMSG_FORK_REFUSED);
	assert_string_equal(ev.memcg, "/a/x in /b");
	/* Not at the start of the record, or no path: not the kernel's line. */
	assert_int_equal(feed(&st, "bash: cgroup: fork rejected by pids controller in /pam_memcg/user-1000", &ev),
			 MC_KMSG_NONE);
	assert_int_equal(feed(&st, "cgroup: fork rejected by pids controller in ", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "cgroup: fork rejected by pids controller in user-1000", &ev), MC_KMSG_NONE);
}

/* A command name full of escapes arrives \x-escaped; feed un-escapes it
 * to the real bytes (sanitize.c escapes them again for display). */
static void
test_feed_escaped_comm(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;
	const char *rec = "3,9,1,-;Memory cgroup out of memory: Killed process 77 (\\x1b]0;x\\x07\\x1b[2J) total-vm:1kB\n";

	(void)state;
	assert_int_equal(mc_kmsg_feed(&st, rec, strlen(rec), &ev), MC_KMSG_KILL);
	assert_string_equal(ev.comm, "\x1b]0;x\x07\x1b[2J");
}

static void
test_path_within(void **state)
{
	(void)state;
	assert_true(mc_path_within("/a/b", "/a/b"));
	assert_true(mc_path_within("/a/b/c", "/a/b"));
	assert_true(mc_path_within("/a/b/c", "/a/b/"));
	assert_false(mc_path_within("/a/bc", "/a/b"));
	assert_false(mc_path_within("/a", "/a/b"));
	assert_false(mc_path_within("", "/a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_v1),
		cmocka_unit_test(test_summary_v2),
		cmocka_unit_test(test_summary_hostile),
		cmocka_unit_test(test_killed),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_feed_sequence),
		cmocka_unit_test(test_feed_group),
		cmocka_unit_test(test_feed_escaped_comm),
		cmocka_unit_test(test_feed_fork_refused),
		cmocka_unit_test(test_path_within),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
