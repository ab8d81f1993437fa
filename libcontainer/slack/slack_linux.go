package slack

// Package prefault's ELF entry links this package in, and prefault's init
// must run before most packages': nothing here but runtime and syscall.
import (
	"runtime"
	"syscall"
)

// coarseNs is the slack of the command's threads, set by coarsen.
const coarseNs = 1_000_000

// inheritedNs is the slack the process started with, stored by coarsen
// when it gave the process coarseNs; 0 when the slack was left alone.
var inheritedNs uintptr

// Start calls start, which starts a process, on a thread whose timer slack
// is the one the command started with, so that the process inherits that
// slack rather than the runtime's. Go forks from the calling thread.
func Start(start func() error) error {
	if inheritedNs == 0 {
		return start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if errno := setSlack(inheritedNs); errno != 0 {
		return setError{errno}
	}
	// Failing to coarsen the thread again costs wake-ups, nothing else.
	defer setSlack(coarseNs)
	return start()
}

func setSlack(ns uintptr) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, syscall.PR_SET_TIMERSLACK, ns, 0, 0, 0, 0)
	return errno
}

type setError struct{ errno syscall.Errno }

func (e setError) Error() string {
	return "set the timer slack for a child process: " + e.errno.Error()
}

func (e setError) Unwrap() error { return e.errno }
