//go:build cgo

package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

const (
	// maxArgs is the number of syscall arguments seccomp can inspect.
	maxArgs = 6
	// maxErrno is the largest errno the kernel returns for SECCOMP_RET_ERRNO;
	// it silently caps larger values, so they are refused here instead.
	maxErrno = 4095
	// maxTraceMsg is the width of SECCOMP_RET_DATA, which SCMP_ACT_TRACE
	// hands to the tracer as the event message.
	maxTraceMsg = 0xffff
	// optimizeAbove is the rule count from which the filter is built as a
	// binary tree: a long allow-list is then searched in O(log n) instead of
	// linearly. Small filters stay linear because libseccomp <= 2.5.4
	// miscompiles a binary tree without rules.
	optimizeAbove = 32
	// notifyAPI is the libseccomp API level that supports SCMP_ACT_NOTIFY.
	notifyAPI = 6
)

// notifyForbidden are syscalls that may not be sent to the seccomp agent:
// the init sends the notify fd to the runtime (sendmsg) right after loading
// the filter and before the agent has it, so notifying these would hang the
// container start.
var notifyForbidden = []string{"sendmsg", "write"}

// Filter is a compiled filter that has not been loaded yet. Release it when
// done; Load releases nothing.
type Filter struct {
	f      *libseccomp.ScmpFilter
	notify bool
	// prog and progFlags are the filter as BPF once BPF has run; Load
	// then installs that program instead of generating it again.
	prog      []byte
	progFlags uint32
	// enosysAbove is the highest syscall number the profile names when
	// newer ones get ENOSYS (see enosysStub), else -1.
	enosysAbove int64
	// Skipped has one entry per syscall name the linked libseccomp does
	// not know and that was therefore left out of the filter, e.g.
	// `linux.seccomp.syscalls[3].names[0]: unknown syscall "foo"`.
	Skipped []string
}

// Build compiles s into a libseccomp filter without loading it. Errors name
// the JSON path of the offending value.
func Build(s *configs.Seccomp) (*Filter, error) {
	if s == nil {
		return nil, errors.New("linux.seccomp: no seccomp configuration")
	}
	defAct, err := compileAction(s.DefaultAction, s.DefaultErrnoRet,
		"linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet")
	if err != nil {
		return nil, err
	}
	if defAct == libseccomp.ActNotify {
		// The runtime's own syscalls between load and execve would wait for
		// an agent that does not have the fd yet.
		return nil, errors.New("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action")
	}
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		return nil, errors.New("linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath")
	}
	notify, err := checkNotify(s)
	if err != nil {
		return nil, err
	}

	lf, err := libseccomp.NewFilter(defAct)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: create filter: %w", err)
	}
	f := &Filter{f: lf, notify: notify, enosysAbove: -1}
	if max := maxNamedSyscall(s); needsEnosysStub(defAct, max) {
		f.enosysAbove = max
	}
	if err := f.configure(s); err != nil {
		f.Release()
		return nil, err
	}
	if err := f.addRules(s, defAct); err != nil {
		f.Release()
		return nil, err
	}
	return f, nil
}

// checkNotify reports whether any rule uses SCMP_ACT_NOTIFY and refuses the
// uses that cannot work.
func checkNotify(s *configs.Seccomp) (bool, error) {
	notify := false
	for i, sc := range s.Syscalls {
		if sc.Action != specs.ActNotify {
			continue
		}
		notify = true
		for j, name := range sc.Names {
			if slices.Contains(notifyForbidden, name) {
				return false, fmt.Errorf("linux.seccomp.syscalls[%d].names[%d]: SCMP_ACT_NOTIFY cannot be used for %q: the runtime needs it to hand over the notify fd", i, j, name)
			}
		}
		if api, _ := libseccomp.GetAPI(); api < notifyAPI {
			maj, min, mic := Version()
			return false, fmt.Errorf("linux.seccomp.syscalls[%d].action: SCMP_ACT_NOTIFY needs libseccomp API level %d, libseccomp %d.%d.%d on this kernel offers %d", i, notifyAPI, maj, min, mic, api)
		}
	}
	if notify && s.ListenerPath == "" {
		return false, errors.New("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used")
	}
	return notify, nil
}

