/* Notice texts; see message.h.  Anything a user or the kernel log supplied
 * (command names, user and host names) goes through mc_sanitize() first. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "message.h"
#include "parse.h"
#include "sanitize.h"

#define HINT "Run `memcgctl status` to see your memory use."
#define TASKS_HINT "Run `memcgctl status` to see your processes; end some before starting more."

struct sbuf {
	char *buf;
	size_t len, pos;
	bool full;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->len - sb->pos) {
		sb->full = true;
		sb->buf[sb->pos] = '\0';
		return;
	}
	sb->pos += (size_t)n;
}

static int
sb_done(struct sbuf *sb)
{
	return sb->full ? -ENOSPC : (int)sb->pos;
}

static void
local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static void
victim_text(const struct mc_victim *v, char *buf, size_t len)
{
	char comm[4 * MC_KMSG_COMM + 8];

	if (v->pid <= 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (v->comm[0] == '\0') {
		snprintf(buf, len, "%ld (command unknown)", (long)v->pid);
		return;
	}
	mc_sanitize_str(v->comm, comm, sizeof(comm), 0);
	snprintf(buf, len, "%ld (%s)", (long)v->pid, comm);
}

static void
size_text(uint64_t v, char *buf, size_t len)
{
	if (v == MC_UNLIMITED)
		snprintf(buf, len, "none");
	else
		mc_size_human(v, buf, len);
}

/* The percentage of limit that usage is, in whole percent. */
static unsigned
percent(uint64_t usage, uint64_t limit)
{
	if (limit == 0 || limit == MC_UNLIMITED)
		return 0;
	if (usage > UINT64_MAX / 100)
		return (unsigned)(usage / (limit / 100 ? limit / 100 : 1));
	return (unsigned)(usage * 100 / limit);
}

static void
header(struct sbuf *sb, const struct mc_msg *m, const char *eol)
{
	char host[256], when[64];

	mc_sanitize_str(m->host ? m->host : "localhost", host, sizeof(host), 0);
	local_time(m->when, when, sizeof(when));
	sb_printf(sb, "%sMessage from memcg-notifier@%s at %s:%s", eol, host, when, eol);
}

static void
task_numbers(struct sbuf *sb, const struct mc_msg *m, const char *eol)
{
	if (!m->have_tasks)
		return;
	if (m->tasks_max == MC_UNLIMITED)
		sb_printf(sb, "  limit:   none now%s", eol);
	else
		sb_printf(sb, "  limit:   %llu processes and threads%s",
			  (unsigned long long)m->tasks_max, eol);
	sb_printf(sb, "  running: %llu now%s", (unsigned long long)m->tasks, eol);
}

static void
numbers(struct sbuf *sb, const struct mc_msg *m, const char *eol)
{
	char lim[32], use[32], peak[32];

	size_text(m->limit, lim, sizeof(lim));
	size_text(m->usage, use, sizeof(use));
	sb_printf(sb, "  limit:   %s%s", lim, eol);
	if (m->have_peak) {
		size_text(m->peak, peak, sizeof(peak));
		sb_printf(sb, "  usage:   %s now, %s at the peak%s", use, peak, eol);
	} else
		sb_printf(sb, "  usage:   %s now%s", use, eol);
}

