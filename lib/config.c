/* Reads and validates the configuration file: libconfuse does the syntax
 * (confuse_guard.c works around it), a callback here checks each value, so
 * every problem is reported with its line and parsing goes on to the next. */
#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "confuse_guard.h"
#include "dupes.h"
#include "machine.h"

/* A user or group section as taken out of libconfuse when it closes: the
 * keys it gave (r.set), not yet merged with the default section, which may
 * come later in the file. */
struct rule_src {
	struct mc_rule r;
	int high_line, max_line;	/* where memory_high/_max were given; 0: not */
};

struct rule_list {
	struct rule_src *v;	/* file order */
	size_t n, cap;
};

/* State of the parse in progress, which libconfuse's callbacks reach
 * through mc_confuse_ctx() (they get no data of their own). */
struct parse_ctx {
	const char *file;
	const struct mc_errsink *errs;
	int nerrors;
	cfg_t *top;
	/* Options already given (bit: index in the section's option array),
	 * at the top level and in the section being read, to catch repeats. */
	unsigned top_seen, sec_seen;
	int ndefault, nnotify;
	struct rule_list users, groups;
};

/* A size or share as parsed, with the line it came from. */
struct size_val {
	struct mc_size sz;
	int line;
};

static void
report(const struct mc_errsink *errs, const char *file, int line,
       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
report(const struct mc_errsink *errs, const char *file, int line,
       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errs != NULL && errs->fn != NULL)
		errs->fn(errs->ctx, file, line, msg);
}

static void
bad(cfg_t *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bad(cfg_t *cfg, const char *fmt, ...)
{
	struct parse_ctx *cur = mc_confuse_ctx();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cur->nerrors++;
	report(cur->errs, cur->file, cfg->line, "%s", msg);
}

/* libconfuse's own messages (syntax, unknown options). */
static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct parse_ctx *cur = mc_confuse_ctx();
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cur->nerrors++;
	report(cur->errs, cur->file, cfg != NULL ? cfg->line : 0, "%s", msg);
}

/* Each option may be given once per section (and once at the top level).
 * Sections are read one at a time (none nests), so one set for the top
 * level and one for the open section, cleared when it closes, are enough:
 * constant time per key, however many sections the file has. */
static void
check_repeat(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *cur = mc_confuse_ctx();
	unsigned *seen = cfg == cur->top ? &cur->top_seen : &cur->sec_seen;
	ptrdiff_t i = opt - cfg->opts;
	unsigned bit;

	/* opt is always one of cfg's own; the option tables have < 32 entries. */
	if (i < 0 || i >= 32)
		return;
	bit = 1u << i;
	if (*seen & bit)
		bad(cfg, "'%s' is given more than once in this section", opt->name);
	*seen |= bit;
}

static int
cb_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int b;

	check_repeat(cfg, opt);
	b = cfg_parse_boolean(value);
	if (b < 0) {
		bad(cfg, "'%s' must be true or false, not \"%s\"", opt->name, value);
		b = 0;
	}
	*(long *)result = b;
	return 0;
}

/* The options whose value is one word from a fixed list.  libconfuse hands
 * a callback no data of its own, so cb_enum finds the list by the option's
 * name.  The first word is the default, and what a wrong word leaves. */
struct enum_word {
	const char *word;
	long value;
};

static const struct enum_opt {
	const char *name;
	struct enum_word words[4];	/* ends at the first NULL word */
} enum_opts[] = {
	{ "cgroup_version", { { "auto", MC_CG_AUTO }, { "v1", MC_CG_V1 },
			      { "v2", MC_CG_V2 } } },
	{ "cgroup_backend", { { "auto", MC_BACKEND_AUTO },
			      { "cgroupfs", MC_BACKEND_CGROUPFS },
			      { "systemd", MC_BACKEND_SYSTEMD } } },
	{ "group_lookup", { { "members", MC_GROUPS_MEMBERS },
			    { "initgroups", MC_GROUPS_INITGROUPS } } },
	{ "on_error", { { "ignore", MC_ON_ERROR_IGNORE },
			{ "fail", MC_ON_ERROR_FAIL } } },
};

static int
cb_enum(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const struct enum_opt *e = NULL;
	char choices[128];
	size_t n = 0, len = 0;

	check_repeat(cfg, opt);
	for (size_t i = 0; i < sizeof(enum_opts) / sizeof(enum_opts[0]); i++)
		if (strcmp(enum_opts[i].name, opt->name) == 0)
			e = &enum_opts[i];
	if (e == NULL) {
		bad(cfg, "'%s' has no list of values", opt->name);
		return -1;
	}
	while (n < sizeof(e->words) / sizeof(e->words[0]) &&
	       e->words[n].word != NULL) {
		if (strcmp(value, e->words[n].word) == 0) {
			*(long *)result = e->words[n].value;
			return 0;
		}
		n++;
	}
	/* "a, b or c" */
	choices[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(choices + len, sizeof(choices) - len, "%s%s",
				 i == 0 ? "" : i + 1 < n ? ", " : " or ",
				 e->words[i].word);

		if (w < 0 || (size_t)w >= sizeof(choices) - len)
			break;
		len += (size_t)w;
	}
	bad(cfg, "%s must be %s, not \"%s\"", opt->name, choices, value);
	*(long *)result = e->words[0].value;
	return 0;
}

