package cgroups

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestCleanCgroupsPath(t *testing.T) {
	tests := []struct {
		path, id, want, err string
	}{
		{path: "", id: "ctr1", want: "ctr1"},
		{path: "/a/b", want: "/a/b"},
		{path: "/a/../b", want: "/b"},
		{path: "/../../etc", want: "/etc"},
		{path: "a/b", want: "a/b"},
		{path: "../../a", want: "a"},
		{path: "a/../../b", want: "b"},
		{path: "./a//b/", want: "a/b"},
		{path: "/libpod_parent/libpod-abc", want: "/libpod_parent/libpod-abc"},
		{path: "machine.slice:libpod:abc", want: "machine.slice:libpod:abc"},
		{path: "/", err: "root of the cgroup hierarchy"},
		{path: "..", err: "root of the cgroup hierarchy"},
		{path: "a/..", err: "root of the cgroup hierarchy"},
		{path: "", id: "", err: "cannot name a cgroup"},
		{path: "", id: "..", err: "cannot name a cgroup"},
		{path: "", id: "a/b", err: "cannot name a cgroup"},
	}
	for _, tc := range tests {
		got, err := cleanCgroupsPath(tc.path, tc.id)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("cleanCgroupsPath(%q, %q) = %q, %v; want error with %q", tc.path, tc.id, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("cleanCgroupsPath(%q, %q) = %q, %v; want %q", tc.path, tc.id, got, err, tc.want)
		}
	}
}

// testHybridHost is this machine's layout, with the runtime in a nested
// memory cgroup.
func testHybridHost() *host {
	v1 := map[string]mount{}
	for _, c := range []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"} {
		v1[c] = mount{Dir: "/sys/fs/cgroup/" + c, Root: "/"}
	}
	v1["name=systemd"] = mount{Dir: "/sys/fs/cgroup/systemd", Root: "/"}
	own := map[string]string{"": "/", "name=systemd": "/"}
	for c := range v1 {
		own[c] = "/"
	}
	own["memory"] = "/process_api/abc"
	return &host{
		mode:    Hybrid,
		v1:      v1,
		unified: mount{Dir: "/sys/fs/cgroup/unified", Root: "/"},
		own:     own,
	}
}

