/* Shared pieces of the libFuzzer targets: reading structured values out of
 * the fuzzer's bytes, a strict UTF-8 check, and the invariant check that
 * aborts (so that libFuzzer saves the input) with a readable reason. */
#ifndef MEMCG_FUZZ_H
#define MEMCG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond, ...)                                                   \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant broken: %s: ",      \
				__FILE__, __LINE__, #cond);                   \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

/* The fuzzer's bytes, consumed from the front. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n > 0) {
		v = f->p[0];
		f->p++;
		f->n--;
	}
	return v;
}

static inline uint64_t
fz_u64(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | fz_u8(f);
	return v;
}

/* The bytes up to the next sep (or the end) as a NUL-terminated string of at
 * most cap - 1 bytes (the rest of the field is skipped).  NUL bytes inside
 * become '?' unless keep_nul.  Returns the field's length as stored. */
static inline size_t
fz_field(struct fz *f, uint8_t sep, char *buf, size_t cap)
{
	size_t w = 0;

	while (f->n > 0) {
		uint8_t c = fz_u8(f);

		if (c == sep)
			break;
		if (w + 1 < cap)
			buf[w++] = (char)(c == '\0' ? '?' : c);
	}
	buf[w] = '\0';
	return w;
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or code points above
 * U+10FFFF.  Calls cb (when not NULL) with each code point; stops and
 * returns false at the first bad sequence or when cb returns false. */
static inline bool
fz_utf8(const char *str, size_t n, bool (*cb)(uint32_t cp, void *ctx), void *ctx)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		uint32_t c, min;
		size_t len;

		if (s[i] < 0x80) {
			c = s[i];
			len = 1;
			min = 0;
		} else if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			c = s[i] & 0x1f;
			len = 2;
			min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			c = s[i] & 0x0f;
			len = 3;
			min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			c = s[i] & 0x07;
			len = 4;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		if (cb != NULL && !cb(c, ctx))
			return false;
		i += len;
	}
	return true;
}

/* Code points that must never reach a terminal as they are: C0 controls
 * (tab and newline included: callers allow their own line ends), DEL, C1
 * controls, line and paragraph separators, bidirectional controls. */
static inline bool
fz_terminal_safe_cp(uint32_t c, void *ctx)
{
	(void)ctx;
	return !(c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
		 c == 0x061c || c == 0x200e || c == 0x200f ||
		 (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
		 c == 0xfeff);
}

#endif
