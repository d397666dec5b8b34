/* Unit tests for notifier/ttyq.c against a real pty: a notice that a busy
 * terminal does not take at once (another process is in the middle of a
 * write to it) is written once the terminal takes output again, and
 * dropped with a log line when it never does. */
#include "unit.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <syslog.h>

#include "notifier.h"

struct lines {
	int n;
	char last[512];
};

static void
keep_line(void *ctx, int prio, const char *line)
{
	struct lines *l = ctx;

	(void)prio;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", line);
}

/* A pty whose slave a child writes to without end: nobody reads the
 * master, so the child sleeps inside write(), holding the terminal's
 * write lock. */
struct busy {
	int master;
	char slave[64];
	pid_t writer;
};

static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : '?';
}

static void
busy_start(struct busy *b)
{
	struct termios raw;
	struct pollfd pfd;
	int slave, tries;

	cfmakeraw(&raw);
	assert_int_equal(openpty(&b->master, &slave, b->slave, &raw, NULL), 0);
	b->writer = fork();
	assert_true(b->writer >= 0);
	if (b->writer == 0) {
		static char big[1 << 20];

		memset(big, 'x', sizeof(big));
		close(b->master);
		for (;;)
			if (write(slave, big, sizeof(big)) < 0)
				_exit(1);
	}
	close(slave);
	/* Asleep, with output written: inside write(), on a full terminal. */
	pfd = (struct pollfd){ .fd = b->master, .events = POLLIN };
	for (tries = 0; tries < 400; tries++) {
		if (proc_state(b->writer) == 'S' && poll(&pfd, 1, 0) == 1)
			break;
		usleep(5000);
	}
	assert_true(tries < 400);
}

/* Ends the writer (its write gives up the lock) and empties the master;
 * returns whether the text was among what the master read. */
static bool
busy_stop(struct busy *b, const char *want)
{
	static char all[4 << 20];
	size_t have = 0;
	int status;
	bool found;

	kill(b->writer, SIGKILL);
	waitpid(b->writer, &status, 0);
	fcntl(b->master, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(b->master, all + have, sizeof(all) - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	all[have] = '\0';
	found = want != NULL && strstr(all, want) != NULL;
	close(b->master);
	return found;
}

/* Empties what the master holds now, without ending the writer. */
static void
drain(int master)
{
	char buf[65536];
	int fl = fcntl(master, F_GETFL);

	fcntl(master, F_SETFL, fl | O_NONBLOCK);
	while (read(master, buf, sizeof(buf)) > 0)
		;
	fcntl(master, F_SETFL, fl);
}

static int
open_tty(const char *path)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* What the notifier met: a non-blocking write fails with EAGAIN while
 * another process writes.  The queue writes it once that write ends. */
static void
test_busy_then_taken(void **state)
{
	static const char notice[] = "NOTICE-busy-then-taken";
	struct lines lines = { 0 };
	struct busy b;
	struct nf nf;
	ssize_t w;
	int fd, err;
	bool found;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	nf.log = (struct mc_log){ .emit = keep_line, .ctx = &lines, .debug = true };
	busy_start(&b);
	fd = open_tty(b.slave);
	w = write(fd, notice, strlen(notice));
	err = errno;
	assert_int_equal(w, -1);
	assert_int_equal(err, EAGAIN);

	nf_ttyq_write(&nf, fd, b.slave, "utmp", "alice", notice, strlen(notice), 1000);
	assert_int_equal(nf_ttyq_deadline(&nf), 1020);
	/* Still busy: kept. */
	nf_ttyq_due(&nf, 1020);
	assert_int_equal(nf_ttyq_deadline(&nf), 1040);

	/* The other write ends (its process is killed) and the terminal
	 * is read: the next try writes the notice. */
	kill(b.writer, SIGKILL);
	waitpid(b.writer, NULL, 0);
	drain(b.master);
	nf_ttyq_due(&nf, 1040);
	assert_int_equal(nf_ttyq_deadline(&nf), 0);
	assert_non_null(strstr(lines.last, "told alice on"));
	{
		char buf[256];
		ssize_t n;

		fcntl(b.master, F_SETFL, O_NONBLOCK);
		n = read(b.master, buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		found = strstr(buf, notice) != NULL;
	}
	assert_true(found);
	close(b.master);
	nf_ttyq_free(&nf);
}

/* A terminal that takes nothing for 2 s: the notice is dropped, said in
 * the log, and its fd closed. */
static void
test_busy_gives_up(void **state)
{
	static const char notice[] = "NOTICE-never-taken";
	struct lines lines = { 0 };
	struct busy b;
	struct nf nf;
	int fd;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	nf.log = (struct mc_log){ .emit = keep_line, .ctx = &lines };
	busy_start(&b);
	fd = open_tty(b.slave);
	nf_ttyq_write(&nf, fd, b.slave, "utmp", "bob", notice, strlen(notice), 5000);
	assert_int_not_equal(nf_ttyq_deadline(&nf), 0);
	nf_ttyq_due(&nf, 6000);
	assert_int_not_equal(nf_ttyq_deadline(&nf), 0);
	nf_ttyq_due(&nf, 7000);
	assert_int_equal(nf_ttyq_deadline(&nf), 0);
	assert_non_null(strstr(lines.last, "the terminal took no output for 2000 ms"));
	assert_null(strstr(lines.last, notice));
	/* Closed: the descriptor number is free again. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_false(busy_stop(&b, notice));
	nf_ttyq_free(&nf);
}

/* A terminal that takes it at once: written, nothing kept. */
static void
test_free_terminal(void **state)
{
	static const char notice[] = "NOTICE-at-once";
	struct termios raw;
	struct nf nf;
	char name[64], buf[128];
	int m, s, fd;
	ssize_t n;

	(void)state;
	memset(&nf, 0, sizeof(nf));
	cfmakeraw(&raw);
	assert_int_equal(openpty(&m, &s, name, &raw, NULL), 0);
	fd = open_tty(name);
	nf_ttyq_write(&nf, fd, name, "utmp", "carol", notice, strlen(notice), 1);
	assert_int_equal(nf_ttyq_deadline(&nf), 0);
	n = read(m, buf, sizeof(buf) - 1);
	assert_int_equal(n, (ssize_t)strlen(notice));
	close(s);
	close(m);
	nf_ttyq_free(&nf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_terminal),
		cmocka_unit_test(test_busy_then_taken),
		cmocka_unit_test(test_busy_gives_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
