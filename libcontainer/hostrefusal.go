package libcontainer

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/userns"
	"github.com/ocirun/ocirun/specconv"
)

// CheckHost refuses, before anything is created, what the config asks for
// that this host would refuse half-way through create: a sysctl that would
// change the host, an rlimit the init cannot raise. create stops at the first; "check --bundle" lists them all
// (HostRefusals).
func CheckHost(cfg *configs.Config) error {
	if errs := HostRefusals(cfg); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// HostRefusals is every refusal of CheckHost, in the order of the config's
// fields.
func HostRefusals(cfg *configs.Config) []error {
	errs := refuseHostSysctls(cfg)
	if cfg.Process != nil {
		errs = append(errs, refuseRlimits(cfg.Process.Rlimits)...)
	}
	return errs
}

// refuseHostSysctls refuses a sysctl whose namespace the container joins by
// path when that path is the runtime's own namespace: the write would change
// the host. specconv cannot see this; it needs the kernel.
func refuseHostSysctls(cfg *configs.Config) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Sysctl)) {
		t := configs.SysctlNamespace(name)
		ns, ok := cfg.Namespace(t)
		if !ok || ns.Path == "" {
			continue
		}
		joined, err := os.Stat(ns.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("linux.sysctl %s: %s namespace %s: %w", name, t, ns.Path, err))
			continue
		}
		own, err := os.Stat("/proc/self/ns/" + procNsName[t])
		if err != nil {
			errs = append(errs, fmt.Errorf("linux.sysctl %s: %w", name, err))
			continue
		}
		if os.SameFile(joined, own) {
			errs = append(errs, fmt.Errorf("linux.sysctl %s: not allowed: the %s namespace joined by path (%s) is the runtime's own", name, t, ns.Path))
		}
	}
	return errs
}

// hostCapability reports whether the runtime holds capability c over the
// host: in its effective set, and not merely as root of a user namespace,
// where the kernel checks rlimits against the initial namespace anyway.
func hostCapability(c int) bool {
	return hasEffectiveCap(c) && !userns.RunningInUserNS()
}

// refuseRlimits refuses an rlimit whose hard limit is above the runtime's
// own when the runtime lacks CAP_SYS_RESOURCE: the init inherits both, and
// setrlimit would fail with a bare EPERM.
func refuseRlimits(rlimits []configs.Rlimit) []error {
	var errs []error
	canRaise := -1 // unknown until needed
	for i, r := range rlimits {
		var cur unix.Rlimit
		if err := unix.Getrlimit(r.Type, &cur); err != nil {
			errs = append(errs, fmt.Errorf("process.rlimits[%d]: get %s: %w", i, specconv.RlimitName(r.Type), err))
			continue
		}
		if r.Hard <= cur.Max {
			continue
		}
		if canRaise < 0 {
			canRaise = 0
			if hostCapability(unix.CAP_SYS_RESOURCE) {
				canRaise = 1
			}
		}
		if canRaise == 0 {
			errs = append(errs, fmt.Errorf("process.rlimits[%d]: %s hard limit %d is above the runtime's own hard limit %s and the runtime lacks CAP_SYS_RESOURCE to raise it; lower it in config.json to at most that, or start the runtime with a higher hard limit",
				i, specconv.RlimitName(r.Type), r.Hard, rlimitString(cur.Max)))
		}
	}
	return errs
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
