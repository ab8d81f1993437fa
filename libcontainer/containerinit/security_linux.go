package containerinit

import (
	"fmt"
	"os"
	"strings"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// apparmorEnabled and selinuxEnabled tell whether the host has the LSM.
// They read /sys, so for a container's init they are asked before
// pivot_root, while /sys is the host's.
func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.TrimSpace(string(b)) == "Y"
}

func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// checkLSMs refuses labels and profiles the host cannot apply: running the
// container without the confinement it asked for would be a silent
// downgrade.
func checkLSMs(cfg *configs.Config, proc *configs.Process) error {
	if proc.ApparmorProfile != "" && !apparmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", proc.ApparmorProfile)
	}
	if proc.SelinuxLabel != "" && !selinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", proc.SelinuxLabel)
	}
	if cfg.MountLabel != "" && !selinuxEnabled() {
		return fmt.Errorf("linux.mountLabel %q: SELinux is not enabled on this host", cfg.MountLabel)
	}
	return nil
}
