/* LD_PRELOAD shim for tests: sends syslog(3) lines to the file named by
 * MEMCG_TEST_SYSLOG instead of /dev/log, so tests can read what the module
 * logged without a syslog daemon. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vsyslog(int prio, const char *fmt, va_list ap);
void syslog(int prio, const char *fmt, ...);
void __syslog_chk(int prio, int flag, const char *fmt, ...);
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap);

void
vsyslog(int prio, const char *fmt, va_list ap)
{
	const char *path = getenv("MEMCG_TEST_SYSLOG");
	char line[2048];
	int n, fd;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof(line), "<%d> ", prio & 7);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	strcat(line, "\n");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0) {
		/* nothing to do about it in a test shim */
	}
	close(fd);
}

void
syslog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(prio, fmt, ap);
}
