/* Finding names given more than once in a long list, in linear time (the
 * config's user and group sections can number tens of thousands). */
#ifndef MEMCG_DUPES_H
#define MEMCG_DUPES_H

#include <stddef.h>

/* For each of names[0..n) (none NULL), sets first[i] to the index of the
 * first name equal to it (strcmp): first[i] == i when names[i] was not
 * given before.  Returns 0, or -ENOMEM with first[] undefined. */
int mc_first_seen(const char *const *names, size_t n, size_t *first);

#endif
