/* memcgctl: check the config, explain which limits a user gets, and show the
 * users' memory cgroups. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "cgroup.h"
#include "config.h"
#include "log.h"
#include "machine.h"
#include "parse.h"
#include "rules.h"
#include "sanitize.h"
#include "systemd.h"

/* Exit codes. */
#define EX_OK 0
#define EX_PROBLEM 1	/* config invalid, user unknown, cgroup unreadable */
#define EX_USAGE 2

static char prog[] = "memcgctl";

static void
usage(FILE *fp)
{
	fprintf(fp,
		"Usage: %s COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  check [-c CONF]                 validate the config; print each error as\n"
		"                                  FILE:LINE: MESSAGE and exit 1 if there are any;\n"
		"                                  warn about users and groups NSS does not know\n"
		"  explain [-c CONF] USER          show which rule applies to USER, the limits\n"
		"                                  in bytes (memory) and CPUs, tasks (cpu_max,\n"
		"                                  cpu_weight, tasks_max, each with the rule that\n"
		"                                  gives it), the cgroup path, any exemption, and\n"
		"                                  the limit in force when it is not the configured one\n"
		"  status [-c CONF] [USER] [--json]\n"
		"                                  show each user cgroup: processes, usage, peak,\n"
		"                                  limits in force and OOM kills, and the configured\n"
		"                                  memory_max where it differs; below each user where\n"
		"                                  the cpu and pids controllers are in use, CPU time\n"
		"                                  used and throttled, cpu_max, cpu_weight, tasks and\n"
		"                                  tasks_max (non-root: own lines only)\n"
		"\n"
		"Options:\n"
		"  -c, --config CONF  config file (default %s)\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 success, 1 a problem was found, 2 usage error.\n",
		prog, MC_DEFAULT_CONF);
}

static void
print_error(void *ctx, const char *file, int line, const char *msg)
{
	int *count = ctx;

	if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
	(*count)++;
}

static int
load(const char *path, struct mc_config **cfg)
{
	int count = 0;
	struct mc_errsink errs = { .fn = print_error, .ctx = &count };
	int r = mc_config_load(path, 0, &errs, cfg);

	if (r == -ENOENT)
		fprintf(stderr, "%s: no such file\n", path);
	return r;
}

/* Parses "-c CONF", "--json" and "-h" after the command word. */
static int
parse_opts(int argc, char **argv, const char **conf, int *json)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*conf = optarg;
			break;
		case 'j':
			if (json == NULL) {
				fprintf(stderr, "%s: --json only goes with status\n", prog);
				return -1;
			}
			*json = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	return optind;
}

/* Names NSS does not know are valid but most likely typos; a group rule
 * for an unknown group also costs every login a search of every NSS
 * back-end.  Warnings only: the config stays usable. */
static bool
user_known(const char *name)
{
	struct mc_account a;
	int r = mc_account_by_name(name, &a);

	if (r == 0)
		mc_account_free(&a);
	return r != -ENOENT;
}

static size_t
warn_unknown_names(const char *conf, const struct mc_config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_exempt_groups; i++)
		if (mc_group_known(cfg->exempt_groups[i]) == 0 && ++n)
			fprintf(stderr, "%s: warning: exempt_groups: no group \"%s\" is known to NSS\n",
				conf, cfg->exempt_groups[i]);
	for (size_t i = 0; i < cfg->n_exempt_users; i++)
		if (!user_known(cfg->exempt_users[i]) && ++n)
			fprintf(stderr, "%s: warning: exempt_users: no user \"%s\" is known to NSS\n",
				conf, cfg->exempt_users[i]);
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (mc_group_known(cfg->groups[i].name) == 0 && ++n)
			fprintf(stderr, "%s:%d: warning: group \"%s\": no such group is known to NSS: the rule never applies, and each login searches every NSS back-end for it\n",
				conf, cfg->groups[i].line, cfg->groups[i].name);
	for (size_t i = 0; i < cfg->n_users; i++)
		if (!user_known(cfg->users[i].name) && ++n)
			fprintf(stderr, "%s:%d: warning: user \"%s\": no such user is known to NSS: the rule never applies\n",
				conf, cfg->users[i].line, cfg->users[i].name);
	return n;
}