int
mc_msg_format(const struct mc_msg *m, const char *eol, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0, len == 0 };
	char victim[300];
	bool show_victim = true;

	if (len > 0)
		buf[0] = '\0';
	header(&sb, m, eol);
	switch (m->ev.kind) {
	case MC_EV_KILL:
		sb_printf(&sb, "A process of yours was killed: your sessions together reached their memory limit.%s", eol);
		break;
	case MC_EV_NOKILL:
		sb_printf(&sb, "Your sessions together reached their memory limit and a memory allocation failed; no process was killed.%s", eol);
		show_victim = false;
		break;
	case MC_EV_GROUP_KILL:
		sb_printf(&sb, "All processes of your sessions were killed together (memory.oom.group): they reached their memory limit.%s", eol);
		sb_printf(&sb, "  killed:  %u processes%s", m->ev.count, eol);
		break;
	case MC_EV_OUTSIDE_KILL:
		if (m->ev.victim.scope == MC_SCOPE_GLOBAL)
			sb_printf(&sb, "A process of yours was killed because the whole system ran out of memory, not because of your own limit.%s", eol);
		else
			sb_printf(&sb, "A process of yours was killed because a memory limit shared with others was reached, not your own limit.%s", eol);
		break;
	case MC_EV_WARN:
		sb_printf(&sb, "Your sessions together are using %u%% of their memory limit (the warning is at %u%%).%s",
			  percent(m->usage, m->limit), m->warn_at / 100, eol);
		show_victim = false;
		break;
	case MC_EV_TASKS:
		if (m->ev.count > 1)
			sb_printf(&sb, "%u new processes of yours were refused: your sessions together reached their limit on processes and threads (tasks_max).%s",
				  m->ev.count, eol);
		else
			sb_printf(&sb, "A new process of yours was refused: your sessions together reached their limit on processes and threads (tasks_max).%s",
				  eol);
		task_numbers(&sb, m, eol);
		sb_printf(&sb, "%s%s", TASKS_HINT, eol);
		return sb_done(&sb);
	case MC_EV_N:
	default:
		return -EINVAL;
	}
	if (show_victim) {
		victim_text(&m->ev.victim, victim, sizeof(victim));
		sb_printf(&sb, "  %s %s%s", m->ev.kind == MC_EV_GROUP_KILL ? "first:  " : "process:",
			  victim, eol);
	}
	numbers(&sb, m, eol);
	sb_printf(&sb, "%s%s", HINT, eol);
	return sb_done(&sb);
}

int
mc_msg_format_summary(const struct mc_msg *m, const struct mc_summary *s,
		      const char *eol, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0, len == 0 };
	char since[64];
	unsigned n;

	if (len > 0)
		buf[0] = '\0';
	local_time(s->since, since, sizeof(since));
	header(&sb, m, eol);
	if ((n = s->count[MC_EV_KILL]) > 0)
		sb_printf(&sb, "%u more %s killed since %s: your sessions reached their memory limit.%s",
			  n, n == 1 ? "process was" : "processes were", since, eol);
	if ((n = s->count[MC_EV_GROUP_KILL]) > 0)
		sb_printf(&sb, "%u more %s all processes of your sessions were killed together since %s.%s",
			  n, n == 1 ? "time" : "times", since, eol);
	if ((n = s->count[MC_EV_OUTSIDE_KILL]) > 0)
		sb_printf(&sb, "%u more %s killed since %s by a memory shortage outside your own limit.%s",
			  n, n == 1 ? "process was" : "processes were", since, eol);
	if ((n = s->count[MC_EV_NOKILL]) > 0)
		sb_printf(&sb, "%u more %s your sessions reached their memory limit without a kill since %s.%s",
			  n, n == 1 ? "time" : "times", since, eol);
	if ((n = s->count[MC_EV_WARN]) > 0)
		sb_printf(&sb, "%u more memory use %s since %s.%s", n,
			  n == 1 ? "warning" : "warnings", since, eol);
	if ((n = s->count[MC_EV_TASKS]) > 0)
		sb_printf(&sb, "%u more %s since %s, new processes of yours were refused at your limit on processes and threads.%s",
			  n, n == 1 ? "time" : "times", since, eol);
	numbers(&sb, m, eol);
	if (s->count[MC_EV_TASKS] > 0)
		task_numbers(&sb, m, eol);
	sb_printf(&sb, "%s%s", HINT, eol);
	return sb_done(&sb);
}

