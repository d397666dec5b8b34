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

/* CPU time per wall-clock time, as cpu_max gives it. */
enum mc_cpu_kind { MC_CPU_MAX, MC_CPU_CPUS, MC_CPU_PERCENT };

struct mc_cpu {
	enum mc_cpu_kind kind;
	uint32_t milli;		/* MC_CPU_CPUS: thousandths of a CPU, 10.. */
	uint32_t basis_points;	/* MC_CPU_PERCENT: of all CPUs, 1..10000 */
};

/* The period a CPU quota is written for: 100 ms, systemd's default. */
#define MC_CPU_PERIOD_US 100000ULL
/* The kernel's smallest quota (1 ms). */
#define MC_CPU_MIN_QUOTA_US 1000ULL
#define MC_CPU_MAX_CPUS 100000

/* Parses "max", "<n>[.<ddd>]" CPUs (at least 0.01, at most 100000) or
 * "<n>[.<dd>]%" of all CPUs (above 0, at most 100).  Returns 0, -EINVAL or
 * -ERANGE with *why set to a static explanation. */
int mc_cpu_parse(const char *s, struct mc_cpu *out, const char **why);

/* Microseconds of CPU time per MC_CPU_PERIOD_US that c allows on a machine
 * with ncpus CPUs (0 counts as 1); MC_UNLIMITED for "max".  A share never
 * resolves below MC_CPU_MIN_QUOTA_US. */
uint64_t mc_cpu_quota_us(const struct mc_cpu *c, unsigned ncpus);

/* Writes "max" or a quota per MC_CPU_PERIOD_US as CPUs with two decimals
 * (rounded down), e.g. "0.50 CPUs".  Returns buf. */
char *mc_cpu_human(uint64_t quota_us, char *buf, size_t len);

/* v2 cpu.max for a quota per MC_CPU_PERIOD_US: "<quota> 100000", or
 * "max 100000" for MC_UNLIMITED.  Returns buf. */
char *mc_cpu_max_text(uint64_t quota_us, char *buf, size_t len);

/* v1 cpu.shares for a cpu_weight (1..10000), as systemd maps them:
 * weight * 1024 / 100, within v1's 2..262144. */
uint64_t mc_cpu_shares_of_weight(uint32_t weight);

#endif
