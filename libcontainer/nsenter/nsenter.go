// Package nsenter is stage 0 of the container init (see package initproto
// for the whole protocol). Importing it for side effects links a C
// constructor into the binary; the constructor does nothing unless the
// process was started as "ocirun init" with $_OCIRUN_SYNC_FD set.
//
// Why C: joining a user or mount namespace with setns(2) requires a
// single-threaded caller, and a Go program is multi-threaded before main
// runs. A constructor runs before the Go runtime starts any thread, so it can
// join namespaces by path (pods share network, ipc and uts namespaces this
// way; exec joins all of them), create the new ones, and fork so that the
// child starts its Go runtime already inside the new PID and time
// namespaces. Everything else happens in Go, in stage 1. The C code is kept
// to exactly what cannot be done from Go.
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -O2
extern void ocirun_nsenter(void);
void __attribute__((constructor)) ocirun_nsenter_init(void) { ocirun_nsenter(); }
*/
import "C"
