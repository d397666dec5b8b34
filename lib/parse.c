/* Strict number and size parsing; see parse.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

int
mc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		/* Too large, but trailing garbage still makes it -EINVAL. */
		if (over || v > (UINT64_MAX - d) / 10) {
			over = true;
			continue;
		}
		v = v * 10 + d;
	}
	if (over || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* over100: the reason given for a share above 100%. */
static int
parse_percent(const char *s, size_t len, struct mc_size *out, const char **why,
	      const char *over100)
{
	uint32_t whole = 0, frac = 0;
	size_t i = 0, fdigits = 0;

	if (len == 0) {
		*why = "a percentage needs a number before '%'";
		return -EINVAL;
	}
	for (; i < len && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "a percentage is digits, optionally with up to two decimals, then '%'";
			return -EINVAL;
		}
		/* Past 100 it is out of range (checked below, after the
		 * syntax); stop growing so that it cannot overflow. */
		if (whole <= 100)
			whole = whole * 10 + (uint32_t)(s[i] - '0');
	}
	if (i == 0) {
		*why = "a percentage needs digits before the decimal point";
		return -EINVAL;
	}
	if (i < len) {
		for (i++; i < len; i++, fdigits++) {
			if (s[i] < '0' || s[i] > '9' || fdigits == 2) {
				*why = "a percentage is digits, optionally with up to two decimals, then '%'";
				return -EINVAL;
			}
			frac = frac * 10 + (uint32_t)(s[i] - '0');
		}
		if (fdigits == 0) {
			*why = "a percentage needs digits after the decimal point";
			return -EINVAL;
		}
		if (fdigits == 1)
			frac *= 10;
	}
	if (whole > 100 || (whole == 100 && frac > 0)) {
		*why = over100;
		return -ERANGE;
	}
	out->kind = MC_SIZE_PERCENT;
	out->basis_points = whole * 100 + frac;
	out->bytes = 0;
	return 0;
}

int
mc_size_parse(const char *s, struct mc_size *out, const char **why)
{
	static const char units[] = "KMGT";
	char digits[32];
	size_t len;
	unsigned shift = 0;
	uint64_t v;
	int r;

	*why = "not a size";
	if (s == NULL || *s == '\0') {
		*why = "empty size";
		return -EINVAL;
	}
	if (strcmp(s, "max") == 0) {
		out->kind = MC_SIZE_MAX;
		out->bytes = MC_UNLIMITED;
		out->basis_points = 0;
		return 0;
	}
	len = strlen(s);
	if (s[len - 1] == '%')
		return parse_percent(s, len - 1, out, why,
				     "a percentage of RAM cannot exceed 100%");

	for (unsigned i = 0; i < 4; i++) {
		if (s[len - 1] == units[i] || s[len - 1] == units[i] + ('a' - 'A')) {
			shift = 10 * (i + 1);
			len--;
			break;
		}
	}
	if (len == 0) {
		*why = "a size needs digits before its unit";
		return -EINVAL;
	}
	if (len >= sizeof(digits)) {
		/* Only a long run of digits is "too large"; other text is
		 * simply not a size. */
		if (strspn(s, "0123456789") < len) {
			*why = "a size is digits with an optional K, M, G or T suffix, a percentage, or \"max\"";
			return -EINVAL;
		}
		*why = "too many digits";
		return -ERANGE;
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	r = mc_parse_u64(digits, 0, MC_SIZE_LIMIT >> shift, &v);
	if (r == -EINVAL) {
		*why = "a size is digits with an optional K, M, G or T suffix, a percentage, or \"max\"";
		return r;
	}
	if (r == -ERANGE) {
		*why = "size too large (the largest is 9223372036854775807 bytes)";
		return r;
	}
	out->kind = MC_SIZE_BYTES;
	out->bytes = v << shift;
	out->basis_points = 0;
	return 0;
}

uint64_t
mc_size_resolve(const struct mc_size *sz, uint64_t ram_bytes)
{
	uint64_t pages, share;

	switch (sz->kind) {
	case MC_SIZE_BYTES:
		return sz->bytes;
	case MC_SIZE_PERCENT:
		/* Divide first so that no RAM size can overflow. */
		pages = ram_bytes / 4096;
		share = pages / 10000 * sz->basis_points +
			pages % 10000 * sz->basis_points / 10000;
		return share * 4096;
	case MC_SIZE_MAX:
	default:
		return MC_UNLIMITED;
	}
}

char *
mc_size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t scale = 1;

	if (bytes == MC_UNLIMITED) {
		snprintf(buf, len, "max");
		return buf;
	}
	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && bytes / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	} else {
		/* One decimal, rounded down, computed in integers. */
		uint64_t whole = bytes / scale;
		uint64_t tenth = (bytes % scale) * 10 / scale;

		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)tenth, unit[u]);
	}
	return buf;
}

