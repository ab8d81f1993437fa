package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// devIsHostBind reports whether the config binds a host directory on /dev:
// the devices are then the host's and nothing is created there.
func devIsHostBind(cfg *configs.Config) bool {
	for _, m := range cfg.Mounts {
		if cleanDest(m.Destination) == "/dev" && m.IsBind() {
			return true
		}
	}
	return false
}

// devMode is the st_mode of a device node of type d.Type.
func devMode(d *configs.Device) (uint32, error) {
	mode := uint32(d.FileMode.Perm())
	switch d.Type {
	case 'c', 'u':
		return mode | unix.S_IFCHR, nil
	case 'b':
		return mode | unix.S_IFBLK, nil
	case 'p':
		return mode | unix.S_IFIFO, nil
	}
	return 0, fmt.Errorf("unknown device type %q", d.Type)
}

// createDevices creates cfg.Devices and the standard links of /dev.
func (s *setup) createDevices(t *tree, cfg *configs.Config, opts Options) error {
	// The modes in the config are meant literally.
	old := unix.Umask(0)
	defer unix.Umask(old)
	// Most devices share /dev: each directory is created and opened once.
	parents := map[string]*os.File{}
	defer func() {
		for _, f := range parents {
			f.Close()
		}
	}()
	for _, d := range cfg.Devices {
		if err := s.createDevice(t, d, opts.InUserNS, parents); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	return s.devLinks(t)
}

// createDevice creates d. parents holds the directories already opened,
// by their path in t; the device's own goes in.
func (s *setup) createDevice(t *tree, d *configs.Device, inUserNS bool, parents map[string]*os.File) error {
	mode, err := devMode(d)
	if err != nil {
		return err
	}
	dest := cleanDest(d.Path)
	if dest == "/" {
		return errors.New("not a file path")
	}
	dir := filepath.Dir(dest)
	parent, ok := parents[dir]
	if !ok {
		parent, err = mkdirAllInRoot(t.dir, dir, 0o755)
		if err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		parents[dir] = parent
	}
	pfd, name := int(parent.Fd()), filepath.Base(dest)
	dev := unix.Mkdev(uint32(d.Major), uint32(d.Minor))

	// Only root of the initial user namespace may create character and block
	// devices; a fifo needs no privilege.
	if !inUserNS || d.Type == 'p' {
		err := s.mknod(pfd, name, mode, dev)
		if err == nil {
			if err := s.k.Fchownat(pfd, name, int(d.UID), int(d.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("chown %d:%d: %w", d.UID, d.GID, err)
			}
			return nil
		}
		if !errors.Is(err, unix.EPERM) || d.Type == 'p' {
			return err
		}
	}
	return s.bindDevice(t, d, mode, dev, pfd, name)
}

// mknod creates the node, replacing whatever else sits at name (what the
// rootfs shipped there is not the device the config asks for).
func (s *setup) mknod(pfd int, name string, mode uint32, dev uint64) error {
	err := s.k.Mknodat(pfd, name, mode, dev)
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == mode&unix.S_IFMT && st.Rdev == dev {
		return nil
	}
	if err := unix.Unlinkat(pfd, name, 0); err != nil {
		return fmt.Errorf("remove the existing file: %w", err)
	}
	return s.k.Mknodat(pfd, name, mode, dev)
}

// bindDevice binds the host's node of the same path, after checking that it
// is the device the config describes.
func (s *setup) bindDevice(t *tree, d *configs.Device, mode uint32, dev uint64, pfd int, name string) error {
	src, err := smallfile.Open(d.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot create device nodes here, and the host's cannot be bound: %w", err)
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != mode&unix.S_IFMT || st.Rdev != dev {
		return fmt.Errorf("cannot create device nodes here, and the host's %s is not device %c %d:%d",
			d.Path, d.Type, d.Major, d.Minor)
	}
	fd, err := unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create the mount point: %w", err)
	}
	fd, err = unix.Openat(pfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dst := os.NewFile(uintptr(fd), d.Path)
	defer dst.Close()
	var dt unix.Stat_t
	if err := unix.Fstat(fd, &dt); err != nil {
		return err
	}
	if dt.Mode&unix.S_IFMT == unix.S_IFLNK || dt.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("the rootfs has a %s there; refusing to bind the host device on it", fileType(dt.Mode))
	}
	target := fdPath(dst)
	if !t.byFd {
		target = filepath.Join(t.path, cleanDest(d.Path))
	}
	if err := s.k.Mount(fdPath(src), target, "bind", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the host's %s: %w", d.Path, err)
	}
	return nil
}

// devLink is a standard symlink of /dev.
type devLink struct{ name, target string }

var devLinks = []devLink{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

// devLinks creates the standard symlinks of /dev. One the rootfs already has
// is left alone, except /dev/ptmx: it must be the ptmx of the container's
// devpts instance, not a node that reaches the host's.
func (s *setup) devLinks(t *tree) error {
	dir, err := mkdirAllInRoot(t.dir, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("create /dev: %w", err)
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	links := devLinks
	if s.hostKcore != "" {
		if _, err := os.Stat(s.hostKcore); err == nil {
			links = append(links[:len(links):len(links)], devLink{"core", "/proc/kcore"})
		}
	}
	for _, l := range links {
		if err := unix.Symlinkat(l.target, dfd, l.name); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s: %w", l.name, err)
		}
	}
	const ptmx = "pts/ptmx"
	if cur, err := readlinkat(dfd, "ptmx"); err == nil && cur == ptmx {
		return nil
	}
	if err := unix.Unlinkat(dfd, "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := unix.Symlinkat(ptmx, dfd, "ptmx"); err != nil {
		return fmt.Errorf("symlink /dev/ptmx: %w", err)
	}
	return nil
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	}
	return fmt.Sprintf("file of mode %#o", mode&unix.S_IFMT)
}
