/* One logging sink for the module, the daemon and the CLI: the caller decides
 * where lines go (pam_syslog, syslog, stderr), library code only formats. */
#ifndef MEMCG_LOG_H
#define MEMCG_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

struct mc_log {
	/* Receives one finished line, without a trailing newline. */
	void (*emit)(void *ctx, int prio, const char *line);
	void *ctx;
	bool debug;		/* pass LOG_DEBUG lines through */
};

void mc_logv(const struct mc_log *log, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void mc_log(const struct mc_log *log, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ready-made sinks: stderr with a "prog: " prefix (ctx is the prefix string,
 * may be NULL), and syslog(3) (ctx unused). */
void mc_log_stderr(void *ctx, int prio, const char *line);
void mc_log_syslog(void *ctx, int prio, const char *line);

#endif
