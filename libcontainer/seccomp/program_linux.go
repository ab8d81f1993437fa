package seccomp

import (
	"fmt"
	"slices"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// This file is what the runtime itself needs of seccomp: it is built
// without cgo, so it must not reach libseccomp. Compiling a filter happens
// in the container init (package containerinit), which hands the runtime
// the program (see initproto.MsgSeccompProgram).

// maxBPF is the kernel's limit on a seccomp program (BPF_MAXINSNS).
const maxBPF = 4096

// Support is what the init's libseccomp and the running kernel can do, for
// the features command.
type Support struct {
	Archs          []string `json:"archs"`
	KnownFlags     []string `json:"knownFlags"`
	SupportedFlags []string `json:"supportedFlags"`
	Version        string   `json:"version"`
}

// UsesNotify reports whether any rule of s hands syscalls to a listener
// (SCMP_ACT_NOTIFY), without compiling anything.
func UsesNotify(s *configs.Seccomp) bool {
	return s != nil && slices.ContainsFunc(s.Syscalls, func(sc specs.LinuxSyscall) bool { return sc.Action == specs.ActNotify })
}

// LoadProgram installs a BPF program (8-byte sock_filter instructions) with
// the given seccomp(2) flags on the calling thread, or on every thread with
// SECCOMP_FILTER_FLAG_TSYNC. The caller has set no_new_privs or holds
// CAP_SYS_ADMIN.
func LoadProgram(prog []byte, flags uint32) error {
	if len(prog) == 0 || len(prog)%8 != 0 || len(prog)/8 > maxBPF {
		return fmt.Errorf("load seccomp filter: a program of %d bytes is not a valid BPF program", len(prog))
	}
	fprog := unix.SockFprog{Len: uint16(len(prog) / 8), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	switch {
	case errno == unix.EACCES:
		return fmt.Errorf("load seccomp filter: %w (no_new_privs is not set and CAP_SYS_ADMIN is missing)", errno)
	case errno != 0:
		return fmt.Errorf("load seccomp filter: %w", errno)
	case r != 0:
		// With TSYNC the kernel names a thread it could not synchronise.
		return fmt.Errorf("load seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}
