package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// defaultAllowedDevices are device cgroup rules every container gets after
// its own linux.resources.devices, as runc and crun add them: the devices
// every program expects, ptys, and mknod of anything (creating a node is
// harmless when opening it is denied).
var defaultAllowedDevices = []specs.LinuxDeviceCgroup{
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	devRule("c", 1, 3),    // /dev/null
	devRule("c", 1, 5),    // /dev/zero
	devRule("c", 1, 7),    // /dev/full
	devRule("c", 1, 8),    // /dev/random
	devRule("c", 1, 9),    // /dev/urandom
	devRule("c", 5, 0),    // /dev/tty
	devRule("c", 5, 1),    // /dev/console
	devRule("c", 5, 2),    // /dev/ptmx
	devRule("c", 136, -1), // /dev/pts/*
	devRule("c", 10, 200), // /dev/net/tun
}

func devRule(typ string, major, minor int64) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: "rwm"}
	r.Major = &major
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// withDefaultDeviceRules makes the device cgroup start from "deny all" and
// appends the default allow-list and a rule for each linux.devices entry,
// so a container reaches only the devices its config names, however its
// own rules begin. The returned resources are never nil.
func withDefaultDeviceRules(r *specs.LinuxResources, devices []*configs.Device) *specs.LinuxResources {
	if r == nil {
		r = &specs.LinuxResources{}
	}
	rules := []specs.LinuxDeviceCgroup{{Allow: false, Type: "a", Access: "rwm"}}
	rules = append(rules, r.Devices...)
	rules = append(rules, defaultAllowedDevices...)
	for _, d := range devices {
		if d.Type == 'p' {
			continue // FIFOs are not devices to the cgroup
		}
		rules = append(rules, devRule(string(d.Type), d.Major, d.Minor))
	}
	r.Devices = rules
	return r
}
