/* What has to surround a libconfuse parse: one parse at a time, text it
 * must not see, and the line numbers it gets wrong or does not keep. */
#ifndef MEMCG_CONFUSE_GUARD_H
#define MEMCG_CONFUSE_GUARD_H

#include <stddef.h>

/* Waits until no other thread parses, then makes ctx (owned by the caller)
 * what mc_confuse_ctx() returns until mc_confuse_unlock(). */
void mc_confuse_lock(void *ctx);

/* The ctx of the parse in progress: for libconfuse's callbacks, which get
 * no data of their own.  NULL outside a parse. */
void *mc_confuse_ctx(void);

/* Clears the ctx and lets the next parse in. */
void mc_confuse_unlock(void);

/* Looks for what must be refused before libconfuse sees len bytes of text
 * (a NUL, "${", invalid UTF-8).  Returns the line of the first problem and
 * sets *why to a static message, or returns 0. */
int mc_confuse_screen(const char *text, size_t len, const char **why);

/* Overwrites every comment in s[0..len) with spaces, newlines kept, so
 * that libconfuse counts lines right and accepts comments in lists. */
void mc_confuse_blank_comments(char *s, size_t len);

/* Returns the last line when text ends inside a section or a block comment
 * (libconfuse accepts both), else 0. */
int mc_confuse_ends_open(const char *text, size_t len);

/* Stores the line of the '{' of each top-level `kind "title" {` section of
 * s (comments blanked out), in file order, in lines[0..max), which the
 * caller owns.  Returns how many it stored. */
size_t mc_confuse_section_lines(const char *s, size_t len, const char *kind,
				int *lines, size_t max);

#endif
