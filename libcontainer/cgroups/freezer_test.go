package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A cgroup that is gone when the runtime thaws it (systemd removes a
// scope as soon as its last process dies, which a SIGKILL to a frozen v2
// cgroup brings about at once) has nothing left to thaw. A cgroup that is
// there without the freezer's file still fails, naming the file.
func TestThawOfAVanishedCgroup(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "ctr.scope")
	if err := thawV2(writeFile, gone); err != nil {
		t.Errorf("v2 thaw of a removed cgroup: %v", err)
	}
	if err := thawV1(writeFile, gone); err != nil {
		t.Errorf("v1 thaw of a removed cgroup: %v", err)
	}

	// Removed between the check and the write.
	dir := filepath.Join(t.TempDir(), "ctr.scope")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	removeThenFail := func(d, file, value string) error {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
		return &WriteError{Path: filepath.Join(d, file), Value: value, Err: unix.ENOENT}
	}
	if err := thawV2(removeThenFail, dir); err != nil {
		t.Errorf("v2 thaw of a cgroup removed during the thaw: %v", err)
	}

	present := t.TempDir()
	err := thawV2(writeFile, present)
	if err == nil || !strings.Contains(err.Error(), "cgroup.freeze does not exist") {
		t.Errorf("v2 thaw of a cgroup without cgroup.freeze: got %v, want the missing file named", err)
	}
	if err := thawV1(writeFile, present); err == nil {
		t.Error("v1 thaw of a cgroup without freezer.state succeeded")
	}
}
