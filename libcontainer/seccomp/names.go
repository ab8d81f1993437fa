// Package seccomp compiles a runtime-spec linux.seccomp object into a
// libseccomp filter, loads it, and hands a user-notification fd to the
// seccomp agent named by listenerPath.
//
// The translation follows runtime-spec; where the spec is silent it follows
// runc, because the profiles engines generate were written against runc:
//
//   - A syscall name the linked libseccomp does not know is skipped, not an
//     error: profiles list syscalls newer than the library (or the kernel)
//     and must still load. Build reports each skipped name in
//     [Filter.Skipped].
//   - A rule whose action (with its errno) equals the default action is
//     skipped: libseccomp refuses such rules and they change nothing.
//   - The args of one rule are ANDed into a single libseccomp rule. When two
//     args of a rule test the same argument index, libseccomp cannot AND
//     them, and each arg becomes a rule of its own (so they are ORed). This
//     is runc's long-standing behaviour and is kept for compatibility.
//   - SECCOMP_FILTER_FLAG_TSYNC is always in effect (libseccomp-golang sets
//     it on every filter), so listing it changes nothing.
//   - The filter's no_new_privs attribute is off: the init decides about
//     no_new_privs itself, and loads the filter while it still holds
//     CAP_SYS_ADMIN when no_new_privs is not requested.
//
// Stricter than runc, as runtime-spec requires: errnoRet on an action that
// carries no errno, an unsupported flag, an architecture the linked
// libseccomp cannot add, or SCMP_ACT_NOTIFY without a listenerPath are
// errors that name the JSON path of the offending value.
package seccomp

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// actionNames are the runtime-spec action names this package accepts.
var actionNames = []specs.LinuxSeccompAction{
	specs.ActKill,
	specs.ActKillProcess,
	specs.ActKillThread,
	specs.ActTrap,
	specs.ActErrno,
	specs.ActTrace,
	specs.ActAllow,
	specs.ActLog,
	specs.ActNotify,
}

// operatorNames are the runtime-spec comparison operators.
var operatorNames = []specs.LinuxSeccompOperator{
	specs.OpNotEqual,
	specs.OpLessThan,
	specs.OpLessEqual,
	specs.OpEqualTo,
	specs.OpGreaterEqual,
	specs.OpGreaterThan,
	specs.OpMaskedEqual,
}

// flagTsync is in runtime-spec's list of flags but has no constant in
// specs-go.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// flagNames are the runtime-spec filter flags this package knows; which of
// them the linked libseccomp and the kernel support is decided at run time.
var flagNames = []specs.LinuxSeccompFlag{
	flagTsync,
	specs.LinuxSeccompFlagLog,
	specs.LinuxSeccompFlagSpecAllow,
	specs.LinuxSeccompFlagWaitKillableRecv,
}

// archNames maps runtime-spec architecture names to the names
// libseccomp-golang's GetArchFromString understands.
var archNames = map[specs.Arch]string{
	specs.ArchX86:         "x86",
	specs.ArchX86_64:      "amd64",
	specs.ArchX32:         "x32",
	specs.ArchARM:         "arm",
	specs.ArchAARCH64:     "arm64",
	specs.ArchMIPS:        "mips",
	specs.ArchMIPS64:      "mips64",
	specs.ArchMIPS64N32:   "mips64n32",
	specs.ArchMIPSEL:      "mipsel",
	specs.ArchMIPSEL64:    "mipsel64",
	specs.ArchMIPSEL64N32: "mipsel64n32",
	specs.ArchPPC:         "ppc",
	specs.ArchPPC64:       "ppc64",
	specs.ArchPPC64LE:     "ppc64le",
	specs.ArchS390:        "s390",
	specs.ArchS390X:       "s390x",
	specs.ArchPARISC:      "parisc",
	specs.ArchPARISC64:    "parisc64",
	specs.ArchRISCV64:     "riscv64",
	specs.ArchLOONGARCH64: "loong64",
	specs.ArchM68K:        "m68k",
	specs.ArchSH:          "sh",
	specs.ArchSHEB:        "sheb",
}

// KnownActions returns the runtime-spec action names Build accepts, sorted,
// for the features command.
func KnownActions() []string { return sortedStrings(actionNames) }

// Operators returns the runtime-spec operator names Build accepts, sorted,
// for the features command.
func Operators() []string { return sortedStrings(operatorNames) }

func sortedStrings[T ~string](in []T) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, string(v))
	}
	slices.Sort(out)
	return out
}
