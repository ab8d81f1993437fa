// Package cgroups places a container's processes in control groups, applies
// linux.resources to them, and reads them back (pids, freezer state, stats).
//
// Three host layouts are handled, as detected by DetectMode:
//
//	Legacy   cgroup v1 only: one hierarchy per controller under /sys/fs/cgroup
//	Hybrid   cgroup v1 for the controllers, plus a controller-less cgroup2 at
//	         /sys/fs/cgroup/unified that the container also joins
//	Unified  cgroup v2 only: one tree at /sys/fs/cgroup
//
// Where the container's cgroup goes follows runc's cgroupfs driver, so that
// engines which pass the same cgroupsPath to either runtime get the same
// directory:
//
//	cgroupsPath "/a/b"  <hierarchy mount>/a/b
//	cgroupsPath "a/b"   v1: <mount>/<runtime's own cgroup>/a/b
//	                    v2: <mount>/<parent of the runtime's own cgroup>/a/b
//	                    (the runtime's own v2 cgroup holds processes, so no
//	                    controller could be enabled for a child of it)
//	cgroupsPath ""      as the relative path "<container id>"
//
// Paths are cleaned as if rooted ("../../x" is "x"), so they never leave the
// hierarchy. With the systemd driver ("slice:prefix:name" with
// --systemd-cgroup, package cgroups/systemd) systemd creates the cgroup, and
// the managers here work on the directories of its unit (unit.go).
//
// Resources are written the way the kernel needs them (limits raised or
// lowered in an order the kernel accepts) and errors name the file, the
// value and, where it can be found out, why the kernel refused. On cgroup
// v2 the spec's v1-style values are converted as runc converts them (see
// convert.go); settings with no v2 equivalent are refused, as the spec
// requires.
//
// linux.resources.devices applies on top of "deny everything", as with
// runc; the rules that keep the default devices (/dev/null, /dev/zero,
// ptys, ...) usable must be in the list. On v1 they are written to
// devices.deny/devices.allow; on v2 they are compiled into an eBPF program
// attached to the cgroup (v2_devices.go).
package cgroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Unavailable: no cgroup filesystem is mounted at /sys/fs/cgroup.
	Unavailable Mode = iota
	// Legacy is cgroup v1 only.
	Legacy
	// Hybrid is cgroup v1 with a cgroup2 mount at /sys/fs/cgroup/unified.
	Hybrid
	// Unified is cgroup v2 only.
	Unified
)

var modeNames = map[Mode]string{
	Unavailable: "unavailable",
	Legacy:      "legacy",
	Hybrid:      "hybrid",
	Unified:     "unified",
}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText makes the mode readable in state.json.
func (m Mode) MarshalText() ([]byte, error) {
	s, ok := modeNames[m]
	if !ok {
		return nil, fmt.Errorf("unknown cgroup mode %d", int(m))
	}
	return []byte(s), nil
}

// UnmarshalText is the inverse of MarshalText.
func (m *Mode) UnmarshalText(b []byte) error {
	for k, v := range modeNames {
		if v == string(b) {
			*m = k
			return nil
		}
	}
	return fmt.Errorf("unknown cgroup mode %q", b)
}

// FreezerState is the freezer state of a container's cgroup.
type FreezerState string

const (
	// Undefined: the container has no freezer (v1 freezer not mounted, or
	// a v2 kernel without cgroup.freeze) or its cgroup is gone.
	Undefined FreezerState = ""
	Frozen    FreezerState = "FROZEN"
	Thawed    FreezerState = "THAWED"
)

