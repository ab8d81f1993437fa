// Command ocirun-init is the container init of ocirun: the runtime starts
// it, from a read-only mount of this file, for every container it creates
// and every process it execs (package initproto describes the protocol).
// It lives next to the ocirun binary. Nobody else runs it.
//
// It is a separate binary so that ocirun itself needs neither cgo nor
// libseccomp: every ocirun command then starts as a plain Go program,
// without the C library's start-up. This one holds what needs C: stage 0
// (package nsenter), which must run before the Go runtime starts, and
// libseccomp, which compiles seccomp filters.
//
// The Go runtime here lives for milliseconds: cgroup-aware GOMAXPROCS
// would re-read the CPU limit of the container's cgroup and update it in
// the background, for no gain.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/containerinit"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	// The heap in one huge page, before most packages allocate.
	_ "github.com/ocirun/ocirun/libcontainer/prefault"
	// Stage 0: a C constructor that runs before the
	// Go runtime starts.
	_ "github.com/ocirun/ocirun/libcontainer/nsenter"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

func init() {
	if os.Getenv(initproto.SyncFdEnv) != "" {
		// The container init applies namespaces, capabilities and the
		// like to its thread; locking in init keeps main on the process's
		// first thread, the one /proc/<pid>/ns shows to exec and hooks.
		runtime.LockOSThread()
		// Stage 0 gave this thread a coarse timer slack for the
		// runtime's monitor thread to inherit (nsenter.c); this one
		// goes back to the slack the process inherited, which hooks
		// and the container's process inherit from it in turn.
		if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "ocirun-init: reset the timer slack:", err)
			os.Exit(1)
		}
		// Its stderr is the container's, the user's terminal: should the
		// Go runtime die (a thread or memory refused), it prints its one
		// reason there, not every goroutine's stack and the registers.
		// The runtime reports the init's death in one line of its own.
		debug.SetTraceback("none")
	}
}

func main() {
	if os.Getenv(initproto.SyncFdEnv) != "" {
		containerinit.Main() // never returns
	}
	if len(os.Args) == 2 && os.Args[1] == initproto.SeccompSupportArg {
		// For "ocirun features", which has no libseccomp of its own.
		if err := json.NewEncoder(os.Stdout).Encode(seccomp.Probe()); err != nil {
			fmt.Fprintln(os.Stderr, "ocirun-init:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "ocirun-init: this is the container init of ocirun; ocirun starts it, it is not run by hand")
	os.Exit(2)
}
