package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// Container is a container loaded from the state store.
type Container struct {
	store *Store
	dir   string
	lock  *lockedDir
	state State
	cgm   cgroups.Manager // loaded on first use
	exec  *execView       // loaded on first use
	life  *lifecycleView  // loaded on first use
	// damaged says why the state could not be read (Store.load); the
	// container then has only its id.
	damaged error
	// noCgroup: the init record (initFile) says the container has no
	// cgroup, which a damaged state cannot tell.
	noCgroup bool
}

// ID returns the container id.
func (c *Container) ID() string { return c.state.ID }

// State returns the stored state.
func (c *Container) State() *State { return &c.state }

// Unlock releases the container's lock, if held.
func (c *Container) Unlock() { c.lock.unlock() }

// Damaged says why the container's state cannot be read; nil if it can.
func (c *Container) Damaged() error { return c.damaged }

// createAlive reports, for an entry still marked Creating, whether its
// create runs: it holds the lock until it is done.
func (c *Container) createAlive() bool {
	if c.lock != nil {
		return false // ours: the create that wrote the mark has ended
	}
	d, err := lockDirHow(c.dir, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	d.unlock()
	return false
}

// initAlive reports whether the init recorded in the state still runs. A
// zombie counts as exited, and so does a live process whose start time
// differs: the pid has been reused.
func (c *Container) initAlive() bool {
	if c.state.InitPid <= 0 {
		return false
	}
	start, zombie, err := processStartTime(c.state.InitPid)
	return err == nil && !zombie && start == c.state.InitStartTime
}

// Status derives the current status from the kernel: it is never stored,
// so it is right even after the container's process exited by itself.
func (c *Container) Status() Status {
	if c.damaged != nil {
		return Damaged
	}
	if c.state.Creating {
		if c.createAlive() {
			return Creating
		}
		return Stopped
	}
	if !c.initAlive() {
		return Stopped
	}
	if _, err := os.Lstat(filepath.Join(c.dir, startSock)); err == nil {
		return Created
	}
	if c.isPaused() {
		return Paused
	}
	return Running
}

// Pid is the init's host pid while it runs, 0 once it has stopped (as runc
// reports it).
func (c *Container) Pid() int {
	if c.Status() == Stopped {
		return 0
	}
	return c.state.InitPid
}

// SpecState is the runtime-spec state of the container, as hooks and
// "ocirun state" show it.
func (c *Container) SpecState() *specs.State {
	st := &specs.State{
		Version: specs.Version,
		ID:      c.state.ID,
		Status:  specs.ContainerState(c.Status()),
		Bundle:  c.state.Bundle,
	}
	if st.Status != specs.StateStopped {
		st.Pid = c.state.InitPid
	}
	st.Annotations = c.state.Annotations
	return st
}

// config returns the container's config, reading it on first use.
func (c *Container) config() (*configs.Config, error) {
	if c.state.Config != nil {
		return c.state.Config, nil
	}
	var cfg configs.Config
	if err := c.readJSON(configFile, "config", &cfg); err != nil {
		return nil, err
	}
	c.state.Config = &cfg
	return &cfg, nil
}

// readJSON decodes one of the files of the container's state directory
// into v, a pointer, with v's generated decoder first where it has one
// (package jsonfast); what names the file in errors.
func (c *Container) readJSON(file, what string, v any) error {
	p := filepath.Join(c.dir, file)
	b, err := smallfile.ReadRecord(p)
	if err != nil {
		return fmt.Errorf("container %q: read its %s: %w", c.ID(), what, err)
	}
	fast, _ := v.(jsonfast.Decoder)
	if err := jsonfast.Unmarshal(b, v, fast); err != nil {
		return fmt.Errorf("container %q: parse %s: %w", c.ID(), p, err)
	}
	return nil
}

// Config returns the container's config.
func (c *Container) Config() (*configs.Config, error) { return c.config() }

// execView is the part of the stored config that an exec with a plan
// needs. encoding/json analyses every type it meets on first use, which for
// the whole config's types is a noticeable part of an exec (bench/README.md);
// these few are decoded alone (the decoder skips the rest of the file). An
// exec that needs stage 1 loads the whole config as well.
type execView struct {
	Namespaces  []configs.Namespace  `json:"namespaces,omitempty"`
	Personality *configs.Personality `json:"personality,omitempty"`
	Process     *configs.Process     `json:"process"`
	// MemoryPolicy applies to execs as to the init.
	MemoryPolicy *configs.MemoryPolicy `json:"memory_policy,omitempty"`
	// Seccomp is set when the config has linux.seccomp, whose compiled
	// program create stored.
	Seccomp *struct{} `json:"seccomp,omitempty"`
}

func (v *execView) namespace(t configs.NamespaceType) bool {
	return slices.ContainsFunc(v.Namespaces, func(ns configs.Namespace) bool { return ns.Type == t })
}

// execConfig reads the container's execView.
func (c *Container) execConfig() (*execView, error) {
	if c.exec != nil {
		return c.exec, nil
	}
	var v execView
	if err := c.readJSON(configFile, "config", &v); err != nil {
		return nil, err
	}
	if v.Process == nil {
		return nil, fmt.Errorf("container %q: %s has no process", c.ID(), filepath.Join(c.dir, configFile))
	}
	c.exec = &v
	return &v, nil
}

// lifecycleView is the part of the config that start, kill and delete
// read. Decoding only it spares them encoding/json's first pass over the
// types of the whole config, which dominated a delete's decoding.
type lifecycleView struct {
	Namespaces []configs.Namespace `json:"namespaces,omitempty"`
	Hooks      *configs.Hooks      `json:"hooks,omitempty"`
}

// lifecycleConfig reads the container's lifecycleView, or takes it from the
// config when that is in memory already (create, run).
func (c *Container) lifecycleConfig() (*lifecycleView, error) {
	if c.life != nil {
		return c.life, nil
	}
	if cfg := c.state.Config; cfg != nil {
		c.life = &lifecycleView{Namespaces: cfg.Namespaces, Hooks: cfg.Hooks}
		return c.life, nil
	}
	var v lifecycleView
	if err := c.readJSON(configFile, "config", &v); err != nil {
		return nil, err
	}
	c.life = &v
	return &v, nil
}

// ProcessTemplate is the container's own process, which exec starts from
// when it is given a command line rather than a process file.
func (c *Container) ProcessTemplate() (*configs.Process, error) {
	v, err := c.execConfig()
	if err != nil {
		return nil, err
	}
	return v.Process, nil
}

// Start makes a created container run its user process. It connects to the
// init's start socket (see package initproto): EOF without data means the
// init exec'd the user process; any text is the init's error.
func (c *Container) Start() error {
	switch st := c.Status(); st {
	case Created:
	case Stopped:
		return fmt.Errorf("cannot start container %q: it is stopped", c.ID())
	default:
		return fmt.Errorf("cannot start container %q: it is %s, not created", c.ID(), st)
	}
	sockPath := filepath.Join(c.dir, startSock)
	f, err := dialStartSocket(c.lock)
	if err != nil {
		return fmt.Errorf("start container %q: connect to %s: %w", c.ID(), sockPath, err)
	}
	conn := initproto.NewConn(f)
	defer conn.Close()
	// From here on the container is no longer "created", whatever happens.
	if err := os.Remove(sockPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("start container %q: remove %s: %w", c.ID(), sockPath, err)
	}
	if err := c.awaitExec(conn, c.state.InitPid); err != nil {
		return err
	}
	if err := c.runPoststart(); err != nil {
		// runtime.md, lifecycle step 9: a failed poststart hook stops
		// the container.
		if kerr := c.killAndWait(); kerr != nil {
			return fmt.Errorf("%w (stopping the container: %v)", err, kerr)
		}
		return err
	}
	return nil
}

// dialStartSocket connects to the start socket in the locked state
// directory. Going through /proc/self/fd keeps the address short however
// long --root is (sun_path holds 108 bytes).
func dialStartSocket(d *lockedDir) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	addr := &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(int(d.f.Fd())) + "/" + startSock}
	if err := unix.Connect(fd, addr); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Connected first, then non-blocking: start waits on it in the poller
	// (see initproto.Conn.recvmsg).
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "start-conn"), nil
}

