// The finisher's view of an initproto.Plan (see plan.go there for the
// layout and the steps).
#ifndef OCIRUN_PLAN_H
#define OCIRUN_PLAN_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct plan_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct plan_sched {
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

struct plan {
	char **argv, **envp; // NULL-terminated; envp has room for HOME
	size_t nargs, nenv;
	char *cwd;
	uint32_t uid, gid, umask;
	gid_t *groups;
	size_t ngroups;
	int have_caps;
	uint64_t bounding, effective, permitted, inheritable, ambient;
	int no_new_privs;
	int have_personality;
	uint32_t personality;
	struct plan_rlimit rlimits[RLIM_NLIMITS];
	size_t nrlimits;
	struct sock_fprog prog; // filter points into the plan's buffer
	uint32_t seccomp_flags;
	uint32_t preserve_fds;
	int have_sched;
	struct plan_sched sched;
	int have_ioprio;
	uint32_t ioprio;
	char *apparmor, *selinux;
};

// plan_parse decodes an encoded plan into pl. It returns 0, or -1 with a
// description of what is wrong in err.
int plan_parse(const uint8_t *p, uint32_t len, struct plan *pl, char *err, size_t errlen);

#endif
