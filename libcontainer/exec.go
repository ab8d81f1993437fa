package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// ExecOpts describes a process to start in a running container.
type ExecOpts struct {
	Process       *configs.Process
	PidFile       string
	ConsoleSocket string
	ConsoleConn   *os.File
	PreserveFds   int
	Stdio         Stdio
	// IgnorePaused allows exec into a paused container (the process
	// starts frozen).
	IgnorePaused bool
	// SubCgroups puts the process in existing sub-cgroups of the
	// container's cgroup: it maps a v1 controller ("cpu", "name=systemd")
	// to a path below the container's cgroup in that hierarchy, or ""
	// to a path used in every hierarchy (the only form on cgroup v2).
	// Hierarchies not named keep the container's own cgroup.
	SubCgroups map[string]string
}

// procNsName is the file name under /proc/<pid>/ns of each namespace type.
var procNsName = map[configs.NamespaceType]string{
	configs.NEWNS: "mnt", configs.NEWUTS: "uts", configs.NEWIPC: "ipc", configs.NEWNET: "net",
	configs.NEWPID: "pid", configs.NEWUSER: "user", configs.NEWCGROUP: "cgroup", configs.NEWTIME: "time",
}

// Exec starts a process inside the container: it joins every namespace of
// the container's init and its cgroup, and gets the process's own identity
// and confinement. It returns the host pid once the process has exec'd; the
// process is a child of the caller, who may wait for it.
func (c *Container) Exec(o *ExecOpts) (_ int, retErr error) {
	st := c.Status()
	switch {
	case st == Stopped:
		return 0, fmt.Errorf("cannot exec in container %q: %w", c.ID(), ErrNotRunning)
	case st == Paused && !o.IgnorePaused:
		return 0, fmt.Errorf("cannot exec in container %q: %w", c.ID(), ErrPaused)
	}
	view, err := c.execConfig()
	if err != nil {
		return 0, err
	}
	if err := unixSubreaper(); err != nil {
		return 0, err
	}

	fds := initproto.ChildFds{Preserve: o.PreserveFds}
	var extra []*os.File
	consoleFd := -1
	if o.Process.Terminal {
		conn, err := openConsoleConn(o.ConsoleSocket, o.ConsoleConn)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		consoleFd = fds.Extra(len(extra))
		extra = append(extra, conn)
	} else if o.ConsoleSocket != "" {
		return 0, ErrConsoleWithoutTerminal
	}

	// Join the init's namespaces, whether the container created them or
	// joined them by path. The runtime opens them and hands stage 0 the
	// fds: a path under /proc/<pid> would name whatever process has that
	// pid by the time stage 0 opens it.
	var nss []configs.Namespace
	for _, ns := range view.Namespaces {
		p := "/proc/" + strconv.Itoa(c.state.InitPid) + "/ns/" + procNsName[ns.Type]
		f, err := smallfile.Open(p, unix.O_RDONLY, 0)
		if err != nil {
			return 0, fmt.Errorf("exec in container %q: %w", c.ID(), err)
		}
		defer f.Close()
		childFd := fds.Extra(len(extra))
		extra = append(extra, f)
		nss = append(nss, configs.Namespace{Type: ns.Type, Path: "/proc/self/fd/" + strconv.Itoa(childFd)})
	}
	// Its root directory too: joining the mount namespace alone leads to
	// the namespace's root, which is the container's only if the runtime
	// that created it ran at its own namespace's root (not in a chroot).
	root, err := smallfile.Open("/proc/"+strconv.Itoa(c.state.InitPid)+"/root", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0, fmt.Errorf("exec in container %q: %w", c.ID(), err)
	}
	defer root.Close()
	rootPath := "/proc/self/fd/" + strconv.Itoa(fds.Extra(len(extra)))
	extra = append(extra, root)
	// Only if the init is still the same process do the files name its
	// namespaces and root.
	if !c.initAlive() {
		return 0, fmt.Errorf("cannot exec in container %q: %w", c.ID(), ErrNotRunning)
	}
	b, err := bootstrapFor(nss, nil, nil, nil)
	if err != nil {
		return 0, err
	}
	if view.namespace(configs.NEWUSER) {
		b.BecomeRoot = true
	}
	b.Root = rootPath
	setPlacement(b, view.MemoryPolicy, o.Process.ExecCPUAffinity)
	var frozenDirs []string
	if b.CgroupJoin, frozenDirs, err = c.execCgroup(st == Paused, o.SubCgroups); err != nil {
		return 0, err
	}
	preserved := make([]*os.File, o.PreserveFds)
	for i := range preserved {
		preserved[i] = os.NewFile(uintptr(3+i), "preserved-fd-"+strconv.Itoa(3+i))
	}

	if b.Plan, err = execPlan(view, o.Process, o.PreserveFds, st == Paused, c.seccompProgram); err != nil {
		return 0, err
	}
	// With a plan, stage 0 is the small C binary: nothing of Go runs.
	binary := initproto.ExecBinary
	var cfg *configs.Config
	finisherFd := -1
	if b.Plan == nil {
		binary = initproto.InitBinary
		if cfg, err = c.config(); err != nil {
			return 0, err
		}
		finisher, err := sealedBinary(initproto.ExecBinary)
		if err != nil {
			return 0, err
		}
		defer finisher.Close()
		finisherFd = fds.Extra(len(extra))
		extra = append(extra, finisher)
	}
	// A stage 1 joins the running container's cgroup, whose memory limit
	// is set: its heap must not take a huge page there.
	l, err := startStage0(binary, b, o.Stdio, preserved, extra, true)
	if err != nil {
		return 0, err
	}
	defer func() {
		if retErr != nil {
			l.kill()
		}
	}()
	if err := l.bootstrap(b, nil, nil); err != nil {
		return 0, err
	}
	if b.Plan != nil {
		// Stage 0's child is in the cgroup and every namespace, and
		// applies the plan at once.
		if err := c.awaitExec(l.conn, l.stage1Pid); err != nil {
			return 0, err
		}
		return c.execDone(l, o.PidFile)
	}
	state, _ := json.Marshal(c.specStateAs(specs.StateRunning))
	ic := initproto.InitConfig{
		Mode:        initproto.ModeExec,
		ContainerID: c.ID(),
		Bundle:      c.state.Bundle,
		Config:      initproto.ForStage1(cfg),
		Process:     o.Process,
		PreserveFds: o.PreserveFds,
		ConsoleFd:   consoleFd,
		StartFd:     -1,
		FinisherFd:  finisherFd,
		State:       state,
	}
	if err := l.conn.SendJSON(initproto.MsgConfig, ic); err != nil {
		return 0, l.diedErr(err)
	}
	if _, err := l.conn.Expect(initproto.MsgReady); err != nil {
		return 0, l.diedErr(err)
	}
	Timer.Mark("stage 1")
	if st == Paused {
		if err := joinCgroupDirs(frozenDirs, l.stage1Pid); err != nil {
			return 0, err
		}
		// Stage 1 froze as soon as it joined the freezer cgroup, so
		// nobody waits for its exec: it runs on resume.
		if err := l.conn.Send(initproto.MsgCommitted, nil); err != nil {
			return 0, l.diedErr(err)
		}
		return c.execDone(l, o.PidFile)
	}
	return c.commitExec(l, o.PidFile)
}

// commitExec lets the process go on (MsgCommitted) and waits until it has
// exec'd, which closes the close-on-exec sync socket, or reported an error.
func (c *Container) commitExec(l *launch, pidFile string) (int, error) {
	if err := l.conn.Send(initproto.MsgCommitted, nil); err != nil {
		return 0, l.diedErr(err)
	}
	if err := c.awaitExec(l.conn, l.stage1Pid); err != nil {
		return 0, err
	}
	return c.execDone(l, pidFile)
}

// execDone hands the exec'd process over to the caller.
func (c *Container) execDone(l *launch, pidFile string) (int, error) {
	l.conn.Close()
	if pidFile != "" {
		if err := WritePidFile(pidFile, l.stage1Pid); err != nil {
			return 0, err
		}
	}
	return l.stage1Pid, nil
}
