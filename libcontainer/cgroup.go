package libcontainer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// isPaused reports whether the container's cgroup is frozen.
func (c *Container) isPaused() bool { return false }

// signalAll signals every process of the container.
func (c *Container) signalAll(sig unix.Signal) error {
	if err := unix.Kill(c.state.InitPid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to container %q init (pid %d): %w", sig, c.ID(), c.state.InitPid, err)
	}
	return nil
}

// destroyCgroup removes the cgroup directories the container created.
func (c *Container) destroyCgroup() error { return nil }

// applyCgroup creates the container's cgroup and moves pid into it.
func (c *Container) applyCgroup(pid int) error { return nil }

// joinCgroup moves pid into the container's existing cgroup (for exec).
func (c *Container) joinCgroup(pid int) error { return nil }
