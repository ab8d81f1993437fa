package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// mkdirError is the error of creating the cgroup directory d. When the
// hierarchy refuses any new directory there (read-only, or not delegated
// to the runtime's user), it says so and what would fix it.
func mkdirError(d string, err error) error {
	if errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("create cgroup %s: %w: %s is not delegated to the runtime; delegate it to the runtime's user (systemd: Delegate=yes) or mount the cgroup hierarchy read-write", d, err, filepath.Dir(d))
	}
	return fmt.Errorf("create cgroup %s: %w", d, err)
}
