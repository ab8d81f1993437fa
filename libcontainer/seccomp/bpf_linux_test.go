package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestBPFFlags(t *testing.T) {
	f, err := Build(&configs.Seccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		ListenerPath:  "/run/agent.sock",
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	prog, flags, err := f.BPF()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) == 0 || len(prog)%8 != 0 {
		t.Errorf("program of %d bytes is not a sock_filter array", len(prog))
	}
	want := uint32(unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
	if flags != want {
		t.Errorf("flags %#x, want %#x", flags, want)
	}
}

// The exported program, loaded with the raw syscall as the start waiter
// does, behaves like the libseccomp-loaded one.
func TestBPFLoadsWithoutLibseccomp(t *testing.T) {
	cmd := runChild(t, "bpf")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
}

func childBPF() error {
	f, err := Build(&configs.Seccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: ptrUint(uint(unix.EXDEV))}},
	})
	if err != nil {
		return err
	}
	prog, flags, err := f.BPF()
	f.Release()
	if err != nil {
		return err
	}
	runtime.LockOSThread() // no TSYNC: the filter is this thread's
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog) / 8), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	if err := unix.Mkdirat(unix.AT_FDCWD, "/tmp/ocirun-bpf-test-never", 0o700); !errors.Is(err, unix.EXDEV) {
		return fmt.Errorf("mkdirat under the filter: %v, want EXDEV", err)
	}
	return nil
}

func ptrUint(u uint) *uint { return &u }
