package cgroups

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

const (
	cgroupRoot    = "/sys/fs/cgroup"
	hybridUnified = "/sys/fs/cgroup/unified"
)

// DetectMode tells the host's cgroup layout from the filesystem types at
// /sys/fs/cgroup and /sys/fs/cgroup/unified.
func DetectMode() Mode {
	return detectMode(statfsType)
}

func statfsType(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Type), nil
}

func detectMode(fsType func(string) (int64, error)) Mode {
	t, err := fsType(cgroupRoot)
	if err != nil {
		return Unavailable
	}
	switch t {
	case unix.CGROUP2_SUPER_MAGIC:
		return Unified
	case unix.CGROUP_SUPER_MAGIC:
		// A single v1 hierarchy mounted directly on /sys/fs/cgroup.
		return Legacy
	case unix.TMPFS_MAGIC:
		if u, err := fsType(hybridUnified); err == nil && u == unix.CGROUP2_SUPER_MAGIC {
			return Hybrid
		}
		return Legacy
	}
	return Unavailable
}

func discoverHost() (*host, error) {
	h := &host{mode: DetectMode()}
	if h.mode == Unavailable {
		return nil, errors.New("no cgroup filesystem is mounted at /sys/fs/cgroup")
	}
	data, err := smallfile.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find cgroup mounts: %w", err)
	}
	mounts, err := mountinfo.GetMountsFromReader(bytes.NewReader(data), mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("parse /proc/self/mountinfo: %w", err)
	}
	h.v1, h.unified = pickMounts(mounts, h.mode)
	if h.mode != Legacy && h.unified.Dir == "" {
		return nil, fmt.Errorf("no cgroup2 mount found at %s for %v mode", unifiedDir(h.mode), h.mode)
	}
	data, err = smallfile.Read("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("find the runtime's own cgroup: %w", err)
	}
	h.own, err = parseProcCgroup(string(data))
	if err != nil {
		return nil, fmt.Errorf("parse /proc/self/cgroup: %w", err)
	}
	return h, nil
}

func unifiedDir(m Mode) string {
	if m == Hybrid {
		return hybridUnified
	}
	return cgroupRoot
}

var knownV1 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range v1Controllers {
		m[c] = true
	}
	return m
}()

// pickMounts chooses, per controller, the v1 hierarchy mounted under
// /sys/fs/cgroup (a controller may also be mounted elsewhere), and the
// cgroup2 mount that belongs to the mode.
func pickMounts(entries []*mountinfo.Info, mode Mode) (map[string]mount, mount) {
	v1 := map[string]mount{}
	var unified mount
	want := unifiedDir(mode)
	for _, e := range entries {
		switch e.FSType {
		case "cgroup2":
			if mode != Legacy && e.Mountpoint == want {
				unified = mount{Dir: e.Mountpoint, Root: e.Root}
			}
		case "cgroup":
			if mode == Unified {
				continue
			}
			under := filepath.Dir(e.Mountpoint) == cgroupRoot
			for _, o := range strings.Split(e.VFSOptions, ",") {
				if !knownV1[o] {
					continue
				}
				// The first mount wins, unless a later one is the
				// canonical one under /sys/fs/cgroup.
				if prev, ok := v1[o]; ok && (!under || filepath.Dir(prev.Dir) == cgroupRoot) {
					continue
				}
				v1[o] = mount{Dir: e.Mountpoint, Root: e.Root}
			}
		}
	}
	return v1, unified
}

// parseProcCgroup reads /proc/<pid>/cgroup: "id:controller,controller:path"
// per line, "0::path" for cgroup2 (key "").
func parseProcCgroup(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %q is not id:controllers:path", line)
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}
