package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// lockableFlags are the per-mount flags that a user namespace can have
// locked, because a more privileged namespace set them: a remount there has
// to repeat them.
const lockableFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// userNSFallbacks are the filesystems that a user namespace may mount only
// in a namespace it owns: sysfs in a network namespace, mqueue in an IPC
// namespace. A container in a user namespace that shares such a namespace
// with the host (or joins one by path) gets a bind of the host's mount
// instead, as with runc, provided the host's is that filesystem: an empty
// directory in its place would pass for a container's sysfs without a word.
var userNSFallbacks = map[string]userNSFallback{
	"sysfs":  {host: "/sys", magic: unix.SYSFS_MAGIC, ns: "network", entry: `a "network"`},
	"mqueue": {host: "/dev/mqueue", magic: mqueueMagic, ns: "IPC", entry: `an "ipc"`},
}

// mqueueMagic is MQUEUE_MAGIC of <linux/magic.h>, which x/sys/unix lacks.
const mqueueMagic = 0x19800202

type userNSFallback struct {
	host  string // the host's mount to bind
	magic int64  // its statfs type
	ns    string // the namespace the user namespace must own
	entry string // its entry in linux.namespaces, with the article
}

// bindHost binds the host's mount of fb in place of m.
func (s *setup) bindHost(t *tree, m *configs.Mount, fb userNSFallback) error {
	var st unix.Statfs_t
	if err := s.k.Statfs(fb.host, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", fb.host, err)
	}
	if st.Type != fb.magic {
		return fmt.Errorf("%s is not a %s", fb.host, m.Device)
	}
	b := *m
	b.Source, b.Device = fb.host, "bind"
	b.Flags |= unix.MS_BIND | unix.MS_REC
	b.Data = ""
	return s.bindMount(t, &b)
}

// explain says, for a mount of m that failed with err, why a user namespace
// may not mount it and what would let it.
func (fb userNSFallback) explain(m *configs.Mount, err, berr error) error {
	return fmt.Errorf("%w: a user namespace may mount %s only in %s namespaces it owns, and binding the host's %s instead failed: %w; "+
		"give the container its own %s namespace (%s entry in linux.namespaces without a path)",
		err, m.Device, fb.ns, fb.host, berr, fb.ns, fb.entry)
}

// mountError names the mount in err.
func mountError(m *configs.Mount, err error) error {
	if m.IsBind() {
		return fmt.Errorf("bind mount %s on %s: %w", m.Source, m.Destination, err)
	}
	return fmt.Errorf("mount %q on %s: %w", m.Device, m.Destination, err)
}

// mount performs one configs.Mount inside t; detached, when not nil,
// makes the filesystem for it as a detached mount (see Options.MakeProc).
func (s *setup) mount(t *tree, m *configs.Mount, opts Options, detached func() (int, error)) error {
	if cleanDest(m.Destination) == "/" {
		return mountError(m, errors.New("the destination is the root of the container; change the rootfs instead"))
	}
	var err error
	switch {
	case m.IsBind():
		err = s.bindMount(t, m)
	case m.Device == "cgroup":
		err = s.cgroupMount(t, m, opts)
	default:
		err = s.fsMount(t, m, opts, detached)
	}
	if err != nil {
		return mountError(m, err)
	}
	return nil
}

// bindMount binds m.Source (a host path) on m.Destination, then applies the
// flags a bind cannot take in one step.
func (s *setup) bindMount(t *tree, m *configs.Mount) error {
	src, err := smallfile.Open(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open source: %w", err)
	}
	defer src.Close()
	pl, err := t.bindTarget(m, int(src.Fd()))
	if err != nil {
		return err
	}
	defer pl.close()
	// Mounting from the source's handle keeps the stat above and the mount
	// about the same file even if the source path is changed meanwhile.
	if err := s.k.Mount(fdPath(src), pl.target, "bind", unix.MS_BIND|(m.Flags&unix.MS_REC), ""); err != nil {
		return err
	}
	return s.afterBind(t, pl, m, fdPath(src))
}

// idmappedMount moves the detached tree the runtime built for cfg.Mounts[i]
// (already id-mapped, see Options.MountFds) onto its destination, then
// applies the other options as for a bind mount.
func (s *setup) idmappedMount(t *tree, m *configs.Mount, i int, fds map[int]int) error {
	fd, ok := fds[i]
	if !ok {
		return fmt.Errorf("id-mapped mount mounts[%d] on %s: the runtime passed no mount for it", i, m.Destination)
	}
	err := s.moveIDMapped(t, m, fd)
	if err != nil {
		return fmt.Errorf("id-mapped mount mounts[%d] (%s on %s): %w", i, m.Source, m.Destination, err)
	}
	return nil
}

// bindTarget creates the mount point of m in t, a directory or a file as
// the source (the open file src) is, and opens it.
func (t *tree) bindTarget(m *configs.Mount, src int) (*place, error) {
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return nil, fmt.Errorf("stat source: %w", err)
	}
	dest := cleanDest(m.Destination)
	pl, err := t.ensure(dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return nil, fmt.Errorf("create mount point: %w", err)
	}
	return pl, nil
}

func (s *setup) moveIDMapped(t *tree, m *configs.Mount, fd int) error {
	pl, err := t.bindTarget(m, fd)
	if err != nil {
		return err
	}
	defer pl.close()
	if err := moveInto(fd, pl); err != nil {
		return err
	}
	return s.afterBind(t, pl, m, "/proc/self/fd/"+strconv.Itoa(fd))
}

