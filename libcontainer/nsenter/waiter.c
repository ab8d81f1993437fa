// The start waiter: what a created container's init becomes once stage 1
// has built the container (see WaitPlan in package initproto for why and
// for the plan's layout; the message numbers are initproto's).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter.h"

enum {
	MSG_ERROR = 10,
	MSG_SECCOMP_FD = 11,
};

enum {
	ATTR_WAIT_PATH = 1,
	ATTR_WAIT_ARG = 2,
	ATTR_WAIT_ENV = 3,
	ATTR_WAIT_SECCOMP = 4,
	ATTR_WAIT_SECCOMP_FL = 5,
	ATTR_WAIT_RLIMIT = 6,
};

#define MAX_PLAN (16 << 20)

static int start_conn = -1;

static void frame_header(uint8_t hdr[5], uint8_t type, uint32_t len)
{
	hdr[0] = len & 0xff;
	hdr[1] = (len >> 8) & 0xff;
	hdr[2] = (len >> 16) & 0xff;
	hdr[3] = (len >> 24) & 0xff;
	hdr[4] = type;
}

// fail reports the error to "ocirun start" and ends the container. Before
// start has connected there is nobody to tell.
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char msg[1024];
	uint8_t hdr[5];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (start_conn >= 0) {
		frame_header(hdr, MSG_ERROR, (uint32_t)strlen(msg));
		struct iovec iov[2] = {{hdr, sizeof(hdr)}, {msg, strlen(msg)}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		(void)sendmsg(start_conn, &mh, MSG_NOSIGNAL);
	}
	_exit(1);
}

static uint8_t *read_plan(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_PLAN)
		_exit(1);
	uint8_t *buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		_exit(1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		got += (size_t)n;
	}
	*len = got;
	return buf;
}

// send_notify_fd hands the seccomp notify fd to "ocirun start", which
// forwards it to the listener named in linux.seccomp.listenerPath.
static void send_notify_fd(int fd)
{
	uint8_t hdr[5];
	char cbuf[CMSG_SPACE(sizeof(int))];
	frame_header(hdr, MSG_SECCOMP_FD, 0);
	struct iovec iov = {hdr, sizeof(hdr)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(start_conn, &mh, MSG_NOSIGNAL) < 0)
		fail("send the seccomp notify fd: %s", strerror(errno));
	close(fd);
}

void ocirun_waiter(void)
{
	const char *env = getenv("_OCIRUN_WAIT");
	if (env == NULL)
		return;
	// Like every process of the runtime inside a container: keep
	// /proc/<pid>/exe and the memory of this one out of the container's reach.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(1);
	(void)prctl(PR_SET_NAME, "ocirun-init", 0, 0, 0); // not "exe"
	int listen_fd, plan_fd;
	if (sscanf(env, "%d,%d", &listen_fd, &plan_fd) != 2)
		_exit(1);

	size_t len;
	uint8_t *p = read_plan(plan_fd, &len);
	close(plan_fd);
	const char *path = NULL;
	size_t nargs = 0, nenv = 0;
	uint32_t off = 0;
	char **argv = calloc(len / 6 + 1, sizeof(char *));
	char **envp = calloc(len / 6 + 1, sizeof(char *));
	struct sock_fprog prog = {0, NULL};
	unsigned int flags = 0;
	const uint8_t *rlimits[RLIM_NLIMITS];
	size_t nrlimits = 0;
	if (argv == NULL || envp == NULL)
		_exit(1);
	uint16_t type;
	const uint8_t *v;
	uint32_t n;
	int more;
	while ((more = ocirun_next_attr(p, (uint32_t)len, &off, &type, &v, &n)) != 0) {
		if (more < 0)
			_exit(1);
		char *s = NULL;
		if (type == ATTR_WAIT_PATH || type == ATTR_WAIT_ARG || type == ATTR_WAIT_ENV) {
			s = strndup((const char *)v, n);
			if (s == NULL)
				_exit(1);
		}
		switch (type) {
		case ATTR_WAIT_PATH:
			path = s;
			break;
		case ATTR_WAIT_ARG:
			argv[nargs++] = s;
			break;
		case ATTR_WAIT_ENV:
			envp[nenv++] = s;
			break;
		case ATTR_WAIT_SECCOMP:
			if (n == 0 || n % sizeof(struct sock_filter) != 0 ||
			    n / sizeof(struct sock_filter) > BPF_MAXINSNS)
				_exit(1);
			prog.len = (unsigned short)(n / sizeof(struct sock_filter));
			prog.filter = (struct sock_filter *)v;
			break;
		case ATTR_WAIT_SECCOMP_FL:
			if (n != 4)
				_exit(1);
			flags = ocirun_u32(v);
			break;
		case ATTR_WAIT_RLIMIT:
			if (n != 20 || nrlimits == RLIM_NLIMITS)
				_exit(1);
			rlimits[nrlimits++] = v;
			break;
		default:
			_exit(1);
		}
	}
	if (path == NULL || nargs == 0)
		_exit(1);

	for (;;) {
		start_conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (start_conn >= 0)
			break;
		if (errno != EINTR)
			_exit(1);
	}
	close(listen_fd);

	for (size_t i = 0; i < nrlimits; i++) {
		struct rlimit rl = {.rlim_cur = ocirun_u64(rlimits[i] + 4), .rlim_max = ocirun_u64(rlimits[i] + 12)};
		int res = (int)ocirun_u32(rlimits[i]);
		if (setrlimit(res, &rl) < 0)
			fail("set rlimit %d to soft %llu, hard %llu: %s", res, (unsigned long long)rl.rlim_cur,
			     (unsigned long long)rl.rlim_max, strerror(errno));
	}
	if (prog.filter != NULL) {
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
		if (fd < 0)
			fail("load seccomp filter: %s", strerror(errno));
		if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
			send_notify_fd((int)fd);
	}
	execve(path, argv, envp);
	fail("exec \"%s\": %s", argv[0], strerror(errno));
}
