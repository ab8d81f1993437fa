package unixsock

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listen returns a listening socket at a fresh path.
func listen(t *testing.T) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	return path, fd
}

func TestSendCarriesDataAndFd(t *testing.T) {
	path, lfd := listen(t)
	f, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conn, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(conn)

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	data := bytes.Repeat([]byte("x"), 1000)
	if err := Send(f, data, int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2000)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:n], data) {
		t.Errorf("received %d bytes, want the %d sent", n, len(data))
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v, %v; want one", msgs, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights %v, %v; want one fd", fds, err)
	}
	got := os.NewFile(uintptr(fds[0]), "received")
	defer got.Close()
	// The fd received is the pipe's write end: what goes in arrives at r.
	if _, err := got.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := r.Read(one); err != nil || one[0] != 'y' {
		t.Errorf("read %q, %v from the pipe; want the byte written to the fd received", one, err)
	}
}

func TestDialMissingSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.sock")
	_, err := Dial(path)
	if !errors.Is(err, unix.ENOENT) || err.Error() != "connect: no such file or directory" {
		t.Errorf("error = %v, want connect: ENOENT", err)
	}
}

func TestDeadlineWorks(t *testing.T) {
	path, _ := listen(t)
	f, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetReadDeadline(time.Now()); err != nil {
		t.Fatalf("SetReadDeadline: %v (the file should be pollable)", err)
	}
	_, err = f.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}
