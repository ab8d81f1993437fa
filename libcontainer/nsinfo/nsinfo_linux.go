// Package nsinfo shows a container's namespaces as the kernel sees them
// ("ocirun ns"): for each type its inode, whether the container's init got
// a new one, joined one by path or shares the runtime's, and which other
// containers of the same state root share it; the user namespace's id maps
// and owner, and the processes of the PID namespace. It only reads /proc
// and the state directory.
package nsinfo

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// Origin says where a container's namespace came from.
type Origin string

const (
	// Created: the init got a new namespace of this type.
	Created Origin = "created"
	// Joined: the config named a namespace by path, and the init joined it.
	Joined Origin = "joined"
	// Host: the config has no namespace of this type: the init shares the
	// runtime's.
	Host Origin = "host"
)

// Namespace is one namespace of a container.
type Namespace struct {
	Type   configs.NamespaceType `json:"type"`
	Inode  uint64                `json:"inode"`
	Origin Origin                `json:"origin"`
	// Path is what the config joined (Origin Joined).
	Path string `json:"path,omitempty"`
	// SharedWith lists the other containers of the state root in it.
	SharedWith []string `json:"sharedWith,omitempty"`
	// The user namespace: its id maps as the kernel shows them, and the
	// uid that created it.
	UIDMap   []string `json:"uidMap,omitempty"`
	GIDMap   []string `json:"gidMap,omitempty"`
	OwnerUID *uint32  `json:"ownerUid,omitempty"`
	// The PID namespace: its processes.
	Processes []Process `json:"processes,omitempty"`
}

// Process is a process of a container's PID namespace.
type Process struct {
	Pid     int    `json:"pid"`   // on the host
	NsPid   int    `json:"nspid"` // inside the namespace
	Command string `json:"command"`
}

// Container is the namespaces of one container.
type Container struct {
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	Pid        int         `json:"pid"`
	Namespaces []Namespace `json:"namespaces"`
}

// Group is containers tied together by namespaces they share (not counting
// the runtime's own): a pod is one group.
type Group struct {
	Containers []string `json:"containers"`
	// Shared lists each namespace that two or more of them share, as
	// "type:[inode]".
	Shared []string `json:"shared,omitempty"`
}

// ErrStopped is returned for a container whose init has exited: its
// namespaces ended with it (unless something else holds them).
var ErrStopped = errors.New("is stopped: its namespaces ended with its init, so there is nothing to show")

// view is one live container's namespace inodes.
type view struct {
	ctr    *libcontainer.Container
	pid    int
	inodes map[configs.NamespaceType]uint64
}

func nsInode(pid int, t configs.NamespaceType) (uint64, error) {
	var st unix.Stat_t
	p := "/proc/" + strconv.Itoa(pid) + "/ns/" + libcontainer.NamespaceFile(t)
	if err := unix.Stat(p, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", p, err)
	}
	return st.Ino, nil
}

func load(s *libcontainer.Store, id string) (*view, error) {
	c, err := s.Peek(id)
	if err != nil {
		return nil, err
	}
	pid := c.Pid()
	if pid == 0 {
		return nil, fmt.Errorf("container %q %w", id, ErrStopped)
	}
	v := &view{ctr: c, pid: pid, inodes: map[configs.NamespaceType]uint64{}}
	for _, t := range libcontainer.NamespaceTypes {
		ino, err := nsInode(pid, t)
		if err != nil {
			return nil, fmt.Errorf("container %q: %w", id, err)
		}
		v.inodes[t] = ino
	}
	return v, nil
}

