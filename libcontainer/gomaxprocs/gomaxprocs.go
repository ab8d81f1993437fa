// Package gomaxprocs gives the command line one P: importing it is all a
// binary has to do.
//
// A runtime command is a sequence of system calls with a goroutine or two
// beside it. A second P only makes the scheduler start and wake threads to
// look for work, which cost `create` 2-3 ms of CPU and saved no wall time
// (bench/README.md).
//
// Best is a runtime that starts with one P: it reads GOMAXPROCS from the
// environment before any Go code runs. So where package prefault's ELF
// entry runs (the pure-Go binaries on amd64), the entry adds GOMAXPROCS=1
// to the environment the runtime finds on the stack, unless the variable
// is there already, and this package's init takes it out again, so that
// nothing the command starts inherits it (ocirun_gomaxprocs_env). A
// second P set up and then given up had cost the runtime's start a thread
// and some 40 page faults, and `create` moved the caches of a P. Package
// prefault's TestEntrySetsOneP checks it.
//
// Elsewhere the init gives up the second P. It does so in an init, not in
// main: the runtime then moves the caches of a P that has allocated almost
// nothing yet, which cost `create` a third as much as it did from main.
// The package imports only runtime and syscall, so its init runs among the
// first. A GOMAXPROCS in the environment, which the runtime has already
// obeyed, is left alone.
package gomaxprocs

import (
	"runtime"
	"syscall"
)

// fromEntry is set by ocirun_gomaxprocs_env when it added GOMAXPROCS=1 to
// the environment, before the runtime started.
var fromEntry bool

func init() {
	if fromEntry {
		// The runtime has read it; the command's children must not
		// see a variable their parent's user never set.
		syscall.Unsetenv("GOMAXPROCS")
		return
	}
	if _, set := syscall.Getenv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
}

// FromEntry reports whether the runtime started with one P because the
// ELF entry put GOMAXPROCS=1 into its environment.
func FromEntry() bool { return fromEntry }
