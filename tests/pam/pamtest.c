/* Test harness: opens a PAM session through the real libpam, runs a command
 * inside it (as root, in the session's cgroup), closes the session.
 *   pamtest [-d CONFDIR] [-n COUNT] SERVICE USER [CMD [ARG...]]
 * Prints "open=<pam code>" and "close=<pam code>"; exits 0 when every open
 * returned PAM_SUCCESS, 1 when one did not, 2 on a usage or harness error.
 * -n repeats open/close COUNT times (CMD runs each time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static int
run(char **cmd)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	const char *confdir = NULL;
	long count = 1;
	int opt, failed = 0;

	while ((opt = getopt(argc, argv, "+d:n:")) != -1) {
		switch (opt) {
		case 'd':
			confdir = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2 || count < 1) {
		fprintf(stderr, "usage: pamtest [-d CONFDIR] [-n COUNT] SERVICE USER [CMD...]\n");
		return 2;
	}
	for (long i = 0; i < count; i++) {
		pam_handle_t *h = NULL;
		int r = confdir ? pam_start_confdir(argv[optind], argv[optind + 1], &c, confdir, &h)
				: pam_start(argv[optind], argv[optind + 1], &c, &h);

		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_start: %d\n", r);
			return 2;
		}
		r = pam_open_session(h, 0);
		if (count == 1)
			printf("open=%d\n", r);
		if (r != PAM_SUCCESS)
			failed = 1;
		if (argc - optind > 2 && run(argv + optind + 2) != 0)
			failed = 1;
		if (r == PAM_SUCCESS) {
			r = pam_close_session(h, 0);
			if (count == 1)
				printf("close=%d\n", r);
			if (r != PAM_SUCCESS)
				failed = 1;
		}
		pam_end(h, r);
	}
	return failed;
}
