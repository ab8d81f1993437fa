package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// tree is a directory that container paths are resolved in: the rootfs
// seen from the host before pivot_root, "/" after it.
//
// Every lookup stays inside the tree even when the container's files hold
// symlinks ("/etc -> /", "mnt -> ../../.."): they resolve as if the tree
// were "/". Mounts then go onto "/proc/self/fd/N" of the opened
// destination, so a symlink swapped in after the lookup cannot move the
// mount elsewhere (CVE-2021-30465).
type tree struct {
	k kernel
	// dir is an O_PATH handle on the tree's root.
	dir *os.File
	// path is the canonical path of dir in the current mount namespace view.
	path string
	// byFd is false only after pivot_root when the container has no usable
	// procfs at /proc: mounts then go onto resolved path strings. That is
	// still confined to the container (its root is "/" by then, no lookup
	// can reach the host), and no container process runs yet.
	byFd bool
}

func openTree(k kernel, path string, byFd bool) (*tree, error) {
	dir, err := smallfile.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &tree{k: k, dir: dir, path: path, byFd: byFd}, nil
}

func (t *tree) close() { t.dir.Close() }

// place is a resolved location in a tree that a mount goes on, or comes
// from.
type place struct {
	// f is an O_PATH handle on the location.
	f *os.File
	// target is what mount(2) is given: "/proc/self/fd/N" of f, or the
	// resolved path when the tree is not byFd.
	target string
	// name is the container path, for error messages.
	name string
	byFd bool
	// mntID is the id of the mount f is on.
	mntID uint64
}

func (p *place) close() {
	if p.f != nil {
		p.f.Close()
	}
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// lookup opens an existing container path. A missing path is an error
// matching unix.ENOENT.
func (t *tree) lookup(name string) (*place, error) {
	if !t.byFd {
		resolved, err := securejoin.SecureJoin(t.path, name)
		if err != nil {
			return nil, err
		}
		f, err := smallfile.Open(resolved, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return &place{f: f, target: resolved, name: name}, nil
	}
	f, err := openInRoot(t.dir, name)
	if err != nil {
		return nil, err
	}
	id, err := t.k.MountID(int(f.Fd()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mount id of %s: %w", name, err)
	}
	return &place{f: f, target: fdPath(f), name: name, byFd: true, mntID: id}, nil
}

// ensure opens name as lookup does, creating it first (a directory, or an
// empty file when dir is false) when it does not exist. A symlink on the
// way, even a dangling one, is followed inside the tree, so what gets
// created is what lookup finds. The mount points of most mounts exist, and
// then this is one lookup.
func (t *tree) ensure(name string, dir bool) (*place, error) {
	if p, err := t.lookup(name); err == nil {
		return p, nil
	} else if !errors.Is(err, unix.ENOENT) {
		return nil, err
	}
	if err := t.create(name, dir); err != nil {
		return nil, err
	}
	return t.lookup(name)
}

// create makes the missing name for ensure.
func (t *tree) create(name string, dir bool) error {
	resolved, err := securejoin.SecureJoin(t.path, name)
	if err != nil {
		return err
	}
	rel, err := t.rel(resolved)
	if err != nil {
		return err
	}
	if dir {
		f, err := mkdirAllInRoot(t.dir, rel, 0o755)
		if err != nil {
			return err
		}
		f.Close()
		return nil
	}
	if rel == "/" {
		return fmt.Errorf("%s: the root of the tree cannot be a file", name)
	}
	parent, err := mkdirAllInRoot(t.dir, filepath.Dir(rel), 0o755)
	if err != nil {
		return err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(rel), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	if err == nil {
		unix.Close(fd)
	}
	return nil
}

// rel turns a path of the current view into a path relative to the tree's
// root, refusing anything outside it.
func (t *tree) rel(p string) (string, error) {
	if p == t.path {
		return "/", nil
	}
	prefix := strings.TrimSuffix(t.path, "/") + "/"
	if !strings.HasPrefix(p, prefix) {
		return "", fmt.Errorf("%s is outside of %s", p, t.path)
	}
	return "/" + strings.TrimPrefix(p, prefix), nil
}

// realPath is where p.f really is, relative to the tree's root.
func (t *tree) realPath(p *place) (string, error) {
	real, err := os.Readlink(fdPath(p.f))
	if err != nil {
		return "", fmt.Errorf("read the path of %s: %w", p.name, err)
	}
	return t.rel(real)
}

// reopen returns the mount that now sits on p. An O_PATH handle keeps
// naming the directory it was opened on, which a new mount covers, while a
// remount, a propagation change or mount_setattr must be given the root of
// the new mount: look the last component up again from the parent (lookups
// cross mount points) and check that the mount id changed.
func (t *tree) reopen(p *place) (*place, error) {
	if !p.byFd {
		return &place{target: p.target, name: p.name}, nil
	}
	rel, err := t.realPath(p)
	if err != nil {
		return nil, err
	}
	if rel == "/" {
		return nil, fmt.Errorf("%s: cannot reopen the root of the tree", p.name)
	}
	parent, err := openInRoot(t.dir, filepath.Dir(rel))
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", p.name, err)
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(rel), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", p.name, err)
	}
	f := os.NewFile(uintptr(fd), p.name)
	id, err := t.k.MountID(fd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mount id of %s: %w", p.name, err)
	}
	if id == p.mntID {
		f.Close()
		return nil, fmt.Errorf("%s: the new mount is not at %s (was the path changed concurrently?)", p.name, rel)
	}
	return &place{f: f, target: fdPath(f), name: p.name, byFd: true, mntID: id}, nil
}

// setattr applies mount_setattr(2) to the mount at p.
func (t *tree) setattr(p *place, flags uint, attr *unix.MountAttr) error {
	if p.byFd {
		return t.k.MountSetattr(int(p.f.Fd()), "", flags|unix.AT_EMPTY_PATH, attr)
	}
	return t.k.MountSetattr(unix.AT_FDCWD, p.target, flags, attr)
}

// stat is fstat of p.f.
func (p *place) stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstat(int(p.f.Fd()), &st)
	return st, err
}

func cleanDest(d string) string { return filepath.Join("/", d) }