// Manager is one container's cgroup(s).
type Manager interface {
	// Apply creates the cgroup directories that do not exist yet, records
	// which ones it created, and moves pid into the cgroup. A pid <= 0 only
	// creates. On v1 the container joins every mounted controller
	// hierarchy and name=systemd (as runc does); in hybrid mode it also
	// joins the cgroup2 tree at /sys/fs/cgroup/unified. On v2 every
	// controller available in each ancestor is enabled for its children.
	// If Apply fails, what it created so far is still recorded: stop pid
	// and call Destroy.
	Apply(pid int) error
	// Set writes linux.resources. A nil r or an absent section changes
	// nothing. Devices rules replace the previous rules.
	Set(r *specs.LinuxResources) error
	// GetPids lists every process in the container's cgroup and in the
	// cgroups below it, sorted.
	GetPids() ([]int, error)
	// Freeze stops every process in the cgroup and returns once the kernel
	// reports the cgroup frozen. On failure the cgroup is thawed again.
	Freeze() error
	// Thaw resumes a frozen cgroup.
	Thaw() error
	FreezerState() (FreezerState, error)
	// Stats reads usage counters. Optional files missing from the kernel
	// leave their fields zero.
	Stats() (*Stats, error)
	// OOMKillCount is the number of processes the OOM killer has killed in
	// the cgroup.
	OOMKillCount() (uint64, error)
	// Destroy removes the container's directories, whether Apply created
	// them or found them, with any cgroups the container made below them,
	// deepest first, and the parents Apply created. It waits briefly for
	// exiting processes but never kills anything: a cgroup that still has
	// processes is reported as an error. Parents that existed before
	// Apply, and created parents now shared with other cgroups, stay.
	Destroy() error
	// State is what Load needs to rebuild the manager in a later command.
	State() State
	// SelfJoinFiles lists, for each of the container's cgroup directories,
	// the file through which a single-threaded process moves itself in by
	// writing "0": "tasks" in a v1 hierarchy, "cgroup.procs" in cgroup2.
	// Stage 0 of the init does this before it forks. On v1 it is much
	// cheaper than writing a pid to cgroup.procs from outside: the kernel
	// takes its global threadgroup lock, whose first use after an idle
	// period waits for an RCU grace period, for every
	// cgroup.procs write and for every write of another task's id, but not
	// when a thread moves itself.
	SelfJoinFiles() []string
	// Path returns the directory of a v1 controller ("memory",
	// "name=systemd", ...), "" if the controller is not mounted. Path("")
	// is the cgroup2 directory (hybrid and unified modes). On v2 every
	// controller lives in the same directory, which Path returns for any
	// name.
	Path(controller string) string
}

// State is the serializable form of a Manager, stored in the container's
// state.json.
type State struct {
	Mode Mode `json:"mode"`
	// Paths maps a v1 controller to the container's directory in its
	// hierarchy; the key "" is the cgroup2 directory.
	Paths map[string]string `json:"paths"`
	// Created lists the directories Apply created, parents first.
	Created []string `json:"created,omitempty"`
	// Mountpoint is the cgroup2 mount (v2 only): Apply enables controllers
	// from there down.
	Mountpoint string `json:"mountpoint,omitempty"`
	// Unit is the systemd scope unit of the container's cgroup (the
	// systemd driver, package cgroups/systemd); empty with cgroupfs.
	Unit string `json:"unit,omitempty"`
}

// String is a compact JSON rendering, for logs.
func (s State) String() string {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%+v", map[string]any{"mode": s.Mode, "paths": s.Paths})
	}
	return string(b)
}

// ErrSystemdDriver is returned by New for a config of the systemd cgroup
// driver, which package cgroups/systemd implements (only that package
// talks to D-Bus).
var ErrSystemdDriver = errors.New("the systemd cgroup driver is package cgroups/systemd, not cgroups.New")

// New resolves where the container's cgroup goes on this host. Nothing is
// created until Apply. cg may be nil (no cgroupsPath, no resources).
func New(cg *configs.Cgroup, containerID string) (Manager, error) {
	h, err := discoverHost()
	if err != nil {
		return nil, err
	}
	return newManager(h, cg, containerID)
}

// Load rebuilds a manager from the State an earlier command stored.
func Load(s State) (Manager, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("load cgroup state: %w", err)
	}
	var m Manager
	var b *base
	if s.Mode == Unified {
		v2 := &v2Manager{dir: s.Paths[""], mountpoint: s.Mountpoint}
		m, b = v2, &v2.base
	} else {
		v1 := &v1Manager{mode: s.Mode}
		m, b = v1, &v1.base
	}
	b.paths = maps.Clone(s.Paths)
	b.created = slices.Clone(s.Created)
	b.write = writeFile
	return m, nil
}

