package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1Devices resets the cgroup to "deny everything" and replays the rules
// in order. The kernel needs the cgroup to have no children for the reset.
func setV1Devices(w writeFunc, dir string, devs []specs.LinuxDeviceCgroup) error {
	rules, err := deviceRules(devs)
	if err != nil {
		return err
	}
	for i, r := range rules {
		// v1 only knows "a" as a whole: it switches the default and
		// drops every exception, whatever follows the "a".
		if r.typ == 'a' && !r.all() {
			return fmt.Errorf("linux.resources.devices[%d]: cgroup v1 cannot express type \"a\" limited to some numbers or access (%q)", i, r.v1String())
		}
	}
	if err := w(dir, "devices.deny", "a"); err != nil {
		return err
	}
	for _, r := range rules {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		if err := w(dir, file, r.v1String()); err != nil {
			return err
		}
	}
	return nil
}
