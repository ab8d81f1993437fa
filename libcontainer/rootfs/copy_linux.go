package rootfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyDir copies the content of src into dst, both open directories:
// regular files, directories, symlinks, device nodes, fifos and sockets,
// with their mode, owner and times. Every step is relative to an open
// directory and never follows a symlink, so a hostile tree cannot make it
// read or write outside src and dst. Hard links become separate copies and
// extended attributes are not copied.
func copyDir(src, dst *os.File) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name(), err)
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name); err != nil {
			return err
		}
	}
	return nil
}

func copyEntry(src, dst *os.File, name string) error {
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	path := src.Name() + "/" + name
	var st unix.Stat_t
	if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
			return fmt.Errorf("mkdir %s: %w", path, err)
		}
		sub, err := openDirAt(src, name)
		if err != nil {
			return err
		}
		defer sub.Close()
		dsub, err := openDirAt(dst, name)
		if err != nil {
			return err
		}
		defer dsub.Close()
		if err := copyDir(sub, dsub); err != nil {
			return err
		}
	case unix.S_IFREG:
		if err := copyFile(sfd, dfd, name); err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
	case unix.S_IFLNK:
		target, err := readlinkat(sfd, name)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", path, err)
		}
		if err := unix.Symlinkat(target, dfd, name); err != nil {
			return fmt.Errorf("symlink %s: %w", path, err)
		}
	default:
		if err := unix.Mknodat(dfd, name, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", path, err)
		}
	}
	// chown first: it clears set-user-id and set-group-id bits.
	if err := unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		// The umask shaped the creation mode; this sets the real one.
		if err := unix.Fchmodat(dfd, name, st.Mode&0o7777, 0); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dfd, name, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", path, err)
	}
	return nil
}

func openDirAt(dir *os.File, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s/%s: %w", dir.Name(), name, err)
	}
	return os.NewFile(uintptr(fd), dir.Name()+"/"+name), nil
}

func copyFile(sfd, dfd int, name string) error {
	in, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	inf := os.NewFile(uintptr(in), name)
	defer inf.Close()
	out, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	outf := os.NewFile(uintptr(out), name)
	if _, err := io.Copy(outf, inf); err != nil {
		outf.Close()
		return err
	}
	return outf.Close()
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > 1<<20 {
			return "", errors.New("symlink target too long")
		}
	}
}
