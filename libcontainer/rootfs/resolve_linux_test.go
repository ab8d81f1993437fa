package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A hostile rootfs: symlinks that point out of it, absolutely and by "..".
func hostileRoot(t *testing.T) (root *os.File, rootPath, outside string) {
	t.Helper()
	base := t.TempDir()
	rootPath = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{rootPath + "/etc/inner", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":    outside,             // absolute, to a real directory outside
		"up":     "../../../../../..", // climbs above the root
		"etc2":   "/etc",              // absolute, meant inside
		"lnk":    "/etc/inner",
		"loop":   "loop",
		"dangle": "/nowhere/deeper",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(rootPath, name)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(rootPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, rootPath, outside
}

func realPathOf(t *testing.T, f *os.File) string {
	t.Helper()
	p, err := os.Readlink(fdPath(f))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bothResolvers runs test with openat2 and with the pathrs-lite fallback
// that kernels without a usable openat2 get: the two must agree.
func bothResolvers(t *testing.T, test func(t *testing.T)) {
	t.Run("openat2", test)
	t.Run("pathrs-lite", func(t *testing.T) {
		saved := openat2Works
		openat2Works = func() bool { return false }
		t.Cleanup(func() { openat2Works = saved })
		test(t)
	})
}

func TestMkdirAllInRootStaysInside(t *testing.T) { bothResolvers(t, testMkdirAllInRootStaysInside) }

func TestMkdirAllInRootRefusesFilesAndLoops(t *testing.T) {
	bothResolvers(t, testMkdirAllInRootRefusesFilesAndLoops)
}

func TestOpenInRootStaysInside(t *testing.T) { bothResolvers(t, testOpenInRootStaysInside) }

func testMkdirAllInRootStaysInside(t *testing.T) {
	root, rootPath, outside := hostileRoot(t)
	cases := []struct{ name, want string }{
		{"/up/x", rootPath + "/x"},
		{"/etc2/sub", rootPath + "/etc/sub"},
		{"/", rootPath},
		// ".." after a symlink goes to the parent of its target, as in a
		// path walk, not lexically to the root.
		{"/lnk/../made", rootPath + "/etc/made"},
	}
	for _, c := range cases {
		f, err := mkdirAllInRoot(root, c.name, 0o755)
		if err != nil {
			t.Fatalf("mkdirAllInRoot(%q): %v", c.name, err)
		}
		if got := realPathOf(t, f); got != c.want {
			t.Errorf("mkdirAllInRoot(%q) is at %s, want %s", c.name, got, c.want)
		}
		f.Close()
		// A second call finds what the first made.
		f, err = mkdirAllInRoot(root, c.name, 0o755)
		if err != nil {
			t.Fatalf("mkdirAllInRoot(%q) again: %v", c.name, err)
		}
		f.Close()
	}
	// A dangling symlink is not followed to create what it names (callers
	// resolve it first, as ensure does): the host path "abs" names must not
	// be created, in the root or outside it.
	if _, err := mkdirAllInRoot(root, "new/../other", 0o755); !errors.Is(err, unix.ENOENT) {
		t.Errorf("through \"..\" below a directory to create: got %v, want ENOENT", err)
	}
	for _, name := range []string{"/abs/x/y", "/dangle"} {
		if _, err := mkdirAllInRoot(root, name, 0o755); !errors.Is(err, unix.ENOTDIR) {
			t.Errorf("mkdirAllInRoot(%q) through a dangling symlink: got %v, want ENOTDIR", name, err)
		}
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("something was created outside the root: %v", entries)
	}
}

func testMkdirAllInRootRefusesFilesAndLoops(t *testing.T) {
	root, rootPath, _ := hostileRoot(t)
	if err := os.WriteFile(filepath.Join(rootPath, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mkdirAllInRoot(root, "/file/sub", 0o755); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("under a file: got %v, want ENOTDIR", err)
	}
	if _, err := mkdirAllInRoot(root, "/loop/sub", 0o755); !errors.Is(err, unix.ELOOP) {
		t.Errorf("under a symlink loop: got %v, want ELOOP", err)
	}
}

func testOpenInRootStaysInside(t *testing.T) {
	root, rootPath, _ := hostileRoot(t)
	f, err := openInRoot(root, "/up/etc")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := realPathOf(t, f); got != rootPath+"/etc" {
		t.Errorf("/up/etc opened %s, want %s", got, rootPath+"/etc")
	}
	if _, err := openInRoot(root, "/abs"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("/abs (a host path, missing in the root): got %v, want ENOENT", err)
	}
}
