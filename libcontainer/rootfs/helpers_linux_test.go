package rootfs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Only a "shared:N" optional field puts a mount in a peer group.
func TestShared(t *testing.T) {
	const in = `22 27 0:21 / /proc rw,relatime master:2 - proc proc rw
27 1 254:0 / / rw,relatime shared:1 master:2 - ext4 /dev/vda rw,discard
28 27 0:22 / /run rw - tmpfs tmpfs rw
`
	infos, err := mountinfo.GetMountsFromReader(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, true, false} {
		if got := shared(infos[i]); got != want {
			t.Errorf("shared(%s) = %v, want %v", infos[i].Mountpoint, got, want)
		}
	}
	if infos, err := readMountinfo(); err != nil || len(infos) == 0 {
		t.Errorf("readMountinfo: %d, %v", len(infos), err)
	}
}

func TestCgroupOptions(t *testing.T) {
	tests := []struct {
		super, data string
		controllers []string
	}{
		{"rw,cpu,cpuacct", "cpu,cpuacct", []string{"cpu", "cpuacct"}},
		{"rw,xattr,release_agent=/lib/systemd/x,name=systemd", "xattr,name=systemd", []string{"name=systemd"}},
		{"ro,cpuset,noprefix,clone_children", "cpuset,noprefix,clone_children", []string{"cpuset"}},
		{"rw,nsdelegate", "nsdelegate", []string{"nsdelegate"}},
	}
	for _, tc := range tests {
		if got := cgroupData(tc.super); got != tc.data {
			t.Errorf("cgroupData(%q) = %q, want %q", tc.super, got, tc.data)
		}
		if got := cgroupControllers(tc.super); !reflect.DeepEqual(got, tc.controllers) {
			t.Errorf("cgroupControllers(%q) = %q, want %q", tc.super, got, tc.controllers)
		}
	}
	paths := map[string]string{"memory": "/m", "systemd": "/s", "": "/u"}
	for _, tc := range []struct {
		h    *mountinfo.Info
		want string
	}{
		{&mountinfo.Info{FSType: "cgroup", VFSOptions: "rw,memory"}, "/m"},
		{&mountinfo.Info{FSType: "cgroup", VFSOptions: "rw,name=systemd"}, "/s"},
		{&mountinfo.Info{FSType: "cgroup", VFSOptions: "rw,cpu"}, ""},
		{&mountinfo.Info{FSType: "cgroup2", VFSOptions: "rw"}, "/u"},
	} {
		if got := cgroupPathFor(tc.h, paths); got != tc.want {
			t.Errorf("cgroupPathFor(%q) = %q, want %q", tc.h.VFSOptions, got, tc.want)
		}
	}
}

func TestFlagNames(t *testing.T) {
	for flags, want := range map[uint64]string{
		0:                                   "0",
		unix.MS_BIND | unix.MS_REC:          "MS_BIND|MS_REC",
		unix.MS_RDONLY | 1<<40:              "MS_RDONLY|0x10000000000",
		unix.MS_SLAVE | unix.MS_STRICTATIME: "MS_SLAVE|MS_STRICTATIME",
	} {
		if got := flagNames(flags); got != want {
			t.Errorf("flagNames(%#x) = %q, want %q", flags, got, want)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{
		{"/a/b", "/a", true}, {"/a", "/a", true}, {"/ab", "/a", false}, {"/x", "/", true}, {"/a", "/a/", true},
	} {
		if got := within(tc.p, tc.dir); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.p, tc.dir, got)
		}
	}
}

func TestCopyDir(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "sub/deeper"), 0o750))
	must(os.WriteFile(filepath.Join(src, "sub/deeper/f"), []byte("deep"), 0o600))
	must(os.WriteFile(filepath.Join(src, "file"), []byte("hello"), 0o640))
	must(os.Chmod(filepath.Join(src, "file"), 0o640|os.ModeSetgid))
	must(os.Symlink("/etc/passwd", filepath.Join(src, "abs")))
	must(os.Symlink("file", filepath.Join(src, "rel")))
	must(unix.Mkfifo(filepath.Join(src, "fifo"), 0o620))
	must(os.Chmod(filepath.Join(src, "fifo"), 0o620))
	must(os.Chtimes(filepath.Join(src, "file"), mtime, mtime))
	must(os.Chmod(filepath.Join(src, "sub"), 0o555))
	must(os.Chtimes(filepath.Join(src, "sub"), mtime, mtime))
	t.Cleanup(func() {
		os.Chmod(filepath.Join(src, "sub"), 0o755)
		os.Chmod(filepath.Join(dst, "sub"), 0o755)
	})

	s, err := os.Open(src)
	must(err)
	defer s.Close()
	d, err := os.Open(dst)
	must(err)
	defer d.Close()
	must(copyDir(s, d))

	check := func(rel string, mode os.FileMode, content string) {
		t.Helper()
		st, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Error(err)
			return
		}
		if st.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", rel, st.Mode(), mode)
		}
		if content != "" {
			b, _ := os.ReadFile(filepath.Join(dst, rel))
			if string(b) != content {
				t.Errorf("%s: %q, want %q", rel, b, content)
			}
		}
	}
	check("file", 0o640|os.ModeSetgid, "hello")
	check("sub", 0o555|os.ModeDir, "")
	check("sub/deeper", 0o750|os.ModeDir, "")
	check("sub/deeper/f", 0o600, "deep")
	check("fifo", 0o620|os.ModeNamedPipe, "")
	for name, target := range map[string]string{"abs": "/etc/passwd", "rel": "file"} {
		if got, err := os.Readlink(filepath.Join(dst, name)); err != nil || got != target {
			t.Errorf("%s -> %q (%v)", name, got, err)
		}
	}
	for _, rel := range []string{"file", "sub"} {
		st, err := os.Stat(filepath.Join(dst, rel))
		if err != nil || !st.ModTime().Equal(mtime) {
			t.Errorf("%s: mtime %v (%v), want %v", rel, st.ModTime(), err, mtime)
		}
	}
}