// configure sets the filter attributes, architectures and flags.
func (f *Filter) configure(s *configs.Seccomp) error {
	// Report the kernel's errno from Load instead of libseccomp's generic
	// ECANCELED, so that a refused filter says why.
	if err := f.f.SetRawRC(true); err != nil {
		return fmt.Errorf("linux.seccomp: enable raw error codes: %w", err)
	}
	if err := f.f.SetNoNewPrivsBit(false); err != nil {
		return fmt.Errorf("linux.seccomp: clear no_new_privs attribute: %w", err)
	}
	for i, name := range s.Architectures {
		arch, err := lookupArch(name)
		if err != nil {
			return fmt.Errorf("linux.seccomp.architectures[%d]: %w", i, err)
		}
		if err := f.f.AddArch(arch); err != nil {
			return fmt.Errorf("linux.seccomp.architectures[%d]: add %s: %w", i, name, err)
		}
	}
	for i, flag := range s.Flags {
		if err := applyFlag(f.f, flag); err != nil {
			return fmt.Errorf("linux.seccomp.flags[%d]: %w", i, err)
		}
	}
	if ruleCount(s) > optimizeAbove {
		// Binary-tree optimization exists from libseccomp 2.5.0 on; older
		// libraries get the (correct, slower) linear filter.
		if maj, min, _ := Version(); maj > 2 || (maj == 2 && min >= 5) {
			if err := f.f.SetOptimize(2); err != nil {
				return fmt.Errorf("linux.seccomp: enable binary tree optimization: %w", err)
			}
		}
	}
	return nil
}

func ruleCount(s *configs.Seccomp) int {
	n := 0
	for _, sc := range s.Syscalls {
		n += len(sc.Names)
	}
	return n
}

// addRules adds one libseccomp rule (or, for repeated arg indexes, one per
// arg) for every known syscall name.
func (f *Filter) addRules(s *configs.Seccomp, defAct libseccomp.ScmpAction) error {
	for i, sc := range s.Syscalls {
		path := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		act, err := compileAction(sc.Action, sc.ErrnoRet, path+".action", path+".errnoRet")
		if err != nil {
			return err
		}
		if len(sc.Names) == 0 {
			return fmt.Errorf("%s.names: must name at least one syscall", path)
		}
		conds, err := compileArgs(sc.Args, path)
		if err != nil {
			return err
		}
		if act == defAct {
			// libseccomp refuses a rule that repeats the default action,
			// and the rule could not change the outcome anyway.
			continue
		}
		for j, name := range sc.Names {
			namePath := fmt.Sprintf("%s.names[%d]", path, j)
			if name == "" {
				return fmt.Errorf("%s: empty syscall name", namePath)
			}
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				// Profiles name syscalls newer than the linked libseccomp;
				// such a rule cannot be expressed, and the syscall then
				// gets the default action.
				f.Skipped = append(f.Skipped, fmt.Sprintf("%s: unknown syscall %q", namePath, name))
				continue
			}
			if err := addRule(f.f, nr, act, conds); err != nil {
				return fmt.Errorf("%s: add rule for %q: %w", namePath, name, err)
			}
		}
	}
	return nil
}

// addRule adds conds as one rule (ANDed). libseccomp cannot AND two tests of
// the same argument, so in that case every condition becomes its own rule,
// as runc does.
func addRule(f *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	if len(conds) == 0 {
		return f.AddRule(nr, act)
	}
	var seen [maxArgs]bool
	repeated := false
	for _, c := range conds {
		if seen[c.Argument] {
			repeated = true
			break
		}
		seen[c.Argument] = true
	}
	if !repeated {
		return f.AddRuleConditional(nr, act, conds)
	}
	for _, c := range conds {
		if err := f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
			return err
		}
	}
	return nil
}

func compileArgs(args []specs.LinuxSeccompArg, path string) ([]libseccomp.ScmpCondition, error) {
	var conds []libseccomp.ScmpCondition
	for k, a := range args {
		argPath := fmt.Sprintf("%s.args[%d]", path, k)
		if a.Index >= maxArgs {
			return nil, fmt.Errorf("%s.index: %d is out of range, syscalls have arguments 0 to %d", argPath, a.Index, maxArgs-1)
		}
		op, err := compileOperator(a.Op)
		if err != nil {
			return nil, fmt.Errorf("%s.op: %w", argPath, err)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", argPath, err)
		}
		conds = append(conds, c)
	}
	return conds, nil
}

