package libcontainer

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// cgroupManager returns the manager of the container's cgroup, rebuilt from
// the stored state when needed; nil if the container never got one. If the
// stored cgroup state is damaged, the cgroup is found again from the
// config: its directories, though no longer which parents create made.
func (c *Container) cgroupManager() (cgroups.Manager, error) {
	if c.cgm != nil {
		return c.cgm, nil
	}
	if c.state.CgroupState == nil {
		if c.state.Freezer == nil && c.damaged == nil {
			return nil, nil
		}
		var st cgroups.State
		if err := c.readJSON(cgroupFile, "cgroup state", &st); err != nil {
			return c.cgroupFromConfig(err)
		}
		c.state.CgroupState = &st
	}
	m, err := cgroups.Load(*c.state.CgroupState)
	if err != nil {
		return c.cgroupFromConfig(fmt.Errorf("container %q: %w", c.ID(), err))
	}
	c.cgm = m
	return m, nil
}

// cgroupFromConfig resolves the container's cgroup from its config, after
// cause made the stored cgroup state unusable.
func (c *Container) cgroupFromConfig(cause error) (cgroups.Manager, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, fmt.Errorf("%w; and %w", cause, err)
	}
	m, err := cgroups.New(cfg.Cgroups, c.ID())
	if err != nil {
		return nil, fmt.Errorf("%w; and from the config: %w", cause, err)
	}
	c.cgm = m
	return m, nil
}

// PrepareCgroupMove starts, in the background, what makes the coming move
// of a process into a container's cgroup fast (cgroups.PrimeMigration).
// create, run and exec call it first, before they load anything.
func PrepareCgroupMove() { go cgroups.PrimeMigration() }

// record writes the container's first state, marked Creating, with where
// its cgroups will be and which of their directories create may make, and
// its config, before any of it exists on the host.
func (c *Container) record() error {
	cfg := c.state.Config
	m, err := cgroups.New(cfg.Cgroups, c.ID())
	if err != nil {
		return err
	}
	c.cgm = m
	st := m.State()
	st.Created = missingDirs(st.Paths)
	fr := st.Freezer()
	c.state.CgroupState, c.state.Freezer = &st, &fr
	c.state.Creating = true
	if err := writeCgroupState(c.dir, &st); err != nil {
		return err
	}
	if err := writeConfig(c.dir, cfg); err != nil {
		return err
	}
	return writeState(c.dir, &c.state)
}

// missingDirs lists the directories of paths, and their parents, that do
// not exist yet, parents first: what Apply may create.
func missingDirs(paths map[string]string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Values(paths)) {
		var missing []string
		for d := p; d != "/" && d != "."; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			missing = append(missing, d)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if !slices.Contains(out, missing[i]) {
				out = append(out, missing[i])
			}
		}
	}
	return out
}

// applyCgroup creates the container's cgroup and sets the limits that the
// init cannot hit (see lateResources); the init moves itself in
// (cgroups.Manager.SelfJoinFiles). What it created is recorded even on
// failure, so destroy removes it.
func (c *Container) applyCgroup() error {
	cfg := c.state.Config
	m := c.cgm
	if err := m.Apply(0); err != nil {
		return err
	}
	if cfg.Cgroups != nil && cfg.Cgroups.Resources != nil {
		early, _ := splitResources(cfg.Cgroups.Resources)
		return m.Set(early)
	}
	return nil
}

// applyLateLimits sets the limits that wait until the init is set up.
func (c *Container) applyLateLimits() error {
	cfg := c.state.Config
	if cfg.Cgroups == nil || cfg.Cgroups.Resources == nil {
		return nil
	}
	_, late := splitResources(cfg.Cgroups.Resources)
	if late == nil {
		return nil
	}
	if late.Memory != nil && late.Memory.CheckBeforeUpdate == nil {
		// cgroup v1 refuses a memory limit below the usage; v2 would
		// OOM-kill the init instead, and create could only say that it
		// died. Ask for v1's behaviour, which names limit and usage.
		mem := *late.Memory
		check := true
		mem.CheckBeforeUpdate = &check
		late.Memory = &mem
	}
	return c.cgm.Set(late)
}

// hasLateLimits says whether the config sets any limit of lateResources.
func hasLateLimits(cfg *configs.Config) bool {
	if cfg.Cgroups == nil || cfg.Cgroups.Resources == nil {
		return false
	}
	_, late := splitResources(cfg.Cgroups.Resources)
	return late != nil
}

// splitResources separates the limits that the init's own processes could
// hit while it sets the container up (the number of tasks: the Go runtime
// starts threads; memory: it allocates, and reads the rootfs through the
// page cache) from the rest. runc, too, sets them only once its init is
// ready: a limit the user's process fits in need not fit the setup. late
// is nil when there are none.
func splitResources(r *specs.LinuxResources) (early, late *specs.LinuxResources) {
	e, l := *r, specs.LinuxResources{Memory: r.Memory, Pids: r.Pids}
	e.Memory, e.Pids = nil, nil
	for k, v := range r.Unified {
		if strings.HasPrefix(k, "memory.") || strings.HasPrefix(k, "pids.") {
			if l.Unified == nil {
				l.Unified = map[string]string{}
				e.Unified = maps.Clone(r.Unified)
			}
			l.Unified[k] = v
			delete(e.Unified, k)
		}
	}
	if l.Memory == nil && l.Pids == nil && l.Unified == nil {
		return r, nil
	}
	return &e, &l
}

// cgroupPaths maps each controller (v1) or "" (cgroup2) to the container's
// cgroup directory on the host.
func (c *Container) cgroupPaths() map[string]string {
	if c.state.CgroupState == nil {
		return nil
	}
	return c.state.CgroupState.Paths
}