func TestNewPathsV1(t *testing.T) {
	tests := []struct {
		name string
		host func() *host
		path string
		want map[string]string // a subset of the resulting paths
		err  string
	}{
		{
			name: "absolute ignores own cgroup",
			host: testHybridHost, path: "/libpod_parent/libpod-1",
			want: map[string]string{
				"memory":       "/sys/fs/cgroup/memory/libpod_parent/libpod-1",
				"cpu":          "/sys/fs/cgroup/cpu/libpod_parent/libpod-1",
				"name=systemd": "/sys/fs/cgroup/systemd/libpod_parent/libpod-1",
				"":             "/sys/fs/cgroup/unified/libpod_parent/libpod-1",
			},
		},
		{
			name: "relative is below own cgroup of each hierarchy",
			host: testHybridHost, path: "test/c1",
			want: map[string]string{
				"memory":  "/sys/fs/cgroup/memory/process_api/abc/test/c1",
				"devices": "/sys/fs/cgroup/devices/test/c1",
				"":        "/sys/fs/cgroup/unified/test/c1",
			},
		},
		{
			name: "empty is the id, relative",
			host: testHybridHost, path: "",
			want: map[string]string{
				"memory": "/sys/fs/cgroup/memory/process_api/abc/ctr",
				"pids":   "/sys/fs/cgroup/pids/ctr",
			},
		},
		{
			name: "escape attempts are cleaned",
			host: testHybridHost, path: "../../../x",
			want: map[string]string{"memory": "/sys/fs/cgroup/memory/process_api/abc/x"},
		},
		{
			name: "co-mounted controllers share a directory",
			host: func() *host {
				h := testHybridHost()
				h.mode = Legacy
				h.v1["cpu"] = mount{Dir: "/sys/fs/cgroup/cpu,cpuacct", Root: "/"}
				h.v1["cpuacct"] = h.v1["cpu"]
				return h
			},
			path: "/a",
			want: map[string]string{"cpu": "/sys/fs/cgroup/cpu,cpuacct/a", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/a"},
		},
		{
			name: "bind-mounted subtree (runtime inside a container)",
			host: func() *host {
				h := testHybridHost()
				h.v1["memory"] = mount{Dir: "/sys/fs/cgroup/memory", Root: "/docker/xyz"}
				h.own["memory"] = "/docker/xyz/inner"
				return h
			},
			path: "c",
			want: map[string]string{"memory": "/sys/fs/cgroup/memory/inner/c"},
		},
		{
			name: "own cgroup outside the mount",
			host: func() *host {
				h := testHybridHost()
				h.v1["memory"] = mount{Dir: "/sys/fs/cgroup/memory", Root: "/docker/xyz"}
				h.own["memory"] = "/other"
				return h
			},
			path: "c", err: "outside what /sys/fs/cgroup/memory shows",
		},
		{
			name: "no devices controller",
			host: func() *host {
				h := testHybridHost()
				delete(h.v1, "devices")
				return h
			},
			path: "/a", err: "devices controller is not mounted",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newManager(tc.host(), &configs.Cgroup{Path: tc.path}, "ctr")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got := m.Path(k); got != v {
					t.Errorf("Path(%q) = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestNewPathsV2(t *testing.T) {
	h := &host{
		mode:    Unified,
		unified: mount{Dir: "/sys/fs/cgroup", Root: "/"},
		own:     map[string]string{"": "/user.slice/user-0.slice/session-1.scope"},
	}
	tests := []struct{ path, want string }{
		{"/machine.slice/libpod-1", "/sys/fs/cgroup/machine.slice/libpod-1"},
		// Relative: next to the runtime's own cgroup, which holds processes.
		{"c1", "/sys/fs/cgroup/user.slice/user-0.slice/c1"},
		{"", "/sys/fs/cgroup/user.slice/user-0.slice/ctr"},
		{"../../../../x", "/sys/fs/cgroup/user.slice/user-0.slice/x"},
	}
	for _, tc := range tests {
		m, err := newManager(h, &configs.Cgroup{Path: tc.path}, "ctr")
		if err != nil {
			t.Fatalf("%q: %v", tc.path, err)
		}
		for _, c := range []string{"", "memory"} {
			if got := m.Path(c); got != tc.want {
				t.Errorf("%q: Path(%q) = %q, want %q", tc.path, c, got, tc.want)
			}
		}
	}
	// The runtime in the root cgroup (e.g. in its own cgroup namespace).
	h.own[""] = "/"
	m, err := newManager(h, &configs.Cgroup{Path: "c"}, "ctr")
	if err != nil || m.Path("") != "/sys/fs/cgroup/c" {
		t.Errorf("own cgroup /: %v, %v", m, err)
	}
}

func TestSystemdDriver(t *testing.T) {
	// The systemd driver is package cgroups/systemd; New must not quietly
	// make a cgroupfs cgroup for its config.
	_, err := newManager(testHybridHost(), &configs.Cgroup{Path: "machine.slice:libpod:abc", Systemd: true}, "abc")
	if !errors.Is(err, ErrSystemdDriver) {
		t.Errorf("systemd config: %v", err)
	}
}

func TestParseProcCgroup(t *testing.T) {
	in := "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/x\n0::/user.slice\n"
	got, err := parseProcCgroup(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name=systemd": "/", "memory": "/process_api/abc", "cpu": "/x", "cpuacct": "/x", "": "/user.slice"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parseProcCgroup("garbage\n"); err == nil {
		t.Error("no error for a malformed line")
	}
}

const testMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd,release_agent=/x
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:32 /docker/x /mnt/mem\040cg rw,relatime - cgroup cgroup rw,memory
51 23 0:33 / /other/devices rw - cgroup cgroup rw,devices
`

func TestPickMounts(t *testing.T) {
	entries, err := mountinfo.GetMountsFromReader(strings.NewReader(testMountinfo), nil)
	if err != nil {
		t.Fatal(err)
	}
	v1, unified := pickMounts(entries, Hybrid)
	want := map[string]mount{
		"cpu":          {Dir: "/sys/fs/cgroup/cpu,cpuacct", Root: "/"},
		"cpuacct":      {Dir: "/sys/fs/cgroup/cpu,cpuacct", Root: "/"},
		"memory":       {Dir: "/sys/fs/cgroup/memory", Root: "/"},
		"devices":      {Dir: "/sys/fs/cgroup/devices", Root: "/"},
		"name=systemd": {Dir: "/sys/fs/cgroup/systemd", Root: "/"},
	}
	if !reflect.DeepEqual(v1, want) {
		t.Errorf("v1 = %v\nwant %v", v1, want)
	}
	if unified != (mount{Dir: "/sys/fs/cgroup/unified", Root: "/"}) {
		t.Errorf("unified = %v", unified)
	}
	if _, u := pickMounts(entries, Legacy); u.Dir != "" {
		t.Errorf("legacy mode picked a cgroup2 mount: %v", u)
	}
}

func TestDetectMode(t *testing.T) {
	tests := []struct {
		root, unified int64
		rootErr       error
		want          Mode
	}{
		{root: unix.CGROUP2_SUPER_MAGIC, want: Unified},
		{root: unix.TMPFS_MAGIC, unified: unix.CGROUP2_SUPER_MAGIC, want: Hybrid},
		{root: unix.TMPFS_MAGIC, want: Legacy},
		{root: unix.CGROUP_SUPER_MAGIC, want: Legacy},
		{rootErr: unix.ENOENT, want: Unavailable},
		{root: 0x9fa0, want: Unavailable},
	}
	for _, tc := range tests {
		got := detectMode(func(p string) (int64, error) {
			if p == cgroupRoot {
				return tc.root, tc.rootErr
			}
			if tc.unified == 0 {
				return 0, unix.ENOENT
			}
			return tc.unified, nil
		})
		if got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}

func TestStateJSONAndLoad(t *testing.T) {
	s := State{
		Mode:    Hybrid,
		Paths:   map[string]string{"memory": "/sys/fs/cgroup/memory/a/b", "": "/sys/fs/cgroup/unified/a/b"},
		Created: []string{"/sys/fs/cgroup/memory/a", "/sys/fs/cgroup/memory/a/b"},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"mode":"hybrid"`) {
		t.Errorf("mode not readable: %s", b)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip: %+v != %+v", back, s)
	}
	m, err := Load(back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.State(), s) || m.Path("memory") != "/sys/fs/cgroup/memory/a/b" {
		t.Errorf("loaded state %+v", m.State())
	}

	v2 := State{Mode: Unified, Paths: map[string]string{"": "/sys/fs/cgroup/x/c"}, Mountpoint: "/sys/fs/cgroup", Created: []string{"/sys/fs/cgroup/x/c"}}
	m, err = Load(v2)
	if err != nil || m.Path("memory") != "/sys/fs/cgroup/x/c" || !reflect.DeepEqual(m.State(), v2) {
		t.Errorf("v2 load: %v %+v", err, m)
	}

	bad := []State{
		{Mode: Unavailable, Paths: map[string]string{"": "/x"}},
		{Mode: Legacy},
		{Mode: Legacy, Paths: map[string]string{"memory": "relative"}},
		{Mode: Legacy, Paths: map[string]string{"memory": "/a/../b"}},
		{Mode: Legacy, Paths: map[string]string{"memory": "/sys/fs/cgroup/memory/a"}, Created: []string{"/etc"}},
		{Mode: Legacy, Paths: map[string]string{"memory": "/sys/fs/cgroup/memory/a"}, Created: []string{"/sys/fs/cgroup/memory/a/b"}},
		{Mode: Unified, Paths: map[string]string{"": "/sys/fs/cgroup/a", "memory": "/sys/fs/cgroup/a"}, Mountpoint: "/sys/fs/cgroup"},
		{Mode: Unified, Paths: map[string]string{"": "/elsewhere/a"}, Mountpoint: "/sys/fs/cgroup"},
	}
	for _, s := range bad {
		if _, err := Load(s); err == nil {
			t.Errorf("Load(%+v) accepted", s)
		}
	}
	var mode Mode
	if err := json.Unmarshal([]byte(`"weird"`), &mode); err == nil {
		t.Error("unknown mode accepted")
	}
}

// Stage 0 joins v1 hierarchies through "tasks" (a thread moving itself),
// cgroup2 through cgroup.procs, once per directory.
func TestSelfJoinFiles(t *testing.T) {
	h := testHybridHost()
	h.v1["cpu"] = mount{Dir: "/sys/fs/cgroup/cpu,cpuacct", Root: "/"}
	h.v1["cpuacct"] = h.v1["cpu"]
	m, err := newManager(h, &configs.Cgroup{Path: "/a"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/sys/fs/cgroup/blkio/a/tasks",
		"/sys/fs/cgroup/cpu,cpuacct/a/tasks",
		"/sys/fs/cgroup/cpuset/a/tasks",
		"/sys/fs/cgroup/devices/a/tasks",
		"/sys/fs/cgroup/freezer/a/tasks",
		"/sys/fs/cgroup/memory/a/tasks",
		"/sys/fs/cgroup/pids/a/tasks",
		"/sys/fs/cgroup/systemd/a/tasks",
		"/sys/fs/cgroup/unified/a/cgroup.procs",
	}
	if got := m.SelfJoinFiles(); !slices.Equal(got, want) {
		t.Errorf("hybrid: got\n%q\nwant\n%q", got, want)
	}

	v2 := &host{mode: Unified, unified: mount{Dir: "/sys/fs/cgroup", Root: "/"}, own: map[string]string{"": "/"}}
	m, err = newManager(v2, &configs.Cgroup{Path: "/machine.slice/c"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.SelfJoinFiles(), []string{"/sys/fs/cgroup/machine.slice/c/cgroup.procs"}; !slices.Equal(got, want) {
		t.Errorf("v2: got %q, want %q", got, want)
	}
}

// State.Freezer().State() reads the same freezer files as a loaded manager
// would.
func TestStateFreezer(t *testing.T) {
	v1 := t.TempDir()
	writeTree(t, v1, map[string]string{"freezer.state": "FROZEN\n", "freezer.self_freezing": "1\n"})
	v2 := t.TempDir()
	writeTree(t, v2, map[string]string{"cgroup.freeze": "0\n"})
	for _, tc := range []struct {
		name string
		s    State
		want FreezerState
		err  bool
	}{
		{"v1 frozen", State{Mode: Legacy, Paths: map[string]string{"freezer": v1, "memory": "/x"}}, Frozen, false},
		{"hybrid frozen", State{Mode: Hybrid, Paths: map[string]string{"freezer": v1, "": v2}}, Frozen, false},
		{"v2 thawed", State{Mode: Unified, Paths: map[string]string{"": v2}, Mountpoint: filepath.Dir(v2)}, Thawed, false},
		{"no freezer", State{Mode: Legacy, Paths: map[string]string{"memory": v1}}, Undefined, false},
		{"unclean path", State{Mode: Legacy, Paths: map[string]string{"freezer": v1 + "/../x"}}, Undefined, true},
		{"bad mode", State{Paths: map[string]string{"freezer": v1}}, Undefined, true},
	} {
		got, err := tc.s.Freezer().State()
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
		if tc.err {
			continue
		}
		m, err := Load(tc.s)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if st, err := m.FreezerState(); st != got || err != nil {
			t.Errorf("%s: the manager says %q (%v), Freezer %q", tc.name, st, err, got)
		}
	}
}
