/* Unit tests for lib/message.c with a host name that someone with root in a
 * UTS namespace (or a DHCP-set name) filled with CR, LF and escapes: the
 * mail subject carries it escaped once, on one header line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"

static void
test_subject_escaped_once(void **state)
{
	struct mc_msg m;
	struct mc_mail mail;
	char subject[256], buf[4096];
	const char *hdr;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.host = "mc\r\nBcc: evil@example.org\x1b]0;T\x07";
	m.ev.kind = MC_EV_KILL;
	mc_msg_subject(&m, NULL, subject, sizeof(subject));
	mail = (struct mc_mail){ .from = "root", .to = "alice", .subject = subject,
				 .date = 0, .body = "x\n" };
	assert_true(mc_mail_build(&mail, buf, sizeof(buf)) > 0);
	hdr = strstr(buf, "\nSubject: ");
	assert_non_null(hdr);
	assert_memory_equal(hdr, "\nSubject: [mc\\x0d\\x0aBcc: evil@example.org\\x1b]0;T\\x07] "
			    "a process was killed at your memory limit\n",
			    strlen("\nSubject: [mc\\x0d\\x0aBcc: evil@example.org\\x1b]0;T\\x07] "
				   "a process was killed at your memory limit\n"));
	/* No header line of its own, nothing raw. */
	assert_null(strstr(buf, "\nBcc"));
	assert_null(strpbrk(buf, "\r\x1b\x07"));
	/* The summary's subject too. */
	{
		struct mc_summary s;

		memset(&s, 0, sizeof(s));
		mc_msg_subject(&m, &s, subject, sizeof(subject));
		assert_true(mc_mail_build(&mail, buf, sizeof(buf)) > 0);
		assert_non_null(strstr(buf, "\nSubject: [mc\\x0d\\x0aBcc: evil@example.org\\x1b]0;T\\x07] more memory limit events\n"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_escaped_once),
	};

	return cmocka_run_group_tests_name("hostile_message", tests, NULL, NULL);
}