int
mc_msg_logline(const struct mc_msg *m, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0, len == 0 };
	char user[128], victim[300], lim[32], use[32], peak[32];

	if (len > 0)
		buf[0] = '\0';
	mc_sanitize_str(m->user ? m->user : "?", user, sizeof(user), 0);
	victim_text(&m->ev.victim, victim, sizeof(victim));
	size_text(m->limit, lim, sizeof(lim));
	size_text(m->usage, use, sizeof(use));
	if (m->have_peak)
		size_text(m->peak, peak, sizeof(peak));
	else
		snprintf(peak, sizeof(peak), "-");
	sb_printf(&sb, "%s: user %s (uid %u) cgroup %s", mc_event_name(m->ev.kind), user,
		  (unsigned)m->uid, m->cgroup ? m->cgroup : "?");
	if (m->ev.kind == MC_EV_KILL || m->ev.kind == MC_EV_GROUP_KILL ||
	    m->ev.kind == MC_EV_OUTSIDE_KILL)
		sb_printf(&sb, " victim %s", victim);
	if (m->ev.kind == MC_EV_GROUP_KILL)
		sb_printf(&sb, " killed %u", m->ev.count);
	if (m->ev.kind == MC_EV_OUTSIDE_KILL)
		sb_printf(&sb, " cause %s", m->ev.victim.scope == MC_SCOPE_GLOBAL
			  ? "system-wide" : "ancestor-limit");
	if (m->ev.kind == MC_EV_TASKS) {
		sb_printf(&sb, " refused %u", m->ev.count);
		if (m->have_tasks && m->tasks_max != MC_UNLIMITED)
			sb_printf(&sb, " tasks %llu tasks_max %llu", (unsigned long long)m->tasks,
				  (unsigned long long)m->tasks_max);
		else if (m->have_tasks)
			sb_printf(&sb, " tasks %llu tasks_max none", (unsigned long long)m->tasks);
		return sb_done(&sb);
	}
	sb_printf(&sb, " limit %s usage %s peak %s", lim, use, peak);
	return sb_done(&sb);
}

void
mc_rfc5322_date(time_t t, char *buf, size_t len)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		 day[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		 (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}

int
mc_mail_local_ok(const char *name)
{
	size_t n = 0;

	if (name == NULL || name[0] == '\0' || name[0] == '-' || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n <= 64;
}

int
mc_mail_build(const struct mc_mail *m, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0, len == 0 };
	char from[256], subject[512], date[64];

	if (len > 0)
		buf[0] = '\0';
	if (!mc_mail_local_ok(m->to))
		return -EINVAL;
	mc_sanitize_str(m->from, from, sizeof(from), MC_SAN_ASCII);
	mc_sanitize_str(m->subject, subject, sizeof(subject), MC_SAN_ASCII);
	mc_rfc5322_date(m->date, date, sizeof(date));
	sb_printf(&sb, "To: %s\n", m->to);
	sb_printf(&sb, "From: %s\n", from);
	sb_printf(&sb, "Subject: %s\n", subject);
	sb_printf(&sb, "Date: %s\n", date);
	sb_printf(&sb, "Auto-Submitted: auto-generated\n");
	sb_printf(&sb, "MIME-Version: 1.0\n");
	sb_printf(&sb, "Content-Type: text/plain; charset=UTF-8\n");
	sb_printf(&sb, "Content-Transfer-Encoding: 8bit\n");
	sb_printf(&sb, "\n%s", m->body);
	return sb_done(&sb);
}

void
mc_msg_subject(const struct mc_msg *m, const struct mc_summary *s,
	       char *buf, size_t len)
{
	const char *host = m->host ? m->host : "localhost";
	const char *what;

	/* Raw: mc_mail_build() sanitises header values, and text escaped
	 * twice would show its backslashes doubled. */
	if (s != NULL) {
		what = s->count[MC_EV_TASKS] > 0 ? "more limit events" : "more memory limit events";
	} else {
		switch (m->ev.kind) {
		case MC_EV_KILL:
			what = "a process was killed at your memory limit";
			break;
		case MC_EV_NOKILL:
			what = "your memory limit was reached";
			break;
		case MC_EV_GROUP_KILL:
			what = "all your processes were killed at your memory limit";
			break;
		case MC_EV_OUTSIDE_KILL:
			what = "a process was killed: the system ran short of memory";
			break;
		case MC_EV_WARN:
			what = "you are close to your memory limit";
			break;
		case MC_EV_TASKS:
			what = "a new process was refused at your process limit";
			break;
		case MC_EV_N:
		default:
			what = "memory notice";
			break;
		}
	}
	snprintf(buf, len, "[%s] %s", host, what);
}
