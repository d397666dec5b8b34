/* The kernel log's OOM lines; see kmsg.h.  The formats are those of
 * mm/oom_kill.c and mm/memcontrol.c: command names and cgroup paths in them
 * can hold any byte, so every field is cut at the separator the kernel puts
 * after it, searching from the side the name cannot reach. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kmsg.h"
#include "parse.h"

/* TASK_COMM_LEN: a command name is at most 15 bytes and a NUL. */
#define MC_KMSG_TASK_COMM 16

bool
mc_path_within(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (n > 0 && base[n - 1] == '/')
		n--;
	return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Copies [s, e) into buf; false when it does not fit. */
static bool
copy_span(const char *s, const char *e, char *buf, size_t len)
{
	size_t n = (size_t)(e - s);

	if (e < s || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static bool
parse_num(const char *s, const char *e, uint64_t max, uint64_t *out)
{
	char num[24];

	return copy_span(s, e, num, sizeof(num)) &&
	       mc_parse_u64(num, 0, max, out) == 0;
}

/* The last occurrence of needle in [s, e). */
static const char *
find_last(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);
	const char *hit = NULL;

	for (const char *p = s; p + n <= e; p++)
		if (memcmp(p, needle, n) == 0)
			hit = p;
	return hit;
}

/* The start of the cgroup paths of a summary line (p is just after the
 * constraint): the first '/'.  Nothing the kernel prints before it holds
 * one (nodemask and mems_allowed are lists of numbers) and neither does a
 * cgroup name, except the cpuset root's, printed "/".  What precedes it is
 * the kernel's ",oom_memcg=" or ",global_oom,task_memcg=", which sets
 * *global.  NULL when the line is not of that shape. */
static const char *
paths_start(const char *p, bool *global)
{
	static const char om[] = ",oom_memcg=", gl[] = ",global_oom,task_memcg=";
	const char *s;

	if (strncmp(p, ",nodemask=", 10) != 0 || (s = strchr(p, '/')) == NULL)
		return NULL;
	if (s - p >= 8 && strncmp(s - 8, ",cpuset=", 8) == 0 &&
	    strncmp(s, "/,mems_allowed=", 15) == 0 && (s = strchr(s + 1, '/')) == NULL)
		return NULL;
	if (s - p >= (ptrdiff_t)sizeof(om) - 1 && strncmp(s - sizeof(om) + 1, om, sizeof(om) - 1) == 0) {
		*global = false;
		return s;
	}
	if (s - p >= (ptrdiff_t)sizeof(gl) - 1 && strncmp(s - sizeof(gl) + 1, gl, sizeof(gl) - 1) == 0) {
		*global = true;
		return s;
	}
	return NULL;
}

/* The readings of [s, e) as "OOM_PATH,task_memcg=TASK_PATH" with the task's
 * memcg within the OOM's (a victim is chosen below the memcg that ran out),
 * or as TASK_PATH alone when global.  The first one found goes to out.
 * Returns how many there are. */
static int
split_paths(const char *s, const char *e, bool global, struct mc_kmsg_summary *out)
{
	static const char tm[] = ",task_memcg=";
	char oom[MC_KMSG_PATH], task[MC_KMSG_PATH];
	int n = 0;

	if (global) {
		if (*s != '/' || !copy_span(s, e, task, sizeof(task)))
			return 0;
		if (out->task_memcg[0] == '\0')
			memcpy(out->task_memcg, task, sizeof(task));
		return 1;
	}
	for (const char *k = s; k + sizeof(tm) - 1 <= e; k++) {
		const char *t = k + sizeof(tm) - 1;

		if (memcmp(k, tm, sizeof(tm) - 1) != 0 || *t != '/' ||
		    !copy_span(s, k, oom, sizeof(oom)) || !copy_span(t, e, task, sizeof(task)) ||
		    !mc_path_within(task, oom))
			continue;
		if (n++ == 0 && out->task_memcg[0] == '\0') {
			memcpy(out->oom_memcg, oom, sizeof(oom));
			memcpy(out->task_memcg, task, sizeof(task));
		}
	}
	return n;
}

int
mc_kmsg_parse_summary(const char *text, const char *comm, struct mc_kmsg_summary *out)
{
	static const char head[] = "oom-kill:constraint=", tk[] = ",task=";
	const char *end = text + strlen(text), *p, *q, *paths;
	size_t commlen = comm != NULL ? strlen(comm) : 0;
	int readings = 0;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, head, sizeof(head) - 1) != 0)
		return -EINVAL;
	p = text + sizeof(head) - 1;
	for (q = p; (*q >= 'A' && *q <= 'Z') || *q == '_'; q++)
		;
	if (q == p || !copy_span(p, q, out->constraint, sizeof(out->constraint)))
		return -EINVAL;

	/* From the end: ",uid=N" (since 5.0), then ",pid=N": digits only
	 * follow them, so their last occurrences are the kernel's.  The
	 * kernel prints the uid with %d: from 2^31 up it is negative. */
	if ((q = find_last(p, end, ",uid=")) != NULL) {
		bool neg = q + 5 < end && q[5] == '-';

		if (parse_num(q + 5 + neg, end, neg ? (uint64_t)INT32_MAX + 1 : UINT32_MAX, &v)) {
			out->uid = neg ? (uid_t)(((uint64_t)1 << 32) - v) : (uid_t)v;
			out->have_uid = true;
			end = q;
		}
	}
	if ((q = find_last(p, end, ",pid=")) == NULL ||
	    !parse_num(q + 5, end, INT32_MAX, &v))
		return -EINVAL;
	out->pid = (pid_t)v;
	end = q;
	if ((paths = paths_start(p + strlen(out->constraint), &out->global)) == NULL || paths > end)
		return -EINVAL;

	/* The command name: up to 15 bytes after a ",task=", which a name
	 * may hold too; each place it can start is one more reading. */
	for (q = end - (sizeof(tk) - 1); q >= paths; q--) {
		size_t n = (size_t)(end - q) - (sizeof(tk) - 1);
		int r;

		if (n >= MC_KMSG_TASK_COMM)
			break;
		if (memcmp(q, tk, sizeof(tk) - 1) != 0 ||
		    (comm != NULL && (n != commlen || memcmp(q + sizeof(tk) - 1, comm, n) != 0)))
			continue;
		if ((r = split_paths(paths, q, out->global, out)) > 0 && out->task[0] == '\0' && readings == 0)
			copy_span(q + sizeof(tk) - 1, end, out->task, sizeof(out->task));
		readings += r;
	}
	if (readings == 0)
		return -EINVAL;
	if (readings > 1) {
		out->ambiguous = true;
		out->oom_memcg[0] = out->task_memcg[0] = out->task[0] = '\0';
	}
	return 0;
}

