/* What /proc says about a process: context switches, CPU time, memory,
 * open files; see nfbench.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfbench.h"

/* A decimal number at *p that ends in a blank, a newline or the end of
 * the text; moves *p past it.  False when there is no such number. */
static bool
u64_at(const char **p, uint64_t *out)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n'))
		return false;
	*p = end;
	return true;
}

/* The number after key ("\nVmRSS:") in /proc/PID/status text. */
static bool
status_field(const char *text, const char *key, uint64_t *out)
{
	const char *p = strstr(text, key);

	if (p == NULL)
		return false;
	p += strlen(key);
	return u64_at(&p, out);
}

int
nfb_proc_read(pid_t pid, struct nfb_proc *pr)
{
	char path[64], text[8192];
	uint64_t v;
	DIR *dir;
	int r;

	memset(pr, 0, sizeof(*pr));
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((r = bench_read_file(path, text, sizeof(text))) < 0)
		return r;
	status_field(text, "\nvoluntary_ctxt_switches:", &pr->vol);
	status_field(text, "\nnonvoluntary_ctxt_switches:", &pr->invol);
	if (status_field(text, "\nVmRSS:", &v))
		pr->rss_kb = (long)v;
	if (status_field(text, "\nVmHWM:", &v))
		pr->hwm_kb = (long)v;
	if (status_field(text, "\nRssAnon:", &v))
		pr->anon_kb = (long)v;

	/* utime and stime are fields 14 and 15; the command (field 2) may
	 * hold spaces, so count from its closing parenthesis. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((r = bench_read_file(path, text, sizeof(text))) < 0)
		return r;
	{
		const char *p = strrchr(text, ')');
		uint64_t ut = 0, stm = 0;

		/* The blank before field 3 follows ")"; stop at the one before 14. */
		for (int field = 3; p != NULL && field <= 14; field++)
			p = strchr(p + 1, ' ');
		if (p == NULL || !u64_at(&p, &ut) || !u64_at(&p, &stm))
			return -EINVAL;
		pr->ticks = ut + stm;
	}
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	if (bench_read_file(path, text, sizeof(text)) == 0) {
		const char *p = text;
		uint64_t wait;

		pr->have_sched = u64_at(&p, &pr->run_ns) && u64_at(&p, &wait) &&
				 u64_at(&p, &pr->slices);
	}
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) != NULL) {
		struct dirent *de;

		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				pr->fds++;
		closedir(dir);
	}
	return 0;
}
