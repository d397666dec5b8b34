/* Formatting side of the logging sink; see log.h. */
#include <stdio.h>

#include "log.h"

void
mc_logv(const struct mc_log *log, int prio, const char *fmt, va_list ap)
{
	char line[1024];

	if (log == NULL || log->emit == NULL)
		return;
	if (prio == LOG_DEBUG && !log->debug)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log->emit(log->ctx, prio, line);
}

void
mc_log(const struct mc_log *log, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mc_logv(log, prio, fmt, ap);
	va_end(ap);
}

void
mc_log_stderr(void *ctx, int prio, const char *line)
{
	(void)prio;
	if (ctx != NULL)
		fprintf(stderr, "%s: %s\n", (const char *)ctx, line);
	else
		fprintf(stderr, "%s\n", line);
}

void
mc_log_syslog(void *ctx, int prio, const char *line)
{
	(void)ctx;
	syslog(prio, "%s", line);
}
