package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// Options is what Prepare needs to know beyond the config.
type Options struct {
	// InUserNS is set when the init runs in a new user namespace: device
	// nodes cannot be created there, the host's are bound instead.
	InUserNS bool
	// CgroupPaths are the container's cgroup directories on the host, keyed
	// by controller ("cpu", "memory", "name=systemd"; "" for the unified
	// hierarchy). Mounts of type "cgroup" bind them when the container has no
	// cgroup namespace.
	CgroupPaths map[string]string
	// HasCgroupNS is set when the container has its own cgroup namespace:
	// mounts of type "cgroup" then mount the real hierarchies.
	HasCgroupNS bool
	// MountFds maps the index of an id-mapped mount in the config's mounts
	// to the fd of its detached, already mapped tree. Prepare moves each
	// into place and closes it.
	MountFds map[int]int
	// MakeProc, when set, returns a detached procfs for the procfs mount
	// at index i of the config's mounts, made with its options and flags
	// by a process of the container's PID namespace: the calling thread is
	// not in that namespace when the runtime builds the container (see
	// package inside). Prepare moves it into place, at the point of the
	// mounts where mount(2) would have made it, and closes it.
	MakeProc func(i int) (int, error)
}

// Prepare builds the container's tree under cfg.Rootfs: it runs in the
// container's new mount namespace, before the createRuntime and
// createContainer hooks. See the package documentation for the steps.
func Prepare(cfg *configs.Config, opts Options) error {
	return newSetup().prepare(cfg, opts)
}

// Finish switches to the rootfs (pivot_root, or with noPivot a move onto
// "/" and chroot) and applies what must be done from inside: masked and
// read-only paths, a read-only root, the root propagation. It runs after
// the hooks.
func Finish(cfg *configs.Config, noPivot bool) error {
	return newSetup().finish(cfg, noPivot)
}

// MountConsole binds the pty slave at slavePath (a path in the container,
// such as /dev/pts/0) on /dev/console, creating an empty file there first if
// needed. It runs after Finish.
func MountConsole(slavePath string) error {
	return newSetup().mountConsole(slavePath)
}

// setup carries what differs between the real run and the unit tests.
type setup struct {
	k         kernel
	mountinfo func() ([]*mountinfo.Info, error)
	// root is where the container's root is once Finish has switched to it:
	// "/", except in tests that only pretend to pivot.
	root string
	// hostKcore is checked for existence before /dev/core is linked to it.
	hostKcore string
	// copyTree, when set, replaces the copy of tmpcopyup (tests whose kernel
	// does not really mount cannot copy a directory into itself).
	copyTree func(old, new *os.File) error
}

func newSetup() *setup {
	return &setup{k: realKernel{}, mountinfo: readMountinfo, root: "/", hostKcore: "/proc/kcore"}
}

func (s *setup) prepare(cfg *configs.Config, opts Options) error {
	// Closed on every return: the caller handed them over.
	defer func() {
		for _, fd := range opts.MountFds {
			unix.Close(fd)
		}
	}()
	rootfs, err := canonicalRootfs(cfg.Rootfs)
	if err != nil {
		return err
	}
	prop := firstRootPropagation(cfg.RootPropagation)
	if err := s.k.Mount("", "/", "", prop, ""); err != nil {
		return fmt.Errorf("set the propagation of / to %s: %w", flagNames(prop), err)
	}
	if err := s.privateParent(rootfs); err != nil {
		return err
	}
	if err := s.k.Mount(rootfs, rootfs, "bind", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount the rootfs %s on itself: %w", rootfs, err)
	}
	// Opened after the bind, so that lookups start on the new mount.
	t, err := openTree(s.k, rootfs, true)
	if err != nil {
		return fmt.Errorf("open the rootfs: %w", err)
	}
	defer t.close()
	roDev := false
	for i, m := range cfg.Mounts {
		m = withMountLabel(m, cfg.MountLabel)
		if !m.IsBind() && cleanDest(m.Destination) == "/dev" && m.Flags&unix.MS_RDONLY != 0 {
			// The devices and the mount points of /dev/pts, /dev/shm,
			// ... are made in /dev after it is mounted: it becomes
			// read-only once they exist, as with runc.
			roDev = true
			rw := *m
			rw.Flags &^= unix.MS_RDONLY
			m = &rw
		}
		if m.IDMapped {
			if err := s.idmappedMount(t, m, i, opts.MountFds); err != nil {
				return err
			}
			continue
		}
		var detached func() (int, error)
		if opts.MakeProc != nil && m.Device == "proc" && !m.IsBind() {
			detached = func() (int, error) { return opts.MakeProc(i) }
		}
		if err := s.mount(t, m, opts, detached); err != nil {
			return err
		}
	}
	if !devIsHostBind(cfg) {
		if err := s.createDevices(t, cfg, opts); err != nil {
			return err
		}
	}
	if roDev {
		pl, err := t.lookup("/dev")
		if err != nil {
			return fmt.Errorf("make /dev read-only: %w", err)
		}
		defer pl.close()
		if err := s.remountReadonly(pl.target); err != nil {
			return fmt.Errorf("make /dev read-only: %w", err)
		}
	}
	return nil
}

