package configs

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Cgroup says where the container's cgroup is and what limits it carries.
type Cgroup struct {
	// Path is linux.cgroupsPath as written in the config: absolute, relative
	// to the runtime's own cgroup, empty (derived from the container id), or
	// "slice:prefix:name" with the systemd driver.
	Path string `json:"path,omitempty"`
	// Systemd is set by --systemd-cgroup.
	Systemd bool `json:"systemd,omitempty"`
	// Resources are linux.resources, validated by specconv. The spec's own
	// types are plain data and already name every knob, so they are reused.
	Resources *specs.LinuxResources `json:"resources,omitempty"`
}

// Seccomp is linux.seccomp, validated by specconv (action, operator,
// architecture and flag names are known; syscall names are checked by the
// filter compiler against the running libseccomp).
type Seccomp = specs.LinuxSeccomp

// Hooks are the lifecycle hooks of config.json.
type Hooks = specs.Hooks
