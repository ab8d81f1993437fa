package containerinit

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// canHandOff says whether the created container can wait for start in the
// C waiter rather than in this Go process. It cannot when something must
// still happen in Go after start: startContainer hooks, or an LSM label,
// which the kernel would apply to the waiter's own exec. The waiter is
// also reached through the container's /proc: /proc/self/exe is still the
// read-only mount of the runtime binary the runtime started us from.
func canHandOff(cfg *configs.Config, proc *configs.Process) bool {
	if cfg.Hooks != nil && len(cfg.Hooks.StartContainer) > 0 {
		return false
	}
	if proc.ApparmorProfile != "" || proc.SelinuxLabel != "" {
		return false
	}
	_, err := os.Stat("/proc/self/exe")
	return err == nil
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
	f := os.NewFile(uintptr(fd), "wait-plan")
	if _, err := f.Write(plan.Encode()); err != nil {
		f.Close()
		return -1, fmt.Errorf("write the start waiter's plan: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return -1, fmt.Errorf("seal the start waiter's plan: %w", err)
	}
	return fd, nil
}

// execWaiter replaces this process with the C start waiter. It returns
// only if the exec fails.
func execWaiter(startFd, planFd int) error {
	for _, fd := range []int{startFd, planFd} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("pass fd %d to the start waiter: %w", fd, err)
		}
	}
	env := []string{initproto.WaitEnv + "=" + strconv.Itoa(startFd) + "," + strconv.Itoa(planFd)}
	return syscall.Exec("/proc/self/exe", []string{"ocirun", "init"}, env)
}