static int
cb_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result,
	uint64_t max)
{
	uint64_t v = 0;
	int r;

	check_repeat(cfg, opt);
	r = mc_parse_u64(value, 0, max, &v);
	if (r == -ERANGE)
		bad(cfg, "'%s' = %s is out of range (0 to %llu)", opt->name,
		    value, (unsigned long long)max);
	else if (r < 0)
		bad(cfg, "'%s' must be a whole number, not \"%s\"", opt->name,
		    value);
	*(long *)result = (long)(r == 0 ? v : 0);
	return 0;
}

static int
cb_min_uid(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	/* (uid_t)-1 is "no user"; everything below it is a real uid. */
	return cb_uint(cfg, opt, value, result, (uint64_t)UINT32_MAX - 1);
}

static int
cb_rate_limit(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return cb_uint(cfg, opt, value, result, 86400);
}

/* The value a parsing callback hands libconfuse (size bytes, zeroed), once
 * the option is checked for repeats; NULL, said, when out of memory. */
static void *
new_value(cfg_t *cfg, cfg_opt_t *opt, size_t size)
{
	void *v;

	check_repeat(cfg, opt);
	if ((v = calloc(1, size)) == NULL)
		bad(cfg, "out of memory");
	return v;
}

static int
cb_size(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct size_val *v = new_value(cfg, opt, sizeof(*v));
	const char *why = NULL;

	if (v == NULL)
		return -1;
	v->line = cfg->line;
	if (mc_size_parse(value, &v->sz, &why) < 0) {
		bad(cfg, "%s = \"%s\": %s", opt->name, value, why);
		v->sz.kind = MC_SIZE_MAX;
		v->sz.bytes = MC_UNLIMITED;
	} else if (strcmp(opt->name, "swap_max") != 0 &&
		   ((v->sz.kind == MC_SIZE_BYTES && v->sz.bytes < 1024 * 1024) ||
		    (v->sz.kind == MC_SIZE_PERCENT && v->sz.basis_points == 0))) {
		/* A near-zero limit makes every login of the user fail. */
		bad(cfg, "%s = \"%s\" is below the smallest allowed limit of 1M",
		    opt->name, value);
	}
	*(void **)result = v;
	return 0;
}

static int
cb_cpu_max(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct mc_cpu *v = new_value(cfg, opt, sizeof(*v));
	const char *why = NULL;

	if (v == NULL)
		return -1;
	if (mc_cpu_parse(value, v, &why) < 0) {
		bad(cfg, "cpu_max = \"%s\": %s", value, why);
		v->kind = MC_CPU_MAX;
	}
	*(void **)result = v;
	return 0;
}

static int
cb_cpu_weight(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	uint64_t v = MC_CPU_WEIGHT_DEFAULT;
	int r;

	check_repeat(cfg, opt);
	r = mc_parse_u64(value, MC_CPU_WEIGHT_MIN, MC_CPU_WEIGHT_MAX, &v);
	if (r < 0) {
		bad(cfg, "cpu_weight = \"%s\": must be a whole number from %d to %d (default %d)",
		    value, MC_CPU_WEIGHT_MIN, MC_CPU_WEIGHT_MAX, MC_CPU_WEIGHT_DEFAULT);
		v = MC_CPU_WEIGHT_DEFAULT;
	}
	*(long *)result = (long)v;
	return 0;
}

/* tasks_max goes through a pointer: "max" is not a long. */
static int
cb_tasks_max(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	uint64_t *v;
	int r;

	check_repeat(cfg, opt);
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		bad(cfg, "out of memory");
		return -1;
	}
	*v = MC_UNLIMITED;
	if (strcmp(value, "max") != 0) {
		r = mc_parse_u64(value, 0, MC_TASKS_MAX_LIMIT, v);
		if (r == 0 && *v < MC_TASKS_MIN)
			bad(cfg, "tasks_max = \"%s\" is below the smallest allowed limit of %d (a login needs a few processes)",
			    value, MC_TASKS_MIN);
		else if (r < 0)
			bad(cfg, "tasks_max = \"%s\": must be \"max\" or a whole number from %d to %d",
			    value, MC_TASKS_MIN, MC_TASKS_MAX_LIMIT);
		if (r < 0 || *v < MC_TASKS_MIN)
			*v = MC_UNLIMITED;
	}
	*(void **)result = v;
	return 0;
}

