package specconv

import (
	"fmt"
	"reflect"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// convertCgroups checks linux.cgroupsPath against the cgroup driver and
// linux.resources, and returns a copy the caller may keep.
func convertCgroups(l *specs.Linux, opts Options) (*configs.Cgroup, error) {
	if err := checkCgroupsPath(l.CgroupsPath, opts.CgroupsSystemd); err != nil {
		return nil, err
	}
	c := &configs.Cgroup{Path: l.CgroupsPath, Systemd: opts.CgroupsSystemd}
	if l.Resources == nil {
		return c, nil
	}
	r, err := copyResources(l.Resources)
	if err != nil {
		return nil, err
	}
	if err := checkResources(r, "linux.resources"); err != nil {
		return nil, err
	}
	c.Resources = r
	return c, nil
}

// ValidateResources checks a resources object on its own, as update
// --resources gives it, and returns a copy with the same normalisation
// ToConfig applies. Error paths start with path (e.g. "resources").
func ValidateResources(r *specs.LinuxResources, path string) (*specs.LinuxResources, error) {
	if r == nil {
		return nil, fieldErr(path, "required")
	}
	cp, err := copyResources(r)
	if err != nil {
		return nil, err
	}
	if err := checkResources(cp, path); err != nil {
		return nil, err
	}
	return cp, nil
}

// copyResources deep-copies r, through every pointer, slice and map, so
// that no later change to the spec reaches the config. The walk is by
// reflection and so covers fields added to the spec later. (It was a JSON
// round trip, which now that config.json decodes without encoding/json
// would be the only thing to warm its reflection caches: 0.7 ms.)
func copyResources(r *specs.LinuxResources) (*specs.LinuxResources, error) {
	var out specs.LinuxResources
	if err := deepCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(r).Elem()); err != nil {
		return nil, fmt.Errorf("copy linux.resources: %w", err)
	}
	return &out, nil
}

// deepCopy sets dst, a settable value of src's type, to a copy of src that
// shares no memory with it. Strings are immutable and shared.
func deepCopy(dst, src reflect.Value) error {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.New(src.Type().Elem()))
		return deepCopy(dst.Elem(), src.Elem())
	case reflect.Struct:
		for i := range src.NumField() {
			if !src.Type().Field(i).IsExported() {
				return fmt.Errorf("%s.%s is unexported", src.Type(), src.Type().Field(i).Name)
			}
			if err := deepCopy(dst.Field(i), src.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			if err := deepCopy(dst.Index(i), src.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.MakeMapWithSize(src.Type(), src.Len()))
		for it := src.MapRange(); it.Next(); {
			elem := reflect.New(src.Type().Elem()).Elem()
			if err := deepCopy(elem, it.Value()); err != nil {
				return err
			}
			dst.SetMapIndex(it.Key(), elem)
		}
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		dst.Set(src)
	default:
		return fmt.Errorf("cannot copy a %s (%s)", src.Kind(), src.Type())
	}
	return nil
}

func checkCgroupsPath(p string, systemd bool) error {
	const field = "linux.cgroupsPath"
	if p == "" {
		return nil
	}
	if err := noNUL(field, p); err != nil {
		return err
	}
	parts := strings.Split(p, ":")
	if systemd {
		if len(parts) != 3 {
			return fieldErr(field, "%q is not of the form \"slice:prefix:name\" the systemd cgroup driver (--systemd-cgroup) expects", p)
		}
		slice, prefix, name := parts[0], parts[1], parts[2]
		if slice != "" && (!strings.HasSuffix(slice, ".slice") || strings.Contains(slice, "/")) {
			return fieldErr(field, "slice %q of %q is not a systemd slice name (like machine.slice)", slice, p)
		}
		if strings.Contains(prefix, "/") {
			return fieldErr(field, "prefix %q of %q must not contain '/'", prefix, p)
		}
		if name == "" || strings.Contains(name, "/") {
			return fieldErr(field, "name %q of %q must be non-empty and must not contain '/'", name, p)
		}
		return nil
	}
	if len(parts) == 3 && !strings.HasPrefix(p, "/") {
		return fieldErr(field, "%q is a systemd \"slice:prefix:name\" path; it needs the systemd cgroup driver (--systemd-cgroup)", p)
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return fieldErr(field, "%q must not contain \"..\"", p)
		}
	}
	return nil
}