// Signal sends sig to the container's init, or with all to every process of
// the container.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	if sig == unix.SIGKILL && c.sharesPidNamespace() {
		// Killing the init does not end the others: kill them all,
		// also those that outlived an init already gone.
		err := c.killLeftovers(true)
		if !all {
			err = warnProcessesUnknown(err)
		}
		return err
	}
	switch c.Status() {
	case Stopped:
		if all {
			return nil // nothing left to signal, which runc does not count as an error
		}
		return fmt.Errorf("cannot signal container %q: %w", c.ID(), ErrNotRunning)
	case Damaged:
		return c.damagedErr()
	case Creating:
		return fmt.Errorf("cannot signal container %q: it is still being created", c.ID())
	}
	if all {
		return c.signalAll(sig)
	}
	// Through a pidfd checked against the init's start time: a bare pid
	// could have been reused by another process since the status check.
	pidfd, err := unix.PidfdOpen(c.state.InitPid, 0)
	if err != nil && processGone(err) {
		err = unix.ESRCH
	}
	if err == nil {
		defer unix.Close(pidfd)
		if !c.initAlive() {
			err = unix.ESRCH
		} else {
			err = unix.PidfdSendSignal(pidfd, sig, nil, 0)
		}
	}
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("cannot signal container %q: %w", c.ID(), ErrNotRunning)
		}
		return fmt.Errorf("signal %d to container %q init (pid %d): %w", sig, c.ID(), c.state.InitPid, err)
	}
	return nil
}

