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

int
mc_kmsg_parse_summary(const char *text, struct mc_kmsg_summary *out)
{
	static const char head[] = "oom-kill:constraint=";
	const char *end = text + strlen(text), *p, *q, *om, *gl, *tm, *tk;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, head, sizeof(head) - 1) != 0)
		return -EINVAL;
	p = text + sizeof(head) - 1;
	q = strchr(p, ',');
	if (q == NULL || !copy_span(p, q, out->constraint, sizeof(out->constraint)))
		return -EINVAL;

	/* From the end: ",uid=N" (since 5.0), then ",pid=N".  The command
	 * name sits before them and cannot hide the last occurrences.  The
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

	/* From the front: the cgroup paths come before the command name, and
	 * only root names cgroups. */
	/* Whichever comes first: the other may be in the command name. */
	om = strstr(p, ",oom_memcg=");
	gl = strstr(p, ",global_oom");
	if (gl != NULL && (om == NULL || gl < om)) {
		out->global = true;
		om = gl + strlen(",global_oom");
	} else if (om != NULL) {
		om += strlen(",oom_memcg=");
	} else {
		return -EINVAL;
	}
	if ((tm = strstr(om, ",task_memcg=")) == NULL || tm > end)
		return -EINVAL;
	if (!out->global && !copy_span(om, tm, out->oom_memcg, sizeof(out->oom_memcg)))
		return -EINVAL;
	tm += strlen(",task_memcg=");
	if ((tk = strstr(tm, ",task=")) == NULL || tk > end ||
	    !copy_span(tm, tk, out->task_memcg, sizeof(out->task_memcg)))
		return -EINVAL;
	tk += strlen(",task=");
	if (!copy_span(tk, end, out->task, sizeof(out->task)))
		return -EINVAL;
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

enum mc_kmsg_kind
mc_kmsg_feed(struct mc_kmsg_state *st, const char *rec, size_t len,
	     struct mc_kmsg_event *ev)
{
	static const char stats[] = "Memory cgroup stats for ";
	static const char tasks[] = "Tasks in ";
	static const char group_tail[] = " are going to be killed due to memory.oom.group set";
	static const char invoked[] = " invoked oom-killer: ";
	/* Initialised for clang's analyzer, which cannot see that
	 * mc_kmsg_split() always terminates it. */
	char text[2048] = "", prefix[128];
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
	if (mc_kmsg_parse_summary(text, &sum) == 0) {
		st->have_summary = true;
		st->pid = sum.pid;
		st->global = sum.global;
		snprintf(st->constraint, sizeof(st->constraint), "%s", sum.constraint);
		snprintf(st->oom_memcg, sizeof(st->oom_memcg), "%s", sum.oom_memcg);
		snprintf(st->task_memcg, sizeof(st->task_memcg), "%s", sum.task_memcg);
		return MC_KMSG_NONE;
	}
	if (mc_kmsg_parse_killed(text, &pid, ev->comm, sizeof(ev->comm), prefix,
				 sizeof(prefix)) == 0) {
		ev->kind = MC_KMSG_KILL;
		ev->pid = pid;
		if (st->have_summary && st->pid == pid) {
			snprintf(ev->memcg, sizeof(ev->memcg), "%s", st->task_memcg);
			snprintf(ev->oom_memcg, sizeof(ev->oom_memcg), "%s", st->oom_memcg);
			ev->global = st->global;
			ev->group = st->group[0] != '\0';
		} else if (st->group[0] != '\0') {
			/* A member of a group kill: no summary line of its own. */
			snprintf(ev->memcg, sizeof(ev->memcg), "%s", st->group);
			if (st->have_summary)
				snprintf(ev->oom_memcg, sizeof(ev->oom_memcg), "%s",
					 st->oom_memcg);
			ev->global = st->have_summary && st->global;
			ev->group = true;
		} else {
			/* The summary is rate-limited by the kernel: only the
			 * prefix says whether a memcg or the system ran out. */
			ev->global = strncmp(prefix, "Out of memory", 13) == 0;
		}
		if (!ev->have_uid) {
			/* "..., UID:1000 pgtables:..." comes after the command
			 * name, so the last occurrence is the kernel's. */
			const char *end = text + strlen(text), *q = find_last(text, end, ", UID:");
			uint64_t v;

			if (q != NULL) {
				const char *e = q + 6;

				while (e < end && *e >= '0' && *e <= '9')
					e++;
				if (parse_num(q + 6, e, UINT32_MAX - 1, &v)) {
					ev->uid = (uid_t)v;
					ev->have_uid = true;
				}
			}
		}
		return ev->kind;
	}
	return MC_KMSG_NONE;
}
