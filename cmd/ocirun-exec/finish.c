// The finisher: the one implementation of a process's last step, from "its
// namespaces, cgroup and root filesystem are ready" to execve. The plan's
// layout, the order of the steps and the two ways in are described at Plan
// in package initproto. This process is single-threaded and has no Go
// runtime: nothing can start a thread after the seccomp filter is loaded.
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "finish.h"
#include "nsenter.h"
#include "plan.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// report_fd is where an error goes: the sync socket, or once "ocirun
// start" has connected, its connection.
static int report_fd = -1;

// ocirun_send_frame writes one message to sock, with pass_fd attached
// (SCM_RIGHTS) unless it is -1, in one sendmsg, so that nothing another
// process writes on the socket can land inside it. It ends the process
// when nobody is left to read it; a send a signal interrupts is retried.
void ocirun_send_frame(int sock, uint8_t type, const void *payload, uint32_t len, int pass_fd)
{
	uint8_t hdr[OCIRUN_LEN_MSG_HEADER] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff, type};
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)payload, len}};
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
	if (pass_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sock < 0)
		_exit(1); // nobody is left to tell
	// A signal the process handles can interrupt a send that waits for
	// room on the socket; the message has not gone then, so it goes again.
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			_exit(1); // nobody is left to tell
}

static void send_frame(uint8_t type, const void *payload, uint32_t len, int pass_fd)
{
	ocirun_send_frame(report_fd, type, payload, len, pass_fd);
}

// fail reports the error to whoever waits for this process (create, start
// or exec) and ends it.
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send_frame(OCIRUN_MSG_ERROR, msg, (uint32_t)strlen(msg), -1);
	_exit(1);
}

// ocirun_errtext is strerror as Go prints errno values ("no such file or
// directory"), the style of every other error of the runtime.
const char *ocirun_errtext(int err)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

// env_value returns the value of the last "key=" entry, as Go's lookup does.
static const char *env_value(struct plan *pl, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = pl->nenv; i > 0; i--) {
		const char *e = pl->envp[i - 1];
		if (strncmp(e, key, klen) == 0 && e[klen] == '=')
			return e + klen + 1;
	}
	return NULL;
}

// check_executable returns NULL for an executable file, else why not.
static const char *check_executable(const char *path, char *buf, size_t size)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(buf, size, "stat %s: %s", path, ocirun_errtext(errno));
		return buf;
	}
	if (S_ISDIR(st.st_mode))
		return "is a directory";
	if ((st.st_mode & 0111) == 0)
		return "permission denied";
	return NULL;
}

// look_path resolves argv[0] like execvp, in the container's filesystem and
// with the process's PATH; engines map these texts to exit code 127.
static char *look_path(struct plan *pl)
{
	const char *name = pl->argv[0];
	char why[PATH_MAX + 64];
	if (strchr(name, '/') != NULL) {
		const char *err = check_executable(name, why, sizeof(why));
		if (err != NULL)
			fail("exec: \"%s\": %s", name, err);
		return (char *)name;
	}
	const char *path = env_value(pl, "PATH");
	if (path == NULL)
		path = DEFAULT_PATH;
	for (const char *dir = path;;) {
		const char *end = strchrnul(dir, ':');
		int dlen = (int)(end - dir);
		char *candidate;
		// An empty entry is the working directory.
		int n = dlen == 0 ? asprintf(&candidate, "./%s", name) : asprintf(&candidate, "%.*s/%s", dlen, dir, name);
		if (n < 0)
			fail("finish: out of memory");
		if (check_executable(candidate, why, sizeof(why)) == NULL)
			return candidate;
		free(candidate);
		if (*end == 0)
			break;
		dir = end + 1;
	}
	fail("exec: \"%s\": executable file not found in $PATH", name);
}

