/* The programs of `make bench-protect` (bench/protect/), one binary with
 * four jobs, all run inside the benchmark's VMs:
 *   probe FILE MIB MS   allocate MIB once; every MS ms touch each of its
 *                       pages and fork+exec /bin/true, wait for it; append
 *                       "START_S LATENCY_US" (CLOCK_MONOTONIC, the kernel
 *                       log's clock) to FILE per probe, until SIGTERM
 *   keep MIB            allocate and touch MIB, then sleep until killed
 *                       (the neighbour's long-lived process)
 *   hog MIB             allocate MIB and keep touching it (a medium hog)
 *   storm MAX FILE      fork children that sleep, until fork is refused or
 *                       MAX are running; write "forked N refused_at_s T
 *                       errno E" to FILE (T -1: never refused), then sleep */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "protect_probe: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static unsigned char *
alloc_touched(long mib)
{
	size_t len = (size_t)mib << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("protect_probe: mmap");
		exit(1);
	}
	memset(p, 1, len);
	return p;
}

static void
touch(unsigned char *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < len; i += (size_t)pg)
		p[i]++;
}

static int
spawn_true(void)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
probe(const char *file, long mib, long ms)
{
	size_t len = (size_t)mib << 20;
	unsigned char *p = alloc_touched(mib);
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	double next = now_s();

	if (fd < 0) {
		perror(file);
		return 1;
	}
	while (!stop) {
		char line[64];
		double t0 = now_s(), t1;
		int n, ok;

		touch(p, len);
		ok = spawn_true();
		t1 = now_s();
		/* A refused fork is a probe that failed: its latency is kept, and
		 * marked, so that it is not lost. */
		n = snprintf(line, sizeof(line), "%.6f %.0f%s\n", t0, (t1 - t0) * 1e6,
			     ok == 0 ? "" : " forkfail");
		if (write(fd, line, (size_t)n) != n)
			return 1;
		next += (double)ms / 1e3;
		if (next < t1)
			next = t1;
		while (!stop && now_s() < next) {
			double left = next - now_s();
			struct timespec ts = { 0, 0 };

			if (left <= 0)
				break;
			ts.tv_nsec = (long)(left * 1e9);
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return 0;
}

static int
storm(long max, const char *file)
{
	long n = 0;
	double refused = -1;
	int err = 0;
	FILE *fp;

	for (; n < max; n++) {
		pid_t pid = fork();

		if (pid < 0) {
			refused = now_s();
			err = errno;
			break;
		}
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	fp = fopen(file, "w");
	if (fp) {
		fprintf(fp, "forked %ld refused_at_s %.6f errno %d\n", n, refused, err);
		fclose(fp);
	}
	while (!stop)
		pause();
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	if (argc == 5 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], num(argv[3], 1, 4096), num(argv[4], 1, 10000));
	if (argc == 3 && strcmp(argv[1], "keep") == 0) {
		(void)alloc_touched(num(argv[2], 1, 65536));
		while (!stop)
			pause();
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "hog") == 0) {
		long mib = num(argv[2], 1, 65536);
		unsigned char *p = alloc_touched(mib);

		while (!stop)
			touch(p, (size_t)mib << 20);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "storm") == 0)
		return storm(num(argv[2], 1, 1000000), argv[3]);
	fprintf(stderr, "usage: protect_probe probe FILE MIB MS | keep MIB | hog MIB | storm MAX FILE\n");
	return 2;
}
