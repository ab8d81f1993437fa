package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// Lookups inside the rootfs go to openat2(RESOLVE_IN_ROOT) directly: the
// kernel keeps the walk inside the root, symlinks and ".." included.
// pathrs-lite does the same walk but then reads each result's path back
// through a private procfs it mounts for the purpose, only to name the
// *os.File; that mount and the readlinks were a fifth of the init's CPU
// time for a plain container (bench/README.md). pathrs-lite stays as the
// resolver for kernels without openat2 (before 5.6).

var inRoot = unix.OpenHow{
	Flags:   unix.O_PATH | unix.O_CLOEXEC,
	Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
}

// openInRoot opens name, a path inside root, as an O_PATH handle.
func openInRoot(root *os.File, name string) (*os.File, error) {
	fd, err := openat2Retry(int(root.Fd()), name, &inRoot)
	if errors.Is(err, unix.ENOSYS) {
		return pathrs.OpenatInRoot(root, name)
	}
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// mkdirAllInRoot creates the directory name inside root, and the missing
// directories above it, and returns an O_PATH handle on it. No container
// process runs while the rootfs is built, but the rootfs may hold
// symlinks: the existing part is resolved inside root, and every directory
// created is opened without following a symlink, so nothing outside root
// can be created or returned.
func mkdirAllInRoot(root *os.File, name string, mode uint32) (*os.File, error) {
	clean := filepath.Join("/", name)
	existing := clean
	var fd int
	var err error
	for {
		fd, err = openat2Retry(int(root.Fd()), existing, &inRoot)
		if errors.Is(err, unix.ENOSYS) {
			return pathrs.MkdirAllHandle(root, name, os.FileMode(mode))
		}
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || existing == "/" {
			return nil, &os.PathError{Op: "openat2", Path: existing, Err: err}
		}
		existing = filepath.Dir(existing)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: existing, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return nil, &os.PathError{Op: "mkdir", Path: existing, Err: unix.ENOTDIR}
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(clean, existing), "/")
	if rest == "" {
		return os.NewFile(uintptr(fd), clean), nil
	}
	for _, comp := range strings.Split(rest, "/") {
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
	return os.NewFile(uintptr(fd), clean), nil
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
