// The exec plan: a process for "ocirun exec" set up and exec'd in C by
// stage 0's child, so that no Go runtime starts inside the container (see
// ExecPlan in package initproto for when, and for the plan's layout). The
// steps and their order are those of stage 1's applyProcess and finishExec
// in package containerinit, and so are the error texts: engines match them.
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum {
	ATTR_EXEC_ARG = 1,
	ATTR_EXEC_ENV = 2,
	ATTR_EXEC_CWD = 3,
	ATTR_EXEC_USER = 4,
	ATTR_EXEC_GROUP = 5,
	ATTR_EXEC_CAPS = 6,
	ATTR_EXEC_NO_NEW_PRIVS = 7,
	ATTR_EXEC_PERSONALITY = 8,
	ATTR_EXEC_RLIMIT = 9,
	ATTR_EXEC_SECCOMP = 10,
	ATTR_EXEC_SECCOMP_FL = 11,
	ATTR_EXEC_PRESERVE_FDS = 12,
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct plan {
	char **argv, **envp;
	size_t nargs, nenv;
	char *cwd;
	uint32_t uid, gid, umask;
	gid_t *groups;
	size_t ngroups;
	int have_caps;
	uint32_t last_cap;
	uint64_t bounding, effective, permitted, inheritable, ambient;
	int no_new_privs;
	int have_personality;
	uint32_t personality;
	const uint8_t *rlimits[RLIM_NLIMITS];
	size_t nrlimits;
	struct sock_fprog prog;
	uint32_t seccomp_flags;
	uint32_t preserve_fds;
};

// errtext is strerror as Go prints errno values ("no such file or
// directory"): the runtime's other paths report the same errors that way.
static const char *errtext(int err)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static char *dup_value(const uint8_t *v, uint32_t n)
{
	char *s = strndup((const char *)v, n);
	if (s == NULL)
		ocirun_bail("exec plan: out of memory");
	return s;
}

static void parse_plan(const uint8_t *p, uint32_t len, struct plan *pl)
{
	static const uint32_t fixed_len[] = {
		[ATTR_EXEC_USER] = 12, [ATTR_EXEC_GROUP] = 4, [ATTR_EXEC_CAPS] = 44,
		[ATTR_EXEC_PERSONALITY] = 4, [ATTR_EXEC_RLIMIT] = 20, [ATTR_EXEC_SECCOMP_FL] = 4,
		[ATTR_EXEC_PRESERVE_FDS] = 4,
	};
	uint32_t off = 0;
	memset(pl, 0, sizeof(*pl));
	pl->umask = 022;
	// Every attribute takes at least 6 bytes: that bounds the lists.
	pl->argv = calloc(len / 6 + 1, sizeof(char *));
	pl->envp = calloc(len / 6 + 2, sizeof(char *)); // + HOME
	pl->groups = calloc(len / 6 + 1, sizeof(gid_t));
	if (pl->argv == NULL || pl->envp == NULL || pl->groups == NULL)
		ocirun_bail("exec plan: out of memory");
	uint16_t type;
	const uint8_t *v;
	uint32_t n;
	int more;
	while ((more = ocirun_next_attr(p, len, &off, &type, &v, &n)) != 0) {
		if (more < 0)
			ocirun_bail("exec plan: truncated attribute");
		if (type < sizeof(fixed_len) / sizeof(fixed_len[0]) && fixed_len[type] != 0 && n != fixed_len[type])
			ocirun_bail("exec plan: attribute %u has a bad length %u", type, n);
		switch (type) {
		case ATTR_EXEC_ARG:
			pl->argv[pl->nargs++] = dup_value(v, n);
			break;
		case ATTR_EXEC_ENV:
			pl->envp[pl->nenv++] = dup_value(v, n);
			break;
		case ATTR_EXEC_CWD:
			pl->cwd = dup_value(v, n);
			break;
		case ATTR_EXEC_USER:
			pl->uid = ocirun_u32(v);
			pl->gid = ocirun_u32(v + 4);
			pl->umask = ocirun_u32(v + 8);
			break;
		case ATTR_EXEC_GROUP:
			pl->groups[pl->ngroups++] = (gid_t)ocirun_u32(v);
			break;
		case ATTR_EXEC_CAPS:
			pl->have_caps = 1;
			pl->last_cap = ocirun_u32(v);
			pl->bounding = ocirun_u64(v + 4);
			pl->effective = ocirun_u64(v + 12);
			pl->permitted = ocirun_u64(v + 20);
			pl->inheritable = ocirun_u64(v + 28);
			pl->ambient = ocirun_u64(v + 36);
			break;
		case ATTR_EXEC_NO_NEW_PRIVS:
			pl->no_new_privs = 1;
			break;
		case ATTR_EXEC_PERSONALITY:
			pl->have_personality = 1;
			pl->personality = ocirun_u32(v);
			break;
		case ATTR_EXEC_RLIMIT:
			if (pl->nrlimits == RLIM_NLIMITS)
				ocirun_bail("exec plan: more than %d rlimits", RLIM_NLIMITS);
			pl->rlimits[pl->nrlimits++] = v;
			break;
		case ATTR_EXEC_SECCOMP:
			if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
				ocirun_bail("exec plan: bad seccomp program of %u bytes", n);
			pl->prog.len = (unsigned short)(n / sizeof(struct sock_filter));
			pl->prog.filter = (struct sock_filter *)v;
			break;
		case ATTR_EXEC_SECCOMP_FL:
			pl->seccomp_flags = ocirun_u32(v);
			break;
		case ATTR_EXEC_PRESERVE_FDS:
			pl->preserve_fds = ocirun_u32(v);
			break;
		default:
			ocirun_bail("exec plan: unknown attribute %u", type);
		}
	}
	if (pl->nargs == 0)
		ocirun_bail("process.args must not be empty");
	if (pl->cwd == NULL)
		ocirun_bail("exec plan: no working directory");
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

// check_executable mirrors stage 1's checkExecutable: 0, or a description.
static const char *check_executable(const char *path, char *buf, size_t size)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(buf, size, "stat %s: %s", path, errtext(errno));
		return buf;
	}
	if (S_ISDIR(st.st_mode))
		return "is a directory";
	if ((st.st_mode & 0111) == 0)
		return "permission denied";
	return NULL;
}

