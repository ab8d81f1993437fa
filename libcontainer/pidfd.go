package libcontainer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/unixsock"
)

// SendPidfd opens a pidfd of pid and sends it over the unix socket at path
// with SCM_RIGHTS (--pidfd-socket, as newer containerd asks for): the
// receiver can then signal and wait for the process without pid reuse races.
func SendPidfd(path string, pid int) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	conn, err := unixsock.Dial(path)
	if err != nil {
		return fmt.Errorf("connect to pidfd socket %s: %w", path, err)
	}
	defer conn.Close()
	if err := unixsock.Send(conn, []byte("pidfd"), pidfd); err != nil {
		return fmt.Errorf("send pidfd over %s: %w", path, err)
	}
	return nil
}

// processGone says whether pidfd_open's error means that the process no
// longer exists: ESRCH, or EINVAL, which kernels before 6.9 return for a
// pid whose process has exited but whose pid is not yet freed (and for a
// thread id, which no container state records).
func processGone(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EINVAL)
}