// add_home appends HOME from the container's /etc/passwd when the process
// has none, as runc and docker do. It is the one passwd parser besides
// github.com/moby/sys/user, which the Go side uses: the finisher reads the
// file inside the container, after pivot_root and without a Go runtime, and
// musl's getpwuid would, for a uid the file lacks, query an nscd socket that
// the container's own files provide.
static void add_home(struct plan *pl)
{
	if (env_value(pl, "HOME") != NULL)
		return;
	const char *home = "/";
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f = fopen("/etc/passwd", "re");
	while (f != NULL && getline(&line, &cap, f) > 0) {
		// name:password:uid:gid:gecos:home:shell
		char *fields[7] = {0};
		char *s = line;
		int i;
		line[strcspn(line, "\n")] = 0;
		for (i = 0; i < 7 && s != NULL; i++)
			fields[i] = strsep(&s, ":");
		if (i < 6 || fields[5] == NULL || fields[5][0] == 0)
			continue;
		char *end;
		unsigned long uid = strtoul(fields[2], &end, 10);
		if (*fields[2] != 0 && *end == 0 && uid == pl->uid) {
			found = strdup(fields[5]);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	free(line);
	if (found != NULL)
		home = found;
	if (asprintf(&pl->envp[pl->nenv], "HOME=%s", home) < 0)
		fail("finish: out of memory");
	pl->nenv++;
}

static const char *rlimit_name(int res)
{
	static const char *const names[] = {
		[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE", [RLIMIT_DATA] = "RLIMIT_DATA",
		[RLIMIT_STACK] = "RLIMIT_STACK", [RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
		[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE", [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
		[RLIMIT_AS] = "RLIMIT_AS", [RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
		[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE", [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
		[RLIMIT_RTTIME] = "RLIMIT_RTTIME",
	};
	if (res >= 0 && res < (int)(sizeof(names) / sizeof(names[0])) && names[res] != NULL)
		return names[res];
	return "RLIMIT_?";
}

// set_rlimits applies the rlimits; with only_raised, just those whose hard
// limit goes up, which needs privilege and so cannot wait for the end.
static void set_rlimits(struct plan *pl, int only_raised)
{
	for (size_t i = 0; i < pl->nrlimits; i++) {
		struct plan_rlimit *r = &pl->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard}, cur;
		if (only_raised) {
			if (getrlimit(r->resource, &cur) < 0)
				fail("get rlimit %s: %s", rlimit_name(r->resource), ocirun_errtext(errno));
			if (rl.rlim_max <= cur.rlim_max)
				continue;
		}
		if (setrlimit(r->resource, &rl) < 0)
			fail("set rlimit %s to soft %llu, hard %llu: %s", rlimit_name(r->resource),
			     (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, ocirun_errtext(errno));
	}
}

// struct sched_attr of sched_setattr(2), which musl does not declare.
struct sched_attr_v0 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

static void set_scheduling(struct plan *pl)
{
	if (pl->have_sched) {
		struct sched_attr_v0 a = {
			.size = sizeof(a), .policy = pl->sched.policy, .flags = pl->sched.flags, .nice = pl->sched.nice,
			.priority = pl->sched.priority, .runtime = pl->sched.runtime, .deadline = pl->sched.deadline,
			.period = pl->sched.period,
		};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			fail("set process.scheduler (policy %u): %s", pl->sched.policy, ocirun_errtext(errno));
	}
	if (pl->have_ioprio) {
		const int who_process = 1, class_shift = 13;
		if (syscall(SYS_ioprio_set, who_process, 0, pl->ioprio) < 0)
			fail("set process.ioPriority (class %u, priority %u): %s", pl->ioprio >> class_shift,
			     pl->ioprio & ((1u << class_shift) - 1), ocirun_errtext(errno));
	}
}

// write_lsm_attr writes an LSM attribute of this process for its next exec.
// Never through a path of the container's /proc, where a mount the
// container placed over attr/... would receive the write: a private clone
// of the /proc mount (without anything mounted below it) that must be a
// procfs root, then a lookup that may not cross into another mount.
static void write_lsm_attr(const char *field, const char *attr, const char *value)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		fail("%s \"%s\": clone the /proc mount: %s", field, value, ocirun_errtext(errno));
	struct statfs sfs;
	struct stat st;
	if (fstatfs(tree, &sfs) < 0 || fstat(tree, &st) < 0)
		fail("%s \"%s\": stat /proc: %s", field, value, ocirun_errtext(errno));
	if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != 1)
		fail("%s \"%s\": /proc is not the root of a procfs", field, value);
	char path[64];
	snprintf(path, sizeof(path), "%d/attr/%s", (int)getpid(), attr);
	struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS};
	int fd = (int)syscall(SYS_openat2, tree, path, &how, sizeof(how));
	if (fd < 0)
		fail("%s \"%s\": open attr/%s: %s", field, value, attr, ocirun_errtext(errno));
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		fail("%s \"%s\": write attr/%s: %s", field, value, attr, ocirun_errtext(errno));
	close(fd);
	close(tree);
}

static void set_lsm(struct plan *pl)
{
	if (pl->apparmor != NULL) {
		char *v;
		if (asprintf(&v, "exec %s", pl->apparmor) < 0)
			fail("finish: out of memory");
		write_lsm_attr("process.apparmorProfile", "apparmor/exec", v);
		free(v);
	}
	if (pl->selinux != NULL)
		write_lsm_attr("process.selinuxLabel", "exec", pl->selinux);
}

// load_seccomp installs the filter; a notify fd goes to the runtime at
// once: every later syscall may be one that waits for the listener.
static void load_seccomp(struct plan *pl)
{
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, pl->seccomp_flags, &pl->prog);
	if (fd < 0 && errno == EACCES)
		fail("load seccomp filter: %s (no_new_privs is not set and CAP_SYS_ADMIN is missing)", ocirun_errtext(errno));
	if (fd < 0)
		fail("load seccomp filter: %s", ocirun_errtext(errno));
	if (pl->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		send_frame(OCIRUN_MSG_SECCOMP_FD, NULL, 0, (int)fd);
		close((int)fd);
	}
}

static void drop_bounding(struct plan *pl)
{
	// The kernel's last capability is the first that PR_CAPBSET_READ
	// refuses.
	for (unsigned c = 0; c < 64; c++) {
		if (pl->bounding & (1ULL << c))
			continue;
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0 && errno == EINVAL)
			break;
		if (in < 0)
			fail("read capability %u from the bounding set: %s", c, ocirun_errtext(errno));
		if (in == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			fail("drop capability %u from the bounding set: %s", c, ocirun_errtext(errno));
	}
}

static void switch_user(struct plan *pl)
{
	if (pl->have_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail("set keep-capabilities to true: %s", ocirun_errtext(errno));
	// setgroups is refused in a user namespace whose setgroups file says
	// "deny"; then only an empty list is acceptable.
	if (syscall(SYS_setgroups, pl->ngroups, pl->groups) < 0 && !(errno == EPERM && pl->ngroups == 0))
		fail("set additional gids: %s", ocirun_errtext(errno));
	// Raw syscalls: one thread, nothing to broadcast to.
	if (syscall(SYS_setresgid, pl->gid, pl->gid, pl->gid) < 0)
		fail("set gid %u: %s", pl->gid, ocirun_errtext(errno));
	if (syscall(SYS_setresuid, pl->uid, pl->uid, pl->uid) < 0)
		fail("set uid %u: %s", pl->uid, ocirun_errtext(errno));
	if (pl->have_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("set keep-capabilities to false: %s", ocirun_errtext(errno));
}

static void set_caps(struct plan *pl)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(pl->effective >> (32 * i));
		data[i].permitted = (uint32_t)(pl->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(pl->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capset (effective %#llx, permitted %#llx, inheritable %#llx): %s",
		     (unsigned long long)pl->effective, (unsigned long long)pl->permitted,
		     (unsigned long long)pl->inheritable, ocirun_errtext(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail("clear the ambient capability set: %s", ocirun_errtext(errno));
	for (unsigned c = 0; c < 64; c++)
		if ((pl->ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			fail("raise ambient capability %u: %s", c, ocirun_errtext(errno));
}

// wait_for_start tells create that the container is ready, waits until
// create has written the state (MsgCommitted), then until "ocirun start"
// connects. Errors from here on go to start.
static void wait_for_start(int sync_fd, int listen_fd)
{
	send_frame(OCIRUN_MSG_READY, NULL, 0, -1);
	uint8_t hdr[OCIRUN_LEN_MSG_HEADER];
	size_t got = 0;
	while (got < sizeof(hdr)) {
		ssize_t n = read(sync_fd, hdr + got, sizeof(hdr) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1); // create failed and cleans up: the container must not outlive it
		got += (size_t)n;
	}
	if (hdr[4] != OCIRUN_MSG_COMMITTED || ocirun_u32(hdr) != 0)
		_exit(1);
	close(sync_fd);
	report_fd = -1;
	for (;;) {
		int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0) {
			report_fd = conn;
			break;
		}
		if (errno != EINTR)
			_exit(1); // create has returned, start never connected: nobody to tell
	}
	close(listen_fd);
}

void ocirun_finish(const uint8_t *p, uint32_t len, int sync_fd, int listen_fd)
{
	struct plan pl;
	char err[256];
	report_fd = sync_fd;
	if (p == NULL)
		fail("finish: the plan could not be read");
	if (plan_parse(p, len, &pl, err, sizeof(err)) < 0)
		fail("%s", err);

	// A container's init is a session leader already.
	if (setsid() < 0 && errno != EPERM)
		fail("setsid: %s", ocirun_errtext(errno));
	if (chdir(pl.cwd) < 0)
		fail("chdir to process.cwd \"%s\": %s", pl.cwd, ocirun_errtext(errno));
	// A cwd like /proc/self/fd/N reaches whatever fd N is; the kernel
	// reports one outside our root without a leading "/" (CVE-2024-21626).
	char cwd[PATH_MAX];
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0 || cwd[0] != '/')
		fail("process.cwd \"%s\" is not inside the container's root: %s", pl.cwd, ocirun_errtext(ENOENT));
	char *path = look_path(&pl);
	add_home(&pl);

	set_rlimits(&pl, 1);
	set_scheduling(&pl);
	if (pl.have_personality && personality(pl.personality) < 0)
		fail("set linux.personality %#x: %s", pl.personality, ocirun_errtext(errno));
	// Only stdio and the preserved fds reach the process (a leaked fd of
	// a host directory is a container escape, CVE-2024-21626).
	if (syscall(SYS_close_range, 3 + pl.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("mark fds from %u close-on-exec: %s", 3 + pl.preserve_fds, ocirun_errtext(errno));
	umask((mode_t)pl.umask);
	if (pl.have_caps)
		drop_bounding(&pl);
	set_lsm(&pl);
	if (pl.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("set no_new_privs: %s", ocirun_errtext(errno));
	// Without no_new_privs loading a filter needs CAP_SYS_ADMIN, which the
	// uid switch may take away.
	if (pl.prog.filter != NULL && !pl.no_new_privs)
		load_seccomp(&pl);
	switch_user(&pl);
	if (pl.have_caps)
		set_caps(&pl);
	// Again as the process's user: its permissions decide, as in runc.
	if (chdir(pl.cwd) < 0)
		fail("chdir to process.cwd \"%s\" as uid %u: %s", pl.cwd, pl.uid, ocirun_errtext(errno));
	if (listen_fd >= 0)
		wait_for_start(sync_fd, listen_fd);
	// Last, because a small limit (RLIMIT_NOFILE, RLIMIT_AS) could break
	// the steps before.
	set_rlimits(&pl, 0);
	if (pl.prog.filter != NULL && pl.no_new_privs)
		load_seccomp(&pl);
	execve(path, pl.argv, pl.envp);
	fail("exec \"%s\": %s", pl.argv[0], ocirun_errtext(errno));
}
