package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v2Manager drives the container's directory in a cgroup v2 tree.
type v2Manager struct {
	base
	dir        string
	mountpoint string
	// enableErrs keeps why Apply could not enable a controller, to explain
	// a later write to one of its files.
	enableErrs map[string]error
	// installDevices puts the device rules in force; tests replace it.
	installDevices func(dir string, rules []deviceRule) error
}

// check refuses resources cgroup v2 cannot apply. The spec asks for an
// error when a v1 setting has no v2 conversion.
func (m *v2Manager) check(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := checkCommon(r); err != nil {
		return err
	}
	if mem := r.Memory; mem != nil {
		if mem.Swappiness != nil {
			return errors.New("linux.resources.memory.swappiness is not supported on cgroup v2 (it has no per-cgroup swappiness)")
		}
		if mem.KernelTCP != nil {
			return errors.New("linux.resources.memory.kernelTCP is not supported on cgroup v2 (TCP memory is part of memory.max there)")
		}
		if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
			return errors.New("linux.resources.memory.disableOOMKiller is not supported on cgroup v2")
		}
		if mem.UseHierarchy != nil && !*mem.UseHierarchy {
			return errors.New("linux.resources.memory.useHierarchy false is not supported on cgroup v2 (accounting is always hierarchical)")
		}
		if _, _, err := memorySwapV2(mem.Swap, mem.Limit); err != nil {
			return err
		}
	}
	if c := r.CPU; c != nil {
		if deref(c.RealtimeRuntime) != 0 || deref(c.RealtimePeriod) != 0 {
			return errors.New("linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported on cgroup v2 (it has no real-time group scheduling)")
		}
	}
	if b := r.BlockIO; b != nil {
		if b.LeafWeight != nil {
			return errors.New("linux.resources.blockIO.leafWeight is not supported on cgroup v2")
		}
		for i, d := range b.WeightDevice {
			if d.LeafWeight != nil {
				return fmt.Errorf("linux.resources.blockIO.weightDevice[%d].leafWeight is not supported on cgroup v2", i)
			}
			if d.Weight == nil {
				return fmt.Errorf("linux.resources.blockIO.weightDevice[%d] has no weight", i)
			}
		}
	}
	if n := r.Network; n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		return errors.New("linux.resources.network is not supported on cgroup v2 (net_cls and net_prio are cgroup v1 controllers; use eBPF or nftables cgroup matching)")
	}
	return checkUnified(r.Unified)
}

func (m *v2Manager) Path(string) string { return m.dir }

func (m *v2Manager) Apply(pid int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.mkdirAll(m.dir); err != nil {
		return err
	}
	m.enableControllers()
	if pid <= 0 {
		return nil
	}
	err := m.joinPid(m.dir, pid)
	switch {
	case errors.Is(err, unix.EBUSY):
		return withHint(err, "it has controllers enabled in cgroup.subtree_control, so it cannot hold processes itself")
	case errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("%w (its cgroup.type is %q: a parent holds processes)", err, m.cgroupType())
	}
	return err
}

func (m *v2Manager) cgroupType() string {
	t, _ := readFile(m.dir, "cgroup.type")
	return strings.TrimSpace(t)
}

// enableControllers makes every controller available to each ancestor of
// the container's cgroup available to its children, from the mount point
// down, so the container's cgroup gets the files of all of them (the spec
// asks for the controllers that linux.resources uses; runc enables all).
// Failures are kept, not returned: a parent that holds processes cannot
// delegate, and only a setting that needs the controller should fail.
func (m *v2Manager) enableControllers() {
	rel, err := filepath.Rel(m.mountpoint, filepath.Dir(m.dir))
	if err != nil || strings.HasPrefix(rel, "..") {
		return
	}
	dir := m.mountpoint
	steps := []string{""}
	if rel != "." {
		steps = append(steps, strings.Split(rel, "/")...)
	}
	for _, s := range steps {
		dir = filepath.Join(dir, s)
		avail, err := readFile(dir, "cgroup.controllers")
		if err != nil {
			return
		}
		on, _ := readFile(dir, "cgroup.subtree_control")
		enabled := strings.Fields(on)
		for _, c := range strings.Fields(avail) {
			if slices.Contains(enabled, c) {
				continue
			}
			if err := m.write(dir, "cgroup.subtree_control", "+"+c); err != nil {
				if m.enableErrs == nil {
					m.enableErrs = map[string]error{}
				}
				if _, seen := m.enableErrs[c]; !seen {
					m.enableErrs[c] = unwrapWrite(err)
				}
			}
		}
	}
}

