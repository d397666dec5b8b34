/* libFuzzer target for lib/kmsg.c, two ways, chosen by the first byte.
 *  - Raw: the rest is a run of /dev/kmsg records (split at NUL bytes) fed in
 *    order; every field of every result stays NUL-terminated inside its
 *    array, every kind is one of the enum, and the splitting and line
 *    parsers respect buffers of any size.
 *  - Kernel: the bytes choose a victim (pid, uid, a command name of any
 *    bytes but NUL, as a user can set it), cgroup paths and a memcg or a
 *    system-wide OOM; the records are printed the way mm/oom_kill.c and
 *    /dev/kmsg print them (uid with %d, bytes below ' ', from 127 and '\'
 *    as \xNN), and the parser must give back exactly that victim: a command
 *    name may not hide or forge the fields around it, and cgroup names
 *    (',' and '=' and pieces of the line included) may make the line
 *    ambiguous, never make it name another cgroup. */
#include <errno.h>

#include "fuzz.h"
#include "kmsg.h"

static void
check_event(const struct mc_kmsg_event *ev, enum mc_kmsg_kind k)
{
	FZ_CHECK(k == ev->kind, "returned %d, event says %d", k, ev->kind);
	FZ_CHECK(k >= MC_KMSG_NONE && k <= MC_KMSG_FORK_REFUSED, "kind %d", k);
	/* A refused fork's path is the rest of its record, from its '/'. */
	FZ_CHECK(k != MC_KMSG_FORK_REFUSED || ev->memcg[0] == '/', "fork path \"%.20s\"", ev->memcg);
	FZ_CHECK(memchr(ev->memcg, '\0', sizeof(ev->memcg)) != NULL, "memcg unterminated");
	FZ_CHECK(memchr(ev->oom_memcg, '\0', sizeof(ev->oom_memcg)) != NULL, "oom_memcg unterminated");
	FZ_CHECK(memchr(ev->comm, '\0', sizeof(ev->comm)) != NULL, "comm unterminated");
	FZ_CHECK(ev->pid >= 0, "pid %ld", (long)ev->pid);
}

static void
raw(struct fz *f)
{
	struct mc_kmsg_state st;
	size_t textlen = 1 + fz_u8(f) % 64, commlen = 1 + fz_u8(f) % 16;
	size_t prefixlen = fz_u8(f) % 16;

	memset(&st, 0, sizeof(st));
	while (f->n > 0) {
		const uint8_t *nul = memchr(f->p, '\0', f->n);
		size_t len = nul ? (size_t)(nul - f->p) : f->n;
		/* A copy of exactly len bytes: the parser must not read on.
		 * (len is 0 for an empty record, whatever cppcheck thinks.) */
		// cppcheck-suppress knownConditionTrueFalse
		char *rec = malloc(len ? len : 1), *text = malloc(textlen);
		char *comm = malloc(commlen), *prefix = malloc(prefixlen ? prefixlen : 1);
		struct mc_kmsg_event ev;
		struct mc_kmsg_summary sum;
		enum mc_kmsg_kind k;
		uint64_t seq, ts;
		pid_t pid;

		if (rec == NULL || text == NULL || comm == NULL || prefix == NULL)
			abort();
		memcpy(rec, f->p, len);
		f->p += len + (nul != NULL);
		f->n -= len + (nul != NULL);

		k = mc_kmsg_feed(&st, rec, len, &ev);
		check_event(&ev, k);
		FZ_CHECK(memchr(st.group, '\0', sizeof(st.group)) != NULL, "state unterminated");

		if (mc_kmsg_split(rec, len, &seq, &ts, text, textlen) == 0) {
			FZ_CHECK(memchr(text, '\0', textlen) != NULL, "text unterminated");
			if (mc_kmsg_parse_summary(text, NULL, &sum) == 0) {
				FZ_CHECK(sum.pid >= 0, "pid %ld", (long)sum.pid);
				FZ_CHECK(!sum.global || sum.oom_memcg[0] == '\0', "global with a memcg");
			}
			if (mc_kmsg_parse_killed(text, &pid, comm, commlen, prefix, prefixlen) == 0) {
				FZ_CHECK(pid >= 0, "pid %ld", (long)pid);
				FZ_CHECK(memchr(comm, '\0', commlen) != NULL, "comm unterminated");
				FZ_CHECK(prefixlen == 0 || memchr(prefix, '\0', prefixlen) != NULL,
					 "prefix unterminated");
			}
		}
		free(rec);
		free(text);
		free(comm);
		free(prefix);
	}
}

