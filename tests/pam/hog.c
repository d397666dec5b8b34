/* Test helper: allocates and touches MIB mebibytes, then prints "survived".
 * Used to show that a limit is enforced (the kernel OOM-kills it first).
 *   hog MIB [HOLD_SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long hold = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);

		if (p == NULL) {
			printf("malloc failed at %ld MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20);
	}
	printf("survived\n");
	fflush(stdout);
	if (hold > 0)
		sleep((unsigned)hold);
	return 0;
}
