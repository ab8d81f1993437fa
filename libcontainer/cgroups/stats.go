package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// Stats is what `runc events --stats` prints as "data" (containerd's
// go-runc decodes it), so the JSON names follow runc's. The lead adds
// "intel_rdt" and "network_interfaces" if it reports them.
type Stats struct {
	CPU     CPUStats               `json:"cpu"`
	CPUSet  CPUSetStats            `json:"cpuset"`
	Memory  MemoryStats            `json:"memory"`
	Pids    PidsStats              `json:"pids"`
	Blkio   BlkioStats             `json:"blkio"`
	Hugetlb map[string]HugetlbStat `json:"hugetlb"`
}

// CPUStats: times in nanoseconds.
type CPUStats struct {
	Usage      CPUUsage   `json:"usage,omitempty"`
	Throttling Throttling `json:"throttling,omitempty"`
	PSI        *PSIStats  `json:"psi,omitempty"`
}

type CPUUsage struct {
	Total uint64 `json:"total,omitempty"`
	// Percpu and its split are v1 only (cpuacct).
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

// CPUSetStats is filled on v1 only.
type CPUSetStats struct {
	CPUs                  []uint16 `json:"cpus,omitempty"`
	CPUExclusive          uint64   `json:"cpu_exclusive"`
	Mems                  []uint16 `json:"mems,omitempty"`
	MemHardwall           uint64   `json:"mem_hardwall"`
	MemExclusive          uint64   `json:"mem_exclusive"`
	MemoryMigrate         uint64   `json:"memory_migrate"`
	MemorySpreadPage      uint64   `json:"memory_spread_page"`
	MemorySpreadSlab      uint64   `json:"memory_spread_slab"`
	MemoryPressure        uint64   `json:"memory_pressure"`
	SchedLoadBalance      uint64   `json:"sched_load_balance"`
	SchedRelaxDomainLevel int64    `json:"sched_relax_domain_level"`
}

// MemoryEntry is one counter family. Limit is MaxUint64 when unlimited.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type MemoryStats struct {
	Cache uint64      `json:"cache,omitempty"`
	Usage MemoryEntry `json:"usage,omitempty"`
	// Swap is memory+swap, as v1 counts it; on v2 it is computed the same
	// way from memory.* and memory.swap.*.
	Swap      MemoryEntry `json:"swap,omitempty"`
	Kernel    MemoryEntry `json:"kernel,omitempty"`
	KernelTCP MemoryEntry `json:"kernelTCP,omitempty"`
	// Raw is memory.stat as is.
	Raw map[string]uint64 `json:"raw,omitempty"`
	PSI *PSIStats         `json:"psi,omitempty"`
}

type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	// Limit is 0 when unlimited.
	Limit uint64 `json:"limit,omitempty"`
}

type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type BlkioStats struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
	IoQueuedRecursive       []BlkioEntry `json:"ioQueueRecursive,omitempty"`
	IoServiceTimeRecursive  []BlkioEntry `json:"ioServiceTimeRecursive,omitempty"`
	IoWaitTimeRecursive     []BlkioEntry `json:"ioWaitTimeRecursive,omitempty"`
	IoMergedRecursive       []BlkioEntry `json:"ioMergedRecursive,omitempty"`
	IoTimeRecursive         []BlkioEntry `json:"ioTimeRecursive,omitempty"`
	SectorsRecursive        []BlkioEntry `json:"sectorsRecursive,omitempty"`
	PSI                     *PSIStats    `json:"psi,omitempty"`
}

type HugetlbStat struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type PSIData struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	Total  uint64  `json:"total"`
}

type PSIStats struct {
	Some PSIData `json:"some,omitempty"`
	Full PSIData `json:"full,omitempty"`
}

func newStats() *Stats {
	return &Stats{
		Memory:  MemoryStats{Raw: map[string]uint64{}},
		Hugetlb: map[string]HugetlbStat{},
	}
}

// parseBlkioFile reads a v1 blkio statistics file: "maj:min Op value"
// lines, "maj:min value" for files without operations, and a final
// "Total n" that is dropped.
func parseBlkioFile(s string) ([]BlkioEntry, error) {
	var out []BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || (len(f) == 2 && f[0] == "Total") {
			continue
		}
		if len(f) != 2 && len(f) != 3 {
			return nil, fmt.Errorf("line %q is not \"major:minor [op] value\"", line)
		}
		maj, min, err := parseDevice(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		e := BlkioEntry{Major: maj, Minor: min}
		vs := f[1]
		if len(f) == 3 {
			e.Op, vs = f[1], f[2]
		}
		if e.Value, err = strconv.ParseUint(vs, 10, 64); err != nil {
			return nil, fmt.Errorf("line %q: %q is not a number", line, vs)
		}
		out = append(out, e)
	}
	return out, nil
}

func parseDevice(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not major:minor", s)
	}
	maj, err1 := strconv.ParseUint(a, 10, 64)
	min, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not major:minor", s)
	}
	return maj, min, nil
}

// parseIOStat reads v2 io.stat ("maj:min rbytes=1 wbytes=2 rios=3 wios=4
// dbytes=5 dios=6") into the v1 shape runc reports: bytes and operations,
// each as Read and Write entries (discards are not reported, like runc).
func parseIOStat(s string) (BlkioStats, error) {
	var st BlkioStats
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		maj, min, err := parseDevice(f[0])
		if err != nil {
			return st, fmt.Errorf("line %q: %w", line, err)
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return st, fmt.Errorf("line %q: %q is not key=value", line, kv)
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return st, fmt.Errorf("line %q: %q is not a number", line, v)
			}
			e := BlkioEntry{Major: maj, Minor: min, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				st.IoServiceBytesRecursive = append(st.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				st.IoServiceBytesRecursive = append(st.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				st.IoServicedRecursive = append(st.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				st.IoServicedRecursive = append(st.IoServicedRecursive, e)
			}
		}
	}
	return st, nil
}

// parsePSI reads a *.pressure file:
// "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the same for "full".
func parsePSI(s string) (*PSIStats, error) {
	var st PSIStats
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var d *PSIData
		switch f[0] {
		case "some":
			d = &st.Some
		case "full":
			d = &st.Full
		default:
			return nil, fmt.Errorf("line %q: unknown pressure kind %q", line, f[0])
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("line %q: %q is not key=value", line, kv)
			}
			var err error
			switch k {
			case "avg10":
				d.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				d.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				d.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				d.Total, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("line %q: %q is not a number", line, v)
			}
		}
	}
	return &st, nil
}

// parseCPUList reads a cpuset list such as "0-3,7".
func parseCPUList(s string) ([]uint16, error) {
	var out []uint16
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%q: bad element %q", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("%q: bad range %q", s, part)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out, nil
}

// parseCpuacctUsageAll reads v1 cpuacct.usage_all:
//
//	cpu user system
//	0 100 200
//	1 300 400
func parseCpuacctUsageAll(s string) (user, sys []uint64, err error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "cpu") {
		return nil, nil, fmt.Errorf("missing header in %q", s)
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("line %q is not \"cpu user system\"", line)
		}
		u, err1 := strconv.ParseUint(f[1], 10, 64)
		k, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("line %q: not numbers", line)
		}
		user = append(user, u)
		sys = append(sys, k)
	}
	return user, sys, nil
}

// parseUintList reads space-separated numbers (cpuacct.usage_percpu).
func parseUintList(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}
