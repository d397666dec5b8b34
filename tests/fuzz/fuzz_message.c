/* libFuzzer target for lib/message.c: every text a notice is built from
 * (host, user, command name, mail sender, subject, recipient, body) comes
 * from the fuzzer, with any numbers and buffer sizes.
 *  - mail: a recipient that is not a plain local name is refused; otherwise
 *    the header block is exactly the eight documented headers, in order,
 *    each value printable ASCII (no CR or LF can start a header of its
 *    own), To is the recipient, and the body follows unchanged.
 *  - terminal notice and summary: valid UTF-8 with no control character
 *    but the line ends asked for, and exactly the number of lines its kind
 *    has (a name cannot add one).
 *  - log line: one line, no control character; the subject (raw by
 *    design) makes a clean header through mc_mail_build().
 *  - every buffer size: -ENOSPC or the whole text, always NUL-terminated
 *    inside the buffer. */
#include <errno.h>

#include "fuzz.h"
#include "message.h"
#include "parse.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)	/* NOLINT(readability-non-const-parameter): libFuzzer's */
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

static bool
printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static void
check_mail(const struct mc_mail *m, size_t len)
{
	static const char *const names[] = { "To: ", "From: ", "Subject: ", "Date: ",
		"Auto-Submitted: ", "MIME-Version: ", "Content-Type: ",
		"Content-Transfer-Encoding: " };
	char *buf = malloc(len ? len : 1);
	const char *p, *end;
	int r;

	if (buf == NULL)
		abort();
	r = mc_mail_build(m, buf, len);
	if (!mc_mail_local_ok(m->to)) {
		FZ_CHECK(r == -EINVAL, "recipient \"%s\" accepted (%d)", m->to, r);
		free(buf);
		return;
	}
	if (len > 0)
		FZ_CHECK(memchr(buf, '\0', len) != NULL, "unterminated in %zu bytes", len);
	if (r == -ENOSPC) {
		free(buf);
		return;
	}
	FZ_CHECK(r >= 0 && (size_t)r < len && strlen(buf) == (size_t)r, "returned %d for %zu", r, len);
	end = strstr(buf, "\n\n");
	FZ_CHECK(end != NULL, "no blank line after the headers");
	FZ_CHECK(strcmp(end + 2, m->body) == 0, "the body changed");
	p = buf;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *nl = strchr(p, '\n');

		FZ_CHECK(strncmp(p, names[i], strlen(names[i])) == 0, "header %zu is \"%.40s\"", i, p);
		FZ_CHECK(printable_ascii(p, (size_t)(nl - p)), "header %s has a control or non-ASCII byte",
			 names[i]);
		if (i == 0)
			FZ_CHECK((size_t)(nl - p) == strlen("To: ") + strlen(m->to) &&
				 strncmp(p + 4, m->to, strlen(m->to)) == 0, "To is not the recipient");
		p = nl + 1;
	}
	FZ_CHECK(p == end + 1, "more than the eight headers");
	free(buf);
}

/* No control character but \r and \n, which only come as eol. */
static bool
notice_cp_ok(uint32_t c, void *ctx)
{
	(void)ctx;
	return c == '\r' || c == '\n' || fz_terminal_safe_cp(c, NULL);
}

static void
check_notice(const char *text, int r, const char *eol, unsigned want_lines)
{
	unsigned lines = 0;

	FZ_CHECK(fz_utf8(text, (size_t)r, notice_cp_ok, NULL),
		 "notice has a control character or bad UTF-8");
	for (const char *p = text; (p = strstr(p, eol)) != NULL; p += strlen(eol))
		lines++;
	for (const char *p = text; *p; p++)
		if (*p == '\r' || *p == '\n')
			FZ_CHECK((strcmp(eol, "\r\n") == 0 && ((*p == '\r' && p[1] == '\n') ||
							       (*p == '\n' && p > text && p[-1] == '\r'))) ||
				 (strcmp(eol, "\n") == 0 && *p == '\n'),
				 "a line break that is not the eol");
	FZ_CHECK(want_lines == 0 || lines == want_lines, "%u lines, want %u", lines, want_lines);
}

/* Lines of mc_msg_format() for a kind: blank, "Message from", what,
 * [killed:], [process:], limit, usage, hint. */
