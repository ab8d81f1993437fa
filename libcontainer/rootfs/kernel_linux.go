package rootfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// kernel is every system call of this package that changes the mount table
// or creates device nodes. Everything else (opening, creating directories,
// copying files) works on real paths, so a recording fake of this interface
// lets root-free tests check which mounts a config produces, in which order
// and with which arguments, against real temporary directories.
type kernel interface {
	Mount(source, target, fstype string, flags uint64, data string) error
	Unmount(target string, flags int) error
	PivotRoot(newroot, putold string) error
	Chroot(path string) error
	Chdir(path string) error
	Fchdir(fd int) error
	// EnterNamespaceRoot makes the mount namespace's root this process's
	// root and working directory, below being a directory under the
	// current root; a no-op unless the process is in a chroot.
	EnterNamespaceRoot(below string) error
	Mknodat(dirfd int, name string, mode uint32, dev uint64) error
	Fchownat(dirfd int, name string, uid, gid, flags int) error
	MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error
	// Statfs reads the flags of the mount holding path; they tell which
	// flags a bind remount has to keep.
	Statfs(path string, st *unix.Statfs_t) error
	// MountID is the id of the mount an open file is on (statx
	// STATX_MNT_ID): comparing ids before and after a mount proves that a
	// re-opened destination is the new mount.
	MountID(fd int) (uint64, error)
}

// realKernel is the kernel.
type realKernel struct{}

func (realKernel) Mount(source, target, fstype string, flags uint64, data string) error {
	return unix.Mount(source, target, fstype, uintptr(flags), data)
}

func (realKernel) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }

func (realKernel) PivotRoot(newroot, putold string) error { return unix.PivotRoot(newroot, putold) }

func (realKernel) Chroot(path string) error { return unix.Chroot(path) }

func (realKernel) Chdir(path string) error { return unix.Chdir(path) }

func (realKernel) Fchdir(fd int) error { return unix.Fchdir(fd) }

// EnterNamespaceRoot chroots to below while the working directory stays at
// the old root, which is then outside the process's root: ".." climbs from
// there, across mounts, until it leads nowhere, which is the top of the
// mount tree.
func (realKernel) EnterNamespaceRoot(below string) error {
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	if err := unix.Chroot(below); err != nil {
		return fmt.Errorf("chroot %s: %w", below, err)
	}
	for depth := 0; ; depth++ {
		var here, up unix.Stat_t
		if err := unix.Stat(".", &here); err != nil {
			return fmt.Errorf("stat .: %w", err)
		}
		if err := unix.Stat("..", &up); err != nil {
			return fmt.Errorf("stat ..: %w", err)
		}
		if here.Dev == up.Dev && here.Ino == up.Ino {
			break
		}
		if depth == 4096 {
			return fmt.Errorf("found no top after %d levels of \"..\"", depth)
		}
		if err := unix.Chdir(".."); err != nil {
			return fmt.Errorf("chdir ..: %w", err)
		}
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot to the top: %w", err)
	}
	return nil
}

func (realKernel) Mknodat(dirfd int, name string, mode uint32, dev uint64) error {
	return unix.Mknodat(dirfd, name, mode, int(dev))
}

func (realKernel) Fchownat(dirfd int, name string, uid, gid, flags int) error {
	return unix.Fchownat(dirfd, name, uid, gid, flags)
}

func (realKernel) MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error {
	return unix.MountSetattr(dirfd, path, flags, attr)
}

func (realKernel) Statfs(path string, st *unix.Statfs_t) error { return unix.Statfs(path, st) }

func (realKernel) MountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, err
	}
	if stx.Mask&unix.STATX_MNT_ID != 0 {
		return stx.Mnt_id, nil
	}
	// Kernels before 5.8 have no STATX_MNT_ID; fdinfo has carried the
	// mount id since 3.15.
	return fdinfoMountID(fd)
}

func fdinfoMountID(fd int) (uint64, error) {
	name := "/proc/self/fdinfo/" + strconv.Itoa(fd)
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "mnt_id:"); ok {
			id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: bad mnt_id %q: %w", name, v, err)
			}
			return id, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	return 0, fmt.Errorf("%s has no mnt_id line", name)
}
