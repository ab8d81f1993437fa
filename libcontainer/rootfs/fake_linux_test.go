package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeKernel records the calls of a setup instead of making them. Paths
// given as /proc/self/fd/N or as a directory fd are recorded as the real
// path they name, with the test's temporary directory spelled "$T".
type fakeKernel struct {
	t     *testing.T
	base  string
	calls []string
	// mounted is the id of the top mount at a recorded path; it lets
	// reopen-after-mount see a new mount where the fake "mounted" one.
	mounted map[string]uint64
	nextID  uint64
	// statfs answers Statfs by recorded path; other paths get zero values.
	statfs map[string]unix.Statfs_t
	// fail makes a call whose record starts with the key fail.
	fail map[string]error
}

func newFakeKernel(t *testing.T, base string) *fakeKernel {
	return &fakeKernel{t: t, base: base, mounted: map[string]uint64{}, nextID: 100,
		statfs: map[string]unix.Statfs_t{}, fail: map[string]error{}}
}

func (f *fakeKernel) show(p string) string {
	if rest, ok := strings.CutPrefix(p, "/proc/self/fd/"); ok {
		if _, err := strconv.Atoi(rest); err == nil {
			real, err := os.Readlink(p)
			if err != nil {
				f.t.Fatalf("fake kernel: readlink %s: %v", p, err)
			}
			p = real
		}
	}
	if p == "" {
		return `""`
	}
	if p == f.base || strings.HasPrefix(p, f.base+"/") {
		return "$T" + strings.TrimPrefix(p, f.base)
	}
	return p
}

func (f *fakeKernel) showAt(dirfd int, name string) string {
	dir, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(dirfd))
	if err != nil {
		f.t.Fatalf("fake kernel: readlink fd %d: %v", dirfd, err)
	}
	if name == "" {
		return f.show(dir)
	}
	return f.show(filepath.Join(dir, name))
}

func (f *fakeKernel) record(call string) error {
	f.calls = append(f.calls, call)
	for prefix, err := range f.fail {
		if strings.HasPrefix(call, prefix) {
			return err
		}
	}
	return nil
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func (f *fakeKernel) Mount(source, target, fstype string, flags uint64, data string) error {
	tgt := f.show(target)
	call := fmt.Sprintf("mount %s %s %s %s %s", f.show(source), tgt, quote(fstype), flagNames(flags), quote(data))
	if err := f.record(call); err != nil {
		return err
	}
	const notNew = unix.MS_REMOUNT | unix.MS_SHARED | unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE | unix.MS_MOVE
	if flags&notNew == 0 {
		f.nextID++
		f.mounted[tgt] = f.nextID
	}
	return nil
}

func (f *fakeKernel) Unmount(target string, flags int) error {
	fl := strconv.Itoa(flags)
	if flags == unix.MNT_DETACH {
		fl = "MNT_DETACH"
	}
	return f.record(fmt.Sprintf("umount %s %s", f.show(target), fl))
}

func (f *fakeKernel) PivotRoot(newroot, putold string) error {
	return f.record(fmt.Sprintf("pivot_root %s %s", f.show(newroot), f.show(putold)))
}

func (f *fakeKernel) Chroot(path string) error { return f.record("chroot " + f.show(path)) }

func (f *fakeKernel) Chdir(path string) error { return f.record("chdir " + f.show(path)) }

func (f *fakeKernel) Fchdir(fd int) error { return f.record("fchdir " + f.showAt(fd, "")) }

func (f *fakeKernel) EnterNamespaceRoot(below string) error {
	return f.record("enter the namespace root below " + f.show(below))
}

func (f *fakeKernel) Mknodat(dirfd int, name string, mode uint32, dev uint64) error {
	return f.record(fmt.Sprintf("mknod %s %#o %d:%d", f.showAt(dirfd, name), mode, unix.Major(dev), unix.Minor(dev)))
}

func (f *fakeKernel) Fchownat(dirfd int, name string, uid, gid, flags int) error {
	return f.record(fmt.Sprintf("chown %s %d:%d", f.showAt(dirfd, name), uid, gid))
}

func (f *fakeKernel) MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error {
	where := f.show(path)
	if dirfd != unix.AT_FDCWD {
		where = f.showAt(dirfd, path)
	}
	rec := ""
	if flags&unix.AT_RECURSIVE != 0 {
		rec = " AT_RECURSIVE"
	}
	return f.record(fmt.Sprintf("mount_setattr %s set=%#x clr=%#x%s", where, attr.Attr_set, attr.Attr_clr, rec))
}

func (f *fakeKernel) Statfs(path string, st *unix.Statfs_t) error {
	*st = f.statfs[f.show(path)]
	return nil
}

func (f *fakeKernel) MountID(fd int) (uint64, error) {
	if id, ok := f.mounted[f.showAt(fd, "")]; ok {
		return id, nil
	}
	return 1, nil
}