// Delete removes the container. A running or paused container is refused
// unless force is set, in which case all its processes are killed first.
// A created container is deleted without force, as runc and crun do and as
// containerd's shim relies on.
func (c *Container) Delete(force bool) error {
	if c.damaged != nil {
		if !force {
			return c.damagedErr()
		}
		return c.clear()
	}
	if c.state.Creating {
		// Held by us, so its create was killed half-way: nothing of it
		// is a container that anyone uses.
		return c.clear()
	}
	switch st := c.Status(); st {
	case Stopped:
		if m, err := c.cgroupManager(); err == nil && m == nil && c.sharesPidNamespace() {
			// Processes that outlived the init may still run.
			Warn(fmt.Sprintf("container %q: %v", c.ID(), ErrProcessesUnknown))
		}
	case Created:
		if err := c.killAndWait(); err != nil {
			return err
		}
	default:
		if !force {
			return fmt.Errorf("cannot delete container %q that is %s: %w", c.ID(), st, ErrNotStopped)
		}
		if err := c.killAndWait(); err != nil {
			return err
		}
	}
	return c.destroy()
}

// killAndWait SIGKILLs every process of the container and waits until the
// init is gone.
func (c *Container) killAndWait() error {
	if err := warnProcessesUnknown(c.signalAll(unix.SIGKILL)); err != nil {
		return err
	}
	return waitGone(c.state.InitPid, c.state.InitStartTime, 10*time.Second)
}

func (c *Container) damagedErr() error {
	return fmt.Errorf("container %q: %w (%v)", c.ID(), ErrDamaged, c.damaged)
}

// warnProcessesUnknown turns ErrProcessesUnknown into a warning: delete
// and a plain SIGKILL did what they could (the init is killed), and must
// not leave the entry behind for what nobody can find.
func warnProcessesUnknown(err error) error {
	if errors.Is(err, ErrProcessesUnknown) {
		Warn(err.Error())
		return nil
	}
	return err
}

