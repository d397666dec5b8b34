/* libFuzzer target for lib/parse.c.  mc_size_parse() and mc_parse_u64() are
 * checked against a second, deliberately plain reading of the grammar that
 * parse.h documents (what is accepted, and which value); mc_size_resolve()
 * against RAM (never more, whole pages, monotonic), and mc_size_human()
 * against buffers of every size and the value it describes. */
#include <errno.h>

#include "fuzz.h"
#include "parse.h"

/* Digits only, non-empty.  *v is the value, or UINT64_MAX with *over set
 * when it does not fit (over may be NULL when the caller caps it anyway). */
static bool
digits_value_over(const char *s, size_t n, uint64_t *v, bool *over)
{
	unsigned __int128 acc = 0;
	bool o = false;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		acc = acc * 10 + (unsigned)(s[i] - '0');
		if (acc > UINT64_MAX) {
			acc = UINT64_MAX;
			o = true;
		}
	}
	*v = (uint64_t)acc;
	if (over != NULL)
		*over = o;
	return true;
}

static bool
digits_value(const char *s, size_t n, uint64_t *v)
{
	return digits_value_over(s, n, v, NULL);
}

/* The grammar of parse.h.  Returns 1 (accepted, *want filled), 0 (not
 * the grammar: -EINVAL) or -1 (the grammar, out of range: -ERANGE). */
static int
oracle(const char *s, struct mc_size *want)
{
	size_t n = strlen(s);
	uint64_t v, frac = 0;

	memset(want, 0, sizeof(*want));
	if (strcmp(s, "max") == 0) {
		want->kind = MC_SIZE_MAX;
		want->bytes = MC_UNLIMITED;
		return 1;
	}
	if (n > 0 && s[n - 1] == '%') {
		const char *dot = memchr(s, '.', n - 1);
		size_t wlen = dot ? (size_t)(dot - s) : n - 1;

		if (!digits_value(s, wlen, &v))
			return 0;
		if (dot != NULL) {
			size_t flen = n - 1 - wlen - 1;

			if (flen < 1 || flen > 2 || !digits_value(dot + 1, flen, &frac))
				return 0;
			if (flen == 1)
				frac *= 10;
		}
		if (v > 100 || (v == 100 && frac > 0))
			return -1;
		want->kind = MC_SIZE_PERCENT;
		want->basis_points = (uint32_t)(v * 100 + frac);
		return 1;
	}
	{
		unsigned shift = 0;
		const char *units = "KMGT", *u;

		if (n > 0 && s[n - 1] != '\0' &&
		    ((u = strchr(units, s[n - 1])) != NULL ||
		     (s[n - 1] >= 'a' && (u = strchr(units, s[n - 1] - ('a' - 'A'))) != NULL))) {
			shift = 10 * (unsigned)(u - units + 1);
			n--;
		}
		if (!digits_value(s, n, &v))
			return 0;
		/* parse.h: at most 31 digits, leading zeros included. */
		if (n >= 32 || v > (MC_SIZE_LIMIT >> shift))
			return -1;
		want->kind = MC_SIZE_BYTES;
		want->bytes = v << shift;
		return 1;
	}
}

static void
check_size(const char *s)
{
	struct mc_size got, want;
	const char *why = NULL;
	int r = mc_size_parse(s, &got, &why);
	int o = oracle(s, &want);

	if (o == 1) {
		FZ_CHECK(r == 0, "\"%s\" is a size, got %d (%s)", s, r, why ? why : "?");
		FZ_CHECK(got.kind == want.kind, "\"%s\": kind %d, want %d", s, got.kind, want.kind);
		if (want.kind == MC_SIZE_BYTES)
			FZ_CHECK(got.bytes == want.bytes, "\"%s\": %llu bytes, want %llu", s,
				 (unsigned long long)got.bytes, (unsigned long long)want.bytes);
		if (want.kind == MC_SIZE_PERCENT)
			FZ_CHECK(got.basis_points == want.basis_points, "\"%s\": %u, want %u", s,
				 got.basis_points, want.basis_points);
	} else {
		FZ_CHECK(r == (o == 0 ? -EINVAL : -ERANGE), "\"%s\": oracle %d, got %d", s, o, r);
		FZ_CHECK(why != NULL && why[0] != '\0', "\"%s\": no reason given", s);
	}
}

