package containerinit

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// waiterExe is the runtime's handle on ocirun-exec (a read-only detached
// mount, InitConfig.WaiterFd), which becomes the start waiter; -1 when the
// runtime starts the container at once. It is close-on-exec, so it reaches
// neither the waiter nor the user process.
var waiterExe = -1

func takeWaiterExe(fd int) error {
	if fd < 0 {
		return nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("start waiter binary (fd %d): %w", fd, err)
	}
	waiterExe = fd
	return nil
}

// canHandOff says whether the created container can wait for start in the
// C waiter rather than in this Go process. It cannot when something must
// still happen in Go after start (startContainer hooks), when the waiter's
// own exec would be disturbed: by an LSM label, which the kernel applies
// at the next exec, or by a seccomp filter already loaded (without
// no_new_privs it had to be loaded before the uid switch, and would then
// filter the waiter's own start-up); nor when the process's user may not
// execute the waiter's binary.
func canHandOff(cfg *configs.Config, proc *configs.Process, seccompLoaded bool) bool {
	if waiterExe < 0 {
		return false
	}
	if cfg.Hooks != nil && len(cfg.Hooks.StartContainer) > 0 {
		return false
	}
	if proc.ApparmorProfile != "" || proc.SelinuxLabel != "" || seccompLoaded {
		return false
	}
	return unix.Faccessat(waiterExe, "", unix.X_OK, unix.AT_EACCESS|unix.AT_EMPTY_PATH) == nil
}

// waitPlan writes what the waiter needs into a sealed memfd, whose fd is
// returned; errors here still reach create.
func waitPlan(proc *configs.Process, exe string, late *seccomp.Filter) (int, error) {
	plan := initproto.WaitPlan{Path: exe, Args: proc.Args, Env: processEnv(proc), Rlimits: proc.Rlimits}
	if late != nil {
		prog, flags, err := late.BPF()
		if err != nil {
			return -1, err
		}
		plan.SeccompBPF, plan.SeccompFlags = prog, flags
	}
	fd, err := unix.MemfdCreate("ocirun-wait-plan", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("create the start waiter's plan: %w", err)
	}
	data := plan.Encode()
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("write the start waiter's plan: %w", err)
		}
		data = data[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("seal the start waiter's plan: %w", err)
	}
	return fd, nil
}

// execWaiter replaces this process with the C start waiter. It returns
// only if the exec fails.
func execWaiter(startFd, planFd int, proc *configs.Process) error {
	for _, fd := range []int{startFd, planFd} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("pass fd %d to the start waiter: %w", fd, err)
		}
	}
	restoreNofile(proc)
	argv, err := syscall.SlicePtrFromStrings([]string{initproto.ExecBinary})
	if err != nil {
		return err
	}
	envv, err := syscall.SlicePtrFromStrings([]string{initproto.WaitEnv + "=" + strconv.Itoa(startFd) + "," + strconv.Itoa(planFd)})
	if err != nil {
		return err
	}
	empty, _ := syscall.BytePtrFromString("")
	_, _, errno := unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(waiterExe), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return fmt.Errorf("exec the start waiter: %w", errno)
}

// restoreNofile undoes the Go runtime's own raise of the soft open-file
// limit, which syscall.Exec would undo but execveat does not, unless the
// process's rlimits set it anyway. Stage 0 saw the limit before any Go
// runtime touched it.
func restoreNofile(proc *configs.Process) {
	for _, r := range proc.Rlimits {
		if r.Type == unix.RLIMIT_NOFILE {
			return
		}
	}
	soft, err := strconv.ParseUint(os.Getenv(initproto.NofileEnv), 10, 64)
	if err != nil {
		return
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && soft <= rl.Max {
		rl.Cur = soft
		unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
	}
}
