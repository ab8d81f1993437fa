// Package unixsock connects to the unix stream sockets that ocirun is given
// (--console-socket, --pidfd-socket, a seccomp agent's listenerPath, the
// systemd bus) and passes fds over them. It stands in for package net,
// which every ocirun process would otherwise initialise (its resolver,
// net/netip's interned zones) for the sake of one connect.
package unixsock

import (
	"os"

	"golang.org/x/sys/unix"
)

// Dial connects to the socket at path. The file is non-blocking, so its
// reads and writes go through the poller and honour deadlines. A listener
// whose backlog is full is refused with EAGAIN rather than waited for, as
// package net does.
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Send writes data with fds attached (SCM_RIGHTS) to its first byte, and the
// rest of data when the socket took only a part.
func Send(f *os.File, data []byte, fds ...int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var sendErr error
	err = rc.Write(func(fd uintptr) bool {
		n, sendErr = unix.SendmsgN(int(fd), data, unix.UnixRights(fds...), nil, 0)
		return sendErr != unix.EAGAIN
	})
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return os.NewSyscallError("sendmsg", err)
	}
	if n < len(data) {
		_, err = f.Write(data[n:])
	}
	return err
}