// labelledFilesystems are the filesystems that get linux.mountLabel as
// their SELinux context: those whose files the container creates. Binds
// keep their source's labels; proc, sysfs and cgroup have fixed ones.
var labelledFilesystems = map[string]bool{"tmpfs": true, "devpts": true, "mqueue": true}

// withMountLabel returns m with context="label" added to its data when
// the label applies to its filesystem and the options do not set a context
// themselves. The caller has checked that SELinux is enabled.
func withMountLabel(m *configs.Mount, label string) *configs.Mount {
	if label == "" || m.IsBind() || !labelledFilesystems[m.Device] {
		return m
	}
	for _, o := range strings.Split(m.Data, ",") {
		if strings.HasPrefix(o, "context=") {
			return m
		}
	}
	c := *m
	opt := "context=\"" + label + "\""
	if c.Data == "" {
		c.Data = opt
	} else {
		c.Data += "," + opt
	}
	return &c
}

// firstRootPropagation is the propagation "/" gets before anything is
// mounted: linux.rootfsPropagation, or slave so that nothing the container
// mounts reaches the host. An unbindable mount cannot be the source of a
// bind, and the rootfs is bound on itself next; so for (r)unbindable "/"
// is made private (what unbindable implies for propagation) and becomes
// unbindable at the end of Finish, inside the container.
func firstRootPropagation(want uint64) uint64 {
	switch {
	case want == 0:
		return unix.MS_SLAVE | unix.MS_REC
	case want&unix.MS_UNBINDABLE != 0:
		return want&unix.MS_REC | unix.MS_PRIVATE
	}
	return want
}

func canonicalRootfs(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("rootfs %q is not an absolute path", p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	return real, nil
}

// privateParent makes the mount that holds the rootfs private if it is
// shared: pivot_root refuses a new root whose parent mount is shared, and the
// rootfs bind would otherwise propagate to its peers. Only a shared root
// propagation leaves such a mount after the first step.
func (s *setup) privateParent(rootfs string) error {
	infos, err := s.mountinfo()
	if err != nil {
		return fmt.Errorf("find the mount holding the rootfs: %w", err)
	}
	var parent *mountinfo.Info
	for _, mi := range infos {
		if within(rootfs, mi.Mountpoint) && (parent == nil || len(mi.Mountpoint) >= len(parent.Mountpoint)) {
			parent = mi
		}
	}
	if parent == nil || !shared(parent) {
		return nil
	}
	if err := s.k.Mount("", parent.Mountpoint, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s (the mount holding the rootfs) private: %w", parent.Mountpoint, err)
	}
	return nil
}

func (s *setup) finish(cfg *configs.Config, noPivot bool) error {
	rootfs, err := canonicalRootfs(cfg.Rootfs)
	if err != nil {
		return err
	}
	if noPivot {
		err = s.moveRoot(rootfs)
	} else {
		err = s.pivotRoot(rootfs)
	}
	if err != nil {
		return err
	}
	t, err := s.containerTree()
	if err != nil {
		return err
	}
	defer t.close()
	var m masks
	defer m.close()
	for _, p := range cfg.MaskPaths {
		if err := s.maskPath(t, p, &m); err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
	}
	for _, p := range cfg.ReadonlyPaths {
		if err := s.readonlyPath(t, p); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
	}
	if cfg.Readonly {
		if err := s.remountReadonly(t.path); err != nil {
			return fmt.Errorf("make the root read-only: %w", err)
		}
	}
	if cfg.RootPropagation != 0 {
		if err := s.k.Mount("", t.path, "", cfg.RootPropagation, ""); err != nil {
			return fmt.Errorf("set the propagation of / to %s: %w", flagNames(cfg.RootPropagation), err)
		}
	}
	return nil
}

// pivotRoot makes rootfs the root with pivot_root(".", "."), which stacks
// the old root on the new one and needs no directory for it, then detaches
// the old root.
//
// pivot_root swaps the caller's root mount. When the runtime runs in a
// chroot, that is the chroot's mount, and the namespace's root (the host's
// /) would stay above the container's root, in reach of a process that may
// chroot (chroot into a subdirectory, then ".." from outside it). So the
// pivot happens from the namespace's root, wherever the runtime runs.
func (s *setup) pivotRoot(rootfs string) error {
	newRoot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the rootfs %s: %w", rootfs, err)
	}
	defer unix.Close(newRoot)
	if err := s.k.EnterNamespaceRoot(rootfs); err != nil {
		return fmt.Errorf("enter the mount namespace's root: %w", err)
	}
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(oldRoot)
	if err := s.k.Fchdir(newRoot); err != nil {
		return fmt.Errorf("chdir to the rootfs %s: %w", rootfs, err)
	}
	if err := s.k.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", rootfs, err)
	}
	if err := s.k.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("chdir to the old root: %w", err)
	}
	// Slave first: unmounting must not propagate to the host's mounts.
	if err := s.k.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make the old root rslave: %w", err)
	}
	if err := s.k.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	if err := s.k.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to the new root: %w", err)
	}
	return nil
}

