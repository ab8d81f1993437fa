package specconv

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

var namespaceTypes = map[specs.LinuxNamespaceType]configs.NamespaceType{
	specs.PIDNamespace:     configs.NEWPID,
	specs.NetworkNamespace: configs.NEWNET,
	specs.MountNamespace:   configs.NEWNS,
	specs.IPCNamespace:     configs.NEWIPC,
	specs.UTSNamespace:     configs.NEWUTS,
	specs.UserNamespace:    configs.NEWUSER,
	specs.CgroupNamespace:  configs.NEWCGROUP,
	specs.TimeNamespace:    configs.NEWTIME,
}

// maxIDMapEntries is the most lines the kernel accepts in uid_map/gid_map
// (since Linux 4.15).
const maxIDMapEntries = 340

// convertNamespaces fills c.Namespaces, the user namespace mappings and the
// time namespace offsets.
func convertNamespaces(l *specs.Linux, c *configs.Config) error {
	seen := map[specs.LinuxNamespaceType]int{}
	for i, ns := range l.Namespaces {
		p := idx("linux.namespaces", i)
		t, ok := namespaceTypes[ns.Type]
		if !ok {
			return fieldErr(p+".type", "unknown namespace %q", ns.Type)
		}
		if first, dup := seen[ns.Type]; dup {
			return fieldErr(p+".type", "duplicate namespace %q (also at %s)", ns.Type, idx("linux.namespaces", first))
		}
		seen[ns.Type] = i
		if ns.Path != "" {
			if !filepath.IsAbs(ns.Path) {
				return fieldErr(p+".path", "%q is not absolute", ns.Path)
			}
			if err := noNUL(p+".path", ns.Path); err != nil {
				return err
			}
		}
		c.Namespaces = append(c.Namespaces, configs.Namespace{Type: t, Path: ns.Path})
	}
	if _, ok := seen[specs.MountNamespace]; !ok {
		// Without one the mounts and the pivot_root would happen in the
		// runtime's own namespace, that is, on the host.
		return fieldErr("linux.namespaces", "a mount namespace is required: ocirun builds the container's root filesystem in a mount namespace of its own or one joined by path")
	}

	userns, hasUser := c.Namespace(configs.NEWUSER)
	var err error
	if c.UIDMappings, err = convertIDMaps(l.UIDMappings, "linux.uidMappings", "uid"); err != nil {
		return err
	}
	if c.GIDMappings, err = convertIDMaps(l.GIDMappings, "linux.gidMappings", "gid"); err != nil {
		return err
	}
	switch {
	case !hasUser && len(l.UIDMappings) > 0:
		return fieldErr("linux.uidMappings", "set, but linux.namespaces has no user namespace")
	case !hasUser && len(l.GIDMappings) > 0:
		return fieldErr("linux.gidMappings", "set, but linux.namespaces has no user namespace")
	case hasUser && userns.Path == "" && len(l.UIDMappings) == 0:
		return fieldErr("linux.uidMappings", "a new user namespace needs uid mappings, but none were found")
	case hasUser && userns.Path == "" && len(l.GIDMappings) == 0:
		return fieldErr("linux.gidMappings", "a new user namespace needs gid mappings, but none were found")
	}

	if len(l.TimeOffsets) > 0 {
		timens, ok := c.Namespace(configs.NEWTIME)
		if !ok {
			return fieldErr("linux.timeOffsets", "set, but linux.namespaces has no time namespace")
		}
		if timens.Path != "" {
			return fieldErr("linux.timeOffsets", "offsets can only be given to a new time namespace, not to the joined %q", timens.Path)
		}
		c.TimeOffsets = make(map[string]configs.TimeOffset, len(l.TimeOffsets))
		for _, clock := range sortedKeys(l.TimeOffsets) {
			off := l.TimeOffsets[clock]
			if clock != "monotonic" && clock != "boottime" {
				return fieldErr(key("linux.timeOffsets", clock), "unknown clock %q (a time namespace offsets monotonic and boottime)", clock)
			}
			if off.Nanosecs >= 1e9 {
				return fieldErr(key("linux.timeOffsets", clock)+".nanosecs", "%d is not below one second", off.Nanosecs)
			}
			c.TimeOffsets[clock] = configs.TimeOffset{Secs: off.Secs, Nanosecs: off.Nanosecs}
		}
	}
	return nil
}