static int
cb_warn_at(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct size_val *v = new_value(cfg, opt, sizeof(*v));
	const char *why = NULL;

	if (v == NULL)
		return -1;
	v->line = cfg->line;
	if (strcmp(value, "off") == 0) {
		v->sz.kind = MC_SIZE_PERCENT;
		v->sz.basis_points = 0;
	} else if (mc_size_parse(value, &v->sz, &why) < 0 ||
		   v->sz.kind != MC_SIZE_PERCENT || v->sz.basis_points == 0) {
		bad(cfg, "warn_at = \"%s\": must be a share of memory_max above 0%% (such as \"90%%\") or \"off\"",
		    value);
		v->sz.kind = MC_SIZE_PERCENT;
		v->sz.basis_points = 0;
	}
	*(void **)result = v;
	return 0;
}

/* Names compared with user and group names: printable, no '/' or space. */
static bool
valid_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 256)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == ':')
			return false;
	return true;
}

static int
cb_string(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	check_repeat(cfg, opt);
	*(void **)result = strdup(value);
	if (*(void **)result == NULL) {
		bad(cfg, "out of memory");
		return -1;
	}
	return 0;
}

static int normalise_parent(const char *in, char **out, const char **why);

static int
cb_cgroup_parent(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char *why = NULL;
	char *norm = NULL;

	check_repeat(cfg, opt);
	if (normalise_parent(value, &norm, &why) < 0) {
		/* Cut a long value short so that the reason stays in the line. */
		bad(cfg, "cgroup_parent = \"%.64s%s\" %s", value,
		    strlen(value) > 64 ? "..." : "", why);
		norm = strdup("pam_memcg");
	}
	*(void **)result = norm;
	return norm == NULL ? -1 : 0;
}

/* Called for each element; nvalues restarts at 1 with each assignment. */
static int
cb_name_elem(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (opt->nvalues <= 1)
		check_repeat(cfg, opt);
	if (!valid_name(value))
		bad(cfg, "%s: \"%s\" is not a valid name", opt->name, value);
	*(void **)result = strdup(value);
	return *(void **)result == NULL ? -1 : 0;
}

static int
cb_default_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *cur = mc_confuse_ctx();

	(void)opt;
	cur->sec_seen = 0;
	if (++cur->ndefault > 1)
		bad(cfg, "section 'default' is given more than once");
	return 0;
}

static int
cb_notify_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *cur = mc_confuse_ctx();

	(void)opt;
	cur->sec_seen = 0;
	if (++cur->nnotify > 1)
		bad(cfg, "section 'notify' is given more than once");
	return 0;
}

static int fill_rule(cfg_t *sec, bool notify_keys, struct rule_src *s);

/* Called as each user or group section closes.  Its keys are copied out
 * and the section is removed, so libconfuse never holds more than one: it
 * compares a new section's title with every one it holds (whether or not
 * duplicates are refused), which made a file of n sections cost n^2/2
 * string compares.  Duplicates are found after the parse (find_dupes). */
static int
cb_rule_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *cur = mc_confuse_ctx();
	struct rule_list *l = strcmp(opt->name, "user") == 0 ? &cur->users : &cur->groups;
	unsigned nsec = cfg_opt_size(opt), last = nsec - 1;
	struct rule_src *s;

	cur->sec_seen = 0;
	if (nsec == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct rule_src *v = reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL) {
			bad(cfg, "out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	if (fill_rule(cfg_opt_getnsec(opt, last), true, s) < 0) {
		free(s->r.name);
		bad(cfg, "out of memory");
		return -1;
	}
	l->n++;
	cfg_opt_rmnsec(opt, last);
	return 0;
}

#define LIMIT_OPTS                                                        \
	CFG_PTR_CB("memory_max", NULL, CFGF_NODEFAULT, cb_size, free),     \
	CFG_PTR_CB("memory_high", NULL, CFGF_NODEFAULT, cb_size, free),    \
	CFG_PTR_CB("swap_max", NULL, CFGF_NODEFAULT, cb_size, free),       \
	CFG_INT_CB("oom_group", 0, CFGF_NODEFAULT, cb_bool),               \
	CFG_PTR_CB("cpu_max", NULL, CFGF_NODEFAULT, cb_cpu_max, free),     \
	CFG_INT_CB("cpu_weight", 0, CFGF_NODEFAULT, cb_cpu_weight),        \
	CFG_PTR_CB("tasks_max", NULL, CFGF_NODEFAULT, cb_tasks_max, free)

static cfg_opt_t default_opts[] = {
	LIMIT_OPTS,
	CFG_END()
};

