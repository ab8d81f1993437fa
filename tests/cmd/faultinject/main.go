// Command faultinject runs a program under ptrace and hurts it at one
// chosen point, for the fault tests (tests/faults):
//
//	faultinject -count CMD...            run CMD, print how many syscalls it made
//	faultinject -kill N CMD...           SIGKILL CMD at its N-th syscall entry
//	faultinject -fail NAME:ERRNO:N CMD...  make the N-th NAME syscall fail with ERRNO
//
// Syscalls are counted over all threads of CMD, in the order the tracer
// sees them, so a point names one moment of a multi-threaded Go program
// (strace's inject counts per thread and per syscall). Only CMD's own
// threads are traced: the processes it forks run untouched.
//
// With -orphans FILE, the tracer is a child subreaper, and once CMD has
// exited it writes the processes it adopted meanwhile (CMD's descendants
// that outlived it: a container's init, or what a killed runtime left) to
// FILE, one "pid starttime" per line, so the test can check they are gone
// after "delete --force". It exits with CMD's exit code, 137 if killed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

var syscallNumbers = map[string]uint64{
	"mount": unix.SYS_MOUNT, "write": unix.SYS_WRITE, "openat": unix.SYS_OPENAT,
	"clone3": unix.SYS_CLONE3, "clone": unix.SYS_CLONE, "mkdirat": unix.SYS_MKDIRAT,
	"renameat": unix.SYS_RENAMEAT, "renameat2": unix.SYS_RENAMEAT2, "fsync": unix.SYS_FSYNC,
	"read": unix.SYS_READ, "unlinkat": unix.SYS_UNLINKAT, "pidfd_open": unix.SYS_PIDFD_OPEN,
}

var errnos = map[string]unix.Errno{
	"EIO": unix.EIO, "ENOSPC": unix.ENOSPC, "EMFILE": unix.EMFILE, "EAGAIN": unix.EAGAIN,
	"ENOMEM": unix.ENOMEM, "EPERM": unix.EPERM, "EINTR": unix.EINTR,
}

func main() {
	count := flag.Bool("count", false, "print the number of syscalls")
	killAt := flag.Int("kill", 0, "SIGKILL the program at this syscall (1 = the first)")
	fail := flag.String("fail", "", "NAME:ERRNO:N: the N-th NAME syscall fails with ERRNO")
	orphans := flag.String("orphans", "", "write the adopted processes left at the end to this file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: faultinject [-count|-kill N|-fail NAME:ERRNO:N] [-orphans FILE] CMD...")
		os.Exit(2)
	}
	var failNr uint64
	var failErr unix.Errno
	failAt := 0
	if *fail != "" {
		f := strings.Split(*fail, ":")
		if len(f) != 3 {
			f = []string{"", "", ""}
		}
		nr, ok1 := syscallNumbers[f[0]]
		e, ok2 := errnos[f[1]]
		n, err := strconv.Atoi(f[2])
		if !ok1 || !ok2 || err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "faultinject: bad -fail %q\n", *fail)
			os.Exit(2)
		}
		failNr, failErr, failAt = nr, e, n
	}
	if *orphans != "" {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "faultinject:", err)
			os.Exit(2)
		}
	}

	// Every ptrace request must come from the thread that attached.
	runtime.LockOSThread()
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "faultinject:", err)
		os.Exit(2)
	}
	leader := cmd.Process.Pid
	code := trace(leader, *killAt, failNr, failErr, failAt, *count)
	if *orphans != "" {
		writeOrphans(*orphans)
	}
	os.Exit(code)
}

type thread struct {
	inSyscall bool
	injected  bool // this syscall was skipped: set its return value on exit
}

func trace(leader, killAt int, failNr uint64, failErr unix.Errno, failAt int, count bool) int {
	threads := map[int]*thread{}
	var ws unix.WaitStatus
	// The first stop is the SIGTRAP of the exec.
	if _, err := unix.Wait4(leader, &ws, unix.WALL, nil); err != nil {
		fmt.Fprintln(os.Stderr, "faultinject: wait:", err)
		return 2
	}
	opts := unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_EXITKILL
	if err := unix.PtraceSetOptions(leader, opts); err != nil {
		fmt.Fprintln(os.Stderr, "faultinject: set options:", err)
		return 2
	}
	threads[leader] = &thread{}
	unix.PtraceSyscall(leader, 0)
	calls, matched := 0, 0
	killed := false
	for {
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "faultinject: wait:", err)
			return 2
		}
		t := threads[tid]
		if ws.Exited() || ws.Signaled() {
			delete(threads, tid)
			if tid != leader {
				continue
			}
			if count {
				fmt.Fprintln(os.Stderr, "faultinject: syscalls:", calls)
			}
			if killed || ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
		if !ws.Stopped() {
			continue
		}
		if t == nil {
			// A new clone: a thread of the program stays traced, a new
			// process (TRACECLONE follows both) is let go.
			if tgid(tid) != leader {
				unix.PtraceDetach(tid)
				continue
			}
			t = &thread{}
			threads[tid] = t
			if ws.StopSignal() == unix.SIGSTOP {
				unix.PtraceSyscall(tid, 0)
				continue
			}
		}
		sig := ws.StopSignal()
		switch {
		case sig == unix.SIGTRAP|0x80:
			if !t.inSyscall {
				t.inSyscall = true
				calls++
				if killAt > 0 && calls == killAt && !killed {
					killed = true
					unix.Kill(leader, unix.SIGKILL)
				}
				if failAt > 0 {
					var regs unix.PtraceRegs
					if unix.PtraceGetRegs(tid, &regs) == nil && regs.Orig_rax == failNr {
						matched++
						if matched == failAt {
							regs.Orig_rax = ^uint64(0) // skip the call
							unix.PtraceSetRegs(tid, &regs)
							t.injected = true
						}
					}
				}
			} else {
				t.inSyscall = false
				if t.injected {
					t.injected = false
					var regs unix.PtraceRegs
					if unix.PtraceGetRegs(tid, &regs) == nil {
						regs.Rax = uint64(-int64(failErr))
						unix.PtraceSetRegs(tid, &regs)
					}
				}
			}
			unix.PtraceSyscall(tid, 0)
		case sig == unix.SIGTRAP && ws.TrapCause() > 0:
			// An event stop (clone): the new thread reports itself.
			unix.PtraceSyscall(tid, 0)
		default:
			// A signal for the program: deliver it.
			unix.PtraceSyscall(tid, int(sig))
		}
	}
}

// tgid is the thread group of tid, from /proc.
func tgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("Tgid:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return -1
}

// writeOrphans lists our remaining children: what the program left.
func writeOrphans(path string) {
	self := strconv.Itoa(os.Getpid())
	var out strings.Builder
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 19 && f[1] == self {
			fmt.Fprintf(&out, "%s %s\n", filepath.Base(filepath.Dir(p)), f[19])
		}
	}
	os.WriteFile(path, []byte(out.String()), 0o644)
}
