package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// cgroupManager returns the manager of the container's cgroup, rebuilt from
// the stored state when needed; nil if the container never got one. If the
// stored cgroup state is damaged, the cgroup is found again from the
// config: its directories, though no longer which parents create made.
func (c *Container) cgroupManager() (cgroups.Manager, error) {
	if c.cgm != nil {
		return c.cgm, nil
	}
	if c.noCgroup {
		return nil, nil
	}
	if c.state.CgroupState == nil {
		if c.state.Freezer == nil && c.damaged == nil {
			return nil, nil
		}
		var st cgroups.State
		if err := c.readJSON(cgroupFile, "cgroup state", (*cgroupStateJSON)(&st)); err != nil {
			return c.cgroupFromConfig(err)
		}
		c.state.CgroupState = &st
	}
	m, err := loadCgroupManager(*c.state.CgroupState)
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

// loadCgroupManager picks the driver the container was created with: a
// recorded systemd unit means the systemd driver.
func loadCgroupManager(s cgroups.State) (cgroups.Manager, error) {
	if s.Unit == "" {
		return cgroups.Load(s)
	}
	helper, err := helperPath(systemd.HelperBinary)
	if err != nil {
		return nil, err
	}
	m, err := systemd.Load(s, helper)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// PrepareCgroupMove starts, in the background, what makes the coming move
// of a process into a container's cgroup fast (cgroups.PrimeMigration).
// create, run and exec call it first, before they load anything.
func PrepareCgroupMove() { go cgroups.PrimeMigration() }

// newCgroupManager makes the manager of the container's cgroup: a scope
// unit of systemd's with --systemd-cgroup, else the cgroupfs directories.
func (c *Container) newCgroupManager() (cgroups.Manager, error) {
	cfg := c.state.Config
	if cfg.Cgroups != nil && cfg.Cgroups.Systemd {
		helper, err := helperPath(systemd.HelperBinary)
		if err != nil {
			return nil, err
		}
		return systemd.New(cfg.Cgroups, c.ID(), cfg.Labels, helper)
	}
	return cgroups.New(cfg.Cgroups, c.ID())
}

// record writes the container's first state, marked Creating, with where
// its cgroups will be and which of their directories create may make, and
// its config, before any of it exists on the host.
func (c *Container) record() error {
	cfg := c.state.Config
	m, err := c.newCgroupManager()
	if err != nil {
		return err
	}
	if c.store.Rootless {
		if m, err = delegatedCgroup(m, cfg.Cgroups); err != nil {
			return err
		}
		if m == nil {
			c.state.Creating = true
			if err := writeConfig(c.dir, cfg); err != nil {
				return err
			}
			return writeState(c.dir, &c.state)
		}
	}
	st := m.State()
	fr := st.Freezer()
	// The init would freeze on entering it and create would hang; runc
	// refuses such a cgroup too. Refused before anything is recorded, so
	// the failed create leaves the cgroup, which is not its own, alone.
	if fs, err := fr.State(); err == nil && fs == cgroups.Frozen {
		return fmt.Errorf("container's cgroup %s is unexpectedly frozen: thaw it, or use another linux.cgroupsPath", m.Path("freezer"))
	}
	c.cgm = m
	st.Created = missingDirs(st.Paths)
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

// delegatedCgroup is the part of the container's cgroup that a rootless
// runtime may use (cgroups.Delegated), or nil. The systemd driver would
// need systemd's per-user instance, which ocirun does not talk to.
func delegatedCgroup(m cgroups.Manager, cg *configs.Cgroup) (cgroups.Manager, error) {
	if cg == nil {
		return cgroups.Delegated(m, nil)
	}
	if cg.Systemd {
		return nil, errors.New("--systemd-cgroup: rootless, the container's scope would be a unit of the user's own systemd instance, which ocirun does not use; use the cgroupfs driver")
	}
	return cgroups.Delegated(m, cg.Resources)
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

// cgroupNeedsPid: applyCgroup needs the pid of stage 0 (the systemd
// driver starts the scope unit with it).
func (c *Container) cgroupNeedsPid() bool {
	cg := c.state.Config.Cgroups
	return c.cgm != nil && cg != nil && cg.Systemd
}

// applyCgroup creates the container's cgroup and sets the limits that the
// init cannot hit (see splitResources); the init (stage 0, pid) moves itself
// in (cgroups.Manager.SelfJoinFiles). With the systemd driver, pid is the
// first process of the container's scope unit, which systemd moves in;
// without it pid is 0 (cgroupNeedsPid). What was created is recorded even
// on failure, so destroy removes it.
func (c *Container) applyCgroup(pid int) error {
	cfg := c.state.Config
	m := c.cgm
	if m == nil {
		return nil // rootless, with no cgroup delegated
	}
	err := m.Apply(pid)
	if pid != 0 {
		// The unit's state is known only now that systemd made it.
		st := m.State()
		st.Created = c.state.CgroupState.Created
		fr := st.Freezer()
		c.state.CgroupState, c.state.Freezer = &st, &fr
		if werr := writeCgroupState(c.dir, &st); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	if cfg.Cgroups != nil && cfg.Cgroups.Resources != nil {
		early, _ := splitResources(cfg.Cgroups.Resources)
		err = m.Set(early)
	}
	return err
}

// applyLateLimits sets the limits that wait until the init is set up.
func (c *Container) applyLateLimits() error {
	cfg := c.state.Config
	if c.cgm == nil || cfg.Cgroups == nil || cfg.Cgroups.Resources == nil {
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

// execCgroup says where an exec'd process goes: files are those through
// which stage 0 moves itself into the container's cgroup, or the sub-cgroups
// of it that sub names (see ExecOpts.SubCgroups). The freezer of a paused
// container is left out: it would freeze the setup itself, so the runtime
// moves the process into frozen, the directories held back, once it is
// ready (joinCgroupDirs).
func (c *Container) execCgroup(paused bool, sub map[string]string) (files, frozen []string, err error) {
	m, err := c.cgroupManager()
	if err != nil || m == nil {
		if err == nil && len(sub) > 0 {
			err = fmt.Errorf("container %q has no cgroup to hold sub-cgroups", c.ID())
		}
		return nil, nil, err
	}
	files, err = subCgroupFiles(m, m.SelfJoinFiles(), sub)
	if err != nil || !paused {
		return files, nil, err
	}
	freezer := m.Path("freezer")
	if len(sub) > 0 && freezer != "" {
		// Where the freezer's file went, if a sub-cgroup moved it.
		f, err := subCgroupFiles(m, []string{filepath.Join(freezer, "cgroup.procs")}, sub)
		if err != nil {
			return nil, nil, err
		}
		freezer = filepath.Dir(f[0])
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		if filepath.Dir(f) != freezer {
			return false
		}
		frozen = append(frozen, freezer)
		return true
	})
	return files, frozen, nil
}

// subCgroupFiles moves each of files, a "tasks" or "cgroup.procs" file of
// one of the container's cgroup directories, to the same file of the
// sub-cgroup sub names for that directory's hierarchy (sub[""] for every
// hierarchy). The sub-cgroups must exist and lie below the container's.
func subCgroupFiles(m cgroups.Manager, files []string, sub map[string]string) ([]string, error) {
	if len(sub) == 0 {
		return files, nil
	}
	byDir := map[string]string{}
	for ctrl, rel := range sub {
		if ctrl == "" {
			if len(sub) > 1 {
				return nil, fmt.Errorf("sub-cgroup %q: a path for every hierarchy cannot be combined with per-controller ones", rel)
			}
			continue
		}
		if m.State().Mode == cgroups.Unified {
			return nil, fmt.Errorf("sub-cgroup %s:%s: cgroup v2 has one hierarchy; give the path without a controller", ctrl, rel)
		}
		dir := m.Path(ctrl)
		if dir == "" {
			return nil, fmt.Errorf("sub-cgroup %s:%s: the container has no cgroup of controller %q", ctrl, rel, ctrl)
		}
		if prev, ok := byDir[dir]; ok && prev != rel {
			return nil, fmt.Errorf("sub-cgroup %s:%s: controller %q shares its hierarchy with another one given %q", ctrl, rel, ctrl, prev)
		}
		byDir[dir] = rel
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		dir := filepath.Dir(f)
		rel, ok := byDir[dir]
		if all, hasAll := sub[""]; hasAll {
			rel, ok = all, true
		}
		if !ok {
			out = append(out, f)
			continue
		}
		clean := filepath.Clean("/" + rel)
		if clean == "/" || slices.Contains(strings.Split(rel, "/"), "..") {
			return nil, fmt.Errorf("sub-cgroup %q: not a path below the container's cgroup", rel)
		}
		target := filepath.Join(dir, clean)
		st, err := os.Stat(target)
		if err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return nil, fmt.Errorf("sub-cgroup %q of the container's cgroup %s: %w", rel, dir, err)
		}
		out = append(out, filepath.Join(target, filepath.Base(f)))
	}
	return out, nil
}

// joinCgroupDirs moves pid into each of dirs (for exec into a paused
// container: the freezer, joined last).
func joinCgroupDirs(dirs []string, pid int) error {
	for _, d := range dirs {
		f, err := smallfile.Open(filepath.Join(d, "cgroup.procs"), unix.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("join cgroup %s: %w", d, err)
		}
		_, err = f.WriteString(strconv.Itoa(pid))
		f.Close()
		if err != nil {
			return fmt.Errorf("join cgroup %s: move pid %d: %w", d, pid, err)
		}
	}
	return nil
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
		// Without a cgroup the container's processes are those of its
		// PID namespace. SIGKILL to the init ends them all; any other
		// signal goes to each. In the runtime's own PID namespace no
		// process can be told to be the container's but the init.
		pids := []int{c.state.InitPid}
		shared := c.sharesPidNamespace()
		if !shared && sig != unix.SIGKILL {
			if pids, err = c.pidNamespaceMembers(); err != nil {
				return err
			}
		}
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("signal %d to pid %d of container %q: %w", sig, pid, c.ID(), err)
			}
		}
		if shared {
			return fmt.Errorf("signal %d to container %q: only its init (pid %d) was signalled: %w", sig, c.ID(), c.state.InitPid, ErrProcessesUnknown)
		}
		return nil
	}
	wasFrozen := c.isPaused()
	// A rootless container may have a cgroup but no freezer: its
	// processes are signalled as they are.
	canFreeze := c.state.Freezer != nil && c.state.Freezer.Dir != ""
	if !wasFrozen && canFreeze {
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
	if canFreeze && (!wasFrozen || sig == unix.SIGKILL) {
		if e := m.Thaw(); e != nil && err == nil {
			err = fmt.Errorf("thaw container %q: %w", c.ID(), e)
		}
	}
	return err
}

// sharesPidNamespace reports whether the container has no PID namespace of
// its own (none, or one joined by path, as pods with hostPID): then the
// init's death does not end its other processes, and only the cgroup
// finds them. A config that cannot be read counts as shared, so that a
// delete still looks in the cgroup.
func (c *Container) sharesPidNamespace() bool {
	v, err := c.lifecycleConfig()
	if err != nil {
		return true
	}
	i := slices.IndexFunc(v.Namespaces, func(ns configs.Namespace) bool { return ns.Type == configs.NEWPID })
	return i < 0 || v.Namespaces[i].Path != ""
}

// killLeftovers SIGKILLs every process in the container's cgroup, whether
// or not its init still runs, and waits until the cgroup is empty, so that
// it can be removed. With mustRun, a container with neither an init nor a
// process in its cgroup is an error (ErrNotRunning), as for a signal.
func (c *Container) killLeftovers(mustRun bool) error {
	notRunning := fmt.Errorf("cannot signal container %q: %w", c.ID(), ErrNotRunning)
	m, err := c.cgroupManager()
	if err != nil {
		return err
	}
	if m == nil {
		// No cgroup: the init is all there is to find.
		if !c.initAlive() {
			if mustRun {
				return notRunning
			}
			return nil
		}
		return c.signalAll(unix.SIGKILL)
	}
	pids, err := m.GetPids()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = nil // the cgroup is gone, and every process with it
		}
		pids = nil
	}
	if len(pids) == 0 {
		if mustRun && err == nil && !c.initAlive() {
			return notRunning
		}
		return err
	}
	if err := c.signalAll(unix.SIGKILL); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		pids, err := m.GetPids()
		if err != nil || len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of container %q survived SIGKILL for 10s", pids, c.ID())
		}
		time.Sleep(delay)
	}
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

