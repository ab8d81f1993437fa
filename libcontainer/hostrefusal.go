package libcontainer

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/specconv"
)

// CheckHost refuses, before anything is created, what the config asks for
// that this host would refuse half-way through create: a sysctl that would
// change the host, an rlimit the init cannot raise. create and "check
// --bundle" both use it.
func CheckHost(cfg *configs.Config) error {
	if err := refuseHostSysctls(cfg); err != nil {
		return err
	}
	if cfg.Process != nil {
		return refuseRlimits(cfg.Process.Rlimits)
	}
	return nil
}

// refuseRlimits refuses an rlimit whose hard limit is above the runtime's
// own when the runtime lacks CAP_SYS_RESOURCE: the init inherits both, and
// setrlimit would fail with a bare EPERM.
func refuseRlimits(rlimits []configs.Rlimit) error {
	canRaise := -1 // unknown until needed
	for i, r := range rlimits {
		var cur unix.Rlimit
		if err := unix.Getrlimit(r.Type, &cur); err != nil {
			return fmt.Errorf("process.rlimits[%d]: get %s: %w", i, specconv.RlimitName(r.Type), err)
		}
		if r.Hard <= cur.Max {
			continue
		}
		if canRaise < 0 {
			canRaise = 0
			if hasEffectiveCap(unix.CAP_SYS_RESOURCE) {
				canRaise = 1
			}
		}
		if canRaise == 0 {
			return fmt.Errorf("process.rlimits[%d]: %s hard limit %d is above the runtime's own hard limit %s and the runtime lacks CAP_SYS_RESOURCE to raise it; lower it in config.json to at most that, or start the runtime with a higher hard limit",
				i, specconv.RlimitName(r.Type), r.Hard, rlimitString(cur.Max))
		}
	}
	return nil
}

func rlimitString(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// hasEffectiveCap reports whether the calling thread has capability c in
// its effective set.
func hasEffectiveCap(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<uint(c%32)) != 0
}
