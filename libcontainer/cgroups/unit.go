package cgroups

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The systemd cgroup driver asks systemd for a transient scope unit and
// lets it create the container's cgroup. This file is the pure half of it:
// where the unit goes and which unit properties express linux.resources.
// Package cgroups/systemd talks to systemd; the resources systemd has no
// property for are written to the unit's cgroup by the managers here.

// Unit names the container's transient scope and the slice it goes in.
type Unit struct {
	// Slice is the unit name of the slice, e.g. "machine.slice".
	Slice string
	// Name is the scope's unit name, "<prefix>-<name>.scope".
	Name string
}

// DefaultSlice and DefaultScopePrefix fill the parts of a "slice:prefix:name"
// cgroupsPath that are empty; an empty cgroupsPath is
// "system.slice:ocirun:<container id>" (runc uses its own name as the
// prefix in the same way).
const (
	DefaultSlice       = "system.slice"
	DefaultScopePrefix = "ocirun"
)

// ParseUnit reads linux.cgroupsPath as the systemd driver takes it.
func ParseUnit(cgroupsPath, containerID string) (Unit, error) {
	slice, prefix, name := "", DefaultScopePrefix, containerID
	if cgroupsPath != "" {
		parts := strings.Split(cgroupsPath, ":")
		if len(parts) != 3 {
			return Unit{}, fmt.Errorf("linux.cgroupsPath %q: the systemd cgroup driver expects \"slice:prefix:name\"", cgroupsPath)
		}
		slice, prefix, name = parts[0], parts[1], parts[2]
	}
	if slice == "" {
		slice = DefaultSlice
	}
	if _, err := ExpandSlice(slice); err != nil {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	if name == "" || strings.ContainsAny(name, "/") {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: the name part must be non-empty and must not contain '/'", cgroupsPath)
	}
	if strings.HasSuffix(name, ".slice") {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: a container in a slice unit of its own is not supported; name a scope", cgroupsPath)
	}
	// As with runc, an empty prefix still gets its dash: "-name.scope".
	u := Unit{Slice: slice, Name: prefix + "-" + name + ".scope"}
	if !validUnitName(u.Name) {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: %q is not a valid systemd unit name (letters, digits and \":-_.\\\" only)", cgroupsPath, u.Name)
	}
	return u, nil
}

// validUnitName applies systemd's character set for unit names.
func validUnitName(n string) bool {
	if len(n) > 255 {
		return false
	}
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune(":-_.\\", c):
		default:
			return false
		}
	}
	return true
}

// CgroupPath is the unit's cgroup, relative to the root of a hierarchy:
// systemd nests a slice "a-b.slice" as /a.slice/a-b.slice.
func (u Unit) CgroupPath() string {
	p, _ := ExpandSlice(u.Slice) // ParseUnit checked it
	if p == "/" {
		return "/" + u.Name
	}
	return p + "/" + u.Name
}

// ExpandSlice turns a slice unit name into its cgroup path: each dash
// starts a child slice of the part before it, "-.slice" is the root.
func ExpandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("%q is not a systemd slice name (like machine.slice)", slice)
	}
	if base == "-" {
		return "/", nil
	}
	if !validUnitName(slice) {
		return "", fmt.Errorf("slice %q has characters systemd does not allow in unit names", slice)
	}
	var b strings.Builder
	prefix := ""
	for _, part := range strings.Split(base, "-") {
		if part == "" {
			return "", fmt.Errorf("slice %q has an empty component (a leading, trailing or double '-')", slice)
		}
		b.WriteString("/" + prefix + part + ".slice")
		prefix += part + "-"
	}
	return b.String(), nil
}

// UnitProperty is one property of a systemd unit, with the Go value whose
// D-Bus encoding systemd expects (uint64 "t", bool "b", string "s", []byte
// "ay", []DeviceAllow "a(ss)").
type UnitProperty struct {
	Name  string
	Value any
}

// DeviceAllow is one entry of systemd's DeviceAllow= property.
type DeviceAllow struct {
	Path   string
	Access string
}

// infinity is systemd's USEC_INFINITY / CGROUP_LIMIT_MAX: "no limit".
const infinity = uint64(math.MaxUint64)

// defaultCPUPeriod is the kernel's default CFS period, in microseconds.
const defaultCPUPeriod = 100000

