// Package inside builds what a container has inside its namespaces before
// its process is finished: the root filesystem (package rootfs), the
// sysctls and the hostname. It runs in a thread that is inside the
// container's mount, UTS, IPC and network namespaces as root, in one of two
// processes (package initproto tables both): stage 1 of the init, stage
// 0's child there, or, for a container the runtime builds itself, a
// locked thread of the runtime that entered them. Both call Build, so the
// order of the steps and each step are written once.
package inside

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/rootfs"
)

// Build makes the container's tree (rootfs.Prepare), calls hooks, which
// runs the hooks that see the finished tree before pivot_root, writes the
// sysctls, switches to the rootfs (rootfs.Finish) and sets the hostname and
// domainname. The calling thread ends inside the container's root.
func Build(cfg *configs.Config, opts rootfs.Options, noPivot bool, hooks func() error) error {
	if err := rootfs.Prepare(cfg, opts); err != nil {
		return err
	}
	if err := hooks(); err != nil {
		return err
	}
	// Sysctls go through the runtime's procfs, before pivot_root: the
	// container's /proc is the container's to shape (a bind mount over
	// /proc/sys/... would redirect the write, a read-only /proc/sys refuse
	// it). They come after the hooks, which may create what they name (a
	// network interface).
	if err := writeSysctls(cfg); err != nil {
		return err
	}
	if err := rootfs.Finish(cfg, noPivot); err != nil {
		return err
	}
	return setIdentity(cfg)
}

// setIdentity applies the container's hostname and domainname.
func setIdentity(cfg *configs.Config) error {
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", cfg.Hostname, err)
		}
	}
	if cfg.Domainname != "" {
		if err := unix.Setdomainname([]byte(cfg.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", cfg.Domainname, err)
		}
	}
	return nil
}
