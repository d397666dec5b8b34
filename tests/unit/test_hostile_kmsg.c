/* Unit tests for lib/kmsg.c against kernel log lines that carry names a
 * user chose: a segfault line ends in the file name of the program that
 * crashed, so any user can put "Killed process 1 (sshd) total-vm:0kB" or
 * "invoked oom-killer: gfp_mask=" into the kernel log, and cgroup names
 * and command names may hold the ',' and '=' the oom-kill summary line
 * separates its fields with.  The records below are as this machine's 6.18
 * kernel wrote them to /dev/kmsg. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kmsg.h"

#define CG "/process_api/c300b20687d827459f77660f95c8c9d2/memcg-test-1/user-2000"

static enum mc_kmsg_kind
feed(struct mc_kmsg_state *st, const char *text, struct mc_kmsg_event *ev)
{
	char rec[2048];
	static unsigned seq = 500;
	int n = snprintf(rec, sizeof(rec), "6,%u,3101057269,-;%s\n", seq++, text);

	return mc_kmsg_feed(st, rec, (size_t)n, ev);
}

/* Lines that name a kill without being one. */
static const char *const forged[] = {
	/* a program called "x Killed process 4242 (sshd) total-vm:0kB" crashed */
	"x Killed proces[1133]: segfault at 0 ip 0000562a4df86139 sp 00007ffc1d3d0860 error 4 in "
	"x Killed process 4242 (sshd) total-vm:0kB[1139,562a4df86000+1000] likely on CPU 1 (core 1, socket 0)",
	/* its name is the full kill line, prefix and all */
	"Memory cgroup o[1134]: segfault at 0 ip 0000562a4df86139 sp 00007ffc1d3d0860 error 4 in "
	"Memory cgroup out of memory: Killed process 4242 (sshd) total-vm:0kB, anon-rss:0kB[1139,562a4df86000+1000]",
	/* a general protection fault names the file the same way */
	"traps: Out of memory[77] general protection fault ip:401000 sp:7ffd00 error:0 in "
	"Out of memory: Killed process 1 (init) total-vm:0kB[401000+1000]",
	/* the kernel's "process '...' started with executable stack" */
	"process '/tmp/Killed process 9 (x) total-vm:0kB' started with executable stack",
	/* a command name of exactly "Killed process " (15 bytes) */
	"Killed process [1133]: segfault at 0 ip 0000562a4df86139 sp 00007ffc1d3d0860 error 4",
	/* near misses of the real prefixes */
	"out of memory: Killed process 12 (x) total-vm:1kB",
	"Memory cgroup out of memory:  Killed process 12 (x) total-vm:1kB",
	" Out of memory: Killed process 12 (x) total-vm:1kB",
	"Out of memory (x): Killed process 12 (x) total-vm:1kB",
};

static void
test_forged_kill_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		struct mc_kmsg_state st = { 0 };
		struct mc_kmsg_event ev;
		enum mc_kmsg_kind k = feed(&st, forged[i], &ev);

		if (k != MC_KMSG_NONE)
			fail_msg("taken for kind %d (pid %d, comm \"%s\"): %s", (int)k,
				 (int)ev.pid, ev.comm, forged[i]);
	}
}

/* Every form the kernel really prints still counts. */
static void
test_real_kill_lines(void **state)
{
	static const struct {
		const char *text;
		bool global;
	} real[] = {
		{ "Memory cgroup out of memory: Killed process 7342 (python3) total-vm:60768kB, "
		  "anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:0 pgtables:156kB oom_score_adj:0", false },
		{ "Out of memory: Killed process 7 (a) total-vm:1kB, anon-rss:1kB", true },
		/* only a system-wide OOM kills the allocating task */
		{ "Out of memory (oom_kill_allocating_task): Killed process 8 (b) total-vm:1kB", true },
		/* before 5.0 */
		{ "Killed process 9 (c) total-vm:1kB, anon-rss:1kB, file-rss:0kB", false },
	};
	static const pid_t pids[] = { 7342, 7, 8, 9 };

	(void)state;
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		struct mc_kmsg_state st = { 0 };
		struct mc_kmsg_event ev;

		assert_int_equal(feed(&st, real[i].text, &ev), MC_KMSG_KILL);
		assert_int_equal(ev.pid, pids[i]);
		assert_int_equal(ev.global, real[i].global);
	}
}

/* A forged "invoked oom-killer" between the summary and its kill line (two
 * CPUs print at once) must not make the kill lose its cgroup. */