func compileOperator(op specs.LinuxSeccompOperator) (libseccomp.ScmpCompareOp, error) {
	switch op {
	case specs.OpNotEqual:
		return libseccomp.CompareNotEqual, nil
	case specs.OpLessThan:
		return libseccomp.CompareLess, nil
	case specs.OpLessEqual:
		return libseccomp.CompareLessOrEqual, nil
	case specs.OpEqualTo:
		return libseccomp.CompareEqual, nil
	case specs.OpGreaterEqual:
		return libseccomp.CompareGreaterEqual, nil
	case specs.OpGreaterThan:
		return libseccomp.CompareGreater, nil
	case specs.OpMaskedEqual:
		return libseccomp.CompareMaskedEqual, nil
	case "":
		return libseccomp.CompareInvalid, errors.New("missing operator")
	}
	return libseccomp.CompareInvalid, fmt.Errorf("unknown operator %q", op)
}

// compileAction turns an action and its optional errnoRet into a libseccomp
// action. ERRNO and TRACE default to EPERM, as runtime-spec says.
func compileAction(a specs.LinuxSeccompAction, errnoRet *uint, actPath, errnoPath string) (libseccomp.ScmpAction, error) {
	var act libseccomp.ScmpAction
	switch a {
	case specs.ActKill, specs.ActKillThread:
		act = libseccomp.ActKillThread
	case specs.ActKillProcess:
		act = libseccomp.ActKillProcess
	case specs.ActTrap:
		act = libseccomp.ActTrap
	case specs.ActAllow:
		act = libseccomp.ActAllow
	case specs.ActLog:
		act = libseccomp.ActLog
	case specs.ActNotify:
		act = libseccomp.ActNotify
	case specs.ActErrno, specs.ActTrace:
		code, limit := uint(unix.EPERM), uint(maxErrno)
		if a == specs.ActTrace {
			limit = maxTraceMsg
		}
		if errnoRet != nil {
			code = *errnoRet
		}
		if code > limit {
			return libseccomp.ActInvalid, fmt.Errorf("%s: %d is out of range for %s (at most %d)", errnoPath, code, a, limit)
		}
		base := libseccomp.ActErrno
		if a == specs.ActTrace {
			base = libseccomp.ActTrace
		}
		// The code is carried as the low 16 bits; int16 is only the
		// binding's spelling of them.
		return base.SetReturnCode(int16(uint16(code))), nil
	case "":
		return libseccomp.ActInvalid, fmt.Errorf("%s: missing action", actPath)
	default:
		return libseccomp.ActInvalid, fmt.Errorf("%s: unknown action %q", actPath, a)
	}
	if errnoRet != nil {
		return libseccomp.ActInvalid, fmt.Errorf("%s: %s does not return an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take errnoRet)", errnoPath, a)
	}
	return act, nil
}

func lookupArch(name specs.Arch) (libseccomp.ScmpArch, error) {
	lname, ok := archNames[name]
	if !ok {
		return libseccomp.ArchInvalid, fmt.Errorf("unknown architecture %q", name)
	}
	arch, err := libseccomp.GetArchFromString(lname)
	if err != nil {
		return libseccomp.ArchInvalid, fmt.Errorf("architecture %s: %w", name, err)
	}
	return arch, nil
}

// errUnknownFlag marks a flag this package does not know, as opposed to a
// known one the library or kernel cannot apply.
var errUnknownFlag = errors.New("unknown seccomp flag")

func applyFlag(f *libseccomp.ScmpFilter, flag specs.LinuxSeccompFlag) error {
	var err error
	switch flag {
	case flagTsync:
		// libseccomp-golang sets TSYNC on every filter it creates: the
		// filter always covers every thread of the Go runtime.
		return nil
	case specs.LinuxSeccompFlagLog:
		err = f.SetLogBit(true)
	case specs.LinuxSeccompFlagSpecAllow:
		err = f.SetSSB(true)
	case specs.LinuxSeccompFlagWaitKillableRecv:
		err = f.SetWaitKill(true)
	default:
		return fmt.Errorf("%w %q", errUnknownFlag, flag)
	}
	if err != nil {
		maj, min, mic := Version()
		return fmt.Errorf("%s is not supported by libseccomp %d.%d.%d on this kernel: %w", flag, maj, min, mic, err)
	}
	return nil
}

// FlagSupported returns nil when flag is known and the linked libseccomp
// and the running kernel can apply it. specconv needs it to give runc's
// default: with "flags" absent runc applies SECCOMP_FILTER_FLAG_SPEC_ALLOW
// when supported.
func FlagSupported(flag specs.LinuxSeccompFlag) error {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return fmt.Errorf("create probe filter: %w", err)
	}
	defer f.Release()
	return applyFlag(f, flag)
}

