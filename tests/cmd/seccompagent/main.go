// Command seccompagent is a minimal seccomp agent for tests: it listens on a
// unix socket for the runtime's container process state (runtime-spec,
// "Container process state"), writes the JSON it received to STATEFILE, and
// answers every notification on the seccomp fd that came with it by failing
// the syscall with ERRNO (default ENOMEDIUM, an errno no real mkdir returns,
// so a test sees that the agent answered); with --errno 0 it lets every
// notified syscall continue, as an agent that only watches does.
//
//	seccompagent [--errno N] [--conns N] SOCKET STATEFILE
//
// The socket exists once the agent is ready. It handles --conns connections
// (default 1; each one a process whose filter was loaded: a container's
// init, an exec'd process), STATEFILE holding the last state, and runs
// until no process uses any of the filters any more or it is killed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// seccompNotif and seccompNotifResp mirror struct seccomp_notif and struct
// seccomp_notif_resp of <linux/seccomp.h>.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

func main() {
	errno := flag.Int("errno", int(unix.ENOMEDIUM), "errno every notified syscall fails with; 0 lets it continue")
	conns := flag.Int("conns", 1, "connections to accept")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [--errno N] [--conns N] SOCKET STATEFILE\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), *errno, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "seccompagent:", err)
		os.Exit(1)
	}
}

func run(sock, stateFile string, errno, conns int) error {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	defer l.Close()
	served := make(chan error, conns)
	for range conns {
		conn, err := l.AcceptUnix()
		if err != nil {
			return err
		}
		state, fds, err := receive(conn)
		conn.Close()
		if err != nil {
			return err
		}
		if len(fds) != 1 {
			return fmt.Errorf("got %d fds with the state, want 1", len(fds))
		}
		if err := os.WriteFile(stateFile, state, 0o644); err != nil {
			return err
		}
		go func() { served <- serve(fds[0], errno) }()
	}
	for range conns {
		if err := <-served; err != nil {
			return err
		}
	}
	return nil
}

// receive reads the whole state (the runtime closes the connection after
// it) and the fds attached to it.
func receive(conn *net.UnixConn) ([]byte, []int, error) {
	var state []byte
	var fds []int
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if oobn > 0 {
			msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
			if perr != nil {
				return nil, nil, perr
			}
			for _, m := range msgs {
				got, perr := unix.ParseUnixRights(&m)
				if perr != nil {
					return nil, nil, perr
				}
				fds = append(fds, got...)
			}
		}
		state = append(state, buf[:n]...)
		if err != nil || n == 0 {
			if n == 0 && (err == nil || errors.Is(err, io.EOF) || errors.Is(err, unix.ECONNRESET)) {
				return state, fds, nil
			}
			return state, fds, err
		}
	}
}

func serve(fd, errno int) error {
	for {
		// POLLHUP: every process using the filter has exited.
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll the notify fd: %w", err)
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return nil
		}
		var req seccompNotif
		if err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EBADF) {
				return nil
			}
			return fmt.Errorf("SECCOMP_IOCTL_NOTIF_RECV: %w", err)
		}
		resp := seccompNotifResp{ID: req.ID, Error: -int32(errno)}
		if errno == 0 {
			resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
		}
		if err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("SECCOMP_IOCTL_NOTIF_SEND: %w", err)
		}
	}
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}