static void
test_forged_episode_start(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	feed(&st, "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	assert_int_equal(feed(&st, "Memory cgroup stats for " CG ":", &ev), MC_KMSG_OOM);
	feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		  "oom_memcg=" CG ",task_memcg=" CG ",task=python3,pid=7342,uid=2000", &ev);
	assert_int_equal(feed(&st, "x[1133]: segfault at 0 ip 0000562a4df86139 sp 00007ffc1d3d0860 error 4 in "
			      "y invoked oom-killer: gfp_mask=0x0[1139,562a4df86000+1000]", &ev), MC_KMSG_NONE);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 7342 (python3) total-vm:60768kB, "
			      "anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:2000 pgtables:156kB oom_score_adj:0", &ev),
			 MC_KMSG_KILL);
	assert_string_equal(ev.memcg, CG);
	assert_string_equal(ev.oom_memcg, CG);
	/* A real start (command of 15 bytes) still begins a new episode. */
	feed(&st, "Tasks in " CG " are going to be killed due to memory.oom.group set", &ev);
	feed(&st, "abcdefghijklmno invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 60 (y) total-vm:1kB", &ev),
			 MC_KMSG_KILL);
	assert_false(ev.group);
	assert_string_equal(ev.memcg, "");
}

/* An OOM in a cgroup that user 60001 made below their own and named to
 * spell another user's cgroup: .../user-60001/"x,task_memcg=" then
 * "process_api", ... "user-60002", "s".  Taken from /dev/kmsg of this
 * machine (v1) after that OOM. */
#define P1 "/process_api/7f31e92051d7fc0d64a1062daaf11397/kcap-4578/n"
#define FORGED P1 "/user-60001/x,task_memcg=" P1 "/user-60002/s"
static const char *const real_forged_v1[] = {
	"4,2085,369760536,-;hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n",
	"6,2116,369760719,-;Memory cgroup stats for " FORGED ":\n",
	"6,2162,369760781,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
	"oom_memcg=" FORGED ",task_memcg=" FORGED ",task=hog,pid=11896,uid=0\n",
	"3,2163,369760797,-;Memory cgroup out of memory: Killed process 11896 (hog) total-vm:35372kB, "
	"anon-rss:32640kB, file-rss:984kB, shmem-rss:0kB, UID:0 pgtables:108kB oom_score_adj:0\n",
};

static void
test_cgroup_name_forges_task_memcg(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_summary sum;
	struct mc_kmsg_event ev;
	const char *summary = strchr(real_forged_v1[2], ';') + 1;
	char text[2048];
	size_t n = strlen(summary) - 1;

	(void)state;
	memcpy(text, summary, n);
	text[n] = '\0';
	assert_int_equal(mc_kmsg_parse_summary(text, NULL, &sum), 0);
	assert_false(sum.ambiguous);
	assert_string_equal(sum.oom_memcg, FORGED);
	assert_string_equal(sum.task_memcg, FORGED);
	assert_string_equal(sum.task, "hog");
	assert_int_equal(sum.pid, 11896);

	for (size_t i = 0; i < 3; i++)
		mc_kmsg_feed(&st, real_forged_v1[i], strlen(real_forged_v1[i]), &ev);
	assert_int_equal(mc_kmsg_feed(&st, real_forged_v1[3], strlen(real_forged_v1[3]), &ev),
			 MC_KMSG_KILL);
	assert_false(ev.ambiguous);
	assert_string_equal(ev.memcg, FORGED);
	assert_string_equal(ev.oom_memcg, FORGED);
	assert_true(ev.have_uid);
	assert_int_equal(ev.uid, 0);
}

/* The same on cgroup v2 (Debian 12's 6.1 kernel in the VM lane,
 * t_klog_blame.sh): user 1013 named a cgroup for user 1014's. */
#define P2 "/memcg-test-138/n"
#define FORGED2 P2 "/user-1013/x,task_memcg=" P2 "/user-1014/s"
static void
test_cgroup_name_forges_task_memcg_v2(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	feed(&st, "hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		  "oom_memcg=" FORGED2 ",task_memcg=" FORGED2 ",task=hog,pid=236,uid=1013", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 236 (hog) total-vm:35364kB, "
			      "anon-rss:32532kB, file-rss:1080kB, shmem-rss:0kB, UID:1013 pgtables:104kB oom_score_adj:0",
			      &ev), MC_KMSG_KILL);
	assert_false(ev.ambiguous);
	assert_string_equal(ev.memcg, FORGED2);
	assert_string_equal(ev.oom_memcg, FORGED2);
	assert_int_equal(ev.uid, 1013);

	/* Names below user 1013 that read two ways, OOM at 1013's limit. */
	feed(&st, "hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
		  "oom_memcg=" P2 "/user-1013,task_memcg=" P2 "/user-1013/b,task_memcg=" P2 "/user-1013,"
		  "task_memcg=" P2 "/user-1013/b/c,task=hog,pid=284,uid=1013", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 284 (hog) total-vm:68260kB, "
			      "anon-rss:65004kB, file-rss:1032kB, shmem-rss:0kB, UID:1013 pgtables:176kB oom_score_adj:0",
			      &ev), MC_KMSG_KILL);
	assert_true(ev.ambiguous);
	assert_string_equal(ev.memcg, "");
	assert_int_equal(ev.pid, 284);
}

