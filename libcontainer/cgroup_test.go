package libcontainer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
)

// A v1 layout in a temporary directory: cpu and cpuacct share a hierarchy,
// memory and freezer have their own, plus the controller-less cgroup2.
func subCgroupWorld(t *testing.T) (cgroups.Manager, string) {
	t.Helper()
	root := t.TempDir()
	paths := map[string]string{
		"cpu": root + "/cpu,cpuacct/ct", "cpuacct": root + "/cpu,cpuacct/ct",
		"memory": root + "/memory/ct", "freezer": root + "/freezer/ct", "": root + "/unified/ct",
	}
	for _, d := range paths {
		for _, sub := range []string{"a", "b/c"} {
			if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(paths["memory"], "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := cgroups.Load(cgroups.State{Mode: cgroups.Hybrid, Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return m, root
}

func TestSubCgroupFiles(t *testing.T) {
	m, root := subCgroupWorld(t)
	files := m.SelfJoinFiles()
	tests := []struct {
		name string
		sub  map[string]string
		want []string
		err  string
	}{
		{name: "none", want: files},
		{name: "every hierarchy", sub: map[string]string{"": "b/c"}, want: []string{
			"/cpu,cpuacct/ct/b/c/tasks", "/freezer/ct/b/c/tasks", "/memory/ct/b/c/tasks", "/unified/ct/b/c/cgroup.procs"}},
		{name: "leading slash is below the container", sub: map[string]string{"": "/a"}, want: []string{
			"/cpu,cpuacct/ct/a/tasks", "/freezer/ct/a/tasks", "/memory/ct/a/tasks", "/unified/ct/a/cgroup.procs"}},
		{name: "per controller", sub: map[string]string{"cpu": "a", "cpuacct": "a", "memory": "b/c"}, want: []string{
			"/cpu,cpuacct/ct/a/tasks", "/freezer/ct/tasks", "/memory/ct/b/c/tasks", "/unified/ct/cgroup.procs"}},
		{name: "shared hierarchy, two paths", sub: map[string]string{"cpu": "a", "cpuacct": "b/c"}, err: "shares its hierarchy"},
		{name: "unknown controller", sub: map[string]string{"pids": "a"}, err: `sub-cgroup pids:a: the container has no cgroup of controller "pids"`},
		{name: "missing", sub: map[string]string{"memory": "nope"}, err: `sub-cgroup "nope" of the container's cgroup ` + root + "/memory/ct: stat " + root + "/memory/ct/nope: no such file or directory"},
		{name: "a file", sub: map[string]string{"memory": "file"}, err: "not a directory"},
		{name: "escape", sub: map[string]string{"": "../other"}, err: `sub-cgroup "../other": not a path below the container's cgroup`},
		{name: "the container's own", sub: map[string]string{"": "/"}, err: "not a path below"},
		{name: "both forms", sub: map[string]string{"": "a", "memory": "a"}, err: "cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subCgroupFiles(m, append([]string(nil), files...), tt.sub)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v; want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], root)
			}
			want := tt.want
			if tt.sub == nil {
				want = nil
				for _, f := range files {
					want = append(want, strings.TrimPrefix(f, root))
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}

	v2dir := root + "/unified/ct"
	m2, err := cgroups.Load(cgroups.State{Mode: cgroups.Unified, Paths: map[string]string{"": v2dir}, Mountpoint: root + "/unified"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subCgroupFiles(m2, m2.SelfJoinFiles(), map[string]string{"memory": "a"}); err == nil || !strings.Contains(err.Error(), "cgroup v2 has one hierarchy") {
		t.Errorf("controller prefix on v2: %v", err)
	}
	got, err := subCgroupFiles(m2, m2.SelfJoinFiles(), map[string]string{"": "a"})
	if err != nil || !reflect.DeepEqual(got, []string{v2dir + "/a/cgroup.procs"}) {
		t.Errorf("v2: %q %v", got, err)
	}
}
