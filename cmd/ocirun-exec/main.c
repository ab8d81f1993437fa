// ocirun-exec is a static musl program (no Go runtime, no glibc start-up)
// that holds the finisher (finish.c), the one implementation of a process's
// last step, and stage 0 (package nsenter) for an exec that needs nothing
// of Go. The roles, how each is entered and what each may do are tabled in
// the package documentation of initproto.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finish.h"
#include "nsenter.h"

#define MAX_PLAN (16 << 20)

// read_plan reads the sealed memfd stage 1 wrote the plan into.
static uint8_t *read_plan(int fd, uint32_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_PLAN)
		return NULL;
	uint8_t *buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		return NULL;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		got += (size_t)n;
	}
	*len = (uint32_t)got;
	return buf;
}

// finisher runs when stage 1 executed this binary ($_OCIRUN_FINISH).
static void finisher(const char *env)
{
	int plan_fd, sync_fd, listen_fd;
	if (sscanf(env, "%d,%d,%d", &plan_fd, &sync_fd, &listen_fd) != 3) {
		fprintf(stderr, "ocirun-exec: bad %s %s\n", OCIRUN_FINISH_ENV, env);
		_exit(1);
	}
	// Like every process of the runtime inside a container: keep
	// /proc/<pid>/exe and the memory of this one out of the container's
	// reach, and show the name of the init, not of the fd it ran from.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(1);
	(void)prctl(PR_SET_NAME, "ocirun-init", 0, 0, 0);
	uint32_t len = 0;
	uint8_t *plan = read_plan(plan_fd, &len);
	close(plan_fd);
	ocirun_finish(plan, len, sync_fd, listen_fd);
}

int main(void)
{
	const char *env = getenv(OCIRUN_FINISH_ENV);
	if (env != NULL)
		finisher(env);
	ocirun_nsenter(); // returns unless this process is stage 0
	fprintf(stderr, "ocirun-exec: not started by ocirun\n");
	return 2;
}
