package libcontainer

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/inside"
	"github.com/ocirun/ocirun/libcontainer/rootfs"
)

// runtimeBuilds says whether create builds cfg's container from a thread
// of the runtime (see "The container built by the runtime" in package
// initproto) instead of in stage 1: when nothing of the build needs a
// process of the container's own. Each exception needs stage 1:
//   - a user namespace, or a rootless runtime: a multi-threaded process
//     cannot enter a user namespace, and files the host's root creates
//     would not belong to the container's root;
//   - a mount namespace joined by path, or none: the tree is built in a
//     new one;
//   - a terminal: the pty is made and made the controlling terminal there;
//   - createContainer and startContainer hooks, which run inside;
//   - linux.seccomp, which libseccomp compiles and the runtime has no
//     libseccomp; and SELinux and AppArmor settings, checked there;
//   - id-mapped mounts, and procfs mounts with flags a detached mount
//     cannot take (procMountAttr), or more of them than stage 0 takes.
//
// The rest (sysfs, mqueue, cgroup and devpts mounts, sysctls, the
// hostname) depends on the namespaces of the calling thread, which enters
// the container's; only a procfs depends on the PID namespace of the
// process that makes it, and stage 0's child makes those when asked
// (MsgProcMount).
func runtimeBuilds(cfg *configs.Config, rootless bool) bool {
	p := cfg.Process
	if rootless || p == nil || p.Terminal || cfg.Seccomp != nil || cfg.MountLabel != "" ||
		p.ApparmorProfile != "" || p.SelinuxLabel != "" {
		return false
	}
	if h := cfg.Hooks; h != nil && (len(h.CreateContainer) > 0 || len(h.StartContainer) > 0) {
		return false
	}
	newMount := false
	for _, ns := range cfg.Namespaces {
		switch ns.Type {
		case configs.NEWUSER:
			return false
		case configs.NEWNS:
			newMount = ns.Path == ""
		}
	}
	if !newMount {
		return false
	}
	procs := 0
	for _, m := range cfg.Mounts {
		if m.IDMapped {
			return false
		}
		if isProcMount(m) {
			if _, ok := procMountAttr(m.Flags); !ok {
				return false
			}
			procs++
		}
	}
	return procs <= initproto.MaxProcMounts && detachedProcfs()
}

func isProcMount(m *configs.Mount) bool { return m.Device == "proc" && !m.IsBind() }

// procMountAttr translates a procfs mount's mount(2) flags into the
// MOUNT_ATTR_* of a detached mount. ok is false for a flag that has none.
func procMountAttr(flags uint64) (attr uint32, ok bool) {
	pairs := []struct {
		flag uint64
		attr uint32
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY}, {unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NOATIME, unix.MOUNT_ATTR_NOATIME}, {unix.MS_STRICTATIME, unix.MOUNT_ATTR_STRICTATIME},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME}, {unix.MS_RELATIME, unix.MOUNT_ATTR_RELATIME},
	}
	for _, p := range pairs {
		if flags&p.flag != 0 {
			attr |= p.attr
			flags &^= p.flag
		}
	}
	return attr, flags == 0
}

