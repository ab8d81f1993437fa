package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Destroy on plain directories: rmdir behaves as on cgroupfs for empty
// ones, and a regular file plays a cgroup that cannot be removed.
func TestDestroy(t *testing.T) {
	root := t.TempDir()
	p := func(s string) string { return filepath.Join(root, s) }
	for _, d := range []string{"a/ctr/sub/deeper", "shared/ctr", "shared/other", "pre/ctr"} {
		if err := os.MkdirAll(p(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := &base{
		paths: map[string]string{"memory": p("a/ctr"), "pids": p("shared/ctr"), "cpu": p("pre/ctr"), "cpuacct": p("pre/ctr")},
		// pre/ctr existed before Apply: the container's all the same,
		// while its parent pre is not.
		created: []string{p("a"), p("a/ctr"), p("shared"), p("shared/ctr")},
		write:   writeFile,
	}
	if err := b.destroy(); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{
		"a": false, "a/ctr": false, // with the sub-cgroups the container made
		"shared": true, "shared/other": true, "shared/ctr": false,
		"pre/ctr": false, "pre": true,
	} {
		if isDir(p(d)) != want {
			t.Errorf("%s exists = %v, want %v", d, !want, want)
		}
	}
	// The shared parent stays recorded: it is still ours to remove later.
	if !reflect.DeepEqual(b.created, []string{p("shared")}) {
		t.Errorf("created after destroy: %v", b.created)
	}
	if err := os.Remove(p("shared/other")); err != nil {
		t.Fatal(err)
	}
	if err := b.destroy(); err != nil || isDir(p("shared")) || len(b.created) != 0 {
		t.Errorf("second destroy: %v, created %v", err, b.created)
	}
	// Nothing left: a no-op.
	if err := b.destroy(); err != nil {
		t.Error(err)
	}
}

func TestDestroyReportsBusy(t *testing.T) {
	root := t.TempDir()
	leaf := filepath.Join(root, "ctr")
	writeTree(t, root, map[string]string{"ctr/cgroup.procs": "123\n"})
	b := &base{paths: map[string]string{"": leaf}, created: []string{leaf}, write: writeFile}
	err := b.destroy()
	if err == nil || !strings.Contains(err.Error(), "remove cgroup "+leaf) || !errors.Is(err, unix.ENOTEMPTY) {
		t.Errorf("err = %v", err)
	}
	if !reflect.DeepEqual(b.created, []string{leaf}) {
		t.Errorf("created = %v", b.created)
	}
}

func TestJoinPidRetriesTaskNew(t *testing.T) {
	tries := 0
	b := &base{write: func(dir, file, value string) error {
		tries++
		if tries < 3 {
			return &WriteError{Path: file, Value: value, Err: unix.EINVAL}
		}
		return nil
	}}
	if err := b.joinPid("/x", 7); err != nil || tries != 3 {
		t.Errorf("err %v after %d tries", err, tries)
	}
	b.write = func(dir, file, value string) error { return &WriteError{Path: file, Value: value, Err: unix.ESRCH} }
	if err := b.joinPid("/x", 7); err == nil || !strings.Contains(err.Error(), "move pid 7 into cgroup /x: the process no longer exists") {
		t.Errorf("ESRCH: %v", err)
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	err := writeFile(dir, "memory.max", "1 2")
	var we *WriteError
	if !errors.As(err, &we) || !errors.Is(err, unix.ENOENT) ||
		err.Error() != "set "+filepath.Join(dir, "memory.max")+` to "1 2": no such file or directory` {
		t.Errorf("err = %v", err)
	}
	err = withHint(err, "because")
	if !strings.HasSuffix(err.Error(), ": no such file or directory (because)") {
		t.Errorf("hint: %v", err)
	}
	writeTree(t, dir, map[string]string{"pids.max": "max\n"})
	if err := writeFile(dir, "pids.max", "10"); err != nil || readTree(t, dir, "pids.max") != "10" {
		t.Errorf("write: %v", err)
	}
}

func TestWriteSettling(t *testing.T) {
	// Refuse "b" until "a" was written, and "c" until "b" was.
	done := map[string]bool{}
	w := func(dir, file, value string) error {
		if (file == "b" && !done["a"]) || (file == "c" && !done["b"]) {
			return &WriteError{Path: file, Value: value, Err: unix.EINVAL}
		}
		done[file] = true
		return nil
	}
	if err := writeSettling(w, "/", []fileValue{{"c", "1"}, {"b", "1"}, {"a", "1"}}); err != nil {
		t.Error(err)
	}
	never := func(dir, file, value string) error {
		return &WriteError{Path: file, Value: value, Err: unix.EINVAL}
	}
	if err := writeSettling(never, "/", []fileValue{{"a", "1"}}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("never: %v", err)
	}
	other := func(dir, file, value string) error {
		return &WriteError{Path: file, Value: value, Err: unix.EACCES}
	}
	if err := writeSettling(other, "/", []fileValue{{"a", "1"}, {"b", "1"}}); !errors.Is(err, unix.EACCES) {
		t.Errorf("other errno: %v", err)
	}
}
