// The decoder of an initproto.Plan. It is apart from the finisher so that a
// test program (tests/cmd/plandump) can check it against the Go encoder.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsenter.h"
#include "plan.h"

static char *dup_value(const uint8_t *v, uint32_t n)
{
	return strndup((const char *)v, n);
}

static const uint32_t fixed_len[] = {
	[OCIRUN_ATTR_PLAN_USER] = OCIRUN_LEN_PLAN_USER,
	[OCIRUN_ATTR_PLAN_GROUP] = OCIRUN_LEN_PLAN_GROUP,
	[OCIRUN_ATTR_PLAN_CAPS] = OCIRUN_LEN_PLAN_CAPS,
	[OCIRUN_ATTR_PLAN_PERSONALITY] = OCIRUN_LEN_PLAN_PERSONALITY,
	[OCIRUN_ATTR_PLAN_RLIMIT] = OCIRUN_LEN_PLAN_RLIMIT,
	[OCIRUN_ATTR_PLAN_SECCOMP_FL] = OCIRUN_LEN_PLAN_SECCOMP_FL,
	[OCIRUN_ATTR_PLAN_PRESERVE_FDS] = OCIRUN_LEN_PLAN_PRESERVE_FDS,
	[OCIRUN_ATTR_PLAN_SCHEDULER] = OCIRUN_LEN_PLAN_SCHEDULER,
	[OCIRUN_ATTR_PLAN_IO_PRIORITY] = OCIRUN_LEN_PLAN_IO_PRIORITY,
};

int plan_parse(const uint8_t *p, uint32_t len, struct plan *pl, char *err, size_t errlen)
{
	uint32_t off = 0;
	memset(pl, 0, sizeof(*pl));
	pl->umask = 022;
	// Every attribute takes at least a header: that bounds the lists.
	size_t most = len / OCIRUN_LEN_ATTR_HEADER + 1;
	pl->argv = calloc(most, sizeof(char *));
	pl->envp = calloc(most + 1, sizeof(char *)); // + HOME
	pl->groups = calloc(most, sizeof(gid_t));
	if (pl->argv == NULL || pl->envp == NULL || pl->groups == NULL)
		goto oom;
	uint16_t type;
	const uint8_t *v;
	uint32_t n;
	int more;
	while ((more = ocirun_next_attr(p, len, &off, &type, &v, &n)) != 0) {
		if (more < 0) {
			snprintf(err, errlen, "plan: truncated attribute");
			return -1;
		}
		if ((type < sizeof(fixed_len) / sizeof(fixed_len[0]) && fixed_len[type] != 0 && n != fixed_len[type]) ||
		    (type == OCIRUN_ATTR_PLAN_NO_NEW_PRIVS && n != OCIRUN_LEN_PLAN_NO_NEW_PRIVS)) {
			snprintf(err, errlen, "plan: attribute %u has a bad length %u", type, n);
			return -1;
		}
		switch (type) {
		case OCIRUN_ATTR_PLAN_ARG:
			if ((pl->argv[pl->nargs++] = dup_value(v, n)) == NULL)
				goto oom;
			break;
		case OCIRUN_ATTR_PLAN_ENV:
			if ((pl->envp[pl->nenv++] = dup_value(v, n)) == NULL)
				goto oom;
			break;
		case OCIRUN_ATTR_PLAN_CWD:
			if ((pl->cwd = dup_value(v, n)) == NULL)
				goto oom;
			break;
		case OCIRUN_ATTR_PLAN_USER:
			pl->uid = ocirun_u32(v);
			pl->gid = ocirun_u32(v + 4);
			pl->umask = ocirun_u32(v + 8);
			break;
		case OCIRUN_ATTR_PLAN_GROUP:
			pl->groups[pl->ngroups++] = (gid_t)ocirun_u32(v);
			break;
		case OCIRUN_ATTR_PLAN_CAPS:
			pl->have_caps = 1;
			pl->bounding = ocirun_u64(v);
			pl->effective = ocirun_u64(v + 8);
			pl->permitted = ocirun_u64(v + 16);
			pl->inheritable = ocirun_u64(v + 24);
			pl->ambient = ocirun_u64(v + 32);
			break;
		case OCIRUN_ATTR_PLAN_NO_NEW_PRIVS:
			pl->no_new_privs = 1;
			break;
		case OCIRUN_ATTR_PLAN_PERSONALITY:
			pl->have_personality = 1;
			pl->personality = ocirun_u32(v);
			break;
		case OCIRUN_ATTR_PLAN_RLIMIT:
			if (pl->nrlimits == RLIM_NLIMITS) {
				snprintf(err, errlen, "plan: more than %d rlimits", RLIM_NLIMITS);
				return -1;
			}
			pl->rlimits[pl->nrlimits++] = (struct plan_rlimit){
				.resource = (int)ocirun_u32(v), .soft = ocirun_u64(v + 4), .hard = ocirun_u64(v + 12)};
			break;
		case OCIRUN_ATTR_PLAN_SECCOMP:
			if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS) {
				snprintf(err, errlen, "plan: bad seccomp program of %u bytes", n);
				return -1;
			}
			pl->prog.len = (unsigned short)(n / sizeof(struct sock_filter));
			pl->prog.filter = (struct sock_filter *)v;
			break;
		case OCIRUN_ATTR_PLAN_SECCOMP_FL:
			pl->seccomp_flags = ocirun_u32(v);
			break;
		case OCIRUN_ATTR_PLAN_PRESERVE_FDS:
			pl->preserve_fds = ocirun_u32(v);
			break;
		case OCIRUN_ATTR_PLAN_SCHEDULER:
			pl->have_sched = 1;
			pl->sched.policy = ocirun_u32(v);
			pl->sched.flags = ocirun_u64(v + 4);
			pl->sched.nice = (int32_t)ocirun_u32(v + 12);
			pl->sched.priority = ocirun_u32(v + 16);
			pl->sched.runtime = ocirun_u64(v + 20);
			pl->sched.deadline = ocirun_u64(v + 28);
			pl->sched.period = ocirun_u64(v + 36);
			break;
		case OCIRUN_ATTR_PLAN_IO_PRIORITY:
			pl->have_ioprio = 1;
			pl->ioprio = ocirun_u32(v);
			break;
		case OCIRUN_ATTR_PLAN_APPARMOR:
			if ((pl->apparmor = dup_value(v, n)) == NULL)
				goto oom;
			break;
		case OCIRUN_ATTR_PLAN_SELINUX:
			if ((pl->selinux = dup_value(v, n)) == NULL)
				goto oom;
			break;
		default:
			snprintf(err, errlen, "plan: unknown attribute %u", type);
			return -1;
		}
	}
	if (pl->nargs == 0) {
		snprintf(err, errlen, "process.args must not be empty");
		return -1;
	}
	if (pl->cwd == NULL) {
		snprintf(err, errlen, "plan: no working directory");
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "plan: out of memory");
	return -1;
}