// clear removes what a create that was killed half-way, or an entry whose
// state is damaged, left behind, without trusting the state to name it:
// every process in the container's cgroups is killed (as kill --all does),
// the cgroups are removed in every hierarchy and the state directory goes.
// Nothing is unmounted: the container's mounts live in its own mount
// namespace and go with its last process. When not even the cgroup can be
// found (its records are damaged as well), the entry is removed anyway,
// with a warning, so that the id does not stay blocked forever.
func (c *Container) clear() error {
	if c.damaged != nil && c.state.InitPid == 0 {
		var rec initRecord
		if c.readJSON(initFile, "init record", &rec) == nil {
			// A container without a cgroup: its init is all there is
			// to find it by (signalAll).
			c.state.InitPid, c.state.InitStartTime = rec.Pid, rec.StartTime
			c.noCgroup = true
		}
	}
	m, err := c.cgroupManager()
	if err != nil || m == nil {
		if c.initAlive() {
			unix.Kill(c.state.InitPid, unix.SIGKILL)
			if werr := waitGone(c.state.InitPid, c.state.InitStartTime, 10*time.Second); werr != nil {
				return werr
			}
		}
		if err != nil {
			Warn(fmt.Sprintf("container %q: its cgroup cannot be found (%v): removing only its state", c.ID(), err))
		}
		return c.removeDir()
	}
	// Through the freezer where it works, so nothing forks away; a
	// cgroup that create left half made may have no freezer yet, which
	// KillAll does without.
	c.signalAll(unix.SIGKILL)
	if err := cgroups.KillAll(m.State(), 10*time.Second); err != nil {
		return fmt.Errorf("container %q: %w", c.ID(), err)
	}
	if err := m.Destroy(); err != nil {
		return err
	}
	return c.removeDir()
}

func (c *Container) removeDir() error {
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove state directory %s: %w", c.dir, err)
	}
	return nil
}

// waitGone waits until the process (identified by pid and start time) has
// exited. It works for processes that are not our children, through a
// pidfd, which becomes readable when the process exits.
func waitGone(pid int, startTime uint64, timeout time.Duration) error {
	if pid <= 0 {
		return nil // no init was ever recorded
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if processGone(err) {
			return nil
		}
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if start, zombie, err := processStartTime(pid); err != nil || zombie || start != startTime {
		return nil // already gone, or the pid is someone else's now
	}
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline) / time.Millisecond)
		if ms <= 0 {
			return fmt.Errorf("process %d did not exit within %s", pid, timeout)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait for process %d: %w", pid, err)
		}
		if n > 0 {
			return nil
		}
	}
}

// Warn receives warnings of operations that succeed anyway (a failed
// poststop hook); the CLI points it at its log.
var Warn = func(string) {}

// destroy removes what the container left on the host: its cgroup and its
// state directory, then runs the poststop hooks. The caller made sure no
// process of it runs.
func (c *Container) destroy() error {
	if c.state.InitPid > 0 {
		// The hooks come from the config, which goes with the state
		// directory: read them now.
		c.hooks()
		defer c.runPoststop(Warn)
	}
	var errs []error
	if c.sharesPidNamespace() {
		if err := c.killLeftovers(false); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.destroyCgroup(); err != nil {
		errs = append(errs, err)
	}
	if err := c.removeDir(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// awaitExec waits until the process behind conn has exec'd (the socket
// closes) or reports an error, forwarding a seccomp notify fd to the
// configured listener on the way.
func (c *Container) awaitExec(conn *initproto.Conn, pid int) error {
	for {
		t, payload, err := conn.Recv()
		switch {
		case errors.Is(err, initproto.ErrPeerClosed):
			Timer.Mark("handoff")
			return nil
		case err != nil:
			return fmt.Errorf("container %q: %w", c.ID(), err)
		case t == initproto.MsgError:
			return &initproto.RemoteError{Msg: string(payload)}
		case t == initproto.MsgSeccompFd:
			fd := conn.TakeFd()
			if fd < 0 {
				return fmt.Errorf("container %q: seccomp notify fd missing from its message", c.ID())
			}
			err := c.forwardSeccompFd(fd, pid, specs.StateRunning)
			unix.Close(fd)
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("sync protocol: unexpected %s while waiting for exec", t)
		}
	}
}

// forwardSeccompFd hands the notify fd to linux.seccomp.listenerPath with
// the container process state, as runtime-spec describes.
func (c *Container) forwardSeccompFd(fd, pid int, status specs.ContainerState) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	sc := cfg.Seccomp
	if sc == nil || sc.ListenerPath == "" {
		return fmt.Errorf("container %q: got a seccomp notify fd but linux.seccomp.listenerPath is empty", c.ID())
	}
	st := c.specStateAs(status)
	st.Pid = pid
	return seccomp.SendNotifyFd(sc.ListenerPath, fd, &specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      pid,
		Metadata: sc.ListenerMetadata,
		State:    *st,
	})
}
