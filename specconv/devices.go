package specconv

import (
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// defaultDevices are the nodes the runtime-spec says every container gets
// (/dev/console and /dev/ptmx are set up with the terminal and devpts).
var defaultDevices = []configs.Device{
	{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
	{Path: "/dev/zero", Type: 'c', Major: 1, Minor: 5, FileMode: 0o666},
	{Path: "/dev/full", Type: 'c', Major: 1, Minor: 7, FileMode: 0o666},
	{Path: "/dev/random", Type: 'c', Major: 1, Minor: 8, FileMode: 0o666},
	{Path: "/dev/urandom", Type: 'c', Major: 1, Minor: 9, FileMode: 0o666},
	{Path: "/dev/tty", Type: 'c', Major: 5, Minor: 0, FileMode: 0o666},
}

// Largest major and minor numbers a dev_t holds (MINORBITS is 20, and
// userspace majors are 12 bits).
const (
	maxMajor = 1<<12 - 1
	maxMinor = 1<<20 - 1
)

// convertDevices returns linux.devices followed by the default devices the
// config does not list itself. When /dev is a bind mount, the container
// brings its own /dev and gets no defaults.
func convertDevices(devs []specs.LinuxDevice, mounts []*configs.Mount) ([]*configs.Device, error) {
	var out []*configs.Device
	seen := map[string]int{}
	for i, d := range devs {
		p := idx("linux.devices", i)
		if d.Path == "" {
			return nil, fieldErr(p+".path", "required")
		}
		if !filepath.IsAbs(d.Path) {
			return nil, fieldErr(p+".path", "%q is not absolute", d.Path)
		}
		if err := noNUL(p+".path", d.Path); err != nil {
			return nil, err
		}
		dpath := filepath.Clean(d.Path)
		if dpath == "/" {
			return nil, fieldErr(p+".path", "%q is the container's root", d.Path)
		}
		if first, dup := seen[dpath]; dup {
			return nil, fieldErr(p+".path", "duplicate device %q (also at %s)", dpath, idx("linux.devices", first))
		}
		seen[dpath] = i

		dev := &configs.Device{Path: dpath, Major: d.Major, Minor: d.Minor, FileMode: 0o666}
		switch d.Type {
		case "c", "u":
			dev.Type = 'c'
		case "b":
			dev.Type = 'b'
		case "p":
			dev.Type = 'p'
		case "":
			return nil, fieldErr(p+".type", "required (c, b, u or p)")
		default:
			return nil, fieldErr(p+".type", "unknown device type %q (c, b, u or p)", d.Type)
		}
		if dev.Type == 'p' {
			// major and minor are only required for other types; a FIFO
			// has none, so any given are meaningless and dropped.
			dev.Major, dev.Minor = 0, 0
		} else {
			// Both zero is what an absent pair decodes to; 0:0 is no
			// device.
			if d.Major == 0 && d.Minor == 0 {
				return nil, fieldErr(p, "major and minor are required for type %q", d.Type)
			}
			if d.Major < 0 || d.Major > maxMajor {
				return nil, fieldErr(p+".major", "%d is outside 0..%d", d.Major, maxMajor)
			}
			if d.Minor < 0 || d.Minor > maxMinor {
				return nil, fieldErr(p+".minor", "%d is outside 0..%d", d.Minor, maxMinor)
			}
		}
		if d.FileMode != nil {
			// Some tools write the whole st_mode (0o20666); the type
			// comes from the type field, so the type bits are dropped.
			perm := uint32(*d.FileMode) &^ sFmt
			if perm&^0o777 != 0 {
				return nil, fieldErr(p+".fileMode", "%#o has bits beyond the permission bits 0777", uint32(*d.FileMode))
			}
			dev.FileMode = os.FileMode(perm)
		}
		if d.UID != nil {
			dev.UID = *d.UID
		}
		if d.GID != nil {
			dev.GID = *d.GID
		}
		out = append(out, dev)
	}

	for _, m := range mounts {
		if m.Destination == "/dev" && m.IsBind() {
			return out, nil
		}
	}
	for _, d := range defaultDevices {
		if _, listed := seen[d.Path]; listed {
			continue
		}
		dd := d
		out = append(out, &dd)
	}
	return out, nil
}
