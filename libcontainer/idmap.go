package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
)

// idmappedMounts builds the detached tree of every id-mapped mount of cfg,
// and returns them keyed by the mount's index in cfg.Mounts. Stage 1 moves
// each into place where the mount would have been bound. The trees are
// cloned from inside the container's mount namespace (that of initPid,
// before it has changed anything there): the kernel attaches a detached
// tree only to the mount namespace it was cloned from. The caller closes
// the files; on error none is left open.
func idmappedMounts(cfg *configs.Config, initPid int) (map[int]*os.File, error) {
	// Mounts with the same maps share one user namespace.
	userns := map[string]*os.File{}
	defer func() {
		for _, f := range userns {
			f.Close()
		}
	}()
	nsOf := map[int]*os.File{}
	for i, m := range cfg.Mounts {
		if !m.IDMapped {
			continue
		}
		uids, gids := m.UIDMappings, m.GIDMappings
		if len(uids) == 0 && (len(cfg.UIDMappings) == 0 || len(cfg.GIDMappings) == 0) {
			return nil, fmt.Errorf("id-mapped mount %s: no uid and gid mappings: give the mount its own, or the container a new user namespace with maps", mountName(i, m))
		}
		// Without maps of its own the mount uses the container's user
		// namespace, which stage 1 is in already.
		key := "container"
		if len(uids) > 0 {
			key = string(formatIDMap(uids)) + "/" + string(formatIDMap(gids))
		}
		ns, ok := userns[key]
		if !ok {
			var err error
			if key == "container" {
				ns, err = os.Open("/proc/" + strconv.Itoa(initPid) + "/ns/user")
			} else {
				ns, err = userNamespaceWith(uids, gids)
			}
			if err != nil {
				return nil, fmt.Errorf("id-mapped mount %s: %w", mountName(i, m), err)
			}
			userns[key] = ns
		}
		nsOf[i] = ns
	}
	if len(nsOf) == 0 {
		return nil, nil
	}
	if len(nsOf) > initproto.MaxFdsPerMsg {
		return nil, fmt.Errorf("%d id-mapped mounts; at most %d are supported", len(nsOf), initproto.MaxFdsPerMsg)
	}
	type result struct {
		trees map[int]*os.File
		err   error
	}
	done := make(chan result)
	go func() {
		// The thread enters the container's mount namespace and is never
		// unlocked: it ends with the goroutine, and nothing else runs
		// there.
		runtime.LockOSThread()
		trees, err := idmappedTreesIn(cfg, initPid, nsOf)
		done <- result{trees, err}
	}()
	r := <-done
	return r.trees, r.err
}

// idmappedTreesIn runs on a locked thread of its own: it joins the mount
// namespace of initPid and builds the trees there.
func idmappedTreesIn(cfg *configs.Config, initPid int, nsOf map[int]*os.File) (map[int]*os.File, error) {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("id-mapped mounts: unshare(CLONE_FS): %w", err)
	}
	mntns, err := os.Open("/proc/" + strconv.Itoa(initPid) + "/ns/mnt")
	if err != nil {
		return nil, fmt.Errorf("id-mapped mounts: open the container's mount namespace: %w", err)
	}
	err = unix.Setns(int(mntns.Fd()), unix.CLONE_NEWNS)
	mntns.Close()
	if err != nil {
		return nil, fmt.Errorf("id-mapped mounts: join the container's mount namespace: %w", err)
	}
	out := map[int]*os.File{}
	for i, ns := range nsOf {
		f, err := idmappedTree(cfg.Mounts[i], ns)
		if err != nil {
			for _, f := range out {
				f.Close()
			}
			return nil, fmt.Errorf("id-mapped mount %s: %w", mountName(i, cfg.Mounts[i]), err)
		}
		out[i] = f
	}
	return out, nil
}

// mountName names cfg.Mounts[i] in errors as the config does.
func mountName(i int, m *configs.Mount) string {
	return fmt.Sprintf("mounts[%d] (%s on %s)", i, m.Source, m.Destination)
}

// idmappedTree clones m.Source (with its submounts for rbind or ridmap)
// into a detached tree and maps it through the user namespace ns.
func idmappedTree(m *configs.Mount, ns *os.File) (*os.File, error) {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	if m.Flags&unix.MS_REC != 0 || m.IDMapRecursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, uint(flags))
	if err != nil {
		return nil, fmt.Errorf("open_tree of the source: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(ns.Fd())}
	at := unix.AT_EMPTY_PATH
	if m.IDMapRecursive {
		at |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", uint(at), attr); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EINVAL) {
			return nil, fmt.Errorf("mount_setattr(MOUNT_ATTR_IDMAP): %w: the filesystem of the source (or of a mount under it) may not support id-mapped mounts; use a source on a filesystem that does (ocirun check --bundle tries them) or remove the \"idmap\" option", err)
		}
		return nil, fmt.Errorf("mount_setattr(MOUNT_ATTR_IDMAP): %w", err)
	}
	return os.NewFile(uintptr(fd), "idmapped-"+m.Destination), nil
}

// userNamespaceWith returns an fd of a new user namespace with these maps.
// The namespace is made by the init's own stage 0, which is killed and
// reaped once the fd is open: the fd alone keeps the namespace alive, and
// no process is left behind.
func userNamespaceWith(uids, gids []configs.IDMap) (*os.File, error) {
	b := &initproto.Bootstrap{CloneFlags: unix.CLONE_NEWUSER, BecomeRoot: mapsID0(uids) && mapsID0(gids)}
	l, err := startBare(b, uids, gids)
	if err != nil {
		return nil, fmt.Errorf("make a user namespace with the mount's maps: %w", err)
	}
	defer l.kill()
	f, err := os.Open("/proc/" + strconv.Itoa(l.stage1Pid) + "/ns/user")
	if err != nil {
		return nil, fmt.Errorf("open the user namespace with the mount's maps: %w", err)
	}
	return f, nil
}

// sendMountFds sends ic (MsgConfig) to stage 1 with the trees attached,
// in the order of their mount index, and records that order in
// ic.MountFds.
func sendMountFds(conn *initproto.Conn, ic *initproto.InitConfig, trees map[int]*os.File) error {
	idx := make([]int, 0, len(trees))
	for i := range trees {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	fds := make([]int, 0, len(idx))
	ic.MountFds = map[int]int{}
	for k, i := range idx {
		fds = append(fds, int(trees[i].Fd()))
		ic.MountFds[i] = k
	}
	return conn.SendJSONFds(initproto.MsgConfig, ic, fds)
}
