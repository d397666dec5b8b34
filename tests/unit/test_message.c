/* Unit tests for lib/message.c and lib/metrics.c: what a notice says for
 * each kind of event, that hostile names arrive neutralised, the mail
 * headers, and the Prometheus text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"
#include "metrics.h"
#include "parse.h"

#define MIB (1024ULL * 1024)

static struct mc_msg
base_msg(enum mc_event_kind k)
{
	struct mc_msg m = {
		.host = "build01", .when = 1763826001, /* 2025-11-22 15:40:01 UTC */
		.user = "alice", .uid = 1000, .cgroup = "/sys/fs/cgroup/memory/pam_memcg/user-1000",
		.limit = 64 * MIB, .usage = 12 * MIB + MIB / 2, .peak = 64 * MIB, .have_peak = 1,
		.warn_at = 9000,
	};

	m.ev.kind = k;
	m.ev.count = 1;
	m.ev.victim.pid = 4242;
	strcpy(m.ev.victim.comm, "python3");
	m.ev.victim.scope = MC_SCOPE_OWN;
	return m;
}

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	return 0;
}

static void
test_kill(void **state)
{
	struct mc_msg m = base_msg(MC_EV_KILL);
	char buf[2048];

	(void)state;
	assert_true(mc_msg_format(&m, "\r\n", buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
		"\r\nMessage from memcg-notifier@build01 at 2025-11-22 15:40:01 UTC:\r\n"
		"A process of yours was killed: your sessions together reached their memory limit.\r\n"
		"  process: 4242 (python3)\r\n"
		"  limit:   64.0 MiB\r\n"
		"  usage:   12.5 MiB now, 64.0 MiB at the peak\r\n"
		"Run `memcgctl status` to see your memory use.\r\n");
	/* Every line ends in \r\n: no bare \n. */
	for (char *p = strchr(buf, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		assert_true(p > buf && p[-1] == '\r');
}

static void
test_kinds(void **state)
{
	char buf[2048];
	struct mc_msg m;

	(void)state;
	m = base_msg(MC_EV_NOKILL);
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "a memory allocation failed; no process was killed"));
	assert_null(strstr(buf, "process:"));
	m = base_msg(MC_EV_GROUP_KILL);
	m.ev.count = 7;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "All processes of your sessions were killed together"));
	assert_non_null(strstr(buf, "  killed:  7 processes\n"));
	m = base_msg(MC_EV_OUTSIDE_KILL);
	m.ev.victim.scope = MC_SCOPE_GLOBAL;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "the whole system ran out of memory, not because of your own limit"));
	m.ev.victim.scope = MC_SCOPE_ANCESTOR;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "a memory limit shared with others was reached"));
	m = base_msg(MC_EV_WARN);
	m.usage = 60 * MIB;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "using 93% of their memory limit (the warning is at 90%)"));
	/* Unknown victim, unknown command, no limit, no peak. */
	m = base_msg(MC_EV_KILL);
	m.ev.victim.pid = 0;
	m.limit = MC_UNLIMITED;
	m.have_peak = 0;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "  process: unknown\n"));
	assert_non_null(strstr(buf, "  limit:   none\n"));
	assert_non_null(strstr(buf, "  usage:   12.5 MiB now\n"));
	m.ev.victim.pid = 5;
	m.ev.victim.comm[0] = '\0';
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "  process: 5 (command unknown)\n"));
	/* Too small a buffer. */
	assert_int_equal(mc_msg_format(&m, "\n", buf, 40), -ENOSPC);
}

static void
test_hostile_names(void **state)
{
	struct mc_msg m = base_msg(MC_EV_KILL);
	char buf[2048], log[1024];

	(void)state;
	strcpy(m.ev.victim.comm, "\x1b]0;pwn\x07\x1b[2J\x9b" "1m");
	m.host = "evil\x1b[5mhost";
	m.user = "bob\r\nroot";
	assert_true(mc_msg_format(&m, "\r\n", buf, sizeof(buf)) > 0);
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\x07'));
	assert_null(strchr(buf, (char)0x9b));
	assert_non_null(strstr(buf, "4242 (\\x1b]0;pwn\\x07\\x1b[2J\\x9b1m)"));
	assert_non_null(strstr(buf, "memcg-notifier@evil\\x1b[5mhost"));
	assert_true(mc_msg_logline(&m, log, sizeof(log)) > 0);
	assert_null(strchr(log, '\n'));
	assert_null(strchr(log, '\r'));
	assert_non_null(strstr(log, "user bob\\x0d\\x0aroot (uid 1000)"));
}

