package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// cgroupMount handles a mount of type "cgroup": the container sees its
// cgroups at the destination, laid out like the host's /sys/fs/cgroup.
//
// With a cgroup namespace the real hierarchies are mounted (the namespace
// makes their root the container's cgroup; on cgroup v2, where the kernel
// refuses that mount, as below a /sys bound from the host, the container's
// cgroup is bound instead). Without one, mounting them would
// show the whole host tree, so the container's own cgroup directories
// (Options.CgroupPaths) are bound instead. On a cgroup v1 or hybrid host the
// destination is a tmpfs holding one directory per hierarchy, named like the
// host's mount points, plus a symlink per controller of a co-mounted
// hierarchy ("cpu" -> "cpu,cpuacct").
//
// The mount is read-only unless its options say "rw".
func (s *setup) cgroupMount(t *tree, m *configs.Mount, opts Options) error {
	flags := m.Flags
	ro := m.ClearedFlags&unix.MS_RDONLY == 0
	if ro {
		flags |= unix.MS_RDONLY
	}
	infos, err := s.mountinfo()
	if err != nil {
		return fmt.Errorf("find the host's cgroup hierarchies: %w", err)
	}
	var hier []*mountinfo.Info
	v1 := false
	for _, mi := range visibleMounts(infos) {
		if within(mi.Mountpoint, t.path) {
			continue
		}
		switch mi.FSType {
		case "cgroup":
			v1 = true
			hier = append(hier, mi)
		case "cgroup2":
			if !containsFSType(hier, "cgroup2") {
				hier = append(hier, mi)
			}
		}
	}
	if len(hier) == 0 {
		return errors.New("the host has no cgroup hierarchy mounted")
	}

	if !v1 {
		sub := *m
		sub.Flags = flags
		sub.Data = ""
		src := opts.CgroupPaths[""]
		if opts.HasCgroupNS {
			sub.Source, sub.Device = "cgroup2", "cgroup2"
			err := s.fsMount(t, &sub, opts, nil)
			// The kernel refuses the hierarchy on a mount point that is
			// its own root already (EBUSY), as where /sys is bound from
			// the host (a rootless container's /sys): the container's
			// cgroup, what its namespace would show, is bound instead;
			// without one (rootless, nothing delegated) the destination
			// is masked rather than left showing the host's tree (runc
			// does both).
			if !errors.Is(err, unix.EBUSY) {
				return err
			}
			if src == "" {
				var mk masks
				defer mk.close()
				if err := s.maskPath(t, cleanDest(m.Destination), &mk); err != nil {
					return fmt.Errorf("mask it, as cgroup2 cannot be mounted there: %w", err)
				}
				return nil
			}
		}
		if src == "" {
			return errors.New("no cgroup directory of the container is known for the unified hierarchy")
		}
		sub.Source, sub.Device = src, "bind"
		sub.Flags |= unix.MS_BIND | unix.MS_REC
		return s.bindMount(t, &sub)
	}

	dest := cleanDest(m.Destination)
	pl, err := t.ensure(dest, true)
	if err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	defer pl.close()
	tmpfsFlags := unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | flags&^unix.MS_RDONLY
	if err := s.k.Mount("tmpfs", pl.target, "tmpfs", tmpfsFlags, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	top, err := t.reopen(pl)
	if err != nil {
		return err
	}
	defer top.close()
	realTop, err := t.realPath(top)
	if err != nil {
		return err
	}
	// The hierarchies go inside the new tmpfs, resolved from its root so that
	// nothing in the rootfs can redirect them.
	sub := &tree{k: t.k, dir: top.f, path: filepath.Join(t.path, realTop), byFd: t.byFd}
	for _, h := range hier {
		name := filepath.Base(h.Mountpoint)
		hm := &configs.Mount{Destination: "/" + name, Flags: flags, ClearedFlags: m.ClearedFlags}
		switch {
		case opts.HasCgroupNS:
			hm.Source, hm.Device = h.FSType, h.FSType
			if h.FSType == "cgroup" {
				hm.Data = cgroupData(h.VFSOptions)
			}
			err = s.fsMount(sub, hm, opts, nil)
		default:
			src := cgroupPathFor(h, opts.CgroupPaths)
			if src == "" {
				// The runtime put the container in no cgroup of this
				// hierarchy: there is nothing of its own to show.
				continue
			}
			hm.Source, hm.Device = src, "bind"
			hm.Flags |= unix.MS_BIND | unix.MS_REC
			err = s.bindMount(sub, hm)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dest, name), err)
		}
		if h.FSType == "cgroup" && strings.Contains(name, ",") {
			for _, c := range strings.Split(name, ",") {
				if err := unix.Symlinkat(name, int(top.f.Fd()), c); err != nil && !errors.Is(err, unix.EEXIST) {
					return fmt.Errorf("symlink %s: %w", filepath.Join(dest, c), err)
				}
			}
		}
	}
	if ro {
		if err := s.k.Mount("", top.target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|tmpfsFlags, ""); err != nil {
			return fmt.Errorf("remount tmpfs read-only: %w", err)
		}
	}
	for _, p := range m.PropagationFlags {
		if err := s.k.Mount("", top.target, "", p, ""); err != nil {
			return fmt.Errorf("set propagation %s: %w", flagNames(p), err)
		}
	}
	return nil
}

func containsFSType(infos []*mountinfo.Info, fstype string) bool {
	for _, mi := range infos {
		if mi.FSType == fstype {
			return true
		}
	}
	return false
}

// cgroupOptions are cgroup v1 super options that are not controllers.
var cgroupOptions = map[string]bool{
	"rw": true, "ro": true, "xattr": true, "noprefix": true, "clone_children": true,
	"cpuset_v2_mode": true, "favordynmods": true, "nofavordynmods": true,
}

// cgroupControllers lists the controllers (and "name=..." of a named
// hierarchy) in a v1 hierarchy's super options.
func cgroupControllers(superOpts string) []string {
	var out []string
	for _, o := range strings.Split(superOpts, ",") {
		if o == "" || cgroupOptions[o] || (strings.Contains(o, "=") && !strings.HasPrefix(o, "name=")) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// cgroupData is the mount data that names the same v1 hierarchy again: its
// super options without the read-only state and the release agent, which
// are not the container's business.
func cgroupData(superOpts string) string {
	var out []string
	for _, o := range strings.Split(superOpts, ",") {
		if o == "" || o == "rw" || o == "ro" || strings.HasPrefix(o, "release_agent=") {
			continue
		}
		out = append(out, o)
	}
	return strings.Join(out, ",")
}

// cgroupPathFor finds the container's directory in hierarchy h: paths are
// keyed by controller ("cpu", "memory", "name=systemd", also "systemd"), and
// "" for the unified hierarchy.
func cgroupPathFor(h *mountinfo.Info, paths map[string]string) string {
	if h.FSType == "cgroup2" {
		return paths[""]
	}
	for _, c := range cgroupControllers(h.VFSOptions) {
		if p := paths[c]; p != "" {
			return p
		}
		if n, ok := strings.CutPrefix(c, "name="); ok && paths[n] != "" {
			return paths[n]
		}
	}
	return ""
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	dir = strings.TrimSuffix(dir, "/")
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}
