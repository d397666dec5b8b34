/* LD_PRELOAD shim for tests: getgrnam_r and getgrgid_r fail with the error
 * named by MEMCG_TEST_GRFAIL ("ERANGE": every buffer is too small, as for a
 * group entry over the module's cap; "EIO": an NSS back-end failing), and
 * behave normally when it is unset. */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
	       struct group **res);
int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
	       struct group **res);

/* The error to fail with, or 0. */
static int
wanted(void)
{
	const char *e = getenv("MEMCG_TEST_GRFAIL");

	if (e == NULL)
		return 0;
	if (strcmp(e, "ERANGE") == 0)
		return ERANGE;
	if (strcmp(e, "EIO") == 0)
		return EIO;
	return 0;
}

int
getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
	   struct group **res)
{
	int (*real)(const char *, struct group *, char *, size_t, struct group **);
	int e = wanted();

	if (e != 0) {
		*res = NULL;
		return e;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "getgrnam_r");
	return real(name, gr, buf, len, res);
}

int
getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
	   struct group **res)
{
	int (*real)(gid_t, struct group *, char *, size_t, struct group **);
	int e = wanted();

	if (e != 0) {
		*res = NULL;
		return e;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "getgrgid_r");
	return real(gid, gr, buf, len, res);
}
