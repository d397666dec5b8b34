/* Notices a terminal did not take at once.  A terminal is written without
 * waiting (O_NONBLOCK: one stopped with ^S must not hang the daemon), and
 * the kernel answers EAGAIN then not only when the terminal's buffer is
 * full but also while another process is in the middle of a write to it
 * (the tty's write lock is only tried for a non-blocking writer): a shell
 * printing its prompt, say.  What was not taken stays here, with its open
 * fd, and is tried again every TTYQ_RETRY_MS, for TTYQ_GIVE_UP_MS at most;
 * then it is dropped with a log line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notifier.h"
#include "utmpsel.h"

#define TTYQ_MAX 64
#define TTYQ_RETRY_MS 20
#define TTYQ_GIVE_UP_MS 2000

struct ttyq_entry {
	int fd;
	char path[MC_TTY_PATH];
	char name[64];
	const char *via;	/* how the terminal was found: a string literal */
	char *text;		/* what is left to write */
	size_t len;
	uint64_t since_ms;	/* first try */
};

struct nf_ttyq {
	struct ttyq_entry e[TTYQ_MAX];
	unsigned n;
	uint64_t next_ms;	/* next try; 0: none pending */
};

/* Writes buf to fd until it is all written (0), the terminal does not
 * take more (-EAGAIN) or the write fails (another negative errno);
 * *written says how much went. */
static int
write_buf(int fd, const char *buf, size_t len, size_t *written)
{
	*written = 0;
	while (*written < len) {
		ssize_t w = write(fd, buf + *written, len - *written);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EAGAIN;
		*written += (size_t)w;
	}
	return 0;
}

/* Writes what is left of e, keeping what the terminal did not take. */
static int
write_some(struct ttyq_entry *e)
{
	size_t w;
	int r = write_buf(e->fd, e->text, e->len, &w);

	memmove(e->text, e->text + w, e->len - w);
	e->len -= w;
	return r;
}

static void
entry_done(struct nf *nf, struct ttyq_entry *e, int r)
{
	if (r == 0)
		mc_log(&nf->log, LOG_DEBUG, "told %s on %s (%s)", e->name, e->path, e->via);
	else if (r == -EAGAIN)
		mc_log(&nf->log, LOG_WARNING, "cannot write to %s of %s: the terminal took no output for %u ms",
		       e->path, e->name, TTYQ_GIVE_UP_MS);
	else
		mc_log(&nf->log, LOG_WARNING, "cannot write to %s of %s: %s", e->path, e->name,
		       strerror(-r));
	close(e->fd);
	free(e->text);
}

void
nf_ttyq_write(struct nf *nf, int fd, const char *path, const char *via, const char *name,
	      const char *text, size_t len, uint64_t now)
{
	struct nf_ttyq *q = nf->ttyq;
	struct ttyq_entry e = { .fd = fd, .via = via, .since_ms = now };
	size_t written;
	int r;

	snprintf(e.path, sizeof(e.path), "%s", path);
	snprintf(e.name, sizeof(e.name), "%s", name);
	/* Straight from the caller's text: only what a busy terminal does
	 * not take is copied, to be tried again. */
	r = write_buf(fd, text, len, &written);
	if (r != -EAGAIN) {
		entry_done(nf, &e, r);
		return;
	}
	e.len = len - written;
	if ((e.text = malloc(e.len)) == NULL) {
		entry_done(nf, &e, -ENOMEM);
		return;
	}
	memcpy(e.text, text + written, e.len);
	if (q == NULL && (q = nf->ttyq = calloc(1, sizeof(*q))) == NULL) {
		entry_done(nf, &e, -ENOMEM);
		return;
	}
	if (q->n == TTYQ_MAX) {
		mc_log(&nf->log, LOG_WARNING, "cannot write to %s of %s: %u other terminals are not taking output either",
		       e.path, e.name, TTYQ_MAX);
		close(e.fd);
		free(e.text);
		return;
	}
	mc_log(&nf->log, LOG_DEBUG, "%s of %s is busy; trying again", e.path, e.name);
	q->e[q->n++] = e;
	if (q->next_ms == 0)
		q->next_ms = now + TTYQ_RETRY_MS;
}

/* Tries the pending writes again; final: the last try (at exit). */
static void
retry(struct nf *nf, uint64_t now, bool final)
{
	struct nf_ttyq *q = nf->ttyq;
	unsigned kept = 0;

	if (q == NULL || q->n == 0)
		return;
	for (unsigned i = 0; i < q->n; i++) {
		struct ttyq_entry *e = &q->e[i];
		int r = write_some(e);

		if (r == -EAGAIN && !final && now - e->since_ms < TTYQ_GIVE_UP_MS) {
			q->e[kept++] = *e;
			continue;
		}
		entry_done(nf, e, r);
	}
	q->n = kept;
	q->next_ms = kept != 0 ? now + TTYQ_RETRY_MS : 0;
}

void
nf_ttyq_due(struct nf *nf, uint64_t now)
{
	if (nf->ttyq != NULL && nf->ttyq->next_ms != 0 && nf->ttyq->next_ms <= now)
		retry(nf, now, false);
}

uint64_t
nf_ttyq_deadline(const struct nf *nf)
{
	return nf->ttyq != NULL ? nf->ttyq->next_ms : 0;
}

void
nf_ttyq_free(struct nf *nf)
{
	if (nf->ttyq == NULL)
		return;
	retry(nf, nf_now_ms(), true);
	free(nf->ttyq);
	nf->ttyq = NULL;
}