static cfg_opt_t rule_opts[] = {
	LIMIT_OPTS,
	CFG_INT_CB("tty", 0, CFGF_NODEFAULT, cb_bool),
	CFG_INT_CB("mail", 0, CFGF_NODEFAULT, cb_bool),
	CFG_PTR_CB("warn_at", NULL, CFGF_NODEFAULT, cb_warn_at, free),
	CFG_END()
};

static cfg_opt_t notify_opts[] = {
	CFG_INT_CB("tty", 0, CFGF_NODEFAULT, cb_bool),
	CFG_INT_CB("ignore_mesg", 0, CFGF_NODEFAULT, cb_bool),
	CFG_INT_CB("mail", 0, CFGF_NODEFAULT, cb_bool),
	CFG_PTR_CB("sendmail", NULL, CFGF_NODEFAULT, cb_string, free),
	CFG_PTR_CB("mail_from", NULL, CFGF_NODEFAULT, cb_string, free),
	CFG_INT_CB("rate_limit", 0, CFGF_NODEFAULT, cb_rate_limit),
	CFG_PTR_CB("warn_at", NULL, CFGF_NODEFAULT, cb_warn_at, free),
	CFG_PTR_CB("metrics_file", NULL, CFGF_NODEFAULT, cb_string, free),
	CFG_END()
};

static cfg_opt_t top_opts[] = {
	CFG_INT_CB("cgroup_version", 0, CFGF_NODEFAULT, cb_enum),
	CFG_INT_CB("cgroup_backend", 0, CFGF_NODEFAULT, cb_enum),
	CFG_PTR_CB("cgroup_parent", NULL, CFGF_NODEFAULT, cb_cgroup_parent, free),
	CFG_INT_CB("min_uid", 0, CFGF_NODEFAULT, cb_min_uid),
	CFG_PTR_LIST_CB("exempt_users", NULL, CFGF_NODEFAULT, cb_name_elem, free),
	CFG_PTR_LIST_CB("exempt_groups", NULL, CFGF_NODEFAULT, cb_name_elem, free),
	CFG_INT_CB("on_error", 0, CFGF_NODEFAULT, cb_enum),
	CFG_INT_CB("group_lookup", 0, CFGF_NODEFAULT, cb_enum),
	CFG_SEC("default", default_opts, CFGF_NONE),
	/* No CFGF_NO_TITLE_DUPES: libconfuse holds one section of each at a
	 * time (cb_rule_section); find_dupes reports repeated titles. */
	CFG_SEC("group", rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("user", rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("notify", notify_opts, CFGF_NONE),
	CFG_END()
};

static int
normalise_parent(const char *in, char **out, const char **why)
{
	char *buf, *w;
	const char *p = in;

	while (*p == '/')
		p++;
	if (strlen(p) == 0 || strlen(p) > 1024) {
		*why = strlen(p) == 0 ? "must name a cgroup below the hierarchy's root"
				     : "is too long";
		return -EINVAL;
	}
	buf = malloc(strlen(p) + 1);
	if (buf == NULL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	w = buf;
	while (*p != '\0') {
		const char *start = p;
		size_t n;

		while (*p != '\0' && *p != '/') {
			unsigned char c = (unsigned char)*p;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			      c == '-' || c == '@' || c == ':' || c == '+')) {
				free(buf);
				*why = "may only contain letters, digits and . _ - @ : + between slashes";
				return -EINVAL;
			}
			p++;
		}
		n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.')) {
			free(buf);
			*why = "may not contain empty, '.' or '..' components";
			return -EINVAL;
		}
		if (w != buf)
			*w++ = '/';
		memcpy(w, start, n);
		w += n;
		while (*p == '/') {
			p++;
			if (*p == '/') {
				free(buf);
				*why = "may not contain empty, '.' or '..' components";
				return -EINVAL;
			}
		}
	}
	*w = '\0';
	*out = buf;
	return 0;
}

static const struct size_val *
size_opt(cfg_t *sec, const char *name)
{
	if (sec == NULL || cfg_size(sec, name) == 0)
		return NULL;
	return cfg_getptr(sec, name);
}

/* Copies the keys a section gives into s->r, leaving the other fields as
 * the caller set them, and notes which (s->r.set) and on which line.
 * notify_keys: the section is a user or group rule (it has tty, mail and
 * warn_at; default does not). */
