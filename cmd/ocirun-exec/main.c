// ocirun-exec is stage 0 of "ocirun exec" when the process needs nothing
// of Go (an exec plan, see package initproto): the C of package nsenter
// (nsenter.c, exec.c) as a program of its own, linked statically against
// musl. It starts in some 60 us, where ocirun-init, a static glibc and Go
// binary, spends over a millisecond before its constructor runs: glibc's
// start-up probes the CPU caches with about a hundred cpuid instructions,
// each of which traps to the hypervisor on a virtual machine. Kubernetes
// probes run exec over and over.
//
// The runtime starts it only with a bootstrap that carries an exec plan;
// stage 0's child applies the plan and execs the process, so
// ocirun_nsenter returns only when something is wrong.
#include <stdio.h>

#include "nsenter.h"

extern void ocirun_nsenter(void);

int main(void)
{
	ocirun_nsenter();
	fprintf(stderr, "ocirun-exec: started without an exec plan; only ocirun exec starts it\n");
	return 2;
}