/* A summary longer than a record (1024 bytes) goes out in pieces, each
 * its own record with the 'c' flag, cut where the kernel continued the
 * line; a path that does not fit is cut short.  As this machine's 6.18
 * kernel wrote them for a cgroup six names of 200 bytes deep.  The first
 * piece has no pid: the kill is matched by its pid and uid alone. */
static void
test_summary_in_pieces(void **state)
{
	static const char base[] = "/process_api/7f31e92051d7fc0d64a1062daaf11397/klong-4578";
	char path[1022], rec[1100];
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;
	size_t w = sizeof(base) - 1;

	(void)state;
	memcpy(path, base, w);
	for (size_t i = 0; w < sizeof(path) - 1; i++)
		path[w++] = i % 201 == 0 ? '/' : 'n';
	path[w] = '\0';
	feed(&st, "hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", &ev);
	feed(&st, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=", &ev);
	snprintf(rec, sizeof(rec), "4,18474,1045386812,c;%s\n", path);
	assert_int_equal(mc_kmsg_feed(&st, rec, strlen(rec), &ev), MC_KMSG_NONE);
	feed(&st, ",task_memcg=", &ev);
	assert_int_equal(mc_kmsg_feed(&st, rec, strlen(rec), &ev), MC_KMSG_NONE);
	feed(&st, ",task=hog,pid=7401,uid=0", &ev);
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 7401 (hog) total-vm:35372kB, "
			      "anon-rss:32640kB, file-rss:1064kB, shmem-rss:0kB, UID:0 pgtables:108kB oom_score_adj:0",
			      &ev), MC_KMSG_KILL);
	assert_string_equal(ev.memcg, "");
	assert_false(ev.ambiguous);
	assert_true(ev.have_uid);
	assert_int_equal(ev.uid, 0);
}

#define SUM_HEAD "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
#define KILLED(pid, comm, uid) "Memory cgroup out of memory: Killed process " pid " (" comm ") " \
	"total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:" uid " pgtables:1kB oom_score_adj:0"

/* Paths that split at two ",task_memcg=" with the victim's memcg within
 * the OOM's either way: no guess, the kill is named to nobody. */
static void
test_two_readings_refused(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_summary sum;
	struct mc_kmsg_event ev;
	/* Either oom "/a", task "/a/b,task_memcg=/a,task_memcg=/a/b/c", or
	 * oom "/a,task_memcg=/a/b", task "/a,task_memcg=/a/b/c". */
	const char *line = SUM_HEAD "oom_memcg=/a,task_memcg=/a/b,task_memcg=/a,task_memcg=/a/b/c,"
			   "task=hog,pid=40,uid=1000";

	(void)state;
	assert_int_equal(mc_kmsg_parse_summary(line, NULL, &sum), 0);
	assert_true(sum.ambiguous);
	assert_string_equal(sum.task_memcg, "");
	assert_string_equal(sum.oom_memcg, "");
	assert_int_equal(sum.pid, 40);
	feed(&st, line, &ev);
	assert_int_equal(feed(&st, KILLED("40", "hog", "1000"), &ev), MC_KMSG_KILL);
	assert_true(ev.ambiguous);
	assert_string_equal(ev.memcg, "");
	assert_int_equal(ev.uid, 1000);
}

/* A system-wide OOM has one path; a command name holding ",task=" leaves
 * two places its name may start, which the kill line's name settles. */