// hinted is the writeFunc Set uses: a missing file gets explained by the
// state of its controller.
func (m *v2Manager) hinted(dir, file, value string) error {
	err := m.write(dir, file, value)
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(err, m.missingHint(file))
	}
	return err
}

func (m *v2Manager) missingHint(file string) string {
	ctrl, _, ok := strings.Cut(file, ".")
	if !ok || ctrl == "cgroup" {
		return ""
	}
	parent := filepath.Dir(m.dir)
	avail, err := readFile(parent, "cgroup.controllers")
	if err != nil {
		return ""
	}
	if !slices.Contains(strings.Fields(avail), ctrl) {
		return fmt.Sprintf("the %s controller is not available in %s (its cgroup.controllers is %q)", ctrl, parent, strings.TrimSpace(avail))
	}
	on, _ := readFile(parent, "cgroup.subtree_control")
	if !slices.Contains(strings.Fields(on), ctrl) {
		if e := m.enableErrs[ctrl]; e != nil {
			return fmt.Sprintf("enabling the %s controller in %s/cgroup.subtree_control failed: %v", ctrl, parent, e)
		}
		return fmt.Sprintf("the %s controller is not enabled in %s/cgroup.subtree_control", ctrl, parent)
	}
	return "the kernel does not provide this file"
}

func (m *v2Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.check(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w, dir := m.hinted, m.dir
	if r.Pids != nil && r.Pids.Limit != nil {
		if err := setPids(w, dir, *r.Pids.Limit); err != nil {
			return err
		}
	}
	if r.Memory != nil {
		if err := setV2Memory(w, dir, r.Memory); err != nil {
			return err
		}
	}
	if blockIOSet(r.BlockIO) {
		if err := setV2IO(w, dir, r.BlockIO); err != nil {
			return err
		}
	}
	if r.CPU != nil {
		if err := setV2CPU(w, dir, r.CPU); err != nil {
			return err
		}
		if err := setCpuset(w, dir, r.CPU); err != nil {
			return err
		}
	}
	if len(r.Devices) > 0 {
		rules, err := deviceRules(r.Devices)
		if err != nil {
			return err
		}
		install := m.installDevices
		if install == nil {
			install = installDeviceFilter
		}
		if err := install(dir, rules); err != nil {
			return err
		}
	}
	if len(r.HugepageLimits) > 0 {
		if err := setHugetlb(w, dir, r.HugepageLimits, true); err != nil {
			return err
		}
	}
	if len(r.Rdma) > 0 {
		if err := setRdma(w, dir, r.Rdma); err != nil {
			return err
		}
	}
	// Last, so that an explicit v2 value wins over a converted one.
	return setUnified(w, dir, r.Unified)
}

func (m *v2Manager) GetPids() ([]int, error) { return getPids(m.dir) }

func (m *v2Manager) Freeze() error { return freezeV2(m.write, m.dir) }

func (m *v2Manager) Thaw() error { return thawV2(m.write, m.dir) }

func (m *v2Manager) FreezerState() (FreezerState, error) { return freezerStateV2(m.dir) }

func (m *v2Manager) Stats() (*Stats, error) {
	st := newStats()
	steps := []struct {
		name   string
		marker string // the controller's files exist only where it is enabled
		stat   func(string, *Stats) error
	}{
		{"cpu", "cpu.stat", statV2CPU},
		{"memory", "memory.stat", statV2Memory},
		{"pids", "pids.current", statPids},
		{"io", "io.stat", statV2IO},
		{"hugetlb", "", statV2Hugetlb},
	}
	for _, s := range steps {
		if s.marker != "" && !exists(m.dir, s.marker) {
			continue
		}
		if err := s.stat(m.dir, st); err != nil {
			return nil, fmt.Errorf("cgroup stats (%s): %w", s.name, err)
		}
	}
	return st, nil
}

func (m *v2Manager) OOMKillCount() (uint64, error) {
	n, err := readKey(m.dir, "memory.events", "oom_kill")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("count OOM kills: %w (%s)", err, m.missingHint("memory.events"))
	}
	return n, err
}

func (m *v2Manager) Destroy() error { return m.destroy() }

func (m *v2Manager) State() State { return m.base.State(Unified, m.mountpoint) }

// readPSI reads a *.pressure file; kernels without PSI lack it.
func readPSI(dir, file string) (*PSIStats, error) {
	s, err := readFile(dir, file)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.EOPNOTSUPP) {
		// EOPNOTSUPP: PSI compiled in but disabled (psi=0).
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := parsePSI(s)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, file), err)
	}
	return p, nil
}
