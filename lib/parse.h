/* Strict parsing of numbers and memory sizes, and the human-readable form of
 * sizes.  Pure functions: no I/O, no globals. */
#ifndef MEMCG_PARSE_H
#define MEMCG_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* "max": no limit. */
#define MC_UNLIMITED UINT64_MAX
/* The largest byte count a size may name (the kernel's counters are signed
 * 64-bit). */
#define MC_SIZE_LIMIT ((uint64_t)INT64_MAX)

/* Parses a decimal unsigned integer: the whole string, no sign, no spaces,
 * no leading '+', within [min, max].  Returns 0, -EINVAL (not a number or
 * trailing garbage) or -ERANGE. */
int mc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

enum mc_size_kind { MC_SIZE_BYTES, MC_SIZE_PERCENT, MC_SIZE_MAX };

struct mc_size {
	enum mc_size_kind kind;
	uint64_t bytes;		/* MC_SIZE_BYTES */
	uint32_t basis_points;	/* MC_SIZE_PERCENT: 1/100 of a percent, 0..10000 */
};

/* Parses "max", "<n>" bytes, "<n>K|M|G|T" (powers of 1024, either case) or
 * "<n>[.<d>[<d>]]%" of physical RAM (at most 100%).  Returns 0, -EINVAL with
 * *why set to a static explanation, or -ERANGE. */
int mc_size_parse(const char *s, struct mc_size *out, const char **why);

/* Bytes a size means on a machine with ram_bytes of RAM; MC_UNLIMITED for
 * "max".  Percentages round down to a whole page of 4096 bytes. */
uint64_t mc_size_resolve(const struct mc_size *sz, uint64_t ram_bytes);

/* Writes "max" or a byte count in the largest unit that keeps one decimal,
 * e.g. "1.5 GiB", "64.0 MiB", "512 B".  Returns buf. */
char *mc_size_human(uint64_t bytes, char *buf, size_t len);

#endif
