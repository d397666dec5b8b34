/* LD_PRELOAD shim for notifier tests: makes chosen calls slow, to open the
 * windows that races and slow name services need.
 *   MEMCG_TEST_SLOW_THRESHOLD_MS: a write to cgroup.event_control that
 *     registers a usage threshold (three fields) waits this long first.
 *   MEMCG_TEST_SLOW_UID, MEMCG_TEST_SLOW_NSS_MS: getpwuid_r and getpwnam_r
 *     answering for that uid return this much later. */
#include <dlfcn.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t len);
int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res);
int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **res);

static long
env_num(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return -1;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 ? n : -1;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	long ms = env_num("MEMCG_TEST_SLOW_THRESHOLD_MS");

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (ms > 0 && len < 96 && memchr(buf, '\n', len) == NULL) {
		char link[64], target[256], line[96];
		ssize_t n;
		int spaces = 0;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		memcpy(line, buf, len);
		line[len] = '\0';
		for (char *p = line; *p; p++)
			spaces += *p == ' ';
		if (n > 0 && (target[n] = '\0', strstr(target, "/cgroup.event_control") != NULL) &&
		    spaces == 2)
			sleep_ms(ms);
	}
	return real(fd, buf, len);
}

static void
slow_if(uid_t uid)
{
	long want = env_num("MEMCG_TEST_SLOW_UID"), ms = env_num("MEMCG_TEST_SLOW_NSS_MS");

	if (want >= 0 && ms > 0 && (uid_t)want == uid)
		sleep_ms(ms);
}

int
getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	static int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **);

	if (real == NULL)
		real = (int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **))
			dlsym(RTLD_NEXT, "getpwuid_r");
	slow_if(uid);
	return real(uid, pw, buf, len, res);
}

int
getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	static int (*real)(const char *, struct passwd *, char *, size_t, struct passwd **);
	int r;

	if (real == NULL)
		real = (int (*)(const char *, struct passwd *, char *, size_t, struct passwd **))
			dlsym(RTLD_NEXT, "getpwnam_r");
	r = real(name, pw, buf, len, res);
	if (r == 0 && *res != NULL)
		slow_if((*res)->pw_uid);
	return r;
}