// Flags returns the filter flags this package knows and the subset the
// linked libseccomp and the running kernel support, for the features
// command.
func Flags() (known, supported []string) {
	for _, flag := range flagNames {
		known = append(known, string(flag))
		if FlagSupported(flag) == nil {
			supported = append(supported, string(flag))
		}
	}
	return known, supported
}

// Archs returns, sorted, the runtime-spec architecture names the linked
// libseccomp can add to a filter, for the features command.
func Archs() []string {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil
	}
	defer f.Release()
	var out []string
	for name := range archNames {
		arch, err := lookupArch(name)
		if err != nil {
			continue
		}
		if f.AddArch(arch) == nil {
			out = append(out, string(name))
		}
	}
	slices.Sort(out)
	return out
}

// Version returns the version of the libseccomp the binary runs with.
func Version() (major, minor, micro uint) {
	return libseccomp.GetLibraryVersion()
}

// Probe reports what the linked libseccomp and the running kernel support.
func Probe() Support {
	known, supported := Flags()
	maj, min, mic := Version()
	return Support{
		Archs:          Archs(),
		KnownFlags:     known,
		SupportedFlags: supported,
		Version:        fmt.Sprintf("%d.%d.%d", maj, min, mic),
	}
}

// UsesNotify reports whether a rule uses SCMP_ACT_NOTIFY, i.e. whether Load
// returns a notify fd that must go to the agent at linux.seccomp.listenerPath.
func (f *Filter) UsesNotify() bool { return f.notify }

// Load installs the filter on every thread of the calling process (TSYNC).
// The runtime itself never calls it: a container's processes get their
// filter from the finisher (ocirun-exec), which loads [Filter.BPF] right
// before execve. Load is for this package's tests, which check what a
// compiled filter does. no_new_privs is not set by the filter, so the
// caller must either have set it or still hold CAP_SYS_ADMIN.
//
// It returns the user-notification fd (close-on-exec) when a rule uses
// SCMP_ACT_NOTIFY, else -1.
func (f *Filter) Load() (int, error) {
	if !f.notify {
		prog, flags, err := f.BPF()
		if err != nil {
			return -1, err
		}
		return -1, LoadProgram(prog, flags|unix.SECCOMP_FILTER_FLAG_TSYNC)
	}
	if err := f.f.Load(); err != nil {
		if errors.Is(err, unix.EACCES) {
			return -1, fmt.Errorf("load seccomp filter: %w (no_new_privs is not set and CAP_SYS_ADMIN is missing)", err)
		}
		return -1, fmt.Errorf("load seccomp filter: %w", err)
	}
	if !f.notify {
		return -1, nil
	}
	fd, err := f.f.GetNotifFd()
	if err != nil {
		return -1, fmt.Errorf("get seccomp notify fd: %w", err)
	}
	if fd < 0 {
		return -1, errors.New("get seccomp notify fd: libseccomp returned none although a rule uses SCMP_ACT_NOTIFY")
	}
	return int(fd), nil
}

// Release frees the filter's libseccomp context.
func (f *Filter) Release() { f.f.Release() }

// PFC returns libseccomp's human-readable rendering of the filter (Pseudo
// Filter Code), for tests and debugging.
func (f *Filter) PFC() (string, error) {
	fd, err := unix.MemfdCreate("seccomp-pfc", unix.MFD_CLOEXEC)
	if err != nil {
		return "", fmt.Errorf("export seccomp filter: memfd_create: %w", err)
	}
	file := os.NewFile(uintptr(fd), "seccomp-pfc")
	defer file.Close()
	if err := f.f.ExportPFC(file); err != nil {
		return "", fmt.Errorf("export seccomp filter: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("export seccomp filter: %w", err)
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return "", fmt.Errorf("export seccomp filter: %w", err)
	}
	return string(b), nil
}

// Load compiles s and installs it on every thread of the calling process;
// see [Filter.Load]. Syscall names the linked libseccomp does not know are
// skipped without a report; use Build and [Filter.Load] to see them.
func Load(s *configs.Seccomp) (notifyFd int, err error) {
	f, err := Build(s)
	if err != nil {
		return -1, err
	}
	defer f.Release()
	return f.Load()
}