int
mc_cpu_parse(const char *s, struct mc_cpu *out, const char **why)
{
	static const char syntax[] =
		"CPU time is a number of CPUs (\"2\", \"0.5\", up to three decimals), a share of all CPUs (\"25%\") or \"max\"";
	uint64_t whole = 0, frac = 0;
	size_t len, i, fdigits = 0;

	*why = syntax;
	if (s == NULL || *s == '\0')
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (strcmp(s, "max") == 0) {
		out->kind = MC_CPU_MAX;
		return 0;
	}
	len = strlen(s);
	if (s[len - 1] == '%') {
		struct mc_size sz;
		int r = parse_percent(s, len - 1, &sz, why,
				      "a share of the machine's CPUs cannot exceed 100%");

		if (r < 0)
			return r;
		if (sz.basis_points == 0) {
			*why = "a share of 0% would stop every process of the user";
			return -ERANGE;
		}
		out->kind = MC_CPU_PERCENT;
		out->basis_points = sz.basis_points;
		return 0;
	}
	for (i = 0; i < len && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		/* Past the limit it is out of range; stop growing. */
		if (whole <= MC_CPU_MAX_CPUS)
			whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -EINVAL;
	if (i < len) {
		for (i++; i < len; i++, fdigits++) {
			if (s[i] < '0' || s[i] > '9' || fdigits == 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(s[i] - '0');
		}
		if (fdigits == 0)
			return -EINVAL;
		while (fdigits++ < 3)
			frac *= 10;
	}
	if (whole > MC_CPU_MAX_CPUS || (whole == MC_CPU_MAX_CPUS && frac > 0)) {
		*why = "more than 100000 CPUs";
		return -ERANGE;
	}
	/* The kernel's smallest quota is 1 ms per period: 0.01 CPUs. */
	if (whole * 1000 + frac < 10) {
		*why = "below the smallest allowed limit of 0.01 CPUs";
		return -ERANGE;
	}
	out->kind = MC_CPU_CPUS;
	out->milli = (uint32_t)(whole * 1000 + frac);
	return 0;
}

uint64_t
mc_cpu_quota_us(const struct mc_cpu *c, unsigned ncpus)
{
	uint64_t q;

	switch (c->kind) {
	case MC_CPU_CPUS:
		return (uint64_t)c->milli * (MC_CPU_PERIOD_US / 1000);
	case MC_CPU_PERCENT:
		if (ncpus == 0)
			ncpus = 1;
		/* basis points of ncpus CPUs, each MC_CPU_PERIOD_US per period */
		q = (uint64_t)c->basis_points * ncpus * (MC_CPU_PERIOD_US / 10000);
		return q < MC_CPU_MIN_QUOTA_US ? MC_CPU_MIN_QUOTA_US : q;
	case MC_CPU_MAX:
	default:
		return MC_UNLIMITED;
	}
}

char *
mc_cpu_human(uint64_t quota_us, char *buf, size_t len)
{
	uint64_t hundredths = quota_us / (MC_CPU_PERIOD_US / 100);

	if (quota_us == MC_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%llu.%02llu CPUs", (unsigned long long)(hundredths / 100),
			 (unsigned long long)(hundredths % 100));
	return buf;
}

uint64_t
mc_cpu_shares_of_weight(uint32_t weight)
{
	uint64_t shares = (uint64_t)weight * 1024 / 100;

	/* v1's range; systemd clamps the same way. */
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return shares;
}

char *
mc_cpu_max_text(uint64_t quota_us, char *buf, size_t len)
{
	if (quota_us == MC_UNLIMITED)
		snprintf(buf, len, "max %llu", (unsigned long long)MC_CPU_PERIOD_US);
	else
		snprintf(buf, len, "%llu %llu", (unsigned long long)quota_us,
			 (unsigned long long)MC_CPU_PERIOD_US);
	return buf;
}
