/* Unit tests for lib/config.c: every key with good and bad values, the
 * defaults, the file:line of every reported problem, and the file checks
 * mc_config_load makes before it reads (run as root: it chowns). */
#include "unit.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>

#include "config.h"
#include "parse.h"
#include "rules.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
/* The RAM the parse-only tests pretend to have. */
#define RAM (16 * GiB)

static int
parse_len(const char *text, size_t len, uint64_t ram, struct errlog *log,
	  struct mc_config **cfg)
{
	struct mc_errsink sink = errlog_sink(log);

	return mc_config_parse("test.conf", text, len, ram, &sink, cfg);
}

static int
parse(const char *text, struct errlog *log, struct mc_config **cfg)
{
	return parse_len(text, strlen(text), RAM, log, cfg);
}

/* Parses text that must be accepted without a word. */
static struct mc_config *
parse_ok(const char *text)
{
	struct mc_config *cfg = NULL;
	struct errlog log;
	int r = parse(text, &log, &cfg);

	if (r != 0 || log.n != 0 || cfg == NULL) {
		errlog_dump(&log);
		fail_msg("rejected (%d, %d reports):\n%s", r, log.n, text);
	}
	return cfg;
}

/* Parses text that must be refused with exactly one problem on line,
 * whose message contains needle. */
static void
expect_one_error_len(const char *what, const char *text, size_t len, int line,
		     const char *needle)
{
	struct mc_config *cfg = (struct mc_config *)&cfg;
	struct errlog log;
	int r = parse_len(text, len, RAM, &log, &cfg);

	if (r != -EINVAL || cfg != NULL) {
		errlog_dump(&log);
		fail_msg("%s: parse returned %d, config %p; want -EINVAL and NULL",
			 what, r, (void *)cfg);
	}
	if (log.n != 1 || strcmp(log.e[0].file, "test.conf") != 0 ||
	    log.e[0].line != line || strstr(log.e[0].msg, needle) == NULL) {
		errlog_dump(&log);
		fail_msg("%s: want exactly one report at test.conf:%d containing \"%s\"",
			 what, line, needle);
	}
}

static void
expect_one_error(const char *text, int line, const char *needle)
{
	expect_one_error_len(text, text, strlen(text), line, needle);
}

static bool
size_eq(const struct mc_size *a, enum mc_size_kind kind, uint64_t bytes, uint32_t bp)
{
	if (a->kind != kind)
		return false;
	if (kind == MC_SIZE_BYTES)
		return a->bytes == bytes;
	if (kind == MC_SIZE_PERCENT)
		return a->basis_points == bp;
	return true;
}

/* ------------------------------------------------------------------ */
/* Defaults and good values                                            */

static void
test_defaults(void **state)
{
	static const char *const texts[] = {
		"",
		"\n\n\n",
		"# only comments\n// of every kind\n/* block\n   comment */\n",
		"default {\n}\nnotify {\n}\n",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(texts); i++) {
		struct mc_config *c = parse_ok(texts[i]);

		assert_string_equal(c->path, "test.conf");
		assert_int_equal(c->cgroup_version, MC_CG_AUTO);
		assert_int_equal(c->cgroup_backend, MC_BACKEND_AUTO);
		assert_string_equal(c->cgroup_parent, "pam_memcg");
		assert_int_equal(c->min_uid, 1000);
		assert_int_equal(c->n_exempt_users, 1);
		assert_string_equal(c->exempt_users[0], "root");
		assert_int_equal(c->n_exempt_groups, 0);
		assert_int_equal(c->on_error, MC_ON_ERROR_IGNORE);
		assert_int_equal(c->group_lookup, MC_GROUPS_MEMBERS);

		assert_true(size_eq(&c->def.memory_max, MC_SIZE_PERCENT, 0, 2500));
		assert_true(size_eq(&c->def.memory_high, MC_SIZE_MAX, 0, 0));
		assert_true(size_eq(&c->def.swap_max, MC_SIZE_MAX, 0, 0));
		assert_false(c->def.oom_group);
		assert_null(c->def.name);
		assert_int_equal(c->def.set, 0);
		assert_int_equal(c->n_groups, 0);
		assert_int_equal(c->n_users, 0);

		assert_true(c->notify.tty);
		assert_false(c->notify.ignore_mesg);
		assert_false(c->notify.mail);
		assert_string_equal(c->notify.sendmail, "/usr/sbin/sendmail");
		assert_string_equal(c->notify.mail_from, "root");
		assert_int_equal(c->notify.rate_limit, 60);
		assert_int_equal(c->notify.warn_at, 9000);
		assert_string_equal(c->notify.metrics_file, "");
		/* Rules take their notification keys from notify. */
		assert_true(c->def.tty);
		assert_false(c->def.mail);
		assert_int_equal(c->def.warn_at, 9000);
		mc_config_free(c);
	}
}

static void
test_every_key(void **state)
{
	static const char text[] =
		"cgroup_version = v2\n"				/* 1 */
		"cgroup_parent = \"system.slice/memcg\"\n"
		"min_uid = 500\n"
		"exempt_users = {\"root\", \"backup\"}\n"
		"exempt_groups = {\"wheel\", \"adm\"}\n"		/* 5 */
		"on_error = fail\n"
		"default {\n"
		"  memory_max = \"2G\"\n"
		"  memory_high = \"1536M\"\n"
		"  swap_max = \"0\"\n"				/* 10 */
		"  oom_group = true\n"
		"}\n"
		"group \"students\" {\n"
		"  memory_max = \"12.5%\"\n"
		"  memory_high = \"max\"\n"			/* 15 */
		"  tty = false\n"
		"  mail = true\n"
		"  warn_at = \"80%\"\n"
		"}\n"
		"group \"staff\" {\n"				/* 20 */
		"  swap_max = \"1G\"\n"
		"}\n"
		"user \"alice\" {\n"
		"  memory_max = \"8G\"\n"
		"  oom_group = false\n"				/* 25 */
		"  warn_at = \"off\"\n"
		"}\n"
		"notify {\n"
		"  tty = false\n"
		"  ignore_mesg = true\n"			/* 30 */
		"  mail = true\n"
		"  sendmail = \"/usr/lib/sendmail\"\n"
		"  mail_from = \"memcg@example.org\"\n"
		"  rate_limit = 300\n"
		"  warn_at = \"75.5%\"\n"			/* 35 */
		"  metrics_file = \"/run/pam_memcg.prom\"\n"
		"}\n";
	struct mc_config *c;
	const struct mc_rule *g, *u;

	(void)state;
	c = parse_ok(text);
	assert_int_equal(c->cgroup_version, MC_CG_V2);
	assert_string_equal(c->cgroup_parent, "system.slice/memcg");
	assert_int_equal(c->min_uid, 500);
	assert_int_equal(c->n_exempt_users, 2);
	assert_string_equal(c->exempt_users[0], "root");
	assert_string_equal(c->exempt_users[1], "backup");
	assert_int_equal(c->n_exempt_groups, 2);
	assert_string_equal(c->exempt_groups[0], "wheel");
	assert_string_equal(c->exempt_groups[1], "adm");
	assert_int_equal(c->on_error, MC_ON_ERROR_FAIL);

	assert_true(size_eq(&c->def.memory_max, MC_SIZE_BYTES, 2 * GiB, 0));
	assert_true(size_eq(&c->def.memory_high, MC_SIZE_BYTES, 1536 * MiB, 0));
	assert_true(size_eq(&c->def.swap_max, MC_SIZE_BYTES, 0, 0));
	assert_true(c->def.oom_group);
	assert_int_equal(c->def.set, MC_SET_MEMORY_MAX | MC_SET_MEMORY_HIGH |
				     MC_SET_SWAP_MAX | MC_SET_OOM_GROUP);

	/* File order; each rule fills what it leaves out from default. */
	assert_int_equal(c->n_groups, 2);
	g = &c->groups[0];
	assert_string_equal(g->name, "students");
	assert_int_equal(g->line, 19);
	assert_true(size_eq(&g->memory_max, MC_SIZE_PERCENT, 0, 1250));
	assert_true(size_eq(&g->memory_high, MC_SIZE_MAX, 0, 0));
	assert_true(size_eq(&g->swap_max, MC_SIZE_BYTES, 0, 0));
	assert_true(g->oom_group);
	assert_false(g->tty);
	assert_true(g->mail);
	assert_int_equal(g->warn_at, 8000);
	assert_int_equal(g->set, MC_SET_MEMORY_MAX | MC_SET_MEMORY_HIGH | MC_SET_TTY |
				 MC_SET_MAIL | MC_SET_WARN_AT);

	g = &c->groups[1];
	assert_string_equal(g->name, "staff");
	assert_int_equal(g->line, 22);
	assert_true(size_eq(&g->memory_max, MC_SIZE_BYTES, 2 * GiB, 0));
	assert_true(size_eq(&g->memory_high, MC_SIZE_BYTES, 1536 * MiB, 0));
	assert_true(size_eq(&g->swap_max, MC_SIZE_BYTES, GiB, 0));
	assert_true(g->oom_group);
	assert_false(g->tty);		/* from notify */
	assert_true(g->mail);		/* from notify */
	assert_int_equal(g->warn_at, 7550);
	assert_int_equal(g->set, MC_SET_SWAP_MAX);

	assert_int_equal(c->n_users, 1);
	u = &c->users[0];
	assert_string_equal(u->name, "alice");
	assert_int_equal(u->line, 27);
	assert_true(size_eq(&u->memory_max, MC_SIZE_BYTES, 8 * GiB, 0));
	assert_true(size_eq(&u->memory_high, MC_SIZE_BYTES, 1536 * MiB, 0));
	assert_false(u->oom_group);
	assert_int_equal(u->warn_at, 0);
	assert_int_equal(u->set, MC_SET_MEMORY_MAX | MC_SET_OOM_GROUP | MC_SET_WARN_AT);

	assert_false(c->notify.tty);
	assert_true(c->notify.ignore_mesg);
	assert_true(c->notify.mail);
	assert_string_equal(c->notify.sendmail, "/usr/lib/sendmail");
	assert_string_equal(c->notify.mail_from, "memcg@example.org");
	assert_int_equal(c->notify.rate_limit, 300);
	assert_int_equal(c->notify.warn_at, 7550);
	assert_string_equal(c->notify.metrics_file, "/run/pam_memcg.prom");
	mc_config_free(c);
}

