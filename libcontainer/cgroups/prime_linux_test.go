package cgroups

import (
	"os"
	"testing"
)

// The prime is a move into the cgroup the process is already in: with or
// without the privilege to write cgroup.procs, nothing may change.
func TestPrimeMigrationKeepsTheCgroup(t *testing.T) {
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skip(err)
	}
	PrimeMigration()
	after, err := os.ReadFile("/proc/self/cgroup")
	if err != nil || string(after) != string(before) {
		t.Errorf("cgroups changed:\n%s\nto\n%s (%v)", before, after, err)
	}
}
