package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// Lookups inside the rootfs go to openat2(RESOLVE_IN_ROOT) directly: the
// kernel keeps the walk inside the root, symlinks and ".." included.
// pathrs-lite does the same walk but then reads each result's path back
// through a private procfs it mounts for the purpose, only to name the
// *os.File; that mount and the readlinks were a fifth of the init's CPU
// time for a plain container (bench/README.md). pathrs-lite stays as the
// resolver where openat2 cannot be used.

var inRoot = unix.OpenHow{
	Flags:   unix.O_PATH | unix.O_CLOEXEC,
	Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
}

// openat2Works says whether openat2 can be used: kernels before 5.6 lack
// it, and the seccomp profile of a container the runtime itself runs in may
// refuse it (with EPERM or ENOSYS). Probed once per process, on ".", as
// pathrs-lite does.
var openat2Works = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// openInRoot opens name, a path inside root, as an O_PATH handle.
func openInRoot(root *os.File, name string) (*os.File, error) {
	if !openat2Works() {
		return pathrs.OpenatInRoot(root, name)
	}
	fd, err := openat2Retry(int(root.Fd()), name, &inRoot)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// mkdirAllInRoot creates the directory name inside root, and the missing
// directories above it, and returns an O_PATH handle on it. No container
// process runs while the rootfs is built, but the rootfs may hold
// symlinks: the longest existing prefix of name is resolved by the kernel
// inside root (symlinks and ".." as a path walk takes them), and each
// directory created below it is opened without following a symlink, so
// nothing outside root can be created or returned. A ".." among the
// directories still to create is refused, as pathrs-lite refuses it.
func mkdirAllInRoot(root *os.File, name string, mode uint32) (*os.File, error) {
	if !openat2Works() {
		return pathrs.MkdirAllHandle(root, name, os.FileMode(mode))
	}
	var comps []string
	for _, c := range strings.Split(name, "/") {
		if c != "" && c != "." {
			comps = append(comps, c)
		}
	}
	n := len(comps)
	var fd int
	for {
		prefix := "/" + strings.Join(comps[:n], "/")
		var err error
		fd, err = openat2Retry(int(root.Fd()), prefix, &inRoot)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || n == 0 {
			return nil, &os.PathError{Op: "openat2", Path: prefix, Err: err}
		}
		n--
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return nil, &os.PathError{Op: "mkdir", Path: name, Err: unix.ENOTDIR}
	}
	for _, comp := range comps[n:] {
		if comp == ".." {
			unix.Close(fd)
			return nil, fmt.Errorf("create %s: a directory still to create is reached through \"..\": %w", name, unix.ENOENT)
		}
		if err := unix.Mkdirat(fd, comp, mode); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(fd)
			return nil, &os.PathError{Op: "mkdirat", Path: comp, Err: err}
		}
		next, err := unix.Openat(fd, comp, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, fmt.Errorf("open %s after creating it: %w", comp, err)
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), name), nil
}

// openat2Retry is openat2, tried again while the kernel reports a
// concurrent rename or mount that might have let the walk escape (EAGAIN).
func openat2Retry(dirfd int, name string, how *unix.OpenHow) (int, error) {
	for i := 0; ; i++ {
		fd, err := unix.Openat2(dirfd, name, how)
		if (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) && i < 32 {
			continue
		}
		return fd, err
	}
}
