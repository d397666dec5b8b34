/* Unit tests for lib/parse.c: strict integers, memory sizes, percentage
 * arithmetic and the human-readable form, with their boundaries. */
#include "unit.h"

#include <inttypes.h>

#include "parse.h"

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define TiB ((uint64_t)1 << 40)
#define PiB ((uint64_t)1 << 50)
#define EiB ((uint64_t)1 << 60)

static void
test_parse_u64(void **state)
{
	static const struct {
		const char *s;
		uint64_t min, max;
		int want;
		uint64_t v;
	} t[] = {
		{ "0", 0, UINT64_MAX, 0, 0 },
		{ "1", 0, UINT64_MAX, 0, 1 },
		{ "42", 0, UINT64_MAX, 0, 42 },
		{ "007", 0, UINT64_MAX, 0, 7 },
		{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, -ERANGE, 0 },
		{ "18446744073709551620", 0, UINT64_MAX, -ERANGE, 0 },
		{ "99999999999999999999", 0, UINT64_MAX, -ERANGE, 0 },
		{ "184467440737095516150", 0, UINT64_MAX, -ERANGE, 0 },
		{ "000000000000000000000000000000000000000001", 0, UINT64_MAX, 0, 1 },
		{ "9223372036854775807", 0, INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808", 0, INT64_MAX, -ERANGE, 0 },
		{ "4294967294", 0, UINT32_MAX - 1, 0, UINT32_MAX - 1 },
		{ "4294967295", 0, UINT32_MAX - 1, -ERANGE, 0 },
		{ "5", 5, 5, 0, 5 },
		{ "4", 5, 5, -ERANGE, 0 },
		{ "6", 5, 5, -ERANGE, 0 },
		{ "0", 1, 10, -ERANGE, 0 },
		{ "", 0, UINT64_MAX, -EINVAL, 0 },
		{ "-1", 0, UINT64_MAX, -EINVAL, 0 },
		{ "-0", 0, UINT64_MAX, -EINVAL, 0 },
		{ "+1", 0, UINT64_MAX, -EINVAL, 0 },
		{ " 1", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1 ", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1\n", 0, UINT64_MAX, -EINVAL, 0 },
		{ "\t1", 0, UINT64_MAX, -EINVAL, 0 },
		{ "0x10", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1e3", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1.0", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1,000", 0, UINT64_MAX, -EINVAL, 0 },
		{ "1K", 0, UINT64_MAX, -EINVAL, 0 },
		{ "abc", 0, UINT64_MAX, -EINVAL, 0 },
		{ "\xd9\xa1", 0, UINT64_MAX, -EINVAL, 0 },	/* Arabic-Indic one */
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		uint64_t v = 0xdeadbeef;
		int r = mc_parse_u64(t[i].s, t[i].min, t[i].max, &v);

		if (r != t[i].want)
			fail_msg("mc_parse_u64(\"%s\", %" PRIu64 ", %" PRIu64 ") = %d, want %d",
				 t[i].s, t[i].min, t[i].max, r, t[i].want);
		if (r == 0 && v != t[i].v)
			fail_msg("mc_parse_u64(\"%s\") gave %" PRIu64 ", want %" PRIu64,
				 t[i].s, v, t[i].v);
	}
	assert_int_equal(mc_parse_u64(NULL, 0, UINT64_MAX, &(uint64_t){ 0 }), -EINVAL);
}

static void
test_size_parse(void **state)
{
	static const struct {
		const char *s;
		int want;
		enum mc_size_kind kind;
		uint64_t bytes;
		uint32_t bp;
	} t[] = {
		{ "max", 0, MC_SIZE_MAX, MC_UNLIMITED, 0 },
		{ "0", 0, MC_SIZE_BYTES, 0, 0 },
		{ "1", 0, MC_SIZE_BYTES, 1, 0 },
		{ "1023", 0, MC_SIZE_BYTES, 1023, 0 },
		{ "1K", 0, MC_SIZE_BYTES, KiB, 0 },
		{ "1k", 0, MC_SIZE_BYTES, KiB, 0 },
		{ "0K", 0, MC_SIZE_BYTES, 0, 0 },
		{ "1M", 0, MC_SIZE_BYTES, MiB, 0 },
		{ "1m", 0, MC_SIZE_BYTES, MiB, 0 },
		{ "512M", 0, MC_SIZE_BYTES, 512 * MiB, 0 },
		{ "1G", 0, MC_SIZE_BYTES, GiB, 0 },
		{ "1g", 0, MC_SIZE_BYTES, GiB, 0 },
		{ "1T", 0, MC_SIZE_BYTES, TiB, 0 },
		{ "1t", 0, MC_SIZE_BYTES, TiB, 0 },
		{ "0010M", 0, MC_SIZE_BYTES, 10 * MiB, 0 },
		/* The largest size of each unit, and one past it. */
		{ "9223372036854775807", 0, MC_SIZE_BYTES, INT64_MAX, 0 },
		{ "9223372036854775808", -ERANGE, 0, 0, 0 },
		{ "18446744073709551615", -ERANGE, 0, 0, 0 },
		{ "18446744073709551616", -ERANGE, 0, 0, 0 },
		{ "9007199254740991K", 0, MC_SIZE_BYTES, 9007199254740991 * KiB, 0 },
		{ "9007199254740992K", -ERANGE, 0, 0, 0 },
		{ "8796093022207M", 0, MC_SIZE_BYTES, 8796093022207 * MiB, 0 },
		{ "8796093022208M", -ERANGE, 0, 0, 0 },
		{ "8589934591G", 0, MC_SIZE_BYTES, 8589934591 * GiB, 0 },
		{ "8589934592G", -ERANGE, 0, 0, 0 },
		{ "8388607T", 0, MC_SIZE_BYTES, 8388607 * TiB, 0 },
		{ "8388608T", -ERANGE, 0, 0, 0 },
		{ "18446744073709551615T", -ERANGE, 0, 0, 0 },
		{ "1111111111111111111111111111111111111111", -ERANGE, 0, 0, 0 },
		/* Percentages: basis points, at most 100%, at most two decimals. */
		{ "0%", 0, MC_SIZE_PERCENT, 0, 0 },
		{ "0.01%", 0, MC_SIZE_PERCENT, 0, 1 },
		{ "1%", 0, MC_SIZE_PERCENT, 0, 100 },
		{ "25%", 0, MC_SIZE_PERCENT, 0, 2500 },
		{ "25.5%", 0, MC_SIZE_PERCENT, 0, 2550 },
		{ "25.05%", 0, MC_SIZE_PERCENT, 0, 2505 },
		{ "025%", 0, MC_SIZE_PERCENT, 0, 2500 },
		{ "99.99%", 0, MC_SIZE_PERCENT, 0, 9999 },
		{ "100%", 0, MC_SIZE_PERCENT, 0, 10000 },
		{ "100.0%", 0, MC_SIZE_PERCENT, 0, 10000 },
		{ "100.00%", 0, MC_SIZE_PERCENT, 0, 10000 },
		{ "100.01%", -ERANGE, 0, 0, 0 },
		{ "100.1%", -ERANGE, 0, 0, 0 },
		{ "101%", -ERANGE, 0, 0, 0 },
		{ "1000%", -ERANGE, 0, 0, 0 },
		{ "4294967396%", -ERANGE, 0, 0, 0 },
		{ "99999999999999999999999%", -ERANGE, 0, 0, 0 },
		{ "%", -EINVAL, 0, 0, 0 },
		{ ".5%", -EINVAL, 0, 0, 0 },
		{ "5.%", -EINVAL, 0, 0, 0 },
		{ "5.123%", -EINVAL, 0, 0, 0 },
		{ "5.5.5%", -EINVAL, 0, 0, 0 },
		{ "-1%", -EINVAL, 0, 0, 0 },
		{ " 5%", -EINVAL, 0, 0, 0 },
		{ "5 %", -EINVAL, 0, 0, 0 },
		{ "5%%", -EINVAL, 0, 0, 0 },
		{ "1e2%", -EINVAL, 0, 0, 0 },
		{ "max%", -EINVAL, 0, 0, 0 },
		{ "5%K", -EINVAL, 0, 0, 0 },
		/* Not sizes at all. */
		{ "", -EINVAL, 0, 0, 0 },
		{ "MAX", -EINVAL, 0, 0, 0 },
		{ "Max", -EINVAL, 0, 0, 0 },
		{ " max", -EINVAL, 0, 0, 0 },
		{ "max ", -EINVAL, 0, 0, 0 },
		{ "maxK", -EINVAL, 0, 0, 0 },
		{ "unlimited", -EINVAL, 0, 0, 0 },
		{ "-1", -EINVAL, 0, 0, 0 },
		{ "+1", -EINVAL, 0, 0, 0 },
		{ " 1", -EINVAL, 0, 0, 0 },
		{ "1 ", -EINVAL, 0, 0, 0 },
		{ "1 K", -EINVAL, 0, 0, 0 },
		{ "1KB", -EINVAL, 0, 0, 0 },
		{ "1KiB", -EINVAL, 0, 0, 0 },
		{ "1B", -EINVAL, 0, 0, 0 },
		{ "1P", -EINVAL, 0, 0, 0 },
		{ "1E", -EINVAL, 0, 0, 0 },
		{ "1KK", -EINVAL, 0, 0, 0 },
		{ "1.5G", -EINVAL, 0, 0, 0 },
		{ "1.5", -EINVAL, 0, 0, 0 },
		{ "1e9", -EINVAL, 0, 0, 0 },
		{ "0x10", -EINVAL, 0, 0, 0 },
		{ "1_000", -EINVAL, 0, 0, 0 },
		{ "K", -EINVAL, 0, 0, 0 },
		{ "G", -EINVAL, 0, 0, 0 },
		/* Long text that is not a number is not "too large". */
		{ "this is a sentence and not a size at all", -EINVAL, 0, 0, 0 },
		{ "1111111111111111111111111111111111111111x", -EINVAL, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_size sz = { .kind = MC_SIZE_BYTES, .bytes = 12345, .basis_points = 77 };
		const char *why = NULL;
		int r = mc_size_parse(t[i].s, &sz, &why);

		if (r != t[i].want)
			fail_msg("mc_size_parse(\"%s\") = %d (%s), want %d", t[i].s, r,
				 why ? why : "no reason", t[i].want);
		if (r < 0) {
			if (why == NULL || *why == '\0')
				fail_msg("mc_size_parse(\"%s\") failed without a reason", t[i].s);
			continue;
		}
		if (sz.kind != t[i].kind)
			fail_msg("mc_size_parse(\"%s\"): kind %d, want %d", t[i].s,
				 sz.kind, t[i].kind);
		if (sz.kind != MC_SIZE_PERCENT && sz.bytes != t[i].bytes)
			fail_msg("mc_size_parse(\"%s\"): %" PRIu64 " bytes, want %" PRIu64,
				 t[i].s, sz.bytes, t[i].bytes);
		if (sz.kind == MC_SIZE_PERCENT && sz.basis_points != t[i].bp)
			fail_msg("mc_size_parse(\"%s\"): %u basis points, want %u",
				 t[i].s, sz.basis_points, t[i].bp);
	}
}

/* The reasons name the rule that was broken. */
static void
test_size_parse_reasons(void **state)
{
	static const struct {
		const char *s;
		const char *needle;
	} t[] = {
		{ "", "empty" },
		{ "101%", "100%" },
		{ "100.01%", "100%" },
		{ "9223372036854775808", "9223372036854775807" },
		{ "8388608T", "9223372036854775807" },
		{ "1KB", "K, M, G or T" },
		{ "5.123%", "two decimals" },
		{ "K", "digits" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_size sz;
		const char *why = NULL;

		if (mc_size_parse(t[i].s, &sz, &why) == 0)
			fail_msg("mc_size_parse(\"%s\") accepted it", t[i].s);
		if (why == NULL || strstr(why, t[i].needle) == NULL)
			fail_msg("mc_size_parse(\"%s\"): reason \"%s\" does not mention \"%s\"",
				 t[i].s, why ? why : "(null)", t[i].needle);
	}
	{
		struct mc_size sz;
		const char *why = NULL;

		assert_int_equal(mc_size_parse(NULL, &sz, &why), -EINVAL);
		assert_non_null(why);
	}
}

/* floor(floor(ram / 4096) * bp / 10000) * 4096, in 128 bits. */
static uint64_t
percent_reference(uint64_t ram, uint32_t bp)
{
	unsigned __int128 pages = ram / 4096;

	return (uint64_t)(pages * bp / 10000 * 4096);
}

static void
test_size_resolve(void **state)
{
	static const uint64_t rams[] = {
		0, 1, 4095, 4096, 4097, 10000 * 4096 - 1, 10000 * 4096,
		GiB, 16 * GiB, 16 * GiB + 1234, 3 * GiB + 4096 * 7 + 1,
		TiB, 64 * TiB + 4096 * 9999, (uint64_t)INT64_MAX,
		(uint64_t)INT64_MAX + 1, UINT64_MAX - 4096, UINT64_MAX,
	};
	static const uint32_t bps[] = { 0, 1, 33, 2500, 3333, 5000, 9999, 10000 };

	(void)state;
	for (size_t i = 0; i < NELEM(rams); i++) {
		uint64_t prev = 0;

		for (size_t j = 0; j < NELEM(bps); j++) {
			struct mc_size sz = { .kind = MC_SIZE_PERCENT, .basis_points = bps[j] };
			uint64_t got = mc_size_resolve(&sz, rams[i]);
			uint64_t want = percent_reference(rams[i], bps[j]);

			if (got != want)
				fail_msg("%u bp of %" PRIu64 " bytes = %" PRIu64 ", want %" PRIu64,
					 bps[j], rams[i], got, want);
			if (got % 4096 != 0 || got > rams[i] || got < prev)
				fail_msg("%u bp of %" PRIu64 " bytes = %" PRIu64
					 ": not page-aligned, above RAM or not monotonic",
					 bps[j], rams[i], got);
			if (got == MC_UNLIMITED)
				fail_msg("%u bp of %" PRIu64 " bytes reads as \"max\"",
					 bps[j], rams[i]);
			prev = got;
		}
	}

	/* Values a person can check by hand. */
	{
		struct mc_size quarter = { .kind = MC_SIZE_PERCENT, .basis_points = 2500 };
		struct mc_size all = { .kind = MC_SIZE_PERCENT, .basis_points = 10000 };

		assert_int_equal(mc_size_resolve(&quarter, 16 * GiB), 4 * GiB);
		assert_int_equal(mc_size_resolve(&all, 16 * GiB + 4095), 16 * GiB);
		assert_int_equal(mc_size_resolve(&all, UINT64_MAX), UINT64_MAX - 4095);
	}

	/* Bytes and "max" do not depend on RAM. */
	for (size_t i = 0; i < NELEM(rams); i++) {
		static const uint64_t bytes[] = { 0, 1, MiB, (uint64_t)INT64_MAX };
		struct mc_size max = { .kind = MC_SIZE_MAX, .bytes = MC_UNLIMITED };

		for (size_t j = 0; j < NELEM(bytes); j++) {
			struct mc_size b = { .kind = MC_SIZE_BYTES, .bytes = bytes[j] };

			assert_int_equal(mc_size_resolve(&b, rams[i]), bytes[j]);
		}
		assert_int_equal(mc_size_resolve(&max, rams[i]), MC_UNLIMITED);
	}
}

/* What a parsed string resolves to, end to end. */
static void
test_size_parse_then_resolve(void **state)
{
	static const struct {
		const char *s;
		uint64_t ram, want;
	} t[] = {
		{ "25%", 8 * GiB, 2 * GiB },
		{ "50%", 1 * GiB + 4096, 512 * MiB },
		{ "0.01%", 16 * GiB, 17179869184 / 10000 / 4096 * 4096 },
		{ "100%", 4095, 0 },
		{ "1G", 0, GiB },
		{ "max", 16 * GiB, MC_UNLIMITED },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_size sz;
		const char *why;

		assert_int_equal(mc_size_parse(t[i].s, &sz, &why), 0);
		if (mc_size_resolve(&sz, t[i].ram) != t[i].want)
			fail_msg("\"%s\" with %" PRIu64 " bytes of RAM = %" PRIu64 ", want %" PRIu64,
				 t[i].s, t[i].ram, mc_size_resolve(&sz, t[i].ram), t[i].want);
	}
}

static void
test_size_human(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} t[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 512, "512 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1075, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 2047, "1.9 KiB" },
		{ MiB - 1, "1023.9 KiB" },
		{ MiB, "1.0 MiB" },
		{ 64 * MiB, "64.0 MiB" },
		{ GiB - 1, "1023.9 MiB" },
		{ GiB + GiB / 2, "1.5 GiB" },
		{ TiB, "1.0 TiB" },
		{ 1023 * PiB, "1023.0 PiB" },
		{ 8388607 * TiB, "7.9 EiB" },
		{ PiB, "1.0 PiB" },
		{ EiB, "1.0 EiB" },
		{ (uint64_t)INT64_MAX, "7.9 EiB" },
		{ (uint64_t)INT64_MAX + 1, "8.0 EiB" },
		{ UINT64_MAX - 1, "15.9 EiB" },
		{ MC_UNLIMITED, "max" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		char buf[32];
		char *r = mc_size_human(t[i].bytes, buf, sizeof(buf));

		assert_ptr_equal(r, buf);
		if (strcmp(buf, t[i].want) != 0)
			fail_msg("mc_size_human(%" PRIu64 ") = \"%s\", want \"%s\"",
				 t[i].bytes, buf, t[i].want);
	}
}

/* A short buffer is truncated, never overrun. */
static void
test_size_human_short_buffer(void **state)
{
	static const uint64_t values[] = { 5, 1023, 1536, 64 * MiB, UINT64_MAX - 1, MC_UNLIMITED };

	(void)state;
	for (size_t i = 0; i < NELEM(values); i++) {
		for (size_t len = 1; len <= 12; len++) {
			char full[32], buf[16];

			mc_size_human(values[i], full, sizeof(full));
			memset(buf, '#', sizeof(buf));
			mc_size_human(values[i], buf, len);
			if (strlen(buf) != (strlen(full) < len ? strlen(full) : len - 1) ||
			    strncmp(buf, full, strlen(buf)) != 0)
				fail_msg("mc_size_human(%" PRIu64 ", len %zu) = \"%s\", full form \"%s\"",
					 values[i], len, buf, full);
			for (size_t k = len; k < sizeof(buf); k++)
				if (buf[k] != '#')
					fail_msg("mc_size_human(%" PRIu64 ", len %zu) wrote past the buffer",
						 values[i], len);
		}
	}
}

/* ------------------------------------------------------------------ */
/* cpu_max                                                             */

static void
test_cpu_parse(void **state)
{
	static const struct {
		const char *s;
		int want;
		enum mc_cpu_kind kind;
		uint32_t milli, bp;
		uint64_t quota_2cpus;	/* per 100 ms on 2 CPUs */
	} t[] = {
		{ "max", 0, MC_CPU_MAX, 0, 0, MC_UNLIMITED },
		{ "2", 0, MC_CPU_CPUS, 2000, 0, 200000 },
		{ "0.5", 0, MC_CPU_CPUS, 500, 0, 50000 },
		{ "0.01", 0, MC_CPU_CPUS, 10, 0, 1000 },
		{ "1.125", 0, MC_CPU_CPUS, 1125, 0, 112500 },
		{ "007.50", 0, MC_CPU_CPUS, 7500, 0, 750000 },
		{ "100000", 0, MC_CPU_CPUS, 100000000, 0, 10000000000ULL },
		{ "25%", 0, MC_CPU_PERCENT, 0, 2500, 50000 },
		{ "100%", 0, MC_CPU_PERCENT, 0, 10000, 200000 },
		{ "12.5%", 0, MC_CPU_PERCENT, 0, 1250, 25000 },
		{ "0.01%", 0, MC_CPU_PERCENT, 0, 1, 1000 },	/* 20 us, raised to 1 ms */
		{ "0.009", -ERANGE, 0, 0, 0, 0 },
		{ "0", -ERANGE, 0, 0, 0, 0 },
		{ "0.0", -ERANGE, 0, 0, 0, 0 },
		{ "0%", -ERANGE, 0, 0, 0, 0 },
		{ "100000.001", -ERANGE, 0, 0, 0, 0 },
		{ "100001", -ERANGE, 0, 0, 0, 0 },
		{ "99999999999999999999999", -ERANGE, 0, 0, 0, 0 },
		{ "100.01%", -ERANGE, 0, 0, 0, 0 },
		{ "101%", -ERANGE, 0, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0, 0 },
		{ "1.", -EINVAL, 0, 0, 0, 0 },
		{ ".5", -EINVAL, 0, 0, 0, 0 },
		{ "0.0005", -EINVAL, 0, 0, 0, 0 },
		{ "1.5.", -EINVAL, 0, 0, 0, 0 },
		{ "-1", -EINVAL, 0, 0, 0, 0 },
		{ "+1", -EINVAL, 0, 0, 0, 0 },
		{ " 1", -EINVAL, 0, 0, 0, 0 },
		{ "1 ", -EINVAL, 0, 0, 0, 0 },
		{ "2 CPUs", -EINVAL, 0, 0, 0, 0 },
		{ "1e3", -EINVAL, 0, 0, 0, 0 },
		{ "%", -EINVAL, 0, 0, 0, 0 },
		{ "12.345%", -EINVAL, 0, 0, 0, 0 },
		{ "MAX", -EINVAL, 0, 0, 0, 0 },
		{ "infinity", -EINVAL, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct mc_cpu c;
		const char *why = NULL;
		int r = mc_cpu_parse(t[i].s, &c, &why);

		if (r != t[i].want)
			fail_msg("mc_cpu_parse(\"%s\") = %d, want %d", t[i].s, r, t[i].want);
		if (r < 0) {
			if (why == NULL || why[0] == '\0')
				fail_msg("mc_cpu_parse(\"%s\"): no reason", t[i].s);
			continue;
		}
		if (c.kind != t[i].kind || c.milli != t[i].milli || c.basis_points != t[i].bp)
			fail_msg("mc_cpu_parse(\"%s\"): kind %d milli %u bp %u", t[i].s, c.kind,
				 c.milli, c.basis_points);
		if (mc_cpu_quota_us(&c, 2) != t[i].quota_2cpus)
			fail_msg("mc_cpu_quota_us(\"%s\", 2) = %" PRIu64 ", want %" PRIu64, t[i].s,
				 mc_cpu_quota_us(&c, 2), t[i].quota_2cpus);
	}
}

static void
test_cpu_quota_ncpus(void **state)
{
	struct mc_cpu quarter = { .kind = MC_CPU_PERCENT, .basis_points = 2500 };
	struct mc_cpu all = { .kind = MC_CPU_PERCENT, .basis_points = 10000 };
	struct mc_cpu two = { .kind = MC_CPU_CPUS, .milli = 2000 };

	(void)state;
	assert_int_equal(mc_cpu_quota_us(&quarter, 1), 25000);
	assert_int_equal(mc_cpu_quota_us(&quarter, 0), 25000);	/* 0 counts as 1 */
	assert_int_equal(mc_cpu_quota_us(&quarter, 64), 1600000);
	assert_int_equal(mc_cpu_quota_us(&all, 4096), 409600000);
	/* A number of CPUs does not depend on the machine. */
	assert_int_equal(mc_cpu_quota_us(&two, 1), 200000);
	assert_int_equal(mc_cpu_quota_us(&two, 64), 200000);
}

static void
test_cpu_texts(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mc_cpu_max_text(50000, buf, sizeof(buf)), "50000 100000");
	assert_string_equal(mc_cpu_max_text(MC_UNLIMITED, buf, sizeof(buf)), "max 100000");
	assert_string_equal(mc_cpu_max_text(1000, buf, sizeof(buf)), "1000 100000");
	assert_string_equal(mc_cpu_human(50000, buf, sizeof(buf)), "0.50 CPUs");
	assert_string_equal(mc_cpu_human(200000, buf, sizeof(buf)), "2.00 CPUs");
	assert_string_equal(mc_cpu_human(112500, buf, sizeof(buf)), "1.12 CPUs");
	assert_string_equal(mc_cpu_human(1000, buf, sizeof(buf)), "0.01 CPUs");
	assert_string_equal(mc_cpu_human(MC_UNLIMITED, buf, sizeof(buf)), "max");
	/* systemd's mapping, and v1's range. */
	assert_int_equal(mc_cpu_shares_of_weight(100), 1024);
	assert_int_equal(mc_cpu_shares_of_weight(200), 2048);
	assert_int_equal(mc_cpu_shares_of_weight(50), 512);
	assert_int_equal(mc_cpu_shares_of_weight(1), 10);
	assert_int_equal(mc_cpu_shares_of_weight(10000), 102400);
	assert_int_equal(mc_cpu_shares_of_weight(0), 2);
	assert_int_equal(mc_cpu_shares_of_weight(1000000), 262144);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_size_parse_reasons),
		cmocka_unit_test(test_size_resolve),
		cmocka_unit_test(test_size_parse_then_resolve),
		cmocka_unit_test(test_size_human),
		cmocka_unit_test(test_size_human_short_buffer),
		cmocka_unit_test(test_cpu_parse),
		cmocka_unit_test(test_cpu_quota_ncpus),
		cmocka_unit_test(test_cpu_texts),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
