package seccomp

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func loadFixture(t *testing.T, name string) *configs.Seccomp {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s configs.Seccomp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return &s
}

func mustBuild(t *testing.T, s *configs.Seccomp) (*Filter, string) {
	t.Helper()
	f, err := Build(s)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(f.Release)
	pfc, err := f.PFC()
	if err != nil {
		t.Fatalf("PFC: %v", err)
	}
	return f, pfc
}

func uintp(v uint) *uint { return &v }

// nativeSection returns the part of a PFC dump that filters the native
// architecture, so that tests do not match rules of the other ABIs.
func nativeSection(t *testing.T, pfc string) string {
	t.Helper()
	arch, err := libseccomp.GetNativeArch()
	if err != nil {
		t.Fatal(err)
	}
	name := arch.String()
	if name == "amd64" {
		name = "x86_64"
	}
	parts := strings.Split(pfc, "# filter for arch ")
	for _, p := range parts {
		if strings.HasPrefix(p, name+" ") {
			return p
		}
	}
	t.Fatalf("no section for arch %s in:\n%s", name, pfc)
	return ""
}

// ruleBlock returns the lines of the PFC section that belong to syscall nr.
func ruleBlock(section string, nr libseccomp.ScmpSyscall) string {
	var out []string
	in := false
	head := regexp.MustCompile(`^\s*if \(\$syscall == (\d+)\)`)
	for _, line := range strings.Split(section, "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			in = m[1] == itoa(int(nr))
		}
		if in {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}

func itoa(v int) string { return strconv.Itoa(v) }

func sysnr(t *testing.T, name string) libseccomp.ScmpSyscall {
	t.Helper()
	nr, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	return nr
}

func TestBuildDefaultProfile(t *testing.T) {
	s := loadFixture(t, "default-profile.json")
	f, pfc := mustBuild(t, s)
	if f.UsesNotify() {
		t.Error("UsesNotify = true for a profile without SCMP_ACT_NOTIFY")
	}

	// Every name the library does not know is reported, each exactly
	// once, with its JSON path; nothing else is.
	var want []string
	for i, sc := range s.Syscalls {
		for j, name := range sc.Names {
			if _, err := libseccomp.GetSyscallFromName(name); err != nil {
				want = append(want, "linux.seccomp.syscalls["+itoa(i)+"].names["+itoa(j)+`]: unknown syscall "`+name+`"`)
			}
		}
	}
	if !slices.Equal(f.Skipped, want) {
		t.Errorf("Skipped =\n%q\nwant\n%q", f.Skipped, want)
	}
	t.Logf("libseccomp %s skipped %d names: %q", versionString(), len(f.Skipped), f.Skipped)

	for _, arch := range []string{"x86_64", "x86 ", "x32"} {
		if !strings.Contains(pfc, "# filter for arch "+arch) {
			t.Errorf("filter has no section for arch %q", arch)
		}
	}
	if !regexp.MustCompile(`# default action\s+action ERRNO\(38\);`).MatchString(pfc) {
		t.Errorf("default action is not ERRNO(38):\n%s", tail(pfc, 5))
	}

	native := nativeSection(t, pfc)
	checks := []struct {
		syscall string
		want    []string
	}{
		{"read", []string{"action ALLOW;"}},
		{"kexec_load", []string{"action ERRNO(1);"}},
		{"personality", []string{"if ($a0.lo32 == 0)\naction ALLOW;", "if ($a0.lo32 == 8)\naction ALLOW;",
			"if ($a0.lo32 == 131072)\naction ALLOW;", "if ($a0.lo32 == 131080)\naction ALLOW;", "if ($a0.lo32 == 4294967295)\naction ALLOW;"}},
		{"clone", []string{"if ($a0.lo32 & 0x7e020000 == 0)\naction ALLOW;"}},
		{"socket", []string{"if ($a2.lo32 == 9)\naction ERRNO(22);", "if ($a2.lo32 == 9)\nelse\naction ALLOW;", "if ($a0.lo32 == 16)"}},
	}
	for _, c := range checks {
		block := ruleBlock(native, sysnr(t, c.syscall))
		if block == "" {
			t.Errorf("%s: no rule in the native filter", c.syscall)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(block, w) {
				t.Errorf("%s: rule lacks %q:\n%s", c.syscall, w, block)
			}
		}
	}
	// A syscall with no rule falls to the default action, and so does
	// clone3, whose ERRNO(38) rule repeats the default and is skipped.
	for _, name := range []string{"mount", "clone3"} {
		if block := ruleBlock(native, sysnr(t, name)); block != "" {
			t.Errorf("%s has a rule, want the default action:\n%s", name, block)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func versionString() string {
	maj, min, mic := Version()
	return itoa(int(maj)) + "." + itoa(int(min)) + "." + itoa(int(mic))
}

func TestBuildRules(t *testing.T) {
	s := &configs.Seccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uintp(1),
		Syscalls: []specs.LinuxSyscall{
			// Same as the default (ERRNO with the implied EPERM): skipped.
			{Names: []string{"getpid"}, Action: specs.ActErrno},
			// Same action, other errno: kept.
			{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uintp(13)},
			// Unknown names are skipped, known ones in the same rule kept.
			{Names: []string{"no_such_syscall_x", "getuid"}, Action: specs.ActAllow},
			// Different indexes: one rule, ANDed.
			{Names: []string{"getpriority"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0, Op: specs.OpEqualTo},
				{Index: 1, Value: 4242, Op: specs.OpGreaterThan},
			}},
			// Same index twice: one rule per condition (runc's behaviour).
			{Names: []string{"setpriority"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 1, Op: specs.OpEqualTo},
				{Index: 0, Value: 2, Op: specs.OpEqualTo},
			}},
			{Names: []string{"kill"}, Action: specs.ActKillProcess},
			{Names: []string{"tkill"}, Action: specs.ActKill},
			{Names: []string{"tgkill"}, Action: specs.ActTrace, ErrnoRet: uintp(7)},
			{Names: []string{"getgid"}, Action: specs.ActLog},
			{Names: []string{"getegid"}, Action: specs.ActTrap},
		},
	}
	f, pfc := mustBuild(t, s)
	if want := []string{`linux.seccomp.syscalls[2].names[0]: unknown syscall "no_such_syscall_x"`}; !slices.Equal(f.Skipped, want) {
		t.Errorf("Skipped = %q, want %q", f.Skipped, want)
	}
	native := nativeSection(t, pfc)
	checks := []struct {
		syscall string
		want    string // "" means: no rule at all
	}{
		// ANDed: the a0 test is not followed by an action of its own.
		{"getpriority", "if ($a0.lo32 == 0)\nif ($a1.hi32 > 0)\naction ALLOW;"},
		{"getpid", ""},
		{"getppid", "action ERRNO(13);"},
		{"getuid", "action ALLOW;"},
		{"getpriority", "if ($a1.lo32 > 4242)\naction ALLOW;"},
		// ORed: each a0 test has its own action.
		{"setpriority", "if ($a0.lo32 == 2)\naction ALLOW;\nif ($a0.lo32 == 1)\naction ALLOW;"},
		{"kill", "action KILL_PROCESS;"},
		{"tkill", "action KILL;"},
		{"tgkill", "action TRACE(7);"},
		{"getgid", "action LOG;"},
		{"getegid", "action TRAP;"},
	}
	for _, c := range checks {
		block := ruleBlock(native, sysnr(t, c.syscall))
		if c.want == "" {
			if block != "" {
				t.Errorf("%s: want no rule, got:\n%s", c.syscall, block)
			}
			continue
		}
		if !strings.Contains(block, c.want) {
			t.Errorf("%s: rule lacks %q:\n%s", c.syscall, c.want, block)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	allow := func(mod func(s *configs.Seccomp)) *configs.Seccomp {
		s := &configs.Seccomp{
			DefaultAction: specs.ActErrno,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}},
		}
		mod(s)
		return s
	}
	tests := []struct {
		name string
		s    *configs.Seccomp
		want string
	}{
		{"nil", nil, "linux.seccomp: no seccomp configuration"},
		{"no default action", allow(func(s *configs.Seccomp) { s.DefaultAction = "" }),
			"linux.seccomp.defaultAction: missing action"},
		{"unknown default action", allow(func(s *configs.Seccomp) { s.DefaultAction = "SCMP_ACT_NOPE" }),
			`linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{"defaultErrnoRet on allow", allow(func(s *configs.Seccomp) {
			s.DefaultAction, s.DefaultErrnoRet = specs.ActAllow, uintp(1)
		}), "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not return an errno"},
		{"defaultErrnoRet too large", allow(func(s *configs.Seccomp) { s.DefaultErrnoRet = uintp(4096) }),
			"linux.seccomp.defaultErrnoRet: 4096 is out of range for SCMP_ACT_ERRNO (at most 4095)"},
		{"notify as default", allow(func(s *configs.Seccomp) { s.DefaultAction = specs.ActNotify }),
			"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
		{"metadata without listener", allow(func(s *configs.Seccomp) { s.ListenerMetadata = "x" }),
			"linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath"},
		{"unknown arch", allow(func(s *configs.Seccomp) { s.Architectures = []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"} }),
			`linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"`},
		{"unknown flag", allow(func(s *configs.Seccomp) { s.Flags = []specs.LinuxSeccompFlag{flagTsync, "SECCOMP_FILTER_FLAG_NOPE"} }),
			`linux.seccomp.flags[1]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NOPE"`},
		{"rule action unknown", allow(func(s *configs.Seccomp) { s.Syscalls[0].Action = "SCMP_ACT_FOO" }),
			`linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO"`},
		{"rule action missing", allow(func(s *configs.Seccomp) { s.Syscalls[0].Action = "" }),
			`linux.seccomp.syscalls[0].action: missing action`},
		{"errnoRet on allow", allow(func(s *configs.Seccomp) { s.Syscalls[0].ErrnoRet = uintp(1) }),
			"linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW does not return an errno"},
		{"errnoRet on kill", allow(func(s *configs.Seccomp) {
			s.Syscalls[0].Action, s.Syscalls[0].ErrnoRet = specs.ActKillProcess, uintp(1)
		}), "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL_PROCESS does not return an errno"},
		{"trace message too large", allow(func(s *configs.Seccomp) {
			s.Syscalls[0].Action, s.Syscalls[0].ErrnoRet = specs.ActTrace, uintp(65536)
		}), "linux.seccomp.syscalls[0].errnoRet: 65536 is out of range for SCMP_ACT_TRACE (at most 65535)"},
		{"no names", allow(func(s *configs.Seccomp) { s.Syscalls[0].Names = nil }),
			"linux.seccomp.syscalls[0].names: must name at least one syscall"},
		{"empty name", allow(func(s *configs.Seccomp) { s.Syscalls[0].Names = []string{"read", ""} }),
			"linux.seccomp.syscalls[0].names[1]: empty syscall name"},
		{"arg index", allow(func(s *configs.Seccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo}, {Index: 6, Op: specs.OpEqualTo}}
		}), "linux.seccomp.syscalls[0].args[1].index: 6 is out of range, syscalls have arguments 0 to 5"},
		{"arg op", allow(func(s *configs.Seccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_ALMOST"}}
		}), `linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_ALMOST"`},
		{"arg op missing", allow(func(s *configs.Seccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0}}
		}), `linux.seccomp.syscalls[0].args[0].op: missing operator`},
		{"notify on write", allow(func(s *configs.Seccomp) {
			s.ListenerPath = "/run/agent.sock"
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"mkdir", "write"}, Action: specs.ActNotify})
		}), `linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used for "write"`},
		{"notify without listener", allow(func(s *configs.Seccomp) {
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActNotify})
		}), "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Build(tc.s)
			if err == nil {
				f.Release()
				t.Fatalf("Build succeeded, want error %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	known, supported := Flags()
	if want := []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}; !slices.Equal(known, want) {
		t.Errorf("known flags = %q, want %q", known, want)
	}
	t.Logf("libseccomp %s: supported flags %q", versionString(), supported)
	if !slices.Contains(supported, "SECCOMP_FILTER_FLAG_TSYNC") {
		t.Error("TSYNC is not reported as supported")
	}
	if err := FlagSupported("SECCOMP_FILTER_FLAG_NOPE"); !errors.Is(err, errUnknownFlag) {
		t.Errorf("FlagSupported(unknown) = %v, want errUnknownFlag", err)
	}
	// Every known flag either builds, or fails with its JSON path and the
	// library version, exactly as FlagSupported predicts.
	for _, flag := range known {
		s := &configs.Seccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlag(flag)}}
		f, err := Build(s)
		if slices.Contains(supported, flag) {
			if err != nil {
				t.Errorf("%s: Build: %v", flag, err)
				continue
			}
			f.Release()
			continue
		}
		if err == nil {
			f.Release()
			t.Errorf("%s: Build succeeded although the flag is reported unsupported", flag)
			continue
		}
		if want := "linux.seccomp.flags[0]: " + flag + " is not supported by libseccomp " + versionString(); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %q, want prefix %q", flag, err, want)
		}
	}
}

func TestFeatureLists(t *testing.T) {
	if got := KnownActions(); len(got) != 9 || !slices.IsSorted(got) || !slices.Contains(got, "SCMP_ACT_KILL_PROCESS") {
		t.Errorf("KnownActions = %q", got)
	}
	if got := Operators(); len(got) != 7 || !slices.IsSorted(got) || !slices.Contains(got, "SCMP_CMP_MASKED_EQ") {
		t.Errorf("Operators = %q", got)
	}
	archs := Archs()
	if !slices.IsSorted(archs) || !slices.Contains(archs, "SCMP_ARCH_X86_64") || !slices.Contains(archs, "SCMP_ARCH_AARCH64") {
		t.Errorf("Archs = %q", archs)
	}
	t.Logf("libseccomp %s: archs %q", versionString(), archs)
	// Every reported arch builds.
	for _, a := range archs {
		f, err := Build(&configs.Seccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.Arch(a)}})
		if err != nil {
			t.Errorf("Build with %s: %v", a, err)
			continue
		}
		f.Release()
	}
	if maj, _, _ := Version(); maj < 2 {
		t.Errorf("Version major = %d", maj)
	}
}
