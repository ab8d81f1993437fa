// Command recvtty is the receiving end of a runtime's --console-socket, for
// tests: it listens on a unix socket, accepts one connection, takes the pty
// master the runtime sends with SCM_RIGHTS, and copies everything the
// container writes to its terminal to stdout (or --out FILE) until the
// container side of the terminal is closed.
//
//	recvtty [--out FILE] SOCKET
//
// The socket exists once recvtty is ready to accept. It exits 0 after the
// terminal closes, non-zero if what it received is not a pty master.
//
// With --pidfd it is the receiving end of --pidfd-socket instead: it takes
// one pidfd and writes the pid the pidfd refers to, from its fdinfo.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	out := flag.String("out", "", "write the terminal output to `FILE` instead of stdout")
	ready := flag.String("ready", "", "create `FILE` once the terminal is received and set up")
	pidfd := flag.Bool("pidfd", false, "receive a pidfd, not a terminal, and write its pid")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [--out FILE] [--ready FILE] SOCKET\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	recv := run
	if *pidfd {
		recv = runPidfd
	}
	if err := recv(flag.Arg(0), *out, *ready); err != nil {
		fmt.Fprintf(os.Stderr, "recvtty: %v\n", err)
		os.Exit(1)
	}
}

func run(sockPath, outPath, readyPath string) error {
	w := io.Writer(os.Stdout)
	if outPath != "" {
		f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("open output: %w", err)
		}
		defer f.Close()
		w = f
	}

	master, err := acceptFd(sockPath)
	if err != nil {
		return err
	}
	defer master.Close()

	// Only a pty master answers TIOCGPTN; anything else means the runtime
	// sent the wrong end or the wrong kind of file.
	if _, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN); err != nil {
		return fmt.Errorf("received fd is not a pty master: %w", err)
	}
	if err := clearONLCR(int(master.Fd())); err != nil {
		return err
	}
	if readyPath != "" {
		if err := os.WriteFile(readyPath, []byte("ready\n"), 0o644); err != nil {
			return fmt.Errorf("write ready file: %w", err)
		}
	}

	_, err = io.Copy(w, master)
	// Reading a master whose slave side is closed for good fails with EIO:
	// that is the normal end of the container's output.
	if err != nil && !errors.Is(err, syscall.EIO) {
		return fmt.Errorf("copy terminal output: %w", err)
	}
	return nil
}

// runPidfd takes one pidfd on sockPath and writes its pid to outPath
// (--ready is the terminal's).
func runPidfd(sockPath, outPath, _ string) error {
	f, err := acceptFd(sockPath)
	if err != nil {
		return err
	}
	defer f.Close()
	// Only a pidfd has a "Pid:" line in its fdinfo.
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(info), "\n") {
		if pid, ok := strings.CutPrefix(line, "Pid:"); ok {
			return os.WriteFile(outPath, []byte(strings.TrimSpace(pid)+"\n"), 0o644)
		}
	}
	return fmt.Errorf("received fd is not a pidfd: its fdinfo has no Pid line:\n%s", info)
}

// clearONLCR stops the terminal from turning "\n" into "\r\n". Terminal
// attributes are shared by both ends of a pty, so setting them on the master
// changes what the container's writes to the slave look like.
func clearONLCR(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get terminal attributes: %w", err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("clear ONLCR: %w", err)
	}
	return nil
}

// acceptFd listens on sockPath and returns the one fd the first
// connection sends.
func acceptFd(sockPath string) (*os.File, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sockPath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", sockPath, err)
	}
	defer ln.Close()
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("accept on %s: %w", sockPath, err)
	}
	defer conn.Close()
	return receiveFd(conn)
}

// receiveFd reads one message carrying exactly one file descriptor.
func receiveFd(conn *net.UnixConn) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(name, oob)
	if err != nil {
		return nil, fmt.Errorf("receive console fd: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("expected 1 control message, got %d", len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		return nil, fmt.Errorf("parse SCM_RIGHTS: %w", err)
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("expected 1 fd, got %d", len(fds))
	}
	// The runtime sends the terminal's name as the message body; fall back
	// to a generic name when it sends none.
	fileName := string(name[:n])
	if fileName == "" {
		fileName = "console"
	}
	return os.NewFile(uintptr(fds[0]), fileName), nil
}