// look_path resolves argv[0] like execvp, in the container's filesystem and
// with the process's PATH.
static char *look_path(struct plan *pl)
{
	const char *name = pl->argv[0];
	char why[PATH_MAX + 64];
	if (strchr(name, '/') != NULL) {
		const char *err = check_executable(name, why, sizeof(why));
		if (err != NULL)
			ocirun_bail("exec: \"%s\": %s", name, err);
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
			ocirun_bail("exec plan: out of memory");
		if (check_executable(candidate, why, sizeof(why)) == NULL)
			return candidate;
		free(candidate);
		if (*end == 0)
			break;
		dir = end + 1;
	}
	ocirun_bail("exec: \"%s\": executable file not found in $PATH", name);
}

// add_home appends HOME from the container's /etc/passwd when the process
// has none, as runc and docker do.
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
		ocirun_bail("exec plan: out of memory");
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
		int res = (int)ocirun_u32(pl->rlimits[i]);
		struct rlimit rl = {.rlim_cur = ocirun_u64(pl->rlimits[i] + 4), .rlim_max = ocirun_u64(pl->rlimits[i] + 12)};
		struct rlimit cur;
		if (only_raised) {
			if (getrlimit(res, &cur) < 0)
				ocirun_bail("get rlimit %s: %s", rlimit_name(res), errtext(errno));
			if (rl.rlim_max <= cur.rlim_max)
				continue;
		}
		if (setrlimit(res, &rl) < 0)
			ocirun_bail("set rlimit %s to soft %llu, hard %llu: %s", rlimit_name(res),
				    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, errtext(errno));
	}
}

static void load_seccomp(struct plan *pl)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, pl->seccomp_flags, &pl->prog) < 0)
		ocirun_bail("load seccomp filter: %s", errtext(errno));
}

