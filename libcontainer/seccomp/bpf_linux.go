//go:build cgo

package seccomp

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// BPF exports the compiled program together with the seccomp(2) flags that
// loading it needs, for code that loads it without libseccomp: the
// finisher (ocirun-exec), which has no Go runtime. A program longer than
// the kernel accepts is an error here, where it still names the config.
//
// The result is kept: generating it is most of what a filter costs, and a
// later Load installs the same program.
func (f *Filter) BPF() (prog []byte, flags uint32, err error) {
	if f.prog != nil {
		return f.prog, f.progFlags, nil
	}
	// ExportBPFMem needs libseccomp 2.6; a memfd works with every version.
	mfd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, 0, fmt.Errorf("export seccomp filter: %w", err)
	}
	mf := os.NewFile(uintptr(mfd), "seccomp-bpf")
	defer mf.Close()
	if err := f.f.ExportBPF(mf); err != nil {
		return nil, 0, fmt.Errorf("export seccomp filter: %w", err)
	}
	if prog, err = io.ReadAll(io.NewSectionReader(mf, 0, 1<<30)); err != nil {
		return nil, 0, fmt.Errorf("export seccomp filter: %w", err)
	}
	if f.enosysAbove >= 0 {
		prog = append(enosysStub(f.enosysAbove), prog...)
	}
	if n := len(prog) / 8; n > maxBPF {
		return nil, 0, fmt.Errorf("linux.seccomp: the compiled filter has %d instructions, more than the kernel's %d", n, maxBPF)
	}
	for _, fl := range []struct {
		get  func() (bool, error)
		flag uint32
	}{
		{f.f.GetLogBit, unix.SECCOMP_FILTER_FLAG_LOG},
		{f.f.GetSSB, unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		{f.f.GetWaitKill, unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
	} {
		on, err := fl.get()
		if err != nil {
			// An attribute this libseccomp does not know cannot have
			// been set either.
			continue
		}
		if on {
			flags |= fl.flag
		}
	}
	if f.notify {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	f.prog, f.progFlags = prog, flags
	return prog, flags, nil
}
