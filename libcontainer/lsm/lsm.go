// Package lsm tells which Linux security modules the host has enabled. It
// reads /sys, so a container's init asks before pivot_root, while /sys is
// the host's.
package lsm

import (
	"os"
	"strings"
)

// AppArmorEnabled reports whether AppArmor is enabled.
func AppArmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.TrimSpace(string(b)) == "Y"
}

// SELinuxEnabled reports whether SELinux is enabled (selinuxfs is mounted).
func SELinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}
