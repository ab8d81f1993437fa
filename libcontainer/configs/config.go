// Package configs holds the runtime's internal description of a container:
// plain data, produced from an OCI bundle by package specconv and consumed by
// the runtime (libcontainer) and the container init. Nothing here touches the
// kernel, so every translation into these types can be tested without root.
//
// Names from the OCI spec are resolved here into kernel numbers (capability
// numbers, rlimit resources, mount flags) so the init, which runs inside the
// container with a minimal view of the world, only has to apply them.
package configs

import "strings"

// NamespaceType names a Linux namespace the way runtime-spec does.
type NamespaceType string

const (
	NEWNS     NamespaceType = "mount"
	NEWUTS    NamespaceType = "uts"
	NEWIPC    NamespaceType = "ipc"
	NEWNET    NamespaceType = "network"
	NEWPID    NamespaceType = "pid"
	NEWUSER   NamespaceType = "user"
	NEWCGROUP NamespaceType = "cgroup"
	NEWTIME   NamespaceType = "time"
)

// Namespace is a namespace the container gets: a new one when Path is empty,
// otherwise the existing one at Path is joined.
type Namespace struct {
	Type NamespaceType `json:"type"`
	Path string        `json:"path,omitempty"`
}

// IDMap is one range of a user namespace's uid_map or gid_map.
type IDMap struct {
	ContainerID uint32 `json:"container_id"`
	HostID      uint32 `json:"host_id"`
	Size        uint32 `json:"size"`
}

// TimeOffset is a clock offset of a new time namespace.
type TimeOffset struct {
	Secs     int64  `json:"secs"`
	Nanosecs uint32 `json:"nanosecs"`
}

// Config is everything the runtime and the init need to build a container.
// The runtime stores it with generated encoders (see package jsonfast);
// after changing it or the types it holds: go generate ./libcontainer/configs
//
//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename config_easyjson.go config.go
//go:generate go run github.com/ocirun/ocirun/libcontainer/jsonfast/easyjsontrim -encoders config_easyjson.go
//easyjson:json
type Config struct {
	// Rootfs is the absolute host path of the container's root filesystem.
	Rootfs   string `json:"rootfs"`
	Readonly bool   `json:"readonly"`
	// RootPropagation is the propagation (MS_SHARED, MS_SLAVE, MS_PRIVATE,
	// MS_UNBINDABLE, optionally with MS_REC) applied to the container's "/";
	// zero means the default, a recursive slave.
	RootPropagation uint64 `json:"root_propagation,omitempty"`

	Mounts  []*Mount  `json:"mounts,omitempty"`
	Devices []*Device `json:"devices,omitempty"`

	MaskPaths     []string `json:"mask_paths,omitempty"`
	ReadonlyPaths []string `json:"readonly_paths,omitempty"`

	Namespaces  []Namespace           `json:"namespaces,omitempty"`
	UIDMappings []IDMap               `json:"uid_mappings,omitempty"`
	GIDMappings []IDMap               `json:"gid_mappings,omitempty"`
	TimeOffsets map[string]TimeOffset `json:"time_offsets,omitempty"`

	Hostname   string            `json:"hostname,omitempty"`
	Domainname string            `json:"domainname,omitempty"`
	Sysctl     map[string]string `json:"sysctl,omitempty"`
	// NetDevices are the host network devices moved into the container's
	// new network namespace, in the order of their host names.
	NetDevices []NetDevice `json:"net_devices,omitempty"`
	// MemoryPolicy is the NUMA memory policy of every container process.
	MemoryPolicy *MemoryPolicy `json:"memory_policy,omitempty"`

	Cgroups *Cgroup `json:"cgroups,omitempty"`

	// OomScoreAdj is process.oomScoreAdj; nil leaves the inherited value.
	OomScoreAdj *int `json:"oom_score_adj,omitempty"`

	Seccomp *Seccomp `json:"seccomp,omitempty"`
	Hooks   *Hooks   `json:"hooks,omitempty"`

	MountLabel string `json:"mount_label,omitempty"`

	Personality *Personality `json:"personality,omitempty"`

	// Labels are the bundle's annotations, reported by state.
	Labels map[string]string `json:"labels,omitempty"`

	// Process is the container's user process (process in config.json).
	Process *Process `json:"process"`
}

// Namespace returns the config's namespace of type t, if it has one.
func (c *Config) Namespace(t NamespaceType) (Namespace, bool) {
	for _, ns := range c.Namespaces {
		if ns.Type == t {
			return ns, true
		}
	}
	return Namespace{}, false
}

