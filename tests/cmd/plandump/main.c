// plandump decodes an initproto.Plan from stdin with the finisher's own
// decoder (cmd/ocirun-exec/plan.c) and prints every field, one per line,
// for TestPlanThroughTheCDecoder in package initproto.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "plan.h"

int main(void)
{
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	struct plan pl;
	char err[256];
	if (plan_parse(buf, (uint32_t)len, &pl, err, sizeof(err)) < 0) {
		printf("error %s\n", err);
		return 0;
	}
	for (size_t i = 0; i < pl.nargs; i++)
		printf("arg %s\n", pl.argv[i]);
	for (size_t i = 0; i < pl.nenv; i++)
		printf("env %s\n", pl.envp[i]);
	printf("cwd %s\n", pl.cwd);
	printf("user %" PRIu32 " %" PRIu32 " %#" PRIo32 "\n", pl.uid, pl.gid, pl.umask);
	for (size_t i = 0; i < pl.ngroups; i++)
		printf("group %u\n", (unsigned)pl.groups[i]);
	if (pl.have_caps)
		printf("caps %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 "\n", pl.bounding, pl.effective,
		       pl.permitted, pl.inheritable, pl.ambient);
	printf("no_new_privs %d\n", pl.no_new_privs);
	if (pl.have_personality)
		printf("personality %" PRIu32 "\n", pl.personality);
	for (size_t i = 0; i < pl.nrlimits; i++)
		printf("rlimit %d %" PRIu64 " %" PRIu64 "\n", pl.rlimits[i].resource, pl.rlimits[i].soft, pl.rlimits[i].hard);
	if (pl.prog.filter != NULL) {
		printf("seccomp %u", (unsigned)pl.prog.len);
		for (unsigned i = 0; i < pl.prog.len; i++)
			printf(" %u/%u/%u/%u", pl.prog.filter[i].code, pl.prog.filter[i].jt, pl.prog.filter[i].jf,
			       pl.prog.filter[i].k);
		printf(" flags %" PRIu32 "\n", pl.seccomp_flags);
	}
	printf("preserve_fds %" PRIu32 "\n", pl.preserve_fds);
	if (pl.have_sched)
		printf("sched %" PRIu32 " %" PRIu64 " %" PRId32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       pl.sched.policy, pl.sched.flags, pl.sched.nice, pl.sched.priority, pl.sched.runtime,
		       pl.sched.deadline, pl.sched.period);
	if (pl.have_ioprio)
		printf("ioprio %" PRIu32 "\n", pl.ioprio);
	if (pl.apparmor != NULL)
		printf("apparmor %s\n", pl.apparmor);
	if (pl.selinux != NULL)
		printf("selinux %s\n", pl.selinux);
	return 0;
}