static int
cmd_check(int argc, char **argv)
{
	const char *conf = MC_DEFAULT_CONF;
	struct mc_config *cfg = NULL;
	size_t warnings;
	int i;

	if ((i = parse_opts(argc, argv, &conf, NULL)) < 0)
		return EX_USAGE;
	if (i != argc) {
		fprintf(stderr, "%s: check takes no arguments\n", prog);
		return EX_USAGE;
	}
	if (load(conf, &cfg) < 0)
		return EX_PROBLEM;
	warnings = warn_unknown_names(conf, cfg);
	printf("%s: OK (%zu group rules, %zu user rules", conf, cfg->n_groups, cfg->n_users);
	if (warnings > 0)
		printf("; %zu warning%s above", warnings, warnings > 1 ? "s" : "");
	printf(")\n");
	mc_config_free(cfg);
	return EX_OK;
}

static void
print_size(const char *label, uint64_t v)
{
	char h[32];

	if (v == MC_UNLIMITED)
		printf("%-13s max\n", label);
	else
		printf("%-13s %llu (%s)\n", label, (unsigned long long)v,
		       mc_size_human(v, h, sizeof(h)));
}

/* raw as it may go to a terminal: control characters and invalid UTF-8
 * escaped (lib/sanitize.h).  Returns buf. */
static const char *
safe(const char *raw, char *buf, size_t len)
{
	mc_sanitize_str(raw, buf, len, 0);
	return buf;
}

/* Which rule gives key bit of d: "user \"alice\" (conf:12)" or "default". */
static const char *
rule_of(const struct mc_config *cfg, const struct mc_decision *d, unsigned bit,
	const char *conf, char *buf, size_t len)
{
	char name[4 * 256 + 8];

	if (d->rule->name != NULL && (d->rule->set & bit))
		snprintf(buf, len, "%s \"%s\" (%s:%d)", d->rule_kind,
			 safe(d->rule->name, name, sizeof(name)), conf, d->rule->line);
	else if (cfg->def.line > 0)
		snprintf(buf, len, "default (%s:%d)", conf, cfg->def.line);
	else
		snprintf(buf, len, "default");
	return buf;
}

/* cpu_max, cpu_weight and tasks_max, and the rule each comes from; a key
 * nobody configures leaves its controller alone. */
static void
print_optional(const struct mc_config *cfg, const struct mc_decision *d, const char *conf)
{
	const struct mc_limits *l = &d->limits;
	char v[64], from[4 * 256 + 64];

	if (l->configured & MC_SET_CPU_MAX) {
		mc_cpu_human(l->cpu_quota_us, v, sizeof(v));
		printf("%-13s %s", "cpu_max:", v);
		if (l->cpu_quota_us != MC_UNLIMITED)
			printf(" (%llu us per %llu us)", (unsigned long long)l->cpu_quota_us,
			       (unsigned long long)MC_CPU_PERIOD_US);
		printf(", from %s\n", rule_of(cfg, d, MC_SET_CPU_MAX, conf, from, sizeof(from)));
	} else {
		printf("%-13s not configured (no CPU limit)\n", "cpu_max:");
	}
	if (l->configured & MC_SET_CPU_WEIGHT)
		printf("%-13s %u (v1 cpu.shares %llu), from %s\n", "cpu_weight:", l->cpu_weight,
		       (unsigned long long)mc_cpu_shares_of_weight(l->cpu_weight),
		       rule_of(cfg, d, MC_SET_CPU_WEIGHT, conf, from, sizeof(from)));
	else
		printf("%-13s not configured (the kernel's %d)\n", "cpu_weight:", MC_CPU_WEIGHT_DEFAULT);
	if (l->configured & MC_SET_TASKS_MAX) {
		if (l->tasks_max == MC_UNLIMITED)
			snprintf(v, sizeof(v), "max");
		else
			snprintf(v, sizeof(v), "%llu", (unsigned long long)l->tasks_max);
		printf("%-13s %s, from %s\n", "tasks_max:", v,
		       rule_of(cfg, d, MC_SET_TASKS_MAX, conf, from, sizeof(from)));
	} else {
		printf("%-13s not configured (no task limit)\n", "tasks_max:");
	}
}