// Process is a process to run in the container: the init's user process or
// one started by exec. It has generated code of its own so that
// initproto's, for InitConfig.Process, calls it.
//
//easyjson:json
type Process struct {
	Args     []string `json:"args"`
	Env      []string `json:"env,omitempty"`
	Cwd      string   `json:"cwd"`
	User     User     `json:"user"`
	Terminal bool     `json:"terminal,omitempty"`
	// ConsoleHeight and ConsoleWidth are process.consoleSize; zero leaves the
	// pty's default size.
	ConsoleHeight uint16 `json:"console_height,omitempty"`
	ConsoleWidth  uint16 `json:"console_width,omitempty"`

	// Capabilities is nil when process.capabilities is absent (the process
	// keeps no capabilities beyond what its uid gives it after exec).
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	Rlimits      []Rlimit      `json:"rlimits,omitempty"`

	NoNewPrivileges bool   `json:"no_new_privileges,omitempty"`
	ApparmorProfile string `json:"apparmor_profile,omitempty"`
	SelinuxLabel    string `json:"selinux_label,omitempty"`

	Scheduler  *Scheduler  `json:"scheduler,omitempty"`
	IOPriority *IOPriority `json:"io_priority,omitempty"`
	// ExecCPUAffinity is process.execCPUAffinity; only exec applies it.
	ExecCPUAffinity *CPUAffinity `json:"exec_cpu_affinity,omitempty"`
}

// CPUAffinity holds CPU masks, bit n of word n/64 for CPU n; nil is unset.
type CPUAffinity struct {
	// Initial is the affinity before the process joins the container's
	// cgroup; without it, every process starts with all CPUs allowed.
	Initial []uint64 `json:"initial,omitempty"`
	// Final is set after it has joined.
	Final []uint64 `json:"final,omitempty"`
}

// MemoryPolicy is linux.memoryPolicy resolved for set_mempolicy(2).
type MemoryPolicy struct {
	Mode  int `json:"mode"`  // MPOL_*
	Flags int `json:"flags"` // MPOL_F_*, or'ed into the mode
	// Nodes is the node mask, bit n of word n/64 for node n; nil for none.
	Nodes []uint64 `json:"nodes,omitempty"`
}

// User is the identity the process runs as.
type User struct {
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGids []uint32 `json:"additional_gids,omitempty"`
	// Umask is nil when the spec leaves it unset (the runtime then uses 0022).
	Umask *uint32 `json:"umask,omitempty"`
}

// Capabilities holds capability numbers (CAP_*), already checked against the
// running kernel.
type Capabilities struct {
	Bounding    []int `json:"bounding,omitempty"`
	Effective   []int `json:"effective,omitempty"`
	Permitted   []int `json:"permitted,omitempty"`
	Inheritable []int `json:"inheritable,omitempty"`
	Ambient     []int `json:"ambient,omitempty"`
}

// Rlimit is one process.rlimits entry with its resource number (RLIMIT_*).
type Rlimit struct {
	Type int    `json:"type"`
	Hard uint64 `json:"hard"`
	Soft uint64 `json:"soft"`
}

// Scheduler is process.scheduler with the policy resolved to SCHED_*.
type Scheduler struct {
	Policy   int    `json:"policy"`
	Nice     int32  `json:"nice,omitempty"`
	Priority int32  `json:"priority,omitempty"`
	Flags    uint64 `json:"flags,omitempty"`
	Runtime  uint64 `json:"runtime,omitempty"`
	Deadline uint64 `json:"deadline,omitempty"`
	Period   uint64 `json:"period,omitempty"`
}

// IOPriority is process.ioPriority with the class resolved to IOPRIO_CLASS_*.
type IOPriority struct {
	Class    int `json:"class"`
	Priority int `json:"priority"`
}

// Personality is linux.personality with the domain resolved to PER_*.
type Personality struct {
	Domain uint64 `json:"domain"`
}

// SysctlNamespace is the namespace that owns a sysctl. specconv admits only
// these kinds: net.*, user.* (the per-user-namespace limits), the System V
// IPC and mqueue ones, kernel.hostname and kernel.domainname.
func SysctlNamespace(name string) NamespaceType {
	switch {
	case strings.HasPrefix(name, "net."):
		return NEWNET
	case strings.HasPrefix(name, "user."):
		return NEWUSER
	case name == "kernel.domainname" || name == "kernel.hostname":
		return NEWUTS
	}
	return NEWIPC
}

// NetDevice is one entry of linux.netDevices.
type NetDevice struct {
	// HostName is the device's name in the runtime's network namespace.
	HostName string `json:"host_name"`
	// Name is its name in the container: HostName when not given, or a
	// template with "%d" for the kernel to fill in.
	Name string `json:"name"`
}
