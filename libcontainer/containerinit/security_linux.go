package containerinit

import (
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/lsm"
)

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
