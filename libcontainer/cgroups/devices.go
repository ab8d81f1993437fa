package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// checkCommon validates what does not depend on the cgroup version, so
// that Set refuses a bad config before writing anything.
func checkCommon(r *specs.LinuxResources) error {
	if err := checkMemory(r.Memory); err != nil {
		return err
	}
	if err := checkCPU(r.CPU); err != nil {
		return err
	}
	if _, err := deviceRules(r.Devices); err != nil {
		return err
	}
	for i, l := range r.HugepageLimits {
		if !pageSizeRE().MatchString(l.Pagesize) {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize %q is not <size>KB, <size>MB or <size>GB", i, l.Pagesize)
		}
	}
	for d, l := range r.Rdma {
		if d == "" || strings.ContainsAny(d, " \t\n") {
			return fmt.Errorf("linux.resources.rdma: %q is not a device name", d)
		}
		if l.HcaHandles == nil && l.HcaObjects == nil {
			return fmt.Errorf("linux.resources.rdma[%q] sets neither hcaHandles nor hcaObjects", d)
		}
	}
	if b := r.BlockIO; b != nil {
		for i, d := range b.WeightDevice {
			if d.Weight == nil && d.LeafWeight == nil {
				return fmt.Errorf("linux.resources.blockIO.weightDevice[%d] sets neither weight nor leafWeight", i)
			}
		}
	}
	if n := r.Network; n != nil {
		for i, p := range n.Priorities {
			if p.Name == "" || strings.ContainsAny(p.Name, " \t\n/") {
				return fmt.Errorf("linux.resources.network.priorities[%d].name %q is not an interface name", i, p.Name)
			}
		}
	}
	return nil
}

// deviceRule is one linux.resources.devices entry, checked and with the
// spec's defaults filled in.
type deviceRule struct {
	allow bool
	// typ is 'a' (all), 'c' or 'b'.
	typ byte
	// major and minor are -1 for "any".
	major, minor int64
	// access is a non-empty subset of "rwm", in that order.
	access string
}

// deviceRules checks the spec's device rules. The rules apply in order on
// top of "deny everything", as with runc: a later rule overrides an
// earlier one for the devices and access it covers.
func deviceRules(devs []specs.LinuxDeviceCgroup) ([]deviceRule, error) {
	out := make([]deviceRule, 0, len(devs))
	for i, d := range devs {
		r := deviceRule{allow: d.Allow, major: -1, minor: -1}
		switch d.Type {
		case "", "a":
			r.typ = 'a'
		case "c", "b":
			r.typ = d.Type[0]
		default:
			return nil, fmt.Errorf("linux.resources.devices[%d].type %q is not a, b or c", i, d.Type)
		}
		for _, f := range []struct {
			name string
			src  *int64
			dst  *int64
		}{{"major", d.Major, &r.major}, {"minor", d.Minor, &r.minor}} {
			if f.src == nil || *f.src == -1 {
				continue
			}
			if *f.src < 0 || *f.src > 0xffffffff {
				return nil, fmt.Errorf("linux.resources.devices[%d].%s %d is not a device number", i, f.name, *f.src)
			}
			*f.dst = *f.src
		}
		acc := d.Access
		if acc == "" {
			acc = "rwm"
		}
		var b strings.Builder
		for _, c := range "rwm" {
			if strings.ContainsRune(acc, c) {
				b.WriteRune(c)
			}
		}
		if strings.Trim(acc, "rwm") != "" {
			return nil, fmt.Errorf("linux.resources.devices[%d].access %q is not made of r, w and m", i, d.Access)
		}
		r.access = b.String()
		out = append(out, r)
	}
	return out, nil
}

// all reports whether the rule covers every device with every access.
func (r deviceRule) all() bool {
	return r.typ == 'a' && r.major == -1 && r.minor == -1 && r.access == "rwm"
}

// v1String is the rule in devices.allow/devices.deny syntax.
func (r deviceRule) v1String() string {
	if r.typ == 'a' {
		return "a"
	}
	num := func(n int64) string {
		if n == -1 {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%c %s:%s %s", r.typ, num(r.major), num(r.minor), r.access)
}
