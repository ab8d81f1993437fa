// Package gomaxprocs gives the command line one P, from its init:
// importing it is all a binary has to do.
//
// A runtime command is a sequence of system calls with a goroutine or two
// beside it. A second P only makes the scheduler start and wake threads to
// look for work, which cost `create` 2-3 ms of CPU and saved no wall time
// (bench/README.md). The P is given up in an init, not in main: the
// runtime then moves the caches of a P that has allocated almost nothing
// yet, which cost `create` a third as much as it did from main. The
// package imports only runtime and syscall, so its init runs among the
// first. A GOMAXPROCS in the environment, which the runtime has already
// obeyed, is left alone.
package gomaxprocs

import (
	"runtime"
	"syscall"
)

func init() {
	if _, set := syscall.Getenv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
}
