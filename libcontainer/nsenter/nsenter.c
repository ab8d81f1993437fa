// Stage 0 of the container init. The messages and the bootstrap attribute
// layout are defined and documented in package initproto; their numbers
// come from initproto.h, which is generated from it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "nsenter.h"
#ifdef OCIRUN_EXEC_BINARY
#include "finish.h"
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

enum {
	MSG_BOOTSTRAP = OCIRUN_MSG_BOOTSTRAP,
	MSG_MAP_IDS = OCIRUN_MSG_MAP_IDS,
	MSG_IDS_MAPPED = OCIRUN_MSG_IDS_MAPPED,
	MSG_STAGE1_PID = OCIRUN_MSG_STAGE1_PID,
	MSG_ERROR = OCIRUN_MSG_ERROR,
	MSG_PROC_MOUNT = OCIRUN_MSG_PROC_MOUNT,
	MSG_BUILT = OCIRUN_MSG_BUILT,
};

enum {
	ATTR_CLONE_FLAGS = OCIRUN_ATTR_CLONE_FLAGS,
	ATTR_JOIN = OCIRUN_ATTR_JOIN,
	ATTR_TIME_OFFSETS = OCIRUN_ATTR_TIME_OFFSETS,
	ATTR_BECOME_ROOT = OCIRUN_ATTR_BECOME_ROOT,
	ATTR_EXEC_PLAN = OCIRUN_ATTR_PLAN,
	ATTR_CGROUP_JOIN = OCIRUN_ATTR_CGROUP_JOIN,
	ATTR_ROOT = OCIRUN_ATTR_ROOT,
	ATTR_CPUS_INITIAL = OCIRUN_ATTR_CPUS_INITIAL,
	ATTR_CPUS_FINAL = OCIRUN_ATTR_CPUS_FINAL,
	ATTR_MEM_POLICY = OCIRUN_ATTR_MEM_POLICY,
	ATTR_KEYRING = OCIRUN_ATTR_KEYRING,
	ATTR_BUILT = OCIRUN_ATTR_BUILT,
	ATTR_PROC_MOUNT = OCIRUN_ATTR_PROC_MOUNT,
};

#define MAX_JOIN 16
#define MAX_CGROUPS 32
#define MAX_PROC_MOUNTS OCIRUN_MAX_PROC_MOUNTS
#define MAX_PAYLOAD (1 << 20)

static int sync_fd = -1;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

// MAX_SEND bounds what this C sends: an error text or a pid.
#define MAX_SEND 1024

// Timer slack of stage 1's first thread while the Go runtime starts (see
// ocirun_nsenter).
#define OCIRUN_STAGE1_TIMER_SLACK_NS 1000000UL

// send_msg writes the whole message, header and payload, in one write(2),
// so nothing another process writes on the socket can land inside it.
static void send_msg(uint8_t type, const void *payload, uint32_t len)
{
	uint8_t msg[5 + MAX_SEND];
	if (len > MAX_SEND)
		len = MAX_SEND; // only an error text can be this long; its end is cut
	msg[0] = len & 0xff;
	msg[1] = (len >> 8) & 0xff;
	msg[2] = (len >> 16) & 0xff;
	msg[3] = (len >> 24) & 0xff;
	msg[4] = type;
	if (len > 0)
		memcpy(msg + 5, payload, len);
	if (write_all(sync_fd, msg, 5 + len) < 0)
		_exit(1); // the runtime is gone; nobody is left to tell
}

// ocirun_bail reports the error to the runtime, which shows it to the user
// as the final error line, and ends the process.
void ocirun_bail(const char *fmt, ...)
{
	char buf[MAX_SEND];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_msg(MSG_ERROR, buf, (uint32_t)strlen(buf));
	_exit(1);
}