// Freezer locates the files that say whether a container is frozen. It is
// stored beside the rest of the container's state, so that a status check
// (list makes one per container) reads neither the whole State nor builds
// a manager: Load checks every path and every created directory, which
// costs more than the read itself.
type Freezer struct {
	Mode Mode `json:"mode"`
	// Dir is the v1 freezer directory, or the cgroup2 directory
	// (cgroup.freeze); empty when the container has no freezer.
	Dir string `json:"dir,omitempty"`
}

// Freezer returns where s keeps its freezer state.
func (s State) Freezer() Freezer {
	if s.Mode == Unified {
		return Freezer{Mode: s.Mode, Dir: s.Paths[""]}
	}
	return Freezer{Mode: s.Mode, Dir: s.Paths["freezer"]}
}

// State reads the freezer state. Only the one directory read is checked.
func (f Freezer) State() (FreezerState, error) {
	switch f.Mode {
	case Legacy, Hybrid, Unified:
	default:
		return Undefined, fmt.Errorf("freezer: mode %v is not a cgroup layout", f.Mode)
	}
	if f.Dir == "" {
		return Undefined, nil
	}
	if !filepath.IsAbs(f.Dir) || filepath.Clean(f.Dir) != f.Dir || f.Dir == "/" {
		return Undefined, fmt.Errorf("freezer: path %q is not a clean absolute path", f.Dir)
	}
	if f.Mode == Unified {
		return freezerStateV2(f.Dir)
	}
	return freezerStateV1(f.Dir)
}

func (s State) validate() error {
	switch s.Mode {
	case Legacy, Hybrid, Unified:
	default:
		return fmt.Errorf("mode %v is not a cgroup layout", s.Mode)
	}
	if len(s.Paths) == 0 {
		return errors.New("no cgroup paths")
	}
	for k, p := range s.Paths {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p || p == "/" {
			return fmt.Errorf("path %q of controller %q is not a clean absolute path", p, k)
		}
	}
	if s.Mode == Unified {
		if len(s.Paths) != 1 || s.Paths[""] == "" {
			return fmt.Errorf("a cgroup v2 state has exactly one path, with key \"\", got %v", s.Paths)
		}
		if !isBelow(s.Paths[""], s.Mountpoint) {
			return fmt.Errorf("cgroup v2 path %q is not below the mount point %q", s.Paths[""], s.Mountpoint)
		}
	}
	// Destroy removes what Created lists, so a damaged state.json must not
	// be able to name a directory that is not one of ours.
	for _, c := range s.Created {
		ok := false
		for _, p := range s.Paths {
			if c == p || isBelow(p, c) {
				ok = true
				break
			}
		}
		if !ok || filepath.Clean(c) != c || !filepath.IsAbs(c) {
			return fmt.Errorf("created directory %q is neither a cgroup path nor a parent of one", c)
		}
	}
	return nil
}

// isBelow reports whether p is strictly inside dir.
func isBelow(p, dir string) bool {
	if dir == "" {
		return false
	}
	if dir == "/" {
		return p != "/" && strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, dir+"/")
}

// mount is one cgroup hierarchy as the runtime sees it.
type mount struct {
	// Dir is where it is mounted, e.g. /sys/fs/cgroup/memory.
	Dir string
	// Root is the cgroup the mount shows at Dir (the mountinfo root field):
	// "/" normally, "/docker/<id>" when a container bind-mounted its own
	// part of the tree.
	Root string
}

// host is what path resolution needs to know about the machine; tests build
// one by hand.
type host struct {
	mode Mode
	// v1 maps a controller name ("cpu", "name=systemd") to its hierarchy.
	v1 map[string]mount
	// unified is the cgroup2 mount (Unified and Hybrid modes).
	unified mount
	// own is /proc/self/cgroup: controller -> cgroup path; "" is cgroup2.
	own map[string]string
}

