package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Manager drives one directory per v1 hierarchy (Legacy and Hybrid
// modes); in Hybrid mode paths[""] is the directory in the cgroup2 tree,
// which is joined but carries no controllers.
type v1Manager struct {
	base
	mode Mode
	// resources are the create-time limits, for what must be in place
	// before a process joins (real-time CPU budget).
	resources *specs.LinuxResources
}

// need is a v1 controller some part of linux.resources requires.
type need struct {
	controller string
	field      string // JSON path, for errors
}

func v1Needs(r *specs.LinuxResources) []need {
	if r == nil {
		return nil
	}
	var out []need
	if memorySet(r.Memory) {
		out = append(out, need{"memory", "linux.resources.memory"})
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
			c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil {
			out = append(out, need{"cpu", "linux.resources.cpu"})
		}
		if c.Cpus != "" || c.Mems != "" {
			out = append(out, need{"cpuset", "linux.resources.cpu.cpus/mems"})
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		out = append(out, need{"pids", "linux.resources.pids"})
	}
	if blockIOSet(r.BlockIO) {
		out = append(out, need{"blkio", "linux.resources.blockIO"})
	}
	if len(r.HugepageLimits) > 0 {
		out = append(out, need{"hugetlb", "linux.resources.hugepageLimits"})
	}
	if r.Network != nil && r.Network.ClassID != nil {
		out = append(out, need{"net_cls", "linux.resources.network.classID"})
	}
	if r.Network != nil && len(r.Network.Priorities) > 0 {
		out = append(out, need{"net_prio", "linux.resources.network.priorities"})
	}
	if len(r.Rdma) > 0 {
		out = append(out, need{"rdma", "linux.resources.rdma"})
	}
	if len(r.Devices) > 0 {
		out = append(out, need{"devices", "linux.resources.devices"})
	}
	return out
}

func memorySet(m *specs.LinuxMemory) bool {
	return m != nil && (m.Limit != nil || m.Reservation != nil || m.Swap != nil ||
		m.Kernel != nil || m.KernelTCP != nil || m.Swappiness != nil ||
		m.DisableOOMKiller != nil || m.UseHierarchy != nil)
}

func blockIOSet(b *specs.LinuxBlockIO) bool {
	return b != nil && (b.Weight != nil || b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

// check refuses resources this host cannot apply, before anything is
// created or written.
func (m *v1Manager) check(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if len(r.Unified) > 0 {
		return fmt.Errorf("linux.resources.unified is set, but this host uses cgroup v1 (%v mode): unified entries are cgroup v2 files", m.mode)
	}
	for _, n := range v1Needs(r) {
		if m.paths[n.controller] == "" {
			return fmt.Errorf("%s: the cgroup v1 %s controller is not mounted on this host", n.field, n.controller)
		}
	}
	return checkCommon(r)
}

func (m *v1Manager) Apply(pid int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cpusetDir := m.paths["cpuset"]
	cpuDir := m.paths["cpu"]
	for _, dir := range m.dirs() {
		made, err := m.mkdirAll(dir)
		if err != nil {
			return err
		}
		if dir == cpusetDir {
			// A new cpuset cgroup starts with no CPUs and no memory
			// nodes, and the kernel refuses tasks into it until both
			// are set; so does one that existed but was never set up.
			for _, d := range unsetCpusets(dir, made) {
				if err := inheritCpuset(m.write, d); err != nil {
					return err
				}
			}
		}
		if dir == cpuDir && m.resources != nil && m.resources.CPU != nil {
			// A real-time task can only join a cgroup that has a
			// real-time budget.
			if err := setV1Realtime(m.write, dir, m.resources.CPU); err != nil {
				return err
			}
		}
	}
	if pid <= 0 {
		return nil
	}
	for _, dir := range m.dirs() {
		if err := m.joinPid(dir, pid); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.check(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w, p := m.write, m.paths
	if r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != "") {
		if err := setCpuset(w, p["cpuset"], r.CPU); err != nil {
			return err
		}
	}
	if len(r.Devices) > 0 {
		if err := setV1Devices(w, p["devices"], r.Devices); err != nil {
			return err
		}
	}
	if memorySet(r.Memory) {
		if err := setV1Memory(w, p["memory"], r.Memory); err != nil {
			return err
		}
	}
	if r.CPU != nil {
		if err := setV1CPU(w, p["cpu"], r.CPU); err != nil {
			return err
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		if err := setPids(w, p["pids"], *r.Pids.Limit); err != nil {
			return err
		}
	}
	if blockIOSet(r.BlockIO) {
		if err := setV1Blkio(w, p["blkio"], r.BlockIO); err != nil {
			return err
		}
	}
	if len(r.HugepageLimits) > 0 {
		if err := setHugetlb(w, p["hugetlb"], r.HugepageLimits, false); err != nil {
			return err
		}
	}
	if r.Network != nil {
		if err := setV1Network(w, p["net_cls"], p["net_prio"], r.Network); err != nil {
			return err
		}
	}
	if len(r.Rdma) > 0 {
		if err := setRdma(w, p["rdma"], r.Rdma); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1Manager) GetPids() ([]int, error) {
	// Every hierarchy holds the same processes; devices is always there.
	for _, c := range []string{"devices", "freezer", "pids", "memory", "cpu"} {
		if dir := m.Path(c); dir != "" {
			return getPids(dir)
		}
	}
	// A rootless container may have only some other hierarchy (the
	// delegated ones).
	for _, c := range slices.Sorted(maps.Keys(m.paths)) {
		return getPids(m.paths[c])
	}
	return nil, errors.New("list processes: no cgroup v1 hierarchy known for the container")
}

func (m *v1Manager) freezerDir(action string) (string, error) {
	dir := m.Path("freezer")
	if dir == "" {
		return "", fmt.Errorf("cannot %s: the container has no cgroup v1 freezer (the controller is not mounted, or, rootless, not delegated to the runtime's user)", action)
	}
	return dir, nil
}

func (m *v1Manager) Freeze() error {
	dir, err := m.freezerDir("pause")
	if err != nil {
		return err
	}
	return freezeV1(m.write, dir)
}

func (m *v1Manager) Thaw() error {
	dir, err := m.freezerDir("resume")
	if err != nil {
		return err
	}
	return thawV1(m.write, dir)
}

func (m *v1Manager) FreezerState() (FreezerState, error) {
	dir := m.Path("freezer")
	if dir == "" {
		return Undefined, nil
	}
	return freezerStateV1(dir)
}

func (m *v1Manager) Stats() (*Stats, error) {
	st := newStats()
	steps := []struct {
		controller string
		stat       func(string, *Stats) error
	}{
		{"cpu", statV1CPU},
		{"cpuacct", statV1Cpuacct},
		{"cpuset", statV1Cpuset},
		{"memory", statV1Memory},
		{"pids", statPids},
		{"blkio", statV1Blkio},
		{"hugetlb", statV1Hugetlb},
	}
	for _, s := range steps {
		dir := m.Path(s.controller)
		if dir == "" {
			continue
		}
		if err := s.stat(dir, st); err != nil {
			return nil, fmt.Errorf("cgroup stats (%s): %w", s.controller, err)
		}
	}
	return st, nil
}

func (m *v1Manager) OOMKillCount() (uint64, error) {
	dir := m.Path("memory")
	if dir == "" {
		return 0, errors.New("count OOM kills: the cgroup v1 memory controller is not mounted")
	}
	// oom_kill appeared in 4.13; older kernels only say under_oom.
	return readKey(dir, "memory.oom_control", "oom_kill")
}

func (m *v1Manager) Destroy() error { return m.destroy() }

func (m *v1Manager) State() State { return m.base.State(m.mode, "") }
