/* Names given more than once: one pass over the list with an open-addressing
 * hash table of indices, so a list of n names costs O(n), not O(n^2). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dupes.h"

/* FNV-1a, 64 bits: simple and spreads short, similar names (u000001,
 * u000002, ...) well enough for linear probing. */
static uint64_t
hash_name(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211u;
	}
	return h;
}

int
mc_first_seen(const char *const *names, size_t n, size_t *first)
{
	size_t cap = 16, *slot;	/* index + 1 of a name; 0: empty */

	/* At most half full keeps the probes short. */
	while (cap < n * 2) {
		if (cap > SIZE_MAX / 2 / sizeof(*slot))
			return -ENOMEM;
		cap *= 2;
	}
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t j = (size_t)hash_name(names[i]) & (cap - 1);

		while (slot[j] != 0 && strcmp(names[slot[j] - 1], names[i]) != 0)
			j = (j + 1) & (cap - 1);
		if (slot[j] == 0)
			slot[j] = i + 1;
		first[i] = slot[j] - 1;
	}
	free(slot);
	return 0;
}