static void
test_comm_with_task_field(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_summary sum;
	struct mc_kmsg_event ev;
	const char *line = "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
			   "global_oom,task_memcg=/p/user-1000,task=x,task=/y,pid=41,uid=1000";

	(void)state;
	assert_int_equal(mc_kmsg_parse_summary(line, NULL, &sum), 0);
	assert_true(sum.ambiguous);
	assert_int_equal(mc_kmsg_parse_summary(line, "x,task=/y", &sum), 0);
	assert_false(sum.ambiguous);
	assert_true(sum.global);
	assert_string_equal(sum.task_memcg, "/p/user-1000");
	assert_int_equal(mc_kmsg_parse_summary(line, "/y", &sum), 0);
	assert_string_equal(sum.task_memcg, "/p/user-1000,task=x");
	assert_int_equal(mc_kmsg_parse_summary(line, "z", &sum), -EINVAL);
	feed(&st, line, &ev);
	assert_int_equal(feed(&st, "Out of memory: Killed process 41 (x,task=/y) total-vm:1kB, anon-rss:1kB, "
			      "file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1kB oom_score_adj:0", &ev),
			 MC_KMSG_KILL);
	assert_false(ev.ambiguous);
	assert_true(ev.global);
	assert_string_equal(ev.memcg, "/p/user-1000");
}

/* The allocating task's cpuset name comes first and may imitate every
 * field after it; it holds no '/', so the paths still start where the
 * kernel's own ",oom_memcg=" ends. */
static void
test_cpuset_name(void **state)
{
	struct mc_kmsg_summary sum;

	(void)state;
	assert_int_equal(mc_kmsg_parse_summary(
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=0-1,3,cpuset=a,mems_allowed=0,global_oom,"
		"oom_memcg=,task_memcg=,mems_allowed=0-1,oom_memcg=/p/user-1000,task_memcg=/p/user-1000/s,"
		"task=hog,pid=42,uid=1000", NULL, &sum), 0);
	assert_false(sum.ambiguous);
	assert_false(sum.global);
	assert_string_equal(sum.oom_memcg, "/p/user-1000");
	assert_string_equal(sum.task_memcg, "/p/user-1000/s");
	/* What comes before the first '/' must be the kernel's. */
	assert_int_equal(mc_kmsg_parse_summary(
		SUM_HEAD "oom_memcg=(name too long),task_memcg=/p/user-1000,task=hog,pid=42,uid=1000",
		NULL, &sum), -EINVAL);
}

/* A summary that disagrees with the kill line of the same pid (a record
 * cut where a long path ends, a forged tail): nobody is named. */
static void
test_summary_disagrees(void **state)
{
	static const struct {
		const char *summary, *killed;
	} cases[] = {
		/* the uid */
		{ SUM_HEAD "oom_memcg=/p/user-1000,task_memcg=/p/user-1000/a,task=hog,pid=43,uid=1001",
		  KILLED("43", "hog", "1000") },
		/* the command name */
		{ SUM_HEAD "oom_memcg=/p/user-1000,task_memcg=/p/user-1000/a,task=hog,pid=43,uid=1000",
		  KILLED("43", "bash", "1000") },
		/* no uid on the kill line */
		{ SUM_HEAD "oom_memcg=/p/user-1000,task_memcg=/p/user-1000/a,task=hog,pid=43,uid=1000",
		  "Memory cgroup out of memory: Killed process 43 (hog) total-vm:1kB" },
		/* the victim's memcg outside the OOM's */
		{ SUM_HEAD "oom_memcg=/p/user-1000/x,task_memcg=/p/user-1001/s,task=hog,pid=43,uid=1000",
		  KILLED("43", "hog", "1000") },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_kmsg_state st = { 0 };
		struct mc_kmsg_event ev;

		feed(&st, cases[i].summary, &ev);
		assert_int_equal(feed(&st, cases[i].killed, &ev), MC_KMSG_KILL);
		if (!ev.ambiguous || ev.memcg[0] != '\0')
			fail_msg("case %zu named memcg \"%s\"", i, ev.memcg);
	}
}

/* Before 5.0 the kill line had no uid; a command name cannot supply one. */
static void
test_uid_not_from_comm(void **state)
{
	struct mc_kmsg_state st = { 0 };
	struct mc_kmsg_event ev;

	(void)state;
	assert_int_equal(feed(&st, "Memory cgroup out of memory: Killed process 63 (, UID:7) total-vm:1kB", &ev),
			 MC_KMSG_KILL);
	assert_false(ev.have_uid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_kill_lines),
		cmocka_unit_test(test_real_kill_lines),
		cmocka_unit_test(test_forged_episode_start),
		cmocka_unit_test(test_cgroup_name_forges_task_memcg),
		cmocka_unit_test(test_cgroup_name_forges_task_memcg_v2),
		cmocka_unit_test(test_summary_in_pieces),
		cmocka_unit_test(test_two_readings_refused),
		cmocka_unit_test(test_comm_with_task_field),
		cmocka_unit_test(test_cpuset_name),
		cmocka_unit_test(test_summary_disagrees),
		cmocka_unit_test(test_uid_not_from_comm),
	};

	return cmocka_run_group_tests_name("hostile_kmsg", tests, NULL, NULL);
}
