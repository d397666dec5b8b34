/* Makes text that others control (command names, user names, host names)
 * safe to put on a terminal or into a mail header.  Pure functions. */
#ifndef MEMCG_SANITIZE_H
#define MEMCG_SANITIZE_H

#include <stddef.h>

enum {
	/* Escape every non-ASCII character too (mail headers). */
	MC_SAN_ASCII = 1 << 0,
};

/* Copies len bytes of in to out (outlen bytes, always NUL-terminated when
 * outlen > 0) so that nothing in it can act on a terminal:
 *  - printable ASCII is kept, except '\' which becomes "\\";
 *  - C0 controls and DEL become "\xNN" (ESC, BEL, CR, LF, TAB included);
 *  - valid UTF-8 is kept, except C1 controls (U+0080..U+009F, which some
 *    terminals treat as CSI, OSC ...), line and paragraph separators,
 *    bidirectional overrides and other invisible format characters, which
 *    become "\uNNNN";
 *  - bytes that are not valid UTF-8 (stray continuation bytes, overlongs,
 *    surrogates, code points above U+10FFFF, truncated sequences) become
 *    "\xNN" each.
 * When the result does not fit, it is cut at a character boundary and ends
 * in "...".  Returns the length written (without the NUL). */
size_t mc_sanitize(const char *in, size_t len, char *out, size_t outlen,
		   unsigned flags);

/* mc_sanitize() of a NUL-terminated string. */
size_t mc_sanitize_str(const char *in, char *out, size_t outlen,
		       unsigned flags);

#endif