static void
test_summary(void **state)
{
	struct mc_msg m = base_msg(MC_EV_KILL);
	struct mc_summary s = { .since = 1763826000 };
	char buf[2048];

	(void)state;
	s.count[MC_EV_KILL] = 3;
	s.count[MC_EV_WARN] = 1;
	assert_true(mc_msg_format_summary(&m, &s, "\r\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "3 more processes were killed since 2025-11-22 15:40:00 UTC"));
	assert_non_null(strstr(buf, "1 more memory use warning since"));
	s.count[MC_EV_KILL] = 1;
	assert_true(mc_msg_format_summary(&m, &s, "\r\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "1 more process was killed since"));
}

static void
test_logline(void **state)
{
	struct mc_msg m = base_msg(MC_EV_KILL);
	char log[1024];

	(void)state;
	assert_true(mc_msg_logline(&m, log, sizeof(log)) > 0);
	assert_string_equal(log, "oom_kill: user alice (uid 1000) cgroup /sys/fs/cgroup/memory/pam_memcg/user-1000 "
			    "victim 4242 (python3) limit 64.0 MiB usage 12.5 MiB peak 64.0 MiB");
}

/* A refused fork: the task limit and count, not the memory numbers. */
static void
test_tasks(void **state)
{
	struct mc_msg m = base_msg(MC_EV_TASKS);
	struct mc_summary s = { .since = 1763826000 };
	char buf[2048], subject[256];

	(void)state;
	m.ev.count = 21;
	m.have_tasks = 1;
	m.tasks = 510;
	m.tasks_max = 512;
	assert_true(mc_msg_format(&m, "\r\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "21 new processes of yours were refused: your sessions together reached their limit on processes and threads (tasks_max).\r\n"));
	assert_non_null(strstr(buf, "  limit:   512 processes and threads\r\n  running: 510 now\r\n"));
	assert_null(strstr(buf, "MiB"));
	assert_null(strstr(buf, "process: "));
	m.ev.count = 1;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "A new process of yours was refused"));
	/* Told by the kernel log only: no count. */
	m.ev.count = 0;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "A new process of yours was refused"));
	m.have_tasks = 0;
	assert_true(mc_msg_format(&m, "\n", buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "limit:"));
	m.have_tasks = 1;
	m.ev.count = 21;
	assert_true(mc_msg_logline(&m, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "tasks_max: user alice (uid 1000) cgroup /sys/fs/cgroup/memory/pam_memcg/user-1000 "
			    "refused 21 tasks 510 tasks_max 512");
	mc_msg_subject(&m, NULL, subject, sizeof(subject));
	assert_string_equal(subject, "[build01] a new process was refused at your process limit");
	s.count[MC_EV_TASKS] = 4;
	assert_true(mc_msg_format_summary(&m, &s, "\n", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "4 more times since 2025-11-22 15:40:00 UTC, new processes of yours were refused"));
	assert_non_null(strstr(buf, "  running: 510 now\n"));
	mc_msg_subject(&m, &s, subject, sizeof(subject));
	assert_string_equal(subject, "[build01] more limit events");
}

static void
test_mail(void **state)
{
	struct mc_msg m = base_msg(MC_EV_KILL);
	struct mc_mail mail = { .from = "root", .to = "alice", .date = 1763826001, .body = "text\n" };
	char subject[256], buf[4096];
	int n;

	(void)state;
	mc_msg_subject(&m, NULL, subject, sizeof(subject));
	assert_string_equal(subject, "[build01] a process was killed at your memory limit");
	mail.subject = subject;
	n = mc_mail_build(&mail, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf,
		"To: alice\nFrom: root\n"
		"Subject: [build01] a process was killed at your memory limit\n"
		"Date: Sat, 22 Nov 2025 15:40:01 +0000\n"
		"Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
		"\ntext\n");
	/* CR/LF in a header value cannot add headers. */
	mail.subject = "x\r\nBcc: mallory@example.org";
	mail.from = "root\nCc: eve";
	n = mc_mail_build(&mail, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "Subject: x\\x0d\\x0aBcc: mallory@example.org\n"));
	assert_non_null(strstr(buf, "From: root\\x0aCc: eve\n"));
	assert_null(strstr(buf, "\nBcc:"));
	assert_null(strstr(buf, "\nCc:"));
	/* Recipients must be plain local names. */
	mail.to = "alice, mallory@example.org";
	assert_int_equal(mc_mail_build(&mail, buf, sizeof(buf)), -EINVAL);
	mail.to = "-oQ/tmp/x";
	assert_int_equal(mc_mail_build(&mail, buf, sizeof(buf)), -EINVAL);
	mail.to = "";
	assert_int_equal(mc_mail_build(&mail, buf, sizeof(buf)), -EINVAL);
	mail.to = "a\nb";
	assert_int_equal(mc_mail_build(&mail, buf, sizeof(buf)), -EINVAL);
	assert_true(mc_mail_local_ok("build-bot_2.x"));
	mail.to = "alice";
	assert_int_equal(mc_mail_build(&mail, buf, 20), -ENOSPC);
	/* Non-ASCII in a subject is escaped, not sent raw. */
	mail.subject = "gr\xc3\xbc\xc3\x9f";
	assert_true(mc_mail_build(&mail, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Subject: gr\\u00fc\\u00df\n"));
}

static void
test_date(void **state)
{
	char buf[64];

	(void)state;
	mc_rfc5322_date(0, buf, sizeof(buf));
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 +0000");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	mc_rfc5322_date(0, buf, sizeof(buf));
	assert_string_equal(buf, "Thu, 01 Jan 1970 05:30:00 +0530");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
test_metrics(void **state)
{
	struct mc_metric_user u[2] = {
		{ .uid = 1000, .user = "alice", .have_cgroup = true, .limit = 64 * MIB,
		  .usage = 1024, .peak = 2048, .have_peak = true, .oom_kills = 3 },
		{ .uid = 1001, .user = "we\"ird\\", .have_cgroup = false, .oom_kills = 0 },
	};
	char buf[8192];

	(void)state;
	u[0].events[MC_EV_KILL] = 3;
	assert_true(mc_metrics_format(u, 2, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "# TYPE pam_memcg_memory_limit_bytes gauge\n"
				    "pam_memcg_memory_limit_bytes{uid=\"1000\",user=\"alice\"} 67108864\n"));
	assert_non_null(strstr(buf, "pam_memcg_memory_usage_bytes{uid=\"1000\",user=\"alice\"} 1024\n"));
	assert_non_null(strstr(buf, "pam_memcg_memory_peak_bytes{uid=\"1000\",user=\"alice\"} 2048\n"));
	assert_non_null(strstr(buf, "# TYPE pam_memcg_oom_kills_total counter\n"
				    "pam_memcg_oom_kills_total{uid=\"1000\",user=\"alice\"} 3\n"));
	assert_non_null(strstr(buf, "pam_memcg_events_total{uid=\"1000\",user=\"alice\",event=\"oom_kill\"} 3\n"));
	/* No gauges without a cgroup; label values escaped. */
	assert_null(strstr(buf, "pam_memcg_memory_limit_bytes{uid=\"1001\""));
	assert_non_null(strstr(buf, "pam_memcg_oom_kills_total{uid=\"1001\",user=\"we\\\"ird\\\\\\\\\"} 0\n"));
	assert_null(strstr(buf, "pam_memcg_tasks{"));
	/* CPU and task figures, where the cgroup has them. */
	u[0].have_tasks = u[0].have_cpu_usage = u[0].have_cpu_quota = true;
	u[0].tasks = 12;
	u[0].tasks_max = 512;
	u[0].cpu_usage_us = 2500000;
	u[0].cpu_throttled_us = 125000;
	u[0].cpu_quota_us = 50000;
	u[0].events[MC_EV_TASKS] = 2;
	assert_true(mc_metrics_format(u, 2, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "pam_memcg_tasks{uid=\"1000\",user=\"alice\"} 12\n"));
	assert_non_null(strstr(buf, "pam_memcg_tasks_limit{uid=\"1000\",user=\"alice\"} 512\n"));
	assert_non_null(strstr(buf, "pam_memcg_cpu_usage_seconds{uid=\"1000\",user=\"alice\"} 2.5\n"));
	assert_non_null(strstr(buf, "pam_memcg_cpu_throttled_seconds{uid=\"1000\",user=\"alice\"} 0.125\n"));
	assert_non_null(strstr(buf, "pam_memcg_cpu_limit_cpus{uid=\"1000\",user=\"alice\"} 0.5\n"));
	assert_non_null(strstr(buf, "pam_memcg_events_total{uid=\"1000\",user=\"alice\",event=\"tasks_max\"} 2\n"));
	/* No limit: no limit series. */
	u[0].tasks_max = u[0].cpu_quota_us = MC_UNLIMITED;
	assert_true(mc_metrics_format(u, 2, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "pam_memcg_tasks_limit{"));
	assert_null(strstr(buf, "pam_memcg_cpu_limit_cpus{"));
	assert_int_equal(mc_metrics_format(u, 2, buf, 100), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_logline),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