// convertIDMaps checks one list of user namespace mappings the way the
// kernel will when it is written to uid_map or gid_map.
func convertIDMaps(maps []specs.LinuxIDMapping, path, what string) ([]configs.IDMap, error) {
	if len(maps) == 0 {
		return nil, nil
	}
	if len(maps) > maxIDMapEntries {
		return nil, fieldErr(path, "%d entries; the kernel accepts at most %d", len(maps), maxIDMapEntries)
	}
	out := make([]configs.IDMap, len(maps))
	for i, m := range maps {
		p := idx(path, i)
		if m.Size == 0 {
			return nil, fieldErr(p+".size", "must be greater than zero")
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(p, "container %ss %d..%d run past the largest %s", what, m.ContainerID, uint64(m.ContainerID)+uint64(m.Size)-1, what)
		}
		if uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(p, "host %ss %d..%d run past the largest %s", what, m.HostID, uint64(m.HostID)+uint64(m.Size)-1, what)
		}
		out[i] = configs.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size}
	}
	// The kernel rejects overlapping ranges on either side.
	for _, side := range []struct {
		name  string
		start func(configs.IDMap) uint32
	}{
		{"container", func(m configs.IDMap) uint32 { return m.ContainerID }},
		{"host", func(m configs.IDMap) uint32 { return m.HostID }},
	} {
		order := make([]int, len(out))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return side.start(out[order[a]]) < side.start(out[order[b]]) })
		for k := 1; k < len(order); k++ {
			prev, cur := out[order[k-1]], out[order[k]]
			if uint64(side.start(prev))+uint64(prev.Size) > uint64(side.start(cur)) {
				return nil, fieldErr(idx(path, order[k]), "its %s %ss overlap those of %s", side.name, what, idx(path, order[k-1]))
			}
		}
	}
	return out, nil
}

// ipcSysctls are the System V IPC sysctls an IPC namespace owns; everything
// under fs.mqueue. is too.
var ipcSysctls = map[string]bool{
	"kernel.msgmax":          true,
	"kernel.msgmnb":          true,
	"kernel.msgmni":          true,
	"kernel.sem":             true,
	"kernel.shmall":          true,
	"kernel.shmmax":          true,
	"kernel.shmmni":          true,
	"kernel.shm_rmid_forced": true,
}

// convertSysctl admits only sysctls that belong to a namespace the container
// has, so that none of them changes the host. Keys are returned in dotted
// form ("net.ipv4.conf.eth0/100.rp_filter"): dots separate the components of
// the /proc/sys path and a '/' stands for a dot within a component, as in
// sysctl(8).
//
// A network or user namespace joined by path is accepted for net.* or user.*:
// whether that path is the host's own namespace can only be checked on the
// host, so the runtime must do it.
func convertSysctl(sysctl map[string]string, c *configs.Config) (map[string]string, error) {
	if len(sysctl) == 0 {
		return nil, nil
	}
	_, hasIPC := c.Namespace(configs.NEWIPC)
	_, hasNet := c.Namespace(configs.NEWNET)
	_, hasUTS := c.Namespace(configs.NEWUTS)
	_, hasUser := c.Namespace(configs.NEWUSER)
	out := make(map[string]string, len(sysctl))
	from := map[string]string{}
	for _, k := range sortedKeys(sysctl) {
		p := key("linux.sysctl", k)
		v := sysctl[k]
		name, err := normalizeSysctl(k)
		if err != nil {
			return nil, &Error{Path: p, Err: err}
		}
		if err := noNUL(p, v); err != nil {
			return nil, err
		}
		if orig, dup := from[name]; dup {
			return nil, fieldErr(p, "names the same sysctl as %s", key("linux.sysctl", orig))
		}
		from[name] = k
		switch {
		case ipcSysctls[name] || strings.HasPrefix(name, "fs.mqueue."):
			if !hasIPC {
				return nil, fieldErr(p, "sysctl %q is not allowed in the host's IPC namespace (add an ipc namespace to linux.namespaces)", name)
			}
		case strings.HasPrefix(name, "net."):
			if !hasNet {
				return nil, fieldErr(p, "sysctl %q not allowed in host network namespace (add a network namespace to linux.namespaces)", name)
			}
		case strings.HasPrefix(name, "user."):
			// The limits under /proc/sys/user belong to the user namespace
			// of the writer: the container's own, if it has one.
			if !hasUser {
				return nil, fieldErr(p, "sysctl %q is not allowed in the host's user namespace (add a user namespace to linux.namespaces)", name)
			}
		case name == "kernel.domainname":
			if !hasUTS {
				return nil, fieldErr(p, "sysctl %q is not allowed in the host's UTS namespace", name)
			}
		case name == "kernel.hostname":
			return nil, fieldErr(p, "sysctl %q conflicts with the hostname field; set hostname instead", name)
		default:
			return nil, fieldErr(p, "sysctl %q is not in a separate kernel namespace", name)
		}
		out[name] = v
	}
	return out, nil
}

