/* libFuzzer target for lib/config.c: mc_config_parse() on any text.  It must
 * not crash or leak; it fails exactly when it reports a problem, and every
 * problem names the file and a line inside the text (0: the whole file);
 * and a config it accepts holds only what config.h promises (a normalised
 * cgroup_parent, valid names, memory_high not above memory_max, absolute
 * paths, header-safe mail_from, values in range, no title twice). */
#include <errno.h>

#include "config.h"
#include "fuzz.h"

#define NAME "fuzz.conf"
#define RAM (8ULL << 30)

struct errs {
	int n;
	int lines;
};

static void
on_error(void *ctx, const char *file, int line, const char *msg)
{
	struct errs *e = ctx;

	e->n++;
	FZ_CHECK(strcmp(file, NAME) == 0, "file \"%s\"", file);
	FZ_CHECK(line >= 0 && line <= e->lines, "line %d of a %d-line text: %s", line, e->lines, msg);
	FZ_CHECK(msg != NULL && msg[0] != '\0', "empty message");
}

/* What a user or group name in the config may be. */
static bool
name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 256)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == ':')
			return false;
	return true;
}

static void
check_parent(const char *p)
{
	const char *c = p;

	FZ_CHECK(p != NULL && p[0] != '\0' && p[0] != '/' && p[strlen(p) - 1] != '/' &&
		 strstr(p, "//") == NULL, "cgroup_parent \"%s\"", p ? p : "(null)");
	/* No "." or ".." component, only the documented characters. */
	while (*c != '\0') {
		size_t n = strcspn(c, "/");

		FZ_CHECK(!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'),
			 "cgroup_parent \"%s\" has a dot component", p);
		for (size_t i = 0; i < n; i++)
			FZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@:+", c[i]) != NULL,
				 "cgroup_parent \"%s\"", p);
		c += n;
		if (*c == '/')
			c++;
	}
}

static void
check_size(const struct mc_size *s, const char *what)
{
	FZ_CHECK(s->kind == MC_SIZE_BYTES || s->kind == MC_SIZE_PERCENT || s->kind == MC_SIZE_MAX,
		 "%s kind %d", what, s->kind);
	FZ_CHECK(s->kind != MC_SIZE_PERCENT || s->basis_points <= 10000, "%s %u bp", what,
		 s->basis_points);
	FZ_CHECK(s->kind != MC_SIZE_BYTES || s->bytes <= MC_SIZE_LIMIT, "%s bytes", what);
}

static void
check_rule(const struct mc_rule *r, bool named)
{
	uint64_t max = mc_size_resolve(&r->memory_max, RAM);
	uint64_t high = mc_size_resolve(&r->memory_high, RAM);

	FZ_CHECK(!named || name_ok(r->name), "rule name \"%s\"", r->name ? r->name : "(null)");
	check_size(&r->memory_max, "memory_max");
	check_size(&r->memory_high, "memory_high");
	check_size(&r->swap_max, "swap_max");
	FZ_CHECK(high == MC_UNLIMITED || high <= max, "memory_high %llu above memory_max %llu",
		 (unsigned long long)high, (unsigned long long)max);
	FZ_CHECK(max >= (1 << 20) || r->memory_max.kind == MC_SIZE_PERCENT,
		 "memory_max %llu below 1M", (unsigned long long)max);
	FZ_CHECK(r->warn_at <= 10000, "warn_at %u", r->warn_at);
}

/* Repeated titles are refused, so an accepted config names each once
 * (quadratic, but fuzz inputs are short). */
static void
check_unique(const struct mc_rule *v, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(strcmp(v[i].name, v[j].name) != 0, "%s \"%s\" twice",
				 kind, v[i].name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errs e = { 0, 1 };
	struct mc_errsink sink = { on_error, &e };
	struct mc_config *cfg = (struct mc_config *)&e;	/* must be reset */
	/* Exactly size bytes, not NUL-terminated: the parser takes a length. */
	char *text = malloc(size ? size : 1);
	int r;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		e.lines += text[i] == '\n';
	r = mc_config_parse(NAME, text, size, RAM, &sink, &cfg);
	free(text);
	if (r < 0) {
		FZ_CHECK(r == -EINVAL || r == -ENOMEM, "returned %d", r);
		FZ_CHECK(cfg == NULL, "a failed parse hands out a config");
		FZ_CHECK(r == -ENOMEM || e.n > 0, "refused without saying why");
		return 0;
	}
	FZ_CHECK(r == 0 && cfg != NULL, "returned %d", r);
	FZ_CHECK(e.n == 0, "accepted with %d problems reported", e.n);
	FZ_CHECK(strcmp(cfg->path, NAME) == 0, "path");
	FZ_CHECK(cfg->cgroup_version <= MC_CG_V2, "cgroup_version %d", cfg->cgroup_version);
	FZ_CHECK(cfg->on_error <= MC_ON_ERROR_FAIL, "on_error %d", cfg->on_error);
	FZ_CHECK(cfg->min_uid != (uid_t)-1, "min_uid");
	check_parent(cfg->cgroup_parent);
	for (size_t i = 0; i < cfg->n_exempt_users; i++)
		FZ_CHECK(name_ok(cfg->exempt_users[i]), "exempt user");
	for (size_t i = 0; i < cfg->n_exempt_groups; i++)
		FZ_CHECK(name_ok(cfg->exempt_groups[i]), "exempt group");
	check_rule(&cfg->def, false);
	for (size_t i = 0; i < cfg->n_groups; i++)
		check_rule(&cfg->groups[i], true);
	for (size_t i = 0; i < cfg->n_users; i++)
		check_rule(&cfg->users[i], true);
	check_unique(cfg->groups, cfg->n_groups, "group");
	check_unique(cfg->users, cfg->n_users, "user");
	FZ_CHECK(cfg->notify.sendmail != NULL && cfg->notify.sendmail[0] == '/', "sendmail");
	FZ_CHECK(cfg->notify.metrics_file != NULL &&
		 (cfg->notify.metrics_file[0] == '\0' || cfg->notify.metrics_file[0] == '/'),
		 "metrics_file");
	FZ_CHECK(cfg->notify.mail_from != NULL && cfg->notify.mail_from[0] != '\0', "mail_from");
	for (const unsigned char *p = (const unsigned char *)cfg->notify.mail_from; *p; p++)
		FZ_CHECK(*p >= ' ' && *p != 0x7f, "mail_from has byte %02x", *p);
	FZ_CHECK(cfg->notify.rate_limit <= 86400, "rate_limit %u", cfg->notify.rate_limit);
	FZ_CHECK(cfg->notify.warn_at <= 10000, "warn_at %u", cfg->notify.warn_at);
	mc_config_free(cfg);
	return 0;
}
