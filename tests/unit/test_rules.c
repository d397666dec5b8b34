/* Unit tests for lib/rules.c: who is exempt and why, which rule a user
 * gets (user, first matching group in file order, default), and the limits
 * that rule resolves to. */
#include "unit.h"

#include <inttypes.h>

#include "config.h"
#include "parse.h"
#include "rules.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
#define MAXG 8		/* groups per user in the tables */

static struct mc_config *
config(const char *text)
{
	struct mc_config *cfg = NULL;
	struct errlog log;
	struct mc_errsink sink = errlog_sink(&log);

	if (mc_config_parse("rules.conf", text, strlen(text), 16 * GiB, &sink, &cfg) != 0) {
		errlog_dump(&log);
		fail_msg("test config refused:\n%s", text);
	}
	return cfg;
}

/* One user and what mc_decide must say about them. */
struct want {
	const char *name;
	uid_t uid;
	const char *groups[MAXG];	/* NULL-terminated */
	enum mc_exempt exempt;
	const char *exempt_by;		/* NULL: none */
	const char *kind;		/* "user", "group", "default" */
	const char *rule;		/* rule name, NULL for default */
};

static void
check(const struct mc_config *cfg, const struct want *w, uint64_t ram,
      struct mc_decision *d)
{
	size_t n = 0;
	struct mc_user u;

	while (n < MAXG && w->groups[n] != NULL)
		n++;
	u = (struct mc_user){ .name = w->name, .uid = w->uid, .groups = w->groups,
			      .n_groups = n };
	memset(d, 0xa5, sizeof(*d));
	mc_decide(cfg, &u, ram, d);
	if (d->exempt != w->exempt)
		fail_msg("%s (uid %u): exempt %d (%s), want %d", w->name, (unsigned)w->uid,
			 d->exempt, mc_exempt_reason(d->exempt), w->exempt);
	if ((d->exempt_by == NULL) != (w->exempt_by == NULL) ||
	    (w->exempt_by != NULL && strcmp(d->exempt_by, w->exempt_by) != 0))
		fail_msg("%s: exempt_by \"%s\", want \"%s\"", w->name,
			 d->exempt_by ? d->exempt_by : "(none)",
			 w->exempt_by ? w->exempt_by : "(none)");
	if (w->kind == NULL)
		return;
	if (d->rule_kind == NULL || strcmp(d->rule_kind, w->kind) != 0 ||
	    (d->rule->name == NULL) != (w->rule == NULL) ||
	    (w->rule != NULL && strcmp(d->rule->name, w->rule) != 0))
		fail_msg("%s: rule %s \"%s\", want %s \"%s\"", w->name,
			 d->rule_kind ? d->rule_kind : "(none)",
			 d->rule->name ? d->rule->name : "(default)", w->kind,
			 w->rule ? w->rule : "(default)");
	if (strcmp(w->kind, "default") == 0 && d->rule != &cfg->def)
		fail_msg("%s: default rule is not &cfg->def", w->name);
}

static const char exempt_conf[] =
	"min_uid = 1000\n"
	"exempt_users = {\"svc\", \"root\", \"backup\"}\n"
	"exempt_groups = {\"nolimit\", \"wheel\"}\n"
	"user \"toor\" {\n memory_max = \"1G\"\n}\n"
	"user \"svc\" {\n memory_max = \"1G\"\n}\n";

