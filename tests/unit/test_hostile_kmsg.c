/* Unit tests for lib/kmsg.c against kernel log lines that carry names a
 * user chose: a segfault line ends in the file name of the program that
 * crashed, so any user can put "Killed process 1 (sshd) total-vm:0kB" or
 * "invoked oom-killer: gfp_mask=" into the kernel log.  The records below
 * are as this machine's 6.18 kernel wrote them to /dev/kmsg. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_kill_lines),
		cmocka_unit_test(test_real_kill_lines),
		cmocka_unit_test(test_forged_episode_start),
	};

	return cmocka_run_group_tests_name("hostile_kmsg", tests, NULL, NULL);
}