static int
fill_rule(cfg_t *sec, bool notify_keys, struct rule_src *s)
{
	struct mc_rule *r = &s->r;
	const struct size_val *v;

	r->name = NULL;
	r->set = 0;
	r->line = sec != NULL ? sec->line : 0;
	s->high_line = s->max_line = 0;
	if (sec == NULL)
		return 0;
	if (cfg_title(sec) != NULL) {
		r->name = strdup(cfg_title(sec));
		if (r->name == NULL)
			return -ENOMEM;
	}
	if ((v = size_opt(sec, "memory_max")) != NULL) {
		r->memory_max = v->sz;
		r->set |= MC_SET_MEMORY_MAX;
		s->max_line = v->line;
	}
	if ((v = size_opt(sec, "memory_high")) != NULL) {
		r->memory_high = v->sz;
		r->set |= MC_SET_MEMORY_HIGH;
		s->high_line = v->line;
	}
	if ((v = size_opt(sec, "swap_max")) != NULL) {
		r->swap_max = v->sz;
		r->set |= MC_SET_SWAP_MAX;
	}
	if (cfg_size(sec, "oom_group") > 0) {
		r->oom_group = cfg_getint(sec, "oom_group") != 0;
		r->set |= MC_SET_OOM_GROUP;
	}
	if (cfg_size(sec, "cpu_max") > 0) {
		r->cpu_max = *(const struct mc_cpu *)cfg_getptr(sec, "cpu_max");
		r->set |= MC_SET_CPU_MAX;
	}
	if (cfg_size(sec, "cpu_weight") > 0) {
		r->cpu_weight = (uint32_t)cfg_getint(sec, "cpu_weight");
		r->set |= MC_SET_CPU_WEIGHT;
	}
	if (cfg_size(sec, "tasks_max") > 0) {
		r->tasks_max = *(const uint64_t *)cfg_getptr(sec, "tasks_max");
		r->set |= MC_SET_TASKS_MAX;
	}
	if (!notify_keys)
		return 0;
	if (cfg_size(sec, "tty") > 0) {
		r->tty = cfg_getint(sec, "tty") != 0;
		r->set |= MC_SET_TTY;
	}
	if (cfg_size(sec, "mail") > 0) {
		r->mail = cfg_getint(sec, "mail") != 0;
		r->set |= MC_SET_MAIL;
	}
	if ((v = size_opt(sec, "warn_at")) != NULL) {
		r->warn_at = v->sz.basis_points;
		r->set |= MC_SET_WARN_AT;
	}
	return 0;
}

/* The rule a section gives: its own keys, the others from def.  r takes
 * own's name (the caller clears it there). */
static void
inherit(const struct mc_rule *def, const struct mc_rule *own, struct mc_rule *r)
{
	*r = *def;
	r->name = own->name;
	r->line = own->line;
	r->set = own->set;
	if (own->set & MC_SET_MEMORY_MAX)
		r->memory_max = own->memory_max;
	if (own->set & MC_SET_MEMORY_HIGH)
		r->memory_high = own->memory_high;
	if (own->set & MC_SET_SWAP_MAX)
		r->swap_max = own->swap_max;
	if (own->set & MC_SET_OOM_GROUP)
		r->oom_group = own->oom_group;
	if (own->set & MC_SET_CPU_MAX)
		r->cpu_max = own->cpu_max;
	if (own->set & MC_SET_CPU_WEIGHT)
		r->cpu_weight = own->cpu_weight;
	if (own->set & MC_SET_TASKS_MAX)
		r->tasks_max = own->tasks_max;
	/* Unless default or the rule gives them, these stay untouched. */
	r->inherited = def->set & MC_SET_OPTIONAL_KEYS & ~own->set;
	if (own->set & MC_SET_TTY)
		r->tty = own->tty;
	if (own->set & MC_SET_MAIL)
		r->mail = own->mail;
	if (own->set & MC_SET_WARN_AT)
		r->warn_at = own->warn_at;
}

/* memory_high above memory_max is a mistake wherever it comes from. */
static void
check_rule(struct parse_ctx *ctx, const struct rule_src *s,
	   const struct mc_rule *r, const char *what, uint64_t ram)
{
	uint64_t max = mc_size_resolve(&r->memory_max, ram);
	uint64_t high = mc_size_resolve(&r->memory_high, ram);
	int line = r->line;

	if (high == MC_UNLIMITED || high <= max)
		return;
	if (s->high_line > 0)
		line = s->high_line;
	else if (s->max_line > 0)
		line = s->max_line;
	ctx->nerrors++;
	report(ctx->errs, ctx->file, line,
	       "%s: memory_high (%llu bytes) is above memory_max (%llu bytes)",
	       what, (unsigned long long)high, (unsigned long long)max);
}