// v1Controllers are the hierarchies a container joins on cgroup v1, in the
// order it joins them: runc's list, so tools that look for a container in
// any of them find it.
var v1Controllers = []string{
	"cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio",
	"hugetlb", "net_cls", "net_prio", "perf_event", "freezer", "rdma",
	"misc", "name=systemd",
}

func newManager(h *host, cg *configs.Cgroup, id string) (Manager, error) {
	if cg == nil {
		cg = &configs.Cgroup{}
	}
	if cg.Systemd {
		return nil, ErrSystemdDriver
	}
	inner, err := cleanCgroupsPath(cg.Path, id)
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	switch h.mode {
	case Unified:
		dir, err := resolve(h.unified, h.own, "", inner, true)
		if err != nil {
			return nil, err
		}
		paths[""] = dir
		m := &v2Manager{dir: dir, mountpoint: h.unified.Dir}
		m.paths, m.write = paths, writeFile
		if err := m.check(cg.Resources); err != nil {
			return nil, err
		}
		return m, nil
	case Legacy, Hybrid:
		for _, c := range v1Controllers {
			mnt, ok := h.v1[c]
			if !ok {
				continue
			}
			dir, err := resolve(mnt, h.own, c, inner, false)
			if err != nil {
				return nil, err
			}
			paths[c] = dir
		}
		if _, ok := paths["devices"]; !ok {
			// Without it the container could open any device node it
			// manages to create or is given.
			return nil, errors.New("the cgroup v1 devices controller is not mounted: refusing to run a container without device access control")
		}
		if h.mode == Hybrid {
			dir, err := resolve(h.unified, h.own, "", inner, false)
			if err != nil {
				return nil, err
			}
			paths[""] = dir
		}
		m := &v1Manager{mode: h.mode, resources: cg.Resources}
		m.paths, m.write = paths, writeFile
		if err := m.check(cg.Resources); err != nil {
			return nil, err
		}
		return m, nil
	default:
		return nil, errors.New("no cgroup filesystem is mounted at /sys/fs/cgroup")
	}
}

// cleanCgroupsPath turns linux.cgroupsPath into a clean path that cannot
// climb out of where it is joined: absolute ("/a/b") or relative ("a/b").
func cleanCgroupsPath(p, id string) (string, error) {
	if p == "" {
		if id == "" || id == "." || id == ".." || strings.ContainsRune(id, '/') {
			return "", fmt.Errorf("container id %q cannot name a cgroup", id)
		}
		return id, nil
	}
	c := filepath.Clean("/" + p)
	if c == "/" {
		return "", fmt.Errorf("linux.cgroupsPath %q names the root of the cgroup hierarchy (or the runtime's own cgroup)", p)
	}
	if filepath.IsAbs(p) {
		return c, nil
	}
	return c[1:], nil
}

// resolve joins a cleaned cgroupsPath to one hierarchy. controller is the
// key in own ("" for cgroup2). parentOfOwn selects the v2 rule for relative
// paths: below the parent of the runtime's own cgroup.
func resolve(mnt mount, own map[string]string, controller, inner string, parentOfOwn bool) (string, error) {
	name := controller
	if name == "" {
		name = "cgroup2"
	}
	if filepath.IsAbs(inner) {
		return filepath.Join(mnt.Dir, inner), nil
	}
	cur, ok := own[controller]
	if !ok {
		return "", fmt.Errorf("the runtime's own %s cgroup is not listed in /proc/self/cgroup", name)
	}
	root := mnt.Root
	if root == "" {
		root = "/"
	}
	rel, err := filepath.Rel(root, cur)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("the runtime's own %s cgroup %q is outside what %s shows (%q): cannot place a relative cgroupsPath", name, cur, mnt.Dir, root)
	}
	if parentOfOwn && rel != "." {
		rel = filepath.Dir(rel)
	}
	return filepath.Join(mnt.Dir, rel, inner), nil
}
