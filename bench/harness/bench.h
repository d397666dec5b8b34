/* Helpers shared by the benchmark programs (bench.c): the clock,
 * percentiles and table formats, strict number parsing, small file reads,
 * cgroupfs writes and "which cgroup am I in".  Written apart from lib/ on
 * purpose: a measurement must not trust the code it measures. */
#ifndef MEMCG_BENCH_H
#define MEMCG_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_appl.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* qsort comparator for uint64_t, ascending. */
int bench_u64cmp(const void *a, const void *b);

/* Index of the nearest-rank percentile (p in 0..100) among n > 0 sorted
 * samples. */
size_t bench_rank_index(size_t n, double p);

/* Nearest-rank percentile (p in 0..100) of v[0..n), 0 when n is 0; sorts
 * the caller's v in place. */
uint64_t bench_percentile(uint64_t *v, size_t n, double p);

/* The same for signed samples. */
int64_t bench_percentile_i64(int64_t *v, size_t n, double p);

/* Median of v[0..n) (n >= 1); sorts the caller's v in place. */
double bench_median(double *v, size_t n);

/* Table formats, written into the caller's buf of len bytes: a duration in
 * microseconds, or milliseconds from 10 ms (bench_fmt_ns); a signed
 * duration in milliseconds (bench_fmt_ms); KiB as MiB (bench_fmt_mib);
 * a count with thousands separators, "12,345" (bench_fmt_count). */
void bench_fmt_ns(double ns, char *buf, size_t len);
void bench_fmt_ms(int64_t ns, char *buf, size_t len);
void bench_fmt_mib(long kb, char *buf, size_t len);
void bench_fmt_count(long v, char *buf, size_t len);

/* Whole string, base 10, within [min, max], into *out.  Returns 0 or
 * -EINVAL/-ERANGE. */
int bench_parse_long(const char *s, long min, long max, long *out);

/* Writes text to path (relative to dirfd) in one write(2), as cgroupfs
 * wants.  Returns 0 or a negative errno. */
int bench_write_at(int dirfd, const char *path, const char *text);

/* A small file read whole (up to len - 1 bytes) into the caller's buf,
 * NUL-terminated.  Returns 0 or a negative errno. */
int bench_read_file(const char *path, char *buf, size_t len);

/* The memory cgroup of pid (0: this process) from /proc/PID/cgroup, with
 * its leading '/', into the caller's buf.  Returns 0 or a negative errno. */
int bench_cgroup_of(pid_t pid, int version, char *buf, size_t len);

/* The same in the v1 hierarchy of controller ctrl ("cpu", "pids"); on v2
 * ctrl is not looked at (one hierarchy). */
int bench_cgroup_in(pid_t pid, int version, const char *ctrl, char *buf, size_t len);

/* The limit files pam_memcg writes for memory_max = max, swap_max = swap
 * and memory_high = "max", in an order the kernel accepts on a new cgroup
 * (v1: memsw never below limit_in_bytes): file[i] points at a constant,
 * val[i] is filled in the caller's array.  Returns how many. */
#define BENCH_MAX_LIMITS 4
int bench_limits(int version, unsigned long long max, unsigned long long swap,
		 const char *file[BENCH_MAX_LIMITS], char val[BENCH_MAX_LIMITS][32]);

/* A PAM conversation that answers nothing: nothing in our PAM stacks asks
 * the user anything.  Returns PAM_CONV_ERR. */
int bench_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data);

#endif
