package libcontainer

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
)

func TestExecPlanNeedsGoFor(t *testing.T) {
	cfg := &execView{}
	plan, err := execPlan(cfg, &configs.Process{Args: []string{"sh"}, Terminal: true}, 0, false, noSeccomp)
	if err != nil || plan != nil {
		t.Errorf("terminal: got a plan (%v), want stage 1", err)
	}
	plan, err = execPlan(cfg, &configs.Process{Args: []string{"sh"}}, 0, true, noSeccomp)
	if err != nil || plan != nil {
		t.Errorf("paused container: got a plan (%v), want stage 1", err)
	}
	// What used to need Go is the finisher's now.
	for name, p := range map[string]*configs.Process{
		"apparmor":   {Args: []string{"sh"}, ApparmorProfile: "x"},
		"selinux":    {Args: []string{"sh"}, SelinuxLabel: "x"},
		"scheduler":  {Args: []string{"sh"}, Scheduler: &configs.Scheduler{}},
		"ioPriority": {Args: []string{"sh"}, IOPriority: &configs.IOPriority{}},
	} {
		if plan, err := execPlan(cfg, p, 0, false, noSeccomp); err != nil || plan == nil {
			t.Errorf("%s: no plan (%v)", name, err)
		}
	}
}

func TestExecPlanTranslatesTheProcess(t *testing.T) {
	umask := uint32(0o077)
	cfg := &execView{Personality: &configs.Personality{Domain: 8}}
	p := &configs.Process{
		Args: []string{"sh", "-c", "id"},
		Env:  []string{"PATH=/bin"},
		User: configs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{7}, Umask: &umask},
		Capabilities: &configs.Capabilities{
			Bounding: []int{0, 21}, Effective: []int{0}, Permitted: []int{0, 21}, Ambient: []int{0},
		},
		NoNewPrivileges: true,
		Rlimits:         []configs.Rlimit{{Type: 7, Soft: 10, Hard: 20}},
	}
	enc, err := execPlan(cfg, p, 2, false, noSeccomp)
	if err != nil || enc == nil {
		t.Fatalf("execPlan: %v, %v", enc, err)
	}
	got, err := initproto.DecodePlan(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cwd != "/" || got.UID != 1000 || got.GID != 1001 || got.Umask != 0o077 || len(got.Groups) != 1 ||
		!got.NoNewPrivs || got.PreserveFds != 2 || got.Personality == nil || *got.Personality != 8 || len(got.Rlimits) != 1 {
		t.Errorf("plan: %+v", got)
	}
	c := got.Caps
	if c == nil || c.Bounding != 1|1<<21 || c.Effective != 1 || c.Permitted != 1|1<<21 || c.Inheritable != 0 || c.Ambient != 1 {
		t.Errorf("capabilities: %+v", c)
	}

	p.User.Umask, p.Capabilities, p.Cwd = nil, nil, "/tmp"
	enc, _ = execPlan(&execView{}, p, 0, false, noSeccomp)
	got, _ = initproto.DecodePlan(enc)
	if got.Umask != 0o022 || got.Caps != nil || got.Cwd != "/tmp" || got.Personality != nil {
		t.Errorf("defaults: %+v", got)
	}
}

func noSeccomp() ([]byte, uint32, bool) { return nil, 0, false }

// The program stage 1 hands over during create is what later execs load;
// without one (or with a damaged one) an exec of a container with a filter
// goes through stage 1.
func TestSeccompProgramFromCreate(t *testing.T) {
	c := &Container{dir: t.TempDir(), state: State{ID: "ct"}}
	if _, _, ok := c.seccompProgram(); ok {
		t.Fatal("a program before create handed one over")
	}
	prog := bytes.Repeat([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, 3)
	payload := append(binary.LittleEndian.AppendUint32(nil, 4), prog...)
	if err := c.keepSeccompProgram(payload); err != nil {
		t.Fatal(err)
	}
	got, flags, ok := c.seccompProgram()
	if !ok || flags != 4 || !bytes.Equal(got, prog) {
		t.Errorf("stored program: flags %d, same %v, ok %v", flags, bytes.Equal(got, prog), ok)
	}
	if err := c.keepSeccompProgram(payload[:7]); err == nil {
		t.Error("a truncated program was kept")
	}
	if err := os.WriteFile(filepath.Join(c.dir, seccompFile), payload[:9], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.seccompProgram(); ok {
		t.Error("a damaged program file was used")
	}

	cfg := &execView{Seccomp: &struct{}{}}
	if plan, err := execPlan(cfg, &configs.Process{Args: []string{"true"}}, 0, false, noSeccomp); err != nil || plan != nil {
		t.Errorf("filter without a stored program: got a plan (%v), want stage 1", err)
	}
}

// The exec view is read from the config.json that create stores: what it
// keeps must come through.
func TestExecViewOfStoredConfig(t *testing.T) {
	umask := uint32(0o027)
	cfg := &configs.Config{
		Rootfs:      "/r",
		Namespaces:  []configs.Namespace{{Type: configs.NEWPID}, {Type: configs.NEWUSER, Path: "/proc/1/ns/user"}},
		Personality: &configs.Personality{Domain: 8},
		Process: &configs.Process{Args: []string{"sh"}, Env: []string{"A=1"}, Cwd: "/w",
			User:         configs.User{UID: 5, GID: 6, Umask: &umask},
			Capabilities: &configs.Capabilities{Bounding: []int{1, 2}}},
		Seccomp: &configs.Seccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir"}, Action: specs.ActErrno},
			{Names: []string{"openat"}, Action: specs.ActNotify},
		}},
	}
	c := &Container{dir: t.TempDir(), state: State{ID: "ct"}}
	if err := writeConfig(c.dir, cfg); err != nil {
		t.Fatal(err)
	}
	v, err := c.execConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Namespaces, cfg.Namespaces) || !reflect.DeepEqual(v.Process, cfg.Process) ||
		!reflect.DeepEqual(v.Personality, cfg.Personality) {
		t.Errorf("view %+v does not match the config", v)
	}
	if !v.namespace(configs.NEWUSER) || v.namespace(configs.NEWNET) {
		t.Errorf("namespaces: %+v", v.Namespaces)
	}
	if v.Seccomp == nil {
		t.Error("linux.seccomp was not seen")
	}
}