// detachedProcfs says whether the kernel makes filesystems with fsopen(2)
// (Linux 5.2), which MsgProcMount needs.
func detachedProcfs() bool {
	fd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// procMounts lists what stage 0's child makes for cfg's procfs mounts.
func procMounts(cfg *configs.Config) []initproto.ProcMount {
	var out []initproto.ProcMount
	for _, m := range cfg.Mounts {
		if isProcMount(m) {
			attr, _ := procMountAttr(m.Flags)
			out = append(out, initproto.ProcMount{Attr: attr, Source: m.Source, Data: m.Data})
		}
	}
	return out
}

// build builds the container whose init, stage 0's child, waits in its
// namespaces for MsgBuilt: from a thread that enters the init's namespaces
// (buildInside), asking the init for each procfs mount when its turn
// comes, and then sends the init its plan and the root to enter.
func (c *Container) build(l *launch, cfg *configs.Config, noPivot bool, preserveFds int) error {
	plan, err := initproto.NewPlan(cfg.Process, cfg.Personality, preserveFds)
	if err != nil {
		return err
	}
	// The init makes its procfs mounts in the order of AttrProcMount,
	// which is the order of cfg.Mounts.
	nth := map[int]uint32{}
	for i, m := range cfg.Mounts {
		if isProcMount(m) {
			nth[i] = uint32(len(nth))
		}
	}
	opts := rootfs.Options{CgroupPaths: c.cgroupPaths(), MakeProc: func(i int) (int, error) {
		if err := l.conn.Send(initproto.MsgProcMount, binary.LittleEndian.AppendUint32(nil, nth[i])); err != nil {
			return -1, l.diedErr(err)
		}
		if _, err := l.conn.Expect(initproto.MsgProcMount); err != nil {
			return -1, l.diedErr(err)
		}
		fd := l.conn.TakeFd()
		if fd < 0 {
			return -1, fmt.Errorf("sync protocol: %s without its fd", initproto.MsgProcMount)
		}
		return fd, nil
	}}
	_, opts.HasCgroupNS = cfg.Namespace(configs.NEWCGROUP)
	root, err := buildInside(l.stage1Pid, cfg, opts, noPivot, c.runRuntimeHooks)
	if err != nil {
		return &BuildError{Err: err}
	}
	defer root.Close()
	Timer.Mark("built")
	if err := l.conn.SendFds(initproto.MsgBuilt, plan.Encode(), []int{int(root.Fd())}); err != nil {
		return l.diedErr(err)
	}
	return nil
}

// insideNamespaces are the namespaces the building thread enters, the
// mount namespace last (it resets the thread's root and working
// directory); the PID and time namespaces only matter to children, and the
// init made the procfs mounts.
var insideNamespaces = []configs.NamespaceType{configs.NEWNET, configs.NEWIPC, configs.NEWUTS, configs.NEWCGROUP, configs.NEWNS}

// buildInside runs inside.Build for the container of init (a pid) on a
// thread of its own, which first leaves the filesystem context the
// runtime's threads share (unshare CLONE_FS) and enters the init's
// namespaces and root. The thread stays locked and ends with its
// goroutine, so that nothing else of the runtime ever runs in the
// container's namespaces. hooks runs on the caller's goroutine, in the
// runtime's own namespaces, once the tree is built and before pivot_root.
// The result is the container's root, which the thread opened from inside.
func buildInside(init int, cfg *configs.Config, opts rootfs.Options, noPivot bool, hooks func() error) (*os.File, error) {
	type result struct {
		root *os.File
		err  error
	}
	hooksNow := make(chan struct{})
	hooksDone := make(chan error)
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		root, err := enterAndBuild(init, cfg, opts, noPivot, func() error {
			hooksNow <- struct{}{}
			return <-hooksDone
		})
		done <- result{root, err}
	}()
	for {
		select {
		case <-hooksNow:
			hooksDone <- hooks()
		case r := <-done:
			return r.root, r.err
		}
	}
}

func enterAndBuild(init int, cfg *configs.Config, opts rootfs.Options, noPivot bool, hooks func() error) (*os.File, error) {
	proc := "/proc/" + strconv.Itoa(init) + "/"
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	var entered []configs.NamespaceType
	for _, t := range insideNamespaces {
		if _, ok := cfg.Namespace(t); !ok {
			continue
		}
		fd, err := unix.Open(proc+"ns/"+procNsName[t], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open the container init's %s namespace: %w", t, err)
		}
		fds, entered = append(fds, fd), append(entered, t)
	}
	// The init's root: the namespace's root only when the runtime runs at
	// its own namespace's root, not in a chroot.
	rootFd, err := unix.Open(proc+"root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the container init's root: %w", err)
	}
	fds = append(fds, rootFd)
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("unshare the filesystem context: %w", err)
	}
	for i, t := range entered {
		if err := unix.Setns(fds[i], int(nsFlags[t])); err != nil {
			return nil, fmt.Errorf("enter the container init's %s namespace: %w", t, err)
		}
	}
	if err := unix.Fchdir(rootFd); err != nil {
		return nil, fmt.Errorf("enter the container init's root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return nil, fmt.Errorf("enter the container init's root: %w", err)
	}
	if err := inside.Build(cfg, opts, noPivot, hooks); err != nil {
		return nil, err
	}
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the container's root: %w", err)
	}
	return root, nil
}