var (
	// cpuListRE is a cpuset list as bitmap_parselist() reads it: "0-3,7",
	// "1,3-5", a stride "0-31:2/8", "N" for the last CPU.
	cpuListRE = lazyRegexp(`^[0-9N]+(-[0-9N]+(:[0-9]+/[0-9]+)?)?(,[0-9N]+(-[0-9N]+(:[0-9]+/[0-9]+)?)?)*$`)
	// hugePageSizeRE is <size><unit-prefix>B: 64KB, 2MB, 1GB.
	hugePageSizeRE = lazyRegexp(`^[1-9][0-9]*[KMGTPE]B$`)
	// unifiedKeyRE is a cgroup v2 interface file: <controller>.<knob>.
	unifiedKeyRE = lazyRegexp(`^[a-z0-9_]+\.[A-Za-z0-9_.-]+$`)
)

// checkResources validates what can be checked without the host and
// normalises the device rules. Knobs whose valid range depends on the
// cgroup version or the kernel are left to the cgroup code.
func checkResources(r *specs.LinuxResources, path string) error {
	for i := range r.Devices {
		if err := checkDeviceRule(&r.Devices[i], idx(path+".devices", i)); err != nil {
			return err
		}
	}
	if m := r.Memory; m != nil {
		p := path + ".memory"
		for _, f := range []struct {
			name string
			v    *int64
		}{{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap}, {"kernel", m.Kernel}, {"kernelTCP", m.KernelTCP}} { //nolint:staticcheck // kernel is deprecated but still valid input
			if f.v != nil && *f.v < -1 {
				return fieldErr(p+"."+f.name, "%d is neither a number of bytes nor -1 (unlimited)", *f.v)
			}
		}
		if m.Swappiness != nil && *m.Swappiness > 100 {
			return fieldErr(p+".swappiness", "%d is outside 0..100", *m.Swappiness)
		}
		if m.Limit != nil && m.Swap != nil && *m.Limit > 0 && *m.Swap > 0 && *m.Swap < *m.Limit {
			return fieldErr(p+".swap", "%d is below memory.limit %d (swap is the memory+swap limit)", *m.Swap, *m.Limit)
		}
	}
	if c := r.CPU; c != nil {
		p := path + ".cpu"
		if c.Quota != nil && *c.Quota < -1 {
			return fieldErr(p+".quota", "%d is neither a number of microseconds nor -1 (unlimited)", *c.Quota)
		}
		if c.Burst != nil && c.Quota != nil && *c.Quota > 0 && *c.Burst > uint64(*c.Quota) {
			return fieldErr(p+".burst", "%d is larger than the quota %d", *c.Burst, *c.Quota)
		}
		if c.Cpus != "" && !cpuListRE().MatchString(c.Cpus) {
			return fieldErr(p+".cpus", "%q is not a CPU list like \"0-3,7\"", c.Cpus)
		}
		if c.Mems != "" && !cpuListRE().MatchString(c.Mems) {
			return fieldErr(p+".mems", "%q is not a memory node list like \"0-1\"", c.Mems)
		}
		if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
			return fieldErr(p+".idle", "%d is neither 0 nor 1", *c.Idle)
		}
	}
	if pids := r.Pids; pids != nil && pids.Limit != nil && *pids.Limit < -1 {
		return fieldErr(path+".pids.limit", "%d is neither a number of tasks nor -1 (unlimited)", *pids.Limit)
	}
	if b := r.BlockIO; b != nil {
		p := path + ".blockIO"
		for i, wd := range b.WeightDevice {
			wp := idx(p+".weightDevice", i)
			if wd.Weight == nil && wd.LeafWeight == nil {
				return fieldErr(wp, "needs weight or leafWeight")
			}
			if err := checkMajorMinor(wp, wd.Major, wd.Minor); err != nil {
				return err
			}
		}
		for _, list := range []struct {
			name string
			devs []specs.LinuxThrottleDevice
		}{
			{"throttleReadBpsDevice", b.ThrottleReadBpsDevice},
			{"throttleWriteBpsDevice", b.ThrottleWriteBpsDevice},
			{"throttleReadIOPSDevice", b.ThrottleReadIOPSDevice},
			{"throttleWriteIOPSDevice", b.ThrottleWriteIOPSDevice},
		} {
			for i, td := range list.devs {
				if err := checkMajorMinor(idx(p+"."+list.name, i), td.Major, td.Minor); err != nil {
					return err
				}
			}
		}
	}
	seenPage := map[string]int{}
	for i, h := range r.HugepageLimits {
		p := idx(path+".hugepageLimits", i)
		if !hugePageSizeRE().MatchString(h.Pagesize) {
			return fieldErr(p+".pageSize", "%q is not a size like 2MB or 1GB", h.Pagesize)
		}
		if first, dup := seenPage[h.Pagesize]; dup {
			return fieldErr(p+".pageSize", "duplicate page size %q (also at %s)", h.Pagesize, idx(path+".hugepageLimits", first))
		}
		seenPage[h.Pagesize] = i
	}
	if n := r.Network; n != nil {
		for i, prio := range n.Priorities {
			if prio.Name == "" {
				return fieldErr(idx(path+".network.priorities", i)+".name", "required")
			}
		}
	}
	for _, dev := range sortedKeys(r.Rdma) {
		lim := r.Rdma[dev]
		if dev == "" {
			return fieldErr(path+".rdma", "device names must not be empty")
		}
		if lim.HcaHandles == nil && lim.HcaObjects == nil {
			return fieldErr(key(path+".rdma", dev), "needs hcaHandles or hcaObjects")
		}
	}
	for _, k := range sortedKeys(r.Unified) {
		if !unifiedKeyRE().MatchString(k) {
			return fieldErr(key(path+".unified", k), "%q is not a cgroup v2 file name like \"memory.high\"", k)
		}
		if err := noNUL(key(path+".unified", k), r.Unified[k]); err != nil {
			return err
		}
	}
	return nil
}

