/* The words of a notice: what happened to whom, for a terminal, a mail and
 * the log.  Pure: every piece of text from outside is sanitised here. */
#ifndef MEMCG_MESSAGE_H
#define MEMCG_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "events.h"

/* The facts of one event. */
struct mc_msg {
	const char *host;
	time_t when;
	const char *user;	/* NULL: unknown */
	uid_t uid;
	const char *cgroup;	/* for the log line */
	struct mc_event ev;
	uint64_t limit, usage, peak;	/* MC_UNLIMITED: no limit */
	int have_peak;
	uint32_t warn_at;	/* basis points, for MC_EV_WARN */
	/* MC_EV_TASKS: processes and threads in the cgroup, and its limit
	 * (MC_UNLIMITED: none); have_tasks false when they could not be read. */
	uint64_t tasks, tasks_max;
	int have_tasks;
};

/* Events held back by the rate limit, told in one summary. */
struct mc_summary {
	unsigned count[MC_EV_N];
	time_t since;
};

/* The notice for a terminal (eol "\r\n") or a mail body (eol "\n").
 * Returns the length written, or -ENOSPC. */
int mc_msg_format(const struct mc_msg *m, const char *eol, char *buf, size_t len);

/* The summary notice.  m gives host, when, user and the current numbers;
 * m->ev is ignored. */
int mc_msg_format_summary(const struct mc_msg *m, const struct mc_summary *s,
			  const char *eol, char *buf, size_t len);

/* One log line (no newline) for the event. */
int mc_msg_logline(const struct mc_msg *m, char *buf, size_t len);

/* "Sat, 22 Nov 2025 16:40:01 +0100", independent of the locale. */
void mc_rfc5322_date(time_t t, char *buf, size_t len);

/* Whether name can be a mail recipient as it is: a non-empty local part of
 * letters, digits and . _ - (and not starting with '-' or '.'). */
int mc_mail_local_ok(const char *name);

struct mc_mail {
	const char *from;	/* mail_from */
	const char *to;		/* local user name; checked with mc_mail_local_ok */
	const char *subject;
	time_t date;
	const char *body;	/* lines ending in "\n" */
};

/* A whole message for `sendmail -t -oi`: To, From, Subject, Date,
 * Auto-Submitted, MIME headers, a blank line, the body.  Header values are
 * sanitised to printable ASCII (no CR or LF can get through).  Returns the
 * length, -EINVAL for a recipient that is not a plain local name, or
 * -ENOSPC. */
int mc_mail_build(const struct mc_mail *m, char *buf, size_t len);

/* A short subject for the event or the summary (s != NULL), with the host
 * name as it is: for mc_mail_build(), which sanitises it. */
void mc_msg_subject(const struct mc_msg *m, const struct mc_summary *s,
		    char *buf, size_t len);

#endif