/* What mm/oom_kill.c puts before ": Killed process" (oom_kill_process()'s
 * message); kernels before 5.0 put nothing. */
static const char *const oom_prefixes[] = {
	"Memory cgroup out of memory",
	"Out of memory",
	"Out of memory (oom_kill_allocating_task)",
};

/* Where "Killed process " starts when text is a kill line of the OOM
 * killer, else NULL.  Only there: other kernel lines carry names a user
 * chooses (a segfault line ends in the file name of the program, which may
 * read "x Killed process 1 (sshd) total-vm:0kB"). */
static const char *
kill_start(const char *text, const char *kp)
{
	size_t kn = strlen(kp);

	if (strncmp(text, kp, kn) == 0)
		return text;
	for (size_t i = 0; i < sizeof(oom_prefixes) / sizeof(oom_prefixes[0]); i++) {
		size_t n = strlen(oom_prefixes[i]);

		if (strncmp(text, oom_prefixes[i], n) == 0 && text[n] == ':' &&
		    text[n + 1] == ' ' && strncmp(text + n + 2, kp, kn) == 0)
			return text + n + 2;
	}
	return NULL;
}

int
mc_kmsg_parse_killed(const char *text, pid_t *pid, char *comm, size_t commlen,
		     char *prefix, size_t prefixlen)
{
	static const char kp[] = "Killed process ";
	const char *p = kill_start(text, kp), *end = text + strlen(text);
	const char *open, *close;
	uint64_t v;

	if (p == NULL)
		return -EINVAL;
	if (prefix != NULL && prefixlen > 0) {
		const char *pe = p;

		if (pe - text >= 2 && pe[-2] == ':' && pe[-1] == ' ')
			pe -= 2;
		if (!copy_span(text, pe, prefix, prefixlen))
			prefix[0] = '\0';
	}
	p += sizeof(kp) - 1;
	open = strstr(p, " (");
	if (open == NULL || !parse_num(p, open, INT32_MAX, &v))
		return -EINVAL;
	open += 2;
	/* The last ") total-vm:" closes the name; a name may contain one. */
	close = find_last(open, end, ") total-vm:");
	if (close == NULL)
		close = find_last(open, end, ")");
	if (close == NULL)
		return -EINVAL;
	if (!copy_span(open, close, comm, commlen)) {
		/* Too long for the buffer: keep what fits. */
		size_t n = commlen - 1;

		memcpy(comm, open, n);
		comm[n] = '\0';
	}
	*pid = (pid_t)v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mc_kmsg_split(const char *rec, size_t len, uint64_t *seq, uint64_t *ts_usec,
	      char *text, size_t textlen)
{
	const char *end = rec + len, *semi, *f1, *f2, *f3;
	size_t w = 0;
	uint64_t v;

	semi = memchr(rec, ';', len);
	if (semi == NULL || textlen == 0)
		return -EINVAL;
	/* PRIO,SEQ,TS,FLAGS */
	f1 = memchr(rec, ',', (size_t)(semi - rec));
	f2 = f1 ? memchr(f1 + 1, ',', (size_t)(semi - f1 - 1)) : NULL;
	f3 = f2 ? memchr(f2 + 1, ',', (size_t)(semi - f2 - 1)) : NULL;
	if (f3 == NULL)
		return -EINVAL;
	if (!parse_num(f1 + 1, f2, UINT64_MAX, &v))
		return -EINVAL;
	*seq = v;
	if (!parse_num(f2 + 1, f3, UINT64_MAX, &v))
		return -EINVAL;
	*ts_usec = v;
	for (const char *p = semi + 1; p < end && *p != '\n'; p++) {
		char c = *p;

		if (c == '\\' && end - p >= 4 && p[1] == 'x' &&
		    hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
			c = (char)(hexval(p[2]) * 16 + hexval(p[3]));
			p += 3;
		}
		if (c == '\0' || w + 1 >= textlen)
			break;
		text[w++] = c;
	}
	text[w] = '\0';
	return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether the summary kept in st fails to read exactly one way (sum gets
 * what it says). */
static bool
sum_ambiguous(const struct mc_kmsg_state *st, struct mc_kmsg_summary *sum)
{
	return mc_kmsg_parse_summary(st->summary, NULL, sum) < 0 || sum->ambiguous;
}

/* The victim's uid from a kill line: "..., UID:1000 pgtables:..." comes
 * after the command name (which ends at the last ") total-vm:"), so the
 * last occurrence is the kernel's. */
static void
kill_uid(const char *text, struct mc_kmsg_event *ev)
{
	const char *end = text + strlen(text), *q = find_last(text, end, ") total-vm:"), *e;
	uint64_t v;

	if (q == NULL || (q = find_last(q, end, ", UID:")) == NULL)
		return;
	for (e = q + 6; e < end && *e >= '0' && *e <= '9'; e++)
		;
	if (parse_num(q + 6, e, UINT32_MAX - 1, &v)) {
		ev->uid = (uid_t)v;
		ev->have_uid = true;
	}
}

enum mc_kmsg_kind
mc_kmsg_feed(struct mc_kmsg_state *st, const char *rec, size_t len,
	     struct mc_kmsg_event *ev)
{
	static const char stats[] = "Memory cgroup stats for ";
	static const char tasks[] = "Tasks in ";
	static const char group_tail[] = " are going to be killed due to memory.oom.group set";
	static const char invoked[] = " invoked oom-killer: ";
	static const char refused[] = "cgroup: fork rejected by pids controller in ";
	/* Initialised for clang's analyzer, which cannot see that
	 * mc_kmsg_split() always terminates it. */
	char text[MC_KMSG_TEXT] = "", prefix[128];
	const char *inv;
	struct mc_kmsg_summary sum;
	pid_t pid;

	memset(ev, 0, sizeof(*ev));
	ev->kind = MC_KMSG_NONE;
	if (mc_kmsg_split(rec, len, &ev->seq, &ev->ts_usec, text, sizeof(text)) < 0)
		return MC_KMSG_NONE;

	if ((inv = strstr(text, invoked)) != NULL && inv - text < MC_KMSG_TASK_COMM &&
	    strncmp(inv + sizeof(invoked) - 1, "gfp_mask=", 9) == 0) {
		/* A new OOM episode.  The line starts with the allocating
		 * task's command (15 bytes at most); the same words further
		 * in come from a name someone chose, not from the OOM killer. */
		st->have_summary = false;
		st->group[0] = '\0';
		return MC_KMSG_NONE;
	}
	if (strncmp(text, stats, sizeof(stats) - 1) == 0 && ends_with(text, ":")) {
		const char *p = text + sizeof(stats) - 1;

		if (copy_span(p, text + strlen(text) - 1, ev->memcg, sizeof(ev->memcg)))
			ev->kind = MC_KMSG_OOM;
		return ev->kind;
	}
	if (strncmp(text, refused, sizeof(refused) - 1) == 0) {
		/* The path runs to the end of the record: fixed text before it,
		 * none after. */
		const char *p = text + sizeof(refused) - 1;

		if (*p == '/' && copy_span(p, text + strlen(text), ev->memcg, sizeof(ev->memcg)))
			ev->kind = MC_KMSG_FORK_REFUSED;
		return ev->kind;
	}
	if (strncmp(text, "Out of memory and no killable processes", 39) == 0) {
		ev->kind = MC_KMSG_NO_VICTIM;
		return ev->kind;
	}
	if (strncmp(text, tasks, sizeof(tasks) - 1) == 0 && ends_with(text, group_tail)) {
		const char *p = text + sizeof(tasks) - 1;

		if (!copy_span(p, text + strlen(text) - strlen(group_tail),
			       st->group, sizeof(st->group)))
			st->group[0] = '\0';
		return MC_KMSG_NONE;
	}
	if (mc_kmsg_parse_summary(text, NULL, &sum) == 0 || sum.pid > 0) {
		/* Read again with the kill line's command name; one that
		 * does not read at all still tells that its kill is not to
		 * be named. */
		st->have_summary = true;
		st->pid = sum.pid;
		snprintf(st->summary, sizeof(st->summary), "%s", text);
		return MC_KMSG_NONE;
	}
	if (mc_kmsg_parse_killed(text, &pid, ev->comm, sizeof(ev->comm), prefix,
				 sizeof(prefix)) == 0) {
		ev->kind = MC_KMSG_KILL;
		ev->pid = pid;
		kill_uid(text, ev);
		if (st->have_summary && st->pid == pid) {
			/* The same victim: its summary must read one way and
			 * agree on the command name and the uid. */
			if (mc_kmsg_parse_summary(st->summary, ev->comm, &sum) < 0 || sum.ambiguous ||
			    sum.have_uid != ev->have_uid || (sum.have_uid && sum.uid != ev->uid)) {
				ev->ambiguous = true;
			} else {
				snprintf(ev->memcg, sizeof(ev->memcg), "%s", sum.task_memcg);
				snprintf(ev->oom_memcg, sizeof(ev->oom_memcg), "%s", sum.oom_memcg);
			}
			ev->global = sum.global;
			ev->group = st->group[0] != '\0';
		} else if (st->group[0] != '\0') {
			/* A member of a group kill: no summary line of its own;
			 * the group's path has fixed text on both sides. */
			bool known = st->have_summary && !sum_ambiguous(st, &sum);

			snprintf(ev->memcg, sizeof(ev->memcg), "%s", st->group);
			if (known)
				snprintf(ev->oom_memcg, sizeof(ev->oom_memcg), "%s", sum.oom_memcg);
			ev->global = known && sum.global;
			ev->group = true;
		} else {
			/* The summary is rate-limited by the kernel: only the
			 * prefix says whether a memcg or the system ran out. */
			ev->global = strncmp(prefix, "Out of memory", 13) == 0;
		}
		return ev->kind;
	}
	return MC_KMSG_NONE;
}