/* Appends text as /dev/kmsg escapes it. */
static size_t
kmsg_escape(char *out, size_t w, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < ' ' || c >= 127 || c == '\\')
			w += (size_t)sprintf(out + w, "\\x%02x", c);
		else
			out[w++] = (char)c;
	}
	out[w] = '\0';
	return w;
}

/* One record "PRIO,SEQ,TS,-;" + escaped text; returns its length. */
static size_t
record(char *out, unsigned prio, unsigned seq, const char *text)
{
	size_t w = (size_t)sprintf(out, "%u,%u,%u,-;", prio, seq, 1000 + seq);

	w = kmsg_escape(out, w, text, strlen(text));
	out[w++] = '\n';
	out[w] = '\0';
	return w;
}

/* One cgroup name: any bytes but '/', NUL and '\n' (mkdir refuses them),
 * mostly the separators of the summary line and pieces of the paths
 * around it, as a user with a delegated subtree may choose them. */
static size_t
name_from(struct fz *f, char *buf, size_t room, const char *other)
{
	static const char *const piece[] = {
		",", "=", ",task_memcg=", ",oom_memcg=", ",task=", ",pid=1", ",uid=0",
		",global_oom", ",mems_allowed=0", "user-1000", "x", "session.scope",
	};
	size_t w = 0, n = 1 + fz_u8(f) % 4;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = fz_u8(f);
		const char *add = c < 160 ? piece[c % (sizeof(piece) / sizeof(piece[0]))]
			: c < 200 ? other : NULL;
		char one[2] = { (char)(c % 94 + 33), '\0' };

		if (add == NULL)
			add = one[0] == '/' ? "_" : one;
		for (; *add != '\0' && w + 1 < room; add++) {
			buf[w] = *add;
			if (buf[w] == '/')
				buf[w] = ',';
			w++;
		}
	}
	buf[w] = '\0';
	return w;
}

/* A cgroup path: up to 4 names, then leaf; other is a path the names may
 * imitate. */
static void
path_from(struct fz *f, char *buf, size_t len, const char *leaf, const char *other)
{
	size_t w = 0, n = fz_u8(f) % 4;

	for (size_t i = 0; i < n && w + 2 < len / 2; i++) {
		buf[w++] = '/';
		w += name_from(f, buf + w, len / 2 - w, other);
	}
	snprintf(buf + w, len - w, "/%s", leaf);
}