static void
check_u64(const char *s, uint64_t min, uint64_t max)
{
	uint64_t got = 12345, want;
	bool over = false;
	int r = mc_parse_u64(s, min, max, &got);
	bool ok = digits_value_over(s, strlen(s), &want, &over);

	if (ok && over) {
		FZ_CHECK(r == -ERANGE, "\"%s\" overflows, got %d", s, r);
		return;
	}
	if (!ok)
		FZ_CHECK(r == -EINVAL, "\"%s\" is not a number, got %d", s, r);
	else if (want < min || want > max)
		FZ_CHECK(r == -ERANGE, "\"%s\" is out of [%llu, %llu], got %d", s,
			 (unsigned long long)min, (unsigned long long)max, r);
	else
		FZ_CHECK(r == 0 && got == want, "\"%s\": got %d/%llu", s, r, (unsigned long long)got);
}

static void
check_resolve(uint32_t bp, uint64_t ram)
{
	struct mc_size a = { MC_SIZE_PERCENT, 0, bp }, b = a;
	uint64_t ra = mc_size_resolve(&a, ram), rb;

	FZ_CHECK(ra <= ram && ra % 4096 == 0, "%u bp of %llu = %llu", bp,
		 (unsigned long long)ram, (unsigned long long)ra);
	if (bp < 10000) {
		b.basis_points = bp + 1;
		rb = mc_size_resolve(&b, ram);
		FZ_CHECK(rb >= ra, "not monotonic at %u bp of %llu", bp, (unsigned long long)ram);
	}
	b.basis_points = 10000;
	FZ_CHECK(mc_size_resolve(&b, ram) == (ram & ~(uint64_t)4095), "100%% of %llu",
		 (unsigned long long)ram);
}

static void
check_human(uint64_t bytes, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	char big[64], *small = malloc(len ? len : 1);
	unsigned long long whole, tenth = 0;
	char u[8] = "";
	int fields;

	if (small == NULL)
		abort();
	mc_size_human(bytes, big, sizeof(big));
	if (len > 0) {
		/* Exactly len bytes: a write past it is ASan's to see. */
		mc_size_human(bytes, small, len);
		FZ_CHECK(memchr(small, '\0', len) != NULL, "no NUL in %zu bytes", len);
		FZ_CHECK(strncmp(small, big, len - 1) == 0, "a short buffer gets a prefix");
	}
	free(small);
	if (bytes == MC_UNLIMITED) {
		FZ_CHECK(strcmp(big, "max") == 0, "UINT64_MAX is \"%s\"", big);
		return;
	}
	if (strchr(big, '.') == NULL) {
		fields = sscanf(big, "%llu %7s", &whole, u);	/* NOLINT(cert-err34-c): fields counted */
		FZ_CHECK(fields == 2 && strcmp(u, "B") == 0 && whole == bytes && bytes < 1024,
			 "%llu is \"%s\"", (unsigned long long)bytes, big);
		return;
	}
	fields = sscanf(big, "%llu.%llu %7s", &whole, &tenth, u);	/* NOLINT(cert-err34-c): fields counted */
	FZ_CHECK(fields == 3 && tenth < 10, "\"%s\"", big);
	for (unsigned i = 1; i < 7; i++) {
		unsigned __int128 scale = (unsigned __int128)1 << (10 * i);
		unsigned __int128 lo = ((unsigned __int128)whole * 10 + tenth) * scale;

		if (strcmp(u, unit[i]) != 0)
			continue;
		/* Rounded down to one decimal, and the largest fitting unit. */
		FZ_CHECK(lo <= (unsigned __int128)bytes * 10 &&
			 (unsigned __int128)bytes * 10 < lo + scale,
			 "%llu is not \"%s\"", (unsigned long long)bytes, big);
		FZ_CHECK(whole >= 1 && (whole < 1024 || i == 6), "\"%s\" for %llu", big,
			 (unsigned long long)bytes);
		return;
	}
	FZ_CHECK(0, "unknown unit in \"%s\"", big);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint64_t ram = fz_u64(&f, 8), min = fz_u64(&f, 2), max = fz_u64(&f, 8);
	uint32_t bp = (uint32_t)(fz_u64(&f, 2) % 10001);
	size_t len = fz_u8(&f) % 40;
	char s[256];

	check_resolve(bp, ram);
	check_human(ram, len);
	check_human(ram >> (ram & 63), len);
	fz_field(&f, '\0', s, sizeof(s));
	check_size(s);
	check_u64(s, min, max);
	check_u64(s, 0, UINT64_MAX);
	return 0;
}
