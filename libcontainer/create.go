package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/unixsock"
)

// CreateOpts is everything "ocirun create" (and run) passes in.
type CreateOpts struct {
	ID     string
	Bundle string // absolute
	Config *configs.Config

	PidFile string
	// ConsoleSocket is the path of a unix socket that receives the pty
	// master when the process has a terminal. ConsoleConn is the same as
	// an already connected socket (ocirun run uses a socketpair).
	ConsoleSocket string
	ConsoleConn   *os.File

	NoPivot      bool
	NoNewKeyring bool
	// PreserveFds counts the caller's fds from 3 up that the container's
	// process inherits.
	PreserveFds int
	Stdio       Stdio
}

// Create builds a container up to the "created" status: its init has set
// everything up and waits for Start, and no runtime process stays behind.
// On failure nothing is left: no state directory, no process, no cgroup.
func (s *Store) Create(o *CreateOpts) (_ *Container, retErr error) {
	cfg := o.Config
	if cfg == nil || cfg.Process == nil {
		return nil, errors.New("create: the config has no process")
	}
	if err := CheckHost(cfg); err != nil {
		return nil, err
	}
	d, err := s.newDir(o.ID)
	if err != nil {
		return nil, err
	}
	c := &Container{store: s, dir: d.path, lock: d, state: State{
		ID:          o.ID,
		Bundle:      o.Bundle,
		Created:     time.Now().UTC(),
		Rootfs:      cfg.Rootfs,
		Annotations: cfg.Labels,
		Config:      cfg,
	}}
	var l *launch
	// cgroupApplied delivers applyCgroup's result while it runs beside
	// the start of stage 0.
	var cgroupApplied chan error
	defer func() {
		if retErr == nil {
			return
		}
		if cgroupApplied != nil {
			<-cgroupApplied // destroy must not race the cgroup's creation
		}
		if l != nil {
			l.kill()
		}
		retErr = explainRootDir(retErr, o.NoPivot)
		if err := c.destroy(); err != nil {
			retErr = fmt.Errorf("%w (cleanup: %v)", retErr, err)
		}
		c.Unlock()
	}()

	// The first record, before anything of the container exists on the
	// host: a create killed from here on leaves an entry that delete
	// finds everything through.
	if err := c.record(); err != nil {
		return nil, err
	}
	// With the cgroupfs driver the cgroup is made and limited by a
	// goroutine, which gets the command's one P when the command first
	// waits: at the latest in waiting for it, after stage 0's fork (Go's
	// vfork keeps the P), while stage 0's exec completes on another CPU.
	// None of it needs stage 0's pid. systemd creates the unit with the
	// pid in it.
	if !c.cgroupNeedsPid() {
		cgroupApplied = make(chan error, 1)
		go func() { cgroupApplied <- c.applyCgroup(0) }()
	}

	// Stage 0's child becomes ours when stage 0 exits, so run can wait for
	// it and create can reap it on failure.
	if err := unixSubreaper(); err != nil {
		return nil, err
	}

	startListener, err := listenStartSocket(d)
	if err != nil {
		return nil, err
	}
	defer startListener.Close()

	var consoleConn *os.File
	if cfg.Process.Terminal {
		consoleConn, err = openConsoleConn(o.ConsoleSocket, o.ConsoleConn)
		if err != nil {
			return nil, err
		}
		defer consoleConn.Close()
	} else if o.ConsoleSocket != "" {
		return nil, ErrConsoleWithoutTerminal
	}

	preserved := make([]*os.File, o.PreserveFds)
	for i := range preserved {
		preserved[i] = os.NewFile(uintptr(3+i), "preserved-fd-"+strconv.Itoa(3+i))
	}
	fds := initproto.ChildFds{Preserve: o.PreserveFds}
	extra := []*os.File{startListener}
	// The runtime builds the container itself when it can (runtimeBuilds);
	// stage 0 is then the small C binary that finishes the process, and no
	// stage 1 starts.
	built := runtimeBuilds(cfg, s.Rootless)
	stage0Binary := initproto.ExecBinary
	// Stage 1's config, when there is a stage 1.
	var ic initproto.InitConfig
	if !built {
		stage0Binary = initproto.InitBinary
		// The finisher, which stage 1 executes once the container is
		// built: sealed like the init binary itself.
		finisher, err := sealedBinary(initproto.ExecBinary)
		if err != nil {
			return nil, err
		}
		defer finisher.Close()
		extra = append(extra, finisher)
		ic = initproto.InitConfig{
			Mode:        initproto.ModeInit,
			ContainerID: o.ID,
			Bundle:      o.Bundle,
			Config:      initproto.ForStage1(cfg),
			Process:     cfg.Process,
			Rootless:    s.Rootless,
			NoPivotRoot: o.NoPivot,
			PreserveFds: o.PreserveFds,
			ConsoleFd:   -1,
			StartFd:     fds.Extra(0),
			FinisherFd:  fds.Extra(1),
		}
		if consoleConn != nil {
			extra = append(extra, consoleConn)
			ic.ConsoleFd = fds.Extra(2)
		}
	}

	b, err := bootstrapFor(cfg.Namespaces, cfg.UIDMappings, cfg.GIDMappings, cfg.TimeOffsets)
	if err != nil {
		return nil, err
	}
	// process.execCPUAffinity is not the init's: it starts on every CPU.
	setPlacement(b, cfg.MemoryPolicy, nil)
	if !o.NoNewKeyring {
		b.Keyring = "_ses." + o.ID
	}
	if built {
		b.Built, b.BuiltListenFd, b.ProcMounts = true, uint32(fds.Extra(0)), procMounts(cfg)
	}
	// With startContainer hooks stage 1 is still alive when the memory
	// limit is checked against the usage (applyLateLimits): its heap
	// must not take a huge page the limit would have to hold.
	holdsPastReady := cfg.Hooks != nil && len(cfg.Hooks.StartContainer) > 0
	l, err = startStage0(stage0Binary, b, o.Stdio, preserved, extra, holdsPastReady)
	if err != nil {
		return nil, err
	}
	stage0 := l.stage0Pid
	if cfg.OomScoreAdj != nil {
		// Written from outside: lowering it needs CAP_SYS_RESOURCE in the
		// host user namespace, which the init no longer has in a new one.
		p := "/proc/" + strconv.Itoa(stage0) + "/oom_score_adj"
		if err := os.WriteFile(p, []byte(strconv.Itoa(*cfg.OomScoreAdj)), 0); err != nil {
			if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
				// The floor is the lowest value a process with that
				// capability set for an ancestor, which /proc does
				// not show: it can only be tried.
				err = fmt.Errorf("%w: without CAP_SYS_RESOURCE over the host (as when rootless) the kernel lets it go no lower than the runtime's ancestors were allowed to set", err)
			}
			return nil, fmt.Errorf("set process.oomScoreAdj to %d: %w", *cfg.OomScoreAdj, err)
		}
	}
	// Stage 0 moves itself in before it creates or joins any namespace but
	// the PID namespace it may have been cloned into, which holds nothing
	// of a cgroup (systemd moves it into the scope unit it creates).
	if cgroupApplied != nil {
		err = <-cgroupApplied
		cgroupApplied = nil
	} else {
		err = c.applyCgroup(stage0)
	}
	if err != nil {
		return nil, err
	}
	Timer.Mark("cgroup")
	if c.cgm != nil {
		b.CgroupJoin = c.cgm.SelfJoinFiles()
	}
	if err := l.bootstrap(b, cfg.UIDMappings, cfg.GIDMappings); err != nil {
		return nil, err
	}
	c.state.InitPid = l.stage1Pid
	start, _, err := processStartTime(l.stage1Pid)
	if err != nil {
		return nil, fmt.Errorf("read start time of container init %d: %w", l.stage1Pid, err)
	}
	c.state.InitStartTime = start
	if c.cgm == nil {
		if err := writeInitRecord(c.dir, l.stage1Pid, start); err != nil {
			return nil, err
		}
	}
	// The init's pid goes on record before the final record only where
	// something may look for it meanwhile: a hook, which may ask for the
	// state, or a delete --force after a killed create of a container
	// without a cgroup, which finds the init only by it. With a cgroup,
	// that delete kills whatever is in the cgroup. On a disk filesystem
	// the record is a tenth of a millisecond.
	if c.cgm == nil || hasHooks(cfg.Hooks) {
		if err := writeState(c.dir, &c.state); err != nil {
			return nil, err
		}
	}
	// Stage 1 waits for its config: nothing runs in the new network
	// namespace yet, and the devices are there for the hooks.
	if err := moveNetDevices(cfg.NetDevices, l.stage1Pid); err != nil {
		return nil, err
	}

	if built {
		if err := c.build(l, cfg, o.NoPivot, o.PreserveFds); err != nil {
			return nil, err
		}
	} else if err := c.sendConfig(l, &ic); err != nil {
		return nil, err
	}
	for {
		t, payload, err := l.conn.Recv()
		if err != nil {
			return nil, l.diedErr(err)
		}
		Timer.initMessage(t)
		switch t {
		case initproto.MsgRuntimeHooks:
			if err := c.runRuntimeHooks(); err != nil {
				return nil, err
			}
			Timer.Mark("hooks")
			if err := l.conn.Send(initproto.MsgHooksDone, nil); err != nil {
				return nil, l.diedErr(err)
			}
			continue
		case initproto.MsgSeccompFd:
			// Without no_new_privs the filter is loaded during create.
			fd := l.conn.TakeFd()
			if fd < 0 {
				return nil, errors.New("sync protocol: seccomp notify fd missing from its message")
			}
			err := c.forwardSeccompFd(fd, c.state.InitPid, specs.StateCreating)
			unix.Close(fd)
			if err != nil {
				return nil, err
			}
			continue
		case initproto.MsgSeccompProgram:
			if err := c.keepSeccompProgram(payload); err != nil {
				return nil, err
			}
			continue
		case initproto.MsgReady:
		case initproto.MsgError:
			return nil, &initproto.RemoteError{Msg: string(payload)}
		default:
			return nil, fmt.Errorf("sync protocol: unexpected %s from the container init", t)
		}
		break
	}
	// The limits that the init's own setup could hit, now that it is
	// done and before the user process runs.
	if err := c.applyLateLimits(); err != nil {
		return nil, err
	}
	c.state.Creating = false
	if err := writeState(c.dir, &c.state); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := WritePidFile(o.PidFile, c.state.InitPid); err != nil {
			return nil, err
		}
	}
	if err := l.conn.Send(initproto.MsgCommitted, nil); err != nil {
		return nil, l.diedErr(err)
	}
	l.conn.Close()
	Timer.Mark("commit")
	return c, nil
}