// others loads every other live container of the store; ones that stop or
// vanish meanwhile are left out.
func others(s *libcontainer.Store, except string) ([]*view, error) {
	ids, err := s.List()
	if err != nil {
		return nil, err
	}
	var out []*view
	for _, id := range ids {
		if id == except {
			continue
		}
		if v, err := load(s, id); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// hostInodes are the runtime's own namespaces.
func hostInodes() map[configs.NamespaceType]uint64 {
	m := map[configs.NamespaceType]uint64{}
	for _, t := range libcontainer.NamespaceTypes {
		if ino, err := nsInode(os.Getpid(), t); err == nil {
			m[t] = ino
		}
	}
	return m
}

// Inspect returns the namespaces of the container id.
func Inspect(s *libcontainer.Store, id string) (*Container, error) {
	v, err := load(s, id)
	if err != nil {
		return nil, err
	}
	cfg, err := v.ctr.Config()
	if err != nil {
		return nil, err
	}
	rest, err := others(s, id)
	if err != nil {
		return nil, err
	}
	out := &Container{ID: id, Status: string(v.ctr.Status()), Pid: v.pid}
	for _, t := range libcontainer.NamespaceTypes {
		ns := Namespace{Type: t, Inode: v.inodes[t], Origin: Host}
		if c, ok := cfg.Namespace(t); ok {
			ns.Origin, ns.Path = Created, c.Path
			if c.Path != "" {
				ns.Origin = Joined
			}
		}
		for _, o := range rest {
			if o.inodes[t] == ns.Inode {
				ns.SharedWith = append(ns.SharedWith, o.ctr.ID())
			}
		}
		switch t {
		case configs.NEWUSER:
			ns.UIDMap = readLines("/proc/" + strconv.Itoa(v.pid) + "/uid_map")
			ns.GIDMap = readLines("/proc/" + strconv.Itoa(v.pid) + "/gid_map")
			if uid, err := ownerUID(v.pid); err == nil {
				ns.OwnerUID = &uid
			}
		case configs.NEWPID:
			ns.Processes = pidNamespaceProcesses(ns.Inode)
		}
		out.Namespaces = append(out.Namespaces, ns)
	}
	return out, nil
}

// All groups the live containers of the store by the namespaces they
// share, leaving out the runtime's own namespaces (which every container
// without a namespace of that type shares). Stopped containers are left
// out.
func All(s *libcontainer.Store) ([]Group, error) {
	views, err := others(s, "")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(views))
	inodes := make([]map[configs.NamespaceType]uint64, len(views))
	for i, v := range views {
		ids[i], inodes[i] = v.ctr.ID(), v.inodes
	}
	return group(ids, inodes, hostInodes()), nil
}

// group ties containers (ids, with the inodes of their namespaces) that
// share a namespace other than the runtime's own (host) into groups,
// sorted by their first container.
func group(ids []string, inodes []map[configs.NamespaceType]uint64, host map[configs.NamespaceType]uint64) []Group {
	// Union-find over containers, joined by each shared namespace.
	parent := make([]int, len(ids))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	owners := map[string][]int{} // "type:[inode]" -> containers
	for i := range ids {
		for _, t := range libcontainer.NamespaceTypes {
			if inodes[i][t] == host[t] {
				continue
			}
			k := fmt.Sprintf("%s:[%d]", t, inodes[i][t])
			owners[k] = append(owners[k], i)
		}
	}
	for _, members := range owners {
		for _, m := range members[1:] {
			parent[find(m)] = find(members[0])
		}
	}
	byRoot := map[int]*Group{}
	var order []int
	for i, id := range ids {
		r := find(i)
		g, ok := byRoot[r]
		if !ok {
			g = &Group{}
			byRoot[r] = g
			order = append(order, r)
		}
		g.Containers = append(g.Containers, id)
	}
	for k, members := range owners {
		if len(members) > 1 {
			g := byRoot[find(members[0])]
			g.Shared = append(g.Shared, k)
		}
	}
	groups := []Group{}
	for _, r := range order {
		g := byRoot[r]
		sort.Strings(g.Containers)
		sort.Strings(g.Shared)
		groups = append(groups, *g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Containers[0] < groups[j].Containers[0] })
	return groups
}

func readLines(p string) []string {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}

// nsGetOwnerUID is NS_GET_OWNER_UID, _IO(0xb7, 0x4) (linux/nsfs.h).
const nsGetOwnerUID = 0xb704

func ownerUID(pid int) (uint32, error) {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	var uid uint32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), nsGetOwnerUID, uintptr(unsafe.Pointer(&uid))); e != 0 {
		return 0, e
	}
	return uid, nil
}

// pidNamespaceProcesses lists the processes whose PID namespace has this
// inode, by host pid.
func pidNamespaceProcesses(inode uint64) []Process {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []Process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ino, err := nsInode(pid, configs.NEWPID); err != nil || ino != inode {
			continue
		}
		p := Process{Pid: pid, NsPid: nsPid(pid)}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil {
			p.Command = strings.TrimSpace(string(b))
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Process) int { return a.NsPid - b.NsPid })
	return out
}

// nsPid is the last NSpid of /proc/<pid>/status: the pid in its own
// namespace.
func nsPid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[len(f)-1])
				return n
			}
		}
	}
	return 0
}
