package rootfs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// mountInfo is the part of a /proc/self/mountinfo line this package uses.
type mountInfo struct {
	ID, Parent int
	Mountpoint string
	// Optional are the optional fields ("shared:1", "master:2", ...).
	Optional []string
	FSType   string
	Source   string
	// SuperOptions are the per-superblock options ("rw,cpu,cpuacct").
	SuperOptions string
}

// shared reports whether the mount is in a peer group.
func (m *mountInfo) shared() bool {
	for _, o := range m.Optional {
		if strings.HasPrefix(o, "shared:") {
			return true
		}
	}
	return false
}

func readMountinfo() ([]mountInfo, error) {
	const name = "/proc/self/mountinfo"
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	infos, err := parseMountinfo(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return infos, nil
}

// parseMountinfo parses the format of proc(5):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountinfo(r io.Reader) ([]mountInfo, error) {
	var infos []mountInfo
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 7 || sep < 0 || len(fields) < sep+3 {
			return nil, fmt.Errorf("line %d: malformed: %q", line, sc.Text())
		}
		id, err1 := strconv.Atoi(fields[0])
		parent, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("line %d: malformed mount ids: %q", line, sc.Text())
		}
		mi := mountInfo{
			ID:         id,
			Parent:     parent,
			Mountpoint: unescapeMountinfo(fields[4]),
			Optional:   fields[6:sep],
			FSType:     fields[sep+1],
			Source:     unescapeMountinfo(fields[sep+2]),
		}
		if len(fields) > sep+3 {
			mi.SuperOptions = fields[sep+3]
		}
		infos = append(infos, mi)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return infos, nil
}

// unescapeMountinfo undoes the kernel's octal escaping of space, tab,
// newline and backslash ("\040").
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// visibleMounts drops the mounts that something mounted later hides: a
// mount stacked on the same mount point, or on a directory above it in the
// same parent mount, and everything below a hidden mount. Engines in nested
// setups mount a fresh tmpfs and cgroup hierarchies over /sys/fs/cgroup; the
// host's hierarchies stay in mountinfo underneath and must not be mounted
// a second time.
func visibleMounts(infos []mountInfo) []mountInfo {
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
	var out []mountInfo
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
