package systemd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
)

// fakeHelper writes a helper that keeps its request in dir/req.json and
// then runs script.
func fakeHelper(t *testing.T, script string) (helper, req string) {
	dir := t.TempDir()
	req = filepath.Join(dir, "req.json")
	helper = filepath.Join(dir, HelperBinary)
	body := "#!/bin/sh\ncat >" + req + "\n" + script + "\n"
	if err := os.WriteFile(helper, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return helper, req
}

func TestCallHelper(t *testing.T) {
	limit := int64(42)
	r := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	helper, reqFile := fakeHelper(t, "exit 0")
	m := &Manager{unit: cgroups.Unit{Slice: "a-b.slice", Name: "p-n.scope"}, mode: cgroups.Unified, helper: helper}
	if err := m.call(&Request{Op: OpSet, Unit: m.unit.Name, Mode: m.mode, Resources: r}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	var got Request
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("request %s: %v", data, err)
	}
	if got.Op != OpSet || got.Unit != "p-n.scope" || got.Mode != cgroups.Unified || *got.Resources.Pids.Limit != 42 {
		t.Errorf("request %s", data)
	}

	// The helper's last line is the error, as it wrote it.
	helper, _ = fakeHelper(t, "echo noise >&2; echo 'start systemd unit p-n.scope in a-b.slice: property X=1: refused' >&2; exit 1")
	m.helper = helper
	err = m.call(&Request{Op: OpStop, Unit: m.unit.Name})
	if err == nil || err.Error() != "start systemd unit p-n.scope in a-b.slice: property X=1: refused" {
		t.Errorf("helper failure: %v", err)
	}

	// A helper that cannot run, or dies without a word, is named.
	for _, h := range []string{filepath.Join(t.TempDir(), "missing"), func() string { h, _ := fakeHelper(t, "kill -9 $$"); return h }()} {
		m.helper = h
		err = m.call(&Request{Op: OpStop, Unit: m.unit.Name})
		if err == nil || !strings.Contains(err.Error(), "p-n.scope") || !strings.Contains(err.Error(), "installed with ocirun") {
			t.Errorf("helper %s: %v", h, err)
		}
	}
}

func TestLoadNeedsScope(t *testing.T) {
	s := cgroups.State{Mode: cgroups.Unified, Paths: map[string]string{"": "/sys/fs/cgroup/a.slice/x.service"}, Mountpoint: "/sys/fs/cgroup", Unit: "x.service"}
	if _, err := Load(s, "/nonexistent"); err == nil || !strings.Contains(err.Error(), "not a scope") {
		t.Errorf("Load of a non-scope unit: %v", err)
	}
	s.Unit = "x.scope"
	m, err := Load(s, "/nonexistent")
	if err != nil || m.State().Unit != "x.scope" || !m.started {
		t.Errorf("Load: %+v, %v", m, err)
	}
}