/* For configured CPU and task limits: whether this machine has their
 * controllers (the reason, when not, on standard error), and what is in
 * force while the user's cgroups exist. */
static void
explain_cpu_pids(const struct mc_hier *h, const char *rel, const struct mc_decision *d,
		 const struct mc_config *cfg)
{
	struct mc_log log = { .emit = mc_log_stderr, .ctx = prog };
	struct mc_hier_set set = { .n = 1 };
	struct mc_cg_cpustats cs;
	unsigned want = 0, missing = 0;
	char c[32];

	if (mc_limits_use_cpu(&d->limits))
		want |= MC_CTRL_CPU;
	if (mc_limits_use_pids(&d->limits))
		want |= MC_CTRL_PIDS;
	if (want == 0)
		return;
	/* The caller keeps h's fd: only the hierarchies added here are closed. */
	set.h[0] = *h;
	(void)mc_hier_set_add(&set, want, &missing, &log);
	if (missing != 0)
		printf("%-13s %s%s%s: no usable %s controller on this machine (on_error = %s)\n",
		       "not applied:", missing & MC_CTRL_CPU ? "cpu_max, cpu_weight" : "",
		       missing == (MC_CTRL_CPU | MC_CTRL_PIDS) ? ", " : "",
		       missing & MC_CTRL_PIDS ? "tasks_max" : "",
		       missing == (MC_CTRL_CPU | MC_CTRL_PIDS) ? "cpu or pids"
		       : missing & MC_CTRL_CPU ? "cpu" : "pids",
		       cfg->on_error == MC_ON_ERROR_FAIL ? "fail: sessions are refused"
							 : "ignore: sessions go on without them");
	(void)mc_cg_cpu_stats(&set, rel, &cs);
	if (cs.have_cpu || cs.have_pids) {
		printf("%-13s", "in force:");
		if (cs.have_cpu)
			printf(" cpu_max %s, cpu_weight %llu", mc_cpu_human(cs.quota_us, c, sizeof(c)),
			       (unsigned long long)cs.weight);
		if (cs.have_pids) {
			printf("%s tasks %llu of ", cs.have_cpu ? "," : "", (unsigned long long)cs.tasks);
			if (cs.tasks_max == MC_UNLIMITED)
				printf("max");
			else
				printf("%llu", (unsigned long long)cs.tasks_max);
		}
		printf("\n");
	}
	mc_hier_set_close_extra(&set);
}

