package cgroups

import (
	"maps"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDelegated(t *testing.T) {
	limit := int64(1 << 20)
	for _, tc := range []struct {
		name      string
		delegated []string // controllers whose directory the user may write
		r         *specs.LinuxResources
		kept      []string // nil: no cgroup at all
		err       string
	}{
		{name: "nothing delegated, nothing asked", delegated: nil, r: nil, kept: nil},
		{
			name: "nothing delegated, only device rules", delegated: nil,
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			kept: nil,
		},
		{
			name: "a limit without its controller", delegated: []string{"pids", "freezer"},
			r:   &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}},
			err: "linux.resources.memory: the cgroup ",
		},
		{
			name: "limits on delegated controllers", delegated: []string{"memory", "freezer"},
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}},
			kept: []string{"freezer", "memory"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newV1Fixture(t, "memory", "pids", "freezer", "devices")
			old := delegatedDir
			t.Cleanup(func() { delegatedDir = old })
			delegatedDir = func(dir string) bool {
				for _, c := range tc.delegated {
					if dir == m.paths[c] {
						return true
					}
				}
				return false
			}
			got, err := Delegated(m, tc.r)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "not delegated") {
					t.Fatalf("err = %v, want one containing %q and saying not delegated", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.r != nil && tc.r.Devices != nil {
				t.Errorf("device rules kept: %v", tc.r.Devices)
			}
			if tc.kept == nil {
				if got != nil {
					t.Fatalf("got a manager with %v, want none", got.State().Paths)
				}
				return
			}
			if ctrls := slices.Sorted(maps.Keys(got.State().Paths)); !slices.Equal(ctrls, tc.kept) {
				t.Errorf("kept %v, want %v", ctrls, tc.kept)
			}
		})
	}
}