// afterBind applies to the bind mount just made at pl the flags that a
// bind cannot take in one step, the recursive attributes and the
// propagation; src names the source for statfs.
func (s *setup) afterBind(t *tree, pl *place, m *configs.Mount, src string) error {
	extra := m.Flags &^ (unix.MS_BIND | unix.MS_REC)
	if extra == 0 && m.RecAttrSet == 0 && m.RecAttrClr == 0 && len(m.PropagationFlags) == 0 {
		return nil
	}
	top, err := t.reopen(pl)
	if err != nil {
		return err
	}
	defer top.close()
	if extra != 0 {
		// MS_BIND ignores every other flag: they need a remount of the new
		// mount. That remount must repeat the source's ro/nosuid/nodev/noexec
		// unless the options cleared them explicitly: in a user namespace
		// those flags can be locked, and dropping one fails with EPERM.
		var sfs unix.Statfs_t
		if err := s.k.Statfs(src, &sfs); err != nil {
			return fmt.Errorf("statfs source: %w", err)
		}
		keep := uint64(sfs.Flags) & lockableFlags &^ m.ClearedFlags
		flags := unix.MS_REMOUNT | unix.MS_BIND | m.Flags&^unix.MS_REC | keep
		if err := s.k.Mount("", top.target, "", flags, ""); err != nil {
			return fmt.Errorf("remount with %s: %w", flagNames(flags), err)
		}
	}
	return s.afterMount(t, top, m)
}

// fsMount mounts a filesystem of type m.Device, or moves the detached
// mount that detached makes into place.
func (s *setup) fsMount(t *tree, m *configs.Mount, opts Options, detached func() (int, error)) error {
	dest := cleanDest(m.Destination)
	if m.TmpcopyUp && m.Device != "tmpfs" {
		return errors.New("tmpcopyup needs a tmpfs")
	}
	pl, err := t.ensure(dest, true)
	if err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	defer pl.close()
	if m.Device == "proc" || m.Device == "sysfs" {
		if err := t.checkPlainDir(pl, dest); err != nil {
			return err
		}
	}
	var old *os.File
	if m.TmpcopyUp {
		// Opened before the tmpfs hides it, this handle still lists the old
		// content afterwards.
		fd, err := unix.Openat(int(pl.f.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("tmpcopyup: open %s: %w", dest, err)
		}
		old = os.NewFile(uintptr(fd), dest)
		defer old.Close()
	}
	if detached != nil {
		if err := moveDetached(detached, pl); err != nil {
			return err
		}
	} else if err := s.k.Mount(m.Source, pl.target, m.Device, m.Flags, m.Data); err != nil {
		if fb, ok := userNSFallbacks[m.Device]; ok && opts.InUserNS && errors.Is(err, unix.EPERM) {
			if berr := s.bindHost(t, m, fb); berr != nil {
				return fb.explain(m, err, berr)
			}
			return nil
		}
		return err
	}
	if !m.TmpcopyUp && m.RecAttrSet == 0 && m.RecAttrClr == 0 && len(m.PropagationFlags) == 0 {
		return nil
	}
	top, err := t.reopen(pl)
	if err != nil {
		return err
	}
	defer top.close()
	if m.TmpcopyUp {
		if err := s.copyUp(old, top); err != nil {
			return fmt.Errorf("tmpcopyup: %w", err)
		}
	}
	return s.afterMount(t, top, m)
}

// moveDetached moves the mount that detached makes into place at pl.
func moveDetached(detached func() (int, error), pl *place) error {
	fd, err := detached()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return moveInto(fd, pl)
}

// moveInto moves the detached mount fd onto the handle pl itself: the
// "/proc/self/fd/N" of pl.target is a symlink, which move_mount does not
// follow unless asked to.
func moveInto(fd int, pl *place) error {
	if err := unix.MoveMount(fd, "", int(pl.f.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount into place: %w", err)
	}
	return nil
}

// afterMount applies the recursive attributes and propagation of m to the
// mount at top.
func (s *setup) afterMount(t *tree, top *place, m *configs.Mount) error {
	if m.RecAttrSet != 0 || m.RecAttrClr != 0 {
		attr := &unix.MountAttr{Attr_set: m.RecAttrSet, Attr_clr: m.RecAttrClr}
		if err := t.setattr(top, unix.AT_RECURSIVE, attr); err != nil {
			return fmt.Errorf("mount_setattr set=%#x clr=%#x: %w", m.RecAttrSet, m.RecAttrClr, err)
		}
	}
	for _, p := range m.PropagationFlags {
		if err := s.k.Mount("", top.target, "", p, ""); err != nil {
			return fmt.Errorf("set propagation %s: %w", flagNames(p), err)
		}
	}
	return nil
}

// checkPlainDir refuses a proc or sysfs destination that is not a directory
// at exactly its own path inside the rootfs: with a symlink there, a
// procfs meant to be masked could land elsewhere (CVE-2019-19921,
// CVE-2023-27561).
func (t *tree) checkPlainDir(p *place, dest string) error {
	st, err := p.stat()
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("destination %s is not a directory: it must be mounted on an ordinary directory", dest)
	}
	real, err := t.realPath(p)
	if err != nil {
		return err
	}
	if real != dest {
		return fmt.Errorf("destination %s is reached through a symlink (it resolves to %s in the rootfs): it must be mounted on an ordinary directory", dest, real)
	}
	return nil
}

// copyUp copies what the destination held into the tmpfs mounted on it.
func (s *setup) copyUp(old *os.File, top *place) error {
	if s.copyTree != nil {
		return s.copyTree(old, top.f)
	}
	fd, err := unix.Openat(int(top.f.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dst := os.NewFile(uintptr(fd), top.name)
	defer dst.Close()
	return copyDir(old, dst)
}
