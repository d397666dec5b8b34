/* libFuzzer target for lib/sanitize.c: any bytes, any output size.  The
 * output must be NUL-terminated inside the buffer, valid UTF-8 without a
 * control or bidirectional character (printable ASCII only with
 * MC_SAN_ASCII), and, when it fits, turn back into exactly the input (no two
 * inputs look alike); when cut, it is a prefix of the full output plus
 * "...". */
#include "fuzz.h"
#include "sanitize.h"

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
put_utf8(uint32_t c, unsigned char *o)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | c >> 12);
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | c >> 18);
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* Undoes the escapes: "\\", "\xNN", "\uNNNN", "\UNNNNNNNN".  Returns the
 * length written to out, or (size_t)-1 for an escape the sanitiser does not
 * produce. */
static size_t
unescape(const char *s, size_t n, unsigned char *out)
{
	size_t w = 0;

	for (size_t i = 0; i < n;) {
		size_t digits;
		uint32_t v = 0;

		if (s[i] != '\\') {
			out[w++] = (unsigned char)s[i++];
			continue;
		}
		if (i + 1 >= n)
			return (size_t)-1;
		switch (s[i + 1]) {
		case '\\':
			out[w++] = '\\';
			i += 2;
			continue;
		case 'x':
			digits = 2;
			break;
		case 'u':
			digits = 4;
			break;
		case 'U':
			digits = 8;
			break;
		default:
			return (size_t)-1;
		}
		if (i + 2 + digits > n)
			return (size_t)-1;
		for (size_t k = 0; k < digits; k++) {
			int d = hexdigit(s[i + 2 + k]);

			if (d < 0)
				return (size_t)-1;
			v = v << 4 | (uint32_t)d;
		}
		if (digits == 2)
			out[w++] = (unsigned char)v;
		else
			w += put_utf8(v, out + w);
		i += 2 + digits;
	}
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	unsigned flags = fz_u8(&f) & 1 ? MC_SAN_ASCII : 0;
	size_t outlen = fz_u8(&f), full_cap, full_len, len;
	const char *in = (const char *)f.p;
	char *out, *full;
	unsigned char *back;

	/* Each input byte becomes at most 10 output bytes ("\U0010ffff" for
	 * four of them, "\xNN" for one). */
	full_cap = f.n * 4 + 4;
	full = malloc(full_cap);
	back = malloc(f.n + 1);
	/* Exactly outlen bytes: ASan sees a write one past it. */
	out = malloc(outlen ? outlen : 1);
	if (full == NULL || back == NULL || out == NULL)
		abort();

	full_len = mc_sanitize(in, f.n, full, full_cap, flags);
	FZ_CHECK(full_len < full_cap && full[full_len] == '\0' && strlen(full) == full_len,
		 "full output %zu bytes", full_len);
	FZ_CHECK(full_len < 3 || strcmp(full + full_len - 3, "...") != 0 ||
		 (f.n >= 3 && memcmp(in + f.n - 3, "...", 3) == 0),
		 "output cut although the buffer was large enough");
	FZ_CHECK(fz_utf8(full, full_len, fz_terminal_safe_cp, NULL),
		 "output is not valid UTF-8 or holds a control character");
	if (flags & MC_SAN_ASCII)
		for (size_t i = 0; i < full_len; i++)
			FZ_CHECK(full[i] >= 0x20 && full[i] < 0x7f, "byte %02x at %zu with MC_SAN_ASCII",
				 (unsigned char)full[i], i);
	len = unescape(full, full_len, back);
	FZ_CHECK(len == f.n && memcmp(back, in, f.n) == 0,
		 "the output does not map back to the input (%zu vs %zu bytes)", len, f.n);

	len = mc_sanitize(in, f.n, out, outlen, flags);
	if (outlen == 0) {
		FZ_CHECK(len == 0, "wrote %zu bytes into an empty buffer", len);
	} else {
		FZ_CHECK(len < outlen && out[len] == '\0' && strlen(out) == len,
			 "length %zu, buffer %zu", len, outlen);
		if (full_len < outlen) {
			FZ_CHECK(len == full_len && memcmp(out, full, len) == 0,
				 "output cut although it fits");
		} else if (outlen >= 4) {
			FZ_CHECK(len >= 3 && memcmp(out + len - 3, "...", 3) == 0 &&
				 memcmp(out, full, len - 3) == 0,
				 "a cut output is a prefix of the full one plus \"...\"");
			FZ_CHECK(fz_utf8(out, len, fz_terminal_safe_cp, NULL),
				 "cut output is not valid UTF-8");
		} else {
			FZ_CHECK(memcmp(out, full, len) == 0, "a cut output is a prefix");
		}
	}
	free(full);
	free(back);
	free(out);
	return 0;
}