// moveRoot is the --no-pivot way: hide the host's mounts that are outside
// the rootfs, move the rootfs onto "/" and chroot into it. A process that
// escapes the chroot sees no host mount, but this remains weaker than
// pivot_root; it exists for roots pivot_root refuses (an initramfs).
func (s *setup) moveRoot(rootfs string) error {
	if err := s.hideHostMounts(rootfs); err != nil {
		return err
	}
	if err := s.k.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir to the rootfs %s: %w", rootfs, err)
	}
	if err := s.k.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move the rootfs %s onto /: %w", rootfs, err)
	}
	if err := s.k.Chroot("."); err != nil {
		return fmt.Errorf("chroot to the rootfs %s: %w", rootfs, err)
	}
	if err := s.k.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to the new root: %w", err)
	}
	return nil
}

// hideHostMounts detaches every mount that is neither the rootfs, inside
// it, nor on the way to it. A mount that cannot be detached (locked in a
// user namespace) gets an empty read-only tmpfs over it.
func (s *setup) hideHostMounts(rootfs string) error {
	infos, err := s.mountinfo()
	if err != nil {
		return fmt.Errorf("list the mounts to hide: %w", err)
	}
	count := map[string]int{}
	var points []string
	for _, mi := range infos {
		mp := mi.Mountpoint
		if within(mp, rootfs) || within(rootfs, mp) {
			continue
		}
		if count[mp] == 0 {
			points = append(points, mp)
		}
		count[mp]++
	}
	sort.Strings(points)
	var hidden []string
	for _, mp := range points {
		covered := false
		for _, h := range hidden {
			if within(mp, h) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		hidden = append(hidden, mp)
		for i := 0; i < count[mp]; i++ {
			err := s.k.Unmount(mp, unix.MNT_DETACH)
			if err == nil {
				continue
			}
			if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
				return fmt.Errorf("hide the host mount %s: %w", mp, err)
			}
			if merr := s.k.Mount("tmpfs", mp, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0"); merr != nil {
				return fmt.Errorf("hide the host mount %s: unmount: %w; cover with a tmpfs: %w", mp, err, merr)
			}
			break
		}
	}
	return nil
}

