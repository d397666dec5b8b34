/* Formatting side of the logging sink; see log.h. */
#include <stdio.h>

#include "log.h"

/* A log line is one line of text whatever it quotes: user and command
 * names come from users, and a newline or an escape sequence in them must
 * not forge a line or reach an admin's terminal.  C0 controls, DEL and the
 * UTF-8 form of C1 controls become \xNN. */
static void
escape_controls(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outlen; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", p[1]);
			p++;
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

void
mc_logv(const struct mc_log *log, int prio, const char *fmt, va_list ap)
{
	char line[1024], safe[1024];

	if (log == NULL || log->emit == NULL)
		return;
	if (prio == LOG_DEBUG && !log->debug)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	escape_controls(line, safe, sizeof(safe));
	log->emit(log->ctx, prio, safe);
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
