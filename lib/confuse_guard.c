/* What libconfuse (3.3, the one Debian 12 ships) needs around it here: one
 * parse at a time, a screen for text it must not see, and re-lexers for
 * the line numbers it gets wrong or does not keep.  Why each exists:
 * - the parse lock and the parse context: its lexer keeps process-wide
 *   state, and its callbacks get no data of ours;
 * - the screen: it expands "${VAR}" from the environment and stops at a
 *   NUL; UTF-8 is our own rule, for names that reach terminals and mail;
 * - mc_confuse_blank_comments: it counts lines wrong after comments and
 *   refuses comments inside lists;
 * - mc_confuse_ends_open: it takes the end of the text for a missing '}'
 *   or end of comment, so a file cut short would parse;
 * - mc_confuse_section_lines: it keeps only the line where a section
 *   closes, and config.c reports a repeated title where it opens. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "confuse_guard.h"

/* libconfuse's lexer is a flex scanner whose state is process-wide (the
 * input buffer, the quoted-string buffer, the include stack): two parses
 * at once in one process (a threaded program that loads the module) would
 * corrupt each other.  And its callbacks (values, sections, errors)
 * get no pointer of ours, so the parse in progress is found through a
 * global, which the same lock guards. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
static void *parse_ctx;

void
mc_confuse_lock(void *ctx)
{
	pthread_mutex_lock(&parse_lock);
	parse_ctx = ctx;
}

void *
mc_confuse_ctx(void)
{
	return parse_ctx;
}

void
mc_confuse_unlock(void)
{
	parse_ctx = NULL;
	pthread_mutex_unlock(&parse_lock);
}

/* Where a text must be refused before libconfuse sees it.  It reads a C
 * string, so after a NUL it would parse only the start of the file without
 * a word.  ("include" needs no screen: no include function is registered,
 * so libconfuse refuses it as an unknown option.)  Returns the line of the
 * first problem and sets *why, or returns 0. */
int
mc_confuse_screen(const char *text, size_t len, const char **why)
{
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i], next;
		size_t extra = 0;

		if (c == '\n') {
			line++;
			continue;
		}
		if (c == '\0') {
			*why = "contains a NUL byte (binary file?)";
			return line;
		}
		if (c == '$' && i + 1 < len && text[i + 1] == '{') {
			/* libconfuse would expand it from the environment, which
			 * under su belongs to the user. */
			*why = "\"${\" is not allowed (no environment expansion)";
			return line;
		}
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			extra = 1;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3;
		else {
			*why = "is not valid UTF-8";
			return line;
		}
		if (i + extra >= len) {
			*why = "is not valid UTF-8";
			return line;
		}
		for (size_t k = 1; k <= extra; k++) {
			if (((unsigned char)text[i + k] & 0xc0) != 0x80) {
				*why = "is not valid UTF-8";
				return line;
			}
		}
		/* Overlong forms, surrogates and code points above U+10FFFF
		 * (RFC 3629, section 4): names and addresses reach terminals
		 * and mail headers, where a lenient decoder could see other
		 * characters than the ones checked. */
		next = (unsigned char)text[i + 1];
		if ((c == 0xe0 && next < 0xa0) || (c == 0xed && next > 0x9f) ||
		    (c == 0xf0 && next < 0x90) || (c == 0xf4 && next > 0x8f)) {
			*why = "is not valid UTF-8";
			return line;
		}
		i += extra;
	}
	return 0;
}

/* libconfuse takes the end of the text for the '}' of a section left open,
 * and lets a comment opened with slash-star swallow the rest of the text.
 * Follow its lexer just far enough (quoted strings, comments, braces) to
 * tell whether the text ends inside a section or a comment.  Returns the
 * last line when it does, else 0. */
int
mc_confuse_ends_open(const char *text, size_t len)
{
	int depth = 0, line = 1;
	bool comment = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n')
			line++;
		if (comment) {
			if (c == '*' && i + 1 < len && text[i + 1] == '/') {
				comment = false;
				i++;
			}
			continue;
		}
		if (c == '"' || c == '\'') {
			/* An unterminated string is libconfuse's own error. */
			for (i++; i < len && text[i] != c; i++) {
				if (text[i] == '\\' && i + 1 < len)
					i++;
				if (text[i] == '\n')
					line++;
			}
		} else if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/')) {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			comment = true;
			i++;
		} else if (c == '{') {
			depth++;
		} else if (c == '}' && depth > 0) {
			depth--;
		}
	}
	return depth > 0 || comment ? line : 0;
}

/* A character libconfuse's lexer takes into an unquoted word. */
static bool
word_char(char c)
{
	return c != '\0' && strchr(" #\"'\t\n\r={}()+,*", c) == NULL;
}

/* libconfuse 3.3 miscounts lines after comments (two extra for each '#'
 * or '//' line, one for each block comment), which put every file:line
 * after the first comment out, and it refuses comments inside lists.  So
 * comments are blanked out (newlines kept) before it sees the text, found
 * the way its 3.3 lexer finds them: outside quoted strings, '#' starts one
 * to the end of the line, and at the start of a token so do two slashes,
 * and slash-star starts one up to the first star-slash ("a//b" and "a/x"
 * are words). */
void
mc_confuse_blank_comments(char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		char c = s[i];

		if (c == '"' || c == '\'') {
			for (i++; i < len && s[i] != c; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			/* Up to and with the first star-slash after the opening. */
			size_t e = i + 2;

			while (e + 1 < len && !(s[e] == '*' && s[e + 1] == '/'))
				e++;
			e = e + 1 < len ? e + 2 : len;
			for (; i < e; i++)
				if (s[i] != '\n')
					s[i] = ' ';
		} else if (c == '#' || (c == '/' && i + 1 < len && s[i + 1] == '/')) {
			while (i < len && s[i] != '\n')
				s[i++] = ' ';
		} else if (word_char(c)) {
			while (i < len && word_char(s[i]))
				i++;
		} else {
			i++;
		}
	}
}

/* The line of the '{' of each `kind "title" {` section at the top level of
 * text (comments blanked out), in file order, into lines[0..max): where
 * libconfuse reported a repeated title when it looked for them.  Follows
 * its lexer as far as quoted strings, words and braces.  Returns how many
 * were found. */
size_t
mc_confuse_section_lines(const char *s, size_t len, const char *kind,
			 int *lines, size_t max)
{
	size_t klen = strlen(kind), n = 0, i = 0;
	int line = 1, depth = 0;
	int seen = 0;	/* 1: the word kind; 2: kind and a title */

	while (i < len && n < max) {
		char c = s[i];

		if (c == '"' || c == '\'') {
			for (i++; i < len && s[i] != c; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				if (s[i] == '\n')
					line++;
			}
			i++;
			seen = seen == 1 ? 2 : 0;
		} else if (word_char(c)) {
			size_t b = i;

			while (i < len && word_char(s[i]))
				i++;
			if (seen == 1)
				seen = 2;
			else
				seen = depth == 0 && i - b == klen &&
				       memcmp(s + b, kind, klen) == 0;
		} else {
			if (c == '\n')
				line++;
			else if (c == '{') {
				if (seen == 2 && depth == 0)
					lines[n++] = line;
				depth++;
			} else if (c == '}' && depth > 0) {
				depth--;
			}
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				seen = 0;
			i++;
		}
	}
	return n;
}
