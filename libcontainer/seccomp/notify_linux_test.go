package seccomp

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSendNotifyFd(t *testing.T) {
	tests := []struct {
		name     string
		metadata string
	}{
		{"small", "meta"},
		// Larger than a socket buffer: the payload goes out in several
		// writes, the fd only with the first.
		{"large", strings.Repeat("m", 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "agent.sock")
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()

			errc := make(chan error, 1)
			st := &specs.ContainerProcessState{
				Fds:      []string{"ignored"},
				Pid:      123,
				Metadata: tc.metadata,
				State:    specs.State{Version: specs.Version, ID: "c", Status: specs.StateCreated, Pid: 123, Bundle: "/b"},
			}
			go func() { errc <- SendNotifyFd(sock, int(w.Fd()), st) }()

			conn, err := l.AcceptUnix()
			if err != nil {
				t.Fatal(err)
			}
			got, fds := readProcessState(t, conn)
			if err := <-errc; err != nil {
				t.Fatalf("SendNotifyFd: %v", err)
			}
			if len(fds) != 1 {
				t.Fatalf("got %d fds, want 1", len(fds))
			}
			// The received fd is the pipe's write end.
			f := os.NewFile(uintptr(fds[0]), "received")
			defer f.Close()
			if _, err := f.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1)
			if _, err := r.Read(b); err != nil || b[0] != 'x' {
				t.Fatalf("read through the received fd: %q, %v", b, err)
			}
			if got.Version != specs.Version || len(got.Fds) != 1 || got.Fds[0] != "seccompFd" || got.Pid != 123 ||
				got.Metadata != tc.metadata || got.State.ID != "c" || got.State.Bundle != "/b" {
				t.Errorf("state = %+v (metadata %d bytes)", got.State, len(got.Metadata))
			}
			if st.Fds[0] != "ignored" || st.Version != "" {
				t.Error("SendNotifyFd modified the caller's state")
			}
		})
	}
}

func TestSendNotifyFdErrors(t *testing.T) {
	st := &specs.ContainerProcessState{}
	missing := filepath.Join(t.TempDir(), "missing.sock")
	tests := []struct {
		name string
		path string
		fd   int
		st   *specs.ContainerProcessState
		want string
	}{
		{"empty path", "", 0, st, "send seccomp notify fd: linux.seccomp.listenerPath is empty"},
		{"bad fd", "/x", -1, st, "send seccomp notify fd to /x: invalid fd -1"},
		{"no state", "/x", 0, nil, "send seccomp notify fd to /x: no container process state"},
		{"no listener", missing, 0, st, "send seccomp notify fd to " + missing + ": connect: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := SendNotifyFd(tc.path, tc.fd, tc.st)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