static int
copy_list(cfg_t *cfg, const char *name, char ***out, size_t *n)
{
	unsigned cnt = cfg_size(cfg, name);

	*out = NULL;
	*n = 0;
	if (cnt == 0)
		return 0;
	*out = calloc(cnt, sizeof(char *));
	if (*out == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < cnt; i++) {
		(*out)[i] = strdup(cfg_getnptr(cfg, name, i));
		if ((*out)[i] == NULL)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static int
copy_str(cfg_t *sec, const char *name, const char *dflt, char **out)
{
	const char *v = dflt;

	if (sec != NULL && cfg_size(sec, name) > 0)
		v = cfg_getptr(sec, name);
	*out = strdup(v);
	return *out == NULL ? -ENOMEM : 0;
}

static bool
header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

static int
build_notify(struct parse_ctx *ctx, cfg_t *sec, struct mc_notify *n)
{
	const struct size_val *v;
	int r;

	n->tty = true;
	n->ignore_mesg = false;
	n->mail = false;
	n->rate_limit = 60;
	n->warn_at = 9000;
	if (sec != NULL) {
		if (cfg_size(sec, "tty") > 0)
			n->tty = cfg_getint(sec, "tty") != 0;
		if (cfg_size(sec, "ignore_mesg") > 0)
			n->ignore_mesg = cfg_getint(sec, "ignore_mesg") != 0;
		if (cfg_size(sec, "mail") > 0)
			n->mail = cfg_getint(sec, "mail") != 0;
		if (cfg_size(sec, "rate_limit") > 0)
			n->rate_limit = (unsigned)cfg_getint(sec, "rate_limit");
		if ((v = size_opt(sec, "warn_at")) != NULL)
			n->warn_at = v->sz.basis_points;
	}
	if ((r = copy_str(sec, "sendmail", "/usr/sbin/sendmail", &n->sendmail)) < 0 ||
	    (r = copy_str(sec, "mail_from", "root", &n->mail_from)) < 0 ||
	    (r = copy_str(sec, "metrics_file", "", &n->metrics_file)) < 0)
		return r;
	if (n->sendmail[0] != '/') {
		ctx->nerrors++;
		report(ctx->errs, ctx->file, sec != NULL ? sec->line : 0,
		       "notify: sendmail = \"%s\" must be an absolute path",
		       n->sendmail);
	}
	if (n->mail_from[0] == '\0' || !header_safe(n->mail_from)) {
		ctx->nerrors++;
		report(ctx->errs, ctx->file, sec != NULL ? sec->line : 0,
		       "notify: mail_from must be a non-empty address without control characters");
	}
	if (n->metrics_file[0] != '\0' && n->metrics_file[0] != '/') {
		ctx->nerrors++;
		report(ctx->errs, ctx->file, sec != NULL ? sec->line : 0,
		       "notify: metrics_file = \"%s\" must be an absolute path or empty",
		       n->metrics_file);
	}
	return 0;
}

static int
build_rules(struct parse_ctx *ctx, struct rule_list *l, const char *kind,
	    const struct mc_rule *def, uint64_t ram, struct mc_rule **out,
	    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (l->n == 0)
		return 0;
	*out = calloc(l->n, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct rule_src *s = &l->v[i];
		struct mc_rule *r = &(*out)[i];
		char what[300];

		inherit(def, &s->r, r);
		s->r.name = NULL;
		(*n)++;
		if (!valid_name(r->name)) {
			ctx->nerrors++;
			report(ctx->errs, ctx->file, r->line,
			       "%s \"%s\": not a valid %s name", kind, r->name, kind);
		}
		/* tty, mail and warn_at default to the notify section's. */
		snprintf(what, sizeof(what), "%s \"%s\"", kind, r->name);
		check_rule(ctx, s, r, what, ram);
	}
	return 0;
}

static int
build(struct parse_ctx *ctx, cfg_t *cfg, uint64_t ram, struct mc_config *c)
{
	cfg_t *dsec = cfg_size(cfg, "default") > 0 ? cfg_getsec(cfg, "default") : NULL;
	struct rule_src ds;
	int r;

	c->cgroup_version = cfg_size(cfg, "cgroup_version") > 0
		? (enum mc_cg_version)cfg_getint(cfg, "cgroup_version") : MC_CG_AUTO;
	c->cgroup_backend = cfg_size(cfg, "cgroup_backend") > 0
		? (enum mc_backend)cfg_getint(cfg, "cgroup_backend") : MC_BACKEND_AUTO;
	c->min_uid = cfg_size(cfg, "min_uid") > 0
		? (uid_t)cfg_getint(cfg, "min_uid") : 1000;
	c->on_error = cfg_size(cfg, "on_error") > 0
		? (enum mc_on_error)cfg_getint(cfg, "on_error") : MC_ON_ERROR_IGNORE;
	c->group_lookup = cfg_size(cfg, "group_lookup") > 0
		? (enum mc_group_lookup)cfg_getint(cfg, "group_lookup") : MC_GROUPS_MEMBERS;

	if ((r = copy_str(cfg, "cgroup_parent", "pam_memcg", &c->cgroup_parent)) < 0)
		return r;

	/* An explicit list, even an empty one, replaces the default. */
	if (cfg_getopt(cfg, "exempt_users")->flags & CFGF_MODIFIED) {
		if ((r = copy_list(cfg, "exempt_users", &c->exempt_users,
				   &c->n_exempt_users)) < 0)
			return r;
	} else {
		c->exempt_users = calloc(1, sizeof(char *));
		if (c->exempt_users == NULL ||
		    (c->exempt_users[0] = strdup("root")) == NULL)
			return -ENOMEM;
		c->n_exempt_users = 1;
	}
	if ((r = copy_list(cfg, "exempt_groups", &c->exempt_groups,
			   &c->n_exempt_groups)) < 0)
		return r;

	if ((r = build_notify(ctx, cfg_size(cfg, "notify") > 0
				   ? cfg_getsec(cfg, "notify") : NULL,
			      &c->notify)) < 0)
		return r;

	c->def.memory_max = (struct mc_size){ .kind = MC_SIZE_PERCENT, .basis_points = 2500 };
	c->def.memory_high = (struct mc_size){ .kind = MC_SIZE_MAX, .bytes = MC_UNLIMITED };
	c->def.swap_max = (struct mc_size){ .kind = MC_SIZE_MAX, .bytes = MC_UNLIMITED };
	c->def.oom_group = false;
	c->def.cpu_max = (struct mc_cpu){ .kind = MC_CPU_MAX };
	c->def.cpu_weight = MC_CPU_WEIGHT_DEFAULT;
	c->def.tasks_max = MC_UNLIMITED;
	c->def.tty = c->notify.tty;
	c->def.mail = c->notify.mail;
	c->def.warn_at = c->notify.warn_at;
	ds.r = c->def;
	if ((r = fill_rule(dsec, false, &ds)) < 0)
		return r;
	c->def = ds.r;
	check_rule(ctx, &ds, &c->def, "default", ram);

	if ((r = build_rules(ctx, &ctx->groups, "group", &c->def, ram,
			     &c->groups, &c->n_groups)) < 0 ||
	    (r = build_rules(ctx, &ctx->users, "user", &c->def, ram,
			     &c->users, &c->n_users)) < 0)
		return r;
	return 0;
}

/* Where section i of l opens: from mc_confuse_section_lines when it found
 * that many (and agrees with libconfuse's closing line), else where it
 * closes. */
static int
open_line(const struct rule_list *l, const int *open, size_t nopen, size_t i)
{
	if (i < nopen && open[i] > 0 && open[i] <= l->v[i].r.line)
		return open[i];
	return l->v[i].r.line;
}

/* Reports every section of l whose title an earlier one of the same kind
 * has, at the line that opens it.  Linear in the number of sections; the
 * text is only scanned for lines when there is a duplicate.  Returns 0 or
 * -ENOMEM. */
static int
find_dupes(struct parse_ctx *ctx, const struct rule_list *l, const char *kind,
	   const char *text, size_t len)
{
	const char **names = NULL;
	size_t *first = NULL, nopen = 0;
	int *open = NULL, r = -ENOMEM;

	if (l->n < 2)
		return 0;
	if ((names = calloc(l->n, sizeof(*names))) == NULL ||
	    (first = calloc(l->n, sizeof(*first))) == NULL)
		goto out;
	for (size_t i = 0; i < l->n; i++)
		names[i] = l->v[i].r.name != NULL ? l->v[i].r.name : "";
	if ((r = mc_first_seen(names, l->n, first)) < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		if (first[i] == i)
			continue;
		if (open == NULL) {
			if ((open = calloc(l->n, sizeof(*open))) == NULL) {
				r = -ENOMEM;
				goto out;
			}
			nopen = mc_confuse_section_lines(text, len, kind, open, l->n);
		}
		ctx->nerrors++;
		report(ctx->errs, ctx->file, open_line(l, open, nopen, i),
		       "duplicate %s \"%s\" (first given at line %d)", kind,
		       names[i], open_line(l, open, nopen, first[i]));
	}
	r = 0;
out:
	free(names);
	free(first);
	free(open);
	return r;
}

static void
free_rule_list(struct rule_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].r.name);
	free(l->v);
}