static void drop_bounding(struct plan *pl)
{
	for (uint32_t c = 0; c <= pl->last_cap && c < 64; c++) {
		if (pl->bounding & (1ULL << c))
			continue;
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0)
			ocirun_bail("read capability %u from the bounding set: %s", c, errtext(errno));
		if (in == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			ocirun_bail("drop capability %u from the bounding set: %s", c, errtext(errno));
	}
}

static void switch_user(struct plan *pl)
{
	if (pl->have_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		ocirun_bail("set keep-capabilities to true: %s", errtext(errno));
	// setgroups is refused in a user namespace whose setgroups file says
	// "deny"; then only an empty list is acceptable.
	if (syscall(SYS_setgroups, pl->ngroups, pl->groups) < 0 && !(errno == EPERM && pl->ngroups == 0))
		ocirun_bail("set additional gids: %s", errtext(errno));
	// Raw syscalls: this process has one thread, glibc's wrappers would
	// only add their all-threads broadcast.
	if (syscall(SYS_setresgid, pl->gid, pl->gid, pl->gid) < 0)
		ocirun_bail("set gid %u: %s", pl->gid, errtext(errno));
	if (syscall(SYS_setresuid, pl->uid, pl->uid, pl->uid) < 0)
		ocirun_bail("set uid %u: %s", pl->uid, errtext(errno));
	if (pl->have_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		ocirun_bail("set keep-capabilities to false: %s", errtext(errno));
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
		ocirun_bail("capset (effective %#llx, permitted %#llx, inheritable %#llx): %s",
			    (unsigned long long)pl->effective, (unsigned long long)pl->permitted,
			    (unsigned long long)pl->inheritable, errtext(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		ocirun_bail("clear the ambient capability set: %s", errtext(errno));
	for (unsigned c = 0; c < 64; c++)
		if ((pl->ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			ocirun_bail("raise ambient capability %u: %s", c, errtext(errno));
}

void ocirun_run_exec_plan(const uint8_t *p, uint32_t len)
{
	struct plan pl;
	parse_plan(p, len, &pl);

	if (setsid() < 0)
		ocirun_bail("setsid: %s", errtext(errno));
	if (chdir(pl.cwd) < 0)
		ocirun_bail("chdir to process.cwd \"%s\": %s", pl.cwd, errtext(errno));
	// A cwd like /proc/self/fd/N reaches whatever fd N is; the kernel
	// reports one outside our root without a leading "/" (CVE-2024-21626).
	char cwd[PATH_MAX];
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0 || cwd[0] != '/')
		ocirun_bail("process.cwd \"%s\" is not inside the container's root: %s", pl.cwd, errtext(ENOENT));
	char *path = look_path(&pl);
	add_home(&pl);

	set_rlimits(&pl, 1);
	if (pl.have_personality && personality(pl.personality) < 0)
		ocirun_bail("set linux.personality %#x: %s", pl.personality, errtext(errno));
	// Only stdio and the preserved fds reach the process.
	if (syscall(SYS_close_range, 3 + pl.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		ocirun_bail("mark fds from %u close-on-exec: %s", 3 + pl.preserve_fds, errtext(errno));
	umask((mode_t)pl.umask);
	if (pl.have_caps)
		drop_bounding(&pl);
	if (pl.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ocirun_bail("set no_new_privs: %s", errtext(errno));
	// Without no_new_privs loading a filter needs CAP_SYS_ADMIN, which the
	// uid switch may take away.
	if (pl.prog.filter != NULL && !pl.no_new_privs)
		load_seccomp(&pl);
	switch_user(&pl);
	if (pl.have_caps)
		set_caps(&pl);
	if (chdir(pl.cwd) < 0)
		ocirun_bail("chdir to process.cwd \"%s\" as uid %u: %s", pl.cwd, pl.uid, errtext(errno));
	set_rlimits(&pl, 0);
	if (pl.prog.filter != NULL && pl.no_new_privs)
		load_seccomp(&pl);
	execve(path, pl.argv, pl.envp);
	ocirun_bail("exec \"%s\": %s", pl.argv[0], errtext(errno));
}
