package containerinit

import (
	"fmt"
	"strconv"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/lsm"
)

var rlimitNames = map[int]string{
	unix.RLIMIT_AS: "RLIMIT_AS", unix.RLIMIT_CORE: "RLIMIT_CORE", unix.RLIMIT_CPU: "RLIMIT_CPU",
	unix.RLIMIT_DATA: "RLIMIT_DATA", unix.RLIMIT_FSIZE: "RLIMIT_FSIZE", unix.RLIMIT_LOCKS: "RLIMIT_LOCKS",
	unix.RLIMIT_MEMLOCK: "RLIMIT_MEMLOCK", unix.RLIMIT_MSGQUEUE: "RLIMIT_MSGQUEUE", unix.RLIMIT_NICE: "RLIMIT_NICE",
	unix.RLIMIT_NOFILE: "RLIMIT_NOFILE", unix.RLIMIT_NPROC: "RLIMIT_NPROC", unix.RLIMIT_RSS: "RLIMIT_RSS",
	unix.RLIMIT_RTPRIO: "RLIMIT_RTPRIO", unix.RLIMIT_RTTIME: "RLIMIT_RTTIME", unix.RLIMIT_SIGPENDING: "RLIMIT_SIGPENDING",
	unix.RLIMIT_STACK: "RLIMIT_STACK",
}

func rlimitName(t int) string {
	if n, ok := rlimitNames[t]; ok {
		return n
	}
	return "rlimit " + strconv.Itoa(t)
}

// applyScheduling applies process.scheduler and process.ioPriority.
func applyScheduling(proc *configs.Process) error {
	if s := proc.Scheduler; s != nil {
		attr := &unix.SchedAttr{
			Size:     unix.SizeofSchedAttr,
			Policy:   uint32(s.Policy),
			Flags:    s.Flags,
			Nice:     s.Nice,
			Priority: uint32(s.Priority),
			Runtime:  s.Runtime,
			Deadline: s.Deadline,
			Period:   s.Period,
		}
		if err := unix.SchedSetAttr(0, attr, 0); err != nil {
			return fmt.Errorf("set process.scheduler (policy %d): %w", s.Policy, err)
		}
	}
	if p := proc.IOPriority; p != nil {
		const ioprioWhoProcess, ioprioClassShift = 1, 13
		prio := uintptr(p.Class<<ioprioClassShift | p.Priority)
		if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, prio); errno != 0 {
			return fmt.Errorf("set process.ioPriority (class %d, priority %d): %w", p.Class, p.Priority, errno)
		}
	}
	return nil
}

// checkLSMs refuses labels and profiles the host cannot apply: running the
// container without the confinement it asked for would be a silent
// downgrade.
func checkLSMs(cfg *configs.Config, proc *configs.Process) error {
	if proc.ApparmorProfile != "" && !lsm.AppArmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", proc.ApparmorProfile)
	}
	if proc.SelinuxLabel != "" && !lsm.SELinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", proc.SelinuxLabel)
	}
	if cfg.MountLabel != "" && !lsm.SELinuxEnabled() {
		return fmt.Errorf("linux.mountLabel %q: SELinux is not enabled on this host", cfg.MountLabel)
	}
	return nil
}

// applyLSM sets the AppArmor profile or SELinux label for the coming exec.
// Both are written to this thread's attr/exec, the thread that execs. The
// /sys the checks read is the container's by now, so it only explains a
// write that failed; a container's init was checked against the host's
// (checkLSMs).
func applyLSM(proc *configs.Process) error {
	if proc.ApparmorProfile != "" {
		if err := writeAttr("apparmor/exec", "exec "+proc.ApparmorProfile); err != nil {
			if !lsm.AppArmorEnabled() {
				return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host (%w)", proc.ApparmorProfile, err)
			}
			return fmt.Errorf("process.apparmorProfile %q: %w", proc.ApparmorProfile, err)
		}
	}
	if proc.SelinuxLabel != "" {
		if err := writeAttr("exec", proc.SelinuxLabel); err != nil {
			if !lsm.SELinuxEnabled() {
				return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host (%w)", proc.SelinuxLabel, err)
			}
			return fmt.Errorf("process.selinuxLabel %q: %w", proc.SelinuxLabel, err)
		}
	}
	return nil
}

// writeAttr writes an LSM attribute of the calling thread through a private
// procfs handle (pathrs-lite), never through the container's /proc: a mount
// the container placed over /proc/self/attr/... would otherwise receive the
// write (the CVE-2025-52881 class).
func writeAttr(attr, value string) error {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return fmt.Errorf("open a procfs handle: %w", err)
	}
	defer proc.Close()
	h, closer, err := proc.OpenThreadSelf("attr/" + attr)
	if err != nil {
		return fmt.Errorf("open attr/%s: %w", attr, err)
	}
	defer closer()
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open attr/%s for writing: %w", attr, err)
	}
	defer f.Close()
	if _, err := f.WriteString(value); err != nil {
		return fmt.Errorf("write attr/%s: %w", attr, err)
	}
	return nil
}
