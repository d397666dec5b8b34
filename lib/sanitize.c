/* Terminal- and header-safe text; see sanitize.h.  The 2024 wall(1) escape
 * (CVE-2024-28085) came from passing argv bytes straight to terminals: here
 * every byte is either known harmless or escaped. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sanitize.h"

/* Decodes one UTF-8 character at s (n bytes available).  Returns its length
 * and sets *cp, or returns 0 when the bytes there are not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that are valid but must not reach a terminal as they are. */
static bool
unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) ||	/* C1 controls */
	       c == 0xad ||			/* soft hyphen */
	       c == 0x061c ||			/* Arabic letter mark */
	       (c >= 0x200b && c <= 0x200f) ||	/* zero width, LRM, RLM */
	       (c >= 0x2028 && c <= 0x202e) ||	/* separators, bidi embeddings */
	       (c >= 0x2060 && c <= 0x206f) ||	/* invisible operators, isolates */
	       c == 0xfeff ||			/* BOM / zero width no-break */
	       (c >= 0xfff9 && c <= 0xfffb) ||	/* interlinear annotation */
	       (c >= 0xe0000 && c <= 0xe007f);	/* tag characters */
}

size_t
mc_sanitize(const char *in, size_t len, char *out, size_t outlen,
	    unsigned flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, w = 0, mark = 0;

	if (outlen == 0)
		return 0;
	while (i < len) {
		char piece[16];
		size_t plen, clen;
		uint32_t cp = 0;

		clen = utf8_decode(s + i, len - i, &cp);
		if (clen == 0) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", s[i]);
			clen = 1;
		} else if (cp == '\\') {
			memcpy(piece, "\\\\", plen = 2);
		} else if (cp < 0x20 || cp == 0x7f) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", (unsigned)cp);
		} else if (cp < 0x80) {
			piece[0] = (char)cp;
			plen = 1;
		} else if (unsafe_cp(cp) || (flags & MC_SAN_ASCII)) {
			plen = (size_t)snprintf(piece, sizeof(piece),
						cp > 0xffff ? "\\U%08x" : "\\u%04x",
						(unsigned)cp);
		} else {
			memcpy(piece, s + i, plen = clen);
		}
		if (w + plen > outlen - 1) {
			/* Cut where "..." still fits; a buffer too small for
			 * it just ends. */
			if (outlen >= 4) {
				w = mark;
				memcpy(out + w, "...", 3);
				w += 3;
			}
			out[w] = '\0';
			return w;
		}
		memcpy(out + w, piece, plen);
		w += plen;
		if (outlen >= 4 && w <= outlen - 4)
			mark = w;
		i += clen;
	}
	out[w] = '\0';
	return w;
}

size_t
mc_sanitize_str(const char *in, char *out, size_t outlen, unsigned flags)
{
	return mc_sanitize(in, strlen(in), out, outlen, flags);
}