// recv_header reads a message's header, and the fd that comes with it
// when got_fd is not NULL (-1 when none came).
static void recv_header(uint8_t hdr[OCIRUN_LEN_MSG_HEADER], int *got_fd)
{
	if (got_fd == NULL) {
		if (read_all(sync_fd, hdr, OCIRUN_LEN_MSG_HEADER) < 0)
			_exit(1); // the runtime closed the socket: it has given up on us
		return;
	}
	*got_fd = -1;
	struct iovec iov = {hdr, OCIRUN_LEN_MSG_HEADER};
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	while ((n = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		_exit(1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(got_fd, CMSG_DATA(c), sizeof(int));
	if (n < OCIRUN_LEN_MSG_HEADER && read_all(sync_fd, hdr + n, OCIRUN_LEN_MSG_HEADER - (size_t)n) < 0)
		_exit(1);
}

// recv_msg_fd reads a message of type want, or of any type when want is
// 0 (the type goes to *got_type), and the fd that came with it.
static uint8_t *recv_msg_fd(uint8_t want, uint8_t *got_type, uint32_t *len, int *got_fd)
{
	uint8_t hdr[OCIRUN_LEN_MSG_HEADER];
	recv_header(hdr, got_fd);
	*len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (want != 0 && hdr[4] != want)
		ocirun_bail("nsenter: expected message %d from the runtime, got %d", want, hdr[4]);
	if (got_type != NULL)
		*got_type = hdr[4];
	if (*len > MAX_PAYLOAD)
		ocirun_bail("nsenter: message of %u bytes is too large", *len);
	uint8_t *p = malloc(*len + 1);
	if (p == NULL)
		ocirun_bail("nsenter: out of memory");
	if (*len > 0 && read_all(sync_fd, p, *len) < 0)
		_exit(1);
	p[*len] = 0;
	return p;
}

static uint8_t *recv_msg(uint8_t want, uint32_t *len)
{
	return recv_msg_fd(want, NULL, len, NULL);
}

static const char *ns_name(uint32_t flag)
{
	switch (flag) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	}
	return "unknown";
}

struct join {
	uint32_t flag;
	const char *path;
	int fd;
};

struct bootstrap {
	const char *cgroup[MAX_CGROUPS];
	int ncgroup;
	uint32_t clone_flags;
	struct join join[MAX_JOIN];
	int njoin;
	const char *time_offsets;
	int become_root;
	const uint8_t *exec_plan; // points into the bootstrap payload
	uint32_t exec_plan_len;
	const char *root;
	int root_fd;
	// CPU and node masks point into the payload: u64 little-endian words.
	const uint8_t *cpus_initial, *cpus_final, *mem_nodes;
	uint32_t cpus_initial_len, cpus_final_len, mem_nodes_len;
	int has_mem_policy;
	uint32_t mem_policy;
	const char *keyring;
	int built;
	int built_listen_fd;
	struct proc_mount {
		uint32_t attr;
		const char *source, *data;
	} proc[MAX_PROC_MOUNTS];
	int nproc;
};

// parse_bootstrap decodes the attribute list; strings are copied so that
// each one is NUL-terminated.
static void parse_bootstrap(uint8_t *p, uint32_t len, struct bootstrap *b)
{
	uint32_t off = 0;
	memset(b, 0, sizeof(*b));
	uint16_t type;
	const uint8_t *v;
	uint32_t n;
	int more;
	while ((more = ocirun_next_attr(p, len, &off, &type, &v, &n)) != 0) {
		if (more < 0)
			ocirun_bail("nsenter: truncated bootstrap attribute");
		switch (type) {
		case ATTR_CLONE_FLAGS:
			if (n != 4)
				ocirun_bail("nsenter: bad clone flags attribute");
			b->clone_flags = ocirun_u32(v);
			break;
		case ATTR_JOIN: {
			if (n < 5)
				ocirun_bail("nsenter: bad join attribute");
			if (b->njoin == MAX_JOIN)
				ocirun_bail("nsenter: more than %d namespaces to join", MAX_JOIN);
			char *path = strndup((const char *)v + 4, n - 4);
			if (path == NULL)
				ocirun_bail("nsenter: out of memory");
			b->join[b->njoin].flag = ocirun_u32(v);
			b->join[b->njoin].path = path;
			b->njoin++;
			break;
		}
		case ATTR_CGROUP_JOIN: {
			if (n == 0)
				ocirun_bail("nsenter: bad cgroup join attribute");
			if (b->ncgroup == MAX_CGROUPS)
				ocirun_bail("nsenter: more than %d cgroups to join", MAX_CGROUPS);
			char *path = strndup((const char *)v, n);
			if (path == NULL)
				ocirun_bail("nsenter: out of memory");
			b->cgroup[b->ncgroup++] = path;
			break;
		}
		case ATTR_TIME_OFFSETS:
			b->time_offsets = strndup((const char *)v, n);
			if (b->time_offsets == NULL)
				ocirun_bail("nsenter: out of memory");
			break;
		case ATTR_BECOME_ROOT:
			b->become_root = n == 1 && v[0] == 1;
			break;
		case ATTR_EXEC_PLAN:
#ifdef OCIRUN_EXEC_BINARY
			b->exec_plan = v;
			b->exec_plan_len = n;
			break;
#else
			ocirun_bail("nsenter: a plan to finish is for ocirun-exec, not the init binary");
#endif
		case ATTR_ROOT:
			if (n == 0)
				ocirun_bail("nsenter: bad root attribute");
			b->root = strndup((const char *)v, n);
			if (b->root == NULL)
				ocirun_bail("nsenter: out of memory");
			break;
		case ATTR_CPUS_INITIAL:
		case ATTR_CPUS_FINAL:
			if (n == 0 || n % 8 != 0)
				ocirun_bail("nsenter: bad cpu affinity attribute");
			if (type == ATTR_CPUS_INITIAL) {
				b->cpus_initial = v;
				b->cpus_initial_len = n;
			} else {
				b->cpus_final = v;
				b->cpus_final_len = n;
			}
			break;
		case ATTR_MEM_POLICY:
			if (n < 4 || (n - 4) % 8 != 0)
				ocirun_bail("nsenter: bad memory policy attribute");
			b->has_mem_policy = 1;
			b->mem_policy = ocirun_u32(v);
			b->mem_nodes = v + 4;
			b->mem_nodes_len = n - 4;
			break;
		case ATTR_KEYRING:
			if (n == 0 || (b->keyring = strndup((const char *)v, n)) == NULL)
				ocirun_bail("nsenter: bad keyring attribute");
			break;
		case ATTR_BUILT:
#ifdef OCIRUN_EXEC_BINARY
			if (n != OCIRUN_LEN_BUILT)
				ocirun_bail("nsenter: bad built attribute");
			b->built = 1;
			b->built_listen_fd = (int)ocirun_u32(v);
			break;
#else
			ocirun_bail("nsenter: a container the runtime builds is for ocirun-exec, not the init binary");
#endif
		case ATTR_PROC_MOUNT: {
			// The source and the options after the flags, a NUL
			// between them; the payload has a NUL after its end
			// (recv_msg).
			const char *source = (const char *)v + 4, *end = (const char *)v + n;
			const char *nul = n > 4 ? memchr(source, 0, (size_t)(end - source)) : NULL;
			if (nul == NULL)
				ocirun_bail("nsenter: bad proc mount attribute");
			if (b->nproc == MAX_PROC_MOUNTS)
				ocirun_bail("nsenter: more than %d proc mounts", MAX_PROC_MOUNTS);
			struct proc_mount *m = &b->proc[b->nproc++];
			m->attr = ocirun_u32(v);
			m->source = source;
			m->data = strndup(nul + 1, (size_t)(end - nul - 1));
			if (m->data == NULL)
				ocirun_bail("nsenter: out of memory");
			break;
		}
		default:
			ocirun_bail("nsenter: unknown bootstrap attribute %u", type);
		}
	}
}

// mask_bit says whether bit i of a mask of little-endian 64-bit words is set.
static int mask_bit(const uint8_t *mask, size_t i)
{
	return mask[i / 8] >> (i % 8) & 1;
}

// set_cpu_affinity sets this thread's CPU affinity to mask (len bytes), or to
// every CPU the kernel may have when mask is NULL: the kernel keeps those
// the cpuset allows.
static void set_cpu_affinity(const uint8_t *mask, uint32_t len, const char *what)
{
	size_t ncpus = mask != NULL ? (size_t)len * 8 : 8192;
	size_t size = CPU_ALLOC_SIZE(ncpus);
	cpu_set_t *set = CPU_ALLOC(ncpus);
	if (set == NULL)
		ocirun_bail("nsenter: out of memory");
	CPU_ZERO_S(size, set);
	for (size_t i = 0; i < ncpus; i++)
		if (mask == NULL || mask_bit(mask, i))
			CPU_SET_S(i, size, set);
	if (sched_setaffinity(0, size, set) < 0)
		ocirun_bail("%s: sched_setaffinity: %s", what, strerror(errno));
	CPU_FREE(set);
}

// set_mem_policy applies linux.memoryPolicy with set_mempolicy(2), whose
// node mask is an array of unsigned long of which it reads maxnode - 1 bits.
static void set_mem_policy(struct bootstrap *b)
{
	const size_t long_bits = 8 * sizeof(unsigned long);
	size_t bits = (size_t)b->mem_nodes_len * 8;
	unsigned long *nodes = NULL;
	if (bits > 0) {
		nodes = calloc((bits + long_bits - 1) / long_bits, sizeof(unsigned long));
		if (nodes == NULL)
			ocirun_bail("nsenter: out of memory");
		for (size_t i = 0; i < bits; i++)
			if (mask_bit(b->mem_nodes, i))
				nodes[i / long_bits] |= 1UL << (i % long_bits);
	}
	if (syscall(SYS_set_mempolicy, (int)b->mem_policy, nodes, bits > 0 ? bits + 1 : 0) < 0)
		ocirun_bail("linux.memoryPolicy: set_mempolicy: %s", strerror(errno));
	free(nodes);
}

// join_cgroups moves this process into each of the container's cgroups by
// writing "0" to the file the runtime named: this process is single-threaded,
// so moving the calling thread through a v1 "tasks" file moves the whole
// process, without the kernel's threadgroup lock (see
// cgroups.Manager.SelfJoinFiles).
static void join_cgroups(struct bootstrap *b)
{
	for (int i = 0; i < b->ncgroup; i++) {
		const char *file = b->cgroup[i];
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			ocirun_bail("join cgroup: open %s: %s", file, strerror(errno));
		if (write_all(fd, "0", 1) < 0) {
			int err = errno;
			const char *hint = "";
			if (err == EBUSY)
				hint = " (the cgroup has controllers enabled in cgroup.subtree_control, so it cannot hold processes itself)";
			else if (err == EOPNOTSUPP)
				hint = " (the cgroup is not a domain cgroup that can hold processes: check its cgroup.type)";
			ocirun_bail("join cgroup: write %s: %s%s", file, strerror(err), hint);
		}
		close(fd);
	}
}

static void join_namespaces(struct bootstrap *b)
{
	// Open every path first: once the mount namespace is joined, paths
	// would resolve in the container's filesystem instead of the host's.
	for (int i = 0; i < b->njoin; i++) {
		b->join[i].fd = open(b->join[i].path, O_RDONLY | O_CLOEXEC);
		if (b->join[i].fd < 0)
			ocirun_bail("open %s namespace %s: %s", ns_name(b->join[i].flag), b->join[i].path, strerror(errno));
	}
	if (b->root != NULL) {
		b->root_fd = open(b->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (b->root_fd < 0)
			ocirun_bail("open the container's root %s: %s", b->root, strerror(errno));
	}
	// The user namespace goes first: joining it grants the capabilities
	// that joining the namespaces it owns requires.
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < b->njoin; i++) {
			struct join *j = &b->join[i];
			if ((pass == 0) != (j->flag == CLONE_NEWUSER))
				continue;
			if (setns(j->fd, (int)j->flag) < 0)
				ocirun_bail("join %s namespace %s: %s", ns_name(j->flag), j->path, strerror(errno));
			close(j->fd);
			if (j->flag == CLONE_NEWUSER && b->become_root) {
				if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
					ocirun_bail("become root in user namespace %s: %s", j->path, strerror(errno));
			}
		}
	}
	// setns put us at the mount namespace's root, which is not the
	// container's when its runtime ran in a chroot (see initproto.Bootstrap).
	if (b->root != NULL) {
		if (fchdir(b->root_fd) < 0 || chroot(".") < 0)
			ocirun_bail("enter the container's root %s: %s", b->root, strerror(errno));
		close(b->root_fd);
	}
}

static void create_namespaces(struct bootstrap *b)
{
	if (b->clone_flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			ocirun_bail("create user namespace: %s", strerror(errno));
		// The /proc/<pid> files of a process that is not dumpable belong
		// to the host's root: a runtime without root could not write
		// uid_map, nor this process its timens_offsets. Nothing of the
		// container runs yet that could use the window, which closes at
		// the end of this function.
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			ocirun_bail("nsenter: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		uint32_t len;
		send_msg(MSG_MAP_IDS, NULL, 0);
		free(recv_msg(MSG_IDS_MAPPED, &len));
		if (b->become_root && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			ocirun_bail("become root in the new user namespace: %s", strerror(errno));
		// Changing ids made it non-dumpable again.
		if (b->time_offsets != NULL && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			ocirun_bail("nsenter: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	}
	uint32_t rest = b->clone_flags & ~(uint32_t)CLONE_NEWUSER;
	if (rest != 0 && unshare((int)rest) < 0) {
		int err = errno;
		// Name the namespace that failed: unshare them one by one.
		for (uint32_t bit = 1; bit != 0; bit <<= 1)
			if ((rest & bit) && unshare((int)bit) < 0)
				ocirun_bail("create %s namespace: %s", ns_name(bit), strerror(errno));
		ocirun_bail("create namespaces: %s", strerror(err));
	}
	if (b->time_offsets != NULL) {
		// Offsets can only be written before any process enters the time
		// namespace, which happens at the fork below.
		int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			ocirun_bail("open /proc/self/timens_offsets: %s", strerror(errno));
		if (write_all(fd, b->time_offsets, strlen(b->time_offsets)) < 0)
			ocirun_bail("write time namespace offsets: %s", strerror(errno));
		close(fd);
	}
	if ((b->clone_flags & CLONE_NEWUSER) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		ocirun_bail("nsenter: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
}

#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x1
#define FSMOUNT_CLOEXEC 0x1
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#endif

// join_keyring gives the container a session keyring of its own, so it
// cannot reach the keys of whoever started the runtime; every process it
// starts inherits it. A kernel without keyrings has nothing to reach.
static void join_keyring(const char *name)
{
	const long KEYCTL_JOIN_SESSION_KEYRING = 1;
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != ENOSYS)
		ocirun_bail("join a new session keyring: %s", strerror(errno));
}

#ifdef OCIRUN_EXEC_BINARY
// make_proc creates a procfs of this process's PID namespace as a detached
// mount: the kernel ties a procfs to the PID namespace of whoever creates
// it, and the runtime's thread that builds the container cannot enter
// that namespace itself. The options go in one by one, as mount(2) would
// split its data string.
static int make_proc(const struct proc_mount *m)
{
	int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		ocirun_bail("fsopen: %s", ocirun_errtext(errno));
	if (*m->source != 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
		ocirun_bail("source %s: %s", m->source, ocirun_errtext(errno));
	if ((m->attr & MOUNT_ATTR_RDONLY) && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
		ocirun_bail("ro: %s", ocirun_errtext(errno));
	char *opts = strdup(m->data), *save = NULL;
	if (opts == NULL)
		ocirun_bail("nsenter: out of memory");
	for (char *o = strtok_r(opts, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		long r;
		if (eq != NULL) {
			*eq = 0;
			r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
			*eq = '=';
		} else {
			r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, o, NULL, 0);
		}
		// The text of a mount(2) that failed, which cannot say which
		// option it refused.
		if (r < 0)
			ocirun_bail("%s", ocirun_errtext(errno));
	}
	free(opts);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		ocirun_bail("%s", ocirun_errtext(errno));
	int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, m->attr);
	if (mnt < 0)
		ocirun_bail("fsmount: %s", ocirun_errtext(errno));
	close(fs);
	return mnt;
}

// finish_built is stage 0's child when the runtime builds the container
// (AttrBuilt, see initproto): while a thread of the runtime builds it
// inside the container's other namespaces, it makes each procfs mount the
// runtime asks for; then it enters the root the runtime hands back with
// the plan, and finishes the process.
static void __attribute__((noreturn)) finish_built(struct bootstrap *b)
{
	uint8_t type;
	uint32_t len;
	int root = -1;
	uint8_t *msg;
	while ((msg = recv_msg_fd(0, &type, &len, &root)) != NULL && type == MSG_PROC_MOUNT) {
		uint32_t i = len == 4 ? ocirun_u32(msg) : UINT32_MAX;
		if (i >= (uint32_t)b->nproc)
			ocirun_bail("sync protocol: proc mount %u of %d", i, b->nproc);
		int fd = make_proc(&b->proc[i]);
		ocirun_send_frame(sync_fd, MSG_PROC_MOUNT, NULL, 0, fd);
		close(fd);
		free(msg);
	}
	if (type != MSG_BUILT)
		ocirun_bail("nsenter: expected message %d from the runtime, got %d", MSG_BUILT, type);
	if (root < 0)
		ocirun_bail("sync protocol: the container's root did not come with the built message");
	// pivot_root moved this process's root already; after a --no-pivot
	// move, or when the runtime ran in a chroot, only this puts it there.
	if (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		ocirun_bail("enter the container's root: %s", ocirun_errtext(errno));
	close(root);
	ocirun_finish(msg, len, sync_fd, b->built_listen_fd);
}
#endif

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

// prefault_binary maps in stage 1's copy of the binary, one system call per
// loadable segment (code and read-only data for reading, data and bss for
// writing), before its Go runtime starts touching them one fault at a
// time: a forked child inherits no mapped page of the code and copies each
// data page it writes, and stage 0 going on as stage 1 has touched only
// its C part (package prefault, which does the same for the
// pure-Go binaries, says why). Not where the runtime keeps the init small in the container's
// memory cgroup. A kernel that refuses (before 5.14) leaves the pages to
// fault in as they would have.
static void prefault_binary(void)
{
	if (getenv(OCIRUN_SMALL_HEAP_ENV) != NULL)
		return;
#if UINTPTR_MAX > 0xffffffffu
	typedef Elf64_Phdr phdr_t;
#else
	typedef Elf32_Phdr phdr_t;
#endif
	const phdr_t *ph = (const phdr_t *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM), page = getauxval(AT_PAGESZ);
	if (ph == NULL || page == 0)
		return;
	// Addresses in the program headers are the link-time ones; a
	// position-independent build is loaded elsewhere.
	uintptr_t bias = 0, relro_end = 0;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	// The start of the writable segment that the C library made read-only
	// after relocation (RELRO) refuses a populate for writing, which
	// would end the call there.
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_GNU_RELRO)
			relro_end = (bias + ph[i].p_vaddr + ph[i].p_memsz) & ~(uintptr_t)(page - 1);
	for (unsigned long i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uintptr_t start = (bias + ph[i].p_vaddr) & ~(uintptr_t)(page - 1);
		uintptr_t end = bias + ph[i].p_vaddr + ph[i].p_memsz;
		if (!(ph[i].p_flags & PF_W)) {
			(void)madvise((void *)start, end - start, MADV_POPULATE_READ);
			continue;
		}
		if (relro_end > start && relro_end < end)
			start = relro_end;
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
}

// needs_child says whether stage 0 must fork for the namespaces it has
// created or joined to apply: PID and time namespaces take only children.
static int needs_child(const struct bootstrap *b)
{
	const uint32_t children_only = CLONE_NEWPID | CLONE_NEWTIME;
	if (b->clone_flags & children_only)
		return 1;
	for (int i = 0; i < b->njoin; i++)
		if (b->join[i].flag & children_only)
			return 1;
	return 0;
}

// become_stage1 turns the process in the container's namespaces into stage
// 1: it returns to start stage 1's Go runtime, or runs the finisher.
static void become_stage1(struct bootstrap *b)
{
	if (b->keyring != NULL)
		join_keyring(b->keyring);
#ifdef OCIRUN_EXEC_BINARY
	if (b->built)
		finish_built(b);
#endif
	if (b->exec_plan == NULL) {
		// Stage 1's Go runtime starts now. Its monitor thread
		// (sysmon), which the runtime creates before any of our
		// Go code runs and which inherits this thread's timer
		// slack, wakes every 20 us while any goroutine runs or
		// waits in a system call: with a coarse slack the kernel
		// may let it sleep longer. Stage 1's main thread puts
		// back the slack it inherited (its default) as soon as
		// Go code runs, so hooks and the container's process
		// inherit that one (cmd/ocirun-init). A refusal costs
		// only the wake-ups.
		(void)prctl(PR_SET_TIMERSLACK, OCIRUN_STAGE1_TIMER_SLACK_NS, 0, 0, 0);
		prefault_binary();
		return;
	}
#ifdef OCIRUN_EXEC_BINARY
	// An exec that needs no Go: it is in the cgroups and in every
	// namespace, so the finisher runs at once.
	ocirun_finish(b->exec_plan, b->exec_plan_len, sync_fd, -1);
#endif
}

void ocirun_nsenter(void)
{
	const char *env = getenv(OCIRUN_SYNC_FD_ENV);
	if (env == NULL)
		return;
	char *end;
	long fd = strtol(env, &end, 10);
	if (*env == 0 || *end != 0 || fd < 3 || fd > 1 << 20) {
		fprintf(stderr, "ocirun init: bad _OCIRUN_SYNC_FD %s\n", env);
		_exit(1);
	}
	sync_fd = (int)fd;

	// A process of ours that a container can see must not be dumpable, or
	// the container could open /proc/<pid>/exe and reach the init binary.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		ocirun_bail("nsenter: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	// The runtime started us through /proc/self/fd/N, which would be our
	// name in ps.
	(void)prctl(PR_SET_NAME, "ocirun-init", 0, 0, 0);

	// The Go runtime of stage 1 raises its soft open-file limit; before the
	// finisher's exec, stage 1 puts back the one the process would inherit.
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)nofile.rlim_cur);
		setenv(OCIRUN_NOFILE_ENV, buf, 1);
	}

	uint32_t len;
	uint8_t *payload = recv_msg(MSG_BOOTSTRAP, &len);
	struct bootstrap b;
	parse_bootstrap(payload, len, &b);
	// The affinity the process starts with, set before the cgroup join,
	// where the runtime-spec places execCPUAffinity.initial; without one,
	// every CPU (see initproto.Bootstrap).
	set_cpu_affinity(b.cpus_initial, b.cpus_initial_len,
			 b.cpus_initial != NULL ? "process.execCPUAffinity.initial" : "reset the CPU affinity to all CPUs");
	join_cgroups(&b);
	if (b.cpus_final != NULL)
		set_cpu_affinity(b.cpus_final, b.cpus_final_len, "process.execCPUAffinity.final");
	if (b.has_mem_policy)
		set_mem_policy(&b);
	join_namespaces(&b);
	create_namespaces(&b);

	// New PID and time namespaces, and joined ones, apply only to
	// children: only then does stage 0 fork, and the child is stage 1.
	// Otherwise (no such namespace, or a PID namespace the runtime created
	// when it cloned this process) stage 0 becomes stage 1 itself, which
	// spares a process's fork and end in every create; it tells the
	// runtime so with pid 0.
	if (!needs_child(&b)) {
		uint8_t self[4] = {0, 0, 0, 0};
		send_msg(MSG_STAGE1_PID, self, sizeof(self));
		become_stage1(&b);
		return;
	}
	// The runtime is a child subreaper, so the child is reparented to it
	// as soon as this process exits.
	// The child shares the sync socket and may fail at once (an exec plan
	// whose program is missing); it writes nothing until MsgStage1Pid is
	// out, which it learns from EOF on this pipe, so the runtime always
	// reads the pid first and whole.
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		ocirun_bail("nsenter: pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		ocirun_bail("fork into the container's namespaces: %s", strerror(errno));
	if (pid == 0) {
		close(gate[1]);
		char c;
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		close(gate[0]);
		become_stage1(&b);
		return;
	}
	uint8_t p[4] = {pid & 0xff, (pid >> 8) & 0xff, (pid >> 16) & 0xff, (pid >> 24) & 0xff};
	send_msg(MSG_STAGE1_PID, p, sizeof(p));
	close(gate[1]);
	_exit(0);
}