// UnitProperties translates the parts of r that systemd has a property for
// on a host in mode. The rest (swappiness, hugetlb, rdma, io.max,
// linux.resources.unified, ...) is written to the cgroup files directly;
// what is both is written both ways, with the same values, so a reload of
// systemd's configuration does not undo the container's limits.
// charDevs and blockDevs name each major number as /proc/devices does, for
// device rules that cover every minor of a major.
func UnitProperties(r *specs.LinuxResources, mode Mode, charDevs, blockDevs map[int64]string) ([]UnitProperty, error) {
	if r == nil {
		return nil, nil
	}
	v2 := mode == Unified
	var props []UnitProperty
	add := func(name string, v any) { props = append(props, UnitProperty{name, v}) }
	limit := func(v int64) uint64 {
		if v < 0 {
			return infinity
		}
		return uint64(v)
	}
	if r.Devices != nil {
		dp, err := deviceProperties(r.Devices, charDevs, blockDevs)
		if err != nil {
			return nil, err
		}
		props = append(props, dp...)
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			if v2 {
				add("MemoryMax", limit(*m.Limit))
			} else {
				add("MemoryLimit", limit(*m.Limit))
			}
		}
		if v2 && m.Reservation != nil && *m.Reservation != 0 {
			add("MemoryLow", limit(*m.Reservation))
		}
		if v2 {
			swap, ok, err := memorySwapV2(m.Swap, m.Limit)
			if err != nil {
				return nil, err
			}
			if ok {
				if swap == "max" {
					add("MemorySwapMax", infinity)
				} else {
					n, _ := strconv.ParseUint(swap, 10, 64)
					add("MemorySwapMax", n)
				}
			}
		}
	}
	if c := r.CPU; c != nil {
		if s := deref(c.Shares); s != 0 {
			if v2 {
				add("CPUWeight", cpuSharesToWeight(s))
			} else {
				add("CPUShares", s)
			}
		}
		quota, period := deref(c.Quota), deref(c.Period)
		if period != 0 {
			add("CPUQuotaPeriodUSec", period)
		}
		if quota != 0 || period != 0 {
			add("CPUQuotaPerSecUSec", cpuQuotaPerSec(quota, period))
		}
		if v2 {
			for _, f := range []struct{ name, list string }{{"AllowedCPUs", c.Cpus}, {"AllowedMemoryNodes", c.Mems}} {
				if f.list == "" {
					continue
				}
				bits, err := listToBitmask(f.list)
				if err != nil {
					return nil, fmt.Errorf("%s from %q: %w", f.name, f.list, err)
				}
				add(f.name, bits)
			}
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		switch l := *p.Limit; {
		case l < 0:
			add("TasksMax", infinity)
		case l == 0:
			// systemd refuses TasksMax=0; the file gets 0 anyway.
			add("TasksMax", uint64(1))
		default:
			add("TasksMax", uint64(l))
		}
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		if v2 {
			w, err := blkioWeightToIOWeight(*b.Weight)
			if err != nil {
				return nil, fmt.Errorf("IOWeight from linux.resources.blockIO.weight: %w", err)
			}
			add("IOWeight", w)
		} else {
			add("BlockIOWeight", uint64(*b.Weight))
		}
	}
	return props, nil
}

// cpuQuotaPerSec is CPUQuotaPerSecUSec for a quota per period: systemd
// keeps it as a whole percentage of a CPU, so it is rounded up to the next
// 10 ms per second (the exact quota is written to the cgroup afterwards).
func cpuQuotaPerSec(quota int64, period uint64) uint64 {
	if quota <= 0 {
		return infinity
	}
	if period == 0 {
		period = defaultCPUPeriod
	}
	v := uint64(quota) * 1000000 / period
	if v%10000 != 0 {
		v = (v/10000 + 1) * 10000
	}
	return v
}

// listToBitmask turns a cpuset list ("0-3,7") into the byte array systemd
// takes for AllowedCPUs/AllowedMemoryNodes: bit n of byte n/8 is CPU n.
func listToBitmask(list string) ([]byte, error) {
	var out []byte
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CPU number", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("%q is not a CPU number", hi)
			}
			if b < a {
				return nil, fmt.Errorf("range %q goes backwards", part)
			}
		}
		for i := a; i <= b; i++ {
			for uint64(len(out)) <= i/8 {
				out = append(out, 0)
			}
			out[i/8] |= 1 << (i % 8)
		}
	}
	return out, nil
}

// deviceProperties expresses linux.resources.devices as DevicePolicy and
// DeviceAllow. The container's exact rules are also put in force by the
// cgroup files or the eBPF program (both filters must allow an access), so
// systemd's only has to allow at least what they allow: deny rules are
// left to them, and a rule systemd cannot name (every minor of a major
// that /proc/devices does not list) makes systemd's filter allow all.
func deviceProperties(devs []specs.LinuxDeviceCgroup, charDevs, blockDevs map[int64]string) ([]UnitProperty, error) {
	rules, err := deviceRules(devs)
	if err != nil {
		return nil, err
	}
	open := []UnitProperty{{"DevicePolicy", "auto"}, {"DeviceAllow", []DeviceAllow{}}}
	allow := []DeviceAllow{}
	for _, r := range rules {
		if !r.allow {
			continue
		}
		kind, names := "char", charDevs
		if r.typ == 'b' {
			kind, names = "block", blockDevs
		}
		var path string
		switch {
		case r.typ == 'a':
			return open, nil
		case r.major == -1:
			path = kind + "-*"
		case r.minor == -1:
			name, ok := names[r.major]
			if !ok {
				return open, nil
			}
			path = kind + "-" + name
		default:
			path = fmt.Sprintf("/dev/%s/%d:%d", kind, r.major, r.minor)
		}
		allow = append(allow, DeviceAllow{Path: path, Access: r.access})
	}
	return []UnitProperty{{"DevicePolicy", "strict"}, {"DeviceAllow", allow}}, nil
}

// ParseProcDevices reads /proc/devices into major -> name, for the
// character and the block devices: the names systemd's "char-NAME" and
// "block-NAME" device groups match.
func ParseProcDevices(s string) (char, block map[int64]string) {
	char, block = map[int64]string{}, map[int64]string{}
	cur := map[int64]string(nil)
	for _, line := range strings.Split(s, "\n") {
		switch strings.TrimSpace(line) {
		case "Character devices:":
			cur = char
			continue
		case "Block devices:":
			cur = block
			continue
		}
		f := strings.Fields(line)
		// "4 /dev/vc/0" is no name systemd can match; "4 tty" is.
		if cur == nil || len(f) != 2 || strings.Contains(f[1], "/") {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			if _, dup := cur[n]; !dup {
				cur[n] = f[1]
			}
		}
	}
	return char, block
}
