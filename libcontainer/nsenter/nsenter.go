// Package nsenter is stage 0 of the container init (see package initproto
// for the protocol and every role): C that must run before the Go runtime
// starts. Importing it for side effects links a C constructor into the
// binary (cmd/ocirun-init); the constructor does nothing unless
// $_OCIRUN_SYNC_FD is set.
//
// Why C: joining a user or mount namespace with setns(2) requires a
// single-threaded caller, and a Go program is multi-threaded before main
// runs. A constructor runs before the Go runtime starts any thread, so it can
// join namespaces by path (pods share network, ipc and uts namespaces this
// way; exec joins all of them), create the new ones, and, for PID and time
// namespaces, which only children enter, fork so that the child starts its
// Go runtime already inside them. The same nsenter.c is also compiled into
// ocirun-exec (cmd/ocirun-exec, with OCIRUN_EXEC_BINARY), where stage 1
// runs the finisher instead of a Go runtime; the init binary holds no
// finisher.
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -O2
extern void ocirun_nsenter(void);
void __attribute__((constructor)) ocirun_nsenter_init(void)
{
	ocirun_nsenter(); // returns unless this process is stage 0
}
*/
import "C"
