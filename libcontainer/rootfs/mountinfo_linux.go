package rootfs

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// readMountinfo lists the mounts the calling thread sees: /proc/thread-self
// is right even for a thread that unshared its mount namespace. The file is
// read with smallfile rather than os.Open, whose first use would set up the
// Go poller in the init for this one read.
func readMountinfo() ([]*mountinfo.Info, error) {
	const path = "/proc/thread-self/mountinfo"
	b, err := smallfile.Read(path)
	if err != nil {
		return nil, err
	}
	infos, err := mountinfo.GetMountsFromReader(bytes.NewReader(b), nil)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return infos, nil
}

// shared reports whether the mount is in a peer group.
func shared(m *mountinfo.Info) bool {
	for _, o := range strings.Fields(m.Optional) {
		if strings.HasPrefix(o, "shared:") {
			return true
		}
	}
	return false
}

// visibleMounts drops the mounts that something mounted later hides: a
// mount stacked on the same mount point, or on a directory above it in the
// same parent mount, and everything below a hidden mount. Engines in nested
// setups mount a fresh tmpfs and cgroup hierarchies over /sys/fs/cgroup; the
// host's hierarchies stay in mountinfo underneath and must not be mounted
// a second time.
func visibleMounts(infos []*mountinfo.Info) []*mountinfo.Info {
	hidden := make(map[int]bool)
	for i, m := range infos {
		for _, later := range infos[i+1:] {
			stacked := later.Parent == m.ID && later.Mountpoint == m.Mountpoint
			above := later.Parent == m.Parent && later.Mountpoint != m.Mountpoint && within(m.Mountpoint, later.Mountpoint)
			if stacked || above {
				hidden[m.ID] = true
				break
			}
		}
	}
	// mountinfo lists a parent before its children, so one pass spreads
	// hiding down the tree; the mount stacked on a hidden one is what
	// hides it, and stays visible.
	mountpoint := make(map[int]string, len(infos))
	for _, m := range infos {
		mountpoint[m.ID] = m.Mountpoint
	}
	var out []*mountinfo.Info
	for _, m := range infos {
		if hidden[m.Parent] && mountpoint[m.Parent] != m.Mountpoint {
			hidden[m.ID] = true
		}
		if !hidden[m.ID] {
			out = append(out, m)
		}
	}
	return out
}
