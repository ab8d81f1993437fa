package containerinit

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
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

// applyLSM sets the AppArmor profile for the coming exec. SELinux labels are
// refused where SELinux is not enabled; a host that has it needs the label
// written to /proc/self/attr/exec, which is done the same way.
func applyLSM(proc *configs.Process) error {
	if proc.ApparmorProfile != "" {
		enabled, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled")
		if strings.TrimSpace(string(enabled)) != "Y" {
			return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", proc.ApparmorProfile)
		}
		if err := writeAttr("/proc/self/attr/apparmor/exec", "exec "+proc.ApparmorProfile); err != nil {
			return fmt.Errorf("process.apparmorProfile %q: %w", proc.ApparmorProfile, err)
		}
	}
	if proc.SelinuxLabel != "" {
		if _, err := os.Stat("/sys/fs/selinux/enforce"); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", proc.SelinuxLabel)
		}
		if err := writeAttr("/proc/self/attr/exec", proc.SelinuxLabel); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: %w", proc.SelinuxLabel, err)
		}
	}
	return nil
}

// writeAttr writes an LSM attribute after checking that the file is on a
// real procfs, so a rootfs cannot redirect the write.
func writeAttr(path, value string) error {
	f, err := os.OpenFile(path, unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return errors.New(path + " is not on a procfs")
	}
	_, err = f.WriteString(value)
	return err
}