// selfJoinFiles are the files through which stage 0 of an exec moves itself
// into the container's cgroup. The freezer of a paused container is left
// out: it would freeze the setup itself, so the runtime moves the process
// there once it is ready (joinCgroup).
func (c *Container) selfJoinFiles(paused bool) ([]string, error) {
	m, err := c.cgroupManager()
	if err != nil || m == nil {
		return nil, err
	}
	files := m.SelfJoinFiles()
	if !paused {
		return files, nil
	}
	freezer := m.Path("freezer")
	return slices.DeleteFunc(files, func(f string) bool { return filepath.Dir(f) == freezer }), nil
}

// joinCgroup moves pid into the container's existing cgroup (for exec into
// a paused container).
func (c *Container) joinCgroup(pid int) error {
	m, err := c.cgroupManager()
	if err != nil || m == nil {
		return err
	}
	return m.Apply(pid)
}

// isPaused reports whether the container's cgroup is frozen. The state
// says where its freezer is whenever it has a cgroup; no manager is needed.
func (c *Container) isPaused() bool {
	if c.state.Freezer == nil {
		return false
	}
	st, err := c.state.Freezer.State()
	return err == nil && st == cgroups.Frozen
}

// signalAll signals every process of the container. The cgroup is frozen
// meanwhile so that no process forks a child that escapes the signal; a
// paused container stays paused, except that SIGKILL thaws it, or the
// kill would wait for a resume.
func (c *Container) signalAll(sig unix.Signal) error {
	m, err := c.cgroupManager()
	if err != nil {
		return err
	}
	if m == nil {
		if !c.initAlive() {
			return nil
		}
		if err := unix.Kill(c.state.InitPid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signal %d to container %q init (pid %d): %w", sig, c.ID(), c.state.InitPid, err)
		}
		return nil
	}
	wasFrozen := c.isPaused()
	if !wasFrozen {
		if err := m.Freeze(); err != nil {
			return fmt.Errorf("freeze container %q to signal its processes: %w", c.ID(), err)
		}
	}
	pids, err := m.GetPids()
	if err == nil {
		for _, pid := range pids {
			if e := unix.Kill(pid, sig); e != nil && !errors.Is(e, unix.ESRCH) {
				err = fmt.Errorf("signal %d to pid %d of container %q: %w", sig, pid, c.ID(), e)
			}
		}
	}
	if !wasFrozen || sig == unix.SIGKILL {
		if e := m.Thaw(); e != nil && err == nil {
			err = fmt.Errorf("thaw container %q: %w", c.ID(), e)
		}
	}
	return err
}

// destroyCgroup removes the cgroup directories the container created.
func (c *Container) destroyCgroup() error {
	m, err := c.cgroupManager()
	if err != nil || m == nil {
		return err
	}
	return m.Destroy()
}

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	if st := c.Status(); st != Running {
		return fmt.Errorf("cannot pause container %q: it is %s, not running", c.ID(), st)
	}
	m, err := c.requireCgroup()
	if err != nil {
		return err
	}
	return m.Freeze()
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if st := c.Status(); st != Paused {
		return fmt.Errorf("cannot resume container %q: it is %s, not paused", c.ID(), st)
	}
	m, err := c.requireCgroup()
	if err != nil {
		return err
	}
	return m.Thaw()
}

// Processes lists the host pids of every process in the container.
func (c *Container) Processes() ([]int, error) {
	m, err := c.requireCgroup()
	if err != nil {
		return nil, err
	}
	return m.GetPids()
}

// Stats reads the container's cgroup counters.
func (c *Container) Stats() (*cgroups.Stats, error) {
	m, err := c.requireCgroup()
	if err != nil {
		return nil, err
	}
	return m.Stats()
}

// OOMKillCount is how many of the container's processes the OOM killer
// has killed so far.
func (c *Container) OOMKillCount() (uint64, error) {
	m, err := c.requireCgroup()
	if err != nil {
		return 0, err
	}
	return m.OOMKillCount()
}

// Update applies new resource limits to a live container and records them,
// so that a later update starts from them.
func (c *Container) Update(r *specs.LinuxResources) error {
	if st := c.Status(); st == Stopped {
		return fmt.Errorf("cannot update container %q: %w", c.ID(), ErrNotRunning)
	}
	m, err := c.requireCgroup()
	if err != nil {
		return err
	}
	if err := m.Set(r); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if cfg.Cgroups == nil {
		cfg.Cgroups = &configs.Cgroup{}
	}
	if cfg.Cgroups.Resources == nil {
		cfg.Cgroups.Resources = &specs.LinuxResources{}
	}
	mergeResources(cfg.Cgroups.Resources, r)
	return writeConfig(c.dir, cfg)
}

func (c *Container) requireCgroup() (cgroups.Manager, error) {
	m, err := c.cgroupManager()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("container %q has no cgroup", c.ID())
	}
	return m, nil
}

// mergeResources copies every section r sets into dst.
func mergeResources(dst, r *specs.LinuxResources) {
	if r.Devices != nil {
		dst.Devices = r.Devices
	}
	if r.Memory != nil {
		dst.Memory = r.Memory
	}
	if r.CPU != nil {
		dst.CPU = r.CPU
	}
	if r.Pids != nil {
		dst.Pids = r.Pids
	}
	if r.BlockIO != nil {
		dst.BlockIO = r.BlockIO
	}
	if r.HugepageLimits != nil {
		dst.HugepageLimits = r.HugepageLimits
	}
	if r.Network != nil {
		dst.Network = r.Network
	}
	if r.Rdma != nil {
		dst.Rdma = r.Rdma
	}
	if r.Unified != nil {
		dst.Unified = r.Unified
	}
}
