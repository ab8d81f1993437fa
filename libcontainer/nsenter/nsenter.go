// Package nsenter holds the parts of the container init that must run
// before the Go runtime starts (see package initproto for the protocol):
// stage 0, and the start waiter. Importing it for side effects links a C
// constructor into the binary (cmd/ocirun-init); the constructor does
// nothing unless $_OCIRUN_SYNC_FD (stage 0) or $_OCIRUN_WAIT (the waiter)
// is set.
//
// Why C: joining a user or mount namespace with setns(2) requires a
// single-threaded caller, and a Go program is multi-threaded before main
// runs. A constructor runs before the Go runtime starts any thread, so it can
// join namespaces by path (pods share network, ipc and uts namespaces this
// way; exec joins all of them), create the new ones, and fork so that the
// child starts its Go runtime already inside the new PID and time
// namespaces. Everything else happens in Go, in stage 1. The C code is kept
// to exactly what cannot be done from Go.
//
// The waiter (waiter.c) is C for another reason: it is all a created
// container's init does until "ocirun start", and without a Go runtime it
// holds a few hundred kilobytes instead of several megabytes. The exec plan
// (exec.c) is C for speed: an exec'd process that needs no terminal, LSM
// label or scheduling policy is set up by stage 0's child directly, which
// spares every exec (Kubernetes probes run many) a Go runtime start and a
// decode of the container's config inside the container. For such an exec,
// and as the waiter, the C files run as a program of their own
// (cmd/ocirun-exec), without Go and glibc, which start slowly and hold more
// memory; linked into the init binary they serve the other cases.
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -O2
extern void ocirun_waiter(void);
extern void ocirun_nsenter(void);
void __attribute__((constructor)) ocirun_nsenter_init(void)
{
	ocirun_waiter();  // returns unless this process is a start waiter
	ocirun_nsenter(); // returns unless this process is stage 0
}
*/
import "C"