// Processes lists the host pids of every process in the container: those
// in its cgroup or, for a rootless container without one, those in its
// PID namespace.
func (c *Container) Processes() ([]int, error) {
	m, err := c.cgroupManager()
	if err != nil {
		return nil, err
	}
	if m != nil {
		return m.GetPids()
	}
	if c.sharesPidNamespace() {
		return nil, fmt.Errorf("container %q: %w", c.ID(), ErrProcessesUnknown)
	}
	if !c.initAlive() {
		return nil, nil
	}
	return c.pidNamespaceMembers()
}

// pidNamespaceMembers lists the processes in the PID namespace of the
// container's init that the runtime can see, sorted.
func (c *Container) pidNamespaceMembers() ([]int, error) {
	var want unix.Stat_t
	nsPath := "/proc/" + strconv.Itoa(c.state.InitPid) + "/ns/pid"
	if err := unix.Stat(nsPath, &want); err != nil {
		return nil, fmt.Errorf("container %q: PID namespace of its init: %w", c.ID(), err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		// Processes of other users, and those gone meanwhile, fail.
		if unix.Stat("/proc/"+e.Name()+"/ns/pid", &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
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
		return nil, fmt.Errorf("container %q has no cgroup (rootless, and no cgroup is delegated to the runtime's user)", c.ID())
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
