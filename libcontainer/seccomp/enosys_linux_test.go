//go:build cgo

package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestEnosysStub(t *testing.T) {
	if auditArch == 0 {
		t.Skip("no stub on this architecture")
	}
	prof := func(def specs.LinuxSeccompAction, names ...string) *configs.Seccomp {
		return &configs.Seccomp{DefaultAction: def, Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}}}
	}
	for _, tc := range []struct {
		s    *configs.Seccomp
		stub bool
	}{
		{prof(specs.ActErrno, "read", "write"), true},
		{prof(specs.ActKillProcess, "read"), true},
		{prof(specs.ActAllow, "read"), false},
		{prof(specs.ActLog, "read"), false},
		{prof(specs.ActErrno, "no-such-syscall"), false},
	} {
		f, err := Build(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		withStub, _, err := f.BPF()
		f.Release()
		if err != nil {
			t.Fatal(err)
		}
		if got := f.enosysAbove >= 0; got != tc.stub {
			t.Errorf("%+v: stub %v, want %v", tc.s, got, tc.stub)
		}
		if tc.stub && string(withStub[:len(enosysStub(f.enosysAbove))]) != string(enosysStub(f.enosysAbove)) {
			t.Errorf("%+v: the program does not start with the stub", tc.s)
		}
	}
	// write is the highest of read and write.
	if got := maxNamedSyscall(prof(specs.ActErrno, "write", "read")); got < 0 {
		t.Errorf("maxNamedSyscall = %d", got)
	}
}
