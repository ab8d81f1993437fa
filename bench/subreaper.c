/*
 * subreaper CMD [ARG...]
 *
 * Runs CMD as the child of a child subreaper that reaps every orphan. The
 * bench runs under it so that any process a runtime leaves behind (a
 * daemonised helper, a container process once `create` returned) is
 * reparented HERE rather than to the host's pid 1: the bench counts those
 * processes as the children of this one, and none is left a zombie.
 * Exits with CMD's status once CMD exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: subreaper CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("subreaper: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	pid_t child = fork();
	if (child < 0) {
		perror("subreaper: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		perror("subreaper: exec");
		_exit(127);
	}
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			perror("subreaper: waitpid");
			return 2;
		}
		if (p == child) {
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return 128 + WTERMSIG(st);
		}
	}
}