static unsigned
notice_lines(enum mc_event_kind k)
{
	switch (k) {
	case MC_EV_KILL:
	case MC_EV_OUTSIDE_KILL:
		return 7;
	case MC_EV_GROUP_KILL:
		return 8;
	case MC_EV_NOKILL:
	case MC_EV_WARN:
		return 6;
	case MC_EV_N:
	default:
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	char host[300], user[300], from[600], subject[700], to[100], body[1024];
	char comm[MC_KMSG_COMM], *buf;
	struct mc_msg m;
	struct mc_summary s;
	struct mc_mail mail;
	const char *eol;
	size_t len;
	int r;

	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	m.when = (time_t)(int64_t)fz_u64(&f, 5);
	m.uid = (uid_t)fz_u64(&f, 4);
	m.ev.kind = (enum mc_event_kind)(fz_u8(&f) % (MC_EV_N + 1));
	m.ev.count = (unsigned)fz_u64(&f, 2);
	m.ev.victim.pid = (pid_t)(fz_u64(&f, 4) & 0x7fffffff);
	m.ev.victim.scope = fz_u8(&f) % 4;
	m.limit = fz_u8(&f) & 1 ? MC_UNLIMITED : fz_u64(&f, 8);
	m.usage = fz_u64(&f, 8);
	m.peak = fz_u64(&f, 8);
	m.have_peak = fz_u8(&f) & 1;
	m.warn_at = (uint32_t)(fz_u64(&f, 2) % 10001);
	for (int i = 0; i < MC_EV_N; i++)
		s.count[i] = fz_u8(&f) % 4 == 0 ? 0 : (unsigned)fz_u64(&f, 2);
	s.since = (time_t)(int64_t)fz_u64(&f, 4);
	eol = fz_u8(&f) & 1 ? "\r\n" : "\n";
	len = fz_u64(&f, 2) % 2048;
	fz_field(&f, 0, host, sizeof(host));
	fz_field(&f, 0, user, sizeof(user));
	fz_field(&f, 0, comm, sizeof(comm));
	fz_field(&f, 0, from, sizeof(from));
	fz_field(&f, 0, subject, sizeof(subject));
	fz_field(&f, 0, to, sizeof(to));
	fz_field(&f, 0, body, sizeof(body));
	m.host = host[0] ? host : NULL;
	m.user = user[0] ? user : NULL;
	/* The notifier's own path (root names cgroups): not fuzzed. */
	m.cgroup = "/sys/fs/cgroup/pam_memcg/user-1000";
	memcpy(m.ev.victim.comm, comm, sizeof(comm));

	buf = malloc(8192);
	if (buf == NULL)
		abort();

	r = mc_msg_format(&m, eol, buf, 8192);
	if (m.ev.kind == MC_EV_N) {
		FZ_CHECK(r == -EINVAL, "unknown kind gave %d", r);
	} else {
		FZ_CHECK(r > 0 && (size_t)r == strlen(buf), "notice: %d", r);
		check_notice(buf, r, eol, notice_lines(m.ev.kind));
	}
	r = mc_msg_format_summary(&m, &s, eol, buf, 8192);
	FZ_CHECK(r > 0 && (size_t)r == strlen(buf), "summary: %d", r);
	check_notice(buf, r, eol, 0);

	r = mc_msg_logline(&m, buf, 8192);
	FZ_CHECK(r > 0 && (size_t)r == strlen(buf), "log line: %d", r);
	FZ_CHECK(fz_utf8(buf, (size_t)r, fz_terminal_safe_cp, NULL),
		 "log line has a control character or bad UTF-8");

	/* The subject keeps the host name raw: only mc_mail_build() may make
	 * it a header (checked below). */
	mc_msg_subject(&m, fz_u8(&f) & 1 ? &s : NULL, buf, 8192);
	FZ_CHECK(strchr(buf, '\0') < buf + 8192 && buf[0] == '[', "subject \"%s\"", buf);
	mail.from = from;
	mail.to = to;
	mail.subject = buf;
	mail.date = m.when;
	mail.body = body;
	check_mail(&mail, 8192);

	/* A buffer of exactly len bytes: ASan sees a write past it. */
	{
		char *small = malloc(len ? len : 1);

		if (small == NULL)
			abort();
		r = mc_msg_format(&m, eol, small, len);
		FZ_CHECK(r == -ENOSPC || r == -EINVAL || (r >= 0 && (size_t)r < len),
			 "notice in %zu bytes: %d", len, r);
		if (len > 0)
			FZ_CHECK(memchr(small, '\0', len) != NULL, "notice unterminated");
		free(small);
	}

	mail.subject = subject;
	check_mail(&mail, len);
	check_mail(&mail, 8192);
	free(buf);
	return 0;
}