// containerTree opens the container's root after the switch. Mounts go by
// handle when the container has a real procfs at /proc, by resolved path
// otherwise (see tree.byFd).
func (s *setup) containerTree() (*tree, error) {
	var st unix.Statfs_t
	byFd := s.k.Statfs(filepath.Join(s.root, "proc/self/fd"), &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
	t, err := openTree(s.k, s.root, byFd)
	if err != nil {
		return nil, fmt.Errorf("open the new root: %w", err)
	}
	return t, nil
}

// masks are what masked paths are hidden with, each made once and bound on
// every path after the first: the container's /dev/null for files, and one
// empty read-only tmpfs for directories. One tmpfs per directory would cost
// a superblock each, and their creation and teardown contend node-wide when
// a config masks many (one per CPU, say).
type masks struct {
	null, dir *place
}

func (m *masks) close() {
	for _, p := range []*place{m.null, m.dir} {
		if p != nil {
			p.close()
		}
	}
}

// maskPath hides p: /dev/null over a file, the shared empty read-only tmpfs
// over a directory. A path the container does not have needs no mask. A
// bind mount keeps its source's read-only flag, and the tmpfs's superblock
// is read-only too, so no bound copy can be made writable from inside
// without CAP_SYS_ADMIN.
func (s *setup) maskPath(t *tree, p string, m *masks) error {
	pl, err := t.lookup(p)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer pl.close()
	st, err := pl.stat()
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if m.dir != nil {
			return s.k.Mount(m.dir.target, pl.target, "bind", unix.MS_BIND, "")
		}
		if err := s.k.Mount("tmpfs", pl.target, "tmpfs", unix.MS_RDONLY, ""); err != nil {
			return err
		}
		m.dir, err = t.reopen(pl)
		return err
	}
	if m.null == nil {
		if m.null, err = s.nullDevice(t); err != nil {
			return err
		}
	}
	return s.k.Mount(m.null.target, pl.target, "bind", unix.MS_BIND, "")
}

// nullDevice opens the container's /dev/null and checks that it is the null
// device: the rootfs could ship a regular file or a symlink there, whose
// content a masked path would then show.
func (s *setup) nullDevice(t *tree) (*place, error) {
	n, err := t.lookup("/dev/null")
	if err != nil {
		return nil, fmt.Errorf("open /dev/null to mask with: %w", err)
	}
	st, err := n.stat()
	if err == nil && (st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3)) {
		err = fmt.Errorf("/dev/null in the container is a %s, not the null device (char 1:3)", fileType(st.Mode))
	}
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// readonlyPath binds p on itself and makes that mount read-only.
func (s *setup) readonlyPath(t *tree, p string) error {
	pl, err := t.lookup(p)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer pl.close()
	if err := s.k.Mount(pl.target, pl.target, "bind", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	top, err := t.reopen(pl)
	if err != nil {
		return err
	}
	defer top.close()
	return s.remountReadonly(top.target)
}

// remountReadonly makes the mount at target read-only, keeping its nosuid,
// nodev and noexec (locked in a user namespace, and wanted anyway).
func (s *setup) remountReadonly(target string) error {
	var sfs unix.Statfs_t
	if err := s.k.Statfs(target, &sfs); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	flags := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | uint64(sfs.Flags)&lockableFlags
	if err := s.k.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("remount with %s: %w", flagNames(flags), err)
	}
	return nil
}

func (s *setup) mountConsole(slavePath string) error {
	t, err := s.containerTree()
	if err != nil {
		return err
	}
	defer t.close()
	src, err := t.lookup(slavePath)
	if err != nil {
		return fmt.Errorf("console: open the pty %s: %w", slavePath, err)
	}
	defer src.close()
	st, err := src.stat()
	if err != nil {
		return fmt.Errorf("console: %s: %w", slavePath, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return fmt.Errorf("console: %s is a %s, not a pty", slavePath, fileType(st.Mode))
	}
	created, err := t.ensure("/dev/console", false)
	if err != nil {
		return fmt.Errorf("console: create /dev/console: %w", err)
	}
	created.close()
	// ensure follows a symlink at /dev/console inside the container; the
	// console must be the file itself.
	dev, err := t.lookup("/dev")
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer dev.close()
	var cst unix.Stat_t
	if err := unix.Fstatat(int(dev.f.Fd()), "console", &cst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("console: stat /dev/console: %w", err)
	}
	if m := cst.Mode & unix.S_IFMT; m == unix.S_IFLNK || m == unix.S_IFDIR {
		return fmt.Errorf("console: /dev/console is a %s", fileType(cst.Mode))
	}
	dst, err := t.lookup("/dev/console")
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer dst.close()
	if err := s.k.Mount(src.target, dst.target, "bind", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("console: bind mount %s on /dev/console: %w", slavePath, err)
	}
	return nil
}