func checkMajorMinor(path string, major, minor int64) error {
	if major < 0 || major > maxMajor {
		return fieldErr(path+".major", "%d is outside 0..%d", major, maxMajor)
	}
	if minor < 0 || minor > maxMinor {
		return fieldErr(path+".minor", "%d is outside 0..%d", minor, maxMinor)
	}
	return nil
}

// checkDeviceRule validates one device cgroup rule and normalises it: an
// unset type becomes "a", and -1 (which some tools write for "any") becomes
// unset.
func checkDeviceRule(d *specs.LinuxDeviceCgroup, path string) error {
	switch d.Type {
	case "":
		d.Type = "a"
	case "a", "b", "c":
	default:
		return fieldErr(path+".type", "unknown device type %q (a, b or c)", d.Type)
	}
	for _, f := range []struct {
		name string
		v    **int64
		max  int64
	}{{"major", &d.Major, maxMajor}, {"minor", &d.Minor, maxMinor}} {
		if *f.v == nil {
			continue
		}
		switch v := **f.v; {
		case v == -1:
			*f.v = nil
		case v < 0 || v > f.max:
			return fieldErr(path+"."+f.name, "%d is outside 0..%d (leave it unset for any)", v, f.max)
		}
	}
	if d.Access == "" {
		return fieldErr(path+".access", "required: a combination of r, w and m")
	}
	for _, ch := range d.Access {
		if !strings.ContainsRune("rwm", ch) {
			return fieldErr(path+".access", "%q is not a combination of r, w and m", d.Access)
		}
	}
	return nil
}