static void
test_exemptions(void **state)
{
	static const struct want t[] = {
		/* uid 0 is never limited, whatever it is called. */
		{ "root", 0, { "root" }, MC_EXEMPT_ROOT, NULL, NULL, NULL },
		{ "toor", 0, { "users" }, MC_EXEMPT_ROOT, NULL, NULL, NULL },
		{ "", 0, { NULL }, MC_EXEMPT_ROOT, NULL, NULL, NULL },
		/* min_uid and its boundary. */
		{ "daemon", 1, { "daemon" }, MC_EXEMPT_MIN_UID, NULL, NULL, NULL },
		{ "sys", 999, { "sys" }, MC_EXEMPT_MIN_UID, NULL, NULL, NULL },
		{ "first", 1000, { "first" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "last", 4294967294u, { "last" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		/* A low uid is exempt by uid even when also listed by name. */
		{ "svc", 500, { "svc" }, MC_EXEMPT_MIN_UID, NULL, NULL, NULL },
		/* exempt_users, by exact name; the user rule does not undo it. */
		{ "svc", 1500, { "svc" }, MC_EXEMPT_USER, "svc", NULL, NULL },
		{ "backup", 2000, { "backup" }, MC_EXEMPT_USER, "backup", NULL, NULL },
		{ "root", 1001, { "users" }, MC_EXEMPT_USER, "root", NULL, NULL },
		{ "Svc", 1500, { "Svc" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "svc2", 1500, { "svc2" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		/* exempt_groups, primary or supplementary; first list entry wins. */
		{ "ann", 1200, { "nolimit" }, MC_EXEMPT_GROUP, "nolimit", NULL, NULL },
		{ "bea", 1201, { "bea", "users", "wheel" }, MC_EXEMPT_GROUP, "wheel", NULL, NULL },
		{ "cid", 1202, { "wheel", "nolimit" }, MC_EXEMPT_GROUP, "nolimit", NULL, NULL },
		{ "dan", 1203, { "dan", "wheel2", "nolimits" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		/* A group named like an exempt user is not an exempt group. */
		{ "eve", 1204, { "eve", "svc" }, MC_NOT_EXEMPT, NULL, "default", NULL },
	};
	struct mc_config *cfg;

	(void)state;
	cfg = config(exempt_conf);
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_decision d;

		check(cfg, &t[i], 16 * GiB, &d);
	}
	mc_config_free(cfg);
}

/* The exemptions that need no group, decided before groups are looked up
 * (a failing look-up must not refuse these users): the same answer as
 * mc_decide for them, and "not exempt" for those only exempt_groups
 * covers, whatever their groups.  The groups passed are poison: a look at
 * them would match "wheel". */
static void
test_exempt_by_identity(void **state)
{
	static const struct {
		const char *name;
		uid_t uid;
		enum mc_exempt want;
		const char *by;
	} t[] = {
		{ "root", 0, MC_EXEMPT_ROOT, NULL },
		{ "toor", 0, MC_EXEMPT_ROOT, NULL },
		{ "daemon", 1, MC_EXEMPT_MIN_UID, NULL },
		{ "sys", 999, MC_EXEMPT_MIN_UID, NULL },
		{ "svc", 500, MC_EXEMPT_MIN_UID, NULL },
		{ "svc", 1500, MC_EXEMPT_USER, "svc" },
		{ "backup", 1000, MC_EXEMPT_USER, "backup" },
		{ "first", 1000, MC_NOT_EXEMPT, NULL },
		{ "ann", 1200, MC_NOT_EXEMPT, NULL },
		{ "Svc", 1500, MC_NOT_EXEMPT, NULL },
	};
	static const char *const wheel[] = { "wheel", "nolimit" };
	struct mc_config *cfg;

	(void)state;
	cfg = config(exempt_conf);
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_user u = { .name = t[i].name, .uid = t[i].uid, .groups = wheel,
				     .n_groups = NELEM(wheel) };
		const char *by = "poison";
		enum mc_exempt e = mc_exempt_by_identity(cfg, &u, &by);
		struct mc_decision d;

		if (e != t[i].want)
			fail_msg("row %zu (%s, uid %u): %d, want %d", i, t[i].name,
				 (unsigned)t[i].uid, e, t[i].want);
		if ((by == NULL) != (t[i].by == NULL) || (by != NULL && strcmp(by, t[i].by) != 0))
			fail_msg("row %zu: by \"%s\", want \"%s\"", i, by ? by : "(none)",
				 t[i].by ? t[i].by : "(none)");
		assert_int_equal(mc_exempt_by_identity(cfg, &u, NULL), e);
		/* mc_decide agrees wherever identity settles it, and only then
		 * looks at the groups. */
		mc_decide(cfg, &u, 16 * GiB, &d);
		assert_int_equal(d.exempt, e != MC_NOT_EXEMPT ? e : MC_EXEMPT_GROUP);
	}
	mc_config_free(cfg);
}

/* min_uid = 0 exempts nobody by uid, but uid 0 stays exempt. */
static void
test_min_uid_zero(void **state)
{
	static const struct want t[] = {
		{ "root", 0, { "root" }, MC_EXEMPT_ROOT, NULL, NULL, NULL },
		{ "daemon", 1, { "daemon" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "root", 2, { "root" }, MC_NOT_EXEMPT, NULL, "default", NULL },
	};
	struct mc_config *cfg;

	(void)state;
	cfg = config("min_uid = 0\nexempt_users = {}\n");
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_decision d;

		check(cfg, &t[i], 16 * GiB, &d);
	}
	mc_config_free(cfg);
}

static const char rules_conf[] =
	"default {\n"
	"  memory_max = \"2G\"\n"
	"  memory_high = \"1G\"\n"
	"  swap_max = \"512M\"\n"
	"  oom_group = true\n"
	"}\n"
	"group \"students\" {\n"
	"  memory_max = \"1G\"\n"
	"  memory_high = \"768M\"\n"
	"}\n"
	"group \"staff\" {\n"
	"  memory_max = \"4G\"\n"
	"  memory_high = \"3G\"\n"
	"  tty = false\n"
	"}\n"
	"group \"gpu\" {\n"
	"  memory_max = \"50%\"\n"
	"  swap_max = \"max\"\n"
	"  oom_group = false\n"
	"}\n"
	"user \"alice\" {\n"
	"  memory_max = \"8G\"\n"
	"  memory_high = \"max\"\n"
	"}\n"
	"user \"bob\" {\n"
	"  swap_max = \"0\"\n"
	"  mail = true\n"
	"}\n"
	"user \"students\" {\n"
	"  memory_max = \"3G\"\n"
	"}\n"
	"notify {\n"
	"  warn_at = \"85%\"\n"
	"}\n";

static void
test_rule_choice(void **state)
{
	static const struct want t[] = {
		/* A user rule beats every group rule. */
		{ "alice", 1001, { "alice", "staff", "students" }, MC_NOT_EXEMPT, NULL, "user", "alice" },
		{ "bob", 1002, { "students" }, MC_NOT_EXEMPT, NULL, "user", "bob" },
		/* Groups: the first section in the file, not in the user's list. */
		{ "carol", 1003, { "carol", "staff", "students" }, MC_NOT_EXEMPT, NULL, "group", "students" },
		{ "dave", 1004, { "dave", "students", "staff" }, MC_NOT_EXEMPT, NULL, "group", "students" },
		{ "erin", 1005, { "erin", "gpu", "staff" }, MC_NOT_EXEMPT, NULL, "group", "staff" },
		{ "fred", 1006, { "fred", "gpu" }, MC_NOT_EXEMPT, NULL, "group", "gpu" },
		/* The primary group counts as much as a supplementary one. */
		{ "gina", 1007, { "staff" }, MC_NOT_EXEMPT, NULL, "group", "staff" },
		{ "hugo", 1008, { "staff", "students" }, MC_NOT_EXEMPT, NULL, "group", "students" },
		/* No match: default; names match exactly. */
		{ "ivan", 1009, { "ivan" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "jo", 1010, { NULL }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "kim", 1011, { "Staff", "student", "gpu0", "" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "Alice", 1012, { "Alice" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		/* A user rule is looked up by user name, never by group name. */
		{ "lea", 1013, { "lea", "alice" }, MC_NOT_EXEMPT, NULL, "default", NULL },
		{ "students", 1014, { "nobody" }, MC_NOT_EXEMPT, NULL, "user", "students" },
	};
	struct mc_config *cfg;

	(void)state;
	cfg = config(rules_conf);
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_decision d;

		check(cfg, &t[i], 16 * GiB, &d);
	}
	mc_config_free(cfg);
}

/* The limits each rule ends up with: its own keys, default's for the rest,
 * the notify section's for tty, mail and warn_at. */
static void
test_limits_inherited(void **state)
{
	static const struct {
		const char *name;
		const char *groups[MAXG];
		uint64_t max, high, swap;
		bool oom, tty, mail;
		uint32_t warn_at;
	} t[] = {
		{ "ivan", { "ivan" }, 2 * GiB, GiB, 512 * MiB, true, true, false, 8500 },
		{ "dave", { "students" }, GiB, 768 * MiB, 512 * MiB, true, true, false, 8500 },
		{ "gina", { "staff" }, 4 * GiB, 3 * GiB, 512 * MiB, true, false, false, 8500 },
		{ "fred", { "gpu" }, 8 * GiB, GiB, MC_UNLIMITED, false, true, false, 8500 },
		{ "alice", { "staff" }, 8 * GiB, MC_UNLIMITED, 512 * MiB, true, true, false, 8500 },
		{ "bob", { "staff" }, 2 * GiB, GiB, 0, true, true, true, 8500 },
	};
	struct mc_config *cfg;

	(void)state;
	cfg = config(rules_conf);
	for (size_t i = 0; i < NELEM(t); i++) {
		struct want w = { .name = t[i].name, .uid = 1500, .exempt = MC_NOT_EXEMPT };
		struct mc_decision d;
		const struct mc_limits *l = &d.limits;

		memcpy(w.groups, t[i].groups, sizeof(w.groups));
		check(cfg, &w, 16 * GiB, &d);
		if (l->memory_max != t[i].max || l->memory_high != t[i].high ||
		    l->swap_max != t[i].swap || l->oom_group != t[i].oom ||
		    l->tty != t[i].tty || l->mail != t[i].mail || l->warn_at != t[i].warn_at)
			fail_msg("%s: max %" PRIu64 " high %" PRIu64 " swap %" PRIu64
				 " oom %d tty %d mail %d warn %u", t[i].name, l->memory_max,
				 l->memory_high, l->swap_max, l->oom_group, l->tty, l->mail,
				 l->warn_at);
	}
	mc_config_free(cfg);
}

/* bp basis points of ram in whole pages, rounded down, in 128 bits. */
static uint64_t
share(uint64_t ram, uint32_t bp)
{
	return (uint64_t)((unsigned __int128)(ram / 4096) * bp / 10000 * 4096);
}

/* Percentages resolve against the RAM given to mc_decide. */
static void
test_percent_limits(void **state)
{
	static const uint64_t rams[] = {
		GiB, 4 * GiB + 4095, 16 * GiB, 24684092ull * 1024, 3 * (1ull << 40),
		(uint64_t)INT64_MAX, UINT64_MAX,
	};
	struct mc_config *cfg;

	(void)state;
	cfg = config("default {\n memory_max = \"25%\"\n memory_high = \"20.5%\"\n"
		     " swap_max = \"100%\"\n}\n");
	for (size_t i = 0; i < NELEM(rams); i++) {
		struct want w = { .name = "u", .uid = 5000, .exempt = MC_NOT_EXEMPT,
				  .kind = "default" };
		struct mc_decision d;

		check(cfg, &w, rams[i], &d);
		if (d.limits.memory_max != share(rams[i], 2500) ||
		    d.limits.memory_high != share(rams[i], 2050) ||
		    d.limits.swap_max != share(rams[i], 10000))
			fail_msg("%" PRIu64 " bytes of RAM: max %" PRIu64 " high %" PRIu64
				 " swap %" PRIu64, rams[i], d.limits.memory_max,
				 d.limits.memory_high, d.limits.swap_max);
	}
	mc_config_free(cfg);

	/* The default default is 25% of RAM, everything else unlimited. */
	cfg = config("");
	{
		struct want w = { .name = "u", .uid = 5000, .exempt = MC_NOT_EXEMPT,
				  .kind = "default" };
		struct mc_decision d;

		check(cfg, &w, 16 * GiB, &d);
		assert_int_equal(d.limits.memory_max, 4 * GiB);
		assert_int_equal(d.limits.memory_high, MC_UNLIMITED);
		assert_int_equal(d.limits.swap_max, MC_UNLIMITED);
		assert_false(d.limits.oom_group);
		assert_true(d.limits.tty);
		assert_false(d.limits.mail);
		assert_int_equal(d.limits.warn_at, 9000);
		check(cfg, &w, 6 * GiB, &d);
		assert_int_equal(d.limits.memory_max, 1536 * MiB);
	}
	mc_config_free(cfg);
}

/* mc_rule_limits on its own, for each rule of the file. */
static void
test_rule_limits(void **state)
{
	struct mc_config *cfg;
	struct mc_limits l;

	(void)state;
	cfg = config(rules_conf);
	mc_rule_limits(&cfg->def, 16 * GiB, &l);
	assert_int_equal(l.memory_max, 2 * GiB);
	assert_int_equal(l.swap_max, 512 * MiB);
	assert_true(l.oom_group);
	assert_string_equal(cfg->groups[2].name, "gpu");
	mc_rule_limits(&cfg->groups[2], 10 * GiB, &l);
	assert_int_equal(l.memory_max, 5 * GiB);
	assert_int_equal(l.swap_max, MC_UNLIMITED);
	assert_false(l.oom_group);
	mc_config_free(cfg);
}

static void
test_exempt_reasons(void **state)
{
	static const enum mc_exempt all[] = {
		MC_NOT_EXEMPT, MC_EXEMPT_ROOT, MC_EXEMPT_MIN_UID, MC_EXEMPT_USER,
		MC_EXEMPT_GROUP,
	};

	(void)state;
	for (size_t i = 0; i < NELEM(all); i++) {
		const char *r = mc_exempt_reason(all[i]);

		assert_non_null(r);
		assert_true(strlen(r) > 0);
		for (size_t k = 0; k < i; k++)
			if (strcmp(r, mc_exempt_reason(all[k])) == 0)
				fail_msg("reasons %d and %d are both \"%s\"", all[i], all[k], r);
	}
	assert_non_null(strstr(mc_exempt_reason(MC_EXEMPT_ROOT), "0"));
	assert_non_null(strstr(mc_exempt_reason(MC_EXEMPT_MIN_UID), "min_uid"));
	assert_non_null(strstr(mc_exempt_reason(MC_EXEMPT_USER), "exempt_users"));
	assert_non_null(strstr(mc_exempt_reason(MC_EXEMPT_GROUP), "exempt_groups"));
	assert_non_null(mc_exempt_reason((enum mc_exempt)99));
}

/* cpu_max, cpu_weight and tasks_max resolve as the memory keys do (user
 * rule, first group rule, default, each key from default when the rule
 * leaves it out), and only configured keys are in force. */
static void
test_cpu_tasks_limits(void **state)
{
	static const char *const staff[] = { "staff", NULL };
	static const char *const none[] = { NULL };
	struct mc_config *cfg;
	struct mc_decision d;
	struct mc_user u = { .name = "bob", .uid = 1001, .groups = staff, .n_groups = 1 };

	(void)state;
	cfg = config("default { cpu_max = \"50%\" tasks_max = 200 }\n"
		     "group \"staff\" { cpu_weight = 400 }\n"
		     "group \"other\" { cpu_max = \"max\" }\n"
		     "user \"alice\" { cpu_max = \"1.5\" tasks_max = \"max\" }\n");
	/* 50% of 4 CPUs is two CPUs' worth per period. */
	mc_decide_on(cfg, &u, 16 * GiB, 4, &d);
	assert_string_equal(d.rule_kind, "group");
	assert_int_equal(d.limits.configured, MC_SET_OPTIONAL_KEYS);
	assert_true(mc_limits_use_cpu(&d.limits));
	assert_true(mc_limits_use_pids(&d.limits));
	assert_int_equal(d.limits.cpu_quota_us, 200000);
	assert_int_equal(d.limits.cpu_weight, 400);
	assert_int_equal(d.limits.tasks_max, 200);
	mc_decide_on(cfg, &u, 16 * GiB, 1, &d);
	assert_int_equal(d.limits.cpu_quota_us, 50000);

	u.name = "alice";
	mc_decide_on(cfg, &u, 16 * GiB, 4, &d);
	assert_string_equal(d.rule_kind, "user");
	assert_int_equal(d.limits.configured, MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	assert_int_equal(d.limits.cpu_quota_us, 150000);
	assert_int_equal(d.limits.tasks_max, MC_UNLIMITED);
	assert_int_equal(d.limits.cpu_weight, 100);

	u.name = "carol";
	u.groups = none;
	u.n_groups = 0;
	mc_decide_on(cfg, &u, 16 * GiB, 2, &d);
	assert_string_equal(d.rule_kind, "default");
	assert_int_equal(d.limits.configured, MC_SET_CPU_MAX | MC_SET_TASKS_MAX);
	assert_int_equal(d.limits.cpu_quota_us, 100000);
	mc_config_free(cfg);

	/* Nothing configured: neither controller is used. */
	cfg = config("default { memory_max = \"1G\" }\ngroup \"staff\" { memory_max = \"2G\" }\n");
	u.groups = staff;
	u.n_groups = 1;
	mc_decide_on(cfg, &u, 16 * GiB, 2, &d);
	assert_int_equal(d.limits.configured, 0);
	assert_false(mc_limits_use_cpu(&d.limits));
	assert_false(mc_limits_use_pids(&d.limits));
	mc_config_free(cfg);

	/* A weight alone uses the cpu controller. */
	cfg = config("user \"bob\" { cpu_weight = 50 }\n");
	u.name = "bob";
	mc_decide_on(cfg, &u, 16 * GiB, 2, &d);
	assert_true(mc_limits_use_cpu(&d.limits));
	assert_false(mc_limits_use_pids(&d.limits));
	mc_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exemptions),
		cmocka_unit_test(test_exempt_by_identity),
		cmocka_unit_test(test_min_uid_zero),
		cmocka_unit_test(test_rule_choice),
		cmocka_unit_test(test_limits_inherited),
		cmocka_unit_test(test_percent_limits),
		cmocka_unit_test(test_rule_limits),
		cmocka_unit_test(test_cpu_tasks_limits),
		cmocka_unit_test(test_exempt_reasons),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
