package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestValidateID(t *testing.T) {
	good := []string{"a", "ctr-1", "A_b.c+d", strings.Repeat("x", 255)}
	for _, id := range good {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v", id, err)
		}
	}
	bad := map[string]string{
		"":                       "must not be empty",
		".":                      "only letters",
		"..":                     "only letters",
		"../x":                   "only letters",
		"a/b":                    "only letters",
		"a b":                    "only letters",
		"a\x00b":                 "only letters",
		strings.Repeat("x", 256): "longer than 255",
	}
	for id, want := range bad {
		err := ValidateID(id)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateID(%q) = %v, want an error containing %q", id, err, want)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "state")}
	if ids, err := s.List(); err != nil || len(ids) != 0 {
		t.Fatalf("List of a missing root = %v, %v", ids, err)
	}
	d, err := s.newDir("c1")
	if err != nil {
		t.Fatal(err)
	}
	// A directory without state.json, while its create holds the lock,
	// is not a container yet.
	if _, err := s.Peek("c1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Peek before state = %v", err)
	}
	st := &State{ID: "c1", Bundle: "/b", InitPid: os.Getpid(), Config: &configs.Config{Labels: map[string]string{"k": "v"}}}
	st.InitStartTime, _, _ = processStartTime(os.Getpid())
	if err := writeConfig(d.path, st.Config); err != nil {
		t.Fatal(err)
	}
	if err := writeState(d.path, st); err != nil {
		t.Fatal(err)
	}
	if _, err := s.newDir("c1"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second newDir = %v", err)
	}
	d.unlock()
	// state.json stays small: the config lives in a file of its own.
	if b, _ := os.ReadFile(filepath.Join(d.path, stateFile)); strings.Contains(string(b), `"labels"`) {
		t.Errorf("state.json holds the config: %s", b)
	}

	c, err := s.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID() != "c1" || c.State().Bundle != "/b" {
		t.Errorf("loaded %+v", c.State())
	}
	if c.State().Config != nil {
		t.Error("Load read the config, which only some commands need")
	}
	if cfg, err := c.Config(); err != nil || cfg.Labels["k"] != "v" {
		t.Errorf("Config() = %+v, %v", cfg, err)
	}
	// We are alive and there is no start socket: running.
	if got := c.Status(); got != Running {
		t.Errorf("Status = %s, want running", got)
	}
	if err := os.WriteFile(filepath.Join(d.path, startSock), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := c.Status(); got != Created {
		t.Errorf("Status with start socket = %s, want created", got)
	}
	// A different start time means the pid was reused: stopped.
	c.state.InitStartTime++
	if got := c.Status(); got != Stopped {
		t.Errorf("Status with reused pid = %s, want stopped", got)
	}
	if c.Pid() != 0 || c.SpecState().Pid != 0 {
		t.Errorf("a stopped container reports pid %d", c.Pid())
	}
	if err := c.Signal(unix.SIGTERM, false); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal to stopped = %v", err)
	}
	if err := c.Delete(false); err != nil {
		t.Fatal(err)
	}
	c.Unlock()
	if _, err := s.Load("c1"); !errors.Is(err, ErrNotExist) || !strings.Contains(err.Error(), `container "c1" does not exist`) {
		t.Errorf("Load after delete = %v", err)
	}
	if ids, _ := s.List(); len(ids) != 0 {
		t.Errorf("List after delete = %v", ids)
	}
}

