//go:build cgo

package seccomp

import (
	"encoding/binary"
	"runtime"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// A profile lists the syscalls its author knew. A newer libc tries a newer
// syscall first (clone3, openat2, statx, ...) and falls back to an older
// one only on ENOSYS; the default action's errno (EPERM, usually) would
// make it fail instead. So, as runc does, a syscall of the native
// architecture numbered above every syscall the profile names gets ENOSYS,
// whatever the default action says. The check is a few instructions put in
// front of libseccomp's program.

// auditArch is the AUDIT_ARCH_* value of the native architecture, 0 where
// the stub is not known to be right.
var auditArch = map[string]uint32{
	"amd64": unix.AUDIT_ARCH_X86_64,
	"arm64": unix.AUDIT_ARCH_AARCH64,
}[runtime.GOARCH]

// x32SyscallBit marks x32 syscalls, which share x86_64's audit arch; they
// are left to libseccomp's program.
const x32SyscallBit = 0x40000000

// maxNamedSyscall is the highest native syscall number s names, -1 if it
// names none the linked libseccomp knows.
func maxNamedSyscall(s *configs.Seccomp) int64 {
	max := int64(-1)
	for _, sc := range s.Syscalls {
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err == nil && int64(nr) > max {
				max = int64(nr)
			}
		}
	}
	return max
}

// needsEnosysStub: with a default action that allows, an unknown syscall
// works anyway.
func needsEnosysStub(defAct libseccomp.ScmpAction, maxNr int64) bool {
	if auditArch == 0 || maxNr < 0 {
		return false
	}
	switch defAct.SetReturnCode(0) {
	case libseccomp.ActAllow, libseccomp.ActLog:
		return false
	}
	return true
}

// enosysStub returns the instructions that answer ENOSYS for a native
// syscall above maxNr and go on to the program that follows otherwise.
func enosysStub(maxNr int64) []byte {
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		jgt   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
	)
	// struct seccomp_data: nr at offset 0, arch at 4.
	insns := []struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}{
		{ldAbs, 0, 0, 4},
		{jeq, 0, 4, auditArch}, // another arch: the program
		{ldAbs, 0, 0, 0},
		{jge, 2, 0, x32SyscallBit}, // x32: the program
		{jgt, 0, 1, uint32(maxNr)},
		{ret, 0, 0, unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
	}
	out := make([]byte, 0, 8*len(insns))
	for _, in := range insns {
		out = binary.NativeEndian.AppendUint16(out, in.code)
		out = append(out, in.jt, in.jf)
		out = binary.NativeEndian.AppendUint32(out, in.k)
	}
	return out
}
