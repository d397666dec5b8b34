/* Many idle user cgroups, made and removed with plain mkdir/rmdir as
 * pam_memcg would leave them; see nfbench.h. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfbench.h"

const char *
nfb_limit_file(int version)
{
	return version == 2 ? "memory.max" : "memory.limit_in_bytes";
}

bool
nfb_uids_unused(uid_t base, long n)
{
	struct passwd *pw;
	bool ok = true;

	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid >= base && (uint64_t)pw->pw_uid < (uint64_t)base + (uint64_t)n)
			ok = false;
	endpwent();
	return ok;
}

long
nfb_users_make(int parentfd, int version, uid_t base, long n, unsigned long long limit)
{
	const char *file = nfb_limit_file(version);
	char name[64], path[128], val[32];
	long i;

	snprintf(val, sizeof(val), "%llu", limit);
	for (i = 0; i < n && !nfb_stopping; i++) {
		int r;

		snprintf(name, sizeof(name), "user-%u", (unsigned)(base + (uid_t)i));
		if (mkdirat(parentfd, name, 0755) < 0) {
			fprintf(stderr, "notifier bench: mkdir %s: %s\n", name, strerror(errno));
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", name, file);
		if ((r = bench_write_at(parentfd, path, val)) < 0) {
			fprintf(stderr, "notifier bench: %s: %s\n", path, strerror(-r));
			i++;
			break;
		}
	}
	return i;
}

long
nfb_users_remove(int parentfd, uid_t base, long n)
{
	char name[64];
	long failed = 0;

	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user-%u", (unsigned)(base + (uid_t)i));
		if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			if (failed == 0)
				fprintf(stderr, "notifier bench: rmdir %s: %s\n", name,
					strerror(errno));
			failed++;
		}
	}
	return failed;
}