func TestProcessStartTimeParsesOddNames(t *testing.T) {
	start, zombie, err := processStartTime(os.Getpid())
	if err != nil || start == 0 || zombie {
		t.Fatalf("processStartTime(self) = %d, %v, %v", start, zombie, err)
	}
	if _, _, err := processStartTime(1 << 30); err == nil {
		t.Error("no error for a pid that cannot exist")
	}
	tail := " 1 1 0 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %d 1000 10 18446744073709551615\n"
	for _, tc := range []struct {
		line   string
		start  uint64
		zombie bool
	}{
		{"42 (sh) S" + fmt.Sprintf(tail, 777), 777, false},
		{"42 (a) b (c) R) Z" + fmt.Sprintf(tail, 9), 9, true},
		{"42 (x y\nz) X" + fmt.Sprintf(tail, 12345678901), 12345678901, true},
	} {
		start, zombie, err := parseStat([]byte(tc.line))
		if err != nil || start != tc.start || zombie != tc.zombie {
			t.Errorf("%q: %d, %v, %v", tc.line, start, zombie, err)
		}
	}
	for _, bad := range []string{"42 sh S 1", "42 (sh) S 1 2 3", "42 (sh) S" + strings.Replace(fmt.Sprintf(tail, 1), " 1 1000", " x 1000", 1)} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestBootstrapFor(t *testing.T) {
	b, err := bootstrapFor([]configs.Namespace{
		{Type: configs.NEWUSER},
		{Type: configs.NEWNET, Path: "/run/netns/x"},
		{Type: configs.NEWPID},
		{Type: configs.NEWTIME},
	}, []configs.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
		[]configs.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
		map[string]configs.TimeOffset{"boottime": {Secs: 5}, "monotonic": {Secs: -3, Nanosecs: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint32(unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWTIME); b.CloneFlags != want {
		t.Errorf("CloneFlags = %#x, want %#x", b.CloneFlags, want)
	}
	if len(b.Join) != 1 || b.Join[0].Flag != unix.CLONE_NEWNET || b.Join[0].Path != "/run/netns/x" {
		t.Errorf("Join = %+v", b.Join)
	}
	if !b.BecomeRoot {
		t.Error("root is mapped but BecomeRoot is false")
	}
	if want := "monotonic -3 7\nboottime 5 0\n"; b.TimeOffsets != want {
		t.Errorf("TimeOffsets = %q, want %q", b.TimeOffsets, want)
	}

	b, _ = bootstrapFor([]configs.Namespace{{Type: configs.NEWUSER}}, []configs.IDMap{{ContainerID: 1000, HostID: 1000, Size: 1}}, nil, nil)
	if b.BecomeRoot {
		t.Error("BecomeRoot without uid 0 in the map")
	}
	if _, err := bootstrapFor([]configs.Namespace{{Type: "bogus"}}, nil, nil, nil); err == nil {
		t.Error("unknown namespace type accepted")
	}
}

func TestFormatIDMap(t *testing.T) {
	got := string(formatIDMap([]configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}))
	if want := "0 1000 1\n1 100000 65536\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWritePidFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pid")
	if err := WritePidFile(p, 4242); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "4242" {
		t.Errorf("pid file holds %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// The cgroup state lives in cgroup.json: state.json keeps only where the
// freezer is, and the commands that need the manager read the rest.
func TestCgroupStateInItsOwnFile(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "state")}
	d, err := s.newDir("c1")
	if err != nil {
		t.Fatal(err)
	}
	freezer := t.TempDir()
	if err := os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte("FROZEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(freezer, "freezer.self_freezing"), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := &cgroups.State{Mode: cgroups.Legacy, Paths: map[string]string{"freezer": freezer, "memory": "/sys/fs/cgroup/memory/c1"},
		Created: []string{"/sys/fs/cgroup/memory/c1"}}
	fr := cs.Freezer()
	st := &State{ID: "c1", InitPid: os.Getpid(), CgroupState: cs, Freezer: &fr}
	st.InitStartTime, _, _ = processStartTime(os.Getpid())
	if err := writeCgroupState(d.path, cs); err != nil {
		t.Fatal(err)
	}
	if err := writeState(d.path, st); err != nil {
		t.Fatal(err)
	}
	d.unlock()
	if b, _ := os.ReadFile(filepath.Join(d.path, stateFile)); strings.Contains(string(b), "memory") {
		t.Errorf("state.json holds the cgroup paths: %s", b)
	}
	c, err := s.Peek("c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.State().CgroupState != nil {
		t.Error("Peek read the cgroup state, which only some commands need")
	}
	if got := c.Status(); got != Paused {
		t.Errorf("Status = %s, want paused (from the freezer files)", got)
	}
	m, err := c.cgroupManager()
	if err != nil || m == nil || m.Path("memory") != "/sys/fs/cgroup/memory/c1" {
		t.Fatalf("manager from cgroup.json: %v, %v", m, err)
	}
	if got := c.State().CgroupState; !reflect.DeepEqual(got, cs) {
		t.Errorf("cgroup state read back as %+v", got)
	}
}

// A state directory that a killed command left without state.json, or with
// a damaged one, is shown as damaged, and delete --force removes it; one
// without state.json does not block its id.
func TestDamagedEntries(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "state")}
	for name, content := range map[string]*string{"missing": nil, "empty": ptr(""), "garbage": ptr("\x00{\"id"), "other-id": ptr(`{"id":"x"}`)} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(s.Root, "c1")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if content != nil {
				if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(*content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, err := s.Peek("c1")
			if err != nil {
				t.Fatalf("Peek = %v", err)
			}
			if c.Status() != Damaged || c.Damaged() == nil || c.SpecState().Pid != 0 {
				t.Errorf("status %s, damaged %v", c.Status(), c.Damaged())
			}
			c, err = s.Load("c1")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Delete(false); !errors.Is(err, ErrDamaged) {
				t.Errorf("Delete(false) = %v", err)
			}
			if err := c.Delete(true); err != nil {
				t.Errorf("Delete(true) = %v", err)
			}
			c.Unlock()
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state directory left: %v", err)
			}
		})
	}
	// An empty directory whose lock nobody holds is reused by create.
	if err := os.MkdirAll(filepath.Join(s.Root, "c2"), 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := s.newDir("c2")
	if err != nil {
		t.Fatalf("newDir over a stale directory = %v", err)
	}
	d.unlock()
}