static void
kernel(struct fz *f)
{
	char comm[16], task_memcg[256], oom_memcg[256], cpuset[64], text[1024], rec[4096];
	/* (uid_t)-1 is no one's uid: the kill line never shows it. */
	uint32_t uid = (uint32_t)(fz_u64(f, 4) % UINT32_MAX);
	pid_t pid = (pid_t)(1 + fz_u64(f, 4) % 0x7ffffffe);
	bool global = fz_u8(f) & 1;
	struct mc_kmsg_state st;
	struct mc_kmsg_event ev;
	enum mc_kmsg_kind k;
	size_t len;

	path_from(f, oom_memcg, sizeof(oom_memcg) / 2, "user-1000", "/p/user-1001/s");
	snprintf(task_memcg, sizeof(task_memcg), "%s", oom_memcg);
	if (fz_u8(f) & 1)
		path_from(f, task_memcg + strlen(task_memcg), sizeof(task_memcg) - strlen(task_memcg),
			  "s", oom_memcg);
	/* The allocating task's cpuset: the root or a name of any bytes. */
	if (fz_u8(f) & 1)
		name_from(f, cpuset, sizeof(cpuset), "user-1001");
	else
		snprintf(cpuset, sizeof(cpuset), "/");
	/* TASK_COMM_LEN is 16: up to 15 bytes, any but NUL. */
	{
		size_t n = 1 + fz_u8(f) % 15;

		for (size_t i = 0; i < n; i++) {
			uint8_t c = fz_u8(f);

			comm[i] = (char)(c ? c : 0xff);
		}
		comm[n] = '\0';
	}

	memset(&st, 0, sizeof(st));
	snprintf(text, sizeof(text),
		 "%s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", comm);
	len = record(rec, 4, 1, text);
	k = mc_kmsg_feed(&st, rec, len, &ev);
	FZ_CHECK(k == MC_KMSG_NONE, "oom-killer header gave %d", k);
	if (!global) {
		snprintf(text, sizeof(text), "Memory cgroup stats for %s:", oom_memcg);
		len = record(rec, 6, 2, text);
		k = mc_kmsg_feed(&st, rec, len, &ev);
		FZ_CHECK(k == MC_KMSG_OOM && strcmp(ev.memcg, oom_memcg) == 0,
			 "stats line: kind %d memcg \"%s\"", k, ev.memcg);
	}
	/* The task list names the command too (last column). */
	snprintf(text, sizeof(text), "[%7d] %5d %5d    15192    14292    12704     1588         0   159744        0             0 %s",
		 pid, (int)uid, pid, comm);
	len = record(rec, 6, 3, text);
	k = mc_kmsg_feed(&st, rec, len, &ev);
	FZ_CHECK(k == MC_KMSG_NONE, "task list line gave %d", k);
	if (global)
		snprintf(text, sizeof(text),
			 "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=%s,mems_allowed=0,global_oom,task_memcg=%s,task=%s,pid=%d,uid=%d",
			 cpuset, task_memcg, comm, pid, (int)uid);
	else
		snprintf(text, sizeof(text),
			 "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=%s,mems_allowed=0,oom_memcg=%s,task_memcg=%s,task=%s,pid=%d,uid=%d",
			 cpuset, oom_memcg, task_memcg, comm, pid, (int)uid);
	len = record(rec, 6, 4, text);
	k = mc_kmsg_feed(&st, rec, len, &ev);
	FZ_CHECK(k == MC_KMSG_NONE, "summary gave %d", k);
	FZ_CHECK(st.have_summary && st.pid == pid, "summary for pid %d not taken (have %d, pid %d)",
		 pid, st.have_summary, st.pid);
	snprintf(text, sizeof(text),
		 "%s: Killed process %d (%s) total-vm:60768kB, anon-rss:50816kB, file-rss:6352kB, shmem-rss:0kB, UID:%u pgtables:156kB oom_score_adj:0",
		 global ? "Out of memory" : "Memory cgroup out of memory", pid, comm, uid);
	len = record(rec, 3, 5, text);
	k = mc_kmsg_feed(&st, rec, len, &ev);
	check_event(&ev, k);
	FZ_CHECK(k == MC_KMSG_KILL, "kill line gave %d", k);
	FZ_CHECK(ev.pid == pid, "pid %d, want %d", ev.pid, pid);
	FZ_CHECK(strcmp(ev.comm, comm) == 0, "comm differs");
	FZ_CHECK(ev.global == global, "global %d, want %d", ev.global, global);
	FZ_CHECK(ev.have_uid && ev.uid == (uid_t)uid, "uid %u, want %u", (unsigned)ev.uid, (unsigned)uid);
	/* Names may make the line read several ways: then no path at all,
	 * never another one than the kernel's. */
	if (ev.ambiguous) {
		FZ_CHECK(ev.memcg[0] == '\0' && ev.oom_memcg[0] == '\0', "ambiguous, yet memcg \"%s\"", ev.memcg);
	} else {
		FZ_CHECK(strcmp(ev.memcg, task_memcg) == 0, "memcg \"%s\", want \"%s\"", ev.memcg, task_memcg);
		FZ_CHECK(strcmp(ev.oom_memcg, global ? "" : oom_memcg) == 0, "oom_memcg \"%s\"", ev.oom_memcg);
	}
	FZ_CHECK(!global || !ev.ambiguous, "a system-wide OOM has one reading");
	FZ_CHECK(!ev.group, "not a group kill");
	FZ_CHECK(ev.seq == 5 && ev.ts_usec == 1005, "seq %llu ts %llu",
		 (unsigned long long)ev.seq, (unsigned long long)ev.ts_usec);

	/* The summary parser alone, with the uid as the kernel prints it. */
	{
		struct mc_kmsg_summary sum;

		snprintf(text, sizeof(text),
			 "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=%s,mems_allowed=0,oom_memcg=%s,task_memcg=%s,task=%s,pid=%d,uid=%d",
			 cpuset, oom_memcg, task_memcg, comm, pid, (int)uid);
		FZ_CHECK(mc_kmsg_parse_summary(text, comm, &sum) == 0, "summary refused");
		FZ_CHECK(sum.have_uid && sum.uid == (uid_t)uid, "uid %u, want %u",
			 (unsigned)sum.uid, (unsigned)uid);
		FZ_CHECK(sum.pid == pid, "pid");
		FZ_CHECK(sum.ambiguous || (strcmp(sum.task, comm) == 0 &&
					   strcmp(sum.task_memcg, task_memcg) == 0),
			 "task \"%s\" memcg \"%s\"", sum.task, sum.task_memcg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	if (fz_u8(&f) & 1)
		kernel(&f);
	else
		raw(&f);
	return 0;
}
