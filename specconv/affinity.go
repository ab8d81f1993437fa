package specconv

import (
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// maxListID bounds the CPU and memory node numbers a list may name: the
// kernel's largest NR_CPUS, and far more nodes than any machine has. The
// masks built from lists are as long as their highest bit needs.
const maxListID = 8191

// parseIDList turns a list like "0-3,7" (CPUs or memory nodes) into a bit
// mask in 64-bit words, bit n of word n/64 for number n, as the kernel's
// sched_setaffinity(2) and set_mempolicy(2) read it.
func parseIDList(field, list string) ([]uint64, error) {
	var mask []uint64
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err1 := strconv.ParseUint(lo, 10, 32)
		last, err2 := first, error(nil)
		if isRange {
			last, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || last < first {
			return nil, fieldErr(field, "%q is not a list like \"0-3,7\"", list)
		}
		if last > maxListID {
			return nil, fieldErr(field, "%q names %d, above the largest supported, %d", list, last, maxListID)
		}
		for n := first; n <= last; n++ {
			for uint64(len(mask)) <= n/64 {
				mask = append(mask, 0)
			}
			mask[n/64] |= 1 << (n % 64)
		}
	}
	return mask, nil
}

// convertExecCPUAffinity reads process.execCPUAffinity. It is kept for the
// container's init too, which never uses it (the runtime-spec: "not
// applicable to the container's init process"): exec without a process
// file starts from the config's process.
func convertExecCPUAffinity(a *specs.CPUAffinity, path string) (*configs.CPUAffinity, error) {
	if a == nil || a.Initial == "" && a.Final == "" {
		return nil, nil
	}
	out := &configs.CPUAffinity{}
	var err error
	if a.Initial != "" {
		if out.Initial, err = parseIDList(path+".initial", a.Initial); err != nil {
			return nil, err
		}
	}
	if a.Final != "" {
		if out.Final, err = parseIDList(path+".final", a.Final); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var (
	memoryPolicyModes = map[specs.MemoryPolicyModeType]int{
		specs.MpolDefault:            unix.MPOL_DEFAULT,
		specs.MpolPreferred:          unix.MPOL_PREFERRED,
		specs.MpolBind:               unix.MPOL_BIND,
		specs.MpolInterleave:         unix.MPOL_INTERLEAVE,
		specs.MpolLocal:              unix.MPOL_LOCAL,
		specs.MpolPreferredMany:      unix.MPOL_PREFERRED_MANY,
		specs.MpolWeightedInterleave: unix.MPOL_WEIGHTED_INTERLEAVE,
	}
	memoryPolicyFlags = map[specs.MemoryPolicyFlagType]int{
		specs.MpolFNumaBalancing: unix.MPOL_F_NUMA_BALANCING,
		specs.MpolFRelativeNodes: unix.MPOL_F_RELATIVE_NODES,
		specs.MpolFStaticNodes:   unix.MPOL_F_STATIC_NODES,
	}
)

// MemoryPolicyModes and MemoryPolicyFlags list what linux.memoryPolicy
// accepts, for the features command.
func MemoryPolicyModes() []string { return sortedNames(memoryPolicyModes) }

func MemoryPolicyFlags() []string { return sortedNames(memoryPolicyFlags) }

func sortedNames[K ~string](m map[K]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// convertMemoryPolicy checks linux.memoryPolicy against set_mempolicy(2)'s
// rules that do not depend on the host: which modes take nodes, and which
// flags go together. Whether the nodes exist is for the kernel to say.
func convertMemoryPolicy(p *specs.LinuxMemoryPolicy) (*configs.MemoryPolicy, error) {
	if p == nil {
		return nil, nil
	}
	const path = "linux.memoryPolicy"
	mode, ok := memoryPolicyModes[p.Mode]
	if !ok {
		return nil, fieldErr(path+".mode", "unknown mode %q (known: %s)", p.Mode, strings.Join(MemoryPolicyModes(), " "))
	}
	out := &configs.MemoryPolicy{Mode: mode}
	if p.Nodes != "" {
		var err error
		if out.Nodes, err = parseIDList(path+".nodes", p.Nodes); err != nil {
			return nil, err
		}
	}
	switch mode {
	case unix.MPOL_DEFAULT, unix.MPOL_LOCAL:
		if out.Nodes != nil {
			return nil, fieldErr(path+".nodes", "mode %s takes no nodes", p.Mode)
		}
	case unix.MPOL_BIND, unix.MPOL_INTERLEAVE, unix.MPOL_PREFERRED_MANY, unix.MPOL_WEIGHTED_INTERLEAVE:
		if out.Nodes == nil {
			return nil, fieldErr(path+".nodes", "mode %s needs at least one node", p.Mode)
		}
	}
	for i, f := range p.Flags {
		bit, ok := memoryPolicyFlags[f]
		if !ok {
			return nil, fieldErr(idx(path+".flags", i), "unknown flag %q (known: %s)", f, strings.Join(MemoryPolicyFlags(), " "))
		}
		out.Flags |= bit
	}
	if out.Flags&unix.MPOL_F_STATIC_NODES != 0 && out.Flags&unix.MPOL_F_RELATIVE_NODES != 0 {
		return nil, fieldErr(path+".flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other")
	}
	return out, nil
}