static int
cmd_explain(int argc, char **argv)
{
	const char *conf = MC_DEFAULT_CONF;
	struct mc_config *cfg = NULL;
	struct mc_account acct;
	struct mc_decision d;
	struct mc_hier h = { .rootfd = -1 };
	struct mc_log log = { .emit = mc_log_stderr, .ctx = prog };
	struct mc_layout lay;
	enum mc_backend backend;
	char rel[PATH_MAX], name[4 * 256 + 8], buf[4 * 256 + 8];
	int i, r;

	if ((i = parse_opts(argc, argv, &conf, NULL)) < 0)
		return EX_USAGE;
	if (argc - i != 1) {
		fprintf(stderr, "%s: explain takes exactly one USER\n", prog);
		return EX_USAGE;
	}
	if ((r = mc_account_by_name(argv[i], &acct)) < 0) {
		fprintf(stderr, "%s: user \"%s\": %s\n", prog, safe(argv[i], name, sizeof(name)),
			r == -ENOENT ? "no such user" : strerror(-r));
		return EX_PROBLEM;
	}
	if (load(conf, &cfg) < 0) {
		mc_account_free(&acct);
		return EX_PROBLEM;
	}
	/* Names from NSS (and the config's rule names) go to the admin's
	 * terminal: sanitised, as status does. */
	safe(acct.name, name, sizeof(name));
	/* As the module: no group look-up for users exempt without one. */
	if (mc_exempt_by_identity(cfg, &acct.user, NULL) == MC_NOT_EXEMPT &&
	    (r = mc_account_load_groups(&acct, cfg)) < 0) {
		fprintf(stderr, "%s: cannot look up the groups of %s: %s\n", prog, name,
			strerror(-r));
		mc_config_free(cfg);
		mc_account_free(&acct);
		return EX_PROBLEM;
	}
	mc_decide(cfg, &acct.user, mc_ram_bytes(), &d);

	printf("%-13s %s (uid %u)\n", "user:", name, (unsigned)acct.uid);
	printf("%-13s", "groups:");
	for (size_t g = 0; g < acct.n_groups; g++)
		printf("%s%s", g ? ", " : " ", safe(acct.groups[g], buf, sizeof(buf)));
	if (acct.n_oversized > 0)
		printf(" (%s%s: entry over %d bytes, taken as not listing the user)",
		       safe(acct.oversized, buf, sizeof(buf)),
		       acct.n_oversized > 1 ? " and others" : "", MC_NSS_BUF_MAX);
	if (d.exempt != MC_NOT_EXEMPT && d.exempt != MC_EXEMPT_GROUP)
		printf(" (not looked up: exempt by uid or exempt_users)");
	else if (cfg->n_groups == 0 && cfg->n_exempt_groups == 0)
		printf(" (not looked up: no rule names a group)");
	else if (cfg->group_lookup == MC_GROUPS_MEMBERS)
		printf("%s(of the groups the config names; group_lookup = members)",
		       acct.n_groups ? " " : " none ");
	printf("\n%-13s %s\n", "config:", conf);
	if (d.exempt != MC_NOT_EXEMPT)
		printf("%-13s yes: %s%s%s%s\n", "exempt:", mc_exempt_reason(d.exempt),
		       d.exempt_by ? " (" : "", d.exempt_by ? safe(d.exempt_by, buf, sizeof(buf)) : "",
		       d.exempt_by ? ")" : "");
	else
		printf("%-13s no\n", "exempt:");
	if (d.rule->name != NULL)
		printf("%-13s %s \"%s\" (%s:%d)\n", "rule:", d.rule_kind,
		       safe(d.rule->name, buf, sizeof(buf)), conf, d.rule->line);
	else
		printf("%-13s default\n", "rule:");
	print_size("memory_max:", d.limits.memory_max);
	print_size("memory_high:", d.limits.memory_high);
	print_size("swap_max:", d.limits.swap_max);
	printf("%-13s %s\n", "oom_group:", d.limits.oom_group ? "yes" : "no");
	print_optional(cfg, &d, conf);
	if (mc_backend_resolve(cfg->cgroup_backend, &backend, &log) < 0)
		backend = MC_BACKEND_SYSTEMD;
	mc_layout_for(cfg, backend, &lay);
	mc_layout_user_cgroup(&lay, acct.uid, rel, sizeof(rel));
	if (mc_hier_find(backend == MC_BACKEND_SYSTEMD ? MC_CG_V2 : cfg->cgroup_version,
			 &h, &log) == 0) {
		struct mc_cg_stats st;
		char h1[32], h2[32], h3[32];

		printf("%-13s %s/%s (cgroup v%d)\n", "cgroup:", h.mnt, rel, h.version);
		/* What the kernel has in force, when a session is open. */
		if (mc_cg_stats(&h, rel, &st) == 0) {
			printf("%-13s memory_max %s, usage %s", "in force:",
			       mc_size_human(st.max, h1, sizeof(h1)),
			       mc_size_human(st.current, h2, sizeof(h2)));
			if (d.exempt == MC_NOT_EXEMPT &&
			    mc_limit_differs(d.limits.memory_max, st.max, (uint64_t)sysconf(_SC_PAGESIZE)))
				printf(" (not the %s configured%s)",
				       mc_size_human(d.limits.memory_max, h3, sizeof(h3)),
				       st.max > d.limits.memory_max
				       ? ": usage was above it when it was set; the next login lowers it again" : "");
			printf("\n");
		}
		explain_cpu_pids(&h, rel, &d, cfg);
	} else
		printf("%-13s <memory hierarchy>/%s (no usable hierarchy found)\n",
		       "cgroup:", rel);
	if (backend == MC_BACKEND_SYSTEMD)
		printf("%-13s systemd: runtime MemoryMax, MemoryHigh, MemorySwapMax%s%s%s of user-%u.slice\n",
		       "backend:",
		       d.limits.configured & MC_SET_CPU_MAX ? ", CPUQuota" : "",
		       d.limits.configured & MC_SET_CPU_WEIGHT ? ", CPUWeight" : "",
		       d.limits.configured & MC_SET_TASKS_MAX ? ", TasksMax" : "",
		       (unsigned)acct.uid);
	else
		printf("%-13s cgroupfs%s\n", "backend:",
		       cfg->cgroup_backend == MC_BACKEND_AUTO ? " (auto: no systemd with logind on cgroup v2)" : "");
	if (d.exempt != MC_NOT_EXEMPT)
		printf("note:         exempt users are not put into a cgroup; the limits above are not applied\n");
	mc_hier_close(&h);
	mc_config_free(cfg);
	mc_account_free(&acct);
	return EX_OK;
}