int
mc_config_parse(const char *name, const char *text, size_t len,
		uint64_t ram_bytes, const struct mc_errsink *errs,
		struct mc_config **out)
{
	struct parse_ctx ctx = { .file = name, .errs = errs };
	struct mc_config *c = NULL;
	cfg_t *cfg = NULL;
	char *buf = NULL;
	const char *why = NULL;
	int line, r;

	*out = NULL;
	if (ram_bytes == 0)
		ram_bytes = mc_ram_bytes();
	if ((line = mc_confuse_screen(text, len, &why)) > 0) {
		report(errs, name, line, "%s", why);
		return -EINVAL;
	}
	/* libconfuse wants a C string; the screen above ruled out NULs. */
	if ((buf = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	mc_confuse_blank_comments(buf, len);

	mc_confuse_lock(&ctx);
	r = -ENOMEM;
	if ((cfg = cfg_init(top_opts, CFGF_NONE)) == NULL)
		goto out;
	ctx.top = cfg;
	cfg_set_error_function(cfg, confuse_error);
	cfg_set_validate_func(cfg, "default", cb_default_section);
	cfg_set_validate_func(cfg, "notify", cb_notify_section);
	cfg_set_validate_func(cfg, "user", cb_rule_section);
	cfg_set_validate_func(cfg, "group", cb_rule_section);
	if (cfg_parse_buf(cfg, buf) != CFG_SUCCESS && ctx.nerrors == 0) {
		ctx.nerrors++;
		report(errs, name, 0, "could not be parsed");
	}
	if (ctx.nerrors == 0 && (line = mc_confuse_ends_open(text, len)) > 0) {
		ctx.nerrors++;
		report(errs, name, line,
		       "ends inside a section or a comment (a closing '}' or '*/' is missing)");
	}
	/* Also after a syntax error: the sections before it are complete. */
	if (find_dupes(&ctx, &ctx.users, "user", buf, len) < 0 ||
	    find_dupes(&ctx, &ctx.groups, "group", buf, len) < 0)
		goto out;
	if (ctx.nerrors > 0) {
		r = -EINVAL;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL)
		goto out;
	if ((r = build(&ctx, cfg, ram_bytes, c)) < 0)
		goto out;
	r = ctx.nerrors > 0 ? -EINVAL : 0;
	if (r == 0) {
		*out = c;
		c = NULL;
	}
out:
	if (cfg != NULL)
		cfg_free(cfg);
	mc_confuse_unlock();
	free_rule_list(&ctx.users);
	free_rule_list(&ctx.groups);
	free(buf);
	mc_config_free(c);
	return r;
}

int
mc_config_load(const char *path, uint64_t ram_bytes,
	       const struct mc_errsink *errs, struct mc_config **out)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0, cap;
	int fd = -1, r;

	*out = NULL;
	/* O_NONBLOCK: a fifo must not hang a login. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return r;
		if (r == -ELOOP)
			report(errs, path, 0, "is a symbolic link; refusing to follow it");
		else
			report(errs, path, 0, "cannot be opened: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		report(errs, path, 0, "cannot be examined: %s", strerror(-r));
		goto out;
	}
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		report(errs, path, 0, "is not a regular file");
		goto out;
	}
	if (st.st_uid != 0) {
		report(errs, path, 0, "is owned by uid %u, not root", (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		report(errs, path, 0, "is writable by group or others (mode %04o)",
		       (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > MC_CONF_MAX_BYTES) {
		r = -EFBIG;
		report(errs, path, 0, "is larger than %d bytes", MC_CONF_MAX_BYTES);
		goto out;
	}
	/* Read until EOF rather than trusting st_size: the file may change.
	 * The buffer starts at about the file's size (a megabyte would be an
	 * mmap, page faults and a munmap at every login) and grows up to one
	 * byte past the limit. */
	cap = (size_t)st.st_size + 4096;
	if (cap > MC_CONF_MAX_BYTES + 1)
		cap = MC_CONF_MAX_BYTES + 1;
	if ((text = malloc(cap)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap * 2 > MC_CONF_MAX_BYTES + 1 ? MC_CONF_MAX_BYTES + 1 : cap * 2;
			char *nt = realloc(text, ncap);

			if (nt == NULL) {
				r = -ENOMEM;
				goto out;
			}
			text = nt;
			cap = ncap;
		}
		n = read(fd, text + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			report(errs, path, 0, "cannot be read: %s", strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MC_CONF_MAX_BYTES) {
			r = -EFBIG;
			report(errs, path, 0, "is larger than %d bytes", MC_CONF_MAX_BYTES);
			goto out;
		}
	}
	/* Every key has a default, but a file with nothing in it is far more
	 * likely a write caught half-way (or a truncation) than a wish for
	 * 25% of RAM under a parent at the hierarchy's root. */
	if (len == 0) {
		r = -EINVAL;
		report(errs, path, 0, "is empty (write at least one setting; every key has a default)");
		goto out;
	}
	r = mc_config_parse(path, text, len, ram_bytes, errs, out);
out:
	free(text);
	close(fd);
	return r;
}

static void
free_rule(struct mc_rule *r)
{
	free(r->name);
}

void
mc_config_free(struct mc_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->cgroup_parent);
	for (size_t i = 0; i < c->n_exempt_users; i++)
		free(c->exempt_users[i]);
	free(c->exempt_users);
	for (size_t i = 0; i < c->n_exempt_groups; i++)
		free(c->exempt_groups[i]);
	free(c->exempt_groups);
	free_rule(&c->def);
	for (size_t i = 0; i < c->n_groups; i++)
		free_rule(&c->groups[i]);
	free(c->groups);
	for (size_t i = 0; i < c->n_users; i++)
		free_rule(&c->users[i]);
	free(c->users);
	free(c->notify.sendmail);
	free(c->notify.mail_from);
	free(c->notify.metrics_file);
	free(c);
}