// An entry still marked creating is "creating" while its create holds the
// lock, and what a killed create left once it does not.
func TestCreatingMark(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "state")}
	d, err := s.newDir("c1")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(d.path, &State{ID: "c1", Creating: true}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Peek("c1")
	if err != nil || c.Status() != Creating {
		t.Fatalf("Peek during create = %v, %v", c, err)
	}
	d.unlock()
	if got := c.Status(); got != Stopped {
		t.Errorf("status after the create died = %s", got)
	}
	c, err = s.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(false); err != nil {
		t.Errorf("Delete of a dead create = %v", err)
	}
	c.Unlock()
	if ids, _ := s.List(); len(ids) != 0 {
		t.Errorf("left: %v", ids)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSplitResources(t *testing.T) {
	limit, pids := int64(4<<20), int64(5)
	shares := uint64(100)
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &limit},
		Pids:    &specs.LinuxPids{Limit: &pids},
		CPU:     &specs.LinuxCPU{Shares: &shares},
		Unified: map[string]string{"memory.high": "1M", "cpu.weight": "10"},
	}
	early, late := splitResources(r)
	if early.Memory != nil || early.Pids != nil || early.CPU == nil || !reflect.DeepEqual(early.Unified, map[string]string{"cpu.weight": "10"}) {
		t.Errorf("early = %+v", early)
	}
	if late.Memory != r.Memory || late.Pids != r.Pids || late.CPU != nil || !reflect.DeepEqual(late.Unified, map[string]string{"memory.high": "1M"}) {
		t.Errorf("late = %+v", late)
	}
	if r.Unified["memory.high"] != "1M" {
		t.Error("the config's own map was changed")
	}
	only := &specs.LinuxResources{CPU: r.CPU}
	if e, l := splitResources(only); e != only || l != nil {
		t.Errorf("without late limits: %v, %v", e, l)
	}
}