/* Only len bytes are parsed, whatever follows them. */
static void
test_parse_honours_len(void **state)
{
	static const char text[] = "min_uid = 5\nbogus = 1\n";
	struct mc_config *c = NULL;
	struct errlog log;

	(void)state;
	assert_int_equal(parse_len(text, strlen("min_uid = 5\n"), RAM, &log, &c), 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(c->min_uid, 5);
	mc_config_free(c);
	assert_int_equal(parse_len(text, strlen(text), RAM, &log, &c), -EINVAL);
	assert_null(c);
}

static void
test_enums(void **state)
{
	static const struct {
		const char *text;
		int version, on_error;
	} good[] = {
		{ "cgroup_version = auto\n", MC_CG_AUTO, MC_ON_ERROR_IGNORE },
		{ "cgroup_version = v1\n", MC_CG_V1, MC_ON_ERROR_IGNORE },
		{ "cgroup_version = \"v2\"\n", MC_CG_V2, MC_ON_ERROR_IGNORE },
		{ "on_error = ignore\n", MC_CG_AUTO, MC_ON_ERROR_IGNORE },
		{ "on_error = fail\n", MC_CG_AUTO, MC_ON_ERROR_FAIL },
	};
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "\ncgroup_version = v3\n", "\"v3\"" },
		{ "\ncgroup_version = V2\n", "\"V2\"" },
		{ "\ncgroup_version = 2\n", "auto, v1 or v2" },
		{ "\ncgroup_version = \"\"\n", "auto, v1 or v2" },
		{ "\non_error = abort\n", "\"abort\"" },
		{ "\non_error = FAIL\n", "ignore or fail" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c = parse_ok(good[i].text);

		if ((int)c->cgroup_version != good[i].version ||
		    (int)c->on_error != good[i].on_error)
			fail_msg("%s: version %d, on_error %d", good[i].text,
				 c->cgroup_version, c->on_error);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		expect_one_error(bad[i].text, 2, bad[i].needle);
}

/* group_lookup: members (the default) or initgroups; anything else is one
 * error on its line, and so is a second setting. */
static void
test_group_lookup(void **state)
{
	static const struct {
		const char *text;
		enum mc_group_lookup want;
	} good[] = {
		{ "group_lookup = members\n", MC_GROUPS_MEMBERS },
		{ "group_lookup = \"initgroups\"\n", MC_GROUPS_INITGROUPS },
		{ "min_uid = 1000\n", MC_GROUPS_MEMBERS },
	};
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "\ngroup_lookup = all\n", "members or initgroups, not \"all\"" },
		{ "\ngroup_lookup = Members\n", "\"Members\"" },
		{ "\ngroup_lookup = \"\"\n", "members or initgroups" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c = parse_ok(good[i].text);

		if (c->group_lookup != good[i].want)
			fail_msg("%s: group_lookup %d", good[i].text, c->group_lookup);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		expect_one_error(bad[i].text, 2, bad[i].needle);
	expect_one_error("group_lookup = members\ngroup_lookup = initgroups\n", 2, "group_lookup");
}

/* cgroup_backend: the three words, quoted or not; anything else is one
 * error on its line; given twice is an error on the second. */
static void
test_cgroup_backend(void **state)
{
	static const struct {
		const char *text;
		enum mc_backend want;
	} good[] = {
		{ "cgroup_backend = auto\n", MC_BACKEND_AUTO },
		{ "cgroup_backend = cgroupfs\n", MC_BACKEND_CGROUPFS },
		{ "cgroup_backend = systemd\n", MC_BACKEND_SYSTEMD },
		{ "cgroup_backend = \"systemd\"\n", MC_BACKEND_SYSTEMD },
		{ "cgroup_version = v2\ncgroup_backend = systemd\n", MC_BACKEND_SYSTEMD },
		{ "cgroup_backend = cgroupfs\ncgroup_parent = \"x\"\n", MC_BACKEND_CGROUPFS },
		{ "min_uid = 5\n", MC_BACKEND_AUTO },
	};
	static const struct {
		const char *text, *needle;
		int line;
	} bad[] = {
		{ "\ncgroup_backend = systemd-logind\n", "\"systemd-logind\"", 2 },
		{ "\ncgroup_backend = Systemd\n", "auto, cgroupfs or systemd", 2 },
		{ "\ncgroup_backend = cgroupfs2\n", "\"cgroupfs2\"", 2 },
		{ "\ncgroup_backend = v2\n", "auto, cgroupfs or systemd", 2 },
		{ "\ncgroup_backend = \"\"\n", "auto, cgroupfs or systemd", 2 },
		{ "\n\ncgroup_backend = 1\n", "auto, cgroupfs or systemd", 3 },
		{ "cgroup_backend = auto\ncgroup_backend = systemd\n", "cgroup_backend", 2 },
		/* Not a rule key. */
		{ "default {\n cgroup_backend = systemd\n}\n", "cgroup_backend", 2 },
		{ "user \"a\" {\n\n cgroup_backend = cgroupfs\n}\n", "cgroup_backend", 3 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c = parse_ok(good[i].text);

		if (c->cgroup_backend != good[i].want)
			fail_msg("%s: cgroup_backend %d, want %d", good[i].text,
				 (int)c->cgroup_backend, (int)good[i].want);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		expect_one_error(bad[i].text, bad[i].line, bad[i].needle);
}

static void
test_cgroup_parent(void **state)
{
	static const struct {
		const char *value, *want;
	} good[] = {
		{ "pam_memcg", "pam_memcg" },
		{ "a/b", "a/b" },
		{ "a/b/c/d", "a/b/c/d" },
		{ "/pam_memcg", "pam_memcg" },
		{ "///a/b", "a/b" },
		{ "a/b/", "a/b" },
		{ "user.slice", "user.slice" },
		{ "x.y_z-@:+9", "x.y_z-@:+9" },
		{ "..a/b..", "..a/b.." },
		{ "...", "..." },
	};
	static const char *const bad[] = {
		"", "/", "//", ".", "..", "./a", "a/.", "a/..", "a/./b", "a/../b",
		"../etc", "a//b", "a b", "a\\tb", "a\\nb", "a\\\\b", "caf\xc3\xa9", "a*",
		"a/b//",
	};
	char text[2200];

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c;

		snprintf(text, sizeof(text), "cgroup_parent = \"%s\"\n", good[i].value);
		c = parse_ok(text);
		if (strcmp(c->cgroup_parent, good[i].want) != 0)
			fail_msg("cgroup_parent \"%s\" became \"%s\", want \"%s\"",
				 good[i].value, c->cgroup_parent, good[i].want);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		snprintf(text, sizeof(text), "min_uid = 1000\ncgroup_parent = \"%s\"\n", bad[i]);
		expect_one_error(text, 2, "cgroup_parent");
	}

	/* Length: 1024 characters are fine, 1025 are not. */
	{
		char value[1100];
		struct mc_config *c;

		memset(value, 'a', sizeof(value));
		value[1024] = '\0';
		snprintf(text, sizeof(text), "cgroup_parent = \"%s\"\n", value);
		c = parse_ok(text);
		assert_int_equal(strlen(c->cgroup_parent), 1024);
		mc_config_free(c);
		value[1024] = 'a';
		value[1025] = '\0';
		snprintf(text, sizeof(text), "cgroup_parent = \"%s\"\n", value);
		expect_one_error(text, 1, "too long");
	}
}

static void
test_booleans(void **state)
{
	static const struct {
		const char *value;
		bool want;
	} good[] = {
		{ "true", true }, { "false", false }, { "yes", true }, { "no", false },
		{ "on", true }, { "off", false }, { "TRUE", true }, { "\"false\"", false },
	};
	static const char *const bad[] = { "maybe", "1", "0", "\"\"", "truee", "-1" };
	static const char *const keys[] = { "oom_group", "tty", "mail" };
	char text[256];

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c;

		snprintf(text, sizeof(text),
			 "default {\n oom_group = %s\n}\n"
			 "user \"u\" {\n tty = %s\n mail = %s\n}\n"
			 "notify {\n tty = %s\n ignore_mesg = %s\n mail = %s\n}\n",
			 good[i].value, good[i].value, good[i].value, good[i].value,
			 good[i].value, good[i].value);
		c = parse_ok(text);
		if (c->def.oom_group != good[i].want || c->users[0].tty != good[i].want ||
		    c->users[0].mail != good[i].want || c->notify.tty != good[i].want ||
		    c->notify.ignore_mesg != good[i].want || c->notify.mail != good[i].want)
			fail_msg("boolean %s not read as %d", good[i].value, good[i].want);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		for (size_t k = 0; k < NELEM(keys); k++) {
			snprintf(text, sizeof(text), "group \"g\" {\n\n %s = %s\n}\n",
				 keys[k], bad[i]);
			expect_one_error(text, 3, keys[k]);
		}
	}
}

static void
test_numbers(void **state)
{
	static const struct {
		const char *text;
		uid_t min_uid;
		unsigned rate_limit;
	} good[] = {
		{ "min_uid = 0\n", 0, 60 },
		{ "min_uid = 1\n", 1, 60 },
		{ "min_uid = 4294967294\n", 4294967294u, 60 },
		{ "notify {\n rate_limit = 0\n}\n", 1000, 0 },
		{ "notify {\n rate_limit = 86400\n}\n", 1000, 86400 },
	};
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "\nmin_uid = 4294967295\n", "out of range" },
		{ "\nmin_uid = 99999999999999999999\n", "out of range" },
		{ "\nmin_uid = -1\n", "whole number" },
		{ "\nmin_uid = \"\"\n", "whole number" },
		{ "\nmin_uid = \" 1000\"\n", "whole number" },
		{ "\nmin_uid = 1e3\n", "whole number" },
		{ "\nmin_uid = 0x3e8\n", "whole number" },
		{ "notify {\n rate_limit = 86401\n}\n", "out of range" },
		{ "notify {\n rate_limit = 1m\n}\n", "whole number" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct mc_config *c = parse_ok(good[i].text);

		if (c->min_uid != good[i].min_uid || c->notify.rate_limit != good[i].rate_limit)
			fail_msg("%s: min_uid %u, rate_limit %u", good[i].text,
				 (unsigned)c->min_uid, c->notify.rate_limit);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		expect_one_error(bad[i].text, 2, bad[i].needle);
}

/* cpu_max, cpu_weight and tasks_max: in default, group and user
 * sections; left unset unless given; strict values with their lines. */
static void
test_cpu_tasks_keys(void **state)
{
	static const struct {
		const char *text, *needle;
		int line;
	} bad[] = {
		{ "default {\n cpu_max = \"0.001\"\n}\n", "below the smallest allowed limit of 0.01 CPUs", 2 },
		{ "default {\n cpu_max = \"101%\"\n}\n", "cannot exceed 100%", 2 },
		{ "default {\n cpu_max = \"0%\"\n}\n", "0%", 2 },
		{ "default {\n cpu_max = \"two\"\n}\n", "number of CPUs", 2 },
		{ "user \"a\" {\n cpu_max = \"1.5 \"\n}\n", "cpu_max = \"1.5 \"", 2 },
		{ "default {\n cpu_weight = 0\n}\n", "from 1 to 10000", 2 },
		{ "default {\n cpu_weight = 10001\n}\n", "from 1 to 10000", 2 },
		{ "group \"g\" {\n cpu_weight = \"max\"\n}\n", "whole number", 2 },
		{ "default {\n tasks_max = 3\n}\n", "smallest allowed limit of 4", 2 },
		{ "default {\n tasks_max = 0\n}\n", "smallest allowed limit of 4", 2 },
		{ "default {\n tasks_max = 4194305\n}\n", "\"max\" or a whole number", 2 },
		{ "default {\n tasks_max = -1\n}\n", "\"max\" or a whole number", 2 },
		{ "user \"a\" {\n tasks_max = \"infinity\"\n}\n", "\"max\" or a whole number", 2 },
		{ "default {\n tasks_max = 10\n tasks_max = 20\n}\n", "more than once", 3 },
		{ "default {\n cpu_max = \"1\"\n cpu_max = \"2\"\n}\n", "more than once", 3 },
	};
	struct mc_config *c;
	const struct mc_rule *g, *u;

	(void)state;
	/* Nothing configured: today's behaviour, no controller used. */
	c = parse_ok("min_uid = 1000\n");
	assert_int_equal(c->def.set & MC_SET_OPTIONAL_KEYS, 0);
	assert_int_equal(c->def.inherited, 0);
	assert_int_equal(c->def.cpu_max.kind, MC_CPU_MAX);
	assert_int_equal(c->def.cpu_weight, 100);
	assert_int_equal(c->def.tasks_max, MC_UNLIMITED);
	mc_config_free(c);

	c = parse_ok("default {\n cpu_max = \"25%\"\n tasks_max = 512\n}\n"
		     "group \"g\" { cpu_weight = 300 }\n"
		     "user \"u\" { cpu_max = \"max\" tasks_max = \"max\" cpu_weight = 10000 }\n"
		     "user \"v\" { cpu_max = 1.5 tasks_max = 4 cpu_weight = 1 }\n");
	assert_int_equal(c->def.set, MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	assert_int_equal(c->def.cpu_max.kind, MC_CPU_PERCENT);
	assert_int_equal(c->def.cpu_max.basis_points, 2500);
	assert_int_equal(c->def.tasks_max, 512);
	g = &c->groups[0];
	assert_int_equal(g->set, MC_SET_CPU_WEIGHT);
	assert_int_equal(g->inherited, MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	assert_int_equal(g->cpu_weight, 300);
	assert_int_equal(g->cpu_max.basis_points, 2500);
	assert_int_equal(g->tasks_max, 512);
	u = &c->users[0];
	assert_int_equal(u->set, MC_SET_CPU_MAX | MC_SET_TASKS_MAX | MC_SET_CPU_WEIGHT);
	assert_int_equal(u->inherited, 0);
	assert_int_equal(u->cpu_max.kind, MC_CPU_MAX);
	assert_int_equal(u->tasks_max, MC_UNLIMITED);
	assert_int_equal(u->cpu_weight, 10000);
	u = &c->users[1];
	assert_int_equal(u->cpu_max.kind, MC_CPU_CPUS);
	assert_int_equal(u->cpu_max.milli, 1500);
	assert_int_equal(u->tasks_max, 4);
	assert_int_equal(u->cpu_weight, 1);
	mc_config_free(c);

	/* A rule's keys without default's: default's untouched ones stay
	 * unconfigured. */
	c = parse_ok("user \"u\" { tasks_max = 100 }\n");
	assert_int_equal(c->users[0].set, MC_SET_TASKS_MAX);
	assert_int_equal(c->users[0].inherited, 0);
	mc_config_free(c);

	for (size_t i = 0; i < NELEM(bad); i++)
		expect_one_error(bad[i].text, bad[i].line, bad[i].needle);
}

/* Every size key, in every section that has it, with the boundaries. */
static void
test_sizes(void **state)
{
	static const struct {
		const char *value;
		bool ok;
		enum mc_size_kind kind;
		uint64_t bytes;
		uint32_t bp;
		const char *needle;	/* in the error */
	} t[] = {
		{ "1M", true, MC_SIZE_BYTES, MiB, 0, NULL },
		{ "1048576", true, MC_SIZE_BYTES, MiB, 0, NULL },
		{ "1024K", true, MC_SIZE_BYTES, MiB, 0, NULL },
		{ "4g", true, MC_SIZE_BYTES, 4 * GiB, 0, NULL },
		{ "0.01%", true, MC_SIZE_PERCENT, 0, 1, NULL },
		{ "100%", true, MC_SIZE_PERCENT, 0, 10000, NULL },
		{ "max", true, MC_SIZE_MAX, 0, 0, NULL },
		{ "8388607T", true, MC_SIZE_BYTES, (uint64_t)8388607 << 40, 0, NULL },
		{ "9223372036854775807", true, MC_SIZE_BYTES, INT64_MAX, 0, NULL },
		{ "9223372036854775808", false, 0, 0, 0, "too large" },
		{ "8388608T", false, 0, 0, 0, "too large" },
		{ "100.01%", false, 0, 0, 0, "100%" },
		{ "101%", false, 0, 0, 0, "100%" },
		{ "1048575", false, 0, 0, 0, "smallest" },
		{ "1023K", false, 0, 0, 0, "smallest" },
		{ "0", false, 0, 0, 0, "smallest" },
		{ "0%", false, 0, 0, 0, "smallest" },
		{ "", false, 0, 0, 0, "empty" },
		{ "-1", false, 0, 0, 0, "\"-1\"" },
		{ " 1G", false, 0, 0, 0, "\" 1G\"" },
		{ "1G ", false, 0, 0, 0, "\"1G \"" },
		{ "1KB", false, 0, 0, 0, "\"1KB\"" },
		{ "1.5G", false, 0, 0, 0, "\"1.5G\"" },
		{ "MAX", false, 0, 0, 0, "\"MAX\"" },
		{ "unlimited", false, 0, 0, 0, "\"unlimited\"" },
	};
	static const char *const sections[] = { "default", "group \"g\"", "user \"u\"" };
	static const char *const keys[] = { "memory_max", "memory_high" };
	char text[512];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		for (size_t s = 0; s < NELEM(sections); s++) {
			for (size_t k = 0; k < NELEM(keys); k++) {
				/* memory_high needs a memory_max at least as large. */
				snprintf(text, sizeof(text),
					 "%s {\n %s = \"max\"\n %s = \"%s\"\n}\n", sections[s],
					 k == 0 ? "memory_high" : "memory_max", keys[k],
					 t[i].value);
				if (t[i].ok) {
					struct mc_config *c = parse_ok(text);
					const struct mc_rule *r = s == 0 ? &c->def
							: s == 1 ? &c->groups[0] : &c->users[0];
					const struct mc_size *got = k == 0 ? &r->memory_max
									   : &r->memory_high;

					if (!size_eq(got, t[i].kind, t[i].bytes, t[i].bp))
						fail_msg("%s: %s \"%s\" read wrongly", sections[s],
							 keys[k], t[i].value);
					mc_config_free(c);
				} else {
					char what[600];

					snprintf(what, sizeof(what), "%s", text);
					expect_one_error_len(what, text, strlen(text), 3, keys[k]);
					expect_one_error_len(what, text, strlen(text), 3, t[i].needle);
				}
			}
		}
	}

	/* swap_max may be 0 (no swap at all); the rest of the syntax is the same. */
	{
		struct mc_config *c = parse_ok("default {\n swap_max = \"0\"\n}\n");

		assert_true(size_eq(&c->def.swap_max, MC_SIZE_BYTES, 0, 0));
		mc_config_free(c);
		expect_one_error("default {\n swap_max = \"1KB\"\n}\n", 2, "swap_max");
		expect_one_error("user \"u\" {\n swap_max = \"101%\"\n}\n", 2, "100%");
	}
}

static void
test_warn_at(void **state)
{
	static const struct {
		const char *value;
		int want;	/* basis points, -1: refused */
	} t[] = {
		{ "off", 0 }, { "90%", 9000 }, { "100%", 10000 }, { "0.01%", 1 },
		{ "99.99%", 9999 }, { "0%", -1 }, { "90", -1 }, { "1G", -1 },
		{ "max", -1 }, { "101%", -1 }, { "100.01%", -1 }, { "", -1 },
		{ "OFF", -1 }, { "90 %", -1 },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		snprintf(text, sizeof(text),
			 "notify {\n warn_at = \"%s\"\n}\ngroup \"g\" {\n warn_at = \"%s\"\n}\n",
			 t[i].value, t[i].value);
		if (t[i].want >= 0) {
			struct mc_config *c = parse_ok(text);

			if (c->notify.warn_at != (uint32_t)t[i].want ||
			    c->groups[0].warn_at != (uint32_t)t[i].want)
				fail_msg("warn_at \"%s\": %u and %u, want %d", t[i].value,
					 c->notify.warn_at, c->groups[0].warn_at, t[i].want);
			mc_config_free(c);
		} else {
			struct mc_config *c = NULL;
			struct errlog log;

			if (parse(text, &log, &c) != -EINVAL || log.n != 2 ||
			    log.e[0].line != 2 || log.e[1].line != 5 ||
			    strstr(log.e[0].msg, "warn_at") == NULL ||
			    strstr(log.e[1].msg, "warn_at") == NULL) {
				errlog_dump(&log);
				fail_msg("warn_at \"%s\" not refused on lines 2 and 5", t[i].value);
			}
		}
	}
}

/* Names in exempt lists and section titles. */
static void
test_names(void **state)
{
	static const char *const good[] = {
		"alice", "a.b-c_d", "DOMAIN+user", "caf\xc3\xa9", "x",
	};
	static const char *const bad[] = {
		"", "a b", "a/b", "a:b", "a\\tb", "a\\nb", "\\x7f", "tab\\t",
	};
	char text[1400], name[300];

	(void)state;
	for (size_t i = 0; i < NELEM(good) + 1; i++) {
		struct mc_config *c;
		const char *n = good[0];

		if (i < NELEM(good)) {
			n = good[i];
		} else {	/* the longest name allowed */
			memset(name, 'n', 256);
			name[256] = '\0';
			n = name;
		}
		snprintf(text, sizeof(text),
			 "exempt_users = {\"%s\"}\nexempt_groups = {\"%s\"}\n"
			 "group \"%s\" {\n}\nuser \"%s\" {\n}\n", n, n, n, n);
		c = parse_ok(text);
		assert_string_equal(c->exempt_users[0], n);
		assert_string_equal(c->exempt_groups[0], n);
		assert_string_equal(c->groups[0].name, n);
		assert_string_equal(c->users[0].name, n);
		mc_config_free(c);
	}
	for (size_t i = 0; i < NELEM(bad) + 1; i++) {
		const char *n;

		if (i < NELEM(bad)) {
			n = bad[i];
		} else {	/* one past the longest */
			memset(name, 'n', 257);
			name[257] = '\0';
			n = name;
		}
		snprintf(text, sizeof(text), "\nexempt_users = {\"ok\", \"%s\"}\n", n);
		expect_one_error(text, 2, "exempt_users");
		snprintf(text, sizeof(text), "\nexempt_groups = {\"%s\"}\n", n);
		expect_one_error(text, 2, "exempt_groups");
		snprintf(text, sizeof(text), "group \"%s\" {\n}\n", n);
		expect_one_error(text, 2, "group");
		snprintf(text, sizeof(text), "user \"%s\" {\n}\n", n);
		expect_one_error(text, 2, "user");
	}
}

/* An explicitly empty exempt list means nobody, not the default. */
static void
test_empty_exempt_lists(void **state)
{
	struct mc_config *c;

	(void)state;
	c = parse_ok("exempt_users = {}\nexempt_groups = {}\n");
	assert_int_equal(c->n_exempt_users, 0);
	assert_int_equal(c->n_exempt_groups, 0);
	mc_config_free(c);
}

static void
test_notify_strings(void **state)
{
	static const struct {
		const char *key, *value;
		bool ok;
	} t[] = {
		{ "sendmail", "/usr/sbin/sendmail", true },
		{ "sendmail", "/opt/mta/bin/send mail", true },
		{ "sendmail", "sendmail", false },
		{ "sendmail", "./sendmail", false },
		{ "mail_from", "memcg@example.org", true },
		{ "mail_from", "Memory Watch <root@localhost>", true },
		{ "mail_from", "", false },
		{ "mail_from", "a\\nBcc: victim@example.org", false },
		{ "mail_from", "a\\rb", false },
		{ "mail_from", "a\\tb", false },
		{ "mail_from", "a\\x7fb", false },
		{ "metrics_file", "", true },
		{ "metrics_file", "/var/lib/node_exporter/pam_memcg.prom", true },
		{ "metrics_file", "pam_memcg.prom", false },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		snprintf(text, sizeof(text), "notify {\n %s = \"%s\"\n}\n", t[i].key, t[i].value);
		if (t[i].ok) {
			struct mc_config *c = parse_ok(text);
			const char *got = strcmp(t[i].key, "sendmail") == 0 ? c->notify.sendmail
					: strcmp(t[i].key, "mail_from") == 0 ? c->notify.mail_from
					: c->notify.metrics_file;

			assert_string_equal(got, t[i].value);
			mc_config_free(c);
		} else {
			struct mc_config *c = NULL;
			struct errlog log;

			/* Reported against the notify section (lines 1 to 3). */
			if (parse(text, &log, &c) != -EINVAL || c != NULL || log.n != 1 ||
			    log.e[0].line < 1 || log.e[0].line > 3 ||
			    strstr(log.e[0].msg, t[i].key) == NULL) {
				errlog_dump(&log);
				fail_msg("%s = \"%s\" not refused", t[i].key, t[i].value);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Errors: one per text, on a known line, naming the problem           */

static void
test_error_lines(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} t[] = {
		/* Unknown keys and sections, wherever they are. */
		{ "min_uid = 5\nfoo = 1\n", 2, "foo" },
		{ "default {\n memory_max = \"1G\"\n nope = 1\n}\n", 3, "nope" },
		{ "default {\n tty = true\n}\n", 2, "tty" },
		{ "default {\n warn_at = \"90%\"\n}\n", 2, "warn_at" },
		{ "default {\n mail = true\n}\n", 2, "mail" },
		{ "notify {\n memory_max = \"1G\"\n}\n", 2, "memory_max" },
		{ "user \"u\" {\n rate_limit = 5\n}\n", 2, "rate_limit" },
		{ "\n\nlimits {\n}\n", 3, "limits" },
		{ "Min_uid = 5\n", 1, "Min_uid" },
		{ "\ninclude(\"/etc/passwd\")\n", 2, "include" },
		/* memory_high above memory_max: the line of memory_high. */
		{ "default {\n memory_max = \"1G\"\n memory_high = \"2G\"\n}\n", 3, "memory_high" },
		{ "default {\n memory_high = \"1G\"\n memory_max = \"1023M\"\n}\n", 2, "memory_max" },
		{ "group \"g\" {\n memory_max = \"1G\"\n\n memory_high = \"1025M\"\n}\n", 4, "memory_high" },
		{ "user \"u\" {\n memory_high = \"30%\"\n memory_max = \"25%\"\n}\n", 2, "memory_high" },
		{ "user \"u\" {\n memory_high = \"5G\"\n}\n", 2, "above memory_max" },
		/* Inherited memory_high, lowered memory_max: the line of memory_max. */
		{ "default {\n memory_high = \"2G\"\n}\n"
		  "group \"g\" {\n\n memory_max = \"1G\"\n}\n", 6, "group \"g\"" },
		/* Titles and keys given twice. */
		{ "group \"a\" {\n}\ngroup \"a\" {\n}\n", 3, "duplicate" },
		{ "user \"a\" {\n}\n\nuser \"a\" {\n}\n", 4, "duplicate" },
		/* The line of the '{', as libconfuse had it; braces in comments
		 * and titles do not count. */
		{ "user \"a\"\n{\n}\nuser \"a\"\n\n{\n}\n", 6, "first given at line 2" },
		{ "user \"a\" { # {\n}\n// user \"a\" {\n/* } { */ user \"{\" {\n}\nuser a {\n}\n",
		  6, "first given at line 1" },
		{ "group \"g\" {\n}\nuser \"g\" {\n}\ngroup \"x\" {\n}\ngroup \"g\" {\n}\n", 7,
		  "duplicate group \"g\" (first given at line 1)" },
		/* A key is checked per section, whatever came before. */
		{ "user \"a\" {\n tty = true\n}\nuser \"b\" {\n tty = true\n tty = false\n}\n", 6, "tty" },
		{ "user \"a\" {\n tty = true\n}\nmin_uid = 5\nuser \"b\" {\n}\nmin_uid = 6\n", 7, "min_uid" },
		{ "min_uid = 1\nmin_uid = 1\n", 2, "min_uid" },
		{ "cgroup_parent = \"a\"\n\ncgroup_parent = \"a\"\n", 3, "cgroup_parent" },
		{ "exempt_users = {\"a\"}\nexempt_users = {\"b\"}\n", 2, "exempt_users" },
		{ "default {\n memory_max = \"1G\"\n memory_max = \"1G\"\n}\n", 3, "memory_max" },
		{ "group \"g\" {\n tty = true\n\n tty = false\n}\n", 4, "tty" },
		{ "notify {\n rate_limit = 5\n rate_limit = 6\n}\n", 3, "rate_limit" },
		{ "default {\n}\ndefault {\n}\n", 4, "default" },
		{ "notify {\n}\nnotify {\n}\n", 4, "notify" },
		/* Percentages over 100. */
		{ "default {\n memory_max = \"100.01%\"\n}\n", 2, "100%" },
		{ "\n\ngroup \"g\" {\n memory_high = \"200%\"\n}\n", 4, "100%" },
		/* Syntax. */
		{ "group {\n}\n", 1, "title" },
		{ "min_uid = 1\n}\n", 2, "brace" },
		{ "min_uid = 1\nmin_uid\n", 3, "end of file" },
		{ "cgroup_parent = \"abc\n", 2, "end of file" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		expect_one_error(t[i].text, t[i].line, t[i].needle);
}

/* A file that stops inside a section or comment is cut short, not fine. */
static void
test_unterminated(void **state)
{
	static const char *const t[] = {
		"min_uid = 5\ndefault {\n memory_max = \"1G\"\n",
		"notify {\n",
		"default {",
		"group \"g\" {\n memory_max = \"1G\"\n}\nuser \"u\" {\n",
		"min_uid = 5\n/* a comment that never ends\nmin_uid = 6\n",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		int last = 1;

		/* Reported at the end of the text, where the '}' is missing. */
		for (const char *p = t[i]; *p; p++)
			last += *p == '\n';
		expect_one_error(t[i], last, "missing");
	}
}

/* What is refused before libconfuse sees it: "${", NUL, invalid UTF-8. */
static void
test_screened_text(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;		/* 0: strlen */
		int line;		/* 0: accepted */
		const char *needle;
	} t[] = {
		{ "notify {\n mail_from = \"${USER}\"\n}\n", 0, 2, "${" },
		{ "notify {\n mail_from = \"x${HOME:-/root}\"\n}\n", 0, 2, "${" },
		{ "\n\n# even a comment may not say ${HOME}\n", 0, 3, "${" },
		{ "exempt_users = {${USER}}\n", 0, 1, "${" },
		{ "notify {\n mail_from = \"$USER\"\n}\n", 0, 0, NULL },
		{ "# $ {HOME} and $\n# {HOME}\n", 0, 0, NULL },
		{ "min_uid = 1000\n\0bogus = 1\n", 26, 2, "NUL" },
		{ "min_uid = 1000\nmin\0_uid = 1\n", 28, 2, "NUL" },
		{ "\0", 1, 1, "NUL" },
		/* The boundaries of every UTF-8 sequence length, in a comment. */
		{ "# \xc2\x80 \xdf\xbf\n", 0, 0, NULL },
		{ "# \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\n", 0, 0, NULL },
		{ "# \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\n", 0, 0, NULL },
		{ "# caf\xc3\xa9 \xe2\x98\x83 \xf0\x9d\x84\x9e\n", 0, 0, NULL },
		{ "\n# \x80\n", 0, 2, "UTF-8" },		/* lone continuation */
		{ "\n# \xbf\n", 0, 2, "UTF-8" },
		{ "\n# \xc0\x80\n", 0, 2, "UTF-8" },		/* overlong NUL */
		{ "\n# \xc1\xbf\n", 0, 2, "UTF-8" },		/* overlong */
		{ "\n# \xc3(\n", 0, 2, "UTF-8" },		/* missing continuation */
		{ "\n# \xc3\n", 0, 2, "UTF-8" },		/* newline inside */
		{ "\n# \xc3", 0, 2, "UTF-8" },		/* cut at the end */
		{ "\n# \xe2\x82", 0, 2, "UTF-8" },
		{ "\n# \xe2\x82\n", 0, 2, "UTF-8" },
		{ "\n# \xe0\x80\xaf\n", 0, 2, "UTF-8" },	/* overlong '/' */
		{ "\n# \xe0\x9f\xbf\n", 0, 2, "UTF-8" },	/* overlong U+07FF */
		{ "\n# \xed\xa0\x80\n", 0, 2, "UTF-8" },	/* surrogate U+D800 */
		{ "\n# \xed\xbf\xbf\n", 0, 2, "UTF-8" },	/* surrogate U+DFFF */
		{ "\n# \xf0\x80\x80\x80\n", 0, 2, "UTF-8" },	/* overlong */
		{ "\n# \xf0\x8f\xbf\xbf\n", 0, 2, "UTF-8" },	/* overlong U+FFFF */
		{ "\n# \xf4\x90\x80\x80\n", 0, 2, "UTF-8" },	/* U+110000 */
		{ "\n# \xf5\x80\x80\x80\n", 0, 2, "UTF-8" },
		{ "\n# \xf8\x88\x80\x80\x80\n", 0, 2, "UTF-8" },
		{ "\n# \xfe\n", 0, 2, "UTF-8" },
		{ "\n# \xff\n", 0, 2, "UTF-8" },
		{ "\nexempt_users = {\"caf\xe9\"}\n", 0, 2, "UTF-8" },	/* Latin-1 */
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].bytes);
		char what[64];

		snprintf(what, sizeof(what), "screen case %zu", i);
		if (t[i].line == 0) {
			struct mc_config *c = NULL;
			struct errlog log;

			if (parse_len(t[i].bytes, len, RAM, &log, &c) != 0 || log.n != 0) {
				errlog_dump(&log);
				fail_msg("%s: good text refused", what);
			}
			mc_config_free(c);
		} else {
			expect_one_error_len(what, t[i].bytes, len, t[i].line, t[i].needle);
		}
	}
}

/* Value errors do not stop the parse: every one is reported, in order. */
static void
test_all_value_errors_reported(void **state)
{
	static const char text[] =
		"cgroup_version = v3\n"				/* 1 */
		"min_uid = -5\n"				/* 2 */
		"default {\n"
		"  memory_max = \"101%\"\n"			/* 4 */
		"  memory_high = \"1KB\"\n"			/* 5 */
		"  oom_group = maybe\n"				/* 6 */
		"}\n"
		"notify {\n"
		"  rate_limit = 86401\n"			/* 9 */
		"  warn_at = \"0%\"\n"				/* 10 */
		"}\n"
		"exempt_users = {\"a b\", \"ok\", \"c/d\"}\n"	/* 12 (twice) */
		"group \"g1\" {\n"
		"  swap_max = \"-1\"\n"				/* 14 */
		"}\n"
		"group \"g2\" {\n"
		"  swap_max = \"1.5G\"\n"			/* 17 */
		"}\n"
		"on_error = sometimes\n"			/* 19 */
		"cgroup_parent = \"../x\"\n"			/* 20 */
		"cgroup_backend = logind\n";			/* 21 */
	static const int lines[] = { 1, 2, 4, 5, 6, 9, 10, 12, 12, 14, 17, 19, 20, 21 };
	struct mc_config *c = NULL;
	struct errlog log;
	bool ok;

	(void)state;
	ok = parse(text, &log, &c) == -EINVAL && c == NULL && log.n == (int)NELEM(lines);
	for (size_t i = 0; ok && i < NELEM(lines); i++)
		ok = log.e[i].line == lines[i] && strcmp(log.e[i].file, "test.conf") == 0;
	if (!ok) {
		errlog_dump(&log);
		fail_msg("want %zu reports, on lines 1 2 4 5 6 9 10 12 12 14 17 19 20 21",
			 NELEM(lines));
	}
}

static void
test_file_name_reported(void **state)
{
	struct mc_config *c = NULL;
	struct errlog log;
	struct mc_errsink sink = errlog_sink(&log);

	(void)state;
	assert_int_equal(mc_config_parse("/etc/security/other.conf", "x = 1\n", 6, RAM,
					 &sink, &c), -EINVAL);
	assert_int_equal(log.n, 1);
	assert_string_equal(log.e[0].file, "/etc/security/other.conf");
}

/* Without a sink, errors still fail the parse. */
static void
test_no_errsink(void **state)
{
	static const char text[] = "min_uid = -1\n";
	struct mc_errsink nofn = { .fn = NULL, .ctx = NULL };
	struct mc_config *c = (struct mc_config *)&c;

	(void)state;
	assert_int_equal(mc_config_parse("t", text, strlen(text), RAM, NULL, &c), -EINVAL);
	assert_null(c);
	c = (struct mc_config *)&c;
	assert_int_equal(mc_config_parse("t", text, strlen(text), RAM, &nofn, &c), -EINVAL);
	assert_null(c);
	mc_config_free(NULL);
}

/* Percentages are compared on the RAM given; 0 means this machine's. */
static void
test_ram_used_for_checks(void **state)
{
	static const char text[] = "default {\n memory_max = \"1G\"\n memory_high = \"10%\"\n}\n";
	struct mc_config *c = NULL;
	struct errlog log;
	unsigned long long kb = 0;
	char line[256];
	uint64_t ram;
	FILE *f;
	int r;

	(void)state;
	/* 10% of 8 GiB is below 1G, 10% of 16 GiB is above. */
	assert_int_equal(parse_len(text, strlen(text), 8 * GiB, &log, &c), 0);
	mc_config_free(c);
	assert_int_equal(parse_len(text, strlen(text), 16 * GiB, &log, &c), -EINVAL);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.e[0].line, 3);

	f = fopen("/proc/meminfo", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	ram = (uint64_t)kb * 1024;
	assert_true(ram > 0);
	assert_int_equal(mc_ram_bytes(), ram);

	r = parse_len(text, strlen(text), 0, &log, &c);
	if (ram / 4096 * 1000 / 10000 * 4096 > GiB)
		assert_int_equal(r, -EINVAL);
	else
		assert_int_equal(r, 0);
	mc_config_free(c);
}

/* libconfuse's lexer is global: parses from many threads must not mix. */
struct thread_arg {
	unsigned min_uid;
	int failures;
};

static void *
parse_thread(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 200; i++) {
		char text[256];
		struct mc_config *c = NULL;
		struct mc_errsink sink = { NULL, NULL };

		snprintf(text, sizeof(text),
			 "min_uid = %u\ngroup \"g%u\" {\n memory_max = \"%uM\"\n}\n",
			 a->min_uid, a->min_uid, a->min_uid);
		if (mc_config_parse("t", text, strlen(text), RAM, &sink, &c) != 0 ||
		    c->min_uid != a->min_uid || c->n_groups != 1 ||
		    c->groups[0].memory_max.bytes != (uint64_t)a->min_uid * MiB)
			a->failures++;
		mc_config_free(c);
	}
	return NULL;
}

static void
test_concurrent_parses(void **state)
{
	pthread_t th[4];
	struct thread_arg args[4];

	(void)state;
	for (unsigned i = 0; i < NELEM(th); i++) {
		args[i] = (struct thread_arg){ .min_uid = 1001 + i };
		assert_int_equal(pthread_create(&th[i], NULL, parse_thread, &args[i]), 0);
	}
	for (unsigned i = 0; i < NELEM(th); i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
}

/* ------------------------------------------------------------------ */
/* mc_config_load: the file checks, on files made in a temp dir        */

static const char good_text[] = "min_uid = 2000\ndefault {\n memory_max = \"2G\"\n}\n";

static int
setup_dir(void **state)
{
	*state = tmpdir_make();
	return 0;
}

static int
teardown_dir(void **state)
{
	tmpdir_remove(*state);
	return 0;
}

static int
load(const char *dir, const char *name, struct errlog *log, struct mc_config **cfg)
{
	struct mc_errsink sink = errlog_sink(log);
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return mc_config_load(path, RAM, &sink, cfg);
}

/* Loads name, which must be refused with one file-wide report naming it
 * and containing needle. */
static void
expect_refused(const char *dir, const char *name, const char *needle)
{
	struct mc_config *c = (struct mc_config *)&c;
	struct errlog log;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = load(dir, name, &log, &c);
	if (r >= 0 || r == -ENOENT || c != NULL || log.n != 1 ||
	    strcmp(log.e[0].file, path) != 0 || log.e[0].line != 0 ||
	    strstr(log.e[0].msg, needle) == NULL) {
		errlog_dump(&log);
		fail_msg("%s: load returned %d; want a refusal mentioning \"%s\"",
			 name, r, needle);
	}
}

/* Every repeated title is reported, each at its own line, naming the line
 * of the first; the parse goes on past them. */
static void
test_duplicates_all_reported(void **state)
{
	static const char text[] =
		"user \"a\" {\n}\n"		/* 1 */
		"group \"a\" {\n}\n"		/* 3: a group, not a repeat */
		"user \"a\" {\n}\n"		/* 5 */
		"user \"b\" { tty = maybe }\n"	/* 7: an error of its own */
		"user \"a\" {\n}\n"		/* 8 */
		"group \"a\" {\n}\n";		/* 10 */
	static const struct {
		int line;
		const char *msg;
	} want[] = {
		{ 7, "tty" },
		{ 5, "duplicate user \"a\" (first given at line 1)" },
		{ 8, "duplicate user \"a\" (first given at line 1)" },
		{ 10, "duplicate group \"a\" (first given at line 3)" },
	};
	struct mc_config *c = (struct mc_config *)&c;
	struct errlog log;
	int r;

	(void)state;
	r = parse(text, &log, &c);
	if (r != -EINVAL || c != NULL || log.n != (int)NELEM(want)) {
		errlog_dump(&log);
		fail_msg("returned %d with %d reports; want -EINVAL and %zu", r, log.n,
			 NELEM(want));
	}
	for (size_t i = 0; i < NELEM(want); i++) {
		if (log.e[i].line != want[i].line || strstr(log.e[i].msg, want[i].msg) == NULL) {
			errlog_dump(&log);
			fail_msg("report %zu: want line %d with \"%s\"", i, want[i].line,
				 want[i].msg);
		}
	}
}

/* A config as large as the loader takes: ~28,000 sections in about a
 * megabyte, one per line after a header of HEADER_LINES lines.  Section i
 * is a group rule when i % 8 == 7, else a user rule; the last of each kind
 * has a limit of its own. */
#define MANY 28000
#define HEADER_LINES 5

static char *
many_sections(size_t dup_user_at, size_t dup_group_at, size_t *len)
{
	size_t cap = (size_t)MANY * 48 + 256, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n,
			      "min_uid = 1000\n"
			      "default {\n"
			      " memory_max = \"1G\"\n"
			      "}\n"
			      "\n");
	for (size_t i = 0; i < MANY; i++) {
		bool group = i % 8 == 7;
		bool last = i >= MANY - 8 && (group ? i + 1 == MANY
						    : i + 1 == MANY - 1);
		size_t id = i;

		/* A repeat takes the title of section 100 (user) / 7 (group). */
		if (i == dup_user_at)
			id = 100;
		else if (i == dup_group_at)
			id = 7;
		n += (size_t)snprintf(t + n, cap - n, "%s \"%c%05zu\" { memory_max = \"%s\" }\n",
				      group ? "group" : "user", group ? 'g' : 'u', id,
				      last ? "3G" : "2G");
		assert_true(n < cap);
	}
	*len = n;
	return t;
}

static void
test_many_sections(void **state)
{
	const char *dir = *state;
	struct mc_config *c = (struct mc_config *)&c;
	const char *groups[] = { "g27999" };
	struct mc_decision d;
	struct mc_user u;
	struct errlog log;
	size_t len;
	char *text;
	int r;

	/* One repeated user title and one repeated group title, late in the
	 * file: each reported at its own line, naming the first's. */
	text = many_sections(20000, 20007, &len);
	assert_true(len <= MC_CONF_MAX_BYTES);
	put_file(dir, "many.conf", text, len, 0644);
	free(text);
	r = load(dir, "many.conf", &log, &c);
	if (r != -EINVAL || c != NULL || log.n != 2 ||
	    log.e[0].line != HEADER_LINES + 20000 + 1 ||
	    strstr(log.e[0].msg, "duplicate user \"u00100\" (first given at line 106)") == NULL ||
	    log.e[1].line != HEADER_LINES + 20007 + 1 ||
	    strstr(log.e[1].msg, "duplicate group \"g00007\" (first given at line 13)") == NULL) {
		errlog_dump(&log);
		fail_msg("load of %zu bytes returned %d with %d reports", len, r, log.n);
	}

	/* Without them: every section is there, in file order, and the last
	 * user and group rules are the ones that match. */
	text = many_sections(SIZE_MAX, SIZE_MAX, &len);
	put_file(dir, "many.conf", text, len, 0644);
	free(text);
	c = NULL;
	r = load(dir, "many.conf", &log, &c);
	if (r != 0 || c == NULL || log.n != 0) {
		errlog_dump(&log);
		fail_msg("load of %zu bytes returned %d with %d reports", len, r, log.n);
	}
	assert_int_equal(c->n_groups, MANY / 8);
	assert_int_equal(c->n_users, MANY - MANY / 8);
	assert_string_equal(c->users[0].name, "u00000");
	assert_int_equal(c->users[0].line, HEADER_LINES + 1);
	assert_string_equal(c->users[c->n_users - 1].name, "u27998");
	assert_int_equal(c->users[c->n_users - 1].line, HEADER_LINES + 27998 + 1);
	assert_string_equal(c->groups[c->n_groups - 1].name, "g27999");

	u = (struct mc_user){ .name = "u27998", .uid = 5000 };
	mc_decide(c, &u, RAM, &d);
	assert_string_equal(d.rule_kind, "user");
	assert_ptr_equal(d.rule, &c->users[c->n_users - 1]);
	assert_int_equal(d.limits.memory_max, 3 * GiB);

	u = (struct mc_user){ .name = "nobody-listed", .uid = 5001, .groups = groups,
			      .n_groups = 1 };
	mc_decide(c, &u, RAM, &d);
	assert_string_equal(d.rule_kind, "group");
	assert_ptr_equal(d.rule, &c->groups[c->n_groups - 1]);
	assert_int_equal(d.limits.memory_max, 3 * GiB);

	u = (struct mc_user){ .name = "u12345", .uid = 5002 };
	mc_decide(c, &u, RAM, &d);
	assert_string_equal(d.rule_kind, "user");
	assert_int_equal(d.limits.memory_max, 2 * GiB);
	mc_config_free(c);
}

static void
test_load_good(void **state)
{
	const char *dir = *state;
	static const mode_t modes[] = { 0644, 0600, 0400, 0444, 0640, 0000 };

	for (size_t i = 0; i < NELEM(modes); i++) {
		struct mc_config *c = NULL;
		struct errlog log;
		char path[4096];

		put_file(dir, "good.conf", good_text, strlen(good_text), modes[i]);
		if (load(dir, "good.conf", &log, &c) != 0 || log.n != 0) {
			errlog_dump(&log);
			fail_msg("mode %04o refused", (unsigned)modes[i]);
		}
		snprintf(path, sizeof(path), "%s/good.conf", dir);
		assert_string_equal(c->path, path);
		assert_int_equal(c->min_uid, 2000);
		assert_true(size_eq(&c->def.memory_max, MC_SIZE_BYTES, 2 * GiB, 0));
		mc_config_free(c);
	}
}

/* Only the owner matters; a group of nobody is fine. */
static void
test_load_group_owner_ignored(void **state)
{
	const char *dir = *state;
	struct mc_config *c = NULL;
	struct errlog log;
	char path[4096];

	put_file(dir, "g.conf", good_text, strlen(good_text), 0644);
	snprintf(path, sizeof(path), "%s/g.conf", dir);
	assert_int_equal(chown(path, 0, 65534), 0);
	assert_int_equal(load(dir, "g.conf", &log, &c), 0);
	mc_config_free(c);
}

static void
test_load_empty(void **state)
{
	const char *dir = *state;
	struct mc_config *c = NULL;
	struct errlog log;

	/* Refused: far more likely a half-written file than a choice. */
	put_file(dir, "empty.conf", "", 0, 0644);
	assert_int_equal(load(dir, "empty.conf", &log, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.e[0].line, 0);
	assert_non_null(strstr(log.e[0].msg, "is empty"));
	/* One setting is enough; the rest are the defaults. */
	put_file(dir, "one.conf", "min_uid = 1000\n", 15, 0644);
	assert_int_equal(load(dir, "one.conf", &log, &c), 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(c->min_uid, 1000);
	assert_string_equal(c->cgroup_parent, "pam_memcg");
	mc_config_free(c);
}

static void
test_load_missing(void **state)
{
	const char *dir = *state;
	static const char *const names[] = { "absent.conf", "no/such/dir/x.conf" };

	for (size_t i = 0; i < NELEM(names); i++) {
		struct mc_config *c = (struct mc_config *)&c;
		struct errlog log;

		assert_int_equal(load(dir, names[i], &log, &c), -ENOENT);
		assert_int_equal(log.n, 0);
		assert_null(c);
	}
}

static void
test_load_symlink(void **state)
{
	const char *dir = *state;
	char link[4096];

	put_file(dir, "real.conf", good_text, strlen(good_text), 0644);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink("real.conf", link), 0);
	expect_refused(dir, "link.conf", "symbolic link");

	/* A dangling link is refused too, not taken for a missing file. */
	snprintf(link, sizeof(link), "%s/dangling.conf", dir);
	assert_int_equal(symlink("nowhere.conf", link), 0);
	expect_refused(dir, "dangling.conf", "symbolic link");
}

static void
test_load_not_regular(void **state)
{
	const char *dir = *state;
	char path[4096];

	/* A fifo nobody writes to must be refused at once, not read. */
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10);
	expect_refused(dir, "fifo.conf", "not a regular file");
	alarm(0);

	make_dirs(dir, "dir.conf");
	expect_refused(dir, "dir.conf", "not a regular file");

	/* A character device owned by root. */
	{
		struct mc_config *c = NULL;
		struct errlog log;
		struct mc_errsink sink = errlog_sink(&log);
		int r = mc_config_load("/dev/null", RAM, &sink, &c);

		assert_true(r < 0 && r != -ENOENT);
		assert_int_equal(log.n, 1);
		assert_non_null(strstr(log.e[0].msg, "not a regular file"));
	}

	/* A path through a regular file. */
	put_file(dir, "plain", "", 0, 0644);
	expect_refused(dir, "plain/x.conf", "cannot be opened");
}

static void
test_load_writable_by_others(void **state)
{
	const char *dir = *state;
	static const mode_t modes[] = { 0664, 0646, 0666, 0620, 0602, 0660, 0606, 0777 };

	for (size_t i = 0; i < NELEM(modes); i++) {
		put_file(dir, "w.conf", good_text, strlen(good_text), modes[i]);
		expect_refused(dir, "w.conf", "writable");
	}
}

static void
test_load_not_root_owned(void **state)
{
	const char *dir = *state;
	char path[4096];

	put_file(dir, "nobody.conf", good_text, strlen(good_text), 0644);
	snprintf(path, sizeof(path), "%s/nobody.conf", dir);
	assert_int_equal(chown(path, 65534, 0), 0);
	expect_refused(dir, "nobody.conf", "65534");
}

/* MC_CONF_MAX_BYTES exactly is read; one byte more is refused. */
static void
test_load_size_cap(void **state)
{
	const char *dir = *state;
	size_t len = MC_CONF_MAX_BYTES;
	char *text = malloc(len + 1);
	struct mc_config *c = NULL;
	struct errlog log;
	char path[4096];
	int fd;

	assert_non_null(text);
	/* Comment lines of 64 bytes, then a key on the very last line. */
	for (size_t i = 0; i < len; i += 64) {
		memset(text + i, 'x', 64);
		text[i] = '#';
		text[i + 63] = '\n';
	}
	memcpy(text + len - 15, "\nmin_uid = 123\n", 15);
	put_file(dir, "big.conf", text, len, 0644);
	if (load(dir, "big.conf", &log, &c) != 0) {
		errlog_dump(&log);
		fail_msg("a file of exactly %d bytes was refused", MC_CONF_MAX_BYTES);
	}
	assert_int_equal(c->min_uid, 123);
	mc_config_free(c);

	text[len] = '\n';
	put_file(dir, "big.conf", text, len + 1, 0644);
	expect_refused(dir, "big.conf", "larger");
	free(text);

	/* A sparse 4 GiB file is refused without being read. */
	snprintf(path, sizeof(path), "%s/sparse.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)4 * GiB), 0);
	close(fd);
	expect_refused(dir, "sparse.conf", "larger");
}

/* The cap holds while reading too: procfs files claim a size of 0.
 * /proc/kallsyms is root's, read-only and megabytes long. */
static void
test_load_size_cap_while_reading(void **state)
{
	struct mc_config *c = NULL;
	struct errlog log;
	struct mc_errsink sink = errlog_sink(&log);
	struct stat st;
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int fd, r;

	(void)state;
	fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && total <= MC_CONF_MAX_BYTES)
		total += (size_t)n;
	close(fd);
	if (total <= MC_CONF_MAX_BYTES)
		skip();
	r = mc_config_load("/proc/kallsyms", RAM, &sink, &c);
	assert_true(r < 0 && r != -ENOENT);
	assert_null(c);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.e[0].line, 0);
	assert_non_null(strstr(log.e[0].msg, "larger"));
}

/* Problems inside a loaded file carry its path and their line. */
static void
test_load_reports_lines(void **state)
{
	const char *dir = *state;
	static const char text[] = "min_uid = 1000\n\ndefault {\n memory_max = \"1KB\"\n}\n";
	struct mc_config *c = NULL;
	struct errlog log;
	char path[4096];

	put_file(dir, "bad.conf", text, strlen(text), 0644);
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	assert_int_equal(load(dir, "bad.conf", &log, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(log.n, 1);
	assert_string_equal(log.e[0].file, path);
	assert_int_equal(log.e[0].line, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cpu_tasks_keys),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_parse_honours_len),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_group_lookup),
		cmocka_unit_test(test_cgroup_backend),
		cmocka_unit_test(test_cgroup_parent),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_warn_at),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_empty_exempt_lists),
		cmocka_unit_test(test_notify_strings),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_screened_text),
		cmocka_unit_test(test_all_value_errors_reported),
		cmocka_unit_test(test_file_name_reported),
		cmocka_unit_test(test_no_errsink),
		cmocka_unit_test(test_ram_used_for_checks),
		cmocka_unit_test(test_concurrent_parses),
		cmocka_unit_test_setup_teardown(test_load_good, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_group_owner_ignored, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_empty, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_missing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_symlink, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_not_regular, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_writable_by_others, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_not_root_owned, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_size_cap, setup_dir, teardown_dir),
		cmocka_unit_test(test_load_size_cap_while_reading),
		cmocka_unit_test_setup_teardown(test_load_reports_lines, setup_dir, teardown_dir),
		cmocka_unit_test(test_duplicates_all_reported),
		cmocka_unit_test_setup_teardown(test_many_sections, setup_dir, teardown_dir),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_config: must run as root (it chowns files)\n");
		return 1;
	}
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