struct status_ctx {
	const struct mc_hier *h;
	const struct mc_hier_set *set;	/* h and the cpu, cpuacct, pids ones */
	const struct mc_config *cfg;
	uint64_t ram;
	struct mc_layout lay;
	uid_t only;		/* (uid_t)-1: everyone */
	int json;
	int rows;
	int failures;
};

static void
json_size(const char *key, uint64_t v, const char *sep)
{
	if (v == MC_UNLIMITED)
		printf("\"%s\":null%s", key, sep);
	else
		printf("\"%s\":%llu%s", key, (unsigned long long)v, sep);
}

/* User names are NSS data: print them sanitised (no control characters,
 * no invalid UTF-8) and escaped for JSON. */
static void
json_string(const char *raw)
{
	char s[1024];

	mc_sanitize_str(raw, s, sizeof(s), 0);
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* The memory_max the config gives uid (MC_UNLIMITED when exempt), as the
 * module decides it.  Returns 0 or a negative errno (unknown user, group
 * look-up failed). */
static int
configured_max(const struct mc_config *cfg, uid_t uid, uint64_t ram, uint64_t *out)
{
	struct mc_account acct;
	struct mc_decision d;
	int r;

	if ((r = mc_account_by_uid(uid, &acct)) < 0)
		return r;
	if (mc_exempt_by_identity(cfg, &acct.user, NULL) == MC_NOT_EXEMPT &&
	    (r = mc_account_load_groups(&acct, cfg)) < 0) {
		mc_account_free(&acct);
		return r;
	}
	mc_decide(cfg, &acct.user, ram, &d);
	*out = d.exempt != MC_NOT_EXEMPT ? MC_UNLIMITED : d.limits.memory_max;
	mc_account_free(&acct);
	return 0;
}

/* Seconds with one decimal from microseconds. */
static const char *
secs(uint64_t us, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%llus", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000 / 100000));
	return buf;
}

/* The indented line below a user's row with CPU use and tasks, where the
 * user's cgroup has the controllers (the table above stays as it was). */
static void
print_cpu_line(const struct mc_cg_cpustats *cs)
{
	char a[32], b[32], c[32];

	if (!cs->have_usage && !cs->have_cpu && !cs->have_pids)
		return;
	printf("%-8s", "");
	if (cs->have_usage)
		printf(" cpu used %s", secs(cs->usage_us, a, sizeof(a)));
	if (cs->have_cpu)
		printf("%s throttled %s, cpu_max %s, cpu_weight %llu", cs->have_usage ? "," : "",
		       secs(cs->throttled_us, b, sizeof(b)), mc_cpu_human(cs->quota_us, c, sizeof(c)),
		       (unsigned long long)cs->weight);
	if (cs->have_pids) {
		printf("%s tasks %llu", cs->have_usage || cs->have_cpu ? ";" : "",
		       (unsigned long long)cs->tasks);
		if (cs->tasks_max == MC_UNLIMITED)
			printf(" (tasks_max max)");
		else
			printf(" of tasks_max %llu", (unsigned long long)cs->tasks_max);
	}
	printf("\n");
}

/* The CPU and task members of a --json row, each with its trailing comma;
 * null where not known. */
static void
json_cpu(const struct mc_cg_cpustats *cs)
{
	printf("\"cpu_usage_usec\":");
	cs->have_usage ? printf("%llu,", (unsigned long long)cs->usage_us) : printf("null,");
	printf("\"cpu_throttled_usec\":");
	cs->have_cpu ? printf("%llu,", (unsigned long long)cs->throttled_us) : printf("null,");
	printf("\"cpu_nr_throttled\":");
	cs->have_cpu ? printf("%llu,", (unsigned long long)cs->nr_throttled) : printf("null,");
	/* cpu_max in microseconds per period: null for none (or unknown). */
	printf("\"cpu_max_usec\":");
	cs->have_cpu && cs->quota_us != MC_UNLIMITED
		? printf("%llu,", (unsigned long long)cs->quota_us) : printf("null,");
	printf("\"cpu_period_usec\":%llu,", (unsigned long long)MC_CPU_PERIOD_US);
	printf("\"cpu_weight\":");
	cs->have_cpu ? printf("%llu,", (unsigned long long)cs->weight) : printf("null,");
	printf("\"tasks\":");
	cs->have_pids ? printf("%llu,", (unsigned long long)cs->tasks) : printf("null,");
	printf("\"tasks_max\":");
	cs->have_pids && cs->tasks_max != MC_UNLIMITED
		? printf("%llu,", (unsigned long long)cs->tasks_max) : printf("null,");
}

static int
status_one(void *vctx, uid_t uid)
{
	struct status_ctx *ctx = vctx;
	struct mc_cg_stats st;
	struct mc_cg_cpustats cs;
	struct mc_account acct;
	char rel[PATH_MAX], raw[256], name[64], h1[32], h2[32], h3[32], h4[32], h5[32];
	uint64_t cfg_max = MC_UNLIMITED;
	bool have_cfg, differs;
	int r;

	if (ctx->only != (uid_t)-1 && uid != ctx->only)
		return 0;
	if (mc_layout_user_cgroup(&ctx->lay, uid, rel, sizeof(rel)) < 0)
		return 0;
	if ((r = mc_cg_stats(ctx->h, rel, &st)) < 0) {
		if (r != -ENOENT) {
			fprintf(stderr, "%s: %s/%s: %s\n", prog, ctx->h->mnt, rel, strerror(-r));
			ctx->failures++;
		}
		return 0;
	}
	(void)mc_cg_cpu_stats(ctx->set, rel, &cs);
	if (mc_account_by_uid(uid, &acct) == 0) {
		snprintf(raw, sizeof(raw), "%s", acct.name);
		mc_account_free(&acct);
	} else {
		snprintf(raw, sizeof(raw), "#%u", (unsigned)uid);
	}
	/* NSS data on a terminal: sanitised (json_string does its own). */
	mc_sanitize_str(raw, name, sizeof(name), 0);
	/* The limit in force can differ from the configured one: on v1 the
	 * kernel keeps a higher one while usage is above the new one. */
	have_cfg = configured_max(ctx->cfg, uid, ctx->ram, &cfg_max) == 0;
	differs = have_cfg && mc_limit_differs(cfg_max, st.max, (uint64_t)sysconf(_SC_PAGESIZE));
	if (ctx->json) {
		printf("%s{\"uid\":%u,\"user\":", ctx->rows ? "," : "", (unsigned)uid);
		json_string(raw);
		printf(",\"cgroup\":");
		json_string(rel);
		printf(",\"procs\":%u,", st.nprocs);
		json_size("usage", st.current, ",");
		if (st.have_peak)
			json_size("peak", st.peak, ",");
		else
			printf("\"peak\":null,");
		json_size("limit", st.max, ",");
		if (have_cfg) {
			json_size("limit_configured", cfg_max, ",");
			printf("\"limit_differs\":%s,", differs ? "true" : "false");
		}
		json_size("high", st.high, ",");
		json_size("swap", st.swap_max, ",");
		json_cpu(&cs);
		printf("\"oom_kills\":%llu}", (unsigned long long)st.oom_kills);
	} else {
		if (ctx->rows == 0)
			printf("%-8s %-16s %6s %10s %10s %10s %10s %10s %9s\n", "UID", "USER",
			       "PROCS", "USAGE", "PEAK", "LIMIT", "HIGH", "SWAP", "OOM-KILLS");
		printf("%-8u %-16.16s %6u %10s %10s %10s %10s %10s %9llu\n", (unsigned)uid,
		       name, st.nprocs, mc_size_human(st.current, h1, sizeof(h1)),
		       st.have_peak ? mc_size_human(st.peak, h2, sizeof(h2)) : "-",
		       mc_size_human(st.max, h3, sizeof(h3)),
		       mc_size_human(st.high, h4, sizeof(h4)),
		       mc_size_human(st.swap_max, h5, sizeof(h5)),
		       (unsigned long long)st.oom_kills);
		print_cpu_line(&cs);
		if (differs)
			printf("%-8s limit in force %s, configured memory_max %s%s\n", "", h3,
			       mc_size_human(cfg_max, h4, sizeof(h4)),
			       st.max > cfg_max ? " (usage was above it; the next login lowers it again)" : "");
	}
	ctx->rows++;
	return 0;
}

static int
cmd_status(int argc, char **argv)
{
	const char *conf = MC_DEFAULT_CONF;
	struct mc_config *cfg = NULL;
	struct mc_hier_set set = { .h = { { .rootfd = -1 } }, .n = 0 };
	struct mc_hier *hp = &set.h[0];
	struct mc_log log = { .emit = mc_log_stderr, .ctx = prog };
	struct mc_log quiet = { 0 };
	struct status_ctx ctx = { .only = (uid_t)-1 };
	unsigned missing;
	enum mc_backend backend;
	int i, r, ret = EX_PROBLEM;

	if ((i = parse_opts(argc, argv, &conf, &ctx.json)) < 0)
		return EX_USAGE;
	if (argc - i > 1) {
		fprintf(stderr, "%s: status takes at most one USER\n", prog);
		return EX_USAGE;
	}
	if (argc - i == 1) {
		struct mc_account acct;

		if ((r = mc_account_by_name(argv[i], &acct)) < 0) {
			fprintf(stderr, "%s: user \"%s\": %s\n", prog, argv[i],
				r == -ENOENT ? "no such user" : strerror(-r));
			return EX_PROBLEM;
		}
		ctx.only = acct.uid;
		mc_account_free(&acct);
	}
	/* Other users' usage is their business and root's. */
	if (getuid() != 0) {
		if (ctx.only != (uid_t)-1 && ctx.only != getuid()) {
			fprintf(stderr, "%s: only root may see other users' cgroups\n", prog);
			return EX_PROBLEM;
		}
		ctx.only = getuid();
	}
	if (load(conf, &cfg) < 0)
		return EX_PROBLEM;
	if (mc_backend_resolve(cfg->cgroup_backend, &backend, &log) < 0 ||
	    mc_hier_find(backend == MC_BACKEND_SYSTEMD ? MC_CG_V2 : cfg->cgroup_version,
			 hp, &log) < 0)
		goto out;
	set.n = 1;
	/* CPU use and tasks where those controllers are mounted (whether a
	 * user's cgroup has them shows per user). */
	(void)mc_hier_set_add(&set, MC_CTRL_CPU | MC_CTRL_PIDS, &missing, &quiet);
	ctx.h = hp;
	ctx.set = &set;
	ctx.cfg = cfg;
	ctx.ram = mc_ram_bytes();
	mc_layout_for(cfg, backend, &ctx.lay);
	if (ctx.json)
		printf("[");
	r = mc_cg_each_user_in(hp, &ctx.lay, status_one, &ctx);
	if (ctx.json)
		printf("]\n");
	if (r < 0 && r != -ENOENT) {
		fprintf(stderr, "%s: %s/%s: %s\n", prog, hp->mnt, ctx.lay.parent, strerror(-r));
		goto out;
	}
	if (!ctx.json && ctx.rows == 0 && ctx.only != (uid_t)-1)
		printf("uid %u has no memory cgroup under %s/%s (no session open?)\n",
		       (unsigned)ctx.only, hp->mnt, ctx.lay.parent);
	else if (!ctx.json && ctx.rows == 0)
		printf("no user cgroups under %s/%s\n", hp->mnt, ctx.lay.parent);
	ret = ctx.failures ? EX_PROBLEM : EX_OK;
out:
	mc_hier_set_close_extra(&set);
	mc_hier_close(hp);
	mc_config_free(cfg);
	return ret;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command \"%s\"\n", prog, argv[1]);
	usage(stderr);
	return EX_USAGE;
}
