package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
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

// The exported program, loaded with the raw syscall as the finisher
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

// A program longer than the kernel loads is refused when it is exported,
// with the config's name in the error, not later at load time in the init.
func TestBPFTooLong(t *testing.T) {
	s := &configs.Seccomp{DefaultAction: specs.ActAllow}
	for i := 0; i < 1500; i++ {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{
			Names: []string{"ioctl", "fcntl", "setsockopt"}, Action: specs.ActErrno, ErrnoRet: ptrUint(1),
			Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: uint64(i), Op: specs.OpEqualTo},
				{Index: 2, Value: 0xff, ValueTwo: uint64(i % 256), Op: specs.OpMaskedEqual},
			},
		})
	}
	f, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if _, _, err := f.BPF(); err == nil || !strings.Contains(err.Error(), "more than the kernel's 4096") {
		t.Errorf("BPF of a %d-rule filter: %v", len(s.Syscalls), err)
	}
}

func TestUsesNotifyFromConfig(t *testing.T) {
	for _, c := range []struct {
		s    *configs.Seccomp
		want bool
	}{
		{nil, false},
		{&configs.Seccomp{DefaultAction: specs.ActAllow}, false},
		{&configs.Seccomp{Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}, false},
		{&configs.Seccomp{Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir"}, Action: specs.ActErrno}, {Names: []string{"open"}, Action: specs.ActNotify}}}, true},
	} {
		if got := UsesNotify(c.s); got != c.want {
			t.Errorf("UsesNotify(%+v) = %v", c.s, got)
		}
	}
}