// normalizeSysctl turns a sysctl key written with '/' separators
// ("net/ipv4/ip_forward") into the dotted form and checks that no component
// could climb out of /proc/sys.
func normalizeSysctl(k string) (string, error) {
	if k == "" {
		return "", errors.New("empty sysctl name")
	}
	if strings.IndexByte(k, 0) >= 0 {
		return "", fmt.Errorf("sysctl name %q contains a NUL byte", k)
	}
	name := k
	// sysctl(8): if the first separator is '/', the roles of '/' and '.'
	// are swapped.
	if i := strings.IndexAny(k, "./"); i >= 0 && k[i] == '/' {
		name = strings.Map(func(r rune) rune {
			switch r {
			case '.':
				return '/'
			case '/':
				return '.'
			}
			return r
		}, k)
	}
	for _, comp := range strings.Split(name, ".") {
		// In a component, '/' stands for '.', so "/" and "//" would be
		// the path elements "." and "..".
		file := strings.ReplaceAll(comp, "/", ".")
		if file == "" || file == "." || file == ".." {
			return "", fmt.Errorf("sysctl name %q has an empty, \".\" or \"..\" component", k)
		}
	}
	return name, nil
}

// ifNameMax is the longest network interface name (IFNAMSIZ less the NUL).
const ifNameMax = 15

// convertNetDevices checks linux.netDevices. The devices move into the
// container's network namespace, which must be a new one: one joined by
// path belongs to someone else, who can move devices into it themselves.
func convertNetDevices(devs map[string]specs.LinuxNetDevice, c *configs.Config) ([]configs.NetDevice, error) {
	if len(devs) == 0 {
		return nil, nil
	}
	if ns, ok := c.Namespace(configs.NEWNET); !ok || ns.Path != "" {
		return nil, fieldErr("linux.netDevices", "moving devices needs a new network namespace in linux.namespaces (one without a path)")
	}
	out := make([]configs.NetDevice, 0, len(devs))
	from := map[string]string{}
	for _, host := range sortedKeys(devs) {
		p := key("linux.netDevices", host)
		if err := checkIfName(p, host, false); err != nil {
			return nil, err
		}
		name := devs[host].Name
		if name == "" {
			name = host
		}
		if err := checkIfName(p+".name", name, true); err != nil {
			return nil, err
		}
		if other, dup := from[name]; dup && !strings.Contains(name, "%d") {
			return nil, fieldErr(p+".name", "%q is also the name of %s in the container", name, key("linux.netDevices", other))
		}
		from[name] = host
		out = append(out, configs.NetDevice{HostName: host, Name: name})
	}
	return out, nil
}

// checkIfName applies the kernel's rules for interface names (dev_valid_name):
// at most 15 bytes, no '/', ':' or white space, not "." or "..". A name in
// the container may be a template with one "%d".
func checkIfName(field, name string, template bool) error {
	switch {
	case name == "":
		return fieldErr(field, "empty network device name")
	case len(name) > ifNameMax:
		return fieldErr(field, "network device name %q is longer than %d bytes", name, ifNameMax)
	case name == "." || name == "..":
		return fieldErr(field, "%q is not a network device name", name)
	case strings.ContainsAny(name, "/: \t\n\v\f\r\x00"):
		return fieldErr(field, "network device name %q contains '/', ':', a NUL or white space", name)
	}
	if n := strings.Count(name, "%"); n > 0 && (!template || n > 1 || !strings.Contains(name, "%d")) {
		return fieldErr(field, "network device name %q: only a name in the container may hold a '%%', as one \"%%d\" template", name)
	}
	return nil
}