// sendConfig hands stage 1 its config, with the detached trees of the
// id-mapped mounts.
func (c *Container) sendConfig(l *launch, ic *initproto.InitConfig) error {
	cfg := c.state.Config
	trees, err := idmappedMounts(cfg, l.stage1Pid)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range trees {
			f.Close()
		}
	}()
	ic.State, _ = json.Marshal(c.specStateAs(specs.StateCreated))
	ic.CgroupPaths = c.cgroupPaths()
	if err := sendMountFds(l.conn, ic, trees); err != nil {
		return l.diedErr(err)
	}
	return nil
}

// specStateAs is the runtime-spec state with an explicit status, for hooks
// that run while the stored status is not yet meaningful.
func (c *Container) specStateAs(status specs.ContainerState) *specs.State {
	st := &specs.State{
		Version: specs.Version,
		ID:      c.state.ID,
		Status:  status,
		Pid:     c.state.InitPid,
		Bundle:  c.state.Bundle,
	}
	st.Annotations = c.state.Annotations
	return st
}

// listenStartSocket binds the start socket in the container's state
// directory; stage 1 accepts on it (see package initproto).
func listenStartSocket(d *lockedDir) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create start socket: %w", err)
	}
	addr := &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(int(d.f.Fd())) + "/" + startSock}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind %s: %w", filepath.Join(d.path, startSock), err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen on %s: %w", filepath.Join(d.path, startSock), err)
	}
	return os.NewFile(uintptr(fd), "start-socket"), nil
}

// openConsoleConn returns the socket on which the init sends the pty master.
func openConsoleConn(path string, conn *os.File) (*os.File, error) {
	if conn != nil {
		return conn, nil
	}
	if path == "" {
		return nil, ErrNoConsoleSocket
	}
	f, err := unixsock.Dial(path)
	if err != nil {
		return nil, fmt.Errorf("connect to console socket %s: %w", path, err)
	}
	return f, nil
}

// unixSubreaper makes the runtime adopt the processes stage 0 forks (when
// it forks), so that it can wait for them.
func unixSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// hasHooks reports whether h names any hook.
func hasHooks(h *configs.Hooks) bool {
	return h != nil && len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+
		len(h.StartContainer)+len(h.Poststart)+len(h.Poststop) > 0
}
