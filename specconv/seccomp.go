package specconv

import (
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

var seccompActions = map[specs.LinuxSeccompAction]bool{
	specs.ActKill:        true,
	specs.ActKillProcess: true,
	specs.ActKillThread:  true,
	specs.ActTrap:        true,
	specs.ActErrno:       true,
	specs.ActTrace:       true,
	specs.ActAllow:       true,
	specs.ActLog:         true,
	specs.ActNotify:      true,
}

var seccompOperators = map[specs.LinuxSeccompOperator]bool{
	specs.OpNotEqual:     true,
	specs.OpLessThan:     true,
	specs.OpLessEqual:    true,
	specs.OpEqualTo:      true,
	specs.OpGreaterEqual: true,
	specs.OpGreaterThan:  true,
	specs.OpMaskedEqual:  true,
}

var seccompArches = map[specs.Arch]bool{
	specs.ArchX86: true, specs.ArchX86_64: true, specs.ArchX32: true,
	specs.ArchARM: true, specs.ArchAARCH64: true,
	specs.ArchMIPS: true, specs.ArchMIPS64: true, specs.ArchMIPS64N32: true,
	specs.ArchMIPSEL: true, specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true,
	specs.ArchPPC: true, specs.ArchPPC64: true, specs.ArchPPC64LE: true,
	specs.ArchS390: true, specs.ArchS390X: true,
	specs.ArchPARISC: true, specs.ArchPARISC64: true,
	specs.ArchRISCV64: true, specs.ArchLOONGARCH64: true,
	specs.ArchM68K: true, specs.ArchSH: true, specs.ArchSHEB: true,
}

var seccompFlags = map[specs.LinuxSeccompFlag]bool{
	"SECCOMP_FILTER_FLAG_TSYNC":            true,
	specs.LinuxSeccompFlagLog:              true,
	specs.LinuxSeccompFlagSpecAllow:        true,
	specs.LinuxSeccompFlagWaitKillableRecv: true,
}

// maxErrno is MAX_ERRNO: the kernel returns at most this as an errno from a
// SECCOMP_RET_ERRNO filter. SECCOMP_RET_TRACE carries 16 bits for the
// tracer.
const (
	maxErrno     = 4095
	maxTraceData = 1<<16 - 1
)

// maxSyscallArgs is how many arguments a system call has.
const maxSyscallArgs = 6

// convertSeccomp checks the names in linux.seccomp and returns a copy.
// Whether each syscall name exists is left to the filter compiler, which
// asks the running libseccomp.
func convertSeccomp(s *specs.LinuxSeccomp) (*configs.Seccomp, error) {
	if s == nil {
		return nil, nil
	}
	const path = "linux.seccomp"
	if s.DefaultAction == "" {
		return nil, fieldErr(path+".defaultAction", "required")
	}
	if !seccompActions[s.DefaultAction] {
		return nil, fieldErr(path+".defaultAction", "unknown seccomp action %q", s.DefaultAction)
	}
	if s.DefaultAction == specs.ActNotify {
		// libseccomp refuses it, and a default of "ask the agent" would
		// stop the init at its first system call.
		return nil, fieldErr(path+".defaultAction", "%s cannot be the default action", specs.ActNotify)
	}
	if err := checkErrnoRet(path+".defaultErrnoRet", s.DefaultAction, s.DefaultErrnoRet); err != nil {
		return nil, err
	}
	for i, a := range s.Architectures {
		if !seccompArches[a] {
			return nil, fieldErr(idx(path+".architectures", i), "unknown seccomp architecture %q", a)
		}
	}
	for i, f := range s.Flags {
		if !seccompFlags[f] {
			return nil, fieldErr(idx(path+".flags", i), "unknown seccomp flag %q", f)
		}
	}
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		return nil, fieldErr(path+".listenerMetadata", "set without listenerPath")
	}
	if s.ListenerPath != "" {
		if !filepath.IsAbs(s.ListenerPath) {
			return nil, fieldErr(path+".listenerPath", "%q is not absolute", s.ListenerPath)
		}
		if err := noNUL(path+".listenerPath", s.ListenerPath); err != nil {
			return nil, err
		}
	}
	usesNotify := false
	for i, sc := range s.Syscalls {
		p := idx(path+".syscalls", i)
		if len(sc.Names) == 0 {
			return nil, fieldErr(p+".names", "must name at least one system call")
		}
		for j, n := range sc.Names {
			if n == "" {
				return nil, fieldErr(idx(p+".names", j), "empty system call name")
			}
			if err := noNUL(idx(p+".names", j), n); err != nil {
				return nil, err
			}
		}
		if sc.Action == "" {
			return nil, fieldErr(p+".action", "required")
		}
		if !seccompActions[sc.Action] {
			return nil, fieldErr(p+".action", "unknown seccomp action %q", sc.Action)
		}
		if sc.Action == specs.ActNotify {
			usesNotify = true
			// The init reports a failed execve(2) to the runtime with
			// write(2) after the filter is loaded; a notify rule for
			// it would leave the init waiting for an agent.
			if j := slices.Index(sc.Names, "write"); j >= 0 {
				return nil, fieldErr(idx(p+".names", j), "%s cannot be used for write", specs.ActNotify)
			}
		}
		if err := checkErrnoRet(p+".errnoRet", sc.Action, sc.ErrnoRet); err != nil {
			return nil, err
		}
		for j, a := range sc.Args {
			ap := idx(p+".args", j)
			if a.Index >= maxSyscallArgs {
				return nil, fieldErr(ap+".index", "%d is not a system call argument (0..%d)", a.Index, maxSyscallArgs-1)
			}
			if a.Op == "" {
				return nil, fieldErr(ap+".op", "required")
			}
			if !seccompOperators[a.Op] {
				return nil, fieldErr(ap+".op", "unknown seccomp operator %q", a.Op)
			}
		}
	}
	if usesNotify && s.ListenerPath == "" {
		return nil, fieldErr(path+".listenerPath", "required when a rule uses %s: set it to the unix socket of the seccomp agent that will handle those system calls", specs.ActNotify)
	}
	return copySeccomp(s), nil
}

// checkErrnoRet enforces the runtime-spec rule that only actions which
// return a value may carry one.
func checkErrnoRet(path string, action specs.LinuxSeccompAction, ret *uint) error {
	if ret == nil {
		return nil
	}
	switch action {
	case specs.ActErrno:
		if *ret > maxErrno {
			return fieldErr(path, "%d is larger than the largest errno %d", *ret, maxErrno)
		}
	case specs.ActTrace:
		if *ret > maxTraceData {
			return fieldErr(path, "%d does not fit the 16 bits SCMP_ACT_TRACE passes to the tracer", *ret)
		}
	default:
		return fieldErr(path, "%s does not return an errno; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one", action)
	}
	return nil
}

func copySeccomp(s *specs.LinuxSeccomp) *configs.Seccomp {
	out := *s
	out.DefaultErrnoRet = clonePtr(s.DefaultErrnoRet)
	out.Architectures = slices.Clone(s.Architectures)
	// nil and empty flags differ: nil lets the filter code pick its
	// defaults, an empty list asks for none.
	out.Flags = slices.Clone(s.Flags)
	if s.Syscalls != nil {
		out.Syscalls = make([]specs.LinuxSyscall, len(s.Syscalls))
		for i, sc := range s.Syscalls {
			out.Syscalls[i] = specs.LinuxSyscall{
				Names:    slices.Clone(sc.Names),
				Action:   sc.Action,
				ErrnoRet: clonePtr(sc.ErrnoRet),
				Args:     slices.Clone(sc.Args),
			}
		}
	}
	return &out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
