package libcontainer

import (
	"fmt"
	"path/filepath"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/specconv"
)

// BundleOptions are the host facts and choices that translating a bundle's
// config.json depends on.
type BundleOptions struct {
	Systemd bool         // cgroupsPath is for the systemd driver
	Warn    func(string) // receives what specconv degrades (may be nil)
}

// LoadBundle reads <bundle>/config.json and translates it for this host:
// the path of the bundle, made absolute, and the config. create and
// "check --bundle" both come through here, so they refuse and degrade the
// same fields.
func LoadBundle(bundle string, o BundleOptions) (string, *configs.Config, error) {
	if bundle == "" {
		bundle = "."
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return "", nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	spec, err := specconv.LoadSpec(filepath.Join(abs, "config.json"))
	if err != nil {
		return "", nil, err
	}
	lastCap, grantable, err := HostCapabilities()
	if err != nil {
		return "", nil, err
	}
	cfg, err := specconv.ToConfig(spec, specconv.Options{
		Bundle:         abs,
		CgroupsSystemd: o.Systemd,
		LastCap:        lastCap,
		Grantable:      grantable,
		Warn:           o.Warn,
	})
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", filepath.Join(abs, "config.json"), err)
	}
	return abs, cfg, nil
}

// HostCapabilities returns the kernel's last capability and which
// capabilities this runtime can grant: those in its own bounding set, which
// the container's init inherits and can only shrink. specconv drops the rest
// with a warning instead of letting capset fail with EPERM in the init.
func HostCapabilities() (int, func(int) bool, error) {
	lastCap, err := capabilities.LastCap()
	if err != nil {
		return 0, nil, err
	}
	bounding, err := capabilities.Bounding()
	if err != nil {
		return 0, nil, err
	}
	return lastCap, func(n int) bool { return n >= 0 && n < 64 && bounding&(1<<uint(n)) != 0 }, nil
}
