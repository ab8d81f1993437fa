// ocirun-exec is the C of package nsenter (nsenter.c, exec.c, waiter.c) as
// a program of its own, linked statically against musl: stage 0 of "ocirun
// exec" when the process needs nothing of Go (an exec plan, see package
// initproto), and the start waiter that holds a created container. It starts in some 60 us, where ocirun-init, a static glibc and Go
// binary, spends over a millisecond before its constructor runs: glibc's
// start-up probes the CPU caches with about a hundred cpuid instructions,
// each of which traps to the hypervisor on a virtual machine. Kubernetes
// probes run exec over and over.
//
// The runtime starts it as stage 0 only with a bootstrap that carries an
// exec plan; stage 0's child applies the plan and execs the process, so
// ocirun_nsenter returns only when something is wrong. Stage 1 of create
// executes it as the waiter ($_OCIRUN_WAIT), which execs the user process.
// Without a Go runtime and glibc the waiter also holds less memory.
#include <stdio.h>

#include "nsenter.h"

extern void ocirun_waiter(void);
extern void ocirun_nsenter(void);

int main(void)
{
	ocirun_waiter();  // returns unless this process is a start waiter
	ocirun_nsenter(); // returns unless this process is stage 0
	fprintf(stderr, "ocirun-exec: not started by ocirun as an exec or a start waiter\n");
	return 2;
}
