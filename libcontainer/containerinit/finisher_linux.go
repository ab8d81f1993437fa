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
)

// finisherExe is the runtime's handle on ocirun-exec (a read-only detached
// mount, InitConfig.FinisherFd), which stage 1 executes as the finisher.
// It is close-on-exec, so it reaches neither the finisher nor the process.
var finisherExe = -1

func takeFinisherExe(fd int) error {
	if fd < 0 {
		return errors.New("sync protocol: no finisher binary was passed")
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("finisher binary (fd %d): %w", fd, err)
	}
	finisherExe = fd
	return nil
}

// writePlan writes the encoded plan into a sealed memfd, whose fd is
// returned.
func writePlan(p *initproto.Plan) (int, error) {
	fd, err := unix.MemfdCreate("ocirun-plan", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("create the process's plan: %w", err)
	}
	data := p.Encode()
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("write the process's plan: %w", err)
		}
		data = data[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("seal the process's plan: %w", err)
	}
	return fd, nil
}

// execFinisher replaces this process with the finisher (ocirun-exec), which
// applies p and execs the process. Errors go to syncFd; with listenFd >= 0
// the finisher waits for start on it first. It returns only if the exec
// fails.
func execFinisher(p *initproto.Plan, syncFd, listenFd int, proc *configs.Process) error {
	planFd, err := writePlan(p)
	if err != nil {
		return err
	}
	for _, fd := range []int{planFd, syncFd, listenFd} {
		if fd < 0 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("pass fd %d to the finisher: %w", fd, err)
		}
	}
	restoreNofile(proc)
	argv, err := syscall.SlicePtrFromStrings([]string{initproto.ExecBinary})
	if err != nil {
		return err
	}
	env := initproto.FinishEnv + "=" + strconv.Itoa(planFd) + "," + strconv.Itoa(syncFd) + "," + strconv.Itoa(listenFd)
	envv, err := syscall.SlicePtrFromStrings([]string{env})
	if err != nil {
		return err
	}
	empty, _ := syscall.BytePtrFromString("")
	_, _, errno := unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(finisherExe), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return fmt.Errorf("exec the finisher: %w", errno)
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
