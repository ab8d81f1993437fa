/*
 * startwait PIDFILE CMD [ARG...]
 *
 * Runs CMD (a runtime's `start`), then waits until the process whose pid is
 * in PIDFILE has exited. `start` returns as soon as the user process runs,
 * so timing `start` alone would not measure a container that ran to the
 * end; this wrapper costs one fork+exec of a small static binary, the same
 * for every runtime. The process is not our child (it was reparented when
 * `create` returned), so its exit is observed through a pidfd, which becomes
 * readable when the process exits, reaped or not. PIDFILE "-" skips the
 * wait (used to measure the wrapper's own floor).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int main(int argc, char **argv)
{
	int pidfd = -1;
	if (argc < 3) {
		fprintf(stderr, "usage: startwait PIDFILE CMD [ARG...]\n");
		return 2;
	}
	if (argv[1][0] != '-' || argv[1][1] != '\0') {
		FILE *f = fopen(argv[1], "r");
		long pid = 0;
		if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
			fprintf(stderr, "startwait: no pid in %s\n", argv[1]);
			return 2;
		}
		fclose(f);
		/* Opened before start, so the pid cannot be recycled under us. */
		pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (pidfd < 0 && errno != ESRCH) {
			perror("startwait: pidfd_open");
			return 2;
		}
	}
	pid_t child = fork();
	if (child < 0) {
		perror("startwait: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		perror("startwait: exec");
		_exit(127);
	}
	int st;
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("startwait: waitpid");
			return 2;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "startwait: %s failed (status 0x%x)\n", argv[2], st);
		return 1;
	}
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int n = poll(&p, 1, 10000);
		if (n <= 0) {
			fprintf(stderr, "startwait: process did not exit within 10s\n");
			return 3;
		}
	}
	return 0;
}
