/* Test helper: a process whose main thread exits while another thread
 * keeps running (its thread-group leader is a zombie with PF_EXITING set,
 * yet the process is alive).  The thread waits until the file STOP exists
 * or SECONDS pass, then the process exits.
 *   leaderless STOP SECONDS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *stop;
static long seconds;

static void *
wait_stop(void *arg)
{
	(void)arg;
	for (long i = 0; i < seconds * 20 && access(stop, F_OK) != 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	exit(0);
}

int
main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3) {
		fprintf(stderr, "usage: leaderless STOP SECONDS\n");
		return 2;
	}
	stop = argv[1];
	seconds = strtol(argv[2], NULL, 10);
	if (pthread_create(&t, NULL, wait_stop, NULL) != 0) {
		fprintf(stderr, "leaderless: pthread_create failed\n");
		return 1;
	}
	printf("%ld\n", (long)getpid());
	fflush(stdout);
	pthread_exit(NULL);
}
